//! Etsy OAuth 2: the shop owner's refresh token traded for a one-hour access token at
//! `POST /v3/public/oauth/token` (`grant_type=refresh_token&client_id=…&refresh_token=…`).
//!
//! Etsy answers every refresh with a new refresh token and the old one stops working, so the
//! newest is kept in memory and used for the next refresh. The configured token is only the
//! seed: persisting the rotated token (so a restart does not fall back to a spent seed) is
//! future work for the store. Secrets never reach a log line or an error.

use std::time::Duration;

use serde::Deserialize;
use switchyard_core::ports::ChannelError;
use tokio::sync::Mutex;

use crate::http::{FreshToken, TokenCache, retry_after, transport};

pub const DEFAULT_TOKEN_URL: &str = "https://api.etsy.com/v3/public/oauth/token";

pub struct TokenSource {
    http: reqwest::Client,
    token_url: String,
    client_id: String,
    cache: TokenCache,
    rotation: Mutex<Rotation>,
}

struct Rotation {
    /// The newest refresh token Etsy handed out (the configured one until the first refresh).
    refresh_token: String,
    refreshes: u64,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: u64,
    refresh_token: Option<String>,
}

#[derive(Deserialize)]
struct TokenError {
    error: Option<String>,
    error_description: Option<String>,
}

impl TokenSource {
    pub fn new(http: reqwest::Client, token_url: String, client_id: String, seed: String) -> Self {
        Self {
            http,
            token_url,
            client_id,
            cache: TokenCache::new(),
            rotation: Mutex::new(Rotation {
                refresh_token: seed,
                refreshes: 0,
            }),
        }
    }

    /// A valid access token, from the cache or freshly exchanged.
    pub async fn token(&self) -> Result<String, ChannelError> {
        self.cache
            .get(|| async {
                let mut rotation = self.rotation.lock().await;
                let fresh = self.exchange(&rotation.refresh_token).await?;
                if let Some(rotated) = fresh.refresh_token.filter(|t| !t.trim().is_empty()) {
                    rotation.refresh_token = rotated;
                }
                rotation.refreshes += 1;
                Ok(FreshToken {
                    token: fresh.access_token,
                    lifetime: Duration::from_secs(fresh.expires_in),
                })
            })
            .await
    }

    /// Drops `rejected` so the next [`TokenSource::token`] refreshes (unless another task
    /// already replaced it).
    pub async fn invalidate(&self, rejected: &str) {
        self.cache.invalidate(rejected).await;
    }

    /// How many times an access token was obtained (for tests and metrics).
    pub async fn refreshes(&self) -> u64 {
        self.rotation.lock().await.refreshes
    }

    async fn exchange(&self, refresh_token: &str) -> Result<TokenResponse, ChannelError> {
        let form = [
            ("grant_type", "refresh_token"),
            ("client_id", self.client_id.as_str()),
            ("refresh_token", refresh_token),
        ];
        let response = self
            .http
            .post(&self.token_url)
            .form(&form)
            .send()
            .await
            .map_err(transport)?;
        let status = response.status().as_u16();
        let wait = retry_after(response.headers());
        let body = response.bytes().await.map_err(transport)?;
        match status {
            200 => serde_json::from_slice(&body)
                .map_err(|e| ChannelError::Decode(format!("Etsy token response: {e}"))),
            400 | 401 | 403 => {
                // `{error, error_description}`; neither echoes the secrets.
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
                    "Etsy refused the token refresh ({reason})"
                )))
            }
            429 => Err(ChannelError::RateLimited { retry_after: wait }),
            _ => Err(ChannelError::Http {
                status,
                body: String::from_utf8_lossy(&body).chars().take(500).collect(),
            }),
        }
    }
}
