//! Pacing shaped like a channel's own limit: a bucket of `burst` units refilled at `rate`/s.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Jitter, Quota};

pub struct RateLimiter {
    inner: DefaultDirectRateLimiter,
    burst: NonZeroU32,
}

impl RateLimiter {
    /// `rate` units per second, at most `burst` at once (Shopify: cost points; others: calls).
    pub fn new(rate_per_second: f64, burst: u32) -> Self {
        let rate = if rate_per_second.is_finite() && rate_per_second > 0.0 {
            rate_per_second
        } else {
            1.0
        };
        let period = Duration::from_secs_f64(1.0 / rate).max(Duration::from_nanos(1));
        let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(period)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst);
        Self {
            inner: DefaultDirectRateLimiter::direct(quota),
            burst,
        }
    }

    /// Waits until `cost` units are available. A cost above the bucket is clamped to the bucket:
    /// the channel will throttle such a request itself and the retry handles it.
    pub async fn acquire(&self, cost: u32) {
        let n = NonZeroU32::new(cost.clamp(1, self.burst.get())).unwrap_or(NonZeroU32::MIN);
        // `until_n_ready` only fails when n exceeds the burst, which the clamp rules out.
        let _ = self
            .inner
            .until_n_ready_with_jitter(n, Jitter::up_to(Duration::from_millis(5)))
            .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn burst_is_free_then_paced() {
        let limiter = RateLimiter::new(1000.0, 10);
        let start = std::time::Instant::now();
        limiter.acquire(10).await;
        assert!(start.elapsed() < Duration::from_millis(50));
        // Oversized costs are clamped rather than refused.
        limiter.acquire(1_000_000).await;
    }
}
