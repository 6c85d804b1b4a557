//! Reading money from channel payloads without ever passing through a float's rounding.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::Value;

use crate::ports::NormalizeError;

/// Reads a decimal from a JSON string (`"29.95"`) or number (`29.95`).
///
/// A JSON number arrives as an f64; its shortest round-trip text is exactly what the channel
/// wrote, so parsing that text keeps `29.95` as `29.95`. Numbers get at least two decimals, the
/// way every channel writes money as text.
pub fn decimal_field(value: Option<&Value>, field: &str) -> Result<Decimal, NormalizeError> {
    match value {
        Some(Value::String(s)) => Decimal::from_str(s.trim())
            .map_err(|_| NormalizeError::new(field, format!("`{s}` is not a decimal amount"))),
        Some(Value::Number(n)) => {
            let text = n.to_string();
            let mut d = Decimal::from_str(&text)
                .or_else(|_| Decimal::from_scientific(&text))
                .map_err(|_| NormalizeError::new(field, format!("`{text}` is not an amount")))?;
            if d.scale() < 2 {
                d.rescale(2);
            }
            Ok(d)
        }
        Some(Value::Null) | None => Err(NormalizeError::new(field, "missing")),
        Some(other) => Err(NormalizeError::new(
            field,
            format!("expected a decimal amount, found {other}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_keep_their_scale() {
        let v = json!("199.00");
        assert_eq!(decimal_field(Some(&v), "p").unwrap().to_string(), "199.00");
    }

    #[test]
    fn numbers_keep_their_digits() {
        for (v, want) in [
            (json!(29.95), "29.95"),
            (json!(0.1), "0.10"),
            (json!(12), "12.00"),
            (json!(1234567.891), "1234567.891"),
        ] {
            assert_eq!(decimal_field(Some(&v), "p").unwrap().to_string(), want);
        }
    }

    #[test]
    fn errors_name_the_field() {
        let err = decimal_field(Some(&json!("abc")), "line_items[0].price").unwrap_err();
        assert_eq!(err.field, "line_items[0].price");
        let err = decimal_field(None, "total").unwrap_err();
        assert_eq!(err.to_string(), "total: missing");
        assert!(decimal_field(Some(&json!([1])), "x").is_err());
    }
}
