//! The KPI queries and the dashboard's activity figures, on orders taken through the store's
//! own steps (arrive, route, ship, write back, push; hand to a partner, its answers).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use rust_decimal::Decimal;
use switchyard_core::config::{
    Action, Conditions, LocationConfig, LocationKind, RoutingConfig, Rule, SplitMode, UnknownSku,
};
use switchyard_core::fulfillment::LineQuantity;
use switchyard_core::fulfillment::{EventKind, TargetEvent};
use switchyard_core::model::*;
use switchyard_core::ports::{Listing, RawOrder};
use switchyard_core::routing::Router;
use switchyard_core::store::*;
use switchyard_store::testing::TestStore;
use switchyard_store::{Engine, store_tests};

const HOUR: i64 = 3_600_000;

fn at(ms: i64) -> DateTime<FixedOffset> {
    Utc.timestamp_millis_opt(ms).unwrap().fixed_offset()
}

fn order(id: &str, version: i64, status: OrderStatus, ship_by: Option<i64>) -> Order {
    let t = at(1_767_000_000_000 + version);
    Order {
        channel_kind: ChannelKind::Shopify,
        external_id: id.into(),
        number: format!("#{id}"),
        placed_at: t,
        updated_at: t,
        status,
        payment_status: PaymentStatus::Paid,
        currency: "USD".into(),
        total: Decimal::TEN,
        lines: vec![OrderLine {
            line_id: format!("{id}-0"),
            sku: Some("A".into()),
            quantity: 1,
            unit_price: Decimal::ONE,
            title: "A".into(),
            channel_sku: None,
        }],
        ship_to: None,
        customer_email: None,
        fulfilled_by_channel: false,
        tags: Vec::new(),
        customer_tags: Vec::new(),
        ship_by: ship_by.map(at),
        deliver_by: None,
        risk_level: None,
    }
}

async fn deliver(s: &TestStore, channel: &str, o: &Order) {
    let key = format!("{}@{}", o.external_id, o.updated_at.timestamp_millis());
    let raw = RawOrder {
        format: "rest".into(),
        external_id: Some(o.external_id.clone()),
        dedup_key: key.clone(),
        topic: "orders/create".into(),
        body: b"{}".to_vec(),
    };
    s.insert_inbox(channel, Source::Webhook, &[raw], None)
        .await
        .unwrap();
    let item = s
        .pending_inbox(10)
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.raw.dedup_key == key)
        .unwrap();
    s.apply_inbox(&item, Ok(o)).await.unwrap();
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

/// Routes every waiting order to `to`.
async fn route_all(s: &TestStore, to: &str, kind: LocationKind) {
    let routing = RoutingConfig {
        rules: vec![Rule {
            name: Some(to.into()),
            when: Conditions::default(),
            action: Action::Location(to.into()),
            split: SplitMode::Allowed,
        }],
        unknown_sku: UnknownSku::Route,
        ..RoutingConfig::default()
    };
    let r = Router::new(&routing, &[location(to, kind)]).unwrap();
    for next in s.orders_to_route(100).await.unwrap() {
        let snapshot = s
            .stock_by_location(&["A".into()], Some(next.order_id))
            .await
            .unwrap();
        s.record_route(
            next.order_id,
            &r.plan(&next.order, &next.channel_id, &snapshot),
        )
        .await
        .unwrap();
    }
}

fn event(id: &str, kind: EventKind) -> TargetEvent {
    TargetEvent {
        dedup_id: format!("{id}:{}", serde_json::to_string(&kind).unwrap().len()),
        order_reference: Some(format!("ff:bob:shop:{id}")),
        partner_order_id: None,
        occurred_at: None,
        kind,
    }
}

async fn own_warehouse_kpis(engine: Engine) {
    let s = TestStore::new(engine).await;
    let start = now_ms();
    s.set_on_hand("main", &[("A".into(), 100)], OnHandSource::Count, "count")
        .await
        .unwrap();
    // Orders 1-3 must ship within two hours, 3 within half an hour; 4 has no ship-by; 5 is
    // cancelled by its channel; 6 arrives on another channel and stays open.
    for (id, ship_by) in [
        ("1", Some(start + 2 * HOUR)),
        ("2", Some(start + 2 * HOUR)),
        ("3", Some(start + HOUR / 2)),
        ("4", None),
        ("5", None),
    ] {
        deliver(&s, "shop", &order(id, 1, OrderStatus::Open, ship_by)).await;
    }
    deliver(&s, "shop", &order("5", 2, OrderStatus::Cancelled, None)).await;
    deliver(&s, "mall", &order("6", 1, OrderStatus::Open, None)).await;
    route_all(&s, "main", LocationKind::SelfWarehouse).await;
    let from = vec!["main".to_string()];
    for (id, after) in [("1", HOUR), ("2", HOUR), ("3", HOUR), ("4", 3 * HOUR)] {
        s.ship(
            &format!("shop:{id}"),
            "UPS",
            &format!("T{id}"),
            &from,
            at(start + after),
        )
        .await
        .unwrap();
    }
    // One write-back reaches the channel; three wait.
    let due = s.due_outbox(i64::MAX, 10).await.unwrap();
    assert_eq!(due.len(), 4);
    s.complete_outbox(due[0].id).await.unwrap();
    // A stock change pushed to the channel.
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
    let dirty = s
        .due_dirty("shop", &["main".into()], i64::MAX, 10)
        .await
        .unwrap();
    assert_eq!(dirty.len(), 1);
    s.record_push(
        "shop",
        &[PushOutcome {
            sku: "A".into(),
            seq: dirty[0].seq,
            kind: PushOutcomeKind::Applied {
                quantity: 95,
                on_hand: 96,
                reserved: 1,
                buffer: 0,
            },
        }],
    )
    .await
    .unwrap();

    let k = s
        .kpis()
        .kpis(start - HOUR, start + 24 * HOUR)
        .await
        .unwrap();
    let elapsed = now_ms() - start;
    // Order-to-ship: 1 h, 1 h, 1 h, 3 h (less the moments between `start` and each arrival).
    assert_eq!(k.ship_times.len(), 1, "{k:?}");
    let t = &k.ship_times[0];
    assert_eq!(
        (t.location_id.as_str(), t.channel_id.as_str()),
        ("main", "shop")
    );
    assert_eq!(t.spread.count, 4);
    assert!((HOUR - elapsed..=HOUR).contains(&t.spread.p50_ms), "{t:?}");
    assert!(
        (3 * HOUR - elapsed..=3 * HOUR).contains(&t.spread.p90_ms),
        "{t:?}"
    );
    // On time: 1 and 2 shipped before their ship-by, 3 after it; 4 had none.
    assert_eq!(
        k.on_time,
        vec![OnTime {
            channel_id: "shop".into(),
            shipped: 3,
            on_time: 2
        }]
    );
    // Cancellations per channel, of the orders received in the window.
    assert_eq!(
        k.cancellations,
        vec![
            Cancellations {
                channel_id: "mall".into(),
                orders: 1,
                cancelled: 0
            },
            Cancellations {
                channel_id: "shop".into(),
                orders: 5,
                cancelled: 1
            },
        ]
    );
    // Shipment to tracking: one done (just now), three waiting.
    assert_eq!(k.tracking.len(), 1);
    assert_eq!((k.tracking[0].spread.count, k.tracking[0].waiting), (1, 3));
    assert!(k.tracking[0].spread.p90_ms <= elapsed);
    // Push lag: the push followed the last movement of A (the fourth parcel).
    assert_eq!(k.push_lag.len(), 1);
    assert_eq!(k.push_lag[0].spread.count, 1);
    assert!(k.push_lag[0].spread.p50_ms <= elapsed, "{:?}", k.push_lag);
    assert!(k.partners.is_empty());

    // A window before everything holds nothing.
    let none = s
        .kpis()
        .kpis(start - 48 * HOUR, start - 24 * HOUR)
        .await
        .unwrap();
    assert!(none.ship_times.is_empty() && none.on_time.is_empty());
    assert!(none.cancellations.is_empty() && none.push_lag.is_empty());

    let a = s.kpis().activity().await.unwrap();
    let shop = a.channels.iter().find(|c| c.channel_id == "shop").unwrap();
    assert!(shop.last_push_at.is_some_and(|t| t >= start));
    assert!(shop.last_write_back_at.is_some_and(|t| t >= start));
    assert_eq!(shop.write_backs_waiting, 3);
    assert!(a.partners.is_empty());
}

async fn partner_kpis(engine: Engine) {
    let s = TestStore::new(engine).await;
    let start = now_ms();
    for id in ["1", "2", "3", "4"] {
        deliver(&s, "shop", &order(id, 1, OrderStatus::Open, None)).await;
    }
    route_all(&s, "bob", LocationKind::ThirdParty).await;
    s.queue_fulfillment(&["bob".into()]).await.unwrap();
    for item in s.due_outbox(i64::MAX, 100).await.unwrap() {
        s.record_submission(item.id, &item.idempotency_key, &item.idempotency_key)
            .await
            .unwrap();
    }
    // 1 accepted, 2 accepted then shipped, 3 rejected, 4 not answered yet.
    let events = vec![
        event("1", EventKind::Accepted { lines: vec![] }),
        event("2", EventKind::Accepted { lines: vec![] }),
        event(
            "2",
            EventKind::Shipped {
                lines: vec![LineQuantity {
                    sku: "A".into(),
                    quantity: 1,
                }],
                carrier: "UPS".into(),
                tracking_number: "Z2".into(),
                tracking_url: None,
                shipped_at: at(start + HOUR),
            },
        ),
        event(
            "3",
            EventKind::Rejected {
                lines: vec![],
                reason: "no stock".into(),
            },
        ),
    ];
    s.insert_target_events("bob", &events, None).await.unwrap();
    for item in s.pending_target_events(10).await.unwrap() {
        s.apply_target_event(&item).await.unwrap();
    }
    let k = s
        .kpis()
        .kpis(start - HOUR, start + 24 * HOUR)
        .await
        .unwrap();
    assert_eq!(
        k.partners,
        vec![PartnerRates {
            location_id: "bob".into(),
            submitted: 4,
            accepted: 2,
            rejected: 1,
            shipped: 1,
            cancelled: 0,
        }]
    );
    assert_eq!(k.ship_times.len(), 1);
    assert_eq!(k.ship_times[0].location_id, "bob");
    let a = s.kpis().activity().await.unwrap();
    assert_eq!(a.partners.len(), 1);
    let bob = &a.partners[0];
    assert_eq!((bob.open_submissions, bob.failed_events), (2, 0));
    assert!(bob.last_event_at.is_some_and(|t| t >= start));
}

store_tests!(own_warehouse_kpis, partner_kpis);
