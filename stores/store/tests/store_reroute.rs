//! Closed-loop re-routing in the SQLite store: a partner's rejection or confirmed cancellation
//! sends the refused lines back to the router (never to the refusing location again), the new
//! location's submission is queued with the new plan, overdue orders are cancelled at their
//! partner first, and every step is idempotent and leaves the ledger balanced.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use chrono::DateTime;
use rust_decimal::Decimal;
use switchyard_core::config::{
    Action, Conditions, Fallback, LocationConfig, LocationKind, RoutingConfig, Rule, SplitMode,
};
use switchyard_core::fulfillment::{CancelOutcome, EventKind, LineQuantity, OrderRef, TargetEvent};
use switchyard_core::model::*;
use switchyard_core::ports::RawOrder;
use switchyard_core::routing::{Reroute, Router};
use switchyard_core::stock::{AuditSnapshot, audit};
use switchyard_core::store::*;
use switchyard_store::testing::TestStore;
use switchyard_store::{Engine, store_tests};

/// Partners with adapters: the dropship supplier and the 3PL.
const PARTNERS: [&str; 2] = ["drop", "bob"];

async fn store(engine: Engine) -> TestStore {
    TestStore::new(engine).await
}

fn order(id: &str, lines: &[(&str, u32)]) -> Order {
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
        lines: lines
            .iter()
            .enumerate()
            .map(|(i, (sku, q))| OrderLine {
                line_id: format!("{id}-{i}"),
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

/// first_in_stock over drop, bob, main; `fallback` for what none of them has.
fn router(fallback: Fallback) -> Router {
    let routing = RoutingConfig {
        sku_tags: Default::default(),
        rules: vec![Rule {
            name: Some("stocked".into()),
            when: Conditions::default(),
            action: Action::FirstInStock(vec!["drop".into(), "bob".into(), "main".into()]),
            split: SplitMode::Allowed,
        }],
        fallback: Some(fallback),
        unknown_sku: Default::default(),
    };
    let locations = [
        location("main", LocationKind::SelfWarehouse),
        location("bob", LocationKind::ThirdParty),
        location("drop", LocationKind::Dropship),
    ];
    Router::new(&routing, &locations).unwrap()
}

fn partners() -> Vec<String> {
    PARTNERS.iter().map(|s| s.to_string()).collect()
}

async fn stock(s: &TestStore, levels: &[(&str, &str, i64)]) {
    for (loc, sku, q) in levels {
        s.set_on_hand(loc, &[(sku.to_string(), *q)], OnHandSource::Count, "count")
            .await
            .unwrap();
    }
}

/// Stores and routes an order as the daemon does, then hands its partner submissions over.
async fn place(s: &TestStore, r: &Router, o: &Order) -> i64 {
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
    let skus: Vec<String> = o.sku_quantities().into_iter().map(|(s, _)| s).collect();
    let snapshot = s
        .stock_by_location(&skus, Some(next.order_id))
        .await
        .unwrap();
    let plan = r.plan(&next.order, "shop", &snapshot);
    s.record_route(next.order_id, &plan).await.unwrap();
    s.queue_fulfillment(&partners()).await.unwrap();
    submit_all(s).await;
    next.order_id
}

/// The outbox hands every queued submission over (partner id = key).
async fn submit_all(s: &TestStore) {
    for item in s.due_outbox(i64::MAX, 100).await.unwrap() {
        if item.kind == "submit_fulfillment" {
            s.record_submission(item.id, &item.idempotency_key, &item.idempotency_key)
                .await
                .unwrap();
        }
    }
}

/// What the router worker does with orders waiting to be placed again.
async fn reroute_all(s: &TestStore, r: &Router) -> usize {
    let work = s.orders_to_reroute(10).await.unwrap();
    for w in &work {
        let skus: Vec<String> = w
            .order
            .sku_quantities()
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        let snapshot = s.stock_by_location(&skus, Some(w.order_id)).await.unwrap();
        let input = Reroute {
            keep: w.keep.clone(),
            exclude: w.refused.iter().map(|(l, _)| l.clone()).collect(),
            because: w.refused.iter().map(|(_, why)| why.clone()).collect(),
            previous: w.previous.clone(),
        };
        let plan = r.replan(&w.order, &w.channel_id, &snapshot, &input);
        assert!(
            s.record_reroute(w.order_id, &plan, &partners())
                .await
                .unwrap()
        );
        // A second record of the same work changes nothing.
        assert!(
            !s.record_reroute(w.order_id, &plan, &partners())
                .await
                .unwrap()
        );
    }
    work.len()
}

/// Stores `kind` from `location` about order `id` and applies everything pending.
async fn event(
    s: &TestStore,
    location: &str,
    id: &str,
    dedup: &str,
    kind: EventKind,
) -> Vec<String> {
    let e = TargetEvent {
        dedup_id: dedup.into(),
        order_reference: Some(format!("ff:{location}:shop:{id}")),
        partner_order_id: None,
        occurred_at: None,
        kind,
    };
    s.insert_target_events(location, &[e], None).await.unwrap();
    apply_pending(s).await
}

async fn apply_pending(s: &TestStore) -> Vec<String> {
    let mut notes = Vec::new();
    for item in s.pending_target_events(10).await.unwrap() {
        notes.push(s.apply_target_event(&item).await.unwrap());
    }
    notes
}

fn rejected(sku: &str, quantity: u32) -> EventKind {
    EventKind::Rejected {
        lines: vec![LineQuantity {
            sku: sku.into(),
            quantity,
        }],
        reason: "out of stock".into(),
    }
}

async fn detail(s: &TestStore, id: &str) -> OrderDetail {
    s.order(id).await.unwrap().unwrap()
}

async fn submissions_outboxed(s: &TestStore) -> Vec<String> {
    let mut keys: Vec<String> = s
        .due_outbox(i64::MAX, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.idempotency_key)
        .collect();
    keys.sort();
    keys
}

async fn assert_balanced(s: &TestStore) {
    let snapshot: AuditSnapshot = s.audit_snapshot().await.unwrap();
    let violations = audit(&snapshot);
    assert!(violations.is_empty(), "{violations:?}");
}

async fn a_rejected_line_moves_to_the_next_location_and_never_back(engine: Engine) {
    let s = store(engine).await;
    let r = router(Fallback::Hold);
    stock(
        &s,
        &[
            ("drop", "A", 5),
            ("drop", "B", 5),
            ("bob", "B", 5),
            ("main", "B", 5),
        ],
    )
    .await;
    place(&s, &r, &order("1", &[("A", 1), ("B", 2)])).await;
    assert_eq!(
        detail(&s, "1").await.reservations,
        [
            ("A".into(), Some("drop".into()), 1),
            ("B".into(), Some("drop".into()), 2)
        ]
    );

    // The supplier refuses B: B waits unrouted, A stays; the same event twice is one refusal.
    let notes = event(&s, "drop", "1", "855:1:IR:B", rejected("B", 2)).await;
    assert!(
        notes[0].contains("drop rejected B: out of stock"),
        "{notes:?}"
    );
    let d = detail(&s, "1").await;
    assert_eq!(d.summary.fulfil_state, "rerouting");
    assert_eq!(
        d.reservations,
        [("A".into(), Some("drop".into()), 1), ("B".into(), None, 2)]
    );
    let again = TargetEvent {
        dedup_id: "855:1:IR:B:replayed".into(),
        order_reference: Some("ff:drop:shop:1".into()),
        partner_order_id: None,
        occurred_at: None,
        kind: rejected("B", 2),
    };
    s.insert_target_events("drop", &[again], None)
        .await
        .unwrap();
    let notes = apply_pending(&s).await;
    assert!(notes[0].contains("any more"), "{notes:?}");

    // The router places B at bob (drop excluded); bob's submission is queued with the plan.
    assert_eq!(reroute_all(&s, &r).await, 1);
    let d = detail(&s, "1").await;
    assert_eq!(d.summary.fulfil_state, "routed");
    assert_eq!(
        d.reservations,
        [
            ("A".into(), Some("drop".into()), 1),
            ("B".into(), Some("bob".into()), 2)
        ]
    );
    let text = d.decision.unwrap().describe();
    assert!(
        text.contains("Re-routed B because: drop rejected B: out of stock"),
        "{text}"
    );
    assert!(text.contains("refused this order before"), "{text}");
    assert_eq!(submissions_outboxed(&s).await, ["ff:bob:shop:1"]);
    submit_all(&s).await;

    // bob refuses too: B goes to main, the only place that has not refused it.
    event(&s, "bob", "1", "bob:1:rejected", rejected("B", 2)).await;
    reroute_all(&s, &r).await;
    let d = detail(&s, "1").await;
    assert_eq!(
        d.reservations,
        [
            ("A".into(), Some("drop".into()), 1),
            ("B".into(), Some("main".into()), 2)
        ]
    );
    let text = d.decision.unwrap().describe();
    assert!(
        text.contains("drop rejected B") && text.contains("bob rejected B"),
        "{text}"
    );
    assert!(
        submissions_outboxed(&s).await.is_empty(),
        "main has no partner"
    );
    assert_balanced(&s).await;
}

async fn with_nowhere_left_the_refused_lines_are_held_with_the_refusal_as_reason(engine: Engine) {
    let s = store(engine).await;
    let r = router(Fallback::Hold);
    stock(&s, &[("drop", "A", 5)]).await;
    place(&s, &r, &order("2", &[("A", 1)])).await;
    event(
        &s,
        "drop",
        "2",
        "855:2:rejected",
        EventKind::Rejected {
            lines: Vec::new(),
            reason: "purchase order rejected (RJ)".into(),
        },
    )
    .await;
    reroute_all(&s, &r).await;
    let d = detail(&s, "2").await;
    assert_eq!(d.summary.fulfil_state, "held");
    assert_eq!(d.reservations, [("A".into(), None, 1)]);
    let held = s.held_orders(10).await.unwrap();
    assert_eq!(held.len(), 1);
    assert!(
        held[0]
            .reason
            .starts_with("drop rejected the order: purchase order rejected (RJ); then "),
        "{}",
        held[0].reason
    );
    // The refusing location is excluded: releasing there is refused, elsewhere it goes.
    let now = DateTime::parse_from_rfc3339("2026-03-02T10:00:00Z").unwrap();
    let err = s.release_order("2", "drop", "ops", now).await.unwrap_err();
    assert!(
        err.to_string().contains("cannot be released to drop")
            && err.to_string().contains("purchase order rejected (RJ)"),
        "{err}"
    );
    assert_eq!(detail(&s, "2").await.summary.fulfil_state, "held");
    s.release_order("2", "main", "ops", now).await.unwrap();
    let d = detail(&s, "2").await;
    assert_eq!(d.summary.fulfil_state, "routed");
    assert_eq!(d.reservations, [("A".into(), Some("main".into()), 1)]);
    assert_balanced(&s).await;
}

async fn a_refusal_of_some_units_of_a_line_holds_the_order_for_a_person(engine: Engine) {
    let s = store(engine).await;
    let r = router(Fallback::Hold);
    stock(&s, &[("drop", "A", 5)]).await;
    place(&s, &r, &order("3", &[("A", 4)])).await;
    event(&s, "drop", "3", "855:3:IB:A", rejected("A", 1)).await;
    let d = detail(&s, "3").await;
    assert_eq!(d.summary.fulfil_state, "held");
    assert_eq!(d.reservations, [("A".into(), Some("drop".into()), 4)]);
    let held = s.held_orders(10).await.unwrap();
    assert!(held[0].reason.contains("1 of 4 A"), "{}", held[0].reason);
    assert!(s.orders_to_reroute(10).await.unwrap().is_empty());
}

async fn an_overdue_order_is_cancelled_first_and_moves_only_once_the_partner_confirms(
    engine: Engine,
) {
    let s = store(engine).await;
    let r = router(Fallback::Location("main".into()));
    stock(&s, &[("drop", "A", 5), ("drop", "B", 5)]).await;
    place(&s, &r, &order("4", &[("A", 1)])).await;
    place(&s, &r, &order("5", &[("B", 1)])).await;

    let keys = s.cancel_overdue("drop", i64::MAX).await.unwrap();
    assert_eq!(keys, ["ff:drop:shop:4", "ff:drop:shop:5"]);
    assert!(
        s.cancel_overdue("drop", i64::MAX).await.unwrap().is_empty(),
        "asked once"
    );
    let cancels = s.due_outbox(i64::MAX, 10).await.unwrap();
    assert_eq!(cancels.len(), 2);
    assert!(cancels.iter().all(|c| c.kind == "cancel_fulfillment"));
    // Nothing moved while the partner has not answered.
    assert_eq!(detail(&s, "4").await.summary.fulfil_state, "routed");
    assert!(s.orders_to_reroute(10).await.unwrap().is_empty());

    // Order 4: cancelled at the partner → re-routed to main. Order 5: too late → stays.
    for c in &cancels {
        let reference: OrderRef = serde_json::from_value(c.payload.clone()).unwrap();
        let outcome = if reference.reference.ends_with(":4") {
            CancelOutcome::Cancelled
        } else {
            CancelOutcome::TooLate {
                reason: "already packed".into(),
            }
        };
        s.record_cancel_answer(c.id, "drop", &reference, &outcome)
            .await
            .unwrap();
    }
    assert!(s.due_outbox(i64::MAX, 10).await.unwrap().is_empty());
    let notes = apply_pending(&s).await;
    assert_eq!(notes.len(), 2, "{notes:?}");
    reroute_all(&s, &r).await;
    let four = detail(&s, "4").await;
    assert_eq!(four.summary.fulfil_state, "routed");
    assert_eq!(four.reservations, [("A".into(), Some("main".into()), 1)]);
    let text = four.decision.unwrap().describe();
    assert!(
        text.contains("drop cancelled it (cancelled at our request)"),
        "{text}"
    );
    let five = detail(&s, "5").await;
    assert_eq!(five.summary.fulfil_state, "routed");
    assert_eq!(five.reservations, [("B".into(), Some("drop".into()), 1)]);
    assert!(
        s.cancel_overdue("drop", i64::MAX).await.unwrap().is_empty(),
        "a refused cancellation is not asked again"
    );

    // The partner's own cancellation webhook for order 4 arriving later changes nothing.
    let notes = event(
        &s,
        "drop",
        "4",
        "drop:4:cancelled",
        EventKind::Cancelled { reason: None },
    )
    .await;
    assert!(notes[0].contains("any more"), "{notes:?}");
    assert!(s.orders_to_reroute(10).await.unwrap().is_empty());
    assert_balanced(&s).await;
}

/// `ship` is the own warehouse's tool: in an order split between the own warehouse and a 3PL
/// it ships only the own units and writes back only their lines; the 3PL's units stay
/// reserved until its own shipment, which closes the order.
async fn ship_takes_only_the_own_warehouse_units_of_a_mixed_order(engine: Engine) {
    let s = store(engine).await;
    let r = router(Fallback::Hold);
    stock(&s, &[("main", "A", 5), ("bob", "T", 5)]).await;
    place(&s, &r, &order("9", &[("A", 2), ("T", 1)])).await;
    assert_eq!(
        detail(&s, "9").await.reservations,
        [
            ("A".into(), Some("main".into()), 2),
            ("T".into(), Some("bob".into()), 1)
        ]
    );
    let now = DateTime::parse_from_rfc3339("2026-03-02T10:00:00Z").unwrap();
    let main = ["main".to_string()];
    s.ship("9", "UPS", "1ZMAIN", &main, now).await.unwrap();
    let d = detail(&s, "9").await;
    assert_eq!(
        d.summary.fulfil_state, "routed",
        "the 3PL's line is still open"
    );
    assert_eq!(d.reservations, [("T".into(), Some("bob".into()), 1)]);
    let stock_rows = s.stock(None).await.unwrap();
    let at = |sku: &str, loc: &str| {
        stock_rows
            .iter()
            .find(|r| r.sku == sku && r.location_id == loc)
            .map(|r| (r.on_hand, r.reserved))
    };
    assert_eq!(at("A", "main"), Some((3, 0)));
    assert_eq!(at("T", "bob"), Some((5, 1)));
    let write_back = s
        .due_outbox(i64::MAX, 10)
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.kind == "write_back_shipment")
        .unwrap();
    let shipment: Shipment = serde_json::from_value(write_back.payload).unwrap();
    assert_eq!(
        shipment.lines,
        [ShippedLine {
            line_id: "9-0".into(),
            quantity: 2
        }],
        "only the parcel's line"
    );
    // The same parcel again is a no-op; a second own parcel has nothing left to carry.
    s.ship("9", "UPS", "1ZMAIN", &main, now).await.unwrap();
    let err = s.ship("9", "UPS", "1ZMORE", &main, now).await.unwrap_err();
    assert!(
        err.to_string().contains("nothing reserved at main") && err.to_string().contains("bob"),
        "{err}"
    );
    assert_balanced(&s).await;

    // The 3PL ships its line: the order is complete.
    let shipped = EventKind::Shipped {
        lines: vec![LineQuantity {
            sku: "T".into(),
            quantity: 1,
        }],
        carrier: "USPS".into(),
        tracking_number: "9400BOB".into(),
        tracking_url: None,
        shipped_at: now,
    };
    event(&s, "bob", "9", "ship:9", shipped).await;
    let d = detail(&s, "9").await;
    assert_eq!(d.summary.fulfil_state, "shipped");
    assert!(d.reservations.is_empty());
    assert_balanced(&s).await;
}

/// The channel cancels while the submit call is in flight: the submission is dropped as not
/// sent, then the partner's answer arrives. Recording that answer queues the partner cancel
/// (once, with its key) in the same transaction, so the partner does not keep the order.
async fn a_cancellation_during_the_hand_over_reaches_the_partner(engine: Engine) {
    let s = store(engine).await;
    let r = router(Fallback::Hold);
    stock(&s, &[("bob", "T", 5)]).await;
    let o = order("11", &[("T", 1)]);
    let raw = |n: u32| RawOrder {
        format: "rest".into(),
        external_id: Some("11".into()),
        dedup_key: format!("11@{n}"),
        topic: "orders/updated".into(),
        body: b"{}".to_vec(),
    };
    s.insert_inbox("shop", Source::Webhook, &[raw(1)], None)
        .await
        .unwrap();
    let item = s.pending_inbox(10).await.unwrap().remove(0);
    s.apply_inbox(&item, Ok(&o)).await.unwrap();
    let next = s.orders_to_route(1).await.unwrap().remove(0);
    let snapshot = s
        .stock_by_location(&["T".into()], Some(next.order_id))
        .await
        .unwrap();
    s.record_route(next.order_id, &r.plan(&next.order, "shop", &snapshot))
        .await
        .unwrap();
    s.queue_fulfillment(&partners()).await.unwrap();
    // The outbox takes the submit item and calls the partner...
    let submit = s.due_outbox(i64::MAX, 10).await.unwrap().remove(0);
    assert_eq!(submit.idempotency_key, "ff:bob:shop:11");

    // ...while the channel's cancellation is applied.
    let mut cancelled = o.clone();
    cancelled.status = OrderStatus::Cancelled;
    cancelled.updated_at = DateTime::parse_from_rfc3339("2026-03-01T11:00:00Z").unwrap();
    s.insert_inbox("shop", Source::Webhook, &[raw(2)], None)
        .await
        .unwrap();
    let item = s.pending_inbox(10).await.unwrap().remove(0);
    s.apply_inbox(&item, Ok(&cancelled)).await.unwrap();
    assert!(s.due_outbox(i64::MAX, 10).await.unwrap().is_empty());

    // The partner's answer: it has the order as SB-11. The cancel goes out to it.
    s.record_submission(submit.id, &submit.idempotency_key, "SB-11")
        .await
        .unwrap();
    let due = s.due_outbox(i64::MAX, 10).await.unwrap();
    assert_eq!(due.len(), 1, "{due:?}");
    assert_eq!(due[0].kind, "cancel_fulfillment");
    assert_eq!(due[0].idempotency_key, "cancel:ff:bob:shop:11");
    let reference: OrderRef = serde_json::from_value(due[0].payload.clone()).unwrap();
    assert_eq!(reference.partner_order_id.as_deref(), Some("SB-11"));

    // Its confirmation closes the matter; the unit is free again and nothing moves.
    s.record_cancel_answer(due[0].id, "bob", &reference, &CancelOutcome::Cancelled)
        .await
        .unwrap();
    apply_pending(&s).await;
    assert!(s.due_outbox(i64::MAX, 10).await.unwrap().is_empty());
    assert!(s.orders_to_reroute(10).await.unwrap().is_empty());
    assert!(detail(&s, "11").await.reservations.is_empty());
    assert_balanced(&s).await;
}

/// A channel without partial fulfilment (Etsy) reports an order fulfilled after the first of
/// our parcels: the lines still to ship stay reserved where they are, and no partner is asked
/// to cancel; the own warehouse's parcel completes it.
async fn fulfilled_on_the_channel_after_one_of_our_parcels_keeps_the_rest_open(engine: Engine) {
    let s = store(engine).await;
    let r = router(Fallback::Hold);
    stock(&s, &[("main", "A", 5), ("bob", "T", 5)]).await;
    let o = order("12", &[("A", 1), ("T", 1)]);
    place(&s, &r, &o).await;
    let now = DateTime::parse_from_rfc3339("2026-03-02T10:00:00Z").unwrap();
    event(
        &s,
        "bob",
        "12",
        "ship:12",
        EventKind::Shipped {
            lines: vec![LineQuantity {
                sku: "T".into(),
                quantity: 1,
            }],
            carrier: "USPS".into(),
            tracking_number: "9400BOB12".into(),
            tracking_url: None,
            shipped_at: now,
        },
    )
    .await;
    // The write-back of the 3PL's parcel makes the channel call the whole order fulfilled.
    let mut fulfilled = o.clone();
    fulfilled.status = OrderStatus::Fulfilled;
    fulfilled.updated_at = DateTime::parse_from_rfc3339("2026-03-02T11:00:00Z").unwrap();
    let raw = RawOrder {
        format: "rest".into(),
        external_id: Some("12".into()),
        dedup_key: "12@2".into(),
        topic: "orders/updated".into(),
        body: b"{}".to_vec(),
    };
    s.insert_inbox("shop", Source::Webhook, &[raw], None)
        .await
        .unwrap();
    let item = s.pending_inbox(10).await.unwrap().remove(0);
    s.apply_inbox(&item, Ok(&fulfilled)).await.unwrap();
    let d = detail(&s, "12").await;
    assert_eq!(d.summary.fulfil_state, "routed");
    assert_eq!(d.reservations, [("A".into(), Some("main".into()), 1)]);
    assert!(
        s.due_outbox(i64::MAX, 10)
            .await
            .unwrap()
            .iter()
            .all(|i| i.kind == "write_back_shipment"),
        "no partner cancel"
    );
    assert_balanced(&s).await;
    s.ship("12", "UPS", "1ZMAIN12", &["main".to_string()], now)
        .await
        .unwrap();
    assert_eq!(detail(&s, "12").await.summary.fulfil_state, "shipped");
    assert_balanced(&s).await;
}

store_tests!(
    a_rejected_line_moves_to_the_next_location_and_never_back,
    with_nowhere_left_the_refused_lines_are_held_with_the_refusal_as_reason,
    a_refusal_of_some_units_of_a_line_holds_the_order_for_a_person,
    an_overdue_order_is_cancelled_first_and_moves_only_once_the_partner_confirms,
    ship_takes_only_the_own_warehouse_units_of_a_mixed_order,
    a_cancellation_during_the_hand_over_reaches_the_partner,
    fulfilled_on_the_channel_after_one_of_our_parcels_keeps_the_rest_open,
);
