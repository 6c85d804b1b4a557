//! Outgoing webhooks as ShipBob's dated API sends them: the shipment as JSON, the topic in
//! `x-webhook-topic`, signed the Standard Webhooks way (`webhook-id`, `webhook-timestamp`,
//! `webhook-signature: v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`), the key being
//! the base64 after the subscription secret's `whsec_` prefix. A retry repeats the same id.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::Rng;

use super::Shared;
use crate::WebhookFate;

const TIMEOUT: Duration = Duration::from_secs(15);

/// Key bytes of a subscription secret: `whsec_<base64>` is decoded, anything else used as is.
pub fn key(secret: &str) -> Vec<u8> {
    match secret.strip_prefix("whsec_") {
        Some(encoded) => STANDARD
            .decode(encoded)
            .unwrap_or_else(|_| secret.as_bytes().to_vec()),
        None => secret.as_bytes().to_vec(),
    }
}

/// `v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> String {
    match Hmac::<sha2::Sha256>::new_from_slice(&key(secret)) {
        Ok(mut mac) => {
            mac.update(format!("{id}.{timestamp}.").as_bytes());
            mac.update(body);
            format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
        }
        Err(_) => String::new(),
    }
}

/// A webhook as it left ShipBob (also kept when no target is set or it was lost), for tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentWebhook {
    pub topic: String,
    /// Lower-case header names and their values; empty for a lost one.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// How many times it was posted (0 when lost, 2 for a retried delivery).
    pub deliveries: u32,
}

fn message_id() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut rng = rand::rng();
    let tail: String = (0..27)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("msg_{tail}")
}

/// Sends one event according to `fate` and logs it. A failed POST is only logged (ShipBob
/// retries with backoff; the simulator leaves that to the `Duplicate` fate).
pub async fn deliver(shared: &Shared, topic: &str, body: Vec<u8>, fate: WebhookFate) {
    let times: u32 = match fate {
        WebhookFate::Lose => 0,
        WebhookFate::Deliver => 1,
        WebhookFate::Duplicate => 2,
    };
    let id = message_id();
    let timestamp = chrono::Utc::now().timestamp();
    let headers = vec![
        ("content-type".to_string(), "application/json".to_string()),
        ("webhook-id".to_string(), id.clone()),
        ("webhook-timestamp".to_string(), timestamp.to_string()),
        (
            "webhook-signature".to_string(),
            sign(&shared.config.webhook_secret, &id, timestamp, &body),
        ),
        ("x-webhook-topic".to_string(), topic.to_string()),
    ];
    shared.with_store(|s| {
        s.stats.webhooks_sent += u64::from(times);
        s.webhook_log.push(SentWebhook {
            topic: topic.to_string(),
            headers: if times == 0 {
                Vec::new()
            } else {
                headers.clone()
            },
            body: body.clone(),
            deliveries: times,
        });
    });
    let Some(target) = shared.webhook_target() else {
        return;
    };
    for _ in 0..times {
        let mut request = shared.http.post(&target).timeout(TIMEOUT);
        for (name, value) in &headers {
            request = request.header(name, value);
        }
        let request = request.body(body.clone());
        if let Err(err) = crate::record::send(&shared.recorder, &shared.http, request).await {
            tracing::warn!(%err, "shipbob simulator: webhook delivery failed");
        }
    }
}
