//! `/wc/v3/orders`, `/wc/v3/orders/{id}` and `/wc/v3/orders/{id}/notes`.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::Shared;
use super::errors::{Refused, invalid_json, invalid_param, no_route, refuse_param, wp_error};
use super::params::{Params, paginate};
use super::store::{Note, next_modified, note_json, order_json};
use crate::WebhookFate;

pub const STATUSES: [&str; 8] = [
    "pending",
    "processing",
    "on-hold",
    "completed",
    "cancelled",
    "refunded",
    "failed",
    "trash",
];

pub async fn list(State(shared): State<Arc<Shared>>, RawQuery(q): RawQuery) -> Response {
    match list_inner(&shared, &Params::parse(q.as_deref())) {
        Ok(r) => r,
        Err(r) => *r,
    }
}

fn list_inner(shared: &Shared, p: &Params) -> Result<Response, Refused> {
    let page = p.page()?;
    let per_page = p.per_page()?;
    let orderby = p.one_of(
        "orderby",
        &["date", "id", "include", "title", "slug", "modified"],
        "date",
    )?;
    let order = p.one_of("order", &["asc", "desc"], "desc")?;
    let gmt = p.flag("dates_are_gmt")?;
    let site = shared.offset;
    let after = p.date("after", gmt, site)?;
    let before = p.date("before", gmt, site)?;
    let modified_after = p.date("modified_after", gmt, site)?;
    let modified_before = p.date("modified_before", gmt, site)?;
    let statuses: Option<Vec<String>> = match p.get("status") {
        None | Some("any") => None,
        Some(list) => {
            let wanted: Vec<String> = list.split(',').map(|s| s.trim().to_string()).collect();
            if let Some(bad) = wanted.iter().find(|s| !STATUSES.contains(&s.as_str())) {
                return Err(refuse_param(
                    "status",
                    &format!(
                        "status[0] is not one of any, {}. ({bad})",
                        STATUSES.join(", ")
                    ),
                ));
            }
            Some(wanted)
        }
    };
    let (items, total, pages) = shared.with_store(|s| {
        let mut matched: Vec<_> = s
            .orders
            .iter()
            .filter(|o| statuses.as_ref().is_none_or(|w| w.contains(&o.status)))
            // WooCommerce lists trashed orders only when asked for them.
            .filter(|o| statuses.is_some() || o.status != "trash")
            .filter(|o| after.is_none_or(|t| o.created > t))
            .filter(|o| before.is_none_or(|t| o.created < t))
            .filter(|o| modified_after.is_none_or(|t| o.modified > t))
            .filter(|o| modified_before.is_none_or(|t| o.modified < t))
            .collect();
        matched.sort_by(|a, b| {
            let key = match orderby.as_str() {
                "modified" => a.modified.cmp(&b.modified),
                "date" => a.created.cmp(&b.created),
                _ => std::cmp::Ordering::Equal,
            };
            key.then(a.id.cmp(&b.id))
        });
        if order == "desc" {
            matched.reverse();
        }
        let (page_items, total, pages) = paginate(&matched, page, per_page);
        let rendered: Vec<Value> = page_items
            .iter()
            .map(|o| order_json(o, shared.offset, &shared.base_url))
            .collect();
        (rendered, total, pages)
    });
    let mut response = Json(Value::Array(items)).into_response();
    let headers = response.headers_mut();
    for (name, value) in [("x-wp-total", total), ("x-wp-totalpages", pages)] {
        if let Ok(v) = value.to_string().parse() {
            headers.insert(name, v);
        }
    }
    Ok(response)
}

pub fn parse_id(raw: &str) -> Option<u64> {
    raw.parse().ok()
}

fn invalid_order() -> Response {
    wp_error(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
}

pub async fn get_one(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let Some(id) = parse_id(&id) else {
        return no_route();
    };
    shared
        .with_store(|s| {
            s.order(id)
                .map(|o| order_json(o, shared.offset, &shared.base_url))
        })
        .map_or_else(invalid_order, |o| Json(o).into_response())
}

/// `PUT /orders/{id}`: only `status` is simulated; other fields are accepted and ignored.
pub async fn update(
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
    let status = match fields.get("status") {
        None => None,
        Some(Value::String(s)) if STATUSES.contains(&s.as_str()) => Some(s.clone()),
        Some(_) => {
            return invalid_param(
                "status",
                &format!("status is not one of {}.", STATUSES.join(", ")),
            );
        }
    };
    let updated = shared.with_store(|s| {
        let order = s.order_mut(id)?;
        if let Some(status) = status {
            order.status = status;
            let now = next_modified(order.modified);
            if order.status == "completed" && order.completed.is_none() {
                order.completed = Some(now);
            }
            if matches!(order.status.as_str(), "processing" | "completed") && order.paid.is_none() {
                order.paid = Some(now);
            }
        }
        // Every save moves date_modified, changed or not.
        order.modified = next_modified(order.modified);
        Some(order_json(order, shared.offset, &shared.base_url))
    });
    let Some(order) = updated else {
        return invalid_order();
    };
    shared.spawn_webhook("order.updated", &order, WebhookFate::Deliver);
    Json(order).into_response()
}

pub async fn list_notes(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let Some(id) = parse_id(&id) else {
        return no_route();
    };
    let p = Params::parse(q.as_deref());
    let kind = match p.one_of("type", &["any", "customer", "internal"], "any") {
        Ok(k) => k,
        Err(r) => return *r,
    };
    let notes = shared.with_store(|s| {
        s.order(id).map(|o| {
            o.notes
                .iter()
                .rev()
                .filter(|n| match kind.as_str() {
                    "customer" => n.customer_note,
                    "internal" => !n.customer_note,
                    _ => true,
                })
                .map(|n| note_json(n, shared.offset))
                .collect::<Vec<_>>()
        })
    });
    notes.map_or_else(invalid_order, |n| Json(Value::Array(n)).into_response())
}

pub async fn add_note(
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
    let Some(text) = fields
        .get("note")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
    else {
        return wp_error(
            400,
            "rest_missing_callback_param",
            "Missing parameter(s): note",
        );
    };
    let customer_note = fields
        .get("customer_note")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let created = shared.with_store(|s| {
        let note_id = s.post_id();
        let order = s.order_mut(id)?;
        let note = Note {
            id: note_id,
            note: text.to_string(),
            customer_note,
            created: super::store::truncate(chrono::Utc::now()),
        };
        let json = note_json(&note, shared.offset);
        order.notes.push(note);
        Some(json)
    });
    created.map_or_else(invalid_order, |n| {
        (StatusCode::CREATED, Json(n)).into_response()
    })
}
