//! Outgoing webhooks as WooCommerce sends them: JSON body, `X-WC-Webhook-*` headers, a new
//! delivery id every time, no retries (a failure is only recorded), and an unsigned
//! `webhook_id=N` ping when a webhook is saved.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::Shared;
use super::store::WebhookRecord;
use crate::WebhookFate;

const TIMEOUT: Duration = Duration::from_secs(5);
const USER_AGENT: &str = "WooCommerce/9.8.0 Hookshot (WordPress/6.8)";

/// Each topic is its own webhook in WooCommerce, with its own id.
pub const TOPICS: [(&str, u64); 4] = [
    ("order.created", 1),
    ("order.updated", 2),
    ("order.deleted", 3),
    ("order.restored", 4),
];

fn webhook_id(topic: &str) -> u64 {
    TOPICS
        .iter()
        .find(|(t, _)| *t == topic)
        .map_or(0, |(_, id)| *id)
}

pub fn sign(secret: &str, body: &[u8]) -> String {
    match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(body);
            STANDARD.encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

/// Sends `body` for `topic` according to `fate`.
pub async fn deliver(
    shared: &Shared,
    topic: &str,
    order_id: &str,
    body: Vec<u8>,
    fate: WebhookFate,
) {
    let times = match fate {
        WebhookFate::Lose => 0,
        WebhookFate::Deliver => 1,
        WebhookFate::Duplicate => 2,
    };
    let Some(target) = shared.webhook_target() else {
        return;
    };
    let (resource, event) = topic.split_once('.').unwrap_or((topic, ""));
    let id = webhook_id(topic);
    for _ in 0..times {
        let delivery_id = shared.with_store(|s| {
            s.next_delivery_id += 1;
            s.next_delivery_id
        });
        let request = shared
            .http
            .post(&target)
            .timeout(TIMEOUT)
            .header("content-type", "application/json")
            .header("user-agent", USER_AGENT)
            .header("x-wc-webhook-source", format!("{}/", shared.base_url))
            .header("x-wc-webhook-topic", topic)
            .header("x-wc-webhook-resource", resource)
            .header("x-wc-webhook-event", event)
            .header(
                "x-wc-webhook-signature",
                sign(&shared.config.webhook_secret, &body),
            )
            .header("x-wc-webhook-id", id.to_string())
            .header("x-wc-webhook-delivery-id", delivery_id.to_string())
            .body(body.clone());
        let outcome = crate::record::send(&shared.recorder, &shared.http, request).await;
        if matches!(outcome, Ok(status) if (200..300).contains(&status)) {
            shared.journal.webhook_acked(order_id);
        }
        shared.with_store(|s| {
            s.stats.webhooks_sent += 1;
            s.webhook_log.push(WebhookRecord {
                topic: topic.to_string(),
                webhook_id: id,
                delivery_id,
                outcome,
            });
        });
    }
}

/// The creation ping of every order webhook, to a newly set delivery URL.
pub async fn ping(shared: &Shared, target: &str) {
    for (topic, id) in TOPICS.iter().take(2) {
        let request = shared
            .http
            .post(target)
            .timeout(TIMEOUT)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("user-agent", USER_AGENT)
            .body(format!("webhook_id={id}"));
        let outcome = crate::record::send(&shared.recorder, &shared.http, request).await;
        shared.with_store(|s| {
            s.webhook_log.push(WebhookRecord {
                topic: format!("ping:{topic}"),
                webhook_id: *id,
                delivery_id: 0,
                outcome,
            });
        });
    }
}
