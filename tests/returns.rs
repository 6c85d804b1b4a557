//! Returns and refunds end to end (Shopify, WooCommerce, and eBay, BigCommerce and Walmart
//! added to the harness's configuration): shipped orders come back (`switchyard return … --restock
//! --refund`), the daemon writes each refund to the channel, is SIGKILLed while refunds are in
//! flight and restarted, and every channel's own record of the order holds exactly one refund
//! of the returned line's amount. The returns list shows each RMA refunded, restocked units are
//! back on hand, and the auditor finds nothing wrong. A return opened on the Shopify
//! simulator arrives as an expected RMA (once, across a restart) and is refunded once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Env, eventually, eventually_explained};
use switchyard_sim::{OrderSpec, SimulatedChannel, WebhookFate};

/// Channels whose refunds go through their API (README, "Returns and refunds per channel").
const CHANNELS: [&str; 5] = ["shop", "woo", "ebay", "bc", "wm"];
const ORDERS_PER_CHANNEL: usize = 6;

/// The harness's Shopify and WooCommerce, and an eBay added to its configuration.
struct Sims {
    shop: Arc<dyn SimulatedChannel>,
    woo: Arc<dyn SimulatedChannel>,
    ebay: Arc<dyn SimulatedChannel>,
    bc: Arc<dyn SimulatedChannel>,
    wm: Arc<dyn SimulatedChannel>,
}

impl Sims {
    fn of(&self, channel: &str) -> Arc<dyn SimulatedChannel> {
        match channel {
            "shop" => self.shop.clone(),
            "woo" => self.woo.clone(),
            "ebay" => self.ebay.clone(),
            "bc" => self.bc.clone(),
            _ => self.wm.clone(),
        }
    }
}

/// Starts eBay, BigCommerce and Walmart simulators with `skus` at 12.50 and adds them to the
/// configuration as `ebay`, `bc` and `wm` (orders arrive by polling every second).
async fn with_ebay(env: &Env, skus: &[&str]) -> Sims {
    use switchyard_sim::ebay::{EbaySim, EbaySimConfig};
    let cfg = EbaySimConfig::default();
    let ebay = EbaySim::start(cfg.clone()).await.expect("ebay sim");
    for sku in skus {
        ebay.add_product(sku, &format!("Item {sku}"), "12.50", 0);
    }
    let bc_cfg = switchyard_sim::bigcommerce::BigCommerceSimConfig::default();
    let bc = switchyard_sim::bigcommerce::start(bc_cfg.clone())
        .await
        .expect("bigcommerce sim");
    for sku in skus {
        bc.add_product(sku, &format!("Item {sku}"), "12.50", 0);
    }
    let wm_cfg = switchyard_sim::walmart::WalmartSimConfig::default();
    let wm = switchyard_sim::walmart::WalmartSim::start(wm_cfg.clone())
        .await
        .expect("walmart sim");
    for sku in skus {
        wm.add_product(sku, &format!("Item {sku}"), "12.50", 0);
    }
    let text = std::fs::read_to_string(&env.config).expect("config");
    let channel = format!(
        "  - id: ebay\n    kind: ebay\n    base_url: \"{base}\"\n    client_id: \"{id}\"\n    client_secret: \"{secret}\"\n    refresh_token: \"{refresh}\"\n    token_url: \"{token_url}\"\n    poll_interval_secs: 1\n    poll_overlap_secs: 5\n    drift_interval_secs: 0\n  - id: bc\n    kind: bigcommerce\n    base_url: \"{bc_base}\"\n    store_hash: \"{hash}\"\n    access_token: \"{bc_token}\"\n    webhook_secret: \"{bc_secret}\"\n    location_id: \"{bc_location}\"\n    poll_interval_secs: 1\n    poll_overlap_secs: 5\n    drift_interval_secs: 0\n  - id: wm\n    kind: walmart\n    base_url: \"{wm_base}\"\n    client_id: \"{wm_id}\"\n    client_secret: \"{wm_secret}\"\n    poll_interval_secs: 1\n    poll_overlap_secs: 5\n    drift_interval_secs: 0\naudit_interval_secs: 1\n",
        wm_base = wm.base_url(),
        wm_id = wm_cfg.client_id,
        wm_secret = wm_cfg.client_secret,
        bc_base = bc.base_url(),
        hash = bc_cfg.store_hash,
        bc_token = bc_cfg.access_token,
        bc_secret = bc_cfg.client_secret,
        bc_location = bc_cfg.location_id,
        base = ebay.base_url(),
        id = cfg.client_id,
        secret = cfg.client_secret,
        refresh = cfg.refresh_token,
        token_url = ebay.token_url(),
    );
    std::fs::write(
        &env.config,
        text.replacen("audit_interval_secs: 1\n", &channel, 1),
    )
    .expect("write config");
    Sims {
        shop: env.shopify.clone(),
        woo: env.woo.clone(),
        ebay,
        bc,
        wm,
    }
}

/// The channel's id of the order's first line, as Switchyard stored it.
fn first_line(env: &Env, channel: &str, id: &str) -> String {
    let out = env.ok(&["orders", "show", &format!("{channel}:{id}"), "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("orders show --json");
    v["order"]["lines"][0]["line_id"]
        .as_str()
        .expect("a line id")
        .to_string()
}

async fn a_refund_reaches_each_channel_exactly_once_across_a_sigkill(
    engine: switchyard_store::Engine,
) {
    let env = Env::on(engine, &[("RT-1", 50), ("RT-2", 50)], 0).await;
    let sims = with_ebay(&env, &["RT-1", "RT-2"]).await;
    let daemon = env.start_daemon().await;
    let mut placed: Vec<(&str, String)> = Vec::new();
    for channel in CHANNELS {
        for i in 0..ORDERS_PER_CHANNEL {
            let id = sims
                .of(channel)
                .place_order(OrderSpec {
                    lines: vec![("RT-1".into(), 2), ("RT-2".into(), 1)],
                    paid: true,
                    email: format!("rt{i}@example.com"),
                    fate: WebhookFate::Deliver,
                })
                .await;
            placed.push((channel, id));
        }
    }
    eventually(&env, Duration::from_secs(60), "orders routed", || {
        let orders = env.orders();
        placed.iter().all(|(c, id)| {
            orders
                .iter()
                .any(|o| o.0 == *c && o.1 == *id && o.3 == "routed")
        })
    })
    .await;
    for (channel, id) in &placed {
        env.ok(&[
            "ship",
            &format!("{channel}:{id}"),
            "--carrier",
            "UPS",
            "--tracking",
            &format!("1ZRT{id}"),
        ]);
    }
    eventually(
        &env,
        Duration::from_secs(60),
        "tracking written back",
        || {
            placed
                .iter()
                .all(|(c, id)| !sims.of(c).shipments(id).is_empty())
        },
    )
    .await;
    let on_hand_before = stock_on_hand(&env, "RT-1");

    // Half the returns while the daemon runs, then a kill with refunds in flight.
    let mut lines = Vec::new();
    for (channel, id) in &placed {
        lines.push(first_line(&env, channel, id));
    }
    let half = placed.len() / 2;
    for ((channel, id), line) in placed.iter().zip(&lines).take(half) {
        let out = env.ok(&[
            "return",
            &format!("{channel}:{id}"),
            "--line",
            line,
            "--qty",
            "1",
            "--restock",
            "--refund",
        ]);
        assert!(out.contains("refund of"), "{out}");
    }
    daemon.kill();
    // The rest while it is down: only the outbox carries them.
    for ((channel, id), line) in placed.iter().zip(&lines).skip(half) {
        env.ok(&[
            "return",
            &format!("{channel}:{id}"),
            "--line",
            line,
            "--qty",
            "1",
            "--restock",
            "--refund",
        ]);
    }
    let daemon = env.start_daemon().await;
    eventually_explained(
        &env,
        Duration::from_secs(60),
        "every refund written back",
        || {
            let listed = env.ok(&["returns", "list", "--state", "refunded", "--json"]);
            let n = listed.lines().count();
            if n == placed.len() {
                Ok(())
            } else {
                Err(format!("{n} of {} refunded", placed.len()))
            }
        },
    )
    .await;
    // A second kill and restart must not refund anything again.
    daemon.kill();
    let _daemon = env.start_daemon().await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    for (channel, id) in &placed {
        let refunds = sims.of(channel).refunds(id);
        assert_eq!(
            refunds.len(),
            1,
            "order {channel}:{id} refunded {} times: {refunds:?}",
            refunds.len()
        );
        assert_eq!(
            refunds[0].amount, "12.50",
            "one unit of RT-1 at the catalog price"
        );
        assert!(refunds[0].note.contains("refund:"), "{:?}", refunds[0]);
    }
    let listed = env.ok(&["returns", "list", "--json"]);
    for row in listed.lines() {
        let v: serde_json::Value = serde_json::from_str(row).unwrap();
        assert_eq!(v["state"], "refunded", "{v}");
        assert_eq!(v["disposition"], "restock", "{v}");
        assert!(v["refund_id"].is_string(), "{v}");
    }
    assert_eq!(
        stock_on_hand(&env, "RT-1"),
        on_hand_before + placed.len() as i64,
        "one unit back on hand per return"
    );
    // Over-refunding is refused before anything is queued: the unit already came back.
    let (channel, id) = &placed[0];
    let out = env.cli(&[
        "return",
        &format!("{channel}:{id}"),
        "--line",
        &lines[0],
        "--qty",
        "5",
        "--dispose",
        "--refund",
    ]);
    assert!(!out.status.success());
    let dl = String::from_utf8_lossy(&env.cli(&["dead-letters", "list"]).stdout).to_string();
    assert!(dl.contains("no dead letters"), "{dl}");
    let audit = env.cli(&["stock", "audit"]);
    assert!(
        audit.status.success(),
        "{}{}",
        String::from_utf8_lossy(&audit.stdout),
        String::from_utf8_lossy(&audit.stderr)
    );
    let actions = env.ok(&["orders", "actions"]);
    assert!(actions.contains("return"), "{actions}");
}

/// A return opened on the shop (Shopify reports returns as `Order.returns`) arrives as an
/// expected RMA, once even across a restart; receiving it with `--refund` refunds it once.
async fn a_return_opened_on_the_shop_arrives_as_an_expected_rma(engine: switchyard_store::Engine) {
    let env = Env::on(engine, &[("RT-1", 50), ("RT-2", 50)], 0).await;
    let daemon = env.start_daemon().await;
    let id = env
        .shopify
        .place_order(OrderSpec {
            lines: vec![("RT-1".into(), 2), ("RT-2".into(), 1)],
            paid: true,
            email: "reported@example.com".into(),
            fate: WebhookFate::Deliver,
        })
        .await;
    eventually(&env, Duration::from_secs(60), "order routed", || {
        env.orders()
            .iter()
            .any(|o| o.0 == "shop" && o.1 == id && o.3 == "routed")
    })
    .await;
    env.ok(&[
        "ship",
        &format!("shop:{id}"),
        "--carrier",
        "UPS",
        "--tracking",
        &format!("1ZRR{id}"),
    ]);
    eventually(
        &env,
        Duration::from_secs(60),
        "tracking written back",
        || !env.shopify.shipments(&id).is_empty(),
    )
    .await;
    let line = first_line(&env, "shop", &id);
    let return_id = env
        .shopify
        .open_return(&id, &[(line.clone(), 2)])
        .await
        .expect("the shop opens a return of shipped units");
    let expected = |env: &Env| -> Vec<serde_json::Value> {
        env.ok(&["returns", "list", "--state", "expected", "--json"])
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|v| v["external_id"] == return_id.as_str())
            .collect()
    };
    eventually(
        &env,
        Duration::from_secs(60),
        "the return is expected",
        || !expected(&env).is_empty(),
    )
    .await;
    // A restart re-reads the channel's returns: nothing is created twice.
    daemon.kill();
    let _daemon = env.start_daemon().await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rows = expected(&env);
    assert_eq!(rows.len(), 1, "{rows:?}");
    let rma = &rows[0];
    assert_eq!(rma["channel_id"], "shop", "{rma}");
    assert_eq!(rma["order_external_id"], id.as_str(), "{rma}");
    assert_eq!(rma["lines"][0]["line_id"], line.as_str(), "{rma}");
    assert_eq!(rma["lines"][0]["quantity"], 2, "{rma}");
    let rma_id = rma["id"].as_i64().unwrap().to_string();
    env.ok(&["returns", "receive", &rma_id, "--restock", "--refund"]);
    eventually(
        &env,
        Duration::from_secs(60),
        "the refund is on the shop",
        || !env.shopify.refunds(&id).is_empty(),
    )
    .await;
    let refunds = env.shopify.refunds(&id);
    assert_eq!(refunds.len(), 1, "{refunds:?}");
    assert_eq!(refunds[0].amount, "25.00", "two units of RT-1");
    assert_eq!(refunds[0].lines, vec![(line, 2)]);
}

/// A buyer's return request on eBay (the Post-Order return search) arrives as one expected
/// RMA on the order's line, once even across a restart.
async fn an_ebay_return_request_arrives_as_an_expected_rma(engine: switchyard_store::Engine) {
    let env = Env::on(engine, &[("RT-1", 50)], 0).await;
    let sims = with_ebay(&env, &["RT-1"]).await;
    let daemon = env.start_daemon().await;
    let id = sims
        .ebay
        .place_order(OrderSpec {
            lines: vec![("RT-1".into(), 2)],
            paid: true,
            email: "ebay-return@example.com".into(),
            fate: WebhookFate::Deliver,
        })
        .await;
    eventually(&env, Duration::from_secs(60), "order routed", || {
        env.orders()
            .iter()
            .any(|o| o.0 == "ebay" && o.1 == id && o.3 == "routed")
    })
    .await;
    env.ok(&[
        "ship",
        &format!("ebay:{id}"),
        "--carrier",
        "UPS",
        "--tracking",
        &format!("1ZER{id}"),
    ]);
    eventually(
        &env,
        Duration::from_secs(60),
        "tracking written back",
        || !sims.ebay.shipments(&id).is_empty(),
    )
    .await;
    let line = first_line(&env, "ebay", &id);
    let return_id = sims
        .ebay
        .open_return(&id, &[(line.clone(), 1)])
        .await
        .expect("the buyer asks to return a shipped unit");
    let expected = |env: &Env| -> Vec<serde_json::Value> {
        env.ok(&["returns", "list", "--state", "expected", "--json"])
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|v| v["external_id"] == return_id.as_str())
            .collect()
    };
    eventually(
        &env,
        Duration::from_secs(60),
        "the return is expected",
        || !expected(&env).is_empty(),
    )
    .await;
    daemon.kill();
    let _daemon = env.start_daemon().await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rows = expected(&env);
    assert_eq!(rows.len(), 1, "{rows:?}");
    let rma = &rows[0];
    assert_eq!(rma["channel_id"], "ebay", "{rma}");
    assert_eq!(rma["order_external_id"], id.as_str(), "{rma}");
    assert_eq!(rma["lines"][0]["line_id"], line.as_str(), "{rma}");
    assert_eq!(rma["lines"][0]["quantity"], 1, "{rma}");
}

/// On-hand of a SKU over every location, from `stock show`.
fn stock_on_hand(env: &Env, sku: &str) -> i64 {
    let out = env.ok(&["stock", "show", sku]);
    out.lines()
        .skip(1)
        .filter_map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            (c.len() >= 5 && c[0] == sku).then(|| c[2].parse::<i64>().ok())?
        })
        .sum()
}

mod sqlite {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_return_opened_on_the_shop_arrives_as_an_expected_rma() {
        super::a_return_opened_on_the_shop_arrives_as_an_expected_rma(
            switchyard_store::Engine::Sqlite,
        )
        .await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_ebay_return_request_arrives_as_an_expected_rma() {
        super::an_ebay_return_request_arrives_as_an_expected_rma(switchyard_store::Engine::Sqlite)
            .await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_refund_reaches_each_channel_exactly_once_across_a_sigkill() {
        super::a_refund_reaches_each_channel_exactly_once_across_a_sigkill(
            switchyard_store::Engine::Sqlite,
        )
        .await
    }
}

mod postgres {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_return_opened_on_the_shop_arrives_as_an_expected_rma() {
        super::a_return_opened_on_the_shop_arrives_as_an_expected_rma(
            switchyard_store::Engine::Postgres,
        )
        .await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_ebay_return_request_arrives_as_an_expected_rma() {
        super::an_ebay_return_request_arrives_as_an_expected_rma(switchyard_store::Engine::Postgres)
            .await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_refund_reaches_each_channel_exactly_once_across_a_sigkill() {
        super::a_refund_reaches_each_channel_exactly_once_across_a_sigkill(
            switchyard_store::Engine::Postgres,
        )
        .await
    }
}
