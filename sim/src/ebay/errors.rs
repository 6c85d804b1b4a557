//! eBay's REST error body `{"errors": [{"errorId", "domain", "category", "message"}]}` and the
//! OAuth endpoint's `{"error", "error_description"}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// A refusal carried through `?` (boxed: a response is large).
pub type Refused = Box<Response>;

pub fn ebay_error(status: u16, error_id: u32, domain: &str, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let category = if status.is_server_error() {
        "APPLICATION"
    } else {
        "REQUEST"
    };
    (
        status,
        Json(json!({"errors": [{
            "errorId": error_id,
            "domain": domain,
            "category": category,
            "message": message,
        }]})),
    )
        .into_response()
}

/// What eBay answers for an unknown, expired or revoked access token.
pub fn invalid_token() -> Response {
    let mut response = ebay_error(401, 1001, "OAuth", "Invalid access token");
    if let Ok(body) = serde_json::to_vec(&json!({"errors": [{
        "errorId": 1001,
        "domain": "OAuth",
        "category": "REQUEST",
        "message": "Invalid access token",
        "longMessage": "Invalid access token. Check the value of the Authorization HTTP request header.",
    }]})) {
        *response.body_mut() = body.into();
    }
    response
}

/// A daily call quota is spent.
pub fn quota_exhausted() -> Response {
    ebay_error(
        429,
        2001,
        "ACCESS",
        "Too many requests. The request limit has been reached for the resource.",
    )
}

pub fn oauth_error(status: u16, error: &str, description: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

pub fn bad_request(error_id: u32, domain: &str, message: &str) -> Refused {
    Box::new(ebay_error(400, error_id, domain, message))
}

pub fn not_found_route() -> Response {
    ebay_error(404, 2002, "ACCESS", "Resource not found")
}
