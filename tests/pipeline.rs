//! End-to-end: the real binary against both channel simulators over loopback HTTP, each test
//! once with the store on SQLite and once on PostgreSQL (`SWITCHYARD_TEST_POSTGRES_URL`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

mod common;

use std::time::Duration;

use base64::Engine;
use common::{Env, eventually};
use hmac::{Hmac, Mac};
use switchyard_sim::{OrderSpec, SimulatedChannel, WebhookFate};
use switchyard_store::Engine as StoreEngine;

const WAIT: Duration = Duration::from_secs(20);

fn order(lines: &[(&str, u32)], fate: WebhookFate) -> OrderSpec {
    OrderSpec {
        lines: lines.iter().map(|(s, q)| (s.to_string(), *q)).collect(),
        paid: true,
        email: "buyer@example.com".into(),
        fate,
    }
}

async fn started(engine: StoreEngine, skus: &[(&str, i64)]) -> (Env, common::Daemon) {
    let env = Env::on(engine, skus, 0).await;
    let daemon = env.start_daemon().await;
    // The first push brings both channels to the warehouse's counts.
    eventually(&env, WAIT, "initial levels on both channels", || {
        skus.iter()
            .all(|(s, q)| env.shopify.stock(s) == Some(*q) && env.woo.stock(s) == Some(*q))
    })
    .await;
    (env, daemon)
}

async fn a_sale_on_one_channel_lowers_the_level_on_both_and_a_cancel_restores_it(
    engine: StoreEngine,
) {
    let (env, _d) = started(engine, &[("MUG", 10), ("CAP", 5)]).await;
    let id = env
        .shopify
        .place_order(order(&[("MUG", 3)], WebhookFate::Deliver))
        .await;
    eventually(&env, WAIT, "shopify sale reaches woocommerce", || {
        env.woo.stock("MUG") == Some(7) && env.shopify.stock("MUG") == Some(7)
    })
    .await;
    assert_eq!(
        env.woo.stock("CAP"),
        Some(5),
        "an unrelated SKU must not move"
    );

    let woo_id = env
        .woo
        .place_order(order(&[("CAP", 2)], WebhookFate::Deliver))
        .await;
    eventually(&env, WAIT, "woocommerce sale reaches shopify", || {
        env.shopify.stock("CAP") == Some(3)
    })
    .await;

    env.shopify.cancel_order(&id, WebhookFate::Deliver).await;
    env.woo.cancel_order(&woo_id, WebhookFate::Deliver).await;
    eventually(&env, WAIT, "cancellations restore both levels", || {
        env.woo.stock("MUG") == Some(10)
            && env.shopify.stock("MUG") == Some(10)
            && env.shopify.stock("CAP") == Some(5)
    })
    .await;
    let orders = env.orders();
    assert_eq!(orders.len(), 2, "{orders:?}");
    assert!(orders.iter().all(|o| o.2 == "cancelled"), "{orders:?}");
}

async fn a_lost_webhook_is_found_by_polling_and_a_duplicate_is_ignored(engine: StoreEngine) {
    let (env, _d) = started(engine, &[("MUG", 10)]).await;
    let lost_shop = env
        .shopify
        .place_order(order(&[("MUG", 1)], WebhookFate::Lose))
        .await;
    let lost_woo = env
        .woo
        .place_order(order(&[("MUG", 1)], WebhookFate::Lose))
        .await;
    let dup = env
        .shopify
        .place_order(order(&[("MUG", 2)], WebhookFate::Duplicate))
        .await;
    eventually(&env, WAIT, "all three orders stored", || {
        env.orders().len() == 3
    })
    .await;
    let orders = env.orders();
    for id in [&lost_shop, &lost_woo, &dup] {
        assert_eq!(
            orders.iter().filter(|o| &o.1 == id).count(),
            1,
            "{id} once: {orders:?}"
        );
    }
    eventually(&env, WAIT, "level counts each order once", || {
        env.shopify.stock("MUG") == Some(6) && env.woo.stock("MUG") == Some(6)
    })
    .await;
}

async fn refused_webhooks_store_nothing(engine: StoreEngine) {
    let (env, _d) = started(engine, &[("MUG", 10)]).await;
    let client = reqwest::Client::new();
    let url = env.webhook_url("shop");
    let body = br#"{"id": 1, "updated_at": "2026-01-01T00:00:00Z"}"#.to_vec();

    let bad = client
        .post(&url)
        .header("X-Shopify-Topic", "orders/create")
        .header("X-Shopify-Hmac-Sha256", "bm90IGEgc2lnbmF0dXJl")
        .header("X-Shopify-Webhook-Id", "w-1")
        .body(body.clone())
        .send()
        .await
        .expect("post");
    assert_eq!(bad.status(), 401);

    let unsigned = client
        .post(&url)
        .header("X-Shopify-Topic", "orders/create")
        .body(body)
        .send()
        .await
        .expect("post");
    assert_eq!(unsigned.status(), 401);

    let sign = |body: &[u8]| {
        let mut mac =
            Hmac::<sha2::Sha256>::new_from_slice(env.shopify_cfg.client_secret.as_bytes())
                .expect("hmac key");
        mac.update(body);
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    };
    let garbage = b"this is not json".to_vec();
    let unreadable = client
        .post(&url)
        .header("X-Shopify-Topic", "orders/create")
        .header("X-Shopify-Hmac-Sha256", sign(&garbage))
        .body(garbage)
        .send()
        .await
        .expect("post");
    assert_eq!(unreadable.status(), 400);

    let huge = vec![b' '; 300 * 1024];
    let too_big = client
        .post(&url)
        .header("X-Shopify-Topic", "orders/create")
        .header("X-Shopify-Hmac-Sha256", sign(&huge))
        .body(huge)
        .send()
        .await
        .expect("post");
    assert_eq!(too_big.status(), 413);

    let unknown = client
        .post(env.webhook_url("nope"))
        .body("{}")
        .send()
        .await
        .expect("post");
    assert_eq!(unknown.status(), 404);

    // Give the pipeline time to (wrongly) act on anything, then prove it did not.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(env.orders().is_empty());
    let q = env.cli(&["quarantine", "list"]);
    assert!(String::from_utf8_lossy(&q.stdout).contains("nothing quarantined"));
    assert_eq!(env.shopify.stock("MUG"), Some(10));
}

async fn a_signed_but_unreadable_order_is_quarantined_not_dropped(engine: StoreEngine) {
    let (env, _d) = started(engine, &[("MUG", 10)]).await;
    let body =
        br#"{"id": 77, "updated_at": "2026-01-01T00:00:00Z", "line_items": "nope"}"#.to_vec();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(env.shopify_cfg.client_secret.as_bytes())
        .expect("hmac key");
    mac.update(&body);
    let sig = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    let r = reqwest::Client::new()
        .post(env.webhook_url("shop"))
        .header("X-Shopify-Topic", "orders/create")
        .header("Shopify-Hmac-Sha256", sig)
        .header("Shopify-Webhook-Id", "w-77")
        .body(body)
        .send()
        .await
        .expect("post");
    assert_eq!(
        r.status(),
        200,
        "a signed delivery is accepted, then judged"
    );
    eventually(&env, WAIT, "payload quarantined", || {
        let out = env.cli(&["quarantine", "list"]);
        String::from_utf8_lossy(&out.stdout).contains("77")
    })
    .await;
    let out = String::from_utf8_lossy(&env.cli(&["quarantine", "list"]).stdout).to_string();
    assert!(out.contains("shop"), "{out}");
    assert!(env.orders().is_empty());
}

async fn shipping_writes_tracking_back_and_lowers_on_hand(engine: StoreEngine) {
    let (env, _d) = started(engine, &[("MUG", 10)]).await;
    let shop_id = env
        .shopify
        .place_order(order(&[("MUG", 2)], WebhookFate::Deliver))
        .await;
    let woo_id = env
        .woo
        .place_order(order(&[("MUG", 1)], WebhookFate::Deliver))
        .await;
    eventually(&env, WAIT, "both orders routed", || {
        let o = env.orders();
        o.len() == 2 && o.iter().all(|o| o.3 == "routed")
    })
    .await;
    let picks = env.cli(&["picks", "list", "--csv"]);
    let csv = String::from_utf8_lossy(&picks.stdout).to_string();
    assert!(csv.starts_with("order_id,channel,"), "{csv}");
    assert_eq!(
        csv.lines().filter(|l| l.contains(",MUG,")).count(),
        2,
        "{csv}"
    );

    for (ch, id, tracking) in [("shop", &shop_id, "1ZSHOP"), ("woo", &woo_id, "1ZWOO")] {
        let out = env.cli(&[
            "ship",
            &format!("{ch}:{id}"),
            "--carrier",
            "UPS",
            "--tracking",
            tracking,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    eventually(&env, WAIT, "tracking on both channels", || {
        env.shopify.shipments(&shop_id).len() == 1 && env.woo.shipments(&woo_id).len() == 1
    })
    .await;
    assert_eq!(env.shopify.shipments(&shop_id)[0].tracking_number, "1ZSHOP");
    assert_eq!(env.woo.shipments(&woo_id)[0].tracking_number, "1ZWOO");

    // Shipping again with the same parcel changes nothing and writes nothing twice.
    let again = env.cli(&[
        "ship",
        &format!("shop:{shop_id}"),
        "--carrier",
        "UPS",
        "--tracking",
        "1ZSHOP",
    ]);
    assert!(again.status.success());
    let stock = String::from_utf8_lossy(&env.cli(&["stock", "show", "MUG"]).stdout).to_string();
    assert!(
        stock.contains("MUG\tmain\t7\t0\t7"),
        "on-hand lowered by what shipped: {stock}"
    );
    eventually(&env, WAIT, "levels after shipping", || {
        env.shopify.stock("MUG") == Some(7) && env.woo.stock("MUG") == Some(7)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(env.shopify.shipments(&shop_id).len(), 1);
    assert_eq!(env.woo.shipments(&woo_id).len(), 1);

    let show = env.cli(&["orders", "show", &format!("shop:{shop_id}")]);
    let text = String::from_utf8_lossy(&show.stdout).to_string();
    assert!(
        text.contains("default:own_warehouse") && text.contains("1ZSHOP"),
        "{text}"
    );
}

async fn sigterm_stops_the_daemon_cleanly(engine: StoreEngine) {
    let (env, daemon) = started(engine, &[("MUG", 1)]).await;
    let status = daemon.terminate();
    assert!(
        status.success(),
        "exit status {status:?}; log:\n{}",
        env.log()
    );
}

/// eBay's endpoint validation: `GET /webhooks/{channel}?challenge_code=…` answers
/// `{"challengeResponse": hex(SHA-256(challengeCode + verificationToken + endpoint))}`, the
/// hash computed here with `sha2` straight from eBay's published description.
async fn the_ebay_endpoint_challenge_is_answered(engine: StoreEngine) {
    use sha2::{Digest, Sha256};
    use switchyard_sim::ebay::{EbaySim, EbaySimConfig};

    let env = Env::on(engine, &[("MUG", 1)], 0).await;
    let ebay_cfg = EbaySimConfig::default();
    let ebay = EbaySim::start(ebay_cfg.clone()).await.expect("ebay sim");
    let token = "switchyard_verification_token_0123456789";
    let endpoint = "https://hooks.example.com/webhooks/ebay";
    let text = std::fs::read_to_string(&env.config).expect("config");
    let channel = format!(
        "  - id: ebay\n    kind: ebay\n    base_url: \"{base}\"\n    client_id: \"{id}\"\n    client_secret: \"{secret}\"\n    refresh_token: \"{refresh}\"\n    token_url: \"{token_url}\"\n    webhook_secret: \"{token}\"\n    endpoint_url: \"{endpoint}\"\n    drift_interval_secs: 0\naudit_interval_secs: 1\n",
        base = ebay.base_url(),
        id = ebay_cfg.client_id,
        secret = ebay_cfg.client_secret,
        refresh = ebay_cfg.refresh_token,
        token_url = ebay.token_url(),
    );
    std::fs::write(
        &env.config,
        text.replacen("audit_interval_secs: 1\n", &channel, 1),
    )
    .expect("write config");
    let _daemon = env.start_daemon().await;

    let code = "a8628072-3d33-45ee-9004-bee86830a22d";
    let answer: serde_json::Value =
        reqwest::get(format!("{}?challenge_code={code}", env.webhook_url("ebay")))
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
    let expected = hex_of(&Sha256::digest(
        format!("{code}{token}{endpoint}").as_bytes(),
    ));
    assert_eq!(answer, serde_json::json!({ "challengeResponse": expected }));

    // Other channels have no such check.
    let shop = reqwest::get(format!("{}?challenge_code={code}", env.webhook_url("shop")))
        .await
        .expect("get");
    assert_eq!(shop.status(), 404);
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Each test once per store engine: `sqlite::NAME` and `postgres::NAME`.
macro_rules! on_both_engines {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::StoreEngine::Sqlite).await
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::StoreEngine::Postgres).await
                }
            )+
        }
    };
}

on_both_engines!(
    a_sale_on_one_channel_lowers_the_level_on_both_and_a_cancel_restores_it,
    a_lost_webhook_is_found_by_polling_and_a_duplicate_is_ignored,
    refused_webhooks_store_nothing,
    a_signed_but_unreadable_order_is_quarantined_not_dropped,
    shipping_writes_tracking_back_and_lowers_on_hand,
    sigterm_stops_the_daemon_cleanly,
    the_ebay_endpoint_challenge_is_answered,
);
