//! Finding the listing product behind each SKU: the shop's active listings
//! (`GET /v3/application/shops/{shop_id}/listings?state=active`, `limit`/`offset` pages), then
//! their inventories 100 ids at a time (`GET /v3/application/listings/batch/inventory`,
//! getListingsInventoryByListingIds). `?includes=Inventory` on the listings call is not used:
//! Etsy removes it on 2026-07-29.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use switchyard_core::ports::{ChannelError, Listing};

use super::client::EtsyClient;
use super::stock::{live, offering_quantity};

/// Listings a page, and ids an inventory batch call takes.
const PAGE_SIZE: usize = 100;
const INVENTORY_BATCH: usize = 100;

pub async fn discover(
    client: &EtsyClient,
    shop_id: &str,
    skus: &[String],
) -> Result<Vec<Listing>, ChannelError> {
    let wanted: BTreeSet<&str> = skus.iter().map(String::as_str).collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let listing_ids = active_listing_ids(client, shop_id).await?;
    let mut found = Vec::new();
    for chunk in listing_ids.chunks(INVENTORY_BATCH) {
        let ids = chunk
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let body = client
            .get(
                "/v3/application/listings/batch/inventory",
                &[("listing_ids", ids)],
            )
            .await?;
        for listing in results(&body)? {
            let Some(listing_id) = listing.get("listing_id").and_then(Value::as_u64) else {
                continue;
            };
            let products = listing
                .get("inventory")
                .and_then(|i| i.get("products"))
                .and_then(Value::as_array);
            for product in products.into_iter().flatten().filter(|p| live(p)) {
                let Some(sku) = product.get("sku").and_then(Value::as_str).map(str::trim) else {
                    continue;
                };
                if !wanted.contains(sku) {
                    continue;
                }
                found.push(Listing {
                    sku: sku.to_string(),
                    reference: json!({
                        "listing_id": listing_id,
                        "product_id": product.get("product_id").cloned().unwrap_or(Value::Null),
                    }),
                    channel_quantity: offering_quantity(product),
                });
            }
        }
    }
    Ok(found)
}

async fn active_listing_ids(client: &EtsyClient, shop_id: &str) -> Result<Vec<u64>, ChannelError> {
    let path = format!("/v3/application/shops/{shop_id}/listings");
    let mut ids = Vec::new();
    let mut offset = 0usize;
    loop {
        let body = client
            .get(
                &path,
                &[
                    ("state", "active".to_string()),
                    ("limit", PAGE_SIZE.to_string()),
                    ("offset", offset.to_string()),
                ],
            )
            .await?;
        let page = results(&body)?;
        ids.extend(
            page.iter()
                .filter_map(|l| l.get("listing_id").and_then(Value::as_u64)),
        );
        offset += page.len();
        let total = body.get("count").and_then(Value::as_u64).unwrap_or(0);
        if page.is_empty() || offset as u64 >= total {
            return Ok(ids);
        }
    }
}

pub(super) fn results(body: &Value) -> Result<&Vec<Value>, ChannelError> {
    body.get("results")
        .and_then(Value::as_array)
        .ok_or_else(|| ChannelError::Decode("Etsy list has no `results` array".into()))
}
