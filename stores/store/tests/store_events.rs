//! The event log on both engines: each change writes its events in its own transaction, in
//! order, positions only grow (also under concurrent writers, with a reader following along),
//! and webhook cursors and dead letters keep their place.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use std::sync::Arc;

use chrono::DateTime;
use rust_decimal::Decimal;
use switchyard_core::config::{
    Action, Conditions, Fallback, LocationConfig, LocationKind, RoutingConfig, Rule, SplitMode,
};
use switchyard_core::events::{Event, EventType};
use switchyard_core::model::*;
use switchyard_core::ports::RawOrder;
use switchyard_core::routing::{RoutePlan, Router};
use switchyard_core::store::*;
use switchyard_store::testing::TestStore;
use switchyard_store::{Engine, store_tests};

async fn store(engine: Engine) -> TestStore {
    TestStore::new(engine).await
}

fn order(id: &str, updated: &str, lines: &[(&str, u32)]) -> Order {
    let t = DateTime::parse_from_rfc3339(updated).unwrap();
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

async fn deliver(s: &TestStore, o: &Order) {
    let key = format!("{}@{}", o.external_id, o.updated_at.to_rfc3339());
    let raw = RawOrder {
        format: "rest".into(),
        external_id: Some(o.external_id.clone()),
        dedup_key: key.clone(),
        topic: "orders/create".into(),
        body: b"{}".to_vec(),
    };
    s.insert_inbox("shop", Source::Webhook, &[raw], None)
        .await
        .unwrap();
    let items = s.pending_inbox(10).await.unwrap();
    let item = items.iter().find(|i| i.raw.dedup_key == key).unwrap();
    s.apply_inbox(item, Ok(o)).await.unwrap();
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
        catalog: Vec::new(),
    }
}

/// first_in_stock over main then east, line by line; `HOLD-*` SKUs are held.
fn router() -> Router {
    let routing = RoutingConfig {
        sku_tags: Default::default(),
        rules: vec![
            Rule {
                name: Some("review".into()),
                when: Conditions {
                    sku: Some(vec!["HOLD-*".into()]),
                    ..Conditions::default()
                },
                action: Action::Hold,
                split: SplitMode::Never,
            },
            Rule {
                name: Some("stocked".into()),
                when: Conditions::default(),
                action: Action::FirstInStock(vec!["main".into(), "east".into()]),
                split: SplitMode::Allowed,
            },
        ],
        fallback: Some(Fallback::Hold),
        unknown_sku: Default::default(),
    };
    let locations = [
        location("main", LocationKind::SelfWarehouse),
        location("east", LocationKind::ThirdParty),
    ];
    Router::new(&routing, &locations).unwrap()
}

/// Routes the next waiting order through `router()` as the daemon does.
async fn route_next(s: &TestStore) -> (i64, RoutePlan) {
    let next = s.orders_to_route(1).await.unwrap().remove(0);
    let skus: Vec<String> = next
        .order
        .sku_quantities()
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    let snapshot = s
        .stock_by_location(&skus, Some(next.order_id))
        .await
        .unwrap();
    let plan = router().plan(&next.order, &next.channel_id, &snapshot);
    s.record_route(next.order_id, &plan).await.unwrap();
    (next.order_id, plan)
}

async fn all_events(s: &TestStore) -> Vec<Event> {
    s.events(0, 1000, &[]).await.unwrap()
}

fn types(events: &[Event]) -> Vec<&'static str> {
    events.iter().map(|e| e.kind.as_str()).collect()
}

fn now() -> chrono::DateTime<chrono::FixedOffset> {
    DateTime::parse_from_rfc3339("2026-01-02T10:00:00Z").unwrap()
}

async fn an_order_life_writes_its_events_in_order(engine: Engine) {
    let s = store(engine).await;
    s.set_on_hand("main", &[("A".into(), 10)], OnHandSource::Count, "count")
        .await
        .unwrap();
    deliver(&s, &order("1", "2026-01-01T10:00:00Z", &[("A", 2)])).await;
    let (order_id, _) = route_next(&s).await;
    s.ship("shop:1", "UPS", "1Z1", &["main".to_string()], now())
        .await
        .unwrap();
    let events = all_events(&s).await;
    // Shipping moves 2 units from reserved to gone: available stays 8, so no stock event.
    assert_eq!(
        types(&events),
        [
            "stock.changed",
            "order.received",
            "stock.changed",
            "order.routed",
            "order.shipped"
        ]
    );
    let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
    assert_eq!(
        ids,
        [1, 2, 3, 4, 5],
        "positions start at 1 and have no gaps"
    );
    assert!(events.iter().all(|e| e.version == 1));
    assert_eq!(events[0].data["sku"], "A");
    assert_eq!(events[0].data["available"], 10);
    assert!(events[0].data.get("previous_available").is_none());
    assert_eq!(events[2].data["available"], 8);
    assert_eq!(events[2].data["previous_available"], 10);
    let received = &events[1].data;
    assert_eq!(received["order_id"], order_id);
    assert_eq!(received["channel"], "shop");
    assert_eq!(received["external_id"], "1");
    assert_eq!(received["lines"][0]["sku"], "A");
    assert_eq!(received["lines"][0]["quantity"], 2);
    assert_eq!(events[3].data["location"], "main");
    assert_eq!(events[3].data["lines"][0]["location"], "main");
    let shipped = &events[4].data;
    assert_eq!(shipped["tracking_number"], "1Z1");
    assert_eq!(shipped["carrier"], "UPS");
    assert_eq!(shipped["completes_order"], true);
    assert_eq!(shipped["lines"][0]["quantity"], 2);

    // Paging and the type filter.
    let page = s.events(2, 2, &[]).await.unwrap();
    assert_eq!(page.iter().map(|e| e.id).collect::<Vec<_>>(), [3, 4]);
    let orders_only = s
        .events(0, 100, &[EventType::OrderReceived, EventType::OrderShipped])
        .await
        .unwrap();
    assert_eq!(types(&orders_only), ["order.received", "order.shipped"]);
    assert_eq!(s.last_event_id().await.unwrap(), 5);
    assert!(s.events(5, 10, &[]).await.unwrap().is_empty());

    // Recording the same parcel again changes nothing, and writes nothing.
    s.ship("shop:1", "UPS", "1Z1", &["main".to_string()], now())
        .await
        .unwrap();
    assert_eq!(s.last_event_id().await.unwrap(), 5);
}

async fn held_released_and_cancelled_orders_are_reported(engine: Engine) {
    let s = store(engine).await;
    s.set_on_hand(
        "main",
        &[("HOLD-1".into(), 3)],
        OnHandSource::Count,
        "count",
    )
    .await
    .unwrap();
    deliver(&s, &order("9", "2026-01-01T10:00:00Z", &[("HOLD-1", 1)])).await;
    route_next(&s).await;
    s.release_order("shop:9", "main", "operator ada", now())
        .await
        .unwrap();
    let after_release = s.last_event_id().await.unwrap();
    // The channel cancels: reported once, and the units come back.
    let mut cancelled = order("9", "2026-01-01T12:00:00Z", &[("HOLD-1", 1)]);
    cancelled.status = OrderStatus::Cancelled;
    deliver(&s, &cancelled).await;
    let mut again = order("9", "2026-01-01T13:00:00Z", &[("HOLD-1", 1)]);
    again.status = OrderStatus::Cancelled;
    deliver(&s, &again).await;
    let events = all_events(&s).await;
    assert_eq!(
        types(&events),
        [
            "stock.changed",
            "order.received",
            "stock.changed",
            "order.held",
            "order.routed",
            "order.cancelled",
            "stock.changed"
        ]
    );
    let held = &events[3].data;
    assert!(held.get("location").is_none());
    assert!(
        held["reason"].as_str().unwrap().contains("review"),
        "{held}"
    );
    assert_eq!(held["lines"][0]["held"], held["reason"]);
    let released = &events[4].data;
    assert_eq!(released["location"], "main");
    assert_eq!(released["decided_by"], "operator");
    assert_eq!(events[5].data["status"], "cancelled");
    assert!(events[5].id > after_release);
    assert_eq!(events[6].data["available"], 3);
}

async fn a_refused_change_writes_no_event(engine: Engine) {
    let s = store(engine).await;
    s.set_on_hand("main", &[("A".into(), 1)], OnHandSource::Count, "count")
        .await
        .unwrap();
    deliver(&s, &order("3", "2026-01-01T10:00:00Z", &[("A", 1)])).await;
    let before = s.last_event_id().await.unwrap();
    // Not routed yet: the ship is refused and its transaction rolled back.
    assert!(
        s.ship("shop:3", "UPS", "1Z3", &["main".to_string()], now())
            .await
            .is_err()
    );
    // A count that changes nothing reports nothing.
    s.set_on_hand("main", &[("A".into(), 1)], OnHandSource::Count, "count")
        .await
        .unwrap();
    assert_eq!(s.last_event_id().await.unwrap(), before);
}

/// Many writers at once while a reader follows the log with `after = last id seen`: the
/// reader ends with exactly every event, none skipped (an id committed after a higher one
/// would be), and the ids it saw only grew.
async fn a_reader_following_concurrent_writers_misses_nothing(engine: Engine) {
    let s = store(engine).await;
    let shared = s.shared();
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let st = shared.clone();
            tokio::spawn(async move {
                for i in 1..=15 {
                    st.set_on_hand(
                        "main",
                        &[(format!("W{w}"), i)],
                        OnHandSource::Count,
                        "count",
                    )
                    .await
                    .unwrap();
                }
            })
        })
        .collect();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let st = shared.clone();
        let done = done.clone();
        tokio::spawn(async move {
            let mut seen = Vec::new();
            let mut last = 0;
            loop {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                let page = st.events(last, 7, &[]).await.unwrap();
                for e in &page {
                    assert!(e.id > last, "ids only grow");
                    last = e.id;
                    seen.push(e.id);
                }
                if page.is_empty() && finished {
                    return seen;
                }
                tokio::task::yield_now().await;
            }
        })
    };
    for w in writers {
        w.await.unwrap();
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let seen = reader.await.unwrap();
    let all: Vec<i64> = all_events(&s).await.iter().map(|e| e.id).collect();
    assert_eq!(all.len(), 8 * 15);
    assert_eq!(seen, all, "the reader saw every event, in order");
}

async fn webhook_cursors_move_and_dead_letters_are_replayed(engine: Engine) {
    let s = store(engine).await;
    s.set_on_hand(
        "main",
        &[("A".into(), 1), ("B".into(), 1), ("C".into(), 1)],
        OnHandSource::Count,
        "count",
    )
    .await
    .unwrap();
    let c = s.webhook_cursor("erp", 0).await.unwrap();
    assert_eq!((c.position, c.attempts), (0, 0));
    // A second start keeps the place: `start` only applies to a new subscription.
    assert_eq!(s.webhook_cursor("erp", 3).await.unwrap().position, 0);
    assert_eq!(s.webhook_cursor("late", 3).await.unwrap().position, 3);

    s.webhook_delivered("erp", 1).await.unwrap();
    s.webhook_failed("erp", 2, "HTTP 500", Some(1_000))
        .await
        .unwrap();
    s.webhook_failed("erp", 2, "HTTP 500", Some(2_000))
        .await
        .unwrap();
    let c = s.webhook_cursor("erp", 0).await.unwrap();
    assert_eq!((c.position, c.attempts, c.next_attempt_at), (1, 2, 2_000));
    assert_eq!(c.last_error.as_deref(), Some("HTTP 500"));
    assert_eq!(c.delivered, 1);
    // The last attempt: a dead letter, and the cursor moves past it.
    s.webhook_failed("erp", 2, "HTTP 503", None).await.unwrap();
    let c = s.webhook_cursor("erp", 0).await.unwrap();
    assert_eq!((c.position, c.attempts, c.next_attempt_at), (2, 0, 0));
    // A stale answer for an event already passed changes nothing.
    s.webhook_delivered("erp", 1).await.unwrap();
    assert_eq!(s.webhook_cursor("erp", 0).await.unwrap().position, 2);
    s.webhook_delivered("erp", 3).await.unwrap();

    let dead = s.webhook_dead_letters(None, true, 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    let d = &dead[0];
    assert_eq!(
        (
            d.subscription.as_str(),
            d.event_id,
            d.attempts,
            d.state.as_str()
        ),
        ("erp", 2, 3, "dead")
    );
    assert_eq!(d.event_type, "stock.changed");
    assert_eq!(d.last_error, "HTTP 503");
    assert!(
        s.due_webhook_replays("erp", i64::MAX, 10)
            .await
            .unwrap()
            .is_empty()
    );

    let replayed = s.replay_webhook_dead_letter(d.id, 5_000).await.unwrap();
    assert_eq!(replayed.state, "replaying");
    assert!(matches!(
        s.replay_webhook_dead_letter(d.id, 5_000).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        s.replay_webhook_dead_letter(999, 5_000).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(
        s.due_webhook_replays("erp", 4_999, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let due = s.due_webhook_replays("erp", 5_000, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].1.id, 2);
    assert_eq!(due[0].1.data["sku"], "B");
    s.webhook_replay_failed(d.id, "HTTP 500", Some(6_000))
        .await
        .unwrap();
    assert!(
        s.due_webhook_replays("erp", 5_999, 10)
            .await
            .unwrap()
            .is_empty()
    );
    s.webhook_replay_failed(d.id, "HTTP 500", None)
        .await
        .unwrap();
    let d2 = &s.webhook_dead_letters(Some("erp"), true, 10).await.unwrap()[0];
    assert_eq!((d2.state.as_str(), d2.attempts), ("dead", 2));
    s.replay_webhook_dead_letter(d.id, 7_000).await.unwrap();
    s.webhook_replay_delivered(d.id).await.unwrap();
    assert!(
        s.webhook_dead_letters(Some("erp"), true, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let all = s
        .webhook_dead_letters(Some("erp"), false, 10)
        .await
        .unwrap();
    assert_eq!(all[0].state, "delivered");
    assert!(all[0].delivered_at.is_some());
    assert!(
        s.webhook_dead_letters(Some("late"), false, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let cursors = s.webhook_cursors().await.unwrap();
    assert_eq!(
        cursors
            .iter()
            .map(|c| c.subscription.as_str())
            .collect::<Vec<_>>(),
        ["erp", "late"]
    );
}

async fn a_partner_taking_an_order_is_reported_once(engine: Engine) {
    let s = store(engine).await;
    s.set_on_hand("main", &[("A".into(), 5)], OnHandSource::Count, "count")
        .await
        .unwrap();
    s.set_on_hand("east", &[("B".into(), 5)], OnHandSource::Count, "count")
        .await
        .unwrap();
    deliver(
        &s,
        &order("4", "2026-01-01T10:00:00Z", &[("A", 1), ("B", 2)]),
    )
    .await;
    route_next(&s).await;
    assert_eq!(s.queue_fulfillment(&["east".into()]).await.unwrap(), 1);
    let item = s.due_outbox(i64::MAX, 10).await.unwrap().remove(0);
    s.record_submission(item.id, &item.idempotency_key, "P-77")
        .await
        .unwrap();
    // The same answer again (a retried call) reports nothing new.
    s.record_submission(item.id, &item.idempotency_key, "P-77")
        .await
        .unwrap();
    let submitted = s
        .events(0, 100, &[EventType::OrderSubmitted])
        .await
        .unwrap();
    assert_eq!(submitted.len(), 1);
    let data = &submitted[0].data;
    assert_eq!(data["location"], "east");
    assert_eq!(data["partner_order_id"], "P-77");
    assert_eq!(data["submission_key"], item.idempotency_key.as_str());
    let lines = data["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 1, "only the line the partner holds: {data}");
    assert_eq!(lines[0]["sku"], "B");
    assert_eq!(lines[0]["quantity"], 2);
    let routed = s.events(0, 100, &[EventType::OrderRouted]).await.unwrap();
    assert!(routed[0].id < submitted[0].id);
}

store_tests!(
    a_partner_taking_an_order_is_reported_once,
    an_order_life_writes_its_events_in_order,
    held_released_and_cancelled_orders_are_reported,
    a_refused_change_writes_no_event,
    a_reader_following_concurrent_writers_misses_nothing,
    webhook_cursors_move_and_dead_letters_are_replayed,
);
