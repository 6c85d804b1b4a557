//! `POST /order/{id}:cancel`, made safe to repeat: the order is read first (already cancelled,
//! or shipped and so too late), and a 422 on the cancel itself is settled by reading it again.

use serde_json::Value;
use switchyard_core::fulfillment::{CancelOutcome, OrderRef};
use switchyard_core::ports::ChannelError;

use super::client::{SbClient, error_message};
use super::orders::{find_by_reference, get};
use super::submit::order_id;

/// What an order's state already says about cancelling it, if anything.
fn settled(order: &Value) -> Option<CancelOutcome> {
    if order.get("status").and_then(Value::as_str) == Some("Cancelled") {
        return Some(CancelOutcome::AlreadyCancelled);
    }
    let shipped = order
        .get("shipments")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|s| {
            matches!(
                s.get("status").and_then(Value::as_str),
                Some("Completed" | "LabeledCreated")
            )
        });
    shipped.then(|| CancelOutcome::TooLate {
        reason: "ShipBob has already labelled or shipped it".into(),
    })
}

pub async fn cancel(client: &SbClient, order: &OrderRef) -> Result<CancelOutcome, ChannelError> {
    let current = match &order.partner_order_id {
        Some(id) => get(client, id).await?,
        None => find_by_reference(client, &order.reference).await?,
    };
    let Some(current) = current else {
        return Err(ChannelError::Http {
            status: 404,
            body: format!("ShipBob has no order for `{}`", order.reference),
        });
    };
    if let Some(outcome) = settled(&current) {
        return Ok(outcome);
    }
    let id = order_id(&current)?;
    let answer = client
        .post_once(&format!("order/{id}:cancel"), None, &[422])
        .await?;
    if answer.status == 422 {
        // Cancelled or shipped between our read and the cancel.
        let now = get(client, &id).await?;
        return match now.as_ref().and_then(settled) {
            Some(outcome) => Ok(outcome),
            None => Err(ChannelError::Rejected(format!(
                "ShipBob refused to cancel order {id}: {}",
                error_message(&answer.body)
            ))),
        };
    }
    match answer.body.get("status").and_then(Value::as_str) {
        Some("Success") => Ok(CancelOutcome::Cancelled),
        Some("Failure" | "PartialSuccess") => {
            let reasons: Vec<&str> = answer
                .body
                .get("canceled_shipment_results")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|r| r.get("is_success").and_then(Value::as_bool) != Some(true))
                .filter_map(|r| r.get("reason").and_then(Value::as_str))
                .collect();
            Ok(CancelOutcome::TooLate {
                reason: if reasons.is_empty() {
                    "ShipBob could not cancel every shipment".into()
                } else {
                    reasons.join("; ")
                },
            })
        }
        other => Err(ChannelError::Decode(format!(
            "cancel answer has status {other:?}, expected Success, Failure or PartialSuccess"
        ))),
    }
}
