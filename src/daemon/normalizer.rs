//! Inbox → orders. Each delivery is normalized (pure), checked against the intake rules, and
//! applied in one transaction; one that cannot be read or breaks a rule is quarantined with the
//! field and reason, never dropped and never fatal.

use super::metrics::ChannelOutcome;
use std::collections::BTreeMap;
use std::sync::Arc;

use switchyard_core::exceptions::{ExceptionKind, Subject};
use switchyard_core::intake::IntakeRules;
use switchyard_core::lifecycle::{ChannelTerms, apply_channel_terms};
use switchyard_core::model::Order;
use switchyard_core::ports::{Channel, NormalizeError, RawOrder};
use switchyard_core::store::Applied;
use tokio::sync::watch;
use tracing::Instrument;

use super::App;
use super::faults::Backoff;

/// What the worker makes of one stored delivery: the connector's canonical order, if it keeps
/// the intake rules (the same for every channel).
pub fn normalize_delivery(
    channel: &dyn Channel,
    raw: &RawOrder,
    rules: &IntakeRules,
) -> Result<Order, NormalizeError> {
    static NO_ALIASES: BTreeMap<String, String> = BTreeMap::new();
    let terms = ChannelTerms {
        handling_time_secs: None,
        sku_aliases: &NO_ALIASES,
    };
    normalize_for_channel(channel, raw, terms, rules)
}

/// The connector's canonical order with the channel's terms applied (`sku_aliases`, ship-by
/// from `handling_time_secs`), then checked against the intake rules.
pub fn normalize_for_channel(
    channel: &dyn Channel,
    raw: &RawOrder,
    terms: ChannelTerms<'_>,
    rules: &IntakeRules,
) -> Result<Order, NormalizeError> {
    channel
        .normalize(raw)
        .map(|order| apply_channel_terms(order, terms))
        .and_then(|order| rules.admit(order))
}

pub async fn run(app: Arc<App>, mut stopped: watch::Receiver<bool>) {
    let mut backoff = Backoff::worker();
    loop {
        let batch = match app.store.pending_inbox(200).await {
            Ok(b) => b,
            Err(e) => {
                app.store_failed("reading the inbox", &e);
                if !backoff.wait(&mut stopped).await {
                    return;
                }
                continue;
            }
        };
        if batch.is_empty() {
            if !super::idle(&app.wake.normalize, app.timing.idle_scan, &mut stopped).await {
                return;
            }
            continue;
        }
        let mut changed = false;
        let mut failed = false;
        for item in &batch {
            let span = tracing::info_span!(
                "normalize",
                channel = %item.channel_id,
                inbox_id = item.id,
                order_id = tracing::field::Empty
            );
            let config = app.config.channels.iter().find(|c| c.id == item.channel_id);
            let outcome = match (app.channels.get(&item.channel_id), config) {
                (Some(channel), Some(config)) => normalize_for_channel(
                    channel.as_ref(),
                    &item.raw,
                    ChannelTerms::from(config),
                    &app.config.intake,
                ),
                _ => Err(NormalizeError::new(
                    "channel_id",
                    format!("channel `{}` is not configured", item.channel_id),
                )),
            };
            if let Err(e) = &outcome {
                span.in_scope(|| tracing::warn!(channel = %item.channel_id, inbox_id = item.id, error = %e, "payload quarantined"));
            }
            let hold_ms = config.map_or(0, |c| {
                i64::try_from(c.hold_new_orders_secs)
                    .unwrap_or(i64::MAX)
                    .saturating_mul(1000)
            });
            match app
                .store
                .apply_inbox_held(item, outcome.as_ref(), hold_ms)
                .instrument(span.clone())
                .await
            {
                Ok(applied) => {
                    let label = match applied {
                        Applied::Changed { order_id, new } => {
                            span.record("order_id", order_id);
                            span.in_scope(|| tracing::debug!(order_id, new, "order stored"));
                            changed = true;
                            "changed"
                        }
                        Applied::Unchanged { .. } => "unchanged",
                        Applied::Stale { .. } => "stale",
                        Applied::Quarantined => {
                            let why = outcome
                                .as_ref()
                                .err()
                                .map_or_else(String::new, ToString::to_string);
                            app.exceptions
                                .raise(
                                    ExceptionKind::PayloadQuarantined,
                                    Subject::Delivery(item.id),
                                    &format!(
                                        "delivery {} from {} quarantined: {why}",
                                        item.id, item.channel_id
                                    ),
                                )
                                .instrument(span.clone())
                                .await;
                            "quarantined"
                        }
                    };
                    app.metrics
                        .inbox_applied
                        .get_or_create(&ChannelOutcome::new(&item.channel_id, label))
                        .inc();
                }
                Err(e) => {
                    // Left pending: the next pass tries again, after a wait.
                    app.store_failed("applying a delivery", &e);
                    failed = true;
                    break;
                }
            }
        }
        if changed {
            app.wake.route.notify_one();
            app.wake.push.wake_all();
        }
        if failed {
            if !backoff.wait(&mut stopped).await {
                return;
            }
        } else {
            backoff.reset();
        }
        if *stopped.borrow() {
            return;
        }
    }
}
