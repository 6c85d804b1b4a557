//! The stock auditor: on a schedule (and on `switchyard stock audit`) checks that on-hand
//! equals the ledger, reservations equal open order lines, and no settled listing is above
//! what its channel may sell. Violations are logged, counted and stored, never fixed here.
//! Each round also publishes oversell exposure and push queue depth per channel.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use switchyard_core::config::Config;
use switchyard_core::stock::{ListingCheck, Violation, audit, listing_level, oversell_exposure};
use switchyard_core::store::{Store, now_ms};
use tokio::sync::watch;

use super::App;

#[derive(Debug, Clone, Serialize)]
pub struct AuditReport {
    pub violations: Vec<Violation>,
    /// Units listed above available-to-sell, per channel (pending pushes included).
    pub exposure: BTreeMap<String, i64>,
    pub listings_checked: usize,
}

/// Reads one snapshot and checks it.
pub async fn audit_now(config: &Config, store: &dyn Store) -> anyhow::Result<AuditReport> {
    let mut snapshot = store.audit_snapshot().await?;
    let mut checks = Vec::new();
    for c in &config.channels {
        let locations = config.channel_locations(c);
        for l in store.listing_parts(&c.id, &locations).await? {
            checks.push(ListingCheck {
                channel_id: c.id.clone(),
                available: listing_level(&l.parts, &c.stock.for_sku(&l.sku)),
                listed: l.channel_quantity,
                push_pending: l.push_pending,
                sku: l.sku,
            });
        }
    }
    let exposure = oversell_exposure(&checks);
    let listings_checked = checks.len();
    snapshot.listings = checks;
    Ok(AuditReport {
        violations: audit(&snapshot),
        exposure,
        listings_checked,
    })
}

pub async fn run(app: Arc<App>, mut stopped: watch::Receiver<bool>) {
    if app.config.audit_interval_secs == 0 {
        return;
    }
    let every = Duration::from_secs(app.config.audit_interval_secs);
    loop {
        // The first audit waits one interval: at start the pushers have the most to do.
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stopped.changed() => {}
        }
        if *stopped.borrow() {
            return;
        }
        round(&app).await;
    }
}

async fn round(app: &App) {
    match audit_now(&app.config, app.store.as_ref()).await {
        Ok(report) => {
            for v in &report.violations {
                tracing::error!(violation = ?v, "stock audit violation");
            }
            let mut by_check: BTreeMap<&str, u64> = BTreeMap::new();
            for v in &report.violations {
                *by_check.entry(v.check()).or_default() += 1;
            }
            for check in [
                "on_hand_not_ledger",
                "reserved_not_ledger",
                "reserved_not_open_orders",
                "listed_above_available",
            ] {
                app.metrics.set(
                    "stock_audit_violations",
                    &format!("check=\"{check}\""),
                    by_check.get(check).copied().unwrap_or(0) as f64,
                );
            }
            for c in &app.config.channels {
                let units = report.exposure.get(&c.id).copied().unwrap_or(0);
                app.metrics.set(
                    "stock_oversell_exposure_units",
                    &format!("channel=\"{}\"", c.id),
                    units as f64,
                );
            }
            app.metrics.add("stock_audits_total", "", 1);
            if let Err(e) = app.store.record_audit(now_ms(), &report.violations).await {
                tracing::error!(error = %e, "recording the audit failed");
            }
        }
        Err(e) => tracing::error!(error = %format!("{e:#}"), "stock audit failed"),
    }
}
