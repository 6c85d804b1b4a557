//! Absolute stock levels through the batch endpoints: `POST /products/batch` for products and
//! `POST /products/{parent}/variations/batch` for variations, at most 100 items a request.
//! WooCommerce has no compare-and-set, so a level is simply set.
//!
//! Stock tracking is the merchant's choice per product (`manage_stock`): Switchyard never sends
//! `manage_stock`, so it never turns tracking on (or off). WooCommerce ignores a quantity sent
//! to a product that does not track stock, and its answer says so (`manage_stock` false, or
//! `"parent"` for a variation whose parent tracks it): such a SKU is reported rejected with the
//! reason, for the merchant to switch "Manage stock" on or take the SKU off the channel.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{Value, json};
use switchyard_core::ports::{ChannelError, ListingLevel, PushReport};

use super::client::{WC, WooClient};

/// WooCommerce's batch limit (`woocommerce_rest_batch_items_limit`).
pub const MAX_BATCH: usize = 100;

/// Where one level goes: a product, or a variation under its parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    Products,
    Variations(u64),
}

pub async fn push(client: &WooClient, batch: &[ListingLevel]) -> Result<PushReport, ChannelError> {
    let mut report = PushReport::default();
    let mut groups: BTreeMap<Target, Vec<(u64, &ListingLevel)>> = BTreeMap::new();
    for level in batch {
        match target(&level.reference) {
            Some((target, id)) => groups.entry(target).or_default().push((id, level)),
            None => report.rejected.push((
                level.sku.clone(),
                format!("listing reference {} has no product_id", level.reference),
            )),
        }
    }
    for (target, items) in groups {
        let path = match target {
            Target::Products => format!("{WC}/products/batch"),
            Target::Variations(parent) => format!("{WC}/products/{parent}/variations/batch"),
        };
        for chunk in items.chunks(MAX_BATCH) {
            let update: Vec<Value> = chunk
                .iter()
                .map(|(id, level)| json!({"id": id, "stock_quantity": level.quantity}))
                .collect();
            match client
                .send(Method::POST, &path, &json!({ "update": update }))
                .await
            {
                Ok(response) => read_outcome(&response, chunk, &mut report),
                // The site refused this request as a whole: only these SKUs failed.
                Err(ChannelError::Rejected(reason)) => {
                    for (_, level) in chunk {
                        report.rejected.push((level.sku.clone(), reason.clone()));
                    }
                }
                Err(other) => return Err(other),
            }
        }
    }
    Ok(report)
}

/// `{"product_id": N, "variation_id": M | null}` → where to send it and the id to update.
fn target(reference: &Value) -> Option<(Target, u64)> {
    let product = as_id(reference.get("product_id")?)?;
    match reference
        .get("variation_id")
        .and_then(as_id)
        .filter(|&v| v != 0)
    {
        Some(variation) => Some((Target::Variations(product), variation)),
        None => Some((Target::Products, product)),
    }
}

fn as_id(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| v.as_str()?.trim().parse().ok())
}

/// Each `update` entry is the saved item, or `{"id", "error": {"code", "message"}}`.
fn read_outcome(response: &Value, chunk: &[(u64, &ListingLevel)], report: &mut PushReport) {
    let results = response.get("update").and_then(Value::as_array);
    for (id, level) in chunk {
        let result = results.and_then(|r| {
            r.iter()
                .find(|item| item.get("id").and_then(as_id) == Some(*id))
        });
        match result {
            Some(item) => match item.get("error") {
                Some(error) => {
                    let code = error.get("code").and_then(Value::as_str).unwrap_or("error");
                    let message = error.get("message").and_then(Value::as_str).unwrap_or("");
                    report
                        .rejected
                        .push((level.sku.clone(), format!("{code}: {message}")));
                }
                None => match item.get("manage_stock") {
                    Some(Value::Bool(true)) => report.applied.push(level.sku.clone()),
                    Some(Value::String(p)) if p == "parent" => report.rejected.push((
                        level.sku.clone(),
                        "WooCommerce tracks this variation's stock on its parent product; \
                         the level was not set"
                            .into(),
                    )),
                    _ => report.rejected.push((
                        level.sku.clone(),
                        "stock tracking (Manage stock) is off for this product in WooCommerce; \
                         the level was not set and tracking was left as the merchant chose"
                            .into(),
                    )),
                },
            },
            None => report.rejected.push((
                level.sku.clone(),
                format!("item {id} missing from the batch response"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(sku: &str, reference: Value) -> ListingLevel {
        ListingLevel {
            sku: sku.into(),
            reference,
            quantity: 3,
            expected_current: None,
        }
    }

    #[test]
    fn references_pick_the_endpoint() {
        assert_eq!(
            target(&json!({"product_id": 5, "variation_id": null})),
            Some((Target::Products, 5))
        );
        assert_eq!(
            target(&json!({"product_id": 5, "variation_id": 9})),
            Some((Target::Variations(5), 9))
        );
        assert_eq!(
            target(&json!({"product_id": "5"})),
            Some((Target::Products, 5))
        );
        assert_eq!(target(&json!({"variation_id": 9})), None);
    }

    #[test]
    fn per_item_errors_reject_only_that_sku() {
        let a = level("A", json!({"product_id": 1}));
        let b = level("B", json!({"product_id": 2}));
        let c = level("C", json!({"product_id": 3}));
        let chunk = [(1, &a), (2, &b), (3, &c)];
        let response = json!({"update": [
            {"id": 1, "stock_quantity": 3, "manage_stock": true},
            {"id": 2, "error": {"code": "woocommerce_rest_product_invalid_id", "message": "Invalid ID.", "data": {"status": 400}}}
        ]});
        let mut report = PushReport::default();
        read_outcome(&response, &chunk, &mut report);
        assert_eq!(report.applied, vec!["A".to_string()]);
        assert_eq!(report.rejected.len(), 2);
        assert!(
            report.rejected[0]
                .1
                .contains("woocommerce_rest_product_invalid_id")
        );
        assert_eq!(report.rejected[1].0, "C");

        let untracked = json!({"update": [
            {"id": 1, "stock_quantity": null, "manage_stock": false},
            {"id": 2, "stock_quantity": null, "manage_stock": "parent"}
        ]});
        let mut report = PushReport::default();
        read_outcome(&untracked, &chunk[..2], &mut report);
        assert!(report.applied.is_empty());
        assert!(report.rejected[0].1.contains("Manage stock"));
        assert!(report.rejected[1].1.contains("parent"));
    }
}
