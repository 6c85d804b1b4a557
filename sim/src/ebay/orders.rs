//! Fulfillment API: `getOrders` (filter on `lastmodifieddate`/`creationdate`, `limit` ≤ 200,
//! `offset`, `total`, `next`), `getOrder`, and shipping fulfillments (list and create).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::Shared;
use super::errors::{Refused, bad_request, ebay_error};
use super::form::pairs;
use super::store::{Fulfillment, SimOrder, fulfillment_json, next_modified, order_json};

const DOMAIN: &str = "API_FULFILLMENT";
const MAX_LIMIT: usize = 200;

pub async fn list(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    match list_inner(&shared, query.as_deref().unwrap_or("")) {
        Ok(body) => Json(body).into_response(),
        Err(refused) => *refused,
    }
}

fn list_inner(shared: &Shared, query: &str) -> Result<Value, Refused> {
    let params = pairs(query);
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let limit = match param("limit") {
        None => 50,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=MAX_LIMIT).contains(l))
            .ok_or_else(|| bad_request(30700, DOMAIN, "Invalid limit. Use 1 to 200."))?,
    };
    let offset = match param("offset") {
        None => 0,
        Some(o) => o
            .parse::<usize>()
            .map_err(|_| bad_request(30700, DOMAIN, "Invalid offset."))?,
    };
    let window = param("filter").map(parse_filter).transpose()?;
    let base = shared.base_url.clone();
    let currency = shared.config.currency.clone();
    Ok(shared.with_store(|s| {
        let mut matching: Vec<&SimOrder> = s
            .orders
            .iter()
            .filter(|o| {
                window.as_ref().is_none_or(|(field, from, to)| {
                    let t = if field == "creationdate" {
                        o.created
                    } else {
                        o.modified
                    };
                    from.is_none_or(|f| t >= f) && to.is_none_or(|u| t <= u)
                })
            })
            .collect();
        matching.sort_by(|a, b| a.created.cmp(&b.created).then(a.order_id.cmp(&b.order_id)));
        let total = matching.len();
        let page: Vec<Value> = matching
            .iter()
            .skip(offset)
            .take(limit)
            .map(|o| order_json(o, &currency))
            .collect();
        let href = |offset: usize| {
            format!("{base}/sell/fulfillment/v1/order?limit={limit}&offset={offset}")
        };
        let mut body = json!({
            "href": href(offset),
            "total": total,
            "limit": limit,
            "offset": offset,
            "orders": page,
            "warnings": [],
        });
        if offset + limit < total {
            body["next"] = json!(href(offset + limit));
        }
        if offset > 0 {
            body["prev"] = json!(href(offset.saturating_sub(limit)));
        }
        body
    }))
}

type Window = (String, Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// `lastmodifieddate:[2026-01-01T00:00:00.000Z..]` (either bound may be empty).
fn parse_filter(filter: &str) -> Result<Window, Refused> {
    let invalid = || bad_request(30850, DOMAIN, "Invalid filter.");
    let (field, range) = filter.split_once(':').ok_or_else(invalid)?;
    let field = field.trim().to_ascii_lowercase();
    if field != "lastmodifieddate" && field != "creationdate" {
        return Err(invalid());
    }
    let range = range
        .trim()
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .ok_or_else(invalid)?;
    let (from, to) = range.split_once("..").ok_or_else(invalid)?;
    let bound = |text: &str| -> Result<Option<DateTime<Utc>>, Refused> {
        if text.trim().is_empty() {
            return Ok(None);
        }
        DateTime::parse_from_rfc3339(text.trim())
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| invalid())
    };
    Ok((field, bound(from)?, bound(to)?))
}

pub async fn get_one(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let currency = shared.config.currency.clone();
    match shared.with_store(|s| s.order(&id).map(|o| order_json(o, &currency))) {
        Some(order) => Json(order).into_response(),
        None => invalid_order(&id),
    }
}

fn invalid_order(id: &str) -> Response {
    ebay_error(404, 32100, DOMAIN, &format!("Invalid order ID: {id}"))
}

pub async fn list_fulfillments(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Response {
    let listed = shared.with_store(|s| {
        s.order(&id).map(|o| {
            o.fulfillments
                .iter()
                .map(fulfillment_json)
                .collect::<Vec<_>>()
        })
    });
    match listed {
        Some(list) => {
            Json(json!({"total": list.len(), "fulfillments": list, "warnings": []})).into_response()
        }
        None => invalid_order(&id),
    }
}

/// `createShippingFulfillment`: 201 with the new fulfillment's URL in `Location`. Every call
/// creates one, as eBay does: repeating it is the caller's problem.
pub async fn create_fulfillment(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return ebay_error(400, 32000, DOMAIN, "Invalid request body.");
    };
    let line_items: Option<Vec<(String, u32)>> = request
        .get("lineItems")
        .and_then(Value::as_array)
        .filter(|l| !l.is_empty())
        .and_then(|items| {
            items
                .iter()
                .map(|i| {
                    let id = i.get("lineItemId")?.as_str()?.to_string();
                    let q = u32::try_from(i.get("quantity")?.as_u64()?).ok()?;
                    Some((id, q))
                })
                .collect()
        });
    let text = |k: &str| {
        request
            .get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let (Some(line_items), Some(carrier), Some(tracking)) = (
        line_items,
        text("shippingCarrierCode"),
        text("trackingNumber"),
    ) else {
        return ebay_error(
            400,
            32100,
            DOMAIN,
            "lineItems, shippingCarrierCode and trackingNumber are required.",
        );
    };
    if !CARRIER_CODES.contains(&carrier.as_str()) {
        return ebay_error(
            400,
            32100,
            DOMAIN,
            &format!("Invalid shippingCarrierCode: {carrier}."),
        );
    }
    let shipped_date = text("shippedDate").unwrap_or_else(|| super::store::ebay_time(Utc::now()));
    let base = shared.base_url.clone();
    let outcome = shared.with_store(|s| {
        let fulfillment_id = format!("{}", 9_000_000 + s.next_id());
        let order = s.order_mut(&id).ok_or(None)?;
        for (line, _) in &line_items {
            if !order.lines.iter().any(|l| &l.line_item_id == line) {
                return Err(Some(format!("Invalid line item ID: {line}")));
            }
        }
        order.fulfillments.push(Fulfillment {
            fulfillment_id: fulfillment_id.clone(),
            line_items,
            shipped_date,
            carrier,
            tracking,
        });
        order.modified = next_modified(order.modified);
        Ok(fulfillment_id)
    });
    match outcome {
        Ok(fid) => (
            StatusCode::CREATED,
            [(
                header::LOCATION,
                format!("{base}/sell/fulfillment/v1/order/{id}/shipping_fulfillment/{fid}"),
            )],
            Json(json!({})),
        )
            .into_response(),
        Err(None) => invalid_order(&id),
        Err(Some(why)) => ebay_error(400, 32100, DOMAIN, &why),
    }
}

/// eBay's `ShippingCarrierCodeType` values this simulator accepts (a subset of the Trading API
/// enumeration that the Fulfillment API's `shippingCarrierCode` refers to).
const CARRIER_CODES: [&str; 36] = [
    "UPS",
    "USPS",
    "FedEx",
    "DHL",
    "DHLGlobalMail",
    "OnTrac",
    "LaserShip",
    "CanadaPost",
    "Purolator",
    "RoyalMail",
    "Parcelforce",
    "AustraliaPost",
    "DPD",
    "GLS",
    "TNT",
    "Yodel",
    "Hermes",
    "DeutschePost",
    "JapanPost",
    "ChinaPost",
    "UPSMailInnovations",
    "FedExSmartPost",
    "Chronopost",
    "ColiposteDomestic",
    "ColiposteInternational",
    "Correos",
    "Seur",
    "iLoxx",
    "Nacex",
    "BPost",
    "PostNL",
    "IndiaPost",
    "NewZealandPost",
    "Asendia",
    "Sendle",
    "Other",
];
