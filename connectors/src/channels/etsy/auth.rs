//! Etsy OAuth 2: the shop owner's refresh token traded for a one-hour access token at
//! `POST /v3/public/oauth/token` (`grant_type=refresh_token&client_id=…&refresh_token=…`).
//!
//! Etsy answers every refresh with a new refresh token and the old one stops working, so the
//! newest is written to the durable connector state (scope: the channel id) before its access
//! token is used, and read back after a restart. The configured token is only the seed: the
//! stored one is used while it was rotated from the same seed (a fingerprint of the seed is
//! stored beside it), so a merchant who re-authorises and configures a new seed is not
//! overruled by an old rotation. Secrets never reach a log line or an error.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use switchyard_core::connector_state::ConnectorState;
use switchyard_core::ports::ChannelError;
use tokio::sync::Mutex;

use crate::http::{FreshToken, TokenCache, retry_after, transport};

pub const DEFAULT_TOKEN_URL: &str = "https://api.etsy.com/v3/public/oauth/token";

/// The connector-state key the newest refresh token is kept under.
pub const STATE_KEY: &str = "etsy.refresh_token";

pub struct TokenSource {
    http: reqwest::Client,
    token_url: String,
    client_id: String,
    cache: TokenCache,
    rotation: Mutex<Rotation>,
    state: Arc<dyn ConnectorState>,
    /// The channel id: the state's scope.
    scope: String,
}

struct Rotation {
    /// The newest refresh token Etsy handed out (the configured one until the first refresh).
    refresh_token: String,
    /// Fingerprint of the configured seed the current token descends from.
    seed: String,
    /// The stored token has been looked at (once, before the first refresh).
    loaded: bool,
    refreshes: u64,
}

/// What is stored: the newest token and the seed it was rotated from.
#[derive(Serialize, Deserialize)]
struct Stored {
    seed: String,
    refresh_token: String,
}

fn fingerprint(seed: &str) -> String {
    Sha256::digest(seed.as_bytes())[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
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
    pub fn new(
        http: reqwest::Client,
        token_url: String,
        client_id: String,
        seed: String,
        state: Arc<dyn ConnectorState>,
        scope: &str,
    ) -> Self {
        Self {
            http,
            token_url,
            client_id,
            cache: TokenCache::new(),
            rotation: Mutex::new(Rotation {
                seed: fingerprint(&seed),
                refresh_token: seed,
                loaded: false,
                refreshes: 0,
            }),
            state,
            scope: scope.to_string(),
        }
    }

    /// Takes the stored token when it descends from the configured seed.
    async fn load(&self, rotation: &mut Rotation) -> Result<(), ChannelError> {
        if rotation.loaded {
            return Ok(());
        }
        let stored = self
            .state
            .get(&self.scope, STATE_KEY)
            .await
            .map_err(|e| ChannelError::Transport(e.to_string()))?;
        if let Some(stored) = stored.and_then(|s| serde_json::from_str::<Stored>(&s).ok())
            && stored.seed == rotation.seed
        {
            rotation.refresh_token = stored.refresh_token;
        }
        rotation.loaded = true;
        Ok(())
    }

    /// Stores the token Etsy just rotated to. Etsy has already spent the previous one, so a
    /// failure here is logged and the token kept in memory (stored again at the next refresh).
    async fn store(&self, rotation: &Rotation) {
        let stored = Stored {
            seed: rotation.seed.clone(),
            refresh_token: rotation.refresh_token.clone(),
        };
        let written = match serde_json::to_string(&stored) {
            Ok(text) => self
                .state
                .put(&self.scope, STATE_KEY, &text)
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = written {
            tracing::error!(channel = %self.scope, error = %e,
                "could not store Etsy's rotated refresh token; a restart before the next refresh will need a new one");
        }
    }

    /// A valid access token, from the cache or freshly exchanged.
    pub async fn token(&self) -> Result<String, ChannelError> {
        self.cache
            .get(|| async {
                let mut rotation = self.rotation.lock().await;
                self.load(&mut rotation).await?;
                let fresh = self.exchange(&rotation.refresh_token).await?;
                if let Some(rotated) = fresh.refresh_token.filter(|t| !t.trim().is_empty()) {
                    rotation.refresh_token = rotated;
                    self.store(&rotation).await;
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
