//! What the channels' own limits impose, computed from each simulator's configured defaults:
//! the largest stock batch one call may carry, and the least time any client would need to
//! set a whole catalog (calls needed ÷ rate, after the burst, plus documented processing
//! delays). Pure arithmetic, so it is unit-tested.

use serde::Serialize;
use switchyard_core::model::ChannelKind;
use switchyard_sim::amazon::{AmazonSimConfig, Plan};
use switchyard_sim::bigcommerce::BigCommerceSimConfig;
use switchyard_sim::ebay::EbaySimConfig;
use switchyard_sim::etsy::EtsySimConfig;
use switchyard_sim::shopify::ShopifySimConfig;
use switchyard_sim::walmart::WalmartSimConfig;
use switchyard_sim::woocommerce::WooSimConfig;
use switchyard_sim::{amazon, bigcommerce, ebay, etsy, shopify, walmart, woocommerce};

/// Shopify charges 10 cost points for a mutation (the simulator's `mutation_cost`).
const SHOPIFY_MUTATION_COST: f64 = 10.0;
/// Etsy reads up to 100 listings' inventory in one `getListingsInventoryByListingIds` call.
const ETSY_READ_BATCH: u64 = 100;
/// Up to this many SKUs the Amazon connector patches one by one instead of sending a feed.
const AMAZON_PATCH_THRESHOLD: u64 = 20;

/// Stock levels one write call can carry on this channel.
pub fn max_levels_per_call(kind: ChannelKind) -> usize {
    match kind {
        ChannelKind::Shopify => shopify::MAX_STOCK_BATCH,
        ChannelKind::Woocommerce => woocommerce::MAX_STOCK_BATCH,
        ChannelKind::Amazon => amazon::MAX_STOCK_BATCH,
        ChannelKind::Ebay => ebay::MAX_STOCK_BATCH,
        ChannelKind::Walmart => walmart::MAX_STOCK_BATCH,
        ChannelKind::Etsy => etsy::MAX_STOCK_BATCH,
        ChannelKind::Bigcommerce => bigcommerce::MAX_STOCK_BATCH,
    }
}

/// The least time one channel's limits allow for setting `skus` levels, and why.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Floor {
    /// Write calls (and reads a write needs first) at the largest batch.
    pub calls: u64,
    pub seconds: f64,
    pub basis: String,
}

/// Time for `n` calls through a bucket of `burst` refilled at `rate` per second.
fn bucket_seconds(n: u64, burst: f64, rate: f64) -> f64 {
    if rate <= 0.0 {
        return f64::INFINITY;
    }
    ((n as f64 - burst).max(0.0)) / rate
}

fn plan_seconds(n: u64, plan: Plan) -> f64 {
    bucket_seconds(n, f64::from(plan.burst.max(1)), plan.rate)
}

pub fn catalog_floor(kind: ChannelKind, skus: u64) -> Floor {
    let batches = |size: usize| skus.div_ceil(size.max(1) as u64);
    match kind {
        ChannelKind::Shopify => {
            let c = ShopifySimConfig::default();
            let calls = batches(shopify::MAX_STOCK_BATCH);
            let points = calls as f64 * SHOPIFY_MUTATION_COST;
            Floor {
                calls,
                seconds: (points - c.bucket_size).max(0.0) / c.restore_rate,
                basis: format!(
                    "{calls} inventorySetQuantities × {SHOPIFY_MUTATION_COST} points, bucket {} restoring {}/s",
                    c.bucket_size, c.restore_rate
                ),
            }
        }
        ChannelKind::Woocommerce => {
            let c = WooSimConfig::default();
            let calls = batches(woocommerce::MAX_STOCK_BATCH);
            let seconds = match c.rate_limit_per_second {
                Some(rate) => {
                    bucket_seconds(calls, f64::from(c.rate_limit_burst.unwrap_or(1)), rate)
                }
                None => 0.0,
            };
            Floor {
                calls,
                seconds,
                basis: format!("{calls} products/batch calls; no rate limit in core WooCommerce"),
            }
        }
        ChannelKind::Amazon => {
            let c = AmazonSimConfig::default();
            let plan = |op: &str| {
                c.rate_limits.get(op).copied().unwrap_or(Plan {
                    rate: 1.0,
                    burst: 1,
                })
            };
            let feeds = batches(amazon::MAX_STOCK_BATCH);
            // Every feed needs a document, the feed, a status read and its report.
            let feed_path = [
                "createFeedDocument",
                "createFeed",
                "getFeed",
                "getFeedDocument",
            ]
            .iter()
            .map(|op| plan_seconds(feeds, plan(op)))
            .fold(0.0, f64::max)
                + c.feed_processing_delay.as_secs_f64();
            let patch_path = plan_seconds(skus, plan("patchListingsItem"));
            if skus <= AMAZON_PATCH_THRESHOLD && patch_path <= feed_path {
                Floor {
                    calls: skus,
                    seconds: patch_path,
                    basis: format!("{skus} patchListingsItem at 5/s (burst 5)"),
                }
            } else {
                Floor {
                    calls: feeds,
                    seconds: feed_path,
                    basis: format!(
                        "{feeds} JSON_LISTINGS_FEED of ≤{} messages (createFeed 0.0083/s burst 15, getFeedDocument 0.0222/s burst 10) + {:.1} s processing",
                        amazon::MAX_STOCK_BATCH,
                        c.feed_processing_delay.as_secs_f64()
                    ),
                }
            }
        }
        ChannelKind::Ebay => {
            let c = EbaySimConfig::default();
            let calls = batches(ebay::MAX_STOCK_BATCH);
            let seconds = match c.call_quota {
                Some(quota) if calls > quota => {
                    ((calls - 1) / quota.max(1)) as f64 * c.quota_window.as_secs_f64()
                }
                _ => 0.0,
            };
            Floor {
                calls,
                seconds,
                basis: format!(
                    "{calls} bulk_update_price_quantity calls; quota {}",
                    c.call_quota.map_or("none".to_string(), |q| format!(
                        "{q} per {:?}",
                        c.quota_window
                    ))
                ),
            }
        }
        ChannelKind::Walmart => {
            let c = WalmartSimConfig::default();
            let feeds = batches(walmart::MAX_STOCK_BATCH);
            let submit = c.buckets.feed_submit;
            let refill = submit.refill_every.as_secs_f64();
            let feed_path = bucket_seconds(feeds, f64::from(submit.capacity), 1.0 / refill)
                + c.feed_processing_delay.as_secs_f64();
            let single = c.buckets.inventory;
            let single_path = bucket_seconds(
                skus,
                f64::from(single.capacity),
                1.0 / single.refill_every.as_secs_f64(),
            );
            if single_path < feed_path {
                Floor {
                    calls: skus,
                    seconds: single_path,
                    basis: format!(
                        "{skus} single PUT /v3/inventory ({} per minute)",
                        single.capacity
                    ),
                }
            } else {
                Floor {
                    calls: feeds,
                    seconds: feed_path,
                    basis: format!(
                        "{feeds} inventory feeds of ≤{} items ({} per {:.0} s) + {:.1} s processing",
                        walmart::MAX_STOCK_BATCH,
                        submit.capacity,
                        refill * f64::from(submit.capacity),
                        c.feed_processing_delay.as_secs_f64()
                    ),
                }
            }
        }
        ChannelKind::Etsy => {
            let c = EtsySimConfig::default();
            // Read-modify-write: the listings' inventory is read first, 100 a call.
            let calls = skus.div_ceil(ETSY_READ_BATCH) + batches(etsy::MAX_STOCK_BATCH);
            let per_day = u64::from(c.per_day.max(1));
            let full_days = calls.saturating_sub(1) / per_day;
            let rest = calls - full_days * per_day;
            Floor {
                calls,
                seconds: full_days as f64 * 86_400.0 + rest as f64 / f64::from(c.per_second.max(1)),
                basis: format!(
                    "{calls} requests (inventory reads of 100 + one PUT per listing) at {}/s and {} a day",
                    c.per_second, c.per_day
                ),
            }
        }
        ChannelKind::Bigcommerce => {
            let c = BigCommerceSimConfig::default();
            let calls = batches(bigcommerce::MAX_STOCK_BATCH);
            let quota = u64::from(c.requests_quota.max(1));
            let seconds = if calls == 0 {
                0.0
            } else {
                ((calls - 1) / quota) as f64 * c.window_ms as f64 / 1000.0
            };
            Floor {
                calls,
                seconds,
                basis: format!(
                    "{calls} absolute adjustments of ≤{} items, {} requests per {} ms window",
                    bigcommerce::MAX_STOCK_BATCH,
                    c.requests_quota,
                    c.window_ms
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shopify_pays_points_beyond_its_bucket() {
        // 100,000 SKUs: 400 calls × 10 points = 4,000; 2,000 in the bucket, 100/s after.
        let f = catalog_floor(ChannelKind::Shopify, 100_000);
        assert_eq!(f.calls, 400);
        assert!((f.seconds - 20.0).abs() < 1e-9);
    }

    #[test]
    fn etsy_needs_days_for_a_large_catalog() {
        // 100,000 PUTs + 1,000 reads at 10,000 a day: 10 full days and 1,000 requests.
        let f = catalog_floor(ChannelKind::Etsy, 100_000);
        assert_eq!(f.calls, 101_000);
        assert!((f.seconds - (10.0 * 86_400.0 + 100.0)).abs() < 1e-6);
    }

    #[test]
    fn walmart_and_amazon_are_bound_by_feeds() {
        // 1,000,000 SKUs: 100 Walmart feeds, 10 an hour → 90 waits of 6 minutes.
        let w = catalog_floor(ChannelKind::Walmart, 1_000_000);
        assert_eq!(w.calls, 100);
        assert!((w.seconds - (90.0 * 360.0 + 0.3)).abs() < 1e-6);
        // 100,000 SKUs: 4 Amazon feeds, all inside every burst: processing only.
        let a = catalog_floor(ChannelKind::Amazon, 100_000);
        assert_eq!(a.calls, 4);
        assert!((a.seconds - 2.0).abs() < 1e-9);
    }

    #[test]
    fn bigcommerce_waits_whole_windows() {
        let f = catalog_floor(ChannelKind::Bigcommerce, 1_000_000);
        assert_eq!(f.calls, 500);
        assert!((f.seconds - 90.0).abs() < 1e-9);
        assert_eq!(catalog_floor(ChannelKind::Bigcommerce, 100).seconds, 0.0);
    }

    #[test]
    fn batch_sizes_come_from_the_simulators() {
        assert_eq!(max_levels_per_call(ChannelKind::Shopify), 250);
        assert_eq!(max_levels_per_call(ChannelKind::Ebay), 25);
        assert_eq!(max_levels_per_call(ChannelKind::Etsy), 1);
    }
}
