//! REST client for one eBay seller account: Bearer user token (refreshed once when eBay says
//! it expired), pacing, retries, and eBay's error body
//! `{"errors": [{"errorId", "domain", "category", "message"}]}` turned into a [`ChannelError`].

use reqwest::{Method, Response};
use serde_json::Value;
use switchyard_core::ports::ChannelError;

use crate::http::{RateLimiter, RetryPolicy, check_status, client, transport, with_retry};

use super::auth::TokenSource;

/// The marketplace Post-Order calls name (`X-EBAY-C-MARKETPLACE-ID`).
pub const POST_ORDER_MARKETPLACE: &str = "EBAY_US";

/// eBay's `errorId` for an access token that is invalid or expired.
const INVALID_ACCESS_TOKEN: u64 = 1001;

pub struct EbayClient {
    http: reqwest::Client,
    /// API root such as `https://api.ebay.com`, without a trailing slash.
    root: String,
    tokens: TokenSource,
    limiter: RateLimiter,
    retry: RetryPolicy,
}

impl EbayClient {
    pub fn new(root: &str, tokens: TokenSource, limiter: RateLimiter) -> Self {
        Self {
            http: client(),
            root: root.trim_end_matches('/').to_string(),
            tokens,
            limiter,
            retry: RetryPolicy::default(),
        }
    }

    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// GET with retries.
    pub async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Value, ChannelError> {
        with_retry(&self.retry, path, || self.get_once(path, query)).await
    }

    /// One GET, no retry: for steps that retry as a whole (look, then create).
    pub async fn get_once(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Value, ChannelError> {
        let response = self.call(Method::GET, path, query, None).await?;
        read_json(response).await
    }

    /// POST a JSON body with retries; only for writes that are safe to repeat (absolute sets).
    pub async fn post(&self, path: &str, body: &Value) -> Result<Value, ChannelError> {
        with_retry(&self.retry, path, || self.post_once(path, body)).await
    }

    pub async fn post_once(&self, path: &str, body: &Value) -> Result<Value, ChannelError> {
        let response = self.call(Method::POST, path, &[], Some(body)).await?;
        read_json(response).await
    }

    /// One Post-Order API call (`/post-order/v2/...`): the same OAuth user token, presented as
    /// `Authorization: IAF <token>` with `X-EBAY-C-MARKETPLACE-ID`, as that API's "HTTP request
    /// headers" page asks (<https://developer.ebay.com/devzone/post-order/concepts/MakingACall.html>).
    pub async fn post_order_once(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Value, ChannelError> {
        let response = self.send(method, path, query, body, true).await?;
        read_json(response).await
    }

    /// Sends one request; a 401 for an expired token gets one fresh token and one more try.
    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Response, ChannelError> {
        self.send(method, path, query, body, false).await
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
        post_order: bool,
    ) -> Result<Response, ChannelError> {
        let mut refreshed = false;
        loop {
            self.limiter.acquire(1).await;
            let token = self.tokens.token().await?;
            let mut request = self
                .http
                .request(method.clone(), format!("{}{}", self.root, path))
                .query(query);
            request = if post_order {
                request
                    .header(reqwest::header::AUTHORIZATION, format!("IAF {token}"))
                    .header("X-EBAY-C-MARKETPLACE-ID", POST_ORDER_MARKETPLACE)
            } else {
                request.bearer_auth(&token)
            };
            if let Some(body) = body {
                request = request.json(body);
            }
            let response = request.send().await.map_err(transport)?;
            match check_status(response).await.map_err(refine) {
                Err(ChannelError::Auth(body)) if !refreshed && is_expired_token(&body) => {
                    tracing::debug!(path, "eBay access token rejected; refreshing once");
                    self.tokens.invalidate(&token).await;
                    refreshed = true;
                }
                other => return other,
            }
        }
    }
}

/// eBay answers some writes (a created shipping fulfillment) with an empty body.
async fn read_json(response: Response) -> Result<Value, ChannelError> {
    let bytes = response.bytes().await.map_err(transport)?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(&bytes).map_err(|e| ChannelError::Decode(e.to_string()))
}

fn is_expired_token(body: &str) -> bool {
    errors(body)
        .iter()
        .any(|e| e.get("errorId").and_then(Value::as_u64) == Some(INVALID_ACCESS_TOKEN))
}

/// A 4xx other than auth, throttling, not-found and timeout is eBay refusing the request
/// itself (invalid field, too many requests in a bulk call): sending it again will not help.
fn refine(err: ChannelError) -> ChannelError {
    match err {
        ChannelError::Http { status, body }
            if (400..500).contains(&status) && status != 404 && status != 408 =>
        {
            ChannelError::Rejected(format!("HTTP {status}: {}", describe(&body)))
        }
        other => other,
    }
}

/// `errors[]` of an eBay error body, empty when the body is something else.
pub fn errors(body: &str) -> Vec<Value> {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("errors").and_then(Value::as_array).cloned())
        .unwrap_or_default()
}

/// `"{errorId} {domain}: {message}; …"` of an eBay error body, or the body itself.
pub fn describe(body: &str) -> String {
    let list = errors(body);
    if list.is_empty() {
        return body.to_string();
    }
    describe_errors(&list)
}

pub fn describe_errors(list: &[Value]) -> String {
    list.iter()
        .map(|e| {
            format!(
                "{} {}: {}",
                e.get("errorId").map(Value::to_string).unwrap_or_default(),
                e.get("domain").and_then(Value::as_str).unwrap_or(""),
                e.get("message").and_then(Value::as_str).unwrap_or("")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expired_tokens_are_told_apart_from_other_refusals() {
        let expired = r#"{"errors":[{"errorId":1001,"domain":"OAuth","category":"REQUEST","message":"Invalid access token"}]}"#;
        assert!(is_expired_token(expired));
        let scope = r#"{"errors":[{"errorId":1100,"domain":"ACCESS","category":"REQUEST","message":"Access denied"}]}"#;
        assert!(!is_expired_token(scope));
        assert!(!is_expired_token("<html>"));
    }

    #[test]
    fn refusals_carry_ebays_error_id_and_message() {
        let body = r#"{"errors":[{"errorId":25001,"domain":"API_INVENTORY","category":"REQUEST","message":"Invalid quantity"}]}"#;
        let err = refine(ChannelError::Http {
            status: 400,
            body: body.into(),
        });
        assert!(
            matches!(&err, ChannelError::Rejected(m) if m.contains("25001 API_INVENTORY: Invalid quantity")),
            "{err}"
        );
        let missing = refine(ChannelError::Http {
            status: 404,
            body: String::new(),
        });
        assert!(matches!(missing, ChannelError::Http { status: 404, .. }));
    }
}
