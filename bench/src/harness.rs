//! What every scenario sets up: simulators with their real default limits, a fresh folder with
//! a YAML configuration and SQLite file, the merchant's counts and listings seeded through the
//! store API, and the daemon started as a child process.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use switchyard::demo::DemoChannel;
use switchyard_core::config::{
    ChannelConfig, Config, LocationConfig, LocationKind, ServerConfig, StoreConfig,
};
use switchyard_core::model::ChannelKind;
use switchyard_core::ports::Listing;
use switchyard_core::store::{Counts, Store};

use crate::child::{ChildServer, free_port};

pub const WAREHOUSE: &str = "main";

/// A started simulator and the channel configuration pointing at it.
pub struct SimChannel {
    pub kind: ChannelKind,
    pub demo: DemoChannel,
    pub config: ChannelConfig,
}

impl SimChannel {
    pub fn id(&self) -> &str {
        &self.demo.id
    }

    /// The level this channel should show for `on_hand` units with nothing reserved.
    pub fn level(&self, available: i64) -> i64 {
        (available - i64::from(self.demo.buffer)).max(0)
    }
}

/// Starts one simulator per kind. Polling runs at the production default (every 60 s with
/// 300 s overlap): orders arrive by webhook, and the demo's one-second polls would spend
/// rate limits the scenarios measure.
pub async fn start_channels(kinds: &[ChannelKind]) -> anyhow::Result<Vec<SimChannel>> {
    let mut out = Vec::new();
    for kind in kinds {
        let (demo, mut config) = switchyard::demo::channels::start(*kind).await?;
        config.poll_interval_secs = 60;
        config.poll_overlap_secs = 300;
        out.push(SimChannel {
            kind: *kind,
            demo,
            config,
        });
    }
    Ok(out)
}

/// A fresh run folder (removed on drop) with its database URL and daemon port.
pub struct RunDir {
    pub dir: tempfile::TempDir,
    pub store_url: String,
    pub port: u16,
}

impl RunDir {
    pub fn new() -> anyhow::Result<RunDir> {
        let dir = tempfile::Builder::new()
            .prefix("switchyard-bench-")
            .tempdir()
            .context("creating a run folder")?;
        let store_url = format!("sqlite://{}", dir.path().join("bench.db").display());
        Ok(RunDir {
            dir,
            store_url,
            port: free_port()?,
        })
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes the daemon's YAML configuration: these channels, one own warehouse.
    pub fn write_config(&self, channels: Vec<ChannelConfig>) -> anyhow::Result<PathBuf> {
        let config = Config {
            store: StoreConfig {
                url: self.store_url.clone(),
            },
            server: ServerConfig {
                listen: format!("127.0.0.1:{}", self.port),
                ..ServerConfig::default()
            },
            admin: Default::default(),
            channels,
            locations: vec![LocationConfig {
                id: WAREHOUSE.into(),
                kind: LocationKind::SelfWarehouse,
                name: Some("Benchmark warehouse".into()),
                adapter: None,
                coordinates: None,
                country: None,
                region: None,
                catalog: Vec::new(),
            }],
            routing: Default::default(),
            kits: Vec::new(),
            // The production default: the first audit runs one interval after start.
            intake: Default::default(),
            audit_interval_secs: 300,
            late_margin_secs: 4 * 3600,
            replica: Default::default(),
            alerts: Default::default(),
            webhooks: Vec::new(),
        };
        let issues = config.validate();
        if !issues.is_empty() {
            bail!("benchmark config invalid: {issues:?}");
        }
        let yaml = serde_saphyr::to_string(&config).context("writing the config as YAML")?;
        let path = self.path("switchyard.yaml");
        std::fs::write(&path, yaml).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }

    /// Starts the daemon on the written config and waits for `/healthz`.
    pub async fn start_daemon(&self, config: &Path, verbose: u8) -> anyhow::Result<ChildServer> {
        let args = vec![
            "daemon".to_string(),
            "--config".to_string(),
            config.display().to_string(),
        ];
        ChildServer::start(
            &args,
            self.port,
            &self.path("daemon.log"),
            verbose,
            "/healthz",
        )
        .await
    }
}

/// Seeds on-hand counts at the warehouse, in chunks so a million SKUs do not make one
/// enormous transaction.
pub async fn seed_on_hand(store: &dyn Store, levels: &[(String, i64)]) -> anyhow::Result<()> {
    for chunk in levels.chunks(50_000) {
        store
            .set_on_hand(
                WAREHOUSE,
                chunk,
                switchyard_core::store::OnHandSource::Import,
                "benchmark seed",
            )
            .await?;
    }
    Ok(())
}

/// Seeds each channel's listings with the reference its catalog discovery would find, and
/// what the channel holds (`None` when it must be pushed regardless).
pub async fn seed_listings(
    store: &dyn Store,
    channel: &SimChannel,
    skus: &[String],
    held: impl Fn(usize) -> Option<i64>,
) -> anyhow::Result<()> {
    let mut batch = Vec::with_capacity(50_000);
    for (i, sku) in skus.iter().enumerate() {
        let reference =
            channel.demo.sim.listing_reference(sku).with_context(|| {
                format!("the {} simulator has no listing for {sku}", channel.id())
            })?;
        batch.push(Listing {
            sku: sku.clone(),
            reference,
            channel_quantity: held(i),
        });
        if batch.len() == 50_000 {
            store
                .upsert_listings(channel.id(), &batch, "discovered")
                .await?;
            batch.clear();
        }
    }
    if !batch.is_empty() {
        store
            .upsert_listings(channel.id(), &batch, "discovered")
            .await?;
    }
    Ok(())
}

/// The daemon's pipeline counters (`/readyz`).
pub async fn counts(client: &reqwest::Client, daemon: &ChildServer) -> anyhow::Result<Counts> {
    let text = client
        .get(daemon.url("/readyz"))
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    let v: serde_json::Value = serde_json::from_str(&text).context("reading /readyz")?;
    let n = |k: &str| v.get(k).and_then(serde_json::Value::as_i64).unwrap_or(0);
    Ok(Counts {
        inbox_pending: n("inbox_pending"),
        quarantined: n("quarantined"),
        orders: n("orders"),
        to_route: n("to_route"),
        stock_dirty: n("stock_dirty"),
        outbox_pending: n("outbox_pending"),
        dead_letters: n("dead_letters"),
        partner_events_failed: n("partner_events_failed"),
    })
}

/// Waits until the daemon has no dirty listing left (its first pass over the seeded ones).
pub async fn wait_settled(
    client: &reqwest::Client,
    daemon: &ChildServer,
    limit: Duration,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + limit;
    loop {
        let c = counts(client, daemon).await?;
        if c.stock_dirty == 0 && c.inbox_pending == 0 {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!(
                "the daemon did not settle within {limit:?}: {c:?}; log:\n{}",
                daemon.log_tail()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Say what is happening, on stderr (stdout carries only the JSON).
#[macro_export]
macro_rules! progress {
    ($($arg:tt)*) => { eprintln!("[bench] {}", format!($($arg)*)) };
}
