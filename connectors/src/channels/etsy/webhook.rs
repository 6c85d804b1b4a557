//! Etsy's `order.paid` webhook (commercial apps only). Etsy signs deliveries the Standard
//! Webhooks way: `webhook-signature` holds space-separated `v1,<base64 HMAC-SHA256(key,
//! "{webhook-id}.{webhook-timestamp}.{body}")>`; a `whsec_<base64>` secret is decoded, any other
//! is used as bytes. A timestamp more than five minutes away is refused (replay). The payload
//! is thin (`{event_type, resource_url, shop_id}`): the receipt id is read from `resource_url`
//! and the daemon fetches the receipt; the delivery itself is keyed by `webhook-id`, which a
//! retried delivery repeats.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use switchyard_core::ports::{Delivery, IngestError, RawOrder, THIN_FORMAT, WebhookRequest};

const TOLERANCE_SECS: i64 = 5 * 60;
const ORDER_EVENTS: [&str; 1] = ["order.paid"];

/// The key bytes for a configured secret.
pub fn signing_key(secret: &str) -> Result<Vec<u8>, String> {
    let secret = secret.trim();
    match secret.strip_prefix("whsec_") {
        Some(encoded) => STANDARD
            .decode(encoded)
            .map_err(|_| "webhook_secret starts with whsec_ but is not base64 after it".into()),
        None => Ok(secret.as_bytes().to_vec()),
    }
}

pub fn verify(key: Option<&[u8]>, request: &WebhookRequest) -> Result<Delivery, IngestError> {
    verify_at(key, request, Utc::now())
}

pub fn verify_at(
    key: Option<&[u8]>,
    request: &WebhookRequest,
    now: DateTime<Utc>,
) -> Result<Delivery, IngestError> {
    let key = key.ok_or_else(|| {
        IngestError::BadSignature("no webhook_secret configured for this Etsy channel".into())
    })?;
    let header = |name: &str| {
        request
            .header(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| IngestError::BadSignature(format!("missing {name} header")))
    };
    let id = header("webhook-id")?;
    let timestamp = header("webhook-timestamp")?;
    let signatures = header("webhook-signature")?;
    let sent: i64 = timestamp.parse().map_err(|_| {
        IngestError::BadSignature(format!("webhook-timestamp `{timestamp}` is not a number"))
    })?;
    if (now.timestamp() - sent).abs() > TOLERANCE_SECS {
        return Err(IngestError::BadSignature(
            "webhook-timestamp is more than five minutes from now".into(),
        ));
    }
    let expected = sign(key, id, timestamp, &request.body)?;
    let matches = signatures
        .split_whitespace()
        .filter_map(|s| s.strip_prefix("v1,"))
        .filter_map(|b64| STANDARD.decode(b64).ok())
        .any(|given| bool::from(expected.as_slice().ct_eq(&given)));
    if !matches {
        return Err(IngestError::BadSignature("signature does not match".into()));
    }
    classify(id, &request.body)
}

fn classify(webhook_id: &str, body: &[u8]) -> Result<Delivery, IngestError> {
    let payload: Value = serde_json::from_slice(body)
        .map_err(|e| IngestError::Unreadable(format!("not JSON: {e}")))?;
    let event = payload
        .get("event_type")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim()
        .to_string();
    if !ORDER_EVENTS.contains(&event.as_str()) {
        return Ok(Delivery::Acknowledge {
            reason: format!("event `{event}` is not an order version"),
        });
    }
    let external_id = payload
        .get("resource_url")
        .and_then(Value::as_str)
        .and_then(receipt_from_url);
    Ok(Delivery::Order(RawOrder {
        format: THIN_FORMAT.into(),
        external_id,
        dedup_key: format!("webhook:{webhook_id}"),
        topic: event,
        body: body.to_vec(),
    }))
}

/// `…/shops/{shop_id}/receipts/{receipt_id}` → the receipt id.
pub fn receipt_from_url(url: &str) -> Option<String> {
    let (_, rest) = url.split_once("/receipts/")?;
    let id: String = rest.chars().take_while(char::is_ascii_digit).collect();
    (!id.is_empty()).then_some(id)
}

/// `v1,<base64>` for a delivery (tests, simulators).
pub fn signature(key: &[u8], id: &str, timestamp: &str, body: &[u8]) -> Option<String> {
    sign(key, id, timestamp, body)
        .ok()
        .map(|mac| format!("v1,{}", STANDARD.encode(mac)))
}

fn sign(key: &[u8], id: &str, timestamp: &str, body: &[u8]) -> Result<Vec<u8>, IngestError> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key)
        .map_err(|_| IngestError::BadSignature("unusable webhook secret".into()))?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(mac.finalize().into_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(key: &[u8], id: &str, ts: i64, body: &str) -> WebhookRequest {
        let ts = ts.to_string();
        let sig = signature(key, id, &ts, body.as_bytes()).unwrap();
        WebhookRequest {
            headers: vec![
                ("webhook-id".into(), id.into()),
                ("webhook-timestamp".into(), ts),
                ("webhook-signature".into(), sig),
            ],
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn a_signed_order_paid_names_the_receipt() {
        let key = b"secret";
        let now = Utc::now();
        let body = r#"{"event_type":"order.paid","resource_url":"https://api.etsy.com/v3/application/shops/7/receipts/3012345678","shop_id":"7"}"#;
        let Ok(Delivery::Order(raw)) = verify_at(
            Some(key),
            &request(key, "msg_1", now.timestamp(), body),
            now,
        ) else {
            panic!("expected an order");
        };
        assert_eq!(raw.format, THIN_FORMAT);
        assert_eq!(raw.external_id.as_deref(), Some("3012345678"));
        assert_eq!(raw.dedup_key, "webhook:msg_1");
    }

    #[test]
    fn bad_or_stale_signatures_are_refused() {
        let now = Utc::now();
        let body = r#"{"event_type":"order.paid"}"#;
        let forged = request(b"other", "msg_1", now.timestamp(), body);
        assert!(verify_at(Some(b"secret"), &forged, now).is_err());
        let old = request(b"secret", "msg_1", now.timestamp() - 600, body);
        assert!(verify_at(Some(b"secret"), &old, now).is_err());
        assert!(verify_at(None, &old, now).is_err());
        assert_eq!(signing_key("whsec_c2VjcmV0").unwrap(), b"secret");
    }
}
