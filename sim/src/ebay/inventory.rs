//! Inventory API: `getInventoryItem`, `getOffers?sku=` and `bulkUpdatePriceQuantity`
//! (at most 25 items a call, one response entry per offer or per SKU, 207 when some fail, and
//! eBay's 250 revisions per listing per day enforced per offer).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::Shared;
use super::errors::ebay_error;
use super::form::pairs;
use super::store::{item_json, offer_json};

const DOMAIN: &str = "API_INVENTORY";
pub(crate) const MAX_REQUESTS: usize = 25;

pub async fn get_item(State(shared): State<Arc<Shared>>, Path(sku): Path<String>) -> Response {
    match shared.with_store(|s| s.items.get(&sku).map(item_json)) {
        Some(item) => Json(item).into_response(),
        None => not_found(),
    }
}

fn not_found() -> Response {
    ebay_error(
        404,
        25710,
        DOMAIN,
        "We didn't find the resource/entity you are requesting. Please verify the request",
    )
}

pub async fn get_offers(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    let params = pairs(query.as_deref().unwrap_or(""));
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let Some(sku) = param("sku") else {
        return ebay_error(400, 25707, DOMAIN, "This is an invalid value for a SKU.");
    };
    let limit: usize = param("limit")
        .and_then(|l| l.parse().ok())
        .filter(|l| *l >= 1)
        .unwrap_or(25);
    let offset: usize = param("offset").and_then(|o| o.parse().ok()).unwrap_or(0);
    let currency = shared.config.currency.clone();
    let page = shared.with_store(|s| {
        let item = s.items.get(&sku)?;
        let all: Vec<Value> = item
            .offers
            .iter()
            .map(|o| offer_json(item, o, &currency))
            .collect();
        Some((
            all.len(),
            all.into_iter().skip(offset).take(limit).collect::<Vec<_>>(),
        ))
    });
    match page {
        Some((total, offers)) if total > 0 => {
            let mut body = json!({
                "href": format!("/sell/inventory/v1/offer?sku={sku}&limit={limit}&offset={offset}"),
                "limit": limit,
                "size": offers.len(),
                "total": total,
                "offers": offers,
            });
            if offset + limit < total {
                body["next"] = json!(format!(
                    "/sell/inventory/v1/offer?sku={sku}&limit={limit}&offset={}",
                    offset + limit
                ));
            }
            Json(body).into_response()
        }
        _ => ebay_error(404, 25713, DOMAIN, "This Offer is not available."),
    }
}

pub async fn bulk_update(State(shared): State<Arc<Shared>>, body: axum::body::Bytes) -> Response {
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return ebay_error(400, 25709, DOMAIN, "Invalid value for requests.");
    };
    let Some(requests) = request.get("requests").and_then(Value::as_array) else {
        return ebay_error(400, 25709, DOMAIN, "Invalid value for requests.");
    };
    if requests.is_empty() || requests.len() > MAX_REQUESTS {
        return ebay_error(
            400,
            25709,
            DOMAIN,
            "Invalid value for requests. Provide 1 to 25 requests.",
        );
    }
    let limit = shared.config.revisions_per_listing_per_day;
    let responses: Vec<Value> = shared.with_store(|s| {
        s.stats.stock_calls += 1;
        let mut out = Vec::new();
        for entry in requests {
            let sku = entry.get("sku").and_then(Value::as_str).unwrap_or("");
            let Some(item) = s.items.get_mut(sku) else {
                out.push(json!({"statusCode": 404, "sku": sku, "errors": [error(25710, "We didn't find the resource/entity you are requesting.")]}));
                continue;
            };
            let total = entry
                .pointer("/shipToLocationAvailability/quantity")
                .and_then(Value::as_i64);
            if total.is_some_and(|q| q < 0) {
                out.push(json!({"statusCode": 400, "sku": sku, "errors": [error(25004, "Invalid quantity.")]}));
                continue;
            }
            let offers = entry
                .get("offers")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let mut changed = false;
            if let Some(q) = total {
                item.quantity = q;
                changed = true;
            }
            for offer in &offers {
                let id = offer.get("offerId").and_then(Value::as_str).unwrap_or("");
                let quantity = offer.get("availableQuantity").and_then(Value::as_i64);
                let Some(target) = item.offers.iter_mut().find(|o| o.offer_id == id) else {
                    out.push(json!({"statusCode": 400, "sku": sku, "offerId": id, "errors": [error(25713, "This Offer is not available.")]}));
                    continue;
                };
                if !target.published {
                    out.push(json!({"statusCode": 400, "sku": sku, "offerId": id, "errors": [error(25016, "The offer is not published; use updateOffer.")]}));
                    continue;
                }
                if target.revisions >= limit {
                    out.push(json!({"statusCode": 400, "sku": sku, "offerId": id, "errors": [error(25019, "The listing has reached its limit of revisions for today.")]}));
                    continue;
                }
                if let Some(q) = quantity {
                    target.available_quantity = q.max(0);
                    target.revisions += 1;
                    changed = true;
                }
                out.push(json!({"statusCode": 200, "sku": sku, "offerId": id, "warnings": []}));
            }
            if offers.is_empty() {
                out.push(json!({"statusCode": 200, "sku": sku, "warnings": []}));
            }
            if changed {
                s.stats.stock_writes += 1;
                let level = item.quantity;
                s.written.push((sku.to_string(), level));
            }
        }
        out
    });
    let all_ok = responses
        .iter()
        .all(|r| r.get("statusCode").and_then(Value::as_u64) == Some(200));
    let status = if all_ok {
        StatusCode::OK
    } else {
        StatusCode::MULTI_STATUS
    };
    (status, Json(json!({"responses": responses}))).into_response()
}

fn error(id: u32, message: &str) -> Value {
    json!({"errorId": id, "domain": DOMAIN, "category": "REQUEST", "message": message})
}
