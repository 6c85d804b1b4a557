//! Absolute stock levels: `PUT /v3/inventory/adjustments/absolute` with
//! `{reason, items: [{location_id, variant_id, quantity}]}`, at most 2000 items a call.
//! BigCommerce has no compare-and-set; a level is simply set. The request is validated as a
//! whole, so a refusal fails every SKU in that call.

use reqwest::Method;
use serde_json::{Value, json};
use switchyard_core::ports::{ChannelError, ListingLevel, PushReport};

use super::client::BcClient;

/// BigCommerce's item limit for one adjustment.
pub const MAX_BATCH: usize = 2000;
const REASON: &str = "Switchyard stock sync";

pub async fn push(
    client: &BcClient,
    location_id: u64,
    batch: &[ListingLevel],
) -> Result<PushReport, ChannelError> {
    let mut report = PushReport::default();
    let mut items: Vec<(&ListingLevel, Value)> = Vec::with_capacity(batch.len());
    for level in batch {
        match variant_id(&level.reference) {
            Some(variant) => items.push((
                level,
                json!({"location_id": location_id, "variant_id": variant, "quantity": level.quantity.max(0)}),
            )),
            None => report.rejected.push((
                level.sku.clone(),
                format!("listing reference {} has no variant_id", level.reference),
            )),
        }
    }
    for chunk in items.chunks(MAX_BATCH) {
        let body = json!({
            "reason": REASON,
            "items": chunk.iter().map(|(_, item)| item.clone()).collect::<Vec<_>>(),
        });
        match client
            .send(Method::PUT, "v3/inventory/adjustments/absolute", &body)
            .await
        {
            Ok(_) => report
                .applied
                .extend(chunk.iter().map(|(level, _)| level.sku.clone())),
            Err(ChannelError::Rejected(reason)) => report.rejected.extend(
                chunk
                    .iter()
                    .map(|(level, _)| (level.sku.clone(), reason.clone())),
            ),
            Err(other) => return Err(other),
        }
    }
    Ok(report)
}

fn variant_id(reference: &Value) -> Option<u64> {
    let v = reference.get("variant_id")?;
    v.as_u64().or_else(|| v.as_str()?.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_need_a_variant_id() {
        assert_eq!(
            variant_id(&json!({"variant_id": 7, "product_id": 1})),
            Some(7)
        );
        assert_eq!(variant_id(&json!({"variant_id": "7"})), Some(7));
        assert_eq!(variant_id(&json!({"product_id": 1})), None);
    }
}
