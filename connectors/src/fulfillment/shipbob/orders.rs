//! Reading orders: one by id, one by our reference (`ReferenceIds`, in our channel), and a page
//! of orders changed since a time (the poll).

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;
use switchyard_core::ports::ChannelError;

use super::client::SbClient;

/// ShipBob's largest page.
pub const PAGE_SIZE: usize = 250;

/// `None` when ShipBob has no such order.
pub async fn get(client: &SbClient, id: &str) -> Result<Option<Value>, ChannelError> {
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ChannelError::Rejected(format!(
            "`{id}` is not a ShipBob order id"
        )));
    }
    match client.get(&format!("order/{id}"), &[]).await {
        Ok(answer) => Ok(Some(answer.body)),
        Err(ChannelError::Http { status: 404, .. }) => Ok(None),
        Err(other) => Err(other),
    }
}

/// The order created under `reference` in our channel, if any.
pub async fn find_by_reference(
    client: &SbClient,
    reference: &str,
) -> Result<Option<Value>, ChannelError> {
    let answer = client
        .get("order", &[("ReferenceIds", reference.to_string())])
        .await?;
    let list = answer
        .body
        .as_array()
        .ok_or_else(|| ChannelError::Decode("GET /order did not answer a JSON array".into()))?;
    // `ReferenceIds` splits on commas, so check the match is exact.
    Ok(list
        .iter()
        .find(|o| o.get("reference_id").and_then(Value::as_str) == Some(reference))
        .cloned())
}

/// One page of orders changed at or after `since`, oldest first; `true` when more pages follow.
pub async fn changed_since(
    client: &SbClient,
    since: Option<DateTime<Utc>>,
    page: usize,
) -> Result<(Vec<Value>, bool), ChannelError> {
    let mut query = vec![
        ("Page", page.to_string()),
        ("Limit", PAGE_SIZE.to_string()),
        ("SortOrder", "Oldest".to_string()),
    ];
    if let Some(since) = since {
        query.push((
            "LastUpdateStartDate",
            since.to_rfc3339_opts(SecondsFormat::Micros, true),
        ));
    }
    let answer = client.get("order", &query).await?;
    let orders = answer
        .body
        .as_array()
        .cloned()
        .ok_or_else(|| ChannelError::Decode("GET /order did not answer a JSON array".into()))?;
    let header = |name: &str| -> Option<usize> {
        answer.headers.get(name)?.to_str().ok()?.trim().parse().ok()
    };
    let more = match header("total-pages") {
        Some(total) => page < total,
        // Without the header a full page may have a successor.
        None => orders.len() >= PAGE_SIZE,
    };
    Ok((orders, more))
}
