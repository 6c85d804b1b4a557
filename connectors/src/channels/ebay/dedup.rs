//! The inbox key of one version of one order: what a poll and a fetched copy share, the
//! `orderId` and its `lastModifiedDate`.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// `"{orderId}@{lastModifiedDate as UTC, seconds, Z}"`, or the body's SHA-256 (hex) when either
/// part is unreadable, so a broken payload is still stored once and quarantined by the
/// normalizer.
pub fn dedup_key(order: Option<&Value>, body: &[u8]) -> String {
    order
        .and_then(version_key)
        .unwrap_or_else(|| hex(&Sha256::digest(body)))
}

/// The order id, when readable.
pub fn order_id(order: &Value) -> Option<String> {
    order
        .get("orderId")?
        .as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// `lastModifiedDate` in UTC, when readable.
pub fn last_modified(order: &Value) -> Option<DateTime<Utc>> {
    let text = order.get("lastModifiedDate")?.as_str()?;
    DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn version_key(order: &Value) -> Option<String> {
    let id = order_id(order)?;
    let modified = last_modified(order)?;
    Some(format!("{id}@{}", modified.format("%Y-%m-%dT%H:%M:%SZ")))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn same_version_gives_same_key_whatever_the_copy() {
        let polled = json!({"orderId": "07-1-2", "lastModifiedDate": "2026-03-01T10:00:05.123Z", "orderFulfillmentStatus": "NOT_STARTED"});
        let fetched = json!({"lastModifiedDate": "2026-03-01T10:00:05.123Z", "orderId": "07-1-2", "lineItems": []});
        let a = dedup_key(Some(&polled), polled.to_string().as_bytes());
        let b = dedup_key(Some(&fetched), fetched.to_string().as_bytes());
        assert_eq!(a, "07-1-2@2026-03-01T10:00:05Z");
        assert_eq!(a, b);
    }

    #[test]
    fn offsets_are_folded_to_utc_and_new_versions_get_new_keys() {
        let shifted = json!({"orderId": "9", "lastModifiedDate": "2026-03-01T12:00:05+02:00"});
        assert_eq!(dedup_key(Some(&shifted), b""), "9@2026-03-01T10:00:05Z");
        let later = json!({"orderId": "9", "lastModifiedDate": "2026-03-01T10:00:06Z"});
        assert_ne!(dedup_key(Some(&shifted), b""), dedup_key(Some(&later), b""));
    }

    #[test]
    fn unreadable_orders_fall_back_to_the_body_hash() {
        let body = br#"{"orderId": "", "lastModifiedDate": "soon"}"#;
        let v: Value = serde_json::from_slice(body).unwrap();
        let key = dedup_key(Some(&v), body);
        assert_eq!(key.len(), 64);
        assert!(key.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(key, dedup_key(None, body));
    }
}
