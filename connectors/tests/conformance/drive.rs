//! Drives every operation of every connector against its simulator, through the connectors'
//! public API (as the daemon calls them), with the simulator recording both sides of the wire.
//! Each driver asserts that the operations worked; what went over the wire is checked later.

use std::time::Duration;

use axum::Router;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use switchyard_connectors::channels::amazon::AmazonChannel;
use switchyard_connectors::channels::bigcommerce::BigCommerceChannel;
use switchyard_connectors::channels::ebay::EbayChannel;
use switchyard_connectors::channels::etsy::EtsyChannel;
use switchyard_connectors::channels::shopify::ShopifyChannel;
use switchyard_connectors::channels::walmart::{FeedWait, WalmartChannel};
use switchyard_connectors::channels::woocommerce::WooChannel;
use switchyard_connectors::fulfillment::shipbob::ShipBobTarget;
use switchyard_core::config::{AdapterConfig, AdapterKind, ChannelConfig, RateLimitConfig};
use switchyard_core::fulfillment::{
    FulfillmentLine, FulfillmentOrder, FulfillmentTarget, OrderRef, RequestedShipping,
};
use switchyard_core::model::{Address, ChannelKind, Shipment, ShippedLine};
use switchyard_core::ports::{
    Channel, ChannelError, ListingLevel, PollCursor, RawOrder, Refund, RefundLine, RefundOutcome,
    WebhookRequest,
};
use switchyard_sim::record::Direction;
use switchyard_sim::{Exchange, OrderSpec, SimulatedChannel, WebhookFate};

/// A refund of `quantity` units of one line at `unit` each, for RMA `rma_id`.
fn refund_of(order_id: &str, line_id: &str, quantity: u32, unit: Decimal, rma_id: i64) -> Refund {
    let amount = unit * Decimal::from(quantity);
    Refund {
        order_external_id: order_id.to_string(),
        currency: "USD".into(),
        lines: vec![RefundLine {
            line_id: line_id.to_string(),
            quantity,
            amount,
        }],
        amount,
        rma_id,
        return_external_id: None,
        identical_refunded: 0,
    }
}

/// Refunds once, again with the same key (found, not repeated), then asks for more than the
/// order is worth (refused); the simulator's own record holds the one refund.
async fn drive_refunds(
    channel: &dyn Channel,
    sim: &dyn SimulatedChannel,
    order_id: &str,
    line_id: &str,
    unit: Decimal,
) {
    let key = format!("refund:{}:1", channel.id());
    let refund = refund_of(order_id, line_id, 1, unit, 1);
    let first = channel.refund(&refund, &key).await.expect("refund");
    assert!(matches!(first, RefundOutcome::Refunded { .. }), "{first:?}");
    let again = channel.refund(&refund, &key).await.expect("refund again");
    assert_eq!(first, again, "the same key finds the same refund");
    let held = sim.refunds(order_id);
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0].amount, switchyard_core::ports::two_places(unit));
    let too_much = refund_of(order_id, line_id, 50, Decimal::from(2_000), 2);
    let refused = channel
        .refund(&too_much, &format!("refund:{}:2", channel.id()))
        .await;
    assert!(
        matches!(refused, Err(ChannelError::Rejected(_))),
        "{refused:?}"
    );
    assert_eq!(sim.refunds(order_id).len(), 1);
}

/// Exchanges one simulator keeps at most during a run.
const KEEP: usize = 5_000;

fn fast() -> Option<RateLimitConfig> {
    Some(RateLimitConfig {
        per_second: 1000.0,
        burst: 1000,
    })
}

fn order(lines: &[(&str, u32)], fate: WebhookFate) -> OrderSpec {
    OrderSpec {
        lines: lines.iter().map(|(s, q)| (s.to_string(), *q)).collect(),
        paid: true,
        email: "shopper@example.com".into(),
        fate,
    }
}

fn shipment(order_id: &str, lines: Vec<(String, u32)>) -> Shipment {
    Shipment {
        order_external_id: order_id.into(),
        carrier: "UPS".into(),
        tracking_number: "1Z999AA10123456784".into(),
        shipped_at: DateTime::parse_from_rfc3339("2026-05-01T09:30:00-04:00").expect("date"),
        lines: lines
            .into_iter()
            .map(|(line_id, quantity)| ShippedLine { line_id, quantity })
            .collect(),
    }
}

fn level(
    sku: &str,
    reference: serde_json::Value,
    quantity: i64,
    expected: Option<i64>,
) -> ListingLevel {
    ListingLevel {
        sku: sku.into(),
        reference,
        quantity,
        expected_current: expected,
    }
}

/// A webhook endpoint that answers 200 to anything (the sims record what they sent).
/// A seller cancellation as the outbox hands it to the connector, with the channel's code.
fn cancel_request(
    kind: ChannelKind,
    order_id: &str,
    lines: &[(&str, u32)],
    reason: switchyard_core::cancellation::CancelReason,
) -> switchyard_core::cancellation::ChannelCancel {
    switchyard_core::cancellation::ChannelCancel {
        cancellation_id: 1,
        order_external_id: order_id.into(),
        order_number: order_id.into(),
        whole: lines.is_empty(),
        lines: lines
            .iter()
            .map(|(l, q)| switchyard_core::cancellation::CancelLine {
                line_id: (*l).into(),
                quantity: *q,
            })
            .collect(),
        reason,
        reason_code: switchyard_core::cancellation::channel_terms(kind)
            .code(reason)
            .expect("the channel has a code")
            .into(),
    }
}

pub async fn receiver() -> String {
    let app = Router::new().fallback(|| async { "ok" });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/webhooks")
}

/// Every page of a sweep from `since`.
async fn sweep(channel: &dyn Channel, since: Option<DateTime<Utc>>) -> Vec<RawOrder> {
    let mut cursor = PollCursor {
        since,
        ..PollCursor::default()
    };
    let mut all = Vec::new();
    loop {
        let page = channel.poll_orders(&cursor).await.expect("poll");
        for raw in &page.orders {
            channel.normalize(raw).expect("polled orders normalize");
        }
        all.extend(page.orders);
        match page.next_page {
            Some(next) => cursor.page = Some(next),
            None => return all,
        }
    }
}

/// The connector accepts every webhook the simulator sent (as the daemon's server would).
async fn verify_sent(channel: &dyn Channel, exchanges: &[Exchange]) -> usize {
    let mut n = 0;
    for ex in exchanges.iter().filter(|e| e.direction == Direction::Sent) {
        let request = WebhookRequest {
            headers: ex
                .request_headers
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
                .collect(),
            body: ex.request_body.to_vec(),
        };
        channel
            .verify_webhook(&request)
            .await
            .unwrap_or_else(|e| panic!("{}: sent webhook refused: {e}", channel.id()));
        n += 1;
    }
    n
}

pub async fn shopify() -> Vec<Exchange> {
    use switchyard_sim::shopify::{ShopifySim, ShopifySimConfig};
    let sim = ShopifySim::start(ShopifySimConfig::default())
        .await
        .expect("sim");
    sim.set_webhook_target(&receiver().await);
    let skus: Vec<String> = (0..30).map(|i| format!("SKU-{i:02}")).collect();
    for sku in &skus {
        sim.add_product(sku, "Thing", "19.99", 10);
    }
    let config = ChannelConfig {
        access_token: Some(sim.config().access_token.clone()),
        location_id: Some(sim.location_gid()),
        webhook_secret: Some(sim.config().client_secret.clone()),
        ..ChannelConfig::new("shop", ChannelKind::Shopify, sim.base_url())
    };
    let channel = ShopifyChannel::new(&config).expect("channel");
    sim.recorder().start(KEEP);
    let id = sim
        .place_order(order(&[("SKU-00", 2), ("SKU-01", 1)], WebhookFate::Deliver))
        .await;
    assert!(!sweep(&channel, None).await.is_empty());
    let listings = channel.discover_listings(&skus).await.expect("discover");
    assert_eq!(listings.len(), 30);
    let small = [level(
        &listings[0].sku,
        listings[0].reference.clone(),
        7,
        Some(10),
    )];
    assert_eq!(
        channel
            .push_stock(&small)
            .await
            .expect("push")
            .applied
            .len(),
        1
    );
    let large: Vec<ListingLevel> = listings[1..]
        .iter()
        .map(|l| level(&l.sku, l.reference.clone(), 3, None))
        .collect();
    assert_eq!(
        channel
            .push_stock(&large)
            .await
            .expect("push")
            .applied
            .len(),
        29
    );
    let line = sim.line_item_ids(&id).remove(0);
    channel
        .write_back_shipment(&shipment(&id, vec![(line.clone(), 2)]), "ship-1")
        .await
        .expect("write-back");
    // A seller cancellation (orderCancel), and one refused because the order has a fulfillment.
    use switchyard_core::cancellation::CancelReason;
    let unsold = sim
        .place_order(order(&[("SKU-02", 1)], WebhookFate::Lose))
        .await;
    channel
        .cancel_order(
            &cancel_request(ChannelKind::Shopify, &unsold, &[], CancelReason::OutOfStock),
            "channel-cancel:shop:1",
        )
        .await
        .expect("orderCancel");
    assert!(
        channel
            .cancel_order(
                &cancel_request(ChannelKind::Shopify, &id, &[], CancelReason::Fraud),
                "channel-cancel:shop:2",
            )
            .await
            .is_err(),
        "a fulfilled order is refused"
    );
    // Returns: none yet, then one opened on the shop arrives with its order line and units.
    let none = channel.poll_returns(None).await.expect("returns");
    assert!(none.returns.is_empty(), "{none:?}");
    let opened = sim
        .open_return(&id, &[(line.clone(), 1)])
        .await
        .expect("return opened");
    let page = channel.poll_returns(None).await.expect("returns");
    assert_eq!(page.returns.len(), 1, "{page:?}");
    assert_eq!(page.returns[0].external_id, opened);
    assert_eq!(page.returns[0].order_external_id, id);
    assert_eq!(page.returns[0].lines, vec![(line.clone(), 1)]);
    let again = channel
        .poll_returns(page.next_cursor.as_deref())
        .await
        .expect("returns from the cursor");
    assert_eq!(again.returns.len(), 1, "the newest order is read again");
    drive_refunds(&channel, sim.as_ref(), &id, &line, Decimal::new(1999, 2)).await;
    sim.cancel_order(&id, WebhookFate::Deliver).await;
    sweep(&channel, None).await;
    let exchanges = sim.recorder().take();
    assert!(verify_sent(&channel, &exchanges).await >= 2);
    exchanges
}

pub async fn woocommerce() -> Vec<Exchange> {
    use switchyard_sim::woocommerce::{WooSim, WooSimConfig};
    let cfg = WooSimConfig::default();
    let sim = WooSim::start(cfg.clone()).await.expect("sim");
    sim.recorder().start(KEEP);
    sim.set_webhook_target(&receiver().await);
    tokio::time::sleep(Duration::from_millis(100)).await; // the creation pings
    let skus: Vec<String> = (0..120).map(|i| format!("SKU-{i:03}")).collect();
    for sku in &skus {
        sim.add_product(sku, "Thing", "12.50", 5);
    }
    sim.add_variable_product("Tee", &[("TEE-S", "20.00", 3), ("TEE-M", "20.00", 4)]);
    let channel = WooChannel::new(&ChannelConfig {
        consumer_key: Some(cfg.consumer_key.clone()),
        consumer_secret: Some(cfg.consumer_secret.clone()),
        webhook_secret: Some(cfg.webhook_secret.clone()),
        rate_limit: fast(),
        ..ChannelConfig::new("woo", ChannelKind::Woocommerce, sim.base_url())
    })
    .expect("channel");
    let id = sim
        .place_order(order(&[("SKU-000", 1)], WebhookFate::Deliver))
        .await;
    assert!(!sweep(&channel, None).await.is_empty());
    let mut wanted = skus.clone();
    wanted.extend(["TEE-S".to_string(), "TEE-M".to_string()]);
    let listings = channel.discover_listings(&wanted).await.expect("discover");
    assert_eq!(listings.len(), 122);
    let small = [level(
        &listings[0].sku,
        listings[0].reference.clone(),
        4,
        None,
    )];
    assert_eq!(
        channel
            .push_stock(&small)
            .await
            .expect("push")
            .applied
            .len(),
        1
    );
    let large: Vec<ListingLevel> = listings
        .iter()
        .map(|l| level(&l.sku, l.reference.clone(), 2, None))
        .collect();
    assert_eq!(
        channel
            .push_stock(&large)
            .await
            .expect("push")
            .applied
            .len(),
        122
    );
    let line = sim.order_json(&id).expect("order")["line_items"][0]["id"].to_string();
    channel
        .write_back_shipment(&shipment(&id, vec![(line.clone(), 1)]), "ship-1")
        .await
        .expect("write-back");
    drive_refunds(&channel, sim.as_ref(), &id, &line, Decimal::new(1250, 2)).await;
    let other = sim
        .place_order(order(&[("SKU-001", 1)], WebhookFate::Lose))
        .await;
    sim.cancel_order(&other, WebhookFate::Deliver).await;
    // A seller cancellation: the reason as a private note, then status `cancelled`.
    let unsold = sim
        .place_order(order(&[("SKU-002", 1)], WebhookFate::Lose))
        .await;
    channel
        .cancel_order(
            &cancel_request(
                ChannelKind::Woocommerce,
                &unsold,
                &[],
                switchyard_core::cancellation::CancelReason::OutOfStock,
            ),
            "channel-cancel:woo:1",
        )
        .await
        .expect("cancel");
    sweep(&channel, None).await;
    let exchanges = sim.recorder().take();
    assert!(verify_sent(&channel, &exchanges).await >= 2);
    exchanges
}

pub async fn amazon() -> Vec<Exchange> {
    use switchyard_sim::amazon::{AmazonSim, AmazonSimConfig};
    let sim = AmazonSim::start(AmazonSimConfig {
        feed_processing_delay: Duration::from_millis(200),
        ..AmazonSimConfig::default()
    })
    .await
    .expect("sim");
    sim.set_webhook_target(&receiver().await);
    let skus: Vec<String> = (0..40).map(|i| format!("SKU-{i:02}")).collect();
    for sku in &skus {
        sim.add_product(sku, "Thing", "9.99", 10);
    }
    sim.add_fba_product("TOWEL", "Towel", "8.00", 40);
    let cfg = sim.config();
    let config = ChannelConfig {
        client_id: Some(cfg.client_id.clone()),
        client_secret: Some(cfg.client_secret.clone()),
        refresh_token: Some(cfg.refresh_token.clone()),
        token_url: Some(sim.token_url()),
        marketplace_id: Some(cfg.marketplace_id.clone()),
        seller_id: Some(cfg.seller_id.clone()),
        webhook_secret: Some(cfg.notification_api_key.clone()),
        ..ChannelConfig::new("amazon-us", ChannelKind::Amazon, sim.base_url())
    };
    let channel = AmazonChannel::new(&config).expect("channel");
    let legacy = AmazonChannel::new(&ChannelConfig {
        api_version: Some("v0".into()),
        ..config.clone()
    })
    .expect("legacy channel");
    sim.recorder().start(KEEP);
    let id = sim
        .place_order(order(&[("SKU-00", 2)], WebhookFate::Deliver))
        .await;
    sim.place_fba_order(order(&[("TOWEL", 1)], WebhookFate::Lose))
        .await;
    assert!(sweep(&channel, None).await.len() >= 2);
    channel
        .fetch_order(&id)
        .await
        .expect("fetch")
        .expect("found");
    assert!(sweep(&legacy, None).await.len() >= 2);
    legacy
        .fetch_order(&id)
        .await
        .expect("fetch v0")
        .expect("found");
    let mut wanted = skus.clone();
    wanted.push("TOWEL".into());
    let listings = channel.discover_listings(&wanted).await.expect("discover");
    assert_eq!(listings.len(), 41);
    let mfn: Vec<_> = listings.iter().filter(|l| l.sku != "TOWEL").collect();
    let small = [level(&mfn[0].sku, mfn[0].reference.clone(), 4, None)];
    assert_eq!(
        channel
            .push_stock(&small)
            .await
            .expect("patch")
            .applied
            .len(),
        1
    );
    let large: Vec<ListingLevel> = mfn
        .iter()
        .map(|l| level(&l.sku, l.reference.clone(), 2, None))
        .collect();
    assert_eq!(
        channel
            .push_stock(&large)
            .await
            .expect("feed")
            .applied
            .len(),
        40
    );
    assert_eq!(sim.feeds().len(), 1, "the large batch went as a feed");
    let line = sim.order_item_ids(&id).remove(0);
    channel
        .write_back_shipment(&shipment(&id, vec![(line.clone(), 2)]), "ship-1")
        .await
        .expect("write-back");
    let other = sim
        .place_order(order(&[("SKU-01", 1)], WebhookFate::Lose))
        .await;
    let line = sim.order_item_ids(&other).remove(0);
    legacy
        .write_back_shipment(&shipment(&other, vec![(line, 1)]), "ship-2")
        .await
        .expect("write-back v0");
    let cancelled = sim
        .place_order(order(&[("SKU-02", 1)], WebhookFate::Lose))
        .await;
    sim.cancel_order(&cancelled, WebhookFate::Deliver).await;
    sweep(&channel, None).await;
    sweep(&legacy, None).await;
    // Token refresh: revoked behind the connector's back, one refresh and one retry.
    sim.expire_tokens();
    channel.fetch_order(&id).await.expect("after revocation");
    let exchanges = sim.recorder().take();
    assert!(verify_sent(&channel, &exchanges).await >= 2);
    exchanges
}

pub async fn ebay() -> Vec<Exchange> {
    use switchyard_sim::ebay::{EbaySim, EbaySimConfig};
    let cfg = EbaySimConfig::default();
    let sim = EbaySim::start(cfg.clone()).await.expect("sim");
    let skus: Vec<String> = (0..30).map(|i| format!("SKU-{i:02}")).collect();
    for sku in &skus {
        sim.add_product(sku, "Thing", "12.50", 3);
    }
    let channel = EbayChannel::new(&ChannelConfig {
        client_id: Some(cfg.client_id.clone()),
        client_secret: Some(cfg.client_secret.clone()),
        refresh_token: Some(cfg.refresh_token.clone()),
        token_url: Some(sim.token_url()),
        rate_limit: fast(),
        ..ChannelConfig::new("ebay", ChannelKind::Ebay, sim.base_url())
    })
    .expect("channel");
    sim.recorder().start(KEEP);
    let id = sim
        .place_order(order(&[("SKU-00", 2)], WebhookFate::Lose))
        .await;
    assert!(
        !sweep(&channel, Some(Utc::now() - chrono::Duration::hours(1)))
            .await
            .is_empty()
    );
    channel
        .fetch_order(&id)
        .await
        .expect("fetch")
        .expect("found");
    let listings = channel.discover_listings(&skus).await.expect("discover");
    assert_eq!(listings.len(), 30);
    let small = [level(
        &listings[0].sku,
        listings[0].reference.clone(),
        1,
        None,
    )];
    assert_eq!(
        channel
            .push_stock(&small)
            .await
            .expect("push")
            .applied
            .len(),
        1
    );
    for chunk in listings.chunks(channel.limits().max_stock_batch) {
        let batch: Vec<ListingLevel> = chunk
            .iter()
            .map(|l| level(&l.sku, l.reference.clone(), 2, None))
            .collect();
        assert_eq!(
            channel
                .push_stock(&batch)
                .await
                .expect("push")
                .applied
                .len(),
            batch.len()
        );
    }
    let line = sim.order_json(&id).expect("order")["lineItems"][0]["lineItemId"]
        .as_str()
        .expect("line id")
        .to_string();
    channel
        .write_back_shipment(&shipment(&id, vec![(line.clone(), 2)]), "ship-1")
        .await
        .expect("write-back");
    drive_refunds(&channel, sim.as_ref(), &id, &line, Decimal::new(1250, 2)).await;
    let other = sim
        .place_order(order(&[("SKU-01", 1)], WebhookFate::Lose))
        .await;
    sim.cancel_order(&other, WebhookFate::Lose).await;
    // A seller cancellation through the Post-Order API (search first, then create), and a
    // shipped order found not eligible.
    use switchyard_core::cancellation::CancelReason;
    let unsold = sim
        .place_order(order(&[("SKU-02", 1)], WebhookFate::Lose))
        .await;
    channel
        .cancel_order(
            &cancel_request(ChannelKind::Ebay, &unsold, &[], CancelReason::OutOfStock),
            "channel-cancel:ebay:1",
        )
        .await
        .expect("post-order cancellation");
    assert!(
        channel
            .cancel_order(
                &cancel_request(ChannelKind::Ebay, &id, &[], CancelReason::CustomerRequest),
                "channel-cancel:ebay:2",
            )
            .await
            .is_err()
    );
    // A buyer's return request for a shipped unit, read by the Post-Order return search
    // (a first sweep, then one from the cursor's creation date).
    let returned = sim
        .open_return(&id, &[(line.clone(), 1)])
        .await
        .expect("ebay return request");
    let page = channel.poll_returns(None).await.expect("ebay returns");
    assert!(page.returns.iter().any(|r| r.external_id == returned));
    channel
        .poll_returns(page.next_cursor.as_deref())
        .await
        .expect("ebay returns since");
    sweep(&channel, Some(Utc::now() - chrono::Duration::hours(1))).await;
    sim.expire_tokens();
    channel.fetch_order(&id).await.expect("after revocation");
    sim.recorder().take()
}

pub async fn walmart() -> Vec<Exchange> {
    use switchyard_sim::walmart::{WalmartSim, WalmartSimConfig};
    let cfg = WalmartSimConfig {
        feed_processing_delay: Duration::from_millis(100),
        ..WalmartSimConfig::default()
    };
    let sim = WalmartSim::start(cfg.clone()).await.expect("sim");
    let skus: Vec<String> = (0..12).map(|i| format!("SKU-{i:02}")).collect();
    for sku in &skus {
        sim.add_product(sku, "Thing", "12.50", 5);
    }
    let channel = WalmartChannel::new(&ChannelConfig {
        client_id: Some(cfg.client_id.clone()),
        client_secret: Some(cfg.client_secret.clone()),
        rate_limit: fast(),
        ..ChannelConfig::new("wm", ChannelKind::Walmart, sim.base_url())
    })
    .expect("channel")
    .with_feed_wait(FeedWait {
        first_check: Duration::from_millis(50),
        longest_interval: Duration::from_millis(200),
        give_up_after: Duration::from_secs(10),
    });
    sim.recorder().start(KEEP);
    let id = sim
        .place_order(order(&[("SKU-00", 2), ("SKU-01", 1)], WebhookFate::Lose))
        .await;
    assert!(!sweep(&channel, None).await.is_empty());
    channel
        .fetch_order(&id)
        .await
        .expect("fetch")
        .expect("found");
    let listings = channel.discover_listings(&skus).await.expect("discover");
    assert_eq!(listings.len(), 12);
    let small: Vec<ListingLevel> = listings[..2]
        .iter()
        .map(|l| level(&l.sku, l.reference.clone(), 3, None))
        .collect();
    assert_eq!(
        channel.push_stock(&small).await.expect("put").applied.len(),
        2
    );
    let large: Vec<ListingLevel> = listings
        .iter()
        .map(|l| level(&l.sku, l.reference.clone(), 1, None))
        .collect();
    assert_eq!(
        channel
            .push_stock(&large)
            .await
            .expect("feed")
            .applied
            .len(),
        12
    );
    assert_eq!(sim.feeds_submitted(), 1, "the large batch went as a feed");
    channel
        .write_back_shipment(&shipment(&id, vec![("1".into(), 2)]), "ship-1")
        .await
        .expect("write-back");
    drive_refunds(&channel, sim.as_ref(), &id, "1", Decimal::new(1250, 2)).await;
    let other = sim
        .place_order(order(&[("SKU-02", 1)], WebhookFate::Lose))
        .await;
    sim.cancel_order(&other, WebhookFate::Lose).await;
    // A seller cancellation of one line (cancelOrderLines) with Walmart's reason.
    let unsold = sim
        .place_order(order(&[("SKU-03", 2), ("SKU-04", 1)], WebhookFate::Lose))
        .await;
    channel
        .cancel_order(
            &cancel_request(
                ChannelKind::Walmart,
                &unsold,
                &[("2", 1)],
                switchyard_core::cancellation::CancelReason::OutOfStock,
            ),
            "channel-cancel:wm:1",
        )
        .await
        .expect("cancel lines");
    sweep(&channel, None).await;
    sim.expire_tokens();
    channel.fetch_order(&id).await.expect("after revocation");
    sim.recorder().take()
}

pub async fn etsy() -> Vec<Exchange> {
    use switchyard_sim::etsy::{EtsySim, EtsySimConfig};
    let sim = EtsySim::start(EtsySimConfig {
        per_second: 100_000,
        per_day: 1_000_000,
        ..EtsySimConfig::default()
    })
    .await
    .expect("sim");
    sim.add_variation_listing(
        "Tee",
        "Size",
        &[("TEE-S", "S", "20.50", 3), ("TEE-M", "M", "21.99", 4)],
    );
    let skus: Vec<String> = (0..12).map(|i| format!("SKU-{i:02}")).collect();
    for sku in &skus {
        sim.add_product(sku, "Thing", "12.50", 5);
    }
    let cfg = sim.config();
    let channel = EtsyChannel::new(
        &ChannelConfig {
            client_id: Some(cfg.keystring.clone()),
            client_secret: cfg.shared_secret.clone(),
            refresh_token: Some(cfg.refresh_token.clone()),
            token_url: Some(sim.token_url()),
            shop_id: Some(cfg.shop_id.to_string()),
            rate_limit: fast(),
            ..ChannelConfig::new("etsy", ChannelKind::Etsy, sim.base_url())
        },
        std::sync::Arc::new(switchyard_core::connector_state::MemoryState::new()),
    )
    .expect("channel");
    sim.recorder().start(KEEP);
    let id = sim
        .place_order(order(&[("SKU-00", 2)], WebhookFate::Lose))
        .await;
    assert!(
        !sweep(&channel, Some(Utc::now() - chrono::Duration::hours(1)))
            .await
            .is_empty()
    );
    channel
        .fetch_order(&id)
        .await
        .expect("fetch")
        .expect("found");
    let mut wanted = skus.clone();
    wanted.push("TEE-M".into());
    let listings = channel.discover_listings(&wanted).await.expect("discover");
    assert_eq!(listings.len(), 13);
    let small = [level(
        &listings[0].sku,
        listings[0].reference.clone(),
        1,
        None,
    )];
    assert_eq!(
        channel
            .push_stock(&small)
            .await
            .expect("push")
            .applied
            .len(),
        1
    );
    let large: Vec<ListingLevel> = listings
        .iter()
        .map(|l| level(&l.sku, l.reference.clone(), 2, None))
        .collect();
    assert_eq!(
        channel
            .push_stock(&large)
            .await
            .expect("push")
            .applied
            .len(),
        13
    );
    channel
        .write_back_shipment(&shipment(&id, vec![("1".into(), 2)]), "ship-1")
        .await
        .expect("write-back");
    let other = sim
        .place_order(order(&[("SKU-01", 1)], WebhookFate::Lose))
        .await;
    sim.cancel_order(&other, WebhookFate::Lose).await;
    sweep(&channel, Some(Utc::now() - chrono::Duration::hours(1))).await;
    sim.expire_access_tokens();
    channel.fetch_order(&id).await.expect("after revocation");
    sim.recorder().take()
}

pub async fn bigcommerce() -> Vec<Exchange> {
    use switchyard_sim::bigcommerce::{BigCommerceSimConfig, start};
    let sim = start(BigCommerceSimConfig::default()).await.expect("sim");
    sim.set_webhook_target(&receiver().await);
    let skus: Vec<String> = (0..30).map(|i| format!("SKU-{i:02}")).collect();
    for sku in &skus {
        sim.add_product(sku, "Thing", "12.50", 5);
    }
    let cfg = sim.config();
    let channel = BigCommerceChannel::new(&ChannelConfig {
        store_hash: Some(cfg.store_hash.clone()),
        access_token: Some(cfg.access_token.clone()),
        webhook_secret: Some(cfg.client_secret.clone()),
        rate_limit: fast(),
        ..ChannelConfig::new("bc", ChannelKind::Bigcommerce, sim.base_url())
    })
    .expect("channel");
    sim.recorder().start(KEEP);
    let id = sim
        .place_order(order(&[("SKU-00", 2)], WebhookFate::Deliver))
        .await;
    assert!(!sweep(&channel, None).await.is_empty());
    let fetched = channel
        .fetch_order(&id)
        .await
        .expect("fetch")
        .expect("found");
    let line = channel.normalize(&fetched).expect("normalizes").lines[0]
        .line_id
        .clone();
    let listings = channel.discover_listings(&skus).await.expect("discover");
    assert_eq!(listings.len(), 30);
    let small = [level(
        &listings[0].sku,
        listings[0].reference.clone(),
        1,
        None,
    )];
    assert_eq!(
        channel
            .push_stock(&small)
            .await
            .expect("push")
            .applied
            .len(),
        1
    );
    let large: Vec<ListingLevel> = listings
        .iter()
        .map(|l| level(&l.sku, l.reference.clone(), 2, None))
        .collect();
    assert_eq!(
        channel
            .push_stock(&large)
            .await
            .expect("push")
            .applied
            .len(),
        30
    );
    channel
        .write_back_shipment(&shipment(&id, vec![(line.clone(), 2)]), "ship-1")
        .await
        .expect("write-back");
    drive_refunds(&channel, sim.as_ref(), &id, &line, Decimal::new(1250, 2)).await;
    let other = sim
        .place_order(order(&[("SKU-01", 1)], WebhookFate::Lose))
        .await;
    sim.cancel_order(&other, WebhookFate::Deliver).await;
    // A seller cancellation: status_id 5 with the reason in staff_notes.
    let unsold = sim
        .place_order(order(&[("SKU-02", 1)], WebhookFate::Lose))
        .await;
    channel
        .cancel_order(
            &cancel_request(
                ChannelKind::Bigcommerce,
                &unsold,
                &[],
                switchyard_core::cancellation::CancelReason::PricingError,
            ),
            "channel-cancel:bc:1",
        )
        .await
        .expect("cancel");
    sweep(&channel, None).await;
    let exchanges = sim.recorder().take();
    let sent = verify_sent(&channel, &exchanges).await;
    assert!(sent >= 2, "order webhooks sent: {sent}");
    exchanges
}

pub async fn shipbob() -> Vec<Exchange> {
    use switchyard_sim::shipbob::{ShipBobSimConfig, start};
    let sim = start(ShipBobSimConfig::default()).await.expect("sim");
    sim.set_webhook_target(&receiver().await);
    for i in 0..300 {
        sim.set_inventory(&format!("SKU-{i:03}"), "Thing", 50);
    }
    let cfg = sim.config();
    let target = ShipBobTarget::new(
        "bob",
        &AdapterConfig {
            base_url: Some(sim.base_url()),
            access_token: Some(cfg.access_token.clone()),
            channel_id: Some(cfg.channel_id.to_string()),
            webhook_secret: Some(cfg.webhook_secret.clone()),
            rate_limit: fast(),
            ..AdapterConfig::new(AdapterKind::Shipbob)
        },
    )
    .expect("adapter");
    let fulfillment_order = |reference: &str| FulfillmentOrder {
        reference: reference.into(),
        channel_order_number: "#1001".into(),
        placed_at: Some(Utc::now().fixed_offset()),
        ship_to: Address {
            name: Some("Ada Lovelace".into()),
            address1: Some("100 N Racine Ave".into()),
            city: Some("Chicago".into()),
            region: Some("IL".into()),
            postal_code: Some("60607".into()),
            country_code: Some("US".into()),
            ..Address::default()
        },
        email: Some("ada@example.com".into()),
        currency: "USD".into(),
        lines: vec![FulfillmentLine {
            line_id: "line-1".into(),
            sku: "SKU-000".into(),
            partner_sku: None,
            quantity: 2,
            unit_price: Decimal::new(1250, 2),
            title: "Thing".into(),
        }],
        shipping: RequestedShipping {
            method: "Standard".into(),
            carrier: None,
        },
    };
    sim.recorder().start(KEEP);
    let since = Utc::now() - chrono::Duration::seconds(5);
    let shipped = target
        .submit(&fulfillment_order("shop:1"), "shop:1")
        .await
        .expect("submit");
    // A retry after a crash finds the first order (422 duplicate, then a lookup).
    target
        .submit(&fulfillment_order("shop:1"), "shop:1")
        .await
        .expect("resubmit");
    let id: u64 = shipped.partner_order_id.parse().expect("numeric id");
    assert!(
        sim.ship(id, "USPS", "9400111000", WebhookFate::Deliver)
            .await
    );
    let open = target
        .submit(&fulfillment_order("shop:2"), "shop:2")
        .await
        .expect("submit");
    target
        .cancel(
            &OrderRef {
                reference: "shop:2".into(),
                partner_order_id: Some(open.partner_order_id.clone()),
            },
            "cancel:shop:2",
        )
        .await
        .expect("cancel");
    let mut cursor = PollCursor {
        since: Some(since),
        ..PollCursor::default()
    };
    loop {
        let page = target.poll_events(&cursor).await.expect("poll");
        match page.next_page {
            Some(next) => cursor.page = Some(next),
            None => break,
        }
    }
    assert_eq!(target.inventory().await.expect("inventory").len(), 300);
    let exchanges = sim.recorder().take();
    for ex in exchanges.iter().filter(|e| e.direction == Direction::Sent) {
        let request = WebhookRequest {
            headers: ex
                .request_headers
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
                .collect(),
            body: ex.request_body.to_vec(),
        };
        target
            .verify_webhook(&request)
            .await
            .expect("webhook verifies");
    }
    exchanges
}
