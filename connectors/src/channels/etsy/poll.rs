//! Polling receipts changed since the cursor: `GET /v3/application/shops/{shop_id}/receipts`
//! with `min_last_modified` (epoch seconds), `sort_on=updated&sort_order=asc`, and
//! `limit`/`offset` pages whose envelope `{count, results}` says how many match in all.
//! Fetching one receipt for a thin webhook is here too: same shape, same inbox key.

use chrono::{DateTime, Utc};
use serde_json::Value;
use switchyard_core::ports::{ChannelError, PollCursor, PollPage, RawOrder};

use super::client::EtsyClient;
use super::dedup::{dedup_key, receipt_id};
use super::normalize::epoch_to_utc;

/// Etsy's largest page.
pub const PAGE_SIZE: usize = 100;

/// `RawOrder::format` of a full `ShopReceipt`.
pub const FORMAT: &str = "receipt";

pub async fn poll(
    client: &EtsyClient,
    shop_id: &str,
    cursor: &PollCursor,
) -> Result<PollPage, ChannelError> {
    let offset: usize = match cursor.page.as_deref() {
        None => 0,
        Some(p) => p.parse().map_err(|_| {
            ChannelError::Decode(format!("poll cursor page `{p}` is not an offset"))
        })?,
    };
    let mut query = vec![
        ("sort_on", "updated".to_string()),
        ("sort_order", "asc".to_string()),
        ("limit", PAGE_SIZE.to_string()),
        ("offset", offset.to_string()),
    ];
    if let Some(since) = cursor.since {
        // Etsy refuses bounds before 2000-01-01.
        query.push((
            "min_last_modified",
            since.timestamp().max(946_684_800).to_string(),
        ));
    }
    let body = client
        .get(&format!("/v3/application/shops/{shop_id}/receipts"), &query)
        .await?;
    let results = body
        .get("results")
        .and_then(Value::as_array)
        .ok_or_else(|| ChannelError::Decode("receipts page has no `results` array".into()))?;
    let count = body.get("count").and_then(Value::as_u64);
    let mut orders = Vec::with_capacity(results.len());
    let mut max_updated_at: Option<DateTime<Utc>> = None;
    for receipt in results {
        max_updated_at = max_updated_at.max(updated_at(receipt));
        orders.push(raw_order(receipt, "poll")?);
    }
    let next = offset + results.len();
    let more = match count {
        Some(total) => (next as u64) < total && !results.is_empty(),
        // Without a count, a full page means there may be more.
        None => results.len() >= PAGE_SIZE,
    };
    Ok(PollPage {
        orders,
        max_updated_at,
        next_page: more.then(|| next.to_string()),
    })
}

/// `GET /v3/application/shops/{shop_id}/receipts/{receipt_id}`; `None` when Etsy has no such
/// receipt.
pub async fn fetch(
    client: &EtsyClient,
    shop_id: &str,
    receipt: &str,
) -> Result<Option<RawOrder>, ChannelError> {
    if receipt.is_empty() || !receipt.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ChannelError::Rejected(format!(
            "`{receipt}` is not an Etsy receipt id"
        )));
    }
    let path = format!("/v3/application/shops/{shop_id}/receipts/{receipt}");
    match client.get(&path, &[]).await {
        Ok(body) => raw_order(&body, "fetch").map(Some),
        Err(ChannelError::Http { status: 404, .. }) => Ok(None),
        Err(err) => Err(err),
    }
}

fn raw_order(receipt: &Value, topic: &str) -> Result<RawOrder, ChannelError> {
    let body = serde_json::to_vec(receipt).map_err(|e| ChannelError::Decode(e.to_string()))?;
    Ok(RawOrder {
        format: FORMAT.into(),
        external_id: receipt_id(receipt),
        dedup_key: dedup_key(Some(receipt), &body),
        topic: topic.into(),
        body,
    })
}

fn updated_at(receipt: &Value) -> Option<DateTime<Utc>> {
    ["update_timestamp", "updated_timestamp"]
        .iter()
        .find_map(|n| receipt.get(*n).and_then(Value::as_i64))
        .and_then(epoch_to_utc)
}
