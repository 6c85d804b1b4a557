//! The ledger's invariants under random days of trading, on a real SQLite file: whatever mix of
//! counts, orders (plain and kit), edits, cancellations, routing, shipments and returns, the
//! auditor finds nothing, and on-hand matches an independent model of what happened.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, FixedOffset};
use proptest::prelude::*;
use rust_decimal::Decimal;
use switchyard_core::config::{LocationConfig, LocationKind, RoutingConfig};
use switchyard_core::model::*;
use switchyard_core::ports::RawOrder;
use switchyard_core::routing::{Router, StockSnapshot};
use switchyard_core::stock::{AuditSnapshot, audit};
use switchyard_core::store::*;
use switchyard_store::Engine;
use switchyard_store::testing::TestStore;

const SKUS: [&str; 3] = ["MUG", "TEA", "BOX"];
/// BOX is a kit: 2 MUG + 1 TEA.
fn kits() -> Vec<(String, String, i64)> {
    vec![
        ("BOX".into(), "MUG".into(), 2),
        ("BOX".into(), "TEA".into(), 1),
    ]
}

#[derive(Debug, Clone)]
enum Step {
    Count {
        sku: usize,
        qty: i64,
    },
    Order {
        lines: Vec<(usize, u32)>,
    },
    Edit {
        order: usize,
        lines: Vec<(usize, u32)>,
    },
    Cancel {
        order: usize,
    },
    /// Routes every paid order waiting for a decision.
    Route,
    /// Releases every held order to the warehouse.
    Release,
    Ship {
        order: usize,
    },
    Return {
        order: usize,
        qty: i64,
        restock: bool,
    },
}

fn lines() -> impl Strategy<Value = Vec<(usize, u32)>> {
    proptest::collection::vec((0usize..3, 1u32..4), 1..3)
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0usize..2, 0i64..40).prop_map(|(sku, qty)| Step::Count { sku, qty }),
        lines().prop_map(|lines| Step::Order { lines }),
        (0usize..8, lines()).prop_map(|(order, lines)| Step::Edit { order, lines }),
        (0usize..8).prop_map(|order| Step::Cancel { order }),
        Just(Step::Route),
        Just(Step::Release),
        (0usize..8).prop_map(|order| Step::Ship { order }),
        (0usize..8, 1i64..3, any::<bool>()).prop_map(|(order, qty, restock)| Step::Return {
            order,
            qty,
            restock
        }),
    ]
}

fn order(n: usize, version: i64, status: OrderStatus, lines: &[(usize, u32)]) -> Order {
    let t0: DateTime<FixedOffset> = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap();
    let t = t0 + Duration::seconds(version);
    Order {
        channel_kind: ChannelKind::Shopify,
        external_id: n.to_string(),
        number: format!("#{n}"),
        placed_at: t0,
        updated_at: t,
        status,
        payment_status: PaymentStatus::Paid,
        currency: "USD".into(),
        total: Decimal::TEN,
        lines: lines
            .iter()
            .enumerate()
            .map(|(i, (sku, q))| OrderLine {
                line_id: format!("L{i}"),
                sku: Some(SKUS[*sku].to_string()),
                quantity: *q,
                unit_price: Decimal::ONE,
                title: SKUS[*sku].to_string(),
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

/// Rules: lines in stock at `wh` go there (split allowed); the rest are held for a person.
fn router() -> Router {
    let routing: RoutingConfig = serde_saphyr::from_str(
        "rules:\n  - name: in-stock\n    action: {first_in_stock: [wh]}\n    split: allowed\nfallback: hold\n",
    )
    .unwrap();
    let wh = LocationConfig {
        id: "wh".into(),
        kind: LocationKind::SelfWarehouse,
        name: None,
        adapter: None,
        coordinates: None,
        country: None,
        region: None,
        catalog: Vec::new(),
    };
    Router::new(&routing, &[wh]).unwrap()
}

async fn deliver(s: &TestStore, o: &Order) {
    let key = format!("{}@{}", o.external_id, o.updated_at.to_rfc3339());
    let raw = RawOrder {
        format: "rest".into(),
        external_id: Some(o.external_id.clone()),
        dedup_key: key.clone(),
        topic: "orders/updated".into(),
        body: b"{}".to_vec(),
    };
    s.insert_inbox("shop", Source::Webhook, &[raw], None)
        .await
        .unwrap();
    for item in s.pending_inbox(100).await.unwrap() {
        if item.raw.dedup_key == key {
            s.apply_inbox(&item, Ok(o)).await.unwrap();
        }
    }
}

type ModelOrder = (Vec<(usize, u32)>, &'static str, i64);

/// What the test itself believes: per order its lines and state, per SKU the units on hand.
#[derive(Default)]
struct Model {
    /// Per order: its lines, its state, its version.
    orders: Vec<ModelOrder>,
    on_hand: BTreeMap<String, i64>,
    returned: BTreeMap<usize, i64>,
}

fn expand(lines: &[(usize, u32)]) -> Vec<(String, i64)> {
    let mut out: BTreeMap<String, i64> = BTreeMap::new();
    for (sku, q) in lines {
        let q = i64::from(*q);
        if SKUS[*sku] == "BOX" {
            *out.entry("MUG".into()).or_default() += 2 * q;
            *out.entry("TEA".into()).or_default() += q;
        } else {
            *out.entry(SKUS[*sku].into()).or_default() += q;
        }
    }
    out.into_iter().collect()
}

async fn run(engine: Engine, steps: Vec<Step>) -> Result<(), TestCaseError> {
    let s = TestStore::new(engine).await;
    s.sync_kits(&kits()).await.unwrap();
    let mut m = Model::default();
    let router = router();
    for step in steps {
        match step {
            Step::Count { sku, qty } => {
                s.set_on_hand(
                    "wh",
                    &[(SKUS[sku].into(), qty)],
                    OnHandSource::Count,
                    "count",
                )
                .await
                .unwrap();
                m.on_hand.insert(SKUS[sku].into(), qty);
            }
            Step::Order { lines } => {
                let n = m.orders.len();
                deliver(&s, &order(n, 1, OrderStatus::Open, &lines)).await;
                m.orders.push((lines, "open", 1));
            }
            Step::Edit { order: i, lines } => {
                let Some((_, _, version)) = m.orders.get(i).cloned() else {
                    continue;
                };
                // The store keeps the newest version; a closed or shipped order reserves nothing.
                deliver(&s, &order(i, version + 1, OrderStatus::Open, &lines)).await;
                m.orders[i].0 = lines;
                m.orders[i].2 = version + 1;
            }
            Step::Cancel { order: i } => {
                let Some((lines, state, version)) = m.orders.get(i).cloned() else {
                    continue;
                };
                deliver(&s, &order(i, version + 1, OrderStatus::Cancelled, &lines)).await;
                m.orders[i].2 = version + 1;
                if state != "shipped" {
                    m.orders[i].1 = "cancelled";
                }
            }
            Step::Route => {
                for o in s.orders_to_route(100).await.unwrap() {
                    let skus: Vec<String> = o
                        .order
                        .sku_quantities()
                        .into_iter()
                        .map(|(k, _)| k)
                        .collect();
                    let stock: StockSnapshot =
                        s.stock_by_location(&skus, Some(o.order_id)).await.unwrap();
                    let plan = router.plan(&o.order, &o.channel_id, &stock);
                    s.record_route(o.order_id, &plan).await.unwrap();
                }
            }
            Step::Release => {
                for h in s.held_orders(100).await.unwrap() {
                    s.release_order(
                        &h.order_id.to_string(),
                        "wh",
                        "test",
                        chrono::Local::now().fixed_offset(),
                    )
                    .await
                    .unwrap();
                }
            }
            Step::Ship { order: i } => {
                if i >= m.orders.len() {
                    continue;
                }
                let r = s
                    .ship(
                        &format!("shop:{i}"),
                        "UPS",
                        &format!("1Z{i}"),
                        &["wh".to_string()],
                        chrono::Local::now().fixed_offset(),
                    )
                    .await;
                if r.is_ok() && m.orders[i].1 != "shipped" {
                    for (sku, q) in expand(&m.orders[i].0) {
                        *m.on_hand.entry(sku).or_default() -= q;
                    }
                    m.orders[i].1 = "shipped";
                }
            }
            Step::Return {
                order: i,
                qty,
                restock,
            } => {
                if i >= m.orders.len() {
                    continue;
                }
                let r = s
                    .record_return(&format!("shop:{i}"), "L0", qty, restock, 0)
                    .await;
                if r.is_ok() {
                    *m.returned.entry(i).or_default() += qty;
                    if restock {
                        for (sku, q) in expand(&[(m.orders[i].0[0].0, qty as u32)]) {
                            *m.on_hand.entry(sku).or_default() += q;
                        }
                    }
                } else {
                    // Refused only when not shipped or more than was sold on that line.
                    let shipped = m.orders[i].1 == "shipped";
                    let sold = m.orders[i].0.first().map_or(0, |l| i64::from(l.1));
                    prop_assert!(
                        !shipped || m.returned.get(&i).copied().unwrap_or(0) + qty > sold,
                        "return refused: {:?}",
                        r.err()
                    );
                }
            }
        }
    }
    let snapshot: AuditSnapshot = s.audit_snapshot().await.unwrap();
    let violations = audit(&snapshot);
    prop_assert!(violations.is_empty(), "violations: {violations:?}");
    let stock = s.stock(None).await.unwrap();
    for (sku, want) in &m.on_hand {
        let got = stock
            .iter()
            .find(|r| &r.sku == sku && r.location_id == "wh")
            .map_or(0, |r| r.on_hand);
        prop_assert_eq!(got, *want, "on-hand of {}", sku);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn the_auditor_finds_nothing_after_any_day_of_trading_on_sqlite(steps in proptest::collection::vec(step(), 1..30)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(run(Engine::Sqlite, steps))?;
    }

    #[test]
    fn the_auditor_finds_nothing_after_any_day_of_trading_on_postgres(steps in proptest::collection::vec(step(), 1..30)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(run(Engine::Postgres, steps))?;
    }
}
