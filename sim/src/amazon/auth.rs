//! Login with Amazon's token endpoint and the access-token check in front of every SP-API call,
//! followed by the operation's usage plan.

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::Shared;
use super::errors::{Refused, refuse, with_rate_header};
use super::limits::Plan;

/// `POST /auth/o2/token` with a form body, `grant_type=refresh_token`.
pub async fn token(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let form = parse_form(&body);
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let lwa_error = |status: StatusCode, error: &str, description: &str| {
        (
            status,
            Json(json!({"error": error, "error_description": description})),
        )
            .into_response()
    };
    if field("grant_type") != "refresh_token" {
        return lwa_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server",
        );
    }
    let config = &shared.config;
    if field("client_id") != config.client_id || field("client_secret") != config.client_secret {
        return lwa_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed",
        );
    }
    if field("refresh_token") != config.refresh_token {
        return lwa_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "The request has an invalid grant parameter : refresh_token",
        );
    }
    let lifetime = config.token_lifetime;
    let token = shared.with_store(|s| {
        let n = s.next();
        s.tokens_issued += 1;
        let token = format!("Atza|sim-access-token-{n}");
        s.tokens.insert(token.clone(), Instant::now() + lifetime);
        token
    });
    Json(json!({
        "access_token": token,
        "refresh_token": config.refresh_token,
        "token_type": "bearer",
        "expires_in": lifetime.as_secs().max(1),
    }))
    .into_response()
}

/// Checks `x-amz-access-token`, then takes a token from `operation`'s bucket, then counts the
/// request. Returns the plan, for the rate header of the answer.
pub fn admit(shared: &Shared, headers: &HeaderMap, operation: &str) -> Result<Plan, Refused> {
    let plan = shared.plan(operation);
    let token = headers
        .get("x-amz-access-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let valid_until = shared.with_store(|s| s.tokens.get(token).copied());
    match valid_until {
        None if token.is_empty() => {
            return Err(refuse(
                403,
                "Unauthorized",
                "Access to requested resource is denied.",
                "",
            ));
        }
        None => {
            return Err(refuse(
                403,
                "Unauthorized",
                "Access to requested resource is denied.",
                "The access token you provided is revoked, malformed or invalid.",
            ));
        }
        Some(until) if Instant::now() >= until => {
            return Err(refuse(
                403,
                "Unauthorized",
                "Access to requested resource is denied.",
                "The access token you provided has expired.",
            ));
        }
        Some(_) => {}
    }
    let admitted = shared.with_store(|s| {
        if s.buckets.take(operation, plan) {
            s.stats.requests += 1;
            *s.requests_by_operation
                .entry(operation.to_string())
                .or_default() += 1;
            true
        } else {
            s.stats.throttled += 1;
            false
        }
    });
    if !admitted {
        let mut response = *refuse(
            429,
            "QuotaExceeded",
            "You exceeded your quota for the requested resource.",
            "",
        );
        with_rate_header(&mut response, plan);
        return Err(Box::new(response));
    }
    Ok(plan)
}

/// `application/x-www-form-urlencoded` pairs (`+` is a space, `%XX` a byte).
pub fn parse_form(body: &[u8]) -> Vec<(String, String)> {
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
