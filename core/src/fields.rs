//! Reading plain fields from channel payloads with errors that name the field, so every
//! normalizer reports a bad count or SKU the same way.

use chrono::{DateTime, FixedOffset, Utc};
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

/// An optional RFC 3339 date-time (eBay `shipByDate`, Amazon `LatestShipDate`): absent, null
/// or blank is `None`; anything else must parse.
pub fn optional_rfc3339_field(
    value: Option<&Value>,
    field: &str,
) -> Result<Option<DateTime<FixedOffset>>, NormalizeError> {
    let Some(raw) = optional_text_field(value, field)? else {
        return Ok(None);
    };
    DateTime::parse_from_rfc3339(&raw)
        .map(Some)
        .map_err(|_| NormalizeError::new(field, format!("`{raw}` is not an RFC 3339 date-time")))
}

/// An optional point in time sent as a number since the Unix epoch, in seconds (Etsy) or
/// milliseconds (Walmart): absent or null is `None`.
pub fn optional_epoch_field(
    value: Option<&Value>,
    field: &str,
    millis: bool,
) -> Result<Option<DateTime<FixedOffset>>, NormalizeError> {
    let n = match value {
        Some(Value::Null) | None => return Ok(None),
        Some(Value::Number(n)) => n.as_i64().ok_or_else(|| {
            NormalizeError::new(field, format!("`{n}` is not a whole number of seconds"))
        })?,
        Some(other) => {
            return Err(NormalizeError::new(
                field,
                format!("expected a number, found {other}"),
            ));
        }
    };
    let t = if millis {
        DateTime::<Utc>::from_timestamp_millis(n)
    } else {
        DateTime::<Utc>::from_timestamp(n, 0)
    };
    t.map(|t| Some(t.fixed_offset()))
        .ok_or_else(|| NormalizeError::new(field, format!("`{n}` is out of range")))
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

    #[test]
    fn optional_times() {
        let t = optional_rfc3339_field(Some(&json!("2026-03-01T10:00:00.000Z")), "shipByDate")
            .unwrap()
            .unwrap();
        assert_eq!(t.timestamp(), 1_772_359_200);
        assert_eq!(optional_rfc3339_field(None, "x"), Ok(None));
        assert_eq!(optional_rfc3339_field(Some(&json!("")), "x"), Ok(None));
        assert_eq!(
            optional_rfc3339_field(Some(&json!("tomorrow")), "lineItems[0].x")
                .unwrap_err()
                .field,
            "lineItems[0].x"
        );
        let s = optional_epoch_field(Some(&json!(1_772_359_200)), "e", false).unwrap();
        let ms = optional_epoch_field(Some(&json!(1_772_359_200_000_i64)), "e", true).unwrap();
        assert_eq!(s, ms);
        assert_eq!(s.unwrap().timestamp(), 1_772_359_200);
        assert_eq!(
            optional_epoch_field(Some(&Value::Null), "e", true),
            Ok(None)
        );
        assert!(optional_epoch_field(Some(&json!("1")), "e", true).is_err());
        assert!(optional_epoch_field(Some(&json!(1.5)), "e", true).is_err());
    }
}
