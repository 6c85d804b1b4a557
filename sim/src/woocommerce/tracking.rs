//! The Shipment Tracking extension's routes, present only when the extension is "installed":
//! `GET`/`POST /wc-shipment-tracking/v3/orders/{id}/shipment-trackings`.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::Shared;
use super::errors::{invalid_json, no_route, wp_error};
use super::orders::parse_id;
use super::store::{Tracking, next_modified, order_json, tracking_json};
use crate::WebhookFate;

fn invalid_order() -> Response {
    wp_error(
        404,
        "woocommerce_rest_order_invalid_id",
        "Invalid order ID.",
    )
}

pub async fn list(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let Some(id) = parse_id(&id) else {
        return no_route();
    };
    shared
        .with_store(|s| {
            s.order(id)
                .map(|o| o.trackings.iter().map(tracking_json).collect::<Vec<_>>())
        })
        .map_or_else(invalid_order, |t| Json(Value::Array(t)).into_response())
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
    let text = |k: &str| {
        fields
            .get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|t| !t.is_empty())
    };
    let Some(number) = text("tracking_number") else {
        return wp_error(
            400,
            "rest_missing_callback_param",
            "Missing parameter(s): tracking_number",
        );
    };
    let provider = text("tracking_provider")
        .or_else(|| text("custom_tracking_provider"))
        .unwrap_or("")
        .to_string();
    let date_shipped = text("date_shipped")
        .map(str::to_string)
        .unwrap_or_else(|| chrono::Utc::now().format("%Y-%m-%d").to_string());
    let number = number.to_string();
    let saved = shared.with_store(|s| {
        let tracking_id = format!("{:032x}", s.post_id() * 7919 + id);
        let order = s.order_mut(id)?;
        let tracking = Tracking {
            tracking_id,
            tracking_provider: provider,
            tracking_number: number,
            date_shipped,
        };
        let json = tracking_json(&tracking);
        order.trackings.push(tracking);
        // The extension stores tracking as order meta: the order is saved.
        order.modified = next_modified(order.modified);
        Some((json, order_json(order, shared.offset, &shared.base_url)))
    });
    let Some((tracking, order)) = saved else {
        return invalid_order();
    };
    shared.spawn_webhook("order.updated", &order, WebhookFate::Deliver);
    (StatusCode::CREATED, Json(tracking)).into_response()
}
