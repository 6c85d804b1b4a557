//! The Walmart connector against the Walmart simulator, over real HTTP on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::DateTime;
use serde_json::json;
use switchyard_connectors::channels::walmart::{FeedWait, WalmartChannel};
use switchyard_core::config::{ChannelConfig, RateLimitConfig};
use switchyard_core::model::{ChannelKind, OrderStatus, PaymentStatus, Shipment, ShippedLine};
use switchyard_core::ports::{Channel, ChannelError, ListingLevel, PollCursor, WebhookRequest};
use switchyard_sim::walmart::{BucketSpec, WalmartBuckets, WalmartSim, WalmartSimConfig};
use switchyard_sim::{OrderSpec, SimulatedChannel, WebhookFate};

fn channel(sim: &WalmartSim, cfg: &WalmartSimConfig) -> WalmartChannel {
    channel_with(sim, cfg, None)
}

fn channel_with(
    sim: &WalmartSim,
    cfg: &WalmartSimConfig,
    ship_node: Option<&str>,
) -> WalmartChannel {
    let config = ChannelConfig {
        ship_node: ship_node.map(str::to_string),
        client_id: Some(cfg.client_id.clone()),
        client_secret: Some(cfg.client_secret.clone()),
        rate_limit: Some(RateLimitConfig {
            per_second: 1000.0,
            burst: 200,
        }),
        ..ChannelConfig::new("wm", ChannelKind::Walmart, sim.base_url())
    };
    WalmartChannel::new(&config)
        .expect("channel builds")
        .with_feed_wait(FeedWait {
            first_check: Duration::from_millis(50),
            longest_interval: Duration::from_millis(200),
            give_up_after: Duration::from_secs(10),
        })
}

async fn setup(cfg: WalmartSimConfig) -> (Arc<WalmartSim>, WalmartChannel) {
    let sim = WalmartSim::start(cfg.clone()).await.expect("sim starts");
    let channel = channel(&sim, &cfg);
    (sim, channel)
}

fn order_of(lines: &[(&str, u32)]) -> OrderSpec {
    OrderSpec {
        lines: lines.iter().map(|(s, q)| (s.to_string(), *q)).collect(),
        paid: true,
        email: "shopper@example.com".into(),
        fate: WebhookFate::Lose,
    }
}

/// Every order of one sweep, and how many pages it took.
async fn sweep(channel: &WalmartChannel) -> (Vec<switchyard_core::ports::RawOrder>, usize) {
    let mut cursor = PollCursor::default();
    let mut all = Vec::new();
    let mut pages = 0;
    loop {
        let page = channel.poll_orders(&cursor).await.expect("poll");
        pages += 1;
        all.extend(page.orders);
        match page.next_page {
            Some(next) => cursor.page = Some(next),
            None => return (all, pages),
        }
    }
}

#[tokio::test]
async fn released_orders_arrive_by_poll_over_cursor_pages_and_are_acknowledged() {
    let (sim, channel) = setup(WalmartSimConfig::default()).await;
    sim.add_product("MUG", "Camp Mug", "12.50", 500);
    let mut placed = Vec::new();
    for _ in 0..450 {
        placed.push(sim.place_order(order_of(&[("MUG", 2)])).await);
    }
    let (raws, pages) = sweep(&channel).await;
    assert_eq!(pages, 3, "450 orders at 200 a page");
    let mut seen = Vec::new();
    for raw in &raws {
        assert_eq!((raw.format.as_str(), raw.topic.as_str()), ("rest", "poll"));
        let order = channel.normalize(raw).expect("normalizes");
        assert_eq!(
            raw.dedup_key,
            format!(
                "{}@{}",
                order.external_id,
                order.updated_at.to_utc().format("%Y-%m-%dT%H:%M:%S%.3fZ")
            )
        );
        assert_eq!(order.status, OrderStatus::Open);
        assert_eq!(order.payment_status, PaymentStatus::Paid);
        assert_eq!(order.lines[0].unit_price.to_string(), "12.50");
        assert_eq!(order.total.to_string(), "25.00");
        seen.push(order.external_id);
    }
    seen.sort();
    placed.sort();
    assert_eq!(seen, placed, "every order ingested exactly once");
    assert!(
        placed.iter().all(|po| sim.is_acknowledged(po)),
        "and acknowledged"
    );

    // Acknowledged orders are still in the all-orders listing: a lost page is found again,
    // as a new version (the acknowledgement changed the lines).
    let (again, _) = sweep(&channel).await;
    assert_eq!(again.len(), 450);
    let first_key = |po: &str| {
        raws.iter()
            .find(|r| r.external_id.as_deref() == Some(po))
            .map(|r| r.dedup_key.clone())
    };
    for raw in &again {
        let po = raw.external_id.clone().unwrap();
        assert_ne!(Some(raw.dedup_key.clone()), first_key(&po));
    }
    // An unchanged order keeps its key from sweep to sweep.
    let (third, _) = sweep(&channel).await;
    assert_eq!(third[0].dedup_key, again[0].dedup_key);

    // A cursor past every change finds nothing.
    let later = PollCursor {
        since: Some(chrono::Utc::now() + chrono::Duration::hours(1)),
        ..Default::default()
    };
    assert!(channel.poll_orders(&later).await.unwrap().orders.is_empty());

    // fetch_order reads one purchase order; an unknown one is None.
    let fetched = channel
        .fetch_order(&placed[0])
        .await
        .unwrap()
        .expect("found");
    assert_eq!(channel.normalize(&fetched).unwrap().external_id, placed[0]);
    assert!(channel.fetch_order("1").await.unwrap().is_none());
}

#[tokio::test]
async fn stock_goes_out_in_one_bulk_feed_with_per_sku_failures() {
    let (sim, channel) = setup(WalmartSimConfig::default()).await;
    for i in 0..5 {
        sim.add_product(&format!("SKU-{i}"), "Thing", "1.00", 0);
    }
    let skus: Vec<String> = (0..6).map(|i| format!("SKU-{i}")).collect();
    let listings = channel.discover_listings(&skus).await.expect("discover");
    assert_eq!(listings.len(), 5, "SKU-5 is not listed on Walmart");
    assert_eq!(listings[0].reference, json!({"sku": "SKU-0"}));
    assert_eq!(listings[0].channel_quantity, Some(0));

    let mut levels: Vec<ListingLevel> = listings
        .iter()
        .enumerate()
        .map(|(i, l)| ListingLevel {
            sku: l.sku.clone(),
            reference: l.reference.clone(),
            quantity: 10 + i as i64,
            expected_current: l.channel_quantity,
        })
        .collect();
    levels.push(ListingLevel {
        sku: "SKU-5".into(),
        reference: json!({"sku": "SKU-5"}),
        quantity: 3,
        expected_current: None,
    });
    let report = channel.push_stock(&levels).await.expect("push");
    assert_eq!(sim.feeds_submitted(), 1, "one feed for the whole batch");
    assert_eq!(report.applied.len(), 5);
    assert_eq!(report.rejected.len(), 1);
    assert_eq!(report.rejected[0].0, "SKU-5");
    assert!(
        report.rejected[0].1.contains("DATA_ERROR"),
        "{:?}",
        report.rejected
    );
    for i in 0..5 {
        assert_eq!(sim.stock(&format!("SKU-{i}")), Some(10 + i));
    }

    // A few SKUs go through the single-item update, not the hourly feed allowance.
    let report = channel.push_stock(&levels[..2]).await.expect("push");
    assert_eq!(
        report.applied,
        vec!["SKU-0".to_string(), "SKU-1".to_string()]
    );
    assert_eq!(sim.feeds_submitted(), 1);
    let report = channel.push_stock(&levels[5..]).await.expect("push");
    assert_eq!(report.rejected.len(), 1, "unknown SKU refused singly too");
}

fn shipment(po: &str, lines: Vec<ShippedLine>) -> Shipment {
    Shipment {
        order_external_id: po.to_string(),
        carrier: "UPS".into(),
        tracking_number: "1Z999AA10123456784".into(),
        shipped_at: DateTime::parse_from_rfc3339("2026-04-11T09:00:00-05:00").unwrap(),
        lines,
    }
}

#[tokio::test]
async fn tracking_is_written_back_exactly_once() {
    let (sim, channel) = setup(WalmartSimConfig::default()).await;
    sim.add_product("MUG", "Camp Mug", "12.50", 50);
    sim.add_product("SOCK", "Socks", "8.00", 50);
    let po = sim.place_order(order_of(&[("MUG", 2), ("SOCK", 1)])).await;
    // Not polled yet, so not acknowledged: the write-back acknowledges first.
    let s = shipment(&po, vec![]);
    channel
        .write_back_shipment(&s, "key-1")
        .await
        .expect("first");
    channel
        .write_back_shipment(&s, "key-1")
        .await
        .expect("repeat");
    let recorded = sim.shipments(&po);
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    assert_eq!(recorded[0].tracking_number, "1Z999AA10123456784");
    assert_eq!(recorded[0].carrier, "UPS");
    assert!(sim.is_acknowledged(&po));
    let fetched = channel.fetch_order(&po).await.unwrap().unwrap();
    assert_eq!(
        channel.normalize(&fetched).unwrap().status,
        OrderStatus::Fulfilled
    );

    // One line of another order: the order becomes partially fulfilled.
    let po2 = sim.place_order(order_of(&[("MUG", 1), ("SOCK", 1)])).await;
    let one_line = shipment(
        &po2,
        vec![ShippedLine {
            line_id: "2".into(),
            quantity: 1,
        }],
    );
    channel
        .write_back_shipment(&one_line, "key-2")
        .await
        .unwrap();
    channel
        .write_back_shipment(&one_line, "key-2")
        .await
        .unwrap();
    assert_eq!(sim.shipments(&po2).len(), 1);
    let fetched = channel.fetch_order(&po2).await.unwrap().unwrap();
    assert_eq!(
        channel.normalize(&fetched).unwrap().status,
        OrderStatus::PartiallyFulfilled
    );
    assert_eq!(sim.line_statuses(&po2)[1], vec![("Shipped".to_string(), 1)]);
}

#[tokio::test]
async fn the_shipping_line_carries_the_orders_method_and_seller_order_id() {
    let (sim, channel) = setup(WalmartSimConfig::default()).await;
    sim.add_product("MUG", "Camp Mug", "12.50", 50);
    let po = sim.place_order(order_of(&[("MUG", 1)])).await;
    sim.set_method_code(&po, "Express");
    let s = Shipment {
        carrier: "fedex".into(),
        ..shipment(&po, vec![])
    };
    channel
        .write_back_shipment(&s, "key-x")
        .await
        .expect("ship");
    let order = sim.order_json(&po).unwrap();
    let tracking = &order["orderLines"]["orderLine"][0]["orderLineStatuses"]["orderLineStatus"][0]
        ["trackingInfo"];
    assert_eq!(tracking["methodCode"], "Express", "{order}");
    assert_eq!(tracking["carrierName"], json!({"carrier": "FedEx"}));

    // A carrier Walmart has no code for is refused by name, before anything is sent.
    let po2 = sim.place_order(order_of(&[("MUG", 1)])).await;
    let odd = Shipment {
        carrier: "Bob's Couriers".into(),
        ..shipment(&po2, vec![])
    };
    let err = channel
        .write_back_shipment(&odd, "key-y")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ChannelError::Rejected(why) if why.contains("Bob's Couriers")),
        "{err}"
    );
    assert!(!sim.is_acknowledged(&po2));
    // The merchant's `carriers:` override maps it.
    let cfg = WalmartSimConfig::default();
    let config = ChannelConfig {
        client_id: Some(cfg.client_id.clone()),
        client_secret: Some(cfg.client_secret.clone()),
        carriers: [("Bob's Couriers".to_string(), "SAIA".to_string())].into(),
        ..ChannelConfig::new("wm", ChannelKind::Walmart, sim.base_url())
    };
    let mapped = WalmartChannel::new(&config).expect("channel builds");
    mapped
        .write_back_shipment(&odd, "key-y")
        .await
        .expect("mapped");
    assert_eq!(sim.shipments(&po2)[0].carrier, "SAIA");
}

#[tokio::test]
async fn a_multi_node_account_gets_levels_at_the_configured_ship_node() {
    let cfg = WalmartSimConfig {
        ship_nodes: vec!["N1".into(), "N2".into()],
        ..WalmartSimConfig::default()
    };
    let sim = WalmartSim::start(cfg.clone()).await.expect("sim starts");
    let skus: Vec<String> = (0..6).map(|i| format!("SKU-{i}")).collect();
    for sku in &skus {
        sim.add_product(sku, "Thing", "1.00", 4);
    }
    let levels = |q: i64| -> Vec<ListingLevel> {
        skus.iter()
            .map(|sku| ListingLevel {
                sku: sku.clone(),
                reference: json!({"sku": sku}),
                quantity: q,
                expected_current: None,
            })
            .collect()
    };

    // Without a node: refused, naming the nodes, and nothing written.
    let unset = channel(&sim, &cfg);
    let err = unset.push_stock(&levels(9)).await.unwrap_err();
    assert!(
        matches!(&err, ChannelError::Rejected(why) if why.contains("N1, N2") && why.contains("ship_node")),
        "{err}"
    );
    assert_eq!(sim.feeds_submitted(), 0);

    let set = channel_with(&sim, &cfg, Some("N2"));
    // A feed (more than five SKUs) goes as MP_INVENTORY at N2.
    let report = set.push_stock(&levels(9)).await.expect("feed");
    assert_eq!(report.applied.len(), 6, "{report:?}");
    assert_eq!(sim.feeds_submitted(), 1);
    for sku in &skus {
        assert_eq!(sim.node_stock(sku, "N2"), Some(9), "{sku}");
        assert_eq!(sim.node_stock(sku, "N1"), Some(4), "{sku} at N1 untouched");
    }
    // Single updates name the node too.
    let report = set.push_stock(&levels(2)[..2]).await.expect("singles");
    assert_eq!(report.applied.len(), 2);
    assert_eq!(sim.node_stock("SKU-0", "N2"), Some(2));
    assert_eq!(sim.node_stock("SKU-0", "N1"), Some(4));
    // Reads are of the configured node.
    let listings = set.discover_listings(&skus[..1]).await.expect("discover");
    assert_eq!(listings[0].channel_quantity, Some(2));
}

#[tokio::test]
async fn the_token_bucket_is_read_and_respected() {
    let cfg = WalmartSimConfig {
        buckets: WalmartBuckets {
            inventory: BucketSpec {
                capacity: 2,
                refill_every: Duration::from_millis(300),
            },
            ..WalmartBuckets::default()
        },
        ..WalmartSimConfig::default()
    };
    let (sim, channel) = setup(cfg.clone()).await;
    for i in 0..5 {
        sim.add_product(&format!("SKU-{i}"), "Thing", "1.00", i);
    }
    let skus: Vec<String> = (0..5).map(|i| format!("SKU-{i}")).collect();
    let start = Instant::now();
    let found = channel.discover_listings(&skus).await.expect("discover");
    assert_eq!(found.len(), 5);
    assert!(
        start.elapsed() >= Duration::from_millis(600),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(
        sim.stats().throttled,
        0,
        "the empty bucket was waited for, never hit"
    );

    // A second process on the same account does not know the bucket is empty: it gets a 429,
    // waits until x-next-replenish-time and succeeds.
    let other = channel_for(&sim, &cfg);
    let found = other
        .discover_listings(&skus[..1])
        .await
        .expect("after waiting");
    assert_eq!(found.len(), 1);
    assert!(sim.stats().throttled >= 1);
}

fn channel_for(sim: &WalmartSim, cfg: &WalmartSimConfig) -> WalmartChannel {
    channel(sim, cfg)
}

#[tokio::test]
async fn an_expired_token_is_refreshed() {
    let cfg = WalmartSimConfig {
        token_lifetime: Duration::from_secs(1),
        ..WalmartSimConfig::default()
    };
    let (sim, channel) = setup(cfg).await;
    sim.add_product("MUG", "Camp Mug", "12.50", 5);
    let skus = vec!["MUG".to_string()];
    channel.discover_listings(&skus).await.expect("first call");
    channel
        .discover_listings(&skus)
        .await
        .expect("cached token");
    assert_eq!(sim.token_requests(), 1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    channel
        .discover_listings(&skus)
        .await
        .expect("after expiry");
    assert_eq!(sim.token_requests(), 2, "refreshed before use");
    // Revoked early: the 401 triggers one refresh and one retry.
    sim.expire_tokens();
    channel
        .discover_listings(&skus)
        .await
        .expect("after revocation");
    assert_eq!(sim.token_requests(), 3);
}

#[tokio::test]
async fn bad_credentials_are_an_auth_error() {
    let cfg = WalmartSimConfig::default();
    let sim = WalmartSim::start(cfg.clone()).await.unwrap();
    let wrong = WalmartSimConfig {
        client_secret: "not-the-secret".into(),
        ..cfg
    };
    let channel = channel(&sim, &wrong);
    let err = channel
        .poll_orders(&PollCursor::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ChannelError::Auth(m) if m.contains("UNAUTHORIZED")),
        "{err}"
    );
    assert!(!err.to_string().contains("not-the-secret"));
}

#[tokio::test]
async fn webhooks_are_refused_because_polling_is_the_path() {
    let (_sim, channel) = setup(WalmartSimConfig::default()).await;
    let request = WebhookRequest {
        headers: vec![],
        body: br#"{"eventType":"PO_CREATED"}"#.to_vec(),
    };
    assert!(channel.verify_webhook(&request).await.is_err());
}

fn cancel_request(
    po: &str,
    whole: bool,
    lines: &[(&str, u32)],
    reason: switchyard_core::cancellation::CancelReason,
) -> switchyard_core::cancellation::ChannelCancel {
    switchyard_core::cancellation::ChannelCancel {
        cancellation_id: 7,
        order_external_id: po.into(),
        order_number: po.into(),
        whole,
        lines: lines
            .iter()
            .map(|(l, q)| switchyard_core::cancellation::CancelLine {
                line_id: (*l).into(),
                quantity: *q,
            })
            .collect(),
        reason,
        reason_code: switchyard_core::cancellation::channel_terms(ChannelKind::Walmart)
            .code(reason)
            .unwrap()
            .into(),
    }
}

#[tokio::test]
async fn a_line_is_cancelled_with_walmarts_reason_exactly_once_and_shipped_units_are_refused() {
    use switchyard_core::cancellation::CancelReason;
    let (sim, channel) = setup(WalmartSimConfig::default()).await;
    sim.add_product("MUG", "Camp Mug", "12.50", 50);
    sim.add_product("SOCK", "Socks", "8.00", 50);
    let po = sim.place_order(order_of(&[("MUG", 2), ("SOCK", 3)])).await;
    let request = cancel_request(&po, false, &[("2", 3)], CancelReason::OutOfStock);
    let said = channel.cancel_order(&request, "k").await.expect("cancel");
    assert!(said.contains("SELLER_CANCEL_OUT_OF_STOCK"), "{said}");
    // Again (a crash before the outbox closed): nothing more is asked of Walmart.
    let again = channel.cancel_order(&request, "k").await.expect("repeat");
    assert!(again.contains("already"), "{again}");
    assert_eq!(
        sim.seller_cancellations(&po),
        vec![("2".to_string(), 3, "SELLER_CANCEL_OUT_OF_STOCK".to_string())]
    );
    assert_eq!(
        sim.line_statuses(&po)[1],
        vec![("Cancelled".to_string(), 3)]
    );
    // The order as Walmart reports it: line 2 cancelled with the reason.
    let fetched = channel.fetch_order(&po).await.unwrap().unwrap();
    let body: serde_json::Value = serde_json::from_slice(&fetched.body).unwrap();
    assert!(body.to_string().contains("SELLER_CANCEL_OUT_OF_STOCK"));
    // Line 1 ships; cancelling it afterwards is refused, by the connector and by Walmart.
    channel
        .write_back_shipment(
            &shipment(
                &po,
                vec![ShippedLine {
                    line_id: "1".into(),
                    quantity: 2,
                }],
            ),
            "ship",
        )
        .await
        .unwrap();
    let late = cancel_request(&po, false, &[("1", 1)], CancelReason::CustomerRequest);
    let err = channel.cancel_order(&late, "k2").await.unwrap_err();
    assert!(matches!(err, ChannelError::Rejected(_)), "{err}");
    assert!(err.to_string().contains("shipped"), "{err}");
    assert_eq!(sim.seller_cancellations(&po).len(), 1);
}
