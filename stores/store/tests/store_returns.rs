//! Returns as RMAs on each engine: a channel's reported return arrives once, receiving restocks
//! through the ledger (or disposes), the refund is one outbox item with its key, answers move
//! the RMA, and the order's refunds never exceed its total.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use chrono::DateTime;
use rust_decimal::Decimal;
use switchyard_core::config::{LocationConfig, LocationKind, RoutingConfig, UnknownSku};
use switchyard_core::model::*;
use switchyard_core::ports::{ChannelReturn, RawOrder, RefundOutcome};
use switchyard_core::routing::{Router, StockSnapshot};
use switchyard_core::rules::rma::{Disposition, RmaLine, RmaState};
use switchyard_core::store::*;
use switchyard_store::testing::TestStore;
use switchyard_store::{Engine, store_tests};

/// A paid Shopify order `id` of (SKU, units) lines at 12.50 each, ids `<id>-<i>`.
fn order(id: &str, lines: &[(&str, u32)]) -> Order {
    let t = DateTime::parse_from_rfc3339("2026-01-01T10:00:00Z").unwrap();
    let unit = Decimal::new(1250, 2);
    Order {
        channel_kind: ChannelKind::Shopify,
        external_id: id.into(),
        number: format!("#{id}"),
        placed_at: t,
        updated_at: t,
        status: OrderStatus::Open,
        payment_status: PaymentStatus::Paid,
        currency: "USD".into(),
        total: lines.iter().map(|(_, q)| unit * Decimal::from(*q)).sum(),
        lines: lines
            .iter()
            .enumerate()
            .map(|(i, (sku, q))| OrderLine {
                line_id: format!("{id}-{i}"),
                sku: Some(sku.to_string()),
                quantity: *q,
                unit_price: unit,
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

/// Delivers, routes to `main` and ships the order whole.
async fn shipped(s: &TestStore, o: &Order) {
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
    let item = s
        .pending_inbox(10)
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.raw.dedup_key == key)
        .unwrap();
    s.apply_inbox(&item, Ok(o)).await.unwrap();
    let locations = [LocationConfig {
        id: "main".into(),
        kind: LocationKind::SelfWarehouse,
        name: None,
        adapter: None,
        coordinates: None,
        country: None,
        region: None,
        catalog: Vec::new(),
    }];
    let routing = RoutingConfig {
        unknown_sku: UnknownSku::Route,
        ..RoutingConfig::default()
    };
    let router = Router::new(&routing, &locations).unwrap();
    for r in s.orders_to_route(10).await.unwrap() {
        let plan = router.plan(&r.order, &r.channel_id, &StockSnapshot::new());
        s.record_route(r.order_id, &plan).await.unwrap();
    }
    let now = DateTime::parse_from_rfc3339("2026-01-02T10:00:00Z").unwrap();
    s.ship(
        &format!("shop:{}", o.external_id),
        "UPS",
        &format!("1Z{}", o.external_id),
        &["main".to_string()],
        now,
    )
    .await
    .unwrap();
    // The shipment write-back is not what these tests look at.
    for item in s.due_outbox(i64::MAX, 50).await.unwrap() {
        s.complete_outbox(item.id).await.unwrap();
    }
}

async fn on_hand(s: &TestStore, sku: &str) -> i64 {
    s.stock(Some(sku))
        .await
        .unwrap()
        .first()
        .map_or(0, |r| r.on_hand)
}

fn reported(id: &str, order: &str, lines: &[(&str, u32)]) -> ChannelReturn {
    ChannelReturn {
        external_id: id.into(),
        order_external_id: order.into(),
        lines: lines.iter().map(|(l, q)| (l.to_string(), *q)).collect(),
        reason: Some("too small".into()),
    }
}

async fn a_reported_return_arrives_once_then_restocks_and_refunds_once(engine: Engine) {
    let s = TestStore::new(engine).await;
    s.set_on_hand("main", &[("TEE".into(), 5)], OnHandSource::Count, "count")
        .await
        .unwrap();
    shipped(&s, &order("1", &[("TEE", 3)])).await;
    assert_eq!(on_hand(&s, "TEE").await, 2);
    let r = s.returns();
    let page = [
        reported("R1", "1", &[("1-0", 2)]),
        reported("R9", "404", &[("x", 1)]),
        reported("R2", "1", &[("nope", 1)]),
    ];
    let first = r
        .record_expected_returns("shop", &page, Some("c1"), 1)
        .await
        .unwrap();
    assert_eq!(first.created.len(), 1);
    assert_eq!(first.skipped.len(), 2, "{:?}", first.skipped);
    let again = r
        .record_expected_returns("shop", &page[..1], Some("c2"), 2)
        .await
        .unwrap();
    assert!(again.created.is_empty());
    assert_eq!(again.known, 1);
    assert_eq!(
        r.returns_cursor("shop").await.unwrap().as_deref(),
        Some("c2")
    );
    let id = first.created[0];
    let rma = r.rma(id).await.unwrap().unwrap();
    assert_eq!(rma.state, RmaState::Expected);
    assert_eq!(rma.external_id.as_deref(), Some("R1"));
    // Refunding before the units are back is refused.
    assert!(matches!(
        r.refund_rma(id, 3).await,
        Err(StoreError::Conflict(_))
    ));

    let got = r
        .receive_rma(id, Disposition::Restock, true, 4)
        .await
        .unwrap();
    assert_eq!(got.restocked, [("TEE".to_string(), 2)]);
    assert_eq!(got.location_id.as_deref(), Some("main"));
    assert_eq!(
        got.refund_key.as_deref(),
        Some(&*format!("refund:shop:{id}"))
    );
    assert_eq!(got.rma.state, RmaState::Refunding);
    assert_eq!(got.rma.refund_amount.as_deref(), Some("25.00"));
    assert_eq!(on_hand(&s, "TEE").await, 4, "restocked through the ledger");
    let history = s.stock_history("TEE", 100).await.unwrap();
    assert!(
        history
            .iter()
            .any(|m| m.from_account == "external:return" && m.quantity == 2)
    );
    // Receiving twice is refused.
    assert!(matches!(
        r.receive_rma(id, Disposition::Restock, false, 5).await,
        Err(StoreError::Conflict(_))
    ));

    let due = s.due_outbox(i64::MAX, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].kind, "refund");
    assert_eq!(due[0].idempotency_key, format!("refund:shop:{id}"));
    assert_eq!(due[0].payload["amount"], "25.00");
    assert_eq!(due[0].payload["lines"][0]["line_id"], "1-0");
    let done = RefundOutcome::Refunded {
        refund_id: "gid://shopify/Refund/9".into(),
    };
    r.record_refund(due[0].id, id, &done, 6).await.unwrap();
    // The same answer recorded twice changes nothing more.
    r.record_refund(due[0].id, id, &done, 7).await.unwrap();
    let rma = r.rma(id).await.unwrap().unwrap();
    assert_eq!(rma.state, RmaState::Refunded);
    assert_eq!(rma.refund_id.as_deref(), Some("gid://shopify/Refund/9"));
    assert_eq!(rma.refunded_at, Some(6));
    assert!(s.due_outbox(i64::MAX, 10).await.unwrap().is_empty());
    let listed = r
        .rmas(&RmaFilter {
            state: Some(RmaState::Refunded),
            limit: 10,
            ..RmaFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
}

async fn unannounced_returns_dispose_and_never_refund_above_the_order(engine: Engine) {
    let s = TestStore::new(engine).await;
    s.set_on_hand("main", &[("MUG".into(), 4)], OnHandSource::Count, "count")
        .await
        .unwrap();
    shipped(&s, &order("2", &[("MUG", 2)])).await;
    let r = s.returns();
    let line = |q| {
        [RmaLine {
            line_id: "2-0".into(),
            quantity: q,
        }]
    };
    // The old `switchyard return` path is an RMA too.
    let old = s.record_return("shop:2", "2-0", 1, false, 1).await.unwrap();
    let rma = r.rma(old.return_id).await.unwrap().unwrap();
    assert_eq!(rma.state, RmaState::Received);
    assert_eq!(rma.disposition, Some(Disposition::Dispose));
    assert_eq!(
        on_hand(&s, "MUG").await,
        2,
        "disposed units stay off the shelf"
    );
    let second = r
        .receive_unannounced("shop:2", &line(1), Disposition::Dispose, false, 2)
        .await
        .unwrap();
    // More than shipped is refused, in one transaction (no RMA left behind).
    assert!(matches!(
        r.receive_unannounced("shop:2", &line(1), Disposition::Restock, false, 3)
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        r.rmas(&RmaFilter {
            limit: 10,
            ..RmaFilter::default()
        })
        .await
        .unwrap()
        .len(),
        2
    );
    r.refund_rma(old.return_id, 4).await.unwrap();
    r.refund_rma(second.rma.id, 5).await.unwrap();
    // A refund asked twice is refused (the first one is on its way).
    assert!(matches!(
        r.refund_rma(second.rma.id, 6).await,
        Err(StoreError::Conflict(_))
    ));
    let due = s.due_outbox(i64::MAX, 10).await.unwrap();
    assert_eq!(due.len(), 2);
    // A channel without a refund API leaves it to a person, who confirms it later.
    r.record_refund(
        due[0].id,
        old.return_id,
        &RefundOutcome::ByPerson {
            why: "no refund API".into(),
        },
        7,
    )
    .await
    .unwrap();
    let rma = r.rma(old.return_id).await.unwrap().unwrap();
    assert_eq!(rma.state, RmaState::RefundByPerson);
    assert_eq!(rma.note.as_deref(), Some("no refund API"));
    let rma = r.confirm_refund(old.return_id, "cli:ann", 8).await.unwrap();
    assert_eq!(rma.state, RmaState::Refunded);
    assert!(matches!(
        r.cancel_rma(old.return_id, 9).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        r.receive_rma(999, Disposition::Restock, false, 9).await,
        Err(StoreError::NotFound(_))
    ));
}

async fn an_expected_return_can_be_cancelled(engine: Engine) {
    let s = TestStore::new(engine).await;
    s.set_on_hand("main", &[("CAP".into(), 1)], OnHandSource::Count, "count")
        .await
        .unwrap();
    shipped(&s, &order("3", &[("CAP", 1)])).await;
    let r = s.returns();
    let made = r
        .record_expected_returns("shop", &[reported("R3", "3", &[("3-0", 1)])], None, 1)
        .await
        .unwrap();
    let rma = r.cancel_rma(made.created[0], 2).await.unwrap();
    assert_eq!(rma.state, RmaState::Cancelled);
    assert!(matches!(
        r.receive_rma(made.created[0], Disposition::Restock, false, 3)
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(r.returns_cursor("shop").await.unwrap(), None);
}

/// Refunds RMA `rma_id`, records the channel's answer, and gives the count its payload held.
async fn refunded(s: &TestStore, rma_id: i64, answer: &str) -> u64 {
    let r = s.returns();
    r.refund_rma(rma_id, 2).await.unwrap();
    let due = s.due_outbox(i64::MAX, 10).await.unwrap();
    let item = due
        .iter()
        .find(|i| i.idempotency_key.ends_with(&format!(":{rma_id}")))
        .unwrap();
    let outcome = RefundOutcome::Refunded {
        refund_id: answer.into(),
    };
    r.record_refund(item.id, rma_id, &outcome, 3).await.unwrap();
    item.payload
        .get("identical_refunded")
        .map_or(0, |n| n.as_u64().unwrap())
}

/// A refund's payload counts the order's other RMAs the channel already refunded with exactly
/// its lines and amounts (eBay tells a retry from a second identical return by it).
async fn a_refund_counts_identical_refunds_already_made(engine: Engine) {
    let s = TestStore::new(engine).await;
    s.set_on_hand("main", &[("MUG".into(), 4)], OnHandSource::Count, "count")
        .await
        .unwrap();
    shipped(&s, &order("4", &[("MUG", 4)])).await;
    let r = s.returns();
    let line = |q| {
        [RmaLine {
            line_id: "4-0".into(),
            quantity: q,
        }]
    };
    let mut rmas = Vec::new();
    for q in [1, 1, 2] {
        let got = r
            .receive_unannounced("shop:4", &line(q), Disposition::Dispose, false, 1)
            .await
            .unwrap();
        rmas.push(got.rma.id);
    }
    assert_eq!(
        refunded(&s, rmas[0], "R1").await,
        0,
        "the first of its kind"
    );
    assert_eq!(
        refunded(&s, rmas[1], "R2").await,
        1,
        "one identical refund before it"
    );
    assert_eq!(
        refunded(&s, rmas[2], "R3").await,
        0,
        "two units are another amount"
    );
}

store_tests!(
    a_refund_counts_identical_refunds_already_made,
    a_reported_return_arrives_once_then_restocks_and_refunds_once,
    unannounced_returns_dispose_and_never_refund_above_the_order,
    an_expected_return_can_be_cancelled,
);
