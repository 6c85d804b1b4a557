//! The signature on every request between Switchyard and an `http_json` supplier, both ways
//! (the Stripe scheme, so suppliers can reuse code they have):
//!
//! ```text
//! X-Switchyard-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
//! ```
//!
//! The hex is lowercase; several `v1=` may be present while a secret is rotated (any one
//! matching passes). The timestamp is signed with the body, and a message whose `t` is more than
//! the tolerance away from now is refused, so a captured request cannot be replayed later.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

pub const HEADER: &str = "X-Switchyard-Signature";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    #[error("{HEADER} header is missing")]
    Missing,
    #[error("{HEADER} is malformed: {0}")]
    Malformed(String),
    #[error("{HEADER} timestamp {t} is {age} s away from now (tolerance {tolerance} s)")]
    Stale { t: i64, age: i64, tolerance: u64 },
    #[error("{HEADER} does not match the body")]
    Mismatch,
}

/// HMAC-SHA256 of `"<t>.<body>"`. HMAC accepts keys of any length, so the error branch of
/// `new_from_slice` never happens; an empty digest would simply never match.
fn mac(secret: &[u8], t: i64, body: &[u8]) -> Vec<u8> {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return Vec::new();
    };
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

/// The header value for `body` sent at `t`.
pub fn sign(secret: &[u8], t: i64, body: &[u8]) -> String {
    format!("t={t},v1={}", hex::encode(mac(secret, t, body)))
}

/// Checks a header value against `body`; `header` is `None` when the request had none.
pub fn verify(
    secret: &[u8],
    header: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
    tolerance_secs: u64,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut t = None;
    let mut candidates = Vec::new();
    for part in header.split(',') {
        let (key, value) = part
            .trim()
            .split_once('=')
            .ok_or_else(|| SignatureError::Malformed(format!("`{part}` is not key=value")))?;
        match key {
            "t" => {
                t = Some(value.parse::<i64>().map_err(|_| {
                    SignatureError::Malformed(format!("t=`{value}` is not unix seconds"))
                })?)
            }
            "v1" => candidates.push(value),
            _ => {} // other schemes (v0, future versions) are ignored, as Stripe does
        }
    }
    let t = t.ok_or_else(|| SignatureError::Malformed("no t=".into()))?;
    if candidates.is_empty() {
        return Err(SignatureError::Malformed("no v1=".into()));
    }
    let age = (now.timestamp() - t).abs();
    if age.unsigned_abs() > tolerance_secs {
        return Err(SignatureError::Stale {
            t,
            age,
            tolerance: tolerance_secs,
        });
    }
    let expected = mac(secret, t, body);
    let matches = candidates.iter().any(|c| {
        hex::decode(c).is_ok_and(|given| {
            !expected.is_empty() && bool::from(given.as_slice().ct_eq(expected.as_slice()))
        })
    });
    if matches {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"switchyard-test-secret-0123";
    const BODY: &[u8] = br#"{"po_number":"PO-1001"}"#;

    fn at(t: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(t, 0).unwrap()
    }

    /// Pinned vector, computed independently with Python's `hmac` module:
    /// `hmac.new(secret, b"1800000000." + body, sha256).hexdigest()`. Published in the README.
    #[test]
    fn the_published_test_vector() {
        assert_eq!(
            sign(SECRET, 1_800_000_000, BODY),
            "t=1800000000,v1=d5eb86d12dcae183521c638e096549bb803bb877427f8ace3faad8efa8da23bd"
        );
    }

    #[test]
    fn verifies_rotated_secrets_and_refuses_tampering_replays_and_junk() {
        let header = sign(SECRET, 1_800_000_000, BODY);
        assert_eq!(
            verify(SECRET, Some(&header), BODY, at(1_800_000_100), 300),
            Ok(())
        );
        let rotated = format!(
            "{},v1={}",
            sign(b"old-secret", 1_800_000_000, BODY),
            &header[16..]
        );
        assert_eq!(
            verify(SECRET, Some(&rotated), BODY, at(1_800_000_000), 300),
            Ok(())
        );
        assert_eq!(
            verify(
                SECRET,
                Some(&header),
                br#"{"po_number":"PO-1002"}"#,
                at(1_800_000_000),
                300
            ),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(
                b"another-secret",
                Some(&header),
                BODY,
                at(1_800_000_000),
                300
            ),
            Err(SignatureError::Mismatch)
        );
        assert!(matches!(
            verify(SECRET, Some(&header), BODY, at(1_800_000_301), 300),
            Err(SignatureError::Stale { age: 301, .. })
        ));
        assert!(matches!(
            verify(SECRET, Some(&header), BODY, at(1_799_999_000), 300),
            Err(SignatureError::Stale { .. })
        ));
        assert_eq!(
            verify(SECRET, None, BODY, at(0), 300),
            Err(SignatureError::Missing)
        );
        for junk in ["v1=00", "t=abc,v1=00", "t=1800000000", "garbage"] {
            assert!(
                matches!(
                    verify(SECRET, Some(junk), BODY, at(1_800_000_000), 300),
                    Err(SignatureError::Malformed(_))
                ),
                "{junk}"
            );
        }
        let not_hex = "t=1800000000,v1=zz";
        assert_eq!(
            verify(SECRET, Some(not_hex), BODY, at(1_800_000_000), 300),
            Err(SignatureError::Mismatch)
        );
    }
}
