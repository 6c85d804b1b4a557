//! `POST /v3/orders/{purchaseOrderId}/refund` (`orders.json`, OrderRefund): per order line, its
//! refunds with `refundComments` and `refundCharges` (a `refundReason` from the spec's list and
//! a PRODUCT charge, negative as the spec's example sends it). Only shipped units are
//! refunded, never more than the line's price in all; the answer is the order, whose lines now
//! carry their `refund`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::Shared;
use super::errors::{Refused, bad_request, not_found};
use super::store::order_json;

const API: &str = "GMP_ORDER_API";

/// `refundReason` values the spec lists.
const REASONS: &[&str] = &[
    "BillingError",
    "TaxExemptCustomer",
    "ItemNotAsAdvertised",
    "IncorrectItemReceived",
    "CancelledYetShipped",
    "ItemNotReceivedByCustomer",
    "IncorrectShippingPrice",
    "DamagedItem",
    "DefectiveItem",
    "CustomerChangedMind",
    "CustomerReceivedItemLate",
    "Missing Parts / Instructions",
    "Finance -> Goodwill",
    "Finance -> Rollback",
    "Buyer canceled",
    "Customer returned item",
    "General adjustment",
    "Merchandise not received",
    "Quality -> Missing Parts / Instructions",
    "Shipping & Delivery -> Damaged",
    "Shipping & Delivery -> Shipping Price Discrepancy",
    "Others",
];

pub async fn refund(
    State(shared): State<Arc<Shared>>,
    Path(po): Path<String>,
    body: String,
) -> Response {
    match refund_lines(&shared, &po, &body) {
        Ok(order) => Json(json!({ "order": order })).into_response(),
        Err(r) => *r,
    }
}

fn refund_lines(shared: &Shared, po: &str, body: &str) -> Result<Value, Refused> {
    let body: Value = serde_json::from_str(body)
        .map_err(|_| bad_request(API, "orderRefund", "Request body is not valid JSON"))?;
    let lines = body
        .pointer("/orderRefund/orderLines/orderLine")
        .and_then(Value::as_array)
        .ok_or_else(|| bad_request(API, "orderRefund.orderLines.orderLine", "missing"))?;
    let currency = shared.config.currency.clone();
    shared.with_store(|s| {
        let refund_id = format!("R{}", s.stats.requests);
        let order = s.order_mut(po).ok_or_else(|| {
            Box::new(not_found(
                API,
                &format!("No order found for purchaseOrderId {po}"),
            ))
        })?;
        // Validate everything before changing anything.
        let mut plan: Vec<(usize, i64, String, String)> = Vec::new();
        for line in lines {
            let number = line
                .get("lineNumber")
                .and_then(Value::as_str)
                .ok_or_else(|| bad_request(API, "lineNumber", "missing"))?;
            let index = order
                .lines
                .iter()
                .position(|l| l.number == number)
                .ok_or_else(|| {
                    bad_request(API, "lineNumber", &format!("Invalid lineNumber {number}"))
                })?;
            if order.units_in(index, "Shipped") == 0 {
                return Err(bad_request(
                    API,
                    "lineNumber",
                    &format!("lineNumber {number} has not shipped"),
                ));
            }
            let refunds = line
                .pointer("/refunds/refund")
                .and_then(Value::as_array)
                .ok_or_else(|| bad_request(API, "refunds.refund", "missing"))?;
            for r in refunds {
                let comments = r
                    .get("refundComments")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let charges = r
                    .pointer("/refundCharges/refundCharge")
                    .and_then(Value::as_array)
                    .ok_or_else(|| bad_request(API, "refundCharges.refundCharge", "missing"))?;
                for c in charges {
                    let reason = c.get("refundReason").and_then(Value::as_str).unwrap_or("");
                    if !REASONS.contains(&reason) {
                        return Err(bad_request(
                            API,
                            "refundReason",
                            &format!("Invalid refundReason {reason}"),
                        ));
                    }
                    let amount = c
                        .pointer("/charge/chargeAmount/amount")
                        .and_then(Value::as_f64)
                        .ok_or_else(|| bad_request(API, "chargeAmount.amount", "missing"))?;
                    let cents = (amount.abs() * 100.0).round() as i64;
                    if cents == 0 {
                        return Err(bad_request(API, "chargeAmount.amount", "must not be 0"));
                    }
                    plan.push((index, cents, comments.clone(), reason.to_string()));
                }
            }
        }
        for (index, line) in order.lines.iter().enumerate() {
            let before: i64 = line.refunds.iter().map(|r| r.1).sum();
            let asked: i64 = plan.iter().filter(|p| p.0 == index).map(|p| p.1).sum();
            if before + asked > line.amount_cents {
                return Err(bad_request(
                    API,
                    "chargeAmount.amount",
                    &format!(
                        "Refund amount exceeds the refundable amount of lineNumber {}",
                        line.number
                    ),
                ));
            }
        }
        let mut touched = Vec::new();
        for (index, cents, comments, reason) in plan {
            if let Some(line) = order.lines.get_mut(index) {
                line.refunds
                    .push((refund_id.clone(), cents, comments, reason));
            }
            touched.push(index);
        }
        for index in touched {
            order.touch(index);
        }
        Ok(order_json(order, &currency))
    })
}
