//! Inbox keys: one per version of one order, whichever way it arrived.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::normalize::version_of;

/// `"{order id}@{last updated, UTC, seconds, Z}"`, or the body's SHA-256 (hex) when either part
/// is unreadable, so a broken payload is still stored once and quarantined by the normalizer.
pub fn dedup_key(order: Option<&Value>, body: &[u8]) -> String {
    order
        .and_then(version_of)
        .and_then(|v| {
            let at = v.updated_at?;
            Some(format!(
                "{}@{}",
                v.order_id,
                at.format("%Y-%m-%dT%H:%M:%SZ")
            ))
        })
        .unwrap_or_else(|| body_hash(body))
}

/// The order id, when readable.
pub fn order_id(order: &Value) -> Option<String> {
    version_of(order).map(|v| v.order_id)
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
    fn both_shapes_give_the_same_key_for_the_same_version() {
        let new = json!({"orderId": "111-1", "lastUpdatedTime": "2026-01-02T03:04:05.678Z"});
        let wrapped =
            json!({"order": {"orderId": "111-1", "lastUpdatedTime": "2026-01-02T03:04:05Z"}});
        let legacy = json!({"Order": {"AmazonOrderId": "111-1", "LastUpdateDate": "2026-01-02T04:04:05+01:00"}, "OrderItems": []});
        let want = "111-1@2026-01-02T03:04:05Z";
        assert_eq!(dedup_key(Some(&new), b"a"), want);
        assert_eq!(dedup_key(Some(&wrapped), b"b"), want);
        assert_eq!(dedup_key(Some(&legacy), b"c"), want);
    }

    #[test]
    fn unreadable_versions_fall_back_to_the_body_hash() {
        let body = br#"{"orderId":"111-1","lastUpdatedTime":"later"}"#;
        let v: Value = serde_json::from_slice(body).unwrap();
        let key = dedup_key(Some(&v), body);
        assert_eq!(key.len(), 64);
        assert_eq!(key, dedup_key(None, body));
    }
}
