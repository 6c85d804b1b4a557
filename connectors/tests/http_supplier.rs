//! The `http_json` adapter against the supplier simulator over real HTTP on 127.0.0.1: orders
//! are signed and checked by the simulator, webhooks are signed by the simulator, posted to a
//! receiver here and checked by the adapter as the daemon would.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;
use chrono::{Duration, Utc};
use rust_decimal::Decimal;
use switchyard_connectors::fulfillment::{self, http_json::HttpJsonTarget, http_json::signature};
use switchyard_core::config::{
    AdapterConfig, AdapterKind, HttpJsonAdapterConfig, LocationConfig, LocationKind,
    RateLimitConfig,
};
use switchyard_core::connector_state::MemoryState;
use switchyard_core::fulfillment::{
    CancelOutcome, EventKind, FulfillmentLine, FulfillmentOrder, FulfillmentTarget, LineQuantity,
    OrderRef, RequestedShipping, TargetError,
};
use switchyard_core::model::Address;
use switchyard_core::ports::{IngestError, PollCursor, WebhookRequest};
use switchyard_sim::supplier_http::{PoStatus, SupplierSim, SupplierSimConfig, start};

fn adapter(sim: &SupplierSim, secret: &str) -> AdapterConfig {
    let mut http = HttpJsonAdapterConfig::new(&sim.order_url(), &sim.cancel_url(), secret);
    http.events_url = Some(sim.events_url());
    AdapterConfig {
        http_json: Some(http),
        rate_limit: Some(RateLimitConfig {
            per_second: 500.0,
            burst: 100,
        }),
        sku_map: [("MUG".to_string(), "ACME-MUG-11OZ".to_string())].into(),
        ..AdapterConfig::new(AdapterKind::HttpJson)
    }
}

async fn setup() -> (SupplierSim, HttpJsonTarget) {
    let sim = start(SupplierSimConfig::default())
        .await
        .expect("sim starts");
    let target = HttpJsonTarget::new("acme", &adapter(&sim, sim.secret())).expect("builds");
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

fn order(reference: &str) -> FulfillmentOrder {
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
        lines: vec![line("MUG", 2), line("PEN", 1)],
        shipping: RequestedShipping {
            method: "Standard".into(),
            carrier: None,
        },
    }
}

type Inbox = Arc<Mutex<Vec<WebhookRequest>>>;

/// A webhook endpoint like the daemon's: keeps what arrives, answers 200.
async fn receiver(sim: &SupplierSim) -> Inbox {
    let inbox: Inbox = Arc::default();
    let sink = Arc::clone(&inbox);
    let app = Router::new().route(
        "/webhooks/acme",
        post(move |headers: HeaderMap, body: Bytes| {
            let sink = Arc::clone(&sink);
            async move {
                let headers = headers
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.as_str().to_string(),
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
    sim.set_webhook_target(Some(format!("http://{addr}/webhooks/acme")));
    inbox
}

fn last(inbox: &Inbox) -> WebhookRequest {
    inbox
        .lock()
        .unwrap()
        .last()
        .cloned()
        .expect("a webhook arrived")
}

#[tokio::test]
async fn a_signed_order_is_stored_once_whatever_the_repeats() {
    let (sim, target) = setup().await;
    let first = target
        .submit(&order("shop:1001"), "shop:1001")
        .await
        .unwrap();
    assert!(first.accepted && !first.already_existed, "{first:?}");
    let stored = sim.order("shop:1001").expect("the supplier has the PO");
    assert_eq!(stored.id, first.partner_order_id);
    assert_eq!(stored.idempotency_key, "shop:1001");
    assert_eq!(
        stored.body["lines"][0]["sku"], "ACME-MUG-11OZ",
        "the supplier's part number"
    );
    assert_eq!(stored.body["lines"][0]["merchant_sku"], "MUG");
    assert_eq!(stored.body["lines"][0]["unit_price"], "12.50");
    assert_eq!(stored.body["ship_to"]["postal_code"], "60607");

    // A crash-retry sends the same body again: 200, the same order.
    let again = target
        .submit(&order("shop:1001"), "shop:1001")
        .await
        .unwrap();
    assert!(again.already_existed);
    assert_eq!(again.partner_order_id, first.partner_order_id);
    // The order changed in between (a new placed_at): the supplier answers 409 with its order.
    let mut changed = order("shop:1001");
    changed.channel_order_number = "#1001-b".into();
    let conflict = target.submit(&changed, "shop:1001").await.unwrap();
    assert!(conflict.already_existed);
    assert_eq!(conflict.partner_order_id, first.partner_order_id);
    assert_eq!(sim.orders().len(), 1, "one PO whatever the repeats");
}

#[tokio::test]
async fn a_wrong_secret_or_a_tampered_body_is_refused_with_401() {
    let (sim, _) = setup().await;
    let stranger = HttpJsonTarget::new("acme", &adapter(&sim, "not-the-shared-secret")).unwrap();
    let err = stranger
        .submit(&order("shop:1"), "shop:1")
        .await
        .unwrap_err();
    assert!(
        matches!(err, TargetError::Auth(ref why) if why.contains("401")),
        "{err:?}"
    );

    // Signed correctly, then altered on the way: the sim must refuse it.
    let body = br#"{"po_number":"shop:2","lines":[{"sku":"A","quantity":1}]}"#;
    let header = signature::sign(sim.secret().as_bytes(), Utc::now().timestamp(), body);
    let tampered = br#"{"po_number":"shop:2","lines":[{"sku":"A","quantity":9}]}"#;
    let response = reqwest::Client::new()
        .post(sim.order_url())
        .header("Idempotency-Key", "shop:2")
        .header(signature::HEADER, header)
        .body(tampered.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    // And a replay of a genuine request from long ago.
    let old = signature::sign(
        sim.secret().as_bytes(),
        (Utc::now() - Duration::minutes(10)).timestamp(),
        body,
    );
    let response = reqwest::Client::new()
        .post(sim.order_url())
        .header("Idempotency-Key", "shop:2")
        .header(signature::HEADER, old)
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert!(sim.orders().is_empty());
}

#[tokio::test]
async fn ship_notice_and_stock_webhooks_become_events_and_tampering_is_refused() {
    let (sim, target) = setup().await;
    let inbox = receiver(&sim).await;
    target.submit(&order("shop:7"), "shop:7").await.unwrap();

    let sent = sim
        .ship("shop:7", "UPS", "1Z999AA10123456784")
        .await
        .expect("ships");
    assert_eq!(sent.status, Some(200), "delivered to the receiver");
    let webhook = last(&inbox);
    let events = target.verify_webhook(&webhook).await.unwrap();
    assert_eq!(events.len(), 1);
    let shipped = &events[0];
    assert_eq!(shipped.order_reference.as_deref(), Some("shop:7"));
    let EventKind::Shipped {
        lines,
        carrier,
        tracking_number,
        ..
    } = &shipped.kind
    else {
        panic!("shipped expected, got {:?}", shipped.kind);
    };
    assert_eq!(carrier, "UPS");
    assert_eq!(tracking_number, "1Z999AA10123456784");
    assert!(
        lines.contains(&LineQuantity {
            sku: "MUG".into(),
            quantity: 2
        }),
        "the supplier's part is mapped back to the SKU: {lines:?}"
    );
    // The poll sees the same fact with the same dedup id.
    let page = target.poll_events(&PollCursor::default()).await.unwrap();
    assert!(page.events.iter().any(|e| e.dedup_id == shipped.dedup_id));
    assert!(page.max_seen.is_some());

    let mut tampered = webhook.clone();
    tampered.body = String::from_utf8(tampered.body)
        .unwrap()
        .replace("1Z999AA10123456784", "1ZFORGED")
        .into_bytes();
    assert!(matches!(
        target.verify_webhook(&tampered).await,
        Err(IngestError::BadSignature(_))
    ));
    let mut unsigned = webhook.clone();
    unsigned
        .headers
        .retain(|(k, _)| !k.eq_ignore_ascii_case(signature::HEADER));
    assert!(matches!(
        target.verify_webhook(&unsigned).await,
        Err(IngestError::BadSignature(_))
    ));

    sim.publish_stock(&[("ACME-MUG-11OZ", 42), ("PEN", 0)])
        .await;
    let stock = target.verify_webhook(&last(&inbox)).await.unwrap();
    let levels: Vec<_> = stock.iter().map(|e| e.kind.clone()).collect();
    assert_eq!(
        levels,
        vec![
            EventKind::StockLevel {
                sku: "MUG".into(),
                available: 42
            },
            EventKind::StockLevel {
                sku: "PEN".into(),
                available: 0
            },
        ]
    );
    assert!(stock.iter().all(|e| e.order_reference.is_none()));
}

#[tokio::test]
async fn rejected_lines_and_cancellations() {
    let (sim, target) = setup().await;
    let inbox = receiver(&sim).await;
    target.submit(&order("shop:8"), "shop:8").await.unwrap();
    sim.reject("shop:8", &[("PEN", 1)], "discontinued")
        .await
        .expect("rejects");
    let events = target.verify_webhook(&last(&inbox)).await.unwrap();
    assert_eq!(
        events[0].kind,
        EventKind::Rejected {
            lines: vec![LineQuantity {
                sku: "PEN".into(),
                quantity: 1
            }],
            reason: "discontinued".into()
        }
    );

    let open = OrderRef {
        reference: "shop:8".into(),
        partner_order_id: None,
    };
    assert_eq!(
        target.cancel(&open, "cancel:shop:8").await.unwrap(),
        CancelOutcome::Cancelled
    );
    assert_eq!(sim.order("shop:8").unwrap().status, PoStatus::Cancelled);
    assert_eq!(
        target.cancel(&open, "cancel:shop:8").await.unwrap(),
        CancelOutcome::AlreadyCancelled
    );

    target.submit(&order("shop:9"), "shop:9").await.unwrap();
    sim.ship("shop:9", "USPS", "9400").await.expect("ships");
    let shipped = OrderRef {
        reference: "shop:9".into(),
        partner_order_id: None,
    };
    assert!(matches!(
        target.cancel(&shipped, "cancel:shop:9").await.unwrap(),
        CancelOutcome::TooLate { .. }
    ));
    let unknown = OrderRef {
        reference: "shop:404".into(),
        partner_order_id: None,
    };
    assert!(matches!(
        target.cancel(&unknown, "cancel:shop:404").await,
        Err(TargetError::NotFound(_))
    ));
}

#[tokio::test]
async fn the_location_builds_an_http_json_adapter() {
    let sim = start(SupplierSimConfig::default()).await.unwrap();
    let location = LocationConfig {
        id: "acme".into(),
        kind: LocationKind::Dropship,
        name: None,
        adapter: Some(adapter(&sim, sim.secret())),
        coordinates: None,
        country: None,
        region: None,
        catalog: Vec::new(),
    };
    let built = fulfillment::build(&location, Arc::new(MemoryState::new()))
        .unwrap()
        .expect("an adapter");
    assert_eq!(built.id(), "acme");
    let receipt = built.submit(&order("shop:5"), "shop:5").await.unwrap();
    assert!(receipt.accepted);
}
