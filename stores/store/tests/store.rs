//! The SQLite store's transactional rules, each step checked on a real database file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use chrono::DateTime;
use rust_decimal::Decimal;
use switchyard_core::config::{LocationConfig, LocationKind, RoutingConfig, UnknownSku};
use switchyard_core::model::*;
use switchyard_core::ports::{Listing, NormalizeError, PollCursor, RawOrder};
use switchyard_core::routing::{RoutePlan, Router, StockSnapshot};
use switchyard_core::store::*;
use switchyard_store::testing::TestStore;
use switchyard_store::{Engine, store_tests};

async fn store(engine: Engine) -> TestStore {
    TestStore::new(engine).await
}

fn order(id: &str, updated: &str, status: OrderStatus, lines: &[(&str, u32)]) -> Order {
    let t = DateTime::parse_from_rfc3339(updated).unwrap();
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

fn raw(key: &str) -> RawOrder {
    RawOrder {
        format: "rest".into(),
        external_id: Some(key.split('@').next().unwrap().into()),
        dedup_key: key.into(),
        topic: "orders/create".into(),
        body: b"{}".to_vec(),
    }
}

/// Stores and applies one delivery, returning what applying it did.
async fn deliver(s: &TestStore, o: &Order) -> Applied {
    let key = format!("{}@{}", o.external_id, o.updated_at.to_rfc3339());
    s.insert_inbox("shop", Source::Webhook, &[raw(&key)], None)
        .await
        .unwrap();
    let items = s.pending_inbox(10).await.unwrap();
    let item = items
        .iter()
        .find(|i| i.raw.dedup_key == key)
        .expect("pending");
    s.apply_inbox(item, Ok(o)).await.unwrap()
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

/// The plan without rules: every line to the own warehouse `main`.
fn at_main() -> Vec<String> {
    vec!["main".to_string()]
}

fn to_main(o: &RoutableOrder) -> RoutePlan {
    let locations = [location("main", LocationKind::SelfWarehouse)];
    // These tests ship SKUs they never counted in; the unknown-SKU hold is tested in
    // core::routing and tests/lifecycle.rs.
    let routing = RoutingConfig {
        unknown_sku: UnknownSku::Route,
        ..RoutingConfig::default()
    };
    Router::new(&routing, &locations)
        .unwrap()
        .plan(&o.order, &o.channel_id, &StockSnapshot::new())
}

async fn reserved(s: &TestStore, sku: &str) -> i64 {
    s.stock(Some(sku))
        .await
        .unwrap()
        .first()
        .map_or(0, |r| r.reserved)
}

async fn inbox_dedups_and_commits_the_cursor_with_the_page(engine: Engine) {
    let s = store(engine).await;
    let cursor = PollCursor {
        page: Some("p2".into()),
        ..PollCursor::default()
    };
    let first = s
        .insert_inbox(
            "shop",
            Source::Poll,
            &[raw("1@a"), raw("2@a")],
            Some(&cursor),
        )
        .await
        .unwrap();
    assert_eq!((first.inserted, first.duplicates), (2, 0));
    let again = s
        .insert_inbox("shop", Source::Webhook, &[raw("1@a")], None)
        .await
        .unwrap();
    assert_eq!((again.inserted, again.duplicates), (0, 1));
    // The same key on another channel is another delivery.
    let other = s
        .insert_inbox("woo", Source::Webhook, &[raw("1@a")], None)
        .await
        .unwrap();
    assert_eq!(other.inserted, 1);
    assert_eq!(s.poll_cursor("shop").await.unwrap(), Some(cursor));
    assert_eq!(s.pending_inbox(10).await.unwrap().len(), 3);
}

async fn orders_move_forward_only_and_reservations_follow_them(engine: Engine) {
    let s = store(engine).await;
    s.set_on_hand("main", &[("A".into(), 10)], OnHandSource::Count, "count")
        .await
        .unwrap();
    let v1 = order("1", "2026-01-01T10:00:00Z", OrderStatus::Open, &[("A", 2)]);
    assert!(matches!(
        deliver(&s, &v1).await,
        Applied::Changed { new: true, .. }
    ));
    assert_eq!(reserved(&s, "A").await, 2);

    let v2 = order("1", "2026-01-01T11:00:00Z", OrderStatus::Open, &[("A", 3)]);
    assert!(matches!(
        deliver(&s, &v2).await,
        Applied::Changed { new: false, .. }
    ));
    assert_eq!(reserved(&s, "A").await, 3);

    // The first version arriving again (a late poll) changes nothing.
    let late = order("1", "2026-01-01T10:00:00Z", OrderStatus::Open, &[("A", 2)]);
    let key = "1@late-copy";
    s.insert_inbox("shop", Source::Poll, &[raw(key)], None)
        .await
        .unwrap();
    let item = s
        .pending_inbox(10)
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.raw.dedup_key == key)
        .unwrap();
    assert!(matches!(
        s.apply_inbox(&item, Ok(&late)).await.unwrap(),
        Applied::Stale { .. }
    ));
    assert_eq!(reserved(&s, "A").await, 3);

    let cancelled = order(
        "1",
        "2026-01-01T12:00:00Z",
        OrderStatus::Cancelled,
        &[("A", 3)],
    );
    deliver(&s, &cancelled).await;
    assert_eq!(reserved(&s, "A").await, 0);
    let o = s.order("shop:1").await.unwrap().unwrap();
    assert_eq!(o.summary.status, "cancelled");
    assert_eq!(o.summary.versions, 3);
}

async fn unreadable_payloads_are_quarantined_with_the_reason(engine: Engine) {
    let s = store(engine).await;
    s.insert_inbox("shop", Source::Webhook, &[raw("9@x")], None)
        .await
        .unwrap();
    let item = s.pending_inbox(10).await.unwrap().remove(0);
    let err = NormalizeError::new("line_items[0].quantity", "missing");
    assert_eq!(
        s.apply_inbox(&item, Err(&err)).await.unwrap(),
        Applied::Quarantined
    );
    let q = s.quarantined(10).await.unwrap();
    assert_eq!(q.len(), 1);
    assert!(q[0].reason.contains("line_items[0].quantity"));
    assert!(s.pending_inbox(10).await.unwrap().is_empty());
}

async fn routing_then_shipping_consumes_stock_and_queues_one_write_back(engine: Engine) {
    let s = store(engine).await;
    s.set_on_hand("main", &[("A".into(), 10)], OnHandSource::Count, "count")
        .await
        .unwrap();
    s.upsert_listings(
        "shop",
        &[Listing {
            sku: "A".into(),
            reference: serde_json::json!({"id": 1}),
            channel_quantity: Some(10),
        }],
        "discovered",
    )
    .await
    .unwrap();
    deliver(
        &s,
        &order("7", "2026-01-01T10:00:00Z", OrderStatus::Open, &[("A", 4)]),
    )
    .await;
    let now = DateTime::parse_from_rfc3339("2026-01-02T10:00:00+02:00").unwrap();
    // Not routed yet: cannot ship.
    assert!(matches!(
        s.ship("shop:7", "UPS", "T1", &at_main(), now).await,
        Err(StoreError::Conflict(_))
    ));
    let to_route = s.orders_to_route(10).await.unwrap();
    assert_eq!(to_route.len(), 1);
    s.record_route(to_route[0].order_id, &to_main(&to_route[0]))
        .await
        .unwrap();
    assert_eq!(s.picks(None).await.unwrap().len(), 1);

    let receipt = s
        .ship("shop:7", "UPS", "T1", &at_main(), now)
        .await
        .unwrap();
    assert_eq!(receipt.idempotency_key, "ship:shop:7:T1");
    // Shipping the same parcel again is a no-op; another parcel is refused.
    s.ship("shop:7", "UPS", "T1", &at_main(), now)
        .await
        .unwrap();
    assert!(
        s.ship("shop:7", "UPS", "T2", &at_main(), now)
            .await
            .is_err()
    );
    let stock = s.stock(Some("A")).await.unwrap();
    assert_eq!((stock[0].on_hand, stock[0].reserved), (6, 0));
    let due = s.due_outbox(i64::MAX, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].idempotency_key, "ship:shop:7:T1");
    assert!(s.picks(None).await.unwrap().is_empty());

    // A later channel update (the channel now says fulfilled) does not reserve again.
    deliver(
        &s,
        &order(
            "7",
            "2026-01-03T10:00:00Z",
            OrderStatus::Fulfilled,
            &[("A", 4)],
        ),
    )
    .await;
    assert_eq!(s.stock(Some("A")).await.unwrap()[0].reserved, 0);
}

async fn a_push_clears_only_the_change_it_was_computed_from(engine: Engine) {
    let s = store(engine).await;
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
    s.set_on_hand("main", &[("A".into(), 5)], OnHandSource::Count, "count")
        .await
        .unwrap();
    let due = s
        .due_dirty("shop", &["main".into()], i64::MAX, 10)
        .await
        .unwrap();
    assert_eq!(
        (due.len(), due[0].parts[0].on_hand, due[0].parts[0].reserved),
        (1, 5, 0)
    );
    // A change lands while the push is in flight.
    s.set_on_hand("main", &[("A".into(), 4)], OnHandSource::Count, "count")
        .await
        .unwrap();
    let applied = PushOutcome {
        sku: "A".into(),
        seq: due[0].seq,
        kind: PushOutcomeKind::Applied {
            quantity: 5,
            on_hand: 5,
            reserved: 0,
            buffer: 0,
        },
    };
    s.record_push("shop", &[applied]).await.unwrap();
    let again = s
        .due_dirty("shop", &["main".into()], i64::MAX, 10)
        .await
        .unwrap();
    assert_eq!(again.len(), 1, "the newer change must still be pushed");
    assert_eq!(
        (again[0].parts[0].on_hand, again[0].channel_quantity),
        (4, Some(5))
    );
    let done = PushOutcome {
        sku: "A".into(),
        seq: again[0].seq,
        kind: PushOutcomeKind::Unchanged,
    };
    s.record_push("shop", &[done]).await.unwrap();
    assert!(
        s.due_dirty("shop", &["main".into()], i64::MAX, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn failures_back_off_then_dead_letter_and_replay_with_the_same_key(engine: Engine) {
    let s = store(engine).await;
    s.set_on_hand("main", &[("A".into(), 1)], OnHandSource::Count, "count")
        .await
        .unwrap();
    deliver(
        &s,
        &order("8", "2026-01-01T10:00:00Z", OrderStatus::Open, &[("A", 1)]),
    )
    .await;
    let r = s.orders_to_route(1).await.unwrap();
    s.record_route(r[0].order_id, &to_main(&r[0]))
        .await
        .unwrap();
    let now = DateTime::parse_from_rfc3339("2026-01-02T10:00:00Z").unwrap();
    s.ship("8", "UPS", "T8", &at_main(), now).await.unwrap();
    let item = s.due_outbox(i64::MAX, 10).await.unwrap().remove(0);
    s.fail_outbox(item.id, "HTTP 503", Some(i64::MAX - 1))
        .await
        .unwrap();
    assert!(
        s.due_outbox(now_ms(), 10).await.unwrap().is_empty(),
        "backed off"
    );
    s.fail_outbox(item.id, "HTTP 500", None).await.unwrap();
    assert!(s.due_outbox(i64::MAX, 10).await.unwrap().is_empty());
    let dead = s.dead_letters(10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(
        (dead[0].attempts, dead[0].last_error.as_str()),
        (2, "HTTP 500")
    );
    s.replay_dead_letter(dead[0].id).await.unwrap();
    assert!(
        s.replay_dead_letter(dead[0].id).await.is_err(),
        "replayed once only"
    );
    let back = s.due_outbox(i64::MAX, 10).await.unwrap();
    assert_eq!(back[0].idempotency_key, "ship:shop:8:T8");
    assert_eq!(s.counts().await.unwrap().dead_letters, 0);
}

async fn a_thin_webhook_waits_for_its_fetch_then_becomes_a_delivery(engine: Engine) {
    let s = store(engine).await;
    let thin = RawOrder {
        format: switchyard_core::ports::THIN_FORMAT.into(),
        external_id: Some("55".into()),
        dedup_key: "hash-abc".into(),
        topic: "store/order/created".into(),
        body: br#"{"data":{"id":55}}"#.to_vec(),
    };
    s.insert_inbox("bc", Source::Webhook, std::slice::from_ref(&thin), None)
        .await
        .unwrap();
    // The same firing again is a duplicate.
    let again = s
        .insert_inbox("bc", Source::Webhook, &[thin], None)
        .await
        .unwrap();
    assert_eq!(again.duplicates, 1);
    assert!(
        s.pending_inbox(10).await.unwrap().is_empty(),
        "not normalizable yet"
    );
    let pending = s.pending_thin("bc", 10).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert!(
        s.pending_thin("other", 10).await.unwrap().is_empty(),
        "only the channel's own"
    );
    s.note_thin_error(&pending[0], "HTTP 503").await.unwrap();
    assert_eq!(
        s.pending_thin("bc", 10).await.unwrap().len(),
        1,
        "still waiting after a failure"
    );

    let full = raw("55@2026-01-01T00:00:00Z");
    s.resolve_thin(&pending[0], Some(&full)).await.unwrap();
    assert!(s.pending_thin("bc", 10).await.unwrap().is_empty());
    let ready = s.pending_inbox(10).await.unwrap();
    assert_eq!(ready.len(), 1);
    assert_eq!(ready[0].raw.dedup_key, "55@2026-01-01T00:00:00Z");
}

async fn a_push_in_flight_forgets_the_channel_level_until_it_is_recorded(engine: Engine) {
    let s = store(engine).await;
    s.upsert_listings(
        "shop",
        &[Listing {
            sku: "A".into(),
            reference: serde_json::json!({}),
            channel_quantity: Some(7),
        }],
        "discovered",
    )
    .await
    .unwrap();
    s.set_on_hand("main", &[("A".into(), 5)], OnHandSource::Count, "count")
        .await
        .unwrap();
    let due = s
        .due_dirty("shop", &["main".into()], i64::MAX, 10)
        .await
        .unwrap();
    assert_eq!(due[0].channel_quantity, Some(7));
    s.begin_push("shop", &["A".into()]).await.unwrap();
    // A crash here leaves the belief unknown, so the next pass pushes whatever it computes.
    let after_crash = s
        .due_dirty("shop", &["main".into()], i64::MAX, 10)
        .await
        .unwrap();
    assert_eq!(after_crash[0].channel_quantity, None);
    let applied = PushOutcome {
        sku: "A".into(),
        seq: after_crash[0].seq,
        kind: PushOutcomeKind::Applied {
            quantity: 5,
            on_hand: 5,
            reserved: 0,
            buffer: 0,
        },
    };
    s.record_push("shop", &[applied]).await.unwrap();
    assert_eq!(
        s.listings(Some("shop")).await.unwrap()[0].channel_quantity,
        Some(5)
    );
}

async fn the_confirmed_level_outlives_a_push_in_doubt_and_follows_the_channel(engine: Engine) {
    let s = store(engine).await;
    s.upsert_listings(
        "shop",
        &[Listing {
            sku: "A".into(),
            reference: serde_json::json!({}),
            channel_quantity: Some(7),
        }],
        "discovered",
    )
    .await
    .unwrap();
    s.set_on_hand("main", &[("A".into(), 5)], OnHandSource::Count, "count")
        .await
        .unwrap();
    async fn due(s: &TestStore) -> DirtyListing {
        s.due_dirty("shop", &["main".into()], i64::MAX, 10)
            .await
            .unwrap()
            .remove(0)
    }
    // Discovery read 7 from the channel: confirmed.
    assert_eq!(due(&s).await.confirmed_quantity, Some(7));
    // A push of 5 fails in an outage: what the channel holds is in doubt, what it confirmed
    // is still 7, so the 5 is still known to be a cut.
    s.begin_push("shop", &["A".into()]).await.unwrap();
    let in_doubt = due(&s).await;
    s.record_push(
        "shop",
        &[PushOutcome {
            sku: "A".into(),
            seq: in_doubt.seq,
            kind: PushOutcomeKind::Failed {
                error: "connection refused".into(),
                retry_at: Some(0),
                quantity: 5,
            },
        }],
    )
    .await
    .unwrap();
    let after = due(&s).await;
    assert_eq!(
        (after.channel_quantity, after.confirmed_quantity),
        (None, Some(7))
    );
    // A compare-and-set answer names the channel's level: confirmed.
    s.record_push(
        "shop",
        &[PushOutcome {
            sku: "A".into(),
            seq: after.seq,
            kind: PushOutcomeKind::Stale {
                channel_quantity: Some(6),
            },
        }],
    )
    .await
    .unwrap();
    let stale = due(&s).await;
    assert_eq!(
        (stale.channel_quantity, stale.confirmed_quantity),
        (Some(6), Some(6))
    );
    // An applied push is confirmed; the row is settled.
    s.begin_push("shop", &["A".into()]).await.unwrap();
    s.record_push(
        "shop",
        &[PushOutcome {
            sku: "A".into(),
            seq: stale.seq,
            kind: PushOutcomeKind::Applied {
                quantity: 5,
                on_hand: 5,
                reserved: 0,
                buffer: 0,
            },
        }],
    )
    .await
    .unwrap();
    let page = s
        .listing_parts("shop", &["main".into()], None, 10)
        .await
        .unwrap();
    assert_eq!(
        (page[0].channel_quantity, page[0].confirmed_quantity),
        (Some(5), Some(5))
    );
}

async fn discovery_only_looks_for_skus_without_a_listing_on_that_channel(engine: Engine) {
    let s = store(engine).await;
    s.set_on_hand(
        "main",
        &[("A".into(), 1), ("B".into(), 2)],
        OnHandSource::Count,
        "t",
    )
    .await
    .unwrap();
    deliver(
        &s,
        &order("9", "2026-01-01T00:00:00Z", OrderStatus::Open, &[("C", 1)]),
    )
    .await;
    let listing = |sku: &str| Listing {
        sku: sku.into(),
        reference: serde_json::json!({"id": sku}),
        channel_quantity: None,
    };
    s.upsert_listings("shop", &[listing("A")], "discovered")
        .await
        .unwrap();
    s.upsert_listings("woo", &[listing("B"), listing("C")], "discovered")
        .await
        .unwrap();
    assert_eq!(s.unlisted_skus("shop").await.unwrap(), vec!["B", "C"]);
    assert_eq!(s.unlisted_skus("woo").await.unwrap(), vec!["A"]);
    assert_eq!(s.unlisted_skus("new").await.unwrap(), vec!["A", "B", "C"]);
}

async fn listings_are_read_in_pages_by_sku_each_once(engine: Engine) {
    let s = store(engine).await;
    let skus: Vec<String> = (0..25).map(|i| format!("S-{i:03}")).collect();
    let listings: Vec<Listing> = skus
        .iter()
        .map(|sku| Listing {
            sku: sku.clone(),
            reference: serde_json::json!({"id": sku}),
            channel_quantity: Some(1),
        })
        .collect();
    s.upsert_listings("shop", &listings, "discovered")
        .await
        .unwrap();
    // Another channel's listings never show up in this one's pages.
    s.upsert_listings("other", &listings[..3], "discovered")
        .await
        .unwrap();
    let levels: Vec<(String, i64)> = skus.iter().map(|s| (s.clone(), 7)).collect();
    s.set_on_hand("main", &levels, OnHandSource::Count, "count")
        .await
        .unwrap();
    let locations = vec!["main".to_string()];
    let mut seen = Vec::new();
    let mut pages = 0;
    let mut after: Option<String> = None;
    loop {
        let page = s
            .listing_parts("shop", &locations, after.as_deref(), 10)
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        pages += 1;
        assert!(page.iter().all(|l| l.parts[0].on_hand == 7));
        after = page.last().map(|l| l.sku.clone());
        seen.extend(page.into_iter().map(|l| l.sku));
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, skus);
}

/// Connector state outlives the process: a value and a counter read back after reopening.
async fn connector_state_and_counters_survive_a_reopen(engine: Engine) {
    let t = store(engine).await;
    {
        let s = t.reopen().await;
        s.put("etsy", "etsy.refresh_token", "rt-1").await.unwrap();
        s.put("etsy", "etsy.refresh_token", "rt-2").await.unwrap();
        assert_eq!(
            s.next_number("acme", "x12_control", 500, 0).await.unwrap(),
            500
        );
        assert_eq!(
            s.next_number("acme", "x12_control", 500, 0).await.unwrap(),
            501
        );
    }
    let s = t.reopen().await;
    assert_eq!(
        s.get("etsy", "etsy.refresh_token")
            .await
            .unwrap()
            .as_deref(),
        Some("rt-2")
    );
    assert_eq!(s.get("etsy", "missing").await.unwrap(), None);
    assert_eq!(
        s.next_number("acme", "x12_control", 500, 0).await.unwrap(),
        502
    );
    assert_eq!(
        s.next_number("acme", "x12_control", 500, 900)
            .await
            .unwrap(),
        900
    );
    assert_eq!(s.next_number("bolt", "x12_control", 7, 0).await.unwrap(), 7);
}

/// The auditor's ledger checks run in the database and bring back only the places that
/// disagree, whatever the size of the catalog (issue 15): a clean catalog returns nothing,
/// and every kind of tampering is named with both sides' numbers.
async fn the_audit_compares_the_ledger_in_sql_and_returns_only_mismatches(engine: Engine) {
    use switchyard_core::stock::{Violation, audit};
    let s = store(engine).await;
    let levels: Vec<(String, i64)> = (0..500).map(|i| (format!("SKU-{i:03}"), 5)).collect();
    s.set_on_hand("wh", &levels, OnHandSource::Count, "count-1")
        .await
        .unwrap();
    let clean = s.audit_snapshot().await.unwrap();
    assert_eq!(clean.ledger_mismatches, vec![]);
    assert!(clean.reserved.is_empty() && clean.open_demand.is_empty());
    assert_eq!(audit(&clean), vec![]);

    s.tamper("UPDATE on_hand SET quantity = 7 WHERE sku = 'SKU-007'")
        .await;
    s.tamper(
        "INSERT INTO on_hand (sku, location_id, quantity, updated_at) VALUES ('GHOST', 'wh', 4, 0)",
    )
    .await;
    s.tamper("DELETE FROM on_hand WHERE sku = 'SKU-042'").await;
    s.tamper(
        "INSERT INTO stock_ledger (sku, quantity, from_account, to_account, cause, reference, at)
         VALUES ('SKU-001', 2, 'external:demand', 'reserved:unrouted', 'reservation', 'tamper', 0)",
    )
    .await;
    let snap = s.audit_snapshot().await.unwrap();
    let on_hand = |sku: &str, on_hand: i64, ledger: i64| Violation::OnHandNotLedger {
        sku: sku.into(),
        location: "wh".into(),
        on_hand,
        ledger,
    };
    assert_eq!(
        snap.ledger_mismatches,
        vec![
            on_hand("GHOST", 4, 0),
            on_hand("SKU-007", 7, 5),
            on_hand("SKU-042", 0, 5),
            Violation::ReservedNotLedger {
                sku: "SKU-001".into(),
                location: None,
                reserved: 0,
                ledger: 2,
            },
        ]
    );
    let checks: Vec<&str> = audit(&snap).iter().map(Violation::check).collect();
    assert_eq!(
        checks,
        [
            "on_hand_not_ledger",
            "on_hand_not_ledger",
            "on_hand_not_ledger",
            "reserved_not_ledger"
        ]
    );
}

store_tests!(
    the_audit_compares_the_ledger_in_sql_and_returns_only_mismatches,
    inbox_dedups_and_commits_the_cursor_with_the_page,
    orders_move_forward_only_and_reservations_follow_them,
    unreadable_payloads_are_quarantined_with_the_reason,
    routing_then_shipping_consumes_stock_and_queues_one_write_back,
    a_push_clears_only_the_change_it_was_computed_from,
    failures_back_off_then_dead_letter_and_replay_with_the_same_key,
    a_thin_webhook_waits_for_its_fetch_then_becomes_a_delivery,
    a_push_in_flight_forgets_the_channel_level_until_it_is_recorded,
    the_confirmed_level_outlives_a_push_in_doubt_and_follows_the_channel,
    discovery_only_looks_for_skus_without_a_listing_on_that_channel,
    listings_are_read_in_pages_by_sku_each_once,
    connector_state_and_counters_survive_a_reopen,
);
