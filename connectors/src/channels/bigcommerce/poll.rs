//! Polling orders changed since the cursor:
//! `GET /v2/orders?min_date_modified=…&sort=date_modified:asc&page=N&limit=250`.
//!
//! `min_date_modified` takes RFC 2822 or ISO 8601; ISO in UTC is sent. V2 has no total-count
//! header and answers 204 No Content past the last page, so a full page means "maybe more".

use chrono::{DateTime, Utc};
use serde_json::Value;
use switchyard_core::ports::{ChannelError, PollCursor, PollPage};

use super::client::{BcClient, list};
use super::normalize::parse_rfc2822;
use super::orders::{compose, raw};

/// V2's largest page.
pub const PAGE_SIZE: usize = 250;

pub async fn poll(client: &BcClient, cursor: &PollCursor) -> Result<PollPage, ChannelError> {
    let page: u32 = match cursor.page.as_deref() {
        None => 1,
        Some(p) => p.parse().ok().filter(|&n| n >= 1).ok_or_else(|| {
            ChannelError::Decode(format!("poll cursor page `{p}` is not a page number"))
        })?,
    };
    let mut query = vec![
        ("sort", "date_modified:asc".to_string()),
        ("page", page.to_string()),
        ("limit", PAGE_SIZE.to_string()),
    ];
    if let Some(since) = cursor.since {
        query.push((
            "min_date_modified",
            since.format("%Y-%m-%dT%H:%M:%S+00:00").to_string(),
        ));
    }
    let body = client
        .get("v2/orders", &query)
        .await?
        .unwrap_or(Value::Null);
    let items = list(&body, "orders list")?;
    let mut orders = Vec::with_capacity(items.len());
    let mut max_updated_at: Option<DateTime<Utc>> = None;
    for item in items {
        if let Some(modified) = item
            .get("date_modified")
            .and_then(Value::as_str)
            .and_then(|s| parse_rfc2822(s, "date_modified").ok())
        {
            max_updated_at = max_updated_at.max(Some(modified.with_timezone(&Utc)));
        }
        let composed = compose(client, item.clone()).await?;
        orders.push(raw(&composed, "poll")?);
    }
    Ok(PollPage {
        orders,
        max_updated_at,
        next_page: (items.len() >= PAGE_SIZE).then(|| (page + 1).to_string()),
    })
}
