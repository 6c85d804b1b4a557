//! SP-API client for one selling-partner account: access token on every call (refreshed once
//! when Amazon says it expired), a limiter per operation, retries, and Amazon's error body
//! `{"errors": [{"code", "message", "details"}]}` turned into a [`ChannelError`]. Restricted
//! operations (Orders v0 PII) go with a Restricted Data Token from the Tokens API
//! `createRestrictedDataToken`, cached until shortly before it expires.

use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use switchyard_core::ports::ChannelError;

use super::auth::TokenSource;
use super::operations::{Limiters, Operation};
use crate::http::{FreshToken, RetryPolicy, TokenCache, retry_after, transport, with_retry};

/// The restricted resource Switchyard reads PII from: every order's address (Amazon takes the
/// literal `{orderId}` for a token that covers any order).
pub const ADDRESS_RESOURCE: &str = "/orders/v0/orders/{orderId}/address";

/// Header carrying the operation's usage-plan rate (requests per second).
const RATE_LIMIT_HEADER: &str = "x-amzn-ratelimit-limit";
/// Longest wait taken from a rate header: slower operations are paced by their limiter.
const MAX_RATE_WAIT: Duration = Duration::from_secs(60);

pub struct SpApi {
    http: reqwest::Client,
    base: String,
    tokens: TokenSource,
    limiters: Limiters,
    retry: RetryPolicy,
    /// The Restricted Data Token for [`ADDRESS_RESOURCE`].
    address_rdt: TokenCache,
}

/// One request to send: operation (for pacing), method, path under the base URL, query, body.
pub struct Call<'a> {
    pub op: Operation,
    pub method: Method,
    pub path: String,
    pub query: Vec<(&'a str, String)>,
    pub body: Option<&'a Value>,
}

impl<'a> Call<'a> {
    pub fn get(op: Operation, path: String, query: Vec<(&'a str, String)>) -> Self {
        Self {
            op,
            method: Method::GET,
            path,
            query,
            body: None,
        }
    }
}

impl SpApi {
    pub fn new(http: reqwest::Client, base: &str, tokens: TokenSource, limiters: Limiters) -> Self {
        Self {
            http,
            base: base.trim_end_matches('/').to_string(),
            tokens,
            limiters,
            retry: RetryPolicy::default(),
            address_rdt: TokenCache::new(),
        }
    }

    /// Sends a GET of a restricted operation covered by [`ADDRESS_RESOURCE`] with a Restricted
    /// Data Token, with retries; an RDT Amazon refuses is replaced once.
    pub async fn send_restricted(&self, call: &Call<'_>) -> Result<Value, ChannelError> {
        with_retry(&self.retry, call.op.name(), || async {
            let rdt = self.address_rdt.get(|| self.create_rdt()).await?;
            match self.attempt(call, &rdt).await {
                Err(ChannelError::Auth(_)) => {
                    self.address_rdt.invalidate(&rdt).await;
                    let fresh = self.address_rdt.get(|| self.create_rdt()).await?;
                    self.attempt(call, &fresh).await
                }
                other => other,
            }
        })
        .await
    }

    /// Tokens API `createRestrictedDataToken` for `GET` [`ADDRESS_RESOURCE`] (getOrderAddress
    /// takes no `dataElements`).
    async fn create_rdt(&self) -> Result<FreshToken, ChannelError> {
        let body = serde_json::json!({
            "restrictedResources": [{ "method": "GET", "path": ADDRESS_RESOURCE }]
        });
        let call = Call {
            op: Operation::CreateRestrictedDataToken,
            method: Method::POST,
            path: "/tokens/2021-03-01/restrictedDataToken".into(),
            query: Vec::new(),
            body: Some(&body),
        };
        let answer = self.send_once(&call).await?;
        let token = answer
            .get("restrictedDataToken")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ChannelError::Decode("createRestrictedDataToken returned no token".into())
            })?;
        let lifetime = answer
            .get("expiresIn")
            .and_then(Value::as_u64)
            .unwrap_or(3600);
        Ok(FreshToken {
            token: token.to_string(),
            lifetime: Duration::from_secs(lifetime),
        })
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// Sends with retries; only for calls that are safe to repeat.
    pub async fn send(&self, call: &Call<'_>) -> Result<Value, ChannelError> {
        with_retry(&self.retry, call.op.name(), || self.send_once(call)).await
    }

    /// One attempt (plus one more with a fresh token if Amazon says the token expired).
    pub async fn send_once(&self, call: &Call<'_>) -> Result<Value, ChannelError> {
        let token = self.tokens.token().await?;
        match self.attempt(call, &token).await {
            Err(ChannelError::Auth(reason)) if token_expired(&reason) => {
                self.tokens.invalidate(&token).await;
                let fresh = self.tokens.token().await?;
                self.attempt(call, &fresh).await
            }
            other => other,
        }
    }

    async fn attempt(&self, call: &Call<'_>, token: &str) -> Result<Value, ChannelError> {
        self.limiters.acquire(call.op).await;
        let mut request = self
            .http
            .request(call.method.clone(), format!("{}{}", self.base, call.path))
            .header("x-amz-access-token", token)
            .query(&call.query);
        if let Some(body) = call.body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.map_err(transport)?;
        if status.is_success() {
            if bytes.is_empty() {
                return Ok(Value::Null);
            }
            return serde_json::from_slice(&bytes)
                .map_err(|e| ChannelError::Decode(format!("{}: {e}", call.op.name())));
        }
        Err(error_for(call.op, status, &headers, &bytes))
    }
}

/// Amazon's 403 for a lapsed token; other 403s (missing role, wrong seller) are final.
fn token_expired(reason: &str) -> bool {
    let lower = reason.to_ascii_lowercase();
    lower.contains("expired") || lower.contains("invalid access token")
}

fn error_for(op: Operation, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> ChannelError {
    let text = describe_errors(body);
    match status.as_u16() {
        429 => ChannelError::RateLimited {
            retry_after: retry_after(headers).or_else(|| rate_wait(headers)),
        },
        401 | 403 => ChannelError::Auth(format!("{}: {text}", op.name())),
        404 | 408 => ChannelError::Http {
            status: status.as_u16(),
            body: text,
        },
        code @ 400..=499 => ChannelError::Rejected(format!("{} HTTP {code}: {text}", op.name())),
        code => ChannelError::Http {
            status: code,
            body: text,
        },
    }
}

/// The time one request takes to come back under `x-amzn-RateLimit-Limit` (1 / rate).
pub fn rate_wait(headers: &HeaderMap) -> Option<Duration> {
    let rate: f64 = headers
        .get(RATE_LIMIT_HEADER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    (rate.is_finite() && rate > 0.0).then(|| Duration::from_secs_f64(1.0 / rate).min(MAX_RATE_WAIT))
}

/// `code: message (details)` of every error in the body, or the raw body, shortened.
pub fn describe_errors(body: &[u8]) -> String {
    let parsed: Option<Vec<String>> = serde_json::from_slice::<Value>(body).ok().and_then(|v| {
        let errors = v.get("errors")?.as_array()?;
        Some(
            errors
                .iter()
                .map(|e| {
                    let field = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or("");
                    let details = field("details");
                    if details.is_empty() {
                        format!("{}: {}", field("code"), field("message"))
                    } else {
                        format!("{}: {} ({details})", field("code"), field("message"))
                    }
                })
                .collect(),
        )
    });
    match parsed {
        Some(list) if !list.is_empty() => list.join("; "),
        _ => String::from_utf8_lossy(body).chars().take(500).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn throttling_waits_one_request_worth_of_the_plan() {
        let mut h = HeaderMap::new();
        h.insert(RATE_LIMIT_HEADER, HeaderValue::from_static("0.5"));
        assert_eq!(rate_wait(&h), Some(Duration::from_secs(2)));
        h.insert(RATE_LIMIT_HEADER, HeaderValue::from_static("0.0056"));
        assert_eq!(rate_wait(&h), Some(MAX_RATE_WAIT));
        let err = error_for(
            Operation::GetOrder,
            StatusCode::TOO_MANY_REQUESTS,
            &h,
            b"{}",
        );
        assert!(matches!(
            err,
            ChannelError::RateLimited {
                retry_after: Some(_)
            }
        ));
    }

    #[test]
    fn error_bodies_are_summarized_and_classified() {
        let body = br#"{"errors":[{"code":"InvalidInput","message":"Bad date","details":"createdAfter"}]}"#;
        assert_eq!(
            describe_errors(body),
            "InvalidInput: Bad date (createdAfter)"
        );
        let err = error_for(
            Operation::SearchOrders,
            StatusCode::BAD_REQUEST,
            &HeaderMap::new(),
            body,
        );
        assert!(matches!(err, ChannelError::Rejected(m) if m.contains("InvalidInput")));
        let expired = br#"{"errors":[{"code":"Unauthorized","message":"Access to requested resource is denied.","details":"The access token you provided has expired."}]}"#;
        let err = error_for(
            Operation::GetOrder,
            StatusCode::FORBIDDEN,
            &HeaderMap::new(),
            expired,
        );
        assert!(matches!(&err, ChannelError::Auth(m) if token_expired(m)));
        assert!(!token_expired(
            "Unauthorized: Access to requested resource is denied."
        ));
    }
}
