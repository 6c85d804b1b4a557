//! Drift: levels someone changed in a channel's own admin. Read every listing's level back from
//! the channel on a schedule; where it differs from what Switchyard set, report it and queue a
//! push so the right level goes back.

use super::metrics::ByChannel;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use switchyard_core::exceptions::{ExceptionKind, Subject};
use switchyard_core::ports::Channel;
use switchyard_core::store::{Drift, Store, now_ms};
use tokio::sync::watch;

use super::App;

/// Reads the channel's levels and records them; returns the drifted listings.
pub async fn check(
    store: &dyn Store,
    channel: &dyn Channel,
    channel_id: &str,
) -> anyhow::Result<Vec<Drift>> {
    let skus: Vec<String> = store
        .listings(Some(channel_id))
        .await?
        .into_iter()
        .map(|l| l.sku)
        .collect();
    if skus.is_empty() {
        return Ok(Vec::new());
    }
    let started = now_ms();
    let found = channel
        .discover_listings(&skus)
        .await
        .with_context(|| format!("reading levels back from {channel_id}"))?;
    let observed: Vec<(String, i64)> = found
        .into_iter()
        .filter_map(|l| l.channel_quantity.map(|q| (l.sku, q)))
        .collect();
    Ok(store
        .observe_channel_levels(channel_id, &observed, started)
        .await?)
}

pub async fn run(app: Arc<App>, channel_id: String, mut stopped: watch::Receiver<bool>) {
    let (Some(channel), Some(cfg)) = (
        app.channels.get(&channel_id).cloned(),
        app.config.channels.iter().find(|c| c.id == channel_id),
    ) else {
        return;
    };
    if cfg.drift_interval_secs == 0 {
        return;
    }
    let every = Duration::from_secs(cfg.drift_interval_secs);
    let labels = ByChannel::new(&channel_id);
    loop {
        // The first check waits a full interval: discovery has just read every level.
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stopped.changed() => {}
        }
        if *stopped.borrow() {
            return;
        }
        match check(app.store.as_ref(), channel.as_ref(), &channel_id).await {
            Ok(drifts) => {
                for d in &drifts {
                    tracing::warn!(channel = %channel_id, sku = %d.sku, expected = d.expected, found = d.found, "stock level changed on the channel; putting it back");
                }
                app.metrics
                    .stock_drift
                    .get_or_create(&labels)
                    .inc_by(drifts.len() as u64);
                let subject = Subject::Channel(channel_id.clone());
                if drifts.is_empty() {
                    app.exceptions
                        .clear(ExceptionKind::DriftFound, subject)
                        .await;
                } else {
                    app.wake.push.wake_all();
                    let skus: Vec<&str> = drifts.iter().take(10).map(|d| d.sku.as_str()).collect();
                    app.exceptions
                        .raise(
                            ExceptionKind::DriftFound,
                            subject,
                            &format!(
                                "{channel_id}: {} listing(s) changed on the channel ({}{}); \
                                 Switchyard's level is being pushed back",
                                drifts.len(),
                                skus.join(", "),
                                if drifts.len() > skus.len() {
                                    ", …"
                                } else {
                                    ""
                                }
                            ),
                        )
                        .await;
                }
            }
            Err(e) => {
                tracing::warn!(channel = %channel_id, error = %format!("{e:#}"), "drift check failed")
            }
        }
    }
}
