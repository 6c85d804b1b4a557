//! The inbox key of one version of one receipt: what a poll and a fetched copy share, the
//! receipt id and its last-update time.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::normalize::{epoch_to_utc, id_text};

/// `"{receipt_id}@{update_timestamp as UTC, seconds, Z}"`, or the body's SHA-256 (hex) when
/// either part is unreadable, so a broken payload is still stored once and quarantined.
pub fn dedup_key(receipt: Option<&Value>, body: &[u8]) -> String {
    receipt
        .and_then(version_key)
        .unwrap_or_else(|| body_hash(body))
}

/// The receipt id, when readable.
pub fn receipt_id(receipt: &Value) -> Option<String> {
    id_text(receipt.get("receipt_id"), "receipt_id").ok()
}

fn version_key(receipt: &Value) -> Option<String> {
    let id = receipt_id(receipt)?;
    let secs = ["update_timestamp", "updated_timestamp"]
        .iter()
        .find_map(|name| receipt.get(*name).and_then(Value::as_i64))?;
    let updated = epoch_to_utc(secs)?;
    Some(format!("{id}@{}", updated.format("%Y-%m-%dT%H:%M:%SZ")))
}

pub fn body_hash(body: &[u8]) -> String {
    use std::fmt::Write;
    Sha256::digest(body)
        .iter()
        .fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_copy_of_a_version_gets_the_same_key() {
        let polled = json!({"receipt_id": 42, "update_timestamp": 1767229205, "status": "paid"});
        let fetched = json!({"status": "paid", "updated_timestamp": 1767229205, "update_timestamp": 1767229205, "receipt_id": 42, "shipments": []});
        let a = dedup_key(Some(&polled), polled.to_string().as_bytes());
        let b = dedup_key(Some(&fetched), fetched.to_string().as_bytes());
        assert_eq!(a, "42@2026-01-01T01:00:05Z");
        assert_eq!(a, b);
        let next = json!({"receipt_id": 42, "update_timestamp": 1767229206});
        assert_ne!(a, dedup_key(Some(&next), b""));
    }

    #[test]
    fn unreadable_receipts_fall_back_to_the_body_hash() {
        let body = br#"{"receipt_id": "", "update_timestamp": "soon"}"#;
        let v: Value = serde_json::from_slice(body).unwrap();
        let key = dedup_key(Some(&v), body);
        assert_eq!(key.len(), 64);
        assert!(key.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(key, dedup_key(None, body));
    }
}
