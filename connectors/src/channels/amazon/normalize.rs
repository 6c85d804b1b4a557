//! Amazon order JSON → canonical order. Pure: every unreadable required field is an error that
//! names its JSON path.
//!
//! Two shapes are stored in the inbox, and [`normalize_body`] tells them apart:
//! - Orders API 2026-01-01: the order object of `searchOrders`/`getOrder` (bare, or wrapped as
//!   `getOrder` answers it, `{"order": {...}}`), with its included data (items, recipient,
//!   buyer, proceeds, fulfillment).
//! - Orders API v0: v0 spreads one order over three calls, so the poller stores the composite
//!   `{"Order": <getOrders element>, "OrderItems": [<getOrderItems elements>],
//!   "ShippingAddress": <getOrderAddress ShippingAddress or null>}`.

mod common;
mod orders2026;
mod v0;

use serde_json::Value;
use switchyard_core::model::Order;
use switchyard_core::ports::NormalizeError;

pub use common::{OrderVersion, version_of};

/// Reads one stored Amazon order in either shape.
pub fn normalize_body(body: &[u8]) -> Result<Order, NormalizeError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| NormalizeError::new("body", format!("not JSON: {e}")))?;
    normalize_value(&value)
}

/// Same as [`normalize_body`] for an already parsed payload.
pub fn normalize_value(value: &Value) -> Result<Order, NormalizeError> {
    let object = value
        .as_object()
        .ok_or_else(|| NormalizeError::new("body", "expected a JSON object"))?;
    if object.contains_key("Order") {
        return v0::normalize(object);
    }
    match object.get("order") {
        Some(inner) => orders2026::normalize(inner, "order"),
        None if object.contains_key("orderId") => orders2026::normalize(value, ""),
        None => Err(NormalizeError::new(
            "body",
            "neither a 2026-01-01 order (`orderId`) nor a v0 composite (`Order`)",
        )),
    }
}

#[cfg(test)]
mod tests;
