//! Return requests the buyers opened, read through eBay's Post-Order API (not in
//! `../shared/specs`; read from eBay's published reference) so they arrive as expected RMAs:
//!
//! - `GET /post-order/v2/return/search` "retrieve[s] the details on one or more return
//!   requests" with filters ANDed together: `return_state` (a `ReturnCountFilterEnum`;
//!   `ALL_OPEN` is every open return request), `creation_date_range_from`/`_to`, `limit` and
//!   `offset` (the page number, from 1)
//!   (<https://developer.ebay.com/devzone/post-order/post-order_v2_return_search__get.html>,
//!   <https://developer.ebay.com/Devzone/post-order/types/ReturnCountFilterEnum.html>).
//! - The answer's `members[]` are `ReturnSummaryType`s: `returnId`, `orderId`, `state`, and
//!   `creationInfo` {`item` (`ReturnItemType`: `itemId`, `transactionId`, `returnQuantity`),
//!   `reason`, `creationDate`}
//!   (<https://developer.ebay.com/devzone/post-order/types/ReturnItemType.html>). One return
//!   request is for one order line item, named by its listing (`itemId`) and purchase
//!   (`transactionId`).
//! - The line: the Fulfillment API's `lineItemId` (what the normalizer keeps as the line id)
//!   is the purchase's legacy transaction id for current orders (its `legacyItemId` is the
//!   listing), so `transactionId` names the order line; a return whose order or line is not
//!   Switchyard's is left to the RMA rules, as for every channel.
//!
//! The cursor is `<since>|<page>`: the page while a sweep has more, then the newest
//! `creationDate` seen (the next sweep overlaps rather than misses; returns are keyed by
//! `returnId`, so a re-read creates nothing twice).

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde_json::Value;
use switchyard_core::ports::{ChannelError, ChannelReturn, ReturnsPage};

use super::client::EbayClient;

pub const SEARCH: &str = "/post-order/v2/return/search";
/// Return requests a page.
pub const PAGE_SIZE: u32 = 25;

/// (since, page) out of the stored cursor; page 1 when none.
fn split(cursor: Option<&str>) -> (Option<DateTime<Utc>>, u32) {
    let Some(c) = cursor else {
        return (None, 1);
    };
    let (since, page) = c.split_once('|').unwrap_or((c, ""));
    let since = DateTime::parse_from_rfc3339(since)
        .ok()
        .map(|t| t.with_timezone(&Utc));
    (since, page.parse().ok().filter(|p| *p >= 1).unwrap_or(1))
}

fn join(since: Option<DateTime<Utc>>, page: Option<u32>) -> Option<String> {
    if since.is_none() && page.is_none() {
        return None;
    }
    Some(format!(
        "{}|{}",
        since.map(|t| t.to_rfc3339()).unwrap_or_default(),
        page.map(|p| p.to_string()).unwrap_or_default()
    ))
}

/// eBay's ISO 8601 with milliseconds.
fn ebay_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// One search member as an expected return; `None` for a closed one or one that names no
/// order line.
pub fn member_return(member: &Value) -> Option<ChannelReturn> {
    if member
        .get("state")
        .and_then(Value::as_str)
        .is_some_and(|s| s == "CLOSED")
    {
        return None;
    }
    let id = member.get("returnId").and_then(Value::as_str)?;
    let order = member.get("orderId").and_then(Value::as_str)?;
    let item = member.pointer("/creationInfo/item")?;
    let line = item
        .get("transactionId")
        .and_then(Value::as_str)
        .filter(|t| !t.trim().is_empty())?;
    let qty = item
        .get("returnQuantity")
        .and_then(Value::as_u64)
        .and_then(|q| u32::try_from(q).ok())
        .filter(|q| *q > 0)?;
    let reason = member
        .pointer("/creationInfo/reason")
        .and_then(Value::as_str)
        .filter(|r| !r.is_empty() && *r != "OTHER")
        .map(|r| r.replace('_', " ").to_lowercase());
    Some(ChannelReturn {
        external_id: id.to_string(),
        order_external_id: order.to_string(),
        lines: vec![(line.trim().to_string(), qty)],
        reason,
    })
}

pub async fn poll(client: &EbayClient, cursor: Option<&str>) -> Result<ReturnsPage, ChannelError> {
    let (since, page_no) = split(cursor);
    let mut query = vec![
        ("return_state", "ALL_OPEN".to_string()),
        ("limit", PAGE_SIZE.to_string()),
        ("offset", page_no.to_string()),
    ];
    if let Some(since) = since {
        query.push(("creation_date_range_from", ebay_time(since)));
        query.push(("creation_date_range_to", ebay_time(Utc::now())));
    }
    let answer = client
        .post_order_once(Method::GET, SEARCH, &query, None)
        .await?;
    let members = match answer.get("members") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(m)) => m.clone(),
        Some(_) => {
            return Err(ChannelError::Decode(
                "`members` in a return search is not a list".into(),
            ));
        }
    };
    let mut page = ReturnsPage::default();
    let mut newest = since;
    for m in &members {
        match member_return(m) {
            Some(r) => page.returns.push(r),
            None => {
                let return_id = m.get("returnId").and_then(Value::as_str).unwrap_or("?");
                tracing::debug!(
                    return_id,
                    "ebay: a return request names no open order line; skipped"
                );
            }
        }
        let created = m
            .pointer("/creationInfo/creationDate/value")
            .or_else(|| m.pointer("/creationInfo/creationDate"))
            .and_then(Value::as_str)
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.with_timezone(&Utc));
        newest = newest.max(created);
    }
    let pages = answer
        .pointer("/paginationOutput/totalPages")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    page.next_cursor = if u64::from(page_no) < pages && !members.is_empty() {
        join(since, Some(page_no + 1))
    } else {
        join(newest, None)
    };
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_open_return_request_names_its_order_line_and_units() {
        let open = json!({
            "returnId": "5000012345", "orderId": "12-34567-89012", "state": "RETURN_REQUESTED",
            "creationInfo": {
                "item": { "itemId": "110012345", "transactionId": "10012345", "returnQuantity": 2 },
                "reason": "DEFECTIVE_ITEM",
                "creationDate": { "value": "2026-01-02T08:04:05.000Z" }
            }
        });
        assert_eq!(
            member_return(&open),
            Some(ChannelReturn {
                external_id: "5000012345".into(),
                order_external_id: "12-34567-89012".into(),
                lines: vec![("10012345".into(), 2)],
                reason: Some("defective item".into()),
            })
        );
        let mut closed = open.clone();
        closed["state"] = json!("CLOSED");
        assert_eq!(member_return(&closed), None);
        let mut no_line = open.clone();
        no_line["creationInfo"]["item"]["transactionId"] = json!("");
        assert_eq!(member_return(&no_line), None);
    }

    #[test]
    fn the_cursor_pages_within_a_sweep_then_moves_to_the_newest_creation() {
        assert_eq!(split(None), (None, 1));
        let t = DateTime::parse_from_rfc3339("2026-01-02T08:04:05Z")
            .unwrap()
            .with_timezone(&Utc);
        let c = join(Some(t), Some(3)).unwrap();
        assert_eq!(split(Some(&c)), (Some(t), 3));
        let c = join(Some(t), None).unwrap();
        assert_eq!(split(Some(&c)), (Some(t), 1));
        assert_eq!(split(Some("|2")), (None, 2));
        assert_eq!(join(None, None), None);
        assert_eq!(ebay_time(t), "2026-01-02T08:04:05.000Z");
    }
}
