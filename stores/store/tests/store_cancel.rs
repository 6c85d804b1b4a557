//! Seller cancellations on the channel (migration 0012), on both engines: a whole order
//! releases its stock and queues the channel call; units shipped refuse it and change nothing;
//! a partner holding the order cancels first and the channel call waits for its answer;
//! Walmart lines go one by one and a later version of the order does not take the cancelled
//! units again; channels without an API list it for a person; the ledger stays balanced.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use chrono::DateTime;
use rust_decimal::Decimal;
use switchyard_core::cancellation::{
    CancelAsk, CancelLine, CancelReason, CancelRefusal, CancelState, ChannelCancel,
};
use switchyard_core::config::{
    Action, Conditions, Fallback, LocationConfig, LocationKind, RoutingConfig, Rule, SplitMode,
};
use switchyard_core::fulfillment::{CancelOutcome, OrderRef};
use switchyard_core::model::*;
use switchyard_core::ports::RawOrder;
use switchyard_core::routing::Router;
use switchyard_core::stock::audit;
use switchyard_core::store::*;
use switchyard_store::testing::TestStore;
use switchyard_store::{Engine, store_tests};

fn order(kind: ChannelKind, id: &str, version: u32, lines: &[(&str, u32)]) -> Order {
    let t = DateTime::parse_from_rfc3339("2026-03-01T10:00:00Z").unwrap();
    Order {
        channel_kind: kind,
        external_id: id.into(),
        number: format!("#{id}"),
        placed_at: t,
        updated_at: t + chrono::Duration::seconds(i64::from(version)),
        status: OrderStatus::Open,
        payment_status: PaymentStatus::Paid,
        currency: "USD".into(),
        total: Decimal::TEN,
        lines: lines
            .iter()
            .enumerate()
            .map(|(i, (sku, q))| OrderLine {
                line_id: format!("{}", i + 1),
                sku: Some(sku.to_string()),
                quantity: *q,
                unit_price: Decimal::ONE,
                title: sku.to_string(),
                channel_sku: None,
            })
            .collect(),
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

fn location(id: &str, kind: LocationKind) -> LocationConfig {
    LocationConfig {
        id: id.into(),
        kind,
        name: None,
        adapter: None,
        coordinates: None,
        country: None,
        region: None,
        catalog: vec!["*".into()],
    }
}

/// first_in_stock over drop, main; what neither has is held.
fn router() -> Router {
    let routing = RoutingConfig {
        sku_tags: Default::default(),
        rules: vec![Rule {
            name: Some("stocked".into()),
            when: Conditions::default(),
            action: Action::FirstInStock(vec!["drop".into(), "main".into()]),
            split: SplitMode::Allowed,
        }],
        fallback: Some(Fallback::Hold),
        unknown_sku: Default::default(),
    };
    let locations = [
        location("main", LocationKind::SelfWarehouse),
        location("drop", LocationKind::Dropship),
    ];
    Router::new(&routing, &locations).unwrap()
}

async fn stock(s: &TestStore, levels: &[(&str, &str, i64)]) {
    for (loc, sku, q) in levels {
        s.set_on_hand(loc, &[(sku.to_string(), *q)], OnHandSource::Count, "count")
            .await
            .unwrap();
    }
}

/// Stores a version of an order as the normalizer does.
async fn receive(s: &TestStore, o: &Order) {
    let raw = RawOrder {
        format: "rest".into(),
        external_id: Some(o.external_id.clone()),
        dedup_key: format!("{}@{}", o.external_id, o.updated_at.timestamp_millis()),
        topic: "orders/updated".into(),
        body: b"{}".to_vec(),
    };
    s.insert_inbox("shop", Source::Webhook, &[raw], None)
        .await
        .unwrap();
    let item = s.pending_inbox(10).await.unwrap().remove(0);
    s.apply_inbox(&item, Ok(o)).await.unwrap();
}

/// Stores and routes an order, then hands its partner submissions over.
async fn place(s: &TestStore, o: &Order) -> i64 {
    receive(s, o).await;
    let next = s.orders_to_route(1).await.unwrap().remove(0);
    let skus: Vec<String> = o.sku_quantities().into_iter().map(|(s, _)| s).collect();
    let snapshot = s
        .stock_by_location(&skus, Some(next.order_id))
        .await
        .unwrap();
    let plan = router().plan(&next.order, "shop", &snapshot);
    s.record_route(next.order_id, &plan).await.unwrap();
    s.queue_fulfillment(&["drop".to_string()]).await.unwrap();
    for item in s.due_outbox(i64::MAX, 100).await.unwrap() {
        if item.kind == "submit_fulfillment" {
            s.record_submission(item.id, &item.idempotency_key, &item.idempotency_key)
                .await
                .unwrap();
        }
    }
    next.order_id
}

fn whole(reason: CancelReason) -> CancelAsk {
    CancelAsk {
        reason,
        lines: None,
    }
}

async fn outbox(s: &TestStore, kind: &str) -> Vec<OutboxItem> {
    s.due_outbox(i64::MAX, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|i| i.kind == kind)
        .collect()
}

async fn assert_balanced(s: &TestStore) {
    let violations = audit(&s.audit_snapshot().await.unwrap());
    assert!(violations.is_empty(), "{violations:?}");
}

async fn reserved(s: &TestStore, id: &str) -> Vec<(String, Option<String>, i64)> {
    s.order(id).await.unwrap().unwrap().reservations
}

async fn state(s: &TestStore, id: &str) -> String {
    s.order(id).await.unwrap().unwrap().summary.fulfil_state
}

async fn a_whole_order_releases_its_stock_and_queues_the_channel_call(engine: Engine) {
    let s = TestStore::new(engine).await;
    let ops = s.operator().await;
    stock(&s, &[("main", "A", 5), ("main", "B", 5)]).await;
    let id = place(
        &s,
        &order(ChannelKind::Shopify, "1", 1, &[("A", 2), ("B", 1)]),
    )
    .await;
    assert_eq!(state(&s, "1").await, "routed");
    let row = ops
        .cancel_on_channel(id, &whole(CancelReason::OutOfStock), "cli:ada")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.state, CancelState::Queued);
    assert!(row.whole);
    assert_eq!(row.reason_code, "INVENTORY");
    assert_eq!(row.requested_by, "cli:ada");
    assert_eq!(state(&s, "1").await, "closed");
    assert!(reserved(&s, "1").await.is_empty());
    assert_balanced(&s).await;
    // The channel call, keyed, with the channel's own reason code.
    let items = outbox(&s, "cancel_order").await;
    assert_eq!(items.len(), 1);
    assert_eq!(
        Some(items[0].idempotency_key.as_str()),
        row.idempotency_key.as_deref()
    );
    let request: ChannelCancel = serde_json::from_value(items[0].payload.clone()).unwrap();
    assert_eq!(request.reason_code, "INVENTORY");
    assert_eq!(request.order_external_id, "1");
    assert_eq!(
        request.lines,
        vec![
            CancelLine {
                line_id: "1".into(),
                quantity: 2
            },
            CancelLine {
                line_id: "2".into(),
                quantity: 1
            }
        ]
    );
    let ledger = ops.order_ledger(id).await.unwrap();
    assert!(ledger.iter().any(|e| e.cause == "cancel"), "{ledger:?}");
    // Once is enough: a closed order is refused.
    let again = ops
        .cancel_on_channel(id, &whole(CancelReason::OutOfStock), "cli:ada")
        .await
        .unwrap();
    assert!(
        matches!(again, Err(CancelRefusal::NotAllowed(_))),
        "{again:?}"
    );
    // The channel confirms: done, the outbox item closed.
    ops.complete_channel_cancel(items[0].id, row.id, "orderCancel INVENTORY")
        .await
        .unwrap();
    assert!(outbox(&s, "cancel_order").await.is_empty());
    let rows = ops.cancellations(None, Some(id), 10).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].state, CancelState::Done);
    assert_eq!(rows[0].detail.as_deref(), Some("orderCancel INVENTORY"));
}

async fn shipped_units_refuse_and_change_nothing(engine: Engine) {
    let s = TestStore::new(engine).await;
    let ops = s.operator().await;
    stock(&s, &[("main", "A", 5), ("main", "B", 5)]).await;
    let id = place(
        &s,
        &order(ChannelKind::Walmart, "2", 1, &[("A", 1), ("B", 1)]),
    )
    .await;
    let now = DateTime::parse_from_rfc3339("2026-03-02T10:00:00Z").unwrap();
    s.ship("shop:2", "UPS", "1Z1", &["main".to_string()], now)
        .await
        .unwrap();
    assert_eq!(state(&s, "2").await, "shipped");
    let refused = ops
        .cancel_on_channel(id, &whole(CancelReason::OutOfStock), "cli:ada")
        .await
        .unwrap();
    match refused {
        Err(CancelRefusal::Shipped(why)) => assert!(why.contains("already shipped"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert!(outbox(&s, "cancel_order").await.is_empty());
    assert!(
        ops.cancellations(None, Some(id), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_balanced(&s).await;
}

async fn a_partner_cancels_first_and_the_channel_waits_for_it(engine: Engine) {
    let s = TestStore::new(engine).await;
    let ops = s.operator().await;
    stock(&s, &[("drop", "D", 5)]).await;
    let id = place(&s, &order(ChannelKind::Shopify, "3", 1, &[("D", 2)])).await;
    let row = ops
        .cancel_on_channel(id, &whole(CancelReason::CustomerRequest), "api:ops")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.state, CancelState::AwaitingPartner);
    assert_eq!(row.waits_for, vec!["ff:drop:shop:3".to_string()]);
    assert!(outbox(&s, "cancel_order").await.is_empty());
    let partner = outbox(&s, "cancel_fulfillment").await;
    assert_eq!(partner.len(), 1);
    assert_eq!(partner[0].idempotency_key, "cancel:ff:drop:shop:3");
    // Nothing moves before the partner answers.
    assert_eq!(ops.advance_cancellations(0).await.unwrap(), 0);
    let answer: OrderRef = serde_json::from_value(partner[0].payload.clone()).unwrap();
    s.record_cancel_answer(partner[0].id, "drop", &answer, &CancelOutcome::Cancelled)
        .await
        .unwrap();
    for item in s.pending_target_events(10).await.unwrap() {
        s.apply_target_event(&item).await.unwrap();
    }
    assert_eq!(ops.advance_cancellations(0).await.unwrap(), 1);
    let items = outbox(&s, "cancel_order").await;
    assert_eq!(items.len(), 1, "queued once the partner confirmed");
    let rows = ops
        .cancellations(Some(CancelState::Queued), None, 10)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].reason_code, "CUSTOMER");
    // Moving on again queues nothing more.
    assert_eq!(ops.advance_cancellations(0).await.unwrap(), 0);
    assert_eq!(outbox(&s, "cancel_order").await.len(), 1);
    assert_balanced(&s).await;
}

async fn walmart_lines_go_one_by_one_and_stay_cancelled(engine: Engine) {
    let s = TestStore::new(engine).await;
    let ops = s.operator().await;
    // A is on the shelf; nobody has Z: that line is held.
    stock(&s, &[("main", "A", 5), ("main", "Z", 0)]).await;
    let id = place(
        &s,
        &order(ChannelKind::Walmart, "4", 1, &[("A", 1), ("Z", 2)]),
    )
    .await;
    assert_eq!(state(&s, "4").await, "held");
    let held = ops
        .unfulfillable_orders("shop", i64::MAX, 10)
        .await
        .unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].unrouted_skus, vec!["Z".to_string()]);
    assert!(
        ops.unfulfillable_orders("shop", 0, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let ask = CancelAsk {
        reason: CancelReason::OutOfStock,
        lines: Some(vec![CancelLine {
            line_id: "2".into(),
            quantity: 2,
        }]),
    };
    let row = ops
        .cancel_on_channel(id, &ask, "daemon")
        .await
        .unwrap()
        .unwrap();
    assert!(!row.whole);
    assert_eq!(row.state, CancelState::Queued);
    assert_eq!(row.reason_code, "SELLER_CANCEL_OUT_OF_STOCK");
    assert_eq!(state(&s, "4").await, "routed", "the rest is placed");
    assert_eq!(
        reserved(&s, "4").await,
        vec![("A".into(), Some("main".into()), 1)]
    );
    assert_balanced(&s).await;
    assert!(
        ops.unfulfillable_orders("shop", i64::MAX, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // The channel's next version of the order still lists the line: its units stay cancelled.
    receive(
        &s,
        &order(ChannelKind::Walmart, "4", 2, &[("A", 1), ("Z", 2)]),
    )
    .await;
    assert_eq!(
        reserved(&s, "4").await,
        vec![("A".into(), Some("main".into()), 1)]
    );
    assert_balanced(&s).await;
    // More than is left is refused.
    let again = ops.cancel_on_channel(id, &ask, "daemon").await.unwrap();
    assert!(
        matches!(again, Err(CancelRefusal::BadInput("qty", _))),
        "{again:?}"
    );
    // Shopify cannot cancel one line.
    stock(&s, &[("main", "B", 5)]).await;
    let other = place(
        &s,
        &order(ChannelKind::Shopify, "5", 1, &[("A", 1), ("B", 1)]),
    )
    .await;
    let one = CancelAsk {
        reason: CancelReason::OutOfStock,
        lines: Some(vec![CancelLine {
            line_id: "1".into(),
            quantity: 1,
        }]),
    };
    let refused = ops.cancel_on_channel(other, &one, "cli:ada").await.unwrap();
    assert!(
        matches!(refused, Err(CancelRefusal::NotAllowed(_))),
        "{refused:?}"
    );
}

async fn a_channel_without_an_api_is_listed_for_a_person(engine: Engine) {
    let s = TestStore::new(engine).await;
    let ops = s.operator().await;
    stock(&s, &[("main", "A", 5)]).await;
    let id = place(&s, &order(ChannelKind::Etsy, "6", 1, &[("A", 1)])).await;
    let row = ops
        .cancel_on_channel(id, &whole(CancelReason::Fraud), "cli:ada")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.state, CancelState::NeedsPerson);
    assert!(
        row.detail.as_deref().unwrap_or("").contains("Shop Manager"),
        "{row:?}"
    );
    assert!(row.idempotency_key.is_none());
    assert!(outbox(&s, "cancel_order").await.is_empty());
    assert!(
        reserved(&s, "6").await.is_empty(),
        "the stock is free at once"
    );
    let listed = ops
        .cancellations(Some(CancelState::NeedsPerson), None, 10)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].number, "#6");
    assert_balanced(&s).await;
}

async fn a_partner_that_cannot_cancel_fails_it_and_the_channel_is_not_told(engine: Engine) {
    let s = TestStore::new(engine).await;
    let ops = s.operator().await;
    stock(&s, &[("drop", "D", 5)]).await;
    let id = place(&s, &order(ChannelKind::Walmart, "7", 1, &[("D", 1)])).await;
    let row = ops
        .cancel_on_channel(id, &whole(CancelReason::OutOfStock), "cli:ada")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.state, CancelState::AwaitingPartner);
    let partner = outbox(&s, "cancel_fulfillment").await;
    let answer: OrderRef = serde_json::from_value(partner[0].payload.clone()).unwrap();
    let too_late = CancelOutcome::TooLate {
        reason: "already packed".into(),
    };
    s.record_cancel_answer(partner[0].id, "drop", &answer, &too_late)
        .await
        .unwrap();
    for item in s.pending_target_events(10).await.unwrap() {
        s.apply_target_event(&item).await.unwrap();
    }
    assert_eq!(ops.advance_cancellations(0).await.unwrap(), 1);
    assert!(
        outbox(&s, "cancel_order").await.is_empty(),
        "the channel is not told"
    );
    let rows = ops.cancellations(None, Some(id), 10).await.unwrap();
    assert_eq!(rows[0].state, CancelState::Failed);
    assert!(
        rows[0]
            .detail
            .as_deref()
            .unwrap_or("")
            .contains("kept the order"),
        "{rows:?}"
    );
}

store_tests!(
    a_partner_that_cannot_cancel_fails_it_and_the_channel_is_not_told,
    a_whole_order_releases_its_stock_and_queues_the_channel_call,
    shipped_units_refuse_and_change_nothing,
    a_partner_cancels_first_and_the_channel_waits_for_it,
    walmart_lines_go_one_by_one_and_stay_cancelled,
    a_channel_without_an_api_is_listed_for_a_person,
);
