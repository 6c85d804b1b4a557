//! Webhook authenticity and classification. Pure: headers and body in, a delivery out.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use switchyard_core::ports::{Delivery, IngestError, RawOrder, WebhookRequest};

use super::dedup::rest_identity;
use super::normalize::unwrap_order;

/// Topics whose body is a full order.
const ORDER_TOPICS: &[&str] = &[
    "orders/create",
    "orders/updated",
    "orders/cancelled",
    "orders/paid",
    "orders/fulfilled",
    "orders/partially_fulfilled",
];

/// Shopify's newer deliveries drop the `X-` prefix; accept both.
fn header<'a>(request: &'a WebhookRequest, name: &str) -> Option<&'a str> {
    request
        .header(&format!("x-{name}"))
        .or_else(|| request.header(name))
        .map(str::trim)
}

/// Base64 HMAC-SHA256 of the body keyed with the app's client secret.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        // HMAC takes keys of any length; this arm is unreachable but must not panic.
        return String::new();
    };
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Checks the signature in constant time, then classifies the delivery.
pub fn verify(secret: &str, request: &WebhookRequest) -> Result<Delivery, IngestError> {
    let given = header(request, "shopify-hmac-sha256")
        .ok_or_else(|| IngestError::BadSignature("no Shopify-Hmac-Sha256 header".into()))?;
    let expected = signature(secret, &request.body);
    let matches: bool = expected.as_bytes().ct_eq(given.as_bytes()).into();
    if expected.is_empty() || !matches {
        return Err(IngestError::BadSignature(
            "HMAC does not match the body".into(),
        ));
    }
    let topic = header(request, "shopify-topic")
        .unwrap_or_default()
        .to_string();
    let value: Value = serde_json::from_slice(&request.body)
        .map_err(|e| IngestError::Unreadable(format!("body is not JSON: {e}")))?;
    if !value.is_object() {
        return Err(IngestError::Unreadable("body is not a JSON object".into()));
    }
    if !ORDER_TOPICS.contains(&topic.as_str()) {
        return Ok(Delivery::Acknowledge {
            reason: format!("topic `{topic}` is not an order topic"),
        });
    }
    let identity = unwrap_order(&value).ok().and_then(rest_identity);
    let (external_id, dedup_key) = match identity {
        Some((id, key)) => (Some(id), key),
        // Kept, not dropped: the normalizer will name what is missing.
        None => {
            let webhook_id = header(request, "shopify-webhook-id").ok_or_else(|| {
                IngestError::Unreadable("order id/updated_at unreadable and no webhook id".into())
            })?;
            (None, webhook_id.to_string())
        }
    };
    Ok(Delivery::Order(RawOrder {
        format: "rest".into(),
        external_id,
        dedup_key,
        topic,
        body: request.body.clone(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "hush";

    fn request(headers: &[(&str, &str)], body: &str) -> WebhookRequest {
        WebhookRequest {
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    const BODY: &str =
        r#"{"id":820982911946154508,"updated_at":"2026-02-03T04:05:06-05:00","line_items":[]}"#;

    #[test]
    fn good_signature_gives_an_order_with_the_utc_dedup_key() {
        let sig = signature(SECRET, BODY.as_bytes());
        let req = request(
            &[
                ("x-shopify-hmac-sha256", &sig),
                ("x-shopify-topic", "orders/create"),
            ],
            BODY,
        );
        let Delivery::Order(raw) = verify(SECRET, &req).unwrap() else {
            panic!("expected an order");
        };
        assert_eq!(raw.format, "rest");
        assert_eq!(raw.topic, "orders/create");
        assert_eq!(raw.external_id.as_deref(), Some("820982911946154508"));
        assert_eq!(raw.dedup_key, "820982911946154508@2026-02-03T09:05:06Z");
    }

    #[test]
    fn unprefixed_headers_are_accepted() {
        let sig = signature(SECRET, BODY.as_bytes());
        let req = request(
            &[
                ("shopify-hmac-sha256", &sig),
                ("shopify-topic", "orders/cancelled"),
            ],
            BODY,
        );
        assert!(matches!(verify(SECRET, &req), Ok(Delivery::Order(_))));
    }

    #[test]
    fn bad_or_missing_signatures_are_refused() {
        let wrong = signature("other", BODY.as_bytes());
        for headers in [
            vec![
                ("x-shopify-hmac-sha256", wrong.as_str()),
                ("x-shopify-topic", "orders/create"),
            ],
            vec![
                ("x-shopify-hmac-sha256", "short"),
                ("x-shopify-topic", "orders/create"),
            ],
            vec![("x-shopify-topic", "orders/create")],
        ] {
            let err = verify(SECRET, &request(&headers, BODY)).unwrap_err();
            assert!(matches!(err, IngestError::BadSignature(_)), "{err:?}");
        }
        // A tampered body fails with the original signature.
        let sig = signature(SECRET, BODY.as_bytes());
        let tampered = BODY.replace("820982911946154508", "820982911946154509");
        let req = request(&[("x-shopify-hmac-sha256", &sig)], &tampered);
        assert!(matches!(
            verify(SECRET, &req),
            Err(IngestError::BadSignature(_))
        ));
    }

    #[test]
    fn other_topics_are_acknowledged_and_non_objects_refused() {
        let sig = signature(SECRET, BODY.as_bytes());
        let req = request(
            &[
                ("x-shopify-hmac-sha256", &sig),
                ("x-shopify-topic", "products/update"),
            ],
            BODY,
        );
        assert!(matches!(
            verify(SECRET, &req),
            Ok(Delivery::Acknowledge { .. })
        ));
        let body = "[1,2]";
        let sig = signature(SECRET, body.as_bytes());
        let req = request(
            &[
                ("x-shopify-hmac-sha256", &sig),
                ("x-shopify-topic", "orders/create"),
            ],
            body,
        );
        assert!(matches!(
            verify(SECRET, &req),
            Err(IngestError::Unreadable(_))
        ));
    }

    #[test]
    fn unreadable_identity_falls_back_to_the_webhook_id() {
        let body = r#"{"order_number":1001}"#;
        let sig = signature(SECRET, body.as_bytes());
        let req = request(
            &[
                ("shopify-hmac-sha256", &sig),
                ("shopify-topic", "orders/updated"),
                ("shopify-webhook-id", "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"),
            ],
            body,
        );
        let Delivery::Order(raw) = verify(SECRET, &req).unwrap() else {
            panic!("expected an order");
        };
        assert_eq!(raw.external_id, None);
        assert_eq!(raw.dedup_key, "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043");
    }
}
