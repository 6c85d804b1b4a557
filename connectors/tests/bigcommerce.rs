//! The BigCommerce connector against the BigCommerce simulator, over real HTTP on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::json;
use switchyard_connectors::channels::bigcommerce::{BigCommerceChannel, FORMAT};
use switchyard_core::config::{ChannelConfig, RateLimitConfig};
use switchyard_core::model::{ChannelKind, OrderStatus, PaymentStatus, Shipment, ShippedLine};
use switchyard_core::ports::{
    Channel, ChannelError, Delivery, ListingLevel, PollCursor, THIN_FORMAT, WebhookRequest,
};
use switchyard_sim::bigcommerce::{BigCommerceSim, BigCommerceSimConfig, start};
use switchyard_sim::{OrderSpec, SimulatedChannel, WebhookFate};

fn channel_config(sim: &BigCommerceSim) -> ChannelConfig {
    let cfg = sim.config();
    ChannelConfig {
        store_hash: Some(cfg.store_hash.clone()),
        access_token: Some(cfg.access_token.clone()),
        webhook_secret: Some(cfg.client_secret.clone()),
        rate_limit: Some(RateLimitConfig {
            per_second: 500.0,
            burst: 100,
        }),
        ..ChannelConfig::new("bc", ChannelKind::Bigcommerce, sim.base_url())
    }
}

async fn setup(cfg: BigCommerceSimConfig) -> (Arc<BigCommerceSim>, BigCommerceChannel) {
    let sim = start(cfg).await.expect("sim starts");
    let channel = BigCommerceChannel::new(&channel_config(&sim)).expect("channel builds");
    (sim, channel)
}

fn order(sku: &str, quantity: u32, fate: WebhookFate) -> OrderSpec {
    OrderSpec {
        lines: vec![(sku.into(), quantity)],
        paid: true,
        email: "shopper@example.com".into(),
        fate,
    }
}

fn version_key(external_id: &str, updated_at: DateTime<chrono::FixedOffset>) -> String {
    format!(
        "{external_id}@{}",
        updated_at.with_timezone(&Utc).format("%Y-%m-%dT%H:%M:%SZ")
    )
}

#[tokio::test]
async fn poll_finds_orders_across_pages_and_stops_on_204() {
    // Each polled order costs two more calls (products, addresses): a Pro-sized quota keeps
    // this test about paging, not pacing.
    let (sim, channel) = setup(BigCommerceSimConfig {
        requests_quota: 5_000,
        ..Default::default()
    })
    .await;
    sim.add_product("MUG", "Mug", "12.50", 900);
    let mut placed = Vec::new();
    for _ in 0..260 {
        placed.push(sim.place_order(order("MUG", 2, WebhookFate::Lose)).await);
    }
    let mut cursor = PollCursor::default();
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = channel.poll_orders(&cursor).await.expect("poll");
        pages += 1;
        for raw in &page.orders {
            assert_eq!(raw.format, FORMAT);
            assert_eq!(raw.topic, "poll");
            let order = channel.normalize(raw).expect("normalizes");
            assert_eq!(
                raw.dedup_key,
                version_key(&order.external_id, order.updated_at)
            );
            assert_eq!(order.status, OrderStatus::Open);
            assert_eq!(order.payment_status, PaymentStatus::Paid);
            assert_eq!(order.lines[0].unit_price.to_string(), "12.50");
            assert_eq!(order.total.to_string(), "25.00");
            assert_eq!(
                order.ship_to.and_then(|a| a.country_code).as_deref(),
                Some("US")
            );
            seen.push(order.external_id);
        }
        match page.next_page {
            Some(next) => cursor.page = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, 2);
    seen.sort();
    placed.sort();
    assert_eq!(seen, placed);
    // A window past every change: the store answers 204 and the page is empty.
    let later = PollCursor {
        since: Some(Utc::now() + chrono::Duration::hours(1)),
        ..Default::default()
    };
    let page = channel.poll_orders(&later).await.unwrap();
    assert!(page.orders.is_empty() && page.next_page.is_none());
}

#[tokio::test]
async fn a_thin_webhook_is_fetched_into_the_same_order_the_poll_sees() {
    let (sim, channel) = setup(BigCommerceSimConfig::default()).await;
    sim.add_product("MUG", "Mug", "12.50", 5);
    let id = sim
        .place_order(order("MUG", 1, WebhookFate::Duplicate))
        .await;
    let sent = sim.sent_webhooks();
    assert_eq!(sent.len(), 2, "a duplicate firing");
    let mut keys = Vec::new();
    for hook in &sent {
        let request = WebhookRequest {
            headers: hook.headers.clone(),
            body: hook.body.clone(),
        };
        let Delivery::Order(thin) = channel.verify_webhook(&request).await.expect("verifies")
        else {
            panic!("store/order/created is an order");
        };
        assert_eq!(thin.format, THIN_FORMAT);
        assert_eq!(thin.topic, "store/order/created");
        assert_eq!(thin.external_id.as_deref(), Some(id.as_str()));
        keys.push(thin.dedup_key);
    }
    assert_eq!(keys[0], keys[1], "duplicates carry the same hash");
    let fetched = channel
        .fetch_order(&id)
        .await
        .expect("fetch")
        .expect("exists");
    assert_eq!(fetched.format, FORMAT);
    let order = channel.normalize(&fetched).expect("normalizes");
    assert_eq!(order.external_id, id);
    assert_eq!(order.lines[0].sku.as_deref(), Some("MUG"));
    let polled = channel.poll_orders(&PollCursor::default()).await.unwrap();
    assert_eq!(polled.orders[0].dedup_key, fetched.dedup_key);
    // A tampered copy is refused; an order the store does not have is gone.
    let mut tampered = WebhookRequest {
        headers: sent[0].headers.clone(),
        body: sent[0].body.clone(),
    };
    tampered.body.push(b' ');
    assert!(channel.verify_webhook(&tampered).await.is_err());
    assert_eq!(channel.fetch_order("424242").await.unwrap(), None);
}

#[tokio::test]
async fn stock_reaches_the_store_by_variant() {
    let (sim, channel) = setup(BigCommerceSimConfig::default()).await;
    sim.add_product("MUG", "Mug", "12.50", 7);
    sim.add_product("TEE", "Tee", "20.00", 3);
    let skus: Vec<String> = ["MUG", "TEE", "NOPE"].map(String::from).to_vec();
    let mut listings = channel.discover_listings(&skus).await.expect("discover");
    listings.sort_by(|a, b| a.sku.cmp(&b.sku));
    assert_eq!(listings.len(), 2);
    let (variant, product) = sim.variant_ids("MUG").unwrap();
    assert_eq!(
        listings[0].reference,
        json!({"variant_id": variant, "product_id": product})
    );
    assert_eq!(listings[0].channel_quantity, Some(7));
    let batch: Vec<ListingLevel> = listings
        .iter()
        .zip([2, 0])
        .map(|(l, q)| ListingLevel {
            sku: l.sku.clone(),
            reference: l.reference.clone(),
            quantity: q,
            expected_current: l.channel_quantity,
        })
        .chain([ListingLevel {
            sku: "BROKEN".into(),
            reference: json!({}),
            quantity: 1,
            expected_current: None,
        }])
        .collect();
    let report = channel.push_stock(&batch).await.expect("push");
    assert_eq!(report.applied, vec!["MUG".to_string(), "TEE".to_string()]);
    assert_eq!(report.rejected.len(), 1);
    assert_eq!(sim.stock("MUG"), Some(2));
    assert_eq!(sim.stock("TEE"), Some(0));
    assert_eq!(sim.stats().stock_writes, 2);
    assert_eq!(channel.limits().max_stock_batch, 2000);
    assert_eq!(channel.limits().max_poll_page, 250);
}

#[tokio::test]
async fn carriers_go_as_courier_slugs_and_providers() {
    let (sim, channel) = setup(BigCommerceSimConfig::default()).await;
    sim.add_product("MUG", "Mug", "12.50", 5);
    for (carrier, recorded) in [
        ("Royal Mail", "royal-mail"),
        ("dhl ecommerce", "dhl-global-mail"),
        ("Bob's Couriers", ""),
    ] {
        let id = sim.place_order(order("MUG", 1, WebhookFate::Lose)).await;
        let shipment = Shipment {
            order_external_id: id.clone(),
            carrier: carrier.into(),
            tracking_number: format!("T-{carrier}"),
            shipped_at: DateTime::parse_from_rfc3339("2026-05-01T09:30:00-04:00").unwrap(),
            lines: vec![],
        };
        channel
            .write_back_shipment(&shipment, "k")
            .await
            .expect(carrier);
        let shipments = sim.shipments(&id);
        assert_eq!(shipments.len(), 1, "{carrier}");
        // The simulator records the tracking carrier, else the provider.
        assert_eq!(shipments[0].carrier, recorded, "{carrier}");
    }
}

#[tokio::test]
async fn tracking_is_written_back_once_even_when_called_twice() {
    let (sim, channel) = setup(BigCommerceSimConfig::default()).await;
    sim.add_product("MUG", "Mug", "12.50", 5);
    let id = sim.place_order(order("MUG", 2, WebhookFate::Lose)).await;
    let fetched = channel.fetch_order(&id).await.unwrap().unwrap();
    let line_id = channel.normalize(&fetched).unwrap().lines[0]
        .line_id
        .clone();
    let shipment = Shipment {
        order_external_id: id.clone(),
        carrier: "UPS".into(),
        tracking_number: "1Z999AA10123456784".into(),
        shipped_at: DateTime::parse_from_rfc3339("2026-03-01T10:00:00-05:00").unwrap(),
        lines: vec![ShippedLine {
            line_id,
            quantity: 2,
        }],
    };
    channel
        .write_back_shipment(&shipment, "ship-1")
        .await
        .expect("first write");
    channel
        .write_back_shipment(&shipment, "ship-1")
        .await
        .expect("second write is a no-op");
    let recorded = sim.shipments(&id);
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].tracking_number, "1Z999AA10123456784");
    assert_eq!(recorded[0].carrier, "ups");
    assert_eq!(sim.order_status_id(&id), Some(2), "fully shipped");
    let after = channel.fetch_order(&id).await.unwrap().unwrap();
    assert_eq!(
        channel.normalize(&after).unwrap().status,
        OrderStatus::Fulfilled
    );
    let missing = Shipment {
        order_external_id: "424242".into(),
        ..shipment
    };
    assert!(matches!(
        channel.write_back_shipment(&missing, "ship-2").await,
        Err(ChannelError::Rejected(_))
    ));
}

#[tokio::test]
async fn variants_are_found_with_documented_filters_in_few_calls() {
    let (sim, channel) = setup(BigCommerceSimConfig {
        requests_quota: 100_000,
        ..Default::default()
    })
    .await;
    // 1,500 variants: six pages of 250.
    for i in 0..1500 {
        sim.add_product(&format!("SKU-{i:04}"), "Thing", "1.00", i);
    }
    // The store ignores the undocumented `sku:in`: it answers with the whole catalog.
    let cfg = sim.config();
    let ignored: serde_json::Value = reqwest::Client::new()
        .get(format!(
            "{}/stores/{}/v3/catalog/variants?sku:in=SKU-0001",
            sim.base_url(),
            cfg.store_hash
        ))
        .header("X-Auth-Token", &cfg.access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ignored["meta"]["pagination"]["total"], 1500);

    // Two SKUs: the first catalog page, then one `sku=` call each (3 calls, not 6 pages).
    let before = sim.stats().requests;
    let two = vec!["SKU-1499".to_string(), "SKU-0700".to_string()];
    let found = channel.discover_listings(&two).await.expect("discover");
    assert_eq!(found.len(), 2);
    assert!(
        found
            .iter()
            .any(|l| l.sku == "SKU-0700" && l.channel_quantity == Some(700))
    );
    assert_eq!(sim.stats().requests - before, 3);

    // Sixty SKUs past the first page: the five pages left are cheaper than sixty lookups.
    let before = sim.stats().requests;
    let sixty: Vec<String> = (0..60)
        .map(|i| format!("SKU-{:04}", 300 + i * 20))
        .collect();
    let found = channel.discover_listings(&sixty).await.expect("discover");
    assert_eq!(found.len(), 60);
    assert_eq!(sim.stats().requests - before, 6);

    // One SKU is asked for directly.
    let before = sim.stats().requests;
    let one = channel
        .discover_listings(&["SKU-0042".to_string(), "GONE".to_string()][..1])
        .await
        .expect("discover");
    assert_eq!(one.len(), 1);
    assert_eq!(sim.stats().requests - before, 1);
}

#[tokio::test]
async fn a_429_is_waited_out_and_the_quota_headers_are_obeyed() {
    let (sim, channel) = setup(BigCommerceSimConfig {
        requests_quota: 4,
        window_ms: 400,
        ..Default::default()
    })
    .await;
    sim.add_product("MUG", "Mug", "12.50", 5);
    let skus = vec!["MUG".to_string()];
    // Another app spent the window: the store answers 429 with the reset, and the call waits.
    sim.exhaust_quota();
    let start = Instant::now();
    let listings = channel.discover_listings(&skus).await.expect("retried");
    assert_eq!(listings.len(), 1);
    assert_eq!(sim.stats().throttled, 1);
    assert!(
        start.elapsed() >= Duration::from_millis(300),
        "{:?}",
        start.elapsed()
    );
    // Sequential calls past the quota never hit a 429: the client pauses when none are left.
    let start = Instant::now();
    for _ in 0..10 {
        channel.discover_listings(&skus).await.expect("paced");
    }
    assert_eq!(sim.stats().throttled, 1);
    assert!(
        start.elapsed() >= Duration::from_millis(400),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn bad_credentials_are_an_auth_error() {
    let sim = start(BigCommerceSimConfig::default()).await.unwrap();
    let config = ChannelConfig {
        access_token: Some("not-the-token".into()),
        ..channel_config(&sim)
    };
    let channel = BigCommerceChannel::new(&config).unwrap();
    let err = channel
        .poll_orders(&PollCursor::default())
        .await
        .unwrap_err();
    assert!(matches!(err, ChannelError::Auth(_)), "{err}");
    let err = channel
        .discover_listings(&["MUG".to_string()])
        .await
        .unwrap_err();
    assert!(matches!(err, ChannelError::Auth(_)), "{err}");
    assert_eq!(sim.stats().requests, 0);
}

#[test]
fn configuration_is_checked_up_front() {
    let base = ChannelConfig {
        store_hash: Some("abc123".into()),
        access_token: Some("t".into()),
        webhook_secret: Some("s".into()),
        ..ChannelConfig::new("bc", ChannelKind::Bigcommerce, "")
    };
    assert!(
        BigCommerceChannel::new(&base).is_ok(),
        "empty base_url means the real host"
    );
    for broken in [
        ChannelConfig {
            store_hash: None,
            ..base.clone()
        },
        ChannelConfig {
            store_hash: Some("abc/../x".into()),
            ..base.clone()
        },
        ChannelConfig {
            access_token: Some(" ".into()),
            ..base.clone()
        },
        ChannelConfig {
            location_id: Some("main".into()),
            ..base.clone()
        },
        ChannelConfig {
            base_url: "ftp://x".into(),
            ..base.clone()
        },
    ] {
        assert!(BigCommerceChannel::new(&broken).is_err());
    }
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
        reason_code: switchyard_core::cancellation::channel_terms(ChannelKind::Bigcommerce)
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
async fn an_order_goes_to_status_5_once_with_the_reason_in_staff_notes() {
    use switchyard_core::cancellation::CancelReason;
    let (sim, channel) = setup(BigCommerceSimConfig::default()).await;
    sim.add_product("MUG", "Mug", "12.50", 5);
    let id = sim.place_order(order("MUG", 1, WebhookFate::Lose)).await;
    let request = cancel_request(&id, CancelReason::AddressUndeliverable);
    channel
        .cancel_order(&request, "channel-cancel:bc:1:5")
        .await
        .expect("cancel");
    let again = channel
        .cancel_order(&request, "channel-cancel:bc:1:5")
        .await
        .expect("repeat");
    assert!(again.contains("already"), "{again}");
    assert_eq!(sim.order_status_id(&id), Some(5));
    assert_eq!(sim.status_changes(&id), vec![(11, 5)]);
    let notes = sim.staff_notes(&id).unwrap();
    assert!(notes.contains("address undeliverable") && notes.contains("channel-cancel:bc:1:5"));
    // Shipped: refused, left as it is.
    let shipped = sim.place_order(order("MUG", 1, WebhookFate::Lose)).await;
    channel
        .write_back_shipment(&parcel(&shipped), "ship")
        .await
        .unwrap();
    let err = channel
        .cancel_order(&cancel_request(&shipped, CancelReason::OutOfStock), "k")
        .await
        .unwrap_err();
    assert!(matches!(err, ChannelError::Rejected(_)), "{err}");
    assert!(sim.status_changes(&shipped).is_empty());
}
