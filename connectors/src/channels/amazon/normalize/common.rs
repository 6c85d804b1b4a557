//! Field readers shared by both Amazon shapes: each names the JSON path it failed on.

use chrono::{DateTime, FixedOffset, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use switchyard_core::model::{OrderStatus, PaymentStatus};
use switchyard_core::money::decimal_field;
use switchyard_core::ports::NormalizeError;

pub type Object = Map<String, Value>;

/// `prefix.key`, or `key` at the top level.
pub fn path(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// A trimmed, non-empty string; Amazon writes `""` for "not given".
pub fn text(obj: &Object, key: &str) -> Option<String> {
    obj.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

pub fn required_text(obj: &Object, key: &str, at: &str) -> Result<String, NormalizeError> {
    match obj.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_string()),
        Some(Value::String(_)) => Err(NormalizeError::new(at, "empty")),
        Some(Value::Null) | None => Err(NormalizeError::new(at, "missing")),
        Some(other) => Err(NormalizeError::new(
            at,
            format!("expected a string, found {other}"),
        )),
    }
}

pub fn object<'a>(obj: &'a Object, key: &str, at: &str) -> Result<&'a Object, NormalizeError> {
    match obj.get(key) {
        Some(Value::Object(o)) => Ok(o),
        Some(Value::Null) | None => Err(NormalizeError::new(at, "missing")),
        Some(other) => Err(NormalizeError::new(
            at,
            format!("expected an object, found {other}"),
        )),
    }
}

pub fn optional_object<'a>(obj: &'a Object, key: &str) -> Option<&'a Object> {
    obj.get(key).and_then(Value::as_object)
}

pub fn array<'a>(obj: &'a Object, key: &str, at: &str) -> Result<&'a [Value], NormalizeError> {
    match obj.get(key) {
        Some(Value::Array(items)) => Ok(items),
        Some(Value::Null) | None => Err(NormalizeError::new(at, "missing")),
        Some(other) => Err(NormalizeError::new(
            at,
            format!("expected an array, found {other}"),
        )),
    }
}

/// An RFC 3339 time, keeping the offset Amazon wrote (always `Z` in practice).
pub fn time(obj: &Object, key: &str, at: &str) -> Result<DateTime<FixedOffset>, NormalizeError> {
    let raw = required_text(obj, key, at)?;
    DateTime::parse_from_rfc3339(&raw)
        .map_err(|_| NormalizeError::new(at, format!("`{raw}` is not an RFC 3339 date-time")))
}

/// A whole, non-negative count such as a quantity.
pub fn count(obj: &Object, key: &str, at: &str) -> Result<u32, NormalizeError> {
    match obj.get(key) {
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|q| u32::try_from(q).ok())
            .ok_or_else(|| NormalizeError::new(at, format!("`{n}` is not a whole count"))),
        Some(Value::Null) | None => Err(NormalizeError::new(at, "missing")),
        Some(other) => Err(NormalizeError::new(
            at,
            format!("expected a number, found {other}"),
        )),
    }
}

/// A money object: `{amount, currencyCode}` (2026) or `{Amount, CurrencyCode}` (v0).
pub fn money(
    obj: &Object,
    amount_key: &str,
    currency_key: &str,
    at: &str,
) -> Result<(Decimal, String), NormalizeError> {
    let amount = decimal_field(obj.get(amount_key), &path(at, amount_key))?;
    let currency = required_text(obj, currency_key, &path(at, currency_key))?;
    Ok((amount, currency))
}

/// Canonical status and payment state of Amazon's fulfillment status, written the 2026 way
/// (`UNSHIPPED`); v0 names are mapped onto these first. `None` for a status Amazon has not
/// documented.
pub fn status(fulfillment_status: &str) -> Option<(OrderStatus, PaymentStatus)> {
    Some(match fulfillment_status {
        // Payment is not yet authorized: the order holds stock but must not ship.
        "PENDING_AVAILABILITY" | "PENDING" => (OrderStatus::Open, PaymentStatus::Pending),
        "UNSHIPPED" => (OrderStatus::Open, PaymentStatus::Paid),
        "PARTIALLY_SHIPPED" => (OrderStatus::PartiallyFulfilled, PaymentStatus::Paid),
        "SHIPPED" => (OrderStatus::Fulfilled, PaymentStatus::Paid),
        "CANCELLED" | "UNFULFILLABLE" => (OrderStatus::Cancelled, PaymentStatus::Voided),
        _ => return None,
    })
}

/// What identifies one version of one order: its id and last-updated time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderVersion {
    pub order_id: String,
    pub updated_at: Option<DateTime<Utc>>,
}

/// Reads the id and last-updated time from either stored shape (or a bare v0 order), as far as
/// they are readable; used for inbox keys, so it never fails.
pub fn version_of(value: &Value) -> Option<OrderVersion> {
    let obj = value.as_object()?;
    let (order, id_key, time_key) = if let Some(v0) = obj.get("Order") {
        (v0.as_object()?, "AmazonOrderId", "LastUpdateDate")
    } else if obj.contains_key("AmazonOrderId") {
        (obj, "AmazonOrderId", "LastUpdateDate")
    } else if let Some(inner) = obj.get("order") {
        (inner.as_object()?, "orderId", "lastUpdatedTime")
    } else {
        (obj, "orderId", "lastUpdatedTime")
    };
    let order_id = text(order, id_key)?;
    let updated_at = text(order, time_key)
        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.with_timezone(&Utc));
    Some(OrderVersion {
        order_id,
        updated_at,
    })
}
