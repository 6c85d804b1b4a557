//! Writing a return's refund back: `refundCreate` with the returned line items (no restock by
//! Shopify: Switchyard restocked what came back and pushes the level) and the money as a
//! `REFUND` transaction against the order's successful sale or capture, same gateway.
//!
//! The refund's `note` carries the idempotency key; each call first reads the order's refunds
//! and returns the one holding the key, so a refund whose answer was lost is found, never made
//! twice. `userErrors` (more units than were bought, more money than was paid) are refusals.

use serde_json::{Value, json};
use switchyard_core::ports::{ChannelError, Refund, RefundOutcome, two_places};

use super::graphql::GraphqlClient;
use super::ids::to_gid;

/// Refunds and transactions of one order: 1 + 50 × 1 + 20 × 1 = 71 points; asked as 75.
const STATE_QUERY: &str = "query SwitchyardRefundState($id: ID!) { order(id: $id) { \
   id refunds(first: 50) { id note } transactions(first: 20) { id kind status gateway } } }";
const STATE_COST: u32 = 75;

const CREATE: &str = "mutation SwitchyardRefund($input: RefundInput!) { \
   refundCreate(input: $input) { refund { id } userErrors { field message } } }";
const CREATE_COST: u32 = 10;

/// The refund already made with this key.
fn find(order: &Value, key: &str) -> Option<String> {
    order
        .get("refunds")
        .and_then(Value::as_array)?
        .iter()
        .find(|r| {
            r.get("note")
                .and_then(Value::as_str)
                .is_some_and(|n| n.contains(key))
        })
        .and_then(|r| r.get("id").and_then(Value::as_str))
        .map(str::to_string)
}

/// The successful sale or capture a refund goes back through: (transaction id, gateway).
fn parent(order: &Value) -> Option<(String, String)> {
    order
        .get("transactions")
        .and_then(Value::as_array)?
        .iter()
        .find(|t| {
            matches!(
                t.get("kind").and_then(Value::as_str),
                Some("SALE" | "CAPTURE")
            ) && t.get("status").and_then(Value::as_str) == Some("SUCCESS")
        })
        .and_then(|t| {
            Some((
                t.get("id")?.as_str()?.to_string(),
                t.get("gateway")?.as_str()?.to_string(),
            ))
        })
}

pub fn input(
    refund: &Refund,
    key: &str,
    order_gid: &str,
    parent: &(String, String),
) -> Result<Value, ChannelError> {
    let mut lines = Vec::new();
    for l in &refund.lines {
        let id = to_gid("LineItem", &l.line_id).ok_or_else(|| {
            ChannelError::Rejected(format!("`{}` is not a Shopify line item id", l.line_id))
        })?;
        lines
            .push(json!({ "lineItemId": id, "quantity": l.quantity, "restockType": "NO_RESTOCK" }));
    }
    Ok(json!({
        "orderId": order_gid,
        "note": refund.note(key),
        "notify": true,
        "refundLineItems": lines,
        "transactions": [{
            "orderId": order_gid,
            "parentId": parent.0,
            "gateway": parent.1,
            "kind": "REFUND",
            "amount": two_places(refund.amount),
        }],
    }))
}

pub async fn refund(
    client: &GraphqlClient,
    refund: &Refund,
    key: &str,
) -> Result<RefundOutcome, ChannelError> {
    let order_gid = to_gid("Order", &refund.order_external_id).ok_or_else(|| {
        ChannelError::Rejected(format!(
            "`{}` is not a Shopify order id",
            refund.order_external_id
        ))
    })?;
    let data = client
        .run(
            "shopify refund state",
            STATE_QUERY,
            json!({ "id": order_gid }),
            STATE_COST,
        )
        .await?;
    let order = data
        .get("order")
        .filter(|o| o.is_object())
        .ok_or_else(|| ChannelError::Rejected(format!("order {order_gid} not found")))?;
    if let Some(refund_id) = find(order, key) {
        tracing::info!(order = %order_gid, %refund_id, "shopify: refund already made; nothing to do");
        return Ok(RefundOutcome::Refunded { refund_id });
    }
    let parent = parent(order).ok_or_else(|| {
        ChannelError::Rejected(format!(
            "order {order_gid} has no successful payment to refund"
        ))
    })?;
    let vars = json!({ "input": input(refund, key, &order_gid, &parent)? });
    let data = client
        .run("shopify refund create", CREATE, vars, CREATE_COST)
        .await?;
    let errors = data
        .pointer("/refundCreate/userErrors")
        .and_then(Value::as_array)
        .ok_or_else(|| ChannelError::Decode("no `refundCreate.userErrors`".into()))?;
    if !errors.is_empty() {
        let messages: Vec<&str> = errors
            .iter()
            .filter_map(|e| e.get("message").and_then(Value::as_str))
            .collect();
        return Err(ChannelError::Rejected(messages.join("; ")));
    }
    let refund_id = data
        .pointer("/refundCreate/refund/id")
        .and_then(Value::as_str)
        .ok_or_else(|| ChannelError::Decode("no `refundCreate.refund.id`".into()))?;
    Ok(RefundOutcome::Refunded {
        refund_id: refund_id.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use switchyard_core::ports::RefundLine;

    #[test]
    fn a_refund_goes_back_through_the_sale_and_is_found_by_its_key() {
        let order = json!({
            "refunds": [{ "id": "gid://shopify/Refund/7", "note": "Switchyard RMA 1 (refund:shop:1)" }],
            "transactions": [
                { "id": "gid://shopify/OrderTransaction/1", "kind": "AUTHORIZATION", "status": "SUCCESS", "gateway": "x" },
                { "id": "gid://shopify/OrderTransaction/2", "kind": "CAPTURE", "status": "SUCCESS", "gateway": "shopify_payments" } ]
        });
        assert_eq!(
            find(&order, "refund:shop:1").as_deref(),
            Some("gid://shopify/Refund/7")
        );
        assert_eq!(find(&order, "refund:shop:2"), None);
        let p = parent(&order).unwrap();
        assert_eq!(p.1, "shopify_payments");
        let r = Refund {
            order_external_id: "5".into(),
            currency: "USD".into(),
            lines: vec![RefundLine {
                line_id: "101".into(),
                quantity: 1,
                amount: Decimal::new(125, 1),
            }],
            amount: Decimal::new(125, 1),
            rma_id: 2,
            return_external_id: None,
            identical_refunded: 0,
        };
        let v = input(&r, "refund:shop:2", "gid://shopify/Order/5", &p).unwrap();
        assert_eq!(v["transactions"][0]["amount"], "12.50");
        assert_eq!(
            v["transactions"][0]["parentId"],
            "gid://shopify/OrderTransaction/2"
        );
        assert_eq!(
            v["refundLineItems"][0]["lineItemId"],
            "gid://shopify/LineItem/101"
        );
        assert!(v["note"].as_str().unwrap().contains("refund:shop:2"));
    }
}
