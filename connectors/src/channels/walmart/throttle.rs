//! Walmart's per-API token buckets, as its response headers describe them.
//!
//! Every response carries `x-current-token-count` (calls left in this API's bucket) and
//! `x-next-replenish-time` (epoch milliseconds when the bucket next gains tokens). When the count
//! reaches 0 the next call to that API would be refused with 429, so it waits until the
//! replenish time instead. A 429 that happens anyway (another process sharing the account)
//! becomes [`ChannelError::RateLimited`] with the same wait, which the retry loop honors.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::Utc;
use reqwest::header::HeaderMap;
use tokio::time::Instant;

/// The APIs Walmart meters separately; each has its own bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Api {
    Token,
    AllOrders,
    ReleasedOrders,
    OneOrder,
    Acknowledge,
    Shipping,
    Cancel,
    Refund,
    Inventory,
    FeedSubmit,
    FeedStatus,
}

/// A wait longer than this in a header is treated as a misreading, not obeyed for hours.
const LONGEST_WAIT: Duration = Duration::from_secs(3600);

#[derive(Default)]
pub struct Throttle {
    blocked_until: Mutex<HashMap<Api, Instant>>,
}

impl Throttle {
    /// Sleeps while `api`'s bucket is known to be empty.
    pub async fn wait_for(&self, api: Api) {
        let until = self
            .blocked_until
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&api)
            .copied();
        if let Some(until) = until.filter(|u| *u > Instant::now()) {
            tracing::debug!(?api, wait = ?(until - Instant::now()), "walmart bucket empty: waiting");
            tokio::time::sleep_until(until).await;
        }
    }

    /// Records what a response said about `api`'s bucket.
    pub fn observe(&self, api: Api, headers: &HeaderMap) {
        if token_count(headers) != Some(0) {
            return;
        }
        if let Some(wait) = replenish_wait(headers) {
            self.blocked_until
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(api, Instant::now() + wait);
        }
    }
}

pub fn token_count(headers: &HeaderMap) -> Option<u64> {
    headers
        .get("x-current-token-count")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Time from now until `x-next-replenish-time` (zero when it has passed).
pub fn replenish_wait(headers: &HeaderMap) -> Option<Duration> {
    let at: i64 = headers
        .get("x-next-replenish-time")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let millis = at.saturating_sub(Utc::now().timestamp_millis()).max(0);
    Some(Duration::from_millis(u64::try_from(millis).unwrap_or(0)).min(LONGEST_WAIT))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(count: &str, replenish_in_ms: i64) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            "x-current-token-count",
            HeaderValue::from_str(count).unwrap(),
        );
        let at = Utc::now().timestamp_millis() + replenish_in_ms;
        h.insert(
            "x-next-replenish-time",
            HeaderValue::from_str(&at.to_string()).unwrap(),
        );
        h
    }

    #[tokio::test]
    async fn an_empty_bucket_makes_the_next_call_wait() {
        let throttle = Throttle::default();
        throttle.observe(Api::Inventory, &headers("3", 150));
        let start = Instant::now();
        throttle.wait_for(Api::Inventory).await;
        assert!(start.elapsed() < Duration::from_millis(50), "tokens left");
        throttle.observe(Api::Inventory, &headers("0", 150));
        throttle.wait_for(Api::AllOrders).await;
        assert!(
            start.elapsed() < Duration::from_millis(50),
            "other buckets unaffected"
        );
        throttle.wait_for(Api::Inventory).await;
        assert!(start.elapsed() >= Duration::from_millis(120));
    }

    #[test]
    fn unreadable_headers_are_ignored() {
        let mut h = HeaderMap::new();
        h.insert("x-current-token-count", HeaderValue::from_static("zero"));
        assert_eq!(token_count(&h), None);
        assert_eq!(replenish_wait(&h), None);
        let past = headers("0", -5_000);
        assert_eq!(replenish_wait(&past), Some(Duration::ZERO));
    }
}
