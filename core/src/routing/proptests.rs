//! Properties over random orders, stock and rule lists: a stock-checked placement always had
//! the stock, dropship suppliers only get their catalog, every line is accounted for once, a
//! `split: never` rule keeps its lines together, and evaluation is deterministic.

use proptest::prelude::*;
use rust_decimal::Decimal;

use super::*;
use crate::config::{
    Action, Conditions, Fallback, LocationConfig, LocationKind, RoutingConfig, Rule, SplitMode,
};
use crate::model::*;

const LOCS: [&str; 4] = ["main", "tpl", "drop", "far"];
const SKUS: [&str; 5] = ["A", "B", "DS-1", "DS-2", "C"];

fn locations() -> Vec<LocationConfig> {
    LOCS.iter()
        .map(|id| LocationConfig {
            id: id.to_string(),
            kind: match *id {
                "main" => LocationKind::SelfWarehouse,
                "drop" => LocationKind::Dropship,
                _ => LocationKind::ThirdParty,
            },
            name: None,
            adapter: None,
            coordinates: None,
            country: Some(if *id == "far" { "AU" } else { "US" }.into()),
            region: None,
            catalog: if *id == "drop" {
                vec!["DS-*".into()]
            } else {
                Vec::new()
            },
        })
        .collect()
}

fn arb_order() -> impl Strategy<Value = Order> {
    (
        prop::collection::vec((0..SKUS.len(), 1u32..6), 1..6),
        prop::sample::select(vec!["US", "DE", "AU"]),
    )
        .prop_map(|(lines, country)| {
            let t = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap();
            Order {
                channel_kind: ChannelKind::Shopify,
                external_id: "1".into(),
                number: "#1".into(),
                placed_at: t,
                updated_at: t,
                status: OrderStatus::Open,
                payment_status: PaymentStatus::Paid,
                currency: "USD".into(),
                total: Decimal::TEN,
                lines: lines
                    .into_iter()
                    .enumerate()
                    .map(|(i, (s, q))| OrderLine {
                        line_id: format!("L{i}"),
                        sku: Some(SKUS[s].to_string()),
                        quantity: q,
                        unit_price: Decimal::ONE,
                        title: String::new(),
                        channel_sku: None,
                    })
                    .collect(),
                ship_to: Some(Address {
                    country_code: Some(country.into()),
                    ..Address::default()
                }),
                customer_email: None,
                fulfilled_by_channel: false,
                tags: Vec::new(),
                customer_tags: Vec::new(),
                ship_by: None,
                deliver_by: None,
                risk_level: None,
            }
        })
}

fn arb_stock() -> impl Strategy<Value = StockSnapshot> {
    prop::collection::vec(0i64..8, LOCS.len() * SKUS.len()).prop_map(|levels| {
        let mut s = StockSnapshot::new();
        for (i, q) in levels.into_iter().enumerate() {
            s.set(LOCS[i / SKUS.len()], SKUS[i % SKUS.len()], q);
        }
        s
    })
}

/// Stock-checked rules only, so every placement must be backed by stock.
fn arb_rule() -> impl Strategy<Value = Rule> {
    (
        prop::collection::vec(prop::sample::select(LOCS.to_vec()), 1..4),
        any::<bool>(),
        any::<bool>(),
        prop::option::of(prop::sample::select(vec!["DS-*", "A", "?"])),
    )
        .prop_map(|(mut locs, nearest, allowed, sku)| {
            locs.dedup();
            let ids: Vec<String> = locs.into_iter().map(String::from).collect();
            Rule {
                name: None,
                when: Conditions {
                    sku: sku.map(|g| vec![g.to_string()]),
                    ..Conditions::default()
                },
                action: if nearest {
                    Action::NearestInStock(ids)
                } else {
                    Action::FirstInStock(ids)
                },
                split: if allowed {
                    SplitMode::Allowed
                } else {
                    SplitMode::Never
                },
            }
        })
}

fn arb_routing() -> impl Strategy<Value = RoutingConfig> {
    prop::collection::vec(arb_rule(), 0..4).prop_map(|rules| RoutingConfig {
        sku_tags: Default::default(),
        rules,
        fallback: Some(Fallback::Hold),
        unknown_sku: Default::default(),
    })
}

proptest! {
    #[test]
    fn placements_are_backed_by_stock_and_catalogs(
        order in arb_order(), stock in arb_stock(), routing in arb_routing()
    ) {
        let plan = Router::new(&routing, &locations()).unwrap().plan(&order, "shop", &stock);
        // Every line once, in order.
        let ids: Vec<&str> = plan.lines.iter().map(|l| l.line_id.as_str()).collect();
        let want: Vec<&str> = order.lines.iter().map(|l| l.line_id.as_str()).collect();
        prop_assert_eq!(ids, want);
        for l in &plan.lines {
            // Routed or held, never both, never neither.
            prop_assert_eq!(l.location.is_some(), l.held.is_none());
        }
        for (sku, loc) in plan.sku_locations() {
            let Some(loc) = loc else { continue };
            let needed: i64 = order.sku_quantities().iter()
                .find(|(s, _)| *s == sku).map(|(_, q)| *q).unwrap_or(0);
            prop_assert!(stock.available(&loc, &sku) >= needed,
                "{sku}×{needed} to {loc} with {} free", stock.available(&loc, &sku));
            if loc == "drop" {
                prop_assert!(sku.starts_with("DS-") || stock.lists("drop", &sku));
            }
        }
        // A split: never rule that applied put its lines in one place.
        for t in &plan.explanation.rules {
            let split = routing.rules[t.index].split;
            if t.outcome == RuleOutcome::Applied && split == SplitMode::Never {
                let places: std::collections::BTreeSet<_> = plan.lines.iter()
                    .filter(|l| l.decided_by == t.name)
                    .map(|l| l.location.clone())
                    .collect();
                prop_assert!(places.len() <= 1, "{places:?}");
            }
        }
    }

    #[test]
    fn evaluation_is_deterministic(
        order in arb_order(), stock in arb_stock(), routing in arb_routing()
    ) {
        let router = Router::new(&routing, &locations()).unwrap();
        let a = router.plan(&order, "shop", &stock);
        let b = Router::new(&routing, &locations()).unwrap().plan(&order, "shop", &stock);
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(serde_json::to_string(&a).unwrap(), serde_json::to_string(&b).unwrap());
    }
}
