//! `ingest`: a flood of signed Shopify `orders/create` webhooks with bounded concurrency, sent
//! to the daemon and then, with the same bodies and load, to a bare server that only verifies
//! the HMAC and inserts the raw body into SQLite with the store's pragmas. The bare server's
//! rate is the floor the daemon is compared with. Both run as child processes.

use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use futures::StreamExt;
use serde_json::{Value, json};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use switchyard_core::config::ChannelConfig;
use switchyard_core::model::ChannelKind;
use switchyard_sim::shopify::{ShopifySim, ShopifySimConfig};
use switchyard_sim::{OrderSpec, SimulatedChannel, WebhookFate};

use crate::child::{ChildServer, free_port};
use crate::harness::{RunDir, seed_listings, seed_on_hand, start_channels, wait_settled};
use crate::progress;
use crate::stats::{percentiles, round};
use crate::wire::{self, Webhook};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Webhooks to send (one order each).
    #[arg(long, default_value_t = 20_000)]
    pub orders: usize,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// SKUs the orders draw from.
    #[arg(long, default_value_t = 100)]
    pub skus: usize,
}

#[derive(Debug, clap::Args)]
pub struct FloorServerArgs {
    #[arg(long)]
    pub port: u16,
    #[arg(long)]
    pub db: std::path::PathBuf,
    /// Key of the HMAC the webhooks carry.
    #[arg(long)]
    pub secret: String,
    /// Answer 200 to every webhook without verifying or storing it: what the load generator
    /// can deliver on this machine at all.
    #[arg(long)]
    pub null: bool,
}

struct Flood {
    accepted: usize,
    refused: usize,
    seconds: f64,
    ack_ms: Vec<f64>,
}

impl Flood {
    fn per_s(&self) -> f64 {
        self.accepted as f64 / self.seconds.max(f64::EPSILON)
    }
}

/// Sends every webhook to `url` with at most `concurrency` in flight.
async fn flood(url: &str, hooks: &[Webhook], concurrency: usize) -> anyhow::Result<Flood> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .timeout(Duration::from_secs(30))
        .build()?;
    let began = Instant::now();
    let results: Vec<(bool, f64)> = futures::stream::iter(hooks.iter().cloned())
        .map(|hook| {
            let client = client.clone();
            async move {
                let sent = Instant::now();
                let mut request = client.post(url).body(hook.body);
                for (name, value) in &hook.headers {
                    request = request.header(*name, value);
                }
                let ok = matches!(request.send().await, Ok(r) if r.status() == StatusCode::OK);
                (ok, sent.elapsed().as_secs_f64() * 1000.0)
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let seconds = began.elapsed().as_secs_f64();
    let accepted = results.iter().filter(|(ok, _)| *ok).count();
    Ok(Flood {
        accepted,
        refused: results.len() - accepted,
        seconds,
        ack_ms: results.iter().map(|(_, ms)| *ms).collect(),
    })
}

/// Renders `count` orders as a Shopify shop would (on a simulator the daemon does not poll).
async fn webhooks(count: usize, skus: &[String]) -> anyhow::Result<Vec<Webhook>> {
    let config = ShopifySimConfig::default();
    let shop = ShopifySim::start(config.clone()).await?;
    for sku in skus {
        shop.add_product(sku, &format!("Item {sku}"), "19.90", 0);
    }
    let mut hooks = Vec::with_capacity(count);
    for i in 0..count {
        let lines = vec![(skus[i % skus.len()].clone(), 1 + (i % 2) as u32)];
        // No webhook target: the order is only created, and rendered below.
        let id = shop
            .place_order(OrderSpec {
                lines,
                paid: true,
                email: format!("shopper{i}@example.com"),
                fate: WebhookFate::Lose,
            })
            .await;
        let body = shop
            .order_json(&id)
            .with_context(|| format!("order {id} missing from the generator shop"))?;
        hooks.push(wire::orders_create(
            &config.client_secret,
            &config.api_version,
            serde_json::to_vec(&body)?,
        )?);
    }
    Ok(hooks)
}

pub async fn run(args: &Args, verbose: u8) -> anyhow::Result<Value> {
    if args.orders == 0 || args.skus == 0 {
        bail!("--orders and --skus must be above zero");
    }
    let skus: Vec<String> = (0..args.skus).map(|i| format!("SKU-{i:07}")).collect();
    progress!(
        "ingest: rendering {} signed orders/create webhooks",
        args.orders
    );
    let hooks = webhooks(args.orders, &skus).await?;

    // The daemon, with one Shopify channel (its own simulator holds the catalog it pushes to).
    let channels = start_channels(&[ChannelKind::Shopify]).await?;
    let shop = &channels[0];
    let secret = shop
        .config
        .webhook_secret
        .clone()
        .context("the Shopify channel has no webhook secret")?;
    for sku in &skus {
        shop.demo
            .sim
            .add_product(sku, &format!("Item {sku}"), "19.90", 0);
    }
    let run_dir = RunDir::new()?;
    let channel: ChannelConfig = shop.config.clone();
    let config = run_dir.write_config(vec![channel])?;
    {
        let store = switchyard_store::open(&run_dir.store_url).await?;
        let levels: Vec<(String, i64)> = skus.iter().map(|s| (s.clone(), 1_000_000)).collect();
        seed_on_hand(store.as_ref(), &levels).await?;
        seed_listings(store.as_ref(), shop, &skus, |_| None).await?;
    }
    let daemon = run_dir.start_daemon(&config, verbose).await?;
    let client = reqwest::Client::new();
    wait_settled(&client, &daemon, Duration::from_secs(60)).await?;
    let cpu_before = daemon.cpu_seconds()?;
    progress!(
        "flooding the daemon: {} webhooks, {} in flight",
        args.orders,
        args.concurrency
    );
    let url = daemon.url(&format!("/webhooks/{}", shop.id()));
    let measured = flood(&url, &hooks, args.concurrency).await?;
    let cpu_s = daemon.cpu_seconds()? - cpu_before;
    let peak_rss_mb = daemon.peak_rss_mb()?;
    daemon.stop()?;

    // The bare server, same bodies, same load.
    let port = free_port()?;
    let floor_db = run_dir.path("floor.db");
    let floor_args = vec![
        "floor-server".to_string(),
        "--port".into(),
        port.to_string(),
        "--db".into(),
        floor_db.display().to_string(),
        "--secret".into(),
        secret,
    ];
    let floor_server = ChildServer::start(
        &floor_args,
        port,
        &run_dir.path("floor.log"),
        verbose,
        "/healthz",
    )
    .await?;
    progress!("flooding the bare server");
    let floor = flood(
        &floor_server.url(&format!("/webhooks/{}", shop.id())),
        &hooks,
        args.concurrency,
    )
    .await?;
    let floor_cpu_s = floor_server.cpu_seconds()?;
    floor_server.stop()?;

    let port = free_port()?;
    let mut null_args = floor_args.clone();
    null_args[2] = port.to_string();
    null_args.push("--null".into());
    let null_server = ChildServer::start(
        &null_args,
        port,
        &run_dir.path("null.log"),
        verbose,
        "/healthz",
    )
    .await?;
    progress!("flooding a server that only answers 200 (the generator's ceiling)");
    let ceiling = flood(
        &null_server.url(&format!("/webhooks/{}", shop.id())),
        &hooks,
        args.concurrency,
    )
    .await?;
    null_server.stop()?;

    let ack = percentiles(&measured.ack_ms);
    let floor_ack = percentiles(&floor.ack_ms);
    Ok(json!({
        "scenario": "ingest",
        "orders": args.orders,
        "accepted_per_s": round(measured.per_s()),
        "ack_p99_ms": ack.p99,
        "floor_per_s": round(floor.per_s()),
        "concurrency": args.concurrency,
        "accepted": measured.accepted,
        "refused": measured.refused,
        "ack_ms": ack,
        "ratio_to_floor": round(measured.per_s() / floor.per_s().max(f64::EPSILON)),
        "floor": {"accepted": floor.accepted, "refused": floor.refused, "ack_ms": floor_ack, "cpu_s": round(floor_cpu_s)},
        "daemon": {"cpu_s": round(cpu_s), "peak_rss_mb": round(peak_rss_mb)},
        "generator_ceiling_per_s": round(ceiling.per_s()),
        "generator_ceiling_ack_ms": percentiles(&ceiling.ack_ms),
        "notes": [
            "the load generator shares the machine with the server under test; both servers see the same bodies, concurrency and client",
            "the daemon's other workers (normalizer, router, pusher) run during the flood, as in production",
            "generator_ceiling_per_s: the same flood against a server that answers 200 without reading the webhook further; no server on this machine can be measured faster than that",
        ],
    }))
}

struct FloorState {
    pool: sqlx::SqlitePool,
    secret: String,
}

/// The bare server: verify the HMAC, insert the raw body, answer 200.
pub async fn floor_server(args: FloorServerArgs) -> anyhow::Result<()> {
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", args.db.display()))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(30));
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS inbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            channel_id TEXT NOT NULL,
            dedup_key TEXT NOT NULL,
            body BLOB NOT NULL,
            received_at INTEGER NOT NULL,
            UNIQUE (channel_id, dedup_key))",
    )
    .execute(&pool)
    .await?;
    let state = Arc::new(FloorState {
        pool,
        secret: args.secret,
    });
    let webhook = if args.null {
        post(|_body: Bytes| async { StatusCode::OK })
    } else {
        post(floor_webhook)
    };
    let app = Router::new()
        .route("/webhooks/{channel_id}", webhook)
        .route("/healthz", get(|| async { "ok" }))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
        .await
        .with_context(|| format!("binding 127.0.0.1:{}", args.port))?;
    let shutdown = async {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(t) => t,
                Err(_) => return,
            };
        term.recv().await;
    };
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}

async fn floor_webhook(
    State(state): State<Arc<FloorState>>,
    Path(channel_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let Some(signature) = header("x-shopify-hmac-sha256") else {
        return StatusCode::UNAUTHORIZED;
    };
    if !wire::verify(&state.secret, &body, signature) {
        return StatusCode::UNAUTHORIZED;
    }
    let Some(key) = header("x-shopify-webhook-id") else {
        return StatusCode::BAD_REQUEST;
    };
    let now = chrono::Utc::now().timestamp_millis();
    let stored = sqlx::query(
        "INSERT INTO inbox (channel_id, dedup_key, body, received_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (channel_id, dedup_key) DO NOTHING",
    )
    .bind(&channel_id)
    .bind(key)
    .bind(body.as_ref())
    .bind(now)
    .execute(&state.pool)
    .await;
    match stored {
        Ok(_) => StatusCode::OK,
        Err(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}
