//! Walmart's client-credentials token: `POST /v3/token` with Basic `client_id:client_secret` and
//! `grant_type=client_credentials` gives `{access_token, token_type, expires_in}` (900 s). Every
//! API call sends it as `WM_SEC.ACCESS_TOKEN`. It is cached until shortly before it expires;
//! a 401 on an API call drops it (see [`TokenSource::invalidate`]) so the next call fetches a
//! new one. Neither the secret nor the token is ever logged.

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;
use switchyard_core::ports::ChannelError;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::errors::walmart_error;
use super::throttle::{Api, Throttle, replenish_wait};
use crate::http::{check_status, transport};

/// Walmart's documented lifetime, used when a response leaves `expires_in` out.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(900);
/// Refresh this long before expiry at most (a tenth of the lifetime for short-lived tokens).
const MAX_MARGIN: Duration = Duration::from_secs(60);

pub struct TokenSource {
    token_url: String,
    client_id: String,
    client_secret: String,
    cached: Mutex<Option<Cached>>,
}

#[derive(Clone)]
struct Cached {
    token: String,
    refresh_at: Instant,
}

impl TokenSource {
    pub fn new(token_url: String, client_id: String, client_secret: String) -> Self {
        Self {
            token_url,
            client_id,
            client_secret,
            cached: Mutex::new(None),
        }
    }

    /// A token valid for a while yet, fetched when none is cached or it is about to expire.
    /// Holding the lock while fetching makes concurrent callers share one fetch.
    pub async fn get(
        &self,
        http: &reqwest::Client,
        throttle: &Throttle,
    ) -> Result<String, ChannelError> {
        let mut cached = self.cached.lock().await;
        if let Some(c) = cached.as_ref().filter(|c| c.refresh_at > Instant::now()) {
            return Ok(c.token.clone());
        }
        let (token, lifetime) = self.fetch(http, throttle).await?;
        let margin = (lifetime / 10).min(MAX_MARGIN);
        *cached = Some(Cached {
            token: token.clone(),
            refresh_at: Instant::now() + lifetime.saturating_sub(margin),
        });
        Ok(token)
    }

    /// Forgets `token` after the API refused it (expired early, revoked); a token fetched by
    /// another caller meanwhile is kept.
    pub async fn invalidate(&self, token: &str) {
        let mut cached = self.cached.lock().await;
        if cached.as_ref().is_some_and(|c| c.token == token) {
            *cached = None;
        }
    }

    async fn fetch(
        &self,
        http: &reqwest::Client,
        throttle: &Throttle,
    ) -> Result<(String, Duration), ChannelError> {
        throttle.wait_for(Api::Token).await;
        let response = http
            .request(Method::POST, &self.token_url)
            .basic_auth(&self.client_id, Some(&self.client_secret))
            .header("WM_SVC.NAME", super::client::SERVICE_NAME)
            .header("WM_QOS.CORRELATION_ID", super::client::correlation_id())
            .header(reqwest::header::ACCEPT, "application/json")
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body("grant_type=client_credentials")
            .send()
            .await
            .map_err(transport)?;
        throttle.observe(Api::Token, response.headers());
        let status = response.status().as_u16();
        if matches!(status, 400 | 401 | 403) {
            // A bad client id or secret: retrying will not help.
            let body = response.text().await.unwrap_or_default();
            let why = walmart_error(&body).unwrap_or_else(|| format!("HTTP {status}"));
            return Err(ChannelError::Auth(format!(
                "Walmart refused the client credentials: {why}"
            )));
        }
        if status == 429 {
            return Err(ChannelError::RateLimited {
                retry_after: replenish_wait(response.headers()),
            });
        }
        let body: Value = check_status(response)
            .await?
            .json()
            .await
            .map_err(transport)?;
        let token = body
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ChannelError::Decode("token response has no access_token".into()))?;
        let lifetime = body
            .get("expires_in")
            .and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()))
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_LIFETIME);
        Ok((token.to_string(), lifetime))
    }
}
