//! Walmart's per-API token buckets: each API has its own bucket of calls, refilled gradually;
//! every response says what is left (`x-current-token-count`) and when the next token arrives
//! (`x-next-replenish-time`, epoch milliseconds); an empty bucket answers 429.

use std::time::Duration;

use chrono::Utc;
use tokio::time::Instant;

/// The APIs Walmart meters separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Api {
    Token,
    AllOrders,
    ReleasedOrders,
    OneOrder,
    Acknowledge,
    Shipping,
    /// Cancelling order lines; it draws on the same order-writes allowance as shipping.
    Cancel,
    Inventory,
    FeedSubmit,
    FeedStatus,
}

/// A bucket of `capacity` calls gaining one call every `refill_every`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BucketSpec {
    pub capacity: u32,
    pub refill_every: Duration,
}

impl BucketSpec {
    /// `calls` per `period`, all available at once.
    pub fn per(calls: u32, period: Duration) -> Self {
        let calls = calls.max(1);
        Self {
            capacity: calls,
            refill_every: period / calls,
        }
    }
}

/// The bucket of every metered API. Defaults approximate Walmart's published limits
/// (order reads and writes in the thousands per minute, single inventory calls in the hundreds
/// per minute, the token endpoint and bulk inventory feeds far lower: about 10 feeds an hour).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalmartBuckets {
    pub token: BucketSpec,
    pub all_orders: BucketSpec,
    pub released_orders: BucketSpec,
    pub one_order: BucketSpec,
    pub acknowledge: BucketSpec,
    pub shipping: BucketSpec,
    pub inventory: BucketSpec,
    pub feed_submit: BucketSpec,
    pub feed_status: BucketSpec,
}

impl Default for WalmartBuckets {
    fn default() -> Self {
        let minute = Duration::from_secs(60);
        Self {
            token: BucketSpec::per(100, minute),
            all_orders: BucketSpec::per(5000, minute),
            released_orders: BucketSpec::per(5000, minute),
            one_order: BucketSpec::per(5000, minute),
            acknowledge: BucketSpec::per(5000, minute),
            shipping: BucketSpec::per(5000, minute),
            inventory: BucketSpec::per(200, minute),
            feed_submit: BucketSpec::per(10, Duration::from_secs(3600)),
            feed_status: BucketSpec::per(5000, minute),
        }
    }
}

impl WalmartBuckets {
    pub fn spec(&self, api: Api) -> BucketSpec {
        match api {
            Api::Token => self.token,
            Api::AllOrders => self.all_orders,
            Api::ReleasedOrders => self.released_orders,
            Api::OneOrder => self.one_order,
            Api::Acknowledge => self.acknowledge,
            Api::Shipping | Api::Cancel => self.shipping,
            Api::Inventory => self.inventory,
            Api::FeedSubmit => self.feed_submit,
            Api::FeedStatus => self.feed_status,
        }
    }
}

/// One live bucket.
#[derive(Debug)]
pub struct Bucket {
    spec: BucketSpec,
    tokens: f64,
    last: Instant,
}

/// What the response headers say after a call.
#[derive(Debug, Clone, Copy)]
pub struct Reading {
    pub allowed: bool,
    pub remaining: u64,
    /// Epoch milliseconds of the next token.
    pub next_replenish_ms: i64,
}

impl Bucket {
    pub fn new(spec: BucketSpec) -> Self {
        Self {
            spec,
            tokens: f64::from(spec.capacity.max(1)),
            last: Instant::now(),
        }
    }

    /// Takes one call if there is one.
    pub fn take(&mut self) -> Reading {
        let now = Instant::now();
        let every = self.spec.refill_every.as_secs_f64().max(1e-6);
        let capacity = f64::from(self.spec.capacity.max(1));
        self.tokens =
            (self.tokens + now.duration_since(self.last).as_secs_f64() / every).min(capacity);
        self.last = now;
        let allowed = self.tokens >= 1.0;
        if allowed {
            self.tokens -= 1.0;
        }
        let until_next = (1.0 - self.tokens.fract()) * every;
        let until_next = if self.tokens >= capacity {
            0.0
        } else {
            until_next
        };
        Reading {
            allowed,
            remaining: self.tokens.floor() as u64,
            next_replenish_ms: Utc::now().timestamp_millis() + (until_next * 1000.0).ceil() as i64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_empties_then_refuses() {
        let mut b = Bucket::new(BucketSpec::per(2, Duration::from_secs(60)));
        let first = b.take();
        assert!(first.allowed);
        assert_eq!(first.remaining, 1);
        let second = b.take();
        assert!(second.allowed);
        assert_eq!(second.remaining, 0);
        let third = b.take();
        assert!(!third.allowed);
        assert!(third.next_replenish_ms > Utc::now().timestamp_millis() + 25_000);
    }
}
