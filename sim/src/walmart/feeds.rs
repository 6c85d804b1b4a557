//! Bulk inventory feeds: `POST /v3/feeds?feedType=inventory` with
//! `{"InventoryHeader": {"version": "1.4"}, "Inventory": [{sku, quantity: {unit, amount}}]}`
//! answers `{"feedId"}`; the feed is processed after the configured delay, and
//! `GET /v3/feeds/{feedId}?includeDetails=true&offset=&limit=` reports its status and, per
//! item, SUCCESS or DATA_ERROR with the reason.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use rand::Rng;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::Shared;
use super::errors::{bad_request, not_found};
use super::store::{Feed, FeedItem};

const API: &str = "GMP_FEED_API";
const DEFAULT_DETAILS_LIMIT: usize = 50;
const MAX_DETAILS_LIMIT: usize = 1000;

pub async fn submit(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    body: String,
) -> Response {
    if q.get("feedType").map(String::as_str) != Some("inventory") {
        return *bad_request(
            API,
            "feedType",
            "This simulator accepts feedType=inventory only",
        );
    }
    let Ok(feed) = serde_json::from_str::<Value>(&body) else {
        return *bad_request(API, "file", "Feed is not valid JSON");
    };
    if feed
        .pointer("/InventoryHeader/version")
        .and_then(Value::as_str)
        .is_none()
    {
        return *bad_request(
            API,
            "InventoryHeader.version",
            "InventoryHeader.version is required",
        );
    }
    let Some(entries) = feed.get("Inventory").and_then(Value::as_array) else {
        return *bad_request(API, "Inventory", "Inventory must be an array");
    };
    if entries.len() > super::MAX_STOCK_BATCH {
        return *bad_request(
            API,
            "Inventory",
            &format!(
                "A feed carries at most {} items; this one has {}",
                super::MAX_STOCK_BATCH,
                entries.len()
            ),
        );
    }
    let id = {
        let mut rng = rand::rng();
        let hex: String = (0..32)
            .map(|_| char::from(b"0123456789ABCDEF"[rng.random_range(0..16)]))
            .collect();
        format!("{hex}@AQMBAQA")
    };
    shared.with_store(|s| {
        let items = entries
            .iter()
            .map(|entry| {
                let sku = entry
                    .get("sku")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let outcome = match entry.pointer("/quantity/amount").and_then(Value::as_i64) {
                    _ if !s.items.contains_key(&sku) => {
                        Err(format!("SKU {sku} is not set up for this seller"))
                    }
                    Some(amount) if amount >= 0 => Ok(amount),
                    _ => Err("quantity.amount must be a whole number of 0 or more".into()),
                };
                FeedItem { sku, outcome }
            })
            .collect();
        s.stats.stock_calls += 1;
        s.feeds.push(Feed {
            id: id.clone(),
            submitted: Instant::now(),
            items,
            processed: false,
        });
    });
    Json(json!({ "feedId": id })).into_response()
}

pub async fn status(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let details = q.get("includeDetails").is_some_and(|v| v == "true");
    let offset: usize = q.get("offset").and_then(|o| o.parse().ok()).unwrap_or(0);
    let limit = q
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(DEFAULT_DETAILS_LIMIT)
        .clamp(1, MAX_DETAILS_LIMIT);
    let delay = shared.config.feed_processing_delay;
    let body = shared.with_store(|s| {
        s.settle_feeds(delay);
        let feed = s.feeds.iter().find(|f| f.id == id)?;
        let received = feed.items.len();
        let failed = feed.items.iter().filter(|i| i.outcome.is_err()).count();
        let mut body = json!({
            "feedId": feed.id,
            "feedStatus": if feed.processed { "PROCESSED" } else { "INPROGRESS" },
            "itemsReceived": received,
            "itemsSucceeded": if feed.processed { received - failed } else { 0 },
            "itemsFailed": if feed.processed { failed } else { 0 },
            "itemsProcessing": if feed.processed { 0 } else { received },
            "offset": offset,
            "limit": limit,
        });
        if details {
            let statuses: Vec<Value> = if feed.processed {
                feed.items
                    .iter()
                    .enumerate()
                    .skip(offset)
                    .take(limit)
                    .map(|(index, item)| item_status(index, item))
                    .collect()
            } else {
                Vec::new()
            };
            body["itemDetails"] = json!({ "itemIngestionStatus": statuses });
        }
        Some(body)
    });
    match body {
        Some(body) => Json(body).into_response(),
        None => not_found(API, &format!("Feed {id} not found")),
    }
}

fn item_status(index: usize, item: &FeedItem) -> Value {
    match &item.outcome {
        Ok(_) => json!({
            "martId": 0, "sku": item.sku, "index": index,
            "ingestionStatus": "SUCCESS",
        }),
        Err(reason) => json!({
            "martId": 0, "sku": item.sku, "index": index,
            "ingestionStatus": "DATA_ERROR",
            "ingestionErrors": { "ingestionError": [{
                "type": "DATA_ERROR", "code": "ERR_INVENTORY_ITEM", "field": "sku",
                "description": reason
            }]}
        }),
    }
}
