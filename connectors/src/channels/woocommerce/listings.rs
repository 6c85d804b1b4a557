//! Finding the products and variations that carry the hub's SKUs.
//!
//! `GET /products?sku=A,B` matches products (not variations), so a SKU still missing after that
//! is looked for among the variations of the site's variable products.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use switchyard_core::ports::{ChannelError, Listing};

use super::client::{WC, WooClient};

/// SKUs per `sku=` query: keeps the URL short.
const SKUS_PER_QUERY: usize = 50;
const PER_PAGE: usize = 100;

pub async fn discover(client: &WooClient, skus: &[String]) -> Result<Vec<Listing>, ChannelError> {
    // A comma inside a SKU would split it in the `sku=` list; such SKUs are found by scanning.
    let wanted: BTreeSet<&str> = skus
        .iter()
        .map(String::as_str)
        .filter(|s| !s.is_empty())
        .collect();
    let mut found: Vec<Listing> = Vec::new();
    let mut seen_parents = BTreeSet::new();
    let queryable: Vec<&str> = wanted
        .iter()
        .copied()
        .filter(|s| !s.contains(','))
        .collect();
    for chunk in queryable.chunks(SKUS_PER_QUERY) {
        let query = [("sku", chunk.join(",")), ("per_page", PER_PAGE.to_string())];
        let (body, _) = client.get(&format!("{WC}/products"), &query).await?;
        for product in array(&body, "products")? {
            collect_product(client, product, &wanted, &mut found, &mut seen_parents).await?;
        }
    }
    if wanted.iter().any(|s| !found.iter().any(|l| l.sku == *s)) {
        scan_variable_products(client, &wanted, &mut found, &mut seen_parents).await?;
    }
    Ok(found)
}

async fn collect_product(
    client: &WooClient,
    product: &Value,
    wanted: &BTreeSet<&str>,
    found: &mut Vec<Listing>,
    seen_parents: &mut BTreeSet<u64>,
) -> Result<(), ChannelError> {
    let Some(id) = product.get("id").and_then(Value::as_u64) else {
        return Err(ChannelError::Decode("product without a numeric id".into()));
    };
    if let Some(sku) = sku_of(product).filter(|s| wanted.contains(s)) {
        push_unique(found, sku, id, None, product);
    }
    if product.get("type").and_then(Value::as_str) == Some("variable") && seen_parents.insert(id) {
        for variation in variations(client, id).await? {
            let Some(vid) = variation.get("id").and_then(Value::as_u64) else {
                return Err(ChannelError::Decode(format!(
                    "variation of product {id} without an id"
                )));
            };
            if let Some(sku) = sku_of(&variation).filter(|s| wanted.contains(s)) {
                push_unique(found, sku, id, Some(vid), &variation);
            }
        }
    }
    Ok(())
}

/// Pages through `GET /products?type=variable` and their variations for SKUs not found yet.
async fn scan_variable_products(
    client: &WooClient,
    wanted: &BTreeSet<&str>,
    found: &mut Vec<Listing>,
    seen_parents: &mut BTreeSet<u64>,
) -> Result<(), ChannelError> {
    let mut page = 1u32;
    loop {
        let query = [
            ("type", "variable".to_string()),
            ("per_page", PER_PAGE.to_string()),
            ("page", page.to_string()),
        ];
        let (body, headers) = client.get(&format!("{WC}/products"), &query).await?;
        let products = array(&body, "products")?;
        for product in products {
            collect_product(client, product, wanted, found, seen_parents).await?;
        }
        let total = headers
            .get("x-wp-totalpages")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u32>().ok());
        let more = match total {
            Some(total) => page < total,
            None => products.len() >= PER_PAGE,
        };
        if !more || wanted.iter().all(|s| found.iter().any(|l| l.sku == *s)) {
            return Ok(());
        }
        page += 1;
    }
}

async fn variations(client: &WooClient, parent: u64) -> Result<Vec<Value>, ChannelError> {
    let mut out = Vec::new();
    let mut page = 1u32;
    loop {
        let query = [
            ("per_page", PER_PAGE.to_string()),
            ("page", page.to_string()),
        ];
        let (body, headers) = client
            .get(&format!("{WC}/products/{parent}/variations"), &query)
            .await?;
        let items = array(&body, "variations")?;
        let n = items.len();
        out.extend(items.iter().cloned());
        let total = headers
            .get("x-wp-totalpages")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u32>().ok());
        let more = match total {
            Some(total) => page < total,
            None => n >= PER_PAGE,
        };
        if !more {
            return Ok(out);
        }
        page += 1;
    }
}

fn array<'a>(body: &'a Value, what: &str) -> Result<&'a Vec<Value>, ChannelError> {
    body.as_array()
        .ok_or_else(|| ChannelError::Decode(format!("{what} list is not a JSON array")))
}

fn sku_of(item: &Value) -> Option<&str> {
    item.get("sku")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn push_unique(
    found: &mut Vec<Listing>,
    sku: &str,
    product: u64,
    variation: Option<u64>,
    item: &Value,
) {
    if found.iter().any(|l| l.sku == sku) {
        return;
    }
    found.push(Listing {
        sku: sku.to_string(),
        reference: json!({"product_id": product, "variation_id": variation}),
        channel_quantity: item.get("stock_quantity").and_then(Value::as_i64),
    });
}
