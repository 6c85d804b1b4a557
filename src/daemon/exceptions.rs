//! Exceptions from the daemon's side: [`Raiser`] is what a worker calls when it sees a cause
//! (an order held, a delivery quarantined, a side effect given up, a partner event parked, a
//! channel refusing our credentials, a drift, an audit violation) or sees it go away; the
//! watch ([`run`]) raises what no single worker can see because the worker is the thing
//! stuck: a channel not polled successfully for three poll intervals, stock changes waiting
//! longer than `alerts.push_lag_secs`. It also keeps `switchyard_exceptions_open` current.
//!
//! A raise is its own transaction right after the worker's commit (with the alert it queues);
//! a crash in between loses that exception until its cause is seen again.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use switchyard_core::exceptions::{ExceptionKey, ExceptionKind, Subject};
use switchyard_core::store::{ExceptionStore, now_ms};
use tokio::sync::watch;

use super::App;
use super::faults::{Repeats, repeated};

/// Raises and clears exceptions for the workers; a failure is logged (once per interval),
/// never stops the worker.
pub struct Raiser {
    store: Arc<dyn ExceptionStore>,
    repeats: Arc<Repeats>,
}

impl Raiser {
    pub fn new(store: Arc<dyn ExceptionStore>, repeats: Arc<Repeats>) -> Self {
        Raiser { store, repeats }
    }

    pub fn store(&self) -> Arc<dyn ExceptionStore> {
        self.store.clone()
    }

    pub async fn raise(&self, kind: ExceptionKind, subject: Subject, message: &str) {
        let key = ExceptionKey::new(kind, subject);
        match self.store.raise_exception(&key, message, now_ms()).await {
            Ok(r) if r.opened => {
                tracing::warn!(exception_id = r.id, kind = %kind, subject = %key.subject, detail = message, "exception opened");
            }
            Ok(_) => {}
            Err(e) => {
                repeated!(self.repeats, warn, format!("raise {kind}\0{e}"), kind = %kind, subject = %key.subject, error = %e, "exception not recorded");
            }
        }
    }

    pub async fn clear(&self, kind: ExceptionKind, subject: Subject) {
        let key = ExceptionKey::new(kind, subject);
        match self.store.clear_exception(&key, now_ms()).await {
            Ok(true) => {
                tracing::info!(kind = %kind, subject = %key.subject, "exception cleared: its cause went away");
            }
            Ok(false) => {}
            Err(e) => {
                repeated!(self.repeats, warn, format!("clear {kind}\0{e}"), kind = %kind, subject = %key.subject, error = %e, "exception not cleared");
            }
        }
    }

    /// Makes `kind`'s open exceptions what a periodic check sees now; false when the store
    /// failed (the caller tries again next round).
    pub async fn sync(&self, kind: ExceptionKind, present: &[(Subject, String)]) -> bool {
        match self.store.sync_exceptions(kind, present, now_ms()).await {
            Ok((opened, cleared)) => {
                if opened + cleared > 0 {
                    tracing::info!(kind = %kind, opened, cleared, "exceptions updated");
                }
                true
            }
            Err(e) => {
                repeated!(self.repeats, warn, format!("sync {kind}\0{e}"), kind = %kind, error = %e, "exceptions not updated");
                false
            }
        }
    }
}

/// How often the watch looks.
const EVERY: Duration = Duration::from_secs(5);

/// Subjects present at the last successful sync, per kind: an unchanged level writes nothing.
type Last = BTreeMap<ExceptionKind, Vec<Subject>>;

async fn sync_changed(
    app: &App,
    last: &mut Last,
    kind: ExceptionKind,
    present: Vec<(Subject, String)>,
) {
    let subjects: Vec<Subject> = present.iter().map(|(s, _)| s.clone()).collect();
    if last.get(&kind) == Some(&subjects) {
        return;
    }
    if app.exceptions.sync(kind, &present).await {
        last.insert(kind, subjects);
    }
}

pub async fn run(app: Arc<App>, mut stopped: watch::Receiver<bool>) {
    let mut last = Last::new();
    loop {
        let now = now_ms();
        let seen = app.board.channels();
        let mut not_polled = Vec::new();
        for c in &app.config.channels {
            let every_ms = (c.poll_interval_secs.max(1) as i64).saturating_mul(1000);
            let s = seen.get(&c.id).cloned().unwrap_or_default();
            let since = s.last_poll_ok_ms.unwrap_or(app.board.started_ms);
            if now - since > every_ms.saturating_mul(3) {
                let error = s
                    .last_error
                    .map(|e| format!("; last error: {e}"))
                    .unwrap_or_default();
                not_polled.push((
                    Subject::Channel(c.id.clone()),
                    format!(
                        "{} not polled successfully for {} s (every {} s){error}",
                        c.id,
                        (now - since) / 1000,
                        c.poll_interval_secs
                    ),
                ));
            }
        }
        sync_changed(&app, &mut last, ExceptionKind::ChannelNotPolled, not_polled).await;

        let lag_ms = (app.config.alerts.push_lag_secs as i64).saturating_mul(1000);
        match app.store.dirty_depth(now).await {
            Ok(depths) => {
                let lagging = depths
                    .into_iter()
                    .filter(|d| d.oldest_ms.is_some_and(|o| o > lag_ms))
                    .map(|d| {
                        (
                            Subject::Channel(d.channel_id.clone()),
                            format!(
                                "{}: {} stock change(s) waiting, the oldest {} s (threshold {} s)",
                                d.channel_id,
                                d.pending,
                                d.oldest_ms.unwrap_or(0) / 1000,
                                app.config.alerts.push_lag_secs
                            ),
                        )
                    })
                    .collect();
                sync_changed(&app, &mut last, ExceptionKind::PushLag, lagging).await;
            }
            Err(e) => app.store_failed("reading stock queue depths", &e),
        }

        match app.exceptions.store().open_exception_counts().await {
            Ok(counts) => app.metrics.set_exceptions_open(&counts),
            Err(e) => app.store_failed("counting open exceptions", &e),
        }

        tokio::select! {
            _ = tokio::time::sleep(EVERY) => {}
            _ = stopped.changed() => {}
        }
        if *stopped.borrow() {
            return;
        }
    }
}
