//! Cancelling order lines as the seller: `POST /v3/orders/{purchaseOrderId}/cancel`
//! (cancelOrderLines, raw_orders.json) with, per line, a `Cancelled` status, its quantity and a
//! `cancellationReason` from Walmart's enum (`switchyard_core::cancellation`: out of stock →
//! `SELLER_CANCEL_OUT_OF_STOCK`, …; Walmart has no "other"). A whole order is every line with
//! units not yet shipped.
//!
//! Walmart has no idempotency key, so the call is made safe to repeat by reading first: the
//! order is fetched and each line's units already `Cancelled` are subtracted from what is asked,
//! so a retry after a lost response (or a crash) asks only what is left, and nothing when all
//! of it is done. Units already shipped are never asked (Walmart refuses them).

use reqwest::Method;
use serde_json::{Value, json};
use switchyard_core::cancellation::ChannelCancel;
use switchyard_core::ports::ChannelError;

use super::client::{WalmartClient, encode};
use super::normalize::unwrap_order;
use super::throttle::Api;
use crate::http::with_retry;

pub async fn cancel(
    client: &WalmartClient,
    request: &ChannelCancel,
) -> Result<String, ChannelError> {
    with_retry(client.retry_policy(), "walmart cancel", || {
        cancel_once(client, request)
    })
    .await
}

/// One line as far as cancelling goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineUnits {
    pub number: String,
    pub unit: String,
    /// Units Created or Acknowledged: what can still be cancelled.
    pub open: u32,
    pub cancelled: u32,
}

async fn cancel_once(
    client: &WalmartClient,
    request: &ChannelCancel,
) -> Result<String, ChannelError> {
    let po = &request.order_external_id;
    let body = client
        .call_once(
            Api::OneOrder,
            Method::GET,
            &format!("/v3/orders/{}", encode(po)),
            None,
        )
        .await?;
    let lines = read_lines(unwrap_order(&body))?;
    let todo = to_cancel(&lines, request)?;
    if todo.is_empty() {
        return Ok("already cancelled on Walmart".into());
    }
    let body = cancel_body(&todo, &request.reason_code);
    client
        .call_once(
            Api::Cancel,
            Method::POST,
            &format!("/v3/orders/{}/cancel", encode(po)),
            Some(&body),
        )
        .await?;
    let done: Vec<String> = todo
        .iter()
        .map(|(l, q)| format!("{}×{q}", l.number))
        .collect();
    Ok(format!(
        "cancelOrderLines {} ({})",
        done.join(", "),
        request.reason_code
    ))
}

pub fn read_lines(order: &Value) -> Result<Vec<LineUnits>, ChannelError> {
    let lines = order
        .pointer("/orderLines/orderLine")
        .and_then(Value::as_array)
        .ok_or_else(|| ChannelError::Decode("order has no orderLines.orderLine".into()))?;
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        let number = match line.get("lineNumber") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err(ChannelError::Decode("order line without lineNumber".into())),
        };
        let mut now = LineUnits {
            number,
            unit: line
                .pointer("/orderLineQuantity/unitOfMeasurement")
                .and_then(Value::as_str)
                .unwrap_or("EACH")
                .to_string(),
            open: 0,
            cancelled: 0,
        };
        let statuses = line
            .pointer("/orderLineStatuses/orderLineStatus")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for status in &statuses {
            let units = status
                .pointer("/statusQuantity/amount")
                .and_then(|a| {
                    a.as_str()
                        .and_then(|s| s.trim().parse().ok())
                        .or(a.as_u64())
                })
                .and_then(|u| u32::try_from(u).ok())
                .unwrap_or(0);
            match status.get("status").and_then(Value::as_str) {
                Some("Created" | "Acknowledged") => now.open += units,
                Some("Cancelled") => now.cancelled += units,
                _ => {}
            }
        }
        out.push(now);
    }
    Ok(out)
}

/// What is left to ask per line: the request's units less those already `Cancelled` (an
/// earlier attempt's). More than the line can still cancel is refused: units shipped.
pub fn to_cancel<'a>(
    lines: &'a [LineUnits],
    request: &ChannelCancel,
) -> Result<Vec<(&'a LineUnits, u32)>, ChannelError> {
    let mut todo = Vec::new();
    for wanted in &request.lines {
        let line = lines
            .iter()
            .find(|l| l.number == wanted.line_id)
            .ok_or_else(|| {
                ChannelError::Rejected(format!(
                    "order {} has no line {}",
                    request.order_external_id, wanted.line_id
                ))
            })?;
        let left = wanted.quantity.saturating_sub(line.cancelled);
        if left == 0 {
            continue;
        }
        if left > line.open {
            return Err(ChannelError::Rejected(format!(
                "line {} of order {} has {} unit(s) Walmart can still cancel, {left} asked \
                 (the rest shipped)",
                line.number, request.order_external_id, line.open
            )));
        }
        todo.push((line, left));
    }
    Ok(todo)
}

pub fn cancel_body(todo: &[(&LineUnits, u32)], reason: &str) -> Value {
    let lines: Vec<Value> = todo
        .iter()
        .map(|(line, units)| {
            json!({
                "lineNumber": line.number,
                "orderLineStatuses": {"orderLineStatus": [{
                    "status": "Cancelled",
                    "cancellationReason": reason,
                    "statusQuantity": {"unitOfMeasurement": line.unit, "amount": units.to_string()},
                }]},
            })
        })
        .collect();
    json!({"orderCancellation": {"orderLines": {"orderLine": lines}}})
}
