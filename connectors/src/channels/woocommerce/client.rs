//! REST client for one WooCommerce site: Basic auth with the consumer key and secret, a polite
//! pace (core WooCommerce has no limit, hosts often do), retries, and WooCommerce's error body
//! `{"code", "message", "data": {"status"}}` turned into a [`ChannelError`].

use reqwest::header::HeaderMap;
use reqwest::{Method, Response};
use serde_json::Value;
use switchyard_core::ports::ChannelError;

use crate::http::{RateLimiter, RetryPolicy, check_status, client, transport, with_retry};

/// WooCommerce's own API namespace; extensions live beside it under `/wp-json`.
pub const WC: &str = "wc/v3";

pub struct WooClient {
    http: reqwest::Client,
    /// `{site}/wp-json`, without a trailing slash.
    root: String,
    key: String,
    secret: String,
    limiter: RateLimiter,
    retry: RetryPolicy,
}

impl WooClient {
    pub fn new(site: &str, key: String, secret: String, limiter: RateLimiter) -> Self {
        Self {
            http: client(),
            root: format!("{}/wp-json", site.trim_end_matches('/')),
            key,
            secret,
            limiter,
            retry: RetryPolicy::default(),
        }
    }

    /// GET `{root}/{path}` with retries; returns the JSON and the headers (for pagination).
    pub async fn get(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<(Value, HeaderMap), ChannelError> {
        with_retry(&self.retry, path, || self.get_once(path, query)).await
    }

    /// One GET, no retry: for steps that retry as a whole (check, then create).
    pub async fn get_once(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<(Value, HeaderMap), ChannelError> {
        self.limiter.acquire(1).await;
        let response = self.request(Method::GET, path).query(query).send().await;
        let response = self.accept(response).await?;
        let headers = response.headers().clone();
        let body = response.json::<Value>().await.map_err(transport)?;
        Ok((body, headers))
    }

    /// POST/PUT a JSON body with retries. Only for writes that are safe to repeat (absolute
    /// sets); creates go through [`WooClient::send_once`] inside a check-then-create retry.
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
        self.limiter.acquire(1).await;
        let response = self.request(method, path).json(body).send().await;
        self.accept(response)
            .await?
            .json::<Value>()
            .await
            .map_err(transport)
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
            .basic_auth(&self.key, Some(&self.secret))
    }

    async fn accept(
        &self,
        response: Result<Response, reqwest::Error>,
    ) -> Result<Response, ChannelError> {
        let response = response.map_err(transport)?;
        check_status(response).await.map_err(refine)
    }
}

/// A 4xx other than auth, throttling and not-found is WooCommerce refusing the request itself
/// (invalid parameter, too many batch items): sending it again will not help.
fn refine(err: ChannelError) -> ChannelError {
    match err {
        ChannelError::Http { status, body }
            if (400..500).contains(&status) && status != 404 && status != 408 =>
        {
            ChannelError::Rejected(match woo_error(&body) {
                Some((code, message)) => format!("HTTP {status} {code}: {message}"),
                None => format!("HTTP {status}: {body}"),
            })
        }
        other => other,
    }
}

/// `(code, message)` of a WooCommerce/WordPress REST error body.
pub fn woo_error(body: &str) -> Option<(String, String)> {
    let v: Value = serde_json::from_str(body).ok()?;
    let code = v.get("code")?.as_str()?.to_string();
    let message = v
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    Some((code, message))
}

/// True when the site has no such route: the plugin that would serve it is not installed.
pub fn is_no_route(err: &ChannelError) -> bool {
    matches!(err, ChannelError::Http { status: 404, body }
        if woo_error(body).is_some_and(|(code, _)| code == "rest_no_route"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_carry_woocommerces_code_and_message() {
        let body = r#"{"code":"rest_invalid_param","message":"Invalid parameter(s): per_page","data":{"status":400}}"#;
        let err = refine(ChannelError::Http {
            status: 400,
            body: body.into(),
        });
        assert!(
            matches!(&err, ChannelError::Rejected(m) if m.contains("rest_invalid_param")),
            "{err}"
        );
        let missing = ChannelError::Http {
            status: 404,
            body: r#"{"code":"rest_no_route","message":"No route was found matching the URL and request method.","data":{"status":404}}"#.into(),
        };
        assert!(is_no_route(&refine(missing)));
        let retryable = refine(ChannelError::Http {
            status: 503,
            body: String::new(),
        });
        assert!(retryable.is_retryable());
    }
}
