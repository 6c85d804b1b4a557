//! Writing a return's refund back: `POST /v3/orders/{purchaseOrderId}/refund` (`orders.json`,
//! OrderRefund), per returned order line one refund with a PRODUCT charge of minus the line's
//! returned amount, reason "Customer returned item", and the idempotency key in
//! `refundComments`. Walmart has no idempotency key: the order is read first and a line whose
//! `refund.refundComments` already holds the key means the refund was made (perhaps before a
//! crash); read and write are retried together. A 400 (more than is refundable, a line not
//! shipped) is a refusal.

use reqwest::Method;
use serde_json::{Value, json};
use switchyard_core::ports::{ChannelError, Refund, RefundOutcome};

use super::client::{WalmartClient, encode};
use super::normalize::unwrap_order;
use super::throttle::Api;
use crate::http::with_retry;

pub async fn refund(
    client: &WalmartClient,
    refund: &Refund,
    key: &str,
) -> Result<RefundOutcome, ChannelError> {
    let body = request_body(refund, key)?;
    with_retry(client.retry_policy(), "walmart refund", || {
        refund_once(client, refund, key, &body)
    })
    .await
}

async fn refund_once(
    client: &WalmartClient,
    refund: &Refund,
    key: &str,
    body: &Value,
) -> Result<RefundOutcome, ChannelError> {
    let path = format!("/v3/orders/{}", encode(&refund.order_external_id));
    let order = client
        .call_once(Api::OneOrder, Method::GET, &path, None)
        .await?;
    if let Some(found) = find(unwrap_order(&order), key) {
        return Ok(RefundOutcome::Refunded { refund_id: found });
    }
    let answer = client
        .call_once(
            Api::Refund,
            Method::POST,
            &format!("{path}/refund"),
            Some(body),
        )
        .await?;
    let refund_id = find(unwrap_order(&answer), key).ok_or_else(|| {
        ChannelError::Decode("the refund answer shows no refund with our key".into())
    })?;
    Ok(RefundOutcome::Refunded { refund_id })
}

/// The refund id of a line whose refund comments hold the key.
fn find(order: &Value, key: &str) -> Option<String> {
    order
        .pointer("/orderLines/orderLine")
        .and_then(Value::as_array)?
        .iter()
        .filter_map(|l| l.get("refund"))
        .find(|r| {
            r.get("refundComments")
                .and_then(Value::as_str)
                .is_some_and(|c| c.contains(key))
        })
        .and_then(|r| r.get("refundId").and_then(Value::as_str))
        .map(str::to_string)
}

pub fn request_body(refund: &Refund, key: &str) -> Result<Value, ChannelError> {
    use rust_decimal::prelude::ToPrimitive;
    let mut lines = Vec::new();
    for l in &refund.lines {
        let amount = (-l.amount.round_dp(2))
            .to_f64()
            .ok_or_else(|| ChannelError::Rejected(format!("amount {} cannot be sent", l.amount)))?;
        lines.push(json!({
            "lineNumber": l.line_id,
            "isFullRefund": false,
            "refunds": {"refund": [{
                "refundComments": refund.note(key),
                "refundCharges": {"refundCharge": [{
                    "refundReason": "Customer returned item",
                    "charge": {
                        "chargeType": "PRODUCT",
                        "chargeName": "Item Price",
                        "chargeAmount": {"currency": refund.currency, "amount": amount},
                    },
                }]},
            }]},
        }));
    }
    Ok(json!({"orderRefund": {
        "purchaseOrderId": refund.order_external_id,
        "orderLines": {"orderLine": lines},
    }}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use switchyard_core::ports::RefundLine;

    #[test]
    fn the_key_rides_in_the_comments_and_the_amount_is_negative() {
        let r = Refund {
            order_external_id: "1796277083022".into(),
            currency: "USD".into(),
            lines: vec![RefundLine {
                line_id: "1".into(),
                quantity: 1,
                amount: Decimal::new(1250, 2),
            }],
            amount: Decimal::new(1250, 2),
            rma_id: 9,
            return_external_id: None,
            identical_refunded: 0,
        };
        let body = request_body(&r, "refund:wm:9").unwrap();
        let line = &body["orderRefund"]["orderLines"]["orderLine"][0];
        assert_eq!(line["lineNumber"], "1");
        let charge = &line["refunds"]["refund"][0]["refundCharges"]["refundCharge"][0];
        assert_eq!(charge["charge"]["chargeAmount"]["amount"], -12.5);
        let comments = line["refunds"]["refund"][0]["refundComments"].clone();
        let order = json!({"orderLines": {"orderLine": [
            {"lineNumber": "1", "refund": {"refundId": "R7", "refundComments": comments}}]}});
        assert_eq!(find(&order, "refund:wm:9").as_deref(), Some("R7"));
        assert_eq!(find(&order, "refund:wm:8"), None);
    }
}
