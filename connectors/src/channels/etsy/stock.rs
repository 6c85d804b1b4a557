//! Setting stock by read-modify-write of a listing's inventory.
//!
//! `PUT /v3/application/listings/{listing_id}/inventory` replaces the listing's whole
//! products/offerings set, so each listing is read (`GET …/inventory`), only the quantities of
//! the offerings whose product SKU is being set are changed, and every product, property value,
//! price and `*_on_property` list goes back as it was. Etsy gives products new ids on every
//! PUT, so products are matched by SKU, not by the `product_id` in the reference. Etsy allows
//! 0–999 units an offering: a higher level is sent as 999 (never more than Switchyard holds).
//!
//! Listings are read [`READ_GROUP`] at a time with `getListingsInventoryByListingIds` just
//! before they are written, so a listing costs about 1.1 calls instead of 2 while what is
//! written back is never more than a group's writes (about a second) older than the channel's.
//! A retry re-reads the listing on its own.

use std::collections::{BTreeMap, HashMap};

use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use switchyard_core::ports::{ChannelError, ListingLevel, PushReport};

use crate::http::with_retry;

use super::client::EtsyClient;
use super::normalize::money;

/// Levels a push takes: each listing costs a write and a tenth of a read, so a hundred levels
/// across distinct listings take about 11 seconds at Etsy's 10 requests a second.
pub const MAX_BATCH: usize = 100;

/// Etsy's largest offering quantity.
pub const MAX_QUANTITY: i64 = 999;

pub async fn push(client: &EtsyClient, batch: &[ListingLevel]) -> Result<PushReport, ChannelError> {
    let mut report = PushReport::default();
    let mut by_listing: BTreeMap<u64, Vec<&ListingLevel>> = BTreeMap::new();
    for level in batch {
        match level.reference.get("listing_id").and_then(Value::as_u64) {
            Some(id) => by_listing.entry(id).or_default().push(level),
            None => report.rejected.push((
                level.sku.clone(),
                "reference has no numeric listing_id".into(),
            )),
        }
    }
    let listings: Vec<(u64, Vec<&ListingLevel>)> = by_listing.into_iter().collect();
    for group in listings.chunks(READ_GROUP) {
        let mut read = read_group(client, group).await;
        for (listing_id, levels) in group {
            let mut first = read.remove(listing_id);
            push_one(client, *listing_id, levels, &mut first, &mut report).await?;
        }
    }
    Ok(report)
}

/// Listings read in one `getListingsInventoryByListingIds` call before their writes.
pub const READ_GROUP: usize = 10;

/// The group's inventories by listing id. A failed read only costs single reads later.
async fn read_group(
    client: &EtsyClient,
    group: &[(u64, Vec<&ListingLevel>)],
) -> HashMap<u64, Value> {
    if group.len() < 2 {
        return HashMap::new();
    }
    let ids = group
        .iter()
        .map(|(id, _)| id.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let body = match client
        .get(
            "/v3/application/listings/batch/inventory",
            &[("listing_ids", ids)],
        )
        .await
    {
        Ok(body) => body,
        Err(e) => {
            tracing::warn!(error = %e, "reading listing inventories in a batch failed; reading one by one");
            return HashMap::new();
        }
    };
    super::listings::results(&body)
        .map(|list| {
            list.iter()
                .filter_map(|l| {
                    let id = l.get("listing_id").and_then(Value::as_u64)?;
                    let inventory = l.get("inventory").filter(|i| i.is_object())?;
                    Some((id, inventory.clone()))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Writes one listing: the first attempt from `first` when the group read had it.
async fn push_one(
    client: &EtsyClient,
    listing_id: u64,
    levels: &[&ListingLevel],
    first: &mut Option<Value>,
    report: &mut PushReport,
) -> Result<(), ChannelError> {
    let path = format!("/v3/application/listings/{listing_id}/inventory");
    let outcome = with_retry(client.retry_policy(), &path, || {
        push_listing(client, &path, levels, first.take())
    })
    .await;
    match outcome {
        Ok(one) => {
            report.applied.extend(one.applied);
            report.stale.extend(one.stale);
            report.rejected.extend(one.rejected);
        }
        Err(ChannelError::Rejected(reason)) => report
            .rejected
            .extend(levels.iter().map(|l| (l.sku.clone(), reason.clone()))),
        Err(ChannelError::Http { status: 404, .. }) => report.rejected.extend(
            levels
                .iter()
                .map(|l| (l.sku.clone(), format!("Etsy has no listing {listing_id}"))),
        ),
        Err(other) => return Err(other),
    }
    Ok(())
}

/// Reads one listing (unless `read` already holds it), changes the wanted quantities, writes it
/// all back.
async fn push_listing(
    client: &EtsyClient,
    path: &str,
    levels: &[&ListingLevel],
    read: Option<Value>,
) -> Result<PushReport, ChannelError> {
    let inventory = match read {
        Some(inventory) => inventory,
        None => client.get_once(path, &[]).await?,
    };
    let mut report = PushReport::default();
    let mut targets: BTreeMap<&str, i64> = BTreeMap::new();
    let products = inventory
        .get("products")
        .and_then(Value::as_array)
        .ok_or_else(|| ChannelError::Decode(format!("{path}: no `products` array")))?;
    for level in levels {
        let current = products
            .iter()
            .filter(|p| live(p))
            .find(|p| sku_of(p) == Some(level.sku.as_str()));
        let Some(product) = current else {
            report.rejected.push((
                level.sku.clone(),
                format!("no product with this SKU on the listing ({path})"),
            ));
            continue;
        };
        let held = offering_quantity(product);
        match level.expected_current {
            Some(expected) if held.is_some_and(|h| h != expected) => {
                report.stale.push((level.sku.clone(), held));
            }
            _ => {
                targets.insert(level.sku.as_str(), level.quantity.clamp(0, MAX_QUANTITY));
                report.applied.push(level.sku.clone());
            }
        }
    }
    if targets.is_empty() {
        return Ok(report);
    }
    let body = update_body(&inventory, &targets)?;
    client.send_once(Method::PUT, path, &body).await?;
    Ok(report)
}

/// The PUT body: the listing's inventory as read, in the shape the PUT takes, with the
/// offerings of the `targets` SKUs set to their quantities.
pub fn update_body(
    inventory: &Value,
    targets: &BTreeMap<&str, i64>,
) -> Result<Value, ChannelError> {
    let products = inventory
        .get("products")
        .and_then(Value::as_array)
        .ok_or_else(|| ChannelError::Decode("inventory has no `products` array".into()))?;
    let mut out = Vec::with_capacity(products.len());
    for (i, product) in products.iter().enumerate().filter(|(_, p)| live(p)) {
        let target = sku_of(product).and_then(|s| targets.get(s)).copied();
        let offerings = product
            .get("offerings")
            .and_then(Value::as_array)
            .ok_or_else(|| ChannelError::Decode(format!("products[{i}] has no offerings")))?;
        let offerings = offerings
            .iter()
            .enumerate()
            .filter(|(_, o)| live(o))
            .map(|(j, o)| offering_body(o, target, &format!("products[{i}].offerings[{j}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let property_values = product
            .get("property_values")
            .and_then(Value::as_array)
            .map(|values| values.iter().map(property_value_body).collect::<Vec<_>>())
            .unwrap_or_default();
        out.push(json!({
            "sku": product.get("sku").cloned().unwrap_or(Value::String(String::new())),
            "property_values": property_values,
            "offerings": offerings,
        }));
    }
    let mut body = Map::new();
    body.insert("products".into(), Value::Array(out));
    for list in [
        "price_on_property",
        "quantity_on_property",
        "sku_on_property",
    ] {
        let ids = inventory.get(list).cloned().filter(Value::is_array);
        body.insert(list.into(), ids.unwrap_or_else(|| json!([])));
    }
    if let Some(ids) = inventory
        .get("readiness_state_on_property")
        .filter(|v| v.is_array())
    {
        body.insert("readiness_state_on_property".into(), ids.clone());
    }
    Ok(Value::Object(body))
}

/// An offering as the PUT takes it: `price` as a decimal number (amount / divisor), quantity,
/// `is_enabled`, and the processing profile when the listing has one.
fn offering_body(
    offering: &Value,
    quantity: Option<i64>,
    path: &str,
) -> Result<Value, ChannelError> {
    let price = money(offering.get("price"), &format!("{path}.price"))
        .map_err(|e| ChannelError::Decode(e.to_string()))?;
    let held = offering
        .get("quantity")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let mut body = Map::new();
    body.insert("price".into(), price_number(price, path)?);
    body.insert("quantity".into(), json!(quantity.unwrap_or(held)));
    body.insert(
        "is_enabled".into(),
        json!(offering.get("is_enabled").and_then(as_flag).unwrap_or(true)),
    );
    if let Some(id) = offering.get("readiness_state_id").filter(|v| !v.is_null()) {
        body.insert("readiness_state_id".into(), id.clone());
    }
    Ok(Value::Object(body))
}

/// Etsy's PUT wants the price as a JSON number. The decimal's text is parsed as the nearest
/// double, whose shortest form is that same text, so `12.50` goes out as `12.5`, exactly.
fn price_number(price: Decimal, path: &str) -> Result<Value, ChannelError> {
    price
        .normalize()
        .to_string()
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map(Value::Number)
        .ok_or_else(|| ChannelError::Decode(format!("{path}.price {price} is not a number")))
}

/// A property value with the fields the PUT takes; everything else Etsy returned is dropped.
fn property_value_body(value: &Value) -> Value {
    let mut body = Map::new();
    for field in [
        "property_id",
        "property_name",
        "scale_id",
        "value_ids",
        "values",
    ] {
        if let Some(v) = value.get(field) {
            body.insert(field.into(), v.clone());
        }
    }
    Value::Object(body)
}

/// Not marked deleted (`is_deleted` is a bool in v3, a 0/1 in older answers).
pub fn live(item: &Value) -> bool {
    !item.get("is_deleted").and_then(as_flag).unwrap_or(false)
}

fn as_flag(v: &Value) -> Option<bool> {
    v.as_bool().or_else(|| v.as_u64().map(|n| n != 0))
}

fn sku_of(product: &Value) -> Option<&str> {
    product
        .get("sku")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The product's quantity on Etsy: its first live offering's.
pub fn offering_quantity(product: &Value) -> Option<i64> {
    product
        .get("offerings")?
        .as_array()?
        .iter()
        .find(|o| live(o))?
        .get("quantity")?
        .as_i64()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inventory() -> Value {
        json!({
            "products": [
                {"product_id": 1, "sku": "TEE-S", "is_deleted": false,
                 "property_values": [{"property_id": 100, "property_name": "Size", "scale_id": 19,
                                      "value_ids": [1], "values": ["S"]}],
                 "offerings": [{"offering_id": 11, "quantity": 3, "is_enabled": true, "is_deleted": false,
                                "price": {"amount": 2050, "divisor": 100, "currency_code": "USD"}}]},
                {"product_id": 2, "sku": "TEE-M", "is_deleted": false,
                 "property_values": [{"property_id": 100, "property_name": "Size", "scale_id": 19,
                                      "value_ids": [2], "values": ["M"]}],
                 "offerings": [{"offering_id": 12, "quantity": 4, "is_enabled": false, "is_deleted": false,
                                "readiness_state_id": 7,
                                "price": {"amount": 2199, "divisor": 100, "currency_code": "USD"}}]},
                {"product_id": 3, "sku": "GONE", "is_deleted": true, "offerings": []}
            ],
            "price_on_property": [100], "quantity_on_property": [100], "sku_on_property": [100]
        })
    }

    #[test]
    fn only_the_targeted_quantities_change() {
        let targets = BTreeMap::from([("TEE-M", 9)]);
        let body = update_body(&inventory(), &targets).unwrap();
        assert_eq!(
            body,
            json!({
                "products": [
                    {"sku": "TEE-S",
                     "property_values": [{"property_id": 100, "property_name": "Size", "scale_id": 19,
                                          "value_ids": [1], "values": ["S"]}],
                     "offerings": [{"price": 20.5, "quantity": 3, "is_enabled": true}]},
                    {"sku": "TEE-M",
                     "property_values": [{"property_id": 100, "property_name": "Size", "scale_id": 19,
                                          "value_ids": [2], "values": ["M"]}],
                     "offerings": [{"price": 21.99, "quantity": 9, "is_enabled": false,
                                    "readiness_state_id": 7}]}
                ],
                "price_on_property": [100], "quantity_on_property": [100], "sku_on_property": [100]
            })
        );
    }

    #[test]
    fn a_broken_price_is_a_decode_error_not_a_guess() {
        let mut inv = inventory();
        inv["products"][0]["offerings"][0]["price"] = json!("20.50");
        let err = update_body(&inv, &BTreeMap::new()).unwrap_err();
        assert!(
            matches!(err, ChannelError::Decode(ref m) if m.contains("products[0].offerings[0].price")),
            "{err}"
        );
    }
}
