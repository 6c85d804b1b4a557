//! `catalog`: a whole catalog pushed to every channel from scratch. Every simulator starts at
//! level 0 and every listing is seeded with an unknown channel level, so the daemon must push
//! every SKU everywhere; the wall time is compared with what the channels' limits alone
//! impose, and the daemon's peak memory is read while it works.

use std::time::{Duration, Instant};

use anyhow::bail;
use serde_json::{Value, json};
use switchyard_core::model::ChannelKind;
use switchyard_sim::SimStats;

use crate::floors::{Floor, catalog_floor};
use crate::harness::{RunDir, SimChannel, seed_listings, seed_on_hand, start_channels};
use crate::pace::{possible_by, server_floor, unlimited};
use crate::progress;
use crate::stats::round;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// SKUs in the catalog.
    #[arg(long, default_value_t = 100_000)]
    pub skus: usize,
    /// Channels to push to (comma-separated); all seven by default.
    #[arg(long, value_delimiter = ',', default_values_t = ChannelKind::ALL)]
    pub channels: Vec<ChannelKind>,
    /// Stop waiting after this long and report how far each channel got (channels whose
    /// floor is hours or days would otherwise keep the run going that long).
    #[arg(long, default_value_t = 900.0)]
    pub max_wall_s: f64,
    /// For a channel without a published limit, how many full batches the bare connector
    /// sends to measure the server's own floor.
    #[arg(long, default_value_t = 100)]
    pub server_sample_calls: usize,
}

/// On-hand of the i-th SKU: never zero, so every level differs from the channels' 0.
fn on_hand(i: usize) -> i64 {
    10 + (i % 90) as i64
}

struct Progress {
    floor: Floor,
    /// The connector alone against the simulator, for channels without a published limit.
    server_floor: Option<(f64, usize)>,
    done_at: Option<f64>,
    written: u64,
}

impl Progress {
    /// The floor this channel is held to: its limits', or the bare server's when it has none.
    fn effective_floor(&self) -> f64 {
        self.server_floor
            .map_or(self.floor.seconds, |(s, _)| s.max(self.floor.seconds))
    }
}

pub async fn run(args: &Args, verbose: u8) -> anyhow::Result<Value> {
    if args.skus == 0 {
        bail!("--skus must be above zero");
    }
    let started = Instant::now();
    let channels = start_channels(&args.channels).await?;
    let skus: Vec<String> = (0..args.skus).map(|i| format!("SKU-{i:07}")).collect();
    let mut progress: Vec<Progress> = channels
        .iter()
        .map(|c| Progress {
            floor: catalog_floor(c.kind, args.skus as u64),
            server_floor: None,
            done_at: None,
            written: 0,
        })
        .collect();
    for (c, p) in channels.iter().zip(&progress) {
        progress!(
            "catalog floor {:<12} {:>10.1} s  ({})",
            c.id(),
            p.floor.seconds,
            p.floor.basis
        );
    }
    for c in &channels {
        for sku in &skus {
            c.demo
                .sim
                .add_product(sku, &format!("Item {sku}"), "19.90", 0);
        }
    }
    for (c, p) in channels.iter().zip(progress.iter_mut()) {
        if unlimited(c.kind, args.skus as u64) {
            let measured = server_floor(c, &skus, args.server_sample_calls).await?;
            progress!(
                "server floor {:<12} {:>10.1} s  (bare connector, {} full batches timed, extrapolated)",
                c.id(),
                measured.0,
                measured.1
            );
            p.server_floor = Some(measured);
        }
    }
    let run_dir = RunDir::new()?;
    let config = run_dir.write_config(channels.iter().map(|c| c.config.clone()).collect())?;
    let seeding = Instant::now();
    {
        let store = switchyard_store::open(&run_dir.store_url).await?;
        let levels: Vec<(String, i64)> = skus
            .iter()
            .enumerate()
            .map(|(i, s)| (s.clone(), on_hand(i)))
            .collect();
        seed_on_hand(store.as_ref(), &levels).await?;
        for c in &channels {
            seed_listings(store.as_ref(), c, &skus, |_| None).await?;
        }
    }
    let seed_s = seeding.elapsed().as_secs_f64();
    progress!(
        "seeded {} SKUs × {} channels in {seed_s:.1} s (setup {:.1} s)",
        args.skus,
        channels.len(),
        started.elapsed().as_secs_f64()
    );

    let before: Vec<SimStats> = channels.iter().map(|c| c.demo.sim.stats()).collect();
    let began = Instant::now();
    let daemon = run_dir.start_daemon(&config, verbose).await?;
    let limit = Duration::from_secs_f64(args.max_wall_s);
    let mut last_report = Instant::now();
    loop {
        let elapsed = began.elapsed().as_secs_f64();
        for (i, c) in channels.iter().enumerate() {
            let p = &mut progress[i];
            if p.done_at.is_some() {
                continue;
            }
            p.written = c.demo.sim.stats().stock_writes - before[i].stock_writes;
            if p.written >= args.skus as u64 && all_set(c, &skus) {
                p.done_at = Some(elapsed);
                progress!("{} done in {elapsed:.1} s", c.id());
            }
        }
        if progress.iter().all(|p| p.done_at.is_some()) || began.elapsed() >= limit {
            break;
        }
        if last_report.elapsed() >= Duration::from_secs(10) {
            last_report = Instant::now();
            let line: Vec<String> = channels
                .iter()
                .zip(&progress)
                .filter(|(_, p)| p.done_at.is_none())
                .map(|(c, p)| format!("{} {}/{}", c.id(), p.written, args.skus))
                .collect();
            progress!("{elapsed:.0} s: {}", line.join(", "));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let wall = began.elapsed().as_secs_f64();
    // Counted before the daemon drains its last batch on the way out.
    let after: Vec<SimStats> = channels.iter().map(|c| c.demo.sim.stats()).collect();
    let peak_rss_mb = daemon.peak_rss_mb()?;
    let cpu_s = daemon.cpu_seconds()?;
    daemon.stop()?;

    let complete = progress.iter().all(|p| p.done_at.is_some());
    let wall_s = if complete {
        progress
            .iter()
            .filter_map(|p| p.done_at)
            .fold(0.0, f64::max)
    } else {
        wall
    };
    let floor_s = progress
        .iter()
        .map(Progress::effective_floor)
        .fold(0.0, f64::max);
    let per_channel: Vec<Value> = channels
        .iter()
        .zip(&progress)
        .enumerate()
        .map(|(i, (c, p))| {
            let after = after[i];
            let floor = p.effective_floor();
            let done = p.written.min(args.skus as u64);
            // Complete: wall against floor. Cut off: SKUs held against the most any client
            // could have set by the cut-off (≥ 1/1.2 keeps the 1.2 × floor pace).
            let vs_floor = p.done_at.filter(|_| floor > 0.0).map(|w| round(w / floor));
            let pace = if p.done_at.is_none() {
                let possible = if p.server_floor.is_some() {
                    ((wall / floor.max(f64::EPSILON)) * args.skus as f64).min(args.skus as f64)
                        as u64
                } else {
                    possible_by(c.kind, args.skus as u64, wall)
                };
                Some(json!({
                    "skus_done": done,
                    "possible_by_cutoff": possible,
                    "ratio": if possible > 0 { Some(round(done as f64 / possible as f64)) } else { None },
                }))
            } else {
                None
            };
            json!({
                "channel": c.id(),
                "floor_s": round(p.floor.seconds),
                "floor_basis": p.floor.basis,
                "floor_calls": p.floor.calls,
                "server_floor_s": p.server_floor.map(|(s, _)| round(s)),
                "wall_s": p.done_at.map(round),
                "vs_floor": vs_floor,
                "pace_at_cutoff": pace,
                "skus_done": done,
                "api_calls": after.stock_calls - before[i].stock_calls,
                "requests": after.requests - before[i].requests,
                "throttled": after.throttled - before[i].throttled,
            })
        })
        .collect();
    if !complete {
        progress!(
            "cut off after {:.0} s (--max-wall-s); see per_channel for how far each got",
            args.max_wall_s
        );
    }
    Ok(json!({
        "scenario": "catalog",
        "skus": args.skus,
        "channels": channels.len(),
        "wall_s": round(wall_s),
        "floor_s": round(floor_s),
        "peak_rss_mb": round(peak_rss_mb),
        "complete": complete,
        "daemon_cpu_s": round(cpu_s),
        "seed_s": round(seed_s),
        "per_channel": per_channel,
        "notes": [
            "listings seeded through the store API (Store::upsert_listings) with the references catalog discovery would find; discovery is not measured",
            "wall_s runs from starting the daemon until the last channel holds every level (or the --max-wall-s cutoff when complete is false)",
            "floor_s per channel is what its published limits impose; a channel without one (server_floor_s) is held to the bare connector's time against the same simulator",
            "vs_floor = wall_s / floor for channels that finished; pace_at_cutoff.ratio = SKUs held at the cutoff / the most any client could have set by then",
        ],
    }))
}

/// Whether the channel holds every SKU's level (checked once its write count says so).
fn all_set(c: &SimChannel, skus: &[String]) -> bool {
    skus.iter()
        .enumerate()
        .all(|(i, sku)| c.demo.sim.stock(sku) == Some(c.level(on_hand(i))))
}
