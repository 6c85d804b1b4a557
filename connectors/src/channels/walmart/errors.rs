//! Walmart's error body: `{"error": [{"code", "field", "description", "info", "severity",
//! "category", ...}]}` (some APIs wrap it as `{"errors": {"error": [...]}}` or give one object
//! instead of a list). Read into one line for error messages.

use serde_json::Value;
use switchyard_core::ports::ChannelError;

/// `"CODE: description (info)"` for each error in a Walmart error body, joined with `; `.
pub fn walmart_error(body: &str) -> Option<String> {
    let v: Value = serde_json::from_str(body).ok()?;
    let errors = v
        .get("error")
        .or_else(|| v.get("errors").map(|e| e.get("error").unwrap_or(e)))?;
    let list: Vec<&Value> = match errors {
        Value::Array(items) => items.iter().collect(),
        Value::Object(_) => vec![errors],
        _ => return None,
    };
    let parts: Vec<String> = list
        .into_iter()
        .map(|e| {
            let field = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or("").trim();
            let mut text = format!("{}: {}", field("code"), field("description"));
            if !field("info").is_empty() && field("info") != field("description") {
                text.push_str(&format!(" ({})", field("info")));
            }
            text
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// True when a 404's body says "no such content" (Walmart's `CONTENT_NOT_FOUND.*` codes), as
/// some listings answer instead of an empty list.
pub fn is_content_not_found(err: &ChannelError) -> bool {
    matches!(err, ChannelError::Http { status: 404, body } if body.contains("CONTENT_NOT_FOUND"))
}

/// A 4xx other than auth, throttling, not-found and timeout is Walmart refusing the request
/// itself (invalid body, line not acknowledged): sending it again will not help.
pub fn refine(err: ChannelError) -> ChannelError {
    match err {
        ChannelError::Http { status, body }
            if (400..500).contains(&status) && status != 404 && status != 408 =>
        {
            ChannelError::Rejected(match walmart_error(&body) {
                Some(why) => format!("HTTP {status} {why}"),
                None => format!("HTTP {status}: {body}"),
            })
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_error_shapes() {
        let flat = r#"{"error":[{"code":"UNAUTHORIZED.GMP_GATEWAY_API","field":"UNAUTHORIZED","description":"Unauthorized","info":"Token expired","severity":"ERROR","category":"DATA","causes":[]}]}"#;
        assert_eq!(
            walmart_error(flat).as_deref(),
            Some("UNAUTHORIZED.GMP_GATEWAY_API: Unauthorized (Token expired)")
        );
        let wrapped = r#"{"errors":{"error":{"code":"INVALID_REQUEST","description":"bad"}}}"#;
        assert_eq!(
            walmart_error(wrapped).as_deref(),
            Some("INVALID_REQUEST: bad")
        );
        assert_eq!(walmart_error("nope"), None);
    }

    #[test]
    fn client_errors_become_refusals_but_not_found_stays() {
        let err = refine(ChannelError::Http {
            status: 400,
            body: r#"{"error":[{"code":"INVALID_REQUEST_CONTENT.GMP_ORDER_API","description":"Line 3 unknown"}]}"#.into(),
        });
        assert!(matches!(&err, ChannelError::Rejected(m) if m.contains("Line 3 unknown")));
        let missing = refine(ChannelError::Http {
            status: 404,
            body: r#"{"error":[{"code":"CONTENT_NOT_FOUND.GMP_ORDER_API"}]}"#.into(),
        });
        assert!(is_content_not_found(&missing));
    }
}
