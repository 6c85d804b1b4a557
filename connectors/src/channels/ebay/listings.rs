//! Finding the inventory items and offers that carry the hub's SKUs: `getInventoryItem`
//! for the item (and its current ship-to-home quantity), `getOffers?sku=` for its offers.
//!
//! The reference is `{"sku", "offer_ids": [...]}` with only PUBLISHED offers:
//! `bulkUpdatePriceQuantity` refuses unpublished ones (they are updated with `updateOffer`).

use serde_json::{Value, json};
use switchyard_core::ports::{ChannelError, Listing};

use super::client::EbayClient;

const INVENTORY: &str = "/sell/inventory/v1";

pub async fn discover(client: &EbayClient, skus: &[String]) -> Result<Vec<Listing>, ChannelError> {
    let mut found = Vec::new();
    for sku in skus.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let path = format!("{INVENTORY}/inventory_item/{}", encode_segment(sku));
        let item = match client.get(&path, &[]).await {
            Ok(item) => item,
            Err(ChannelError::Http { status: 404, .. }) => continue,
            Err(other) => return Err(other),
        };
        let offer_ids = published_offers(client, sku).await?;
        found.push(Listing {
            sku: sku.to_string(),
            reference: json!({"sku": sku, "offer_ids": offer_ids}),
            channel_quantity: item
                .pointer("/availability/shipToLocationAvailability/quantity")
                .and_then(Value::as_i64),
        });
    }
    Ok(found)
}

/// Every published offer of the SKU, following `next` through the pages.
async fn published_offers(client: &EbayClient, sku: &str) -> Result<Vec<String>, ChannelError> {
    let mut ids = Vec::new();
    let mut offset = 0usize;
    loop {
        let query = [
            ("sku", sku.to_string()),
            ("limit", "100".to_string()),
            ("offset", offset.to_string()),
        ];
        let page = match client.get(&format!("{INVENTORY}/offer"), &query).await {
            Ok(page) => page,
            // An inventory item nobody has made an offer for yet.
            Err(ChannelError::Http { status: 404, .. }) => return Ok(ids),
            Err(other) => return Err(other),
        };
        let offers = page
            .get("offers")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for offer in offers {
            let published = offer.get("status").and_then(Value::as_str) == Some("PUBLISHED");
            if let Some(id) = offer.get("offerId").and_then(Value::as_str)
                && published
            {
                ids.push(id.to_string());
            }
        }
        if offers.is_empty() || page.get("next").and_then(Value::as_str).is_none() {
            return Ok(ids);
        }
        offset += offers.len();
    }
}

/// Percent-encodes a path segment (a SKU may hold spaces or slashes).
pub fn encode_segment(text: &str) -> String {
    text.bytes()
        .fold(String::with_capacity(text.len()), |mut s, b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                s.push(b as char);
            } else {
                s.push_str(&format!("%{b:02X}"));
            }
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skus_are_encoded_for_the_path() {
        assert_eq!(encode_segment("LAMP-1.b_x~"), "LAMP-1.b_x~");
        assert_eq!(encode_segment("A/B C"), "A%2FB%20C");
    }
}
