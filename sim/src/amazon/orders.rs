//! Orders API routes: 2026-01-01 `searchOrders` and `getOrder`, v0 `getOrders`, `getOrder`,
//! `getOrderItems`, `getOrderAddress`, `confirmShipment`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::Shared;
use super::auth::admit;
use super::errors::{Refused, answer, finish, invalid_input, not_found, refuse};
use super::store::{Confirmation, SimOrder, Store};

type Params = Query<Vec<(String, String)>>;

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

fn time_param(params: &[(String, String)], name: &str) -> Result<Option<DateTime<Utc>>, Refused> {
    param(params, name)
        .map(|t| {
            DateTime::parse_from_rfc3339(t)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| invalid_input(&format!("Invalid {name}: {t} is not ISO 8601")))
        })
        .transpose()
}

fn page_size(params: &[(String, String)], name: &str) -> Result<usize, Refused> {
    match param(params, name) {
        None => Ok(100),
        Some(n) => n
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| invalid_input(&format!("{name} must be between 1 and 100"))),
    }
}

/// Opaque page token: the sweep's lower bound and the offset reached.
fn encode_token(after: DateTime<Utc>, offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}|{offset}", after.to_rfc3339()))
}

fn decode_token(token: &str) -> Result<(DateTime<Utc>, usize), Refused> {
    let bad = || invalid_input("Invalid pagination token.");
    let raw = URL_SAFE_NO_PAD.decode(token).map_err(|_| bad())?;
    let text = String::from_utf8(raw).map_err(|_| bad())?;
    let (after, offset) = text.split_once('|').ok_or_else(bad)?;
    let after = DateTime::parse_from_rfc3339(after).map_err(|_| bad())?;
    Ok((
        after.with_timezone(&Utc),
        offset.parse().map_err(|_| bad())?,
    ))
}

/// Orders updated at or after `after`, oldest change first.
fn changed_since(store: &Store, after: DateTime<Utc>) -> Vec<SimOrder> {
    let mut found: Vec<SimOrder> = store
        .orders
        .iter()
        .filter(|o| o.updated >= after)
        .cloned()
        .collect();
    found.sort_by(|a, b| a.updated.cmp(&b.updated).then(a.id.cmp(&b.id)));
    found
}

/// `(page, next offset)` of a sorted list.
fn slice(all: &[SimOrder], offset: usize, size: usize) -> (&[SimOrder], Option<usize>) {
    let start = offset.min(all.len());
    let end = (start + size).min(all.len());
    (&all[start..end], (end < all.len()).then_some(end))
}

pub async fn search_orders(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    finish(
        shared.plan("searchOrders"),
        (|| {
            let plan = admit(&shared, &headers, "searchOrders")?;
            let size = page_size(&params, "maxResultsPerPage")?;
            let (after, offset) = match param(&params, "paginationToken") {
                Some(token) => decode_token(token)?,
                None => {
                    let updated = time_param(&params, "lastUpdatedAfter")?;
                    let created = time_param(&params, "createdAfter")?;
                    match (updated, created) {
                        (Some(after), None) => (after, 0),
                        (None, Some(_)) => {
                            return Err(invalid_input(
                                "The simulator supports lastUpdatedAfter only.",
                            ));
                        }
                        _ => {
                            return Err(invalid_input(
                                "Exactly one of createdAfter and lastUpdatedAfter must be provided.",
                            ));
                        }
                    }
                }
            };
            let included: Vec<&str> = param(&params, "includedData")
                .map(|d| d.split(',').map(str::trim).collect())
                .unwrap_or_default();
            let marketplace = &shared.config.marketplace_id;
            let all = shared.with_store(|s| changed_since(s, after));
            let (page, next) = slice(&all, offset, size);
            let mut body = json!({
                "orders": page.iter().map(|o| o.json_2026(marketplace, &included)).collect::<Vec<_>>(),
                "pagination": {},
                "lastUpdatedBefore": super::store::rfc3339(super::store::now()),
            });
            if let Some(next) = next {
                body["pagination"] = json!({"nextToken": encode_token(after, next)});
            }
            Ok(answer(plan, 200, Some(body)))
        })(),
    )
}

pub async fn get_order(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(params): Params,
) -> Response {
    finish(
        shared.plan("getOrder"),
        (|| {
            let plan = admit(&shared, &headers, "getOrder")?;
            let included: Vec<&str> = param(&params, "includedData")
                .map(|d| d.split(',').map(str::trim).collect())
                .unwrap_or_default();
            let order = shared
                .with_store(|s| s.order(&id).cloned())
                .ok_or_else(|| not_found(&format!("Order {id} not found.")))?;
            let body = json!({"order": order.json_2026(&shared.config.marketplace_id, &included)});
            Ok(answer(plan, 200, Some(body)))
        })(),
    )
}

pub async fn get_orders_v0(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    finish(
        shared.plan("getOrders"),
        (|| {
            let plan = admit(&shared, &headers, "getOrders")?;
            if param(&params, "MarketplaceIds").is_none() {
                return Err(invalid_input("MarketplaceIds is required."));
            }
            let (after, offset, size) = match param(&params, "NextToken") {
                Some(token) => {
                    let (after, offset) = decode_token(token)?;
                    (after, offset, 100)
                }
                None => {
                    let after = time_param(&params, "LastUpdatedAfter")?.ok_or_else(|| {
                        invalid_input("Either CreatedAfter or LastUpdatedAfter must be provided.")
                    })?;
                    (after, 0, page_size(&params, "MaxResultsPerPage")?)
                }
            };
            let marketplace = &shared.config.marketplace_id;
            let all = shared.with_store(|s| changed_since(s, after));
            let (page, next) = slice(&all, offset, size);
            let mut payload = json!({
                "Orders": page.iter().map(|o| o.json_v0(marketplace)).collect::<Vec<_>>(),
                "LastUpdatedBefore": super::store::rfc3339(super::store::now()),
            });
            if let Some(next) = next {
                payload["NextToken"] = json!(encode_token(after, next));
            }
            Ok(answer(plan, 200, Some(json!({ "payload": payload }))))
        })(),
    )
}

fn find(shared: &Shared, id: &str) -> Result<SimOrder, Refused> {
    shared
        .with_store(|s| s.order(id).cloned())
        .ok_or_else(|| not_found(&format!("Invalid AmazonOrderId {id}.")))
}

pub async fn get_order_v0(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    finish(
        shared.plan("getOrder"),
        (|| {
            let plan = admit(&shared, &headers, "getOrder")?;
            let order = find(&shared, &id)?;
            let body = json!({"payload": order.json_v0(&shared.config.marketplace_id)});
            Ok(answer(plan, 200, Some(body)))
        })(),
    )
}

pub async fn get_order_items(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    finish(
        shared.plan("getOrderItems"),
        (|| {
            let plan = admit(&shared, &headers, "getOrderItems")?;
            let order = find(&shared, &id)?;
            let body =
                json!({"payload": {"AmazonOrderId": order.id, "OrderItems": order.items_v0()}});
            Ok(answer(plan, 200, Some(body)))
        })(),
    )
}

pub async fn get_order_address(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    finish(
        shared.plan("getOrderAddress"),
        (|| {
            let path = format!("/orders/v0/orders/{id}/address");
            let (plan, with_pii) =
                super::tokens::admit_restricted(&shared, &headers, "getOrderAddress", &path)?;
            let order = find(&shared, &id)?;
            let mut address = super::store::address_v0();
            if !with_pii {
                // Without a Restricted Data Token the ship-to name, street and phone stay back.
                if let Some(fields) = address.as_object_mut() {
                    for pii in [
                        "Name",
                        "AddressLine1",
                        "AddressLine2",
                        "AddressLine3",
                        "Phone",
                    ] {
                        fields.remove(pii);
                    }
                }
            }
            let body = json!({"payload": {"AmazonOrderId": order.id, "ShippingAddress": address}});
            Ok(answer(plan, 200, Some(body)))
        })(),
    )
}

/// v0 `confirmShipment`: 204 on success. A package reference id the order already holds is
/// refused with `InvalidInput` saying so (which a careful client treats as done).
pub async fn confirm_shipment(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    finish(
        shared.plan("confirmShipment"),
        (|| {
            let plan = admit(&shared, &headers, "confirmShipment")?;
            let request: Value = serde_json::from_slice(&body)
                .map_err(|_| invalid_input("The request body is not valid JSON."))?;
            let confirmation = read_confirmation(&shared, &request)?;
            shared.with_store(|s| {
                let order = s
                    .order_mut(&id)
                    .ok_or_else(|| not_found(&format!("Invalid AmazonOrderId {id}.")))?;
                if order.fulfilled_by_amazon {
                    return Err(invalid_input(
                        "Shipment confirmation is not allowed for orders fulfilled by Amazon.",
                    ));
                }
                if order.status == "CANCELLED" {
                    return Err(invalid_input("The order is canceled."));
                }
                if order
                    .confirmations
                    .iter()
                    .any(|c| c.package_reference_id == confirmation.package_reference_id)
                {
                    return Err(refuse(
                        400,
                        "InvalidInput",
                        &format!(
                            "Package {} has already been confirmed for order {id}.",
                            confirmation.package_reference_id
                        ),
                        "",
                    ));
                }
                for (item_id, _) in &confirmation.items {
                    if !order.items.iter().any(|i| &i.item_id == item_id) {
                        return Err(invalid_input(&format!(
                            "Invalid orderItemId {item_id} for order {id}."
                        )));
                    }
                }
                order.confirmations.push(confirmation);
                order.after_confirmation();
                Ok(())
            })?;
            Ok(answer(plan, 204, None))
        })(),
    )
}

fn read_confirmation(shared: &Shared, request: &Value) -> Result<Confirmation, Refused> {
    if request.get("marketplaceId").and_then(Value::as_str) != Some(&shared.config.marketplace_id) {
        return Err(invalid_input("Invalid marketplaceId."));
    }
    let detail = request
        .get("packageDetail")
        .ok_or_else(|| invalid_input("packageDetail is required."))?;
    let text = |k: &str| {
        detail
            .get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .ok_or_else(|| {
                invalid_input(&format!(
                    "The input you have submitted is not valid. Please check the fields with invalid type [packageDetail.{k}]."
                ))
            })
    };
    let package_reference_id = text("packageReferenceId")?;
    if package_reference_id.parse::<u64>().map_or(true, |n| n == 0) {
        return Err(invalid_input(
            "PackageReferenceId: is invalid, must be a positive numeric value.",
        ));
    }
    let items = detail
        .get("orderItems")
        .and_then(Value::as_array)
        .filter(|items| !items.is_empty())
        .ok_or_else(|| invalid_input("packageDetail.orderItems is required."))?
        .iter()
        .map(|item| {
            let id = item.get("orderItemId").and_then(Value::as_str);
            let quantity = item.get("quantity").and_then(Value::as_u64);
            match (id, quantity) {
                (Some(id), Some(q)) if q > 0 => Ok((id.to_string(), q)),
                _ => Err(invalid_input(
                    "Each order item needs orderItemId and a positive quantity.",
                )),
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    let carrier_code = text("carrierCode")?;
    if !CARRIER_CODES.contains(&carrier_code.as_str()) {
        return Err(invalid_input(&format!(
            "{carrier_code} is not a valid CarrierCode; use Other with carrierName for carriers not listed."
        )));
    }
    let carrier_name = if carrier_code == "Other" {
        Some(
            text("carrierName")
                .map_err(|_| invalid_input("carrierName is required when carrierCode is Other."))?,
        )
    } else {
        None
    };
    Ok(Confirmation {
        package_reference_id,
        carrier_code,
        carrier_name,
        tracking_number: text("trackingNumber")?,
        ship_date: text("shipDate")?,
        items,
    })
}

/// Amazon's `CarrierCode` values this simulator accepts (a subset of Amazon's published list;
/// `Other` takes `carrierName`).
const CARRIER_CODES: [&str; 34] = [
    "UPS",
    "UPSMI",
    "USPS",
    "FedEx",
    "FedEx SmartPost",
    "DHL",
    "DHL eCommerce",
    "OnTrac",
    "Lasership",
    "Canada Post",
    "Purolator",
    "Royal Mail",
    "Parcelforce",
    "Australia Post",
    "DPD",
    "GLS",
    "TNT",
    "Yodel",
    "Hermes",
    "Deutsche Post",
    "Japan Post",
    "China Post",
    "Sendle",
    "Amazon Shipping",
    "Blue Package",
    "Fastway",
    "Correos",
    "Poste Italiane",
    "SF Express",
    "Yamato Transport",
    "Sagawa Express",
    "India Post",
    "Asendia",
    "Other",
];
