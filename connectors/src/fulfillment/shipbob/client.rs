//! REST client for one ShipBob account: `Authorization: Bearer <PAT>`, `shipbob_channel_id`,
//! paths under `{base}/{version}`, a pace that keeps under the 150-requests-a-minute sliding
//! window, 429s retried after `x-retry-after`, and ShipBob's error bodies (the orders API's
//! validation map `{"Field": ["message"]}`, the inventory API's problem details) read into a
//! [`ChannelError`] the shared retry understands.

use std::time::Duration;

use reqwest::header::{HeaderMap, WWW_AUTHENTICATE};
use reqwest::{Method, Response, StatusCode};
use serde_json::Value;
use switchyard_core::ports::ChannelError;

use crate::http::{RateLimiter, RetryPolicy, client, transport, with_retry};

const CHANNEL_HEADER: &str = "shipbob_channel_id";
const RETRY_AFTER: &str = "x-retry-after";

/// A JSON answer with the headers that page it.
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub headers: HeaderMap,
}

pub struct SbClient {
    http: reqwest::Client,
    /// `{base_url}` without a trailing slash: links ShipBob returns must stay under it.
    origin: String,
    /// `{base_url}/{version}`.
    root: String,
    token: String,
    channel_id: String,
    limiter: RateLimiter,
    retry: RetryPolicy,
}

impl SbClient {
    pub fn new(
        base_url: &str,
        version: &str,
        token: String,
        channel_id: String,
        limiter: RateLimiter,
    ) -> Self {
        let origin = base_url.trim_end_matches('/').to_string();
        Self {
            http: client(),
            root: format!("{origin}/{version}"),
            origin,
            token,
            channel_id,
            limiter,
            retry: RetryPolicy::default(),
        }
    }

    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// GET `{root}/{path}` with retries; a 404 is `Http { status: 404 }`.
    pub async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Answer, ChannelError> {
        let url = format!("{}/{}", self.root, path.trim_start_matches('/'));
        with_retry(&self.retry, path, || async {
            let request = self.request(Method::GET, &url).query(query);
            read(self.send(request).await?, &[]).await
        })
        .await
    }

    /// GET a link ShipBob returned (`next` of a paged answer), refusing one that leaves the
    /// configured host: the token must not be sent anywhere else.
    pub async fn follow(&self, link: &str) -> Result<Answer, ChannelError> {
        let url = if link.starts_with('/') {
            format!("{}{link}", self.origin)
        } else {
            link.to_string()
        };
        let under_origin = url
            .strip_prefix(&self.origin)
            .is_some_and(|rest| rest.starts_with('/'));
        if !under_origin {
            return Err(ChannelError::Decode(format!(
                "ShipBob returned a page link outside {}: {link}",
                self.origin
            )));
        }
        with_retry(&self.retry, "next page", || async {
            read(self.send(self.request(Method::GET, &url)).await?, &[]).await
        })
        .await
    }

    /// One POST of a JSON body, no retry of its own: the caller decides what a repeat means.
    /// Statuses in `keep` come back as answers instead of errors (create's 422 duplicate).
    pub async fn post_once(
        &self,
        path: &str,
        body: Option<&Value>,
        keep: &[u16],
    ) -> Result<Answer, ChannelError> {
        let url = format!("{}/{}", self.root, path.trim_start_matches('/'));
        let mut request = self.request(Method::POST, &url);
        request = match body {
            Some(body) => request.json(body),
            None => request.header(reqwest::header::CONTENT_LENGTH, "0"),
        };
        read(self.send(request).await?, keep).await
    }

    fn request(&self, method: Method, url: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, url)
            .bearer_auth(&self.token)
            .header(CHANNEL_HEADER, &self.channel_id)
            .header(reqwest::header::ACCEPT, "application/json")
    }

    /// Paces and sends; a 429 becomes `RateLimited` carrying `x-retry-after`.
    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Response, ChannelError> {
        self.limiter.acquire(1).await;
        let response = request.send().await.map_err(transport)?;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            return Err(ChannelError::RateLimited {
                retry_after: retry_after(response.headers()),
            });
        }
        Ok(response)
    }
}

/// `x-retry-after`: whole seconds until the window has room again.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let secs: f64 = headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

/// Success (or a kept status) as JSON; anything else as the matching error.
async fn read(response: Response, keep: &[u16]) -> Result<Answer, ChannelError> {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.map_err(transport)?;
    let body = if bytes.iter().all(u8::is_ascii_whitespace) {
        Value::Null
    } else {
        match serde_json::from_slice(&bytes) {
            Ok(v) => v,
            Err(e) if (200..300).contains(&status) => {
                return Err(ChannelError::Decode(format!(
                    "ShipBob answer is not JSON: {e}"
                )));
            }
            Err(_) => Value::String(String::from_utf8_lossy(&bytes).chars().take(500).collect()),
        }
    };
    if (200..300).contains(&status) || keep.contains(&status) {
        return Ok(Answer {
            status,
            body,
            headers,
        });
    }
    let message = error_message(&body);
    Err(match status {
        401 | 403 => {
            let challenge = headers
                .get(WWW_AUTHENTICATE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            ChannelError::Auth(
                format!("ShipBob refused the access token (HTTP {status}) {challenge} {message}")
                    .trim()
                    .to_string(),
            )
        }
        400 | 409 | 422 => ChannelError::Rejected(format!("HTTP {status}: {message}")),
        _ => ChannelError::Http {
            status,
            body: message,
        },
    })
}

/// The human part of a validation map (`{"Field": ["message"]}`) or problem details.
pub fn error_message(body: &Value) -> String {
    match body {
        Value::Object(map) if map.contains_key("title") || map.contains_key("detail") => {
            let text = |k: &str| map.get(k).and_then(Value::as_str).unwrap_or("");
            format!("{} {}", text("title"), text("detail"))
                .trim()
                .to_string()
        }
        Value::Object(map) => map
            .iter()
            .map(|(field, messages)| {
                let messages: Vec<&str> = match messages {
                    Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
                    Value::String(s) => vec![s.as_str()],
                    _ => Vec::new(),
                };
                format!("{field}: {}", messages.join("; "))
            })
            .collect::<Vec<_>>()
            .join(", "),
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_error_shapes_are_read() {
        let validation = json!({"ReferenceId": ["Order with ReferenceId x already exists."]});
        assert_eq!(
            error_message(&validation),
            "ReferenceId: Order with ReferenceId x already exists."
        );
        let problem = json!({"type": "t", "title": "Unauthorized", "status": 401, "detail": "No valid API key provided."});
        assert_eq!(
            error_message(&problem),
            "Unauthorized No valid API key provided."
        );
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "25".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(25)));
        headers.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&headers), None);
    }
}
