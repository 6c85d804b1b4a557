//! HTTP plumbing every connector shares: one client, pacing, retries, error mapping.

mod errors;
mod limiter;
mod retry;
pub mod standard_webhooks;
mod stats;
mod token_cache;

pub use errors::{check_status, retry_after, transport};
pub use limiter::RateLimiter;
pub use retry::{RetryPolicy, with_retry};
pub use stats::{CallStats, counted};
pub use token_cache::{FreshToken, TokenCache, read_token_response};

use std::time::Duration;

/// A client with the timeouts a daemon needs: a hung channel must not hang a worker.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .user_agent(concat!("switchyard/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(60))
        .pool_idle_timeout(Duration::from_secs(60))
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}
