//! `GET /inventory-level`, following `next` links until there are none.

use serde_json::Value;
use switchyard_core::fulfillment::StockLevel;
use switchyard_core::ports::ChannelError;

use super::client::SbClient;
use super::events::SkuNames;

const PAGE_SIZE: usize = 250;
/// A guard against a partner whose `next` never ends.
const MAX_PAGES: usize = 10_000;

pub async fn levels(client: &SbClient, names: &SkuNames) -> Result<Vec<StockLevel>, ChannelError> {
    let mut answer = client
        .get("inventory-level", &[("PageSize", PAGE_SIZE.to_string())])
        .await?;
    let mut levels = Vec::new();
    for page in 0..MAX_PAGES {
        let items = answer
            .body
            .get("items")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                ChannelError::Decode(format!("inventory page {page}: `items` is not a list"))
            })?;
        for (i, item) in items.iter().enumerate() {
            if let Some(level) = read(item, names).map_err(|field| {
                ChannelError::Decode(format!(
                    "inventory page {page}: items[{i}].{field} is not a whole number"
                ))
            })? {
                levels.push(level);
            }
        }
        match answer
            .body
            .get("next")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
        {
            Some(next) => answer = client.follow(next).await?,
            None => return Ok(levels),
        }
    }
    Err(ChannelError::Decode(format!(
        "inventory levels did not end after {MAX_PAGES} pages"
    )))
}

/// One item's level; `None` for an item without a SKU (nothing to map it to). `Err` names the
/// field that is not a number.
fn read(item: &Value, names: &SkuNames) -> Result<Option<StockLevel>, &'static str> {
    let Some(sku) = item
        .get("sku")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
    else {
        tracing::debug!(inventory_id = ?item.get("inventory_id"), "shipbob inventory item without a SKU skipped");
        return Ok(None);
    };
    let available = item
        .get("total_fulfillable_quantity")
        .and_then(Value::as_i64)
        .ok_or("total_fulfillable_quantity")?;
    let on_hand = match item.get("total_on_hand_quantity") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.as_i64().ok_or("total_on_hand_quantity")?),
    };
    Ok(Some(StockLevel {
        sku: names
            .from_partner
            .get(sku)
            .cloned()
            .unwrap_or_else(|| sku.to_string()),
        available,
        on_hand,
    }))
}
