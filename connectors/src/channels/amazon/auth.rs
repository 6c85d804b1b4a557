//! Login with Amazon: a refresh token traded for an hour-long access token, cached until
//! shortly before it expires. Secrets never reach a log line or an error message.

use std::time::{Duration, Instant};

use serde::Deserialize;
use switchyard_core::ports::ChannelError;
use tokio::sync::Mutex;

use crate::http::transport;

pub const DEFAULT_TOKEN_URL: &str = "https://api.amazon.com/auth/o2/token";

/// Refresh this long before expiry, so a token does not lapse in flight; a tenth of the
/// lifetime for very short-lived tokens.
const EARLY_REFRESH: Duration = Duration::from_secs(60);

pub struct Credentials {
    pub token_url: String,
    pub client_id: String,
    pub client_secret: String,
    pub refresh_token: String,
}

struct Cached {
    token: String,
    refresh_at: Instant,
}

pub struct TokenSource {
    http: reqwest::Client,
    credentials: Credentials,
    cached: Mutex<Option<Cached>>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: u64,
}

#[derive(Deserialize)]
struct TokenError {
    error: Option<String>,
    error_description: Option<String>,
}

impl TokenSource {
    pub fn new(http: reqwest::Client, credentials: Credentials) -> Self {
        Self {
            http,
            credentials,
            cached: Mutex::new(None),
        }
    }

    /// A valid access token, from the cache or freshly exchanged.
    pub async fn token(&self) -> Result<String, ChannelError> {
        let mut cached = self.cached.lock().await;
        if let Some(c) = cached.as_ref().filter(|c| Instant::now() < c.refresh_at) {
            return Ok(c.token.clone());
        }
        let fresh = self.exchange().await?;
        let token = fresh.token.clone();
        *cached = Some(fresh);
        Ok(token)
    }

    /// Drops `rejected` so the next [`TokenSource::token`] exchanges again (unless another
    /// task already replaced it).
    pub async fn invalidate(&self, rejected: &str) {
        let mut cached = self.cached.lock().await;
        if cached.as_ref().is_some_and(|c| c.token == rejected) {
            *cached = None;
        }
    }

    async fn exchange(&self) -> Result<Cached, ChannelError> {
        let c = &self.credentials;
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", c.refresh_token.as_str()),
            ("client_id", c.client_id.as_str()),
            ("client_secret", c.client_secret.as_str()),
        ];
        let response = self
            .http
            .post(&c.token_url)
            .form(&form)
            .send()
            .await
            .map_err(transport)?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(transport)?;
        match status {
            200 => {
                let parsed: TokenResponse = serde_json::from_slice(&body).map_err(|e| {
                    ChannelError::Decode(format!("Login with Amazon token response: {e}"))
                })?;
                let lifetime = Duration::from_secs(parsed.expires_in);
                let early = EARLY_REFRESH.min(lifetime / 10);
                Ok(Cached {
                    token: parsed.access_token,
                    refresh_at: Instant::now() + lifetime.saturating_sub(early),
                })
            }
            400 | 401 | 403 => {
                // LWA answers `{error, error_description}`; neither echoes the secrets.
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
                    "Login with Amazon refused the refresh token ({reason})"
                )))
            }
            429 => Err(ChannelError::RateLimited { retry_after: None }),
            _ => Err(ChannelError::Http {
                status,
                body: String::from_utf8_lossy(&body).chars().take(500).collect(),
            }),
        }
    }
}
