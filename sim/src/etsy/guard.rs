//! Etsy's front door: the OAuth token endpoint (refresh grant, rotating refresh tokens), and
//! what runs before every `/v3/application` route: the `x-api-key` check, the Bearer token
//! check (unknown or expired → 401), then the per-second and per-day limits (429 with
//! `retry-after` and none of the limit headers), then the four limit headers on the answer.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::Shared;
use super::store::SELLER_USER_ID;

/// Token and limit state.
pub struct Gate {
    /// Only the newest refresh token works; using it replaces it.
    pub refresh_token: String,
    pub access: HashMap<String, Instant>,
    pub grants: u64,
    counter: u64,
    window_start: Instant,
    in_window: u32,
    /// Requests counted against the day (the simulator's day never rolls over).
    pub day_used: u32,
}

impl Gate {
    pub fn new(seed: String) -> Self {
        Self {
            refresh_token: seed,
            access: HashMap::new(),
            grants: 0,
            counter: 0,
            window_start: Instant::now(),
            in_window: 0,
            day_used: 0,
        }
    }

    fn mint(&mut self, kind: &str) -> String {
        self.counter += 1;
        format!("{SELLER_USER_ID}.sim{kind}{:012x}", self.counter)
    }
}

/// A refusal carried through `Result`s, boxed to keep the `Ok` path small.
pub type Refused = Box<Response>;

pub fn refuse(status: StatusCode, message: &str) -> Refused {
    Box::new(error(status, message))
}

pub fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({"error": message}))).into_response()
}

fn oauth_error(status: StatusCode, code: &str, description: &str) -> Response {
    (
        status,
        axum::Json(json!({"error": code, "error_description": description})),
    )
        .into_response()
}

/// `POST /v3/public/oauth/token` with `grant_type=refresh_token&client_id&refresh_token`.
pub async fn token(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let form = parse_form(&body);
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    if field("grant_type") != "refresh_token" {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant_type must be authorization_code or refresh_token",
        );
    }
    if field("client_id") != shared.config.keystring {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client_id",
        );
    }
    let lifetime = shared.config.token_lifetime;
    let mut gate = shared.gate();
    if field("refresh_token") != gate.refresh_token || gate.refresh_token.is_empty() {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "refresh_token is invalid, expired or already used",
        );
    }
    let access = gate.mint("at");
    let rotated = gate.mint("rt");
    gate.access
        .insert(access.clone(), Instant::now() + lifetime);
    gate.refresh_token = rotated.clone();
    gate.grants += 1;
    axum::Json(json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": lifetime.as_secs_f64().ceil().max(1.0) as u64,
        "refresh_token": rotated,
    }))
    .into_response()
}

pub async fn guard(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    if let Err(refused) = authenticate(&shared, request.headers()) {
        return *refused;
    }
    let limits = {
        let mut gate = shared.gate();
        admit(&shared, &mut gate)
    };
    let (second_left, day_left) = match limits {
        Ok(left) => left,
        Err(retry_after) => {
            shared.count(|s| s.throttled += 1);
            let mut response = error(
                StatusCode::TOO_MANY_REQUESTS,
                "You have exceeded your quota",
            );
            if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
                response.headers_mut().insert("retry-after", v);
            }
            return response;
        }
    };
    shared.count(|s| s.requests += 1);
    let mut response = next.run(request).await;
    let cfg = &shared.config;
    let headers = response.headers_mut();
    for (name, value) in [
        ("x-limit-per-second", cfg.per_second),
        ("x-remaining-this-second", second_left),
        ("x-limit-per-day", cfg.per_day),
        ("x-remaining-today", day_left),
    ] {
        if let Ok(v) = HeaderValue::from_str(&value.to_string()) {
            headers.insert(name, v);
        }
    }
    response
}

fn authenticate(shared: &Shared, headers: &HeaderMap) -> Result<(), Refused> {
    let cfg = &shared.config;
    let api_key = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if api_key.is_empty() {
        return Err(refuse(StatusCode::FORBIDDEN, "Missing x-api-key header"));
    }
    let (keystring, secret) = match api_key.split_once(':') {
        Some((k, s)) => (k, Some(s)),
        None => (api_key, None),
    };
    if keystring != cfg.keystring {
        return Err(refuse(StatusCode::FORBIDDEN, "Invalid API key"));
    }
    if let Some(expected) = cfg.shared_secret.as_deref() {
        match secret {
            None => {
                return Err(refuse(
                    StatusCode::FORBIDDEN,
                    "Shared secret is required in x-api-key header",
                ));
            }
            Some(given) if given != expected => {
                return Err(refuse(StatusCode::FORBIDDEN, "Invalid API key"));
            }
            Some(_) => {}
        }
    }
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or("");
    if bearer.is_empty() {
        return Err(refuse(StatusCode::UNAUTHORIZED, "Missing OAuth token"));
    }
    let expiry = shared.gate().access.get(bearer).copied();
    match expiry {
        None => Err(refuse(StatusCode::UNAUTHORIZED, "invalid_token")),
        Some(at) if Instant::now() >= at => {
            Err(refuse(StatusCode::UNAUTHORIZED, "access token is expired"))
        }
        Some(_) => Ok(()),
    }
}

/// Counts one request against the current wall-clock second and the day; `Err` is the wait
/// in whole seconds.
fn admit(shared: &Shared, gate: &mut Gate) -> Result<(u32, u32), u64> {
    let cfg = &shared.config;
    let now = Instant::now();
    if now.duration_since(gate.window_start) >= Duration::from_secs(1) {
        // Windows stay aligned to whole seconds since the previous window started.
        let elapsed = now.duration_since(gate.window_start).as_secs();
        gate.window_start += Duration::from_secs(elapsed);
        gate.in_window = 0;
    }
    if gate.in_window >= cfg.per_second {
        return Err(1);
    }
    if gate.day_used >= cfg.per_day {
        return Err(2 * 60 * 60);
    }
    gate.in_window += 1;
    gate.day_used += 1;
    Ok((cfg.per_second - gate.in_window, cfg.per_day - gate.day_used))
}

/// `application/x-www-form-urlencoded` pairs (`+` is a space, `%XX` a byte).
pub(super) fn parse_form(body: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(hi), Some(lo)) => {
                    out.push((hi * 16 + lo) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
