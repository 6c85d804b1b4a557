//! The Shopify connector against the Shopify simulator, over real HTTP on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::json;
use switchyard_connectors::channels::shopify::{ShopifyChannel, webhook_signature};
use switchyard_core::config::{ChannelConfig, RateLimitConfig};
use switchyard_core::model::{ChannelKind, OrderStatus, PaymentStatus, Shipment, ShippedLine};
use switchyard_core::ports::{
    Channel, ChannelError, Delivery, ListingLevel, PollCursor, WebhookRequest,
};
use switchyard_sim::shopify::{ShopifySim, ShopifySimConfig};
use switchyard_sim::{OrderSpec, SimulatedChannel, WebhookFate};

fn channel_config(sim: &ShopifySim, token: &str) -> ChannelConfig {
    ChannelConfig {
        access_token: Some(token.into()),
        // A bare number is accepted as well as a GID.
        location_id: Some(
            sim.location_gid()
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_string(),
        ),
        webhook_secret: Some(sim.config().client_secret.clone()),
        poll_interval_secs: 60,
        poll_overlap_secs: 300,
        ..ChannelConfig::new("shop", ChannelKind::Shopify, sim.base_url())
    }
}

async fn setup(config: ShopifySimConfig) -> (Arc<ShopifySim>, ShopifyChannel) {
    let sim = ShopifySim::start(config).await.unwrap();
    sim.add_product("TEE-BLK-M", "Tee black M", "19.99", 10);
    sim.add_product("TEE-BLK-L", "Tee black L", "19.99", 4);
    sim.add_product("MUG 12OZ", "Mug 12 oz", "12.50", 0);
    let channel = ShopifyChannel::new(&channel_config(&sim, &sim.config().access_token)).unwrap();
    (sim, channel)
}

fn spec(lines: &[(&str, u32)], fate: WebhookFate) -> OrderSpec {
    OrderSpec {
        lines: lines.iter().map(|(s, q)| (s.to_string(), *q)).collect(),
        paid: true,
        email: "buyer@example.com".into(),
        fate,
    }
}

#[tokio::test]
async fn poll_finds_lost_orders_across_pages() {
    let (sim, channel) = setup(ShopifySimConfig::default()).await;
    let since = Utc::now() - chrono::Duration::seconds(5);
    let mut placed = Vec::new();
    for i in 0..30 {
        let lines: &[(&str, u32)] = if i % 2 == 0 {
            &[("TEE-BLK-M", 1), ("MUG 12OZ", 2)]
        } else {
            &[("TEE-BLK-L", 3)]
        };
        placed.push(sim.place_order(spec(lines, WebhookFate::Lose)).await);
    }
    assert_eq!(sim.stats().webhooks_sent, 0);

    let mut cursor = PollCursor {
        since: Some(since),
        page: None,
        max_seen: None,
    };
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = channel.poll_orders(&cursor).await.unwrap();
        pages += 1;
        for raw in &page.orders {
            assert_eq!(raw.format, "graphql");
            assert_eq!(raw.topic, "poll");
            let order = channel.normalize(raw).unwrap();
            assert_eq!(Some(order.external_id.clone()), raw.external_id);
            assert!(
                raw.dedup_key
                    .starts_with(&format!("{}@", order.external_id))
            );
            assert_eq!(order.payment_status, PaymentStatus::Paid);
            assert!(order.ship_to.is_some());
            assert!(!order.lines.is_empty());
            seen.push(order.external_id);
        }
        assert!(page.max_updated_at.is_some());
        match page.next_page {
            Some(next) => cursor.page = Some(next),
            None => break,
        }
    }
    assert!(pages >= 2, "30 orders take more than one page");
    seen.sort();
    placed.sort();
    assert_eq!(seen, placed);
}

#[tokio::test]
async fn webhook_and_poll_copies_share_a_dedup_key() {
    let (sim, channel) = setup(ShopifySimConfig::default()).await;
    let id = sim
        .place_order(spec(&[("TEE-BLK-M", 2)], WebhookFate::Lose))
        .await;
    sim.cancel_order(&id, WebhookFate::Lose).await;
    // What the webhook would have carried, signed as Shopify signs it.
    let body = sim.order_json(&id).unwrap().to_string().into_bytes();
    let request = WebhookRequest {
        headers: vec![
            ("x-shopify-topic".into(), "orders/cancelled".into()),
            (
                "x-shopify-hmac-sha256".into(),
                webhook_signature(&sim.config().client_secret, &body),
            ),
            (
                "x-shopify-webhook-id".into(),
                "6f1b0c9e-0000-4000-8000-000000000001".into(),
            ),
        ],
        body,
    };
    let Delivery::Order(hooked) = channel.verify_webhook(&request).await.unwrap() else {
        panic!("expected an order delivery");
    };
    let page = channel.poll_orders(&PollCursor::default()).await.unwrap();
    let polled = page
        .orders
        .iter()
        .find(|r| r.external_id.as_deref() == Some(&id))
        .unwrap();
    assert_eq!(hooked.dedup_key, polled.dedup_key);
    let a = channel.normalize(&hooked).unwrap();
    let b = channel.normalize(polled).unwrap();
    assert_eq!(a.status, OrderStatus::Cancelled);
    assert_eq!(b.status, OrderStatus::Cancelled);
    assert_eq!(a.placed_at, b.placed_at);
    assert_eq!(
        a.placed_at.offset().local_minus_utc(),
        -5 * 3600,
        "webhook keeps the shop offset"
    );
    assert_eq!((a.total, a.lines.clone()), (b.total, b.lines.clone()));
}

#[tokio::test]
async fn discover_then_push_with_compare_and_set() {
    let (sim, channel) = setup(ShopifySimConfig::default()).await;
    let skus: Vec<String> = ["TEE-BLK-M", "TEE-BLK-L", "MUG 12OZ", "NOPE"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let listings = channel.discover_listings(&skus).await.unwrap();
    assert_eq!(listings.len(), 3);
    let by = |sku: &str| listings.iter().find(|l| l.sku == sku).unwrap().clone();
    assert_eq!(by("TEE-BLK-M").channel_quantity, Some(10));
    assert_eq!(by("MUG 12OZ").channel_quantity, Some(0));
    assert_eq!(
        by("TEE-BLK-M").reference["inventory_item_id"],
        json!(sim.inventory_item_gid("TEE-BLK-M").unwrap())
    );
    assert_eq!(
        by("TEE-BLK-M").reference["variant_id"],
        json!(sim.variant_gid("TEE-BLK-M").unwrap())
    );

    let level = |sku: &str, quantity, expected| ListingLevel {
        sku: sku.into(),
        reference: by(sku).reference,
        quantity,
        expected_current: expected,
    };
    let report = channel
        .push_stock(&[level("TEE-BLK-M", 7, Some(10)), level("MUG 12OZ", 5, None)])
        .await
        .unwrap();
    assert_eq!(
        report.applied,
        vec!["TEE-BLK-M".to_string(), "MUG 12OZ".to_string()]
    );
    assert_eq!(sim.stock("TEE-BLK-M"), Some(7));
    assert_eq!(sim.stock("MUG 12OZ"), Some(5));

    // Someone edits the level in the Shopify admin behind the hub's back.
    sim.set_stock("TEE-BLK-L", 9);
    let writes_before = sim.stats().stock_writes;
    let report = channel
        .push_stock(&[
            level("TEE-BLK-M", 6, Some(7)),
            level("TEE-BLK-L", 2, Some(4)),
        ])
        .await
        .unwrap();
    assert_eq!(report.stale, vec![("TEE-BLK-L".to_string(), None)]);
    assert_eq!(
        report.applied,
        vec!["TEE-BLK-M".to_string()],
        "the clean item is re-pushed"
    );
    assert_eq!(
        sim.stock("TEE-BLK-L"),
        Some(9),
        "a stale item is never applied"
    );
    assert_eq!(sim.stock("TEE-BLK-M"), Some(6));
    assert_eq!(sim.stats().stock_writes, writes_before + 1);

    // A reference that is not Shopify's is refused without a call.
    let bad = ListingLevel {
        sku: "X".into(),
        reference: json!({}),
        quantity: 1,
        expected_current: None,
    };
    let report = channel.push_stock(&[bad]).await.unwrap();
    assert_eq!(report.rejected.len(), 1);
}

#[tokio::test]
async fn write_back_records_tracking_once() {
    let (sim, channel) = setup(ShopifySimConfig::default()).await;
    let id = sim
        .place_order(spec(
            &[("TEE-BLK-M", 2), ("TEE-BLK-L", 1)],
            WebhookFate::Lose,
        ))
        .await;
    let lines = sim.line_item_ids(&id);
    let shipment = |number: &str, lines: Vec<ShippedLine>| Shipment {
        order_external_id: id.clone(),
        carrier: "UPS".into(),
        tracking_number: number.into(),
        shipped_at: Utc::now().fixed_offset(),
        lines,
    };
    let first = shipment(
        "1Z0001",
        vec![ShippedLine {
            line_id: lines[0].clone(),
            quantity: 2,
        }],
    );
    channel.write_back_shipment(&first, "ship-1").await.unwrap();
    channel.write_back_shipment(&first, "ship-1").await.unwrap();
    assert_eq!(sim.fulfillment_count(&id), 1);
    let recorded = sim.shipments(&id);
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].tracking_number, "1Z0001");
    assert_eq!(recorded[0].carrier, "UPS");

    // The order is now partially fulfilled, as a poll shows.
    let page = channel.poll_orders(&PollCursor::default()).await.unwrap();
    let raw = page
        .orders
        .iter()
        .find(|r| r.external_id.as_deref() == Some(&id))
        .unwrap();
    assert_eq!(
        channel.normalize(raw).unwrap().status,
        OrderStatus::PartiallyFulfilled
    );

    // An empty shipment ships what remains.
    channel
        .write_back_shipment(&shipment("1Z0002", vec![]), "ship-2")
        .await
        .unwrap();
    assert_eq!(sim.fulfillment_count(&id), 2);
    // Nothing is left: a new tracking number for the same goods is refused, not duplicated.
    let err = channel
        .write_back_shipment(&shipment("1Z0003", vec![]), "ship-3")
        .await
        .unwrap_err();
    assert!(matches!(err, ChannelError::Rejected(_)), "{err:?}");
    assert_eq!(sim.fulfillment_count(&id), 2);
}

/// Reads every page of returns from `cursor` on; returns (found, where the sweep ended).
async fn sweep_returns(
    channel: &ShopifyChannel,
    mut cursor: Option<String>,
) -> (Vec<switchyard_core::ports::ChannelReturn>, Option<String>) {
    let mut found = Vec::new();
    for _ in 0..20 {
        let page = channel.poll_returns(cursor.as_deref()).await.unwrap();
        found.extend(page.returns);
        // A cursor without a page cursor (`<since>|`) ends the sweep.
        let done = page.next_cursor.as_deref().is_none_or(|c| c.ends_with('|'));
        cursor = page.next_cursor;
        if done {
            break;
        }
    }
    (found, cursor)
}

#[tokio::test]
async fn returns_opened_on_the_shop_are_read_across_pages_and_from_the_cursor() {
    let (sim, channel) = setup(ShopifySimConfig::default()).await;
    // More orders than one page of returns holds, each shipped, every other one returned.
    let mut orders = Vec::new();
    for _ in 0..11 {
        let id = sim
            .place_order(spec(
                &[("TEE-BLK-M", 2), ("TEE-BLK-L", 1)],
                WebhookFate::Lose,
            ))
            .await;
        let lines = sim.line_item_ids(&id);
        let shipped = Shipment {
            order_external_id: id.clone(),
            carrier: "UPS".into(),
            tracking_number: format!("1Z{id}"),
            shipped_at: Utc::now().fixed_offset(),
            lines: vec![ShippedLine {
                line_id: lines[0].clone(),
                quantity: 2,
            }],
        };
        channel.write_back_shipment(&shipped, "ship").await.unwrap();
        orders.push((id, lines));
    }
    let mut opened = Vec::new();
    for (i, (id, lines)) in orders.iter().enumerate() {
        // The shop refuses to take back what was not shipped, or more than was.
        assert_eq!(sim.open_return(id, &[(lines[1].clone(), 1)]).await, None);
        assert_eq!(sim.open_return(id, &[(lines[0].clone(), 3)]).await, None);
        if i % 2 == 0 {
            let r = sim.open_return(id, &[(lines[0].clone(), 2)]).await.unwrap();
            opened.push((r, id.clone(), lines[0].clone()));
        }
    }
    // Everything shipped is on a return already: no second one for the same units.
    assert_eq!(
        sim.open_return(&orders[0].0, &[(orders[0].1[0].clone(), 1)])
            .await,
        None
    );

    let (found, cursor) = sweep_returns(&channel, None).await;
    for (r, order, line) in &opened {
        let got: Vec<_> = found.iter().filter(|f| &f.external_id == r).collect();
        assert!(!got.is_empty(), "return {r} of order {order} not read");
        assert_eq!(&got[0].order_external_id, order);
        assert_eq!(got[0].lines, vec![(line.clone(), 2)]);
    }
    assert!(
        found
            .iter()
            .all(|f| opened.iter().any(|(r, ..)| *r == f.external_id))
    );

    // A later return on an order not returned yet is found from where the sweep ended.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (id, lines) = &orders[1];
    let late = sim.open_return(id, &[(lines[0].clone(), 1)]).await.unwrap();
    let (found, _) = sweep_returns(&channel, cursor).await;
    assert!(
        found
            .iter()
            .any(|f| f.external_id == late && &f.order_external_id == id),
        "{found:?}"
    );
}

#[tokio::test]
async fn throttled_requests_are_waited_out() {
    let config = ShopifySimConfig {
        restore_rate: 1000.0,
        bucket_size: 1000.0,
        ..Default::default()
    };
    let (sim, channel) = setup(config).await;
    sim.place_order(spec(&[("TEE-BLK-M", 1)], WebhookFate::Lose))
        .await;
    // Other traffic has just used up the bucket.
    sim.drain_bucket();
    let start = Instant::now();
    let page = channel.poll_orders(&PollCursor::default()).await.unwrap();
    assert_eq!(page.orders.len(), 1);
    assert!(sim.stats().throttled >= 1, "{:?}", sim.stats());
    assert!(
        start.elapsed() >= Duration::from_millis(500),
        "waited for the points to return"
    );
}

#[tokio::test]
async fn a_client_side_limit_paces_without_being_throttled() {
    let (sim, _) = setup(ShopifySimConfig::default()).await;
    let mut config = channel_config(&sim, &sim.config().access_token);
    config.rate_limit = Some(RateLimitConfig {
        per_second: 5000.0,
        burst: 1000,
    });
    let channel = ShopifyChannel::new(&config).unwrap();
    for _ in 0..3 {
        channel.poll_orders(&PollCursor::default()).await.unwrap();
    }
    assert_eq!(sim.stats().throttled, 0);
}

#[tokio::test]
async fn a_bad_token_is_an_auth_error() {
    let (sim, _) = setup(ShopifySimConfig::default()).await;
    let channel = ShopifyChannel::new(&channel_config(&sim, "shpat_wrong")).unwrap();
    let err = channel
        .poll_orders(&PollCursor::default())
        .await
        .unwrap_err();
    assert!(matches!(err, ChannelError::Auth(_)), "{err:?}");
    let err = channel
        .discover_listings(&["TEE-BLK-M".to_string()])
        .await
        .unwrap_err();
    assert!(matches!(err, ChannelError::Auth(_)), "{err:?}");
}

#[test]
fn configuration_errors_name_the_field() {
    let mut config = ChannelConfig {
        access_token: Some("t".into()),
        location_id: Some("gid://shopify/Location/5".into()),
        webhook_secret: Some("s".into()),
        poll_interval_secs: 60,
        poll_overlap_secs: 300,
        ..ChannelConfig::new(
            "shop",
            ChannelKind::Shopify,
            "https://example.myshopify.com",
        )
    };
    assert!(ShopifyChannel::new(&config).is_ok());
    config.location_id = Some("warehouse".into());
    assert!(
        ShopifyChannel::new(&config)
            .err()
            .unwrap()
            .contains("location_id")
    );
    config.location_id = Some("5".into());
    config.access_token = None;
    assert!(
        ShopifyChannel::new(&config)
            .err()
            .unwrap()
            .contains("access_token")
    );
}

fn cancel_request(id: &str) -> switchyard_core::cancellation::ChannelCancel {
    use switchyard_core::cancellation::{CancelReason, channel_terms};
    switchyard_core::cancellation::ChannelCancel {
        cancellation_id: 3,
        order_external_id: id.into(),
        order_number: id.into(),
        whole: true,
        lines: Vec::new(),
        reason: CancelReason::OutOfStock,
        reason_code: channel_terms(ChannelKind::Shopify)
            .code(CancelReason::OutOfStock)
            .unwrap()
            .into(),
    }
}

#[tokio::test]
async fn an_order_is_cancelled_with_its_reason_once_and_a_fulfilled_one_is_refused() {
    let (sim, channel) = setup(ShopifySimConfig::default()).await;
    let id = sim
        .place_order(spec(&[("TEE-BLK-M", 1)], WebhookFate::Lose))
        .await;
    let said = channel
        .cancel_order(&cancel_request(&id), "k")
        .await
        .expect("cancel");
    assert!(said.contains("INVENTORY"), "{said}");
    let again = channel
        .cancel_order(&cancel_request(&id), "k")
        .await
        .expect("repeat");
    assert!(again.contains("already cancelled"), "{again}");
    assert_eq!(sim.seller_cancellations(&id), vec!["INVENTORY".to_string()]);
    assert!(sim.is_cancelled(&id));
    let order = sim.order_json(&id).unwrap();
    assert_eq!(order["cancel_reason"], "inventory");
    // A fulfilled order cannot be cancelled: Shopify says so.
    let shipped = sim
        .place_order(spec(&[("TEE-BLK-L", 1)], WebhookFate::Lose))
        .await;
    let parcel = Shipment {
        order_external_id: shipped.clone(),
        carrier: "UPS".into(),
        tracking_number: "1ZCANCEL".into(),
        shipped_at: Utc::now().fixed_offset(),
        lines: Vec::new(),
    };
    channel.write_back_shipment(&parcel, "ship").await.unwrap();
    let err = channel
        .cancel_order(&cancel_request(&shipped), "k2")
        .await
        .unwrap_err();
    assert!(matches!(err, ChannelError::Rejected(_)), "{err}");
    assert!(err.to_string().contains("fulfillments"), "{err}");
    assert!(sim.seller_cancellations(&shipped).is_empty());
    // Lines are not Shopify's to cancel.
    let mut lines = cancel_request(&id);
    lines.whole = false;
    assert!(matches!(
        channel.cancel_order(&lines, "k3").await,
        Err(ChannelError::Rejected(_))
    ));
}
