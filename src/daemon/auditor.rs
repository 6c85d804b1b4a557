//! The stock auditor: on a schedule (and on `switchyard stock audit`) checks that on-hand
//! equals the ledger, reservations equal open order lines, and no settled listing is above
//! what its channel may sell. Violations are logged, counted and stored, never fixed here.
//! Each round also publishes oversell exposure and push queue depth per channel.

use super::metrics::{AUDIT_CHECKS, ByChannel, ByCheck};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use switchyard_core::config::{ChannelConfig, Config};
use switchyard_core::exceptions::{ExceptionKind, Subject};
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
    /// Checks not run, with why (the listing check needs each channel's stock rules, which
    /// only the configuration has).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<String>,
}

/// Reads one snapshot and checks it.
/// Listings read per query: memory stays flat however large the catalog.
const LISTING_PAGE: i64 = 10_000;

pub async fn audit_now(config: &Config, store: &dyn Store) -> anyhow::Result<AuditReport> {
    audit_with(Some(config), store).await
}

/// The checks that need only the database: on-hand = ledger, reserved = ledger, reserved =
/// open order lines (kits from the store). `why` says why the listing check is left out.
pub async fn audit_store_only(store: &dyn Store, why: &str) -> anyhow::Result<AuditReport> {
    let mut report = audit_with(None, store).await?;
    report
        .skipped
        .push(format!("listed_above_available: {why}"));
    Ok(report)
}

async fn audit_with(config: Option<&Config>, store: &dyn Store) -> anyhow::Result<AuditReport> {
    let mut snapshot = store.audit_snapshot().await?;
    let mut exposure: BTreeMap<String, i64> = BTreeMap::new();
    let mut listings_checked = 0;
    let channels: Vec<(&ChannelConfig, Vec<String>)> = match config {
        Some(config) => config
            .channels
            .iter()
            .map(|c| (c, config.channel_locations(c)))
            .collect(),
        None => Vec::new(),
    };
    for (c, locations) in channels {
        exposure.entry(c.id.clone()).or_default();
        let mut after: Option<String> = None;
        loop {
            let page = store
                .listing_parts(&c.id, &locations, after.as_deref(), LISTING_PAGE)
                .await?;
            let Some(last) = page.last() else { break };
            after = Some(last.sku.clone());
            let full = page.len() as i64 == LISTING_PAGE;
            let checks: Vec<ListingCheck> = page
                .into_iter()
                .map(|l| ListingCheck {
                    channel_id: c.id.clone(),
                    available: listing_level(&l.parts, &c.stock.for_sku(&l.sku)),
                    listed: l.channel_quantity,
                    push_pending: l.push_pending,
                    sku: l.sku,
                })
                .collect();
            listings_checked += checks.len();
            for (channel, units) in oversell_exposure(&checks) {
                *exposure.entry(channel).or_default() += units;
            }
            // Only listings above their level can be violations; the rest need not be kept.
            snapshot.listings.extend(
                checks
                    .into_iter()
                    .filter(|l| l.listed.is_some_and(|q| q > l.available)),
            );
            if !full {
                break;
            }
        }
    }
    Ok(AuditReport {
        violations: audit(&snapshot),
        exposure,
        listings_checked,
        skipped: Vec::new(),
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
            for check in AUDIT_CHECKS {
                app.metrics
                    .stock_audit_violations
                    .get_or_create(&ByCheck {
                        check: check.to_string(),
                    })
                    .set(by_check.get(check).copied().unwrap_or(0) as i64);
            }
            for c in &app.config.channels {
                let units = report.exposure.get(&c.id).copied().unwrap_or(0);
                app.metrics
                    .stock_oversell_exposure
                    .get_or_create(&ByChannel::new(&c.id))
                    .set(units);
            }
            app.metrics.stock_audits.inc();
            if report.violations.is_empty() {
                app.exceptions
                    .clear(ExceptionKind::AuditViolation, Subject::Stock)
                    .await;
            } else {
                let checks: Vec<String> = by_check
                    .iter()
                    .map(|(check, n)| format!("{check} ×{n}"))
                    .collect();
                app.exceptions
                    .raise(
                        ExceptionKind::AuditViolation,
                        Subject::Stock,
                        &format!(
                            "the stock audit found {} violation(s): {} (switchyard stock audit)",
                            report.violations.len(),
                            checks.join(", ")
                        ),
                    )
                    .await;
            }
            if let Err(e) = app.store.record_audit(now_ms(), &report.violations).await {
                app.store_failed("recording the audit", &e);
            }
        }
        Err(e) => tracing::error!(error = %format!("{e:#}"), "stock audit failed"),
    }
}
