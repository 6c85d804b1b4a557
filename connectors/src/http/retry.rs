//! Retries with exponential backoff and jitter, honoring the wait a channel asks for.

use std::future::Future;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use switchyard_core::ports::ChannelError;

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub max_attempts: usize,
    pub min_delay: Duration,
    pub max_delay: Duration,
    /// A `Retry-After` longer than this is not waited out inside the call: the error goes back
    /// to the caller, which reschedules the work for then and goes on with other work (a spent
    /// daily quota says "come back in hours").
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            min_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(30),
            max_wait: Duration::from_secs(60),
        }
    }
}

/// Runs `op` until it succeeds, fails for good, or runs out of attempts. A 429's `Retry-After`
/// replaces the computed backoff for that attempt; one above `max_wait` ends the call.
pub async fn with_retry<T, F, Fut>(
    policy: &RetryPolicy,
    what: &str,
    op: F,
) -> Result<T, ChannelError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ChannelError>>,
{
    let mut op = op;
    // Every attempt is an API call; every rate-limit answer a throttle (see `stats`).
    let op = move || {
        super::stats::note_call();
        let attempt = op();
        async move {
            let out = attempt.await;
            if matches!(out, Err(ChannelError::RateLimited { .. })) {
                super::stats::note_throttle();
            }
            out
        }
    };
    let backoff = ExponentialBuilder::default()
        .with_min_delay(policy.min_delay)
        .with_max_delay(policy.max_delay)
        .with_max_times(policy.max_attempts.saturating_sub(1))
        .with_jitter();
    op.retry(backoff)
        .sleep(tokio::time::sleep)
        .when(|e| e.is_retryable() && !waits_too_long(e, policy.max_wait))
        .adjust(|err, planned| match err {
            ChannelError::RateLimited {
                retry_after: Some(wait),
            } => Some(*wait),
            _ => planned,
        })
        .notify(|err, wait| tracing::warn!(%err, ?wait, "{what}: retrying"))
        .await
}

fn waits_too_long(e: &ChannelError, max_wait: Duration) -> bool {
    matches!(e, ChannelError::RateLimited { retry_after: Some(wait) } if *wait > max_wait)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn fast() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 4,
            min_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            max_wait: Duration::from_secs(1),
        }
    }

    #[tokio::test]
    async fn retries_transient_errors_then_succeeds() {
        let calls = AtomicUsize::new(0);
        let out = with_retry(&fast(), "t", || async {
            if calls.fetch_add(1, Ordering::SeqCst) < 2 {
                Err(ChannelError::Transport("reset".into()))
            } else {
                Ok(7)
            }
        })
        .await;
        assert_eq!(out.unwrap(), 7);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn does_not_retry_refusals() {
        let calls = AtomicUsize::new(0);
        let out: Result<(), _> = with_retry(&fast(), "t", || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(ChannelError::Rejected("bad sku".into()))
        })
        .await;
        assert!(out.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn waits_as_long_as_retry_after_says() {
        let calls = AtomicUsize::new(0);
        let start = std::time::Instant::now();
        let out = with_retry(&fast(), "t", || async {
            if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                Err(ChannelError::RateLimited {
                    retry_after: Some(Duration::from_millis(120)),
                })
            } else {
                Ok(())
            }
        })
        .await;
        assert!(out.is_ok());
        assert!(start.elapsed() >= Duration::from_millis(120));
    }

    #[tokio::test]
    async fn an_hours_long_retry_after_goes_back_to_the_caller_at_once() {
        let calls = AtomicUsize::new(0);
        let started = std::time::Instant::now();
        let out: Result<(), _> = with_retry(&fast(), "t", || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(ChannelError::RateLimited {
                retry_after: Some(Duration::from_secs(2 * 60 * 60)),
            })
        })
        .await;
        assert!(matches!(
            out,
            Err(ChannelError::RateLimited {
                retry_after: Some(w)
            }) if w == Duration::from_secs(7200)
        ));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}
