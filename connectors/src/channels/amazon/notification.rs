//! `ORDER_CHANGE` notifications delivered by an Amazon EventBridge API destination.
//!
//! SP-API notifications carry no signature of their own: the API destination's connection adds
//! an API-key header, whose value is the channel's `webhook_secret`. The notification only names
//! the order, so it becomes a thin delivery that the daemon completes with `fetch_order`.
//! EventBridge wraps the notification in its event envelope (`detail`); a bare notification (as
//! SQS or a relay would pass it) is accepted too.

use serde_json::Value;
use subtle::ConstantTimeEq;
use switchyard_core::ports::{Delivery, IngestError, RawOrder, THIN_FORMAT, WebhookRequest};

use super::dedup::body_hash;

/// Header the API destination's connection sends the key in.
pub const API_KEY_HEADER: &str = "x-api-key";
pub const ORDER_CHANGE: &str = "ORDER_CHANGE";

pub fn verify(api_key: Option<&[u8]>, request: &WebhookRequest) -> Result<Delivery, IngestError> {
    let Some(expected) = api_key.filter(|k| !k.is_empty()) else {
        return Err(IngestError::BadSignature(
            "no webhook_secret configured for Amazon notifications".into(),
        ));
    };
    let given = request
        .header(API_KEY_HEADER)
        .ok_or_else(|| IngestError::BadSignature(format!("missing {API_KEY_HEADER}")))?;
    if !bool::from(given.trim().as_bytes().ct_eq(expected)) {
        return Err(IngestError::BadSignature(format!(
            "{API_KEY_HEADER} does not match"
        )));
    }
    let event: Value = serde_json::from_slice(&request.body)
        .map_err(|e| IngestError::Unreadable(format!("not JSON: {e}")))?;
    let notification = match event.get("detail") {
        Some(detail) if detail.is_object() => detail,
        _ => &event,
    };
    let kind = notification
        .get("NotificationType")
        .and_then(Value::as_str)
        .or_else(|| event.get("detail-type").and_then(Value::as_str))
        .unwrap_or("");
    if kind != ORDER_CHANGE {
        return Ok(Delivery::Acknowledge {
            reason: format!("notification type `{kind}` is not an order change"),
        });
    }
    let order_id = notification
        .pointer("/Payload/OrderChangeNotification/AmazonOrderId")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .ok_or_else(|| {
            IngestError::Unreadable(
                "Payload.OrderChangeNotification.AmazonOrderId missing: nothing to fetch".into(),
            )
        })?;
    let dedup_key = notification
        .pointer("/NotificationMetadata/NotificationId")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(|id| format!("notification:{id}"))
        .unwrap_or_else(|| body_hash(&request.body));
    Ok(Delivery::Order(RawOrder {
        format: THIN_FORMAT.into(),
        external_id: Some(order_id.to_string()),
        dedup_key,
        topic: ORDER_CHANGE.into(),
        body: request.body.clone(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KEY: &[u8] = b"destination-key";

    fn notification(id: &str) -> Value {
        json!({
            "NotificationVersion": "1.0",
            "NotificationType": "ORDER_CHANGE",
            "PayloadVersion": "1.0",
            "EventTime": "2026-06-01T10:00:00.000Z",
            "Payload": {"OrderChangeNotification": {
                "NotificationLevel": "OrderLevel",
                "SellerId": "A1SELLER",
                "AmazonOrderId": "112-0000000-0000042",
                "OrderChangeType": "OrderStatusChange"
            }},
            "NotificationMetadata": {"NotificationId": id}
        })
    }

    fn request(key: Option<&str>, body: &Value) -> WebhookRequest {
        let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
        if let Some(k) = key {
            headers.push((API_KEY_HEADER.into(), k.into()));
        }
        WebhookRequest {
            headers,
            body: serde_json::to_vec(body).unwrap(),
        }
    }

    #[test]
    fn wrapped_and_bare_notifications_give_the_same_thin_delivery() {
        let bare = notification("n-1");
        let wrapped = json!({"version": "0", "id": "evt-9", "detail-type": "ORDER_CHANGE",
            "source": "aws.partner/sellingpartnerapi.amazon.com/amzn1.sellerapps.app.x",
            "detail": bare.clone()});
        let mut keys = Vec::new();
        for body in [&bare, &wrapped] {
            let Ok(Delivery::Order(raw)) =
                verify(Some(KEY), &request(Some("destination-key"), body))
            else {
                panic!("expected an order");
            };
            assert_eq!(raw.format, THIN_FORMAT);
            assert_eq!(raw.external_id.as_deref(), Some("112-0000000-0000042"));
            keys.push(raw.dedup_key);
        }
        assert_eq!(keys[0], keys[1]);
        assert_eq!(keys[0], "notification:n-1");
    }

    #[test]
    fn a_wrong_or_missing_key_or_no_configured_key_is_refused() {
        let body = notification("n-1");
        for (configured, given) in [
            (Some(KEY), Some("other")),
            (Some(KEY), None),
            (None, Some("destination-key")),
            (Some(&b""[..]), Some("")),
        ] {
            assert!(matches!(
                verify(configured, &request(given, &body)),
                Err(IngestError::BadSignature(_))
            ));
        }
    }

    #[test]
    fn other_types_are_acknowledged_and_orderless_changes_unreadable() {
        let mut other = notification("n-2");
        other["NotificationType"] = json!("LISTINGS_ITEM_MFN_QUANTITY_CHANGE");
        assert!(matches!(
            verify(Some(KEY), &request(Some("destination-key"), &other)),
            Ok(Delivery::Acknowledge { .. })
        ));
        let mut orderless = notification("n-3");
        orderless["Payload"]["OrderChangeNotification"]["AmazonOrderId"] = json!("");
        assert!(matches!(
            verify(Some(KEY), &request(Some("destination-key"), &orderless)),
            Err(IngestError::Unreadable(_))
        ));
    }

    #[test]
    fn a_notification_without_an_id_is_keyed_by_its_body() {
        let mut body = notification("x");
        body["NotificationMetadata"] = json!({});
        let Ok(Delivery::Order(raw)) = verify(Some(KEY), &request(Some("destination-key"), &body))
        else {
            panic!("expected an order");
        };
        assert_eq!(raw.dedup_key.len(), 64);
    }
}
