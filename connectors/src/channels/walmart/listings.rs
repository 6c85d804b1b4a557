//! Finding listings: `GET /v3/inventory?sku=` per SKU gives `{sku, quantity: {unit, amount}}`.
//! A SKU Walmart does not list (404) is simply not returned. The reference is `{"sku": …}`:
//! Walmart addresses inventory by the seller's SKU (and, on a multi-node account, the configured
//! `ship_node`, whose level is read with `shipNode=`).

use reqwest::Method;
use serde_json::{Value, json};
use switchyard_core::ports::{ChannelError, Listing};

use super::client::{WalmartClient, encode};
use super::stock::ShipNodes;
use super::throttle::Api;

pub async fn discover(
    client: &WalmartClient,
    nodes: &ShipNodes,
    skus: &[String],
) -> Result<Vec<Listing>, ChannelError> {
    let mut found = Vec::with_capacity(skus.len());
    for sku in skus {
        // The configured ship node's level, which is the one Switchyard sets.
        let path = format!("/v3/inventory?sku={}{}", encode(sku), nodes.query());
        let body = match client.call(Api::Inventory, Method::GET, &path, None).await {
            Ok(body) => body,
            Err(ChannelError::Http { status: 404, .. }) => continue,
            Err(err) => return Err(err),
        };
        found.push(Listing {
            sku: sku.clone(),
            reference: json!({ "sku": sku }),
            channel_quantity: body.pointer("/quantity/amount").and_then(Value::as_i64),
        });
    }
    Ok(found)
}
