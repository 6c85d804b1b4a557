//! Cancelling an order as the seller: `PUT /v2/orders/{id}` with `status_id: 5` (Cancelled,
//! orders.v2 `order_Put`). BigCommerce has no cancellation reason field, so the reason goes in
//! `staff_notes` (merchant-only) with the idempotency key. Whole orders only: V2 removes a
//! product by setting its quantity to 0, which rewrites the order rather than cancelling units.
//!
//! Safe to repeat: the order is read first; one already Cancelled (5) counts as done. One that
//! shipped (2 Shipped, 3 Partially Shipped, 10 Completed) or was refunded (4, 14) is refused.

use reqwest::Method;
use serde_json::{Value, json};
use switchyard_core::cancellation::ChannelCancel;
use switchyard_core::ports::ChannelError;

use super::client::BcClient;
use super::orders::parse_id;

/// `status_id` of Cancelled.
pub const CANCELLED: u64 = 5;

pub async fn cancel(
    client: &BcClient,
    request: &ChannelCancel,
    key: &str,
) -> Result<String, ChannelError> {
    if !request.whole {
        return Err(ChannelError::Rejected(
            "BigCommerce cancels only whole orders (status_id 5)".into(),
        ));
    }
    let id = parse_id(&request.order_external_id)?;
    let path = format!("v2/orders/{id}");
    let order = client
        .get(&path, &[])
        .await?
        .ok_or_else(|| ChannelError::Rejected(format!("order {id} does not exist")))?;
    let status = order.get("status_id").and_then(Value::as_u64).unwrap_or(0);
    match status {
        CANCELLED => return Ok("already cancelled (status_id 5)".into()),
        2 | 3 | 4 | 10 | 14 => {
            let name = order.get("status").and_then(Value::as_str).unwrap_or("?");
            return Err(ChannelError::Rejected(format!(
                "order {id} is {name} (status_id {status}) on BigCommerce; it cannot be cancelled"
            )));
        }
        _ => {}
    }
    let notes = format!(
        "Cancelled by the seller: {} (ref {key})",
        request.reason_code
    );
    client
        .send(
            Method::PUT,
            &path,
            &json!({"status_id": CANCELLED, "staff_notes": notes}),
        )
        .await?;
    Ok(format!("status_id 5 (was {status}); reason in staff_notes"))
}
