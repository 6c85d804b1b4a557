//! Etsy `ShopReceipt` (Open API v3) → canonical order. Pure: bytes in, order or a
//! [`NormalizeError`] naming the field out.
//!
//! Etsy writes money as `{amount, divisor, currency_code}` integers and times as epoch seconds
//! (UTC). Status comes from `status` plus the `is_paid` / `is_shipped` flags:
//!
//! | `status`             | flags              | status                | payment_status       |
//! |----------------------|--------------------|-----------------------|----------------------|
//! | `open`               | `is_paid`          | open                  | paid                 |
//! | `open`               | not paid           | open                  | pending              |
//! | `payment processing` | any                | open                  | pending              |
//! | `paid`               | not `is_shipped`   | open                  | paid                 |
//! | `paid`               | `is_shipped`       | fulfilled             | paid                 |
//! | `completed`          | any                | fulfilled             | paid                 |
//! | `partially refunded` | not `is_shipped`   | open                  | partially_refunded   |
//! | `partially refunded` | `is_shipped`       | fulfilled             | partially_refunded   |
//! | `fully refunded`     | any                | cancelled             | refunded             |
//! | `canceled`           | `is_paid`          | cancelled             | refunded             |
//! | `canceled`           | not paid           | cancelled             | voided               |
//!
//! Etsy has no partial shipment on a receipt (one receipt ships as a whole), so
//! `partially_fulfilled` never appears.

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use switchyard_core::fields::optional_epoch_field;
use switchyard_core::model::{Address, ChannelKind, Order, OrderLine, OrderStatus, PaymentStatus};
use switchyard_core::ports::NormalizeError;

/// Parses a receipt body and normalizes it.
pub fn normalize_body(body: &[u8]) -> Result<Order, NormalizeError> {
    let receipt: Value = serde_json::from_slice(body)
        .map_err(|e| NormalizeError::new("receipt", format!("not JSON: {e}")))?;
    normalize_receipt(&receipt)
}

/// Normalizes one parsed `ShopReceipt`.
pub fn normalize_receipt(receipt: &Value) -> Result<Order, NormalizeError> {
    if !receipt.is_object() {
        return Err(NormalizeError::new("receipt", "expected a JSON object"));
    }
    let external_id = id_text(receipt.get("receipt_id"), "receipt_id")?;
    let placed_at = epoch_field(receipt, &["create_timestamp", "created_timestamp"])?;
    let updated_at = epoch_field(receipt, &["update_timestamp", "updated_timestamp"])?;
    let (status, payment_status) = status_of(receipt)?;
    let grandtotal = receipt.get("grandtotal");
    let total = money(grandtotal, "grandtotal")?;
    let currency = text(grandtotal.and_then(|g| g.get("currency_code")))
        .ok_or_else(|| NormalizeError::new("grandtotal.currency_code", "missing"))?;
    let lines = lines_of(receipt)?;
    Ok(Order {
        channel_kind: ChannelKind::Etsy,
        number: external_id.clone(),
        external_id,
        placed_at,
        updated_at,
        status,
        payment_status,
        currency,
        total,
        lines,
        ship_to: ship_to(receipt),
        customer_email: text(receipt.get("buyer_email")),
        fulfilled_by_channel: false,
        tags: Vec::new(),
        customer_tags: Vec::new(),
        ship_by: expected_ship_date(receipt)?,
        deliver_by: None,
        risk_level: None,
    })
}

/// The earliest `transactions[].expected_ship_date` (epoch seconds): the receipt must leave
/// by the first of its items' dates.
fn expected_ship_date(receipt: &Value) -> Result<Option<DateTime<FixedOffset>>, NormalizeError> {
    let mut earliest: Option<DateTime<FixedOffset>> = None;
    let items = receipt.get("transactions").and_then(Value::as_array);
    for (i, t) in items.into_iter().flatten().enumerate() {
        let at = format!("transactions[{i}].expected_ship_date");
        if let Some(d) = optional_epoch_field(t.get("expected_ship_date"), &at, false)? {
            earliest = Some(earliest.map_or(d, |e| e.min(d)));
        }
    }
    Ok(earliest)
}

/// The status table in the module documentation.
fn status_of(receipt: &Value) -> Result<(OrderStatus, PaymentStatus), NormalizeError> {
    let raw = receipt
        .get("status")
        .and_then(Value::as_str)
        .ok_or_else(|| NormalizeError::new("status", "missing"))?;
    let is_paid = flag(receipt, "is_paid")?;
    let is_shipped = flag(receipt, "is_shipped")?;
    let shipped_or_open = if is_shipped {
        OrderStatus::Fulfilled
    } else {
        OrderStatus::Open
    };
    Ok(match raw.trim().to_ascii_lowercase().as_str() {
        "open" if is_paid => (OrderStatus::Open, PaymentStatus::Paid),
        "open" | "payment processing" => (OrderStatus::Open, PaymentStatus::Pending),
        "paid" => (shipped_or_open, PaymentStatus::Paid),
        "completed" => (OrderStatus::Fulfilled, PaymentStatus::Paid),
        "partially refunded" => (shipped_or_open, PaymentStatus::PartiallyRefunded),
        "fully refunded" => (OrderStatus::Cancelled, PaymentStatus::Refunded),
        "canceled" | "cancelled" if is_paid => (OrderStatus::Cancelled, PaymentStatus::Refunded),
        "canceled" | "cancelled" => (OrderStatus::Cancelled, PaymentStatus::Voided),
        other => {
            return Err(NormalizeError::new(
                "status",
                format!("unknown receipt status `{other}`"),
            ));
        }
    })
}

fn lines_of(receipt: &Value) -> Result<Vec<OrderLine>, NormalizeError> {
    let items = receipt
        .get("transactions")
        .and_then(Value::as_array)
        .ok_or_else(|| NormalizeError::new("transactions", "missing or not an array"))?;
    items
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let path = |f: &str| format!("transactions[{i}].{f}");
            let quantity = t
                .get("quantity")
                .and_then(Value::as_u64)
                .and_then(|q| u32::try_from(q).ok())
                .ok_or_else(|| NormalizeError::new(path("quantity"), "missing or not a count"))?;
            Ok(OrderLine {
                line_id: id_text(t.get("transaction_id"), &path("transaction_id"))?,
                sku: text(t.get("sku")),
                quantity,
                unit_price: money(t.get("price"), &path("price"))?,
                title: text(t.get("title")).unwrap_or_default(),
                channel_sku: None,
            })
        })
        .collect()
}

/// Etsy puts the shipping address on the receipt itself; `None` when every part is empty
/// (a digital order, or an address the app may not see).
fn ship_to(receipt: &Value) -> Option<Address> {
    let field = |name: &str| text(receipt.get(name));
    let address = Address {
        name: field("name"),
        company: None,
        address1: field("first_line"),
        address2: field("second_line"),
        city: field("city"),
        region: field("state"),
        postal_code: field("zip"),
        country_code: field("country_iso"),
        phone: None,
    };
    (address != Address::default()).then_some(address)
}

/// An Etsy money object as an exact decimal: `amount / divisor`, with as many decimal places
/// as the divisor has zeros (amount 1250, divisor 100 → `12.50`).
pub fn money(value: Option<&Value>, field: &str) -> Result<Decimal, NormalizeError> {
    let object = value
        .filter(|v| v.is_object())
        .ok_or_else(|| NormalizeError::new(field, "missing money object"))?;
    let amount = object
        .get("amount")
        .and_then(Value::as_i64)
        .ok_or_else(|| {
            NormalizeError::new(format!("{field}.amount"), "missing or not an integer")
        })?;
    let divisor = object
        .get("divisor")
        .and_then(Value::as_i64)
        .filter(|d| *d > 0)
        .ok_or_else(|| {
            NormalizeError::new(
                format!("{field}.divisor"),
                "missing or not a positive integer",
            )
        })?;
    money_from_parts(amount, divisor)
        .ok_or_else(|| NormalizeError::new(format!("{field}.divisor"), "amount cannot be divided"))
}

/// `amount / divisor` exactly; a power-of-ten divisor keeps its scale (`100` → two places).
pub fn money_from_parts(amount: i64, divisor: i64) -> Option<Decimal> {
    if divisor <= 0 {
        return None;
    }
    let mut scale = 0u32;
    let mut rest = divisor;
    while rest % 10 == 0 {
        rest /= 10;
        scale += 1;
    }
    if rest == 1 && scale <= 28 {
        return Some(Decimal::new(amount, scale));
    }
    Decimal::from(amount).checked_div(Decimal::from(divisor))
}

/// Epoch seconds from the first of `names` present, as UTC.
fn epoch_field(v: &Value, names: &[&str]) -> Result<DateTime<FixedOffset>, NormalizeError> {
    let (name, raw) = names
        .iter()
        .find_map(|n| v.get(*n).filter(|x| !x.is_null()).map(|x| (*n, x)))
        .ok_or_else(|| {
            NormalizeError::new(names.first().copied().unwrap_or("timestamp"), "missing")
        })?;
    let secs = raw
        .as_i64()
        .ok_or_else(|| NormalizeError::new(name, format!("`{raw}` is not epoch seconds")))?;
    epoch_to_utc(secs)
        .map(|t| t.fixed_offset())
        .ok_or_else(|| NormalizeError::new(name, format!("{secs} is out of range")))
}

pub fn epoch_to_utc(secs: i64) -> Option<DateTime<Utc>> {
    Utc.timestamp_opt(secs, 0).single()
}

fn flag(v: &Value, name: &str) -> Result<bool, NormalizeError> {
    match v.get(name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(NormalizeError::new(
            name,
            format!("expected true or false, found {other}"),
        )),
    }
}

/// A numeric or string id as text.
pub fn id_text(value: Option<&Value>, field: &str) -> Result<String, NormalizeError> {
    match value {
        Some(Value::Number(n)) if n.is_u64() => Ok(n.to_string()),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_string()),
        Some(Value::Null) | None => Err(NormalizeError::new(field, "missing")),
        Some(other) => Err(NormalizeError::new(
            field,
            format!("expected an id, found {other}"),
        )),
    }
}

/// Trimmed text; empty strings and nulls are `None`.
fn text(value: Option<&Value>) -> Option<String> {
    value
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

#[cfg(test)]
#[path = "normalize_tests.rs"]
mod tests;
