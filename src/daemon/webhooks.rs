//! Events out by webhook: one worker per configured subscription (`webhooks:`) follows the
//! event log from its durable cursor and POSTs each event of its types, one at a time and in
//! order, signed with the subscription's secret:
//!
//! ```text
//! X-Switchyard-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
//! X-Switchyard-Event-Id: <event id>        (also Idempotency-Key)
//! X-Switchyard-Event-Type: <type>
//! ```
//!
//! A 2xx answer moves the cursor past the event (one transaction). Anything else — another
//! status, a refused connection, no answer within `timeout_secs` — counts an attempt in the
//! store and waits a backon exponential backoff (with jitter) before the same event again, so
//! the order holds; after `max_attempts` the event becomes a dead letter and the cursor moves
//! past it in the same transaction, so one bad event never stops the ones after it. An
//! operator's replay (`webhooks replay`, the admin API) sends a dead letter again with the same
//! id, with the same retries. Delivery is at least once: a crash after the receiver answered
//! and before the cursor moved sends that event again, with the same id.
//!
//! The worker only reads events and writes its own cursor, so a slow or dead receiver never
//! holds back the pipeline, and each subscription has its own pace. Events are written by
//! every worker and by the CLI (another process), so there is no wake-up: an idle worker looks
//! at the log every `idle_scan` (500 ms), which bounds the latency of a delivery.

use std::sync::Arc;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use switchyard_connectors::fulfillment::http_json::signature;
use switchyard_core::config::{WebhookConfig, WebhookStart};
use switchyard_core::events::{Event, EventType};
use switchyard_core::store::{StoreError, now_ms};
use tokio::sync::{Notify, watch};

use super::App;
use super::faults::Backoff;

/// Events read per round; each is still sent and recorded one at a time.
const PAGE: i64 = 50;

/// The header naming the event, also sent as `Idempotency-Key`.
pub const EVENT_ID_HEADER: &str = "X-Switchyard-Event-Id";
pub const EVENT_TYPE_HEADER: &str = "X-Switchyard-Event-Type";

/// Everything one subscription's worker needs.
struct Subscriber {
    hook: WebhookConfig,
    types: Vec<EventType>,
    client: reqwest::Client,
}

impl Subscriber {
    /// The wait before attempt `attempts + 1`: backon's exponential backoff from
    /// `min_backoff_ms`, doubling with jitter, capped at `max_backoff_secs`.
    fn retry_delay(&self, attempts: i64) -> Duration {
        let max = Duration::from_secs(self.hook.max_backoff_secs);
        ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(self.hook.min_backoff_ms))
            .with_max_delay(max)
            .with_jitter()
            .without_max_times()
            .build()
            .nth(usize::try_from(attempts.max(0)).unwrap_or(usize::MAX))
            .unwrap_or(max)
    }

    /// The next try's time after one more failure, or `None` when that was the last attempt.
    fn retry_at(&self, attempts_before: i64) -> Option<i64> {
        let attempts = attempts_before.saturating_add(1);
        if attempts >= i64::from(self.hook.max_attempts) {
            return None;
        }
        let wait = i64::try_from(self.retry_delay(attempts_before).as_millis()).unwrap_or(i64::MAX);
        Some(now_ms().saturating_add(wait))
    }

    /// POSTs one event; `Err` says why it did not count as delivered.
    async fn send(&self, event: &Event) -> Result<(), String> {
        let body = serde_json::to_vec(event).map_err(|e| format!("encoding the event: {e}"))?;
        let t = chrono::Utc::now().timestamp();
        let id = event.id.to_string();
        let answer = self
            .client
            .post(&self.hook.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(
                signature::HEADER,
                signature::sign(self.hook.secret.as_bytes(), t, &body),
            )
            .header(EVENT_ID_HEADER, &id)
            .header(EVENT_TYPE_HEADER, event.kind.as_str())
            .header("Idempotency-Key", &id)
            .body(body)
            .send()
            .await
            .map_err(|e| describe(&e))?;
        let status = answer.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("HTTP {}", status.as_u16()))
        }
    }
}

/// A transport error with its causes (reqwest's own text is just "error sending request").
fn describe(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        "no answer in time".to_string()
    } else {
        e.to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Runs one subscription until the daemon stops.
pub async fn run(app: Arc<App>, hook: WebhookConfig, mut stopped: watch::Receiver<bool>) {
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(hook.timeout_secs))
        .user_agent(concat!("switchyard/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(subscription = %hook.id, error = %e, "webhook client could not be built; this subscription is not served");
            return;
        }
    };
    let sub = Subscriber {
        types: hook.event_types(),
        hook,
        client,
    };
    let id = sub.hook.id.clone();
    let mut backoff = Backoff::worker();
    // The cursor first: a new subscription starts at the latest event or the beginning.
    loop {
        let start = match sub.hook.start {
            WebhookStart::Beginning => Ok(0),
            WebhookStart::Latest => app.store.last_event_id().await,
        };
        match start {
            Ok(start) => match app.store.webhook_cursor(&id, start).await {
                Ok(c) => {
                    tracing::info!(subscription = %id, position = c.position, url = %sub.hook.url, "webhook subscription running");
                    break;
                }
                Err(e) => app.store_failed("opening a webhook cursor", &e),
            },
            Err(e) => app.store_failed("reading the event log", &e),
        }
        if !backoff.wait(&mut stopped).await {
            return;
        }
    }
    backoff.reset();
    let wake = Notify::new();
    loop {
        match round(&app, &sub, &stopped).await {
            Ok(Next::Again) => backoff.reset(),
            Ok(Next::Wait(until)) => {
                backoff.reset();
                let idle = app.timing.idle_scan;
                let wait = until
                    .map(|at| Duration::from_millis(u64::try_from(at - now_ms()).unwrap_or(0)))
                    .map_or(idle, |w| w.min(idle));
                if !super::idle(&wake, wait, &mut stopped).await {
                    return;
                }
            }
            Err(e) => {
                app.store_failed("delivering webhook events", &e);
                if !backoff.wait(&mut stopped).await {
                    return;
                }
            }
        }
        if *stopped.borrow() {
            return;
        }
    }
}

enum Next {
    /// More may be due at once.
    Again,
    /// Nothing due before this time (or the idle rescan).
    Wait(Option<i64>),
}

/// One round: due replays, then events after the cursor until one fails or none are left.
async fn round(
    app: &App,
    sub: &Subscriber,
    stopped: &watch::Receiver<bool>,
) -> Result<Next, StoreError> {
    let id = sub.hook.id.as_str();
    for (dead, event) in app.store.due_webhook_replays(id, now_ms(), PAGE).await? {
        match sub.send(&event).await {
            Ok(()) => {
                tracing::info!(subscription = %id, event = event.id, "replayed webhook event delivered");
                app.store.webhook_replay_delivered(dead.id).await?;
            }
            Err(error) => {
                let retry_at = sub.retry_at(dead.attempts);
                if retry_at.is_none() {
                    tracing::error!(subscription = %id, event = event.id, %error, "replayed webhook event failed again; back in dead letters");
                }
                app.store
                    .webhook_replay_failed(dead.id, &error, retry_at)
                    .await?;
            }
        }
    }
    // A read, not `webhook_cursor` (which writes): an idle subscription costs no write.
    let Some(cursor) = app
        .store
        .webhook_cursors()
        .await?
        .into_iter()
        .find(|c| c.subscription == id)
    else {
        return Err(StoreError::NotFound(format!("webhook cursor `{id}`")));
    };
    let now = now_ms();
    if cursor.attempts > 0 && cursor.next_attempt_at > now {
        return Ok(Next::Wait(Some(cursor.next_attempt_at)));
    }
    let events = app.store.events(cursor.position, PAGE, &sub.types).await?;
    if events.is_empty() {
        return Ok(Next::Wait(None));
    }
    let mut attempts = cursor.attempts;
    for event in &events {
        match sub.send(event).await {
            Ok(()) => {
                tracing::debug!(subscription = %id, event = event.id, kind = %event.kind, "webhook event delivered");
                app.store.webhook_delivered(id, event.id).await?;
                attempts = 0;
            }
            Err(error) => {
                let retry_at = sub.retry_at(attempts);
                match retry_at {
                    Some(_) => {
                        tracing::warn!(subscription = %id, event = event.id, attempt = attempts + 1, %error, "webhook delivery failed; will retry")
                    }
                    None => {
                        tracing::error!(subscription = %id, event = event.id, attempts = attempts + 1, %error, "webhook event moved to dead letters")
                    }
                }
                app.store
                    .webhook_failed(id, event.id, &error, retry_at)
                    .await?;
                // In order: nothing after a failed event goes before it is delivered or dead.
                return Ok(if retry_at.is_some() {
                    Next::Wait(retry_at)
                } else {
                    Next::Again
                });
            }
        }
        if *stopped.borrow() {
            break;
        }
    }
    Ok(Next::Again)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(max_attempts: u32) -> Subscriber {
        Subscriber {
            hook: WebhookConfig {
                id: "erp".into(),
                url: "http://127.0.0.1:9/".into(),
                secret: "0123456789abcdef".into(),
                events: Vec::new(),
                start: WebhookStart::Latest,
                max_attempts,
                min_backoff_ms: 100,
                max_backoff_secs: 1,
                timeout_secs: 1,
            },
            types: Vec::new(),
            client: reqwest::Client::new(),
        }
    }

    #[test]
    fn retries_back_off_within_their_bounds_and_end_at_the_last_attempt() {
        let s = sub(4);
        for attempts in 0..10 {
            let d = s.retry_delay(attempts);
            assert!(d >= Duration::from_millis(100), "{attempts}: {d:?}");
            // Jitter adds up to one more delay on top of the capped one.
            assert!(d <= Duration::from_secs(2), "{attempts}: {d:?}");
        }
        assert!(s.retry_delay(5) >= Duration::from_secs(1));
        assert!(s.retry_at(0).is_some());
        assert!(s.retry_at(2).is_some());
        assert_eq!(s.retry_at(3), None, "the fourth failure is the last");
        assert_eq!(sub(1).retry_at(0), None);
    }
}
