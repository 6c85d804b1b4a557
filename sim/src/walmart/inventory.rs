//! The Inventory API for one SKU: `GET /v3/inventory?sku=` and `PUT /v3/inventory?sku=` with
//! `{sku, quantity: {unit, amount}}`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::Shared;
use super::errors::{bad_request, not_found};

const API: &str = "GMP_INVENTORY_API";

fn level(sku: &str, amount: i64) -> Value {
    json!({ "sku": sku, "quantity": { "unit": "EACH", "amount": amount } })
}

pub async fn get(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(sku) = q.get("sku") else {
        return *bad_request(API, "sku", "sku is required");
    };
    let delay = shared.config.feed_processing_delay;
    match shared.with_store(|s| {
        s.settle_feeds(delay);
        s.items.get(sku).map(|i| i.quantity)
    }) {
        Some(amount) => Json(level(sku, amount)).into_response(),
        None => not_found(API, &format!("Inventory not found for sku {sku}")),
    }
}

pub async fn put(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    body: String,
) -> Response {
    let Some(sku) = q.get("sku") else {
        return *bad_request(API, "sku", "sku is required");
    };
    let Ok(body) = serde_json::from_str::<Value>(&body) else {
        return *bad_request(API, "body", "Request body is not valid JSON");
    };
    if body.get("sku").and_then(Value::as_str) != Some(sku.as_str()) {
        return *bad_request(API, "sku", "sku in the body must match the sku parameter");
    }
    let Some(amount) = body
        .pointer("/quantity/amount")
        .and_then(Value::as_i64)
        .filter(|a| *a >= 0)
    else {
        return *bad_request(
            API,
            "quantity.amount",
            "amount must be a whole number of 0 or more",
        );
    };
    let found = shared.with_store(|s| {
        s.stats.stock_calls += 1;
        let item = s.items.get_mut(sku)?;
        item.quantity = amount;
        s.stats.stock_writes += 1;
        s.written
            .push((sku.clone(), amount, std::time::Instant::now()));
        Some(())
    });
    match found {
        Some(()) => Json(level(sku, amount)).into_response(),
        None => not_found(API, &format!("Inventory not found for sku {sku}")),
    }
}
