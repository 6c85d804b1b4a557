//! The stock a routing decision sees: units free per (location, SKU), read in one go before
//! the pure evaluation runs.

use std::collections::BTreeMap;

/// Units free per (location, SKU): on-hand there minus what other orders hold there. The
/// order being routed does not count against itself. A row present at 0 still says the
/// location lists the SKU (a dropship supplier's stock feed names what it carries).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StockSnapshot {
    levels: BTreeMap<(String, String), i64>,
    /// When it was read (ms since the epoch): the "now" of time conditions such as
    /// `ship_by_within_secs`, so the evaluation itself stays a pure function of its inputs.
    taken_at_ms: Option<i64>,
}

impl StockSnapshot {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set(&mut self, location: impl Into<String>, sku: impl Into<String>, available: i64) {
        self.levels.insert((location.into(), sku.into()), available);
    }

    /// Stamps the time the snapshot was read.
    pub fn taken_at(mut self, now_ms: i64) -> Self {
        self.taken_at_ms = Some(now_ms);
        self
    }

    pub fn taken_at_ms(&self) -> Option<i64> {
        self.taken_at_ms
    }

    /// Units free; 0 when the location has no record of the SKU.
    pub fn available(&self, location: &str, sku: &str) -> i64 {
        self.levels
            .get(&(location.to_string(), sku.to_string()))
            .copied()
            .unwrap_or(0)
    }

    /// The location has a stock record for the SKU, at any level.
    pub fn lists(&self, location: &str, sku: &str) -> bool {
        self.levels
            .contains_key(&(location.to_string(), sku.to_string()))
    }

    /// (location, SKU, available) in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str, i64)> {
        self.levels
            .iter()
            .map(|((l, s), q)| (l.as_str(), s.as_str(), *q))
    }
}
