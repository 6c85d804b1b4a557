//! Etsy's daily request budget as its own headers report it (`x-limit-per-day`,
//! `x-remaining-today`; a sliding 24-hour window). The per-second limit is paced by the
//! limiter; the daily one cannot be paced locally (other apps' tools share nothing, but other
//! processes with the same key do), so it is tracked and an operator is warned before it runs
//! out.

use std::sync::Mutex;

use reqwest::header::HeaderMap;

/// Warn when less than this share of the day's budget is left.
const LOW_SHARE: f64 = 0.10;

/// What Etsy last said about the daily budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailyBudget {
    pub limit: u64,
    pub remaining: u64,
}

impl DailyBudget {
    /// Under a tenth of the budget left.
    pub fn is_low(&self) -> bool {
        self.limit > 0 && (self.remaining as f64) < (self.limit as f64) * LOW_SHARE
    }
}

#[derive(Default)]
pub struct BudgetTracker {
    last: Mutex<Option<DailyBudget>>,
}

impl BudgetTracker {
    /// Records the headers of one response (a 429 carries none, and is ignored).
    pub fn observe(&self, channel_id: &str, headers: &HeaderMap) {
        let number =
            |name: &str| -> Option<u64> { headers.get(name)?.to_str().ok()?.trim().parse().ok() };
        let (Some(limit), Some(remaining)) =
            (number("x-limit-per-day"), number("x-remaining-today"))
        else {
            return;
        };
        let budget = DailyBudget { limit, remaining };
        if budget.is_low() {
            tracing::warn!(
                channel = channel_id,
                remaining,
                limit,
                "Etsy daily request budget is running low"
            );
        }
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(budget);
    }

    pub fn current(&self) -> Option<DailyBudget> {
        *self.last.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn reads_the_headers_and_flags_a_low_budget() {
        let tracker = BudgetTracker::default();
        let mut h = HeaderMap::new();
        tracker.observe("etsy", &h);
        assert_eq!(tracker.current(), None);
        h.insert("x-limit-per-day", HeaderValue::from_static("10000"));
        h.insert("x-remaining-today", HeaderValue::from_static("9998"));
        tracker.observe("etsy", &h);
        let now = tracker.current().unwrap();
        assert_eq!((now.limit, now.remaining), (10000, 9998));
        assert!(!now.is_low());
        h.insert("x-remaining-today", HeaderValue::from_static("999"));
        tracker.observe("etsy", &h);
        assert!(tracker.current().unwrap().is_low());
    }
}
