//! Authenticity and classification of WooCommerce webhooks.
//!
//! Deliveries carry `X-WC-Webhook-Signature` = base64(HMAC-SHA256(secret, raw body)). The one
//! unsigned request WooCommerce sends is the creation ping, a form body `webhook_id=N`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use switchyard_core::ports::{Delivery, IngestError, RawOrder, WebhookRequest};

use super::dedup::{dedup_key, order_id};

const SIGNATURE: &str = "x-wc-webhook-signature";
const TOPIC: &str = "x-wc-webhook-topic";

/// Checks the signature, then says whether the delivery is an order version to store.
pub fn verify(secret: &[u8], request: &WebhookRequest) -> Result<Delivery, IngestError> {
    let Some(signature) = request.header(SIGNATURE) else {
        if is_creation_ping(&request.body) {
            return Ok(Delivery::Acknowledge {
                reason: "webhook creation ping".into(),
            });
        }
        return Err(IngestError::BadSignature(
            "missing X-WC-Webhook-Signature".into(),
        ));
    };
    check_signature(secret, &request.body, signature)?;
    if is_creation_ping(&request.body) {
        return Ok(Delivery::Acknowledge {
            reason: "webhook creation ping".into(),
        });
    }
    let topic = request.header(TOPIC).unwrap_or("").trim().to_string();
    if !matches!(
        topic.as_str(),
        "order.created" | "order.updated" | "order.restored"
    ) {
        return Ok(Delivery::Acknowledge {
            reason: format!("topic `{topic}` is not an order version"),
        });
    }
    let order: Value = serde_json::from_slice(&request.body)
        .map_err(|e| IngestError::Unreadable(format!("not JSON: {e}")))?;
    if !order.is_object() {
        return Err(IngestError::Unreadable("expected a JSON object".into()));
    }
    Ok(Delivery::Order(RawOrder {
        format: "rest".into(),
        external_id: order_id(&order),
        dedup_key: dedup_key(Some(&order), &request.body),
        topic,
        body: request.body.clone(),
    }))
}

/// Exactly `webhook_id=<digits>`, the form body WooCommerce posts when a webhook is saved.
fn is_creation_ping(body: &[u8]) -> bool {
    body.strip_prefix(b"webhook_id=")
        .is_some_and(|id| !id.is_empty() && id.len() <= 20 && id.iter().all(u8::is_ascii_digit))
}

fn check_signature(secret: &[u8], body: &[u8], signature: &str) -> Result<(), IngestError> {
    let given = STANDARD
        .decode(signature.trim())
        .map_err(|_| IngestError::BadSignature("signature is not base64".into()))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret)
        .map_err(|_| IngestError::BadSignature("unusable webhook secret".into()))?;
    mac.update(body);
    let expected = mac.finalize().into_bytes();
    if bool::from(expected.as_slice().ct_eq(&given)) {
        Ok(())
    } else {
        Err(IngestError::BadSignature("signature does not match".into()))
    }
}

/// The signature WooCommerce would send for `body` (used by tests and the simulator's peers).
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mut mac) => {
            mac.update(body);
            STANDARD.encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"wh-secret";

    fn request(topic: Option<&str>, signature: Option<String>, body: &[u8]) -> WebhookRequest {
        let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
        if let Some(t) = topic {
            headers.push(("x-wc-webhook-topic".into(), t.into()));
        }
        if let Some(s) = signature {
            headers.push(("x-wc-webhook-signature".into(), s));
        }
        headers.push(("x-wc-webhook-delivery-id".into(), "77".into()));
        WebhookRequest {
            headers,
            body: body.to_vec(),
        }
    }

    const ORDER: &[u8] =
        br#"{"id":901,"status":"processing","date_modified_gmt":"2026-02-03T04:05:06"}"#;

    #[test]
    fn good_signature_on_an_order_topic_gives_the_order() {
        for topic in ["order.created", "order.updated", "order.restored"] {
            let req = request(Some(topic), Some(sign(SECRET, ORDER)), ORDER);
            let Ok(Delivery::Order(raw)) = verify(SECRET, &req) else {
                panic!("{topic} should be an order");
            };
            assert_eq!(raw.format, "rest");
            assert_eq!(raw.topic, topic);
            assert_eq!(raw.external_id.as_deref(), Some("901"));
            assert_eq!(raw.dedup_key, "901@2026-02-03T04:05:06Z");
            assert_eq!(raw.body, ORDER);
        }
    }

    #[test]
    fn bad_or_missing_signature_is_refused() {
        let wrong = sign(b"other", ORDER);
        for sig in [Some(wrong), Some("%%%".into()), None] {
            let req = request(Some("order.created"), sig, ORDER);
            assert!(matches!(
                verify(SECRET, &req),
                Err(IngestError::BadSignature(_))
            ));
        }
        // A tampered body fails even with the original signature.
        let req = request(
            Some("order.created"),
            Some(sign(SECRET, ORDER)),
            br#"{"id":902}"#,
        );
        assert!(matches!(
            verify(SECRET, &req),
            Err(IngestError::BadSignature(_))
        ));
    }

    #[test]
    fn the_unsigned_creation_ping_is_acknowledged_and_nothing_else_unsigned_is() {
        let req = request(None, None, b"webhook_id=15");
        assert!(matches!(
            verify(SECRET, &req),
            Ok(Delivery::Acknowledge { .. })
        ));
        for body in [
            &b"webhook_id="[..],
            b"webhook_id=15&x=1",
            b"webhook_id=abc",
            b"{}",
        ] {
            let req = request(None, None, body);
            assert!(
                matches!(verify(SECRET, &req), Err(IngestError::BadSignature(_))),
                "{body:?}"
            );
        }
    }

    #[test]
    fn other_topics_are_acknowledged() {
        let deleted = br#"{"id":901}"#;
        for topic in ["order.deleted", "product.updated", "coupon.created"] {
            let req = request(Some(topic), Some(sign(SECRET, deleted)), deleted);
            assert!(
                matches!(verify(SECRET, &req), Ok(Delivery::Acknowledge { .. })),
                "{topic}"
            );
        }
    }

    #[test]
    fn a_signed_body_that_is_not_an_object_is_unreadable() {
        for body in [&b"[1,2]"[..], b"not json"] {
            let req = request(Some("order.updated"), Some(sign(SECRET, body)), body);
            assert!(matches!(
                verify(SECRET, &req),
                Err(IngestError::Unreadable(_))
            ));
        }
    }

    #[test]
    fn an_order_without_id_or_date_is_still_stored_under_a_body_hash() {
        let body = br#"{"status":"processing"}"#;
        let req = request(Some("order.created"), Some(sign(SECRET, body)), body);
        let Ok(Delivery::Order(raw)) = verify(SECRET, &req) else {
            panic!("should be kept");
        };
        assert_eq!(raw.external_id, None);
        assert_eq!(raw.dedup_key.len(), 64);
    }
}
