//! eBay Fulfillment API `Order` (as `getOrder`/`getOrders` return it) → canonical order.
//! Pure: every unreadable required field is an error that names its JSON path.
//!
//! `number` is the `orderId`: it is what eBay shows the buyer and the seller ("Order number").
//! `salesRecordReference` is a Selling Manager counter that many sellers never get, so using it
//! would give the same channel two numbering schemes.

use chrono::{DateTime, FixedOffset};
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use switchyard_core::fields::optional_rfc3339_field;
use switchyard_core::model::{Address, ChannelKind, Order, OrderLine, OrderStatus, PaymentStatus};
use switchyard_core::money::decimal_field;
use switchyard_core::ports::NormalizeError;

type Object = Map<String, Value>;

/// Reads one Fulfillment API order.
pub fn normalize_body(body: &[u8]) -> Result<Order, NormalizeError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| NormalizeError::new("body", format!("not JSON: {e}")))?;
    let order = value
        .as_object()
        .ok_or_else(|| NormalizeError::new("body", "expected a JSON object"))?;
    let total = order
        .get("pricingSummary")
        .and_then(|p| p.get("total"))
        .ok_or_else(|| NormalizeError::new("pricingSummary.total", "missing"))?;
    let lines = match order.get("lineItems") {
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| line(item, i))
            .collect::<Result<Vec<_>, _>>()?,
        Some(Value::Null) | None => return Err(NormalizeError::new("lineItems", "missing")),
        Some(other) => {
            return Err(NormalizeError::new(
                "lineItems",
                format!("expected an array, found {other}"),
            ));
        }
    };
    let ship_to = ship_to(order);
    let external_id = required_str(order, "orderId", "orderId")?.to_string();
    Ok(Order {
        channel_kind: ChannelKind::Ebay,
        number: external_id.clone(),
        external_id,
        placed_at: time(order, "creationDate")?,
        updated_at: time(order, "lastModifiedDate")?,
        status: order_status(order)?,
        payment_status: payment_status(required_str(
            order,
            "orderPaymentStatus",
            "orderPaymentStatus",
        )?)?,
        currency: required_str(
            total_object(total)?,
            "currency",
            "pricingSummary.total.currency",
        )?
        .to_string(),
        total: decimal_field(total.get("value"), "pricingSummary.total.value")?,
        lines,
        customer_email: buyer_email(order).or_else(|| ship_to.as_ref().and_then(|s| s.1.clone())),
        ship_to: ship_to.map(|s| s.0),
        fulfilled_by_channel: false,
        tags: Vec::new(),
        customer_tags: Vec::new(),
        ship_by: earliest_instruction(order, "shipByDate")?,
        deliver_by: earliest_instruction(order, "maxEstimatedDeliveryDate")?,
        risk_level: None,
    })
}

fn total_object(total: &Value) -> Result<&Object, NormalizeError> {
    total
        .as_object()
        .ok_or_else(|| NormalizeError::new("pricingSummary.total", "expected an object"))
}

/// A non-blank string field; `path` is what an error names.
fn required_str<'a>(obj: &'a Object, key: &str, path: &str) -> Result<&'a str, NormalizeError> {
    match obj.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim()),
        Some(Value::String(_)) => Err(NormalizeError::new(path, "empty")),
        Some(Value::Null) | None => Err(NormalizeError::new(path, "missing")),
        Some(other) => Err(NormalizeError::new(
            path,
            format!("expected a string, found {other}"),
        )),
    }
}

/// eBay writes UTC with milliseconds (`2026-04-10T12:03:09.000Z`); the offset is kept as given.
/// The earliest `lineItems[].lineItemFulfillmentInstructions.<key>` (`shipByDate`,
/// `maxEstimatedDeliveryDate`): the order is late once its first line is.
fn earliest_instruction(
    order: &Object,
    key: &str,
) -> Result<Option<DateTime<FixedOffset>>, NormalizeError> {
    let mut earliest: Option<DateTime<FixedOffset>> = None;
    let items = order.get("lineItems").and_then(Value::as_array);
    for (i, item) in items.into_iter().flatten().enumerate() {
        let at = format!("lineItems[{i}].lineItemFulfillmentInstructions.{key}");
        let value = item
            .get("lineItemFulfillmentInstructions")
            .and_then(|f| f.get(key));
        if let Some(d) = optional_rfc3339_field(value, &at)? {
            earliest = Some(earliest.map_or(d, |e| e.min(d)));
        }
    }
    Ok(earliest)
}

fn time(order: &Object, field: &str) -> Result<DateTime<FixedOffset>, NormalizeError> {
    let text = required_str(order, field, field)?;
    DateTime::parse_from_rfc3339(text)
        .map_err(|_| NormalizeError::new(field, format!("`{text}` is not an RFC 3339 time")))
}

/// A completed cancellation wins over the fulfillment state; a cancellation only requested
/// (`cancelState` IN_PROGRESS) leaves the order open, since the seller may still refuse it.
fn order_status(order: &Object) -> Result<OrderStatus, NormalizeError> {
    let cancel_state = order
        .get("cancelStatus")
        .and_then(|c| c.get("cancelState"))
        .and_then(Value::as_str);
    if cancel_state == Some("CANCELED") {
        return Ok(OrderStatus::Cancelled);
    }
    Ok(
        match required_str(order, "orderFulfillmentStatus", "orderFulfillmentStatus")? {
            "NOT_STARTED" => OrderStatus::Open,
            "IN_PROGRESS" => OrderStatus::PartiallyFulfilled,
            "FULFILLED" => OrderStatus::Fulfilled,
            other => {
                return Err(NormalizeError::new(
                    "orderFulfillmentStatus",
                    format!("unknown fulfillment status `{other}`"),
                ));
            }
        },
    )
}

/// `orderPaymentStatus`; a FAILED payment leaves nothing to collect, so the order is voided.
pub(crate) fn payment_status(status: &str) -> Result<PaymentStatus, NormalizeError> {
    Ok(match status {
        "PENDING" => PaymentStatus::Pending,
        "PAID" => PaymentStatus::Paid,
        "PARTIALLY_REFUNDED" => PaymentStatus::PartiallyRefunded,
        "FULLY_REFUNDED" => PaymentStatus::Refunded,
        "FAILED" => PaymentStatus::Voided,
        other => {
            return Err(NormalizeError::new(
                "orderPaymentStatus",
                format!("unknown payment status `{other}`"),
            ));
        }
    })
}

/// `lineItemCost` is the unit price times the quantity (before discounts), so the unit price
/// is the quotient, kept at the cost's own scale when it divides evenly.
fn line(item: &Value, i: usize) -> Result<OrderLine, NormalizeError> {
    let path = |f: &str| format!("lineItems[{i}].{f}");
    let item = item
        .as_object()
        .ok_or_else(|| NormalizeError::new(format!("lineItems[{i}]"), "expected an object"))?;
    let quantity = match item.get("quantity") {
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|q| u32::try_from(q).ok())
            .filter(|&q| q > 0)
            .ok_or_else(|| {
                NormalizeError::new(path("quantity"), format!("`{n}` is not a positive count"))
            })?,
        Some(Value::Null) | None => return Err(NormalizeError::new(path("quantity"), "missing")),
        Some(other) => {
            return Err(NormalizeError::new(
                path("quantity"),
                format!("expected a number, found {other}"),
            ));
        }
    };
    let cost_path = path("lineItemCost.value");
    let cost = decimal_field(
        item.get("lineItemCost").and_then(|c| c.get("value")),
        &cost_path,
    )?;
    let unit_price = unit_price(cost, quantity);
    let sku = match item.get("sku") {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::String(_)) | Some(Value::Null) | None => None,
        Some(other) => {
            return Err(NormalizeError::new(
                path("sku"),
                format!("expected a string, found {other}"),
            ));
        }
    };
    let title = match item.get("title") {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Null) | None => String::new(),
        Some(other) => {
            return Err(NormalizeError::new(
                path("title"),
                format!("expected a string, found {other}"),
            ));
        }
    };
    Ok(OrderLine {
        line_id: required_str(item, "lineItemId", &path("lineItemId"))?.to_string(),
        sku,
        quantity,
        unit_price,
        title,
        channel_sku: None,
    })
}

fn unit_price(cost: Decimal, quantity: u32) -> Decimal {
    let scale = cost.scale().max(2);
    let mut unit = cost / Decimal::from(quantity);
    if unit.scale() > scale {
        // An uneven split (10.00 for 3) is rounded to the currency's cents, banker's style.
        unit = unit.round_dp(scale);
    } else {
        unit.rescale(scale);
    }
    unit
}

/// `fulfillmentStartInstructions[0].shippingStep.shipTo`, with the email it carries.
fn ship_to(order: &Object) -> Option<(Address, Option<String>)> {
    let ship_to = order
        .get("fulfillmentStartInstructions")?
        .as_array()?
        .first()?
        .get("shippingStep")?
        .get("shipTo")?
        .as_object()?;
    let empty = Object::new();
    let contact = ship_to
        .get("contactAddress")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let address = Address {
        name: text(ship_to, "fullName"),
        company: text(ship_to, "companyName"),
        address1: text(contact, "addressLine1"),
        address2: text(contact, "addressLine2"),
        city: text(contact, "city"),
        region: text(contact, "stateOrProvince"),
        postal_code: text(contact, "postalCode"),
        country_code: text(contact, "countryCode"),
        phone: ship_to
            .get("primaryPhone")
            .and_then(Value::as_object)
            .and_then(|p| text(p, "phoneNumber")),
    };
    let email = text(ship_to, "email");
    (address != Address::default()).then_some((address, email))
}

/// `buyer.buyerRegistrationAddress.email`: eBay's relay address for the buyer.
fn buyer_email(order: &Object) -> Option<String> {
    order
        .get("buyer")?
        .get("buyerRegistrationAddress")?
        .as_object()
        .and_then(|a| text(a, "email"))
}

/// A trimmed, non-empty string field; empty means "not given".
fn text(obj: &Object, key: &str) -> Option<String> {
    obj.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

#[cfg(test)]
#[path = "normalize_tests.rs"]
mod tests;
