//! Fulfilment partners (3PLs, dropship suppliers): routed orders holding units at a partner's
//! location are queued for submission (the outbox carries them out), partner events arriving by
//! webhook or by this poller are stored once and applied in order: shipments consume stock and
//! queue the channel's tracking write-back, rejections and confirmed cancellations send the
//! refused lines back to the router, stock levels feed the location's on-hand. An order not
//! shipped within `ship_within_secs` is first cancelled at its partner.

use super::metrics::ByLocation;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use switchyard_core::exceptions::{ExceptionKind, Subject};
use switchyard_core::fulfillment::{FulfillmentLine, FulfillmentOrder, RequestedShipping};
use switchyard_core::model::Address;
use switchyard_core::ports::PollCursor;
use switchyard_core::store::{SubmissionWork, now_ms};
use tokio::sync::watch;

use super::App;
use super::faults::Backoff;

/// Queues routed orders for their partners and applies stored partner events.
pub async fn run(app: Arc<App>, mut stopped: watch::Receiver<bool>) {
    let locations: Vec<String> = app.targets.keys().cloned().collect();
    if locations.is_empty() {
        return;
    }
    let mut backoff = Backoff::worker();
    loop {
        let mut failed = false;
        match app.store.queue_fulfillment(&locations).await {
            Ok(n) if n > 0 => {
                tracing::info!(orders = n, "orders queued for fulfilment partners");
                app.wake.outbox.notify_one();
            }
            Ok(_) => {}
            Err(e) => {
                app.store_failed("queueing orders for partners", &e);
                failed = true;
            }
        }
        for l in &app.config.locations {
            let Some(secs) = l.adapter.as_ref().and_then(|a| a.ship_within_secs) else {
                continue;
            };
            let cutoff = switchyard_core::store::now_ms() - (secs as i64).saturating_mul(1000);
            match app.store.cancel_overdue(&l.id, cutoff).await {
                Ok(keys) => {
                    for key in &keys {
                        tracing::warn!(location = %l.id, %key, "no ship notice in time; asking the partner to cancel before routing elsewhere");
                        app.metrics
                            .partner_overdue
                            .get_or_create(&ByLocation::new(&l.id))
                            .inc();
                    }
                    if !keys.is_empty() {
                        app.wake.outbox.notify_one();
                        app.exceptions
                            .raise(
                                ExceptionKind::PartnerOverdue,
                                Subject::Location(l.id.clone()),
                                &format!(
                                    "{}: {} order(s) without a ship notice within {secs} s; \
                                     cancellation asked before routing elsewhere ({})",
                                    l.id,
                                    keys.len(),
                                    keys.join(", ")
                                ),
                            )
                            .await;
                    }
                }
                Err(e) => {
                    app.store_failed("checking overdue orders", &e);
                    failed = true;
                }
            }
        }
        failed |= !apply_events(&app).await;
        if failed {
            if !backoff.wait(&mut stopped).await {
                return;
            }
            continue;
        }
        backoff.reset();
        if !super::idle(&app.wake.fulfil, app.timing.idle_scan, &mut stopped).await {
            return;
        }
    }
}

/// Applies due partner events in order. One that fails is retried with a capped backoff and,
/// after its partner's `event_max_attempts`, parked as `failed` for an operator; until then
/// later events of the same order wait behind it, while other orders' events go on. A store
/// that cannot write is no fault of the event: nothing is counted, and false is returned so
/// the worker backs off.
async fn apply_events(app: &App) -> bool {
    let items = match app.store.pending_target_events(100).await {
        Ok(items) => items,
        Err(e) => {
            app.store_failed("reading partner events", &e);
            return false;
        }
    };
    let mut failed_groups: HashSet<&str> = HashSet::new();
    for item in &items {
        if failed_groups.contains(item.group.as_str()) {
            continue;
        }
        let labels = ByLocation::new(&item.location_id);
        match app.store.apply_target_event(item).await {
            Err(e) if e.is_unavailable() => {
                app.store_failed("applying a partner event", &e);
                return false;
            }
            Ok(what) => {
                tracing::info!(location = %item.location_id, event = %item.event.dedup_id, %what, "partner event applied");
                app.metrics
                    .partner_events_applied
                    .get_or_create(&labels)
                    .inc();
                app.wake.push.wake_all();
                app.wake.outbox.notify_one();
                app.wake.route.notify_one();
            }
            Err(e) => {
                failed_groups.insert(item.group.as_str());
                let max = app
                    .config
                    .locations
                    .iter()
                    .find(|l| l.id == item.location_id)
                    .and_then(|l| l.adapter.as_ref())
                    .map_or(8, |a| i64::from(a.event_max_attempts));
                let park = item.attempts + 1 >= max;
                let retry_at = (!park).then(|| now_ms() + event_backoff_ms(item.attempts));
                app.metrics
                    .partner_event_failures
                    .get_or_create(&labels)
                    .inc();
                if park {
                    tracing::error!(location = %item.location_id, event = %item.event.dedup_id, id = item.id, attempts = item.attempts + 1, error = %e, "partner event parked as failed; later events of its order wait (switchyard partners events --failed)");
                } else {
                    tracing::warn!(location = %item.location_id, event = %item.event.dedup_id, attempts = item.attempts + 1, error = %e, "applying a partner event failed; will retry");
                }
                if let Err(e) = app
                    .store
                    .fail_target_event(item.id, &e.to_string(), retry_at)
                    .await
                {
                    app.store_failed("recording a failed partner event", &e);
                    return false;
                }
                if park {
                    app.exceptions
                        .raise(
                            ExceptionKind::PartnerEventFailed,
                            Subject::PartnerEvent(item.id),
                            &format!(
                                "{} event {} ({}) parked after {} attempt(s): {e}",
                                item.location_id,
                                item.id,
                                item.event.dedup_id,
                                item.attempts + 1
                            ),
                        )
                        .await;
                }
            }
        }
    }
    true
}

/// Retry delay after `attempts` failed attempts: 1 s doubling, at most 5 minutes.
fn event_backoff_ms(attempts: i64) -> i64 {
    (1000_i64 << attempts.clamp(0, 9) as u32).min(300_000)
}

/// Polls one partner's events as the safety net under its webhooks (or instead of them).
pub async fn poll(app: Arc<App>, location_id: String, mut stopped: watch::Receiver<bool>) {
    let (Some(target), Some(adapter)) = (
        app.targets.get(&location_id).cloned(),
        app.config
            .locations
            .iter()
            .find(|l| l.id == location_id)
            .and_then(|l| l.adapter.clone()),
    ) else {
        return;
    };
    let interval = Duration::from_secs(adapter.poll_interval_secs.max(1));
    let overlap = chrono::Duration::seconds(adapter.poll_overlap_secs as i64);
    let key = format!("target:{location_id}");
    loop {
        let cursor = match app.store.poll_cursor(&key).await {
            Ok(Some(c)) => c,
            Ok(None) => PollCursor {
                since: Some(Utc::now() - overlap),
                ..PollCursor::default()
            },
            Err(e) => {
                tracing::error!(location = %location_id, error = %e, "reading partner cursor failed");
                PollCursor::default()
            }
        };
        let mut more = false;
        match target.poll_events(&cursor).await {
            Ok(page) => {
                app.board
                    .partner(&location_id, |p| p.last_poll_ok_ms = Some(now_ms()));
                let max_seen = match (cursor.max_seen, page.max_seen) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => a.or(b),
                };
                more = page.next_page.is_some();
                let next = if more {
                    PollCursor {
                        since: cursor.since,
                        page: page.next_page.clone(),
                        max_seen,
                    }
                } else {
                    PollCursor {
                        since: max_seen.map(|m| m - overlap).max(cursor.since),
                        page: None,
                        max_seen: None,
                    }
                };
                match app
                    .store
                    .insert_target_events(&location_id, &page.events, Some(&next))
                    .await
                {
                    Ok(done) if done.inserted > 0 => app.wake.fulfil.notify_one(),
                    Ok(_) => {}
                    Err(e) => {
                        tracing::error!(location = %location_id, error = %e, "storing partner events failed")
                    }
                }
            }
            Err(e) => {
                app.board.partner(&location_id, |p| {
                    p.last_error = Some(e.to_string());
                    p.last_error_ms = Some(now_ms());
                });
                tracing::warn!(location = %location_id, error = %e, "polling the partner failed")
            }
        }
        if !more {
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = stopped.changed() => {}
            }
        }
        if *stopped.borrow() {
            return;
        }
    }
}

/// What the partner receives: the units reserved at its location, as the order's lines (a kit
/// as its components, which is what the partner picks).
pub fn fulfillment_order(work: &SubmissionWork, key: &str) -> FulfillmentOrder {
    let o = &work.order;
    let lines = work
        .units
        .iter()
        .map(|(sku, qty)| {
            let line = o.lines.iter().find(|l| l.sku.as_deref() == Some(sku));
            FulfillmentLine {
                line_id: line.map_or_else(|| format!("component:{sku}"), |l| l.line_id.clone()),
                sku: sku.clone(),
                partner_sku: None,
                quantity: u32::try_from(*qty).unwrap_or(u32::MAX),
                unit_price: line.map_or(rust_decimal::Decimal::ZERO, |l| l.unit_price),
                title: line.map_or_else(|| sku.clone(), |l| l.title.clone()),
            }
        })
        .collect();
    FulfillmentOrder {
        reference: key.to_string(),
        channel_order_number: o.number.clone(),
        placed_at: Some(o.placed_at),
        ship_to: o.ship_to.clone().unwrap_or_else(empty_address),
        email: o.customer_email.clone(),
        currency: o.currency.clone(),
        lines,
        shipping: RequestedShipping::default(),
    }
}

fn empty_address() -> Address {
    Address {
        name: None,
        company: None,
        address1: None,
        address2: None,
        city: None,
        region: None,
        postal_code: None,
        country_code: None,
        phone: None,
    }
}
