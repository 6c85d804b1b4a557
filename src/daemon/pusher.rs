//! Stock levels → one channel. Dirty (channel, SKU) pairs are coalesced by the store; this loop
//! computes each level from current numbers (the channel's rules, kits as their components),
//! skips levels the channel already holds, and sends the rest, decreases first (against the level
//! the channel last confirmed), in the channel's largest batch. The connector paces and retries
//! each call.

use super::metrics::ByChannel;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::stream::FuturesUnordered;

use switchyard_core::config::StockRules;
use switchyard_core::ports::{Channel, ListingLevel};
use switchyard_core::stock::{Part, decreases_first, listing_level};
use switchyard_core::store::{DirtyListing, PushOutcome, PushOutcomeKind, now_ms};
use tokio::sync::watch;

use super::faults::Backoff;
use super::{App, retry_at_ms};

/// What every pass of one channel's pusher shares.
struct Ctx {
    app: Arc<App>,
    channel: Arc<dyn Channel>,
    channel_id: String,
    rules: StockRules,
    batch_size: usize,
    labels: ByChannel,
}

/// Listings one pass takes: a few batches for small-batch channels (the next batch gathers
/// what came meanwhile), one batch where a batch is already large (a feed of 25,000).
fn per_pass(batch_size: usize) -> usize {
    (batch_size * 4).min(PASS_ROWS).max(batch_size)
}

/// Listings gathered per pass for small-batch channels.
const PASS_ROWS: usize = 10_000;
/// Listings all passes of one channel may hold at once. Each further pass re-reads the due
/// rows past those in flight, so without a cap a million-SKU catalog on a feed channel (slow
/// passes, so many overlap) read hundreds of thousands of rows per pass and held gigabytes.
const IN_FLIGHT_ROWS: usize = 50_000;

pub async fn run(app: Arc<App>, channel_id: String, stopped: watch::Receiver<bool>) {
    let span = tracing::info_span!("push", channel = %channel_id);
    tracing::Instrument::instrument(push(app, channel_id, stopped), span).await
}

async fn push(app: Arc<App>, channel_id: String, mut stopped: watch::Receiver<bool>) {
    let (Some(channel), Some(cfg)) = (
        app.channels.get(&channel_id).cloned(),
        app.config.channels.iter().find(|c| c.id == channel_id),
    ) else {
        return;
    };
    let locations = app.config.channel_locations(cfg);
    let Some(wake) = app.wake.push.get(&channel_id) else {
        return;
    };
    let batch_size = channel.limits().max_stock_batch.max(1);
    let ctx = Ctx {
        rules: cfg.stock.clone(),
        labels: ByChannel::new(&channel_id),
        app: app.clone(),
        channel,
        channel_id: channel_id.clone(),
        batch_size,
    };
    let max_passes = app.timing.push_passes.max(1);
    let overlap_after = app.timing.push_overlap_after;
    let min_interval = ctx.channel.min_push_interval();
    let mut last_start: Option<Instant> = None;
    // SKUs a pass in flight is pushing: never two pushes of one SKU at once, so a later level
    // cannot be overtaken by an earlier one.
    let mut busy: HashSet<String> = HashSet::new();
    let mut passes = FuturesUnordered::new();
    let mut started: VecDeque<Instant> = VecDeque::new();
    // After a store failure no pass starts before this: the store gets time to come back.
    let mut backoff = Backoff::worker();
    let mut paused_until: Option<Instant> = None;
    loop {
        if *stopped.borrow() {
            // Let passes in flight record what they sent (shutdown aborts them after 20 s).
            while passes.next().await.is_some() {}
            return;
        }
        // Another pass only while the running ones are slow (feeds, one-listing-per-call
        // channels): a fast channel keeps one pass, whose next batch gathers what came meanwhile.
        if paused_until.is_some_and(|t| t <= Instant::now()) {
            paused_until = None;
        }
        let spaced = last_start.is_none_or(|t: Instant| t.elapsed() >= min_interval)
            && paused_until.is_none();
        let take = per_pass(batch_size);
        let may_start = spaced
            && (passes.is_empty()
                || (passes.len() < max_passes
                    && busy.len() + take <= IN_FLIGHT_ROWS
                    && started
                        .back()
                        .is_some_and(|t: &Instant| t.elapsed() >= overlap_after)));
        let mut launched = false;
        if may_start {
            let limit = (take + busy.len()) as i64;
            match app
                .store
                .due_dirty(&channel_id, &locations, now_ms(), limit)
                .await
            {
                Ok(due) => {
                    let due: Vec<DirtyListing> = due
                        .into_iter()
                        .filter(|d| !busy.contains(&d.sku))
                        .take(take)
                        .collect();
                    if !due.is_empty() {
                        busy.extend(due.iter().map(|d| d.sku.clone()));
                        started.push_back(Instant::now());
                        last_start = Some(Instant::now());
                        passes.push(pass(&ctx, due));
                        launched = true;
                    }
                }
                Err(e) => {
                    app.store_failed("reading dirty listings", &e);
                    paused_until = Some(Instant::now() + backoff.next_wait());
                }
            }
        }
        if launched && passes.len() == 1 {
            // Let the pass start before looking again.
            tokio::task::yield_now().await;
        }
        let recheck = if let Some(until) = paused_until {
            until.saturating_duration_since(Instant::now())
        } else if !spaced {
            // Gathering: look again when the channel's interval is over.
            last_start.map_or(app.timing.idle_scan, |t| {
                min_interval.saturating_sub(t.elapsed())
            })
        } else if (may_start && !launched) || passes.is_empty() || passes.len() >= max_passes {
            // Nothing new to take (or no room): a stock change or a finished pass wakes us.
            app.timing.idle_scan
        } else {
            // When the newest pass becomes old enough for another to overlap it.
            started.back().map_or(app.timing.idle_scan, |t| {
                overlap_after
                    .saturating_sub(t.elapsed())
                    .min(app.timing.idle_scan)
            })
        };
        tokio::select! {
            Some((skus, began, store_ok, channel_retry_at)) = passes.next(), if !passes.is_empty() => {
                if store_ok {
                    backoff.reset();
                } else {
                    paused_until = Some(Instant::now() + backoff.next_wait());
                }
                // The channel failed (down, throttling): no pass until its rows are due again,
                // so they all come back in one pass and go decreases first.
                if let Some(at) = channel_retry_at {
                    let wait = Duration::from_millis(u64::try_from(at - now_ms()).unwrap_or(0));
                    let until = Instant::now() + wait;
                    paused_until = Some(paused_until.map_or(until, |p| p.max(until)));
                }
                for sku in skus {
                    busy.remove(&sku);
                }
                if let Some(i) = started.iter().position(|t| *t == began) {
                    started.remove(i);
                }
            }
            _ = wake.notified() => {}
            _ = tokio::time::sleep(recheck) => {}
            _ = stopped.changed() => {}
        }
    }
}

/// Computes the levels of `due`, sends those the channel does not hold (decreases first, in
/// the channel's largest batches) and records every outcome. Returns the SKUs it covered, when
/// it began, false if the store failed it, and when to try again if the channel failed it.
async fn pass(ctx: &Ctx, due: Vec<DirtyListing>) -> (Vec<String>, Instant, bool, Option<i64>) {
    let began = Instant::now();
    let mut store_ok = true;
    let mut channel_retry_at: Option<i64> = None;
    let Ctx {
        app,
        channel,
        channel_id,
        rules,
        batch_size,
        labels,
    } = ctx;
    let (app, batch_size, labels) = (&**app, *batch_size, labels);
    {
        let mut outcomes = Vec::with_capacity(due.len());
        let mut to_send: Vec<(&DirtyListing, i64)> = Vec::new();
        for d in &due {
            let level = listing_level(&d.parts, &rules.for_sku(&d.sku));
            if d.channel_quantity == Some(level) {
                outcomes.push(PushOutcome {
                    sku: d.sku.clone(),
                    seq: d.seq,
                    kind: PushOutcomeKind::Unchanged,
                });
            } else {
                to_send.push((d, level));
            }
        }
        // Decreases first, against the level the channel last confirmed (what it holds may be
        // in doubt after an outage): if the channel throttles us midway, what waits is a raise.
        decreases_first(&mut to_send, |(d, level)| (d.confirmed_quantity, *level));
        for chunk in to_send.chunks(batch_size) {
            if channel_retry_at.is_some() {
                // A raise must not overtake the cuts that failed: the rest waits, still dirty.
                break;
            }
            let levels: Vec<ListingLevel> = chunk
                .iter()
                .map(|(d, level)| ListingLevel {
                    sku: d.sku.clone(),
                    reference: d.reference.clone(),
                    quantity: *level,
                    expected_current: d.channel_quantity,
                })
                .collect();
            let by_sku: HashMap<&str, &(&DirtyListing, i64)> =
                chunk.iter().map(|c| (c.0.sku.as_str(), c)).collect();
            let skus: Vec<String> = levels.iter().map(|l| l.sku.clone()).collect();
            if let Err(e) = app.store.begin_push(channel_id, &skus).await {
                // Without the marker a crash could hide this push; better not to send it yet.
                app.store_failed("marking a push in flight", &e);
                store_ok = false;
                break;
            }
            app.metrics.stock_push_calls.get_or_create(labels).inc();
            match channel.push_stock(&levels).await {
                Ok(report) => {
                    app.board
                        .channel(channel_id, |c| c.last_push_ok_ms = Some(now_ms()));
                    for sku in &report.applied {
                        if let Some((d, level)) = by_sku.get(sku.as_str()) {
                            let basis = limiting_part(&d.parts);
                            outcomes.push(PushOutcome {
                                sku: d.sku.clone(),
                                seq: d.seq,
                                kind: PushOutcomeKind::Applied {
                                    quantity: *level,
                                    on_hand: basis.on_hand,
                                    reserved: basis.reserved,
                                    buffer: rules.for_sku(&d.sku).buffer,
                                },
                            });
                            if let Some(since) = d.since {
                                app.metrics
                                    .observe_push_latency_ms(labels, now_ms() - since);
                            }
                        }
                    }
                    app.metrics
                        .stock_levels_pushed
                        .get_or_create(labels)
                        .inc_by(report.applied.len() as u64);
                    for (sku, actual) in &report.stale {
                        if let Some((d, _)) = by_sku.get(sku.as_str()) {
                            app.metrics
                                .stock_compare_and_set_conflicts
                                .get_or_create(labels)
                                .inc();
                            outcomes.push(stale_or_dead(app, d, *actual));
                        }
                    }
                    for (sku, why) in &report.rejected {
                        if let Some((d, level)) = by_sku.get(sku.as_str()) {
                            tracing::warn!(channel = %channel_id, sku = %sku, reason = %why, "stock level rejected");
                            outcomes.push(failed(app, d, *level, why.clone(), false, 0));
                        }
                    }
                }
                Err(e) => {
                    app.board.channel(channel_id, |c| {
                        c.last_error = Some(format!("stock push: {e}"));
                        c.last_error_ms = Some(now_ms());
                        if let switchyard_core::ports::ChannelError::RateLimited {
                            retry_after: Some(wait),
                        } = &e
                        {
                            c.throttled_until_ms = Some(
                                now_ms()
                                    .saturating_add(i64::try_from(wait.as_millis()).unwrap_or(0)),
                            );
                        }
                    });
                    app.metrics.stock_push_errors.get_or_create(labels).inc();
                    super::faults::repeated!(app.repeats, warn, format!("push {channel_id}\0{e}"), channel = %channel_id, error = %e, skus = chunk.len(), "stock push failed");
                    // One time for the whole chunk: its rows come back together.
                    let attempts = chunk.iter().map(|(d, _)| d.attempts).max().unwrap_or(0);
                    let at = retry_at_ms(now_ms(), attempts, Some(&e));
                    if e.is_retryable() {
                        channel_retry_at = Some(at);
                    }
                    for (d, level) in chunk {
                        outcomes.push(failed(app, d, *level, e.to_string(), e.is_retryable(), at));
                    }
                }
            }
        }
        if let Err(e) = app.store.record_push(channel_id, &outcomes).await {
            app.store_failed("recording a push outcome", &e);
            store_ok = false;
        }
    }
    (
        due.into_iter().map(|d| d.sku).collect(),
        began,
        store_ok,
        channel_retry_at,
    )
}

/// The part that sets a kit's level (the plain SKU itself otherwise), recorded with the push.
fn limiting_part(parts: &[Part]) -> Part {
    parts
        .iter()
        .copied()
        .min_by_key(|p| (p.on_hand - p.reserved).max(0) / p.per_unit.max(1))
        .unwrap_or(Part {
            per_unit: 1,
            on_hand: 0,
            reserved: 0,
        })
}

fn stale_or_dead(app: &App, d: &DirtyListing, actual: Option<i64>) -> PushOutcome {
    // Someone keeps changing the level under us: give up after the usual number of tries.
    if d.attempts + 1 >= app.timing.push_max_attempts {
        return failed(
            app,
            d,
            actual.unwrap_or(0),
            "compare-and-set kept failing".into(),
            false,
            0,
        );
    }
    PushOutcome {
        sku: d.sku.clone(),
        seq: d.seq,
        kind: PushOutcomeKind::Stale {
            channel_quantity: actual,
        },
    }
}

fn failed(
    app: &App,
    d: &DirtyListing,
    quantity: i64,
    error: String,
    retryable: bool,
    retry_at: i64,
) -> PushOutcome {
    let give_up = !retryable || d.attempts + 1 >= app.timing.push_max_attempts;
    PushOutcome {
        sku: d.sku.clone(),
        seq: d.seq,
        kind: PushOutcomeKind::Failed {
            error,
            retry_at: (!give_up).then_some(retry_at),
            quantity,
        },
    }
}

#[cfg(test)]
mod pass_size_tests {
    use super::*;

    #[test]
    fn small_batches_gather_a_few_large_ones_go_alone() {
        assert_eq!(per_pass(1), 4);
        assert_eq!(per_pass(250), 1_000);
        assert_eq!(per_pass(2_000), 8_000);
        assert_eq!(per_pass(10_000), 10_000);
        assert_eq!(per_pass(25_000), 25_000);
        // Two Amazon feeds may be in flight at once, never more rows than the cap.
        assert_eq!(IN_FLIGHT_ROWS / per_pass(25_000), 2);
    }
}
