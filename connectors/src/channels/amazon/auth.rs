//! Login with Amazon: a refresh token traded for an hour-long access token, cached until
//! shortly before it expires. Secrets never reach a log line or an error message.

use std::time::Duration;

use serde::Deserialize;
use switchyard_core::ports::ChannelError;

use crate::http::{FreshToken, TokenCache, transport};

pub const DEFAULT_TOKEN_URL: &str = "https://api.amazon.com/auth/o2/token";

pub struct Credentials {
    pub token_url: String,
    pub client_id: String,
    pub client_secret: String,
    pub refresh_token: String,
}

pub struct TokenSource {
    http: reqwest::Client,
    credentials: Credentials,
    cache: TokenCache,
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
            cache: TokenCache::new(),
        }
    }

    /// A valid access token, from the cache or freshly exchanged.
    pub async fn token(&self) -> Result<String, ChannelError> {
        self.cache.get(|| self.exchange()).await
    }

    /// Drops `rejected` so the next [`TokenSource::token`] exchanges again (unless another
    /// task already replaced it).
    pub async fn invalidate(&self, rejected: &str) {
        self.cache.invalidate(rejected).await;
    }

    async fn exchange(&self) -> Result<FreshToken, ChannelError> {
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
                Ok(FreshToken {
                    token: parsed.access_token,
                    lifetime: Duration::from_secs(parsed.expires_in),
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
