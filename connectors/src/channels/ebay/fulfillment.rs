//! Writing a shipment back: `createShippingFulfillment` on the order.
//!
//! eBay takes no idempotency key, so the write is "look, then create if missing", and that
//! pair is what gets retried: a fulfillment whose response was lost carries the same tracking
//! number and is found on the next look (`getShippingFulfillments` lists it as
//! `shipmentTrackingNumber`).
//!
//! `shippingCarrierCode` is eBay's carrier enumeration (`ShippingCarrierCodeType`), from the
//! carrier table with the channel's `carriers:` on top; eBay has no field for a free carrier
//! name, so a carrier without a code is refused with its name before anything is sent.

use chrono::Utc;
use serde_json::{Value, json};
use switchyard_core::model::Shipment;
use switchyard_core::ports::ChannelError;

use switchyard_core::carriers::{CarrierCode, CarrierMap};

use crate::http::with_retry;

use super::client::EbayClient;
use super::orders::path_safe;

pub async fn write_back(
    client: &EbayClient,
    carriers: &CarrierMap,
    shipment: &Shipment,
    key: &str,
) -> Result<(), ChannelError> {
    let carrier = match carriers.resolve(&shipment.carrier) {
        Ok(CarrierCode::Code(code)) => code,
        Ok(other) => {
            return Err(ChannelError::Rejected(format!(
                "ebay carrier `{}` resolved to {other:?}, not a carrier code",
                shipment.carrier
            )));
        }
        Err(unknown) => return Err(ChannelError::Rejected(unknown.to_string())),
    };
    let id = path_safe(&shipment.order_external_id)?;
    let order_path = format!("/sell/fulfillment/v1/order/{id}");
    let path = format!("{order_path}/shipping_fulfillment");
    let line_items = match shipment.lines.is_empty() {
        false => shipment
            .lines
            .iter()
            .map(|l| json!({"lineItemId": l.line_id, "quantity": l.quantity}))
            .collect(),
        // eBay needs the lines; a shipment that names none ships the whole order.
        true => every_line(&client.get(&order_path, &[]).await?)?,
    };
    let body = json!({
        "lineItems": line_items,
        "shippedDate": shipment
            .shipped_at
            .with_timezone(&Utc)
            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string(),
        "shippingCarrierCode": carrier,
        "trackingNumber": shipment.tracking_number,
    });
    with_retry(client.retry_policy(), &path, || async {
        let existing = client.get_once(&path, &[]).await?;
        if has_tracking(&existing, &shipment.tracking_number) {
            tracing::debug!(key, "eBay already has this shipping fulfillment");
            return Ok(());
        }
        client.post_once(&path, &body).await.map(drop)
    })
    .await
}

fn has_tracking(fulfillments: &Value, tracking: &str) -> bool {
    fulfillments
        .get("fulfillments")
        .and_then(Value::as_array)
        .is_some_and(|items| {
            items
                .iter()
                .any(|f| f.get("shipmentTrackingNumber").and_then(Value::as_str) == Some(tracking))
        })
}

fn every_line(order: &Value) -> Result<Vec<Value>, ChannelError> {
    let items = order
        .get("lineItems")
        .and_then(Value::as_array)
        .ok_or_else(|| ChannelError::Decode("order without lineItems".into()))?;
    items
        .iter()
        .map(|item| {
            let id = item.get("lineItemId").and_then(Value::as_str);
            let quantity = item.get("quantity").and_then(Value::as_u64);
            match (id, quantity) {
                (Some(id), Some(q)) => Ok(json!({"lineItemId": id, "quantity": q})),
                _ => Err(ChannelError::Decode(
                    "line item without lineItemId or quantity".into(),
                )),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fulfillment_is_recognised_by_its_tracking_number() {
        let listed = json!({"fulfillments": [
            {"fulfillmentId": "9405", "shipmentTrackingNumber": "1Z999", "shippingCarrierCode": "UPS"}
        ], "total": 1});
        assert!(has_tracking(&listed, "1Z999"));
        assert!(!has_tracking(&listed, "1Z998"));
        assert!(!has_tracking(&json!({"total": 0}), "1Z999"));
    }

    #[test]
    fn every_line_ships_when_none_are_named() {
        let order = json!({"lineItems": [{"lineItemId": "1", "quantity": 2}]});
        assert_eq!(
            every_line(&order).unwrap(),
            vec![json!({"lineItemId": "1", "quantity": 2})]
        );
        assert!(every_line(&json!({})).is_err());
    }
}
