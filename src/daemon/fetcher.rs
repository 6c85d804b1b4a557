//! Thin webhooks → full orders. A channel that only names the changed order (BigCommerce,
//! Etsy, eBay) has its webhook committed first and answered; this worker then fetches the order
//! and stores it as an ordinary delivery, closing the thin one in the same transaction.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::{App, backoff_ms};

pub async fn run(app: Arc<App>, mut stopped: watch::Receiver<bool>) {
    // inbox id → (failures, not before); kept in memory: a restart simply tries again.
    let mut waiting: HashMap<i64, (i64, Instant)> = HashMap::new();
    loop {
        let batch = match app.store.pending_thin(100).await {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(error = %e, "reading thin deliveries failed");
                Vec::new()
            }
        };
        let now = Instant::now();
        let due: Vec<_> = batch
            .into_iter()
            .filter(|i| waiting.get(&i.id).is_none_or(|(_, at)| *at <= now))
            .collect();
        if due.is_empty() {
            if !super::idle(&app.wake.fetch, app.timing.idle_scan, &mut stopped).await {
                return;
            }
            continue;
        }
        let mut fetched_any = false;
        for item in &due {
            let Some(channel) = app.channels.get(&item.channel_id) else {
                continue;
            };
            let Some(external_id) = item.raw.external_id.as_deref() else {
                // A thin delivery without an id cannot be fetched: close it as gone.
                let _ = app.store.resolve_thin(item, None).await;
                continue;
            };
            let result = match channel.fetch_order(external_id).await {
                Ok(fetched) => app
                    .store
                    .resolve_thin(item, fetched.as_ref())
                    .await
                    .map(|()| {
                        fetched_any |= fetched.is_some();
                        waiting.remove(&item.id);
                    }),
                Err(e) => {
                    let failures = waiting.get(&item.id).map_or(0, |(f, _)| *f) + 1;
                    let wait = Duration::from_millis(backoff_ms(failures - 1) as u64);
                    waiting.insert(item.id, (failures, Instant::now() + wait));
                    tracing::warn!(channel = %item.channel_id, order = external_id, error = %e, ?wait, "fetching order failed");
                    app.store.note_thin_error(item, &e.to_string()).await
                }
            };
            if let Err(e) = result {
                tracing::error!(inbox_id = item.id, error = %e, "recording fetch failed");
            }
        }
        if fetched_any {
            app.wake.normalize.notify_one();
        }
        if *stopped.borrow() {
            return;
        }
    }
}
