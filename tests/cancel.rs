//! Seller cancellations on the channels, end to end with the real binary: one order per
//! channel with a cancellation API (Shopify, WooCommerce, Walmart lines, BigCommerce, eBay) is
//! cancelled with a reason through `orders cancel`, the daemon is SIGKILLed while the channel
//! calls are in flight, and after the restart each channel's own record (the simulator's) shows
//! the cancellation with its reason exactly once. A shipped order is refused with a clear
//! message, and every cancellation ends `done`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Env, eventually, eventually_explained};
use switchyard_sim::bigcommerce::{BigCommerceSim, BigCommerceSimConfig};
use switchyard_sim::ebay::{EbaySim, EbaySimConfig};
use switchyard_sim::walmart::{WalmartSim, WalmartSimConfig};
use switchyard_sim::{OrderSpec, SimulatedChannel, WebhookFate};

struct Others {
    walmart: Arc<WalmartSim>,
    bigcommerce: Arc<BigCommerceSim>,
    ebay: Arc<EbaySim>,
}

/// Walmart, BigCommerce and eBay simulators, added to the harness's channels.
async fn more_channels(env: &Env, skus: &[&str]) -> Others {
    let wm_cfg = WalmartSimConfig::default();
    let walmart = WalmartSim::start(wm_cfg.clone()).await.unwrap();
    let bc_cfg = BigCommerceSimConfig::default();
    let bigcommerce = switchyard_sim::bigcommerce::start(bc_cfg.clone())
        .await
        .unwrap();
    let eb_cfg = EbaySimConfig::default();
    let ebay = EbaySim::start(eb_cfg.clone()).await.unwrap();
    for sku in skus {
        walmart.add_product(sku, "Item", "12.50", 0);
        bigcommerce.add_product(sku, "Item", "12.50", 0);
        ebay.add_product(sku, "Item", "12.50", 0);
    }
    let yaml = format!(
        r#"  - id: wm
    kind: walmart
    base_url: "{wm_url}"
    client_id: "{wm_id}"
    client_secret: "{wm_secret}"
    poll_interval_secs: 1
    poll_overlap_secs: 5
    drift_interval_secs: 0
  - id: bc
    kind: bigcommerce
    base_url: "{bc_url}"
    store_hash: "{bc_hash}"
    access_token: "{bc_token}"
    webhook_secret: "{bc_secret}"
    poll_interval_secs: 1
    poll_overlap_secs: 5
    drift_interval_secs: 0
  - id: ebay
    kind: ebay
    base_url: "{eb_url}"
    client_id: "{eb_id}"
    client_secret: "{eb_secret}"
    refresh_token: "{eb_refresh}"
    token_url: "{eb_token_url}"
    poll_interval_secs: 1
    poll_overlap_secs: 5
    drift_interval_secs: 0
audit_interval_secs: 1
"#,
        wm_url = walmart.base_url(),
        wm_id = wm_cfg.client_id,
        wm_secret = wm_cfg.client_secret,
        bc_url = bigcommerce.base_url(),
        bc_hash = bc_cfg.store_hash,
        bc_token = bc_cfg.access_token,
        bc_secret = bc_cfg.client_secret,
        eb_url = ebay.base_url(),
        eb_id = eb_cfg.client_id,
        eb_secret = eb_cfg.client_secret,
        eb_refresh = eb_cfg.refresh_token,
        eb_token_url = ebay.token_url(),
    );
    env.edit_config("audit_interval_secs: 1\n", &yaml);
    Others {
        walmart,
        bigcommerce,
        ebay,
    }
}

fn spec(lines: &[(&str, u32)], email: &str) -> OrderSpec {
    OrderSpec {
        lines: lines.iter().map(|(s, q)| (s.to_string(), *q)).collect(),
        paid: true,
        email: email.into(),
        fate: WebhookFate::Deliver,
    }
}

async fn routed(env: &Env, ids: &[(&str, String)]) {
    eventually_explained(env, Duration::from_secs(60), "every order routed", || {
        for (channel, id) in ids {
            let state = env
                .orders()
                .into_iter()
                .find(|o| o.0 == *channel && o.1 == *id)
                .map(|o| o.3);
            if state.as_deref() != Some("routed") {
                return Err(format!("{channel}:{id} is {state:?}"));
            }
        }
        Ok(())
    })
    .await;
}

async fn a_cancellation_reaches_each_channel_once_across_a_sigkill(
    engine: switchyard_store::Engine,
) {
    let skus = [("CX-1", 50), ("CX-2", 50)];
    let env = Env::on(engine, &skus, 0).await;
    let others = more_channels(&env, &["CX-1", "CX-2"]).await;
    let daemon = env.start_daemon().await;
    let shop = env
        .shopify
        .place_order(spec(&[("CX-1", 1)], "a@example.com"))
        .await;
    let woo = env
        .woo
        .place_order(spec(&[("CX-1", 1)], "b@example.com"))
        .await;
    let wm = others
        .walmart
        .place_order(spec(&[("CX-1", 1), ("CX-2", 2)], "c@example.com"))
        .await;
    let bc = others
        .bigcommerce
        .place_order(spec(&[("CX-2", 1)], "d@example.com"))
        .await;
    let eb = others
        .ebay
        .place_order(spec(&[("CX-1", 2)], "e@example.com"))
        .await;
    let shipped = env
        .shopify
        .place_order(spec(&[("CX-2", 1)], "f@example.com"))
        .await;
    let ids = [
        ("shop", shop.clone()),
        ("woo", woo.clone()),
        ("wm", wm.clone()),
        ("bc", bc.clone()),
        ("ebay", eb.clone()),
        ("shop", shipped.clone()),
    ];
    routed(&env, &ids).await;

    // Two cancellations while the daemon runs, killed at once after them: the calls are in
    // flight, done, or not started when the process dies.
    env.ok(&[
        "orders",
        "cancel",
        &format!("shop:{shop}"),
        "--reason",
        "out_of_stock",
    ]);
    env.ok(&[
        "orders",
        "cancel",
        &format!("wm:{wm}"),
        "--reason",
        "out-of-stock",
        "--line",
        "2",
        "--qty",
        "2",
    ]);
    daemon.kill();
    // Three more while it is down: committed, not sent.
    env.ok(&[
        "orders",
        "cancel",
        &format!("woo:{woo}"),
        "--reason",
        "customer_request",
    ]);
    env.ok(&[
        "orders",
        "cancel",
        &format!("bc:{bc}"),
        "--reason",
        "pricing_error",
    ]);
    env.ok(&[
        "orders",
        "cancel",
        &format!("ebay:{eb}"),
        "--reason",
        "out_of_stock",
    ]);
    // Refused: units shipped.
    env.ok(&[
        "ship",
        &format!("shop:{shipped}"),
        "--carrier",
        "UPS",
        "--tracking",
        "1ZSHIPPED",
    ]);
    let refused = env.cli(&[
        "orders",
        "cancel",
        &format!("shop:{shipped}"),
        "--reason",
        "fraud",
    ]);
    assert!(!refused.status.success());
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(why.contains("already shipped"), "{why}");
    // Walmart has no "other".
    let bad = env.cli(&["orders", "cancel", &format!("wm:{wm}"), "--reason", "other"]);
    assert!(!bad.status.success());

    let daemon = env.start_daemon().await;
    eventually(
        &env,
        Duration::from_secs(60),
        "every cancellation done",
        || {
            let out = env.ok(&["orders", "cancellations", "--json"]);
            let rows: Vec<serde_json::Value> = out
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            rows.len() == 5 && rows.iter().all(|r| r["state"] == "done")
        },
    )
    .await;
    // Kill once more and restart: nothing is sent again.
    daemon.kill();
    let _daemon = env.start_daemon().await;
    tokio::time::sleep(Duration::from_secs(2)).await;

    assert_eq!(
        env.shopify.seller_cancellations(&shop),
        vec!["INVENTORY".to_string()]
    );
    assert!(env.shopify.seller_cancellations(&shipped).is_empty());
    assert_eq!(env.woo.order_status(&woo).as_deref(), Some("cancelled"));
    let notes: Vec<_> = env
        .woo
        .notes(&woo)
        .into_iter()
        .filter(|(n, _)| n.contains("Cancelled by the seller: customer request"))
        .collect();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(
        others.walmart.seller_cancellations(&wm),
        vec![("2".to_string(), 2, "SELLER_CANCEL_OUT_OF_STOCK".to_string())]
    );
    assert_eq!(others.bigcommerce.status_changes(&bc), vec![(11, 5)]);
    assert!(
        others
            .bigcommerce
            .staff_notes(&bc)
            .unwrap()
            .contains("pricing error")
    );
    let ebay = others.ebay.seller_cancellations(&eb);
    assert_eq!(ebay.len(), 1, "{ebay:?}");
    assert_eq!(ebay[0].1, "OUT_OF_STOCK_OR_CANNOT_FULFILL");
    // Walmart's order keeps line 1 to ship; the others are closed.
    assert_eq!(env.fulfil_state(&wm).as_deref(), Some("routed"));
    assert_eq!(env.fulfil_state(&shop).as_deref(), Some("closed"));
    let audit = env.cli(&["stock", "audit"]);
    assert!(
        audit.status.success(),
        "{}{}",
        String::from_utf8_lossy(&audit.stdout),
        String::from_utf8_lossy(&audit.stderr)
    );
    let dl = env.ok(&["dead-letters", "list"]);
    assert!(dl.contains("no dead letters"), "{dl}");
}

mod sqlite {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_cancellation_reaches_each_channel_once_across_a_sigkill() {
        super::a_cancellation_reaches_each_channel_once_across_a_sigkill(
            switchyard_store::Engine::Sqlite,
        )
        .await
    }
}

mod postgres {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_cancellation_reaches_each_channel_once_across_a_sigkill() {
        super::a_cancellation_reaches_each_channel_once_across_a_sigkill(
            switchyard_store::Engine::Postgres,
        )
        .await
    }
}
