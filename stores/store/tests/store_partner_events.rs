//! The partner event queue: an event that cannot be applied holds back only the later events
//! of its own order, is retried, parked as `failed` after its last attempt (kept, listed),
//! and put back to work by an operator.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use chrono::DateTime;
use rust_decimal::Decimal;
use switchyard_core::config::{
    Action, Conditions, LocationConfig, LocationKind, RoutingConfig, Rule, SplitMode,
};
use switchyard_core::fulfillment::{EventKind, LineQuantity, TargetEvent};
use switchyard_core::model::*;
use switchyard_core::ports::RawOrder;
use switchyard_core::routing::Router;
use switchyard_core::store::*;
use switchyard_store::testing::TestStore;
use switchyard_store::{Engine, store_tests};

async fn store(engine: Engine) -> TestStore {
    TestStore::new(engine).await
}

fn order(id: &str, sku: &str) -> Order {
    let t = DateTime::parse_from_rfc3339("2026-03-01T10:00:00Z").unwrap();
    Order {
        channel_kind: ChannelKind::Shopify,
        external_id: id.into(),
        number: format!("#{id}"),
        placed_at: t,
        updated_at: t,
        status: OrderStatus::Open,
        payment_status: PaymentStatus::Paid,
        currency: "USD".into(),
        total: Decimal::TEN,
        lines: vec![OrderLine {
            line_id: format!("{id}-0"),
            sku: Some(sku.into()),
            quantity: 1,
            unit_price: Decimal::ONE,
            title: sku.into(),
            channel_sku: None,
        }],
        ship_to: None,
        customer_email: None,
        fulfilled_by_channel: false,
        tags: Vec::new(),
        customer_tags: Vec::new(),
        ship_by: None,
        deliver_by: None,
        risk_level: None,
    }
}

/// Stores, routes (everything to the 3PL `bob`) and hands over an order.
async fn place(s: &TestStore, o: &Order) {
    let routing = RoutingConfig {
        sku_tags: Default::default(),
        rules: vec![Rule {
            name: Some("bob".into()),
            when: Conditions::default(),
            action: Action::Location("bob".into()),
            split: SplitMode::Allowed,
        }],
        fallback: None,
        unknown_sku: Default::default(),
    };
    let bob = LocationConfig {
        id: "bob".into(),
        kind: LocationKind::ThirdParty,
        name: None,
        adapter: None,
        coordinates: None,
        country: None,
        region: None,
        catalog: vec!["*".into()],
    };
    let r = Router::new(&routing, &[bob]).unwrap();
    let raw = RawOrder {
        format: "rest".into(),
        external_id: Some(o.external_id.clone()),
        dedup_key: format!("{}@1", o.external_id),
        topic: "orders/create".into(),
        body: b"{}".to_vec(),
    };
    s.insert_inbox("shop", Source::Webhook, &[raw], None)
        .await
        .unwrap();
    let item = s.pending_inbox(10).await.unwrap().remove(0);
    s.apply_inbox(&item, Ok(o)).await.unwrap();
    let next = s.orders_to_route(1).await.unwrap().remove(0);
    let snapshot = s
        .stock_by_location(&["TEE".into()], Some(next.order_id))
        .await
        .unwrap();
    s.record_route(next.order_id, &r.plan(&next.order, "shop", &snapshot))
        .await
        .unwrap();
    s.queue_fulfillment(&["bob".into()]).await.unwrap();
    for item in s.due_outbox(i64::MAX, 100).await.unwrap() {
        s.record_submission(item.id, &item.idempotency_key, &item.idempotency_key)
            .await
            .unwrap();
    }
}

fn shipped(id: &str, sku: &str, tracking: &str) -> TargetEvent {
    TargetEvent {
        dedup_id: format!("ship:{id}:{tracking}"),
        order_reference: Some(format!("ff:bob:shop:{id}")),
        partner_order_id: None,
        occurred_at: None,
        kind: EventKind::Shipped {
            lines: vec![LineQuantity {
                sku: sku.into(),
                quantity: 1,
            }],
            carrier: "UPS".into(),
            tracking_number: tracking.into(),
            tracking_url: None,
            shipped_at: DateTime::parse_from_rfc3339("2026-03-02T10:00:00Z").unwrap(),
        },
    }
}

fn dedup_ids(items: &[TargetInboxItem]) -> Vec<&str> {
    items.iter().map(|i| i.event.dedup_id.as_str()).collect()
}

async fn a_failing_event_holds_back_only_its_own_order_until_retried(engine: Engine) {
    let s = store(engine).await;
    s.set_on_hand("bob", &[("TEE".into(), 10)], OnHandSource::Count, "count")
        .await
        .unwrap();
    place(&s, &order("1", "TEE")).await;
    place(&s, &order("2", "TEE")).await;
    // Order 1: a shipment naming a SKU it does not hold (cannot apply), then its real one.
    let poison = shipped("1", "MUG", "1ZBAD");
    s.insert_target_events(
        "bob",
        &[
            poison,
            shipped("1", "TEE", "1ZONE"),
            shipped("2", "TEE", "1ZTWO"),
        ],
        None,
    )
    .await
    .unwrap();
    let due = s.pending_target_events(10).await.unwrap();
    assert_eq!(
        dedup_ids(&due),
        ["ship:1:1ZBAD", "ship:1:1ZONE", "ship:2:1ZTWO"]
    );
    assert_eq!(due[0].group, due[1].group, "one order, one group");
    assert_ne!(due[0].group, due[2].group);
    let err = s.apply_target_event(&due[0]).await.unwrap_err();
    assert!(err.to_string().contains("names nothing reserved"), "{err}");

    // Retrying later: order 1's real shipment waits behind it, order 2's goes on.
    let later = now_ms() + 60_000;
    s.fail_target_event(due[0].id, &err.to_string(), Some(later))
        .await
        .unwrap();
    let due = s.pending_target_events(10).await.unwrap();
    assert_eq!(dedup_ids(&due), ["ship:2:1ZTWO"]);
    s.apply_target_event(&due[0]).await.unwrap();
    assert_eq!(
        s.order("2").await.unwrap().unwrap().summary.fulfil_state,
        "shipped"
    );

    // Parked after the last attempt: kept, listed, still holding order 1 back.
    let bad = s.target_events(false, 10).await.unwrap();
    assert_eq!(bad.len(), 2, "{bad:?}");
    s.fail_target_event(bad[0].id, "still", None).await.unwrap();
    assert!(s.pending_target_events(10).await.unwrap().is_empty());
    let failed = s.target_events(true, 10).await.unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].state, "failed");
    assert_eq!(failed[0].attempts, 2);
    assert_eq!(failed[0].last_error.as_deref(), Some("still"));
    assert_eq!(s.counts().await.unwrap().partner_events_failed, 1);

    // An operator retries it: it and the event behind it are due again, in order.
    assert!(
        s.retry_target_events(Some(failed[0].id + 100))
            .await
            .is_err()
    );
    assert_eq!(s.retry_target_events(None).await.unwrap(), 1);
    let due = s.pending_target_events(10).await.unwrap();
    assert_eq!(dedup_ids(&due), ["ship:1:1ZBAD", "ship:1:1ZONE"]);
    assert_eq!(due[0].attempts, 0);
    assert_eq!(s.counts().await.unwrap().partner_events_failed, 0);
}

/// Issue 10: a partner shipping 1 of 3 units records and writes back 1, keeps the other 2
/// reserved (also across a newer version of the order), and its next parcel carries the 2.
async fn a_partial_partner_shipment_writes_back_only_what_shipped_and_keeps_the_rest(
    engine: Engine,
) {
    let s = store(engine).await;
    s.set_on_hand("bob", &[("TEE".into(), 10)], OnHandSource::Count, "count")
        .await
        .unwrap();
    let mut o = order("7", "TEE");
    o.lines[0].quantity = 3;
    place(&s, &o).await;
    let write_backs = |items: Vec<OutboxItem>| -> Vec<serde_json::Value> {
        items
            .into_iter()
            .filter(|i| i.kind == "write_back_shipment")
            .map(|i| i.payload["lines"].clone())
            .collect()
    };

    s.insert_target_events("bob", &[shipped("7", "TEE", "1ZFIRST")], None)
        .await
        .unwrap();
    let due = s.pending_target_events(10).await.unwrap();
    s.apply_target_event(&due[0]).await.unwrap();
    let detail = s.order("7").await.unwrap().unwrap();
    assert_eq!(detail.reservations, [("TEE".into(), Some("bob".into()), 2)]);
    assert_ne!(detail.summary.fulfil_state, "shipped");
    assert_eq!(
        write_backs(s.due_outbox(i64::MAX, 100).await.unwrap()),
        [serde_json::json!([{"line_id": "7-0", "quantity": 1}])]
    );
    let stock = s.stock(Some("TEE")).await.unwrap();
    assert!(
        stock
            .iter()
            .any(|r| r.location_id == "bob" && r.on_hand == 9 && r.reserved == 2),
        "{stock:?}"
    );

    // A newer version of the order (the channel saw the first parcel) keeps the 2 reserved.
    let mut newer = o.clone();
    newer.updated_at = DateTime::parse_from_rfc3339("2026-03-02T11:00:00Z").unwrap();
    let raw = RawOrder {
        format: "rest".into(),
        external_id: Some("7".into()),
        dedup_key: "7@2".into(),
        topic: "orders/updated".into(),
        body: b"{}".to_vec(),
    };
    s.insert_inbox("shop", Source::Webhook, &[raw], None)
        .await
        .unwrap();
    let item = s.pending_inbox(10).await.unwrap().remove(0);
    s.apply_inbox(&item, Ok(&newer)).await.unwrap();
    let detail = s.order("7").await.unwrap().unwrap();
    assert_eq!(detail.reservations, [("TEE".into(), Some("bob".into()), 2)]);

    // The second parcel carries the other two and ships the order.
    let mut rest = shipped("7", "TEE", "1ZSECOND");
    if let EventKind::Shipped { lines, .. } = &mut rest.kind {
        lines[0].quantity = 2;
    }
    s.insert_target_events("bob", &[rest], None).await.unwrap();
    let due = s.pending_target_events(10).await.unwrap();
    s.apply_target_event(&due[0]).await.unwrap();
    let detail = s.order("7").await.unwrap().unwrap();
    assert!(detail.reservations.is_empty());
    assert_eq!(detail.summary.fulfil_state, "shipped");
    assert_eq!(
        write_backs(s.due_outbox(i64::MAX, 100).await.unwrap()),
        [
            serde_json::json!([{"line_id": "7-0", "quantity": 1}]),
            serde_json::json!([{"line_id": "7-0", "quantity": 2}])
        ]
    );
    let violations = switchyard_core::stock::audit(&s.audit_snapshot().await.unwrap());
    assert!(violations.is_empty(), "{violations:?}");
}

store_tests!(
    a_failing_event_holds_back_only_its_own_order_until_retried,
    a_partial_partner_shipment_writes_back_only_what_shipped_and_keeps_the_rest,
);
