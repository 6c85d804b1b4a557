//! The inbox dedup key of one order version: `{order id}@{updated_at in UTC, seconds, Z}`.
//! The webhook copy (REST, shop offset) and the polled copy (GraphQL, UTC) of the same
//! version get the same key, so the inbox stores it once.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

use super::ids::numeric_id;

/// Builds the key from an id (number, numeric string or GID) and an RFC 3339 time.
pub fn dedup_key(id: &Value, updated_at: &Value) -> Option<(String, String)> {
    let id = match id {
        Value::Number(n) => n.as_u64()?,
        Value::String(s) => numeric_id(s)?,
        _ => return None,
    };
    let at = DateTime::parse_from_rfc3339(updated_at.as_str()?.trim()).ok()?;
    let at = at
        .with_timezone(&Utc)
        .to_rfc3339_opts(SecondsFormat::Secs, true);
    Some((id.to_string(), format!("{id}@{at}")))
}

/// (external id, dedup key) of a REST/webhook order object.
pub fn rest_identity(order: &serde_json::Map<String, Value>) -> Option<(String, String)> {
    dedup_key(order.get("id")?, order.get("updated_at")?)
}

/// (external id, dedup key) of a GraphQL `Order` node.
pub fn graphql_identity(node: &serde_json::Map<String, Value>) -> Option<(String, String)> {
    let id = node
        .get("legacyResourceId")
        .filter(|v| !v.is_null())
        .or_else(|| node.get("id"))?;
    dedup_key(id, node.get("updatedAt")?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rest_and_graphql_copies_share_a_key() {
        let rest = json!({"id": 5450000000002u64, "updated_at": "2026-03-01T10:15:30-05:00"});
        let gql =
            json!({"id": "gid://shopify/Order/5450000000002", "updatedAt": "2026-03-01T15:15:30Z"});
        let a = rest_identity(rest.as_object().unwrap()).unwrap();
        let b = graphql_identity(gql.as_object().unwrap()).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.1, "5450000000002@2026-03-01T15:15:30Z");
    }

    #[test]
    fn fractional_seconds_are_dropped_and_bad_input_gives_none() {
        let k = dedup_key(&json!("12"), &json!("2026-03-01T15:15:30.789Z")).unwrap();
        assert_eq!(k.1, "12@2026-03-01T15:15:30Z");
        assert!(dedup_key(&json!(true), &json!("2026-03-01T15:15:30Z")).is_none());
        assert!(dedup_key(&json!(1), &json!("yesterday")).is_none());
    }
}
