//! The ShipBob adapter against the ShipBob simulator, over real HTTP on 127.0.0.1: webhooks are
//! posted by the simulator to a receiver here and checked by the adapter as the daemon would.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;
use chrono::{Duration as Age, Utc};
use rust_decimal::Decimal;
use switchyard_connectors::fulfillment::{self, shipbob::ShipBobTarget};
use switchyard_core::config::{
    AdapterConfig, AdapterKind, LocationConfig, LocationKind, RateLimitConfig,
};
use switchyard_core::connector_state::MemoryState;
use switchyard_core::fulfillment::{
    CancelOutcome, EventKind, FulfillmentLine, FulfillmentOrder, FulfillmentTarget, LineQuantity,
    OrderRef, RequestedShipping, TargetError, TargetEvent,
};
use switchyard_core::model::Address;
use switchyard_core::ports::{IngestError, PollCursor, WebhookRequest};
use switchyard_sim::WebhookFate;
use switchyard_sim::shipbob::{ShipBobSim, ShipBobSimConfig, start};

fn adapter(sim: &ShipBobSim) -> AdapterConfig {
    let cfg = sim.config();
    AdapterConfig {
        base_url: Some(sim.base_url()),
        access_token: Some(cfg.access_token.clone()),
        channel_id: Some(cfg.channel_id.to_string()),
        webhook_secret: Some(cfg.webhook_secret.clone()),
        rate_limit: Some(RateLimitConfig {
            per_second: 500.0,
            burst: 100,
        }),
        ..AdapterConfig::new(AdapterKind::Shipbob)
    }
}

async fn setup(config: ShipBobSimConfig) -> (Arc<ShipBobSim>, ShipBobTarget) {
    let sim = start(config).await.expect("sim starts");
    let target = ShipBobTarget::new("bob", &adapter(&sim)).expect("adapter builds");
    (sim, target)
}

fn line(sku: &str, quantity: u32) -> FulfillmentLine {
    FulfillmentLine {
        line_id: format!("line-{sku}"),
        sku: sku.into(),
        partner_sku: None,
        quantity,
        unit_price: Decimal::new(1250, 2),
        title: format!("Item {sku}"),
    }
}

fn order(reference: &str, lines: Vec<FulfillmentLine>) -> FulfillmentOrder {
    FulfillmentOrder {
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
        lines,
        shipping: RequestedShipping {
            method: "Standard".into(),
            carrier: None,
        },
    }
}

type Inbox = Arc<Mutex<Vec<WebhookRequest>>>;

/// A webhook endpoint that keeps every request as the daemon's HTTP layer would hand it over.
async fn receiver(sim: &ShipBobSim) -> Inbox {
    let inbox: Inbox = Arc::default();
    let sink = Arc::clone(&inbox);
    let app = Router::new().route(
        "/webhooks/bob",
        post(move |headers: HeaderMap, body: Bytes| {
            let sink = Arc::clone(&sink);
            async move {
                let headers = headers
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.as_str().to_ascii_lowercase(),
                            v.to_str().unwrap_or_default().to_string(),
                        )
                    })
                    .collect();
                sink.lock().unwrap().push(WebhookRequest {
                    headers,
                    body: body.to_vec(),
                });
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    sim.set_webhook_target(&format!("http://{addr}/webhooks/bob"));
    inbox
}

/// Every event of every received webhook, checked by the adapter.
async fn webhook_events(target: &ShipBobTarget, inbox: &Inbox) -> Vec<TargetEvent> {
    let requests = inbox.lock().unwrap().clone();
    let mut events = Vec::new();
    for request in &requests {
        events.extend(target.verify_webhook(request).await.expect("verifies"));
    }
    events
}

/// Every event a full sweep finds from `since`, across pages.
async fn sweep(target: &ShipBobTarget, since: chrono::DateTime<Utc>) -> Vec<TargetEvent> {
    let mut cursor = PollCursor {
        since: Some(since),
        ..PollCursor::default()
    };
    let mut events = Vec::new();
    loop {
        let page = target.poll_events(&cursor).await.expect("poll");
        events.extend(page.events);
        match page.next_page {
            Some(next) => cursor.page = Some(next),
            None => return events,
        }
    }
}

fn partner_id(receipt_id: &str) -> u64 {
    receipt_id.parse().expect("numeric ShipBob id")
}

#[tokio::test]
async fn submit_is_idempotent_a_retry_finds_the_first_order() {
    let (sim, target) = setup(ShipBobSimConfig::default()).await;
    sim.set_inventory("MUG", "Mug", 10);
    let o = order("shop:1001", vec![line("MUG", 2)]);
    let first = target.submit(&o, "shop:1001").await.expect("submit");
    assert!(first.accepted && !first.already_existed);
    // The daemon died before recording the receipt and submits again with the same key.
    let again = target.submit(&o, "shop:1001").await.expect("resubmit");
    assert_eq!(again.partner_order_id, first.partner_order_id);
    assert!(again.already_existed);
    assert_eq!(sim.orders_with_reference("shop:1001").len(), 1);
    assert_eq!(sim.orders_created(), 1);
    let created = sim.order_json(partner_id(&first.partner_order_id)).unwrap();
    assert_eq!(created["order_number"], "#1001");
    assert_eq!(created["recipient"]["address"]["zip_code"], "60607");
    assert_eq!(
        sim.inventory("MUG"),
        Some((10, 2)),
        "ShipBob commits the stock"
    );
    // A refusal that is not a duplicate names ShipBob's field.
    let mut bad = order("shop:1002", vec![line("MUG", 1)]);
    bad.shipping.method.clear();
    bad.ship_to.country_code = None;
    let err = target.submit(&bad, "shop:1002").await.unwrap_err();
    assert!(
        matches!(&err, TargetError::Rejected(m) if m.contains("ship_to.country_code")),
        "{err}"
    );
}

#[tokio::test]
async fn cancel_before_shipping_and_too_late_after() {
    let (sim, target) = setup(ShipBobSimConfig::default()).await;
    sim.set_inventory("MUG", "Mug", 10);
    let open = target
        .submit(&order("shop:1", vec![line("MUG", 1)]), "shop:1")
        .await
        .unwrap();
    // Known only by reference: the receipt was never recorded.
    let by_reference = OrderRef {
        reference: "shop:1".into(),
        partner_order_id: None,
    };
    assert_eq!(
        target.cancel(&by_reference, "cancel:shop:1").await.unwrap(),
        CancelOutcome::Cancelled
    );
    assert_eq!(
        target.cancel(&by_reference, "cancel:shop:1").await.unwrap(),
        CancelOutcome::AlreadyCancelled
    );
    assert_eq!(sim.inventory("MUG"), Some((10, 0)), "stock released");
    assert!(
        !sim.ship(
            partner_id(&open.partner_order_id),
            "UPS",
            "1Z",
            WebhookFate::Lose
        )
        .await,
        "a cancelled order does not ship"
    );
    let shipped = target
        .submit(&order("shop:2", vec![line("MUG", 1)]), "shop:2")
        .await
        .unwrap();
    assert!(
        sim.ship(
            partner_id(&shipped.partner_order_id),
            "UPS",
            "1Z2",
            WebhookFate::Lose
        )
        .await
    );
    let outcome = target
        .cancel(
            &OrderRef {
                reference: "shop:2".into(),
                partner_order_id: Some(shipped.partner_order_id.clone()),
            },
            "cancel:shop:2",
        )
        .await
        .unwrap();
    assert!(
        matches!(outcome, CancelOutcome::TooLate { .. }),
        "{outcome:?}"
    );
    let missing = target
        .cancel(
            &OrderRef {
                reference: "shop:none".into(),
                partner_order_id: None,
            },
            "k",
        )
        .await
        .unwrap_err();
    assert!(matches!(missing, TargetError::NotFound(_)), "{missing}");
}

#[tokio::test]
async fn a_rejection_arrives_by_webhook_and_by_poll_as_one_event() {
    let (sim, target) = setup(ShipBobSimConfig::default()).await;
    let inbox = receiver(&sim).await;
    let since = Utc::now() - Age::seconds(5);
    let receipt = target
        .submit(
            &order("shop:7", vec![line("MUG", 2), line("TEE", 1)]),
            "shop:7",
        )
        .await
        .unwrap();
    let id = partner_id(&receipt.partner_order_id);
    assert!(
        sim.reject(
            id,
            Some("TEE"),
            "No stock of TEE at Cicero",
            WebhookFate::Deliver
        )
        .await
    );
    let pushed: Vec<TargetEvent> = webhook_events(&target, &inbox).await;
    assert_eq!(pushed.len(), 1);
    let rejected = &pushed[0];
    assert_eq!(rejected.order_reference.as_deref(), Some("shop:7"));
    assert_eq!(
        rejected.partner_order_id.as_deref(),
        Some(receipt.partner_order_id.as_str())
    );
    assert_eq!(
        rejected.kind,
        EventKind::Rejected {
            lines: vec![LineQuantity {
                sku: "TEE".into(),
                quantity: 1
            }],
            reason: "OutOfStock: No stock of TEE at Cicero".into(),
        }
    );
    let polled = sweep(&target, since).await;
    assert!(
        polled.iter().any(|e| e == rejected),
        "the poll finds the same event with the same dedup id: {polled:?}"
    );
}

#[tokio::test]
async fn a_shipment_arrives_by_webhook_with_carrier_and_tracking() {
    let (sim, target) = setup(ShipBobSimConfig::default()).await;
    let inbox = receiver(&sim).await;
    sim.set_inventory("MUG", "Mug", 5);
    let receipt = target
        .submit(&order("shop:8", vec![line("MUG", 2)]), "shop:8")
        .await
        .unwrap();
    let id = partner_id(&receipt.partner_order_id);
    // Delivered twice (a ShipBob retry): still one fact.
    assert!(
        sim.ship(id, "USPS", "9400111000", WebhookFate::Duplicate)
            .await
    );
    let events = webhook_events(&target, &inbox).await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[0], events[1]);
    let EventKind::Shipped {
        lines,
        carrier,
        tracking_number,
        tracking_url,
        ..
    } = &events[0].kind
    else {
        panic!("shipped expected: {:?}", events[0]);
    };
    assert_eq!(carrier, "USPS");
    assert_eq!(tracking_number, "9400111000");
    assert!(tracking_url.is_some());
    assert_eq!(
        lines,
        &[LineQuantity {
            sku: "MUG".into(),
            quantity: 2
        }]
    );
    assert_eq!(sim.inventory("MUG"), Some((3, 0)), "stock left the shelf");
    // A re-label is a new fact under a new dedup id.
    assert!(
        sim.update_tracking(id, "9400111999", WebhookFate::Deliver)
            .await
    );
    let events = webhook_events(&target, &inbox).await;
    assert_eq!(events.len(), 3);
    assert_ne!(events[2].dedup_id, events[0].dedup_id);
    // A forged delivery is refused.
    let mut forged = inbox.lock().unwrap()[0].clone();
    forged.body = br#"{"id":1,"order_id":2,"status":"Cancelled"}"#.to_vec();
    assert!(matches!(
        target.verify_webhook(&forged).await,
        Err(IngestError::BadSignature(_))
    ));
}

#[tokio::test]
async fn when_the_webhook_is_lost_polling_finds_the_shipment() {
    let (sim, target) = setup(ShipBobSimConfig {
        auto_ship_after: Some(Duration::from_millis(200)),
        auto_ship_fate: WebhookFate::Lose,
        ..ShipBobSimConfig::default()
    })
    .await;
    let inbox = receiver(&sim).await;
    let since = Utc::now() - Age::seconds(5);
    let receipt = target
        .submit(&order("shop:9", vec![line("MUG", 1)]), "shop:9")
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    let shipped = loop {
        let events = sweep(&target, since).await;
        if let Some(e) = events
            .into_iter()
            .find(|e| matches!(e.kind, EventKind::Shipped { .. }))
        {
            break e;
        }
        assert!(
            Instant::now() < deadline,
            "the shipment never showed up in a poll"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(inbox.lock().unwrap().is_empty(), "the webhook was lost");
    assert_eq!(shipped.order_reference.as_deref(), Some("shop:9"));
    assert_eq!(shipped.partner_order_id, Some(receipt.partner_order_id));
    // The lost webhook would have carried the same dedup id.
    let lost = sim.sent_webhooks().pop().expect("logged");
    assert_eq!(lost.deliveries, 0);
    let body: serde_json::Value = serde_json::from_slice(&lost.body).unwrap();
    let would_be = switchyard_connectors::fulfillment::shipbob::events::shipment_events(
        &body,
        &Default::default(),
    )
    .unwrap();
    assert_eq!(would_be, vec![shipped]);
}

#[tokio::test]
async fn polling_pages_through_many_orders() {
    let (sim, target) = setup(ShipBobSimConfig {
        requests_per_window: 10_000,
        ..ShipBobSimConfig::default()
    })
    .await;
    let since = Utc::now() - Age::seconds(5);
    for i in 0..260 {
        target
            .submit(
                &order(&format!("shop:{i}"), vec![line("MUG", 1)]),
                &format!("shop:{i}"),
            )
            .await
            .unwrap();
    }
    let before = sim.stats().requests;
    let events = sweep(&target, since).await;
    assert_eq!(sim.stats().requests - before, 2, "250 a page");
    let accepted: std::collections::BTreeSet<_> = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Accepted { .. }))
        .filter_map(|e| e.order_reference.clone())
        .collect();
    assert_eq!(accepted.len(), 260);
    // Nothing changed since now: an empty sweep.
    assert!(
        sweep(&target, Utc::now() + Age::seconds(1))
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn inventory_levels_span_every_page() {
    let (sim, target) = setup(ShipBobSimConfig::default()).await;
    for i in 0..600 {
        sim.set_inventory(&format!("SKU-{i:03}"), "Thing", 100 + i);
    }
    target
        .submit(&order("shop:1", vec![line("SKU-000", 30)]), "shop:1")
        .await
        .unwrap();
    let before = sim.stats().requests;
    let levels = target.inventory().await.expect("levels");
    assert_eq!(sim.stats().requests - before, 3, "pages of 250");
    assert_eq!(levels.len(), 600);
    let first = levels.iter().find(|l| l.sku == "SKU-000").unwrap();
    assert_eq!((first.available, first.on_hand), (70, Some(100)));
    let last = levels.iter().find(|l| l.sku == "SKU-599").unwrap();
    assert_eq!(last.available, 699);
}

#[tokio::test]
async fn a_429_is_waited_out_as_x_retry_after_says() {
    let (sim, target) = setup(ShipBobSimConfig {
        requests_per_window: 3,
        window: Duration::from_secs(2),
        ..ShipBobSimConfig::default()
    })
    .await;
    sim.set_inventory("MUG", "Mug", 1);
    sim.exhaust_window();
    let start = Instant::now();
    let levels = target.inventory().await.expect("succeeds after waiting");
    assert_eq!(levels.len(), 1);
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "waited {:?}",
        start.elapsed()
    );
    assert!(sim.stats().throttled >= 1);
    // A burst past the window is paced by the 429s, and every call lands.
    for i in 0..5 {
        target
            .submit(
                &order(&format!("shop:{i}"), vec![line("MUG", 1)]),
                &format!("shop:{i}"),
            )
            .await
            .expect("submit through throttling");
    }
    assert_eq!(sim.orders_created(), 5);
}

#[tokio::test]
async fn a_bad_or_expired_token_is_a_typed_auth_error() {
    let sim = start(ShipBobSimConfig::default()).await.unwrap();
    let wrong = ShipBobTarget::new(
        "bob",
        &AdapterConfig {
            access_token: Some("not-the-token".into()),
            ..adapter(&sim)
        },
    )
    .unwrap();
    let err = wrong.inventory().await.unwrap_err();
    assert!(matches!(&err, TargetError::Auth(_)), "{err}");
    assert!(!err.is_retryable());
    let target = ShipBobTarget::new("bob", &adapter(&sim)).unwrap();
    sim.expire_token();
    let err = target
        .submit(&order("shop:1", vec![line("MUG", 1)]), "shop:1")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, TargetError::Auth(m) if m.contains("expired")),
        "{err}"
    );
    assert_eq!(sim.orders_created(), 0);
}

#[tokio::test]
async fn the_registry_builds_the_adapter_a_location_names() {
    let sim = start(ShipBobSimConfig::default()).await.unwrap();
    let mut location = LocationConfig {
        id: "bob".into(),
        kind: LocationKind::ThirdParty,
        name: None,
        adapter: Some(adapter(&sim)),
        coordinates: None,
        country: None,
        region: None,
        catalog: Vec::new(),
    };
    let built = fulfillment::build(&location, Arc::new(MemoryState::new()))
        .unwrap()
        .expect("an adapter");
    assert_eq!(built.id(), "bob");
    location.adapter = None;
    assert!(
        fulfillment::build(&location, Arc::new(MemoryState::new()))
            .unwrap()
            .is_none()
    );
    location.adapter = Some(AdapterConfig {
        channel_id: None,
        ..adapter(&sim)
    });
    let err = fulfillment::build(&location, Arc::new(MemoryState::new()))
        .err()
        .expect("refused");
    assert!(err.to_string().contains("channel_id"), "{err}");
    // Without a webhook secret the adapter refuses webhooks rather than trusting them.
    let unsigned = ShipBobTarget::new(
        "bob",
        &AdapterConfig {
            webhook_secret: None,
            ..adapter(&sim)
        },
    )
    .unwrap();
    let request = WebhookRequest {
        headers: Vec::new(),
        body: b"{}".to_vec(),
    };
    assert!(matches!(
        unsigned.verify_webhook(&request).await,
        Err(IngestError::BadSignature(_))
    ));
}
