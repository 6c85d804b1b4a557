//! Order refunds (`GET`/`POST /wc/v3/orders/{id}/refunds`), as the published REST API
//! reference describes them (developer.woocommerce.com/docs/apis/rest-api/v3/order-refunds):
//! `amount` (string; when absent, the line items' `refund_total`s), `reason`, `line_items`
//! (`id`, `quantity`, `refund_total`), `api_refund` (default true: the gateway refunds the
//! payment). Like `wc_create_refund`, a refund of zero or less is refused, and so is one that
//! takes the order's refunds above its total ("Invalid refund amount."). A refund of the
//! whole total moves the order to `refunded`.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::Shared;
use super::errors::{invalid_json, invalid_param, no_route, wp_error};
use super::orders::parse_id;
use super::store::{Refund, next_modified, order_json, parse_cents, refund_json, truncate};
use crate::WebhookFate;

fn invalid_order() -> Response {
    wp_error(
        404,
        "woocommerce_rest_invalid_order_id",
        "Invalid order ID.",
    )
}

pub async fn list(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let Some(id) = parse_id(&id) else {
        return no_route();
    };
    shared
        .with_store(|s| {
            s.order(id).map(|o| {
                o.refunds
                    .iter()
                    .rev()
                    .map(|r| refund_json(r, shared.offset))
                    .collect::<Vec<_>>()
            })
        })
        .map_or_else(invalid_order, |r| {
            // A WordPress collection: its size in the headers (one page holds them all).
            let total = r.len().to_string();
            (
                [("X-WP-Total", total), ("X-WP-TotalPages", "1".to_string())],
                Json(Value::Array(r)),
            )
                .into_response()
        })
}

/// A money value sent as a string or a number.
fn cents(v: &Value) -> Option<i64> {
    match v {
        Value::String(s) => parse_cents(s),
        Value::Number(n) => parse_cents(&n.to_string()),
        _ => None,
    }
}

pub async fn create(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let Some(id) = parse_id(&id) else {
        return no_route();
    };
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(&body) else {
        return invalid_json();
    };
    let mut lines: Vec<(u64, u32, i64)> = Vec::new();
    if let Some(items) = fields.get("line_items") {
        let Some(items) = items.as_array() else {
            return invalid_param("line_items", "line_items is not of type array.");
        };
        for (i, item) in items.iter().enumerate() {
            let line_id = item.get("id").and_then(Value::as_u64);
            let quantity = item
                .get("quantity")
                .and_then(Value::as_u64)
                .and_then(|q| u32::try_from(q).ok())
                .unwrap_or(0);
            let total = item.get("refund_total").map_or(Some(0), cents);
            let (Some(line_id), Some(total)) = (line_id, total) else {
                return invalid_param(
                    "line_items",
                    &format!("line_items[{i}][id] is not of type integer."),
                );
            };
            lines.push((line_id, quantity, total));
        }
    }
    let amount = match fields.get("amount") {
        None | Some(Value::Null) => lines.iter().map(|(_, _, c)| c).sum(),
        Some(v) => match cents(v) {
            Some(c) => c,
            None => return invalid_param("amount", "amount is not of type string."),
        },
    };
    if amount <= 0 {
        return wp_error(
            400,
            "woocommerce_rest_invalid_order_refund",
            "Refund amount must be greater than zero.",
        );
    }
    let reason = fields
        .get("reason")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let api_refund = fields
        .get("api_refund")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let outcome = shared.with_store(|s| {
        let refund_id = s.post_id();
        let order = s.order_mut(id)?;
        if amount > order.total_cents() - order.refunded_cents() {
            return Some(Err(()));
        }
        let refund = Refund {
            id: refund_id,
            created: truncate(chrono::Utc::now()),
            amount_cents: amount,
            reason,
            refunded_payment: api_refund,
            lines,
        };
        let json = refund_json(&refund, shared.offset);
        order.refunds.push(refund);
        if order.refunded_cents() == order.total_cents() {
            order.status = "refunded".into();
        }
        order.modified = next_modified(order.modified);
        Some(Ok((
            json,
            order_json(order, shared.offset, &shared.base_url),
        )))
    });
    match outcome {
        None => invalid_order(),
        Some(Err(())) => wp_error(
            500,
            "woocommerce_rest_cannot_create_order_refund",
            "Invalid refund amount.",
        ),
        Some(Ok((refund, order))) => {
            shared.spawn_webhook("order.updated", &order, WebhookFate::Deliver);
            (StatusCode::CREATED, Json(refund)).into_response()
        }
    }
}
