//! Feeds 2021-06-30: feed documents with pre-signed upload and download URLs (served here under
//! `/sim-s3/`, unauthenticated as S3 pre-signed URLs are), `createFeed`, `getFeed` (processing
//! happens once the configured delay has passed), and the JSON_LISTINGS_FEED processing report.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::Shared;
use super::auth::admit;
use super::errors::{Refused, answer, finish, invalid_input, not_found};
use super::listings::apply_patches;
use super::store::{Feed, FeedDocument, Store, now, rfc3339};

pub async fn create_document(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    finish(
        shared.plan("createFeedDocument"),
        (|| {
            let plan = admit(&shared, &headers, "createFeedDocument")?;
            let request: Value = serde_json::from_slice(&body)
                .map_err(|_| invalid_input("The request body is not valid JSON."))?;
            if request.get("contentType").and_then(Value::as_str).is_none() {
                return Err(invalid_input("contentType is required."));
            }
            let id = shared.with_store(|s| {
                let id = format!("amzn1.tortuga.4.na.sim{:08}", s.next());
                s.documents
                    .insert(id.clone(), FeedDocument { content: None });
                id
            });
            let url = format!("{}/sim-s3/upload/{id}", shared.base_url);
            Ok(answer(
                plan,
                201,
                Some(json!({"feedDocumentId": id, "url": url})),
            ))
        })(),
    )
}

/// The pre-signed upload: stores the body as the document's content.
pub async fn upload(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let stored = shared.with_store(|s| {
        s.documents
            .get_mut(&id)
            .map(|d| d.content = Some(body.to_vec()))
    });
    match stored {
        Some(()) => StatusCode::OK.into_response(),
        None => (
            StatusCode::FORBIDDEN,
            "<Error><Code>AccessDenied</Code></Error>",
        )
            .into_response(),
    }
}

pub async fn download(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    match shared.with_store(|s| s.documents.get(&id).and_then(|d| d.content.clone())) {
        Some(content) => ([("content-type", "application/json")], content).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            "<Error><Code>NoSuchKey</Code></Error>",
        )
            .into_response(),
    }
}

pub async fn create_feed(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    finish(
        shared.plan("createFeed"),
        (|| {
            let plan = admit(&shared, &headers, "createFeed")?;
            let request: Value = serde_json::from_slice(&body)
                .map_err(|_| invalid_input("The request body is not valid JSON."))?;
            let feed_type = request
                .get("feedType")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid_input("feedType is required."))?
                .to_string();
            let input = request
                .get("inputFeedDocumentId")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid_input("inputFeedDocumentId is required."))?
                .to_string();
            let marketplaces_ok = request
                .get("marketplaceIds")
                .and_then(Value::as_array)
                .is_some_and(|m| {
                    m.iter()
                        .any(|m| m.as_str() == Some(&shared.config.marketplace_id))
                });
            if !marketplaces_ok {
                return Err(invalid_input(
                    "marketplaceIds must name the seller's marketplace.",
                ));
            }
            let id = shared.with_store(|s| {
                if !s.documents.contains_key(&input) {
                    return Err(invalid_input(&format!(
                        "Invalid inputFeedDocumentId {input}."
                    )));
                }
                let id = format!("{}", 50_000_000_000u64 + s.next());
                if feed_type == "JSON_LISTINGS_FEED" {
                    s.stats.stock_calls += 1;
                }
                s.feeds.push(Feed {
                    id: id.clone(),
                    feed_type,
                    input_document_id: input,
                    created: now(),
                    created_at: Instant::now(),
                    status: "IN_QUEUE",
                    result_document_id: None,
                });
                Ok(id)
            })?;
            Ok(answer(plan, 202, Some(json!({"feedId": id}))))
        })(),
    )
}

pub async fn get_feed(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    finish(
        shared.plan("getFeed"),
        (|| {
            let plan = admit(&shared, &headers, "getFeed")?;
            let delay = shared.config.feed_processing_delay;
            let seller = shared.config.seller_id.clone();
            let marketplace = shared.config.marketplace_id.clone();
            let feed = shared.with_store(|s| {
                let index = s
                    .feeds
                    .iter()
                    .position(|f| f.id == id)
                    .ok_or_else(|| not_found(&format!("Feed {id} not found.")))?;
                let elapsed = s.feeds[index].created_at.elapsed();
                if s.feeds[index].status != "DONE" && s.feeds[index].status != "FATAL" {
                    if elapsed >= delay {
                        // Applied now, when looked at, but in effect since processing ended.
                        s.effective_at = Some(s.feeds[index].created_at + delay);
                        process(s, index, &seller);
                        s.effective_at = None;
                    } else if elapsed >= delay / 2 {
                        s.feeds[index].status = "IN_PROGRESS";
                    }
                }
                Ok::<_, Refused>(s.feeds[index].clone())
            })?;
            let mut body = json!({
                "feedId": feed.id,
                "feedType": feed.feed_type,
                "marketplaceIds": [marketplace],
                "createdTime": rfc3339(feed.created),
                "processingStatus": feed.status,
            });
            if let Some(result) = feed.result_document_id {
                body["resultFeedDocumentId"] = json!(result);
                body["processingEndTime"] = json!(rfc3339(now()));
            }
            Ok(answer(plan, 200, Some(body)))
        })(),
    )
}

pub async fn get_document(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    finish(
        shared.plan("getFeedDocument"),
        (|| {
            let plan = admit(&shared, &headers, "getFeedDocument")?;
            if !shared.with_store(|s| s.documents.contains_key(&id)) {
                return Err(not_found(&format!("Feed document {id} not found.")));
            }
            let url = format!("{}/sim-s3/download/{id}", shared.base_url);
            Ok(answer(
                plan,
                200,
                Some(json!({"feedDocumentId": id, "url": url})),
            ))
        })(),
    )
}

/// Processes a JSON_LISTINGS_FEED: applies every valid message, reports the rest per
/// `messageId`. An unreadable feed ends FATAL with a report saying why.
fn process(store: &mut Store, index: usize, seller: &str) {
    let feed_id = store.feeds[index].id.clone();
    let input = store
        .documents
        .get(&store.feeds[index].input_document_id)
        .and_then(|d| d.content.clone());
    let parsed: Option<Value> = input.and_then(|c| serde_json::from_slice(&c).ok());
    let (status, report) = match parsed {
        Some(feed) if store.feeds[index].feed_type == "JSON_LISTINGS_FEED" => {
            if feed.pointer("/header/sellerId").and_then(Value::as_str) != Some(seller) {
                (
                    "FATAL",
                    fatal_report(
                        seller,
                        &feed_id,
                        "header.sellerId does not match the selling partner.",
                    ),
                )
            } else {
                ("DONE", listings_report(store, &feed, seller, &feed_id))
            }
        }
        Some(_) => (
            "FATAL",
            fatal_report(seller, &feed_id, "Unsupported feed type."),
        ),
        None => (
            "FATAL",
            fatal_report(
                seller,
                &feed_id,
                "The feed document is missing or not valid JSON.",
            ),
        ),
    };
    let result_id = format!("amzn1.tortuga.4.na.simresult{:08}", store.next());
    store.documents.insert(
        result_id.clone(),
        FeedDocument {
            content: serde_json::to_vec(&report).ok(),
        },
    );
    let feed = &mut store.feeds[index];
    feed.status = status;
    feed.result_document_id = Some(result_id);
}

fn listings_report(store: &mut Store, feed: &Value, seller: &str, feed_id: &str) -> Value {
    let messages = feed
        .get("messages")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if messages.len() > super::MAX_STOCK_BATCH {
        return fatal_report(
            seller,
            feed_id,
            &format!(
                "A JSON_LISTINGS_FEED carries at most {} messages; this one has {}.",
                super::MAX_STOCK_BATCH,
                messages.len()
            ),
        );
    }
    let mut issues = Vec::new();
    let mut accepted = 0u64;
    let mut invalid = 0u64;
    for message in &messages {
        let message_id = message.get("messageId").cloned().unwrap_or(Value::Null);
        let sku = message.get("sku").and_then(Value::as_str).unwrap_or("");
        let outcome = match message.get("operationType").and_then(Value::as_str) {
            Some("PATCH") => {
                apply_patches(store, sku, message.get("patches").unwrap_or(&Value::Null))
            }
            other => Err((
                "4000010".to_string(),
                format!("operationType {other:?} is not supported by the simulator."),
            )),
        };
        match outcome {
            Ok(()) => accepted += 1,
            Err((code, text)) => {
                invalid += 1;
                issues.push(json!({"messageId": message_id, "sku": sku, "code": code,
                    "severity": "ERROR", "message": text}));
            }
        }
    }
    json!({
        "header": {"sellerId": seller, "version": "2.0", "feedId": feed_id},
        "issues": issues,
        "summary": {
            "errors": invalid,
            "warnings": 0,
            "messagesProcessed": messages.len(),
            "messagesAccepted": accepted,
            "messagesInvalid": invalid,
        }
    })
}

fn fatal_report(seller: &str, feed_id: &str, why: &str) -> Value {
    json!({
        "header": {"sellerId": seller, "version": "2.0", "feedId": feed_id},
        "issues": [{"code": "100001", "severity": "ERROR", "message": why}],
        "summary": {"errors": 1, "warnings": 0, "messagesProcessed": 0, "messagesAccepted": 0, "messagesInvalid": 0}
    })
}
