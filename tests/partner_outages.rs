//! Partners' servers down for a while (`SWITCHYARD_OUTAGE_SECS`, 15 by default), then back,
//! with the real binary: a supplier's SFTP server (a real sshd behind a proxy that refuses its
//! port) and a supplier's SMTP server (a real aiosmtpd behind the same kind of proxy). Orders
//! routed to them meanwhile wait in the outbox, are tried and fail without being
//! dead-lettered, and reach the partner once each when it is back: counted on the server.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::outage::{Outage, outage_secs};
use common::smtpd::Smtpd;
use common::sshd::Sshd;
use common::{Env, eventually, eventually_explained};
use switchyard_sim::edi_files::Identities;
use switchyard_sim::supplier::{SupplierConfig, SupplierSim};
use switchyard_sim::{OrderSpec, SimulatedChannel, WebhookFate};

/// How long a partner that is up may take to get what waited for it: the outbox's backoff
/// after an outage reaches 16 s, and CI machines are slow.
const BACK: Duration = Duration::from_secs(120);

fn order(sku: &str) -> OrderSpec {
    OrderSpec {
        lines: vec![(sku.to_string(), 1)],
        paid: true,
        email: "buyer@example.com".into(),
        fate: WebhookFate::Deliver,
    }
}

/// Sums the lines of a counter whose labels hold `labels` (e.g. `kind="submit_fulfillment"`).
fn counter(metrics: &str, name: &str, labels: &str) -> f64 {
    metrics
        .lines()
        .filter(|l| l.starts_with(&format!("{name}{{")) && l.contains(labels))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// A gauge without labels, such as `switchyard_outbox_pending`.
fn gauge(metrics: &str, name: &str) -> Option<f64> {
    metrics
        .lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(f))
}

/// Waits until the orders placed in the outage are all queued for their partner and the
/// submissions have failed at least that many times.
async fn until_queued_and_failing(env: &Env, orders: usize) {
    eventually_explained(
        env,
        Duration::from_secs(60),
        "the submissions queued and failing in the outage",
        || {
            let metrics = block_on(env.metrics());
            let failures = counter(
                &metrics,
                "switchyard_outbox_failures_total",
                "kind=\"submit_fulfillment\"",
            );
            let pending = gauge(&metrics, "switchyard_outbox_pending").unwrap_or(0.0);
            if pending >= orders as f64 && failures >= orders as f64 {
                Ok(())
            } else {
                Err(format!("{pending} pending, {failures} failed submissions"))
            }
        },
    )
    .await;
}

/// Waits until nothing is left in the outbox (every submission recorded).
async fn until_outbox_empty(env: &Env) {
    eventually_explained(env, BACK, "the outbox emptied", || {
        match gauge(&block_on(env.metrics()), "switchyard_outbox_pending") {
            Some(0.0) => Ok(()),
            other => Err(format!("outbox pending {other:?}")),
        }
    })
    .await;
}

fn no_dead_letters(env: &Env) {
    let dl = String::from_utf8_lossy(&env.cli(&["dead-letters", "list"]).stdout).to_string();
    assert!(dl.contains("no dead letters"), "{dl}");
}

/// Runs the supplier's batch job every 100 ms, as its own scheduler would, until dropped.
struct Driver(tokio::task::JoinHandle<()>);

impl Drop for Driver {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// 850 files that reached the supplier's inbox (waiting or picked up), by name.
fn po_files(dir: &std::path::Path) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for d in [dir.to_path_buf(), dir.join("processed")] {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let text = std::fs::read_to_string(e.path()).unwrap_or_default();
            if text.contains("ST*850*") {
                names.insert(e.file_name().to_string_lossy().to_string());
            }
        }
    }
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pos_queued_while_the_suppliers_sftp_server_is_down_go_once_when_it_is_back() {
    let outage = outage_secs(15);
    let server = Sshd::start().unwrap_or_else(|why| panic!("sshd could not start: {why}"));
    let proxy = Outage::start(&format!("127.0.0.1:{}", server.port)).await;
    let skus: Vec<String> = (0..7).map(|i| format!("OD-{i}")).collect();
    let initial: Vec<(&str, i64)> = skus.iter().map(|s| (s.as_str(), 0)).collect();
    let env = Env::new(&initial, 0).await;
    let inbox = server.dir("acme/to_partner");
    let supplier = Arc::new(SupplierSim::new(SupplierConfig {
        inbox: inbox.clone(),
        outbox: server.dir("acme/from_partner"),
        ids: Identities {
            partner_qualifier: "ZZ".into(),
            partner_id: "ACME".into(),
            merchant_qualifier: "ZZ".into(),
            merchant_id: "MERCHANT".into(),
        },
        reject: Default::default(),
        backorder: Default::default(),
        // Nothing ships during the test: only submissions are counted.
        ship_after: Duration::from_secs(3600),
        carrier_scac: "UPSN".into(),
        stock: Default::default(),
    }));
    env.append_config(&format!(
        r#"  - id: acme
    kind: dropship
    catalog: ["OD-*"]
    adapter:
      kind: edi_supplier
      poll_interval_secs: 1
      sftp:
        host: "127.0.0.1"
        port: {port}
        user: "{user}"
        private_key_path: "{key}"
        host_key: "{host_key}"
        outbox: "{outbox}"
        inbox: "{from}"
        timeout_secs: 10
      edi: {{sender_id: MERCHANT, receiver_id: ACME}}
routing:
  rules:
    - name: dropship
      when: {{sku: ["OD-*"]}}
      action: {{location: acme}}
  fallback: hold
"#,
        port = proxy.port,
        user = server.user,
        key = server.client_key.display(),
        host_key = server.host_key,
        outbox = inbox.display(),
        from = server.dir("acme/from_partner").display(),
    ));
    let _daemon = env.start_daemon().await;
    let job = supplier.clone();
    let _driver = Driver(tokio::spawn(async move {
        loop {
            if let Err(e) = job.step() {
                eprintln!("supplier step failed: {e}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }));

    // The way works: a first PO reaches the supplier.
    env.shopify.place_order(order(&skus[0])).await;
    eventually(&env, Duration::from_secs(60), "the first PO", || {
        supplier.counters().purchase_orders == 1
    })
    .await;

    // The SFTP server is down; six orders come in and are routed to the supplier.
    proxy.set_down(true);
    let down_at = Instant::now();
    for sku in &skus[1..] {
        env.shopify.place_order(order(sku)).await;
    }
    until_queued_and_failing(&env, skus.len() - 1).await;
    let left = Duration::from_secs(outage).saturating_sub(down_at.elapsed());
    tokio::time::sleep(left).await;
    assert_eq!(
        supplier.counters().purchase_orders,
        1,
        "nothing reached the supplier while its server was down"
    );
    no_dead_letters(&env);
    let failed_in_outage = counter(
        &env.metrics().await,
        "switchyard_outbox_failures_total",
        "kind=\"submit_fulfillment\"",
    );

    // Back: every waiting PO goes, once.
    proxy.set_down(false);
    let up_at = Instant::now();
    eventually_explained(&env, BACK, "the queued POs reached the supplier", || {
        let c = supplier.counters();
        if c.purchase_orders as usize >= skus.len() {
            Ok(())
        } else {
            Err(format!("{c:?}"))
        }
    })
    .await;
    let delivered_after = up_at.elapsed();
    until_outbox_empty(&env).await;
    // Time for a second copy to show, if one were coming: the supplier's answers (855, 997)
    // travel back and are applied.
    eventually(
        &env,
        BACK,
        "the supplier's acknowledgements applied",
        || supplier.counters().acks_997_received >= 1,
    )
    .await;
    let c = supplier.counters();
    assert_eq!(c.purchase_orders as usize, skus.len(), "{c:?}");
    assert_eq!(c.duplicate_purchase_orders, 0, "{c:?}");
    let files = po_files(&inbox);
    assert_eq!(files.len(), skus.len(), "one 850 file per order: {files:?}");
    let po_numbers: BTreeSet<String> = supplier
        .received()
        .iter()
        .map(|po| po.po_number.clone())
        .collect();
    assert_eq!(po_numbers.len(), skus.len(), "{po_numbers:?}");
    no_dead_letters(&env);
    eprintln!(
        "supplier SFTP down {:?}: {} POs queued, {failed_in_outage} submissions failed and were \
         rescheduled ({} connections refused), 0 dead letters; back up, all reached the supplier \
         {delivered_after:?} later: {} POs, {} files, {} duplicates",
        up_at.duration_since(down_at),
        skus.len() - 1,
        proxy.refused(),
        c.purchase_orders,
        files.len(),
        c.duplicate_purchase_orders,
    );
}

fn header(raw: &str, name: &str) -> Option<String> {
    raw.lines()
        .find(|l| {
            l.to_ascii_lowercase()
                .starts_with(&format!("{}:", name.to_ascii_lowercase()))
        })
        .map(|l| l[name.len() + 1..].trim().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pos_queued_while_the_suppliers_smtp_server_is_down_go_once_when_it_is_back() {
    let outage = outage_secs(15);
    let smtp = Smtpd::start().await;
    let proxy = Outage::start(&format!("127.0.0.1:{}", smtp.port)).await;
    let skus: Vec<String> = (0..5).map(|i| format!("EM-{i}")).collect();
    let initial: Vec<(&str, i64)> = skus.iter().map(|s| (s.as_str(), 0)).collect();
    let env = Env::new(&initial, 0).await;
    env.append_config(&format!(
        r#"  - id: acme
    kind: dropship
    catalog: ["EM-*"]
    adapter:
      kind: email
      email:
        smtp_host: "127.0.0.1"
        smtp_port: {port}
        security: none
        from: "Shop Orders <po@shop.example>"
        to: [orders@acme.example]
routing:
  rules:
    - name: by-mail
      when: {{sku: ["EM-*"]}}
      action: {{location: acme}}
  fallback: hold
"#,
        port = proxy.port,
    ));
    let _daemon = env.start_daemon().await;

    // The way works: a first PO is mailed.
    env.shopify.place_order(order(&skus[0])).await;
    eventually(&env, Duration::from_secs(60), "the first PO mailed", || {
        smtp.messages().len() == 1
    })
    .await;

    // The SMTP server is down; four orders come in for the supplier.
    proxy.set_down(true);
    let down_at = Instant::now();
    for sku in &skus[1..] {
        env.shopify.place_order(order(sku)).await;
    }
    until_queued_and_failing(&env, skus.len() - 1).await;
    let left = Duration::from_secs(outage).saturating_sub(down_at.elapsed());
    tokio::time::sleep(left).await;
    assert_eq!(smtp.messages().len(), 1, "nothing mailed while down");
    no_dead_letters(&env);
    let failed_in_outage = counter(
        &env.metrics().await,
        "switchyard_outbox_failures_total",
        "kind=\"submit_fulfillment\"",
    );

    // Back: each waiting PO is mailed once.
    proxy.set_down(false);
    let up_at = Instant::now();
    eventually_explained(&env, BACK, "the queued POs mailed", || {
        let n = smtp.messages().len();
        if n >= skus.len() {
            Ok(())
        } else {
            Err(format!("{n} messages"))
        }
    })
    .await;
    let delivered_after = up_at.elapsed();
    until_outbox_empty(&env).await;
    let messages = smtp.messages();
    let ids: BTreeSet<Option<String>> = messages
        .iter()
        .map(|(raw, _)| header(&String::from_utf8_lossy(raw), "Message-ID"))
        .collect();
    assert_eq!(messages.len(), skus.len(), "one message per order");
    assert_eq!(ids.len(), skus.len(), "distinct POs: {ids:?}");
    assert!(ids.iter().all(Option::is_some), "{ids:?}");
    no_dead_letters(&env);
    eprintln!(
        "supplier SMTP down {:?}: {} POs queued, {failed_in_outage} sends failed and were \
         rescheduled ({} connections refused), 0 dead letters; back up, all mailed \
         {delivered_after:?} later: {} messages, {} distinct Message-IDs",
        up_at.duration_since(down_at),
        skus.len() - 1,
        proxy.refused(),
        messages.len(),
        ids.len(),
    );
}
