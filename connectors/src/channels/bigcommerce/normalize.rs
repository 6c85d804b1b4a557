//! BigCommerce V2 order → canonical order. Pure: every unreadable required field is an error
//! that names its JSON path.
//!
//! The input is the composed shape the connector stores: the `GET /v2/orders/{id}` object with
//! the answers of `/products` and `/shipping_addresses` embedded as the `products` and
//! `shipping_addresses` arrays (V2 itself only links them as `{url, resource}`).

use chrono::{DateTime, FixedOffset};
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use switchyard_core::fields::{count_field, optional_text_field};
use switchyard_core::model::{Address, ChannelKind, Order, OrderLine, OrderStatus, PaymentStatus};
use switchyard_core::money::decimal_field;
use switchyard_core::ports::NormalizeError;

type Object = Map<String, Value>;

/// Reads one composed V2 order.
pub fn normalize_body(body: &[u8]) -> Result<Order, NormalizeError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| NormalizeError::new("body", format!("not JSON: {e}")))?;
    normalize_value(&value)
}

/// Same as [`normalize_body`] for an already parsed order.
pub fn normalize_value(value: &Value) -> Result<Order, NormalizeError> {
    let order = value
        .as_object()
        .ok_or_else(|| NormalizeError::new("body", "expected a JSON object"))?;
    let status_id = status_id(order)?;
    let status = order_status(order, status_id);
    let payment_status = payment_status(order, status_id)?;
    let external_id = id_text(order.get("id"), "id")?;
    Ok(Order {
        channel_kind: ChannelKind::Bigcommerce,
        // BigCommerce shows shoppers the order id itself as the order number.
        number: external_id.clone(),
        external_id,
        placed_at: rfc2822(order, "date_created")?,
        updated_at: rfc2822(order, "date_modified")?,
        status,
        payment_status,
        currency: required_str(order, "currency_code")?.to_string(),
        total: money(order.get("total_inc_tax"), "total_inc_tax")?,
        lines: lines(order)?,
        ship_to: ship_to(order)?,
        customer_email: order
            .get("billing_address")
            .and_then(Value::as_object)
            .and_then(|b| text(b, "email")),
        fulfilled_by_channel: false,
        tags: Vec::new(),
        customer_tags: Vec::new(),
        ship_by: None,
        deliver_by: None,
        risk_level: None,
    })
}

/// V2 ids are JSON numbers; a non-blank string id is accepted too.
pub(crate) fn id_text(value: Option<&Value>, field: &str) -> Result<String, NormalizeError> {
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

/// V2 writes every time as RFC 2822 (`Tue, 05 Mar 2019 21:40:11 +0000`); the offset is kept.
pub(crate) fn parse_rfc2822(
    text: &str,
    field: &str,
) -> Result<DateTime<FixedOffset>, NormalizeError> {
    DateTime::parse_from_rfc2822(text.trim())
        .map_err(|_| NormalizeError::new(field, format!("`{text}` is not an RFC 2822 date")))
}

fn rfc2822(order: &Object, field: &str) -> Result<DateTime<FixedOffset>, NormalizeError> {
    parse_rfc2822(required_str(order, field)?, field)
}

/// Money arrives as text with four decimals (`"225.0000"`): exact, with the padding zeros past
/// the cents dropped (`"225.00"`, `"1.235"`).
pub(crate) fn money(value: Option<&Value>, field: &str) -> Result<Decimal, NormalizeError> {
    let mut amount = decimal_field(value, field)?.normalize();
    if amount.scale() < 2 {
        amount.rescale(2);
    }
    Ok(amount)
}

fn status_id(order: &Object) -> Result<u64, NormalizeError> {
    match order.get("status_id") {
        Some(Value::Number(n)) => n
            .as_u64()
            .filter(|&id| id <= 14)
            .ok_or_else(|| NormalizeError::new("status_id", format!("unknown status id {n}"))),
        Some(Value::Null) | None => Err(NormalizeError::new("status_id", "missing")),
        Some(other) => Err(NormalizeError::new(
            "status_id",
            format!("expected a number, found {other}"),
        )),
    }
}

/// BigCommerce's fixed status ids (custom labels rename them, never renumber them).
///
/// 0 Incomplete is a checkout that never completed (no payment, hidden from the default order
/// list): it must not hold stock, so it counts as cancelled. 13 Disputed and 14 Partially
/// Refunded say nothing about shipping, so the shipped item count decides.
fn order_status(order: &Object, status_id: u64) -> OrderStatus {
    match status_id {
        1 | 7 | 8 | 9 | 11 | 12 => OrderStatus::Open,
        0 | 4 | 5 | 6 => OrderStatus::Cancelled,
        2 | 10 => OrderStatus::Fulfilled,
        3 => OrderStatus::PartiallyFulfilled,
        _ => {
            let count = |f: &str| order.get(f).and_then(Value::as_u64).unwrap_or(0);
            let (total, shipped) = (count("items_total"), count("items_shipped"));
            if total > 0 && shipped >= total {
                OrderStatus::Fulfilled
            } else if shipped > 0 {
                OrderStatus::PartiallyFulfilled
            } else {
                OrderStatus::Open
            }
        }
    }
}

/// The refund statuses win; otherwise the gateway's `payment_status`. Manual and offline
/// payments leave `payment_status` empty, so then the status id says how far the order got.
fn payment_status(order: &Object, status_id: u64) -> Result<PaymentStatus, NormalizeError> {
    match status_id {
        4 => return Ok(PaymentStatus::Refunded),
        14 => return Ok(PaymentStatus::PartiallyRefunded),
        _ => {}
    }
    let gateway = match order.get("payment_status") {
        Some(Value::String(s)) => s.trim().to_ascii_lowercase(),
        Some(Value::Null) | None => String::new(),
        Some(other) => {
            return Err(NormalizeError::new(
                "payment_status",
                format!("expected a string, found {other}"),
            ));
        }
    };
    Ok(match gateway.as_str() {
        "captured" | "paid" => PaymentStatus::Paid,
        "authorized" | "capture pending" => PaymentStatus::Authorized,
        "partially refunded" => PaymentStatus::PartiallyRefunded,
        "refunded" => PaymentStatus::Refunded,
        "void" | "void pending" | "declined" => PaymentStatus::Voided,
        "pending" | "held for review" => PaymentStatus::Pending,
        "" => match status_id {
            0 | 1 | 7 | 12 => PaymentStatus::Pending,
            5 | 6 => PaymentStatus::Voided,
            _ => PaymentStatus::Paid,
        },
        other => {
            return Err(NormalizeError::new(
                "payment_status",
                format!("unknown payment status `{other}`"),
            ));
        }
    })
}

fn lines(order: &Object) -> Result<Vec<OrderLine>, NormalizeError> {
    match order.get("products") {
        Some(Value::Array(items)) => items.iter().enumerate().map(|(i, p)| line(p, i)).collect(),
        Some(Value::Null) | None => Err(NormalizeError::new("products", "missing")),
        Some(_) => Err(NormalizeError::new(
            "products",
            "expected the order's products embedded as an array (the answer of /products)",
        )),
    }
}

/// `base_price` is the unit price as the catalog lists it (before tax in a tax-exclusive store),
/// the same basis the other channels' unit prices use; `id` is the order product id that a
/// shipment names.
fn line(item: &Value, i: usize) -> Result<OrderLine, NormalizeError> {
    let path = |f: &str| format!("products[{i}].{f}");
    let item = item
        .as_object()
        .ok_or_else(|| NormalizeError::new(format!("products[{i}]"), "expected an object"))?;
    let quantity = count_field(item.get("quantity"), &path("quantity"))?;
    let sku = optional_text_field(item.get("sku"), &path("sku"))?;
    Ok(OrderLine {
        line_id: id_text(item.get("id"), &path("id"))?,
        sku,
        quantity,
        unit_price: money(item.get("base_price"), &path("base_price"))?,
        title: text(item, "name").unwrap_or_default(),
        channel_sku: None,
    })
}

/// The first shipping address (multi-address orders ship each part separately; the hub sees
/// the first), or the billing address for orders with nothing to ship to.
fn ship_to(order: &Object) -> Result<Option<Address>, NormalizeError> {
    if let Some(Value::Array(addresses)) = order.get("shipping_addresses")
        && let Some(first) = addresses.first()
    {
        let first = first
            .as_object()
            .ok_or_else(|| NormalizeError::new("shipping_addresses[0]", "expected an object"))?;
        return Ok(Some(address(first)));
    }
    Ok(order
        .get("billing_address")
        .and_then(Value::as_object)
        .map(address)
        .filter(|a| *a != Address::default()))
}

fn address(a: &Object) -> Address {
    let name = [text(a, "first_name"), text(a, "last_name")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    Address {
        name: Some(name).filter(|n| !n.is_empty()),
        company: text(a, "company"),
        address1: text(a, "street_1"),
        address2: text(a, "street_2"),
        city: text(a, "city"),
        region: text(a, "state"),
        postal_code: text(a, "zip"),
        country_code: text(a, "country_iso2"),
        phone: text(a, "phone"),
    }
}

fn required_str<'a>(order: &'a Object, field: &str) -> Result<&'a str, NormalizeError> {
    match order.get(field) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim()),
        Some(Value::String(_)) => Err(NormalizeError::new(field, "empty")),
        Some(Value::Null) | None => Err(NormalizeError::new(field, "missing")),
        Some(other) => Err(NormalizeError::new(
            field,
            format!("expected a string, found {other}"),
        )),
    }
}

/// An optional text field: blank and non-strings are absent.
fn text(object: &Object, field: &str) -> Option<String> {
    object
        .get(field)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

#[cfg(test)]
#[path = "normalize_tests.rs"]
mod tests;
