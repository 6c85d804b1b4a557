//! Reading plain fields from channel payloads with errors that name the field, so every
//! normalizer reports a bad count or SKU the same way.

use serde_json::Value;

use crate::ports::NormalizeError;

/// A whole, non-negative count such as a line quantity.
pub fn count_field(value: Option<&Value>, field: &str) -> Result<u32, NormalizeError> {
    match value {
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|q| u32::try_from(q).ok())
            .ok_or_else(|| NormalizeError::new(field, format!("`{n}` is not a whole count"))),
        Some(Value::Null) | None => Err(NormalizeError::new(field, "missing")),
        Some(other) => Err(NormalizeError::new(
            field,
            format!("expected a number, found {other}"),
        )),
    }
}

/// Optional text: absent, null or blank is `None`; surrounding spaces are dropped.
pub fn optional_text_field(
    value: Option<&Value>,
    field: &str,
) -> Result<Option<String>, NormalizeError> {
    match value {
        Some(Value::String(s)) => Ok(Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_string)),
        Some(Value::Null) | None => Ok(None),
        Some(other) => Err(NormalizeError::new(
            field,
            format!("expected a string, found {other}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn counts() {
        assert_eq!(count_field(Some(&json!(3)), "q"), Ok(3));
        for bad in [json!(-1), json!(1.5), json!("2"), json!(u64::MAX)] {
            assert_eq!(
                count_field(Some(&bad), "lines[0].quantity")
                    .unwrap_err()
                    .field,
                "lines[0].quantity"
            );
        }
        assert_eq!(count_field(None, "q").unwrap_err().problem, "missing");
    }

    #[test]
    fn optional_text() {
        assert_eq!(
            optional_text_field(Some(&json!(" A1 ")), "s"),
            Ok(Some("A1".into()))
        );
        assert_eq!(optional_text_field(Some(&json!("  ")), "s"), Ok(None));
        assert_eq!(optional_text_field(Some(&Value::Null), "s"), Ok(None));
        assert_eq!(optional_text_field(None, "s"), Ok(None));
        assert_eq!(
            optional_text_field(Some(&json!(5)), "sku")
                .unwrap_err()
                .field,
            "sku"
        );
    }
}
