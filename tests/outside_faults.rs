//! Faults of the outside world with the real binary. A spent daily quota (Etsy answers 429 with
//! a `Retry-After` of two hours): the daemon does not wait hours inside a call; the stock push
//! is rescheduled for when the quota returns, other channels are served meanwhile, the quota is
//! not hammered, and the daemon stops at once when asked. A channel down for a while
//! (`SWITCHYARD_OUTAGE_SECS`, 20 by default; connections refused by a proxy in front of the
//! WooCommerce simulator): the other channel is served, and once it is back the whole backlog
//! reaches it, each SKU once, none dead-lettered.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

mod common;

use std::time::{Duration, Instant};

use common::{Env, eventually, eventually_explained};
use switchyard_sim::etsy::{EtsySim, EtsySimConfig};
use switchyard_sim::{OrderSpec, SimulatedChannel, WebhookFate};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spent_daily_quota_reschedules_the_work_instead_of_waiting_hours() {
    let env = Env::new(&[("EQ-1", 30), ("EQ-2", 30)], 0).await;
    // A day's budget of 25 calls: polling every second spends it within seconds.
    let cfg = EtsySimConfig {
        per_day: 25,
        ..EtsySimConfig::default()
    };
    let etsy = EtsySim::start(cfg.clone()).await.expect("etsy sim");
    for sku in ["EQ-1", "EQ-2"] {
        etsy.add_product(sku, &format!("Item {sku}"), "12.50", 0);
    }
    env.edit_config(
        "audit_interval_secs: 1\n",
        &format!(
            r#"  - id: etsy
    kind: etsy
    base_url: "{base}"
    client_id: "{key}"
    client_secret: "{secret}"
    refresh_token: "{refresh}"
    token_url: "{token_url}"
    shop_id: "{shop}"
    poll_interval_secs: 1
    poll_overlap_secs: 5
    drift_interval_secs: 0
audit_interval_secs: 1
"#,
            base = etsy.base_url(),
            key = cfg.keystring,
            secret = cfg.shared_secret.clone().unwrap_or_default(),
            refresh = cfg.refresh_token,
            token_url = etsy.token_url(),
            shop = cfg.shop_id,
        ),
    );
    let daemon = env.start_daemon().await;

    // The quota runs out (listing discovery, the first levels, polls) and Etsy says "2 hours".
    eventually(
        &env,
        Duration::from_secs(60),
        "Etsy's daily quota spent",
        || etsy.remaining_today() == 0 && etsy.stats().throttled > 0,
    )
    .await;

    // A sale on Shopify: every channel's level should drop. Shopify and WooCommerce get it at
    // once; Etsy's push meets the spent quota and is rescheduled, not waited out.
    env.shopify
        .place_order(OrderSpec {
            lines: vec![("EQ-1".into(), 2)],
            paid: true,
            email: "quota@example.com".into(),
            fate: WebhookFate::Deliver,
        })
        .await;
    eventually_explained(
        &env,
        Duration::from_secs(20),
        "other channels served while Etsy's quota is spent",
        || match (env.shopify.stock("EQ-1"), env.woo.stock("EQ-1")) {
            (Some(28), Some(28)) => Ok(()),
            other => Err(format!("shopify, woo: {other:?}")),
        },
    )
    .await;
    // The Etsy change is kept for later: still queued for Etsy, not dead-lettered.
    eventually_explained(
        &env,
        Duration::from_secs(20),
        "Etsy's push queued for when the quota returns",
        || {
            let m = block_on(env.metrics());
            let queued = m
                .lines()
                .find(|l| l.starts_with("switchyard_stock_queue_depth{channel=\"etsy\"}"))
                .and_then(|l| l.rsplit(' ').next()?.parse::<i64>().ok())
                .unwrap_or(0);
            if queued >= 1 {
                Ok(())
            } else {
                Err(format!("etsy queue depth {queued}"))
            }
        },
    )
    .await;
    assert_ne!(etsy.stock("EQ-1"), Some(28), "Etsy could not be written");
    // Nobody keeps knocking on a door that said "two hours".
    let throttled_before = etsy.stats().throttled;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let knocked = etsy.stats().throttled - throttled_before;
    assert!(
        knocked <= 3,
        "{knocked} calls refused in 5 s after Etsy asked for two hours"
    );
    let dl = String::from_utf8_lossy(&env.cli(&["dead-letters", "list"]).stdout).to_string();
    assert!(dl.contains("no dead letters"), "{dl}");

    // No worker is stuck in a two-hour wait: the daemon stops at once.
    let asked = Instant::now();
    let status = daemon.terminate();
    let stop_took = asked.elapsed();
    assert!(status.success(), "{status:?}\n{}", env.log());
    assert!(
        stop_took < Duration::from_secs(10),
        "stopping took {stop_took:?}: a worker was waiting out the Retry-After\n{}",
        env.log()
    );
    eprintln!(
        "daily quota spent: Etsy refused {} calls in all ({knocked} in the 5 s watched), the \
         sale reached Shopify and WooCommerce, Etsy's level waits in the queue, stop took {stop_took:?}",
        etsy.stats().throttled
    );
}

/// Runs a future to completion from a synchronous check (the metrics fetch is quick).
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(f))
}

/// A TCP proxy in front of a simulator that can refuse every connection: the channel is down.
struct Outage {
    url: String,
    down: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// Bumped when the channel goes down, so connections already open are cut too.
    cut: tokio::sync::watch::Sender<u64>,
}

impl Outage {
    async fn start(target: &str) -> Outage {
        let target = target
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind proxy");
        let url = format!("http://{}", listener.local_addr().expect("proxy addr"));
        let down = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (cut, _) = tokio::sync::watch::channel(0u64);
        let (is_down, cuts) = (down.clone(), cut.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if is_down.load(std::sync::atomic::Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let target = target.clone();
                let mut cut = cuts.subscribe();
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Outage { url, down, cut }
    }

    fn set_down(&self, down: bool) {
        self.down.store(down, std::sync::atomic::Ordering::SeqCst);
        if down {
            self.cut.send_modify(|n| *n += 1);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_down_for_a_while_gets_its_whole_backlog_once_it_is_back() {
    let outage_secs: u64 = std::env::var("SWITCHYARD_OUTAGE_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    // 150 SKUs: more than one WooCommerce batch (100), so the order between batches shows.
    let skus: Vec<String> = (0..150).map(|i| format!("OUT-{i:03}")).collect();
    let initial: Vec<(&str, i64)> = skus.iter().map(|s| (s.as_str(), 10)).collect();
    let env = Env::new(&initial, 0).await;
    let proxy = Outage::start(&env.woo.base_url()).await;
    env.edit_config(
        &format!("base_url: \"{}\"", env.woo.base_url()),
        &format!("base_url: \"{}\"", proxy.url),
    );
    let _daemon = env.start_daemon().await;
    eventually(&env, Duration::from_secs(60), "initial levels", || {
        skus.iter().all(|s| env.woo.stock(s) == Some(10))
    })
    .await;

    // WooCommerce goes down; meanwhile a recount moves 50 SKUs down and 100 up.
    proxy.set_down(true);
    let want = |i: usize| if i.is_multiple_of(3) { 5 } else { 20 };
    let csv: String = std::iter::once("sku,quantity\n".to_string())
        .chain(
            skus.iter()
                .enumerate()
                .map(|(i, s)| format!("{s},{}\n", want(i))),
        )
        .collect();
    let path = env.path().join("recount.csv");
    std::fs::write(&path, csv).expect("write csv");
    env.ok(&["stock", "import", path.to_str().expect("utf-8")]);
    let down_at = Instant::now();
    eventually(
        &env,
        Duration::from_secs(60),
        "Shopify served while WooCommerce is down",
        || {
            skus.iter()
                .enumerate()
                .all(|(i, s)| env.shopify.stock(s) == Some(want(i)))
        },
    )
    .await;
    let left = Duration::from_secs(outage_secs).saturating_sub(down_at.elapsed());
    tokio::time::sleep(left).await;
    assert!(
        skus.iter().all(|s| env.woo.stock(s) == Some(10)),
        "nothing reached WooCommerce while it was down"
    );

    // Back up: the whole backlog drains, each SKU written once.
    env.woo.journal().record(true);
    proxy.set_down(false);
    let up_at = Instant::now();
    eventually(
        &env,
        Duration::from_secs(180),
        "the backlog reached WooCommerce",
        || {
            skus.iter()
                .enumerate()
                .all(|(i, s)| env.woo.stock(s) == Some(want(i)))
        },
    )
    .await;
    let drained_after = up_at.elapsed();
    let history = env.woo.journal().stock_histories();
    for (sku, writes) in &history {
        assert_eq!(
            writes.len(),
            1,
            "{sku} written {} times: {writes:?}",
            writes.len()
        );
    }
    assert_eq!(history.len(), skus.len());
    // Not asserted: decreases before increases. A push that failed in the outage may have
    // landed or not, so the daemon forgets what the channel holds for those SKUs, and "decrease
    // or raise" is unknown when the backlog drains (one run: cuts and raises interleaved in the
    // first batch). Keeping the last confirmed level for ordering needs a store column; open.
    let dl = String::from_utf8_lossy(&env.cli(&["dead-letters", "list"]).stdout).to_string();
    assert!(dl.contains("no dead letters"), "{dl}");
    eprintln!(
        "WooCommerce down for {:?}: Shopify served meanwhile; {} SKUs reached WooCommerce {drained_after:?} \
         after it came back, each written once",
        up_at.duration_since(down_at),
        history.len()
    );
}
