//! What runs before every matched route: the bearer token (a Personal Access Token), then the
//! gateway's limit of 150 requests per minute in a sliding window, reported on every answer
//! with `x-remaining-calls` and enforced with 429 and `x-retry-after` (whole seconds).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use super::Shared;
use super::errors::{too_many, unauthorized};

/// Times of the requests inside the last `length`.
#[derive(Debug)]
pub struct SlidingWindow {
    quota: usize,
    length: Duration,
    sent: VecDeque<Instant>,
}

impl SlidingWindow {
    pub fn new(quota: u32, length: Duration) -> Self {
        Self {
            quota: quota.max(1) as usize,
            length: length.max(Duration::from_millis(1)),
            sent: VecDeque::new(),
        }
    }

    /// Spends one call and says how many are left, or says how many whole seconds until the
    /// oldest call in the window leaves it.
    pub fn take(&mut self, now: Instant) -> Result<usize, u64> {
        self.forget_before(now);
        if self.sent.len() >= self.quota {
            let oldest = self.sent.front().copied().unwrap_or(now);
            let wait = self.length.saturating_sub(now.duration_since(oldest));
            return Err(wait.as_secs_f64().ceil().max(1.0) as u64);
        }
        self.sent.push_back(now);
        Ok(self.quota - self.sent.len())
    }

    fn forget_before(&mut self, now: Instant) {
        while self
            .sent
            .front()
            .is_some_and(|&t| now.duration_since(t) >= self.length)
        {
            self.sent.pop_front();
        }
    }

    /// Fills the window, as another integration of the same user would.
    pub fn exhaust(&mut self, now: Instant) {
        self.forget_before(now);
        while self.sent.len() < self.quota {
            self.sent.push_back(now);
        }
    }
}

pub async fn guard(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let inventory = request.uri().path().contains("/inventory");
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let valid = shared.config.access_token.as_str();
    match token {
        None => return unauthorized(inventory, "Bearer"),
        Some(t) if t == valid && shared.token_expired() => {
            return unauthorized(
                inventory,
                "Bearer error=\"invalid_token\", error_description=\"The token expired\"",
            );
        }
        Some(t) if t != valid => {
            return unauthorized(inventory, "Bearer error=\"invalid_token\"");
        }
        Some(_) => {}
    }
    let taken = shared.with_window(|w| w.take(Instant::now()));
    let left = match taken {
        Ok(left) => left,
        Err(wait) => {
            shared.with_store(|s| s.stats.throttled += 1);
            return too_many(wait);
        }
    };
    shared.with_store(|s| s.stats.requests += 1);
    let mut response = next.run(request).await;
    if let Ok(v) = HeaderValue::from_str(&left.to_string()) {
        response.headers_mut().insert("x-remaining-calls", v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_slides_rather_than_resets() {
        let start = Instant::now();
        let mut w = SlidingWindow::new(2, Duration::from_secs(60));
        assert_eq!(w.take(start), Ok(1));
        assert_eq!(w.take(start + Duration::from_secs(30)), Ok(0));
        // Full: the first call leaves the window 60 s after it was made.
        assert_eq!(w.take(start + Duration::from_secs(45)), Err(15));
        assert_eq!(w.take(start + Duration::from_secs(60)), Ok(0));
        assert_eq!(w.take(start + Duration::from_secs(61)), Err(29));
        w.exhaust(start + Duration::from_secs(200));
        assert!(w.take(start + Duration::from_secs(200)).is_err());
    }
}
