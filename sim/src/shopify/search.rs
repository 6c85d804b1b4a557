//! Shopify's search syntax, as far as the simulator needs it: `updated_at:>='…'` filters on
//! orders and `sku:A OR sku:"B"` on product variants.

use chrono::{DateTime, Utc};

/// One comparison on a date field.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DateFilter {
    pub field: String,
    pub op: &'static str,
    pub at: DateTime<Utc>,
}

impl DateFilter {
    pub fn matches(&self, value: DateTime<Utc>) -> bool {
        match self.op {
            ">=" => value >= self.at,
            ">" => value > self.at,
            "<=" => value <= self.at,
            "<" => value < self.at,
            _ => value == self.at,
        }
    }
}

fn unquote(s: &str) -> String {
    let s = s.trim();
    let inner = s
        .strip_prefix('\'')
        .and_then(|r| r.strip_suffix('\''))
        .or_else(|| s.strip_prefix('"').and_then(|r| r.strip_suffix('"')))
        .unwrap_or(s);
    inner.replace("\\\"", "\"").replace("\\\\", "\\")
}

/// Reads `field:>=value` terms joined by spaces or `AND`; unknown terms are ignored, as
/// Shopify ignores what it cannot parse. A date that does not parse is an error.
pub(crate) fn date_filters(query: &str) -> Result<Vec<DateFilter>, String> {
    let mut out = Vec::new();
    for term in query.split_whitespace() {
        if term.eq_ignore_ascii_case("AND") {
            continue;
        }
        let Some((field, rest)) = term.split_once(':') else {
            continue;
        };
        if field != "updated_at" && field != "created_at" {
            continue;
        }
        let (op, value) = [">=", "<=", ">", "<"]
            .iter()
            .find_map(|op| rest.strip_prefix(op).map(|v| (*op, v)))
            .unwrap_or(("=", rest));
        let value = unquote(value);
        let at = DateTime::parse_from_rfc3339(&value)
            .map_err(|_| format!("Invalid date in search query: {value}"))?
            .with_timezone(&Utc);
        out.push(DateFilter {
            field: field.to_string(),
            op,
            at,
        });
    }
    Ok(out)
}

/// The SKUs of a `sku:A OR sku:"B C"` query.
pub(crate) fn skus(query: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = query.trim();
    while let Some(pos) = rest.find("sku:") {
        rest = &rest[pos + 4..];
        let (value, tail) = if let Some(q) = rest.strip_prefix('"') {
            let mut end = None;
            let bytes = q.as_bytes();
            let mut i = 0;
            while i < bytes.len() {
                match bytes[i] {
                    b'\\' => i += 2,
                    b'"' => {
                        end = Some(i);
                        break;
                    }
                    _ => i += 1,
                }
            }
            match end {
                Some(e) => (unquote(&rest[..e + 2]), &q[e + 1..]),
                None => (q.to_string(), ""),
            }
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            (rest[..end].to_string(), &rest[end..])
        };
        out.push(value);
        rest = tail;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_date_filters_and_skus() {
        let f = date_filters("updated_at:>='2026-01-02T03:04:05Z'").unwrap();
        assert_eq!(f[0].op, ">=");
        assert_eq!(f[0].at.to_rfc3339(), "2026-01-02T03:04:05+00:00");
        assert!(date_filters("updated_at:>='nope'").is_err());
        assert_eq!(
            skus(r#"sku:"A 1" OR sku:B OR sku:"C\"q""#),
            vec!["A 1".to_string(), "B".into(), "C\"q".into()]
        );
    }
}
