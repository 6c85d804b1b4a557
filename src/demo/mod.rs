//! `switchyard demo`: the channel simulators, a 3PL and a dropship supplier simulator and the
//! daemon in one process on loopback ports, a fresh SQLite file, routing rules that send each
//! SKU family to its place, and a scripted day of trading. The summary checks the outcome
//! against the demo's own ledger of what it did and the simulators' records, not against
//! Switchyard's database.

pub mod channels;
mod ledger;
pub mod partners;
mod returns;
mod rules;
mod script;
mod serve;
mod summary;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use switchyard_core::config::{Config, LocationConfig, LocationKind, ServerConfig, StoreConfig};
use switchyard_core::model::ChannelKind;
use switchyard_core::store::OnHandSource;
use switchyard_sim::SimulatedChannel;

use crate::daemon::{Daemon, Timing};

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Orders to place across both channels.
    #[arg(long, default_value_t = 80)]
    pub orders: usize,
    /// SKUs in the catalog.
    #[arg(long, default_value_t = 12)]
    pub skus: usize,
    /// Seed for the scripted choices, so a failing run can be repeated.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Channels to simulate (comma-separated); all seven by default.
    #[arg(long, value_delimiter = ',', default_values_t = ChannelKind::ALL)]
    pub channels: Vec<ChannelKind>,
    /// Keep the database in this folder instead of a temporary one.
    #[arg(long)]
    pub keep: Option<PathBuf>,
    /// Also print the routing rules the demo runs with, as YAML.
    #[arg(long)]
    pub show_rules: bool,
    /// After the scripted day, keep the daemon and the simulators running with the web
    /// console and admin API on this address (`127.0.0.1:8081`) until Ctrl-C; a fresh admin
    /// token is printed.
    #[arg(long, value_name = "ADDR")]
    pub serve: Option<String>,
}

pub const WAREHOUSE: &str = "main";
/// A SKU one channel sells and nobody stocks: its line is held with nowhere to go, then
/// cancelled on that channel by the daemon (`cancel_unfulfillable_after_secs`).
pub const UNSTOCKED: &str = "GONE-001";
/// How long such a line is held before the daemon cancels it, in the demo.
pub const CANCEL_HELD_AFTER_SECS: u64 = 1;

/// The channel that shows the seller cancellation: Walmart (it cancels single lines) when it
/// runs, else the first with a cancellation API (whole orders).
pub fn unfulfillable_channel(ids: &[&str]) -> Option<usize> {
    ["walmart", "shopify", "woocommerce", "bigcommerce", "ebay"]
        .iter()
        .find_map(|want| ids.iter().position(|id| id == want))
}
pub const ON_HAND: i64 = 40;
/// Tees kept on the own shelf besides the 3PL's (returns): channels list the sum, the rules
/// still ship tees from the 3PL.
pub const WAREHOUSE_TEES: i64 = 4;

/// A simulated channel and how the daemon knows it.
pub struct DemoChannel {
    pub id: String,
    pub sim: Arc<dyn SimulatedChannel>,
    pub buffer: u32,
    /// The channel only releases paid orders (Walmart), so an order placed "unpaid" is paid.
    pub always_paid: bool,
}

pub async fn run(args: &DemoArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let dir = match &args.keep {
        Some(d) => {
            std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
            d.clone()
        }
        None => std::env::temp_dir().join(format!(
            "switchyard-demo-{}-{}",
            std::process::id(),
            chrono::Utc::now().timestamp_millis()
        )),
    };
    std::fs::create_dir_all(&dir)?;
    let serve_token = args.serve.as_ref().map(|_| serve::token());
    let db = dir.join("demo.db");
    let _ = std::fs::remove_file(&db);
    let store_url = format!("sqlite://{}", db.display());

    println!("switchyard demo: database {}", db.display());
    let mut channels = Vec::new();
    let mut channel_configs = Vec::new();
    for kind in args.channels.iter().copied() {
        let (channel, config) = channels::start(kind).await?;
        println!(
            "  {:<12} simulator at {}",
            channel.id,
            channel.sim.base_url()
        );
        channels.push(channel);
        channel_configs.push(config);
    }
    anyhow::ensure!(!channels.is_empty(), "the demo needs at least one channel");
    let partners = partners::Partners::start().await?;
    println!(
        "  {:<12} 3PL (ShipBob API) at {}",
        partners::THREE_PL,
        partners.three_pl.base_url()
    );
    println!(
        "  {:<12} dropship supplier (HTTP JSON) at {}",
        partners::SUPPLIER,
        partners.supplier.base_url()
    );

    let skus: Vec<String> = (1..=args.skus).map(|i| format!("SY-{i:03}")).collect();
    let listed = skus
        .iter()
        .chain(&partners.three_pl_skus)
        .chain(&partners.supplier_skus);
    for (i, sku) in listed.enumerate() {
        for c in &channels {
            // Channels start out of date on purpose: the first push must correct them.
            c.sim
                .add_product(sku, &format!("Demo item {}", i + 1), "19.90", 3);
        }
    }

    let ids: Vec<&str> = channels.iter().map(|c| c.id.as_str()).collect();
    if let Some(i) = unfulfillable_channel(&ids) {
        channels[i]
            .sim
            .add_product(UNSTOCKED, "Discontinued item", "9.90", 0);
        channel_configs[i].cancel_unfulfillable_after_secs = Some(CANCEL_HELD_AFTER_SECS);
    }
    let config = Config {
        store: StoreConfig {
            url: store_url.clone(),
        },
        server: ServerConfig {
            listen: "127.0.0.1:0".into(),
            ..ServerConfig::default()
        },
        admin: match &serve_token {
            Some(token) => serve::admin(args.serve.as_deref(), token),
            None => Default::default(),
        },
        channels: channel_configs,
        locations: [LocationConfig {
            id: WAREHOUSE.into(),
            kind: LocationKind::SelfWarehouse,
            name: Some("Demo warehouse".into()),
            adapter: None,
            coordinates: None,
            country: None,
            region: None,
            catalog: Vec::new(),
        }]
        .into_iter()
        .chain(partners.locations())
        .collect(),
        routing: Default::default(),
        kits: Vec::new(),
        intake: Default::default(),
        audit_interval_secs: 5,
        late_margin_secs: 4 * 3600,
        replica: Default::default(),
        alerts: Default::default(),
        webhooks: Vec::new(),
    };
    let mut config = config;
    config.routing = rules::load(&config)?;
    let issues = config.validate();
    anyhow::ensure!(issues.is_empty(), "demo config invalid: {issues:?}");
    if args.show_rules {
        println!("  routing rules:\n{}", rules::yaml());
    }

    // The merchant's counts exist before the daemon starts, as after `stock import`; the 3PL's
    // come from its inventory API.
    {
        let store = switchyard_store::open(&store_url).await?;
        let levels: Vec<(String, i64)> = skus
            .iter()
            .map(|s| (s.clone(), ON_HAND))
            .chain(
                partners
                    .three_pl_skus
                    .iter()
                    .map(|s| (s.clone(), WAREHOUSE_TEES)),
            )
            .collect();
        store
            .set_on_hand(WAREHOUSE, &levels, OnHandSource::Import, "demo seed")
            .await?;
        let bob = config
            .locations
            .iter()
            .find(|l| l.id == partners::THREE_PL)
            .context("the 3PL location")?;
        partners.import_three_pl_stock(bob, store.as_ref()).await?;
    }

    let timing = Timing {
        idle_scan: Duration::from_millis(200),
        discovery_interval: Duration::from_secs(2),
        ..Timing::default()
    };
    let daemon = Daemon::start(config, timing).await?;
    for c in &channels {
        c.sim
            .set_webhook_target(&format!("http://{}/webhooks/{}", daemon.addr, c.id));
    }
    partners.set_webhook_targets(daemon.addr);
    println!("  daemon: http://{}", daemon.addr);

    let outcome = script::play(&daemon, &channels, &partners, &skus, args.seed, args.orders).await;
    let store = daemon.app.store.clone();
    let audit = crate::daemon::auditor::audit_now(&daemon.app.config, store.as_ref()).await;
    let metrics_text = daemon.app.metrics.render();
    let serving = match &serve_token {
        Some(token) => Some((daemon, token)),
        None => {
            daemon.shutdown().await;
            None
        }
    };
    let report = match outcome {
        Ok(report) => report,
        Err(e) => {
            eprintln!("demo failed: {e:#}");
            return Ok(ExitCode::FAILURE);
        }
    };

    let all_ok = report
        .print(
            &channels,
            &partners,
            store.as_ref(),
            &audit?,
            started.elapsed(),
        )
        .await?;
    if std::env::var_os("SWITCHYARD_DEMO_METRICS").is_some() {
        println!("{metrics_text}");
    }
    if let Some((daemon, token)) = serving {
        serve::until_interrupted(daemon, token).await;
    }
    if args.keep.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
