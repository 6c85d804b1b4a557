//! Reading orders: `getOrders` filtered by `lastmodifieddate` for polls (numbered by
//! `offset`, at most 200 a page) and `getOrder` for the order a notification names.

use chrono::{DateTime, Utc};
use serde_json::Value;
use switchyard_core::ports::{ChannelError, PollCursor, PollPage, RawOrder};

use super::client::EbayClient;
use super::dedup::{dedup_key, last_modified, order_id};

/// `getOrders`' largest `limit`.
pub const PAGE_LIMIT: usize = 200;

/// `RawOrder::format` of a Fulfillment API `Order`.
pub const FORMAT: &str = "fulfillment";

const ORDERS: &str = "/sell/fulfillment/v1/order";

pub async fn poll(client: &EbayClient, cursor: &PollCursor) -> Result<PollPage, ChannelError> {
    let offset: usize = match cursor.page.as_deref() {
        None => 0,
        Some(p) => p.parse().map_err(|_| {
            ChannelError::Decode(format!("poll cursor page `{p}` is not an offset"))
        })?,
    };
    let mut query = vec![
        ("limit", PAGE_LIMIT.to_string()),
        ("offset", offset.to_string()),
    ];
    if let Some(since) = cursor.since {
        query.push((
            "filter",
            format!(
                "lastmodifieddate:[{}..]",
                since.format("%Y-%m-%dT%H:%M:%S%.3fZ")
            ),
        ));
    }
    let body = client.get(ORDERS, &query).await?;
    let items = body
        .get("orders")
        .map(|o| {
            o.as_array()
                .ok_or_else(|| ChannelError::Decode("`orders` is not an array".into()))
        })
        .transpose()?
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut orders = Vec::with_capacity(items.len());
    let mut max_updated_at: Option<DateTime<Utc>> = None;
    for item in items {
        max_updated_at = max_updated_at.max(last_modified(item));
        orders.push(raw(item, "poll")?);
    }
    // `next` is present while more pages follow; `total` backs it up.
    let total = body.get("total").and_then(Value::as_u64);
    let more = body.get("next").and_then(Value::as_str).is_some()
        || total.is_some_and(|t| (offset + items.len()) < t as usize && !items.is_empty());
    Ok(PollPage {
        orders,
        max_updated_at,
        next_page: more.then(|| (offset + items.len().max(1)).to_string()),
    })
}

/// `getOrder`; `None` when eBay has no such order.
pub async fn fetch(client: &EbayClient, id: &str) -> Result<Option<RawOrder>, ChannelError> {
    let id = path_safe(id)?;
    match client.get(&format!("{ORDERS}/{id}"), &[]).await {
        Ok(order) => raw(&order, "fetch").map(Some),
        Err(ChannelError::Http { status: 404, .. }) => Ok(None),
        Err(other) => Err(other),
    }
}

fn raw(order: &Value, topic: &str) -> Result<RawOrder, ChannelError> {
    let bytes = serde_json::to_vec(order).map_err(|e| ChannelError::Decode(e.to_string()))?;
    Ok(RawOrder {
        format: FORMAT.into(),
        external_id: order_id(order),
        dedup_key: dedup_key(Some(order), &bytes),
        topic: topic.into(),
        body: bytes,
    })
}

/// eBay order ids are digits and dashes (`12-34567-89012`); anything else stays out of a URL.
pub fn path_safe(id: &str) -> Result<&str, ChannelError> {
    let id = id.trim();
    if !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'!'))
    {
        Ok(id)
    } else {
        Err(ChannelError::Rejected(format!(
            "`{id}` is not an eBay order id"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_ids_must_be_url_safe() {
        assert_eq!(path_safe(" 12-34567-89012 ").ok(), Some("12-34567-89012"));
        assert!(matches!(
            path_safe("1/../x"),
            Err(ChannelError::Rejected(_))
        ));
        assert!(path_safe("").is_err());
    }
}
