//! Orders API v0 composite `{"Order", "OrderItems", "ShippingAddress"}` → canonical order.

use rust_decimal::Decimal;
use serde_json::Value;
use switchyard_core::fields::optional_rfc3339_field;
use switchyard_core::model::{Address, ChannelKind, Order, OrderLine};
use switchyard_core::ports::NormalizeError;

use super::common::{
    Object, array, count, money, object, optional_object, required_text, status, text, time,
};

pub fn normalize(composite: &Object) -> Result<Order, NormalizeError> {
    let order = object(composite, "Order", "Order")?;
    let status_text = required_text(order, "OrderStatus", "Order.OrderStatus")?;
    let (status, payment_status) = v0_status(&status_text).and_then(status).ok_or_else(|| {
        NormalizeError::new(
            "Order.OrderStatus",
            format!("unknown order status `{status_text}`"),
        )
    })?;
    let lines = array(composite, "OrderItems", "OrderItems")?
        .iter()
        .enumerate()
        .map(|(i, item)| line(item, i))
        .collect::<Result<Vec<_>, _>>()?;
    let (total, currency) = match optional_object(order, "OrderTotal") {
        Some(total) => money(total, "Amount", "CurrencyCode", "Order.OrderTotal")?,
        // Pending orders carry no total until payment is authorized.
        None => {
            let currency = lines
                .iter()
                .find_map(|(_, c)| c.clone())
                .or_else(|| {
                    text(order, "MarketplaceId")
                        .and_then(|m| marketplace_currency(&m))
                        .map(str::to_string)
                })
                .ok_or_else(|| NormalizeError::new("Order.OrderTotal", "missing"))?;
            let sum = lines
                .iter()
                .map(|(l, _)| l.unit_price * Decimal::from(l.quantity))
                .sum();
            (sum, currency)
        }
    };
    let external_id = required_text(order, "AmazonOrderId", "Order.AmazonOrderId")?;
    let ship_to = optional_object(composite, "ShippingAddress")
        .or_else(|| optional_object(order, "ShippingAddress"))
        .map(address)
        .filter(|a| *a != Address::default());
    Ok(Order {
        channel_kind: ChannelKind::Amazon,
        number: external_id.clone(),
        external_id,
        placed_at: time(order, "PurchaseDate", "Order.PurchaseDate")?,
        updated_at: time(order, "LastUpdateDate", "Order.LastUpdateDate")?,
        status,
        payment_status,
        currency,
        total,
        lines: lines.into_iter().map(|(line, _)| line).collect(),
        ship_to,
        customer_email: optional_object(order, "BuyerInfo").and_then(|b| text(b, "BuyerEmail")),
        fulfilled_by_channel: text(order, "FulfillmentChannel").as_deref() == Some("AFN"),
        tags: Vec::new(),
        customer_tags: Vec::new(),
        ship_by: optional_rfc3339_field(order.get("LatestShipDate"), "Order.LatestShipDate")?,
        deliver_by: optional_rfc3339_field(
            order.get("LatestDeliveryDate"),
            "Order.LatestDeliveryDate",
        )?,
        risk_level: None,
    })
}

/// The currency a marketplace sells in, for pending orders that carry no price at all yet.
fn marketplace_currency(marketplace_id: &str) -> Option<&'static str> {
    Some(match marketplace_id {
        "ATVPDKIKX0DER" => "USD",
        "A2EUQ1WTGCTBG2" => "CAD",
        "A1AM78C64UM0Y8" => "MXN",
        "A2Q3Y263D00KWC" => "BRL",
        "A1F83G8C2ARO7P" => "GBP",
        "A1PA6795UKMFR9" | "A13V1IB3VIYZZH" | "APJ6JRA9NG5V4" | "A1RKKUPIHCS9HS"
        | "A1805IZSGTT6HS" | "AMEN7PMS3EDWL" => "EUR",
        "A1VC38T7YXB528" => "JPY",
        "A39IBJ37TRP1C6" => "AUD",
        "A21TJRUUN4KGV" => "INR",
        _ => return None,
    })
}

/// v0 `OrderStatus` written the 2026 way. `InvoiceUnconfirmed` is shipped, only the invoice
/// confirmation is outstanding.
fn v0_status(status: &str) -> Option<&'static str> {
    Some(match status {
        "PendingAvailability" => "PENDING_AVAILABILITY",
        "Pending" => "PENDING",
        "Unshipped" => "UNSHIPPED",
        "PartiallyShipped" => "PARTIALLY_SHIPPED",
        "Shipped" | "InvoiceUnconfirmed" => "SHIPPED",
        "Canceled" => "CANCELLED",
        "Unfulfillable" => "UNFULFILLABLE",
        _ => return None,
    })
}

/// One line and the currency of its price (none when Amazon withholds the price, as it does on
/// pending orders; the line then counts at zero until the paid version arrives).
fn line(item: &Value, i: usize) -> Result<(OrderLine, Option<String>), NormalizeError> {
    let at = format!("OrderItems[{i}]");
    let p = |key: &str| format!("{at}.{key}");
    let item = item
        .as_object()
        .ok_or_else(|| NormalizeError::new(&at, "expected an object"))?;
    let quantity = count(item, "QuantityOrdered", &p("QuantityOrdered"))?;
    // v0 `ItemPrice` is the price of the whole line (unit price × quantity).
    let (unit_price, currency) = match optional_object(item, "ItemPrice") {
        Some(price) => {
            let (line_total, currency) = money(price, "Amount", "CurrencyCode", &p("ItemPrice"))?;
            let unit = if quantity > 1 {
                (line_total / Decimal::from(quantity)).round_dp(line_total.scale().max(2))
            } else {
                line_total
            };
            (unit, Some(currency))
        }
        None => (Decimal::ZERO, None),
    };
    Ok((
        OrderLine {
            line_id: required_text(item, "OrderItemId", &p("OrderItemId"))?,
            sku: text(item, "SellerSKU"),
            quantity,
            unit_price,
            title: text(item, "Title").unwrap_or_default(),
            channel_sku: None,
        },
        currency,
    ))
}

fn address(a: &Object) -> Address {
    let street2 = match (text(a, "AddressLine2"), text(a, "AddressLine3")) {
        (Some(two), Some(three)) => Some(format!("{two}, {three}")),
        (two, three) => two.or(three),
    };
    Address {
        name: text(a, "Name"),
        company: text(a, "CompanyName"),
        address1: text(a, "AddressLine1"),
        address2: street2,
        city: text(a, "City"),
        region: text(a, "StateOrRegion"),
        postal_code: text(a, "PostalCode"),
        country_code: text(a, "CountryCode"),
        phone: text(a, "Phone"),
    }
}
