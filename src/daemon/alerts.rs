//! Sends the alert queue (`alerts` table, written with each exception's opening and each
//! reminder) to every configured sink: one text per sink folding whatever queued since its
//! last message (`core::exceptions::fold`), at most one message per `alerts.min_interval_secs`,
//! retried with backoff from the sink's cursor, which moves only after a send succeeded.
//! A restart resumes from the cursor: nothing queued is lost, a message whose success was not
//! yet recorded is sent again (the e-mail with the same `Message-ID`). Its own task, so a
//! slow receiver never holds up a worker.

use std::sync::Arc;
use std::time::Duration;

use switchyard_connectors::alerts::{AlertError, AlertSink};
use switchyard_core::exceptions::fold;
use switchyard_core::store::now_ms;
use tokio::sync::watch;

use super::App;
use super::faults::repeated;

/// How often the queue is looked at.
const TICK: Duration = Duration::from_millis(500);
/// Alerts queued in a burst are gathered: a message goes once the newest one is this old
/// (or the oldest has waited ten times as long).
const SETTLE_MS: i64 = 2_000;
/// Alerts older than this when a sink first sees them are not sent (a sink added to an old
/// database does not receive its history).
const HISTORY_MS: i64 = 24 * 3600 * 1000;
/// Alerts read per message (the text lists the first ones and counts the rest).
const BATCH: i64 = 500;
/// Reminders are queued this often at most.
const REMINDER_SCAN: Duration = Duration::from_secs(30);

/// Backoff after `attempts` failed sends: 5 s doubling, at most 10 minutes.
fn backoff_ms(attempts: i64) -> i64 {
    (5_000_i64 << attempts.clamp(0, 7)).min(600_000)
}

pub async fn run(
    app: Arc<App>,
    sinks: Vec<Arc<dyn AlertSink>>,
    mut stopped: watch::Receiver<bool>,
) {
    let cfg = app.config.alerts.clone();
    let min_interval_ms = (cfg.min_interval_secs as i64).saturating_mul(1000);
    let reminder_ms = (cfg.reminder_secs as i64).saturating_mul(1000);
    let store = app.exceptions.store();
    let mut last_reminder_scan: Option<tokio::time::Instant> = None;
    loop {
        if last_reminder_scan.is_none_or(|t| t.elapsed() >= REMINDER_SCAN) {
            match store.queue_reminders(now_ms(), reminder_ms).await {
                Ok(n) => {
                    if n > 0 {
                        tracing::info!(reminders = n, "exceptions still open; reminders queued");
                    }
                    last_reminder_scan = Some(tokio::time::Instant::now());
                }
                Err(e) => app.store_failed("queueing alert reminders", &e),
            }
        }
        for sink in &sinks {
            let id = sink.id();
            let now = now_ms();
            let state = match store.alert_sink(&id).await {
                Ok(s) => s,
                Err(e) => {
                    app.store_failed("reading an alert sink", &e);
                    continue;
                }
            };
            if now < state.next_at
                || state
                    .last_sent_at
                    .is_some_and(|t| now - t < min_interval_ms)
            {
                continue;
            }
            let items = match store
                .alerts_after(state.delivered_through, now - HISTORY_MS, BATCH)
                .await
            {
                Ok(items) => items,
                Err(e) => {
                    app.store_failed("reading queued alerts", &e);
                    continue;
                }
            };
            let (Some(first), Some(last)) = (items.first(), items.last()) else {
                continue;
            };
            if now - last.at < SETTLE_MS && now - first.at < SETTLE_MS * 10 {
                continue;
            }
            let text = fold(&items);
            let key = format!("{id}:{}-{}", first.id, last.id);
            let result = tokio::select! {
                r = sink.send(&key, &text) => r,
                _ = stopped.changed() => return,
            };
            let stored = match result {
                Ok(()) => {
                    tracing::info!(sink = %id, alerts = items.len(), through = last.id, "alerts sent");
                    store.alert_sent(&id, last.id, now_ms()).await
                }
                Err(e) => {
                    let next_at = now_ms() + backoff_ms(state.attempts);
                    let level_refused = matches!(e, AlertError::Refused(_));
                    repeated!(app.repeats, warn, format!("alert {id}\0{e}"), sink = %id, error = %e, refused = level_refused, attempts = state.attempts + 1, "sending alerts failed; will retry");
                    store.alert_failed(&id, &e.to_string(), next_at).await
                }
            };
            if let Err(e) = stored {
                app.store_failed("recording an alert send", &e);
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(TICK) => {}
            _ = stopped.changed() => {}
        }
        if *stopped.borrow() {
            return;
        }
    }
}
