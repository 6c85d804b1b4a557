//! ShipBob's error bodies: the orders API answers 400/422 with a validation map
//! `{"<field>": ["message", …]}`, the inventory API with RFC 7807 problem details, the gateway
//! 429 with `{"statusCode", "message"}`, and a refused token with `WWW-Authenticate: Bearer`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// A refusal carried through `?` (boxed: a response is large).
pub type Refused = Box<Response>;

/// `{"<field>": ["<message>"]}` with the given status (400 or 422).
pub fn validation(status: StatusCode, field: &str, message: &str) -> Response {
    (status, Json(json!({ field: [message] }))).into_response()
}

pub fn bad_request(field: &str, message: &str) -> Refused {
    Box::new(validation(StatusCode::BAD_REQUEST, field, message))
}

pub fn unprocessable(field: &str, message: &str) -> Refused {
    Box::new(validation(StatusCode::UNPROCESSABLE_ENTITY, field, message))
}

/// RFC 7807 problem details, as the inventory endpoints document for every error.
pub fn problem(status: StatusCode, title: &str, detail: &str) -> Response {
    let section = match status.as_u16() {
        400 => "15.5.1",
        401 => "15.5.2",
        403 => "15.5.4",
        404 => "15.5.5",
        _ => "15.6.1",
    };
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        Json(json!({
            "type": format!("https://tools.ietf.org/html/rfc9110#section-{section}"),
            "title": title,
            "status": status.as_u16(),
            "detail": detail,
        })),
    )
        .into_response()
}

/// 401 for a missing, unknown or expired token. Orders endpoints send no body; inventory
/// endpoints send problem details.
pub fn unauthorized(inventory: bool, challenge: &str) -> Response {
    let mut response = if inventory {
        problem(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "No valid API key provided.",
        )
    } else {
        StatusCode::UNAUTHORIZED.into_response()
    };
    if let Ok(v) = HeaderValue::from_str(challenge) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    response
}

/// The gateway's answer once the sliding window is full.
pub fn too_many(retry_after_secs: u64) -> Response {
    let mut response = (
        StatusCode::TOO_MANY_REQUESTS,
        Json(json!({
            "statusCode": 429,
            "message": format!("Rate limit is exceeded. Try again in {retry_after_secs} seconds."),
        })),
    )
        .into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
        headers.insert("x-retry-after", v);
    }
    headers.insert("x-remaining-calls", HeaderValue::from_static("0"));
    response
}

pub fn not_found() -> Response {
    StatusCode::NOT_FOUND.into_response()
}
