//! Polling orders changed since a time: `orders(sortKey: UPDATED_AT, query: "updated_at:>='…'")`
//! with cursor pagination. Each node is stored as-is (format `graphql`).

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use switchyard_core::ports::{ChannelError, PollCursor, PollPage, RawOrder};

use super::dedup::graphql_identity;
use super::graphql::GraphqlClient;

/// Orders a page. Shopify refuses any query above 1,000 requested points, and a connection
/// costs 2 + first × node: 25 orders × (10 lines + money + address + customer) stays at 927.
pub const PAGE_SIZE: usize = 25;
/// Line items fetched with each order; longer orders are completed by `more_lines`.
const LINES_PER_ORDER: usize = 10;
/// Line items per follow-up page (1 + 2 + 50 × 3 = 153 points).
const MORE_LINES: usize = 50;

const LINE_FIELDS: &str = "pageInfo { hasNextPage endCursor } \
     nodes { id sku quantity title originalUnitPriceSet { shopMoney { amount } } }";

fn orders_query() -> String {
    format!(
        "query SwitchyardOrders($first: Int!, $after: String, $query: String) {{ \
           orders(first: $first, after: $after, sortKey: UPDATED_AT, query: $query) {{ \
             pageInfo {{ hasNextPage endCursor }} \
             nodes {{ id legacyResourceId name email createdAt updatedAt cancelledAt \
               displayFinancialStatus displayFulfillmentStatus currencyCode tags \
               customer {{ tags }} risk {{ assessments {{ riskLevel }} }} \
               totalPriceSet {{ shopMoney {{ amount currencyCode }} }} \
               shippingAddress {{ name firstName lastName company address1 address2 city \
                 province provinceCode zip countryCodeV2 phone }} \
               lineItems(first: {LINES_PER_ORDER}) {{ {LINE_FIELDS} }} }} }} }}"
    )
}

fn more_lines_query() -> String {
    format!(
        "query SwitchyardOrderLines($id: ID!, $after: String) {{ \
           order(id: $id) {{ lineItems(first: {MORE_LINES}, after: $after) {{ {LINE_FIELDS} }} }} }}"
    )
}

/// Requested cost of `orders_query` for `PAGE_SIZE` orders.
const ORDERS_COST: u32 =
    2 + (PAGE_SIZE as u32) * (1 + 2 + 1 + 1 + 2 + (2 + (LINES_PER_ORDER as u32) * 3));
const MORE_LINES_COST: u32 = 1 + 2 + (MORE_LINES as u32) * 3;

// Shopify refuses a query whose requested cost is above 1,000 points.
const _: () = assert!(ORDERS_COST <= 1000 && MORE_LINES_COST <= 1000);

/// The search filter for a sweep starting at `since` (whole seconds, rounded down: the
/// window overlaps rather than misses).
pub fn search_query(since: Option<DateTime<Utc>>) -> Option<String> {
    since.map(|s| {
        format!(
            "updated_at:>='{}'",
            s.to_rfc3339_opts(SecondsFormat::Secs, true)
        )
    })
}

pub async fn poll(client: &GraphqlClient, cursor: &PollCursor) -> Result<PollPage, ChannelError> {
    let vars = json!({
        "first": PAGE_SIZE,
        "after": cursor.page,
        "query": search_query(cursor.since),
    });
    let data = client
        .run("shopify orders poll", &orders_query(), vars, ORDERS_COST)
        .await?;
    let conn = data
        .get("orders")
        .ok_or_else(|| ChannelError::Decode("no `orders` in response".into()))?;
    let nodes = conn
        .get("nodes")
        .and_then(Value::as_array)
        .ok_or_else(|| ChannelError::Decode("no `orders.nodes` in response".into()))?;
    let mut page = PollPage::default();
    for node in nodes {
        let mut node = node.clone();
        complete_lines(client, &mut node).await?;
        page.orders.push(raw_order(&node));
        let updated = node
            .get("updatedAt")
            .and_then(Value::as_str)
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.with_timezone(&Utc));
        page.max_updated_at = page.max_updated_at.max(updated);
    }
    let has_next = conn
        .pointer("/pageInfo/hasNextPage")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if has_next {
        page.next_page = conn
            .pointer("/pageInfo/endCursor")
            .and_then(Value::as_str)
            .map(str::to_string);
    }
    Ok(page)
}

/// Wraps one polled node for the inbox, with the same dedup key its webhook copy gets.
pub fn raw_order(node: &Value) -> RawOrder {
    let identity = node.as_object().and_then(graphql_identity);
    let (external_id, dedup_key) = match identity {
        Some((id, key)) => (Some(id), key),
        // Kept for the normalizer to report; keyed by content so a re-poll dedups.
        None => (None, format!("unidentified:{}", content_hash(node))),
    };
    RawOrder {
        format: "graphql".into(),
        external_id,
        dedup_key,
        topic: "poll".into(),
        body: node.to_string().into_bytes(),
    }
}

fn content_hash(node: &Value) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(node.to_string().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Fetches the rest of an order's line items when the first page did not hold them all.
async fn complete_lines(client: &GraphqlClient, node: &mut Value) -> Result<(), ChannelError> {
    let mut after = match node.pointer("/lineItems/pageInfo") {
        Some(p) if p.get("hasNextPage").and_then(Value::as_bool) == Some(true) => p
            .get("endCursor")
            .and_then(Value::as_str)
            .map(str::to_string),
        _ => return Ok(()),
    };
    let Some(id) = node.get("id").and_then(Value::as_str).map(str::to_string) else {
        return Ok(());
    };
    while let Some(cursor) = after.take() {
        let data = client
            .run(
                "shopify order lines",
                &more_lines_query(),
                json!({ "id": id, "after": cursor }),
                MORE_LINES_COST,
            )
            .await?;
        let conn = data
            .pointer("/order/lineItems")
            .ok_or_else(|| ChannelError::Decode(format!("no line items for order {id}")))?;
        let more = conn
            .get("nodes")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if let Some(Value::Array(nodes)) = node.pointer_mut("/lineItems/nodes") {
            nodes.extend(more);
        }
        if conn
            .pointer("/pageInfo/hasNextPage")
            .and_then(Value::as_bool)
            == Some(true)
        {
            after = conn
                .pointer("/pageInfo/endCursor")
                .and_then(Value::as_str)
                .map(str::to_string);
        }
    }
    if let Some(info) = node.pointer_mut("/lineItems/pageInfo") {
        *info = json!({ "hasNextPage": false, "endCursor": null });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_query_is_utc_whole_seconds() {
        let t = DateTime::parse_from_rfc3339("2026-01-02T03:04:05.678-05:00")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            search_query(Some(t)).as_deref(),
            Some("updated_at:>='2026-01-02T08:04:05Z'")
        );
        assert_eq!(search_query(None), None);
    }
}
