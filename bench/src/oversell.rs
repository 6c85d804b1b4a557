//! `oversell`: shoppers buy at a steady rate on the channels that send order webhooks; every
//! sale must lower the level on every channel. Measures, per order, the time from the daemon's
//! 200 for the webhook to the moment every simulator holds the new level, and how many
//! stock-write calls that took against the fewest that could have carried the changes.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use switchyard_core::model::ChannelKind;
use switchyard_sim::{OrderSpec, SimStats, WebhookFate};

use crate::floors::max_levels_per_call;
use crate::harness::{RunDir, seed_listings, seed_on_hand, start_channels, wait_settled};
use crate::latency::{self, ChannelView, Order};
use crate::latency_floor::{Load, fetch_floor, push_floor};
use crate::progress;
use crate::stats::{percentiles, round};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// SKUs in the catalog; every channel lists all of them.
    #[arg(long, default_value_t = 1000)]
    pub skus: usize,
    /// Orders per second.
    #[arg(long, default_value_t = 100.0)]
    pub rate: f64,
    /// How long orders keep coming.
    #[arg(long, default_value_t = 30.0)]
    pub seconds: f64,
    /// Channels that exist (comma-separated); all seven by default.
    #[arg(long, value_delimiter = ',', default_values_t = ChannelKind::ALL)]
    pub channels: Vec<ChannelKind>,
    /// Channels the orders are placed on, round-robin; by default every chosen channel whose
    /// simulator sends order webhooks.
    #[arg(long, value_delimiter = ',')]
    pub order_channels: Vec<ChannelKind>,
    /// After the last order, how long to wait for every channel to catch up.
    #[arg(long, default_value_t = 120.0)]
    pub drain_s: f64,
    /// On-hand units per SKU at the start (stays above zero through a default run).
    #[arg(long, default_value_t = 500)]
    pub on_hand: i64,
    /// Seed for the shoppers' choices.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
}

/// One order as placed.
struct Placed {
    channel: usize,
    external_id: String,
    lines: Vec<(String, u32)>,
}

pub async fn run(args: &Args, verbose: u8) -> anyhow::Result<Value> {
    if args.skus == 0 || args.rate <= 0.0 || args.seconds <= 0.0 {
        bail!("--skus, --rate and --seconds must be above zero");
    }
    let channels = start_channels(&args.channels).await?;
    let senders: Vec<usize> = channels
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            if args.order_channels.is_empty() {
                c.demo.sim.sends_order_webhooks()
            } else {
                args.order_channels.contains(&c.kind)
            }
        })
        .map(|(i, _)| i)
        .collect();
    if senders.is_empty() {
        bail!("none of the chosen channels sends order webhooks; pick some with --order-channels");
    }
    if let Some(c) = senders
        .iter()
        .map(|i| &channels[*i])
        .find(|c| !c.demo.sim.sends_order_webhooks())
    {
        bail!("the {} simulator sends no order webhooks", c.id());
    }

    let skus: Vec<String> = (0..args.skus).map(|i| format!("SKU-{i:07}")).collect();
    let start: HashMap<String, i64> = skus.iter().map(|s| (s.clone(), args.on_hand)).collect();
    progress!(
        "oversell: {} SKUs on {} channels, orders on {}",
        args.skus,
        channels.len(),
        senders
            .iter()
            .map(|i| channels[*i].id())
            .collect::<Vec<_>>()
            .join(",")
    );
    for c in &channels {
        let level = c.level(args.on_hand);
        for sku in &skus {
            c.demo
                .sim
                .add_product(sku, &format!("Item {sku}"), "19.90", level);
        }
    }

    let run_dir = RunDir::new()?;
    let config = run_dir.write_config(channels.iter().map(|c| c.config.clone()).collect())?;
    {
        let store = switchyard_store::open(&run_dir.store_url).await?;
        let levels: Vec<(String, i64)> = skus.iter().map(|s| (s.clone(), args.on_hand)).collect();
        seed_on_hand(store.as_ref(), &levels).await?;
        for c in &channels {
            let held = c.level(args.on_hand);
            seed_listings(store.as_ref(), c, &skus, |_| Some(held)).await?;
        }
    }
    let daemon = run_dir.start_daemon(&config, verbose).await?;
    let client = reqwest::Client::new();
    wait_settled(&client, &daemon, Duration::from_secs(120)).await?;
    for c in &channels {
        c.demo.sim.set_webhook_target(&format!(
            "http://127.0.0.1:{}/webhooks/{}",
            run_dir.port,
            c.id()
        ));
        c.demo.sim.journal().record(true);
    }
    let before: Vec<SimStats> = channels.iter().map(|c| c.demo.sim.stats()).collect();
    let cpu_before = daemon.cpu_seconds()?;

    // The shoppers: a fixed schedule, each order placed in its own task so a slow answer does
    // not delay the next one.
    let count = (args.rate * args.seconds).round().max(1.0) as usize;
    let mut rng = StdRng::seed_from_u64(args.seed);
    let channels = Arc::new(channels);
    let began = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..count {
        let n_lines = if rng.random_bool(0.3) { 2 } else { 1 };
        let mut lines: Vec<(String, u32)> = Vec::new();
        while lines.len() < n_lines {
            let sku = &skus[rng.random_range(0..skus.len())];
            if !lines.iter().any(|(s, _)| s == sku) {
                lines.push((sku.clone(), rng.random_range(1..=2)));
            }
        }
        let channel = senders[i % senders.len()];
        let due = began + Duration::from_secs_f64(i as f64 / args.rate);
        tokio::time::sleep_until(due.into()).await;
        let channels = Arc::clone(&channels);
        tasks.spawn(async move {
            let spec = OrderSpec {
                lines: lines.clone(),
                paid: true,
                email: format!("shopper{i}@example.com"),
                fate: WebhookFate::Deliver,
            };
            let external_id = channels[channel].demo.sim.place_order(spec).await;
            Placed {
                channel,
                external_id,
                lines,
            }
        });
    }
    let mut placed = Vec::with_capacity(count);
    while let Some(done) = tasks.join_next().await {
        placed.push(done.context("an order task failed")?);
    }
    let placing_s = began.elapsed().as_secs_f64();
    progress!("placed {count} orders in {placing_s:.1} s; waiting for every channel");

    // Drain: until every channel shows the final levels, or the limit.
    let mut sold: HashMap<&str, i64> = HashMap::new();
    for p in &placed {
        for (sku, units) in &p.lines {
            *sold.entry(sku.as_str()).or_default() += i64::from(*units);
        }
    }
    let drain_began = Instant::now();
    let drain_limit = Duration::from_secs_f64(args.drain_s);
    let mut behind = Vec::new();
    loop {
        behind.clear();
        for c in channels.iter() {
            let lagging = sold
                .iter()
                .filter(|(sku, units)| {
                    c.demo.sim.stock(sku) != Some(c.level(args.on_hand - **units))
                })
                .count();
            if lagging > 0 {
                behind.push(format!("{}: {lagging} SKUs", c.id()));
            }
        }
        if behind.is_empty() || drain_began.elapsed() >= drain_limit {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let observed_until = Instant::now();
    if !behind.is_empty() {
        progress!(
            "not caught up after {:.0} s: {}",
            args.drain_s,
            behind.join(", ")
        );
    }
    // Counted before the daemon drains its last batch on the way out.
    let after: Vec<SimStats> = channels.iter().map(|c| c.demo.sim.stats()).collect();
    let cpu_s = daemon.cpu_seconds()? - cpu_before;
    let peak_rss_mb = daemon.peak_rss_mb()?;
    daemon.stop()?;

    // Join the ledger with what the channels saw.
    let mut acks: Vec<HashMap<String, Instant>> = Vec::with_capacity(channels.len());
    let mut histories = Vec::with_capacity(channels.len());
    for c in channels.iter() {
        c.demo.sim.journal().record(false);
        let mut first: HashMap<String, Instant> = HashMap::new();
        for (id, at) in c.demo.sim.journal().webhook_acks() {
            first.entry(id).or_insert(at);
        }
        acks.push(first);
        histories.push(c.demo.sim.journal().stock_histories());
    }
    let mut orders: Vec<(Order, usize)> = Vec::with_capacity(placed.len());
    let mut unacked = 0usize;
    for p in &placed {
        match acks[p.channel].get(&p.external_id) {
            Some(ack) => orders.push((
                Order {
                    ack: *ack,
                    lines: p.lines.clone(),
                },
                p.channel,
            )),
            None => unacked += 1,
        }
    }
    orders.sort_by_key(|(o, _)| o.ack);
    let views: Vec<ChannelView> = channels
        .iter()
        .zip(&histories)
        .map(|(c, h)| ChannelView {
            buffer: c.demo.buffer,
            history: h,
        })
        .collect();
    let only_orders: Vec<Order> = orders.iter().map(|(o, _)| o.clone()).collect();
    let outcome = latency::measure(&only_orders, &start, &views);

    // A sale that never reached a channel counts as the whole wait: a lower bound.
    let censor = |row: usize, ms: Option<f64>| {
        ms.unwrap_or_else(|| {
            observed_until
                .duration_since(only_orders[row].ack)
                .as_secs_f64()
                * 1000.0
        })
    };
    let overall: Vec<Option<f64>> = outcome.overall();
    let unconverged = overall.iter().filter(|x| x.is_none()).count();
    let overall_ms: Vec<f64> = overall
        .iter()
        .enumerate()
        .map(|(i, ms)| censor(i, *ms))
        .collect();

    let mut per_channel = serde_json::Map::new();
    let mut api_calls = 0u64;
    let mut min_api_calls = 0u64;
    for (c, channel) in channels.iter().enumerate() {
        let samples: Vec<f64> = outcome
            .per_channel
            .iter()
            .enumerate()
            .map(|(i, row)| censor(i, row[c]))
            .collect();
        let missing = outcome
            .per_channel
            .iter()
            .filter(|row| row[c].is_none())
            .count();
        let after = after[c];
        let calls = after.stock_calls - before[c].stock_calls;
        let batch = max_levels_per_call(channel.kind) as u64;
        let least = outcome.updates[c].div_ceil(batch);
        api_calls += calls;
        min_api_calls += least;
        let load = Load {
            seconds: placing_s,
            updates: outcome.updates[c],
            skus: outcome.skus[c],
        };
        let floor = push_floor(channel.kind, load);
        let latency = percentiles(&samples);
        per_channel.insert(
            channel.id().to_string(),
            json!({
                "p50": latency.p50,
                "p95": latency.p95,
                "p99": latency.p99,
                "converged": samples.len() - missing,
                "unconverged": missing,
                "api_calls": calls,
                "min_api_calls": least,
                "floor_ms": floor.ms,
                "floor_basis": floor.basis,
                "level_updates": outcome.updates[c],
                "skus_changed": outcome.skus[c],
                "max_levels_per_call": batch,
                "levels_written": after.stock_writes - before[c].stock_writes,
                "requests": after.requests - before[c].requests,
                "throttled": after.throttled - before[c].throttled,
            }),
        );
    }
    let order_channels: Vec<&str> = senders.iter().map(|c| channels[*c].id()).collect();
    // Thin webhooks (Amazon, BigCommerce) wait for a fetch the full ones do not need; its
    // floor is what the channel's read limits allow for this many orders.
    let mut by_order_channel = serde_json::Map::new();
    for s in &senders {
        let samples: Vec<f64> = orders
            .iter()
            .zip(&overall_ms)
            .filter(|((_, c), _)| c == s)
            .map(|(_, ms)| *ms)
            .collect();
        let fetch = fetch_floor(channels[*s].kind, samples.len() as u64, placing_s);
        by_order_channel.insert(
            channels[*s].id().to_string(),
            json!({
                "orders": samples.len(),
                "latency_ms": percentiles(&samples),
                "fetch_floor_ms": fetch.as_ref().map(|f| f.ms),
                "fetch_floor_basis": fetch.map(|f| f.basis),
            }),
        );
    }
    Ok(json!({
        "scenario": "oversell",
        "orders": count,
        "rate_per_s": args.rate,
        "channels": channels.len(),
        "latency_ms": percentiles(&overall_ms),
        "api_calls": api_calls,
        "min_api_calls": min_api_calls,
        "skus": args.skus,
        "seconds": args.seconds,
        "achieved_rate_per_s": round(count as f64 / placing_s.max(f64::EPSILON)),
        "order_channels": order_channels,
        "unacked": unacked,
        "unconverged": unconverged,
        "latency_censored": unconverged > 0,
        "drain_s": round(drain_began.elapsed().as_secs_f64()),
        "daemon": {"cpu_s": round(cpu_s), "peak_rss_mb": round(peak_rss_mb)},
        "per_channel": per_channel,
        "by_order_channel": by_order_channel,
        "notes": [
            "listings seeded through the store API (Store::upsert_listings) with the references catalog discovery would find; discovery itself is not measured",
            "latency of an order that never reached a channel is counted as the whole observation window (a lower bound; see unconverged)",
            "min_api_calls = sum over channels of ceil(level changes the channel had to receive / its largest stock batch)",
            "per_channel.floor_ms = least latency the channel's own limits allow for this many changes over this many seconds (bench/src/latency_floor.rs); by_order_channel.fetch_floor_ms the same for resolving thin webhooks",
        ],
    }))
}
