//! Polling orders changed since the cursor: `GET /orders?modified_after=…&orderby=modified`.
//!
//! `orderby=modified` is accepted by WooCommerce's order collection (its `orderby` enum is
//! date, id, include, title, slug, modified). `dates_are_gmt=true` makes `modified_after` a UTC
//! bound instead of the site's local time. Pages are numbered; `X-WP-TotalPages` says how many.

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use serde_json::Value;
use switchyard_core::ports::{ChannelError, PollCursor, PollPage, RawOrder};

use super::client::{WC, WooClient};
use super::dedup::{dedup_key, order_id};
use super::normalize::parse_utc;

/// WooCommerce's largest page.
pub const PER_PAGE: usize = 100;

pub async fn poll(client: &WooClient, cursor: &PollCursor) -> Result<PollPage, ChannelError> {
    let page: u32 = match cursor.page.as_deref() {
        None => 1,
        Some(p) => p.parse().ok().filter(|&n| n >= 1).ok_or_else(|| {
            ChannelError::Decode(format!("poll cursor page `{p}` is not a page number"))
        })?,
    };
    let mut query = vec![
        ("dates_are_gmt", "true".to_string()),
        ("orderby", "modified".to_string()),
        ("order", "asc".to_string()),
        ("per_page", PER_PAGE.to_string()),
        ("page", page.to_string()),
    ];
    if let Some(since) = cursor.since {
        query.push((
            "modified_after",
            since.format("%Y-%m-%dT%H:%M:%S").to_string(),
        ));
    }
    let (body, headers) = client.get(&format!("{WC}/orders"), &query).await?;
    let Value::Array(items) = body else {
        return Err(ChannelError::Decode(
            "orders list is not a JSON array".into(),
        ));
    };
    let mut orders = Vec::with_capacity(items.len());
    let mut max_updated_at: Option<DateTime<Utc>> = None;
    for item in &items {
        let bytes = serde_json::to_vec(item).map_err(|e| ChannelError::Decode(e.to_string()))?;
        if let Some(modified) = item
            .get("date_modified_gmt")
            .and_then(Value::as_str)
            .and_then(|s| parse_utc(s, "date_modified_gmt").ok())
        {
            max_updated_at = max_updated_at.max(Some(modified));
        }
        orders.push(RawOrder {
            format: "rest".into(),
            external_id: order_id(item),
            dedup_key: dedup_key(Some(item), &bytes),
            topic: "poll".into(),
            body: bytes,
        });
    }
    let next_page = match total_pages(&headers) {
        Some(total) => (page < total).then(|| (page + 1).to_string()),
        // Without the header, a full page means there may be more.
        None => (items.len() >= PER_PAGE).then(|| (page + 1).to_string()),
    };
    Ok(PollPage {
        orders,
        max_updated_at,
        next_page,
    })
}

fn total_pages(headers: &HeaderMap) -> Option<u32> {
    headers
        .get("x-wp-totalpages")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}
