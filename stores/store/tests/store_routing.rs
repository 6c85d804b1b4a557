//! Routing in the SQLite store: the stock snapshot, plans with lines at several locations,
//! the hold queue and releases, each on a real database file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use chrono::DateTime;
use rust_decimal::Decimal;
use switchyard_core::config::{
    Action, Conditions, Fallback, LocationConfig, LocationKind, RoutingConfig, Rule, SplitMode,
};
use switchyard_core::model::*;
use switchyard_core::ports::{Listing, RawOrder};
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

async fn reservations(s: &TestStore, order: &str) -> Vec<(String, Option<String>, i64)> {
    s.order(order).await.unwrap().unwrap().reservations
}

async fn the_snapshot_counts_other_orders_where_they_are_routed_but_not_the_order_itself(
    engine: Engine,
) {
    let s = store(engine).await;
    s.set_on_hand(
        "main",
        &[("A".into(), 5), ("B".into(), 1)],
        OnHandSource::Count,
        "count",
    )
    .await
    .unwrap();
    s.set_on_hand("east", &[("A".into(), 2)], OnHandSource::Count, "count")
        .await
        .unwrap();
    deliver(&s, &order("1", "2026-01-01T10:00:00Z", &[("A", 3)])).await;
    let (first, _) = route_next(&s).await;
    deliver(&s, &order("2", "2026-01-01T11:00:00Z", &[("A", 1)])).await;
    let skus = ["A".to_string(), "B".to_string()];
    let snap = s.stock_by_location(&skus, None).await.unwrap();
    // Order 1's 3 units sit at main; order 2 is not routed, so it holds no location yet.
    assert_eq!(snap.available("main", "A"), 2);
    assert_eq!(snap.available("east", "A"), 2);
    assert_eq!(snap.available("main", "B"), 1);
    assert!(!snap.lists("east", "B"));
    let own = s.stock_by_location(&skus, Some(first)).await.unwrap();
    assert_eq!(
        own.available("main", "A"),
        5,
        "an order does not compete with itself"
    );
    assert!(
        s.stock_by_location(&[], None)
            .await
            .unwrap()
            .iter()
            .next()
            .is_none()
    );
}

async fn a_split_plan_reserves_picks_and_ships_each_sku_at_its_location(engine: Engine) {
    let s = store(engine).await;
    s.set_on_hand("main", &[("A".into(), 5)], OnHandSource::Count, "count")
        .await
        .unwrap();
    s.set_on_hand("east", &[("B".into(), 5)], OnHandSource::Count, "count")
        .await
        .unwrap();
    deliver(
        &s,
        &order("7", "2026-01-01T10:00:00Z", &[("A", 2), ("B", 1)]),
    )
    .await;
    let (_, plan) = route_next(&s).await;
    assert_eq!(plan.outcome(), "east: B×1 | main: A×2");
    assert_eq!(
        reservations(&s, "shop:7").await,
        vec![
            ("A".to_string(), Some("main".to_string()), 2),
            ("B".to_string(), Some("east".to_string()), 1)
        ]
    );
    let picks = s.picks(None).await.unwrap();
    let at: Vec<(&str, &str)> = picks
        .iter()
        .map(|p| (p.sku.as_deref().unwrap(), p.location_id.as_str()))
        .collect();
    assert_eq!(at, [("A", "main"), ("B", "east")]);
    assert_eq!(s.picks(Some("east")).await.unwrap().len(), 1);

    // The explanation is stored and read back as a plan.
    let detail = s.order("shop:7").await.unwrap().unwrap();
    let decision = detail.decision.unwrap();
    assert_eq!(decision.plan.as_ref(), Some(&plan));
    assert_eq!(decision.rule, "stocked");
    assert_eq!(decision.location_id.as_deref(), Some("main"));

    // A newer version of the order keeps each SKU where it was routed.
    deliver(
        &s,
        &order("7", "2026-01-02T10:00:00Z", &[("A", 3), ("B", 1)]),
    )
    .await;
    assert_eq!(
        reservations(&s, "shop:7").await,
        vec![
            ("A".to_string(), Some("main".to_string()), 3),
            ("B".to_string(), Some("east".to_string()), 1)
        ]
    );

    let now = DateTime::parse_from_rfc3339("2026-01-03T10:00:00Z").unwrap();
    s.ship("shop:7", "UPS", "T7", &["main".into(), "east".into()], now)
        .await
        .unwrap();
    let stock = s.stock(None).await.unwrap();
    let on_hand: Vec<(&str, &str, i64)> = stock
        .iter()
        .map(|r| (r.sku.as_str(), r.location_id.as_str(), r.on_hand))
        .collect();
    assert_eq!(on_hand, [("A", "main", 2), ("B", "east", 4)]);
}

async fn a_reservation_that_moves_marks_its_listing_dirty(engine: Engine) {
    let s = store(engine).await;
    s.set_on_hand("main", &[("A".into(), 5)], OnHandSource::Count, "count")
        .await
        .unwrap();
    s.upsert_listings(
        "shop",
        &[Listing {
            sku: "A".into(),
            reference: serde_json::json!({}),
            channel_quantity: None,
        }],
        "discovered",
    )
    .await
    .unwrap();
    deliver(&s, &order("3", "2026-01-01T10:00:00Z", &[("A", 2)])).await;
    // A channel selling only from east sees the unrouted reservation against its stock...
    let before = s
        .due_dirty("shop", &["east".into()], i64::MAX, 10)
        .await
        .unwrap();
    let seq = before[0].seq;
    assert_eq!(before[0].parts[0].reserved, 2);
    route_next(&s).await;
    // ...and once it sits at main, no longer; the listing is dirty again to say so.
    let after = s
        .due_dirty("shop", &["east".into()], i64::MAX, 10)
        .await
        .unwrap();
    assert_eq!(after[0].parts[0].reserved, 0);
    assert!(after[0].seq > seq);
}

async fn held_orders_are_listed_with_their_reason_and_released_once(engine: Engine) {
    let s = store(engine).await;
    // HOLD-1 is counted (at 0), so it is a known SKU the review rule holds.
    s.set_on_hand(
        "main",
        &[("A".into(), 5), ("HOLD-1".into(), 0)],
        OnHandSource::Count,
        "count",
    )
    .await
    .unwrap();
    deliver(
        &s,
        &order("9", "2026-01-01T10:00:00Z", &[("A", 1), ("HOLD-1", 1)]),
    )
    .await;
    let (id, plan) = route_next(&s).await;
    assert!(plan.is_held());
    let held = s.held_orders(10).await.unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].order_id, id);
    assert!(held[0].reason.contains("review"), "{}", held[0].reason);
    assert!(
        s.picks(None).await.unwrap().is_empty(),
        "held orders are not picked"
    );
    assert_eq!(
        reservations(&s, "shop:9").await,
        vec![
            ("A".to_string(), Some("main".to_string()), 1),
            ("HOLD-1".to_string(), None, 1)
        ]
    );

    let now = DateTime::parse_from_rfc3339("2026-01-02T09:00:00+02:00").unwrap();
    let receipt = s
        .release_order("shop:9", "east", "operator ada", now)
        .await
        .unwrap();
    assert_eq!(receipt.lines, ["HOLD-1"]);
    assert!(s.held_orders(10).await.unwrap().is_empty());
    assert_eq!(
        reservations(&s, "shop:9").await,
        vec![
            ("A".to_string(), Some("main".to_string()), 1),
            ("HOLD-1".to_string(), Some("east".to_string()), 1)
        ]
    );
    let detail = s.order("9").await.unwrap().unwrap();
    assert_eq!(detail.summary.fulfil_state, "routed");
    let plan = detail.decision.unwrap().plan.unwrap();
    let release = plan.explanation.release.clone().unwrap();
    assert_eq!(release.by, "operator ada");
    assert_eq!(release.at, "2026-01-02T09:00:00+02:00");
    assert!(plan.describe().contains("Released by operator ada"));
    assert_eq!(s.picks(Some("east")).await.unwrap().len(), 1);

    // Released once: a second release, or one of an order never held, is refused.
    for r in ["shop:9", "nope"] {
        assert!(s.release_order(r, "east", "operator", now).await.is_err());
    }
}

async fn decided_orders_come_newest_first_with_their_decisions(engine: Engine) {
    let s = store(engine).await;
    s.set_on_hand("main", &[("A".into(), 5)], OnHandSource::Count, "count")
        .await
        .unwrap();
    for (id, t) in [("1", "2026-01-01T10:00:00Z"), ("2", "2026-01-01T11:00:00Z")] {
        deliver(&s, &order(id, t, &[("A", 1)])).await;
        route_next(&s).await;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let decided = s.decided_orders(10).await.unwrap();
    let ids: Vec<&str> = decided
        .iter()
        .map(|d| d.order.external_id.as_str())
        .collect();
    assert_eq!(ids, ["2", "1"]);
    assert!(decided.iter().all(|d| d.decision.plan.is_some()));
    assert_eq!(s.decided_orders(1).await.unwrap().len(), 1);
}

/// A partner ships its part of a split order; the channel then sends a newer version of the
/// order (as it does after a tracking write-back). The shipped part stays shipped: only the
/// open part is reserved, where it was.
async fn a_new_version_of_a_partly_shipped_order_does_not_reserve_the_shipped_part_again(
    engine: Engine,
) {
    use switchyard_core::fulfillment::{EventKind, LineQuantity, TargetEvent};
    let s = store(engine).await;
    s.set_on_hand("main", &[("A".into(), 5)], OnHandSource::Count, "count")
        .await
        .unwrap();
    s.set_on_hand("east", &[("B".into(), 5)], OnHandSource::Count, "count")
        .await
        .unwrap();
    deliver(
        &s,
        &order("8", "2026-01-01T10:00:00Z", &[("A", 2), ("B", 1)]),
    )
    .await;
    route_next(&s).await;
    assert_eq!(s.queue_fulfillment(&["east".into()]).await.unwrap(), 1);
    let shipped = TargetEvent {
        dedup_id: "east:shipped:T8".into(),
        order_reference: Some("ff:east:shop:8".into()),
        partner_order_id: None,
        occurred_at: None,
        kind: EventKind::Shipped {
            lines: vec![LineQuantity {
                sku: "B".into(),
                quantity: 1,
            }],
            carrier: "UPS".into(),
            tracking_number: "T8".into(),
            tracking_url: None,
            shipped_at: DateTime::parse_from_rfc3339("2026-01-01T12:00:00Z").unwrap(),
        },
    };
    s.insert_target_events("east", &[shipped], None)
        .await
        .unwrap();
    for item in s.pending_target_events(10).await.unwrap() {
        s.apply_target_event(&item).await.unwrap();
    }
    let open = vec![("A".to_string(), Some("main".to_string()), 2)];
    assert_eq!(reservations(&s, "shop:8").await, open);

    deliver(
        &s,
        &order("8", "2026-01-01T13:00:00Z", &[("A", 2), ("B", 1)]),
    )
    .await;
    assert_eq!(reservations(&s, "shop:8").await, open);
    let b = s.stock(Some("B")).await.unwrap();
    assert_eq!((b[0].on_hand, b[0].reserved), (4, 0));
}

store_tests!(
    the_snapshot_counts_other_orders_where_they_are_routed_but_not_the_order_itself,
    a_split_plan_reserves_picks_and_ships_each_sku_at_its_location,
    a_reservation_that_moves_marks_its_listing_dirty,
    held_orders_are_listed_with_their_reason_and_released_once,
    decided_orders_come_newest_first_with_their_decisions,
    a_new_version_of_a_partly_shipped_order_does_not_reserve_the_shipped_part_again,
);
