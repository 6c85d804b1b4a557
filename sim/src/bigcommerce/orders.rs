//! V2 orders: the list with `min_date_modified`, `sort`, `page`, `limit` (204 when empty), one
//! order, its products and shipping addresses, and its shipments (list and create).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::Shared;
use super::guard::v2_error;
use super::store::{
    SimShipment, next_modified, now, order_json, product_json, shipment_json, shipping_address_json,
};

/// V2's default and largest page sizes.
const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 250;

type Params = Query<HashMap<String, String>>;
/// A refusal carried through `?` (boxed: a response is large).
type Refused = Box<Response>;

fn not_found() -> Response {
    v2_error(
        StatusCode::NOT_FOUND,
        "The requested resource was not found.",
    )
}

fn invalid(field: &str) -> Response {
    v2_error(
        StatusCode::BAD_REQUEST,
        &format!("The field '{field}' is invalid."),
    )
}

/// A V2 list answer: 204 No Content when there is nothing.
fn list_response(items: Vec<Value>) -> Response {
    if items.is_empty() {
        StatusCode::NO_CONTENT.into_response()
    } else {
        Json(Value::Array(items)).into_response()
    }
}

/// `page` and `limit` as V2 reads them.
fn paging(params: &HashMap<String, String>) -> Result<(usize, usize), Refused> {
    let number = |name: &str, default: usize| match params.get(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|&n| n >= 1)
            .ok_or_else(|| Box::new(invalid(name))),
    };
    let page = number("page", 1)?;
    let limit = number("limit", DEFAULT_LIMIT)?.min(MAX_LIMIT);
    Ok((page, limit))
}

/// RFC 2822 or ISO 8601, as the date filters accept.
fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    DateTime::parse_from_rfc2822(text)
        .or_else(|_| DateTime::parse_from_rfc3339(text))
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

pub async fn list(State(shared): State<Arc<Shared>>, Query(params): Params) -> Response {
    let (page, limit) = match paging(&params) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let since = match params.get("min_date_modified") {
        None => None,
        Some(text) => match parse_date(text) {
            Some(d) => Some(d),
            None => return invalid("min_date_modified"),
        },
    };
    let sort = params.get("sort").map_or("id:asc", String::as_str);
    let (key, descending) = match sort.split_once(':') {
        Some((k, dir)) if dir == "asc" || dir == "desc" => (k, dir == "desc"),
        None => (sort, false),
        _ => return invalid("sort"),
    };
    if !matches!(key, "id" | "date_created" | "date_modified" | "status_id") {
        return invalid("sort");
    }
    let api = shared.api_root();
    let items = shared.with_store(|s| {
        let mut orders: Vec<_> = s
            .orders
            .iter()
            // Incomplete orders (status 0) are left out of the list, as on the real store.
            .filter(|o| o.status_id != 0 && since.is_none_or(|d| o.modified >= d))
            .collect();
        orders.sort_by_key(|o| match key {
            "date_created" => (o.created.timestamp(), o.id),
            "date_modified" => (o.modified.timestamp(), o.id),
            "status_id" => (o.status_id as i64, o.id),
            _ => (0, o.id),
        });
        if descending {
            orders.reverse();
        }
        orders
            .into_iter()
            .skip((page - 1).saturating_mul(limit))
            .take(limit)
            .map(|o| order_json(o, &api, &shared.config.currency))
            .collect::<Vec<_>>()
    });
    list_response(items)
}

fn order_id(text: &str) -> Option<u64> {
    text.trim().parse().ok()
}

pub async fn get_one(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let api = shared.api_root();
    let found = order_id(&id).and_then(|id| {
        shared.with_store(|s| {
            s.order(id)
                .map(|o| order_json(o, &api, &shared.config.currency))
        })
    });
    found.map_or_else(not_found, |o| Json(o).into_response())
}

/// `PUT /v2/orders/{id}` (`order_Put`): `status_id` (0–14, the store's order statuses) and
/// `staff_notes` are simulated; other documented fields are accepted and ignored. A status
/// change fires `store/order/statusUpdated` like the store's own. An unknown order is 404, a
/// body that is not a JSON object or a bad `status_id` 400.
pub async fn update(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let Some(id) = order_id(&id) else {
        return not_found();
    };
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(&body) else {
        return v2_error(
            StatusCode::BAD_REQUEST,
            "The request body is not valid JSON.",
        );
    };
    let status_id = match fields.get("status_id") {
        None => None,
        Some(v) => match v.as_u64().filter(|s| *s <= 14) {
            Some(s) => Some(s),
            None => return invalid("status_id"),
        },
    };
    let notes = match fields.get("staff_notes") {
        None => None,
        Some(Value::String(n)) => Some(n.clone()),
        Some(_) => return invalid("staff_notes"),
    };
    let api = shared.api_root();
    let changed = shared.with_store(|s| {
        let order = s.order_mut(id)?;
        let previous = order.status_id;
        if let Some(notes) = notes {
            order.staff_notes = notes;
        }
        let change = status_id.filter(|new| *new != previous);
        if let Some(new) = change {
            order.status_id = new;
            order.status_changes.push((previous, new));
        }
        order.modified = next_modified(order.modified);
        Some((
            order_json(order, &api, &shared.config.currency),
            change.map(|new| (previous, new)),
        ))
    });
    let Some((order, change)) = changed else {
        return not_found();
    };
    if let Some((previous, new)) = change {
        let status = serde_json::json!({"previous_status_id": previous, "new_status_id": new});
        let (msg, body) =
            super::webhooks::event(&shared, "store/order/statusUpdated", id, Some(status));
        let shared = Arc::clone(&shared);
        let order_ref = id.to_string();
        tokio::spawn(async move {
            super::webhooks::deliver(&shared, &msg, &order_ref, body, crate::WebhookFate::Deliver)
                .await;
        });
    }
    Json(order).into_response()
}

pub async fn products(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(params): Params,
) -> Response {
    let (page, limit) = match paging(&params) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let found = order_id(&id).and_then(|id| {
        shared.with_store(|s| {
            s.order(id).map(|o| {
                o.lines
                    .iter()
                    .skip((page - 1).saturating_mul(limit))
                    .take(limit)
                    .map(|p| product_json(o, p))
                    .collect::<Vec<_>>()
            })
        })
    });
    found.map_or_else(not_found, list_response)
}

pub async fn shipping_addresses(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(params): Params,
) -> Response {
    let (page, _) = match paging(&params) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let found = order_id(&id).and_then(|id| {
        shared.with_store(|s| {
            s.order(id).map(|o| {
                if page == 1 {
                    vec![shipping_address_json(o)]
                } else {
                    Vec::new()
                }
            })
        })
    });
    found.map_or_else(not_found, list_response)
}

pub async fn list_shipments(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let found = order_id(&id).and_then(|id| {
        shared.with_store(|s| {
            s.order(id)
                .map(|o| o.shipments.iter().map(|sh| shipment_json(o, sh)).collect())
        })
    });
    found.map_or_else(not_found, list_response)
}

/// Records a shipment, moves the shipped counts, and sets Shipped / Partially Shipped.
pub async fn create_shipment(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let Some(id) = order_id(&id) else {
        return not_found();
    };
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return v2_error(
            StatusCode::BAD_REQUEST,
            "The request body is not valid JSON.",
        );
    };
    let address = body.get("order_address_id").and_then(Value::as_u64);
    let tracking = body
        .get("tracking_number")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if tracking.chars().count() > 50 {
        return invalid("tracking_number");
    }
    let text = |f: &str| {
        body.get(f)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let mut items = Vec::new();
    for item in body
        .get("items")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        let line = item.get("order_product_id").and_then(Value::as_u64);
        let quantity = item
            .get("quantity")
            .and_then(Value::as_u64)
            .and_then(|q| u32::try_from(q).ok());
        match (line, quantity) {
            (Some(line), Some(q)) if q > 0 => items.push((line, q)),
            _ => return invalid("items"),
        }
    }
    if items.is_empty() {
        return invalid("items");
    }
    // `shipping_provider`: the V2 enum, or `carrier_<id>` for a third-party provider;
    // `tracking_carrier`: empty or a tracking-carrier (courier) slug.
    let provider = text("shipping_provider");
    if !(PROVIDERS.contains(&provider.as_str())
        || provider
            .strip_prefix("carrier_")
            .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())))
    {
        return invalid("shipping_provider");
    }
    if !TRACKING_CARRIERS.contains(&text("tracking_carrier").as_str()) {
        return invalid("tracking_carrier");
    }
    let outcome = shared.with_store(|s| {
        let shipment_id = s.next_id();
        let order = s.order_mut(id).ok_or_else(|| Box::new(not_found()))?;
        if address != Some(order.address_id) {
            return Err(Box::new(invalid("order_address_id")));
        }
        for (line, q) in &items {
            let fits = order
                .lines
                .iter()
                .find(|l| l.id == *line)
                .is_some_and(|l| l.quantity_shipped + q <= l.quantity);
            if !fits {
                return Err(Box::new(invalid("items")));
            }
        }
        for (line, q) in &items {
            if let Some(l) = order.lines.iter_mut().find(|l| l.id == *line) {
                l.quantity_shipped += q;
            }
        }
        order.shipments.push(SimShipment {
            id: shipment_id,
            order_address_id: order.address_id,
            tracking_number: tracking.clone(),
            shipping_provider: text("shipping_provider"),
            tracking_carrier: text("tracking_carrier"),
            comments: text("comments"),
            items: items.clone(),
            created: now(),
        });
        let all_shipped = order.lines.iter().all(|l| l.quantity_shipped >= l.quantity);
        order.status_id = if all_shipped { 2 } else { 3 };
        order.modified = next_modified(order.modified);
        let shipment = order.shipments.last().map(|sh| shipment_json(order, sh));
        Ok(shipment.unwrap_or(Value::Null))
    });
    match outcome {
        Ok(shipment) => (StatusCode::CREATED, Json(shipment)).into_response(),
        Err(response) => *response,
    }
}

/// `shipping_provider_standard` (specs/bigcommerce orders.v2).
const PROVIDERS: [&str; 11] = [
    "auspost",
    "canadapost",
    "endicia",
    "usps",
    "fedex",
    "ups",
    "upsready",
    "upsonline",
    "shipperhq",
    "royalmail",
    "",
];

/// Tracking-carrier slugs this simulator accepts (a subset of the courier list the spec points
/// to), and the empty string.
const TRACKING_CARRIERS: [&str; 27] = [
    "",
    "ups",
    "usps",
    "fedex",
    "dhl",
    "dhl-global-mail",
    "ontrac",
    "lasership",
    "canada-post",
    "purolator",
    "royal-mail",
    "parcel-force",
    "australia-post",
    "dpd",
    "gls",
    "tnt",
    "yodel",
    "deutsch-post",
    "japan-post",
    "china-post",
    "india-post",
    "la-poste-colissimo",
    "postnl",
    "bpost",
    "new-zealand-post",
    "sendle",
    "evri",
];
