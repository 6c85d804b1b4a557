//! The Etsy connector against the Etsy simulator, over real HTTP on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::DateTime;
use serde_json::{Value, json};
use switchyard_connectors::channels::etsy::EtsyChannel;
use switchyard_core::config::{ChannelConfig, RateLimitConfig};
use switchyard_core::connector_state::{ConnectorState, MemoryState};
use switchyard_core::model::{ChannelKind, OrderStatus, PaymentStatus, Shipment, ShippedLine};
use switchyard_core::ports::{
    Channel, ChannelError, Delivery, ListingLevel, PollCursor, WebhookRequest,
};
use switchyard_core::store::SqliteStore;
use switchyard_sim::etsy::{EtsySim, EtsySimConfig};
use switchyard_sim::{OrderSpec, SimulatedChannel, WebhookFate};

fn channel_config(sim: &EtsySim) -> ChannelConfig {
    let cfg = sim.config();
    ChannelConfig {
        client_id: Some(cfg.keystring.clone()),
        client_secret: cfg.shared_secret.clone(),
        refresh_token: Some(cfg.refresh_token.clone()),
        token_url: Some(sim.token_url()),
        shop_id: Some(cfg.shop_id.to_string()),
        webhook_secret: Some("whsec_c2VjcmV0".into()),
        ..ChannelConfig::new("etsy", ChannelKind::Etsy, sim.base_url())
    }
}

/// A fast connector, for tests that are not about pacing.
fn unpaced(sim: &EtsySim) -> ChannelConfig {
    ChannelConfig {
        rate_limit: Some(RateLimitConfig {
            per_second: 1000.0,
            burst: 1000,
        }),
        ..channel_config(sim)
    }
}

async fn setup(cfg: EtsySimConfig) -> (Arc<EtsySim>, EtsyChannel) {
    let sim = EtsySim::start(EtsySimConfig {
        per_second: 100_000,
        per_day: 1_000_000,
        ..cfg
    })
    .await
    .expect("sim starts");
    let channel = EtsyChannel::new(&unpaced(&sim), memory()).expect("channel builds");
    (sim, channel)
}

fn order(sku: &str, paid: bool) -> OrderSpec {
    OrderSpec {
        lines: vec![(sku.into(), 2)],
        paid,
        email: "shopper@example.com".into(),
        fate: WebhookFate::Lose,
    }
}

fn an_hour_ago() -> PollCursor {
    PollCursor {
        since: Some(chrono::Utc::now() - chrono::Duration::hours(1)),
        ..Default::default()
    }
}

#[tokio::test]
async fn receipts_arrive_by_poll_over_several_pages() {
    let (sim, channel) = setup(EtsySimConfig::default()).await;
    sim.add_product("MUG", "Stoneware mug", "12.50", 500);
    let mut placed = Vec::new();
    for i in 0..205 {
        placed.push(sim.place_order(order("MUG", i % 2 == 0)).await);
    }
    let mut cursor = an_hour_ago();
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = channel.poll_orders(&cursor).await.expect("poll");
        pages += 1;
        for raw in &page.orders {
            assert_eq!(raw.topic, "poll");
            let order = channel.normalize(raw).expect("normalizes");
            let expected_key = format!(
                "{}@{}",
                order.external_id,
                order
                    .updated_at
                    .with_timezone(&chrono::Utc)
                    .format("%Y-%m-%dT%H:%M:%SZ")
            );
            assert_eq!(raw.dedup_key, expected_key);
            assert_eq!(order.lines[0].unit_price.to_string(), "12.50");
            assert_eq!(order.lines[0].quantity, 2);
            assert_eq!(order.total.to_string(), "29.99");
            let want = if order.payment_status == PaymentStatus::Paid {
                "paid"
            } else {
                assert_eq!(order.payment_status, PaymentStatus::Pending);
                "open"
            };
            assert_eq!(
                sim.receipt_json(&order.external_id).unwrap()["status"],
                want
            );
            seen.push(order.external_id);
        }
        assert!(page.max_updated_at.is_some());
        match page.next_page {
            Some(next) => cursor.page = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    seen.sort();
    placed.sort();
    assert_eq!(seen, placed);

    // The same version fetched alone (as after a thin webhook) dedups with the polled copy.
    let fetched = channel.fetch_order(&placed[0]).await.unwrap().unwrap();
    let polled = channel.poll_orders(&an_hour_ago()).await.unwrap();
    let twin = polled
        .orders
        .iter()
        .find(|o| o.external_id.as_deref() == Some(placed[0].as_str()))
        .unwrap();
    assert_eq!(fetched.dedup_key, twin.dedup_key);
    assert_eq!(channel.fetch_order("999").await.unwrap(), None);

    // A cursor past every change finds nothing.
    let later = PollCursor {
        since: Some(chrono::Utc::now() + chrono::Duration::hours(1)),
        ..Default::default()
    };
    assert!(channel.poll_orders(&later).await.unwrap().orders.is_empty());
}

#[tokio::test]
async fn a_signed_thin_webhook_names_the_receipt_to_fetch() {
    let (sim, channel) = setup(EtsySimConfig::default()).await;
    sim.add_product("MUG", "Stoneware mug", "12.50", 5);
    let id = sim.place_order(order("MUG", true)).await;
    let body = json!({
        "event_type": "order.paid",
        "resource_url": format!("https://api.etsy.com/v3/application/shops/{}/receipts/{id}", sim.config().shop_id),
        "shop_id": sim.config().shop_id.to_string(),
    })
    .to_string();
    let ts = chrono::Utc::now().timestamp().to_string();
    let signature = switchyard_connectors::channels::etsy::webhook::signature(
        b"secret",
        "msg_1",
        &ts,
        body.as_bytes(),
    )
    .unwrap();
    let request = WebhookRequest {
        headers: vec![
            ("webhook-id".into(), "msg_1".into()),
            ("webhook-timestamp".into(), ts),
            ("webhook-signature".into(), signature),
        ],
        body: body.into_bytes(),
    };
    let Delivery::Order(thin) = channel.verify_webhook(&request).await.unwrap() else {
        panic!("expected an order");
    };
    assert_eq!(thin.format, switchyard_core::ports::THIN_FORMAT);
    assert_eq!(thin.external_id.as_deref(), Some(id.as_str()));
    let full = channel.fetch_order(&id).await.unwrap().unwrap();
    assert_eq!(channel.normalize(&full).unwrap().external_id, id);
}

/// The inventory with Etsy's ids (renumbered on every PUT) taken out.
fn without_ids(mut inventory: Value) -> Value {
    for product in inventory["products"].as_array_mut().unwrap() {
        product.as_object_mut().unwrap().remove("product_id");
        for offering in product["offerings"].as_array_mut().unwrap() {
            offering.as_object_mut().unwrap().remove("offering_id");
        }
    }
    inventory
}

#[tokio::test]
async fn stock_is_pushed_by_read_modify_write_keeping_every_other_product() {
    let (sim, channel) = setup(EtsySimConfig::default()).await;
    let tee = sim.add_variation_listing(
        "Tee",
        "Size",
        &[
            ("TEE-S", "S", "20.50", 3),
            ("TEE-M", "M", "21.99", 4),
            ("TEE-L", "L", "22.00", 5),
        ],
    );
    sim.add_product("MUG", "Stoneware mug", "12.50", 7);
    for i in 0..120 {
        sim.add_product(&format!("FILLER-{i}"), "Filler", "1.00", 1);
    }

    let skus: Vec<String> = ["TEE-M", "MUG", "NOPE"].map(String::from).to_vec();
    let mut listings = channel.discover_listings(&skus).await.expect("discover");
    listings.sort_by(|a, b| a.sku.cmp(&b.sku));
    assert_eq!(listings.len(), 2);
    assert_eq!(listings[0].sku, "MUG");
    assert_eq!(listings[0].channel_quantity, Some(7));
    assert_eq!(listings[1].sku, "TEE-M");
    assert_eq!(
        listings[1].reference,
        json!({"listing_id": tee, "product_id": sim.product_of("TEE-M").unwrap()})
    );
    assert_eq!(listings[1].channel_quantity, Some(4));

    let before = without_ids(sim.listing_inventory(tee).unwrap());
    let level = |sku: &str, reference: &Value, quantity| ListingLevel {
        sku: sku.into(),
        reference: reference.clone(),
        quantity,
        expected_current: None,
    };
    let mut batch = vec![
        level("TEE-M", &listings[1].reference, 9),
        level("MUG", &listings[0].reference, 2),
        level(
            "GONE",
            &json!({"listing_id": 4_000_000_000u64, "product_id": 1}),
            1,
        ),
        level("TEE-XL", &json!({"listing_id": tee, "product_id": 1}), 1),
    ];
    let report = channel.push_stock(&batch).await.expect("push");
    let mut applied = report.applied.clone();
    applied.sort();
    assert_eq!(applied, ["MUG", "TEE-M"]);
    let mut rejected: Vec<_> = report.rejected.iter().map(|(s, _)| s.as_str()).collect();
    rejected.sort();
    assert_eq!(rejected, ["GONE", "TEE-XL"]);

    let mut expected = before.clone();
    expected["products"][1]["offerings"][0]["quantity"] = json!(9);
    assert_eq!(without_ids(sim.listing_inventory(tee).unwrap()), expected);
    assert_eq!(sim.stock("TEE-M"), Some(9));
    assert_eq!(sim.stock("MUG"), Some(2));

    // Etsy renumbered the products; the old reference still finds TEE-M by SKU, and a
    // compare-and-set against the wrong level is reported stale.
    assert_ne!(
        sim.product_of("TEE-M").unwrap(),
        listings[1].reference["product_id"]
    );
    batch.truncate(1);
    batch[0].quantity = 1200;
    let report = channel.push_stock(&batch).await.unwrap();
    assert_eq!(report.applied, ["TEE-M"]);
    assert_eq!(sim.stock("TEE-M"), Some(999), "Etsy's cap");
    batch[0].expected_current = Some(3);
    let report = channel.push_stock(&batch).await.unwrap();
    assert_eq!(report.stale, [("TEE-M".to_string(), Some(999))]);
    assert_eq!(sim.stock("TEE-S"), Some(3));
    assert_eq!(sim.stock("TEE-L"), Some(5));
}

#[tokio::test]
async fn listings_are_read_ten_at_a_time_before_they_are_written() {
    let (sim, channel) = setup(EtsySimConfig::default()).await;
    let skus: Vec<String> = (0..20).map(|i| format!("S-{i:02}")).collect();
    for sku in &skus {
        sim.add_product(sku, "Item", "1.00", 5);
    }
    let listings = channel.discover_listings(&skus).await.expect("discover");
    assert_eq!(listings.len(), 20);
    let batch: Vec<ListingLevel> = listings
        .iter()
        .map(|l| ListingLevel {
            sku: l.sku.clone(),
            reference: l.reference.clone(),
            quantity: 1,
            expected_current: l.channel_quantity,
        })
        .collect();
    let before = sim.stats().requests;
    let report = channel.push_stock(&batch).await.expect("push");
    assert_eq!(report.applied.len(), 20, "{report:?}");
    // 20 writes and 2 group reads, where reading each listing alone took 40 requests.
    assert_eq!(sim.stats().requests - before, 22);
    for sku in &skus {
        assert_eq!(sim.stock(sku), Some(1), "{sku}");
    }
}

#[tokio::test]
async fn tracking_is_written_back_once_even_when_called_twice() {
    let (sim, channel) = setup(EtsySimConfig::default()).await;
    sim.add_product("MUG", "Stoneware mug", "12.50", 5);
    let id = sim.place_order(order("MUG", true)).await;
    let shipment = Shipment {
        order_external_id: id.clone(),
        carrier: "UPS".into(),
        tracking_number: "1Z999AA10123456784".into(),
        shipped_at: DateTime::parse_from_rfc3339("2026-05-01T09:30:00-04:00").unwrap(),
        lines: vec![ShippedLine {
            line_id: "1".into(),
            quantity: 2,
        }],
    };
    channel
        .write_back_shipment(&shipment, "ship-1")
        .await
        .expect("first");
    channel
        .write_back_shipment(&shipment, "ship-1")
        .await
        .expect("again");
    let shipments = sim.shipments(&id);
    assert_eq!(shipments.len(), 1, "{shipments:?}");
    assert_eq!(shipments[0].carrier, "ups");
    assert_eq!(shipments[0].tracking_number, "1Z999AA10123456784");
    let raw = channel.fetch_order(&id).await.unwrap().unwrap();
    assert_eq!(
        channel.normalize(&raw).unwrap().status,
        OrderStatus::Fulfilled
    );

    let missing = Shipment {
        order_external_id: "123".into(),
        ..shipment
    };
    let err = channel
        .write_back_shipment(&missing, "ship-2")
        .await
        .unwrap_err();
    assert!(matches!(err, ChannelError::Rejected(_)), "{err}");
}

#[tokio::test]
async fn the_per_second_limit_is_hit_then_waited_out() {
    let sim = EtsySim::start(EtsySimConfig {
        per_second: 3,
        ..Default::default()
    })
    .await
    .unwrap();
    sim.add_product("MUG", "Stoneware mug", "12.50", 5);
    // Deliberately faster than the shop allows: the 429s' retry-after must carry it through.
    let channel = EtsyChannel::new(&unpaced(&sim), memory()).unwrap();
    let start = Instant::now();
    for _ in 0..8 {
        channel
            .poll_orders(&PollCursor::default())
            .await
            .expect("poll succeeds after waiting");
    }
    assert!(sim.stats().throttled >= 1);
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(sim.stats().requests, 8);
}

#[tokio::test]
async fn default_pacing_stays_under_etsys_ten_a_second() {
    let sim = EtsySim::start(EtsySimConfig::default()).await.unwrap();
    let channel = EtsyChannel::new(&channel_config(&sim), memory()).unwrap();
    let start = Instant::now();
    for _ in 0..25 {
        channel.poll_orders(&PollCursor::default()).await.unwrap();
    }
    assert_eq!(sim.stats().throttled, 0);
    assert!(
        start.elapsed() >= Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn a_low_daily_budget_is_reported() {
    let sim = EtsySim::start(EtsySimConfig {
        per_day: 20,
        ..Default::default()
    })
    .await
    .unwrap();
    let channel = EtsyChannel::new(&unpaced(&sim), memory()).unwrap();
    assert_eq!(channel.daily_budget(), None);
    channel.poll_orders(&PollCursor::default()).await.unwrap();
    let budget = channel.daily_budget().unwrap();
    assert_eq!((budget.limit, budget.remaining), (20, 19));
    assert!(!budget.is_low());
    for _ in 0..18 {
        channel.poll_orders(&PollCursor::default()).await.unwrap();
    }
    let budget = channel.daily_budget().unwrap();
    assert_eq!(budget.remaining, 1);
    assert_eq!(sim.remaining_today(), 1);
    assert!(budget.is_low());
}

#[tokio::test]
async fn an_expired_token_is_refreshed_and_the_refresh_token_rotates() {
    let (sim, channel) = setup(EtsySimConfig {
        token_lifetime: Duration::from_millis(1000),
        ..Default::default()
    })
    .await;
    let seed = sim.config().refresh_token.clone();
    channel.poll_orders(&PollCursor::default()).await.unwrap();
    assert_eq!(sim.token_grants(), 1);
    // Past the lifetime: the cached token is replaced before use.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    channel.poll_orders(&PollCursor::default()).await.unwrap();
    assert_eq!(sim.token_grants(), 2);
    // Rejected by Etsy before the connector expected it: one refresh, one retry.
    sim.expire_access_tokens();
    channel.poll_orders(&PollCursor::default()).await.unwrap();
    assert_eq!(sim.token_grants(), 3);
    assert_eq!(channel.token_refreshes().await, 3);
    assert_eq!(sim.stats().requests, 3);

    // The seed was spent on the first refresh and no longer works.
    assert_ne!(sim.current_refresh_token(), seed);
    let spent = reqwest::Client::new()
        .post(sim.token_url())
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", sim.config().keystring.as_str()),
            ("refresh_token", seed.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(spent.status().as_u16(), 400);
    let body: Value = spent.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
}

/// Breaks one credential in a working configuration.
type Spoil = fn(&mut ChannelConfig);

#[tokio::test]
async fn bad_credentials_are_an_auth_error() {
    let cases: [(&str, Spoil); 4] = [
        ("invalid_grant", |c| {
            c.refresh_token = Some("5550001.stolen".into())
        }),
        ("invalid_client", |c| {
            c.client_id = Some("someoneelse".into())
        }),
        ("Invalid API key", |c| {
            c.client_secret = Some("wrong".into())
        }),
        ("Shared secret is required", |c| c.client_secret = None),
    ];
    for (want, spoil) in cases {
        // A fresh shop each time: a successful refresh spends the seed refresh token.
        let sim = EtsySim::start(EtsySimConfig::default()).await.unwrap();
        let mut config = unpaced(&sim);
        spoil(&mut config);
        let channel = EtsyChannel::new(&config, memory()).unwrap();
        let err = channel
            .poll_orders(&PollCursor::default())
            .await
            .unwrap_err();
        assert!(
            matches!(err, ChannelError::Auth(ref body) if body.contains(want)),
            "{want}: {err}"
        );
        assert_eq!(sim.stats().requests, 0);
    }
}

fn memory() -> Arc<dyn ConnectorState> {
    Arc::new(MemoryState::new())
}

/// Issue 10: Etsy spends a refresh token when it rotates it, so the newest one is stored and a
/// restarted connector (a new process on the same database) goes on from it instead of the
/// spent seed; a merchant who configures a new seed is not overruled by the stored rotation.
#[tokio::test]
async fn a_restart_continues_from_the_rotated_refresh_token_in_the_store() {
    let sim = EtsySim::start(EtsySimConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("s.db").display());
    let seed = sim.config().refresh_token.clone();
    {
        let store: Arc<dyn ConnectorState> = Arc::new(SqliteStore::open(&url).await.unwrap());
        let first = EtsyChannel::new(&unpaced(&sim), store).unwrap();
        first.poll_orders(&PollCursor::default()).await.unwrap();
        assert_ne!(sim.current_refresh_token(), seed, "the seed is spent");
    }
    sim.expire_access_tokens();

    // Without the stored token a new process would present the spent seed and be refused.
    let forgetful = EtsyChannel::new(&unpaced(&sim), memory()).unwrap();
    let refused = forgetful.poll_orders(&PollCursor::default()).await;
    assert!(matches!(refused, Err(ChannelError::Auth(_))), "{refused:?}");

    // The same database after a restart: the rotated token, not the seed.
    let store: Arc<dyn ConnectorState> = Arc::new(SqliteStore::open(&url).await.unwrap());
    let restarted = EtsyChannel::new(&unpaced(&sim), store.clone()).unwrap();
    restarted.poll_orders(&PollCursor::default()).await.unwrap();
    let stored = store
        .get(
            "etsy",
            switchyard_connectors::channels::etsy::TOKEN_STATE_KEY,
        )
        .await
        .unwrap()
        .unwrap();
    assert!(stored.contains(&sim.current_refresh_token()));
    assert!(!stored.contains(&seed), "no spent token is kept");

    // A newly configured seed (the merchant re-authorised) wins over a stored rotation of
    // the old seed: spoil the stored token, and only the old seed's connector trips on it.
    let spoiled = stored.replace(&sim.current_refresh_token(), "rt-spoiled");
    store
        .put(
            "etsy",
            switchyard_connectors::channels::etsy::TOKEN_STATE_KEY,
            &spoiled,
        )
        .await
        .unwrap();
    sim.expire_access_tokens();
    let old_seed = EtsyChannel::new(&unpaced(&sim), store.clone()).unwrap();
    assert!(matches!(
        old_seed.poll_orders(&PollCursor::default()).await,
        Err(ChannelError::Auth(_))
    ));
    let mut reauthorised = unpaced(&sim);
    reauthorised.refresh_token = Some(sim.current_refresh_token());
    let fresh = EtsyChannel::new(&reauthorised, store).unwrap();
    fresh.poll_orders(&PollCursor::default()).await.unwrap();
}

/// Etsy has no seller cancellation API: the connector refuses (the store never queues one; it
/// lists the cancellation for a person), and nothing reaches the channel.
#[tokio::test]
async fn there_is_no_seller_cancellation_api_so_a_person_does_it() {
    use switchyard_core::cancellation::{CancelReason, CancelScope, ChannelCancel, channel_terms};
    let terms = channel_terms(ChannelKind::Etsy);
    assert_eq!(terms.scope, CancelScope::Person);
    let (_sim, channel) = setup(Default::default()).await;
    let request = ChannelCancel {
        cancellation_id: 1,
        order_external_id: "1".into(),
        order_number: "1".into(),
        whole: true,
        lines: Vec::new(),
        reason: CancelReason::OutOfStock,
        reason_code: terms.code(CancelReason::OutOfStock).unwrap().into(),
    };
    let err = channel.cancel_order(&request, "k").await.unwrap_err();
    assert!(matches!(err, ChannelError::Rejected(_)), "{err}");
    assert!(
        err.to_string().contains("no seller cancellation API"),
        "{err}"
    );
}
