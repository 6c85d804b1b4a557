//! Outbox → channels and fulfilment partners: write-backs, submissions and cancellations with
//! their idempotency keys, retried with backoff, and moved to dead letters after the last attempt.

use super::metrics::ChannelKind;
use std::sync::Arc;

use switchyard_core::exceptions::{ExceptionKind, Subject};
use switchyard_core::fulfillment::{CancelOutcome, OrderRef};
use switchyard_core::model::Shipment;
use switchyard_core::ports::{Refund, RefundOutcome};
use switchyard_core::store::{OutboxItem, now_ms};
use tokio::sync::watch;
use tracing::Instrument;

use super::faults::Backoff;
use super::{App, retry_at_ms};

pub async fn run(app: Arc<App>, mut stopped: watch::Receiver<bool>) {
    let mut backoff = Backoff::worker();
    loop {
        let due = match app.store.due_outbox(now_ms(), 50).await {
            Ok(d) => d,
            Err(e) => {
                app.store_failed("reading the outbox", &e);
                if !backoff.wait(&mut stopped).await {
                    return;
                }
                continue;
            }
        };
        if due.is_empty() {
            if !super::idle(&app.wake.outbox, app.timing.idle_scan, &mut stopped).await {
                return;
            }
            continue;
        }
        let mut failed = false;
        for item in &due {
            let span = tracing::info_span!(
                "outbox",
                channel = %item.channel_id,
                kind = %item.kind,
                key = %item.idempotency_key,
                order_id = item.payload.get("order_id").and_then(|v| v.as_i64())
            );
            let result = deliver(&app, item).instrument(span.clone()).await;
            let labels = ChannelKind::new(&item.channel_id, &item.kind);
            let stored = match result {
                Ok(Done::Plain) => {
                    app.metrics.outbox_delivered.get_or_create(&labels).inc();
                    tracing::info!(key = %item.idempotency_key, kind = %item.kind, "outbox item delivered");
                    app.store.complete_outbox(item.id).await
                }
                Ok(Done::Submitted { partner_order_id }) => {
                    app.metrics.outbox_delivered.get_or_create(&labels).inc();
                    tracing::info!(key = %item.idempotency_key, %partner_order_id, "order handed to its partner");
                    app.store
                        .record_submission(item.id, &item.idempotency_key, &partner_order_id)
                        .await
                }
                Ok(Done::CancelAnswered { order, outcome }) => {
                    app.metrics.outbox_delivered.get_or_create(&labels).inc();
                    tracing::info!(key = %item.idempotency_key, ?outcome, "cancellation answered");
                    let stored = app
                        .store
                        .record_cancel_answer(item.id, &item.channel_id, &order, &outcome)
                        .await;
                    app.wake.fulfil.notify_one();
                    stored
                }
                Ok(Done::ChannelCancelled {
                    cancellation_id,
                    detail,
                }) => {
                    app.metrics.outbox_delivered.get_or_create(&labels).inc();
                    tracing::info!(key = %item.idempotency_key, cancellation_id, %detail, "cancelled on the channel");
                    app.operator
                        .complete_channel_cancel(item.id, cancellation_id, &detail)
                        .await
                }
                Ok(Done::Refund { rma_id, outcome }) => {
                    app.metrics.outbox_delivered.get_or_create(&labels).inc();
                    match &outcome {
                        RefundOutcome::Refunded { refund_id } => {
                            tracing::info!(key = %item.idempotency_key, %refund_id, "refund written back")
                        }
                        RefundOutcome::ByPerson { why } => {
                            tracing::warn!(key = %item.idempotency_key, %why, "refund left to a person")
                        }
                    }
                    app.store
                        .returns()
                        .record_refund(item.id, rma_id, &outcome, now_ms())
                        .await
                }
                Err((error, retryable, cause)) => {
                    app.metrics.outbox_failures.get_or_create(&labels).inc();
                    let give_up = !retryable || item.attempts + 1 >= app.timing.outbox_max_attempts;
                    if give_up {
                        tracing::error!(key = %item.idempotency_key, %error, "write-back moved to dead letters");
                    } else {
                        tracing::warn!(key = %item.idempotency_key, %error, "write-back failed; will retry");
                    }
                    let retry_at =
                        (!give_up).then(|| retry_at_ms(now_ms(), item.attempts, cause.as_ref()));
                    let failed = app.store.fail_outbox(item.id, &error, retry_at).await;
                    if give_up && failed.is_ok() {
                        raise_dead_letter(&app, item, &error)
                            .instrument(span.clone())
                            .await;
                    }
                    match (give_up, super::cancel::cancellation_id(item)) {
                        (true, Some(id)) if failed.is_ok() => {
                            let detail = format!("the channel refused: {error}");
                            app.operator.fail_channel_cancel(id, &detail).await
                        }
                        _ => failed,
                    }
                }
            };
            if let Err(e) = stored {
                // Still due: delivered again (same idempotency key) once the store writes.
                app.store_failed("recording an outbox outcome", &e);
                failed = true;
                break;
            }
            if *stopped.borrow() {
                return;
            }
        }
        if failed {
            if !backoff.wait(&mut stopped).await {
                return;
            }
        } else {
            backoff.reset();
        }
    }
}

/// A side effect given up is an exception on its dead letter (cleared by its replay).
async fn raise_dead_letter(app: &App, item: &OutboxItem, error: &str) {
    let id = match app.store.dead_letters(20).await {
        Ok(rows) => rows
            .into_iter()
            .find(|d| d.idempotency_key == item.idempotency_key && d.replayed_at.is_none())
            .map(|d| d.id),
        Err(e) => {
            app.store_failed("reading dead letters", &e);
            None
        }
    };
    let Some(id) = id else {
        return;
    };
    app.exceptions
        .raise(
            ExceptionKind::DeadLetter,
            Subject::DeadLetter(id),
            &format!(
                "{} for {} ({}) gave up after {} attempt(s): {error}",
                item.kind,
                item.channel_id,
                item.idempotency_key,
                item.attempts + 1
            ),
        )
        .await;
}

/// Why an item was not delivered, whether trying again may help, and the channel's error when
/// it came from one (a rate limit's `Retry-After` sets the next attempt).
type Failure = (String, bool, Option<switchyard_core::ports::ChannelError>);

/// What a delivered item leaves to record.
enum Done {
    Plain,
    Submitted {
        partner_order_id: String,
    },
    /// The partner's answer to a cancellation, applied as a partner event.
    CancelAnswered {
        order: OrderRef,
        outcome: CancelOutcome,
    },
    /// The channel confirmed a seller cancellation.
    ChannelCancelled {
        cancellation_id: i64,
        detail: String,
    },
    /// The channel's answer to a return's refund, recorded on the RMA.
    Refund {
        rma_id: i64,
        outcome: RefundOutcome,
    },
}

/// Carries out one item; the error says whether trying again may help.
async fn deliver(app: &App, item: &OutboxItem) -> Result<Done, Failure> {
    match item.kind.as_str() {
        "write_back_shipment" => {
            let channel = app.channels.get(&item.channel_id).ok_or_else(|| {
                (
                    format!("channel `{}` is not configured", item.channel_id),
                    false,
                    None,
                )
            })?;
            let shipment: Shipment = serde_json::from_value(item.payload.clone())
                .map_err(|e| (format!("payload unreadable: {e}"), false, None))?;
            channel
                .write_back_shipment(&shipment, &item.idempotency_key)
                .await
                .map(|()| Done::Plain)
                .map_err(|e| (e.to_string(), e.is_retryable(), Some(e)))
        }
        "submit_fulfillment" => {
            let target = target(app, &item.channel_id)?;
            let order_id = item
                .payload
                .get("order_id")
                .and_then(serde_json::Value::as_i64)
                .ok_or_else(|| ("payload has no order_id".to_string(), false, None))?;
            let work = app
                .store
                .submission_work(order_id, &item.channel_id)
                .await
                .map_err(|e| (e.to_string(), true, None))?
                .ok_or_else(|| (format!("order {order_id} is gone"), false, None))?;
            if work.units.is_empty() {
                return Err((
                    format!("order {order_id} holds nothing at {}", item.channel_id),
                    false,
                    None,
                ));
            }
            let order = super::fulfil::fulfillment_order(&work, &item.idempotency_key);
            let receipt = target
                .submit(&order, &item.idempotency_key)
                .await
                .map_err(|e| (e.to_string(), e.is_retryable(), None))?;
            Ok(Done::Submitted {
                partner_order_id: receipt.partner_order_id,
            })
        }
        "cancel_fulfillment" => {
            let target = target(app, &item.channel_id)?;
            let order: OrderRef = serde_json::from_value(item.payload.clone())
                .map_err(|e| (format!("payload unreadable: {e}"), false, None))?;
            match target.cancel(&order, &item.idempotency_key).await {
                Ok(outcome) => {
                    if let CancelOutcome::TooLate { reason } = &outcome {
                        tracing::warn!(key = %item.idempotency_key, %reason, "the partner could not cancel; the order stays with it");
                    }
                    Ok(Done::CancelAnswered { order, outcome })
                }
                Err(e) => Err((e.to_string(), e.is_retryable(), None)),
            }
        }
        "cancel_order" => {
            let channel = app.channels.get(&item.channel_id).ok_or_else(|| {
                (
                    format!("channel `{}` is not configured", item.channel_id),
                    false,
                    None,
                )
            })?;
            let request: switchyard_core::cancellation::ChannelCancel =
                serde_json::from_value(item.payload.clone())
                    .map_err(|e| (format!("payload unreadable: {e}"), false, None))?;
            channel
                .cancel_order(&request, &item.idempotency_key)
                .await
                .map(|detail| Done::ChannelCancelled {
                    cancellation_id: request.cancellation_id,
                    detail,
                })
                .map_err(|e| (e.to_string(), e.is_retryable(), Some(e)))
        }
        "refund" => {
            let channel = app.channels.get(&item.channel_id).ok_or_else(|| {
                (
                    format!("channel `{}` is not configured", item.channel_id),
                    false,
                    None,
                )
            })?;
            let refund: Refund = serde_json::from_value(item.payload.clone())
                .map_err(|e| (format!("payload unreadable: {e}"), false, None))?;
            channel
                .refund(&refund, &item.idempotency_key)
                .await
                .map(|outcome| Done::Refund {
                    rma_id: refund.rma_id,
                    outcome,
                })
                .map_err(|e| (e.to_string(), e.is_retryable(), Some(e)))
        }
        other => Err((format!("unknown outbox kind `{other}`"), false, None)),
    }
}

fn target(
    app: &App,
    location: &str,
) -> Result<Arc<dyn switchyard_core::fulfillment::FulfillmentTarget>, Failure> {
    app.targets.get(location).cloned().ok_or_else(|| {
        (
            format!("location `{location}` has no fulfilment adapter configured"),
            false,
            None,
        )
    })
}
