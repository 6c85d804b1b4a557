//! The inbox key of one version of one order: `"{id}@{date_modified as UTC}"`, shared by the
//! polled copy and the copy a thin webhook led the fetcher to. (The thin webhook itself is keyed
//! by BigCommerce's `hash`, which duplicate firings repeat; see `webhook`.)

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::normalize::{id_text, parse_rfc2822};

/// `"{id}@{date_modified as UTC, seconds, Z}"`, or the body's SHA-256 (hex) when either part is
/// unreadable, so a broken payload is still stored once and quarantined by the normalizer.
pub fn dedup_key(order: Option<&Value>, body: &[u8]) -> String {
    order
        .and_then(version_key)
        .unwrap_or_else(|| body_hash(body))
}

/// The order id, when readable.
pub fn order_id(order: &Value) -> Option<String> {
    id_text(order.get("id"), "id").ok()
}

/// SHA-256 of the raw bytes, hex: the key of last resort.
pub fn body_hash(body: &[u8]) -> String {
    use std::fmt::Write;
    Sha256::digest(body)
        .iter()
        .fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

fn version_key(order: &Value) -> Option<String> {
    let id = order_id(order)?;
    let modified = parse_rfc2822(order.get("date_modified")?.as_str()?, "date_modified").ok()?;
    Some(format!(
        "{id}@{}",
        modified.naive_utc().format("%Y-%m-%dT%H:%M:%SZ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn same_version_gives_same_key_in_utc() {
        let a = json!({"id": 61, "date_modified": "Mon, 02 Mar 2026 07:00:05 -0500"});
        let b =
            json!({"products": [], "date_modified": "Mon, 02 Mar 2026 12:00:05 +0000", "id": 61});
        assert_eq!(dedup_key(Some(&a), b"x"), "61@2026-03-02T12:00:05Z");
        assert_eq!(dedup_key(Some(&a), b"x"), dedup_key(Some(&b), b"y"));
    }

    #[test]
    fn unreadable_orders_fall_back_to_the_body_hash() {
        let body = br#"{"id": 61, "date_modified": "yesterday"}"#;
        let v: Value = serde_json::from_slice(body).unwrap();
        let key = dedup_key(Some(&v), body);
        assert_eq!(key.len(), 64);
        assert!(key.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(key, dedup_key(None, body));
        assert_ne!(key, dedup_key(None, b"other"));
    }
}
