//! Finding the catalog variants that carry the hub's SKUs: `GET /v3/catalog/variants?sku:in=…`.
//! Every BigCommerce product has at least one variant (its base variant), so variants cover
//! simple products too. The reference is `{variant_id, product_id}`.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use switchyard_core::ports::{ChannelError, Listing};

use super::client::BcClient;

/// SKUs per `sku:in` query: keeps the URL short.
const SKUS_PER_QUERY: usize = 50;
/// V3's largest page.
const PAGE_SIZE: usize = 250;

pub async fn discover(client: &BcClient, skus: &[String]) -> Result<Vec<Listing>, ChannelError> {
    // A comma inside a SKU would split it in the `sku:in` list, so such SKUs are asked alone.
    let wanted: BTreeSet<&str> = skus
        .iter()
        .map(String::as_str)
        .filter(|s| !s.trim().is_empty())
        .collect();
    let (listable, alone): (Vec<&str>, Vec<&str>) = wanted.iter().partition(|s| !s.contains(','));
    let mut queries: Vec<(&str, String)> = listable
        .chunks(SKUS_PER_QUERY)
        .map(|chunk| ("sku:in", chunk.join(",")))
        .collect();
    queries.extend(alone.into_iter().map(|s| ("sku", s.to_string())));
    let mut found: Vec<Listing> = Vec::new();
    for (filter, value) in queries {
        for variant in variants(client, filter, &value).await? {
            let Some(sku) = variant.get("sku").and_then(Value::as_str) else {
                continue;
            };
            if !wanted.contains(sku) || found.iter().any(|l| l.sku == sku) {
                continue;
            }
            let (Some(variant_id), Some(product_id)) = (
                variant.get("id").and_then(Value::as_u64),
                variant.get("product_id").and_then(Value::as_u64),
            ) else {
                return Err(ChannelError::Decode(format!(
                    "variant for SKU `{sku}` without numeric id and product_id"
                )));
            };
            found.push(Listing {
                sku: sku.to_string(),
                reference: json!({"variant_id": variant_id, "product_id": product_id}),
                channel_quantity: variant.get("inventory_level").and_then(Value::as_i64),
            });
        }
    }
    Ok(found)
}

/// Every page of one variants query.
async fn variants(
    client: &BcClient,
    filter: &str,
    value: &str,
) -> Result<Vec<Value>, ChannelError> {
    let mut out = Vec::new();
    for page in 1u32.. {
        let query = [
            (filter, value.to_string()),
            ("limit", PAGE_SIZE.to_string()),
            ("page", page.to_string()),
        ];
        let body = client
            .get("v3/catalog/variants", &query)
            .await?
            .unwrap_or(Value::Null);
        let data = body
            .get("data")
            .and_then(Value::as_array)
            .ok_or_else(|| ChannelError::Decode("variants answer has no `data` array".into()))?;
        out.extend(data.iter().cloned());
        let total_pages = body
            .pointer("/meta/pagination/total_pages")
            .and_then(Value::as_u64)
            .unwrap_or(1);
        if u64::from(page) >= total_pages || data.is_empty() {
            return Ok(out);
        }
    }
    Ok(out)
}
