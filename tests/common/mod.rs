//! Harness for end-to-end tests: real simulators on loopback ports, the real `switchyard`
//! binary as a child process, and a fresh SQLite file per test.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use switchyard_sim::SimulatedChannel;
use switchyard_sim::shopify::{ShopifySim, ShopifySimConfig};
use switchyard_sim::woocommerce::{WooSim, WooSimConfig};

/// The real OpenSSH sshd the connector tests use, shared so daemon tests reach partners over
/// the same SFTP server.
#[path = "../../connectors/tests/support/sshd.rs"]
pub mod sshd;

/// The real aiosmtpd SMTP server the e-mail adapter tests use.
#[path = "../../connectors/tests/support/smtpd.rs"]
pub mod smtpd;

/// A proxy that takes an outside service down and back up.
pub mod outage;

pub const BIN: &str = env!("CARGO_BIN_EXE_switchyard");

/// Extra configuration for [`Env::with_options`].
#[derive(Default)]
pub struct Options {
    pub buffer: u32,
    /// The store's engine; PostgreSQL gets a database of its own at
    /// `SWITCHYARD_TEST_POSTGRES_URL`'s server.
    pub engine: switchyard_store::Engine,
    /// YAML lines under the Shopify channel's `stock:` (indented six spaces).
    pub shop_stock: String,
    /// A top-level `kits:` section.
    pub kits: String,
    /// 0 turns drift checks off (the default here: tests that want them say so).
    pub drift_interval_secs: u64,
    /// SKUs in the channels' catalogs without stock of their own (kits).
    pub catalog_only: Vec<&'static str>,
    /// YAML lines added to the Shopify channel (indented four spaces), such as
    /// `    handling_time_secs: 3600\n` (each line ending in a newline).
    pub shop_extra: String,
}

pub struct Env {
    pub dir: tempfile::TempDir,
    pub shopify: Arc<ShopifySim>,
    pub woo: Arc<WooSim>,
    pub shopify_cfg: ShopifySimConfig,
    pub woo_cfg: WooSimConfig,
    pub config: PathBuf,
    pub port: u16,
    pub buffer: u32,
    /// The PostgreSQL database the daemon uses, dropped with the environment.
    pub database: Option<switchyard_store::testing::TestDatabase>,
}

pub struct Daemon {
    child: Child,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Daemon {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: no chance to finish anything.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM and wait for a clean exit.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            if Instant::now() > deadline {
                panic!("daemon did not stop after SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    l.local_addr().expect("local addr").port()
}

impl Env {
    /// Simulators with `skus` in their catalogs (each channel starts at level 0) and the
    /// warehouse counts imported through the CLI.
    pub async fn new(skus: &[(&str, i64)], buffer: u32) -> Env {
        Env::with_options(
            skus,
            Options {
                buffer,
                ..Options::default()
            },
        )
        .await
    }

    /// Like [`Env::new`], with the store on `engine`.
    pub async fn on(engine: switchyard_store::Engine, skus: &[(&str, i64)], buffer: u32) -> Env {
        Env::with_options(
            skus,
            Options {
                buffer,
                engine,
                ..Options::default()
            },
        )
        .await
    }

    /// Like [`Env::new`], with stock rules, kits and drift checks in the configuration.
    pub async fn with_options(skus: &[(&str, i64)], options: Options) -> Env {
        let Options {
            buffer,
            engine,
            shop_stock,
            kits,
            drift_interval_secs,
            catalog_only,
            shop_extra,
        } = options;
        let dir = tempfile::tempdir().expect("temp dir");
        let shopify_cfg = ShopifySimConfig::default();
        let woo_cfg = WooSimConfig::default();
        let shopify = ShopifySim::start(shopify_cfg.clone())
            .await
            .expect("shopify sim");
        let woo = WooSim::start(woo_cfg.clone()).await.expect("woo sim");
        for sku in skus
            .iter()
            .map(|(s, _)| *s)
            .chain(catalog_only.iter().copied())
        {
            shopify.add_product(sku, &format!("Item {sku}"), "12.50", 0);
            woo.add_product(sku, &format!("Item {sku}"), "12.50", 0);
        }
        let port = free_port();
        let database = match engine {
            switchyard_store::Engine::Sqlite => None,
            switchyard_store::Engine::Postgres => {
                Some(switchyard_store::testing::TestDatabase::new().await)
            }
        };
        let store_url = match &database {
            Some(db) => db.url.clone(),
            None => format!("sqlite://{}", dir.path().join("switchyard.db").display()),
        };
        let config = dir.path().join("switchyard.yaml");
        let yaml = format!(
            r#"# written by the test harness
store:
  url: "{store_url}"
server:
  listen: "127.0.0.1:{port}"
  max_body_bytes: 262144
channels:
  - id: shop
    kind: shopify
    base_url: "{shop_url}"
    access_token: "${{TEST_SHOPIFY_TOKEN}}"
    api_version: "{api_version}"
    location_id: "{location}"
    webhook_secret: "${{TEST_SHOPIFY_SECRET}}"
    poll_interval_secs: 1
    poll_overlap_secs: 5
    drift_interval_secs: {drift_interval_secs}
{shop_extra}    stock:
      buffer: {buffer}
{shop_stock}
  - id: woo
    kind: woocommerce
    base_url: "{woo_url}"
    consumer_key: "${{TEST_WOO_KEY}}"
    consumer_secret: "${{TEST_WOO_SECRET}}"
    webhook_secret: "${{TEST_WOO_WEBHOOK_SECRET}}"
    poll_interval_secs: 1
    poll_overlap_secs: 5
    drift_interval_secs: {drift_interval_secs}
    stock:
      buffer: {buffer}
audit_interval_secs: 1
{kits}
locations:
  - id: main
    kind: self
"#,
            shop_url = shopify.base_url(),
            api_version = shopify_cfg.api_version,
            location = shopify.location_gid(),
            woo_url = woo.base_url(),
        );
        std::fs::write(&config, yaml).expect("write config");
        let env = Env {
            dir,
            shopify,
            woo,
            shopify_cfg,
            woo_cfg,
            config,
            port,
            buffer,
            database,
        };
        let csv: String = std::iter::once("sku,quantity\n".to_string())
            .chain(skus.iter().map(|(s, q)| format!("{s},{q}\n")))
            .collect();
        let csv_path = env.dir.path().join("stock.csv");
        std::fs::write(&csv_path, csv).expect("write csv");
        let out = env.cli(&["stock", "import", csv_path.to_str().expect("utf-8 path")]);
        assert!(
            out.status.success(),
            "stock import failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        env.shopify.set_webhook_target(&env.webhook_url("shop"));
        env
    }

    /// Appends `yaml` (more `locations:` entries, then `routing:` and so on) to the
    /// configuration, which ends with the own warehouse `main`.
    pub fn append_config(&self, yaml: &str) {
        let mut text = std::fs::read_to_string(&self.config).expect("read config");
        assert!(
            text.ends_with("    kind: self\n"),
            "harness config changed:\n{text}"
        );
        text.push_str(yaml);
        std::fs::write(&self.config, text).expect("write config");
    }

    /// Runs a CLI command that must succeed and returns its standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.cli(args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    }

    /// The `fulfil_state` of a channel order, from `orders list`.
    pub fn fulfil_state(&self, external_id: &str) -> Option<String> {
        self.orders()
            .into_iter()
            .find(|o| o.1 == external_id)
            .map(|o| o.3)
    }

    pub fn webhook_url(&self, channel: &str) -> String {
        format!("http://127.0.0.1:{}/webhooks/{channel}", self.port)
    }

    fn command(&self) -> Command {
        self.command_via(&[])
    }

    /// The `switchyard` command run through `wrapper` (a program and its arguments, such as
    /// `unshare -m ...`), with the test's environment.
    fn command_via(&self, wrapper: &[&str]) -> Command {
        let mut cmd = match wrapper.split_first() {
            Some((program, args)) => {
                let mut c = Command::new(program);
                c.args(args).arg(BIN);
                c
            }
            None => Command::new(BIN),
        };
        cmd.arg("--config")
            .arg(&self.config)
            .env("TEST_SHOPIFY_TOKEN", &self.shopify_cfg.access_token)
            .env("TEST_SHOPIFY_SECRET", &self.shopify_cfg.client_secret)
            .env("TEST_WOO_KEY", &self.woo_cfg.consumer_key)
            .env("TEST_WOO_SECRET", &self.woo_cfg.consumer_secret)
            .env("TEST_WOO_WEBHOOK_SECRET", &self.woo_cfg.webhook_secret)
            .env("RUST_LOG", "warn,switchyard=info");
        cmd
    }

    /// Runs a CLI command to completion.
    pub fn cli(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("run switchyard")
    }

    /// Runs a CLI command through `wrapper` (such as `nsenter ...`) to completion.
    pub fn cli_via(&self, wrapper: &[&str], args: &[&str]) -> Output {
        self.command_via(wrapper)
            .args(args)
            .output()
            .expect("run switchyard")
    }

    /// Starts `switchyard run` and waits until it answers `/healthz`.
    pub async fn start_daemon(&self) -> Daemon {
        self.start_daemon_via(&[]).await
    }

    /// Starts `switchyard run --listen 127.0.0.1:PORT --replica-id ID`: one of several
    /// replicas on the same store (its log goes to the same file as the others').
    pub async fn start_replica(&self, id: &str, port: u16) -> Daemon {
        let listen = format!("127.0.0.1:{port}");
        let args = ["--listen", listen.as_str(), "--replica-id", id];
        self.spawn_run(&[], &args, port).await
    }

    /// `switchyard run ARGS` through `wrapper`, its stderr appended to `daemon.log`; returns
    /// once it answers `/healthz` on `port`.
    async fn spawn_run(&self, wrapper: &[&str], args: &[&str], port: u16) -> Daemon {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("daemon.log"))
            .expect("daemon log");
        let child = self
            .command_via(wrapper)
            .arg("run")
            .args(args)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn switchyard run");
        let daemon = Daemon { child };
        let client = reqwest::Client::new();
        let url = format!("http://127.0.0.1:{port}/healthz");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = client.get(&url).send().await
                && r.status().is_success()
            {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "switchyard run {args:?} did not come up on port {port}; log:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        daemon
    }

    /// Replaces lines of the configuration (`from` must be there once).
    pub fn edit_config(&self, from: &str, to: &str) {
        let text = std::fs::read_to_string(&self.config).expect("read config");
        assert_eq!(text.matches(from).count(), 1, "`{from}` in:\n{text}");
        std::fs::write(&self.config, text.replace(from, to)).expect("write config");
    }

    /// Adds settings under `server:` (each line indented two spaces).
    pub fn server_settings(&self, lines: &str) {
        self.edit_config(
            "  max_body_bytes: 262144\n",
            &format!("  max_body_bytes: 262144\n{lines}"),
        );
    }

    /// Like [`Env::start_daemon`], the daemon started through `wrapper` (see `command_via`).
    pub async fn start_daemon_via(&self, wrapper: &[&str]) -> Daemon {
        let daemon = self.spawn_run(wrapper, &[], self.port).await;
        // WooCommerce pings a new webhook URL; do it once the daemon listens.
        self.woo.set_webhook_target(&self.webhook_url("woo"));
        daemon
    }

    /// A Shopify `orders/create` webhook for order `id` (the fixture with its id replaced),
    /// signed with the channel's secret: (body, signature).
    pub fn shopify_order_webhook(&self, id: u64) -> (Vec<u8>, String) {
        use base64::Engine;
        use hmac::Mac;
        let fixture = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/shopify_order_webhook.json"),
        )
        .expect("read the Shopify order fixture");
        let body = fixture.replace("5512000001", &id.to_string()).into_bytes();
        let mut mac =
            hmac::Hmac::<sha2::Sha256>::new_from_slice(self.shopify_cfg.client_secret.as_bytes())
                .expect("hmac key");
        mac.update(&body);
        let sig = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        (body, sig)
    }

    /// Posts [`Env::shopify_order_webhook`] for `id`; the status, or `None` when the request
    /// failed (connection refused, timed out).
    pub async fn post_order_webhook(&self, client: &reqwest::Client, id: u64) -> Option<u16> {
        let (body, sig) = self.shopify_order_webhook(id);
        client
            .post(self.webhook_url("shop"))
            .timeout(Duration::from_secs(10))
            .header("Content-Type", "application/json")
            .header("X-Shopify-Topic", "orders/create")
            .header("X-Shopify-Hmac-Sha256", sig)
            .header("X-Shopify-Webhook-Id", format!("w-{id}"))
            .body(body)
            .send()
            .await
            .ok()
            .map(|r| r.status().as_u16())
    }

    /// The daemon's `/metrics` text.
    pub async fn metrics(&self) -> String {
        let url = format!("http://127.0.0.1:{}/metrics", self.port);
        match reqwest::get(&url).await {
            Ok(r) => r.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("daemon.log")).unwrap_or_default()
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `orders list` rows as (channel, external_id, status, fulfil_state).
    pub fn orders(&self) -> Vec<(String, String, String, String)> {
        let out = self.cli(&["orders", "list", "--limit", "100000"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .skip(1)
            .filter_map(|l| {
                let c: Vec<&str> = l.split('\t').collect();
                (c.len() >= 7).then(|| (c[1].into(), c[2].into(), c[4].into(), c[6].into()))
            })
            .collect()
    }
}

/// Polls `check` every 100 ms until it returns `Ok`, or panics with `what`, the last reason
/// `check` gave and the daemon log.
pub async fn eventually_explained<F: FnMut() -> Result<(), String>>(
    env: &Env,
    limit: Duration,
    what: &str,
    mut check: F,
) {
    let deadline = Instant::now() + limit;
    loop {
        let why = match check() {
            Ok(()) => return,
            Err(why) => why,
        };
        if Instant::now() > deadline {
            panic!(
                "timed out: {what}: {why}\n--- daemon log ---\n{}",
                env.log()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Polls `check` every 100 ms until it returns true, or panics with `what` and the daemon log.
pub async fn eventually<F: FnMut() -> bool>(env: &Env, limit: Duration, what: &str, mut check: F) {
    let deadline = Instant::now() + limit;
    while !check() {
        if Instant::now() > deadline {
            panic!("timed out: {what}\n--- daemon log ---\n{}", env.log());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
