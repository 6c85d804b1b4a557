//! Calls to the Marketplace API: Walmart's headers on every request (`WM_SEC.ACCESS_TOKEN`,
//! `WM_SVC.NAME`, a fresh `WM_QOS.CORRELATION_ID`), its per-API token buckets, one token refresh
//! and retry when a call is refused with 401, retries with backoff, and Walmart's error body
//! turned into a [`ChannelError`].

use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::{Method, Response, StatusCode};
use serde_json::Value;
use switchyard_core::ports::ChannelError;

use super::auth::TokenSource;
use super::errors::refine;
use super::throttle::{Api, Throttle, replenish_wait};
use crate::http::{
    RateLimiter, RetryPolicy, check_status, client, retry_after, transport, with_retry,
};

/// `WM_SVC.NAME` as Walmart's examples send it.
pub const SERVICE_NAME: &str = "Walmart Marketplace";

/// A new id per request, so Walmart support can find one call.
pub fn correlation_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub struct WalmartClient {
    http: reqwest::Client,
    /// API root without a trailing slash.
    base: String,
    token: TokenSource,
    throttle: Throttle,
    /// Our own pace on top of Walmart's buckets (configurable per channel).
    limiter: RateLimiter,
    retry: RetryPolicy,
}

impl WalmartClient {
    pub fn new(base: &str, token: TokenSource, limiter: RateLimiter) -> Self {
        Self {
            http: client(),
            base: base.trim_end_matches('/').to_string(),
            token,
            throttle: Throttle::default(),
            limiter,
            retry: RetryPolicy::default(),
        }
    }

    /// A call with retries; `path_and_query` starts with `/v3/`. Only for reads and writes that
    /// are safe to repeat.
    pub async fn call(
        &self,
        api: Api,
        method: Method,
        path_and_query: &str,
        body: Option<&Value>,
    ) -> Result<Value, ChannelError> {
        self.call_with(
            api,
            method,
            path_and_query,
            body.map_or(Payload::None, Payload::Json),
        )
        .await
    }

    /// [`Self::call`] with any payload (feeds go up as a multipart `file` part).
    pub async fn call_with(
        &self,
        api: Api,
        method: Method,
        path_and_query: &str,
        payload: Payload<'_>,
    ) -> Result<Value, ChannelError> {
        with_retry(&self.retry, path_and_query, || {
            self.call_once_with(api, method.clone(), path_and_query, payload)
        })
        .await
    }

    /// One call (plus one retry with a new token after a 401), no other retry: for writes that
    /// must not be repeated blindly.
    pub async fn call_once(
        &self,
        api: Api,
        method: Method,
        path_and_query: &str,
        body: Option<&Value>,
    ) -> Result<Value, ChannelError> {
        self.call_once_with(
            api,
            method,
            path_and_query,
            body.map_or(Payload::None, Payload::Json),
        )
        .await
    }

    async fn call_once_with(
        &self,
        api: Api,
        method: Method,
        path_and_query: &str,
        body: Payload<'_>,
    ) -> Result<Value, ChannelError> {
        let token = self.token.get(&self.http, &self.throttle).await?;
        let mut response = self
            .send(api, method.clone(), path_and_query, body, &token)
            .await?;
        if response.status() == StatusCode::UNAUTHORIZED {
            // Expired or revoked before our clock said so: one new token, one more try.
            self.token.invalidate(&token).await;
            let token = self.token.get(&self.http, &self.throttle).await?;
            response = self.send(api, method, path_and_query, body, &token).await?;
        }
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            let wait =
                replenish_wait(response.headers()).or_else(|| retry_after(response.headers()));
            return Err(ChannelError::RateLimited { retry_after: wait });
        }
        let response = check_status(response).await.map_err(refine)?;
        let text = response.text().await.map_err(transport)?;
        if text.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text)
            .map_err(|e| ChannelError::Decode(format!("{path_and_query}: not JSON: {e}")))
    }

    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    async fn send(
        &self,
        api: Api,
        method: Method,
        path_and_query: &str,
        body: Payload<'_>,
        token: &str,
    ) -> Result<Response, ChannelError> {
        self.throttle.wait_for(api).await;
        self.limiter.acquire(1).await;
        let mut request = self
            .http
            .request(method, format!("{}{path_and_query}", self.base))
            .header("WM_SEC.ACCESS_TOKEN", token)
            .header("WM_SVC.NAME", SERVICE_NAME)
            .header("WM_QOS.CORRELATION_ID", correlation_id())
            .header(ACCEPT, "application/json");
        match body {
            Payload::None => {}
            Payload::Json(body) => {
                request = request.header(CONTENT_TYPE, "application/json").json(body);
            }
            Payload::File(bytes) => {
                // Walmart's feed upload: `multipart/form-data` with the feed as the `file` part
                // (reqwest sets the boundary in the content type).
                let part = reqwest::multipart::Part::bytes(bytes.to_vec())
                    .file_name("feed.json")
                    .mime_str("application/json")
                    .map_err(|e| ChannelError::Decode(format!("feed part: {e}")))?;
                request = request.multipart(reqwest::multipart::Form::new().part("file", part));
            }
        }
        let response = request.send().await.map_err(transport)?;
        self.throttle.observe(api, response.headers());
        Ok(response)
    }
}

/// What a request carries.
#[derive(Debug, Clone, Copy)]
pub enum Payload<'a> {
    None,
    /// A JSON body (`application/json`).
    Json(&'a Value),
    /// A feed file, sent as the `file` part of a `multipart/form-data` body.
    File(&'a [u8]),
}

/// Percent-encodes a path segment or query value (ids may carry `@`, SKUs spaces or `/`).
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_what_a_url_cannot_carry() {
        assert_eq!(encode("ABC-1_2.x~"), "ABC-1_2.x~");
        assert_eq!(encode("FE1@AUoB A/b"), "FE1%40AUoB%20A%2Fb");
    }

    #[test]
    fn correlation_ids_are_fresh() {
        assert_ne!(correlation_id(), correlation_id());
        assert_eq!(correlation_id().len(), 36);
    }
}
