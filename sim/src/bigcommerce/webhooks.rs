//! Outgoing webhooks as BigCommerce sends them: a thin JSON payload
//! `{scope, store_id, data: {type, id}, hash, created_at, producer}` signed the Standard Webhooks
//! way (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256>`) with the
//! app's client secret. A duplicate firing repeats the same body, id and `hash`.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::Shared;
use crate::WebhookFate;

const TIMEOUT: Duration = Duration::from_secs(5);

/// Key bytes of a client secret: `whsec_<base64>` is decoded, anything else is used as is.
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
    match Hmac::<Sha256>::new_from_slice(&key(secret)) {
        Ok(mut mac) => {
            mac.update(format!("{id}.{timestamp}.").as_bytes());
            mac.update(body);
            format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
        }
        Err(_) => String::new(),
    }
}

/// One event's payload and message id; `data` may carry more than the order id (status change).
pub fn event(
    shared: &Shared,
    scope: &str,
    order_id: u64,
    extra: Option<Value>,
) -> (String, Vec<u8>) {
    let n = shared.with_store(|s| {
        s.next_event += 1;
        s.next_event
    });
    let digest = Sha256::digest(format!("{scope}/{order_id}/{n}").as_bytes());
    let hash: String = digest.iter().take(20).map(|b| format!("{b:02x}")).collect();
    let mut data = json!({"type": "order", "id": order_id});
    if let Some(extra) = extra {
        data["status"] = extra;
    }
    let body = json!({
        "scope": scope,
        "store_id": shared.config.store_id,
        "data": data,
        "hash": hash,
        "created_at": chrono::Utc::now().timestamp(),
        "producer": format!("stores/{}", shared.config.store_hash),
    });
    (
        format!("msg_{hash}"),
        serde_json::to_vec(&body).unwrap_or_default(),
    )
}

/// Sends one event according to `fate` and logs it; a failed POST is only logged (the real
/// store retries for 48 hours).
pub async fn deliver(shared: &Shared, id: &str, order_id: &str, body: Vec<u8>, fate: WebhookFate) {
    let times = match fate {
        WebhookFate::Lose => 0,
        WebhookFate::Deliver => 1,
        WebhookFate::Duplicate => 2,
    };
    for _ in 0..times {
        let timestamp = chrono::Utc::now().timestamp();
        let headers = vec![
            ("content-type".to_string(), "application/json".to_string()),
            ("webhook-id".to_string(), id.to_string()),
            ("webhook-timestamp".to_string(), timestamp.to_string()),
            (
                "webhook-signature".to_string(),
                sign(&shared.config.client_secret, id, timestamp, &body),
            ),
        ];
        shared.with_store(|s| {
            s.stats.webhooks_sent += 1;
            s.webhook_log.push(SentWebhook {
                headers: headers.clone(),
                body: body.clone(),
            });
        });
        let Some(target) = shared.webhook_target() else {
            continue;
        };
        let mut request = shared.http.post(&target).timeout(TIMEOUT);
        for (name, value) in &headers {
            request = request.header(name, value);
        }
        let request = request.body(body.clone());
        match crate::record::send(&shared.recorder, &shared.http, request).await {
            Ok(status) if (200..300).contains(&status) => shared.journal.webhook_acked(order_id),
            Ok(status) => {
                tracing::warn!(status, "bigcommerce simulator: webhook refused")
            }
            Err(err) => tracing::warn!(%err, "bigcommerce simulator: webhook delivery failed"),
        }
    }
}

/// A webhook as it left the store (also kept when no target is set), for tests to replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentWebhook {
    /// Lower-case header names and their values.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}
