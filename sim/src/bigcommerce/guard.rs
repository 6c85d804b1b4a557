//! What runs before every matched route: BigCommerce's `X-Auth-Token` check, then the store's
//! request quota, a fixed window (150 requests / 30 s on Standard plans) reported on every
//! answer with `X-Rate-Limit-*` headers and enforced with 429.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::Shared;

/// The quota window shared by every app on the store.
#[derive(Debug)]
pub struct Window {
    quota: u32,
    length: Duration,
    started: Instant,
    used: u32,
}

/// Where the window stands after one request: `(left, reset in ms)`.
type Standing = (u32, u64);

impl Window {
    pub fn new(quota: u32, length: Duration) -> Self {
        Self {
            quota: quota.max(1),
            length: length.max(Duration::from_millis(1)),
            started: Instant::now(),
            used: 0,
        }
    }

    fn roll(&mut self) {
        let now = Instant::now();
        if now.duration_since(self.started) >= self.length {
            self.started = now;
            self.used = 0;
        }
    }

    fn reset_ms(&self) -> u64 {
        let left = self.length.saturating_sub(self.started.elapsed());
        u64::try_from(left.as_millis()).unwrap_or(u64::MAX).max(1)
    }

    /// Spends one request, or says it is over quota.
    fn take(&mut self) -> Result<Standing, Standing> {
        self.roll();
        if self.used >= self.quota {
            return Err((0, self.reset_ms()));
        }
        self.used += 1;
        Ok((self.quota - self.used, self.reset_ms()))
    }

    /// Spends what is left of the current window, as another app on the store would.
    pub fn exhaust(&mut self) {
        self.roll();
        self.used = self.quota;
    }

    fn headers(&self, response: &mut Response, (left, reset_ms): Standing) {
        let headers = response.headers_mut();
        let mut put = |name: &'static str, value: String| {
            if let Ok(v) = HeaderValue::from_str(&value) {
                headers.insert(name, v);
            }
        };
        put("x-rate-limit-requests-left", left.to_string());
        put("x-rate-limit-requests-quota", self.quota.to_string());
        put("x-rate-limit-time-reset-ms", reset_ms.to_string());
        put(
            "x-rate-limit-time-window-ms",
            self.length.as_millis().to_string(),
        );
    }
}

pub async fn guard(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let v2 = request.uri().path().contains("/v2/");
    let token = request
        .headers()
        .get("x-auth-token")
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    if token != Some(shared.config.access_token.as_str()) {
        return error(
            v2,
            StatusCode::UNAUTHORIZED,
            "You have not been authorized to access this resource.",
        );
    }
    let taken = shared.with_window(Window::take);
    let standing = match taken {
        Ok(standing) => standing,
        Err(standing) => {
            shared.with_store(|s| s.stats.throttled += 1);
            let mut response = error(
                v2,
                StatusCode::TOO_MANY_REQUESTS,
                "Too many requests, the rate limit has been exceeded.",
            );
            shared.with_window(|w| w.headers(&mut response, standing));
            return response;
        }
    };
    shared.with_store(|s| s.stats.requests += 1);
    let mut response = next.run(request).await;
    shared.with_window(|w| w.headers(&mut response, standing));
    response
}

/// V2 errors are a list of `{status, message}`; V3 errors are one problem object.
pub fn error(v2: bool, status: StatusCode, message: &str) -> Response {
    if v2 {
        return (
            status,
            Json(json!([{"status": status.as_u16(), "message": message}])),
        )
            .into_response();
    }
    v3_error(status, message, json!({}))
}

pub fn v3_error(status: StatusCode, title: &str, errors: serde_json::Value) -> Response {
    (
        status,
        Json(json!({
            "status": status.as_u16(),
            "title": title,
            "type": "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes",
            "errors": errors,
        })),
    )
        .into_response()
}

pub fn v2_error(status: StatusCode, message: &str) -> Response {
    error(true, status, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_refuses_past_its_quota_then_resets() {
        let mut w = Window::new(2, Duration::from_millis(30));
        assert_eq!(w.take().map(|s| s.0), Ok(1));
        assert_eq!(w.take().map(|s| s.0), Ok(0));
        assert!(w.take().is_err());
        std::thread::sleep(Duration::from_millis(35));
        assert!(w.take().is_ok());
        w.exhaust();
        assert!(w.take().is_err());
    }
}
