//! Walmart's client-credentials token: `POST /v3/token` with Basic `client_id:client_secret` and
//! `grant_type=client_credentials` gives `{access_token, token_type, expires_in}` (900 s). Every
//! API call sends it as `WM_SEC.ACCESS_TOKEN`. It is cached until shortly before it expires;
//! a 401 on an API call drops it (see [`TokenSource::invalidate`]) so the next call fetches a
//! new one. Neither the secret nor the token is ever logged.

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;
use switchyard_core::ports::ChannelError;

use super::errors::walmart_error;
use super::throttle::{Api, Throttle, replenish_wait};
use crate::http::{FreshToken, TokenCache, check_status, transport};

/// Walmart's documented lifetime, used when a response leaves `expires_in` out.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(900);

pub struct TokenSource {
    token_url: String,
    client_id: String,
    client_secret: String,
    cache: TokenCache,
}

impl TokenSource {
    pub fn new(token_url: String, client_id: String, client_secret: String) -> Self {
        Self {
            token_url,
            client_id,
            client_secret,
            cache: TokenCache::new(),
        }
    }

    /// A token valid for a while yet, fetched when none is cached or it is about to expire.
    /// Holding the lock while fetching makes concurrent callers share one fetch.
    pub async fn get(
        &self,
        http: &reqwest::Client,
        throttle: &Throttle,
    ) -> Result<String, ChannelError> {
        self.cache.get(|| self.fetch(http, throttle)).await
    }

    /// Forgets `token` after the API refused it (expired early, revoked); a token fetched by
    /// another caller meanwhile is kept.
    pub async fn invalidate(&self, token: &str) {
        self.cache.invalidate(token).await;
    }

    async fn fetch(
        &self,
        http: &reqwest::Client,
        throttle: &Throttle,
    ) -> Result<FreshToken, ChannelError> {
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
        Ok(FreshToken {
            token: token.to_string(),
            lifetime,
        })
    }
}
