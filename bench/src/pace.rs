//! How a catalog push compares with its floor when the floor is out of reach of one run
//! (Walmart's feeds take hours for a million SKUs, Etsy's daily quota months) or is zero
//! because the channel publishes no limit (core WooCommerce).
//!
//! - A cut-off channel is judged by pace: the SKUs it holds at the cut-off against the most
//!   any client could have set by then under the same limits (the inverse of the floor).
//! - A channel without a published limit is bounded by the server itself; its floor is the
//!   connector alone sending full batches back to back (no daemon, no store), sampled and
//!   extrapolated, the way `ingest` measures a bare server.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use switchyard_core::model::ChannelKind;
use switchyard_core::ports::{Channel, ListingLevel};

use crate::floors::{catalog_floor, max_levels_per_call};
use crate::harness::SimChannel;

/// The most SKUs of a `total`-SKU catalog any client could have set within `seconds`.
pub fn possible_by(kind: ChannelKind, total: u64, seconds: f64) -> u64 {
    if catalog_floor(kind, total).seconds <= seconds {
        return total;
    }
    // The floor grows with the SKU count: the last count whose floor fits in the time.
    let (mut lo, mut hi) = (0_u64, total);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if catalog_floor(kind, mid).seconds <= seconds {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    lo
}

/// Whether the channel publishes no limit that bounds a catalog push (its floor is zero).
pub fn unlimited(kind: ChannelKind, total: u64) -> bool {
    catalog_floor(kind, total).seconds <= 0.0
}

/// Seconds the connector alone needs to send `total` SKUs in full batches, from `sample_calls`
/// calls timed back to back. Writes level 0, which every simulator starts at, so the sample
/// changes nothing the daemon then has to push.
pub async fn server_floor(
    channel: &SimChannel,
    skus: &[String],
    sample_calls: usize,
) -> anyhow::Result<(f64, usize)> {
    let connector: Arc<dyn Channel> = switchyard_connectors::registry::build(
        &channel.config,
        Arc::new(switchyard_core::connector_state::MemoryState::new()),
    )
    .with_context(|| format!("building the {} connector", channel.id()))?;
    let batch = max_levels_per_call(channel.kind).max(1);
    let mut calls = 0;
    let started = Instant::now();
    for chunk in skus.chunks(batch).take(sample_calls.max(1)) {
        let levels: Vec<ListingLevel> = chunk
            .iter()
            .map(|sku| {
                let reference = channel.demo.sim.listing_reference(sku).with_context(|| {
                    format!("the {} simulator has no listing for {sku}", channel.id())
                })?;
                Ok(ListingLevel {
                    sku: sku.clone(),
                    reference,
                    quantity: 0,
                    expected_current: None,
                })
            })
            .collect::<anyhow::Result<_>>()?;
        connector
            .push_stock(&levels)
            .await
            .with_context(|| format!("bare push to {}", channel.id()))?;
        calls += 1;
    }
    let per_call = started.elapsed().as_secs_f64() / calls.max(1) as f64;
    let needed = skus.len().div_ceil(batch);
    Ok((per_call * needed as f64, calls))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn possible_by_inverts_the_floor() {
        // Shopify: 250 per call, 10 points each, 2,000-point bucket, 100 points/s after it.
        // In 10 s: 200 calls from the bucket + 100 more = 300 calls = 75,000 SKUs.
        let n = possible_by(ChannelKind::Shopify, 1_000_000, 10.0);
        assert_eq!(n, 75_000);
        assert!(catalog_floor(ChannelKind::Shopify, n + 250).seconds > 10.0);
        assert_eq!(possible_by(ChannelKind::Shopify, 1_000, 10.0), 1_000);
    }

    #[test]
    fn possible_by_is_zero_before_anything_could_finish() {
        // Etsy reads a listing's inventory before writing it, ten requests a second.
        assert_eq!(possible_by(ChannelKind::Etsy, 1_000_000, 0.0), 0);
        // In one second: one read of 100 and nine writes.
        assert_eq!(possible_by(ChannelKind::Etsy, 1_000_000, 1.0), 9);
    }

    #[test]
    fn woocommerce_is_unlimited_and_etsy_is_not() {
        assert!(unlimited(ChannelKind::Woocommerce, 1_000_000));
        assert!(!unlimited(ChannelKind::Etsy, 1_000_000));
    }
}
