//! Writing a return's refund back: Fulfillment API `issueRefund` with the returned lines
//! (`refundItems`: `lineItemId` and `refundAmount`), reason `BUYER_RETURN`, the key in
//! `comment`.
//!
//! eBay takes no idempotency key and `getOrder` does not show the comment, so the write is
//! "look, then issue if missing", retried as a pair: the order's refunds
//! (`paymentSummary.refunds`, and per line `lineItems.refunds`) are read first, and those
//! whose line amounts are exactly this refund's (same lines, same amounts, same total) are
//! counted. The store queued the refund with how many such refunds Switchyard had already
//! recorded on the order (`Refund::identical_refunded`); only when eBay holds more than that
//! did an earlier attempt of this refund land, so a second return of the same line for the
//! same amount is still refunded. Refusals (more than a line's remaining amount, an order that
//! cannot be refunded) are `Rejected`.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde_json::{Value, json};
use switchyard_core::ports::{ChannelError, Refund, RefundOutcome, two_places};

use crate::http::with_retry;

use super::client::EbayClient;
use super::orders::path_safe;

/// eBay's limit on `comment`.
const COMMENT_MAX: usize = 100;

fn amount_of(v: &Value) -> Option<Decimal> {
    v.pointer("/amount/value")
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
}

/// The refunds on the order with exactly this refund's line amounts, in the order's own
/// order (`paymentSummary.refunds`, then any it does not list).
pub fn identical(order: &Value, refund: &Refund) -> Vec<String> {
    // refundId → line → amount, from the lines' own refunds.
    let mut by_id: BTreeMap<String, BTreeMap<String, Decimal>> = BTreeMap::new();
    for item in order
        .get("lineItems")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(line) = item.get("lineItemId").and_then(Value::as_str) else {
            continue;
        };
        for r in item
            .get("refunds")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let (Some(id), Some(a)) = (r.get("refundId").and_then(Value::as_str), amount_of(r)) {
                *by_id
                    .entry(id.to_string())
                    .or_default()
                    .entry(line.to_string())
                    .or_default() += a;
            }
        }
    }
    let mut wanted: BTreeMap<String, Decimal> = BTreeMap::new();
    for l in &refund.lines {
        *wanted.entry(l.line_id.clone()).or_default() += l.amount.round_dp(2);
    }
    let order_level: Vec<(String, Option<Decimal>, Option<String>)> = order
        .pointer("/paymentSummary/refunds")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| {
            Some((
                r.get("refundId")?.as_str()?.to_string(),
                amount_of(r),
                r.get("refundStatus")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            ))
        })
        .collect();
    let mut ids: Vec<String> = by_id
        .into_iter()
        .filter(|(_, lines)| *lines == wanted)
        .map(|(id, _)| id)
        .filter(|id| {
            // Where the order lists it too, its total matches and it did not fail.
            order_level
                .iter()
                .find(|(o, ..)| o == id)
                .is_none_or(|(_, a, status)| {
                    a.is_none_or(|a| a == refund.amount.round_dp(2))
                        && status.as_deref() != Some("FAILED")
                })
        })
        .collect();
    let listed = |id: &String| order_level.iter().position(|(o, ..)| o == id);
    ids.sort_by_key(|id| listed(id).unwrap_or(usize::MAX));
    ids
}

/// This refund, when an earlier attempt made it: eBay holds more identical refunds than
/// Switchyard had recorded before queueing it (the newest beyond those is taken as it).
pub fn find(order: &Value, refund: &Refund) -> Option<String> {
    let prior = usize::try_from(refund.identical_refunded).unwrap_or(usize::MAX);
    identical(order, refund).into_iter().nth(prior)
}

pub fn body(refund: &Refund, key: &str) -> Value {
    let note = refund.note(key);
    let comment: String = note.chars().take(COMMENT_MAX).collect();
    let items: Vec<Value> = refund
        .lines
        .iter()
        .map(|l| {
            json!({
                "lineItemId": l.line_id,
                "refundAmount": { "value": two_places(l.amount), "currency": refund.currency },
            })
        })
        .collect();
    json!({ "reasonForRefund": "BUYER_RETURN", "comment": comment, "refundItems": items })
}

pub async fn refund(
    client: &EbayClient,
    refund: &Refund,
    key: &str,
) -> Result<RefundOutcome, ChannelError> {
    let id = path_safe(&refund.order_external_id)?;
    let order_path = format!("/sell/fulfillment/v1/order/{id}");
    let path = format!("{order_path}/issue_refund");
    let body = body(refund, key);
    with_retry(client.retry_policy(), &path, || async {
        let order = client.get_once(&order_path, &[]).await?;
        if let Some(refund_id) = find(&order, refund) {
            tracing::info!(order = %id, %refund_id, key, "ebay: refund already issued; nothing to do");
            return Ok(RefundOutcome::Refunded { refund_id });
        }
        let answer = client.post_once(&path, &body).await?;
        if answer.get("refundStatus").and_then(Value::as_str) == Some("FAILED") {
            return Err(ChannelError::Rejected(format!(
                "eBay refused the refund of order {id}: {answer}"
            )));
        }
        let refund_id = answer
            .get("refundId")
            .and_then(Value::as_str)
            .ok_or_else(|| ChannelError::Decode("issueRefund answered no refundId".into()))?;
        Ok(RefundOutcome::Refunded {
            refund_id: refund_id.to_string(),
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_core::ports::RefundLine;

    fn refund(amount: i64) -> Refund {
        Refund {
            order_external_id: "12-34".into(),
            currency: "USD".into(),
            lines: vec![RefundLine {
                line_id: "100".into(),
                quantity: 1,
                amount: Decimal::new(amount, 2),
            }],
            amount: Decimal::new(amount, 2),
            rma_id: 3,
            return_external_id: None,
            identical_refunded: 0,
        }
    }

    #[test]
    fn an_earlier_refund_is_found_by_its_lines_and_amounts() {
        let order = json!({
            "paymentSummary": { "refunds": [
                { "refundId": "R1", "refundStatus": "REFUNDED", "amount": { "value": "12.50", "currency": "USD" } },
                { "refundId": "R2", "refundStatus": "REFUNDED", "amount": { "value": "5.00", "currency": "USD" } } ] },
            "lineItems": [
                { "lineItemId": "100", "refunds": [ { "refundId": "R1", "amount": { "value": "12.50", "currency": "USD" } } ] },
                { "lineItemId": "101", "refunds": [ { "refundId": "R2", "amount": { "value": "5.00", "currency": "USD" } } ] } ]
        });
        assert_eq!(find(&order, &refund(1250)).as_deref(), Some("R1"));
        // Another amount, or the same amount on another line, is not it.
        assert_eq!(find(&order, &refund(1999)), None);
        let mut other_line = refund(500);
        other_line.lines[0].line_id = "100".into();
        assert_eq!(find(&order, &other_line), None);
        assert_eq!(find(&json!({"lineItems": []}), &refund(1250)), None);
    }

    #[test]
    fn identical_refunds_already_recorded_are_not_this_one() {
        let order = json!({
            "paymentSummary": { "refunds": [
                { "refundId": "R9", "refundStatus": "REFUNDED", "amount": { "value": "12.50", "currency": "USD" } },
                { "refundId": "R1", "refundStatus": "REFUNDED", "amount": { "value": "12.50", "currency": "USD" } } ] },
            "lineItems": [
                { "lineItemId": "100", "refunds": [
                    { "refundId": "R1", "amount": { "value": "12.50", "currency": "USD" } },
                    { "refundId": "R9", "amount": { "value": "12.50", "currency": "USD" } } ] } ]
        });
        let mut r = refund(1250);
        assert_eq!(identical(&order, &r), ["R9", "R1"], "the order's own order");
        assert_eq!(find(&order, &r).as_deref(), Some("R9"));
        r.identical_refunded = 1;
        assert_eq!(find(&order, &r).as_deref(), Some("R1"));
        r.identical_refunded = 2;
        assert_eq!(
            find(&order, &r),
            None,
            "both were earlier returns: refund again"
        );
    }

    #[test]
    fn the_request_names_lines_amounts_reason_and_key() {
        let b = body(&refund(1250), "refund:bay:3");
        assert_eq!(b["reasonForRefund"], "BUYER_RETURN");
        assert_eq!(b["refundItems"][0]["lineItemId"], "100");
        assert_eq!(b["refundItems"][0]["refundAmount"]["value"], "12.50");
        assert_eq!(b["refundItems"][0]["refundAmount"]["currency"], "USD");
        assert!(b["comment"].as_str().unwrap().contains("refund:bay:3"));
        assert!(b["comment"].as_str().unwrap().chars().count() <= COMMENT_MAX);
    }
}
