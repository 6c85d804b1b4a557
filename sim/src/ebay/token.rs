//! `POST /identity/v1/oauth2/token`: Basic auth with the client id and secret; the
//! `refresh_token` grant issues user tokens, `client_credentials` application tokens, both
//! living `access_token_lifetime`.

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use super::Shared;
use super::errors::oauth_error;
use super::form::pairs;
use super::store::TokenKind;

pub async fn issue(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let client = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b.trim()).ok())
        .and_then(|raw| String::from_utf8(raw).ok());
    let config = &shared.config;
    let expected = format!("{}:{}", config.client_id, config.client_secret);
    if client.as_deref() != Some(expected.as_str()) {
        return oauth_error(401, "invalid_client", "client authentication failed");
    }
    let form = pairs(&String::from_utf8_lossy(&body));
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let (kind, token_type) = match field("grant_type") {
        Some("refresh_token") => {
            if field("refresh_token") != Some(config.refresh_token.as_str()) {
                return oauth_error(
                    400,
                    "invalid_grant",
                    "the provided authorization refresh token is invalid or was issued to another client",
                );
            }
            (TokenKind::User, "User Access Token")
        }
        Some("client_credentials") => (TokenKind::Application, "Application Access Token"),
        Some(_) => {
            return oauth_error(
                400,
                "unsupported_grant_type",
                "grant type in request is not supported by the authorization server",
            );
        }
        None => {
            return oauth_error(
                400,
                "invalid_request",
                "request is missing a required parameter",
            );
        }
    };
    let lifetime = config.access_token_lifetime;
    let token = shared.with_store(|s| {
        let token = format!(
            "v^1.1#i^1#sim#{}#{}",
            s.next_id(),
            uuid_like(s.token_grants)
        );
        s.tokens
            .insert(token.clone(), (kind, Instant::now() + lifetime));
        s.token_grants += 1;
        token
    });
    Json(json!({
        "access_token": token,
        "expires_in": lifetime.as_secs().max(1),
        "token_type": token_type,
    }))
    .into_response()
}

/// Distinct, unguessable-looking token text (the simulator needs no real randomness).
fn uuid_like(n: u64) -> String {
    format!(
        "{:016x}",
        n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5EED_0000_0000_0001
    )
}
