//! REST client for one Etsy shop: `x-api-key` plus a Bearer user token (refreshed once when
//! Etsy answers 401), pacing at Etsy's 10 requests a second, retries, the daily budget read
//! from every response, and Etsy's error body `{"error": "..."}` turned into a
//! [`ChannelError`].

use reqwest::{Method, Response};
use serde_json::Value;
use switchyard_core::ports::ChannelError;

use crate::http::{RateLimiter, RetryPolicy, check_status, client, transport, with_retry};

use super::auth::TokenSource;
use super::budget::BudgetTracker;

pub struct EtsyClient {
    channel_id: String,
    http: reqwest::Client,
    /// API root such as `https://openapi.etsy.com`, without a trailing slash.
    root: String,
    /// `x-api-key` value: `keystring:shared_secret` when the secret is configured (Etsy now
    /// refuses a bare keystring on most endpoints), else the keystring.
    api_key: String,
    tokens: TokenSource,
    limiter: RateLimiter,
    budget: BudgetTracker,
    retry: RetryPolicy,
}

impl EtsyClient {
    pub fn new(
        channel_id: &str,
        root: &str,
        api_key: String,
        tokens: TokenSource,
        limiter: RateLimiter,
    ) -> Self {
        Self {
            channel_id: channel_id.to_string(),
            http: client(),
            root: root.trim_end_matches('/').to_string(),
            api_key,
            tokens,
            limiter,
            budget: BudgetTracker::default(),
            retry: RetryPolicy::default(),
        }
    }

    pub fn budget(&self) -> &BudgetTracker {
        &self.budget
    }

    pub fn tokens(&self) -> &TokenSource {
        &self.tokens
    }

    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// GET with retries.
    pub async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Value, ChannelError> {
        with_retry(&self.retry, path, || self.get_once(path, query)).await
    }

    /// One GET, no retry: for steps that retry as a whole (look, then write).
    pub async fn get_once(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Value, ChannelError> {
        let response = self.call(Method::GET, path, query, None).await?;
        read_json(response).await
    }

    /// One PUT/POST of a JSON body, no retry: callers decide whether repeating is safe.
    pub async fn send_once(
        &self,
        method: Method,
        path: &str,
        body: &Value,
    ) -> Result<Value, ChannelError> {
        let response = self.call(method, path, &[], Some(Body::Json(body))).await?;
        read_json(response).await
    }

    /// One POST of an `application/x-www-form-urlencoded` body, no retry: for the operations
    /// Etsy's spec takes only as a form (createReceiptShipment).
    pub async fn send_form_once(
        &self,
        path: &str,
        form: &[(&str, String)],
    ) -> Result<Value, ChannelError> {
        let response = self
            .call(Method::POST, path, &[], Some(Body::Form(form)))
            .await?;
        read_json(response).await
    }

    /// Sends one request; a 401 gets one fresh token and one more try.
    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<Body<'_>>,
    ) -> Result<Response, ChannelError> {
        let mut refreshed = false;
        loop {
            let token = self.tokens.token().await?;
            self.limiter.acquire(1).await;
            let mut request = self
                .http
                .request(method.clone(), format!("{}{}", self.root, path))
                .header("x-api-key", &self.api_key)
                .bearer_auth(&token)
                .query(query);
            request = match body {
                Some(Body::Json(body)) => request.json(body),
                Some(Body::Form(form)) => request.form(form),
                None => request,
            };
            let response = request.send().await.map_err(transport)?;
            self.budget.observe(&self.channel_id, response.headers());
            let unauthorized = response.status().as_u16() == 401;
            match check_status(response).await.map_err(refine) {
                Err(ChannelError::Auth(_)) if unauthorized && !refreshed => {
                    tracing::debug!(path, "Etsy access token rejected; refreshing once");
                    self.tokens.invalidate(&token).await;
                    refreshed = true;
                }
                other => return other,
            }
        }
    }
}

/// A request body in the encoding the operation's spec names.
#[derive(Clone, Copy)]
enum Body<'a> {
    Json(&'a Value),
    Form(&'a [(&'a str, String)]),
}

async fn read_json(response: Response) -> Result<Value, ChannelError> {
    let bytes = response.bytes().await.map_err(transport)?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(&bytes).map_err(|e| ChannelError::Decode(e.to_string()))
}

/// A 4xx other than auth, throttling, not-found and timeout is Etsy refusing the request
/// itself (invalid quantity, missing field): sending it again will not help.
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

/// The `error` of an Etsy error body, or the body itself.
pub fn describe(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| body.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_carry_etsys_error_text() {
        let err = refine(ChannelError::Http {
            status: 400,
            body: r#"{"error":"quantity must be between 0 and 999"}"#.into(),
        });
        assert!(
            matches!(&err, ChannelError::Rejected(m) if m == "HTTP 400: quantity must be between 0 and 999"),
            "{err}"
        );
        let missing = refine(ChannelError::Http {
            status: 404,
            body: String::new(),
        });
        assert!(matches!(missing, ChannelError::Http { status: 404, .. }));
        assert_eq!(describe("<html>"), "<html>");
    }
}
