//! Reads a partner's whole inventory every `inventory_interval_secs` (and once at start): a
//! level someone changed in the 3PL's own admin sends no event, so without this read it would
//! never reach the channels. Levels that differ from the location's on-hand are stored as
//! stock-level partner events and applied by the event worker like a pushed feed (ledger
//! `external:feed`, listings dirty), after any event of that partner received before them.
//!
//! A parcel the partner shipped whose notice has not arrived yet is already missing from the
//! read; its notice then lowers on-hand once more. That errs low (never oversells) and the
//! next read puts it right.

use super::metrics::ByLocation;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use switchyard_core::fulfillment::{EventKind, TargetError, TargetEvent};
use switchyard_core::store::now_ms;
use tokio::sync::watch;

use super::App;

pub async fn run(app: Arc<App>, location_id: String, mut stopped: watch::Receiver<bool>) {
    let Some(target) = app.targets.get(&location_id).cloned() else {
        return;
    };
    let secs = app
        .config
        .locations
        .iter()
        .find(|l| l.id == location_id)
        .and_then(|l| l.adapter.as_ref())
        .map_or(0, |a| a.inventory_interval_secs);
    if secs == 0 {
        return;
    }
    let labels = ByLocation::new(&location_id);
    loop {
        match target.inventory().await {
            Ok(levels) => match feed(&app, &location_id, &levels).await {
                Ok(changed) => {
                    app.board.partner(&location_id, |p| {
                        p.last_inventory_ok_ms = Some(switchyard_core::store::now_ms());
                    });
                    app.metrics
                        .partner_inventory_reads
                        .get_or_create(&labels)
                        .inc();
                    if changed > 0 {
                        tracing::info!(location = %location_id, skus = changed, "partner inventory differs from on-hand; feeding it");
                        app.wake.fulfil.notify_one();
                    }
                }
                Err(e) => {
                    super::faults::repeated!(app.repeats, error, format!("partner inventory\0{e}"), location = %location_id, error = %e, "storing the partner's inventory failed")
                }
            },
            Err(TargetError::Unsupported(why)) => {
                tracing::debug!(location = %location_id, %why, "partner inventory is not read");
                return;
            }
            Err(e) => {
                app.metrics
                    .partner_inventory_read_failures
                    .get_or_create(&labels)
                    .inc();
                app.board.partner(&location_id, |p| {
                    p.last_error = Some(e.to_string());
                    p.last_error_ms = Some(switchyard_core::store::now_ms());
                });
                tracing::warn!(location = %location_id, error = %e, "reading the partner's inventory failed")
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(secs)) => {}
            _ = stopped.changed() => {}
        }
        if *stopped.borrow() {
            return;
        }
    }
}

/// Stores a stock-level event for every SKU whose units on the partner's shelf (on hand when
/// it says, else available) differ from the location's on-hand; returns how many.
async fn feed(
    app: &App,
    location_id: &str,
    levels: &[switchyard_core::fulfillment::StockLevel],
) -> anyhow::Result<usize> {
    let ours: HashMap<String, i64> = app
        .store
        .stock(None)
        .await?
        .into_iter()
        .filter(|r| r.location_id == location_id)
        .map(|r| (r.sku, r.on_hand))
        .collect();
    let read_at = now_ms();
    let events: Vec<TargetEvent> = levels
        .iter()
        .filter_map(|l| {
            let level = l.on_hand.unwrap_or(l.available);
            (ours.get(&l.sku) != Some(&level)).then(|| TargetEvent {
                dedup_id: format!("inventory:{}:{level}:{read_at}", l.sku),
                order_reference: None,
                partner_order_id: None,
                occurred_at: None,
                kind: EventKind::StockLevel {
                    sku: l.sku.clone(),
                    available: level,
                },
            })
        })
        .collect();
    if !events.is_empty() {
        app.store
            .insert_target_events(location_id, &events, None)
            .await?;
    }
    Ok(events.len())
}
