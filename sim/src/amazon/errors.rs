//! SP-API error bodies: `{"errors": [{"code", "message", "details"}]}`, and the usage-plan header
//! every answer of a rate-limited operation carries.

use axum::Json;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::limits::Plan;

/// A refusal carried through `?` (boxed: a response is large).
pub type Refused = Box<Response>;

pub fn sp_error(status: u16, code: &str, message: &str, details: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        Json(json!({"errors": [{"code": code, "message": message, "details": details}]})),
    )
        .into_response()
}

pub fn refuse(status: u16, code: &str, message: &str, details: &str) -> Refused {
    Box::new(sp_error(status, code, message, details))
}

pub fn invalid_input(message: &str) -> Refused {
    refuse(400, "InvalidInput", message, "")
}

pub fn not_found(message: &str) -> Refused {
    refuse(404, "NotFound", message, "")
}

/// A JSON answer with `x-amzn-RateLimit-Limit` set to the operation's rate.
pub fn answer(plan: Plan, status: u16, body: Option<Value>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let mut response = match body {
        Some(body) => (status, Json(body)).into_response(),
        None => status.into_response(),
    };
    with_rate_header(&mut response, plan);
    response
}

pub fn with_rate_header(response: &mut Response, plan: Plan) {
    if let Ok(v) = HeaderValue::from_str(&plan.rate.to_string()) {
        response.headers_mut().insert("x-amzn-ratelimit-limit", v);
    }
}

/// Either answer or refusal, as the handlers return them, with the operation's rate header
/// (Amazon sends it on refusals too).
pub fn finish(plan: Plan, result: Result<Response, Refused>) -> Response {
    let mut response = result.unwrap_or_else(|refused| *refused);
    with_rate_header(&mut response, plan);
    response
}
