//! The supplier's endpoints. Every request is signed: the body (empty for GET) must match
//! `X-Switchyard-Signature`, else 401 `{"error": ...}`.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::store::{PoStatus, PurchaseOrder};
use super::{Shared, signature};

fn error(status: StatusCode, message: &str, field: Option<&str>) -> Response {
    let mut body = json!({"error": message});
    if let Some(field) = field {
        body["field"] = json!(field);
    }
    (status, Json(body)).into_response()
}

/// Rate limit, then signature; `Err` is the response to give.
fn guard(shared: &Shared, headers: &HeaderMap, body: &[u8]) -> Result<(), Box<Response>> {
    if let Some(wait) = shared.admit() {
        let mut response = error(StatusCode::TOO_MANY_REQUESTS, "rate limited", None);
        let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
        if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
            response.headers_mut().insert("retry-after", value);
        }
        return Err(Box::new(response));
    }
    let header = headers.get(signature::HEADER).and_then(|v| v.to_str().ok());
    signature::check(
        shared.config.secret.as_bytes(),
        header,
        body,
        Utc::now().timestamp(),
        shared.config.tolerance_secs,
    )
    .map_err(|why| Box::new(error(StatusCode::UNAUTHORIZED, &why, None)))
}

/// The fields a purchase order must have; the first missing or wrong one is named.
fn validate(body: &Value) -> Result<(), (String, String)> {
    let bad = |field: &str, why: &str| Err((field.to_string(), why.to_string()));
    if body["po_number"].as_str().is_none_or(str::is_empty) {
        return bad("po_number", "required");
    }
    if body["ship_to"]["address1"]
        .as_str()
        .is_none_or(str::is_empty)
    {
        return bad("ship_to.address1", "required");
    }
    if body["ship_to"]["country_code"]
        .as_str()
        .is_none_or(str::is_empty)
    {
        return bad("ship_to.country_code", "required");
    }
    let Some(lines) = body["lines"].as_array().filter(|l| !l.is_empty()) else {
        return bad("lines", "at least one line is required");
    };
    for (i, line) in lines.iter().enumerate() {
        if line["sku"].as_str().is_none_or(str::is_empty) {
            return bad(&format!("lines[{i}].sku"), "required");
        }
        if line["quantity"].as_u64().is_none_or(|q| q == 0) {
            return bad(
                &format!("lines[{i}].quantity"),
                "must be a positive integer",
            );
        }
    }
    Ok(())
}

pub async fn create(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(response) = guard(&shared, &headers, &body) {
        return *response;
    }
    let Some(key) = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .filter(|k| !k.trim().is_empty())
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "Idempotency-Key header is required",
            None,
        );
    };
    let Ok(parsed) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "body is not JSON", None);
    };
    if let Err((field, why)) = validate(&parsed) {
        return error(StatusCode::UNPROCESSABLE_ENTITY, &why, Some(&field));
    }
    shared.with_store(|s| {
        if let Some(existing) = s.orders.get(key) {
            if existing.body == parsed {
                return (StatusCode::OK, Json(existing.json())).into_response();
            }
            let mut answer = existing.json();
            answer["error"] = json!("Idempotency-Key already used with a different body");
            return (StatusCode::CONFLICT, Json(answer)).into_response();
        }
        s.next_order += 1;
        let order = PurchaseOrder {
            id: format!("SO-{:06}", s.next_order),
            idempotency_key: key.to_string(),
            po_number: parsed["po_number"].as_str().unwrap_or_default().to_string(),
            body: parsed,
            status: PoStatus::Accepted,
            received_at: Utc::now(),
        };
        let answer = order.json();
        s.orders.insert(key.to_string(), order);
        (StatusCode::CREATED, Json(answer)).into_response()
    })
}

pub async fn cancel(
    State(shared): State<Arc<Shared>>,
    Path(po): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(response) = guard(&shared, &headers, &body) {
        return *response;
    }
    shared.with_store(|s| {
        let Some(order) = s.by_po(&po) else {
            return error(
                StatusCode::NOT_FOUND,
                &format!("no purchase order {po}"),
                None,
            );
        };
        let mut answer = order.json();
        match order.status {
            PoStatus::Shipped => {
                answer["error"] = json!("already shipped");
                (StatusCode::CONFLICT, Json(answer)).into_response()
            }
            PoStatus::Cancelled => {
                answer["already_cancelled"] = json!(true);
                (StatusCode::OK, Json(answer)).into_response()
            }
            PoStatus::Accepted => {
                order.status = PoStatus::Cancelled;
                let mut answer = order.json();
                answer["already_cancelled"] = json!(false);
                (StatusCode::OK, Json(answer)).into_response()
            }
        }
    })
}

#[derive(Deserialize)]
pub struct EventsQuery {
    since: Option<String>,
    after: Option<String>,
    limit: Option<usize>,
}

pub async fn events(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<EventsQuery>,
    headers: HeaderMap,
) -> Response {
    if let Err(response) = guard(&shared, &headers, b"") {
        return *response;
    }
    let since = match query.since.as_deref().map(DateTime::parse_from_rfc3339) {
        None => None,
        Some(Ok(t)) => Some(t.with_timezone(&Utc)),
        Some(Err(_)) => return error(StatusCode::BAD_REQUEST, "not RFC 3339", Some("since")),
    };
    let limit = query.limit.unwrap_or(50).clamp(1, 100);
    shared.with_store(|s| {
        let mut list: Vec<&Value> = s
            .events
            .iter()
            .filter(|e| {
                since.is_none_or(|since| {
                    e["created_at"]
                        .as_str()
                        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                        .is_some_and(|t| t.with_timezone(&Utc) >= since)
                })
            })
            .collect();
        if let Some(after) = &query.after {
            match list.iter().position(|e| e["id"].as_str() == Some(after)) {
                Some(i) => list.drain(..=i).for_each(drop),
                None => return error(StatusCode::BAD_REQUEST, "unknown event id", Some("after")),
            }
        }
        let has_more = list.len() > limit;
        list.truncate(limit);
        Json(json!({"data": list, "has_more": has_more})).into_response()
    })
}
