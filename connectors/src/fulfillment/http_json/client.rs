//! Signed requests to an `http_json` supplier: every body carries `X-Switchyard-Signature`,
//! writes carry `Idempotency-Key`, a 429 waits for `Retry-After`, and error bodies
//! `{"error": "...", "field": "..."}` are read into a [`ChannelError`].

use chrono::Utc;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use switchyard_core::ports::ChannelError;

use super::signature;
use crate::http::{RateLimiter, RetryPolicy, client, retry_after, transport, with_retry};

pub struct Answer {
    pub status: u16,
    pub body: Value,
}

pub struct SupplierClient {
    http: reqwest::Client,
    secret: Vec<u8>,
    limiter: RateLimiter,
    retry: RetryPolicy,
}

impl SupplierClient {
    pub fn new(secret: &str, limiter: RateLimiter) -> Self {
        Self {
            http: client(),
            secret: secret.as_bytes().to_vec(),
            limiter,
            retry: RetryPolicy::default(),
        }
    }

    /// POSTs `body` signed, retrying transport failures, 5xx and 429 with the same key (the
    /// supplier dedups on it). Statuses in `keep` are answers, not errors.
    pub async fn post(
        &self,
        url: &str,
        body: &Value,
        idempotency_key: &str,
        keep: &[u16],
    ) -> Result<Answer, ChannelError> {
        let bytes = serde_json::to_vec(body).map_err(|e| ChannelError::Decode(e.to_string()))?;
        with_retry(&self.retry, url, || async {
            // Signed at each attempt: a retry after a long Retry-After must not look like a replay.
            let header = signature::sign(&self.secret, Utc::now().timestamp(), &bytes);
            let request = self
                .http
                .request(Method::POST, url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header("Idempotency-Key", idempotency_key)
                .header(signature::HEADER, header)
                .body(bytes.clone());
            self.send(request, keep).await
        })
        .await
    }

    /// GETs a signed (empty-body) request.
    pub async fn get(&self, url: &str, query: &[(&str, String)]) -> Result<Answer, ChannelError> {
        with_retry(&self.retry, url, || async {
            let header = signature::sign(&self.secret, Utc::now().timestamp(), b"");
            let request = self
                .http
                .request(Method::GET, url)
                .query(query)
                .header(signature::HEADER, header);
            self.send(request, &[]).await
        })
        .await
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        keep: &[u16],
    ) -> Result<Answer, ChannelError> {
        self.limiter.acquire(1).await;
        let response = request
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Err(ChannelError::RateLimited {
                retry_after: retry_after(response.headers()),
            });
        }
        let status = status.as_u16();
        let bytes = response.bytes().await.map_err(transport)?;
        let body = match serde_json::from_slice::<Value>(&bytes) {
            Ok(v) => v,
            Err(_) if bytes.iter().all(u8::is_ascii_whitespace) => Value::Null,
            Err(e) if (200..300).contains(&status) => {
                return Err(ChannelError::Decode(format!(
                    "supplier answer is not JSON: {e}"
                )));
            }
            Err(_) => Value::String(String::from_utf8_lossy(&bytes).chars().take(500).collect()),
        };
        if (200..300).contains(&status) || keep.contains(&status) {
            return Ok(Answer { status, body });
        }
        let message = error_message(&body);
        Err(match status {
            401 | 403 => ChannelError::Auth(format!("HTTP {status}: {message}")),
            400 | 422 => ChannelError::Rejected(format!("HTTP {status}: {message}")),
            _ => ChannelError::Http {
                status,
                body: message,
            },
        })
    }
}

/// `error` (and `field`, when the supplier names one) of an error body.
pub fn error_message(body: &Value) -> String {
    let text = |k: &str| body.get(k).and_then(Value::as_str);
    match (text("error"), text("field")) {
        (Some(error), Some(field)) => format!("{field}: {error}"),
        (Some(error), None) => error.to_string(),
        _ => match body {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        },
    }
}
