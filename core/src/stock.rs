//! Stock arithmetic: pure functions over numbers the store hands in.

use std::collections::BTreeMap;

/// What a channel may list for one SKU: the stock at the locations it sells from, less what open
/// orders hold, less the channel's safety buffer, never below zero.
pub fn available_to_sell(on_hand: i64, reserved: i64, buffer: u32) -> i64 {
    on_hand
        .saturating_sub(reserved)
        .saturating_sub(i64::from(buffer))
        .max(0)
}

/// Push order for a level change: lowering a level guards against overselling, so it goes
/// first; an unknown current level is treated as a possible decrease; raises go last.
pub fn push_priority(current: Option<i64>, new: i64) -> u8 {
    match current {
        Some(c) if new > c => 2,
        Some(_) => 0,
        None => 1,
    }
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

    #[test]
    fn decreases_go_before_unknowns_before_increases() {
        let mut changes = [(Some(5), 9), (Some(9), 5), (None, 3), (Some(4), 4)];
        changes.sort_by_key(|(c, n)| push_priority(*c, *n));
        assert_eq!(
            changes,
            [(Some(9), 5), (Some(4), 4), (None, 3), (Some(5), 9)]
        );
    }

    #[test]
    fn examples() {
        assert_eq!(available_to_sell(10, 3, 2), 5);
        assert_eq!(available_to_sell(10, 9, 2), 0);
        assert_eq!(available_to_sell(-4, 0, 0), 0);
        assert_eq!(available_to_sell(i64::MIN, i64::MAX, u32::MAX), 0);
    }

    proptest! {
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
