//! Cancelling an order as the seller: GraphQL `orderCancel` (admin_2025-04.graphql), whole
//! orders only — Shopify has no line cancellation (a line is refunded, not cancelled), so the
//! core's terms refuse line cancellations for Shopify before they reach here.
//!
//! `refund: true` (the buyer gets the money back; authorized payments are voided whatever it
//! says), `restock: false` (Switchyard keeps the stock record and pushes levels itself),
//! `notifyCustomer: true`, and the canonical reason in `staffNote`. Safe to repeat: the order is
//! read first, and one already cancelled counts as done.

use serde_json::{Value, json};
use switchyard_core::cancellation::ChannelCancel;
use switchyard_core::ports::ChannelError;

use super::graphql::GraphqlClient;
use super::ids::to_gid;

const STATE_QUERY: &str = "query SwitchyardCancelState($id: ID!) { order(id: $id) { \
   cancelledAt cancelReason } }";
const STATE_COST: u32 = 1;

const CANCEL: &str = "mutation SwitchyardCancel($orderId: ID!, $reason: OrderCancelReason!, \
   $refund: Boolean!, $restock: Boolean!, $notifyCustomer: Boolean, $staffNote: String) { \
   orderCancel(orderId: $orderId, reason: $reason, refund: $refund, restock: $restock, \
     notifyCustomer: $notifyCustomer, staffNote: $staffNote) { \
     job { id done } orderCancelUserErrors { field message code } } }";
const CANCEL_COST: u32 = 10;

pub async fn cancel(
    client: &GraphqlClient,
    request: &ChannelCancel,
) -> Result<String, ChannelError> {
    if !request.whole {
        return Err(ChannelError::Rejected(
            "Shopify cancels only whole orders (`orderCancel`)".into(),
        ));
    }
    let order_gid = to_gid("Order", &request.order_external_id).ok_or_else(|| {
        ChannelError::Rejected(format!(
            "`{}` is not a Shopify order id",
            request.order_external_id
        ))
    })?;
    let data = client
        .run(
            "shopify cancel state",
            STATE_QUERY,
            json!({ "id": order_gid }),
            STATE_COST,
        )
        .await?;
    let order = data
        .get("order")
        .filter(|o| o.is_object())
        .ok_or_else(|| ChannelError::Rejected(format!("order {order_gid} not found")))?;
    if let Some(at) = order.get("cancelledAt").and_then(Value::as_str) {
        let reason = order
            .get("cancelReason")
            .and_then(Value::as_str)
            .unwrap_or("?");
        return Ok(format!("already cancelled at {at} ({reason})"));
    }
    let vars = json!({
        "orderId": order_gid,
        "reason": request.reason_code,
        "refund": true,
        "restock": false,
        "notifyCustomer": true,
        "staffNote": format!("Switchyard cancellation {}: {}", request.cancellation_id, request.reason.label()),
    });
    let data = client
        .run("shopify order cancel", CANCEL, vars, CANCEL_COST)
        .await?;
    let errors = data
        .pointer("/orderCancel/orderCancelUserErrors")
        .and_then(Value::as_array)
        .ok_or_else(|| ChannelError::Decode("no `orderCancel.orderCancelUserErrors`".into()))?;
    if !errors.is_empty() {
        let messages: Vec<&str> = errors
            .iter()
            .filter_map(|e| e.get("message").and_then(Value::as_str))
            .collect();
        return Err(ChannelError::Rejected(messages.join("; ")));
    }
    let job = data
        .pointer("/orderCancel/job/id")
        .and_then(Value::as_str)
        .unwrap_or("?");
    Ok(format!("orderCancel {} (job {job})", request.reason_code))
}
