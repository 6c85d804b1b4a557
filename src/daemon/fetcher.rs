//! Thin webhooks → full orders. A channel that only names the changed order (BigCommerce,
//! Amazon, Etsy, eBay) has its webhook committed first and answered; this worker then fetches
//! the order and stores it as an ordinary delivery, closing the thin one in the same transaction.
//!
//! One worker per channel, so a throttled or failing channel never delays another's orders.
//! Within a channel up to `concurrency` fetches run at once; the connector's rate limiter paces
//! them to what the channel allows, so the cap only bounds the requests waiting on it.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use switchyard_core::ports::{Channel, ChannelError};
use switchyard_core::store::{InboxItem, Store};
use tokio::sync::{Notify, watch};

use super::faults::repeated;
use super::{App, backoff_ms};

/// Longest wait after a throttle or a transient failure when the channel named no time itself:
/// a thin delivery is an order someone just placed, so it is retried within seconds.
const MAX_TRANSIENT_BACKOFF: Duration = Duration::from_secs(30);
/// First wait after a transient failure; doubles per failure up to [`MAX_TRANSIENT_BACKOFF`].
const FIRST_TRANSIENT_BACKOFF: Duration = Duration::from_millis(500);

/// What one channel's worker needs; built from the [`App`] by [`run`], directly by tests.
pub(crate) struct Worker {
    pub store: Arc<dyn Store>,
    pub channel: Arc<dyn Channel>,
    pub channel_id: String,
    /// Fetches in flight at once for this channel.
    pub concurrency: usize,
    /// How often to look at the inbox without a wake-up.
    pub idle_scan: Duration,
    /// Store failures repeat for every pending delivery: logged once per interval.
    pub repeats: Arc<super::Repeats>,
}

pub async fn run(app: Arc<App>, channel_id: String, stopped: watch::Receiver<bool>) {
    let (Some(channel), Some(wake)) = (
        app.channels.get(&channel_id).cloned(),
        app.wake.fetch.get(&channel_id),
    ) else {
        return;
    };
    let worker = Worker {
        store: app.store.clone(),
        channel,
        channel_id,
        concurrency: app.timing.fetch_concurrency,
        idle_scan: app.timing.idle_scan,
        repeats: app.repeats.clone(),
    };
    worker
        .run(wake, || app.wake.normalize.notify_one(), stopped)
        .await;
}

/// How one fetch ended, as the loop needs to know it.
enum Done {
    /// Stored (or closed as gone): the delivery is no longer pending.
    Resolved { fetched: bool },
    /// The channel failed; the delivery stays pending and is retried after a wait.
    Failed(ChannelError),
    /// The store failed; retried like a transient channel failure.
    StoreFailed,
}

type InFlight<'a> = FuturesUnordered<Pin<Box<dyn Future<Output = (InboxItem, Done)> + Send + 'a>>>;

impl Worker {
    /// Until shutdown. `fetched` is called after each order stored (wakes the normalizer).
    pub(crate) async fn run(
        &self,
        wake: &Notify,
        fetched: impl Fn(),
        mut stopped: watch::Receiver<bool>,
    ) {
        // inbox id → (failures, not before); in memory: a restart simply tries again at once.
        let mut waiting: HashMap<i64, (u32, Instant)> = HashMap::new();
        // After a throttle the whole channel waits: every other fetch would be refused too.
        let mut paused_until: Option<Instant> = None;
        let mut busy: HashSet<i64> = HashSet::new();
        let mut in_flight: InFlight<'_> = FuturesUnordered::new();
        let concurrency = self.concurrency.max(1);
        loop {
            if *stopped.borrow() {
                // Dropping a fetch mid-way is safe: its delivery stays pending for the restart.
                return;
            }
            let now = Instant::now();
            if paused_until.is_some_and(|t| t <= now) {
                paused_until = None;
            }
            if in_flight.len() < concurrency && paused_until.is_none() {
                let limit = (busy.len() + waiting.len() + concurrency * 4) as i64;
                match self.store.pending_thin(&self.channel_id, limit).await {
                    Ok(items) => {
                        for item in items {
                            if in_flight.len() >= concurrency {
                                break;
                            }
                            if busy.contains(&item.id)
                                || waiting.get(&item.id).is_some_and(|(_, at)| *at > now)
                            {
                                continue;
                            }
                            busy.insert(item.id);
                            in_flight.push(Box::pin(self.fetch(item)));
                        }
                    }
                    Err(e) => {
                        repeated!(self.repeats, error, format!("thin read\0{e}"), channel = %self.channel_id, error = %e, "reading thin deliveries failed");
                    }
                }
            }
            // Sleep until something finishes, new work is announced, the next retry is due,
            // or the idle rescan; whichever comes first.
            let next_due = waiting
                .values()
                .map(|(_, at)| *at)
                .chain(paused_until)
                .min()
                .map_or(self.idle_scan, |at| {
                    at.saturating_duration_since(now).min(self.idle_scan)
                });
            tokio::select! {
                Some((item, done)) = in_flight.next(), if !in_flight.is_empty() => {
                    busy.remove(&item.id);
                    match done {
                        Done::Resolved { fetched: got } => {
                            waiting.remove(&item.id);
                            if got {
                                fetched();
                            }
                        }
                        Done::Failed(e) => {
                            let failures = waiting.get(&item.id).map_or(0, |(f, _)| *f) + 1;
                            let wait = retry_wait(&e, failures);
                            let at = Instant::now() + wait;
                            waiting.insert(item.id, (failures, at));
                            if matches!(e, ChannelError::RateLimited { .. }) {
                                paused_until = Some(paused_until.map_or(at, |p| p.max(at)));
                            }
                            tracing::warn!(channel = %self.channel_id, order = ?item.raw.external_id, error = %e, ?wait, "fetching order failed");
                            if let Err(e) = self.store.note_thin_error(&item, &e.to_string()).await {
                                repeated!(self.repeats, error, format!("thin note\0{e}"), inbox_id = item.id, error = %e, "recording fetch failure failed");
                            }
                        }
                        Done::StoreFailed => {
                            let failures = waiting.get(&item.id).map_or(0, |(f, _)| *f) + 1;
                            let wait = transient_backoff(failures);
                            waiting.insert(item.id, (failures, Instant::now() + wait));
                        }
                    }
                }
                _ = wake.notified() => {}
                _ = tokio::time::sleep(next_due) => {}
                _ = stopped.changed() => {}
            }
        }
    }

    /// Fetches one order and stores it with the thin delivery's close, in one transaction.
    async fn fetch(&self, item: InboxItem) -> (InboxItem, Done) {
        let fetched = match item.raw.external_id.as_deref() {
            // A thin delivery without an id cannot be fetched: close it as gone.
            None => Ok(None),
            Some(id) => self.channel.fetch_order(id).await,
        };
        let done = match fetched {
            Ok(order) => match self.store.resolve_thin(&item, order.as_ref()).await {
                Ok(()) => Done::Resolved {
                    fetched: order.is_some(),
                },
                Err(e) => {
                    repeated!(self.repeats, error, format!("thin store\0{e}"), inbox_id = item.id, error = %e, "storing fetched order failed");
                    Done::StoreFailed
                }
            },
            Err(e) => Done::Failed(e),
        };
        (item, done)
    }
}

/// How long a failed fetch waits: what the channel asked for after a throttle; seconds for a
/// transient failure; the durable backoff (up to 10 minutes) for a refusal, which retrying soon
/// will not cure (an operator has to fix credentials or the channel its data).
fn retry_wait(error: &ChannelError, failures: u32) -> Duration {
    match error {
        ChannelError::RateLimited {
            retry_after: Some(wait),
        } => (*wait).max(Duration::from_millis(100)),
        e if e.is_retryable() => transient_backoff(failures),
        _ => Duration::from_millis(backoff_ms(i64::from(failures.saturating_sub(1))) as u64),
    }
}

fn transient_backoff(failures: u32) -> Duration {
    let exp = failures.saturating_sub(1).min(16);
    FIRST_TRANSIENT_BACKOFF
        .saturating_mul(1 << exp)
        .min(MAX_TRANSIENT_BACKOFF)
}

#[cfg(test)]
mod tests;
