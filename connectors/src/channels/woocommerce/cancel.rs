//! Cancelling an order as the seller: WooCommerce has no cancellation call and no reason field
//! (REST API v3 `_orders.md`: `status` takes `cancelled`), so the reason goes first as a
//! private order note (`POST /orders/{id}/notes`, `customer_note: false`) carrying the
//! idempotency key, then `PUT /orders/{id}` `{"status": "cancelled"}`. Whole orders only.
//!
//! Safe to repeat: the note is looked for by its key before it is written, and an order already
//! `cancelled` is left as it is. An order `completed` or `refunded` (it shipped, or the money
//! went back) is refused: cancelling it would tell the buyer something untrue.

use reqwest::Method;
use serde_json::{Value, json};
use switchyard_core::cancellation::ChannelCancel;
use switchyard_core::ports::ChannelError;

use crate::http::with_retry;

use super::client::{WC, WooClient};

pub async fn cancel(
    client: &WooClient,
    request: &ChannelCancel,
    key: &str,
) -> Result<String, ChannelError> {
    if !request.whole {
        return Err(ChannelError::Rejected(
            "WooCommerce cancels only whole orders (status `cancelled`)".into(),
        ));
    }
    let id: u64 = request.order_external_id.trim().parse().map_err(|_| {
        ChannelError::Rejected(format!(
            "`{}` is not a WooCommerce order id",
            request.order_external_id
        ))
    })?;
    let path = format!("{WC}/orders/{id}");
    let (order, _) = client.get(&path, &[]).await?;
    let status = order.get("status").and_then(Value::as_str).unwrap_or("");
    match status {
        "cancelled" => return Ok("already cancelled".into()),
        "completed" | "refunded" => {
            return Err(ChannelError::Rejected(format!(
                "order {id} is `{status}` on WooCommerce; it cannot be cancelled"
            )));
        }
        _ => {}
    }
    add_reason_note(client, id, request, key).await?;
    client
        .send(Method::PUT, &path, &json!({"status": "cancelled"}))
        .await?;
    Ok(format!("status cancelled (was {status}); reason noted"))
}

/// The reason as a private note, once (found again by the key after a crash).
async fn add_reason_note(
    client: &WooClient,
    id: u64,
    request: &ChannelCancel,
    key: &str,
) -> Result<(), ChannelError> {
    let path = format!("{WC}/orders/{id}/notes");
    with_retry(client.retry_policy(), &path, || async {
        let (notes, _) = client
            .get_once(&path, &[("type", "internal".to_string())])
            .await?;
        let already = notes.as_array().is_some_and(|items| {
            items.iter().any(|n| {
                n.get("note")
                    .and_then(Value::as_str)
                    .is_some_and(|text| text.contains(key))
            })
        });
        if already {
            return Ok(());
        }
        let note = reason_note(request, key);
        client
            .send_once(
                Method::POST,
                &path,
                &json!({"note": note, "customer_note": false}),
            )
            .await
            .map(drop)
    })
    .await
}

/// The note's text: the reason in words and the key.
pub fn reason_note(request: &ChannelCancel, key: &str) -> String {
    format!(
        "Cancelled by the seller: {} (ref {key}).",
        request.reason_code
    )
}
