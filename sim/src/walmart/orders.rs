//! The Orders API: all orders and released orders (cursor pages), one order, acknowledge, and
//! ship order lines.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};

use super::Shared;
use super::errors::{Refused, bad_request, not_found};
use super::store::{LineStatus, SimOrder, Tracking, order_json};
use crate::RecordedShipment;

const API: &str = "GMP_ORDER_API";
const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 200;

/// Which listing a request reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Listing {
    All,
    Released,
}

pub async fn list_all(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    list(&shared, &q, Listing::All).unwrap_or_else(|r| *r)
}

pub async fn list_released(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    list(&shared, &q, Listing::Released).unwrap_or_else(|r| *r)
}

/// `2020-03-16`, `2020-03-16T10:30:15Z` or with fractions: the forms Walmart accepts.
fn parse_date(q: &HashMap<String, String>, name: &str) -> Result<Option<DateTime<Utc>>, Refused> {
    let Some(text) = q.get(name).map(|s| s.trim()).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
        return Ok(Some(dt.to_utc()));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| Some(d.and_utc()))
        .ok_or_else(|| bad_request(API, name, &format!("Invalid date format for {name}")))
}

fn list(shared: &Shared, q: &HashMap<String, String>, which: Listing) -> Result<Response, Refused> {
    let limit = match q.get("limit") {
        None => DEFAULT_LIMIT,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|&l| (1..=MAX_LIMIT).contains(&l))
            .ok_or_else(|| bad_request(API, "limit", "limit must be between 1 and 200"))?,
    };
    let offset: usize = q.get("poIndex").and_then(|p| p.parse().ok()).unwrap_or(0);
    // Walmart's default window is the last 7 days of creation.
    let created_from = parse_date(q, "createdStartDate")?
        .unwrap_or_else(|| Utc::now() - chrono::Duration::days(7));
    let created_to = parse_date(q, "createdEndDate")?;
    let modified_from = parse_date(q, "lastModifiedStartDate")?;
    let modified_to = parse_date(q, "lastModifiedEndDate")?;
    let status = q.get("status").cloned();
    let po = q.get("purchaseOrderId").cloned();
    let currency = shared.config.currency.clone();
    let (page, total) = shared.with_store(|s| {
        let matching: Vec<&SimOrder> = s
            .orders
            .iter()
            .filter(|o| o.order_date >= created_from)
            .filter(|o| created_to.is_none_or(|t| o.order_date <= t))
            .filter(|o| modified_from.is_none_or(|t| o.modified >= t))
            .filter(|o| modified_to.is_none_or(|t| o.modified <= t))
            .filter(|o| po.as_ref().is_none_or(|p| &o.po == p))
            .filter(|o| {
                status.as_ref().is_none_or(|st| {
                    o.lines
                        .iter()
                        .any(|l| l.statuses.iter().any(|s| &s.status == st))
                })
            })
            .filter(|o| which == Listing::All || o.has_created_lines())
            .collect();
        let page: Vec<Value> = matching
            .iter()
            .skip(offset)
            .take(limit)
            .map(|o| order_json(o, &currency))
            .collect();
        (page, matching.len())
    });
    let next = offset + page.len();
    let mut meta = json!({ "totalCount": total, "limit": limit });
    if next < total {
        // Walmart's cursor is the next page's query string, filters included.
        let mut cursor =
            format!("?limit={limit}&hasMoreElements=true&soIndex={total}&poIndex={next}");
        for name in [
            "createdStartDate",
            "createdEndDate",
            "lastModifiedStartDate",
            "lastModifiedEndDate",
            "status",
            "purchaseOrderId",
        ] {
            if let Some(v) = q.get(name) {
                cursor.push_str(&format!("&{name}={}", encode(v)));
            }
        }
        meta["nextCursor"] = json!(cursor);
    }
    Ok(Json(json!({ "list": { "meta": meta, "elements": { "order": page } } })).into_response())
}

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn one(shared: &Shared, po: &str) -> Response {
    let currency = &shared.config.currency;
    match shared.with_store(|s| s.order(po).map(|o| order_json(o, currency))) {
        Some(order) => Json(json!({ "order": order })).into_response(),
        None => not_found(API, &format!("No order found for purchaseOrderId {po}")),
    }
}

pub async fn get_one(State(shared): State<Arc<Shared>>, Path(po): Path<String>) -> Response {
    one(&shared, &po)
}

/// Moves every Created unit to Acknowledged; acknowledging again changes nothing.
pub async fn acknowledge(State(shared): State<Arc<Shared>>, Path(po): Path<String>) -> Response {
    let found = shared.with_store(|s| {
        let order = s.order_mut(&po)?;
        order.acknowledged = true;
        for i in 0..order.lines.len() {
            let mut changed = false;
            for status in &mut order.lines[i].statuses {
                if status.status == "Created" {
                    status.status = "Acknowledged".into();
                    changed = true;
                }
            }
            if changed {
                order.touch(i);
            }
        }
        Some(())
    });
    match found {
        Some(()) => one(&shared, &po),
        None => not_found(API, &format!("No order found for purchaseOrderId {po}")),
    }
}

/// One requested `Shipped` status for one line.
struct ShipRequest {
    line: usize,
    units: u32,
    tracking: Tracking,
}

pub async fn ship(
    State(shared): State<Arc<Shared>>,
    Path(po): Path<String>,
    body: String,
) -> Response {
    ship_lines(&shared, &po, &body)
        .map(|()| one(&shared, &po))
        .unwrap_or_else(|r| *r)
}

fn ship_lines(shared: &Shared, po: &str, body: &str) -> Result<(), Refused> {
    let body: Value = serde_json::from_str(body)
        .map_err(|_| bad_request(API, "orderShipment", "Request body is not valid JSON"))?;
    let lines = body
        .pointer("/orderShipment/orderLines/orderLine")
        .and_then(Value::as_array)
        .ok_or_else(|| bad_request(API, "orderShipment.orderLines.orderLine", "missing"))?;
    shared.with_store(|s| {
        let order = s.order_mut(po).ok_or_else(|| {
            Box::new(not_found(
                API,
                &format!("No order found for purchaseOrderId {po}"),
            ))
        })?;
        // Validate everything before changing anything: a refused request changes nothing.
        let mut requests = Vec::new();
        for line in lines {
            let number = line
                .get("lineNumber")
                .and_then(Value::as_str)
                .ok_or_else(|| bad_request(API, "lineNumber", "missing"))?;
            let index = order
                .lines
                .iter()
                .position(|l| l.number == number)
                .ok_or_else(|| {
                    bad_request(API, "lineNumber", &format!("Invalid lineNumber {number}"))
                })?;
            // ShippingLineType requires sellerOrderId (a string of at most 30 characters).
            match line.get("sellerOrderId").and_then(Value::as_str) {
                Some(id) if !id.trim().is_empty() && id.chars().count() <= 30 => {}
                Some(_) => {
                    return Err(bad_request(
                        API,
                        "sellerOrderId",
                        "sellerOrderId must be 1 to 30 characters",
                    ));
                }
                None => return Err(bad_request(API, "sellerOrderId", "sellerOrderId is required")),
            }
            let statuses = line
                .pointer("/orderLineStatuses/orderLineStatus")
                .and_then(Value::as_array)
                .ok_or_else(|| bad_request(API, "orderLineStatus", "missing"))?;
            for status in statuses {
                if status.get("status").and_then(Value::as_str) != Some("Shipped") {
                    return Err(bad_request(API, "status", "status must be Shipped"));
                }
                let units: u32 = status
                    .pointer("/statusQuantity/amount")
                    .and_then(Value::as_str)
                    .and_then(|a| a.parse().ok())
                    .filter(|&u| u > 0)
                    .ok_or_else(|| {
                        bad_request(
                            API,
                            "statusQuantity.amount",
                            "must be a positive count in a string",
                        )
                    })?;
                let info = status
                    .get("trackingInfo")
                    .ok_or_else(|| bad_request(API, "trackingInfo", "missing"))?;
                let number = info
                    .get("trackingNumber")
                    .and_then(Value::as_str)
                    .filter(|n| !n.trim().is_empty())
                    .ok_or_else(|| bad_request(API, "trackingNumber", "missing"))?;
                let carrier_name = info
                    .get("carrierName")
                    .filter(|c| c.get("carrier").or_else(|| c.get("otherCarrier")).is_some())
                    .cloned()
                    .ok_or_else(|| {
                        bad_request(API, "carrierName", "carrier or otherCarrier is required")
                    })?;
                if let Some(carrier) = carrier_name.get("carrier") {
                    if !carrier.as_str().is_some_and(|c| CARRIERS.contains(&c)) {
                        return Err(bad_request(
                            API,
                            "carrierName.carrier",
                            &format!("{carrier} is not a valid carrier"),
                        ));
                    }
                } else if info
                    .get("trackingURL")
                    .and_then(Value::as_str)
                    .is_none_or(|u| u.trim().is_empty())
                {
                    return Err(bad_request(
                        API,
                        "trackingURL",
                        "trackingURL is required when otherCarrier is used",
                    ));
                }
                let method_code = info
                    .get("methodCode")
                    .and_then(Value::as_str)
                    .filter(|m| METHOD_CODES.contains(m))
                    .ok_or_else(|| {
                        bad_request(
                            API,
                            "methodCode",
                            "methodCode must be one of Standard, Express, OneDay, Freight, WhiteGlove, Value",
                        )
                    })?
                    .to_string();
                let ship_ms = info
                    .get("shipDateTime")
                    .and_then(Value::as_i64)
                    .ok_or_else(|| {
                        bad_request(API, "shipDateTime", "epoch milliseconds required")
                    })?;
                requests.push(ShipRequest {
                    line: index,
                    units,
                    tracking: Tracking {
                        ship_ms,
                        carrier_name,
                        method_code,
                        number: number.to_string(),
                    },
                });
            }
        }
        for index in 0..order.lines.len() {
            let wanted: u32 = requests
                .iter()
                .filter(|r| r.line == index)
                .map(|r| r.units)
                .sum();
            if wanted == 0 {
                continue;
            }
            if order.units_in(index, "Created") > 0 {
                return Err(bad_request(
                    API,
                    "status",
                    &format!(
                        "Order line {} is not acknowledged",
                        order.lines[index].number
                    ),
                ));
            }
            if wanted > order.units_in(index, "Acknowledged") {
                return Err(bad_request(
                    API,
                    "statusQuantity",
                    &format!(
                        "Quantity to ship exceeds the open quantity of line {}",
                        order.lines[index].number
                    ),
                ));
            }
        }
        let mut recorded: Vec<RecordedShipment> = Vec::new();
        for request in requests {
            take_units(&mut order.lines[request.line].statuses, request.units);
            order.lines[request.line].statuses.push(LineStatus {
                status: "Shipped".into(),
                units: request.units,
                tracking: Some(request.tracking.clone()),
                reason: None,
            });
            order.touch(request.line);
            let carrier = request
                .tracking
                .carrier_name
                .get("carrier")
                .or_else(|| request.tracking.carrier_name.get("otherCarrier"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            if !recorded
                .iter()
                .any(|r| r.tracking_number == request.tracking.number)
            {
                recorded.push(RecordedShipment {
                    carrier,
                    tracking_number: request.tracking.number,
                });
            }
        }
        order.shipments.extend(recorded);
        Ok(())
    })
}

/// `TrackingInfoType.methodCode` (specs/walmart orders.json).
const METHOD_CODES: [&str; 6] = [
    "Standard",
    "Express",
    "OneDay",
    "Freight",
    "WhiteGlove",
    "Value",
];

/// `CarrierNameType.carrier` (specs/walmart orders.json).
const CARRIERS: [&str; 56] = [
    "UPS",
    "USPS",
    "FedEx",
    "Airborne",
    "OnTrac",
    "DHL Ecommerce - US",
    "LS",
    "UDS",
    "UPSMI",
    "FDX",
    "PILOT",
    "ESTES",
    "SAIA",
    "FDS Express",
    "Seko Worldwide",
    "HIT Delivery",
    "FEDEXSP",
    "RL Carriers",
    "Metropolitan Warehouse & Delivery",
    "China Post",
    "YunExpress",
    "Yellow Freight Sys",
    "AIT Worldwide Logistics",
    "Chukou1",
    "Sendle",
    "Landmark Global",
    "Sunyou",
    "Yanwen",
    "4PX",
    "GLS",
    "OSM Worldwide",
    "FIRST MILE",
    "AM Trucking",
    "CEVA",
    "India Post",
    "SF Express",
    "CNE",
    "TForce Freight",
    "AxleHire",
    "LSO",
    "Royal Mail",
    "ABF Freight System",
    "WanB",
    "Roadrunner Freight",
    "Meyer Distribution",
    "AAA Cooper",
    "Canada Post",
    "Southeastern Freight Lines",
    "Japan Post",
    "Correos de Mexico",
    "XPO Logistics",
    "JD Logistics",
    "YDH",
    "JCEX",
    "Flyt",
    "Deutsche Post",
];

/// Removes `units` from the line's Acknowledged statuses.
fn take_units(statuses: &mut Vec<LineStatus>, mut units: u32) {
    for status in statuses.iter_mut().filter(|s| s.status == "Acknowledged") {
        let taken = status.units.min(units);
        status.units -= taken;
        units -= taken;
    }
    statuses.retain(|s| s.units > 0);
}

/// `CancelLineStatusType.cancellationReason` (raw_orders.json).
const CANCEL_REASONS: [&str; 5] = [
    "CUSTOMER_REQUESTED_SELLER_TO_CANCEL",
    "SELLER_CANCEL_PRICING_ERROR",
    "SELLER_CANCEL_OUT_OF_STOCK",
    "SELLER_CANCEL_FRAUD_STOP_SHIPMENT",
    "SELLER_CANCEL_ADDRESS_NOT_SERVICEABLE",
];

/// `POST /v3/orders/{purchaseOrderId}/cancel` (cancelOrderLines): per line, `Cancelled`
/// statuses with a `cancellationReason` from the enum and a quantity. Only units not yet
/// shipped (Created or Acknowledged) can be cancelled; a request asking more, an unknown line,
/// a status other than `Cancelled` or a reason outside the enum is refused as a whole (400).
/// Answers the order with its cancelled lines, as the spec says.
pub async fn cancel(
    State(shared): State<Arc<Shared>>,
    Path(po): Path<String>,
    body: String,
) -> Response {
    cancel_lines(&shared, &po, &body)
        .map(|()| one(&shared, &po))
        .unwrap_or_else(|r| *r)
}

fn cancel_lines(shared: &Shared, po: &str, body: &str) -> Result<(), Refused> {
    let body: Value = serde_json::from_str(body)
        .map_err(|_| bad_request(API, "orderCancellation", "Request body is not valid JSON"))?;
    let lines = body
        .pointer("/orderCancellation/orderLines/orderLine")
        .and_then(Value::as_array)
        .ok_or_else(|| bad_request(API, "orderCancellation.orderLines.orderLine", "missing"))?;
    shared.with_store(|s| {
        let order = s.order_mut(po).ok_or_else(|| {
            Box::new(not_found(
                API,
                &format!("No order found for purchaseOrderId {po}"),
            ))
        })?;
        // (line index, units, reason): validated before anything changes.
        let mut requests: Vec<(usize, u32, String)> = Vec::new();
        for line in lines {
            let number = line
                .get("lineNumber")
                .and_then(Value::as_str)
                .ok_or_else(|| bad_request(API, "lineNumber", "missing"))?;
            let index = order
                .lines
                .iter()
                .position(|l| l.number == number)
                .ok_or_else(|| {
                    bad_request(API, "lineNumber", &format!("Invalid lineNumber {number}"))
                })?;
            let statuses = line
                .pointer("/orderLineStatuses/orderLineStatus")
                .and_then(Value::as_array)
                .ok_or_else(|| bad_request(API, "orderLineStatus", "missing"))?;
            for status in statuses {
                if status.get("status").and_then(Value::as_str) != Some("Cancelled") {
                    return Err(bad_request(API, "status", "status must be Cancelled"));
                }
                let reason = status
                    .get("cancellationReason")
                    .and_then(Value::as_str)
                    .filter(|r| CANCEL_REASONS.contains(r))
                    .ok_or_else(|| {
                        bad_request(
                            API,
                            "cancellationReason",
                            &format!(
                                "cancellationReason must be one of {}",
                                CANCEL_REASONS.join(", ")
                            ),
                        )
                    })?;
                let units: u32 = status
                    .pointer("/statusQuantity/amount")
                    .and_then(Value::as_str)
                    .and_then(|a| a.parse().ok())
                    .filter(|&u| u > 0)
                    .ok_or_else(|| {
                        bad_request(
                            API,
                            "statusQuantity.amount",
                            "must be a positive count in a string",
                        )
                    })?;
                requests.push((index, units, reason.to_string()));
            }
        }
        for index in 0..order.lines.len() {
            let wanted: u32 = requests.iter().filter(|r| r.0 == index).map(|r| r.1).sum();
            let open = order.units_in(index, "Created") + order.units_in(index, "Acknowledged");
            if wanted > open {
                return Err(bad_request(
                    API,
                    "statusQuantity.amount",
                    &format!(
                        "line {} has {open} unit(s) that can still be cancelled ({wanted} asked); \
                         shipped units cannot be cancelled",
                        order.lines[index].number
                    ),
                ));
            }
        }
        for (index, units, reason) in requests {
            let mut left = units;
            for wanted in ["Created", "Acknowledged"] {
                for status in order.lines[index]
                    .statuses
                    .iter_mut()
                    .filter(|s| s.status == wanted)
                {
                    let taken = status.units.min(left);
                    status.units -= taken;
                    left -= taken;
                }
            }
            order.lines[index].statuses.retain(|s| s.units > 0);
            order.lines[index].statuses.push(LineStatus {
                status: "Cancelled".into(),
                units,
                tracking: None,
                reason: Some(reason.clone()),
            });
            order.touch(index);
            let number = order.lines[index].number.clone();
            order.seller_cancellations.push((number, units, reason));
        }
        Ok(())
    })
}
