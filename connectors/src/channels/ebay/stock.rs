//! Absolute stock levels through `bulkUpdatePriceQuantity`: each request sets the inventory
//! item's ship-to-home quantity and every published offer's `availableQuantity`, at most 25
//! SKUs a call. eBay has no compare-and-set, so a level is simply set.
//!
//! eBay allows 250 revisions per listing per calendar day: the pusher only sends levels that
//! changed, which keeps a busy SKU well under that.

use serde_json::{Value, json};
use switchyard_core::ports::{ChannelError, ListingLevel, PushReport};

use super::client::{EbayClient, describe_errors};

/// `bulkUpdatePriceQuantity`'s limit of inventory items per call.
pub const MAX_BATCH: usize = 25;

const BULK: &str = "/sell/inventory/v1/bulk_update_price_quantity";

pub async fn push(client: &EbayClient, batch: &[ListingLevel]) -> Result<PushReport, ChannelError> {
    let mut report = PushReport::default();
    for chunk in batch.chunks(MAX_BATCH) {
        let requests: Vec<Value> = chunk.iter().map(request).collect();
        match client.post(BULK, &json!({ "requests": requests })).await {
            Ok(response) => read_outcome(&response, chunk, &mut report),
            // eBay refused this call as a whole: only these SKUs failed.
            Err(ChannelError::Rejected(reason)) => {
                for level in chunk {
                    report.rejected.push((level.sku.clone(), reason.clone()));
                }
            }
            Err(other) => return Err(other),
        }
    }
    Ok(report)
}

/// One SKU's entry; a level below zero is sent as zero (eBay refuses negative quantities).
fn request(level: &ListingLevel) -> Value {
    let quantity = level.quantity.max(0);
    let offers: Vec<Value> = offer_ids(&level.reference)
        .into_iter()
        .map(|id| json!({"offerId": id, "availableQuantity": quantity}))
        .collect();
    let mut entry = json!({
        "sku": level.sku,
        "shipToLocationAvailability": {"quantity": quantity},
    });
    if !offers.is_empty() {
        entry["offers"] = Value::Array(offers);
    }
    entry
}

fn offer_ids(reference: &Value) -> Vec<String> {
    reference
        .get("offer_ids")
        .and_then(Value::as_array)
        .map(|ids| {
            ids.iter()
                .filter_map(|id| match id {
                    Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `responses[]` holds one entry per offer (or per SKU when no offer was given), each with
/// its own `statusCode` and `errors`: a SKU is applied only when all of its entries are 200.
fn read_outcome(response: &Value, chunk: &[ListingLevel], report: &mut PushReport) {
    let results = response
        .get("responses")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for level in chunk {
        let mine: Vec<&Value> = results
            .iter()
            .filter(|r| r.get("sku").and_then(Value::as_str) == Some(level.sku.as_str()))
            .collect();
        if mine.is_empty() {
            report.rejected.push((
                level.sku.clone(),
                "SKU missing from the bulk response".into(),
            ));
            continue;
        }
        let failures: Vec<String> = mine
            .iter()
            .filter(|r| r.get("statusCode").and_then(Value::as_u64) != Some(200))
            .map(|r| {
                let errors = r
                    .get("errors")
                    .and_then(Value::as_array)
                    .map(|e| describe_errors(e))
                    .unwrap_or_default();
                let status = r
                    .get("statusCode")
                    .map(Value::to_string)
                    .unwrap_or_default();
                match r.get("offerId").and_then(Value::as_str) {
                    Some(offer) => format!("offer {offer}: HTTP {status} {errors}"),
                    None => format!("HTTP {status} {errors}"),
                }
            })
            .collect();
        if failures.is_empty() {
            report.applied.push(level.sku.clone());
        } else {
            report
                .rejected
                .push((level.sku.clone(), failures.join("; ")));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(sku: &str, offers: &[&str], quantity: i64) -> ListingLevel {
        ListingLevel {
            sku: sku.into(),
            reference: json!({"sku": sku, "offer_ids": offers}),
            quantity,
            expected_current: None,
        }
    }

    #[test]
    fn requests_set_the_item_and_every_offer() {
        let r = request(&level("A", &["11", "12"], 4));
        assert_eq!(
            r,
            json!({"sku": "A", "shipToLocationAvailability": {"quantity": 4},
                   "offers": [{"offerId": "11", "availableQuantity": 4},
                              {"offerId": "12", "availableQuantity": 4}]})
        );
        let r = request(&level("B", &[], -3));
        assert_eq!(r["shipToLocationAvailability"]["quantity"], 0);
        assert!(r.get("offers").is_none());
    }

    #[test]
    fn per_offer_errors_reject_only_that_sku() {
        let chunk = [
            level("A", &["1"], 1),
            level("B", &["2"], 1),
            level("C", &[], 1),
        ];
        let response = json!({"responses": [
            {"statusCode": 200, "sku": "A", "offerId": "1", "warnings": []},
            {"statusCode": 400, "sku": "B", "offerId": "2", "errors": [
                {"errorId": 25001, "domain": "API_INVENTORY", "category": "REQUEST",
                 "message": "Listing revision limit reached"}]}
        ]});
        let mut report = PushReport::default();
        read_outcome(&response, &chunk, &mut report);
        assert_eq!(report.applied, vec!["A".to_string()]);
        assert_eq!(report.rejected.len(), 2);
        assert!(
            report.rejected[0].1.contains("offer 2: HTTP 400 25001"),
            "{:?}",
            report.rejected
        );
        assert_eq!(report.rejected[1].0, "C");
    }
}
