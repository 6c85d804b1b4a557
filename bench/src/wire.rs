//! Shopify `orders/create` webhooks as Shopify sends them: the raw order JSON, its base64
//! HMAC-SHA256 keyed with the app's client secret, and the `X-Shopify-*` headers.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;

pub const SHOP_DOMAIN: &str = "switchyard-bench.myshopify.com";

/// Base64 HMAC-SHA256 of `body` keyed with `secret`.
pub fn sign(secret: &str, body: &[u8]) -> anyhow::Result<String> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .map_err(|e| anyhow::anyhow!("HMAC key: {e}"))?;
    mac.update(body);
    Ok(STANDARD.encode(mac.finalize().into_bytes()))
}

/// Whether `signature` (base64) is the HMAC of `body`; compared in constant time.
pub fn verify(secret: &str, body: &[u8], signature: &str) -> bool {
    let Ok(given) = STANDARD.decode(signature.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

/// A random v4 UUID, as Shopify's webhook and event ids look.
pub fn uuid_v4() -> String {
    let mut b: [u8; 16] = rand::rng().random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// One delivery ready to send: body and headers.
#[derive(Debug, Clone)]
pub struct Webhook {
    pub body: bytes::Bytes,
    pub headers: Vec<(&'static str, String)>,
}

pub fn orders_create(secret: &str, api_version: &str, body: Vec<u8>) -> anyhow::Result<Webhook> {
    let hmac = sign(secret, &body)?;
    Ok(Webhook {
        headers: vec![
            ("content-type", "application/json".into()),
            ("x-shopify-topic", "orders/create".into()),
            ("x-shopify-hmac-sha256", hmac),
            ("x-shopify-shop-domain", SHOP_DOMAIN.into()),
            ("x-shopify-api-version", api_version.into()),
            ("x-shopify-webhook-id", uuid_v4()),
            ("x-shopify-event-id", uuid_v4()),
            (
                "x-shopify-triggered-at",
                chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            ),
        ],
        body: body.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_and_verifies() {
        let sig = sign("s3cret", b"{}").unwrap();
        assert!(verify("s3cret", b"{}", &sig));
        assert!(!verify("other", b"{}", &sig));
        assert!(!verify("s3cret", b"{ }", &sig));
        assert_eq!(uuid_v4().len(), 36);
    }
}
