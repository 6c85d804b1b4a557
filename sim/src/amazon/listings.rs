//! Listings Items 2021-08-01: `getListingsItem` (summaries and fulfillment availability) and
//! `patchListingsItem` (JSON Patch); the quantity rule here is shared with feed processing.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

use super::Shared;
use super::auth::admit;
use super::errors::{Refused, answer, finish, invalid_input, refuse};
use super::store::{Store, now, rfc3339};

type Params = Query<Vec<(String, String)>>;

fn check_scope(shared: &Shared, seller: &str, params: &[(String, String)]) -> Result<(), Refused> {
    if seller != shared.config.seller_id {
        return Err(refuse(
            403,
            "Unauthorized",
            "Access to requested resource is denied.",
            "The selling partner id does not match the authorization.",
        ));
    }
    let marketplace = params
        .iter()
        .find(|(k, _)| k == "marketplaceIds")
        .map(|(_, v)| v.as_str());
    if marketplace.is_none_or(|m| !m.split(',').any(|m| m == shared.config.marketplace_id)) {
        return Err(invalid_input(
            "marketplaceIds is required and must name the seller's marketplace.",
        ));
    }
    Ok(())
}

fn not_found(sku: &str) -> Refused {
    refuse(
        404,
        "NOT_FOUND",
        &format!("Requested item '{sku}' not found"),
        "",
    )
}

pub async fn get_item(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((seller, sku)): Path<(String, String)>,
    Query(params): Params,
) -> Response {
    finish(
        shared.plan("getListingsItem"),
        (|| {
            let plan = admit(&shared, &headers, "getListingsItem")?;
            check_scope(&shared, &seller, &params)?;
            let listing = shared
                .with_store(|s| s.listings.get(&sku).cloned())
                .ok_or_else(|| not_found(&sku))?;
            let channel = if listing.fulfilled_by_amazon {
                "AMAZON_NA"
            } else {
                "DEFAULT"
            };
            let body = json!({
                "sku": sku,
                "summaries": [{
                    "marketplaceId": shared.config.marketplace_id,
                    "asin": "B0SIM00001",
                    "productType": "PRODUCT",
                    "conditionType": "new_new",
                    "status": ["BUYABLE", "DISCOVERABLE"],
                    "itemName": listing.title,
                    "createdDate": rfc3339(now()),
                    "lastUpdatedDate": rfc3339(now()),
                }],
                "fulfillmentAvailability": [{"fulfillmentChannelCode": channel, "quantity": listing.quantity}],
            });
            Ok(answer(plan, 200, Some(body)))
        })(),
    )
}

pub async fn patch_item(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((seller, sku)): Path<(String, String)>,
    Query(params): Params,
    body: Bytes,
) -> Response {
    finish(
        shared.plan("patchListingsItem"),
        (|| {
            let plan = admit(&shared, &headers, "patchListingsItem")?;
            check_scope(&shared, &seller, &params)?;
            shared.with_store(|s| s.stats.stock_calls += 1);
            let request: Value = serde_json::from_slice(&body)
                .map_err(|_| invalid_input("The request body is not valid JSON."))?;
            if request.get("productType").and_then(Value::as_str).is_none() {
                return Err(invalid_input("productType is required."));
            }
            let patches = request.get("patches").cloned().unwrap_or(Value::Null);
            let outcome = shared.with_store(|s| {
                if !s.listings.contains_key(&sku) {
                    return Err(not_found(&sku));
                }
                Ok(apply_patches(s, &sku, &patches))
            })?;
            let submission = format!("sim-submission-{}", shared.with_store(|s| s.next()));
            let body = match outcome {
                Ok(()) => {
                    json!({"sku": sku, "status": "ACCEPTED", "submissionId": submission, "issues": []})
                }
                Err((code, message)) => {
                    json!({"sku": sku, "status": "INVALID", "submissionId": submission,
                "issues": [{"code": code, "message": message, "severity": "ERROR",
                            "attributeNames": ["fulfillment_availability"]}]})
                }
            };
            Ok(answer(plan, 200, Some(body)))
        })(),
    )
}

/// Applies a JSON Patch list to one listing's merchant-fulfilled quantity; `(code, message)`
/// when refused. Only `/attributes/fulfillment_availability` is modelled.
pub fn apply_patches(
    store: &mut Store,
    sku: &str,
    patches: &Value,
) -> Result<(), (String, String)> {
    let refuse = |code: &str, message: &str| Err((code.to_string(), message.to_string()));
    let Some(listing) = store.listings.get(sku) else {
        return refuse(
            "4000001",
            &format!("SKU '{sku}' does not exist for this seller."),
        );
    };
    if listing.fulfilled_by_amazon {
        return refuse(
            "90000900",
            "Quantity cannot be set on a listing fulfilled by Amazon; Amazon counts FBA inventory.",
        );
    }
    let Some(patches) = patches.as_array().filter(|p| !p.is_empty()) else {
        return refuse("4000002", "patches must be a non-empty array.");
    };
    let mut quantity = None;
    for patch in patches {
        let op = patch.get("op").and_then(Value::as_str).unwrap_or("");
        let path = patch.get("path").and_then(Value::as_str).unwrap_or("");
        if !matches!(op, "replace" | "merge") || path != "/attributes/fulfillment_availability" {
            return refuse("4000003", &format!("Unsupported patch `{op}` on `{path}`."));
        }
        let entry = patch.pointer("/value/0").cloned().unwrap_or(Value::Null);
        if entry
            .get("fulfillment_channel_code")
            .and_then(Value::as_str)
            != Some("DEFAULT")
        {
            return refuse(
                "4000004",
                "fulfillment_channel_code must be DEFAULT for seller-fulfilled quantity.",
            );
        }
        match entry.get("quantity").and_then(Value::as_i64) {
            Some(q) if q >= 0 => quantity = Some(q),
            _ => return refuse("4000005", "quantity must be a non-negative integer."),
        }
    }
    if let (Some(q), Some(listing)) = (quantity, store.listings.get_mut(sku)) {
        listing.quantity = q;
        store.stats.stock_writes += 1;
        let at = store.effective_at.unwrap_or_else(std::time::Instant::now);
        store.written.push((sku.to_string(), q, at));
    }
    Ok(())
}
