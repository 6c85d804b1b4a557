//! An OAuth access token cached until shortly before it expires, shared by every connector that
//! trades credentials for short-lived tokens (Amazon, eBay, Walmart, Etsy). Each connector keeps
//! its own exchange (grants differ); the caching, early refresh and invalidation live here once.

use std::future::Future;
use std::time::{Duration, Instant};

use serde::Deserialize;
use switchyard_core::ports::ChannelError;
use tokio::sync::Mutex;

use super::{retry_after, transport};

/// Refresh this long before expiry so a token does not lapse in flight; a tenth of the lifetime
/// for very short-lived tokens.
const EARLY_REFRESH: Duration = Duration::from_secs(60);

/// A token just issued, with how long the issuer says it lives.
pub struct FreshToken {
    pub token: String,
    pub lifetime: Duration,
}

struct Cached {
    token: String,
    refresh_at: Instant,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: u64,
}

/// The RFC 6749 error body; neither field echoes the credentials.
#[derive(Deserialize)]
struct TokenError {
    error: Option<String>,
    error_description: Option<String>,
}

/// Reads a standard OAuth token-endpoint answer (`{access_token, expires_in}`, or an RFC 6749
/// error). `issuer` names the endpoint and `what` the credential it judged, for the message.
pub async fn read_token_response(
    response: reqwest::Response,
    issuer: &str,
    what: &str,
) -> Result<FreshToken, ChannelError> {
    let status = response.status().as_u16();
    let wait = retry_after(response.headers());
    let body = response.bytes().await.map_err(transport)?;
    match status {
        200 => {
            let parsed: TokenResponse = serde_json::from_slice(&body)
                .map_err(|e| ChannelError::Decode(format!("{issuer} token response: {e}")))?;
            Ok(FreshToken {
                token: parsed.access_token,
                lifetime: Duration::from_secs(parsed.expires_in),
            })
        }
        400 | 401 | 403 => {
            let reason = serde_json::from_slice::<TokenError>(&body)
                .ok()
                .map(|e| {
                    format!(
                        "{}: {}",
                        e.error.unwrap_or_default(),
                        e.error_description.unwrap_or_default()
                    )
                })
                .unwrap_or_else(|| format!("HTTP {status}"));
            Err(ChannelError::Auth(format!(
                "{issuer} refused {what} ({reason})"
            )))
        }
        429 => Err(ChannelError::RateLimited { retry_after: wait }),
        _ => Err(ChannelError::Http {
            status,
            body: String::from_utf8_lossy(&body).chars().take(500).collect(),
        }),
    }
}

#[derive(Default)]
pub struct TokenCache {
    cached: Mutex<Option<Cached>>,
}

impl TokenCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// The cached token, or a fresh one from `exchange`. The lock is held across the exchange,
    /// so concurrent callers share one exchange instead of racing the token endpoint.
    pub async fn get<F, Fut>(&self, exchange: F) -> Result<String, ChannelError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<FreshToken, ChannelError>>,
    {
        let mut cached = self.cached.lock().await;
        if let Some(c) = cached.as_ref().filter(|c| Instant::now() < c.refresh_at) {
            return Ok(c.token.clone());
        }
        let fresh = exchange().await?;
        let early = EARLY_REFRESH.min(fresh.lifetime / 10);
        *cached = Some(Cached {
            token: fresh.token.clone(),
            refresh_at: Instant::now() + fresh.lifetime.saturating_sub(early),
        });
        Ok(fresh.token)
    }

    /// Drops `rejected` so the next [`TokenCache::get`] exchanges again, unless another task
    /// already replaced it.
    pub async fn invalidate(&self, rejected: &str) {
        let mut cached = self.cached.lock().await;
        if cached.as_ref().is_some_and(|c| c.token == rejected) {
            *cached = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn fresh(token: &str, secs: u64) -> Result<FreshToken, ChannelError> {
        Ok(FreshToken {
            token: token.into(),
            lifetime: Duration::from_secs(secs),
        })
    }

    #[tokio::test]
    async fn caches_until_near_expiry_and_refreshes_after_invalidation() {
        let cache = TokenCache::new();
        let exchanges = AtomicUsize::new(0);
        let exchange = || async {
            let n = exchanges.fetch_add(1, Ordering::SeqCst);
            fresh(&format!("t{n}"), 3600)
        };
        assert_eq!(cache.get(exchange).await.unwrap(), "t0");
        assert_eq!(cache.get(exchange).await.unwrap(), "t0");
        // Invalidating a token that was already replaced does nothing.
        cache.invalidate("stale").await;
        assert_eq!(cache.get(exchange).await.unwrap(), "t0");
        cache.invalidate("t0").await;
        assert_eq!(cache.get(exchange).await.unwrap(), "t1");
        assert_eq!(exchanges.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_short_lived_token_is_refreshed_early() {
        let cache = TokenCache::new();
        assert_eq!(cache.get(|| async { fresh("a", 0) }).await.unwrap(), "a");
        assert_eq!(cache.get(|| async { fresh("b", 0) }).await.unwrap(), "b");
    }

    #[tokio::test]
    async fn a_failed_exchange_caches_nothing() {
        let cache = TokenCache::new();
        let err = cache
            .get(|| async { Err(ChannelError::Auth("refused".into())) })
            .await;
        assert!(err.is_err());
        assert_eq!(cache.get(|| async { fresh("ok", 60) }).await.unwrap(), "ok");
    }
}
