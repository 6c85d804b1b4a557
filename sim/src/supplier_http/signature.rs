//! The supplier's side of `X-Switchyard-Signature: t=<unix>,v1=<hex HMAC-SHA256("<t>.<body>")>`,
//! written from the published scheme rather than shared with the adapter, as a supplier would.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const HEADER: &str = "x-switchyard-signature";

fn digest(secret: &[u8], t: i64, body: &[u8]) -> Option<Vec<u8>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).ok()?;
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    Some(mac.finalize().into_bytes().to_vec())
}

pub fn sign(secret: &[u8], t: i64, body: &[u8]) -> String {
    format!(
        "t={t},v1={}",
        hex::encode(digest(secret, t, body).unwrap_or_default())
    )
}

/// `Err` carries the reason the supplier gives in its 401.
pub fn check(
    secret: &[u8],
    header: Option<&str>,
    body: &[u8],
    now: i64,
    tolerance: i64,
) -> Result<(), String> {
    let header = header.ok_or("missing X-Switchyard-Signature")?;
    let mut t = None;
    let mut v1 = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => v1.push(value.to_string()),
            _ => {}
        }
    }
    let t = t.ok_or("signature has no valid t=")?;
    if (now - t).abs() > tolerance {
        return Err(format!(
            "signature timestamp {t} outside the {tolerance} s tolerance"
        ));
    }
    let Some(expected) = digest(secret, t, body) else {
        return Err("unusable secret".into());
    };
    let expected = hex::encode(expected);
    // Constant time is not needed in a test double; equality is.
    if v1.iter().any(|given| given.eq_ignore_ascii_case(&expected)) {
        Ok(())
    } else {
        Err("signature does not match the body".into())
    }
}
