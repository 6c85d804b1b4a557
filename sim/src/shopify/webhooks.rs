//! Sends webhooks the way Shopify does: raw JSON body, HMAC-SHA256 of it keyed with the app's
//! client secret (base64), and the `X-Shopify-*` headers. A failed delivery is not retried.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{SecondsFormat, Utc};
use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;

use crate::WebhookFate;

pub(crate) const SHOP_DOMAIN: &str = "switchyard-sim.myshopify.com";

/// Base64 HMAC-SHA256 of `body` keyed with `secret`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
}

fn uuid_v4() -> String {
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

/// One event to deliver.
pub(crate) struct Event {
    pub topic: &'static str,
    /// The order the event is about, for the journal.
    pub order_id: String,
    pub body: Vec<u8>,
}

/// Delivery counts: (sent, failed).
pub(crate) async fn deliver(
    shared: &super::server::Shared,
    target: Option<String>,
    event: Event,
    fate: WebhookFate,
) -> (u64, u64) {
    let (client, journal, recorder) = (&shared.http, &shared.journal, &*shared.recorder);
    let (secret, api_version) = (&shared.config.client_secret, &shared.config.api_version);
    let Some(target) = target else {
        return (0, 0);
    };
    let times = match fate {
        WebhookFate::Lose => 0,
        WebhookFate::Deliver => 1,
        WebhookFate::Duplicate => 2,
    };
    let webhook_id = uuid_v4();
    let event_id = uuid_v4();
    let hmac = sign(secret, &event.body);
    let triggered_at = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
    let (mut sent, mut failed) = (0, 0);
    for _ in 0..times {
        let request = client
            .post(&target)
            .timeout(Duration::from_secs(5))
            .header("Content-Type", "application/json")
            .header("X-Shopify-Topic", event.topic)
            .header("X-Shopify-Hmac-Sha256", &hmac)
            .header("X-Shopify-Shop-Domain", SHOP_DOMAIN)
            .header("X-Shopify-API-Version", api_version)
            .header("X-Shopify-Webhook-Id", &webhook_id)
            .header("X-Shopify-Event-Id", &event_id)
            .header("X-Shopify-Triggered-At", &triggered_at)
            .body(event.body.clone());
        match crate::record::send(recorder, client, request).await {
            Ok(status) if (200..300).contains(&status) => {
                journal.webhook_acked(&event.order_id);
                sent += 1;
            }
            Ok(status) => {
                tracing::warn!(status, topic = event.topic, "shopify sim: webhook refused");
                failed += 1;
            }
            Err(e) => {
                tracing::warn!(error = %e, topic = event.topic, "shopify sim: webhook failed");
                failed += 1;
            }
        }
    }
    (sent, failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_has_v4_shape() {
        let u = uuid_v4();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
    }
}
