//! End-to-end over a real OpenSSH sshd: the daemon trades EDI files with a dropship supplier
//! (850 out; 997, 855, 856, 846 back) and a 3PL (940 out, 945 back) simulated on the served
//! directories. Tracking reaches the channel once per parcel, the supplier's 846 becomes its
//! location's on-hand and the channel's level, a line the supplier rejects is routed to the
//! next eligible location (the ShipBob 3PL) and ships there, a rejected line with nowhere to go
//! holds the order, and a channel cancellation becomes an 850 cancellation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::sshd::Sshd;
use common::{Env, eventually, eventually_explained};
use switchyard_edi::docs::po850::PoPurpose;
use switchyard_sim::edi_3pl::{WarehouseConfig, WarehouseSim};
use switchyard_sim::edi_files::Identities;
use switchyard_sim::shipbob::{ShipBobSim, ShipBobSimConfig};
use switchyard_sim::supplier::{SupplierConfig, SupplierSim};
use switchyard_sim::{OrderSpec, SimulatedChannel, WebhookFate};

const WAIT: Duration = Duration::from_secs(40);

fn order(lines: &[(&str, u32)]) -> OrderSpec {
    OrderSpec {
        lines: lines.iter().map(|(s, q)| (s.to_string(), *q)).collect(),
        paid: true,
        email: "buyer@example.com".into(),
        fate: WebhookFate::Deliver,
    }
}

fn ids(partner: &str) -> Identities {
    Identities {
        partner_qualifier: "ZZ".into(),
        partner_id: partner.to_uppercase(),
        merchant_qualifier: "ZZ".into(),
        merchant_id: "MERCHANT".into(),
    }
}

/// An EDI location's `adapter:` block over `server`, exchanging files in `<id>/to_partner`
/// and `<id>/from_partner`.
fn edi_location(server: &Sshd, id: &str, kind: &str, adapter: &str) -> String {
    format!(
        r#"  - id: {id}
    kind: {kind}
    adapter:
      kind: {adapter}
      poll_interval_secs: 1
      sftp:
        host: "127.0.0.1"
        port: {port}
        user: "{user}"
        private_key_path: "{key}"
        host_key: "{host_key}"
        outbox: "{outbox}"
        inbox: "{inbox}"
        timeout_secs: 10
      edi: {{sender_id: MERCHANT, receiver_id: {receiver}}}
"#,
        port = server.port,
        user = server.user,
        key = server.client_key.display(),
        host_key = server.host_key,
        outbox = server.dir(&format!("{id}/to_partner")).display(),
        inbox = server.dir(&format!("{id}/from_partner")).display(),
        receiver = id.to_uppercase(),
    )
}

fn bob_location(bob: &ShipBobSim) -> String {
    let cfg = bob.config().clone();
    format!(
        r#"  - id: bob
    kind: 3pl
    adapter:
      kind: shipbob
      base_url: "{url}"
      access_token: "{token}"
      channel_id: "{channel}"
      webhook_secret: "{secret}"
      poll_interval_secs: 1
      poll_overlap_secs: 30
      rate_limit: {{per_second: 50, burst: 50}}
"#,
        url = bob.base_url(),
        token = cfg.access_token,
        channel = cfg.channel_id,
        secret = cfg.webhook_secret,
    )
}

/// Runs a partner's batch job every 100 ms, as its own scheduler would, until dropped.
struct Driver(tokio::task::JoinHandle<()>);

impl Driver {
    fn start<F: Fn() + Send + 'static>(step: F) -> Driver {
        Driver(tokio::spawn(async move {
            loop {
                step();
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }))
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edi_supplier_ships_rejects_reports_stock_and_cancels_over_real_sftp() {
    let server = Sshd::start().unwrap_or_else(|why| panic!("sshd could not start: {why}"));
    let bob = switchyard_sim::shipbob::start(ShipBobSimConfig::default())
        .await
        .expect("shipbob sim");
    let env = Env::new(
        &[("DS-MUG", 0), ("DS-TEE", 0), ("DS-RARE", 0), ("DS-CAP", 0)],
        0,
    )
    .await;
    let supplier = Arc::new(SupplierSim::new(SupplierConfig {
        inbox: server.dir("acme/to_partner"),
        outbox: server.dir("acme/from_partner"),
        ids: ids("acme"),
        reject: ["DS-TEE".to_string(), "DS-RARE".to_string()].into(),
        backorder: Default::default(),
        ship_after: Duration::from_secs(3),
        carrier_scac: "UPSN".into(),
        stock: [
            ("DS-MUG".to_string(), 7),
            ("DS-TEE".to_string(), 3),
            ("DS-RARE".to_string(), 4),
            ("DS-CAP".to_string(), 6),
        ]
        .into(),
    }));
    env.append_config(&format!(
        "{}{}routing:
  rules:
    - name: supplier-first
      when: {{sku: [\"DS-*\"]}}
      action: {{first_in_stock: [acme, bob]}}
  fallback: hold
",
        edi_location(&server, "acme", "dropship", "edi_supplier"),
        bob_location(&bob),
    ));
    env.ok(&["stock", "set", "DS-TEE", "5", "--location", "bob"]);
    let _d = env.start_daemon().await;
    bob.set_webhook_target(&env.webhook_url("bob"));
    let job = supplier.clone();
    let _driver = Driver::start(move || {
        if let Err(e) = job.step() {
            eprintln!("partner step failed: {e}");
        }
    });

    // The 846: the supplier's levels become acme's on-hand and reach the channels.
    supplier.publish_inventory("INV-1").expect("846 written");
    eventually_explained(&env, WAIT, "the 846 levels listed on Shopify", || {
        let got = (
            env.shopify.stock("DS-MUG"),
            env.shopify.stock("DS-CAP"),
            env.shopify.stock("DS-TEE"),
        );
        // DS-TEE: 3 at acme + 5 at bob.
        if got == (Some(7), Some(6), Some(8)) {
            Ok(())
        } else {
            Err(format!("shopify levels {got:?}"))
        }
    })
    .await;
    let stock = env.ok(&["stock", "show", "DS-MUG"]);
    assert!(stock.contains("DS-MUG\tacme\t7\t0"), "{stock}");

    // One PO with two lines: the supplier accepts DS-MUG and rejects DS-TEE in its 855.
    let split = env
        .shopify
        .place_order(order(&[("DS-MUG", 2), ("DS-TEE", 1)]))
        .await;
    let bob_ref = format!("ff:bob:shop:{split}");
    eventually(&env, WAIT, "the rejected line reached the 3PL", || {
        bob.orders_with_reference(&bob_ref).len() == 1
    })
    .await;
    let show = env.ok(&["orders", "show", &format!("shop:{split}")]);
    assert!(
        show.contains("Re-routed DS-TEE because: acme rejected DS-TEE: rejected by the supplier"),
        "{show}"
    );
    assert!(show.contains("refused this order before"), "{show}");
    let bob_id = bob.orders_with_reference(&bob_ref)[0];
    let items = bob.order_json(bob_id).unwrap_or_default();
    assert!(
        items.to_string().contains("DS-TEE") && !items.to_string().contains("DS-MUG"),
        "the 3PL gets only the re-routed line: {items}"
    );
    assert!(
        bob.ship(bob_id, "USPS", "9400REROUTE1", WebhookFate::Deliver)
            .await
    );
    // The supplier's 856 for DS-MUG comes after its delay.
    eventually_explained(&env, WAIT, "both parcels' tracking on Shopify", || {
        let mut got: Vec<String> = env
            .shopify
            .shipments(&split)
            .into_iter()
            .map(|s| s.tracking_number)
            .collect();
        got.sort();
        if got.len() == 2 && got[0].starts_with("1ZSUP") && got[1] == "9400REROUTE1" {
            Ok(())
        } else {
            Err(format!(
                "shopify shipments: {got:?}; supplier: {:?}",
                supplier.counters()
            ))
        }
    })
    .await;
    eventually(&env, WAIT, "the order shipped", || {
        env.fulfil_state(&split).as_deref() == Some("shipped")
    })
    .await;

    // A line only the refusing supplier has: nowhere to go, so the order waits for a person.
    let stuck = env.shopify.place_order(order(&[("DS-RARE", 1)])).await;
    eventually(&env, WAIT, "the unplaceable order held", || {
        env.fulfil_state(&stuck).as_deref() == Some("held")
    })
    .await;
    let held = env.ok(&["orders", "held"]);
    let row = held
        .lines()
        .find(|l| l.contains(&stuck))
        .unwrap_or_else(|| panic!("{stuck} not in held list:\n{held}"));
    assert!(row.contains("acme rejected DS-RARE"), "{row}");

    // Cancelled on the channel before the supplier ships: an 850 cancellation, confirmed by
    // an 855, and no ship notice ever comes.
    let cancelled = env.shopify.place_order(order(&[("DS-CAP", 1)])).await;
    eventually(&env, WAIT, "the third PO reached the supplier", || {
        supplier.counters().purchase_orders == 3
    })
    .await;
    env.shopify
        .cancel_order(&cancelled, WebhookFate::Deliver)
        .await;
    eventually(
        &env,
        WAIT,
        "the 850 cancellation reached the supplier",
        || {
            supplier
                .received()
                .iter()
                .any(|po| po.purpose == PoPurpose::Cancellation)
        },
    )
    .await;
    eventually(
        &env,
        WAIT,
        "the supplier's cancellation answer applied",
        || env.log().contains("cancellation confirmed by the supplier"),
    )
    .await;

    // Each PO once, every supplier group acknowledged by the daemon's 997s, nothing twice.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let c = supplier.counters();
    assert_eq!(c.purchase_orders, 3, "{c:?}");
    assert_eq!(c.duplicate_purchase_orders, 0, "{c:?}");
    assert_eq!(
        c.ship_notices_856_sent, 1,
        "only DS-MUG shipped from acme: {c:?}"
    );
    assert_eq!(c.cancellations, 1, "{c:?}");
    // 997s for: the 846, the two 855s of the placed POs, the 856 and the cancellation's 855.
    assert!(c.acks_997_received >= 5, "{c:?}");
    assert_eq!(env.shopify.shipments(&split).len(), 2);
    assert!(env.shopify.shipments(&cancelled).is_empty());
    assert_eq!(bob.orders_created(), 1);
    let audit = env.ok(&["stock", "audit"]);
    assert!(audit.contains("0 violation(s)"), "{audit}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edi_3pl_gets_a_940_and_its_945_brings_tracking_back() {
    let server = Sshd::start().unwrap_or_else(|why| panic!("sshd could not start: {why}"));
    let env = Env::new(&[("WH-BOX", 0)], 0).await;
    let warehouse = Arc::new(WarehouseSim::new(WarehouseConfig {
        inbox: server.dir("dc/to_partner"),
        outbox: server.dir("dc/from_partner"),
        ids: ids("dc"),
        unknown_items: Default::default(),
        ship_after: Duration::from_millis(500),
        carrier_scac: "FDEG".into(),
    }));
    env.append_config(&format!(
        "{}routing:
  rules:
    - name: boxes-from-dc
      when: {{sku: [\"WH-*\"]}}
      action: {{location: dc}}
  fallback: hold
",
        edi_location(&server, "dc", "3pl", "edi_3pl"),
    ));
    env.ok(&["stock", "set", "WH-BOX", "9", "--location", "dc"]);
    let _d = env.start_daemon().await;
    let job = warehouse.clone();
    let _driver = Driver::start(move || {
        if let Err(e) = job.step() {
            eprintln!("partner step failed: {e}");
        }
    });
    let placed = env.woo.place_order(order(&[("WH-BOX", 2)])).await;
    eventually_explained(&env, WAIT, "tracking from the 945 on WooCommerce", || {
        let got = env.woo.shipments(&placed);
        if got.len() == 1 {
            Ok(())
        } else {
            Err(format!("woo shipments: {got:?}"))
        }
    })
    .await;
    let c = warehouse.counters();
    assert_eq!(c.orders, 1, "one 940: {c:?}");
    assert_eq!(c.duplicate_orders, 0, "{c:?}");
    let tracking = warehouse
        .orders()
        .first()
        .and_then(|o| warehouse.tracking(&o.depositor_order_number))
        .expect("the 3PL shipped");
    assert_eq!(env.woo.shipments(&placed)[0].tracking_number, tracking);
    eventually(&env, WAIT, "both channels list 7", || {
        env.shopify.stock("WH-BOX") == Some(7) && env.woo.stock("WH-BOX") == Some(7)
    })
    .await;
    let audit = env.ok(&["stock", "audit"]);
    assert!(audit.contains("0 violation(s)"), "{audit}");
}
