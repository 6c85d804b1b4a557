//! The `/v3/application` routes: receipts (list with Etsy's filters and `limit`/`offset`, one,
//! tracking), the shop's listings, one listing's inventory (GET, and a PUT that replaces the
//! whole products/offerings set), and inventories by listing ids.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::Shared;
use super::guard::{Refused, error, parse_form, refuse};
use super::store::{Offering, Product, ShipmentRecord, inventory_json, listing_json, receipt_json};

type Params = Query<HashMap<String, String>>;

fn check_shop(shared: &Shared, shop_id: &str) -> Result<(), Refused> {
    if shop_id == shared.config.shop_id.to_string() {
        Ok(())
    } else {
        Err(refuse(
            StatusCode::NOT_FOUND,
            &format!("Could not find shop {shop_id}"),
        ))
    }
}

/// `limit` (1–100, default 25) and `offset` (≥ 0, default 0), refused as Etsy does.
fn page(params: &HashMap<String, String>) -> Result<(usize, usize), Refused> {
    let limit = match params.get("limit") {
        None => 25,
        Some(v) => v
            .parse()
            .ok()
            .filter(|l| (1..=100).contains(l))
            .ok_or_else(|| {
                refuse(
                    StatusCode::BAD_REQUEST,
                    "Expected parameter 'limit' to be between 1 and 100",
                )
            })?,
    };
    let offset = match params.get("offset") {
        None => 0,
        Some(v) => v.parse().map_err(|_| {
            refuse(
                StatusCode::BAD_REQUEST,
                "Expected parameter 'offset' to be a non-negative integer",
            )
        })?,
    };
    Ok((limit, offset))
}

fn int_param(params: &HashMap<String, String>, name: &str) -> Result<Option<i64>, Refused> {
    match params.get(name) {
        None => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| {
            refuse(
                StatusCode::BAD_REQUEST,
                &format!("Expected parameter '{name}' to be an integer"),
            )
        }),
    }
}

fn bool_param(params: &HashMap<String, String>, name: &str) -> Result<Option<bool>, Refused> {
    match params.get(name).map(String::as_str) {
        None => Ok(None),
        Some("true" | "1") => Ok(Some(true)),
        Some("false" | "0") => Ok(Some(false)),
        Some(_) => Err(refuse(
            StatusCode::BAD_REQUEST,
            &format!("Expected parameter '{name}' to be a boolean"),
        )),
    }
}

/// getShopReceipts.
pub async fn list_receipts(
    State(shared): State<Arc<Shared>>,
    Path(shop_id): Path<String>,
    Query(params): Params,
) -> Response {
    match list_receipts_inner(&shared, &shop_id, &params) {
        Ok(v) => Json(v).into_response(),
        Err(r) => *r,
    }
}

fn list_receipts_inner(
    shared: &Shared,
    shop_id: &str,
    params: &HashMap<String, String>,
) -> Result<Value, Refused> {
    check_shop(shared, shop_id)?;
    let (limit, offset) = page(params)?;
    let min_created = int_param(params, "min_created")?;
    let max_created = int_param(params, "max_created")?;
    let min_modified = int_param(params, "min_last_modified")?;
    let max_modified = int_param(params, "max_last_modified")?;
    for (name, v) in [
        ("min_created", min_created),
        ("max_created", max_created),
        ("min_last_modified", min_modified),
        ("max_last_modified", max_modified),
    ] {
        if v.is_some_and(|t| t < 946_684_800) {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                &format!("Expected parameter '{name}' to be at least 946684800"),
            ));
        }
    }
    let was_paid = bool_param(params, "was_paid")?;
    let was_shipped = bool_param(params, "was_shipped")?;
    let was_canceled = bool_param(params, "was_canceled")?;
    let sort_on = params.get("sort_on").map_or("created", String::as_str);
    let ascending = match params.get("sort_order").map_or("desc", String::as_str) {
        "asc" | "ascending" | "up" => true,
        "desc" | "descending" | "down" => false,
        other => {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                &format!(
                    "sort_order `{other}` is not one of asc, ascending, desc, descending, up, down"
                ),
            ));
        }
    };
    let currency = shared.config.currency.clone();
    shared.with_store(|s| {
        let mut matching: Vec<_> = s
            .receipts
            .iter()
            .filter(|r| min_created.is_none_or(|t| r.created >= t))
            .filter(|r| max_created.is_none_or(|t| r.created <= t))
            .filter(|r| min_modified.is_none_or(|t| r.updated >= t))
            .filter(|r| max_modified.is_none_or(|t| r.updated <= t))
            .filter(|r| was_paid.is_none_or(|p| r.is_paid == p))
            .filter(|r| was_shipped.is_none_or(|p| r.is_shipped == p))
            .filter(|r| was_canceled.is_none_or(|c| (r.status == "canceled") == c))
            .collect();
        let key = |r: &&super::store::Receipt| match sort_on {
            "updated" => (r.updated, r.id),
            "receipt_id" => (r.id as i64, r.id),
            _ => (r.created, r.id),
        };
        matching.sort_by_key(key);
        if !ascending {
            matching.reverse();
        }
        let results: Vec<Value> = matching
            .iter()
            .skip(offset)
            .take(limit)
            .map(|r| receipt_json(r, &currency))
            .collect();
        Ok(json!({"count": matching.len(), "results": results}))
    })
}

/// getShopReceipt.
pub async fn get_receipt(
    State(shared): State<Arc<Shared>>,
    Path((shop_id, receipt_id)): Path<(String, String)>,
) -> Response {
    if let Err(r) = check_shop(&shared, &shop_id) {
        return *r;
    }
    let currency = shared.config.currency.clone();
    let found = receipt_id
        .parse::<u64>()
        .ok()
        .and_then(|id| shared.with_store(|s| s.receipt(id).map(|r| receipt_json(r, &currency))));
    match found {
        Some(v) => Json(v).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            &format!("Receipt {receipt_id} not found"),
        ),
    }
}

/// createReceiptShipment: records one shipment each call (Etsy e-mails the buyer each time)
/// and marks the receipt shipped and completed.
pub async fn create_shipment(
    State(shared): State<Arc<Shared>>,
    Path((shop_id, receipt_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = check_shop(&shared, &shop_id) {
        return *r;
    }
    // Etsy's spec takes this operation's body only as a form; a JSON body carries no
    // parameters Etsy reads, so it is refused like a request without them.
    let form_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !form_type {
        return error(
            StatusCode::BAD_REQUEST,
            "Content-Type must be application/x-www-form-urlencoded",
        );
    }
    let form = parse_form(&body);
    let text = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };

    let (tracking, carrier) = (text("tracking_code"), text("carrier_name"));
    if tracking.is_some() != carrier.is_some() {
        return error(
            StatusCode::BAD_REQUEST,
            "tracking_code and carrier_name must be sent together",
        );
    }
    let currency = shared.config.currency.clone();
    let now = chrono::Utc::now().timestamp();
    let done = receipt_id.parse::<u64>().ok().and_then(|id| {
        shared.with_store(|s| {
            let shipping_id = s.next_id();
            let r = s.receipt_mut(id)?;
            if let (Some(tracking_code), Some(carrier_name)) = (tracking, carrier) {
                r.shipments.push(ShipmentRecord {
                    id: shipping_id,
                    carrier_name,
                    tracking_code,
                    at: now,
                });
            }
            r.is_shipped = true;
            if r.status == "paid" {
                r.status = "completed".into();
            }
            r.updated = now.max(r.updated + 1);
            Some(receipt_json(r, &currency))
        })
    });
    match done {
        Some(v) => Json(v).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            &format!("Receipt {receipt_id} not found"),
        ),
    }
}

/// getListingsByShop (`state` filter, `limit`/`offset`).
pub async fn list_listings(
    State(shared): State<Arc<Shared>>,
    Path(shop_id): Path<String>,
    Query(params): Params,
) -> Response {
    if let Err(r) = check_shop(&shared, &shop_id) {
        return *r;
    }
    let (limit, offset) = match page(&params) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let state = params
        .get("state")
        .cloned()
        .unwrap_or_else(|| "active".into());
    let (shop, currency) = (shared.config.shop_id, shared.config.currency.clone());
    let body = shared.with_store(|s| {
        let matching: Vec<_> = s.listings.iter().filter(|l| l.state == state).collect();
        let results: Vec<Value> = matching
            .iter()
            .skip(offset)
            .take(limit)
            .map(|l| listing_json(l, shop, &currency))
            .collect();
        json!({"count": matching.len(), "results": results})
    });
    Json(body).into_response()
}

/// getListingsInventoryByListingIds: listings with their `inventory`, at most 100 ids.
pub async fn batch_inventory(State(shared): State<Arc<Shared>>, Query(params): Params) -> Response {
    let raw = params.get("listing_ids").cloned().unwrap_or_default();
    let ids: Result<Vec<u64>, _> = raw
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse::<u64>())
        .collect();
    let Ok(ids) = ids else {
        return error(
            StatusCode::BAD_REQUEST,
            "listing_ids must be comma-separated integers",
        );
    };
    if ids.is_empty() || ids.len() > 100 {
        return error(
            StatusCode::BAD_REQUEST,
            "Expected between 1 and 100 listing_ids",
        );
    }
    let (shop, currency) = (shared.config.shop_id, shared.config.currency.clone());
    let body = shared.with_store(|s| {
        let results: Vec<Value> = ids
            .iter()
            .filter_map(|id| s.listing(*id))
            .map(|l| {
                let mut v = listing_json(l, shop, &currency);
                v["inventory"] = inventory_json(l, &currency);
                v
            })
            .collect();
        json!({"count": results.len(), "results": results})
    });
    Json(body).into_response()
}

/// getListingInventory.
pub async fn get_inventory(
    State(shared): State<Arc<Shared>>,
    Path(listing_id): Path<String>,
) -> Response {
    let currency = shared.config.currency.clone();
    let found = listing_id
        .parse::<u64>()
        .ok()
        .and_then(|id| shared.with_store(|s| s.listing(id).map(|l| inventory_json(l, &currency))));
    match found {
        Some(v) => Json(v).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            &format!("Listing {listing_id} not found"),
        ),
    }
}

/// updateListingInventory: the body replaces every product and offering. New products get new
/// ids, as on Etsy.
pub async fn put_inventory(
    State(shared): State<Arc<Shared>>,
    Path(listing_id): Path<String>,
    body: Bytes,
) -> Response {
    let Ok(id) = listing_id.parse::<u64>() else {
        return error(
            StatusCode::NOT_FOUND,
            &format!("Listing {listing_id} not found"),
        );
    };
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "Request body is not valid JSON");
    };
    let parsed = match parse_inventory(&body) {
        Ok(p) => p,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let currency = shared.config.currency.clone();
    let now = chrono::Utc::now().timestamp();
    let result = shared.with_store(|s| {
        s.listing(id)?;
        let mut products = Vec::with_capacity(parsed.products.len());
        for (sku, property_values, offerings) in &parsed.products {
            let product_id = s.next_id();
            let offerings = offerings
                .iter()
                .map(|(price, quantity, is_enabled)| Offering {
                    id: s.next_id(),
                    price: *price,
                    quantity: *quantity,
                    is_enabled: *is_enabled,
                })
                .collect();
            products.push(Product {
                id: product_id,
                sku: sku.clone(),
                property_values: property_values.clone(),
                offerings,
            });
        }
        let index = s.listing_index(id)?;
        let listing = s.listings.get_mut(index)?;
        let before: HashMap<String, Option<i64>> = listing
            .products
            .iter()
            .map(|p| (p.sku.clone(), p.offerings.first().map(|o| o.quantity)))
            .collect();
        let written: Vec<(String, i64)> = products
            .iter()
            .filter_map(|p| p.offerings.first().map(|o| (p, o.quantity)))
            .filter(|(p, q)| before.get(&p.sku) != Some(&Some(*q)))
            .map(|(p, q)| (p.sku.clone(), q))
            .collect();
        listing.products = products;
        listing.price_on_property = parsed.price_on_property.clone();
        listing.quantity_on_property = parsed.quantity_on_property.clone();
        listing.sku_on_property = parsed.sku_on_property.clone();
        listing.updated = now;
        let json = inventory_json(listing, &currency);
        s.index_skus(index);
        for (sku, level) in &written {
            shared.journal.stock_written(sku, *level);
        }
        Some((json, written.len() as u64))
    });
    match result {
        Some((v, changed)) => {
            shared.count(|s| {
                s.stock_writes += changed;
                s.stock_calls += 1;
            });
            Json(v).into_response()
        }
        None => error(
            StatusCode::NOT_FOUND,
            &format!("Listing {listing_id} not found"),
        ),
    }
}

/// (sku, property values, offerings as (price minor units, quantity, enabled)).
type ParsedProduct = (String, Vec<Value>, Vec<(i64, i64, bool)>);

struct ParsedInventory {
    products: Vec<ParsedProduct>,
    price_on_property: Vec<Value>,
    quantity_on_property: Vec<Value>,
    sku_on_property: Vec<Value>,
}

/// Checks a PUT body the way Etsy does and reads it.
fn parse_inventory(body: &Value) -> Result<ParsedInventory, String> {
    let products = body
        .get("products")
        .and_then(Value::as_array)
        .filter(|p| !p.is_empty())
        .ok_or("products is required and must be a non-empty array")?;
    let mut out = Vec::with_capacity(products.len());
    for (i, p) in products.iter().enumerate() {
        let sku = match p.get("sku") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(_) => return Err(format!("products[{i}].sku must be a string")),
        };
        let mut property_values = Vec::new();
        for (j, pv) in p
            .get("property_values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let ok = pv.get("property_id").and_then(Value::as_u64).is_some()
                && pv.get("value_ids").is_some_and(Value::is_array)
                && pv.get("values").is_some_and(Value::is_array);
            if !ok {
                return Err(format!(
                    "products[{i}].property_values[{j}] needs property_id, value_ids and values"
                ));
            }
            property_values.push(json!({
                "property_id": pv.get("property_id"),
                "property_name": pv.get("property_name").cloned().unwrap_or(Value::Null),
                "scale_id": pv.get("scale_id").cloned().unwrap_or(Value::Null),
                "scale_name": Value::Null,
                "value_ids": pv.get("value_ids"),
                "values": pv.get("values"),
            }));
        }
        let offerings = p
            .get("offerings")
            .and_then(Value::as_array)
            .filter(|o| !o.is_empty())
            .ok_or(format!("products[{i}].offerings must be a non-empty array"))?;
        let mut parsed = Vec::with_capacity(offerings.len());
        for (j, o) in offerings.iter().enumerate() {
            let at = format!("products[{i}].offerings[{j}]");
            let price = o
                .get("price")
                .and_then(|v| v.as_number().cloned())
                .and_then(|n| Decimal::from_str(&n.to_string()).ok())
                .filter(|d| *d > Decimal::ZERO)
                .ok_or(format!("{at}.price must be a positive number"))?;
            let cents = price * Decimal::ONE_HUNDRED;
            if cents.fract() != Decimal::ZERO {
                return Err(format!("{at}.price has more than two decimal places"));
            }
            let cents =
                i64::try_from(cents.trunc()).map_err(|_| format!("{at}.price is too large"))?;
            let quantity = o
                .get("quantity")
                .and_then(Value::as_i64)
                .filter(|q| (0..=999).contains(q))
                .ok_or(format!(
                    "{at}.quantity must be an integer between 0 and 999"
                ))?;
            let is_enabled = o
                .get("is_enabled")
                .and_then(Value::as_bool)
                .ok_or(format!("{at}.is_enabled is required"))?;
            parsed.push((cents, quantity, is_enabled));
        }
        out.push((sku, property_values, parsed));
    }
    let ids = |name: &str| -> Result<Vec<Value>, String> {
        match body.get(name) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(a)) if a.iter().all(Value::is_u64) => Ok(a.clone()),
            Some(_) => Err(format!("{name} must be an array of property ids")),
        }
    };
    Ok(ParsedInventory {
        products: out,
        price_on_property: ids("price_on_property")?,
        quantity_on_property: ids("quantity_on_property")?,
        sku_on_property: ids("sku_on_property")?,
    })
}
