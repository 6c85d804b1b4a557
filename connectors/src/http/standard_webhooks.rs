//! The Standard Webhooks signature (ShipBob's dated API; also what BigCommerce sends):
//! `webhook-signature` holds space-separated `v1,<base64 HMAC-SHA256(key,
//! "{webhook-id}.{webhook-timestamp}.{body}")>`. A secret written `whsec_<base64>` is decoded to
//! the key; any other secret's bytes are the key. A timestamp more than five minutes from now is
//! refused so a captured delivery cannot be replayed later.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use switchyard_core::ports::{IngestError, WebhookRequest};

pub const ID: &str = "webhook-id";
pub const TIMESTAMP: &str = "webhook-timestamp";
pub const SIGNATURE: &str = "webhook-signature";
/// The specification's replay window.
const TOLERANCE_SECS: i64 = 5 * 60;

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

/// Checks signature and freshness against `now`; returns the message id (stable across the
/// sender's retries).
pub fn verify<'a>(
    key: &[u8],
    request: &'a WebhookRequest,
    now: DateTime<Utc>,
) -> Result<&'a str, IngestError> {
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
    if matches {
        Ok(id)
    } else {
        Err(IngestError::BadSignature("signature does not match".into()))
    }
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

/// The `webhook-signature` value a sender would put on this message (for tests).
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    match mac(key, id, &timestamp.to_string(), body) {
        Ok(bytes) => format!("v1,{}", STANDARD.encode(bytes)),
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(id: &str, timestamp: i64, signature: &str) -> WebhookRequest {
        WebhookRequest {
            headers: vec![
                (ID.into(), id.into()),
                (TIMESTAMP.into(), timestamp.to_string()),
                (SIGNATURE.into(), signature.into()),
            ],
            body: br#"{"id":1}"#.to_vec(),
        }
    }

    #[test]
    fn accepts_any_listed_signature_and_refuses_tampering_and_stale_messages() {
        let key = signing_key("whsec_c2VjcmV0").unwrap();
        assert_eq!(key, b"secret");
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let ts = now.timestamp();
        let good = sign(&key, "msg_1", ts, br#"{"id":1}"#);
        let req = request("msg_1", ts, &format!("v1,AAAA {good}"));
        assert_eq!(verify(&key, &req, now).unwrap(), "msg_1");
        for bad in [
            request("msg_2", ts, &good),
            request("msg_1", ts, &sign(b"other", "msg_1", ts, br#"{"id":1}"#)),
            request(
                "msg_1",
                ts - 301,
                &sign(&key, "msg_1", ts - 301, br#"{"id":1}"#),
            ),
            request("msg_1", ts, "v1,%%%"),
        ] {
            assert!(matches!(
                verify(&key, &bad, now),
                Err(IngestError::BadSignature(_))
            ));
        }
        let mut missing = request("msg_1", ts, &good);
        missing.headers.retain(|(k, _)| k != SIGNATURE);
        assert!(verify(&key, &missing, now).is_err());
        assert!(signing_key("whsec_%%").is_err());
    }
}
