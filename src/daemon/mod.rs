//! The long-running daemon: an HTTP server for webhooks and health, plus one worker per
//! pipeline step. Workers only talk through the store; in-process wake-ups just cut latency.

mod alerts;
pub mod auditor;
mod cancel;
pub mod drift;
pub mod exceptions;
mod faults;
mod fetcher;
pub mod fulfil;
pub mod health;
mod http;
mod inbox_writer;
mod kpi_metrics;
mod late;
pub mod leases;
mod listings;
mod metrics;
pub mod normalizer;
mod outbox;
mod partner_stock;
mod poller;
mod pusher;
mod returns;
mod router;
mod server;
pub mod webhooks;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use switchyard_core::config::Config;
use switchyard_core::fulfillment::FulfillmentTarget;
use switchyard_core::ports::Channel;
use switchyard_core::store::Store;
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

pub use faults::{Repeats, StoreHealth};
pub use metrics::Metrics;

/// Tunables the demo and tests shorten; production uses the defaults.
#[derive(Debug, Clone)]
pub struct Timing {
    /// How often idle workers look at their table even without a wake-up (the CLI writes to
    /// the store from another process).
    pub idle_scan: Duration,
    pub discovery_interval: Duration,
    pub outbox_max_attempts: i64,
    pub push_max_attempts: i64,
    /// Thin-webhook fetches in flight at once per channel (the connector paces them).
    pub fetch_concurrency: usize,
    /// Stock passes one channel may have in flight at once (over disjoint SKUs).
    pub push_passes: usize,
    /// A further pass starts only once the newest running one is this old: a fast channel
    /// keeps one pass at a time, a slow one (a feed being processed) does not hold back
    /// changes that came after it.
    pub push_overlap_after: Duration,
    /// While the store cannot write, how often a small write probes it.
    pub store_probe: Duration,
    /// An identical error is logged at most once per this interval (with a count).
    pub log_repeat_interval: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            idle_scan: Duration::from_millis(500),
            discovery_interval: Duration::from_secs(300),
            outbox_max_attempts: 10,
            push_max_attempts: 10,
            fetch_concurrency: 8,
            push_passes: 8,
            push_overlap_after: Duration::from_secs(1),
            store_probe: Duration::from_millis(500),
            log_repeat_interval: Duration::from_secs(10),
        }
    }
}

/// Wakes a worker as soon as there is work for it.
#[derive(Default)]
pub struct Wakers {
    /// Per channel: each channel has its own fetcher.
    pub fetch: ChannelWakers,
    pub normalize: Notify,
    pub route: Notify,
    /// Per channel: a stock change wakes every channel's pusher, each keeping its wake-up.
    pub push: ChannelWakers,
    pub outbox: Notify,
    pub fulfil: Notify,
}

/// One wake-up per channel. `notify_one` keeps a wake-up sent while the worker was busy for its
/// next wait, so a delivery committed between its scan and its sleep is not left for the rescan.
#[derive(Default)]
pub struct ChannelWakers(BTreeMap<String, Notify>);

impl ChannelWakers {
    pub fn new<'a>(ids: impl IntoIterator<Item = &'a String>) -> Self {
        Self(
            ids.into_iter()
                .map(|id| (id.clone(), Notify::new()))
                .collect(),
        )
    }

    pub fn get(&self, channel_id: &str) -> Option<&Notify> {
        self.0.get(channel_id)
    }

    pub fn wake(&self, channel_id: &str) {
        if let Some(n) = self.0.get(channel_id) {
            n.notify_one();
        }
    }

    pub fn wake_all(&self) {
        for n in self.0.values() {
            n.notify_one();
        }
    }
}

pub struct App {
    pub config: Config,
    pub store: Arc<dyn Store>,
    /// The same store's operator side (seller cancellations' records).
    pub operator: Arc<dyn switchyard_core::store::OperatorStore>,
    /// The same store's KPI queries (`/metrics`, the admin API, the console).
    pub kpis: Arc<dyn switchyard_core::store::KpiStore>,
    pub inbox: inbox_writer::InboxWriter,
    pub channels: BTreeMap<String, Arc<dyn Channel>>,
    /// Fulfilment partners by location id (locations with an `adapter:`).
    pub targets: BTreeMap<String, Arc<dyn FulfillmentTarget>>,
    pub wake: Wakers,
    pub metrics: Metrics,
    pub timing: Timing,
    /// Whether the store takes writes (`/readyz`; webhooks get 503 at once while it does not).
    pub health: StoreHealth,
    /// Identical errors logged once per interval, with a count.
    pub repeats: Arc<Repeats>,
    /// Raises and clears exceptions (things a person must look at).
    pub exceptions: exceptions::Raiser,
    /// What the workers last saw of each channel and partner.
    pub board: Arc<health::Board>,
    /// This replica's id and the leases it holds (`leases.rs`).
    pub replica: Arc<leases::Replica>,
}

/// A running daemon. Dropping it does not stop it; call [`Daemon::shutdown`].
pub struct Daemon {
    pub addr: SocketAddr,
    /// The admin API's address, when `admin.listen` is set.
    pub admin_addr: Option<SocketAddr>,
    pub app: Arc<App>,
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

impl Daemon {
    /// Opens the store, builds every connector, binds the server and starts all workers.
    pub async fn start(config: Config, timing: Timing) -> anyhow::Result<Daemon> {
        let switchyard_store::Stores {
            store,
            operator,
            exceptions: exception_store,
            kpis,
            leases: lease_store,
        } = switchyard_store::open_all(&config.store.url)
            .await
            .with_context(|| format!("opening store {}", config.store.url))?;
        let alert_sinks = switchyard_connectors::alerts::build(&config.alerts)
            .map_err(|e| anyhow::anyhow!("alerts: {e}"))?;
        store
            .sync_kits(&config.kit_components())
            .await
            .context("storing the configured kits")?;
        let mut channels = BTreeMap::new();
        for c in &config.channels {
            let channel = switchyard_connectors::registry::build(c, store.clone())?;
            channels.insert(c.id.clone(), channel);
        }
        let mut targets = BTreeMap::new();
        for l in &config.locations {
            if let Some(t) = switchyard_connectors::fulfillment::build(l, store.clone())? {
                targets.insert(l.id.clone(), t);
            }
        }
        let listener = tokio::net::TcpListener::bind(&config.server.listen)
            .await
            .with_context(|| format!("binding {}", config.server.listen))?;
        let addr = listener.local_addr()?;
        let admin_listener = match &config.admin.listen {
            Some(listen) => Some(
                tokio::net::TcpListener::bind(listen)
                    .await
                    .with_context(|| format!("binding admin.listen {listen}"))?,
            ),
            None => None,
        };
        let admin_addr = admin_listener
            .as_ref()
            .map(|l| l.local_addr())
            .transpose()?;
        let (inbox, inbox_queue) = inbox_writer::channel();
        let fetch_wake = ChannelWakers::new(channels.keys());
        let push_wake = ChannelWakers::new(channels.keys());
        let metrics = Metrics::for_config(&config);
        let board = Arc::new(health::Board::new(
            switchyard_core::store::now_ms(),
            channels.keys(),
            targets.keys(),
        ));
        let repeats = Arc::new(Repeats::new(timing.log_repeat_interval));
        let replica = Arc::new(leases::Replica::new(
            config.replica.id.clone().unwrap_or_else(leases::default_id),
            Duration::from_secs(config.replica.lease_ttl_secs.max(3)),
        ));
        let app = Arc::new(App {
            config,
            store,
            operator: operator.clone(),
            kpis,
            inbox,
            channels,
            targets,
            wake: Wakers {
                fetch: fetch_wake,
                push: push_wake,
                ..Wakers::default()
            },
            metrics,
            health: StoreHealth::new(timing.log_repeat_interval),
            exceptions: exceptions::Raiser::new(exception_store.clone(), repeats.clone()),
            repeats,
            board,
            timing,
            replica,
        });
        let (stop, stopped) = watch::channel(false);
        let mut tasks = JoinSet::new();
        tasks.spawn(server::serve(app.clone(), listener, stopped.clone()));
        if let Some(listener) = admin_listener {
            let ops = crate::app::Operations::new(
                app.store.clone(),
                operator,
                Ok(Arc::new(app.config.clone())),
            )
            .with_channels(app.channels.clone())
            .with_exceptions(exception_store.clone())
            .with_board(app.board.clone())
            .with_kpis(app.kpis.clone());
            let ops = Arc::new(ops);
            let state = Arc::new(crate::api::ApiState::new(ops.clone(), &app.config));
            let console = crate::console::router(ops, &app.config);
            tasks.spawn(http::serve(
                listener,
                crate::api::router(state).merge(console),
                http::Limits::from_config(&app.config.server),
                app.clone(),
                stopped.clone(),
            ));
        }
        tasks.spawn(inbox_writer::run(app.clone(), inbox_queue, stopped.clone()));
        tasks.spawn(faults::probe(
            app.clone(),
            app.timing.store_probe,
            stopped.clone(),
        ));
        tasks.spawn(leases::run(
            app.clone(),
            lease_store,
            lease_groups(&app, alert_sinks),
            stopped.clone(),
        ));
        tracing::info!(%addr, admin = ?admin_addr, channels = app.channels.len(), "switchyard is running");
        Ok(Daemon {
            addr,
            admin_addr,
            app,
            stop,
            tasks,
        })
    }

    /// Stops taking work, lets in-flight steps finish their transaction, and waits.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        let drain = async { while self.tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(Duration::from_secs(20), drain)
            .await
            .is_err()
        {
            tracing::warn!("workers did not stop within 20 s; aborting them");
            self.tasks.abort_all();
        }
    }
}

/// `switchyard run`: until SIGINT or SIGTERM.
/// The work one replica at a time does, by lease: the store-wide workers under `core`, each
/// channel's under `channel:<id>`, each partner's under `partner:<id>`.
fn lease_groups(
    app: &Arc<App>,
    alert_sinks: Vec<Arc<dyn switchyard_connectors::alerts::AlertSink>>,
) -> Vec<leases::Group> {
    use switchyard_core::leases as names;
    let mut groups = Vec::new();
    let core_app = app.clone();
    groups.push(leases::Group {
        name: names::CORE.to_string(),
        spawn: Box::new(move |tasks, stopped| {
            let app = &core_app;
            tasks.spawn(normalizer::run(app.clone(), stopped.clone()));
            tasks.spawn(router::run(app.clone(), stopped.clone()));
            tasks.spawn(outbox::run(app.clone(), stopped.clone()));
            tasks.spawn(auditor::run(app.clone(), stopped.clone()));
            tasks.spawn(late::run(app.clone(), stopped.clone()));
            tasks.spawn(exceptions::run(app.clone(), stopped.clone()));
            if !alert_sinks.is_empty() {
                tasks.spawn(alerts::run(
                    app.clone(),
                    alert_sinks.clone(),
                    stopped.clone(),
                ));
            }
            tasks.spawn(cancel::run(app.clone(), stopped.clone()));
            tasks.spawn(fulfil::run(app.clone(), stopped.clone()));
            for hook in &app.config.webhooks {
                tasks.spawn(webhooks::run(app.clone(), hook.clone(), stopped.clone()));
            }
        }),
    });
    for id in app.targets.keys() {
        let (app, id) = (app.clone(), id.clone());
        groups.push(leases::Group {
            name: names::partner(&id),
            spawn: Box::new(move |tasks, stopped| {
                tasks.spawn(fulfil::poll(app.clone(), id.clone(), stopped.clone()));
                tasks.spawn(partner_stock::run(app.clone(), id.clone(), stopped));
            }),
        });
    }
    for id in app.channels.keys() {
        let (app, id) = (app.clone(), id.clone());
        groups.push(leases::Group {
            name: names::channel(&id),
            spawn: Box::new(move |tasks, stopped| {
                tasks.spawn(poller::run(app.clone(), id.clone(), stopped.clone()));
                tasks.spawn(fetcher::run(app.clone(), id.clone(), stopped.clone()));
                tasks.spawn(listings::run(app.clone(), id.clone(), stopped.clone()));
                tasks.spawn(pusher::run(app.clone(), id.clone(), stopped.clone()));
                tasks.spawn(drift::run(app.clone(), id.clone(), stopped.clone()));
                tasks.spawn(returns::run(app.clone(), id.clone(), stopped));
            }),
        });
    }
    groups
}

pub async fn run_until_signal(config: Config) -> anyhow::Result<()> {
    let daemon = Daemon::start(config, Timing::default()).await?;
    wait_for_signal().await;
    tracing::info!("shutting down");
    daemon.shutdown().await;
    Ok(())
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

/// Sleeps until `wake`, `idle`, or shutdown; returns false on shutdown.
pub(crate) async fn idle(
    wake: &Notify,
    idle: Duration,
    stopped: &mut watch::Receiver<bool>,
) -> bool {
    if *stopped.borrow() {
        return false;
    }
    tokio::select! {
        _ = wake.notified() => true,
        _ = tokio::time::sleep(idle) => true,
        _ = stopped.changed() => !*stopped.borrow(),
    }
}

/// Exponential backoff for durable retries, capped at 10 minutes.
pub(crate) fn backoff_ms(attempts: i64) -> i64 {
    let exp = attempts.clamp(0, 12) as u32;
    (1000_i64 << exp).min(600_000)
}

/// When a failed call may be tried again: the backoff, or later if the channel said so (a
/// spent daily quota answers 429 with a `Retry-After` of hours; the work waits that long in
/// the store while the worker goes on with other work).
pub(crate) fn retry_at_ms(
    now_ms: i64,
    attempts: i64,
    error: Option<&switchyard_core::ports::ChannelError>,
) -> i64 {
    let asked = match error {
        Some(switchyard_core::ports::ChannelError::RateLimited {
            retry_after: Some(wait),
        }) => i64::try_from(wait.as_millis()).unwrap_or(i64::MAX),
        _ => 0,
    };
    now_ms.saturating_add(backoff_ms(attempts).max(asked))
}
