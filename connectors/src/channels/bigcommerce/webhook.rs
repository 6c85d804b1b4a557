//! Authenticity and classification of BigCommerce webhooks.
//!
//! BigCommerce signs callbacks the Standard Webhooks way: `webhook-signature` holds one or more
//! space-separated `v1,<base64 HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{body}")>`,
//! keyed with the app's client secret. A key written `whsec_<base64>` (the Standard Webhooks
//! form) is decoded; BigCommerce hands out the client secret as plain text, whose bytes are the
//! key. A timestamp more than five minutes away from now is refused, so a captured delivery
//! cannot be replayed later.
//!
//! Payloads are thin (`{scope, store_id, data: {type, id}, hash, created_at, producer}`); a
//! duplicate firing repeats `hash`, which is therefore the inbox key.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use switchyard_core::ports::{Delivery, IngestError, RawOrder, THIN_FORMAT, WebhookRequest};

use super::dedup::body_hash;
use super::normalize::id_text;

const ID: &str = "webhook-id";
const TIMESTAMP: &str = "webhook-timestamp";
const SIGNATURE: &str = "webhook-signature";
/// Standard Webhooks' replay window.
const TOLERANCE_SECS: i64 = 5 * 60;
/// Scopes that mean "this order has a new version".
const ORDER_SCOPES: [&str; 3] = [
    "store/order/created",
    "store/order/updated",
    "store/order/statusUpdated",
];

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

/// Checks the signature and freshness, then says whether the delivery names an order version.
pub fn verify(key: &[u8], request: &WebhookRequest) -> Result<Delivery, IngestError> {
    verify_at(key, request, Utc::now())
}

/// [`verify`] against a given clock.
pub fn verify_at(
    key: &[u8],
    request: &WebhookRequest,
    now: DateTime<Utc>,
) -> Result<Delivery, IngestError> {
    let header = |name: &str| {
        request
            .header(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| IngestError::BadSignature(format!("missing {name} header")))
    };
    let id = header(ID)?;
    let timestamp = header(TIMESTAMP)?;
    let signatures = header(SIGNATURE)?;
    let sent: i64 = timestamp.parse().map_err(|_| {
        IngestError::BadSignature(format!("{TIMESTAMP} `{timestamp}` is not a number"))
    })?;
    if (now.timestamp() - sent).abs() > TOLERANCE_SECS {
        return Err(IngestError::BadSignature(format!(
            "{TIMESTAMP} {sent} is more than five minutes from now"
        )));
    }
    let expected = mac(key, id, timestamp, &request.body)?;
    let matches = signatures
        .split_whitespace()
        .filter_map(|s| s.strip_prefix("v1,"))
        .filter_map(|b64| STANDARD.decode(b64).ok())
        .any(|given| bool::from(expected.as_slice().ct_eq(&given)));
    if !matches {
        return Err(IngestError::BadSignature("signature does not match".into()));
    }
    classify(&request.body)
}

fn classify(body: &[u8]) -> Result<Delivery, IngestError> {
    let payload: Value = serde_json::from_slice(body)
        .map_err(|e| IngestError::Unreadable(format!("not JSON: {e}")))?;
    if !payload.is_object() {
        return Err(IngestError::Unreadable("expected a JSON object".into()));
    }
    let scope = payload
        .get("scope")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim()
        .to_string();
    if !ORDER_SCOPES.contains(&scope.as_str()) {
        return Ok(Delivery::Acknowledge {
            reason: format!("scope `{scope}` is not an order version"),
        });
    }
    let external_id = payload
        .get("data")
        .and_then(|d| id_text(d.get("id"), "data.id").ok());
    let dedup_key = payload
        .get("hash")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| body_hash(body));
    Ok(Delivery::Order(RawOrder {
        format: THIN_FORMAT.into(),
        external_id,
        dedup_key,
        topic: scope,
        body: body.to_vec(),
    }))
}

fn mac(key: &[u8], id: &str, timestamp: &str, body: &[u8]) -> Result<Vec<u8>, IngestError> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key)
        .map_err(|_| IngestError::BadSignature("unusable webhook secret".into()))?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(mac.finalize().into_bytes().to_vec())
}

/// The `webhook-signature` value BigCommerce would send (for tests and the simulator's peers).
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    match mac(key, id, &timestamp.to_string(), body) {
        Ok(bytes) => format!("v1,{}", STANDARD.encode(bytes)),
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"bc-client-secret";
    const CREATED: &[u8] = br#"{"scope":"store/order/created","store_id":"900100","data":{"type":"order","id":4107},"hash":"0a1b2c3d","created_at":1771166700,"producer":"stores/abc123"}"#;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_771_166_700, 0).unwrap()
    }

    fn request(body: &[u8], timestamp: i64, signature: String) -> WebhookRequest {
        WebhookRequest {
            headers: vec![
                ("webhook-id".into(), "msg_1".into()),
                ("webhook-timestamp".into(), timestamp.to_string()),
                ("webhook-signature".into(), signature),
            ],
            body: body.to_vec(),
        }
    }

    fn signed(body: &[u8]) -> WebhookRequest {
        let ts = now().timestamp();
        request(body, ts, sign(KEY, "msg_1", ts, body))
    }

    #[test]
    fn an_order_scope_gives_a_thin_order_keyed_by_hash() {
        for scope in ORDER_SCOPES {
            let body = String::from_utf8_lossy(CREATED).replace("store/order/created", scope);
            let Ok(Delivery::Order(raw)) = verify_at(KEY, &signed(body.as_bytes()), now()) else {
                panic!("{scope} should be an order");
            };
            assert_eq!(raw.format, THIN_FORMAT);
            assert_eq!(raw.external_id.as_deref(), Some("4107"));
            assert_eq!(raw.dedup_key, "0a1b2c3d");
            assert_eq!(raw.topic, scope);
        }
    }

    #[test]
    fn any_listed_signature_may_match() {
        let ts = now().timestamp();
        let good = sign(KEY, "msg_1", ts, CREATED);
        let req = request(CREATED, ts, format!("v1,AAAA {good}"));
        assert!(matches!(
            verify_at(KEY, &req, now()),
            Ok(Delivery::Order(_))
        ));
    }

    #[test]
    fn bad_signatures_and_stale_timestamps_are_refused() {
        let ts = now().timestamp();
        let cases = [
            request(CREATED, ts, sign(b"other", "msg_1", ts, CREATED)),
            request(CREATED, ts, "v1,%%%".into()),
            request(CREATED, ts, sign(KEY, "msg_2", ts, CREATED)),
            request(br#"{"scope":"x"}"#, ts, sign(KEY, "msg_1", ts, CREATED)),
            request(CREATED, ts - 301, sign(KEY, "msg_1", ts - 301, CREATED)),
            request(CREATED, ts + 301, sign(KEY, "msg_1", ts + 301, CREATED)),
        ];
        for req in cases {
            assert!(matches!(
                verify_at(KEY, &req, now()),
                Err(IngestError::BadSignature(_))
            ));
        }
        let mut missing = signed(CREATED);
        missing.headers.retain(|(k, _)| k != "webhook-id");
        assert!(matches!(
            verify_at(KEY, &missing, now()),
            Err(IngestError::BadSignature(_))
        ));
    }

    #[test]
    fn whsec_keys_are_base64() {
        let key = signing_key("whsec_YmMtY2xpZW50LXNlY3JldA==").unwrap();
        assert_eq!(key, KEY);
        assert_eq!(signing_key("plain").unwrap(), b"plain");
        assert!(signing_key("whsec_%%").is_err());
    }

    #[test]
    fn other_scopes_are_acknowledged() {
        let body =
            br#"{"scope":"store/shipment/created","data":{"type":"shipment","id":3},"hash":"h"}"#;
        assert!(matches!(
            verify_at(KEY, &signed(body), now()),
            Ok(Delivery::Acknowledge { .. })
        ));
    }

    #[test]
    fn a_payload_without_hash_or_id_is_kept_under_the_body_hash() {
        let body = br#"{"scope":"store/order/updated","data":{"type":"order"}}"#;
        let Ok(Delivery::Order(raw)) = verify_at(KEY, &signed(body), now()) else {
            panic!("should be kept");
        };
        assert_eq!(raw.external_id, None);
        assert_eq!(raw.dedup_key, body_hash(body));
        for body in [&b"[1]"[..], b"nope"] {
            assert!(matches!(
                verify_at(KEY, &signed(body), now()),
                Err(IngestError::Unreadable(_))
            ));
        }
    }
}
