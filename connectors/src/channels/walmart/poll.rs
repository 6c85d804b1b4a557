//! Finding new and changed orders, and acknowledging the new ones.
//!
//! Ingestion reads `GET /v3/orders` (all orders) filtered by `lastModifiedStartDate`, so an order
//! is seen again whenever a line changes status, within the poller's overlapping window.
//! `createdStartDate` is sent too, reaching back over Walmart's 180-day retention: left out,
//! Walmart applies its default of the last 7 days and would hide an older order changed now.
//! Pages follow `meta.nextCursor`, a ready-made query string appended to the path.
//!
//! Walmart wants every released order acknowledged within 4 hours, so each polled order with a
//! line still `Created` is acknowledged as soon as it has been read; at the end of each sweep
//! `GET /v3/orders/released` catches any released order the window did not cover (or whose
//! acknowledgement failed) and returns it as well. Acknowledging before the hub has committed
//! the order is safe only because ingestion never depends on the released list: an
//! acknowledged order leaves the released list but stays in the all-orders listing (its
//! acknowledgement is itself a change), so the next sweep returns it again if this page is
//! lost. A failed acknowledgement is logged and retried on the next sweep.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use reqwest::Method;
use serde_json::Value;
use switchyard_core::ports::{ChannelError, PollCursor, PollPage, RawOrder};

use super::client::{WalmartClient, encode};
use super::dedup::{dedup_key, order_id};
use super::errors::is_content_not_found;
use super::normalize::{epoch_millis, newest_status_date};
use super::throttle::Api;

/// Walmart's largest page for the order listings.
pub const PAGE_LIMIT: usize = 200;
/// Orders older than this are gone from the API; a day short of it stays inside the bound.
const RETENTION_DAYS: i64 = 179;

pub async fn poll(client: &WalmartClient, cursor: &PollCursor) -> Result<PollPage, ChannelError> {
    let path = match cursor.page.as_deref() {
        Some(next) if next.starts_with('?') => format!("/v3/orders{next}"),
        Some(other) => {
            return Err(ChannelError::Decode(format!(
                "poll cursor `{other}` is not a Walmart nextCursor"
            )));
        }
        None => first_page(cursor.since, Utc::now()),
    };
    let (orders, next_page) = list(client, Api::AllOrders, &path).await?;
    acknowledge_created(client, &orders).await;
    let mut page = to_page(&orders, next_page)?;
    if page.next_page.is_none() {
        let seen: HashSet<String> = orders.iter().filter_map(order_id).collect();
        let missed: Vec<Value> = released(client)
            .await?
            .into_iter()
            .filter(|o| order_id(o).is_some_and(|id| !seen.contains(&id)))
            .collect();
        acknowledge_created(client, &missed).await;
        let extra = to_page(&missed, None)?;
        page.max_updated_at = page.max_updated_at.max(extra.max_updated_at);
        page.orders.extend(extra.orders);
    }
    Ok(page)
}

/// Fetches a purchase order by id: `None` when Walmart has no such order.
pub async fn fetch(client: &WalmartClient, id: &str) -> Result<Option<RawOrder>, ChannelError> {
    let path = format!("/v3/orders/{}", encode(id));
    let body = match client.call(Api::OneOrder, Method::GET, &path, None).await {
        Ok(body) => body,
        Err(ChannelError::Http { status: 404, .. }) => return Ok(None),
        Err(err) => return Err(err),
    };
    let order = super::normalize::unwrap_order(&body);
    Ok(Some(raw(order, "fetch")?))
}

fn first_page(since: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    let stamp = |t: DateTime<Utc>| encode(&t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string());
    let mut path = format!(
        "/v3/orders?limit={PAGE_LIMIT}&createdStartDate={}",
        stamp(now - Duration::days(RETENTION_DAYS))
    );
    if let Some(since) = since {
        path.push_str(&format!("&lastModifiedStartDate={}", stamp(since)));
    }
    path
}

/// Every released (Created, unacknowledged) order, across all its pages.
async fn released(client: &WalmartClient) -> Result<Vec<Value>, ChannelError> {
    let created_after = (Utc::now() - Duration::days(RETENTION_DAYS))
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string();
    let mut path = format!(
        "/v3/orders/released?limit={PAGE_LIMIT}&createdStartDate={}",
        encode(&created_after)
    );
    let mut all = Vec::new();
    loop {
        let (orders, next) = list(client, Api::ReleasedOrders, &path).await?;
        all.extend(orders);
        match next {
            Some(next) => path = format!("/v3/orders/released{next}"),
            None => return Ok(all),
        }
    }
}

/// One page of a listing: `{"list": {"meta": {"nextCursor"}, "elements": {"order": [...]}}}`.
/// A 404 `CONTENT_NOT_FOUND` is an empty listing.
async fn list(
    client: &WalmartClient,
    api: Api,
    path: &str,
) -> Result<(Vec<Value>, Option<String>), ChannelError> {
    let body = match client.call(api, Method::GET, path, None).await {
        Ok(body) => body,
        Err(err) if is_content_not_found(&err) => return Ok((Vec::new(), None)),
        Err(err) => return Err(err),
    };
    let list = body.get("list").unwrap_or(&body);
    let orders = match list.get("elements").and_then(|e| e.get("order")) {
        Some(Value::Array(items)) => items.clone(),
        Some(Value::Null) | None => Vec::new(),
        Some(_) => {
            return Err(ChannelError::Decode(
                "list.elements.order is not an array".into(),
            ));
        }
    };
    let next = list
        .get("meta")
        .and_then(|m| m.get("nextCursor"))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string);
    // A cursor on an empty page would loop forever.
    let next = next.filter(|_| !orders.is_empty());
    Ok((orders, next))
}

fn to_page(orders: &[Value], next_page: Option<String>) -> Result<PollPage, ChannelError> {
    let mut page = PollPage {
        next_page,
        ..PollPage::default()
    };
    for order in orders {
        page.max_updated_at = page.max_updated_at.max(updated_at(order));
        page.orders.push(raw(order, "poll")?);
    }
    Ok(page)
}

/// Bad input is kept: an order whose id or dates are unreadable still becomes a raw order
/// (keyed by its body hash) for the normalizer to quarantine.
fn raw(order: &Value, topic: &str) -> Result<RawOrder, ChannelError> {
    let body = serde_json::to_vec(order).map_err(|e| ChannelError::Decode(e.to_string()))?;
    Ok(RawOrder {
        format: "rest".into(),
        external_id: order_id(order),
        dedup_key: dedup_key(Some(order), &body),
        topic: topic.into(),
        body,
    })
}

fn updated_at(order: &Value) -> Option<DateTime<Utc>> {
    let object = order.as_object()?;
    match newest_status_date(object).ok()? {
        Some(at) => Some(at),
        None => epoch_millis(object.get("orderDate"), "orderDate").ok(),
    }
}

/// True when any line still has units in `Created`.
fn has_created_lines(order: &Value) -> bool {
    order
        .pointer("/orderLines/orderLine")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|line| line.pointer("/orderLineStatuses/orderLineStatus"))
        .filter_map(Value::as_array)
        .flatten()
        .any(|status| status.get("status").and_then(Value::as_str) == Some("Created"))
}

async fn acknowledge_created(client: &WalmartClient, orders: &[Value]) {
    for order in orders.iter().filter(|o| has_created_lines(o)) {
        let Some(id) = order_id(order) else { continue };
        if let Err(err) = acknowledge(client, &id).await {
            tracing::warn!(purchase_order = %id, %err, "walmart acknowledge failed; retried next sweep");
        }
    }
}

/// `POST /v3/orders/{purchaseOrderId}/acknowledge`: acknowledges every line of the order.
pub async fn acknowledge(client: &WalmartClient, id: &str) -> Result<(), ChannelError> {
    let path = format!("/v3/orders/{}/acknowledge", encode(id));
    client
        .call(Api::Acknowledge, Method::POST, &path, None)
        .await
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn first_page_asks_for_changes_since_the_cursor_over_the_whole_retention() {
        let now = DateTime::parse_from_rfc3339("2026-04-10T10:00:00Z")
            .unwrap()
            .to_utc();
        let since = DateTime::parse_from_rfc3339("2026-04-10T09:55:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            first_page(Some(since), now),
            "/v3/orders?limit=200&createdStartDate=2025-10-13T10%3A00%3A00.000Z\
             &lastModifiedStartDate=2026-04-10T09%3A55%3A00.000Z"
        );
        assert!(!first_page(None, now).contains("lastModified"));
    }

    #[test]
    fn only_orders_with_created_lines_need_acknowledging() {
        let line = |s: &str| json!({"orderLineStatuses": {"orderLineStatus": [{"status": s}]}});
        let order = |lines: Vec<Value>| json!({"orderLines": {"orderLine": lines}});
        assert!(has_created_lines(&order(vec![
            line("Acknowledged"),
            line("Created")
        ])));
        assert!(!has_created_lines(&order(vec![line("Acknowledged")])));
        assert!(!has_created_lines(&json!({})));
    }
}
