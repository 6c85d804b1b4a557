//! Orders API 2026-01-01 order object (with `includedData` RECIPIENT, BUYER, PROCEEDS,
//! FULFILLMENT) → canonical order.

use rust_decimal::Decimal;
use serde_json::Value;
use switchyard_core::fields::optional_rfc3339_field;
use switchyard_core::model::{Address, ChannelKind, Order, OrderLine};
use switchyard_core::ports::NormalizeError;

use super::common::{
    Object, array, count, money, object, optional_object, path, required_text, status, text, time,
};

pub fn normalize(value: &Value, at: &str) -> Result<Order, NormalizeError> {
    let order = value.as_object().ok_or_else(|| {
        NormalizeError::new(
            if at.is_empty() { "body" } else { at },
            "expected an object",
        )
    })?;
    let p = |key: &str| path(at, key);
    let fulfillment = object(order, "fulfillment", &p("fulfillment"))?;
    let status_text = required_text(
        fulfillment,
        "fulfillmentStatus",
        &p("fulfillment.fulfillmentStatus"),
    )?;
    let (status, payment_status) = status(&status_text).ok_or_else(|| {
        NormalizeError::new(
            p("fulfillment.fulfillmentStatus"),
            format!("unknown fulfillment status `{status_text}`"),
        )
    })?;
    let lines = array(order, "orderItems", &p("orderItems"))?
        .iter()
        .enumerate()
        .map(|(i, item)| line(item, &format!("{}[{i}]", p("orderItems"))))
        .collect::<Result<Vec<_>, _>>()?;
    let (total, currency) = total(order, &lines, at)?;
    let external_id = required_text(order, "orderId", &p("orderId"))?;
    Ok(Order {
        channel_kind: ChannelKind::Amazon,
        number: external_id.clone(),
        external_id,
        placed_at: time(order, "createdTime", &p("createdTime"))?,
        updated_at: time(order, "lastUpdatedTime", &p("lastUpdatedTime"))?,
        status,
        payment_status,
        currency,
        total,
        lines: lines.into_iter().map(|(line, _)| line).collect(),
        ship_to: optional_object(order, "recipient")
            .and_then(|r| optional_object(r, "deliveryAddress"))
            .map(address)
            .filter(|a| *a != Address::default()),
        customer_email: optional_object(order, "buyer").and_then(|b| text(b, "buyerEmail")),
        fulfilled_by_channel: text(fulfillment, "fulfilledBy").as_deref() == Some("AMAZON"),
        tags: Vec::new(),
        customer_tags: Vec::new(),
        ship_by: window_end(fulfillment, "shipByWindow", &p("fulfillment.shipByWindow"))?,
        deliver_by: window_end(
            fulfillment,
            "deliverByWindow",
            &p("fulfillment.deliverByWindow"),
        )?,
        risk_level: None,
    })
}

/// A `DateTimeRange`'s `latestDateTime` (the end of the promised window), if sent.
fn window_end(
    fulfillment: &Object,
    key: &str,
    at: &str,
) -> Result<Option<chrono::DateTime<chrono::FixedOffset>>, NormalizeError> {
    match optional_object(fulfillment, key) {
        Some(window) => optional_rfc3339_field(
            window.get("latestDateTime"),
            &format!("{at}.latestDateTime"),
        ),
        None => Ok(None),
    }
}

/// `proceeds.grandTotal`; a pending order has no proceeds yet, so its total is the sum of its
/// lines at their unit prices.
fn total(
    order: &Object,
    lines: &[(OrderLine, String)],
    at: &str,
) -> Result<(Decimal, String), NormalizeError> {
    let grand = optional_object(order, "proceeds").and_then(|p| optional_object(p, "grandTotal"));
    if let Some(grand) = grand {
        return money(
            grand,
            "amount",
            "currencyCode",
            &path(at, "proceeds.grandTotal"),
        );
    }
    let Some((_, currency)) = lines.first() else {
        return Err(NormalizeError::new(
            path(at, "proceeds.grandTotal"),
            "missing, and there are no lines to sum",
        ));
    };
    let sum = lines
        .iter()
        .map(|(l, _)| l.unit_price * Decimal::from(l.quantity))
        .sum();
    Ok((sum, currency.clone()))
}

/// One line and the currency of its price.
fn line(item: &Value, at: &str) -> Result<(OrderLine, String), NormalizeError> {
    let item = item
        .as_object()
        .ok_or_else(|| NormalizeError::new(at, "expected an object"))?;
    let p = |key: &str| path(at, key);
    let product = object(item, "product", &p("product"))?;
    let price = object(product, "price", &p("product.price"))
        .and_then(|price| object(price, "unitPrice", &p("product.price.unitPrice")))?;
    let (unit_price, currency) = money(
        price,
        "amount",
        "currencyCode",
        &p("product.price.unitPrice"),
    )?;
    Ok((
        OrderLine {
            line_id: required_text(item, "orderItemId", &p("orderItemId"))?,
            sku: text(product, "sellerSku"),
            quantity: count(item, "quantityOrdered", &p("quantityOrdered"))?,
            unit_price,
            title: text(product, "title").unwrap_or_default(),
            channel_sku: None,
        },
        currency,
    ))
}

fn address(a: &Object) -> Address {
    let street2 = match (text(a, "addressLine2"), text(a, "addressLine3")) {
        (Some(two), Some(three)) => Some(format!("{two}, {three}")),
        (two, three) => two.or(three),
    };
    Address {
        name: text(a, "name"),
        company: text(a, "companyName"),
        address1: text(a, "addressLine1"),
        address2: street2,
        city: text(a, "city"),
        region: text(a, "stateOrRegion"),
        postal_code: text(a, "postalCode"),
        country_code: text(a, "countryCode"),
        phone: text(a, "phone"),
    }
}
