//! Setting `available` levels with `inventorySetQuantities`, compare-and-set on every item
//! (`changeFromQuantity`, required from 2026-04; explicit null opts out).
//!
//! Shopify applies the mutation all or nothing: when any item fails, none is applied. Failed
//! items are reported (stale or rejected) and the others are sent again without them.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use switchyard_core::ports::{ChannelError, ListingLevel, PushReport};

use super::graphql::GraphqlClient;

/// Shopify caps every input array at 250 items.
pub const MAX_BATCH: usize = 250;
/// Every mutation costs 10 points.
const COST: u32 = 10;

const MUTATION: &str = "mutation SwitchyardSetStock($input: InventorySetQuantitiesInput!) { \
   inventorySetQuantities(input: $input) { \
     inventoryAdjustmentGroup { id } userErrors { field message code } } }";

struct Item<'a> {
    level: &'a ListingLevel,
    inventory_item_id: String,
}

/// What a round of userErrors says about each item, by position in that round.
#[derive(Debug, PartialEq)]
enum Verdict {
    Stale,
    Rejected(String),
}

/// The position in `quantities` a userError's `field` path points at.
fn item_index(error: &Value) -> Option<usize> {
    let path = error.get("field")?.as_array()?;
    let at = path.iter().position(|p| p.as_str() == Some("quantities"))?;
    path.get(at + 1)?.as_str()?.parse().ok()
}

fn verdicts(errors: &[Value], n: usize) -> Result<Vec<Option<Verdict>>, String> {
    let mut out: Vec<Option<Verdict>> = (0..n).map(|_| None).collect();
    for e in errors {
        let message = e
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("refused")
            .to_string();
        let code = e.get("code").and_then(Value::as_str).unwrap_or_default();
        let Some(slot) = item_index(e).and_then(|i| out.get_mut(i)) else {
            return Err(format!("{code} {message}").trim().to_string());
        };
        if code == "CHANGE_FROM_QUANTITY_STALE" {
            *slot = Some(Verdict::Stale);
        } else if slot.is_none() {
            *slot = Some(Verdict::Rejected(if code.is_empty() {
                message
            } else {
                format!("{code}: {message}")
            }));
        }
    }
    Ok(out)
}

/// The inventory item a listing reference names: discovered references carry
/// `{"inventory_item_id": GID}`; a merchant's mapping may give the GID, or the bare number, alone.
fn inventory_item(reference: &Value) -> Option<String> {
    let raw = match reference {
        Value::Object(map) => map.get("inventory_item_id")?,
        other => other,
    };
    let text = match raw {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    super::ids::to_gid("InventoryItem", &text)
}

fn reference_uri() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("gid://switchyard/StockPush/{nanos}")
}

pub async fn push(
    client: &GraphqlClient,
    location: &str,
    batch: &[ListingLevel],
) -> Result<PushReport, ChannelError> {
    if batch.len() > MAX_BATCH {
        return Err(ChannelError::Rejected(format!(
            "batch of {} exceeds Shopify's {MAX_BATCH} items",
            batch.len()
        )));
    }
    let mut report = PushReport::default();
    let mut pending: Vec<Item<'_>> = Vec::new();
    for level in batch {
        match inventory_item(&level.reference) {
            Some(inventory_item_id) => pending.push(Item {
                level,
                inventory_item_id,
            }),
            _ => report.rejected.push((
                level.sku.clone(),
                "listing reference has no Shopify inventory_item_id".into(),
            )),
        }
    }
    // Each round either applies everything left or removes at least one item.
    while !pending.is_empty() {
        let quantities: Vec<Value> = pending
            .iter()
            .map(|i| {
                json!({
                    "inventoryItemId": i.inventory_item_id,
                    "locationId": location,
                    "quantity": i.level.quantity,
                    "changeFromQuantity": i.level.expected_current,
                })
            })
            .collect();
        let vars = json!({ "input": {
            "name": "available",
            "reason": "correction",
            "referenceDocumentUri": reference_uri(),
            "quantities": quantities,
        }});
        let data = client
            .run("shopify stock push", MUTATION, vars, COST)
            .await?;
        let errors = data
            .pointer("/inventorySetQuantities/userErrors")
            .and_then(Value::as_array)
            .ok_or_else(|| ChannelError::Decode("no `inventorySetQuantities.userErrors`".into()))?;
        if errors.is_empty() {
            report
                .applied
                .extend(pending.iter().map(|i| i.level.sku.clone()));
            break;
        }
        let verdicts = verdicts(errors, pending.len()).map_err(ChannelError::Rejected)?;
        let mut next = Vec::new();
        for (item, verdict) in pending.into_iter().zip(verdicts) {
            match verdict {
                Some(Verdict::Stale) => report.stale.push((item.level.sku.clone(), None)),
                Some(Verdict::Rejected(why)) => report.rejected.push((item.level.sku.clone(), why)),
                None => next.push(item),
            }
        }
        pending = next;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_user_errors_to_items_by_field_path() {
        let errors = vec![
            json!({"field": ["input", "quantities", "1", "changeFromQuantity"], "message": "m",
                   "code": "CHANGE_FROM_QUANTITY_STALE"}),
            json!({"field": ["input", "quantities", "2", "inventoryItemId"], "message": "gone",
                   "code": "INVALID_INVENTORY_ITEM"}),
        ];
        let v = verdicts(&errors, 3).unwrap();
        assert_eq!(v[0], None);
        assert_eq!(v[1], Some(Verdict::Stale));
        assert_eq!(
            v[2],
            Some(Verdict::Rejected("INVALID_INVENTORY_ITEM: gone".into()))
        );
        let unplaced =
            vec![json!({"field": ["input", "reason"], "message": "bad", "code": "INVALID_REASON"})];
        assert!(verdicts(&unplaced, 3).is_err());
    }

    #[test]
    fn references_may_be_objects_gids_or_numbers() {
        let gid = "gid://shopify/InventoryItem/5";
        for r in [
            json!({"inventory_item_id": gid}),
            json!(gid),
            json!(5),
            json!("5"),
        ] {
            assert_eq!(inventory_item(&r).as_deref(), Some(gid), "{r}");
        }
        assert_eq!(inventory_item(&json!({"variant_id": 5})), None);
        assert_eq!(inventory_item(&json!("gid://shopify/Order/5")), None);
    }
}
