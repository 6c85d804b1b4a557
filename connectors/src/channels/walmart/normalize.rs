//! Walmart purchase order JSON (as `GET /v3/orders`, `/v3/orders/released` and
//! `/v3/orders/{purchaseOrderId}` return it) → canonical order. Pure: every unreadable required
//! field is an error that names its JSON path.
//!
//! Walmart facts this relies on:
//! - times are epoch milliseconds, always UTC;
//! - an order carries no last-modified time, but every order line carries `statusDate`, the
//!   moment its newest status was set; the newest of those is the order's `updated_at` (the
//!   order date when no line says), which is also what versions the inbox key;
//! - money is `{currency, amount}` where `amount` is a JSON number; a PRODUCT charge is the
//!   line's price for its whole `orderLineQuantity`;
//! - Walmart releases an order to the seller only once the customer has paid, so every order
//!   is `paid`.

use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use switchyard_core::fields::optional_epoch_field;
use switchyard_core::model::{Address, ChannelKind, Order, OrderLine, OrderStatus, PaymentStatus};
use switchyard_core::money::decimal_field;
use switchyard_core::ports::NormalizeError;

type Object = Map<String, Value>;

/// Reads one purchase order: the bare order object, or `{"order": {...}}` as the single-order
/// endpoints wrap it.
pub fn normalize_body(body: &[u8]) -> Result<Order, NormalizeError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| NormalizeError::new("body", format!("not JSON: {e}")))?;
    normalize_value(unwrap_order(&value))
}

/// `{"order": {...}}` → the inner order; anything else is taken as the order itself.
pub fn unwrap_order(value: &Value) -> &Value {
    value
        .get("order")
        .filter(|o| o.is_object())
        .unwrap_or(value)
}

/// Same as [`normalize_body`] for an already parsed order (one element of a list response).
pub fn normalize_value(value: &Value) -> Result<Order, NormalizeError> {
    let order = value
        .as_object()
        .ok_or_else(|| NormalizeError::new("body", "expected a JSON object"))?;
    let raw_lines = order_lines(order)?;
    let mut lines = Vec::with_capacity(raw_lines.len());
    let mut states = Vec::with_capacity(raw_lines.len());
    let mut total = Decimal::ZERO;
    let mut currency: Option<String> = None;
    for (i, raw) in raw_lines.iter().enumerate() {
        let read = line(raw, i)?;
        total += read.charged;
        match (&currency, read.currency) {
            (_, None) => {}
            (None, Some(c)) => currency = Some(c),
            (Some(have), Some(c)) if *have == c => {}
            (Some(have), Some(c)) => {
                return Err(NormalizeError::new(
                    format!("orderLines.orderLine[{i}].charges"),
                    format!("currency {c} differs from {have} on an earlier charge"),
                ));
            }
        }
        states.push(read.state);
        lines.push(read.line);
    }
    let placed_at = epoch_millis(order.get("orderDate"), "orderDate")?;
    let updated_at = newest_status_date(order)?.unwrap_or(placed_at);
    Ok(Order {
        channel_kind: ChannelKind::Walmart,
        external_id: required_text(order.get("purchaseOrderId"), "purchaseOrderId")?,
        number: required_text(order.get("customerOrderId"), "customerOrderId")?,
        placed_at: placed_at.fixed_offset(),
        updated_at: updated_at.fixed_offset(),
        status: order_status(&states),
        payment_status: PaymentStatus::Paid,
        currency: currency.ok_or_else(|| {
            NormalizeError::new(
                "orderLines.orderLine[].charges",
                "no charge carries a currency",
            )
        })?,
        total,
        lines,
        ship_to: ship_to(order),
        customer_email: text(order.get("customerEmailId")),
        fulfilled_by_channel: false,
        tags: Vec::new(),
        customer_tags: Vec::new(),
        ship_by: optional_epoch_field(
            order
                .get("shippingInfo")
                .and_then(|s| s.get("estimatedShipDate")),
            "shippingInfo.estimatedShipDate",
            true,
        )?,
        deliver_by: optional_epoch_field(
            order
                .get("shippingInfo")
                .and_then(|s| s.get("estimatedDeliveryDate")),
            "shippingInfo.estimatedDeliveryDate",
            true,
        )?,
        risk_level: None,
    })
}

/// The newest `statusDate` over the order's lines: Walmart's only per-change timestamp.
/// `Ok(None)` when no line carries one; an unreadable one is an error naming the line.
pub fn newest_status_date(order: &Object) -> Result<Option<DateTime<Utc>>, NormalizeError> {
    let mut newest = None;
    for (i, line) in order_lines(order)?.iter().enumerate() {
        match line.get("statusDate") {
            None | Some(Value::Null) => {}
            some => {
                let at = epoch_millis(some, &format!("orderLines.orderLine[{i}].statusDate"))?;
                newest = newest.max(Some(at));
            }
        }
    }
    Ok(newest)
}

/// Where an order line stands, from the quantities in each of its statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineState {
    /// Created or Acknowledged: still to ship.
    Open,
    /// Some units shipped (or delivered), others still to ship.
    PartlyShipped,
    /// Every unit not cancelled has shipped (or been delivered).
    Shipped,
    Cancelled,
}

/// All lines cancelled → cancelled; every live line shipped → fulfilled; some shipped →
/// partially fulfilled; otherwise open.
fn order_status(states: &[LineState]) -> OrderStatus {
    let live: Vec<LineState> = states
        .iter()
        .copied()
        .filter(|s| *s != LineState::Cancelled)
        .collect();
    if live.is_empty() {
        return if states.is_empty() {
            OrderStatus::Open
        } else {
            OrderStatus::Cancelled
        };
    }
    if live.iter().all(|s| *s == LineState::Shipped) {
        OrderStatus::Fulfilled
    } else if live
        .iter()
        .any(|s| matches!(s, LineState::Shipped | LineState::PartlyShipped))
    {
        OrderStatus::PartiallyFulfilled
    } else {
        OrderStatus::Open
    }
}

/// `orderLines.orderLine` as an array (Walmart writes it as an array even for one line).
fn order_lines(order: &Object) -> Result<&Vec<Value>, NormalizeError> {
    let field = "orderLines.orderLine";
    match order.get("orderLines").and_then(|l| l.get("orderLine")) {
        Some(Value::Array(items)) => Ok(items),
        Some(Value::Null) | None => Err(NormalizeError::new(field, "missing")),
        Some(other) => Err(NormalizeError::new(
            field,
            format!("expected an array, found {other}"),
        )),
    }
}

struct ReadLine {
    line: OrderLine,
    state: LineState,
    /// Everything charged on the line: charges plus their taxes.
    charged: Decimal,
    currency: Option<String>,
}

fn line(item: &Value, i: usize) -> Result<ReadLine, NormalizeError> {
    let base = format!("orderLines.orderLine[{i}]");
    let path = |f: &str| format!("{base}.{f}");
    let item = item
        .as_object()
        .ok_or_else(|| NormalizeError::new(&base, "expected an object"))?;
    let quantity = count(
        item.get("orderLineQuantity").and_then(|q| q.get("amount")),
        &path("orderLineQuantity.amount"),
    )?;
    let product = item.get("item").and_then(Value::as_object);
    let sku = text(product.and_then(|p| p.get("sku")));
    let title = text(product.and_then(|p| p.get("productName"))).unwrap_or_default();
    let charges = match item.get("charges").and_then(|c| c.get("charge")) {
        Some(Value::Array(c)) => c.as_slice(),
        Some(Value::Null) | None => &[],
        Some(other) => {
            return Err(NormalizeError::new(
                path("charges.charge"),
                format!("expected an array, found {other}"),
            ));
        }
    };
    let mut product_total: Option<Decimal> = None;
    let mut charged = Decimal::ZERO;
    let mut currency: Option<String> = None;
    for (c, charge) in charges.iter().enumerate() {
        let cpath = |f: &str| path(&format!("charges.charge[{c}].{f}"));
        let amount = decimal_field(
            charge.get("chargeAmount").and_then(|a| a.get("amount")),
            &cpath("chargeAmount.amount"),
        )?;
        merge_currency(
            &mut currency,
            charge.get("chargeAmount"),
            &cpath("chargeAmount.currency"),
        )?;
        charged += amount;
        if let Some(tax) = charge
            .get("tax")
            .and_then(|t| t.get("taxAmount"))
            .filter(|t| !t.is_null())
        {
            charged += decimal_field(tax.get("amount"), &cpath("tax.taxAmount.amount"))?;
            merge_currency(&mut currency, Some(tax), &cpath("tax.taxAmount.currency"))?;
        }
        if charge.get("chargeType").and_then(Value::as_str) == Some("PRODUCT") {
            *product_total.get_or_insert(Decimal::ZERO) += amount;
        }
    }
    let product_total = product_total
        .ok_or_else(|| NormalizeError::new(path("charges.charge"), "no PRODUCT charge"))?;
    let mut unit_price = match quantity {
        0 | 1 => product_total,
        n => product_total / Decimal::from(n),
    };
    if unit_price.scale() < 2 {
        unit_price.rescale(2);
    }
    Ok(ReadLine {
        line: OrderLine {
            line_id: required_text(item.get("lineNumber"), &path("lineNumber"))?,
            sku,
            quantity,
            unit_price,
            title,
            channel_sku: None,
        },
        state: line_state(item, &base)?,
        charged,
        currency,
    })
}

/// Checks a money object's currency against the one seen so far on the line.
fn merge_currency(
    seen: &mut Option<String>,
    money: Option<&Value>,
    field: &str,
) -> Result<(), NormalizeError> {
    let Some(code) = text(money.and_then(|m| m.get("currency"))) else {
        return Ok(());
    };
    match seen {
        None => *seen = Some(code),
        Some(have) if *have == code => {}
        Some(have) => {
            return Err(NormalizeError::new(
                field,
                format!("currency {code} differs from {have}"),
            ));
        }
    }
    Ok(())
}

/// Sums the units in each status of `orderLineStatuses.orderLineStatus`.
fn line_state(item: &Object, base: &str) -> Result<LineState, NormalizeError> {
    let field = format!("{base}.orderLineStatuses.orderLineStatus");
    let statuses = match item
        .get("orderLineStatuses")
        .and_then(|s| s.get("orderLineStatus"))
    {
        Some(Value::Array(s)) => s,
        Some(Value::Null) | None => return Err(NormalizeError::new(field, "missing")),
        Some(other) => {
            return Err(NormalizeError::new(
                field,
                format!("expected an array, found {other}"),
            ));
        }
    };
    let (mut open, mut shipped, mut cancelled) = (0u64, 0u64, 0u64);
    for (s, status) in statuses.iter().enumerate() {
        let spath = format!("{field}[{s}]");
        let units = u64::from(count(
            status.get("statusQuantity").and_then(|q| q.get("amount")),
            &format!("{spath}.statusQuantity.amount"),
        )?);
        match status.get("status").and_then(Value::as_str) {
            Some("Created" | "Acknowledged") => open += units,
            Some("Shipped" | "Delivered") => shipped += units,
            Some("Cancelled") => cancelled += units,
            Some(other) => {
                return Err(NormalizeError::new(
                    format!("{spath}.status"),
                    format!("unknown order line status `{other}`"),
                ));
            }
            None => return Err(NormalizeError::new(format!("{spath}.status"), "missing")),
        }
    }
    Ok(match (open, shipped, cancelled) {
        (0, 0, c) if c > 0 => LineState::Cancelled,
        (0, s, _) if s > 0 => LineState::Shipped,
        (_, s, _) if s > 0 => LineState::PartlyShipped,
        _ => LineState::Open,
    })
}

/// `shippingInfo.postalAddress` plus `shippingInfo.phone`.
fn ship_to(order: &Object) -> Option<Address> {
    let info = order.get("shippingInfo")?;
    let postal = info.get("postalAddress");
    let field = |k: &str| text(postal.and_then(|p| p.get(k)));
    let address = Address {
        name: field("name"),
        company: None,
        address1: field("address1"),
        address2: field("address2"),
        city: field("city"),
        region: field("state"),
        postal_code: field("postalCode"),
        country_code: field("country").map(|c| country_code(&c)),
        phone: text(info.get("phone")),
    };
    (address != Address::default()).then_some(address)
}

/// Walmart writes ISO 3166 alpha-3 (`USA`); the contract uses alpha-2. Codes it does not know
/// are kept as written rather than guessed.
fn country_code(code: &str) -> String {
    match code.to_ascii_uppercase().as_str() {
        "USA" => "US".into(),
        "CAN" => "CA".into(),
        "MEX" => "MX".into(),
        "PRI" => "PR".into(),
        "CHL" => "CL".into(),
        _ => code.to_string(),
    }
}

/// Epoch milliseconds (a JSON number, or digits in a string) as a UTC instant.
pub(crate) fn epoch_millis(
    value: Option<&Value>,
    field: &str,
) -> Result<DateTime<Utc>, NormalizeError> {
    let millis = match value {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
        Some(Value::Null) | None => return Err(NormalizeError::new(field, "missing")),
        Some(other) => {
            return Err(NormalizeError::new(
                field,
                format!("expected epoch milliseconds, found {other}"),
            ));
        }
    };
    millis
        .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
        .ok_or_else(|| NormalizeError::new(field, "not a valid epoch-milliseconds time"))
}

/// A count written as a string (`"1"`) or a whole number.
fn count(value: Option<&Value>, field: &str) -> Result<u32, NormalizeError> {
    let parsed = match value {
        Some(Value::String(s)) => s.trim().parse::<u32>().ok(),
        Some(Value::Number(n)) => n.as_u64().and_then(|q| u32::try_from(q).ok()),
        Some(Value::Null) | None => return Err(NormalizeError::new(field, "missing")),
        Some(other) => {
            return Err(NormalizeError::new(
                field,
                format!("expected a count, found {other}"),
            ));
        }
    };
    parsed.ok_or_else(|| NormalizeError::new(field, "not a whole count"))
}

/// An id Walmart writes as a string (sometimes a number); blank is missing.
pub(crate) fn required_text(value: Option<&Value>, field: &str) -> Result<String, NormalizeError> {
    match value {
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_string()),
        Some(Value::String(_)) => Err(NormalizeError::new(field, "empty")),
        Some(Value::Null) | None => Err(NormalizeError::new(field, "missing")),
        Some(other) => Err(NormalizeError::new(
            field,
            format!("expected a string, found {other}"),
        )),
    }
}

/// A trimmed, non-empty string; Walmart writes "" (or null) for "not given".
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
