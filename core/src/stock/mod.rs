//! Stock arithmetic: pure functions over numbers the store hands in.

mod audit;
mod kits;
mod ledger;
mod push_order;

pub use audit::{AuditSnapshot, ListingCheck, Violation, audit, oversell_exposure};
pub use kits::expand_kits;
pub use ledger::{Account, Movement, balances, reservation_movements};
pub use push_order::{LevelMove, decreases_first, level_move};

use std::collections::BTreeMap;

/// What one channel may list of one SKU, after its rules (see `config::StockRules::for_sku`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelRules {
    pub buffer: u32,
    /// 0..=100; percent of what is available, rounded down.
    pub share_percent: u32,
    pub max: Option<u32>,
    pub list_zero_below: Option<u32>,
}

impl Default for LevelRules {
    fn default() -> Self {
        Self {
            buffer: 0,
            share_percent: 100,
            max: None,
            list_zero_below: None,
        }
    }
}

/// One component of a listing: the SKU itself (1 per unit) or a kit's component, with the
/// numbers over the locations the channel sells from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    pub per_unit: i64,
    pub on_hand: i64,
    pub reserved: i64,
}

/// Units of a listing that could be sold now: for a plain SKU its free stock; for a kit the
/// fewest whole kits its components allow.
pub fn sellable_units(parts: &[Part]) -> i64 {
    parts
        .iter()
        .map(|p| {
            let free = p.on_hand.saturating_sub(p.reserved).max(0);
            if p.per_unit <= 0 {
                0
            } else {
                free / p.per_unit
            }
        })
        .min()
        .unwrap_or(0)
}

/// The level a channel should list: sellable units, less the buffer, times the share (rounded
/// down), zero below the threshold, capped by the maximum; never negative.
pub fn listing_level(parts: &[Part], rules: &LevelRules) -> i64 {
    let after_buffer = sellable_units(parts)
        .saturating_sub(i64::from(rules.buffer))
        .max(0);
    let shared = after_buffer.saturating_mul(i64::from(rules.share_percent.min(100))) / 100;
    let shown = match rules.list_zero_below {
        Some(n) if shared < i64::from(n) => 0,
        _ => shared,
    };
    match rules.max {
        Some(m) => shown.min(i64::from(m)),
        None => shown,
    }
}

/// What a channel may list for one SKU: the stock at the locations it sells from, less what open
/// orders hold, less the channel's safety buffer, never below zero.
pub fn available_to_sell(on_hand: i64, reserved: i64, buffer: u32) -> i64 {
    on_hand
        .saturating_sub(reserved)
        .saturating_sub(i64::from(buffer))
        .max(0)
}

/// How reservations must change when an order moves from `before` to `after` units per SKU.
/// Returns (sku, delta) for every SKU whose reserved quantity changes, in SKU order.
pub fn reservation_delta(before: &[(String, i64)], after: &[(String, i64)]) -> Vec<(String, i64)> {
    let mut delta: BTreeMap<&str, i64> = BTreeMap::new();
    for (sku, q) in before {
        *delta.entry(sku).or_default() -= q;
    }
    for (sku, q) in after {
        *delta.entry(sku).or_default() += q;
    }
    delta
        .into_iter()
        .filter(|(_, d)| *d != 0)
        .map(|(s, d)| (s.to_string(), d))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn plain(on_hand: i64, reserved: i64) -> Vec<Part> {
        vec![Part {
            per_unit: 1,
            on_hand,
            reserved,
        }]
    }

    #[test]
    fn rules_apply_buffer_then_share_then_threshold_then_cap() {
        let r = |buffer, share_percent, max, list_zero_below| LevelRules {
            buffer,
            share_percent,
            max,
            list_zero_below,
        };
        assert_eq!(listing_level(&plain(20, 5), &LevelRules::default()), 15);
        assert_eq!(listing_level(&plain(20, 5), &r(3, 100, None, None)), 12);
        assert_eq!(listing_level(&plain(20, 5), &r(3, 50, None, None)), 6);
        assert_eq!(listing_level(&plain(20, 5), &r(0, 33, None, None)), 4);
        assert_eq!(listing_level(&plain(20, 5), &r(0, 100, Some(10), None)), 10);
        assert_eq!(listing_level(&plain(20, 17), &r(0, 100, None, Some(5))), 0);
        assert_eq!(listing_level(&plain(20, 15), &r(0, 100, None, Some(5))), 5);
        assert_eq!(listing_level(&plain(2, 5), &r(0, 100, None, None)), 0);
    }

    #[test]
    fn a_kit_lists_the_fewest_whole_kits_its_components_allow() {
        let kit = [
            Part {
                per_unit: 2,
                on_hand: 9,
                reserved: 0,
            },
            Part {
                per_unit: 1,
                on_hand: 10,
                reserved: 3,
            },
        ];
        assert_eq!(sellable_units(&kit), 4);
        let short = [
            kit[0],
            Part {
                per_unit: 1,
                on_hand: 2,
                reserved: 0,
            },
        ];
        assert_eq!(listing_level(&short, &LevelRules::default()), 2);
        assert_eq!(sellable_units(&[]), 0);
    }

    #[test]
    fn examples() {
        assert_eq!(available_to_sell(10, 3, 2), 5);
        assert_eq!(available_to_sell(10, 9, 2), 0);
        assert_eq!(available_to_sell(-4, 0, 0), 0);
        assert_eq!(available_to_sell(i64::MIN, i64::MAX, u32::MAX), 0);
    }

    fn rules() -> impl Strategy<Value = LevelRules> {
        (
            0u32..20,
            0u32..=100,
            proptest::option::of(0u32..100),
            proptest::option::of(0u32..20),
        )
            .prop_map(|(buffer, share_percent, max, list_zero_below)| LevelRules {
                buffer,
                share_percent,
                max,
                list_zero_below,
            })
    }

    fn parts() -> impl Strategy<Value = Vec<Part>> {
        proptest::collection::vec(
            (1i64..5, -50i64..500, 0i64..200).prop_map(|(per_unit, on_hand, reserved)| Part {
                per_unit,
                on_hand,
                reserved,
            }),
            1..4,
        )
    }

    proptest! {
        #[test]
        fn a_level_never_promises_more_than_the_components_hold(parts in parts(), rules in rules()) {
            let level = listing_level(&parts, &rules);
            prop_assert!(level >= 0);
            for p in &parts {
                // Selling `level` kits must never need more than the free units of any part.
                prop_assert!(level * p.per_unit <= (p.on_hand - p.reserved).max(0));
            }
            if let Some(m) = rules.max { prop_assert!(level <= i64::from(m)); }
            if let Some(n) = rules.list_zero_below {
                // The cap comes last, so it may list fewer than the threshold.
                let floor = i64::from(rules.max.map_or(n, |m| m.min(n)));
                prop_assert!(level == 0 || level >= floor);
            }
        }

        #[test]
        fn selling_a_component_never_raises_a_level(parts in parts(), rules in rules(), which in 0usize..4, sold in 0i64..20) {
            let before = listing_level(&parts, &rules);
            let mut after = parts.clone();
            let i = which % after.len();
            after[i].reserved += sold;
            prop_assert!(listing_level(&after, &rules) <= before);
        }

        #[test]
        fn never_negative_and_never_above_free_stock(on_hand in -1000i64..1000, reserved in 0i64..1000, buffer in 0u32..50) {
            let ats = available_to_sell(on_hand, reserved, buffer);
            prop_assert!(ats >= 0);
            prop_assert!(ats <= (on_hand - reserved).max(0));
        }

        #[test]
        fn a_sale_never_raises_the_level(on_hand in 0i64..1000, reserved in 0i64..1000, sold in 0i64..100, buffer in 0u32..50) {
            prop_assert!(available_to_sell(on_hand, reserved + sold, buffer) <= available_to_sell(on_hand, reserved, buffer));
        }

        #[test]
        fn cancelling_restores_exactly(on_hand in 0i64..1000, reserved in 0i64..500, sold in 0i64..100, buffer in 0u32..50) {
            // Reserve then release must land where it started.
            let delta = reservation_delta(&[], &[("A".into(), sold)]);
            let after_sale: i64 = reserved + delta.iter().map(|(_, d)| d).sum::<i64>();
            let back = reservation_delta(&[("A".into(), sold)], &[]);
            let after_cancel = after_sale + back.iter().map(|(_, d)| d).sum::<i64>();
            prop_assert_eq!(available_to_sell(on_hand, after_cancel, buffer), available_to_sell(on_hand, reserved, buffer));
        }

        #[test]
        fn delta_applied_to_before_gives_after(
            before in proptest::collection::vec(("[A-D]", 1i64..5), 0..6),
            after in proptest::collection::vec(("[A-D]", 1i64..5), 0..6),
        ) {
            let sum = |v: &[(String, i64)]| {
                let mut m: BTreeMap<String, i64> = BTreeMap::new();
                for (s, q) in v { *m.entry(s.clone()).or_default() += q; }
                m
            };
            let mut state = sum(&before);
            for (sku, d) in reservation_delta(&before, &after) {
                *state.entry(sku).or_default() += d;
            }
            state.retain(|_, q| *q != 0);
            prop_assert_eq!(state, sum(&after));
        }
    }
}
