//! Writing a return's refund back: `POST /wc/v3/orders/{id}/refunds` with the returned line
//! items and their amounts, the payment refunded through the gateway (`api_refund: true`) and
//! no restock by WooCommerce (Switchyard restocked what came back and pushes the level).
//! Reference: developer.woocommerce.com/docs/apis/rest-api/v3/order-refunds.
//!
//! WooCommerce has no idempotency keys: the refund's `reason` carries the key, and each try
//! first lists the order's refunds for it, so a refund whose answer was lost is found, never
//! made twice. WooCommerce answers an over-refund with HTTP 500
//! `woocommerce_rest_cannot_create_order_refund`: a refusal, not an outage.

use reqwest::Method;
use serde_json::{Value, json};
use switchyard_core::ports::{ChannelError, Refund, RefundOutcome, two_places};

use crate::http::with_retry;

use super::client::{WC, WooClient, woo_error};

pub async fn refund(
    client: &WooClient,
    refund: &Refund,
    key: &str,
) -> Result<RefundOutcome, ChannelError> {
    let id: u64 = refund.order_external_id.trim().parse().map_err(|_| {
        ChannelError::Rejected(format!(
            "`{}` is not a WooCommerce order id",
            refund.order_external_id
        ))
    })?;
    let path = format!("{WC}/orders/{id}/refunds");
    let body = request_body(refund, key)?;
    with_retry(client.retry_policy(), &path, || async {
        let (existing, _) = client.get_once(&path, &[]).await?;
        if let Some(found) = find(&existing, key) {
            return Ok(RefundOutcome::Refunded { refund_id: found });
        }
        let created = client
            .send_once(Method::POST, &path, &body)
            .await
            .map_err(refused)?;
        let refund_id = created
            .get("id")
            .and_then(Value::as_u64)
            .ok_or_else(|| ChannelError::Decode("refund answer without an id".into()))?;
        Ok(RefundOutcome::Refunded {
            refund_id: refund_id.to_string(),
        })
    })
    .await
}

/// The refund already made with this key, from `GET /orders/{id}/refunds`.
fn find(refunds: &Value, key: &str) -> Option<String> {
    refunds
        .as_array()?
        .iter()
        .find(|r| {
            r.get("reason")
                .and_then(Value::as_str)
                .is_some_and(|reason| reason.contains(key))
        })
        .and_then(|r| r.get("id").and_then(Value::as_u64))
        .map(|id| id.to_string())
}

pub fn request_body(refund: &Refund, key: &str) -> Result<Value, ChannelError> {
    let mut lines = Vec::new();
    for l in &refund.lines {
        let line_id: u64 = l.line_id.trim().parse().map_err(|_| {
            ChannelError::Rejected(format!("`{}` is not a WooCommerce line item id", l.line_id))
        })?;
        lines.push(json!({
            "id": line_id,
            "quantity": l.quantity,
            // The reference types `refund_total` as a number.
            "refund_total": number(l.amount),
        }));
    }
    Ok(json!({
        "amount": two_places(refund.amount),
        "reason": refund.note(key),
        "api_refund": true,
        "api_restock": false,
        "line_items": lines,
    }))
}

fn number(amount: rust_decimal::Decimal) -> Value {
    use rust_decimal::prelude::ToPrimitive;
    amount
        .round_dp(2)
        .to_f64()
        .and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

/// WooCommerce's refusals of a refund come as HTTP 500 with their own code.
fn refused(err: ChannelError) -> ChannelError {
    match &err {
        ChannelError::Http { status: 500, body } => match woo_error(body) {
            Some((code, message)) if code.starts_with("woocommerce_rest_") => {
                ChannelError::Rejected(format!("HTTP 500 {code}: {message}"))
            }
            _ => err,
        },
        _ => err,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use switchyard_core::ports::RefundLine;

    #[test]
    fn the_key_rides_in_the_reason_and_finds_the_refund_again() {
        let r = Refund {
            order_external_id: "101".into(),
            currency: "USD".into(),
            lines: vec![RefundLine {
                line_id: "7".into(),
                quantity: 2,
                amount: Decimal::new(250, 1),
            }],
            amount: Decimal::new(2500, 2),
            rma_id: 3,
            return_external_id: None,
            identical_refunded: 0,
        };
        let body = request_body(&r, "refund:woo:3").unwrap();
        assert_eq!(body["amount"], "25.00");
        assert_eq!(body["line_items"][0]["id"], 7);
        assert_eq!(body["line_items"][0]["refund_total"], 25.0);
        assert_eq!(body["api_refund"], true);
        let listed = json!([{"id": 55, "reason": body["reason"]}, {"id": 9, "reason": "other"}]);
        assert_eq!(find(&listed, "refund:woo:3").as_deref(), Some("55"));
        assert_eq!(find(&listed, "refund:woo:4"), None);
        let over = ChannelError::Http {
            status: 500,
            body: r#"{"code":"woocommerce_rest_cannot_create_order_refund","message":"Invalid refund amount.","data":{"status":500}}"#.into(),
        };
        assert!(!refused(over).is_retryable());
    }
}
