//! End-to-end: a dropship supplier with a signed JSON API (the supplier simulator checks every
//! signature and refuses unsigned requests). The daemon's PO arrives once, signed, keyed by the
//! submission key; the supplier's signed shipment webhook brings tracking back to the channel,
//! and a rejected line goes to the next location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

mod common;

use std::time::Duration;

use common::{Env, eventually, eventually_explained};
use switchyard_sim::supplier_http::{PoStatus, SupplierSimConfig, start};
use switchyard_sim::{OrderSpec, SimulatedChannel, WebhookFate};

const WAIT: Duration = Duration::from_secs(30);

fn order(lines: &[(&str, u32)]) -> OrderSpec {
    OrderSpec {
        lines: lines.iter().map(|(s, q)| (s.to_string(), *q)).collect(),
        paid: true,
        email: "buyer@example.com".into(),
        fate: WebhookFate::Deliver,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_supplier_gets_a_signed_po_acknowledges_it_and_its_shipment_comes_back() {
    let sim = start(SupplierSimConfig::default())
        .await
        .expect("supplier sim");
    let env = Env::new(&[("HT-LAMP", 0), ("HT-SHADE", 4)], 0).await;
    env.append_config(&format!(
        r#"  - id: bolt
    kind: dropship
    catalog: ["HT-*"]
    adapter:
      kind: http_json
      poll_interval_secs: 1
      http_json:
        order_url: "{order_url}"
        cancel_url: "{cancel_url}"
        events_url: "{events_url}"
        secret: "{secret}"
routing:
  rules:
    - name: lamps-from-bolt
      when: {{sku: ["HT-*"]}}
      action: {{first_in_stock: [bolt, main]}}
  fallback: hold
"#,
        order_url = sim.order_url(),
        cancel_url = sim.cancel_url(),
        events_url = sim.events_url(),
        secret = sim.secret(),
    ));
    env.ok(&["stock", "set", "HT-LAMP", "6", "--location", "bolt"]);
    env.ok(&["stock", "set", "HT-SHADE", "6", "--location", "bolt"]);
    let _d = env.start_daemon().await;
    sim.set_webhook_target(Some(env.webhook_url("bolt")));

    let placed = env
        .shopify
        .place_order(order(&[("HT-LAMP", 1), ("HT-SHADE", 2)]))
        .await;
    eventually(&env, WAIT, "the signed PO reached the supplier", || {
        sim.orders().len() == 1
    })
    .await;
    let po = sim.orders().remove(0);
    assert_eq!(po.idempotency_key, format!("ff:bolt:shop:{placed}"));
    assert_eq!(po.status, PoStatus::Accepted);
    let lines = po.body["lines"].to_string();
    assert!(
        lines.contains("HT-LAMP") && lines.contains("HT-SHADE"),
        "{lines}"
    );

    // The supplier refuses HT-SHADE: it moves to main (which has 4), HT-LAMP stays.
    assert!(
        sim.reject(&po.po_number, &[("HT-SHADE", 2)], "discontinued")
            .await
            .is_some()
    );
    eventually_explained(&env, WAIT, "HT-SHADE re-routed to main", || {
        let show = env.ok(&["orders", "show", &format!("shop:{placed}")]);
        if show.contains("HT-SHADE ×2 at main") && show.contains("HT-LAMP ×1 at bolt") {
            Ok(())
        } else {
            Err(show)
        }
    })
    .await;
    let show = env.ok(&["orders", "show", &format!("shop:{placed}")]);
    assert!(show.contains("bolt rejected HT-SHADE"), "{show}");

    // HT-LAMP ships from the supplier: the signed webhook brings its tracking back once.
    assert!(sim.ship(&po.po_number, "UPS", "1ZBOLT0001").await.is_some());
    eventually_explained(&env, WAIT, "the supplier's tracking on Shopify", || {
        let got = env.shopify.shipments(&placed);
        if got.len() == 1 && got[0].tracking_number == "1ZBOLT0001" {
            Ok(())
        } else {
            Err(format!("{got:?}"))
        }
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        env.shopify.shipments(&placed).len(),
        1,
        "tracking exactly once"
    );
    assert_eq!(sim.orders().len(), 1, "one PO");
    let audit = env.ok(&["stock", "audit"]);
    assert!(audit.contains("0 violation(s)"), "{audit}");
}
