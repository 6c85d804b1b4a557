//! The Post-Order API's return requests (eBay's published reference; not in
//! `../shared/specs`): `GET /post-order/v2/return/search` with the filters `return_state`
//! (`ReturnCountFilterEnum`: `ALL_OPEN`, `CLOSED`, ...), `creation_date_range_from`/`_to`
//! (ISO 8601), `order_id`, `item_id`, `transaction_id`, `return_id`, `limit` (1–200) and
//! `offset` (the page, from 1), ANDed; it answers `{members[], paginationOutput, total}`, each
//! member a `ReturnSummaryType` (`returnId`, `orderId`, `state`, `creationInfo {item {itemId,
//! transactionId, returnQuantity}, type, reason, reasonType, creationDate {value}}`).
//!
//! A return request is for one order line item, named by its listing (`itemId`, the line's
//! `legacyItemId`) and purchase (`transactionId`, the line's `lineItemId`). Buyers can ask to
//! return only units that shipped and are not already on an open return.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::Shared;
use super::errors::{Refused, ebay_error};
use super::store::{SimReturn, Store, ebay_time, next_modified};

const DEFAULT_LIMIT: usize = 25;
const MAX_LIMIT: usize = 200;

/// Opens a return request for `qty` shipped units of one line; its `returnId`, or `None`.
pub fn open(
    s: &mut Store,
    order_id: &str,
    line: &str,
    qty: u32,
    now: DateTime<Utc>,
) -> Option<String> {
    let n = s.next_id();
    let order = s.order_mut(order_id)?;
    if qty == 0 || !order.lines.iter().any(|l| l.line_item_id == line) {
        return None;
    }
    let shipped: u32 = order
        .fulfillments
        .iter()
        .flat_map(|f| &f.line_items)
        .filter(|(id, _)| id == line)
        .map(|(_, q)| q)
        .sum();
    let on_returns: u32 = order
        .returns
        .iter()
        .filter(|r| r.state != "CLOSED" && r.line_item_id == line)
        .map(|r| r.quantity)
        .sum();
    if shipped < on_returns + qty {
        return None;
    }
    let return_id = format!("{}", 5_000_000_000u64 + n);
    order.returns.push(SimReturn {
        return_id: return_id.clone(),
        line_item_id: line.to_string(),
        quantity: qty,
        created: now,
        state: "RETURN_REQUESTED",
    });
    order.modified = next_modified(order.modified);
    Some(return_id)
}

fn member(order_id: &str, r: &SimReturn) -> Value {
    json!({
        "returnId": r.return_id,
        "orderId": order_id,
        "state": r.state,
        "status": r.state,
        "currentType": "MONEY_BACK",
        "creationInfo": {
            "item": {
                "itemId": format!("1100{}", r.line_item_id),
                "transactionId": r.line_item_id,
                "returnQuantity": r.quantity,
            },
            "type": "MONEY_BACK",
            "reason": "NO_LONGER_NEED_ITEM",
            "reasonType": "REMORSE",
            "creationDate": {"value": ebay_time(r.created)},
        },
    })
}

fn time(q: &HashMap<String, String>, key: &str) -> Result<Option<DateTime<Utc>>, Refused> {
    match q.get(key) {
        None => Ok(None),
        Some(v) => DateTime::parse_from_rfc3339(v.trim())
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| {
                Box::new(ebay_error(
                    400,
                    1001,
                    "API_POSTORDER",
                    &format!("{key} must be an ISO 8601 date-time."),
                ))
            }),
    }
}

fn number(q: &HashMap<String, String>, key: &str, default: usize) -> Result<usize, Refused> {
    match q.get(key) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|_| {
            Box::new(ebay_error(
                400,
                1002,
                "API_POSTORDER",
                &format!("{key} must be an integer."),
            ))
        }),
    }
}

pub async fn search(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (from, to) = match (
        time(&q, "creation_date_range_from"),
        time(&q, "creation_date_range_to"),
    ) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(e), _) | (_, Err(e)) => return *e,
    };
    let (limit, page) = match (number(&q, "limit", DEFAULT_LIMIT), number(&q, "offset", 1)) {
        (Ok(l), Ok(p)) => (l, p),
        (Err(e), _) | (_, Err(e)) => return *e,
    };
    if !(1..=MAX_LIMIT).contains(&limit) || page == 0 {
        return ebay_error(
            400,
            1002,
            "API_POSTORDER",
            "limit must be 1 to 200 and offset a page from 1.",
        );
    }
    let open_only = match q.get("return_state").map(String::as_str) {
        None => None,
        Some("ALL_OPEN" | "ALL_OPEN_RETURN" | "RETURN_STARTED") => Some(true),
        Some("CLOSED") => Some(false),
        Some(other) => {
            return ebay_error(
                400,
                1003,
                "API_POSTORDER",
                &format!("return_state `{other}` is not a ReturnCountFilterEnum value."),
            );
        }
    };
    let eq = |key: &str, value: &str| q.get(key).is_none_or(|w| w.trim() == value);
    let found: Vec<Value> = shared.with_store(|s| {
        let mut all: Vec<(&str, &SimReturn)> = s
            .orders
            .iter()
            .flat_map(|o| o.returns.iter().map(move |r| (o.order_id.as_str(), r)))
            .filter(|(_, r)| open_only.is_none_or(|open| open == (r.state != "CLOSED")))
            .filter(|(_, r)| from.is_none_or(|f| r.created >= f))
            .filter(|(_, r)| to.is_none_or(|t| r.created <= t))
            .filter(|(o, r)| {
                eq("order_id", o)
                    && eq("return_id", &r.return_id)
                    && eq("transaction_id", &r.line_item_id)
                    && eq("item_id", &format!("1100{}", r.line_item_id))
            })
            .collect();
        all.sort_by_key(|(_, r)| r.created);
        all.into_iter().map(|(o, r)| member(o, r)).collect()
    });
    let total = found.len();
    let pages = total.div_ceil(limit);
    let members: Vec<Value> = found
        .into_iter()
        .skip((page - 1) * limit)
        .take(limit)
        .collect();
    Json(json!({
        "members": members,
        "paginationOutput": {"limit": limit, "offset": page, "totalEntries": total, "totalPages": pages},
        "total": total,
    }))
    .into_response()
}
