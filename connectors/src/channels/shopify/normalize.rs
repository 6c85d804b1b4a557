//! Shopify order payloads → the canonical order. Pure: reads JSON, never does I/O.
//!
//! Two shapes carry the same order: the REST/webhook JSON (`orders/*` topics, snake_case,
//! numeric ids, times with the shop's offset) and the GraphQL `Order` node the poller fetches
//! (camelCase, GIDs, UTC times, money in `…Set.shopMoney`).

use chrono::{DateTime, FixedOffset};
use serde_json::{Map, Value};
use switchyard_core::model::{
    Address, ChannelKind, Order, OrderLine, OrderStatus, PaymentStatus, RiskLevel,
};
use switchyard_core::money::decimal_field;
use switchyard_core::ports::NormalizeError;

use super::ids::numeric_id;

/// Which shape a payload has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Rest,
    Graphql,
}

/// Normalizes a REST/webhook order, a wrapped `{"order": …}`, or a GraphQL `Order` node.
pub fn normalize_any(body: &[u8]) -> Result<Order, NormalizeError> {
    let value = parse(body)?;
    let (obj, shape) = detect(&value)?;
    match shape {
        Shape::Rest => normalize_rest_object(obj),
        Shape::Graphql => normalize_graphql_object(obj),
    }
}

/// Normalizes a REST/webhook order (bare or wrapped in `{"order": …}`).
pub fn normalize_rest(body: &[u8]) -> Result<Order, NormalizeError> {
    let value = parse(body)?;
    normalize_rest_object(unwrap_order(&value)?)
}

/// Normalizes a GraphQL `Order` node.
pub fn normalize_graphql(body: &[u8]) -> Result<Order, NormalizeError> {
    let value = parse(body)?;
    let obj = value
        .as_object()
        .ok_or_else(|| NormalizeError::new("order", "expected a JSON object"))?;
    normalize_graphql_object(obj)
}

fn parse(body: &[u8]) -> Result<Value, NormalizeError> {
    serde_json::from_slice(body).map_err(|e| NormalizeError::new("body", format!("not JSON: {e}")))
}

/// The order object inside a payload, unwrapping `{"order": {…}}`.
pub(crate) fn unwrap_order(value: &Value) -> Result<&Map<String, Value>, NormalizeError> {
    let obj = value
        .as_object()
        .ok_or_else(|| NormalizeError::new("order", "expected a JSON object"))?;
    match obj.get("order") {
        Some(Value::Object(inner)) => Ok(inner),
        _ => Ok(obj),
    }
}

/// Tells the shapes apart by keys only one of them uses.
pub fn detect(value: &Value) -> Result<(&Map<String, Value>, Shape), NormalizeError> {
    let obj = unwrap_order(value)?;
    let graphql_keys = [
        "lineItems",
        "createdAt",
        "legacyResourceId",
        "displayFinancialStatus",
    ];
    let is_gid = obj
        .get("id")
        .and_then(Value::as_str)
        .is_some_and(|s| s.starts_with("gid://"));
    if is_gid || graphql_keys.iter().any(|k| obj.contains_key(*k)) {
        Ok((obj, Shape::Graphql))
    } else {
        Ok((obj, Shape::Rest))
    }
}

// ---- field readers: every error names the field path ----

fn req_str<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<&'a str, NormalizeError> {
    match obj.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
        Some(Value::String(_)) => Err(NormalizeError::new(path, "empty")),
        Some(Value::Null) | None => Err(NormalizeError::new(path, "missing")),
        Some(other) => Err(NormalizeError::new(
            path,
            format!("expected a string, found {other}"),
        )),
    }
}

/// A string that may be absent; empty strings count as absent.
fn opt_str(obj: &Map<String, Value>, key: &str) -> Option<String> {
    match obj.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        _ => None,
    }
}

fn time(
    obj: &Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<DateTime<FixedOffset>, NormalizeError> {
    let s = req_str(obj, key, path)?;
    DateTime::parse_from_rfc3339(s.trim())
        .map_err(|_| NormalizeError::new(path, format!("`{s}` is not an RFC 3339 time")))
}

fn is_set(obj: &Map<String, Value>, key: &str) -> bool {
    !matches!(obj.get(key), None | Some(Value::Null))
}

/// An id given as a JSON number or a numeric string (or a GID, in GraphQL).
fn id_field(obj: &Map<String, Value>, key: &str, path: &str) -> Result<String, NormalizeError> {
    match obj.get(key) {
        Some(Value::Number(n)) => n
            .as_u64()
            .map(|n| n.to_string())
            .ok_or_else(|| NormalizeError::new(path, format!("`{n}` is not an id"))),
        Some(Value::String(s)) => numeric_id(s)
            .map(|n| n.to_string())
            .ok_or_else(|| NormalizeError::new(path, format!("`{s}` is not an id"))),
        Some(Value::Null) | None => Err(NormalizeError::new(path, "missing")),
        Some(other) => Err(NormalizeError::new(
            path,
            format!("expected an id, found {other}"),
        )),
    }
}

fn quantity(obj: &Map<String, Value>, key: &str, path: &str) -> Result<u32, NormalizeError> {
    match obj.get(key) {
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|q| u32::try_from(q).ok())
            .ok_or_else(|| NormalizeError::new(path, format!("`{n}` is not a quantity"))),
        Some(Value::Null) | None => Err(NormalizeError::new(path, "missing")),
        Some(other) => Err(NormalizeError::new(
            path,
            format!("expected a number, found {other}"),
        )),
    }
}

fn object<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<&'a Map<String, Value>, NormalizeError> {
    match obj.get(key) {
        Some(Value::Object(o)) => Ok(o),
        Some(Value::Null) | None => Err(NormalizeError::new(path, "missing")),
        Some(other) => Err(NormalizeError::new(
            path,
            format!("expected an object, found {other}"),
        )),
    }
}

fn payment_status(value: &str, path: &str) -> Result<PaymentStatus, NormalizeError> {
    Ok(match value.to_ascii_lowercase().as_str() {
        "pending" | "partially_paid" => PaymentStatus::Pending,
        "authorized" => PaymentStatus::Authorized,
        "paid" => PaymentStatus::Paid,
        "partially_refunded" => PaymentStatus::PartiallyRefunded,
        "refunded" => PaymentStatus::Refunded,
        "voided" | "expired" => PaymentStatus::Voided,
        other => {
            return Err(NormalizeError::new(
                path,
                format!("unknown financial status `{other}`"),
            ));
        }
    })
}

fn status(cancelled: bool, fulfillment: Option<&str>) -> OrderStatus {
    if cancelled {
        return OrderStatus::Cancelled;
    }
    match fulfillment.map(str::to_ascii_lowercase).as_deref() {
        Some("fulfilled") => OrderStatus::Fulfilled,
        Some("partial") | Some("partially_fulfilled") => OrderStatus::PartiallyFulfilled,
        _ => OrderStatus::Open,
    }
}

/// The address, or `None` when every field is empty.
fn address(a: &Map<String, Value>, graphql: bool) -> Option<Address> {
    let (first, last, province_code, zip_key, country_key) = if graphql {
        (
            "firstName",
            "lastName",
            "provinceCode",
            "zip",
            "countryCodeV2",
        )
    } else {
        (
            "first_name",
            "last_name",
            "province_code",
            "zip",
            "country_code",
        )
    };
    let name = opt_str(a, "name").or_else(|| {
        let joined = [opt_str(a, first), opt_str(a, last)]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        (!joined.is_empty()).then_some(joined)
    });
    let country = opt_str(a, country_key).or_else(|| opt_str(a, "countryCode"));
    let out = Address {
        name,
        company: opt_str(a, "company"),
        address1: opt_str(a, "address1"),
        address2: opt_str(a, "address2"),
        city: opt_str(a, "city"),
        region: opt_str(a, province_code).or_else(|| opt_str(a, "province")),
        postal_code: opt_str(a, zip_key),
        country_code: country,
        phone: opt_str(a, "phone"),
    };
    (out != Address::default()).then_some(out)
}

/// Tags as Shopify writes them: one comma-separated string in REST, a list in GraphQL.
/// Absent or null is no tags; blanks are dropped.
fn tags(value: Option<&Value>, path: &str) -> Result<Vec<String>, NormalizeError> {
    let split = |s: &str| -> Vec<String> {
        s.split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect()
    };
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(split(s)),
        Some(Value::Array(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                match item {
                    Value::String(s) => out.extend(split(s)),
                    other => {
                        return Err(NormalizeError::new(
                            format!("{path}[{i}]"),
                            format!("expected a string, found {other}"),
                        ));
                    }
                }
            }
            Ok(out)
        }
        Some(other) => Err(NormalizeError::new(
            path,
            format!("expected a string or a list of strings, found {other}"),
        )),
    }
}

/// The buyer's tags, when the payload carries its customer.
fn customer_tags(o: &Map<String, Value>) -> Result<Vec<String>, NormalizeError> {
    match o.get("customer") {
        Some(Value::Object(c)) => tags(c.get("tags"), "customer.tags"),
        _ => Ok(Vec::new()),
    }
}

fn normalize_rest_object(o: &Map<String, Value>) -> Result<Order, NormalizeError> {
    let external_id = id_field(o, "id", "id")?;
    let number = req_str(o, "name", "name")?.to_string();
    let placed_at = time(o, "created_at", "created_at")?;
    let updated_at = time(o, "updated_at", "updated_at")?;
    let financial = req_str(o, "financial_status", "financial_status")?;
    let payment_status = payment_status(financial, "financial_status")?;
    let fulfillment = o.get("fulfillment_status").and_then(Value::as_str);
    let currency = req_str(o, "currency", "currency")?.to_string();
    let total = decimal_field(o.get("total_price"), "total_price")?;
    let items = match o.get("line_items") {
        Some(Value::Array(items)) => items,
        Some(Value::Null) | None => return Err(NormalizeError::new("line_items", "missing")),
        Some(_) => return Err(NormalizeError::new("line_items", "expected an array")),
    };
    let mut lines = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let p = |f: &str| format!("line_items[{i}].{f}");
        let item = item
            .as_object()
            .ok_or_else(|| NormalizeError::new(format!("line_items[{i}]"), "expected an object"))?;
        lines.push(OrderLine {
            line_id: id_field(item, "id", &p("id"))?,
            sku: opt_str(item, "sku"),
            quantity: quantity(item, "quantity", &p("quantity"))?,
            unit_price: decimal_field(item.get("price"), &p("price"))?,
            title: req_str(item, "title", &p("title"))?.to_string(),
            channel_sku: None,
        });
    }
    let ship_to = match o.get("shipping_address") {
        Some(Value::Object(a)) => address(a, false),
        _ => None,
    };
    let customer_email = opt_str(o, "email")
        .or_else(|| opt_str(o, "contact_email"))
        .or_else(|| {
            o.get("customer")
                .and_then(Value::as_object)
                .and_then(|c| opt_str(c, "email"))
        });
    Ok(Order {
        channel_kind: ChannelKind::Shopify,
        external_id,
        number,
        placed_at,
        updated_at,
        status: status(is_set(o, "cancelled_at"), fulfillment),
        payment_status,
        currency,
        total,
        lines,
        ship_to,
        customer_email,
        fulfilled_by_channel: false,
        tags: tags(o.get("tags"), "tags")?,
        customer_tags: customer_tags(o)?,
        ship_by: None,
        deliver_by: None,
        risk_level: None,
    })
}

/// The nodes of a connection selected as `nodes { … }` or `edges { node { … } }`.
fn connection_nodes<'a>(
    conn: &'a Map<String, Value>,
    path: &str,
) -> Result<Vec<(&'a Value, String)>, NormalizeError> {
    if let Some(Value::Array(nodes)) = conn.get("nodes") {
        return Ok(nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n, format!("{path}.nodes[{i}]")))
            .collect());
    }
    if let Some(Value::Array(edges)) = conn.get("edges") {
        return edges
            .iter()
            .enumerate()
            .map(|(i, e)| {
                e.get("node")
                    .map(|n| (n, format!("{path}.edges[{i}].node")))
                    .ok_or_else(|| {
                        NormalizeError::new(format!("{path}.edges[{i}].node"), "missing")
                    })
            })
            .collect();
    }
    Err(NormalizeError::new(format!("{path}.nodes"), "missing"))
}

fn shop_money(
    obj: &Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<rust_decimal::Decimal, NormalizeError> {
    let set = object(obj, key, path)?;
    let shop = object(set, "shopMoney", &format!("{path}.shopMoney"))?;
    decimal_field(shop.get("amount"), &format!("{path}.shopMoney.amount"))
}

fn normalize_graphql_object(o: &Map<String, Value>) -> Result<Order, NormalizeError> {
    let external_id = match o.get("legacyResourceId") {
        Some(v) if !v.is_null() => id_field(o, "legacyResourceId", "legacyResourceId")?,
        _ => id_field(o, "id", "id")?,
    };
    let number = req_str(o, "name", "name")?.to_string();
    let placed_at = time(o, "createdAt", "createdAt")?;
    let updated_at = time(o, "updatedAt", "updatedAt")?;
    let financial = req_str(o, "displayFinancialStatus", "displayFinancialStatus")?;
    let payment_status = payment_status(financial, "displayFinancialStatus")?;
    let fulfillment = o.get("displayFulfillmentStatus").and_then(Value::as_str);
    let total = shop_money(o, "totalPriceSet", "totalPriceSet")?;
    let currency = match opt_str(o, "currencyCode") {
        Some(c) => c,
        None => {
            let shop = object(o, "totalPriceSet", "totalPriceSet")
                .and_then(|s| object(s, "shopMoney", "totalPriceSet.shopMoney"))?;
            req_str(shop, "currencyCode", "currencyCode")?.to_string()
        }
    };
    let conn = object(o, "lineItems", "lineItems")?;
    let mut lines = Vec::new();
    for (node, path) in connection_nodes(conn, "lineItems")? {
        let p = |f: &str| format!("{path}.{f}");
        let item = node
            .as_object()
            .ok_or_else(|| NormalizeError::new(path.clone(), "expected an object"))?;
        lines.push(OrderLine {
            line_id: id_field(item, "id", &p("id"))?,
            sku: opt_str(item, "sku"),
            quantity: quantity(item, "quantity", &p("quantity"))?,
            unit_price: shop_money(item, "originalUnitPriceSet", &p("originalUnitPriceSet"))?,
            title: req_str(item, "title", &p("title"))?.to_string(),
            channel_sku: None,
        });
    }
    let ship_to = match o.get("shippingAddress") {
        Some(Value::Object(a)) => address(a, true),
        _ => None,
    };
    let customer_email = opt_str(o, "email").or_else(|| {
        o.get("customer").and_then(Value::as_object).and_then(|c| {
            opt_str(c, "email").or_else(|| {
                c.get("defaultEmailAddress")
                    .and_then(Value::as_object)
                    .and_then(|d| opt_str(d, "emailAddress"))
            })
        })
    });
    Ok(Order {
        channel_kind: ChannelKind::Shopify,
        external_id,
        number,
        placed_at,
        updated_at,
        status: status(is_set(o, "cancelledAt"), fulfillment),
        payment_status,
        currency,
        total,
        lines,
        ship_to,
        customer_email,
        fulfilled_by_channel: false,
        tags: tags(o.get("tags"), "tags")?,
        customer_tags: customer_tags(o)?,
        ship_by: None,
        deliver_by: None,
        risk_level: risk_level(o),
    })
}

/// The most alarming of `risk.assessments[].riskLevel` (GraphQL only: REST orders and their
/// webhooks carry no assessment). A level this code does not know is left out rather than
/// refusing the order.
fn risk_level(o: &Map<String, Value>) -> Option<RiskLevel> {
    o.get("risk")?
        .get("assessments")?
        .as_array()?
        .iter()
        .filter_map(|a| match a.get("riskLevel")?.as_str()? {
            "NONE" => Some(RiskLevel::None),
            "LOW" => Some(RiskLevel::Low),
            "PENDING" => Some(RiskLevel::Pending),
            "MEDIUM" => Some(RiskLevel::Medium),
            "HIGH" => Some(RiskLevel::High),
            _ => None,
        })
        .max()
}

#[cfg(test)]
mod tests;
