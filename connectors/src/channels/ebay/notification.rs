//! eBay Notification API deliveries: `X-EBAY-SIGNATURE` is base64 of
//! `{"alg":"ecdsa","kid","signature","digest":"SHA1"}`; the signature (DER, base64) is ECDSA
//! over the SHA-1 of the message's COMPACT JSON, not of the bytes as delivered. The public key
//! comes from `getPublicKey(kid)` (application token) and is cached by `kid`.
//!
//! The compact form is made by dropping insignificant whitespace from the raw bytes, which
//! keeps the sender's key order and escapes (re-serializing through `serde_json::Value` would
//! sort the keys without the `preserve_order` feature).

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use p256::ecdsa::signature::hazmat::PrehashVerifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::pkcs8::DecodePublicKey;
use serde::Deserialize;
use serde_json::Value;
use sha1::{Digest, Sha1};
use sha2::Sha256;
use switchyard_core::ports::{
    ChannelError, Delivery, IngestError, RawOrder, THIN_FORMAT, WebhookRequest,
};
use tokio::sync::Mutex;

use crate::http::{check_status, transport};

use super::auth::TokenSource;
use super::dedup::hex;

pub const SIGNATURE_HEADER: &str = "x-ebay-signature";

/// The decoded `X-EBAY-SIGNATURE` header.
#[derive(Debug, Deserialize)]
struct SignatureHeader {
    alg: String,
    kid: String,
    signature: String,
    digest: String,
}

/// Verifies deliveries and keeps the public keys it has fetched.
pub struct NotificationVerifier {
    http: reqwest::Client,
    /// API root such as `https://api.ebay.com`.
    root: String,
    app_tokens: TokenSource,
    keys: Mutex<HashMap<String, VerifyingKey>>,
}

impl NotificationVerifier {
    pub fn new(http: reqwest::Client, root: &str, app_tokens: TokenSource) -> Self {
        Self {
            http,
            root: root.trim_end_matches('/').to_string(),
            app_tokens,
            keys: Mutex::new(HashMap::new()),
        }
    }

    /// Checks the signature, then classifies: a notification naming an order becomes a thin
    /// delivery keyed by `notificationId`; any other topic is acknowledged.
    pub async fn verify(&self, request: &WebhookRequest) -> Result<Delivery, IngestError> {
        let header = request
            .header(SIGNATURE_HEADER)
            .ok_or_else(|| IngestError::BadSignature("X-EBAY-SIGNATURE missing".into()))?;
        let header = decode_header(header)?;
        let key = self.key(&header.kid).await?;
        verify_with_key(&key, &header, &request.body)?;
        classify(&request.body)
    }

    async fn key(&self, kid: &str) -> Result<VerifyingKey, IngestError> {
        if let Some(key) = self.keys.lock().await.get(kid) {
            return Ok(*key);
        }
        let key = self
            .fetch_key(kid)
            .await
            .map_err(|e| IngestError::BadSignature(format!("public key {kid}: {e}")))?;
        self.keys.lock().await.insert(kid.to_string(), key);
        Ok(key)
    }

    /// `GET /commerce/notification/v1/public_key/{kid}`; an expired token is refreshed once.
    async fn fetch_key(&self, kid: &str) -> Result<VerifyingKey, ChannelError> {
        if !kid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(ChannelError::Rejected("kid is not a key id".into()));
        }
        let url = format!("{}/commerce/notification/v1/public_key/{kid}", self.root);
        let mut refreshed = false;
        loop {
            let token = self.app_tokens.token().await?;
            let response = self
                .http
                .get(&url)
                .bearer_auth(&token)
                .send()
                .await
                .map_err(transport)?;
            match check_status(response).await {
                Ok(response) => {
                    let body: Value = response.json().await.map_err(transport)?;
                    let pem = body
                        .get("key")
                        .and_then(Value::as_str)
                        .ok_or_else(|| ChannelError::Decode("public key without `key`".into()))?;
                    return parse_public_key(pem).map_err(ChannelError::Decode);
                }
                Err(ChannelError::Auth(_)) if !refreshed => {
                    self.app_tokens.invalidate(&token).await;
                    refreshed = true;
                }
                Err(other) => return Err(other),
            }
        }
    }
}

fn decode_header(header: &str) -> Result<SignatureHeader, IngestError> {
    let bad = |why: &str| IngestError::BadSignature(format!("X-EBAY-SIGNATURE {why}"));
    let json = STANDARD
        .decode(header.trim())
        .map_err(|_| bad("is not base64"))?;
    let header: SignatureHeader =
        serde_json::from_slice(&json).map_err(|_| bad("is not {alg, kid, signature, digest}"))?;
    if !header.alg.eq_ignore_ascii_case("ecdsa") {
        return Err(bad(&format!("names algorithm `{}`", header.alg)));
    }
    if !header.digest.eq_ignore_ascii_case("sha1") {
        return Err(bad(&format!("names digest `{}`", header.digest)));
    }
    Ok(header)
}

/// ECDSA over SHA-1 of the compact JSON.
fn verify_with_key(
    key: &VerifyingKey,
    header: &SignatureHeader,
    body: &[u8],
) -> Result<(), IngestError> {
    let der = STANDARD
        .decode(header.signature.trim())
        .map_err(|_| IngestError::BadSignature("signature is not base64".into()))?;
    let signature = Signature::from_der(&der)
        .map_err(|_| IngestError::BadSignature("signature is not a DER ECDSA signature".into()))?;
    let compact = compact_json(body)
        .ok_or_else(|| IngestError::Unreadable("notification body is not JSON".into()))?;
    let digest = Sha1::digest(&compact);
    key.verify_prehash(&digest, &signature)
        .map_err(|_| IngestError::BadSignature("signature does not match the message".into()))
}

/// A PEM public key as eBay sends it: header, base64 and footer, often on one line.
pub fn parse_public_key(pem: &str) -> Result<VerifyingKey, String> {
    let body: String = pem
        .replace("-----BEGIN PUBLIC KEY-----", "")
        .replace("-----END PUBLIC KEY-----", "")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let der = STANDARD
        .decode(body)
        .map_err(|_| "public key is not base64 PEM".to_string())?;
    VerifyingKey::from_public_key_der(&der)
        .map_err(|_| "public key is not a P-256 SubjectPublicKeyInfo".to_string())
}

/// The raw JSON without whitespace outside strings; `None` when it is not JSON at all.
pub fn compact_json(raw: &[u8]) -> Option<Vec<u8>> {
    serde_json::from_slice::<serde::de::IgnoredAny>(raw).ok()?;
    let mut out = Vec::with_capacity(raw.len());
    let mut in_string = false;
    let mut escaped = false;
    for &b in raw {
        if in_string {
            out.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if b == b'"' {
            in_string = true;
            out.push(b);
        } else if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            out.push(b);
        }
    }
    Some(out)
}

/// A notification about an order (ORDER_CONFIRMATION, ITEM_MARKED_SHIPPED, …) carries an
/// `orderId` somewhere under `notification.data`; its full order is fetched later.
fn classify(body: &[u8]) -> Result<Delivery, IngestError> {
    let message: Value = serde_json::from_slice(body)
        .map_err(|e| IngestError::Unreadable(format!("notification body: {e}")))?;
    let topic = message
        .pointer("/metadata/topic")
        .and_then(Value::as_str)
        .unwrap_or("unknown")
        .to_string();
    let notification = message
        .get("notification")
        .ok_or_else(|| IngestError::Unreadable("notification missing".into()))?;
    let order_id = notification.get("data").and_then(find_order_id);
    let Some(order_id) = order_id else {
        return Ok(Delivery::Acknowledge {
            reason: format!("eBay topic {topic} carries no order"),
        });
    };
    let notification_id = notification
        .get("notificationId")
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| hex(&Sha256::digest(body)));
    Ok(Delivery::Order(RawOrder {
        format: THIN_FORMAT.into(),
        external_id: Some(order_id),
        dedup_key: notification_id,
        topic,
        body: body.to_vec(),
    }))
}

fn find_order_id(value: &Value) -> Option<String> {
    match value {
        Value::Object(map) => map
            .get("orderId")
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim().to_string())
            .or_else(|| map.values().find_map(find_order_id)),
        Value::Array(items) => items.iter().find_map(find_order_id),
        _ => None,
    }
}

/// The answer to eBay's endpoint check (`GET ?challenge_code=…`): hex SHA-256 of the challenge
/// code, the verification token and the endpoint URL, concatenated. The daemon answers it on
/// `GET /webhooks/{channel}` (src/daemon/server.rs).
pub fn challenge_response(code: &str, verification_token: &str, endpoint: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(code.as_bytes());
    hasher.update(verification_token.as_bytes());
    hasher.update(endpoint.as_bytes());
    hex(&hasher.finalize())
}

#[cfg(test)]
#[path = "notification_tests.rs"]
mod tests;
