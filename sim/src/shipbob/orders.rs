//! Orders: create (`reference_id` unique per channel, a repeat is a 422), the filtered and
//! numbered list (`Page`, `Limit` ≤ 250, `LastUpdateStartDate`, `ReferenceIds`, … with
//! `page-number`, `total-pages`, `total-count`, `next-page` headers), one order, its shipments,
//! one shipment, and `POST /order/{id}:cancel`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::{Value, json};

use super::Shared;
use super::errors::{Refused, bad_request, not_found, unprocessable};
use super::store::{OrderLine, Shipment, SimOrder, order_json, shipment_json};

const CHANNEL_HEADER: &str = "shipbob_channel_id";
const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 250;
const ORDER_TYPES: [&str; 3] = ["DTC", "DropShip", "B2B"];

type Params = Query<HashMap<String, String>>;

fn unwrap(result: Result<Response, Refused>) -> Response {
    result.unwrap_or_else(|refused| *refused)
}

/// The channel the caller names: `None` when absent, a 400 when not a number.
fn channel_header(headers: &HeaderMap) -> Result<Option<u64>, Refused> {
    match headers
        .get(CHANNEL_HEADER)
        .map(|v| v.to_str().map(str::trim))
    {
        None => Ok(None),
        Some(Ok(text)) => text.parse().map(Some).map_err(|_| {
            bad_request(
                CHANNEL_HEADER,
                &format!("The value '{text}' is not valid for shipbob_channel_id."),
            )
        }),
        Some(Err(_)) => Err(bad_request(CHANNEL_HEADER, "The value is not valid.")),
    }
}

/// Writes need the integration's own channel: absent is a 400, another channel a 403.
fn write_channel(shared: &Shared, headers: &HeaderMap) -> Result<u64, Refused> {
    match channel_header(headers)? {
        None => Err(bad_request(
            CHANNEL_HEADER,
            "The shipbob_channel_id header is required.",
        )),
        Some(id) if id == shared.config.channel_id => Ok(id),
        Some(_) => Err(Box::new(StatusCode::FORBIDDEN.into_response())),
    }
}

fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

pub async fn create(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    unwrap(create_inner(&shared, &headers, &body))
}

fn create_inner(
    shared: &Arc<Shared>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, Refused> {
    let channel_id = write_channel(shared, headers)?;
    let payload: Value = serde_json::from_slice(body)
        .map_err(|e| bad_request("$", &format!("The JSON value could not be converted: {e}")))?;
    let reference_id = text(&payload, "reference_id")
        .ok_or_else(|| bad_request("ReferenceId", "The ReferenceId field is required."))?
        .to_string();
    if reference_id.chars().count() > 300 {
        return Err(bad_request(
            "ReferenceId",
            "The field ReferenceId must be a string with a maximum length of 300.",
        ));
    }
    let shipping_method = text(&payload, "shipping_method")
        .ok_or_else(|| bad_request("ShippingMethod", "The ShippingMethod field is required."))?
        .to_string();
    let order_type = text(&payload, "type")
        .ok_or_else(|| bad_request("Type", "The Type field is required."))?
        .to_string();
    if !ORDER_TYPES.contains(&order_type.as_str()) {
        return Err(bad_request(
            "Type",
            &format!("The value '{order_type}' is not valid for Type."),
        ));
    }
    if order_type != "DTC"
        && (payload
            .get("retailer_program_data")
            .is_none_or(Value::is_null)
            || payload.get("shipping_terms").is_none_or(Value::is_null))
    {
        return Err(unprocessable(
            "RetailerProgramData",
            "DropShip and B2B orders require retailer_program_data and shipping_terms.",
        ));
    }
    let recipient = payload
        .get("recipient")
        .filter(|r| r.is_object())
        .ok_or_else(|| bad_request("Recipient", "The Recipient field is required."))?;
    if text(recipient, "name").is_none() {
        return Err(bad_request("Recipient.Name", "The Name field is required."));
    }
    let address = recipient
        .get("address")
        .filter(|a| a.is_object())
        .ok_or_else(|| bad_request("Recipient.Address", "The Address field is required."))?;
    for (key, field) in [
        ("address1", "Address1"),
        ("city", "City"),
        ("country", "Country"),
    ] {
        if text(address, key).is_none() {
            return Err(bad_request(
                &format!("Recipient.Address.{field}"),
                &format!("The {field} field is required."),
            ));
        }
    }
    let products = payload
        .get("products")
        .and_then(Value::as_array)
        .filter(|p| !p.is_empty())
        .ok_or_else(|| bad_request("Products", "The Products field is required."))?;
    let mut wanted = Vec::with_capacity(products.len());
    for (i, p) in products.iter().enumerate() {
        let quantity = p
            .get("quantity")
            .and_then(Value::as_u64)
            .filter(|&q| (1..=u64::from(u32::MAX)).contains(&q))
            .ok_or_else(|| {
                bad_request(
                    &format!("Products[{i}].Quantity"),
                    "The field Quantity must be between 1 and 2147483647.",
                )
            })? as u32;
        let by_id = p.get("id").and_then(Value::as_u64);
        let reference = text(p, "reference_id").map(str::to_string);
        if by_id.is_none() && reference.is_none() {
            return Err(bad_request(
                &format!("Products[{i}].ReferenceId"),
                "The ReferenceId field is required.",
            ));
        }
        wanted.push((
            i,
            by_id,
            reference,
            text(p, "name").map(str::to_string),
            quantity,
            p.get("unit_price").and_then(Value::as_f64),
            p.get("external_line_id").and_then(Value::as_i64),
        ));
    }
    let created = shared.with_store(|s| -> Result<Value, Refused> {
        if s.by_reference(channel_id, &reference_id).is_some() {
            return Err(unprocessable(
                "ReferenceId",
                &format!("Order with ReferenceId {reference_id} already exists for this channel."),
            ));
        }
        let mut lines = Vec::with_capacity(wanted.len());
        for (i, by_id, reference, name, quantity, unit_price, external_line_id) in &wanted {
            let item = match (by_id, reference) {
                (Some(id), _) => s
                    .items
                    .iter()
                    .find(|it| it.product_id == *id)
                    .cloned()
                    .ok_or_else(|| {
                        unprocessable(
                            &format!("Products[{i}].Id"),
                            &format!("Product {id} does not exist."),
                        )
                    })?,
                (None, Some(reference)) => match (s.item_by_sku(reference).cloned(), name) {
                    (Some(item), _) => item,
                    (None, Some(name)) => s.item_for(reference, name),
                    (None, None) => {
                        return Err(unprocessable(
                            &format!("Products[{i}].Name"),
                            "Name is required when no product matches the reference_id.",
                        ));
                    }
                },
                (None, None) => {
                    return Err(bad_request(
                        &format!("Products[{i}].ReferenceId"),
                        "The ReferenceId field is required.",
                    ));
                }
            };
            lines.push(OrderLine {
                product_id: item.product_id,
                inventory_id: item.inventory_id,
                reference_id: item.sku.clone(),
                name: name.clone().unwrap_or_else(|| item.name.clone()),
                quantity: *quantity,
                unit_price: *unit_price,
                external_line_id: *external_line_id,
            });
        }
        let now = super::store::now();
        let id = s.next_id();
        let shipment_id = s.next_id();
        let order = SimOrder {
            id,
            channel_id,
            reference_id: reference_id.clone(),
            order_number: text(&payload, "order_number").map(str::to_string),
            status: "Processing".into(),
            order_type: order_type.clone(),
            shipping_method: shipping_method.clone(),
            recipient: recipient.clone(),
            purchase_date: text(&payload, "purchase_date").map(str::to_string),
            total_price: payload
                .get("financials")
                .and_then(|f| f.get("total_price"))
                .and_then(Value::as_f64),
            tags: payload.get("tags").cloned().unwrap_or_else(|| json!([])),
            lines,
            shipment: Shipment {
                id: shipment_id,
                status: "Processing".into(),
                status_details: Vec::new(),
                tracking: None,
                created: now,
                last_update_at: now,
                last_tracking_update_at: None,
                location: (6, "Cicero (IL)".into()),
            },
            created: now,
            updated: now,
        };
        let body = order_json(&order, &s.items, &shared.config.channel_name);
        s.orders.push(order);
        s.orders_created += 1;
        Ok(body)
    })?;
    if let (Some(delay), Some(id)) = (shared.config.auto_ship_after, created["id"].as_u64()) {
        let shared = Arc::clone(shared);
        let fate = shared.config.auto_ship_fate;
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let tracking = format!("9400111{id:015}");
            shared.ship(id, "USPS", &tracking, fate).await;
        });
    }
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// ISO 8601 with or without an offset (a bare time is UTC), as the date filters accept.
fn parse_date(field: &str, value: &str) -> Result<DateTime<Utc>, Refused> {
    let value = value.trim();
    DateTime::parse_from_rfc3339(value)
        .map(|d| d.with_timezone(&Utc))
        .or_else(|_| {
            NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S%.f").map(|n| n.and_utc())
        })
        .map_err(|_| {
            bad_request(
                field,
                &format!("The value '{value}' is not valid for {field}."),
            )
        })
}

fn parse_bool(field: &str, value: &str) -> Result<bool, Refused> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(bad_request(
            field,
            &format!("The value '{other}' is not valid for {field}."),
        )),
    }
}

fn number(
    params: &HashMap<String, String>,
    field: &str,
    default: usize,
    max: usize,
) -> Result<usize, Refused> {
    match params.get(field) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                bad_request(
                    field,
                    &format!("The field {field} must be between 1 and {max}."),
                )
            }),
    }
}

pub async fn list(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    unwrap(list_inner(&shared, &headers, &params))
}

fn list_inner(
    shared: &Shared,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
) -> Result<Response, Refused> {
    let channel = channel_header(headers)?;
    let page = number(params, "Page", 1, i32::MAX as usize)?;
    let limit = number(params, "Limit", DEFAULT_LIMIT, MAX_LIMIT)?;
    let date = |field: &str| params.get(field).map(|v| parse_date(field, v)).transpose();
    let created_from = date("StartDate")?;
    let created_to = date("EndDate")?;
    let updated_from = date("LastUpdateStartDate")?;
    let updated_to = date("LastUpdateEndDate")?;
    let tracking_from = date("LastTrackingUpdateStartDate")?;
    let has_tracking = params
        .get("HasTracking")
        .map(|v| parse_bool("HasTracking", v))
        .transpose()?;
    let list_of = |field: &str| -> Option<Vec<String>> {
        params.get(field).map(|v| {
            v.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
    };
    let ids = list_of("IDs");
    let references = list_of("ReferenceIds");
    let oldest_first = match params.get("SortOrder").map(|s| s.trim()) {
        None | Some("Newest") => false,
        Some("Oldest") => true,
        Some(other) => {
            return Err(bad_request(
                "SortOrder",
                &format!("The value '{other}' is not valid for SortOrder."),
            ));
        }
    };
    let (items, total) = shared.with_store(|s| {
        let mut matching: Vec<&SimOrder> = s
            .orders
            .iter()
            .filter(|o| channel.is_none_or(|c| c == o.channel_id))
            .filter(|o| {
                ids.as_ref()
                    .is_none_or(|ids| ids.contains(&o.id.to_string()))
            })
            .filter(|o| {
                references
                    .as_ref()
                    .is_none_or(|r| r.contains(&o.reference_id))
            })
            .filter(|o| created_from.is_none_or(|t| o.created >= t))
            .filter(|o| created_to.is_none_or(|t| o.created <= t))
            .filter(|o| updated_from.is_none_or(|t| o.updated >= t))
            .filter(|o| updated_to.is_none_or(|t| o.updated <= t))
            .filter(|o| {
                tracking_from
                    .is_none_or(|t| o.shipment.last_tracking_update_at.is_some_and(|at| at >= t))
            })
            .filter(|o| has_tracking.is_none_or(|h| h == o.shipment.tracking.is_some()))
            .collect();
        matching.sort_by_key(|o| o.id);
        if !oldest_first {
            matching.reverse();
        }
        let total = matching.len();
        let items: Vec<Value> = matching
            .iter()
            .skip((page - 1).saturating_mul(limit))
            .take(limit)
            .map(|o| order_json(o, &s.items, &shared.config.channel_name))
            .collect();
        (items, total)
    });
    let total_pages = total.div_ceil(limit);
    let mut response = Json(Value::Array(items)).into_response();
    let h = response.headers_mut();
    let mut put = |name: &'static str, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    };
    put("page-number", page.to_string());
    put("total-pages", total_pages.to_string());
    put("total-count", total.to_string());
    if page < total_pages {
        let mut query: Vec<(String, String)> = params
            .iter()
            .filter(|(k, _)| k.as_str() != "Page")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        query.sort();
        query.push(("Page".into(), (page + 1).to_string()));
        let query: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect();
        put(
            "next-page",
            format!("/{}/order?{}", shared.config.api_version, query.join("&")),
        );
    }
    Ok(response)
}

/// Percent-encodes a query value.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// The order a path names, seen through the caller's channel header when it sends one.
fn find(shared: &Shared, headers: &HeaderMap, id: &str) -> Result<(Value, Value), Refused> {
    let channel = channel_header(headers)?;
    let id: u64 = id
        .trim()
        .parse()
        .map_err(|_| bad_request("orderId", &format!("The value '{id}' is not valid.")))?;
    shared
        .with_store(|s| {
            s.order(id)
                .filter(|o| channel.is_none_or(|c| c == o.channel_id))
                .map(|o| {
                    (
                        order_json(o, &s.items, &shared.config.channel_name),
                        shipment_json(o, &s.items),
                    )
                })
        })
        .ok_or_else(|| Box::new(not_found()))
}

pub async fn get_one(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    unwrap(find(&shared, &headers, &id).map(|(order, _)| Json(order).into_response()))
}

pub async fn shipments(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    unwrap(
        find(&shared, &headers, &id).map(|(_, shipment)| Json(json!([shipment])).into_response()),
    )
}

pub async fn shipment(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let found = channel_header(&headers).and_then(|channel| {
        let id: u64 = id
            .trim()
            .parse()
            .map_err(|_| bad_request("shipmentId", &format!("The value '{id}' is not valid.")))?;
        shared
            .with_store(|s| {
                s.orders
                    .iter()
                    .filter(|o| channel.is_none_or(|c| c == o.channel_id))
                    .find(|o| o.shipment.id == id)
                    .map(|o| shipment_json(o, &s.items))
            })
            .ok_or_else(|| Box::new(not_found()))
    });
    unwrap(found.map(|s| Json(s).into_response()))
}

/// `POST /order/{id}:cancel` (the only POST under `/order/{…}`).
pub async fn action(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(target): Path<String>,
) -> Response {
    let Some(id) = target.strip_suffix(":cancel") else {
        return not_found();
    };
    unwrap(cancel(&shared, &headers, id))
}

fn cancel(shared: &Shared, headers: &HeaderMap, id: &str) -> Result<Response, Refused> {
    let channel_id = write_channel(shared, headers)?;
    let id: u64 = id
        .trim()
        .parse()
        .map_err(|_| bad_request("orderId", &format!("The value '{id}' is not valid.")))?;
    shared.with_store(|s| {
        let order = s
            .order_mut(id)
            .filter(|o| o.channel_id == channel_id)
            .ok_or_else(|| Box::new(not_found()))?;
        if order.status == "Cancelled" {
            return Err(unprocessable("OrderId", &format!("Order {id} is already cancelled.")));
        }
        let shipment_id = order.shipment.id;
        let (status, result) = if order.is_shipped() {
            (
                "Failure",
                json!({"shipment_id": shipment_id, "action": "Cancel", "is_success": false,
                       "reason": "Shipment has already been shipped and cannot be cancelled."}),
            )
        } else {
            order.status = "Cancelled".into();
            order.shipment.status = "Cancelled".into();
            order.touch();
            (
                "Success",
                json!({"shipment_id": shipment_id, "action": "Cancel", "is_success": true, "reason": null}),
            )
        };
        let order = s.order(id).map(|o| order_json(o, &s.items, &shared.config.channel_name));
        Ok(Json(json!({
            "order_id": id,
            "status": status,
            "canceled_shipment_results": [result],
            "order": order,
        }))
        .into_response())
    })
}

/// Unknown paths and methods: an empty 404, as ShipBob's gateway answers.
pub async fn fallback() -> Response {
    not_found()
}
