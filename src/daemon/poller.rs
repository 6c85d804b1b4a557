//! Periodic poll of a channel's orders: the safety net under webhooks. Each page is committed
//! to the inbox together with the cursor that follows it; the next sweep starts `overlap` before
//! the newest change seen, so an order on a boundary is fetched twice rather than never.

use super::metrics::ByChannel;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use switchyard_core::exceptions::{ExceptionKind, Subject};
use switchyard_core::ports::{ChannelError, PollCursor};
use switchyard_core::store::{Source, now_ms};
use tokio::sync::watch;
use tracing::Instrument;

use super::App;

pub async fn run(app: Arc<App>, channel_id: String, stopped: watch::Receiver<bool>) {
    let span = tracing::info_span!("poll", channel = %channel_id);
    poll(app, channel_id, stopped).instrument(span).await
}

async fn poll(app: Arc<App>, channel_id: String, mut stopped: watch::Receiver<bool>) {
    let (Some(channel), Some(cfg)) = (
        app.channels.get(&channel_id).cloned(),
        app.config.channels.iter().find(|c| c.id == channel_id),
    ) else {
        return;
    };
    let interval = Duration::from_secs(cfg.poll_interval_secs.max(1));
    let overlap = chrono::Duration::seconds(cfg.poll_overlap_secs as i64);
    let mut failures: i64 = 0;
    // Unknown at start: the first answer clears what a previous run raised.
    let mut auth_failing: Option<bool> = None;
    loop {
        let cursor = match app.store.poll_cursor(&channel_id).await {
            Ok(Some(c)) => c,
            // First start: from now (less the overlap), not the channel's whole history.
            Ok(None) => PollCursor {
                since: Some(Utc::now() - overlap),
                ..PollCursor::default()
            },
            Err(e) => {
                app.store_failed("reading a poll cursor", &e);
                if !sleep(&mut stopped, interval).await {
                    return;
                }
                continue;
            }
        };
        // A poll can wait minutes on the channel's rate limit (Amazon's getOrders refills one
        // request a minute); nothing is stored before the page commits with its cursor, so a
        // stop may drop it mid-wait.
        let polled = tokio::select! {
            polled = channel.poll_orders(&cursor) => polled,
            _ = stopped.changed() => return,
        };
        let page = match polled {
            Ok(p) => {
                failures = 0;
                app.board.channel(&channel_id, |c| {
                    c.last_poll_ok_ms = Some(now_ms());
                    c.auth_failing = false;
                });
                if auth_failing != Some(false) {
                    app.exceptions
                        .clear(
                            ExceptionKind::ChannelAuthFailing,
                            Subject::Channel(channel_id.clone()),
                        )
                        .await;
                    auth_failing = Some(false);
                }
                p
            }
            Err(e) => {
                failures += 1;
                let auth = matches!(e, ChannelError::Auth(_));
                app.board.channel(&channel_id, |c| {
                    c.last_error = Some(e.to_string());
                    c.last_error_ms = Some(now_ms());
                    c.auth_failing = auth;
                    if let ChannelError::RateLimited {
                        retry_after: Some(wait),
                    } = &e
                    {
                        c.throttled_until_ms = Some(
                            now_ms().saturating_add(i64::try_from(wait.as_millis()).unwrap_or(0)),
                        );
                    }
                });
                if auth {
                    app.exceptions
                        .raise(
                            ExceptionKind::ChannelAuthFailing,
                            Subject::Channel(channel_id.clone()),
                            &format!("{channel_id} refuses Switchyard's credentials: {e}"),
                        )
                        .await;
                    auth_failing = Some(true);
                }
                app.metrics
                    .poll_errors
                    .get_or_create(&ByChannel::new(&channel_id))
                    .inc();
                super::faults::repeated!(app.repeats, warn, format!("poll {channel_id}\0{e}"), channel = %channel_id, error = %e, failures, "poll failed");
                let mut wait = Duration::from_millis(
                    super::backoff_ms(failures).min(interval.as_millis() as i64 * 4) as u64,
                );
                // A spent quota says when to come back; polling before then only spends more.
                if let switchyard_core::ports::ChannelError::RateLimited {
                    retry_after: Some(asked),
                } = &e
                {
                    wait = wait.max(*asked);
                }
                if !sleep(&mut stopped, wait.max(interval)).await {
                    return;
                }
                continue;
            }
        };
        let max_seen = match (cursor.max_seen, page.max_updated_at) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        let more = page.next_page.is_some();
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
            .insert_inbox(&channel_id, Source::Poll, &page.orders, Some(&next))
            .await
        {
            Ok(done) => {
                app.metrics
                    .poll_orders
                    .get_or_create(&ByChannel::new(&channel_id))
                    .inc_by(page.orders.len() as u64);
                if done.inserted > 0 {
                    tracing::info!(channel = %channel_id, new = done.inserted, seen = page.orders.len(), "poll found changes");
                    app.wake.normalize.notify_one();
                }
            }
            Err(e) => app.store_failed("storing polled orders", &e),
        }
        if !more && !sleep(&mut stopped, interval).await {
            return;
        }
        if *stopped.borrow() {
            return;
        }
    }
}

async fn sleep(stopped: &mut watch::Receiver<bool>, d: Duration) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(d) => !*stopped.borrow(),
        _ = stopped.changed() => !*stopped.borrow(),
    }
}
