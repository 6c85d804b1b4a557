//! The Post-Order API's seller cancellation (eBay's published reference; not in
//! `../shared/specs`): `POST /post-order/v2/cancellation` (`CreateCancelRequest`
//! `{legacyOrderId, cancelReason, buyerPaid, buyerPaidDate}` → `CreateCancelResponse`
//! `{cancelId}`, or `orderEligibilityResult {eligible: false, failureReason[]}` when the order
//! cannot be cancelled) and `GET /post-order/v2/cancellation/search?legacy_order_id=`
//! (`{cancellations[], paginationOutput, total}`).
//!
//! Whole orders only. A seller may give `ADDRESS_ISSUES`, `BUYER_ASKED_CANCEL` or
//! `OUT_OF_STOCK_OR_CANNOT_FULFILL`; another reason is a 400. An order with a shipping
//! fulfillment is not eligible (`ITEM_LEVEL_ELIGIBILITY_FAILURE`: its items shipped), nor one
//! already cancelled (`CANCELLATION_EXIST`); an unknown order is `INVALID_ORDER`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::Shared;
use super::errors::ebay_error;
use super::store::next_modified;

/// `CancelReasonEnum` values a seller may give.
pub const SELLER_REASONS: [&str; 3] = [
    "ADDRESS_ISSUES",
    "BUYER_ASKED_CANCEL",
    "OUT_OF_STOCK_OR_CANNOT_FULFILL",
];

fn not_eligible(reason: &str) -> Response {
    Json(json!({
        "orderEligibilityResult": {"eligible": false, "failureReason": [reason]}
    }))
    .into_response()
}

pub async fn create(State(shared): State<Arc<Shared>>, body: String) -> Response {
    let Ok(Value::Object(body)) = serde_json::from_str::<Value>(&body) else {
        return ebay_error(
            400,
            1003,
            "API_POSTORDER",
            "The request body is not valid JSON.",
        );
    };
    let Some(order_id) = body
        .get("legacyOrderId")
        .and_then(Value::as_str)
        .filter(|o| !o.trim().is_empty())
    else {
        return ebay_error(400, 1004, "API_POSTORDER", "legacyOrderId is required.");
    };
    let reason = body.get("cancelReason").and_then(Value::as_str);
    let Some(reason) = reason.filter(|r| SELLER_REASONS.contains(r)) else {
        return ebay_error(
            400,
            1005,
            "API_POSTORDER",
            &format!(
                "cancelReason must be one a seller may give: {}.",
                SELLER_REASONS.join(", ")
            ),
        );
    };
    let outcome = shared.with_store(|s| {
        let cancel_id = s.next_id();
        let order = s.order_mut(order_id).ok_or("INVALID_ORDER")?;
        if order.cancelled {
            return Err("CANCELLATION_EXIST");
        }
        if !order.fulfillments.is_empty() {
            return Err("ITEM_LEVEL_ELIGIBILITY_FAILURE");
        }
        let cancel_id = format!("5{cancel_id:09}");
        order.cancelled = true;
        order.modified = next_modified(order.modified);
        order
            .seller_cancellations
            .push((cancel_id.clone(), reason.to_string()));
        Ok(cancel_id)
    });
    match outcome {
        Ok(cancel_id) => Json(json!({"cancelId": cancel_id})).into_response(),
        Err(reason) => not_eligible(reason),
    }
}

pub async fn search(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let wanted = q.get("legacy_order_id").map(|s| s.trim().to_string());
    let found: Vec<Value> = shared.with_store(|s| {
        s.orders
            .iter()
            .filter(|o| wanted.as_ref().is_none_or(|w| &o.order_id == w))
            .flat_map(|o| {
                o.seller_cancellations.iter().map(|(id, reason)| {
                    json!({
                        "cancelId": id,
                        "legacyOrderId": o.order_id,
                        "requestorType": "SELLER",
                        "cancelReason": reason,
                        "cancelState": "CLOSED",
                        "cancelStatus": "CANCEL_CLOSED_WITH_REFUND",
                    })
                })
            })
            .collect()
    });
    let total = found.len();
    Json(json!({
        "cancellations": found,
        "paginationOutput": {"limit": 200, "offset": 1, "totalEntries": total, "totalPages": 1},
        "total": total,
    }))
    .into_response()
}
