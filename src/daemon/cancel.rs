//! Seller cancellations on the channel, the daemon's part: cancellations waiting for partners
//! move on once they answered (`OperatorStore::advance_cancellations`: the channel call is
//! queued in the same transaction), and, per channel with `cancel_unfulfillable_after_secs`,
//! held orders whose units have had nowhere to go that long are cancelled there with reason
//! out of stock (`core::cancellation::unfulfillable_ask`; whole orders only where the channel
//! cancels only whole orders).

use std::sync::Arc;
use std::time::Duration;

use switchyard_core::cancellation::{self, CancelState};
use switchyard_core::store::{OutboxItem, now_ms};
use tokio::sync::watch;

use super::App;
use super::faults::Backoff;

/// How often the worker looks (cancellations are rare; partners answer in seconds).
const SCAN: Duration = Duration::from_secs(1);

pub async fn run(app: Arc<App>, mut stopped: watch::Receiver<bool>) {
    let mut backoff = Backoff::worker();
    // Nothing wakes this worker early: it rescans every SCAN.
    let never = tokio::sync::Notify::new();
    loop {
        match pass(&app).await {
            Ok(moved) => {
                backoff.reset();
                if moved > 0 {
                    app.wake.outbox.notify_one();
                }
                if !super::idle(&never, SCAN, &mut stopped).await {
                    return;
                }
            }
            Err(e) => {
                app.store_failed("moving channel cancellations on", &e);
                if !backoff.wait(&mut stopped).await {
                    return;
                }
            }
        }
    }
}

async fn pass(app: &App) -> Result<u64, switchyard_core::store::StoreError> {
    let now = now_ms();
    let mut moved = app.operator.advance_cancellations(now).await?;
    for c in &app.config.channels {
        let Some(after) = c.cancel_unfulfillable_after_secs else {
            continue;
        };
        let before =
            now.saturating_sub(i64::try_from(after.saturating_mul(1000)).unwrap_or(i64::MAX));
        for held in app.operator.unfulfillable_orders(&c.id, before, 50).await? {
            let Some(ask) =
                cancellation::unfulfillable_ask(c.kind, &held.order, &held.unrouted_skus)
            else {
                super::faults::repeated!(app.repeats, warn, format!("uncancellable:{}", held.order_id),
                    order = %held.order.number, channel = %c.id,
                    "held lines have nowhere to go, but {} cancels only whole orders; a person decides", c.kind);
                continue;
            };
            match app
                .operator
                .cancel_on_channel(held.order_id, &ask, "daemon")
                .await?
            {
                Ok(row) => {
                    moved += 1;
                    if row.state == CancelState::NeedsPerson {
                        tracing::warn!(order = %row.number, channel = %c.id, detail = row.detail.as_deref().unwrap_or(""), "held too long: cancel it on the channel by hand");
                    } else {
                        tracing::info!(order = %row.number, channel = %c.id, cancellation = row.id, "held too long with nowhere to go: cancelled on the channel (out of stock)");
                    }
                }
                Err(refusal) => {
                    tracing::warn!(order = %held.order.number, channel = %c.id, %refusal, "held too long, but cannot be cancelled");
                }
            }
        }
    }
    Ok(moved)
}

/// The cancellation an outbox `cancel_order` item belongs to.
pub(super) fn cancellation_id(item: &OutboxItem) -> Option<i64> {
    (item.kind == "cancel_order")
        .then(|| {
            item.payload
                .get("cancellation_id")
                .and_then(serde_json::Value::as_i64)
        })
        .flatten()
}
