//! The Inventory API: one SKU at one ship node (`GET`/`PUT /v3/inventory?sku=&shipNode=`, the
//! default node when none is named; an unknown node is refused) with `{sku, quantity: {unit,
//! amount}}`, and the multi-node views `GET /v3/inventories/{sku}` and `GET /v3/inventories`
//! (`limit` ≤ 50, `nextCursor`).

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
    let node = match shared.node(q.get("shipNode")) {
        Ok(node) => node,
        Err(why) => return *bad_request(API, "shipNode", &why),
    };
    let delay = shared.config.feed_processing_delay;
    match shared.with_store(|s| {
        s.settle_feeds(delay);
        s.items.get(sku).and_then(|i| i.levels.get(&node).copied())
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
    let node = match shared.node(q.get("shipNode")) {
        Ok(node) => node,
        Err(why) => return *bad_request(API, "shipNode", &why),
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
        item.levels.insert(node, amount);
        let total = item.total();
        s.stats.stock_writes += 1;
        s.written
            .push((sku.clone(), total, std::time::Instant::now()));
        Some(())
    });
    match found {
        Some(()) => Json(level(sku, amount)).into_response(),
        None => not_found(API, &format!("Inventory not found for sku {sku}")),
    }
}

/// Largest `limit` of `GET /v3/inventories`.
const MAX_NODES_PAGE: usize = 50;

fn nodes_json(sku: &str, item: &super::store::Item) -> Value {
    let each = |amount: i64| json!({ "unit": "EACH", "amount": amount });
    let nodes: Vec<Value> = item
        .levels
        .iter()
        .map(|(node, amount)| {
            json!({
                "shipNode": node,
                "inputQty": each(*amount),
                "availToSellQty": each(*amount),
                "reservedQty": each(0),
            })
        })
        .collect();
    json!({ "sku": sku, "nodes": nodes })
}

/// getMultiNodeInventoryForSkuAndAllShipnodes: one SKU at every node (or the one named).
pub async fn sku_nodes(
    State(shared): State<Arc<Shared>>,
    axum::extract::Path(sku): axum::extract::Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let only = match q.get("shipNode") {
        Some(_) => match shared.node(q.get("shipNode")) {
            Ok(node) => Some(node),
            Err(why) => return *bad_request(API, "shipNode", &why),
        },
        None => None,
    };
    let delay = shared.config.feed_processing_delay;
    let body = shared.with_store(|s| {
        s.settle_feeds(delay);
        s.items.get(&sku).map(|item| {
            let mut body = nodes_json(&sku, item);
            if let (Some(only), Some(nodes)) = (&only, body["nodes"].as_array_mut()) {
                nodes.retain(|n| n["shipNode"] == json!(only));
            }
            body
        })
    });
    match body {
        Some(body) => Json(body).into_response(),
        None => not_found(API, &format!("Inventory not found for sku {sku}")),
    }
}

/// getMultiNodeInventoryForAllSkuAndAllShipNodes: every SKU at every node, in SKU order,
/// `limit` (default 10, at most 50) a page, `nextCursor` continuing after the last SKU.
pub async fn all_nodes(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let limit = match q.get("limit").map(|l| l.parse::<usize>()) {
        None => 10,
        Some(Ok(l)) if (1..=MAX_NODES_PAGE).contains(&l) => l,
        Some(_) => {
            return *bad_request(API, "limit", "limit must be a number from 1 to 50");
        }
    };
    let after = q.get("nextCursor").cloned();
    let delay = shared.config.feed_processing_delay;
    let body = shared.with_store(|s| {
        s.settle_feeds(delay);
        let mut skus: Vec<&String> = s.items.keys().collect();
        skus.sort();
        let total = skus.len();
        let start = after
            .as_ref()
            .map_or(0, |a| skus.iter().position(|k| *k > a).unwrap_or(total));
        let page: Vec<Value> = skus
            .iter()
            .skip(start)
            .take(limit)
            .filter_map(|sku| s.items.get(*sku).map(|item| nodes_json(sku, item)))
            .collect();
        let mut meta = json!({ "totalCount": total });
        if start + page.len() < total
            && let Some(last) = page.last().and_then(|v| v["sku"].as_str())
        {
            meta["nextCursor"] = json!(last);
        }
        json!({ "meta": meta, "elements": { "inventories": page } })
    });
    Json(body).into_response()
}
