//! `console`: the web console and the admin API on a large database. Seeds `--orders` orders
//! (default 100,000) over the last 30 days straight into a fresh SQLite file (the store's own
//! schema, migrated by the store; rows written in bulk so seeding takes seconds): most shipped
//! with their parcel and a tracking write-back done, some routed and reserved, 2 % held with a
//! reason, some cancelled. Then starts the daemon with the admin listener, logs in to the
//! console with a token and times whole-page loads (request sent to the last byte of the
//! server-rendered HTML) of every page kind, and the orders list of `/api/v1/orders`.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Connection;
use switchyard_core::config::{AdminConfig, AdminRole, AdminToken, Config};
use switchyard_core::model::{ChannelKind, Order, OrderLine, OrderStatus, PaymentStatus};

use crate::harness::{RunDir, WAREHOUSE, start_channels};
use crate::progress;
use crate::stats::{Percentiles, percentiles, round};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Orders in the database.
    #[arg(long, default_value_t = 100_000)]
    pub orders: usize,
    /// Loads of each console page.
    #[arg(long, default_value_t = 30)]
    pub page_loads: usize,
    /// Calls of each API orders list.
    #[arg(long, default_value_t = 500)]
    pub api_calls: usize,
}

#[derive(Debug, Serialize)]
pub struct Timing {
    pub path: String,
    pub loads: usize,
    pub ms: Percentiles,
    pub max_ms: f64,
    pub bytes: usize,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub scenario: &'static str,
    pub orders: usize,
    pub seed_seconds: f64,
    pub database_mb: f64,
    pub pages: Vec<Timing>,
    pub api: Vec<Timing>,
}

const TOKEN: &str = "bench-console-token";
const DAY_MS: i64 = 24 * 3_600_000;

fn canonical(
    kind: ChannelKind,
    i: usize,
    status: OrderStatus,
    placed_ms: i64,
) -> anyhow::Result<String> {
    let t = chrono::DateTime::from_timestamp_millis(placed_ms)
        .context("a time")?
        .fixed_offset();
    let order = Order {
        channel_kind: kind,
        external_id: format!("B{i}"),
        number: format!("#B{i}"),
        placed_at: t,
        updated_at: t,
        status,
        payment_status: PaymentStatus::Paid,
        currency: "USD".into(),
        total: rust_decimal::Decimal::new(2500, 2),
        lines: vec![OrderLine {
            line_id: format!("B{i}-1"),
            sku: Some(format!("SKU-{}", i % 500)),
            quantity: 1 + (i % 3) as u32,
            unit_price: rust_decimal::Decimal::new(1250, 2),
            title: format!("Item {}", i % 500),
            channel_sku: None,
        }],
        ship_to: None,
        customer_email: Some(format!("buyer{i}@example.com")),
        fulfilled_by_channel: false,
        tags: Vec::new(),
        customer_tags: Vec::new(),
        ship_by: Some(t + chrono::Duration::hours(48)),
        deliver_by: None,
        risk_level: None,
    };
    Ok(serde_json::to_string(&order)?)
}

/// Writes the orders and what followed them, in transactions of 10,000 orders.
async fn seed(
    url: &str,
    channels: &[(String, ChannelKind)],
    n: usize,
    now: i64,
) -> anyhow::Result<()> {
    let mut conn = sqlx::SqliteConnection::connect(url).await?;
    let span = 30 * DAY_MS;
    for chunk in (0..n).collect::<Vec<_>>().chunks(10_000) {
        let mut tx = conn.begin().await?;
        for &i in chunk {
            let id = i as i64 + 1;
            let (channel, kind) = &channels[i % channels.len()];
            let created = now - span + (span / n as i64) * i as i64;
            // A spread of handling times, some past the 48 h ship-by.
            let handling = 3_600_000 + ((i * 7919) % 60) as i64 * 3_600_000;
            let (state, status) = match i % 100 {
                0 | 1 => ("held", OrderStatus::Open),
                2..=4 => ("routed", OrderStatus::Open),
                5 => ("closed", OrderStatus::Cancelled),
                _ if created + handling > now => ("routed", OrderStatus::Open),
                _ => ("shipped", OrderStatus::Fulfilled),
            };
            let sku = format!("SKU-{}", i % 500);
            let qty = 1 + (i % 3) as i64;
            sqlx::query(
                "INSERT INTO orders (id, channel_id, external_id, number, status, payment_status,
                    channel_updated_at, canonical, fulfil_state, versions, created_at, updated_at,
                    ship_by_ms)
                 VALUES (?, ?, ?, ?, ?, 'paid', ?, ?, ?, 1, ?, ?, ?)",
            )
            .bind(id)
            .bind(channel)
            .bind(format!("B{i}"))
            .bind(format!("#B{i}"))
            .bind(status.as_str())
            .bind(created)
            .bind(canonical(*kind, i, status, created)?)
            .bind(state)
            .bind(created)
            .bind(created)
            .bind(created + 2 * DAY_MS)
            .execute(&mut *tx)
            .await?;
            if state == "closed" {
                continue;
            }
            let (location, rule, text) = if state == "held" {
                (
                    None,
                    "hold",
                    "held: no rule placed SKU; waiting for a person",
                )
            } else {
                (
                    Some(WAREHOUSE),
                    "fallback",
                    "routed to main by the fallback",
                )
            };
            sqlx::query(
                "INSERT INTO routing_decisions (order_id, location_id, rule, explanation, decided_at)
                 VALUES (?, ?, ?, ?, ?)",
            )
            .bind(id)
            .bind(location)
            .bind(rule)
            .bind(text)
            .bind(created + 1000)
            .execute(&mut *tx)
            .await?;
            if state == "shipped" {
                let at = created + handling;
                let tracking = format!("1ZB{i}");
                sqlx::query(
                    "INSERT INTO shipments (order_id, location_id, carrier, tracking_number, detail, shipped_at)
                     VALUES (?, ?, 'UPS', ?, '{}', ?)",
                )
                .bind(id)
                .bind(WAREHOUSE)
                .bind(&tracking)
                .bind(at)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO outbox (kind, channel_id, idempotency_key, payload, cause, attempts,
                        next_attempt_at, created_at, done_at)
                     VALUES ('write_back_shipment', ?, ?, '{}', 'benchmark seed', 1, ?, ?, ?)",
                )
                .bind(channel)
                .bind(format!("ship:{channel}:B{i}:{tracking}"))
                .bind(at)
                .bind(at)
                .bind(at + 1000 + (i % 20) as i64 * 1000)
                .execute(&mut *tx)
                .await?;
            } else {
                sqlx::query(
                    "INSERT INTO reservations (order_id, sku, location_id, quantity) VALUES (?, ?, ?, ?)",
                )
                .bind(id)
                .bind(&sku)
                .bind(location)
                .bind(qty)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
    }
    conn.close().await?;
    Ok(())
}

async fn time_gets(
    client: &reqwest::Client,
    url: &str,
    headers: &[(&str, &str)],
    times: usize,
) -> anyhow::Result<(Vec<f64>, usize)> {
    let mut samples = Vec::with_capacity(times);
    let mut bytes = 0;
    for _ in 0..times {
        let mut req = client.get(url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let started = Instant::now();
        let r = req.send().await?;
        let status = r.status();
        let body = r.bytes().await?;
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
        if !status.is_success() {
            bail!("{url}: {status}: {}", String::from_utf8_lossy(&body));
        }
        bytes = body.len();
    }
    Ok((samples, bytes))
}

fn timing(path: &str, samples: &[f64], bytes: usize) -> Timing {
    Timing {
        path: path.to_string(),
        loads: samples.len(),
        ms: percentiles(samples),
        max_ms: round(samples.iter().copied().fold(0.0, f64::max)),
        bytes,
    }
}

pub async fn run(args: &Args, verbose: u8) -> anyhow::Result<Report> {
    let run = RunDir::new()?;
    let sims = start_channels(&[ChannelKind::Shopify, ChannelKind::Woocommerce]).await?;
    let mut config_path = run.write_config(sims.iter().map(|s| s.config.clone()).collect())?;
    // The admin listener with one operator token.
    let admin_port = crate::child::free_port()?;
    let mut config: Config = switchyard::cli::load_config(&config_path)?;
    config.admin = AdminConfig {
        listen: Some(format!("127.0.0.1:{admin_port}")),
        tokens: vec![AdminToken {
            name: "bench".into(),
            sha256: hex_sha256(TOKEN),
            role: AdminRole::Operator,
        }],
    };
    let yaml = serde_saphyr::to_string(&config)?;
    config_path = run.path("switchyard.yaml");
    std::fs::write(&config_path, yaml)?;

    // The store migrates the file; the rows go in beside it.
    let store = switchyard_store::open(&run.store_url).await?;
    drop(store);
    let now = switchyard_core::store::now_ms();
    let channels: Vec<(String, ChannelKind)> =
        sims.iter().map(|s| (s.id().to_string(), s.kind)).collect();
    progress!("seeding {} orders", args.orders);
    let started = Instant::now();
    seed(&run.store_url, &channels, args.orders, now).await?;
    let seed_seconds = round(started.elapsed().as_secs_f64());
    let database_mb = round(
        std::fs::metadata(run.path("bench.db"))
            .map(|m| m.len() as f64 / 1_048_576.0)
            .unwrap_or(0.0),
    );
    progress!("seeded in {seed_seconds} s ({database_mb} MB); starting the daemon");
    let daemon = run.start_daemon(&config_path, verbose).await?;
    let base = format!("http://127.0.0.1:{admin_port}");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()?;
    // Log in as a browser would.
    let r = client
        .post(format!("{base}/ui/login"))
        .form(&[("token", TOKEN)])
        .send()
        .await?;
    let cookie = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::to_string)
        .context("the console did not open a session")?;
    let week_ago = chrono::DateTime::from_timestamp_millis(now - 7 * DAY_MS)
        .context("a time")?
        .format("%Y-%m-%d")
        .to_string();
    let first = &channels[0].0;
    let middle = args.orders / 2;
    let pages = [
        "/ui".to_string(),
        "/ui/orders".to_string(),
        format!("/ui/orders?channel={first}&state=shipped&from={week_ago}"),
        "/ui/orders?state=held".to_string(),
        format!("/ui/orders?location={WAREHOUSE}"),
        format!("/ui/orders/{middle}"),
        "/ui/holds".to_string(),
        "/ui/dead-letters".to_string(),
        "/ui/stock".to_string(),
        "/ui/kpis".to_string(),
        "/ui/static/console.css".to_string(),
    ];
    let mut page_timings = Vec::new();
    for path in &pages {
        // One load to warm caches, then the measured ones.
        time_gets(&client, &format!("{base}{path}"), &[("cookie", &cookie)], 1).await?;
        let (samples, bytes) = time_gets(
            &client,
            &format!("{base}{path}"),
            &[("cookie", &cookie)],
            args.page_loads,
        )
        .await?;
        progress!("{path}: {:?}", percentiles(&samples));
        page_timings.push(timing(path, &samples, bytes));
    }
    let bearer = format!("Bearer {TOKEN}");
    let api_paths = [
        "/api/v1/orders".to_string(),
        "/api/v1/orders?limit=1000".to_string(),
        format!("/api/v1/orders?channel={first}&state=shipped&limit=50"),
        format!("/api/v1/orders?before={middle}&limit=50"),
        "/api/v1/kpis".to_string(),
    ];
    let mut api_timings = Vec::new();
    for path in &api_paths {
        time_gets(
            &client,
            &format!("{base}{path}"),
            &[("authorization", &bearer)],
            1,
        )
        .await?;
        let calls = if path.contains("kpis") || path.contains("1000") {
            args.api_calls / 5
        } else {
            args.api_calls
        };
        let (samples, bytes) = time_gets(
            &client,
            &format!("{base}{path}"),
            &[("authorization", &bearer)],
            calls.max(1),
        )
        .await?;
        progress!("{path}: {:?}", percentiles(&samples));
        api_timings.push(timing(path, &samples, bytes));
    }
    daemon.stop()?;
    Ok(Report {
        scenario: "console",
        orders: args.orders,
        seed_seconds,
        database_mb,
        pages: page_timings,
        api: api_timings,
    })
}

fn hex_sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
