//! What a simulated channel saw and when: every stock level written to it, per SKU, and every
//! order webhook the hub answered with a 2xx. Benchmarks use the instants to measure how long a
//! sale takes to reach every channel. Off until [`Journal::record`] is called, so a catalog of a
//! million SKUs does not keep every write it ever received.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

#[derive(Debug, Default)]
pub struct Journal {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    on: bool,
    writes: HashMap<String, Vec<(Instant, i64)>>,
    acks: Vec<(String, Instant)>,
}

impl Journal {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts (or stops) keeping entries; what was kept so far stays.
    pub fn record(&self, on: bool) {
        self.lock().on = on;
    }

    /// The channel now holds `level` for `sku` (called where the simulator applies a write).
    pub fn stock_written(&self, sku: &str, level: i64) {
        self.stock_written_at(sku, level, Instant::now());
    }

    /// The channel held `level` from `at` on: a feed the simulator applies lazily, when it is
    /// next looked at, took effect when its processing time ran out.
    pub fn stock_written_at(&self, sku: &str, level: i64, at: Instant) {
        let mut inner = self.lock();
        if inner.on {
            let history = inner.writes.entry(sku.to_string()).or_default();
            history.push((at, level));
            // Kept in time order even when a lazily applied feed lands after a later write.
            if history.len() > 1 && history[history.len() - 2].0 > at {
                history.sort_by_key(|(t, _)| *t);
            }
        }
    }

    /// The hub answered 2xx to the webhook about `order_id` (called when the response arrives).
    pub fn webhook_acked(&self, order_id: &str) {
        let now = Instant::now();
        let mut inner = self.lock();
        if inner.on {
            inner.acks.push((order_id.to_string(), now));
        }
    }

    /// Levels written for `sku`, oldest first.
    pub fn stock_history(&self, sku: &str) -> Vec<(Instant, i64)> {
        self.lock().writes.get(sku).cloned().unwrap_or_default()
    }

    /// Every SKU's write history at once (one lock instead of one per SKU).
    pub fn stock_histories(&self) -> HashMap<String, Vec<(Instant, i64)>> {
        self.lock().writes.clone()
    }

    /// (order id, instant of the 2xx) for every acknowledged webhook; a duplicate delivery of
    /// one order shows twice.
    pub fn webhook_acks(&self) -> Vec<(String, Instant)> {
        self.lock().acks.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_nothing_until_recording() {
        let j = Journal::default();
        j.stock_written("A", 3);
        j.webhook_acked("1");
        assert!(j.stock_history("A").is_empty());
        assert!(j.webhook_acks().is_empty());
        j.record(true);
        j.stock_written("A", 2);
        j.stock_written("A", 1);
        j.webhook_acked("1");
        let levels: Vec<i64> = j.stock_history("A").iter().map(|(_, l)| *l).collect();
        assert_eq!(levels, vec![2, 1]);
        let h = j.stock_history("A");
        assert!(h[0].0 <= h[1].0);
        assert_eq!(j.webhook_acks().len(), 1);
        assert_eq!(j.stock_histories().len(), 1);
    }
}
