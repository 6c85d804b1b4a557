//! V3 catalog variants (`sku`, `sku:in`, `id:in` filters with `meta.pagination`) and absolute
//! inventory adjustments (≤ 2000 items, one location per item, validated as a whole).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::Shared;
use super::guard::v3_error;
use super::store::{Store, Variant, variant_json};

const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 250;
/// Items one adjustment may carry.
pub const MAX_ADJUSTMENT_ITEMS: usize = 2000;

fn bad_param(name: &str) -> Response {
    v3_error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "The query parameter is invalid.",
        json!({ name: "invalid" }),
    )
}

pub async fn variants(
    State(shared): State<Arc<Shared>>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let number = |name: &'static str, default: usize| match params.get(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|&n| n >= 1)
            .ok_or(name),
    };
    let (page, limit) = match (number("page", 1), number("limit", DEFAULT_LIMIT)) {
        (Ok(p), Ok(l)) => (p, l.min(MAX_LIMIT)),
        (Err(name), _) | (_, Err(name)) => return bad_param(name),
    };
    let skus: Option<Vec<&str>> = params
        .get("sku:in")
        .map(|s| s.split(',').collect())
        .or_else(|| params.get("sku").map(|s| vec![s.as_str()]));
    let ids: Option<Vec<u64>> = params
        .get("id:in")
        .map(|s| s.split(',').filter_map(|i| i.trim().parse().ok()).collect());
    let (data, total) = shared.with_store(|s| {
        // Filters look each SKU or id up instead of scanning a large catalog.
        let candidates: Vec<&Variant> = match (&skus, &ids) {
            (Some(k), _) => indexed(s, k.iter().filter_map(|k| s.variant_index_by_sku(k))),
            (None, Some(i)) => indexed(s, i.iter().filter_map(|i| s.variant_index_by_id(*i))),
            (None, None) => s.variants.iter().collect(),
        };
        let matching: Vec<_> = candidates
            .into_iter()
            .filter(|v| skus.as_ref().is_none_or(|k| k.contains(&v.sku.as_str())))
            .filter(|v| ids.as_ref().is_none_or(|i| i.contains(&v.id)))
            .collect();
        let total = matching.len();
        let data: Vec<Value> = matching
            .into_iter()
            .skip((page - 1).saturating_mul(limit))
            .take(limit)
            .map(variant_json)
            .collect();
        (data, total)
    });
    let total_pages = total.div_ceil(limit).max(1);
    let count = data.len();
    Json(json!({
        "data": data,
        "meta": {"pagination": {
            "total": total,
            "count": count,
            "per_page": limit,
            "current_page": page,
            "total_pages": total_pages,
            "links": {"current": format!("?page={page}&limit={limit}")},
        }},
    }))
    .into_response()
}

/// `PUT /v3/inventory/adjustments/absolute`: every item must name a known location and a
/// known variant (or SKU); one bad item refuses the whole request.
pub async fn absolute(State(shared): State<Arc<Shared>>, body: axum::body::Bytes) -> Response {
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return v3_error(
            StatusCode::BAD_REQUEST,
            "Input is invalid",
            json!({"body": "not valid JSON"}),
        );
    };
    let Some(items) = body.get("items").and_then(Value::as_array) else {
        return v3_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "JSON data is missing or invalid",
            json!({"items": "required"}),
        );
    };
    if items.is_empty() || items.len() > MAX_ADJUSTMENT_ITEMS {
        return v3_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "JSON data is missing or invalid",
            json!({"items": format!("must hold 1 to {MAX_ADJUSTMENT_ITEMS} items")}),
        );
    }
    let outcome = shared.with_store(|s| {
        let mut updates = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let location = item.get("location_id").and_then(Value::as_u64);
            if location != Some(shared.config.location_id) {
                return Err(json!({ format!("items.{i}.location_id"): "location does not exist" }));
            }
            let quantity = item
                .get("quantity")
                .and_then(Value::as_i64)
                .filter(|q| *q >= 0);
            let Some(quantity) = quantity else {
                return Err(json!({ format!("items.{i}.quantity"): "must be a whole number ≥ 0" }));
            };
            let index = match (
                item.get("variant_id").and_then(Value::as_u64),
                item.get("sku").and_then(Value::as_str),
            ) {
                (Some(id), _) => s.variant_index_by_id(id),
                (None, Some(sku)) => s.variant_index_by_sku(sku),
                (None, None) => None,
            };
            let Some(index) = index else {
                return Err(json!({ format!("items.{i}"): "variant does not exist" }));
            };
            updates.push((index, quantity));
        }
        for (index, quantity) in &updates {
            if let Some(v) = s.variants.get_mut(*index) {
                v.inventory_level = *quantity;
                let sku = v.sku.clone();
                s.written.push((sku, *quantity));
            }
        }
        s.stats.stock_writes += updates.len() as u64;
        s.stats.stock_calls += 1;
        s.next_event += 1;
        Ok(format!("sim-adjustment-{:08}", s.next_event))
    });
    match outcome {
        Ok(transaction) => Json(json!({"transaction_id": transaction})).into_response(),
        Err(errors) => v3_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "JSON data is missing or invalid",
            errors,
        ),
    }
}

/// The variants at these indexes, once each, in catalog order.
fn indexed(s: &Store, indexes: impl Iterator<Item = usize>) -> Vec<&Variant> {
    let mut found: Vec<usize> = indexes.collect();
    found.sort_unstable();
    found.dedup();
    found.iter().filter_map(|i| s.variants.get(*i)).collect()
}
