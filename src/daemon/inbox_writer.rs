//! Webhook bodies → inbox, many to a transaction. A webhook is still answered only after the
//! commit that holds its body, but webhooks arriving together share one commit instead of each
//! queueing for SQLite's write lock (one transaction per webhook capped a flood at a few
//! thousand a second and stretched its tail latency).

use super::metrics::ByChannel;
use std::collections::BTreeMap;
use std::sync::Arc;

use switchyard_core::ports::{RawOrder, THIN_FORMAT};
use switchyard_core::store::Source;
use tokio::sync::{mpsc, oneshot, watch};

use super::App;

/// Webhooks per transaction at most; a flood of small bodies commits in a few milliseconds.
const MAX_BATCH: usize = 256;

struct Pending {
    channel_id: String,
    raw: RawOrder,
    done: oneshot::Sender<Result<(), String>>,
}

/// The HTTP handlers' side: hand over a delivery, learn when it is committed.
pub struct InboxWriter {
    queue: mpsc::Sender<Pending>,
}

pub struct Receiver(mpsc::Receiver<Pending>);

pub fn channel() -> (InboxWriter, Receiver) {
    let (queue, rx) = mpsc::channel(MAX_BATCH * 4);
    (InboxWriter { queue }, Receiver(rx))
}

impl InboxWriter {
    /// Stores one webhook delivery (a duplicate counts as stored); returns once committed.
    pub async fn store(&self, channel_id: &str, raw: RawOrder) -> Result<(), String> {
        let (done, committed) = oneshot::channel();
        self.queue
            .send(Pending {
                channel_id: channel_id.to_string(),
                raw,
                done,
            })
            .await
            .map_err(|_| "the inbox writer has stopped".to_string())?;
        committed
            .await
            .map_err(|_| "the inbox writer has stopped".to_string())?
    }
}

pub async fn run(app: Arc<App>, Receiver(mut rx): Receiver, mut stopped: watch::Receiver<bool>) {
    loop {
        let first = tokio::select! {
            biased;
            p = rx.recv() => match p {
                Some(p) => p,
                None => return,
            },
            _ = stopped.changed() => {
                // Whatever is queued still gets its commit; later senders see the writer gone.
                rx.close();
                while let Some(p) = rx.recv().await {
                    write(&app, vec![p]).await;
                }
                return;
            }
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        write(&app, batch).await;
    }
}

/// One transaction per channel in the batch; if one fails, its webhooks are retried one by
/// one so a single bad delivery cannot refuse the others.
async fn write(app: &App, batch: Vec<Pending>) {
    let mut by_channel: BTreeMap<String, Vec<Pending>> = BTreeMap::new();
    for p in batch {
        by_channel.entry(p.channel_id.clone()).or_default().push(p);
    }
    for (channel_id, items) in by_channel {
        let raws: Vec<RawOrder> = items.iter().map(|p| p.raw.clone()).collect();
        match app
            .store
            .insert_inbox(&channel_id, Source::Webhook, &raws, None)
            .await
        {
            Ok(done) => {
                app.health.wrote();
                settle(app, &channel_id, &raws, done.inserted, done.duplicates);
                for p in items {
                    let _ = p.done.send(Ok(()));
                }
            }
            // The store cannot write (disk full, I/O): one by one would fail the same way.
            Err(e) if e.is_unavailable() => {
                app.store_failed("storing webhooks", &e);
                for p in items {
                    let _ = p.done.send(Err(e.to_string()));
                }
            }
            Err(e) if items.len() > 1 => {
                super::faults::repeated!(app.repeats, warn, format!("inbox batch\0{e}"), channel = %channel_id, error = %e, webhooks = items.len(), "batch insert failed; storing one by one");
                for p in items {
                    let one = std::slice::from_ref(&p.raw);
                    let result = app
                        .store
                        .insert_inbox(&channel_id, Source::Webhook, one, None)
                        .await;
                    match result {
                        Ok(done) => {
                            app.health.wrote();
                            settle(app, &channel_id, one, done.inserted, done.duplicates);
                            let _ = p.done.send(Ok(()));
                        }
                        Err(e) => {
                            let _ = p.done.send(Err(e.to_string()));
                        }
                    }
                }
            }
            Err(e) => {
                for p in items {
                    let _ = p.done.send(Err(e.to_string()));
                }
            }
        }
    }
}

/// Counts the committed webhooks and wakes the worker that takes them next.
fn settle(app: &App, channel_id: &str, raws: &[RawOrder], inserted: usize, duplicates: usize) {
    let labels = ByChannel::new(channel_id);
    app.metrics
        .webhooks_accepted
        .get_or_create(&labels)
        .inc_by(raws.len() as u64);
    app.metrics
        .webhooks_duplicate
        .get_or_create(&labels)
        .inc_by(duplicates as u64);
    if inserted > 0 {
        if raws.iter().any(|r| r.format == THIN_FORMAT) {
            app.wake.fetch.wake(channel_id);
        }
        if raws.iter().any(|r| r.format != THIN_FORMAT) {
            app.wake.normalize.notify_one();
        }
    }
}
