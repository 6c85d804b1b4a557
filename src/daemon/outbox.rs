//! Outbox → channels: write-backs with their idempotency keys, retried with backoff, and moved
//! to dead letters after the last attempt.

use std::sync::Arc;

use switchyard_core::model::Shipment;
use switchyard_core::store::{OutboxItem, now_ms};
use tokio::sync::watch;

use super::{App, backoff_ms};

pub async fn run(app: Arc<App>, mut stopped: watch::Receiver<bool>) {
    loop {
        let due = match app.store.due_outbox(now_ms(), 50).await {
            Ok(d) => d,
            Err(e) => {
                tracing::error!(error = %e, "reading the outbox failed");
                Vec::new()
            }
        };
        if due.is_empty() {
            if !super::idle(&app.wake.outbox, app.timing.idle_scan, &mut stopped).await {
                return;
            }
            continue;
        }
        for item in &due {
            let result = deliver(&app, item).await;
            let labels = format!("channel=\"{}\",kind=\"{}\"", item.channel_id, item.kind);
            let stored = match result {
                Ok(()) => {
                    app.metrics.add("outbox_delivered_total", &labels, 1);
                    tracing::info!(key = %item.idempotency_key, "write-back delivered");
                    app.store.complete_outbox(item.id).await
                }
                Err((error, retryable)) => {
                    app.metrics.add("outbox_failures_total", &labels, 1);
                    let give_up = !retryable || item.attempts + 1 >= app.timing.outbox_max_attempts;
                    if give_up {
                        tracing::error!(key = %item.idempotency_key, %error, "write-back moved to dead letters");
                    } else {
                        tracing::warn!(key = %item.idempotency_key, %error, "write-back failed; will retry");
                    }
                    let retry_at = (!give_up).then(|| now_ms() + backoff_ms(item.attempts));
                    app.store.fail_outbox(item.id, &error, retry_at).await
                }
            };
            if let Err(e) = stored {
                tracing::error!(error = %e, "recording outbox outcome failed");
            }
            if *stopped.borrow() {
                return;
            }
        }
    }
}

/// Carries out one item; the error says whether trying again may help.
async fn deliver(app: &App, item: &OutboxItem) -> Result<(), (String, bool)> {
    let channel = app.channels.get(&item.channel_id).ok_or_else(|| {
        (
            format!("channel `{}` is not configured", item.channel_id),
            false,
        )
    })?;
    match item.kind.as_str() {
        "write_back_shipment" => {
            let shipment: Shipment = serde_json::from_value(item.payload.clone())
                .map_err(|e| (format!("payload unreadable: {e}"), false))?;
            channel
                .write_back_shipment(&shipment, &item.idempotency_key)
                .await
                .map_err(|e| (e.to_string(), e.is_retryable()))
        }
        other => Err((format!("unknown outbox kind `{other}`"), false)),
    }
}
