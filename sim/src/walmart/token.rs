//! `POST /v3/token`: Basic `client_id:client_secret`, form `grant_type=client_credentials` →
//! `{"access_token", "token_type": "Bearer", "expires_in"}`.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::Rng;
use serde_json::json;
use tokio::time::Instant;

use super::Shared;
use super::buckets::Api;
use super::errors::{unauthorized, walmart_error};
use super::guard::{draw, missing_required_header, throttled, with_bucket_headers};

pub async fn issue(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if let Some(refused) = missing_required_header(&headers) {
        return refused;
    }
    let reading = draw(&shared, Api::Token);
    if !reading.allowed {
        return throttled(reading);
    }
    shared.with_store(|s| s.token_requests += 1);
    let credentials = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b.trim()).ok())
        .and_then(|raw| String::from_utf8(raw).ok());
    let expected = format!(
        "{}:{}",
        shared.config.client_id, shared.config.client_secret
    );
    if credentials.as_deref() != Some(expected.as_str()) {
        return with_bucket_headers(
            unauthorized(
                "Unauthorized token or incorrect authorization header. Please verify correct \
                 format: Authorization: Basic Base64Encode(clientId:clientSecret)",
            ),
            reading,
        );
    }
    let grant_ok = body
        .split('&')
        .any(|pair| pair.trim() == "grant_type=client_credentials");
    if !grant_ok {
        return with_bucket_headers(
            walmart_error(
                400,
                "INVALID_REQUEST_CONTENT.GMP_GATEWAY_API",
                "grant_type",
                "grant_type must be client_credentials",
            ),
            reading,
        );
    }
    let token: String = {
        let mut rng = rand::rng();
        (0..48)
            .map(|_| {
                char::from(
                    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                        [rng.random_range(0..62)],
                )
            })
            .collect()
    };
    let lifetime = shared.config.token_lifetime;
    shared.with_store(|s| {
        s.tokens.insert(token.clone(), Instant::now() + lifetime);
    });
    let response = Json(json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": lifetime.as_secs().max(1),
    }))
    .into_response();
    with_bucket_headers(response, reading)
}
