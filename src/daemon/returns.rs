//! Returns the channels report (`Channel::poll_returns`), one worker per channel: each page is
//! committed as expected RMAs together with the channel's returns cursor
//! (`ReturnsStore::record_expected_returns`), so a crash re-reads at most one page and a
//! return known before is not created twice. Every `poll_interval_secs`, like orders; a
//! channel that reports no returns answers an empty page and costs nothing.

use std::sync::Arc;
use std::time::Duration;

use switchyard_core::store::now_ms;
use tokio::sync::watch;

use super::App;
use super::faults::Backoff;

pub async fn run(app: Arc<App>, channel_id: String, mut stopped: watch::Receiver<bool>) {
    let Some(channel) = app.channels.get(&channel_id).cloned() else {
        return;
    };
    let interval = app
        .config
        .channels
        .iter()
        .find(|c| c.id == channel_id)
        .map_or(Duration::from_secs(60), |c| {
            Duration::from_secs(c.poll_interval_secs.max(1))
        });
    let mut backoff = Backoff::worker();
    loop {
        let cursor = match app.store.returns().returns_cursor(&channel_id).await {
            Ok(c) => c,
            Err(e) => {
                app.store_failed("reading the returns cursor", &e);
                if !backoff.wait(&mut stopped).await {
                    return;
                }
                continue;
            }
        };
        let mut more = false;
        match channel.poll_returns(cursor.as_deref()).await {
            Ok(page) => {
                let next = page.next_cursor.clone();
                match app
                    .store
                    .returns()
                    .record_expected_returns(&channel_id, &page.returns, next.as_deref(), now_ms())
                    .await
                {
                    Ok(done) => {
                        backoff.reset();
                        if !done.created.is_empty() {
                            tracing::info!(channel = %channel_id, created = ?done.created, "returns reported by the channel are expected");
                        }
                        for (id, why) in &done.skipped {
                            tracing::warn!(channel = %channel_id, return_id = %id, %why, "a reported return was not recorded");
                        }
                        // A full page may have more behind it.
                        more = !page.returns.is_empty() && next.is_some() && next != cursor;
                    }
                    Err(e) => app.store_failed("recording reported returns", &e),
                }
            }
            Err(e) => {
                tracing::warn!(channel = %channel_id, error = %e, "reading the channel's returns failed");
            }
        }
        if more {
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stopped.changed() => {}
        }
        if *stopped.borrow() {
            return;
        }
    }
}
