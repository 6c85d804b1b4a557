//! The inbox key of one version of one order. WooCommerce's delivery id changes on every
//! delivery, so the key is built from what a webhook and a poll share: the order id and its
//! last-modified time.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::normalize::{id_text, parse_utc};

/// `"{id}@{date_modified_gmt as UTC, seconds, Z}"`, or the body's SHA-256 (hex) when either part
/// is unreadable, so a broken payload is still stored once and quarantined by the normalizer.
pub fn dedup_key(order: Option<&Value>, body: &[u8]) -> String {
    order
        .and_then(version_key)
        .unwrap_or_else(|| hex(&Sha256::digest(body)))
}

/// The order id, when readable.
pub fn order_id(order: &Value) -> Option<String> {
    id_text(order.get("id"), "id").ok()
}

fn version_key(order: &Value) -> Option<String> {
    let id = order_id(order)?;
    let modified = parse_utc(
        order.get("date_modified_gmt")?.as_str()?,
        "date_modified_gmt",
    )
    .ok()?;
    Some(format!("{id}@{}", modified.format("%Y-%m-%dT%H:%M:%SZ")))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
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
        let webhook =
            json!({"id": 42, "date_modified_gmt": "2026-03-01T10:00:05", "status": "processing"});
        // A polled copy may differ in other fields and key order; the key must not.
        let polled = json!({"status": "processing", "date_modified_gmt": "2026-03-01T10:00:05", "id": 42, "_links": {}});
        let a = dedup_key(Some(&webhook), webhook.to_string().as_bytes());
        let b = dedup_key(Some(&polled), polled.to_string().as_bytes());
        assert_eq!(a, "42@2026-03-01T10:00:05Z");
        assert_eq!(a, b);
    }

    #[test]
    fn a_new_version_gets_a_new_key() {
        let v1 = json!({"id": 42, "date_modified_gmt": "2026-03-01T10:00:05"});
        let v2 = json!({"id": 42, "date_modified_gmt": "2026-03-01T10:00:06"});
        assert_ne!(dedup_key(Some(&v1), b""), dedup_key(Some(&v2), b""));
    }

    #[test]
    fn unreadable_orders_fall_back_to_the_body_hash() {
        let body = br#"{"id": "", "date_modified_gmt": "soon"}"#;
        let v: Value = serde_json::from_slice(body).unwrap();
        let key = dedup_key(Some(&v), body);
        assert_eq!(key.len(), 64);
        assert!(key.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(key, dedup_key(None, body));
    }
}
