//! ShipBob webhooks from subscriptions on the dated API: Standard Webhooks signature (keyed with
//! the subscription's `whsec_…` secret), topic in `x-webhook-topic`, body the shipment
//! (`Orders.ShipmentViewModel`). A body shaped like an order (with `shipments`) is read too.
//! Topics Switchyard does not act on are acknowledged with no events.

use chrono::{DateTime, Utc};
use serde_json::Value;
use switchyard_core::fulfillment::TargetEvent;
use switchyard_core::ports::{IngestError, WebhookRequest};

use super::events::{SkuNames, order_events, shipment_events};
use crate::http::standard_webhooks;

const TOPIC: &str = "x-webhook-topic";
/// Shipment topics whose body says where the shipment stands now.
const SHIPMENT_TOPICS: [&str; 5] = [
    "order.shipped",
    "order.shipment.tracking.updated",
    "order.shipment.exception",
    "order.shipment.on_hold",
    "order.shipment.cancelled",
];

pub fn verify(
    key: &[u8],
    request: &WebhookRequest,
    names: &SkuNames,
) -> Result<Vec<TargetEvent>, IngestError> {
    verify_at(key, request, names, Utc::now())
}

/// [`verify`] against a given clock.
pub fn verify_at(
    key: &[u8],
    request: &WebhookRequest,
    names: &SkuNames,
    now: DateTime<Utc>,
) -> Result<Vec<TargetEvent>, IngestError> {
    standard_webhooks::verify(key, request, now)?;
    let topic = request.header(TOPIC).map(str::trim).unwrap_or("");
    if !SHIPMENT_TOPICS.contains(&topic) {
        tracing::debug!(topic, "shipbob webhook topic not acted on");
        return Ok(Vec::new());
    }
    let body: Value = serde_json::from_slice(&request.body)
        .map_err(|e| IngestError::Unreadable(format!("{topic}: not JSON: {e}")))?;
    let read = if body.get("shipments").is_some() {
        order_events(&body, names)
    } else {
        shipment_events(&body, names)
    };
    read.map_err(|e| IngestError::Unreadable(format!("{topic}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use switchyard_core::fulfillment::EventKind;

    const KEY: &[u8] = b"shipbob-key";

    fn signed(topic: &str, body: &Value, now: DateTime<Utc>) -> WebhookRequest {
        let body = serde_json::to_vec(body).unwrap();
        let ts = now.timestamp();
        WebhookRequest {
            headers: vec![
                ("webhook-id".into(), "msg_2xyz".into()),
                ("webhook-timestamp".into(), ts.to_string()),
                (
                    "webhook-signature".into(),
                    standard_webhooks::sign(KEY, "msg_2xyz", ts, &body),
                ),
                ("x-webhook-topic".into(), topic.into()),
            ],
            body,
        }
    }

    #[test]
    fn a_signed_shipment_webhook_gives_its_events_and_other_topics_none() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let shipment = json!({
            "id": 5, "order_id": 7, "reference_id": "shop:1", "status": "Completed",
            "tracking": {"carrier": "UPS", "tracking_number": "1Z", "shipping_date": "2026-01-01T00:00:00+00:00"},
            "products": [{"reference_id": "MUG", "inventory_items": [{"id": 1, "quantity": 1}]}],
        });
        let events = verify_at(
            KEY,
            &signed("order.shipped", &shipment, now),
            &SkuNames::default(),
            now,
        )
        .unwrap();
        assert!(matches!(events[0].kind, EventKind::Shipped { .. }));
        let none = verify_at(
            KEY,
            &signed("return.created", &json!({"id": 1}), now),
            &SkuNames::default(),
            now,
        );
        assert_eq!(none, Ok(Vec::new()));
        let mut forged = signed("order.shipped", &shipment, now);
        forged.body = br#"{"id":5}"#.to_vec();
        assert!(matches!(
            verify_at(KEY, &forged, &SkuNames::default(), now),
            Err(IngestError::BadSignature(_))
        ));
        let broken = signed("order.shipped", &json!({"id": 5}), now);
        let Err(IngestError::Unreadable(why)) = verify_at(KEY, &broken, &SkuNames::default(), now)
        else {
            panic!("a shipment without order_id is unreadable");
        };
        assert!(why.contains("order_id"), "{why}");
    }
}
