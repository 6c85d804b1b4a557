//! Walmart's error body: `{"error": [{"code", "field", "description", "info", "severity",
//! "category", "causes", "errorIdentifiers"}]}` with the matching HTTP status.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// A refusal carried through `?` (boxed: a response is large).
pub type Refused = Box<Response>;

pub fn walmart_error(status: u16, code: &str, field: &str, description: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        Json(json!({"error": [{
            "code": code,
            "field": field,
            "description": description,
            "info": description,
            "severity": "ERROR",
            "category": "DATA",
            "causes": [],
            "errorIdentifiers": {}
        }]})),
    )
        .into_response()
}

pub fn refuse(status: u16, code: &str, field: &str, description: &str) -> Refused {
    Box::new(walmart_error(status, code, field, description))
}

/// The gateway's answer to a missing, unknown or expired access token.
pub fn unauthorized(info: &str) -> Response {
    walmart_error(401, "UNAUTHORIZED.GMP_GATEWAY_API", "UNAUTHORIZED", info)
}

pub fn not_found(api: &str, what: &str) -> Response {
    walmart_error(404, &format!("CONTENT_NOT_FOUND.{api}"), "data", what)
}

pub fn bad_request(api: &str, field: &str, what: &str) -> Refused {
    refuse(400, &format!("INVALID_REQUEST_CONTENT.{api}"), field, what)
}
