//! `GET /inventory-level`: every inventory item's totals, a page at a time. The body is the
//! documented paged response `{items, first, last, next, prev}` whose links are full URLs; the
//! cursor inside them (`Cursor`, the position after the previous page) is the simulator's own
//! choice, which clients never build themselves.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::Shared;
use super::errors::problem;
use super::store::inventory_level_json;

const DEFAULT_PAGE_SIZE: usize = 100;
const MAX_PAGE_SIZE: usize = 250;

pub async fn levels(
    State(shared): State<Arc<Shared>>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let size = match params.get("PageSize").map(|v| v.trim().parse::<usize>()) {
        None => DEFAULT_PAGE_SIZE,
        Some(Ok(n)) if (1..=MAX_PAGE_SIZE).contains(&n) => n,
        Some(_) => {
            return problem(
                StatusCode::BAD_REQUEST,
                "One or more validation errors occurred.",
                &format!("PageSize must be between 1 and {MAX_PAGE_SIZE}."),
            );
        }
    };
    let start = match params.get("Cursor").map(|v| v.trim().parse::<usize>()) {
        None => 0,
        Some(Ok(n)) => n,
        Some(Err(_)) => {
            return problem(
                StatusCode::BAD_REQUEST,
                "One or more validation errors occurred.",
                "Cursor is not valid.",
            );
        }
    };
    let search = params.get("SearchBy").map(|s| s.trim().to_lowercase());
    let (items, total) = shared.with_store(|s| {
        let mut all: Vec<Value> = s
            .items
            .iter()
            .filter(|i| {
                search.as_ref().is_none_or(|q| {
                    i.inventory_id.to_string() == *q
                        || i.sku.to_lowercase().contains(q)
                        || i.name.to_lowercase().contains(q)
                })
            })
            .map(|i| inventory_level_json(i, s.committed(i.inventory_id)))
            .collect();
        all.sort_by_key(|v| v["inventory_id"].as_u64());
        let total = all.len();
        let page: Vec<Value> = all.into_iter().skip(start).take(size).collect();
        (page, total)
    });
    let base = format!(
        "{}/{}/inventory-level?PageSize={size}",
        shared.base_url, shared.config.api_version
    );
    let link = |from: usize| {
        if from == 0 {
            base.clone()
        } else {
            format!("{base}&Cursor={from}")
        }
    };
    let last_start = total.saturating_sub(1) / size * size;
    let next = (start + size < total).then(|| link(start + size));
    let prev = (start > 0).then(|| link(start.saturating_sub(size)));
    Json(json!({
        "items": items,
        "first": (start > 0).then(|| link(0)),
        "last": (start < last_start).then(|| link(last_start)),
        "next": next,
        "prev": prev,
    }))
    .into_response()
}
