//! Returns the shop reports: orders changed since a time (`orders(sortKey: UPDATED_AT,
//! query: "updated_at:>='…'")`, opening a return changes its order), each with its
//! `returns` still `REQUESTED` or `OPEN`; every return line item names its fulfillment line
//! item's order line and the units. They become expected RMAs (`ChannelReturn`, keyed by the
//! return's id, so a re-read creates nothing twice).
//!
//! The cursor is `<since>|<page cursor>`: the page cursor while a sweep has more pages, then
//! the newest `updatedAt` seen (whole seconds, so the next sweep overlaps rather than misses).
//! Per order at most `RETURNS_PER_ORDER` returns of `LINES_PER_RETURN` lines are read (the
//! query stays under Shopify's 1,000-point limit); a larger return is logged.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use switchyard_core::ports::{ChannelError, ChannelReturn, ReturnsPage};

use super::graphql::GraphqlClient;
use super::ids::numeric_id;
use super::poll::search_query;

/// Orders a page.
pub const PAGE_SIZE: u32 = 8;
const RETURNS_PER_ORDER: u32 = 3;
const LINES_PER_RETURN: u32 = 10;

/// Requested cost: a connection is 2 + first × node; an order 1, a return 1, a return line
/// item 1 + its fulfillment line item 1 + that one's line item 1.
const COST: u32 =
    2 + PAGE_SIZE * (1 + 2 + RETURNS_PER_ORDER * (1 + 2 + LINES_PER_RETURN * (1 + 1 + 1)));
const _: () = assert!(COST <= 1000);

fn query() -> String {
    format!(
        "query SwitchyardReturns($first: Int!, $after: String, $query: String) {{ \
           orders(first: $first, after: $after, sortKey: UPDATED_AT, query: $query) {{ \
             pageInfo {{ hasNextPage endCursor }} \
             nodes {{ id legacyResourceId updatedAt \
               returns(first: {RETURNS_PER_ORDER}, query: \"status:REQUESTED OR status:OPEN\") {{ \
                 nodes {{ id name status totalQuantity \
                   returnLineItems(first: {LINES_PER_RETURN}) {{ \
                     nodes {{ __typename ... on ReturnLineItem {{ id quantity returnReason \
                       fulfillmentLineItem {{ id lineItem {{ id }} }} }} }} }} }} }} }} }} }}"
    )
}

/// (since, page cursor) out of the stored cursor.
fn split(cursor: Option<&str>) -> (Option<DateTime<Utc>>, Option<String>) {
    let Some(c) = cursor else {
        return (None, None);
    };
    let (since, after) = c.split_once('|').unwrap_or((c, ""));
    let since = DateTime::parse_from_rfc3339(since)
        .ok()
        .map(|t| t.with_timezone(&Utc));
    let after = (!after.is_empty()).then(|| after.to_string());
    (since, after)
}

fn join(since: Option<DateTime<Utc>>, after: Option<&str>) -> Option<String> {
    if since.is_none() && after.is_none() {
        return None;
    }
    Some(format!(
        "{}|{}",
        since.map(|t| t.to_rfc3339()).unwrap_or_default(),
        after.unwrap_or_default()
    ))
}

/// The returns of one order node.
pub fn order_returns(node: &Value) -> Vec<ChannelReturn> {
    let order_id = node
        .get("legacyResourceId")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| {
            node.get("id")
                .and_then(Value::as_str)
                .and_then(numeric_id)
                .map(|n| n.to_string())
        });
    let Some(order_id) = order_id else {
        return Vec::new();
    };
    let returns = node
        .pointer("/returns/nodes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut out = Vec::new();
    for r in &returns {
        if !matches!(
            r.get("status").and_then(Value::as_str),
            Some("REQUESTED" | "OPEN")
        ) {
            continue;
        }
        let Some(id) = r.get("id").and_then(Value::as_str).and_then(numeric_id) else {
            continue;
        };
        let items = r
            .pointer("/returnLineItems/nodes")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut lines = Vec::new();
        let mut reasons = Vec::new();
        for item in &items {
            let line = item
                .pointer("/fulfillmentLineItem/lineItem/id")
                .and_then(Value::as_str)
                .and_then(numeric_id);
            let qty = item
                .get("quantity")
                .and_then(Value::as_u64)
                .and_then(|q| u32::try_from(q).ok());
            // An unverified line (no fulfillment line item) is not one Switchyard shipped.
            if let (Some(line), Some(qty)) = (line, qty) {
                lines.push((line.to_string(), qty));
            }
            if let Some(reason) = item.get("returnReason").and_then(Value::as_str)
                && reason != "UNKNOWN"
                && !reasons.iter().any(|x| x == reason)
            {
                reasons.push(reason.to_string());
            }
        }
        let total = r.get("totalQuantity").and_then(Value::as_u64);
        let read: u64 = lines.iter().map(|(_, q)| u64::from(*q)).sum();
        if total.is_some_and(|t| t > read) {
            tracing::warn!(order = %order_id, return_id = id, "shopify: a return has more lines than were read; the rest are left for a person");
        }
        if lines.is_empty() {
            continue;
        }
        out.push(ChannelReturn {
            external_id: id.to_string(),
            order_external_id: order_id.clone(),
            lines,
            reason: (!reasons.is_empty()).then(|| reasons.join(", ").to_lowercase()),
        });
    }
    out
}

pub async fn poll(
    client: &GraphqlClient,
    cursor: Option<&str>,
) -> Result<ReturnsPage, ChannelError> {
    let (since, after) = split(cursor);
    let vars = json!({ "first": PAGE_SIZE, "after": after, "query": search_query(since) });
    let data = client
        .run("shopify returns poll", &query(), vars, COST)
        .await?;
    let conn = data
        .get("orders")
        .ok_or_else(|| ChannelError::Decode("no `orders` in response".into()))?;
    let nodes = conn
        .get("nodes")
        .and_then(Value::as_array)
        .ok_or_else(|| ChannelError::Decode("no `orders.nodes` in response".into()))?;
    let mut page = ReturnsPage::default();
    let mut newest = since;
    for node in nodes {
        page.returns.extend(order_returns(node));
        let updated = node
            .get("updatedAt")
            .and_then(Value::as_str)
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.with_timezone(&Utc));
        newest = newest.max(updated);
    }
    let has_next = conn
        .pointer("/pageInfo/hasNextPage")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let end = conn.pointer("/pageInfo/endCursor").and_then(Value::as_str);
    page.next_cursor = if has_next && end.is_some() {
        join(since, end)
    } else {
        join(newest, None)
    };
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_and_requested_returns_become_channel_returns_by_order_line() {
        let node = json!({
            "id": "gid://shopify/Order/5", "legacyResourceId": "5",
            "updatedAt": "2026-01-02T08:04:05Z",
            "returns": { "nodes": [
                { "id": "gid://shopify/Return/9", "status": "OPEN", "totalQuantity": 2,
                  "returnLineItems": { "nodes": [
                    { "id": "gid://shopify/ReturnLineItem/1", "quantity": 2, "returnReason": "DEFECTIVE",
                      "fulfillmentLineItem": { "id": "gid://shopify/FulfillmentLineItem/3",
                        "lineItem": { "id": "gid://shopify/LineItem/101" } } } ] } },
                { "id": "gid://shopify/Return/10", "status": "CLOSED", "totalQuantity": 1,
                  "returnLineItems": { "nodes": [
                    { "id": "gid://shopify/ReturnLineItem/2", "quantity": 1, "returnReason": "OTHER",
                      "fulfillmentLineItem": { "id": "gid://shopify/FulfillmentLineItem/4",
                        "lineItem": { "id": "gid://shopify/LineItem/102" } } } ] } },
                { "id": "gid://shopify/Return/11", "status": "REQUESTED", "totalQuantity": 1,
                  "returnLineItems": { "nodes": [
                    { "id": "gid://shopify/ReturnLineItem/5", "quantity": 1, "returnReason": "UNKNOWN",
                      "fulfillmentLineItem": { "id": "gid://shopify/FulfillmentLineItem/4",
                        "lineItem": { "id": "gid://shopify/LineItem/102" } } } ] } }
            ] }
        });
        let got = order_returns(&node);
        assert_eq!(
            got,
            vec![
                ChannelReturn {
                    external_id: "9".into(),
                    order_external_id: "5".into(),
                    lines: vec![("101".into(), 2)],
                    reason: Some("defective".into()),
                },
                ChannelReturn {
                    external_id: "11".into(),
                    order_external_id: "5".into(),
                    lines: vec![("102".into(), 1)],
                    reason: None,
                },
            ]
        );
    }

    #[test]
    fn the_cursor_pages_within_a_sweep_then_moves_to_the_newest_change() {
        assert_eq!(split(None), (None, None));
        let t = DateTime::parse_from_rfc3339("2026-01-02T08:04:05Z")
            .unwrap()
            .with_timezone(&Utc);
        let c = join(Some(t), Some("abc")).unwrap();
        assert_eq!(split(Some(&c)), (Some(t), Some("abc".into())));
        let c = join(Some(t), None).unwrap();
        assert_eq!(split(Some(&c)), (Some(t), None));
        assert_eq!(split(Some("|abc")), (None, Some("abc".into())));
        assert_eq!(join(None, None), None);
    }
}
