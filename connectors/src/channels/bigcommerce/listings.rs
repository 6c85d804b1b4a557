//! Finding the catalog variants that carry the hub's SKUs in `GET /v3/catalog/variants`.
//! Every BigCommerce product has at least one variant (its base variant), so variants cover
//! simple products too. The reference is `{variant_id, product_id}`.
//!
//! The spec documents the filters `id`, `sku`, `upc` and `product_id:in` here, not `sku:in`
//! (a filter the service may ignore, which would page the whole catalog for every chunk). Of
//! the documented ones only `sku` starts from a SKU (`product_id:in` needs the product ids we
//! are looking for), so there are two ways, and the cheaper one is taken under the store's
//! 150 requests per 30 s:
//! - one `sku=` call per SKU: N calls for N SKUs;
//! - paging the whole catalog (250 variants a page, only the fields we read): P calls for P
//!   pages, whatever N is.
//!
//! The first catalog page tells P (and may already hold some SKUs); the rest then goes the
//! cheaper way, so a discovery costs at most min(N, P) + 1 calls. A single SKU is asked for
//! directly.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use switchyard_core::ports::{ChannelError, Listing};

use super::client::BcClient;

/// V3's largest page.
const PAGE_SIZE: usize = 250;
/// The fields discovery reads (`id` always comes).
const FIELDS: &str = "sku,product_id,inventory_level";

pub async fn discover(client: &BcClient, skus: &[String]) -> Result<Vec<Listing>, ChannelError> {
    let wanted: BTreeSet<&str> = skus
        .iter()
        .map(String::as_str)
        .filter(|s| !s.trim().is_empty())
        .collect();
    let mut found: Vec<Listing> = Vec::new();
    let mut missing: Vec<&str> = wanted.iter().copied().collect();
    if missing.len() > 1 {
        let (first, total_pages) = page(client, None, 1).await?;
        take(&wanted, first, &mut found)?;
        missing.retain(|s| !found.iter().any(|l| l.sku == *s));
        let pages_left = usize::try_from(total_pages.saturating_sub(1)).unwrap_or(usize::MAX);
        if !missing.is_empty() && pages_left < missing.len() {
            for n in 2..=total_pages {
                let (data, _) = page(client, None, n).await?;
                take(&wanted, data, &mut found)?;
            }
            return Ok(found);
        }
    }
    for sku in missing {
        take(&wanted, variants(client, "sku", sku).await?, &mut found)?;
    }
    Ok(found)
}

/// Adds the wanted variants of `data` not found before.
fn take(
    wanted: &BTreeSet<&str>,
    data: Vec<Value>,
    found: &mut Vec<Listing>,
) -> Result<(), ChannelError> {
    for variant in data {
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
    Ok(())
}

/// One page of variants, optionally filtered, with the number of pages.
async fn page(
    client: &BcClient,
    filter: Option<(&str, &str)>,
    n: u64,
) -> Result<(Vec<Value>, u64), ChannelError> {
    let mut query = vec![
        ("include_fields", FIELDS.to_string()),
        ("limit", PAGE_SIZE.to_string()),
        ("page", n.to_string()),
    ];
    if let Some((name, value)) = filter {
        query.push((name, value.to_string()));
    }
    let body = client
        .get("v3/catalog/variants", &query)
        .await?
        .unwrap_or(Value::Null);
    let data = body
        .get("data")
        .and_then(Value::as_array)
        .ok_or_else(|| ChannelError::Decode("variants answer has no `data` array".into()))?
        .clone();
    let total_pages = body
        .pointer("/meta/pagination/total_pages")
        .and_then(Value::as_u64)
        .unwrap_or(1);
    Ok((data, total_pages))
}

/// Every page of one filtered variants query.
async fn variants(
    client: &BcClient,
    filter: &str,
    value: &str,
) -> Result<Vec<Value>, ChannelError> {
    let mut out = Vec::new();
    for n in 1u64.. {
        let (data, total_pages) = page(client, Some((filter, value)), n).await?;
        let empty = data.is_empty();
        out.extend(data);
        if n >= total_pages || empty {
            break;
        }
    }
    Ok(out)
}
