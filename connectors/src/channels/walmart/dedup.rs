//! The inbox key of one version of one purchase order.
//!
//! Walmart orders carry no last-modified time. Every order line carries `statusDate`, set when
//! the line's status last changed (acknowledged, shipped, cancelled), so the newest of those is
//! the order's version; a polled copy and a copy from the released listing of the same state
//! agree on it. When a line carries none, the order date stands in (a fresh order has no other
//! change yet).

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::normalize::{epoch_millis, newest_status_date, required_text};

/// `"{purchaseOrderId}@{newest line statusDate as UTC, milliseconds, Z}"`, or the body's
/// SHA-256 (hex) when either part is unreadable, so a broken payload is still stored once and
/// quarantined by the normalizer.
pub fn dedup_key(order: Option<&Value>, body: &[u8]) -> String {
    order
        .and_then(version_key)
        .unwrap_or_else(|| hex(&Sha256::digest(body)))
}

/// The purchase order id, when readable.
pub fn order_id(order: &Value) -> Option<String> {
    required_text(order.get("purchaseOrderId"), "purchaseOrderId").ok()
}

fn version_key(order: &Value) -> Option<String> {
    let id = order_id(order)?;
    let object = order.as_object()?;
    let version = match newest_status_date(object).ok()? {
        Some(at) => at,
        None => epoch_millis(object.get("orderDate"), "orderDate").ok()?,
    };
    Some(format!("{id}@{}", version.format("%Y-%m-%dT%H:%M:%S%.3fZ")))
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

    fn order(status_dates: &[i64]) -> Value {
        let lines: Vec<Value> = status_dates
            .iter()
            .map(|d| json!({"lineNumber": "1", "statusDate": d}))
            .collect();
        json!({"purchaseOrderId": "4810000000117", "orderDate": 1775815200000_i64,
               "orderLines": {"orderLine": lines}})
    }

    #[test]
    fn the_newest_line_status_date_versions_the_order() {
        let a = order(&[1775815260000, 1775815320123]);
        assert_eq!(
            dedup_key(Some(&a), b""),
            "4810000000117@2026-04-10T10:02:00.123Z"
        );
        // Another copy of the same version: other fields and key order differ, the key does not.
        let mut b = a.clone();
        b["customerOrderId"] = json!("7300000000552");
        assert_eq!(dedup_key(Some(&a), b"x"), dedup_key(Some(&b), b"y"));
        // A line changing status is a new version.
        let c = order(&[1775815260000, 1775815999000]);
        assert_ne!(dedup_key(Some(&a), b""), dedup_key(Some(&c), b""));
    }

    #[test]
    fn without_status_dates_the_order_date_is_the_version() {
        let a = order(&[]);
        assert_eq!(
            dedup_key(Some(&a), b""),
            "4810000000117@2026-04-10T10:00:00.000Z"
        );
    }

    #[test]
    fn unreadable_orders_fall_back_to_the_body_hash() {
        let body = br#"{"purchaseOrderId": "", "orderDate": "soon"}"#;
        let v: Value = serde_json::from_slice(body).unwrap();
        let key = dedup_key(Some(&v), body);
        assert_eq!(key.len(), 64);
        assert!(key.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(key, dedup_key(None, body));
        let bad_date =
            json!({"purchaseOrderId": "1", "orderLines": {"orderLine": [{"statusDate": "x"}]}});
        assert_eq!(dedup_key(Some(&bad_date), b"b").len(), 64);
    }
}
