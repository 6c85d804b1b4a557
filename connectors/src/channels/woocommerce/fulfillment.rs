//! Writing a shipment back: tracking through the Shipment Tracking extension when the site has
//! it, else a customer note, then status `completed` once every line has shipped.
//!
//! WooCommerce has no idempotency keys, so every write is "look, then write if missing", and
//! that pair is what gets retried: a create whose response was lost is found on the next look.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{Value, json};
use switchyard_core::model::Shipment;
use switchyard_core::ports::ChannelError;

use crate::http::with_retry;

use super::client::{WC, WooClient, is_no_route};

const TRACKING: &str = "wc-shipment-tracking/v3";

pub async fn write_back(
    client: &WooClient,
    shipment: &Shipment,
    key: &str,
) -> Result<(), ChannelError> {
    let id = order_id(&shipment.order_external_id)?;
    match add_tracking(client, id, shipment).await {
        Ok(()) => {}
        Err(err) if is_no_route(&err) => add_note(client, id, shipment, key).await?,
        Err(err) => return Err(err),
    }
    complete_if_shipped(client, id, shipment).await
}

/// Order ids are numbers; refusing anything else keeps the URL path clean.
fn order_id(text: &str) -> Result<u64, ChannelError> {
    text.trim()
        .parse()
        .map_err(|_| ChannelError::Rejected(format!("`{text}` is not a WooCommerce order id")))
}

async fn add_tracking(
    client: &WooClient,
    id: u64,
    shipment: &Shipment,
) -> Result<(), ChannelError> {
    let path = format!("{TRACKING}/orders/{id}/shipment-trackings");
    with_retry(client.retry_policy(), &path, || async {
        let (existing, _) = client.get_once(&path, &[]).await?;
        let already = existing.as_array().is_some_and(|items| {
            items.iter().any(|t| {
                t.get("tracking_number").and_then(Value::as_str)
                    == Some(shipment.tracking_number.as_str())
            })
        });
        if already {
            return Ok(());
        }
        let body = json!({
            "tracking_provider": shipment.carrier,
            "tracking_number": shipment.tracking_number,
            "date_shipped": shipment.shipped_at.format("%Y-%m-%d").to_string(),
        });
        client.send_once(Method::POST, &path, &body).await.map(drop)
    })
    .await
}

/// Core WooCommerce's only place for tracking: a note the customer sees and is e-mailed.
async fn add_note(
    client: &WooClient,
    id: u64,
    shipment: &Shipment,
    key: &str,
) -> Result<(), ChannelError> {
    let path = format!("{WC}/orders/{id}/notes");
    with_retry(client.retry_policy(), &path, || async {
        let (notes, _) = client
            .get_once(&path, &[("type", "customer".to_string())])
            .await?;
        let already = notes.as_array().is_some_and(|items| {
            items.iter().any(|n| {
                n.get("note")
                    .and_then(Value::as_str)
                    .is_some_and(|text| text.contains(shipment.tracking_number.as_str()))
            })
        });
        if already {
            return Ok(());
        }
        let note = format!(
            "Shipped with {} on {}, tracking number {} (ref {key}).",
            shipment.carrier,
            shipment.shipped_at.format("%Y-%m-%d"),
            shipment.tracking_number
        );
        client
            .send_once(
                Method::POST,
                &path,
                &json!({"note": note, "customer_note": true}),
            )
            .await
            .map(drop)
    })
    .await
}

/// Marks the order `completed` when this shipment covers every line (or names no lines).
/// An order already completed, or closed another way, is left as it is.
async fn complete_if_shipped(
    client: &WooClient,
    id: u64,
    shipment: &Shipment,
) -> Result<(), ChannelError> {
    let path = format!("{WC}/orders/{id}");
    let (order, _) = client.get(&path, &[]).await?;
    let status = order.get("status").and_then(Value::as_str).unwrap_or("");
    if !matches!(status, "processing" | "on-hold" | "pending") {
        return Ok(());
    }
    if !covers_every_line(&order, shipment) {
        return Ok(());
    }
    client
        .send(Method::PUT, &path, &json!({"status": "completed"}))
        .await
        .map(drop)
}

fn covers_every_line(order: &Value, shipment: &Shipment) -> bool {
    if shipment.lines.is_empty() {
        return true;
    }
    let mut shipped: BTreeMap<&str, u64> = BTreeMap::new();
    for line in &shipment.lines {
        *shipped.entry(line.line_id.as_str()).or_default() += u64::from(line.quantity);
    }
    let Some(items) = order.get("line_items").and_then(Value::as_array) else {
        return false;
    };
    items.iter().all(|item| {
        let id = item
            .get("id")
            .and_then(Value::as_u64)
            .map(|i| i.to_string());
        let quantity = item.get("quantity").and_then(Value::as_u64).unwrap_or(0);
        id.is_some_and(|id| shipped.get(id.as_str()).copied().unwrap_or(0) >= quantity)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;
    use switchyard_core::model::ShippedLine;

    fn shipment(lines: &[(&str, u32)]) -> Shipment {
        Shipment {
            order_external_id: "12".into(),
            carrier: "UPS".into(),
            tracking_number: "1Z".into(),
            shipped_at: DateTime::parse_from_rfc3339("2026-01-02T03:04:05-05:00").unwrap(),
            lines: lines
                .iter()
                .map(|(id, q)| ShippedLine {
                    line_id: (*id).into(),
                    quantity: *q,
                })
                .collect(),
        }
    }

    #[test]
    fn completion_needs_every_line_fully_shipped() {
        let order = json!({"line_items": [{"id": 1, "quantity": 2}, {"id": 2, "quantity": 1}]});
        assert!(covers_every_line(&order, &shipment(&[])));
        assert!(covers_every_line(&order, &shipment(&[("1", 2), ("2", 1)])));
        assert!(!covers_every_line(&order, &shipment(&[("1", 1), ("2", 1)])));
        assert!(!covers_every_line(&order, &shipment(&[("1", 2)])));
    }

    #[test]
    fn order_ids_must_be_numbers() {
        assert_eq!(order_id(" 42 ").ok(), Some(42));
        assert!(matches!(
            order_id("42/../x"),
            Err(ChannelError::Rejected(_))
        ));
    }
}
