//! `/wc/v3/products` (list by `sku`/`type`, one product), `/products/{id}/variations`, and the
//! two batch endpoints that set stock.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::Shared;
use super::errors::{invalid_json, no_route, wp_error};
use super::orders::parse_id;
use super::params::{Params, paginate};
use super::store::{Product, ProductKind, Store, next_modified, product_json};

/// `woocommerce_rest_batch_items_limit`'s default.
pub(crate) const BATCH_LIMIT: usize = 100;

fn render(s: &Store, p: &Product, shared: &Shared) -> Value {
    let variations = if p.kind == ProductKind::Variable {
        s.variation_ids(p.id)
    } else {
        &[]
    };
    product_json(p, variations, shared.offset)
}

fn with_pages(items: Vec<Value>, total: usize, pages: usize) -> Response {
    let mut response = Json(Value::Array(items)).into_response();
    for (name, value) in [("x-wp-total", total), ("x-wp-totalpages", pages)] {
        if let Ok(v) = value.to_string().parse() {
            response.headers_mut().insert(name, v);
        }
    }
    response
}

pub async fn list(State(shared): State<Arc<Shared>>, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q.as_deref());
    let (page, per_page) = match (p.page(), p.per_page()) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(r), _) | (_, Err(r)) => return *r,
    };
    let kind = match p.one_of(
        "type",
        &["simple", "grouped", "external", "variable"],
        "any",
    ) {
        Ok(k) => k,
        Err(r) => return *r,
    };
    let skus: Option<Vec<String>> = p.get("sku").map(|s| {
        s.split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect()
    });
    let (items, total, pages) = shared.with_store(|s| {
        // A SKU filter looks each SKU up instead of scanning a large catalog.
        let candidates: Vec<&Product> = match &skus {
            Some(wanted) => {
                let mut found: Vec<usize> = wanted
                    .iter()
                    .filter_map(|sku| s.by_sku(sku).and_then(|p| s.index_of(p.id)))
                    .collect();
                found.sort_unstable();
                found.dedup();
                found.iter().filter_map(|i| s.products.get(*i)).collect()
            }
            None => s.products.iter().collect(),
        };
        let matched: Vec<&Product> = candidates
            .into_iter()
            // Variations are posts of another type: the products collection never lists them.
            .filter(|p| p.kind != ProductKind::Variation)
            .filter(|p| kind == "any" || p.kind.as_str_pub() == kind)
            .filter(|p| skus.as_ref().is_none_or(|w| w.contains(&p.sku)))
            .collect();
        let (page_items, total, pages) = paginate(&matched, page, per_page);
        let rendered = page_items.iter().map(|p| render(s, p, &shared)).collect();
        (rendered, total, pages)
    });
    with_pages(items, total, pages)
}

fn invalid_product() -> Response {
    wp_error(404, "woocommerce_rest_product_invalid_id", "Invalid ID.")
}

pub async fn get_one(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let Some(id) = parse_id(&id) else {
        return no_route();
    };
    shared
        .with_store(|s| s.product(id).map(|p| render(s, p, &shared)))
        .map_or_else(invalid_product, |p| Json(p).into_response())
}

pub async fn variations(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let Some(id) = parse_id(&id) else {
        return no_route();
    };
    let p = Params::parse(q.as_deref());
    let (page, per_page) = match (p.page(), p.per_page()) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(r), _) | (_, Err(r)) => return *r,
    };
    let listed = shared.with_store(|s| {
        s.product(id).filter(|p| p.kind != ProductKind::Variation)?;
        let all: Vec<&Product> = s
            .variation_ids(id)
            .iter()
            .filter_map(|v| s.product(*v))
            .collect();
        let (page_items, total, pages) = paginate(&all, page, per_page);
        let rendered: Vec<Value> = page_items.iter().map(|v| render(s, v, &shared)).collect();
        Some((rendered, total, pages))
    });
    match listed {
        Some((items, total, pages)) => with_pages(items, total, pages),
        None => invalid_product(),
    }
}

pub async fn batch_products(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    batch(&shared, None, &body)
}

pub async fn batch_variations(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let Some(id) = parse_id(&id) else {
        return no_route();
    };
    batch(&shared, Some(id), &body)
}

/// `{"create": [...], "update": [...], "delete": [...]}`; only `update` is simulated. Each
/// result is the saved object or `{"id", "error": {"code", "message", "data"}}`.
fn batch(shared: &Shared, parent: Option<u64>, body: &[u8]) -> Response {
    let Ok(Value::Object(ops)) = serde_json::from_slice::<Value>(body) else {
        return invalid_json();
    };
    let count = |k: &str| ops.get(k).and_then(Value::as_array).map_or(0, Vec::len);
    if count("create") + count("update") + count("delete") > BATCH_LIMIT {
        return wp_error(
            413,
            "woocommerce_rest_request_entity_too_large",
            &format!("Unable to accept more than {BATCH_LIMIT} items for this request."),
        );
    }
    let updates = ops
        .get("update")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let carries_stock = updates.iter().any(|u| u.get("stock_quantity").is_some());
    let results: Vec<Value> = shared.with_store(|s| {
        if carries_stock {
            s.stats.stock_calls += 1;
        }
        updates
            .iter()
            .map(|item| update_one(s, shared, parent, item))
            .collect()
    });
    let mut out = serde_json::Map::new();
    out.insert("update".into(), Value::Array(results));
    for op in ["create", "delete"] {
        if let Some(items) = ops.get(op).and_then(Value::as_array) {
            let errors = items
                .iter()
                .map(|i| json!({"id": i.get("id").cloned().unwrap_or(json!(0)), "error": {"code": "woocommerce_rest_not_simulated", "message": format!("{op} is not simulated."), "data": {"status": 501}}}))
                .collect();
            out.insert(op.into(), Value::Array(errors));
        }
    }
    Json(Value::Object(out)).into_response()
}

fn item_error(id: &Value, code: &str, message: &str, status: u16) -> Value {
    json!({"id": id, "error": {"code": code, "message": message, "data": {"status": status}}})
}

fn update_one(s: &mut Store, shared: &Shared, parent: Option<u64>, item: &Value) -> Value {
    let raw_id = item.get("id").cloned().unwrap_or(json!(0));
    let id = raw_id
        .as_u64()
        .or_else(|| raw_id.as_str().and_then(|t| t.parse().ok()));
    let invalid = match parent {
        Some(_) => (
            "woocommerce_rest_product_variation_invalid_id",
            "Invalid ID.",
        ),
        None => ("woocommerce_rest_product_invalid_id", "Invalid ID."),
    };
    let Some(index) = id.and_then(|id| s.index_of(id)).filter(|i| {
        s.products.get(*i).is_some_and(|p| match parent {
            Some(parent) => p.kind == ProductKind::Variation && p.parent_id == parent,
            None => p.kind != ProductKind::Variation,
        })
    }) else {
        return item_error(&raw_id, invalid.0, invalid.1, 400);
    };
    let quantity = match item.get("stock_quantity") {
        None => None,
        Some(v) => match v
            .as_i64()
            .or_else(|| v.as_str().and_then(|t| t.trim().parse().ok()))
        {
            Some(q) => Some(q),
            None => {
                return item_error(
                    &raw_id,
                    "rest_invalid_param",
                    "Invalid parameter(s): stock_quantity",
                    400,
                );
            }
        },
    };
    let manage = match item.get("manage_stock") {
        None => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => {
            return item_error(
                &raw_id,
                "rest_invalid_param",
                "Invalid parameter(s): manage_stock",
                400,
            );
        }
    };
    let product = &mut s.products[index];
    if let Some(m) = manage {
        product.manage_stock = m;
    }
    let mut wrote_stock = false;
    // WooCommerce ignores a quantity on a product that does not manage stock.
    if let Some(q) = quantity
        && product.manage_stock
    {
        product.stock_quantity = Some(q);
        wrote_stock = true;
    }
    product.modified = next_modified(product.modified);
    let product = product.clone();
    if wrote_stock {
        s.stats.stock_writes += 1;
        shared
            .journal
            .stock_written(&product.sku, product.stock_quantity.unwrap_or(0));
    }
    render(s, &product, shared)
}
