//! Bulk inventory feeds: `POST /v3/feeds?feedType=inventory` (optionally `&shipNode=`) with
//! `{"InventoryHeader": {"version": "1.4"}, "Inventory": [{sku, quantity: {unit, amount}}]}`,
//! or `feedType=MP_INVENTORY` with `{"inventoryHeader": {"version": "1.5"}, "inventory": [{sku,
//! shipNodes: [{shipNode, quantity}]}]}`, the feed being the `file` part of a
//! `multipart/form-data` body (a raw body is refused with Walmart's error), answers `{"feedId"}`; the feed is processed after the configured delay, and
//! `GET /v3/feeds/{feedId}?includeDetails=true&offset=&limit=` reports its status and, per
//! item, SUCCESS or DATA_ERROR with the reason.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use rand::Rng;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::Shared;
use super::errors::{Refused, bad_request, not_found};
use super::store::{Feed, FeedItem};

const API: &str = "GMP_FEED_API";
const DEFAULT_DETAILS_LIMIT: usize = 50;
const MAX_DETAILS_LIMIT: usize = 1000;

pub async fn submit(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    request: Request,
) -> Response {
    let feed_type = q.get("feedType").map(String::as_str);
    if !matches!(feed_type, Some("inventory" | "MP_INVENTORY")) {
        return *bad_request(
            API,
            "feedType",
            "This simulator accepts feedType=inventory or MP_INVENTORY only",
        );
    }
    let multi_node = feed_type == Some("MP_INVENTORY");
    let file = match feed_file(request).await {
        Ok(file) => file,
        Err(refused) => return *refused,
    };
    let Ok(feed) = serde_json::from_slice::<Value>(&file) else {
        return *bad_request(API, "file", "Feed is not valid JSON");
    };
    // inventory 1.4 names no node per item (the `shipNode` parameter, else the default node);
    // MP_INVENTORY 1.5 names nodes per item and takes no `shipNode` parameter.
    let (header, list) = if multi_node {
        ("/inventoryHeader/version", "inventory")
    } else {
        ("/InventoryHeader/version", "Inventory")
    };
    if feed.pointer(header).and_then(Value::as_str).is_none() {
        return *bad_request(
            API,
            &header[1..].replace('/', "."),
            "the feed header's version is required",
        );
    }
    let Some(entries) = feed.get(list).and_then(Value::as_array) else {
        return *bad_request(API, list, &format!("{list} must be an array"));
    };
    let feed_node = if multi_node {
        None
    } else {
        match shared.node(q.get("shipNode")) {
            Ok(node) => Some(node),
            Err(why) => return *bad_request(API, "shipNode", &why),
        }
    };
    let mut updates = Vec::new();
    for entry in entries {
        let sku = entry
            .get("sku")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        match &feed_node {
            Some(node) => updates.push((sku, node.clone(), entry.get("quantity"))),
            None => {
                for node in entry
                    .get("shipNodes")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let name = node
                        .get("shipNode")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string();
                    updates.push((sku.clone(), name, node.get("quantity")));
                }
            }
        }
    }
    if updates.len() > super::MAX_STOCK_BATCH {
        return *bad_request(
            API,
            list,
            &format!(
                "A feed carries at most {} items; this one has {}",
                super::MAX_STOCK_BATCH,
                updates.len()
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
    let nodes = shared.config.ship_nodes.clone();
    shared.with_store(|s| {
        let items = updates
            .into_iter()
            .map(|(sku, node, quantity)| {
                let amount = quantity
                    .and_then(|q| q.get("amount"))
                    .and_then(Value::as_i64);
                let outcome = match amount {
                    _ if !s.items.contains_key(&sku) => {
                        Err(format!("SKU {sku} is not set up for this seller"))
                    }
                    _ if !nodes.contains(&node) => {
                        Err(format!("shipNode {node} is not a ship node of this seller"))
                    }
                    Some(amount) if amount >= 0 => Ok(amount),
                    _ => Err("quantity.amount must be a whole number of 0 or more".into()),
                };
                FeedItem { sku, node, outcome }
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

/// The feed file from a `multipart/form-data` body's `file` part; anything else (a raw JSON
/// body, a form without `file`) is refused as Walmart refuses it.
async fn feed_file(request: Request) -> Result<Vec<u8>, Refused> {
    let multipart = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        });
    if !multipart {
        return Err(bad_request(
            API,
            "file",
            "Feed must be uploaded as multipart/form-data with the feed in a `file` part",
        ));
    }
    let mut form = Multipart::from_request(request, &())
        .await
        .map_err(|e| bad_request(API, "file", &format!("Unreadable multipart body: {e}")))?;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| bad_request(API, "file", &format!("Unreadable multipart body: {e}")))?
    {
        if field.name() == Some("file") {
            let bytes = field
                .bytes()
                .await
                .map_err(|e| bad_request(API, "file", &format!("Unreadable file part: {e}")))?;
            return Ok(bytes.to_vec());
        }
    }
    Err(bad_request(
        API,
        "file",
        "The multipart body has no `file` part",
    ))
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
