//! How long each sale took to reach every channel, from the harness's own ledger and the
//! simulators' timestamped stock writes. Pure: no I/O, so it is tested on made-up histories.
//!
//! Orders are taken in the order the daemon acknowledged their webhooks (it commits before it
//! answers, so that is the order it applied them in). After order *i* a channel must show at
//! most `start − units sold so far − its buffer` (floored at 0) for each SKU of the order;
//! levels only fall during a run, so the first instant at or after the acknowledgement at
//! which the channel shows that level or lower is when the sale reached it.

use std::collections::HashMap;
use std::time::Instant;

/// One acknowledged order: when the daemon answered 200, and (SKU, units) per line.
#[derive(Debug, Clone)]
pub struct Order {
    pub ack: Instant,
    pub lines: Vec<(String, u32)>,
}

/// What one channel saw: its buffer and the levels written to it, per SKU, oldest first.
pub struct ChannelView<'a> {
    pub buffer: u32,
    pub history: &'a HashMap<String, Vec<(Instant, i64)>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// `[order][channel]`: milliseconds until that channel showed the order's levels, `None`
    /// when it never did within the run.
    pub per_channel: Vec<Vec<Option<f64>>>,
    /// Per channel: distinct (SKU, level) values it had to receive, one per order line that
    /// changed its level (the least any pusher must deliver without skipping a level).
    pub updates: Vec<u64>,
    /// Per channel: distinct SKUs among those changes.
    pub skus: Vec<u64>,
}

impl Outcome {
    /// Per order: until every channel showed it, `None` if one never did.
    pub fn overall(&self) -> Vec<Option<f64>> {
        self.per_channel
            .iter()
            .map(|row| {
                row.iter()
                    .try_fold(0.0_f64, |acc, ms| ms.map(|ms| acc.max(ms)))
            })
            .collect()
    }
}

/// `orders` must be sorted by `ack`; `start` is each SKU's on-hand before the run.
pub fn measure(
    orders: &[Order],
    start: &HashMap<String, i64>,
    channels: &[ChannelView],
) -> Outcome {
    let mut sold: HashMap<&str, i64> = HashMap::new();
    let mut expected: Vec<HashMap<&str, i64>> = vec![HashMap::new(); channels.len()];
    let mut updates = vec![0u64; channels.len()];
    let mut changed: Vec<std::collections::HashSet<&str>> =
        vec![std::collections::HashSet::new(); channels.len()];
    let mut per_channel = Vec::with_capacity(orders.len());
    for order in orders {
        for (sku, units) in &order.lines {
            *sold.entry(sku.as_str()).or_default() += i64::from(*units);
        }
        let mut row = Vec::with_capacity(channels.len());
        for (c, channel) in channels.iter().enumerate() {
            let mut worst = Some(0.0_f64);
            for (sku, _) in &order.lines {
                let on_hand = start.get(sku.as_str()).copied().unwrap_or(0);
                let initial = (on_hand - i64::from(channel.buffer)).max(0);
                let want = (on_hand - sold[sku.as_str()] - i64::from(channel.buffer)).max(0);
                let previous = expected[c].insert(sku.as_str(), want).unwrap_or(initial);
                if previous != want {
                    updates[c] += 1;
                    changed[c].insert(sku.as_str());
                }
                let history = channel.history.get(sku).map_or(&[][..], Vec::as_slice);
                let reached = reached_at(history, initial, order.ack, want);
                worst = match (worst, reached) {
                    (Some(w), Some(r)) => Some(w.max(r)),
                    _ => None,
                };
            }
            row.push(worst);
        }
        per_channel.push(row);
    }
    Outcome {
        per_channel,
        updates,
        skus: changed.iter().map(|s| s.len() as u64).collect(),
    }
}

/// Milliseconds from `ack` until the channel showed `want` or less.
fn reached_at(history: &[(Instant, i64)], initial: i64, ack: Instant, want: i64) -> Option<f64> {
    let before = history.partition_point(|(t, _)| *t <= ack);
    let held = if before == 0 {
        initial
    } else {
        history[before - 1].1
    };
    if held <= want {
        return Some(0.0);
    }
    history[before..]
        .iter()
        .find(|(_, level)| *level <= want)
        .map(|(t, _)| t.duration_since(ack).as_secs_f64() * 1000.0)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn at(base: Instant, ms: u64) -> Instant {
        base + Duration::from_millis(ms)
    }

    #[test]
    fn each_order_waits_for_the_slowest_channel() {
        let t = Instant::now();
        let start = HashMap::from([("A".to_string(), 10), ("B".to_string(), 5)]);
        let orders = vec![
            Order {
                ack: at(t, 0),
                lines: vec![("A".into(), 2)],
            },
            Order {
                ack: at(t, 100),
                lines: vec![("A".into(), 1), ("B".into(), 1)],
            },
        ];
        // Channel 0 (no buffer) shows A=8 at 50 ms, A=7 and B=4 at 300 ms.
        let fast = HashMap::from([
            ("A".to_string(), vec![(at(t, 50), 8), (at(t, 300), 7)]),
            ("B".to_string(), vec![(at(t, 300), 4)]),
        ]);
        // Channel 1 (buffer 1) went straight to the final levels at 1000 ms.
        let slow = HashMap::from([
            ("A".to_string(), vec![(at(t, 1000), 6)]),
            ("B".to_string(), vec![(at(t, 1000), 3)]),
        ]);
        let views = [
            ChannelView {
                buffer: 0,
                history: &fast,
            },
            ChannelView {
                buffer: 1,
                history: &slow,
            },
        ];
        let out = measure(&orders, &start, &views);
        assert_eq!(out.per_channel[0], vec![Some(50.0), Some(1000.0)]);
        assert_eq!(out.per_channel[1], vec![Some(200.0), Some(900.0)]);
        assert_eq!(out.overall(), vec![Some(1000.0), Some(900.0)]);
        // A: 10→8→7, B: 5→4 on channel 0; the same three changes behind the buffer.
        assert_eq!(out.updates, vec![3, 3]);
        assert_eq!(out.skus, vec![2, 2]);
    }

    #[test]
    fn a_level_already_shown_counts_as_zero_and_a_missing_one_as_never() {
        let t = Instant::now();
        let start = HashMap::from([("A".to_string(), 3)]);
        let orders = vec![Order {
            ack: at(t, 100),
            lines: vec![("A".into(), 5)],
        }];
        let early = HashMap::from([("A".to_string(), vec![(at(t, 90), 0)])]);
        let none = HashMap::new();
        let views = [
            ChannelView {
                buffer: 0,
                history: &early,
            },
            ChannelView {
                buffer: 0,
                history: &none,
            },
        ];
        let out = measure(&orders, &start, &views);
        assert_eq!(out.per_channel[0], vec![Some(0.0), None]);
        assert_eq!(out.overall(), vec![None]);
    }

    #[test]
    fn a_level_floored_at_zero_is_not_a_new_update() {
        let t = Instant::now();
        let start = HashMap::from([("A".to_string(), 1)]);
        let orders: Vec<Order> = (0..3)
            .map(|i| Order {
                ack: at(t, i),
                lines: vec![("A".into(), 1)],
            })
            .collect();
        let none = HashMap::new();
        let out = measure(
            &orders,
            &start,
            &[ChannelView {
                buffer: 0,
                history: &none,
            }],
        );
        assert_eq!(out.updates, vec![1]);
    }
}
