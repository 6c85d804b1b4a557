//! Per-operation usage plans (rate per second, burst), enforced with one token bucket each, as
//! SP-API does per selling partner and application.

use std::collections::BTreeMap;
use std::time::Instant;

/// One operation's usage plan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    pub rate: f64,
    pub burst: u32,
}

/// Amazon's default plans for the operations the simulator serves, by operation id.
pub fn default_plans() -> BTreeMap<String, Plan> {
    [
        ("searchOrders", 0.0056, 20),
        ("getOrders", 0.0167, 20),
        ("getOrder", 0.5, 30),
        ("getOrderItems", 0.5, 30),
        ("getOrderAddress", 0.5, 30),
        ("confirmShipment", 2.0, 10),
        ("getListingsItem", 5.0, 10),
        ("patchListingsItem", 5.0, 5),
        ("createFeedDocument", 0.5, 15),
        ("createFeed", 0.0083, 15),
        ("getFeed", 2.0, 15),
        ("getFeedDocument", 0.0222, 10),
        ("createRestrictedDataToken", 1.0, 10),
    ]
    .into_iter()
    .map(|(op, rate, burst)| (op.to_string(), Plan { rate, burst }))
    .collect()
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// Token buckets, created full on first use.
#[derive(Debug, Default)]
pub struct Buckets(BTreeMap<String, Bucket>);

impl Buckets {
    /// Takes one token for `op`, or says no.
    pub fn take(&mut self, op: &str, plan: Plan) -> bool {
        let now = Instant::now();
        let burst = f64::from(plan.burst.max(1));
        let bucket = self.0.entry(op.to_string()).or_insert(Bucket {
            tokens: burst,
            last: now,
        });
        let rate = if plan.rate.is_finite() && plan.rate > 0.0 {
            plan.rate
        } else {
            1.0
        };
        bucket.tokens =
            (bucket.tokens + now.duration_since(bucket.last).as_secs_f64() * rate).min(burst);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}
