//! The Amazon connector against the Amazon simulator, over real HTTP on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use std::sync::Arc;
use std::time::Duration;

use chrono::DateTime;
use serde_json::json;
use switchyard_connectors::channels::amazon::AmazonChannel;
use switchyard_core::config::ChannelConfig;
use switchyard_core::model::{ChannelKind, OrderStatus, PaymentStatus, Shipment, ShippedLine};
use switchyard_core::ports::{
    Channel, ChannelError, Delivery, ListingLevel, PollCursor, THIN_FORMAT, WebhookRequest,
};
use switchyard_sim::amazon::{AmazonSim, AmazonSimConfig};
use switchyard_sim::{OrderSpec, SimulatedChannel, WebhookFate};

fn channel_config(sim: &AmazonSim) -> ChannelConfig {
    let cfg = sim.config();
    ChannelConfig {
        client_id: Some(cfg.client_id.clone()),
        client_secret: Some(cfg.client_secret.clone()),
        refresh_token: Some(cfg.refresh_token.clone()),
        token_url: Some(sim.token_url()),
        marketplace_id: Some(cfg.marketplace_id.clone()),
        seller_id: Some(cfg.seller_id.clone()),
        webhook_secret: Some(cfg.notification_api_key.clone()),
        ..ChannelConfig::new("amazon-us", ChannelKind::Amazon, sim.base_url())
    }
}

fn fast_feeds() -> AmazonSimConfig {
    AmazonSimConfig {
        feed_processing_delay: Duration::from_millis(300),
        ..AmazonSimConfig::default()
    }
}

async fn setup(cfg: AmazonSimConfig) -> (Arc<AmazonSim>, AmazonChannel) {
    let sim = AmazonSim::start(cfg).await.expect("sim starts");
    let channel = AmazonChannel::new(&channel_config(&sim)).expect("channel builds");
    (sim, channel)
}

fn spec(sku: &str, quantity: u32, paid: bool, fate: WebhookFate) -> OrderSpec {
    OrderSpec {
        lines: vec![(sku.into(), quantity)],
        paid,
        email: "shopper@example.com".into(),
        fate,
    }
}

/// Every order of a full sweep, normalized, checking each key is the order version's.
async fn sweep(channel: &AmazonChannel) -> Vec<switchyard_core::model::Order> {
    let mut cursor = PollCursor::default();
    let mut orders = Vec::new();
    loop {
        let page = channel.poll_orders(&cursor).await.expect("poll");
        for raw in &page.orders {
            let order = channel.normalize(raw).expect("normalizes");
            assert_eq!(
                raw.dedup_key,
                format!(
                    "{}@{}",
                    order.external_id,
                    order
                        .updated_at
                        .with_timezone(&chrono::Utc)
                        .format("%Y-%m-%dT%H:%M:%SZ")
                )
            );
            orders.push(order);
        }
        match page.next_page {
            Some(next) => cursor.page = Some(next),
            None => return orders,
        }
    }
}

#[tokio::test]
async fn search_orders_pages_through_every_order_including_fba() {
    let (sim, channel) = setup(AmazonSimConfig::default()).await;
    sim.add_product("MUG", "Camp mug", "12.50", 500);
    sim.add_fba_product("TOWEL", "Towel", "8.00", 40);
    let mut placed = Vec::new();
    for i in 0..120 {
        placed.push(
            sim.place_order(spec("MUG", 2, i % 10 != 0, WebhookFate::Lose))
                .await,
        );
    }
    let fba = sim
        .place_fba_order(spec("TOWEL", 1, true, WebhookFate::Lose))
        .await;
    let orders = sweep(&channel).await;
    assert_eq!(orders.len(), 121);
    assert_eq!(
        sim.requests_for("searchOrders"),
        2,
        "two pages of at most 100"
    );
    let first = orders
        .iter()
        .find(|o| o.external_id == placed[0])
        .expect("pending order");
    assert_eq!(first.status, OrderStatus::Open);
    assert_eq!(first.payment_status, PaymentStatus::Pending);
    assert_eq!(first.total.to_string(), "25.00");
    let paid = orders
        .iter()
        .find(|o| o.external_id == placed[1])
        .expect("paid order");
    assert_eq!(paid.payment_status, PaymentStatus::Paid);
    assert_eq!(paid.lines[0].unit_price.to_string(), "12.50");
    assert_eq!(paid.customer_email.as_deref(), Some("shopper@example.com"));
    assert!(paid.is_routable());
    let fba = orders
        .iter()
        .find(|o| o.external_id == fba)
        .expect("fba order");
    assert!(fba.fulfilled_by_channel);
    assert!(!fba.reserves_stock());
}

#[tokio::test]
async fn a_legacy_account_polls_v0_and_stores_composites() {
    let sim = AmazonSim::start(AmazonSimConfig::default())
        .await
        .expect("sim");
    let channel = AmazonChannel::new(&ChannelConfig {
        api_version: Some("v0".into()),
        ..channel_config(&sim)
    })
    .expect("channel");
    sim.add_product("CANDLE", "Candle", "9.99", 50);
    sim.add_fba_product("TOWEL", "Towel", "8.00", 40);
    let mfn = sim
        .place_order(spec("CANDLE", 3, true, WebhookFate::Lose))
        .await;
    let afn = sim
        .place_fba_order(spec("TOWEL", 1, true, WebhookFate::Lose))
        .await;
    // v0 withholds prices until payment is authorized.
    let pending = sim
        .place_order(spec("CANDLE", 1, false, WebhookFate::Lose))
        .await;
    let page = channel
        .poll_orders(&PollCursor::default())
        .await
        .expect("poll");
    assert_eq!(page.orders.len(), 3);
    assert!(
        page.orders
            .iter()
            .all(|r| r.format == "orders-v0-composite")
    );
    let orders = sweep(&channel).await;
    let mfn = orders.iter().find(|o| o.external_id == mfn).expect("mfn");
    assert_eq!(mfn.lines[0].quantity, 3);
    assert_eq!(mfn.lines[0].unit_price.to_string(), "9.99");
    assert_eq!(mfn.total.to_string(), "29.97");
    assert_eq!(
        mfn.ship_to.as_ref().and_then(|a| a.city.as_deref()),
        Some("Seattle")
    );
    // Name and street come only with a Restricted Data Token; one token serves every order.
    let ship_to = mfn.ship_to.as_ref().expect("ship-to");
    assert_eq!(ship_to.name.as_deref(), Some("Sim Shopper"));
    assert_eq!(ship_to.address1.as_deref(), Some("1 Simulation Way"));
    assert_eq!(sim.rdts_issued(), 1);
    assert!(!mfn.fulfilled_by_channel);
    assert!(
        orders
            .iter()
            .any(|o| o.external_id == afn && o.fulfilled_by_channel)
    );
    let pending = orders
        .iter()
        .find(|o| o.external_id == pending)
        .expect("pending");
    assert_eq!(pending.payment_status, PaymentStatus::Pending);
    assert_eq!(pending.currency, "USD");
    assert!(pending.reserves_stock() && !pending.is_routable());
    assert_eq!(sim.requests_for("searchOrders"), 0);
    assert!(sim.requests_for("getOrderItems") >= 2);
}

#[tokio::test]
async fn without_the_pii_role_v0_orders_still_arrive_without_name_and_street() {
    let sim = AmazonSim::start(AmazonSimConfig {
        pii_role: false,
        ..AmazonSimConfig::default()
    })
    .await
    .expect("sim");
    let channel = AmazonChannel::new(&ChannelConfig {
        api_version: Some("v0".into()),
        ..channel_config(&sim)
    })
    .expect("channel");
    sim.add_product("CANDLE", "Candle", "9.99", 50);
    let id = sim
        .place_order(spec("CANDLE", 1, true, WebhookFate::Lose))
        .await;
    let orders = sweep(&channel).await;
    let order = orders.iter().find(|o| o.external_id == id).expect("order");
    let ship_to = order.ship_to.as_ref().expect("ship-to");
    assert_eq!(ship_to.city.as_deref(), Some("Seattle"));
    assert_eq!(ship_to.name, None);
    assert_eq!(ship_to.address1, None);
    assert_eq!(sim.rdts_issued(), 0);
}

#[tokio::test]
async fn a_notification_is_thin_dedups_on_its_id_and_fetches_the_order() {
    let (sim, channel) = setup(AmazonSimConfig::default()).await;
    sim.add_product("MUG", "Camp mug", "12.50", 5);
    // Nothing listens here: the simulator records each attempt with what it sent.
    sim.set_webhook_target("http://127.0.0.1:9/webhooks/amazon-us");
    let id = sim
        .place_order(spec("MUG", 1, true, WebhookFate::Duplicate))
        .await;
    let sent = sim.notification_log();
    assert_eq!(sent.len(), 2);
    let mut keys = Vec::new();
    for record in &sent {
        let request = WebhookRequest {
            headers: record.headers.clone(),
            body: record.body.clone(),
        };
        let Delivery::Order(raw) = channel.verify_webhook(&request).await.expect("verified") else {
            panic!("expected an order");
        };
        assert_eq!(raw.format, THIN_FORMAT);
        assert_eq!(raw.external_id.as_deref(), Some(id.as_str()));
        assert!(
            channel.normalize(&raw).is_err(),
            "thin payloads are fetched first"
        );
        keys.push(raw.dedup_key);
    }
    assert_eq!(keys[0], keys[1], "a duplicate delivery has the same key");
    let fetched = channel
        .fetch_order(&id)
        .await
        .expect("fetch")
        .expect("exists");
    let order = channel.normalize(&fetched).expect("normalizes");
    assert_eq!(order.external_id, id);
    // The fetched copy and a polled copy of the same version share a key.
    let polled = channel
        .poll_orders(&PollCursor::default())
        .await
        .expect("poll");
    assert_eq!(polled.orders[0].dedup_key, fetched.dedup_key);
    assert_eq!(
        channel
            .fetch_order("111-0000000-0000000")
            .await
            .expect("fetch"),
        None
    );

    // A lost notification sends nothing; a wrong key is refused.
    sim.place_order(spec("MUG", 1, true, WebhookFate::Lose))
        .await;
    assert_eq!(sim.notification_log().len(), 2);
    let forged = WebhookRequest {
        headers: vec![("x-api-key".into(), "guess".into())],
        body: sent[0].body.clone(),
    };
    assert!(channel.verify_webhook(&forged).await.is_err());
}

fn level(sku: &str, reference: serde_json::Value, quantity: i64) -> ListingLevel {
    ListingLevel {
        sku: sku.into(),
        reference,
        quantity,
        expected_current: None,
    }
}

#[tokio::test]
async fn a_few_levels_are_patched_one_by_one_and_fba_is_never_sent() {
    let (sim, channel) = setup(AmazonSimConfig::default()).await;
    sim.add_product("MUG", "Camp mug", "12.50", 5);
    sim.add_product("CUP", "Cup", "4.00", 9);
    sim.add_fba_product("TOWEL", "Towel", "8.00", 40);
    let skus: Vec<String> = ["MUG", "CUP", "TOWEL", "NOPE"].map(String::from).to_vec();
    let mut listings = channel.discover_listings(&skus).await.expect("discover");
    listings.sort_by(|a, b| a.sku.cmp(&b.sku));
    assert_eq!(listings.len(), 3);
    assert_eq!(listings[0].sku, "CUP");
    assert_eq!(listings[0].channel_quantity, Some(9));
    assert_eq!(
        listings[2].reference["fulfillment_channel_code"],
        "AMAZON_NA"
    );
    let levels: Vec<ListingLevel> = listings
        .iter()
        .map(|l| level(&l.sku, l.reference.clone(), 3))
        .chain([level("NOPE", json!({"sku": "NOPE"}), 1)])
        .collect();
    let report = channel.push_stock(&levels).await.expect("push");
    assert_eq!(report.applied, vec!["CUP".to_string(), "MUG".to_string()]);
    let rejected: Vec<&str> = report.rejected.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(rejected, vec!["TOWEL", "NOPE"]);
    assert_eq!(sim.stock("MUG"), Some(3));
    assert_eq!(sim.stock("TOWEL"), Some(40), "FBA stock untouched");
    assert_eq!(sim.requests_for("patchListingsItem"), 3);
    assert!(sim.feeds().is_empty());
}

#[tokio::test]
async fn a_large_batch_goes_as_one_listings_feed_with_per_sku_errors() {
    let (sim, channel) = setup(fast_feeds()).await;
    let mut levels = Vec::new();
    for i in 0..40 {
        let sku = format!("SKU-{i:03}");
        sim.add_product(&sku, "Thing", "1.00", 0);
        levels.push(level(
            &sku,
            json!({"sku": sku, "fulfillment_channel_code": "DEFAULT"}),
            i,
        ));
    }
    levels.push(level("GHOST", json!({"sku": "GHOST"}), 5));
    let report = channel.push_stock(&levels).await.expect("push");
    assert_eq!(report.applied.len(), 40);
    assert_eq!(report.rejected.len(), 1);
    assert_eq!(report.rejected[0].0, "GHOST");
    assert!(
        report.rejected[0].1.contains("does not exist"),
        "{}",
        report.rejected[0].1
    );
    assert_eq!(sim.stock("SKU-039"), Some(39));
    let feeds = sim.feeds();
    assert_eq!(feeds.len(), 1);
    assert_eq!(feeds[0].1, "JSON_LISTINGS_FEED");
    assert_eq!(feeds[0].2, "DONE");
    assert_eq!(sim.requests_for("patchListingsItem"), 0);
    assert_eq!(sim.stats().stock_writes, 40);
}

fn shipment(order_id: &str, line: &str) -> Shipment {
    Shipment {
        order_external_id: order_id.into(),
        carrier: "UPS".into(),
        tracking_number: "1Z999AA10123456784".into(),
        shipped_at: DateTime::parse_from_rfc3339("2026-05-01T09:30:00-04:00").unwrap(),
        lines: vec![ShippedLine {
            line_id: line.into(),
            quantity: 1,
        }],
    }
}

#[tokio::test]
async fn tracking_is_confirmed_once_even_when_written_twice() {
    for version in [None, Some("v0")] {
        let sim = AmazonSim::start(AmazonSimConfig::default())
            .await
            .expect("sim");
        let channel = AmazonChannel::new(&ChannelConfig {
            api_version: version.map(String::from),
            ..channel_config(&sim)
        })
        .expect("channel");
        sim.add_product("MUG", "Camp mug", "12.50", 5);
        let id = sim
            .place_order(spec("MUG", 1, true, WebhookFate::Lose))
            .await;
        let line = sim.order_item_ids(&id).remove(0);
        let ship = shipment(&id, &line);
        channel
            .write_back_shipment(&ship, "ship-key-1")
            .await
            .expect("first");
        channel
            .write_back_shipment(&ship, "ship-key-1")
            .await
            .expect("again");
        let recorded = sim.shipments(&id);
        assert_eq!(recorded.len(), 1, "{version:?}");
        assert_eq!(recorded[0].tracking_number, "1Z999AA10123456784");
        assert_eq!(sim.order_status(&id), Some("SHIPPED"));
        let expected_posts = if version.is_some() { 2 } else { 1 };
        assert_eq!(
            sim.requests_for("confirmShipment"),
            expected_posts,
            "{version:?}"
        );
    }
}

#[tokio::test]
async fn carriers_go_as_amazon_codes_or_other_with_the_name() {
    let (sim, channel) = setup(AmazonSimConfig::default()).await;
    sim.add_product("MUG", "Camp mug", "12.50", 5);
    for (carrier, recorded) in [
        ("dhl ecommerce", "DHL eCommerce"),
        ("Canada Post", "Canada Post"),
        ("Bob's Couriers", "Bob's Couriers"),
    ] {
        let id = sim
            .place_order(spec("MUG", 1, true, WebhookFate::Lose))
            .await;
        let line = sim.order_item_ids(&id).remove(0);
        let ship = Shipment {
            carrier: carrier.into(),
            ..shipment(&id, &line)
        };
        channel
            .write_back_shipment(&ship, &format!("key-{carrier}"))
            .await
            .expect(carrier);
        let confirmation = sim.confirmations(&id).remove(0);
        assert_eq!(sim.shipments(&id)[0].carrier, recorded);
        if carrier.starts_with("Bob") {
            assert_eq!(confirmation.carrier_code, "Other");
            assert_eq!(confirmation.carrier_name.as_deref(), Some("Bob's Couriers"));
        } else {
            assert_eq!(confirmation.carrier_code, recorded);
        }
    }
}

#[tokio::test]
async fn a_per_operation_limit_is_hit_then_respected() {
    let (sim, channel) = setup(AmazonSimConfig::default().with_plan("getOrder", 4.0, 2)).await;
    sim.add_product("MUG", "Camp mug", "12.50", 50);
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(
            sim.place_order(spec("MUG", 1, true, WebhookFate::Lose))
                .await,
        );
    }
    for id in &ids {
        let raw = channel
            .fetch_order(id)
            .await
            .expect("fetched despite throttling");
        assert!(raw.is_some());
    }
    assert!(sim.stats().throttled > 0, "the simulator's plan was hit");
    assert_eq!(sim.requests_for("getOrder"), 5);
    // Other operations keep their own buckets.
    channel
        .poll_orders(&PollCursor::default())
        .await
        .expect("poll");
}

#[tokio::test]
async fn an_expired_token_is_refreshed() {
    let (sim, channel) = setup(AmazonSimConfig {
        token_lifetime: Duration::from_secs(1),
        ..AmazonSimConfig::default()
    })
    .await;
    sim.add_product("MUG", "Camp mug", "12.50", 5);
    let id = sim
        .place_order(spec("MUG", 1, true, WebhookFate::Lose))
        .await;
    channel.fetch_order(&id).await.expect("first");
    channel.fetch_order(&id).await.expect("cached");
    assert_eq!(sim.tokens_issued(), 1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    channel.fetch_order(&id).await.expect("after expiry");
    assert_eq!(sim.tokens_issued(), 2);
    // Revoked behind the connector's back: the 403 triggers one refresh and one retry.
    sim.expire_tokens();
    channel.fetch_order(&id).await.expect("after revocation");
    assert_eq!(sim.tokens_issued(), 3);
}

#[tokio::test]
async fn bad_credentials_are_an_auth_error() {
    let sim = AmazonSim::start(AmazonSimConfig::default())
        .await
        .expect("sim");
    for config in [
        ChannelConfig {
            client_secret: Some("wrong".into()),
            ..channel_config(&sim)
        },
        ChannelConfig {
            refresh_token: Some("Atzr|revoked".into()),
            ..channel_config(&sim)
        },
    ] {
        let channel = AmazonChannel::new(&config).expect("channel");
        let err = channel
            .poll_orders(&PollCursor::default())
            .await
            .unwrap_err();
        assert!(matches!(err, ChannelError::Auth(_)), "{err}");
        assert!(
            !err.to_string().contains("wrong"),
            "secrets stay out of errors"
        );
    }
    assert!(
        AmazonChannel::new(&ChannelConfig {
            seller_id: None,
            ..channel_config(&sim)
        })
        .is_err()
    );
}

/// Amazon has no seller cancellation API: the connector refuses (the store never queues one; it
/// lists the cancellation for a person), and nothing reaches the channel.
#[tokio::test]
async fn there_is_no_seller_cancellation_api_so_a_person_does_it() {
    use switchyard_core::cancellation::{CancelReason, CancelScope, ChannelCancel, channel_terms};
    let terms = channel_terms(ChannelKind::Amazon);
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
