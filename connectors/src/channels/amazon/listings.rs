//! Finding the hub's SKUs among the seller's listings: `getListingsItem` with
//! `includedData=fulfillmentAvailability`, one SKU a call (there is no batch read).
//!
//! The reference is `{"sku", "fulfillment_channel_code"}`: `DEFAULT` for merchant-fulfilled
//! stock the hub sets, an `AMAZON_*` code for FBA stock, which Amazon counts itself.

use serde_json::{Value, json};
use switchyard_core::ports::{ChannelError, Listing};

use super::Account;
use super::client::Call;
use super::operations::Operation;

/// Merchant-fulfilled quantity, the only one a seller may set.
pub const MERCHANT_CHANNEL: &str = "DEFAULT";

pub async fn discover(account: &Account, skus: &[String]) -> Result<Vec<Listing>, ChannelError> {
    let mut found = Vec::new();
    for sku in skus.iter().filter(|s| !s.is_empty()) {
        let call = Call::get(
            Operation::GetListingsItem,
            listing_path(account, sku),
            vec![
                ("marketplaceIds", account.marketplace_id.clone()),
                ("includedData", "summaries,fulfillmentAvailability".into()),
            ],
        );
        match account.api.send(&call).await {
            Ok(item) => found.push(listing(sku, &item)),
            Err(ChannelError::Http { status: 404, .. }) => {}
            Err(err) => return Err(err),
        }
    }
    Ok(found)
}

pub fn listing_path(account: &Account, sku: &str) -> String {
    format!(
        "/listings/2021-08-01/items/{}/{}",
        encode_segment(&account.seller_id),
        encode_segment(sku)
    )
}

fn listing(sku: &str, item: &Value) -> Listing {
    let availability: Vec<&Value> = item
        .get("fulfillmentAvailability")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let code = |entry: &Value| {
        entry
            .get("fulfillmentChannelCode")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let chosen = availability
        .iter()
        .find(|e| code(e) == MERCHANT_CHANNEL)
        .or_else(|| availability.first());
    let channel_code = chosen.map_or_else(|| MERCHANT_CHANNEL.to_string(), |e| code(e));
    Listing {
        sku: sku.to_string(),
        reference: json!({"sku": sku, "fulfillment_channel_code": channel_code}),
        channel_quantity: chosen
            .and_then(|e| e.get("quantity"))
            .and_then(Value::as_i64),
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters: SKUs may hold `/` or spaces.
pub fn encode_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merchant_quantity_is_preferred_and_fba_is_marked() {
        let item = json!({"sku": "A", "fulfillmentAvailability": [
            {"fulfillmentChannelCode": "AMAZON_NA", "quantity": 40},
            {"fulfillmentChannelCode": "DEFAULT", "quantity": 7}]});
        let l = listing("A", &item);
        assert_eq!(l.channel_quantity, Some(7));
        assert_eq!(l.reference["fulfillment_channel_code"], "DEFAULT");
        let fba = listing(
            "B",
            &json!({"fulfillmentAvailability": [{"fulfillmentChannelCode": "AMAZON_NA"}]}),
        );
        assert_eq!(fba.reference["fulfillment_channel_code"], "AMAZON_NA");
        assert_eq!(fba.channel_quantity, None);
    }

    #[test]
    fn skus_are_escaped_in_paths() {
        assert_eq!(encode_segment("A/B c"), "A%2FB%20c");
        assert_eq!(encode_segment("MUG-1_x.y~"), "MUG-1_x.y~");
    }
}
