//! The least latency a channel's own published limits allow at a given load, for `oversell`'s
//! `floor_ms`: no client, however clever, can get a sale onto the channel faster. Computed
//! from the simulators' configured defaults (which follow the published limits). Pure
//! arithmetic, so it is unit-tested.
//!
//! The model: changes arrive evenly for `seconds`. A channel admits `burst + rate × seconds`
//! calls in that time. When the fewest calls that can carry the changes fit, the best a client
//! can do is spread its allowance evenly: one call every `seconds / allowance`, so a change
//! waits at most that long. When they do not fit, a backlog builds and the last change waits
//! for it to drain after the run: `(calls − burst) / rate − seconds`. Documented processing
//! time (feeds) is added on top.

use serde::Serialize;
use switchyard_core::model::ChannelKind;
use switchyard_sim::amazon::{AmazonSimConfig, Plan};
use switchyard_sim::bigcommerce::BigCommerceSimConfig;
use switchyard_sim::etsy::EtsySimConfig;
use switchyard_sim::shopify::ShopifySimConfig;
use switchyard_sim::walmart::WalmartSimConfig;
use switchyard_sim::woocommerce::WooSimConfig;

use crate::floors::max_levels_per_call;

/// Shopify charges 10 cost points for a mutation (the simulator's `mutation_cost`).
const SHOPIFY_MUTATION_COST: f64 = 10.0;
/// Etsy reads up to 100 listings' inventory in one call before it writes them one by one.
const ETSY_READ_BATCH: f64 = 100.0;
/// V2 order, its products and its shipping addresses: three GETs per BigCommerce order.
const BIGCOMMERCE_CALLS_PER_ORDER: f64 = 3.0;

/// What one channel had to absorb during a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Load {
    /// How long the changes kept coming.
    pub seconds: f64,
    /// (SKU, level) changes the channel had to receive.
    pub updates: u64,
    /// Distinct SKUs among them (a one-listing-per-call channel must write each at least once).
    pub skus: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LatencyFloor {
    pub ms: f64,
    pub basis: String,
}

/// Least worst-case wait for changes needing `calls` calls through a bucket of `burst` calls
/// refilled at `rate` per second over `seconds` (see the module comment).
pub fn paced_seconds(calls: f64, burst: f64, rate: f64, seconds: f64) -> f64 {
    if !rate.is_finite() || calls <= 0.0 {
        return 0.0;
    }
    if rate <= 0.0 {
        return f64::INFINITY;
    }
    let allowance = burst + rate * seconds;
    if calls > allowance {
        ((calls - burst) / rate - seconds).max(0.0)
    } else if seconds > 0.0 {
        seconds / allowance
    } else {
        0.0
    }
}

fn plan(c: &AmazonSimConfig, op: &str) -> Plan {
    c.rate_limits.get(op).copied().unwrap_or(Plan {
        rate: 1.0,
        burst: 1,
    })
}

/// The floor for pushing stock to `kind` under `load`.
pub fn push_floor(kind: ChannelKind, load: Load) -> LatencyFloor {
    let t = load.seconds;
    let batches = (load.updates as f64 / max_levels_per_call(kind) as f64).ceil();
    let (seconds, basis) = match kind {
        ChannelKind::Shopify => {
            let c = ShopifySimConfig::default();
            let burst = c.bucket_size / SHOPIFY_MUTATION_COST;
            let rate = c.restore_rate / SHOPIFY_MUTATION_COST;
            (
                paced_seconds(batches, burst, rate, t),
                format!(
                    "inventorySetQuantities at {SHOPIFY_MUTATION_COST} points: {burst} calls of bucket, {rate}/s"
                ),
            )
        }
        ChannelKind::Woocommerce => {
            let c = WooSimConfig::default();
            match c.rate_limit_per_second {
                Some(rate) => (
                    paced_seconds(batches, f64::from(c.rate_limit_burst.unwrap_or(1)), rate, t),
                    format!("products/batch at {rate}/s"),
                ),
                None => (0.0, "no rate limit in core WooCommerce".into()),
            }
        }
        ChannelKind::Ebay => (
            0.0,
            "bulk_update_price_quantity of 25; daily quota only".into(),
        ),
        ChannelKind::Bigcommerce => {
            let c = BigCommerceSimConfig::default();
            let window = c.window_ms as f64 / 1000.0;
            let quota = f64::from(c.requests_quota);
            (
                paced_seconds(batches, quota, quota / window, t),
                format!(
                    "absolute adjustments of ≤2000, {} requests per {window} s (shared with order fetches)",
                    c.requests_quota
                ),
            )
        }
        ChannelKind::Amazon => {
            let c = AmazonSimConfig::default();
            let feed = plan(&c, "createFeed");
            let feeds = batches.max(1.0);
            let by_feed = paced_seconds(feeds, f64::from(feed.burst), feed.rate, t)
                + c.feed_processing_delay.as_secs_f64();
            let patch = plan(&c, "patchListingsItem");
            let by_patch = paced_seconds(load.skus as f64, f64::from(patch.burst), patch.rate, t);
            if by_patch < by_feed {
                (
                    by_patch,
                    format!(
                        "patchListingsItem per SKU at {}/s (burst {})",
                        patch.rate, patch.burst
                    ),
                )
            } else {
                (
                    by_feed,
                    format!(
                        "JSON_LISTINGS_FEED: createFeed {}/s (burst {}) + {:.1} s processing",
                        feed.rate,
                        feed.burst,
                        c.feed_processing_delay.as_secs_f64()
                    ),
                )
            }
        }
        ChannelKind::Walmart => {
            let c = WalmartSimConfig::default();
            let submit = c.buckets.feed_submit;
            let by_feed = paced_seconds(
                batches.max(1.0),
                f64::from(submit.capacity),
                1.0 / submit.refill_every.as_secs_f64(),
                t,
            ) + c.feed_processing_delay.as_secs_f64();
            let single = c.buckets.inventory;
            let by_single = paced_seconds(
                load.skus as f64,
                f64::from(single.capacity),
                1.0 / single.refill_every.as_secs_f64(),
                t,
            );
            if by_single < by_feed {
                (
                    by_single,
                    format!(
                        "single PUT /v3/inventory per SKU, {} a minute",
                        single.capacity
                    ),
                )
            } else {
                (
                    by_feed,
                    format!(
                        "inventory feeds: {} per hour + {:.1} s processing",
                        submit.capacity,
                        c.feed_processing_delay.as_secs_f64()
                    ),
                )
            }
        }
        ChannelKind::Etsy => {
            let c = EtsySimConfig::default();
            // Each SKU written at least once, after reading its inventory (100 a call).
            let skus = load.skus as f64;
            let calls = skus + (skus / ETSY_READ_BATCH).ceil();
            let rate = f64::from(c.per_second.max(1));
            (
                paced_seconds(calls, rate, rate, t),
                format!(
                    "{calls} requests (one PUT per listing + reads of 100) at {}/s",
                    c.per_second
                ),
            )
        }
    };
    LatencyFloor {
        ms: round_ms(seconds),
        basis,
    }
}

/// The floor for resolving `orders` thin webhooks placed on `kind` over `seconds`; `None`
/// when the channel's webhooks carry the whole order.
pub fn fetch_floor(kind: ChannelKind, orders: u64, seconds: f64) -> Option<LatencyFloor> {
    let n = orders as f64;
    let (secs, basis) = match kind {
        ChannelKind::Bigcommerce => {
            let c = BigCommerceSimConfig::default();
            let window = c.window_ms as f64 / 1000.0;
            let quota = f64::from(c.requests_quota);
            (
                paced_seconds(
                    n * BIGCOMMERCE_CALLS_PER_ORDER,
                    quota,
                    quota / window,
                    seconds,
                ),
                format!(
                    "{BIGCOMMERCE_CALLS_PER_ORDER} GETs per order, {} requests per {window} s",
                    c.requests_quota
                ),
            )
        }
        ChannelKind::Amazon => {
            let c = AmazonSimConfig::default();
            let get = plan(&c, "getOrder");
            (
                paced_seconds(n, f64::from(get.burst), get.rate, seconds),
                format!("getOrder at {}/s (burst {})", get.rate, get.burst),
            )
        }
        _ => return None,
    };
    Some(LatencyFloor {
        ms: round_ms(secs),
        basis,
    })
}

fn round_ms(seconds: f64) -> f64 {
    if seconds.is_finite() {
        (seconds * 1000.0).round()
    } else {
        f64::MAX
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_allowance_or_drain_the_backlog() {
        // 10 calls in 10 s through 5 + 1/s: one every 10/15 s.
        assert!((paced_seconds(10.0, 5.0, 1.0, 10.0) - 10.0 / 15.0).abs() < 1e-9);
        // 35 calls: 20 more than allowed; the last waits 20 s after the run.
        assert!((paced_seconds(35.0, 5.0, 1.0, 10.0) - 20.0).abs() < 1e-9);
        assert_eq!(paced_seconds(0.0, 5.0, 1.0, 10.0), 0.0);
        assert_eq!(paced_seconds(3.0, 5.0, f64::INFINITY, 10.0), 0.0);
    }

    #[test]
    fn floors_at_a_hundred_orders_a_second() {
        let load = Load {
            seconds: 10.0,
            updates: 1300,
            skus: 730,
        };
        // Shopify: 6 calls of 250 within 200 + 10/s: one every 33 ms.
        assert_eq!(push_floor(ChannelKind::Shopify, load).ms, 33.0);
        assert_eq!(push_floor(ChannelKind::Woocommerce, load).ms, 0.0);
        // Amazon: one feed fits the 15-feed burst (every 0.66 s) + 2 s processing.
        assert_eq!(push_floor(ChannelKind::Amazon, load).ms, 2663.0);
        // Walmart: 10 feeds in the bucket: one every 0.997 s + 0.3 s processing.
        assert_eq!(push_floor(ChannelKind::Walmart, load).ms, 1297.0);
        // Etsy: 730 PUTs + 8 reads at 10/s: 73.8 s of calls, 10 s of it during the run.
        assert_eq!(push_floor(ChannelKind::Etsy, load).ms, 62_800.0);
        // 250 BigCommerce orders × 3 GETs at 150 per 30 s: (750 − 150) / 5 − 10 = 110 s.
        let bc = fetch_floor(ChannelKind::Bigcommerce, 250, 10.0).unwrap();
        assert_eq!(bc.ms, 110_000.0);
        // 250 Amazon orders at getOrder 0.5/s after a burst of 30: 440 − 10 s.
        let amazon = fetch_floor(ChannelKind::Amazon, 250, 10.0).unwrap();
        assert_eq!(amazon.ms, 430_000.0);
        assert!(fetch_floor(ChannelKind::Shopify, 250, 10.0).is_none());
    }
}
