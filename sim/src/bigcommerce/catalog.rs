//! V3 catalog variants (the documented `id`, `sku`, `upc`, `product_id:in` filters, with
//! `meta.pagination`; undocumented filters such as `sku:in` are ignored) and absolute
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
    // Only the spec's documented filters (`id`, `sku`, `upc`, `product_id:in`); any other
    // parameter (`sku:in`, `id:in`, …) is ignored, as an unknown query parameter is.
    let sku = params.get("sku").map(String::as_str);
    let id = match params.get("id").map(|i| i.trim().parse::<u64>()) {
        None => None,
        Some(Ok(id)) => Some(id),
        Some(Err(_)) => return bad_param("id"),
    };
    let upc = params.get("upc").map(String::as_str);
    let products: Option<Vec<u64>> = match params.get("product_id:in") {
        None => None,
        Some(list) => match list
            .split(',')
            .map(|p| p.trim().parse::<u64>())
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(ids) => Some(ids),
            Err(_) => return bad_param("product_id:in"),
        },
    };
    let (data, total) = shared.with_store(|s| {
        // Filters look the SKU or id up instead of scanning a large catalog.
        let candidates: Vec<&Variant> = match (sku, id) {
            (Some(k), _) => indexed(s, s.variant_index_by_sku(k).into_iter()),
            (None, Some(i)) => indexed(s, s.variant_index_by_id(i).into_iter()),
            (None, None) => s.variants.iter().collect(),
        };
        let matching: Vec<_> = candidates
            .into_iter()
            .filter(|v| sku.is_none_or(|k| v.sku == k))
            .filter(|v| id.is_none_or(|i| v.id == i))
            .filter(|_| upc.is_none_or(str::is_empty))
            .filter(|v| products.as_ref().is_none_or(|p| p.contains(&v.product_id)))
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
