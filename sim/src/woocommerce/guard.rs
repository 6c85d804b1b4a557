//! What runs before every matched route: the host's rate limit (core WooCommerce has none;
//! hosts and proxies answer 429 with `Retry-After`), a storm of 429s when a test asks for one
//! (an overloaded host refusing most calls for a while), then WooCommerce's consumer key check.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::Shared;
use super::errors::{Refused, wp_error};

/// A token bucket: `burst` requests at once, refilled at `rate` per second.
#[derive(Debug)]
pub struct Bucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    pub fn new(rate: f64, burst: u32) -> Self {
        let burst = f64::from(burst.max(1));
        Self {
            rate: if rate.is_finite() && rate > 0.0 {
                rate
            } else {
                1.0
            },
            burst,
            tokens: burst,
            last: Instant::now(),
        }
    }

    /// Takes a token, or says how many whole seconds until one is there.
    fn take(&mut self) -> Result<(), u64> {
        let now = Instant::now();
        let elapsed = now.duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err((((1.0 - self.tokens) / self.rate).ceil() as u64).max(1))
        }
    }
}

/// A host refusing calls for a while whatever their rate: of every `of_every` calls that pass
/// the rate limit, the first `refuse` are answered 429 with `Retry-After: retry_after_secs`.
/// Counting calls (not drawing lots) keeps a test's storm the same on every run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Storm {
    pub refuse: u32,
    pub of_every: u32,
    pub retry_after_secs: u64,
}

/// A storm in progress and the calls it has seen.
#[derive(Debug)]
pub struct StormState {
    storm: Storm,
    seen: u64,
}

impl StormState {
    pub fn new(storm: Storm) -> Self {
        Self { storm, seen: 0 }
    }

    /// Whether this call is refused.
    fn refuses(&mut self) -> bool {
        let position = self.seen % u64::from(self.storm.of_every.max(1));
        self.seen += 1;
        position < u64::from(self.storm.refuse)
    }
}

/// Calls the site answered 429, by why.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Refusals {
    /// Over the host's rate limit: the client went faster than the site allows.
    pub over_limit: u64,
    /// Refused by a storm, whatever the rate.
    pub storm: u64,
}

fn too_many(wait: u64) -> Response {
    let mut response = wp_error(429, "too_many_requests", "Too many requests, slow down.");
    if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    response
}

pub async fn guard(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let throttled = shared
        .bucket
        .lock()
        .ok()
        .and_then(|mut b| b.as_mut().map(Bucket::take))
        .and_then(Result::err);
    if let Some(wait) = throttled {
        shared.with_store(|s| {
            s.stats.throttled += 1;
            s.refusals.over_limit += 1;
        });
        return too_many(wait);
    }
    let storm = shared
        .storm
        .lock()
        .ok()
        .and_then(|mut s| s.as_mut().and_then(|s| s.refuses().then_some(s.storm)));
    if let Some(storm) = storm {
        shared.with_store(|s| {
            s.stats.throttled += 1;
            s.refusals.storm += 1;
        });
        return too_many(storm.retry_after_secs);
    }
    if let Err(response) = authenticate(&shared, &request) {
        return *response;
    }
    shared.with_store(|s| s.stats.requests += 1);
    next.run(request).await
}

/// Basic auth (`consumer_key:consumer_secret`) or the `consumer_key`/`consumer_secret` query
/// parameters, as WooCommerce accepts over HTTPS.
fn authenticate(shared: &Shared, request: &Request) -> Result<(), Refused> {
    let from_header = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b.trim()).ok())
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|text| {
            text.split_once(':')
                .map(|(k, s)| (k.to_string(), s.to_string()))
        });
    let from_query = || {
        let query = request.uri().query()?;
        let pairs: Vec<(String, String)> = serde_urlencoded_pairs(query);
        let find = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        Some((find("consumer_key")?, find("consumer_secret")?))
    };
    let Some((key, secret)) = from_header.or_else(from_query) else {
        return Err(Box::new(missing_credentials(request)));
    };
    let config = &shared.config;
    if key != config.consumer_key {
        return Err(Box::new(wp_error(
            401,
            "woocommerce_rest_authentication_error",
            "Consumer key is invalid.",
        )));
    }
    if secret != config.consumer_secret {
        return Err(Box::new(wp_error(
            401,
            "woocommerce_rest_authentication_error",
            "Consumer secret is invalid.",
        )));
    }
    Ok(())
}

/// Without credentials the request is anonymous and the route's permission check refuses it.
fn missing_credentials(request: &Request) -> Response {
    let path = request.uri().path();
    let (code, message) = match *request.method() {
        Method::GET if path.chars().last().is_some_and(|c| c.is_ascii_digit()) => (
            "woocommerce_rest_cannot_view",
            "Sorry, you cannot view this resource.",
        ),
        Method::GET => (
            "woocommerce_rest_cannot_view",
            "Sorry, you cannot list resources.",
        ),
        Method::POST if path.ends_with("/batch") => (
            "woocommerce_rest_cannot_batch",
            "Sorry, you are not allowed to batch manipulate this resource.",
        ),
        Method::POST => (
            "woocommerce_rest_cannot_create",
            "Sorry, you are not allowed to create resources.",
        ),
        _ => (
            "woocommerce_rest_cannot_edit",
            "Sorry, you are not allowed to edit this resource.",
        ),
    };
    wp_error(401, code, message)
}

/// `a=1&b=x%20y` → pairs, percent- and plus-decoded.
pub fn serde_urlencoded_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(
                    std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"),
                    16,
                ) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_pairs_are_decoded() {
        let pairs = serde_urlencoded_pairs("sku=A%2CB&x=a+b&z=%zz&end=%4");
        assert_eq!(pairs[0], ("sku".into(), "A,B".into()));
        assert_eq!(pairs[1].1, "a b");
        assert_eq!(pairs[2].1, "%zz");
        assert_eq!(pairs[3].1, "%4");
    }

    #[test]
    fn a_storm_refuses_its_share_of_every_round() {
        let mut s = StormState::new(Storm {
            refuse: 2,
            of_every: 3,
            retry_after_secs: 1,
        });
        let got: Vec<bool> = (0..7).map(|_| s.refuses()).collect();
        assert_eq!(got, [true, true, false, true, true, false, true]);
    }

    #[test]
    fn bucket_refuses_past_its_burst() {
        let mut b = Bucket::new(1.0, 2);
        assert!(b.take().is_ok());
        assert!(b.take().is_ok());
        assert_eq!(b.take(), Err(1));
    }
}
