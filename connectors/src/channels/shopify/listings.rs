//! Finding the variant and inventory item behind each SKU, with its `available` level at the
//! configured location.

use serde_json::{Value, json};
use switchyard_core::ports::{ChannelError, Listing};

use super::graphql::GraphqlClient;

/// SKUs per search; the page holds twice that so duplicate SKUs cannot push a match out.
const SKUS_PER_QUERY: usize = 50;
const PAGE: usize = SKUS_PER_QUERY * 2;
/// 2 + 100 × (variant 1 + inventoryItem 1 + inventoryLevel 1 + quantities 1).
const COST: u32 = 2 + (PAGE as u32) * 4;

const QUERY: &str = "query SwitchyardVariants($first: Int!, $query: String!, $location: ID!) { \
   productVariants(first: $first, query: $query) { \
     nodes { id sku inventoryItem { id inventoryLevel(locationId: $location) { \
       quantities(names: [\"available\"]) { name quantity } } } } } }";

/// `sku:"A" OR sku:"B"`, quoting every value so spaces and colons stay inside it.
pub fn sku_query(skus: &[String]) -> String {
    skus.iter()
        .map(|s| format!("sku:\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")))
        .collect::<Vec<_>>()
        .join(" OR ")
}

pub async fn discover(
    client: &GraphqlClient,
    location: &str,
    skus: &[String],
) -> Result<Vec<Listing>, ChannelError> {
    let mut out: Vec<Listing> = Vec::new();
    for chunk in skus.chunks(SKUS_PER_QUERY) {
        let vars = json!({ "first": PAGE, "query": sku_query(chunk), "location": location });
        let data = client.run("shopify variants", QUERY, vars, COST).await?;
        let nodes = data
            .pointer("/productVariants/nodes")
            .and_then(Value::as_array)
            .ok_or_else(|| ChannelError::Decode("no `productVariants.nodes` in response".into()))?;
        for node in nodes {
            let Some(listing) = listing(node) else {
                continue;
            };
            // Search matches loosely; keep exact SKUs only, first variant wins.
            if chunk.contains(&listing.sku) && !out.iter().any(|l| l.sku == listing.sku) {
                out.push(listing);
            }
        }
    }
    Ok(out)
}

fn listing(node: &Value) -> Option<Listing> {
    let sku = node.get("sku").and_then(Value::as_str)?.to_string();
    let variant_id = node.get("id").and_then(Value::as_str)?;
    let item = node.get("inventoryItem")?;
    let item_id = item.get("id").and_then(Value::as_str)?;
    let channel_quantity = item
        .pointer("/inventoryLevel/quantities")
        .and_then(Value::as_array)
        .and_then(|qs| {
            qs.iter()
                .find(|q| q.get("name").and_then(Value::as_str) == Some("available"))
        })
        .and_then(|q| q.get("quantity"))
        .and_then(Value::as_i64);
    Some(Listing {
        sku,
        reference: json!({ "inventory_item_id": item_id, "variant_id": variant_id }),
        channel_quantity,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_skus() {
        let q = sku_query(&["A 1".into(), "B\"2".into()]);
        assert_eq!(q, r#"sku:"A 1" OR sku:"B\"2""#);
    }

    #[test]
    fn reads_a_variant_node() {
        let node = json!({"id": "gid://shopify/ProductVariant/1", "sku": "S",
            "inventoryItem": {"id": "gid://shopify/InventoryItem/2",
              "inventoryLevel": {"quantities": [{"name": "available", "quantity": 7}]}}});
        let l = listing(&node).unwrap();
        assert_eq!(l.channel_quantity, Some(7));
        assert_eq!(
            l.reference["inventory_item_id"],
            "gid://shopify/InventoryItem/2"
        );
        // Not stocked at the location: listed, level unknown.
        let node =
            json!({"id": "v", "sku": "S", "inventoryItem": {"id": "i", "inventoryLevel": null}});
        assert_eq!(listing(&node).unwrap().channel_quantity, None);
    }
}
