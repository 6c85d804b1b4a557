//! Maps HTTP responses onto [`ChannelError`] so callers decide by kind, not by status code.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::Response;
use reqwest::header::HeaderMap;
use switchyard_core::ports::ChannelError;

/// The wait a channel asked for, from `Retry-After` (seconds or an HTTP date).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let when = DateTime::parse_from_rfc2822(value).ok()?;
    (when.with_timezone(&Utc) - Utc::now()).to_std().ok()
}

/// Passes a successful response through and turns any other into the matching error.
pub async fn check_status(response: Response) -> Result<Response, ChannelError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let wait = retry_after(response.headers());
    let body = response.text().await.unwrap_or_default();
    let body: String = body.chars().take(2000).collect();
    Err(match status.as_u16() {
        429 => ChannelError::RateLimited { retry_after: wait },
        401 | 403 => ChannelError::Auth(body),
        code => ChannelError::Http { status: code, body },
    })
}

/// Transport failures are worth retrying; everything else about a request is a bug or a refusal.
pub fn transport(err: reqwest::Error) -> ChannelError {
    if err.is_decode() {
        ChannelError::Decode(err.to_string())
    } else {
        ChannelError::Transport(err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderValue, RETRY_AFTER};

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("2.5"));
        assert_eq!(retry_after(&h), Some(Duration::from_millis(2500)));
        let later = (Utc::now() + chrono::Duration::seconds(30)).to_rfc2822();
        h.insert(RETRY_AFTER, HeaderValue::from_str(&later).unwrap());
        let d = retry_after(&h).unwrap();
        assert!(
            d > Duration::from_secs(25) && d <= Duration::from_secs(30),
            "{d:?}"
        );
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }
}
