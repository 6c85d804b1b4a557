//! API calls and throttles per channel account, for `/metrics`. Connector code stays unaware:
//! [`crate::registry::build`] wraps each connector so every call runs inside a scope that
//! names its account's counters, and [`super::with_retry`] counts each attempt into it.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use switchyard_core::ports::ApiStats;

#[derive(Debug, Default)]
pub struct CallStats {
    calls: AtomicU64,
    throttled: AtomicU64,
}

impl CallStats {
    pub fn snapshot(&self) -> ApiStats {
        ApiStats {
            calls: self.calls.load(Ordering::Relaxed),
            throttled: self.throttled.load(Ordering::Relaxed),
        }
    }
}

tokio::task_local! {
    static CURRENT: Arc<CallStats>;
}

/// Runs `f` with `stats` as the counters its API calls go to.
pub async fn counted<F: Future>(stats: Arc<CallStats>, f: F) -> F::Output {
    CURRENT.scope(stats, f).await
}

pub(crate) fn note_call() {
    let _ = CURRENT.try_with(|s| s.calls.fetch_add(1, Ordering::Relaxed));
}

pub(crate) fn note_throttle() {
    let _ = CURRENT.try_with(|s| s.throttled.fetch_add(1, Ordering::Relaxed));
}
