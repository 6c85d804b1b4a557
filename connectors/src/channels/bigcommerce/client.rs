//! REST client for one BigCommerce store: `X-Auth-Token` auth under `{base}/stores/{hash}`, a
//! pace shaped like the store's quota, BigCommerce's own rate-limit headers obeyed, retries, and
//! its error bodies (V2 `[{"status","message"}]`, V3 `{"status","title","errors"}`) turned into a
//! [`ChannelError`].

use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::header::HeaderMap;
use reqwest::{Method, Response, StatusCode};
use serde_json::Value;
use switchyard_core::ports::ChannelError;

use crate::http::{RateLimiter, RetryPolicy, check_status, client, transport, with_retry};

const REQUESTS_LEFT: &str = "x-rate-limit-requests-left";
const RESET_MS: &str = "x-rate-limit-time-reset-ms";

pub struct BcClient {
    http: reqwest::Client,
    /// `{base_url}/stores/{store_hash}`, without a trailing slash.
    root: String,
    token: String,
    limiter: RateLimiter,
    /// When the last response said the window's quota is spent: no request before this.
    quota_resets_at: Mutex<Option<Instant>>,
    retry: RetryPolicy,
}

impl BcClient {
    pub fn new(base_url: &str, store_hash: &str, token: String, limiter: RateLimiter) -> Self {
        Self {
            http: client(),
            root: format!("{}/stores/{store_hash}", base_url.trim_end_matches('/')),
            token,
            limiter,
            quota_resets_at: Mutex::new(None),
            retry: RetryPolicy::default(),
        }
    }

    /// GET with retries. `Ok(None)` on 404; a V2 list's 204 No Content is `Some(Value::Null)`.
    pub async fn get(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Option<Value>, ChannelError> {
        with_retry(&self.retry, path, || self.get_once(path, query)).await
    }

    /// One GET, no retry: for steps that retry as a whole (check, then create).
    pub async fn get_once(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Option<Value>, ChannelError> {
        let response = self
            .call(self.request(Method::GET, path).query(query))
            .await;
        match response {
            Err(ChannelError::Http { status: 404, .. }) => Ok(None),
            Err(other) => Err(other),
            Ok(response) => read_json(response).await.map(Some),
        }
    }

    /// PUT/POST a JSON body with retries: only for writes that are safe to repeat.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: &Value,
    ) -> Result<Value, ChannelError> {
        with_retry(&self.retry, path, || {
            self.send_once(method.clone(), path, body)
        })
        .await
    }

    pub async fn send_once(
        &self,
        method: Method,
        path: &str,
        body: &Value,
    ) -> Result<Value, ChannelError> {
        let response = self.call(self.request(method, path).json(body)).await?;
        read_json(response).await
    }

    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(
                method,
                format!("{}/{}", self.root, path.trim_start_matches('/')),
            )
            .header("X-Auth-Token", &self.token)
            .header(reqwest::header::ACCEPT, "application/json")
    }

    /// Paces, sends, remembers what the quota headers said, maps failures.
    async fn call(&self, request: reqwest::RequestBuilder) -> Result<Response, ChannelError> {
        self.wait_for_quota().await;
        self.limiter.acquire(1).await;
        let response = request.send().await.map_err(transport)?;
        self.note_quota(response.headers());
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            return Err(ChannelError::RateLimited {
                retry_after: reset_after(response.headers()),
            });
        }
        check_status(response).await.map_err(refine)
    }

    async fn wait_for_quota(&self) {
        let until = *self
            .quota_resets_at
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(until) = until {
            tokio::time::sleep_until(until.into()).await;
        }
    }

    /// A window with no requests left means the next call would be a 429: wait it out instead.
    fn note_quota(&self, headers: &HeaderMap) {
        let left = header_number(headers, REQUESTS_LEFT);
        let mut slot = self
            .quota_resets_at
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        *slot = match (left, reset_after(headers)) {
            (Some(0), Some(wait)) => Some(Instant::now() + wait),
            _ => None,
        };
    }
}

/// `X-Rate-Limit-Time-Reset-Ms`: how long until the window's quota is whole again.
fn reset_after(headers: &HeaderMap) -> Option<Duration> {
    header_number(headers, RESET_MS).map(Duration::from_millis)
}

fn header_number(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// 204 No Content (an empty V2 list) reads as `null`.
async fn read_json(response: Response) -> Result<Value, ChannelError> {
    if response.status() == StatusCode::NO_CONTENT {
        return Ok(Value::Null);
    }
    let bytes = response.bytes().await.map_err(transport)?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| ChannelError::Decode(format!("response is not JSON: {e}")))
}

/// A 4xx other than auth, not-found and timeouts is BigCommerce refusing the request itself
/// (invalid field, unknown variant): sending it again will not help.
fn refine(err: ChannelError) -> ChannelError {
    match err {
        ChannelError::Http { status, body }
            if (400..500).contains(&status) && status != 404 && status != 408 =>
        {
            ChannelError::Rejected(format!("HTTP {status}: {}", error_message(&body)))
        }
        other => other,
    }
}

/// The human part of a V2 (`[{"status", "message"}]`) or V3 (`{"title", "errors"}`) error body.
pub fn error_message(body: &str) -> String {
    let Ok(value) = serde_json::from_str::<Value>(body) else {
        return body.to_string();
    };
    if let Some(first) = value.as_array().and_then(|a| a.first())
        && let Some(message) = first.get("message").and_then(Value::as_str)
    {
        return message.to_string();
    }
    match (
        value.get("title").and_then(Value::as_str),
        value.get("errors"),
    ) {
        (Some(title), Some(errors)) if errors.as_object().is_some_and(|e| !e.is_empty()) => {
            format!("{title} {errors}")
        }
        (Some(title), _) => title.to_string(),
        _ => body.to_string(),
    }
}

/// A V2 list answer: 204 (`null`) is an empty list.
pub fn list<'a>(value: &'a Value, what: &str) -> Result<&'a [Value], ChannelError> {
    match value {
        Value::Null => Ok(&[]),
        Value::Array(items) => Ok(items),
        _ => Err(ChannelError::Decode(format!("{what} is not a JSON array"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_of_both_versions_are_read() {
        let v2 = r#"[{"status":400,"message":"The field 'tracking_number' is invalid."}]"#;
        assert_eq!(error_message(v2), "The field 'tracking_number' is invalid.");
        let v3 = r#"{"status":422,"title":"JSON data is missing or invalid","type":"https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes","errors":{"items.0.variant_id":"unknown"}}"#;
        assert!(error_message(v3).starts_with("JSON data is missing or invalid {"));
        let refused = refine(ChannelError::Http {
            status: 422,
            body: v3.into(),
        });
        assert!(matches!(refused, ChannelError::Rejected(_)));
        assert!(
            refine(ChannelError::Http {
                status: 503,
                body: String::new()
            })
            .is_retryable()
        );
    }

    #[test]
    fn empty_v2_lists_are_empty() {
        assert!(list(&Value::Null, "x").unwrap().is_empty());
        assert_eq!(list(&serde_json::json!([1]), "x").unwrap().len(), 1);
        assert!(list(&serde_json::json!({}), "x").is_err());
    }
}
