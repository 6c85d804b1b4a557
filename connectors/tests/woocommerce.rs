//! The WooCommerce connector against the WooCommerce simulator, over real HTTP on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::DateTime;
use serde_json::json;
use switchyard_connectors::channels::woocommerce::WooChannel;
use switchyard_core::config::{ChannelConfig, RateLimitConfig};
use switchyard_core::model::{ChannelKind, Shipment, ShippedLine};
use switchyard_core::ports::{Channel, ChannelError, ListingLevel, PollCursor};
use switchyard_sim::woocommerce::{WooSim, WooSimConfig};
use switchyard_sim::{OrderSpec, SimulatedChannel, WebhookFate};

fn channel_config(sim: &WooSim, cfg: &WooSimConfig) -> ChannelConfig {
    ChannelConfig {
        consumer_key: Some(cfg.consumer_key.clone()),
        consumer_secret: Some(cfg.consumer_secret.clone()),
        webhook_secret: Some(cfg.webhook_secret.clone()),
        rate_limit: Some(RateLimitConfig {
            per_second: 500.0,
            burst: 100,
        }),
        ..ChannelConfig::new("woo", ChannelKind::Woocommerce, sim.base_url())
    }
}

async fn setup(cfg: WooSimConfig) -> (Arc<WooSim>, WooChannel) {
    let sim = WooSim::start(cfg.clone()).await.expect("sim starts");
    let channel = WooChannel::new(&channel_config(&sim, &cfg)).expect("channel builds");
    (sim, channel)
}

fn lost(sku: &str) -> OrderSpec {
    OrderSpec {
        lines: vec![(sku.into(), 1)],
        paid: true,
        email: "shopper@example.com".into(),
        fate: WebhookFate::Lose,
    }
}

#[tokio::test]
async fn poll_finds_orders_whose_webhooks_were_lost_across_pages() {
    let (sim, channel) = setup(WooSimConfig::default()).await;
    sim.add_product("MUG", "Mug", "12.50", 500);
    let mut placed = Vec::new();
    for _ in 0..205 {
        placed.push(sim.place_order(lost("MUG")).await);
    }
    let mut cursor = PollCursor::default();
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = channel.poll_orders(&cursor).await.expect("poll");
        pages += 1;
        for raw in &page.orders {
            assert_eq!(raw.format, "rest");
            assert_eq!(raw.topic, "poll");
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
            assert_eq!(order.lines[0].unit_price.to_string(), "12.50");
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
    // A cursor past every change finds nothing.
    let later = PollCursor {
        since: Some(chrono::Utc::now() + chrono::Duration::hours(1)),
        ..Default::default()
    };
    assert!(channel.poll_orders(&later).await.unwrap().orders.is_empty());
}

#[tokio::test]
async fn a_polled_copy_dedups_with_the_webhook_copy() {
    let (sim, channel) = setup(WooSimConfig::default()).await;
    sim.add_product("MUG", "Mug", "12.50", 5);
    let id = sim.place_order(lost("MUG")).await;
    let body = serde_json::to_vec(&sim.order_json(&id).unwrap()).unwrap();
    let signature = switchyard_connectors::channels::woocommerce::webhook::sign(
        b"woo-sim-webhook-secret",
        &body,
    );
    let request = switchyard_core::ports::WebhookRequest {
        headers: vec![
            ("x-wc-webhook-topic".into(), "order.created".into()),
            ("x-wc-webhook-signature".into(), signature),
        ],
        body,
    };
    let switchyard_core::ports::Delivery::Order(hooked) =
        channel.verify_webhook(&request).await.unwrap()
    else {
        panic!("expected an order");
    };
    let polled = channel.poll_orders(&PollCursor::default()).await.unwrap();
    assert_eq!(polled.orders[0].dedup_key, hooked.dedup_key);
}

#[tokio::test]
async fn discover_finds_simple_products_and_variations() {
    let (sim, channel) = setup(WooSimConfig::default()).await;
    sim.add_product("MUG", "Mug", "12.50", 7);
    let parent = sim.add_variable_product("Tee", &[("TEE-S", "20.00", 3), ("TEE-M", "20.00", 4)]);
    let skus: Vec<String> = ["MUG", "TEE-M", "NOPE"].map(String::from).to_vec();
    let mut listings = channel.discover_listings(&skus).await.expect("discover");
    listings.sort_by(|a, b| a.sku.cmp(&b.sku));
    assert_eq!(listings.len(), 2);
    let (mug_id, _) = sim.product_ids("MUG").unwrap();
    assert_eq!(listings[0].sku, "MUG");
    assert_eq!(
        listings[0].reference,
        json!({"product_id": mug_id, "variation_id": null})
    );
    assert_eq!(listings[0].channel_quantity, Some(7));
    let (_, tee_m) = sim.product_ids("TEE-M").unwrap();
    assert_eq!(listings[1].sku, "TEE-M");
    assert_eq!(
        listings[1].reference,
        json!({"product_id": parent, "variation_id": tee_m})
    );
    assert_eq!(listings[1].channel_quantity, Some(4));
}

#[tokio::test]
async fn push_stock_splits_into_batches_of_100_and_reports_per_item() {
    let (sim, channel) = setup(WooSimConfig::default()).await;
    let mut levels = Vec::new();
    for i in 0..150 {
        let sku = format!("SKU-{i:03}");
        sim.add_product(&sku, "Thing", "1.00", 0);
        let (pid, _) = sim.product_ids(&sku).unwrap();
        levels.push(ListingLevel {
            sku,
            reference: json!({"product_id": pid, "variation_id": null}),
            quantity: i,
            expected_current: None,
        });
    }
    let parent = sim.add_variable_product("Tee", &[("TEE-S", "20.00", 3)]);
    let (_, tee_s) = sim.product_ids("TEE-S").unwrap();
    levels.push(ListingLevel {
        sku: "TEE-S".into(),
        reference: json!({"product_id": parent, "variation_id": tee_s}),
        quantity: 42,
        expected_current: None,
    });
    levels.push(ListingLevel {
        sku: "GONE".into(),
        reference: json!({"product_id": 999_999, "variation_id": null}),
        quantity: 1,
        expected_current: None,
    });
    let before = sim.stats().requests;
    let report = channel.push_stock(&levels).await.expect("push");
    assert_eq!(report.applied.len(), 151);
    assert_eq!(report.rejected.len(), 1);
    assert_eq!(report.rejected[0].0, "GONE");
    assert!(
        report.rejected[0].1.contains("invalid_id"),
        "{}",
        report.rejected[0].1
    );
    // 151 product updates → 2 product batches, plus 1 variations batch.
    assert_eq!(sim.stats().requests - before, 3);
    assert_eq!(sim.stats().stock_writes, 151);
    assert_eq!(sim.stock("SKU-149"), Some(149));
    assert_eq!(sim.stock("TEE-S"), Some(42));
}

#[tokio::test]
async fn a_product_the_merchant_left_untracked_stays_untracked_and_is_reported() {
    let (sim, channel) = setup(WooSimConfig::default()).await;
    sim.add_product("TRACKED", "Thing", "1.00", 2);
    sim.add_product("LOOSE", "Gift card", "25.00", 0);
    sim.set_manage_stock("LOOSE", false);
    let level = |sku: &str| {
        let (pid, _) = sim.product_ids(sku).unwrap();
        ListingLevel {
            sku: sku.into(),
            reference: json!({"product_id": pid, "variation_id": null}),
            quantity: 9,
            expected_current: None,
        }
    };
    let report = channel
        .push_stock(&[level("TRACKED"), level("LOOSE")])
        .await
        .expect("push");
    assert_eq!(report.applied, vec!["TRACKED".to_string()]);
    assert_eq!(report.rejected.len(), 1);
    assert_eq!(report.rejected[0].0, "LOOSE");
    assert!(
        report.rejected[0].1.contains("Manage stock"),
        "{:?}",
        report.rejected
    );
    assert_eq!(sim.manages_stock("LOOSE"), Some(false), "tracking left off");
    assert_eq!(sim.stock("LOOSE"), None);
    assert_eq!(sim.stock("TRACKED"), Some(9));
}

fn shipment(order_id: &str, line: &str, qty: u32) -> Shipment {
    Shipment {
        order_external_id: order_id.into(),
        carrier: "UPS".into(),
        tracking_number: "1Z999AA10123456784".into(),
        shipped_at: DateTime::parse_from_rfc3339("2026-05-01T09:30:00-04:00").unwrap(),
        lines: vec![ShippedLine {
            line_id: line.into(),
            quantity: qty,
        }],
    }
}

fn line_id(sim: &WooSim, order: &str) -> String {
    sim.order_json(order).unwrap()["line_items"][0]["id"].to_string()
}

#[tokio::test]
async fn write_back_uses_the_tracking_extension_once() {
    let (sim, channel) = setup(WooSimConfig::default()).await;
    sim.add_product("MUG", "Mug", "12.50", 5);
    let id = sim.place_order(lost("MUG")).await;
    let s = shipment(&id, &line_id(&sim, &id), 1);
    channel
        .write_back_shipment(&s, "ship-1")
        .await
        .expect("first");
    channel
        .write_back_shipment(&s, "ship-1")
        .await
        .expect("again");
    let shipments = sim.shipments(&id);
    assert_eq!(shipments.len(), 1);
    assert_eq!(shipments[0].carrier, "UPS");
    assert_eq!(shipments[0].tracking_number, "1Z999AA10123456784");
    assert_eq!(sim.order_status(&id).as_deref(), Some("completed"));
    assert!(sim.notes(&id).is_empty());
}

#[tokio::test]
async fn write_back_falls_back_to_a_customer_note_without_the_extension() {
    let cfg = WooSimConfig {
        shipment_tracking: false,
        ..Default::default()
    };
    let (sim, channel) = setup(cfg).await;
    sim.add_product("MUG", "Mug", "12.50", 5);
    let id = sim
        .place_order(OrderSpec {
            lines: vec![("MUG".into(), 2)],
            ..lost("MUG")
        })
        .await;
    // Half the line: tracking is written, the order stays open.
    let partial = shipment(&id, &line_id(&sim, &id), 1);
    channel
        .write_back_shipment(&partial, "ship-2")
        .await
        .expect("partial");
    channel
        .write_back_shipment(&partial, "ship-2")
        .await
        .expect("again");
    let notes = sim.notes(&id);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].0.contains("1Z999AA10123456784"));
    assert!(notes[0].1, "the note is for the customer");
    assert_eq!(sim.order_status(&id).as_deref(), Some("processing"));
    let full = shipment(&id, &line_id(&sim, &id), 2);
    channel
        .write_back_shipment(&full, "ship-2")
        .await
        .expect("full");
    assert_eq!(sim.notes(&id).len(), 1);
    assert_eq!(sim.order_status(&id).as_deref(), Some("completed"));
}

#[tokio::test]
async fn a_429_with_retry_after_is_waited_out() {
    let cfg = WooSimConfig {
        rate_limit_per_second: Some(1.0),
        rate_limit_burst: Some(1),
        ..Default::default()
    };
    let (sim, channel) = setup(cfg).await;
    sim.add_product("MUG", "Mug", "12.50", 5);
    let start = Instant::now();
    channel
        .poll_orders(&PollCursor::default())
        .await
        .expect("first");
    channel
        .poll_orders(&PollCursor::default())
        .await
        .expect("second, after waiting");
    assert!(sim.stats().throttled >= 1);
    assert!(
        start.elapsed() >= Duration::from_millis(900),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn bad_credentials_are_an_auth_error() {
    let cfg = WooSimConfig::default();
    let sim = WooSim::start(cfg.clone()).await.unwrap();
    for (key, secret) in [
        ("ck_wrong", cfg.consumer_secret.as_str()),
        (cfg.consumer_key.as_str(), "cs_wrong"),
    ] {
        let mut config = channel_config(&sim, &cfg);
        config.consumer_key = Some(key.into());
        config.consumer_secret = Some(secret.into());
        let channel = WooChannel::new(&config).unwrap();
        let err = channel
            .poll_orders(&PollCursor::default())
            .await
            .unwrap_err();
        assert!(
            matches!(err, ChannelError::Auth(ref body) if body.contains("woocommerce_rest_authentication_error")),
            "{err}"
        );
    }
    assert_eq!(sim.stats().requests, 0);
}

fn cancel_request(
    id: &str,
    reason: switchyard_core::cancellation::CancelReason,
) -> switchyard_core::cancellation::ChannelCancel {
    switchyard_core::cancellation::ChannelCancel {
        cancellation_id: 5,
        order_external_id: id.into(),
        order_number: id.into(),
        whole: true,
        lines: Vec::new(),
        reason,
        reason_code: switchyard_core::cancellation::channel_terms(ChannelKind::Woocommerce)
            .code(reason)
            .unwrap()
            .into(),
    }
}

fn parcel(id: &str) -> Shipment {
    Shipment {
        order_external_id: id.into(),
        carrier: "UPS".into(),
        tracking_number: "1ZCANCELTEST".into(),
        shipped_at: DateTime::parse_from_rfc3339("2026-04-11T09:00:00-05:00").unwrap(),
        lines: Vec::new(),
    }
}

#[tokio::test]
async fn an_order_is_cancelled_once_with_the_reason_noted_and_a_completed_one_is_refused() {
    use switchyard_core::cancellation::CancelReason;
    let (sim, channel) = setup(WooSimConfig::default()).await;
    sim.add_product("MUG", "Mug", "12.50", 5);
    let id = sim.place_order(lost("MUG")).await;
    let request = cancel_request(&id, CancelReason::PricingError);
    channel
        .cancel_order(&request, "channel-cancel:woo:1:5")
        .await
        .expect("cancel");
    let again = channel
        .cancel_order(&request, "channel-cancel:woo:1:5")
        .await
        .expect("repeat");
    assert_eq!(again, "already cancelled");
    assert_eq!(sim.order_status(&id).as_deref(), Some("cancelled"));
    let notes: Vec<(String, bool)> = sim
        .notes(&id)
        .into_iter()
        .filter(|(n, _)| n.contains("channel-cancel:woo:1:5"))
        .collect();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].0.contains("pricing error") && !notes[0].1,
        "{notes:?}"
    );
    // Shipped and completed: refused, the order left as it is.
    let done = sim.place_order(lost("MUG")).await;
    channel
        .write_back_shipment(&parcel(&done), "ship")
        .await
        .unwrap();
    assert_eq!(sim.order_status(&done).as_deref(), Some("completed"));
    let err = channel
        .cancel_order(&cancel_request(&done, CancelReason::OutOfStock), "k")
        .await
        .unwrap_err();
    assert!(matches!(err, ChannelError::Rejected(_)), "{err}");
    assert_eq!(sim.order_status(&done).as_deref(), Some("completed"));
}
