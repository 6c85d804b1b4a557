//! The order in which levels go to a channel: cuts before raises, judged against the last level
//! the channel confirmed.
//!
//! A cut guards against overselling, so when a channel throttles or fails midway what waits
//! should be a raise. "Cut" is measured against what the channel last confirmed (a push it
//! applied, its answer to a compare-and-set, a read of its levels), not against what the store
//! believes it holds now: a push that failed in an outage may or may not have landed, so that
//! belief is cleared, while the confirmed level stays. Without it every listing touched during
//! an outage would come back as "unknown" and its cuts would interleave with raises.

/// How a new level moves against the channel's last confirmed level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LevelMove {
    /// Below what the channel confirmed: sent first.
    Decrease,
    /// Never confirmed, or the confirmed level sent again (a push in doubt is being repeated).
    Unknown,
    /// Above what the channel confirmed: sent last.
    Increase,
}

/// How `new` moves against `confirmed`.
pub fn level_move(confirmed: Option<i64>, new: i64) -> LevelMove {
    match confirmed {
        Some(c) if new < c => LevelMove::Decrease,
        Some(c) if new > c => LevelMove::Increase,
        _ => LevelMove::Unknown,
    }
}

/// Puts `items` in push order: decreases, then unknowns, then increases; within each class the
/// order they came in (the store hands them oldest change first). `levels` gives an item's last
/// confirmed level and the level to send.
pub fn decreases_first<T>(items: &mut [T], levels: impl Fn(&T) -> (Option<i64>, i64)) {
    // A stable sort: the class is the only key.
    items.sort_by_key(|item| {
        let (confirmed, new) = levels(item);
        level_move(confirmed, new)
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn cuts_go_before_unknowns_before_raises_and_keep_their_order() {
        // (name, confirmed, new)
        let mut items = [
            ("raise", Some(5), 9),
            ("cut", Some(9), 5),
            ("never confirmed", None, 3),
            ("resent", Some(4), 4),
            ("cut to zero", Some(1), 0),
            ("raise from zero", Some(0), 1),
        ];
        decreases_first(&mut items, |(_, c, n)| (*c, *n));
        let names: Vec<&str> = items.iter().map(|i| i.0).collect();
        assert_eq!(
            names,
            [
                "cut",
                "cut to zero",
                "never confirmed",
                "resent",
                "raise",
                "raise from zero"
            ]
        );
    }

    #[test]
    fn a_level_in_doubt_is_judged_by_the_confirmed_one() {
        // The channel confirmed 10; a push of 20 failed in an outage (in doubt); now 5: a cut.
        assert_eq!(level_move(Some(10), 5), LevelMove::Decrease);
        assert_eq!(level_move(Some(10), 20), LevelMove::Increase);
        assert_eq!(level_move(None, 5), LevelMove::Unknown);
    }

    proptest! {
        #[test]
        fn every_cut_precedes_every_raise_and_nothing_is_lost(
            items in proptest::collection::vec((proptest::option::of(0i64..20), 0i64..20), 0..60)
        ) {
            let tagged: Vec<(usize, Option<i64>, i64)> =
                items.iter().enumerate().map(|(i, (c, n))| (i, *c, *n)).collect();
            let mut sorted = tagged.clone();
            decreases_first(&mut sorted, |(_, c, n)| (*c, *n));
            // A permutation: the same items, each once.
            let mut ids: Vec<usize> = sorted.iter().map(|t| t.0).collect();
            ids.sort_unstable();
            prop_assert_eq!(ids, (0..tagged.len()).collect::<Vec<_>>());
            // Classes never go backwards, so no raise comes before a cut.
            let moves: Vec<LevelMove> = sorted.iter().map(|(_, c, n)| level_move(*c, *n)).collect();
            prop_assert!(moves.windows(2).all(|w| w[0] <= w[1]));
            // Within a class, the order given is kept.
            for pair in sorted.windows(2) {
                if level_move(pair[0].1, pair[0].2) == level_move(pair[1].1, pair[1].2) {
                    prop_assert!(pair[0].0 < pair[1].0);
                }
            }
        }

        #[test]
        fn the_class_depends_only_on_the_direction(confirmed in 0i64..1000, new in 0i64..1000) {
            let m = level_move(Some(confirmed), new);
            prop_assert_eq!(m == LevelMove::Decrease, new < confirmed);
            prop_assert_eq!(m == LevelMove::Increase, new > confirmed);
        }
    }
}
