//! Writing a return's refund back through the V3 payment actions (`orders.v3.yml`): a refund
//! quote for the returned order products (`item_type: PRODUCT`, by quantity) gives the refund
//! methods; the refund is then made with the quote's first method, whose amounts must match
//! the quote (the spec's note: quote first "to best avoid a `422`").
//!
//! There is no idempotency key: each item's `reason` carries the key, and every try first lists
//! the order's refunds (`GET …/payment_actions/refunds`) for it, so a refund whose answer was
//! lost is found, never made twice. A 422 (more than is refundable) is a refusal.

use reqwest::Method;
use serde_json::{Value, json};
use switchyard_core::ports::{ChannelError, Refund, RefundOutcome};

use crate::http::with_retry;

use super::client::BcClient;
use super::orders::parse_id;

pub async fn refund(
    client: &BcClient,
    refund: &Refund,
    key: &str,
) -> Result<RefundOutcome, ChannelError> {
    let id = parse_id(&refund.order_external_id)?;
    let items = items(refund, key)?;
    with_retry(client.retry_policy(), "refund", || {
        refund_once(client, id, &items, key)
    })
    .await
}

async fn refund_once(
    client: &BcClient,
    id: u64,
    items: &[Value],
    key: &str,
) -> Result<RefundOutcome, ChannelError> {
    let path = format!("v3/orders/{id}/payment_actions/refunds");
    let existing = client
        .get_once(&path, &[])
        .await?
        .ok_or_else(|| ChannelError::Rejected(format!("order {id} does not exist")))?;
    if let Some(found) = find(&existing, key) {
        return Ok(RefundOutcome::Refunded { refund_id: found });
    }
    let quote_items: Vec<Value> = items
        .iter()
        .map(|i| json!({ "item_type": i["item_type"], "item_id": i["item_id"], "quantity": i["quantity"] }))
        .collect();
    let quote = client
        .send_once(
            Method::POST,
            &format!("v3/orders/{id}/payment_actions/refund_quotes"),
            &json!({ "items": quote_items }),
        )
        .await?;
    let payments = payments(&quote)?;
    let made = client
        .send_once(
            Method::POST,
            &path,
            &json!({ "items": items, "payments": payments }),
        )
        .await?;
    let refund_id = made
        .pointer("/data/id")
        .and_then(Value::as_u64)
        .ok_or_else(|| ChannelError::Decode("refund answer without `data.id`".into()))?;
    Ok(RefundOutcome::Refunded {
        refund_id: refund_id.to_string(),
    })
}

/// The refund items: each returned order product by quantity, the key in its reason.
pub fn items(refund: &Refund, key: &str) -> Result<Vec<Value>, ChannelError> {
    refund
        .lines
        .iter()
        .map(|l| {
            let item_id: u64 = l.line_id.trim().parse().map_err(|_| {
                ChannelError::Rejected(format!(
                    "`{}` is not a BigCommerce order product id",
                    l.line_id
                ))
            })?;
            Ok(json!({
                "item_type": "PRODUCT",
                "item_id": item_id,
                "quantity": l.quantity,
                "reason": refund.note(key),
            }))
        })
        .collect()
}

/// The refund already made with this key.
fn find(refunds: &Value, key: &str) -> Option<String> {
    refunds
        .get("data")
        .and_then(Value::as_array)?
        .iter()
        .find(|r| {
            r.get("items")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .any(|i| {
                    i.get("reason")
                        .and_then(Value::as_str)
                        .is_some_and(|reason| reason.contains(key))
                })
        })
        .and_then(|r| r.get("id").and_then(Value::as_u64))
        .map(|id| id.to_string())
}

/// The quote's first refund method as the refund's `payments`.
fn payments(quote: &Value) -> Result<Vec<Value>, ChannelError> {
    let method = quote
        .pointer("/data/refund_methods/0")
        .and_then(Value::as_array)
        .filter(|m| !m.is_empty())
        .ok_or_else(|| ChannelError::Rejected("the refund quote offers no refund method".into()))?;
    Ok(method
        .iter()
        .map(|o| {
            json!({
                "provider_id": o.get("provider_id").cloned().unwrap_or(Value::Null),
                "amount": o.get("amount").cloned().unwrap_or(Value::Null),
                "offline": o.get("offline").cloned().unwrap_or(Value::Bool(false)),
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use switchyard_core::ports::RefundLine;

    #[test]
    fn items_carry_the_key_and_the_quote_gives_the_payments() {
        let r = Refund {
            order_external_id: "120".into(),
            currency: "USD".into(),
            lines: vec![RefundLine {
                line_id: "31".into(),
                quantity: 1,
                amount: Decimal::new(3500, 2),
            }],
            amount: Decimal::new(3500, 2),
            rma_id: 4,
            return_external_id: None,
            identical_refunded: 0,
        };
        let items = items(&r, "refund:bc:4").unwrap();
        assert_eq!(items[0]["item_id"], 31);
        assert_eq!(items[0]["item_type"], "PRODUCT");
        let listed = json!({"data": [{"id": 12, "items": [{"reason": items[0]["reason"]}]}]});
        assert_eq!(find(&listed, "refund:bc:4").as_deref(), Some("12"));
        assert_eq!(find(&listed, "refund:bc:5"), None);
        let quote = json!({"data": {"refund_methods": [[{"provider_id": "braintree", "amount": 35.0, "offline": false, "offline_provider": false}]]}});
        let p = payments(&quote).unwrap();
        assert_eq!(p[0]["provider_id"], "braintree");
        assert_eq!(p[0]["amount"], 35.0);
        assert!(payments(&json!({"data": {"refund_methods": []}})).is_err());
    }
}
