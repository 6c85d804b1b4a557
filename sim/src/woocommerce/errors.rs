//! WordPress REST errors: `{"code", "message", "data": {"status"}}` with the same HTTP status.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// A refusal carried through `?` (boxed: a response is large).
pub type Refused = Box<Response>;

pub fn wp_error(status: u16, code: &str, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        Json(json!({"code": code, "message": message, "data": {"status": status.as_u16()}})),
    )
        .into_response()
}

/// WordPress's answer to a query or body parameter that fails its schema.
pub fn invalid_param(param: &str, why: &str) -> Response {
    let status = StatusCode::BAD_REQUEST;
    (
        status,
        Json(json!({
            "code": "rest_invalid_param",
            "message": format!("Invalid parameter(s): {param}"),
            "data": {"status": 400, "params": {param: why}},
        })),
    )
        .into_response()
}

pub fn no_route() -> Response {
    wp_error(
        404,
        "rest_no_route",
        "No route was found matching the URL and request method.",
    )
}

pub fn invalid_json() -> Response {
    wp_error(400, "rest_invalid_json", "Invalid JSON body passed.")
}

/// [`invalid_param`] for `?`.
pub fn refuse_param(param: &str, why: &str) -> Refused {
    Box::new(invalid_param(param, why))
}
