//! Fulfillment API `issueRefund` (`POST /sell/fulfillment/v1/order/{order_id}/issue_refund`):
//! a refund of line items (`refundItems`, each `lineItemId` with a `refundAmount`) or of the
//! order (`orderLevelRefundAmount`), with a required `reasonForRefund`. Refused as eBay
//! documents: amounts positive with at most two decimals in the order's currency (34907,
//! 34909), lines of the order (34914), never more than a line's remaining amount (409 34924)
//! or the order's (409 34915), only for a paid order (409 34917). Every call that passes
//! makes a refund, as on eBay: repeating it is the caller's problem. The refund shows at once
//! in `paymentSummary.refunds` and its line's `refunds`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::{Value, json};

use super::Shared;
use super::errors::{Refused, ebay_error};
use super::store::{SimRefund, next_modified, parse_cents};

const DOMAIN: &str = "API_FULFILLMENT";

/// eBay's `ReasonForRefundEnum`.
const REASONS: [&str; 7] = [
    "BUYER_CANCEL",
    "BUYER_RETURN",
    "ITEM_NOT_RECEIVED",
    "SELLER_WRONG_ITEM",
    "SELLER_OUT_OF_STOCK",
    "SELLER_FOUND_CHEAPER_PRICE",
    "OTHER",
];

fn bad(error_id: u32, message: &str) -> Response {
    ebay_error(400, error_id, DOMAIN, message)
}

fn conflict(error_id: u32, message: &str) -> Response {
    let mut r = ebay_error(409, error_id, DOMAIN, message);
    // eBay marks these business refusals.
    if let Ok(body) = serde_json::to_vec(&json!({"errors": [{
        "errorId": error_id, "domain": DOMAIN, "category": "BUSINESS", "message": message,
    }]})) {
        *r.body_mut() = body.into();
    }
    r
}

/// Cents of a `SimpleAmount`, checked: value positive, two decimals at most, the currency.
fn cents(amount: Option<&Value>, currency: &str) -> Result<i64, Refused> {
    let amount =
        amount.ok_or_else(|| Box::new(bad(34906, "The amount value must be specified.")))?;
    let value = amount
        .get("value")
        .and_then(Value::as_str)
        .ok_or_else(|| Box::new(bad(34906, "The amount value must be specified.")))?;
    let two_places = value.split_once('.').is_none_or(|(_, f)| f.len() <= 2);
    let c = parse_cents(value)
        .filter(|c| *c > 0 && two_places)
        .ok_or_else(|| {
            bad(
                34907,
                "The amount value must be positive and within two decimals.",
            )
        })?;
    match amount.get("currency").and_then(Value::as_str) {
        None => Err(Box::new(bad(
            34908,
            "The amount currency must be specified.",
        ))),
        Some(c0) if c0 != currency => {
            Err(Box::new(bad(34909, "The amount currency isn't correct.")))
        }
        Some(_) => Ok(c),
    }
}

pub async fn issue(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let currency = shared.config.currency.clone();
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return bad(34902, "Request can't be empty.");
    };
    let Some(reason) = request.get("reasonForRefund").and_then(Value::as_str) else {
        return bad(34903, "The refund reason must be specified.");
    };
    if !REASONS.contains(&reason) {
        return bad(34903, "The refund reason must be specified.");
    }
    let comment = request
        .get("comment")
        .and_then(Value::as_str)
        .map(str::to_string);
    if comment.as_ref().is_some_and(|c| c.chars().count() > 1000) {
        return bad(
            34921,
            "The comment exceeds the length limit, please make sure it doesn't exceed 1000 characters.",
        );
    }
    let items = request
        .get("refundItems")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty());
    let order_level = request.get("orderLevelRefundAmount");
    let mut wanted: Vec<(Option<String>, i64)> = Vec::new();
    match (items, order_level) {
        (Some(items), _) => {
            for item in items {
                let Some(line) = item.get("lineItemId").and_then(Value::as_str) else {
                    return bad(
                        34910,
                        "Either legacyReference or lineItemId must be specified for item level refund.",
                    );
                };
                match cents(item.get("refundAmount"), &currency) {
                    Ok(c) => wanted.push((Some(line.to_string()), c)),
                    Err(r) => return *r,
                }
            }
        }
        (None, Some(amount)) => match cents(Some(amount), &currency) {
            Ok(c) => wanted.push((None, c)),
            Err(r) => return *r,
        },
        (None, None) => {
            return bad(
                34905,
                "Either orderLevelRefundAmount or refundItems must be specified.",
            );
        }
    }
    let outcome = shared.with_store(|s| {
        let refund_id = format!("5{:011}", s.next_id());
        let Some(order) = s.order_mut(&id) else {
            return Err(Box::new(ebay_error(
                404,
                34913,
                DOMAIN,
                "Can not find the order.",
            )));
        };
        if !order.paid || order.cancelled {
            return Err(Box::new(conflict(
                34917,
                "The order status is not correct, refund can't be triggered against the order.",
            )));
        }
        let total: i64 = order
            .lines
            .iter()
            .map(|l| l.unit_cents * i64::from(l.quantity))
            .sum();
        let refunded: i64 = order.refunds.iter().map(SimRefund::cents).sum();
        let mut lines = Vec::new();
        for (line, c) in &wanted {
            match line {
                Some(line) => {
                    let Some(l) = order.lines.iter().find(|l| &l.line_item_id == line) else {
                        return Err(Box::new(bad(34914, "Can't find the item in the order.")));
                    };
                    let remaining = l.unit_cents * i64::from(l.quantity)
                        - order.refunded_cents(line)
                        - lines
                            .iter()
                            .filter(|(x, _)| x == line)
                            .map(|(_, c)| c)
                            .sum::<i64>();
                    if *c > remaining {
                        return Err(Box::new(conflict(
                            34924,
                            "The item refund amount exceeds the item remaining amount.",
                        )));
                    }
                    lines.push((line.clone(), *c));
                }
                // An order-level refund is spread over the lines in order.
                None => {
                    let mut left = *c;
                    for l in &order.lines {
                        let room = l.unit_cents * i64::from(l.quantity)
                            - order.refunded_cents(&l.line_item_id);
                        let take = left.min(room);
                        if take > 0 {
                            lines.push((l.line_item_id.clone(), take));
                            left -= take;
                        }
                    }
                    if left > 0 {
                        return Err(Box::new(bad(
                            34915,
                            "The refund amount exceeds order amount.",
                        )));
                    }
                }
            }
        }
        let asked: i64 = lines.iter().map(|(_, c)| c).sum();
        if refunded + asked > total {
            return Err(Box::new(bad(
                34915,
                "The refund amount exceeds order amount.",
            )));
        }
        order.refunds.push(SimRefund {
            refund_id: refund_id.clone(),
            date: Utc::now(),
            comment,
            lines,
        });
        order.modified = next_modified(order.modified);
        Ok(refund_id)
    });
    match outcome {
        Ok(refund_id) => {
            Json(json!({"refundId": refund_id, "refundStatus": "PENDING"})).into_response()
        }
        Err(r) => *r,
    }
}
