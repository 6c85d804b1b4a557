//! A disk that fills up and gets space back, with the real binary: the database lives on a
//! small tmpfs mounted in the daemon's own mount namespace (`unshare -m`), a ballast file fills
//! it while signed webhooks keep arriving, then the ballast is deleted. Shows 503s and `/readyz`
//! 503 while full, 200s and `/readyz` 200 after, every webhook acknowledged with 200 stored,
//! and a log that does not flood.
//!
//! Needs `unshare` (util-linux) and either root or unprivileged user namespaces.
//!
//! The same promise on PostgreSQL: the daemon's database server (a private cluster the test
//! starts on its own port, so the machine's server is untouched) is stopped with `pg_ctl stop
//! -m immediate` during a flood of webhooks and started again. Needs PostgreSQL's server
//! binaries (`ci/test.sh` installs them): `SWITCHYARD_PG_BIN`, else `pg_config --bindir`, else
//! the newest `/usr/lib/postgresql/*/bin`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

mod common;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Env, eventually_explained};
use tokio::sync::Mutex;

/// Webhooks in flight at once, as a channel's delivery workers would send them.
const CONCURRENCY: usize = 16;

#[derive(Default)]
struct Tally {
    acked: BTreeSet<u64>,
    refused_503: u64,
    other: Vec<(u64, Option<u16>)>,
}

/// Sends webhooks `ids` with `CONCURRENCY` in flight, each once; records every answer.
async fn send(env: &Arc<Env>, tally: &Arc<Mutex<Tally>>, ids: Vec<u64>) {
    let queue = Arc::new(Mutex::new(ids.into_iter()));
    let mut workers = Vec::new();
    for _ in 0..CONCURRENCY {
        let (env, tally, queue) = (env.clone(), tally.clone(), queue.clone());
        workers.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            loop {
                let Some(id) = queue.lock().await.next() else {
                    return;
                };
                let status = env.post_order_webhook(&client, id).await;
                let mut t = tally.lock().await;
                match status {
                    Some(200) => {
                        t.acked.insert(id);
                    }
                    Some(503) => t.refused_503 += 1,
                    other => t.other.push((id, other)),
                }
            }
        }));
    }
    for w in workers {
        w.await.expect("sender");
    }
}

async fn readyz(env: &Env) -> Option<u16> {
    reqwest::Client::new()
        .get(format!("http://127.0.0.1:{}/readyz", env.port))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .ok()
        .map(|r| r.status().as_u16())
}

/// Writes `path` until the filesystem is full; returns the bytes written.
fn fill(path: &std::path::Path) -> u64 {
    let mut f = std::fs::File::create(path).expect("create ballast");
    let mut written = 0u64;
    for chunk in [1 << 20, 4096, 512] {
        let buf = vec![0u8; chunk];
        while f.write_all(&buf).is_ok() {
            written += chunk as u64;
        }
    }
    let _ = f.sync_all();
    written
}

fn log_lines(env: &Env) -> usize {
    env.log().lines().count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_webhooks_with_503_then_accepts_them_again_and_loses_none() {
    let env = Arc::new(Env::new(&[], 0).await);
    // The database goes on a 16 MB tmpfs mounted over this directory, in the daemon's own
    // mount namespace; the test reaches it through /proc/<pid>/root.
    let small = env.path().join("small");
    std::fs::create_dir(&small).expect("mount point");
    let db_in_ns = small.join("switchyard.db");
    let text = std::fs::read_to_string(&env.config).expect("config");
    let url_line = text
        .lines()
        .find(|l| l.trim_start().starts_with("url: \"sqlite://"))
        .expect("store url line")
        .to_string();
    env.edit_config(
        &url_line,
        &format!("  url: \"sqlite://{}\"", db_in_ns.display()),
    );
    let root = running_as_root();
    let mut wrapper: Vec<String> = vec!["unshare".into()];
    if !root {
        wrapper.push("-r".into());
    }
    wrapper.extend(
        [
            "-m",
            "--propagation",
            "private",
            "sh",
            "-c",
            "mount -t tmpfs -o size=16m tmpfs \"$0\" && exec \"$@\"",
        ]
        .map(String::from),
    );
    wrapper.push(small.display().to_string());
    let wrapper: Vec<&str> = wrapper.iter().map(String::as_str).collect();
    let daemon = env.start_daemon_via(&wrapper).await;
    let ns_root = PathBuf::from(format!("/proc/{}/root", daemon.pid()));
    let in_ns = |p: &std::path::Path| ns_root.join(p.strip_prefix("/").expect("absolute path"));
    assert!(
        in_ns(&db_in_ns).exists(),
        "the database is on the daemon's tmpfs"
    );
    let tally = Arc::new(Mutex::new(Tally::default()));

    // 1. Healthy: everything is acknowledged.
    send(&env, &tally, (1..=200).collect()).await;
    {
        let t = tally.lock().await;
        assert_eq!(t.acked.len(), 200, "healthy: {:?}", t.other);
    }
    assert_eq!(readyz(&env).await, Some(200));

    // 2. The disk fills up while webhooks keep coming.
    let ballast = in_ns(&small.join("ballast"));
    let acked_before_full = tally.lock().await.acked.len();
    let lines_before_full = log_lines(&env);
    let filling = {
        let ballast = ballast.clone();
        tokio::task::spawn_blocking(move || fill(&ballast))
    };
    let mut full_at: Option<Instant> = None;
    let mut next_id = 10_000u64;
    let mut readyz_503_while_full = 0;
    let mut readyz_checks_while_full = 0;
    let started = Instant::now();
    loop {
        send(&env, &tally, (next_id..next_id + 100).collect()).await;
        next_id += 100;
        if full_at.is_none() && filling.is_finished() {
            full_at = Some(Instant::now());
        }
        let Some(full_at) = full_at else {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "filling took a minute"
            );
            continue;
        };
        readyz_checks_while_full += 1;
        if readyz(&env).await == Some(503) {
            readyz_503_while_full += 1;
        }
        let refused = tally.lock().await.refused_503;
        // Keep the pressure on for a while once the store refuses, to see the log stay quiet.
        if (refused >= 1_000 && full_at.elapsed() > Duration::from_secs(8))
            || full_at.elapsed() > Duration::from_secs(60)
        {
            break;
        }
    }
    let filled = filling.await.expect("filling");
    let full_for = full_at.map(|t| t.elapsed()).unwrap_or_default();
    let (refused_while_full, acked_while_full) = {
        let t = tally.lock().await;
        (t.refused_503, t.acked.len() - acked_before_full)
    };
    let lines_while_full = log_lines(&env) - lines_before_full;
    let log = env.log();
    let warnings: Vec<&str> = log
        .lines()
        .skip(lines_before_full)
        .take(lines_while_full)
        .filter(|l| l.contains("WARN") || l.contains("ERROR"))
        .collect();
    eprintln!("warnings and errors while full:\n{}", warnings.join("\n"));
    assert!(
        refused_while_full > 0,
        "webhooks were refused with 503 while the disk was full"
    );
    assert!(
        readyz_503_while_full > 0,
        "/readyz said 503 while the disk was full ({readyz_checks_while_full} checks)"
    );
    assert_eq!(
        readyz(&env).await,
        Some(503),
        "/readyz is 503 at the end of the full period"
    );

    // 3. Space comes back.
    std::fs::remove_file(&ballast).expect("delete the ballast");
    let freed_at = Instant::now();
    let mut readyz_back = None;
    while freed_at.elapsed() < Duration::from_secs(30) {
        if readyz(&env).await == Some(200) {
            readyz_back = Some(freed_at.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let readyz_back = readyz_back
        .unwrap_or_else(|| panic!("/readyz stayed 503 after space came back\n{}", env.log()));
    let refused_before_after = tally.lock().await.refused_503;
    let acked_before_after = tally.lock().await.acked.len();
    send(&env, &tally, (100_000..100_300).collect()).await;
    {
        let t = tally.lock().await;
        assert_eq!(
            t.acked.len() - acked_before_after,
            300,
            "every webhook after space came back is acknowledged; refused {} more, other {:?}",
            t.refused_503 - refused_before_after,
            t.other
        );
        assert!(t.other.is_empty(), "unexpected answers: {:?}", t.other);
    }
    assert_eq!(readyz(&env).await, Some(200));

    // 4. Every acknowledged webhook is an order in the database.
    // Read inside the daemon's mount namespace: SQLite resolves /proc/<pid>/root to "/".
    let store = format!("sqlite://{}", db_in_ns.display());
    let pid = daemon.pid().to_string();
    let mut enter = vec!["nsenter", "-t", pid.as_str()];
    enter.extend(if root {
        &["-m"][..]
    } else {
        &["-U", "-m", "--preserve-credentials"][..]
    });
    let acked: BTreeSet<u64> = tally.lock().await.acked.clone();
    eventually_explained(
        &env,
        Duration::from_secs(120),
        "every acknowledged webhook stored as an order",
        || {
            let out = env.cli_via(
                &enter,
                &["--store", &store, "orders", "list", "--limit", "1000000"],
            );
            if !out.status.success() {
                return Err(String::from_utf8_lossy(&out.stderr).into());
            }
            let stored: BTreeSet<u64> = String::from_utf8_lossy(&out.stdout)
                .lines()
                .skip(1)
                .filter_map(|l| l.split('\t').nth(2)?.parse().ok())
                .collect();
            let lost: Vec<&u64> = acked.difference(&stored).collect();
            if lost.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "{} acknowledged but not stored, e.g. {:?}; orders list begins:\n{}",
                    lost.len(),
                    &lost[..lost.len().min(5)],
                    String::from_utf8_lossy(&out.stdout)
                        .lines()
                        .take(3)
                        .collect::<Vec<_>>()
                        .join("\n")
                ))
            }
        },
    )
    .await;
    let t = tally.lock().await;
    eprintln!(
        "storage fault: ballast {filled} bytes; from the fill's start until space came back \
         (full for {full_for:?}): {refused_while_full} webhooks answered 503, {acked_while_full} acknowledged, /readyz 503 in {readyz_503_while_full} of \
         {readyz_checks_while_full} checks, {lines_while_full} log lines; space back: /readyz 200 \
         after {readyz_back:?}; in all {} acknowledged, 0 lost, {} answered 503",
        t.acked.len(),
        t.refused_503
    );
    // A flood of refusals is a handful of log lines, not one per webhook.
    assert!(
        lines_while_full < 200,
        "{lines_while_full} log lines for {refused_while_full} refusals:\n{}",
        env.log()
    );
}

fn running_as_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A PostgreSQL cluster of the test's own in a temporary directory, on its own port.
struct PrivatePostgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    root: bool,
}

impl PrivatePostgres {
    fn bin_dir() -> PathBuf {
        if let Ok(dir) = std::env::var("SWITCHYARD_PG_BIN") {
            return PathBuf::from(dir);
        }
        if let Ok(out) = std::process::Command::new("pg_config")
            .arg("--bindir")
            .output()
        {
            let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
            if dir.join("initdb").exists() {
                return dir;
            }
        }
        let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .map(|d| d.filter_map(|e| Some(e.ok()?.path().join("bin"))).collect())
            .unwrap_or_default();
        found.retain(|d| d.join("initdb").exists());
        found.sort_by_key(|d| {
            d.parent()
                .and_then(|v| v.file_name()?.to_str()?.parse::<u32>().ok())
                .unwrap_or(0)
        });
        found.pop().unwrap_or_else(|| {
            panic!(
                "PostgreSQL's server binaries (initdb, pg_ctl) were not found: install Debian's \
                 `postgresql` (ci/test.sh does) or set SWITCHYARD_PG_BIN"
            )
        })
    }

    /// `program args` as the `postgres` user when this runs as root (the server refuses root).
    fn run(&self, program: &str, args: &[&str]) {
        let exe = self.bin.join(program);
        let mut cmd = if self.root {
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            std::process::Command::new(&exe)
        };
        let out = cmd.args(args).output().expect("run a PostgreSQL tool");
        assert!(
            out.status.success(),
            "{program} {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn start() -> PrivatePostgres {
        let root = running_as_root();
        let dir = tempfile::tempdir().expect("temp dir");
        if root {
            let ok = std::process::Command::new("chown")
                .args(["postgres:", &dir.path().display().to_string()])
                .status()
                .expect("chown")
                .success();
            assert!(ok, "chown the cluster directory to postgres");
        }
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            l.local_addr().expect("addr").port()
        };
        let pg = PrivatePostgres {
            dir,
            bin: Self::bin_dir(),
            port,
            root,
        };
        let data = pg.data();
        pg.run(
            "initdb",
            &["-D", &data, "-A", "trust", "-U", "postgres", "--no-sync"],
        );
        pg.start_server();
        pg
    }

    fn start_server(&self) {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("server.log").display().to_string();
        self.run(
            "pg_ctl",
            &["-D", &self.data(), "-o", &opts, "-l", &log, "-w", "start"],
        );
    }

    fn stop_server(&self) {
        self.run(
            "pg_ctl",
            &["-D", &self.data(), "-m", "immediate", "-w", "stop"],
        );
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let exe = self.bin.join("pg_ctl");
        let data = self.data();
        let args = ["-D", data.as_str(), "-m", "immediate", "stop"];
        let _ = if self.root {
            std::process::Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(&exe)
                .args(args)
                .output()
        } else {
            std::process::Command::new(&exe).args(args).output()
        };
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_server_stopped_during_a_flood_gets_503s_then_200s_and_loses_nothing() {
    let pg = PrivatePostgres::start();
    let env = Arc::new(Env::new(&[], 0).await);
    let text = std::fs::read_to_string(&env.config).expect("config");
    let url_line = text
        .lines()
        .find(|l| l.trim_start().starts_with("url: \"sqlite://"))
        .expect("store url line")
        .to_string();
    env.edit_config(&url_line, &format!("  url: \"{}\"", pg.url()));
    let _daemon = env.start_daemon().await;
    let tally = Arc::new(Mutex::new(Tally::default()));

    // 1. Healthy.
    send(&env, &tally, (1..=200).collect()).await;
    {
        let t = tally.lock().await;
        assert_eq!(t.acked.len(), 200, "healthy: {:?}\n{}", t.other, env.log());
    }
    assert_eq!(readyz(&env).await, Some(200));

    // 2. The server goes away during a flood.
    let acked_before = tally.lock().await.acked.len();
    let lines_before = log_lines(&env);
    let flood = {
        let (env, tally) = (env.clone(), tally.clone());
        tokio::spawn(async move { send(&env, &tally, (10_000..10_400).collect()).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    pg.stop_server();
    let stopped_at = Instant::now();
    flood.await.expect("flood");
    let mut next_id = 20_000u64;
    let mut readyz_checks = 0;
    let mut readyz_503 = 0;
    while stopped_at.elapsed() < Duration::from_secs(8) {
        send(&env, &tally, (next_id..next_id + 50).collect()).await;
        next_id += 50;
        readyz_checks += 1;
        if readyz(&env).await == Some(503) {
            readyz_503 += 1;
        }
    }
    let down_for = stopped_at.elapsed();
    let (refused_while_down, acked_around_stop) = {
        let t = tally.lock().await;
        (t.refused_503, t.acked.len() - acked_before)
    };
    let lines_while_down = log_lines(&env) - lines_before;
    assert!(
        refused_while_down > 0,
        "webhooks were refused with 503 while the server was down\n{}",
        env.log()
    );
    assert!(
        readyz_503 > 0,
        "/readyz said 503 while the server was down ({readyz_checks} checks)"
    );
    assert!(
        lines_while_down < 200,
        "{lines_while_down} log lines for {refused_while_down} refusals:\n{}",
        env.log()
    );

    // 3. The server comes back.
    pg.start_server();
    let back_at = Instant::now();
    let mut readyz_back = None;
    while back_at.elapsed() < Duration::from_secs(60) {
        if readyz(&env).await == Some(200) {
            readyz_back = Some(back_at.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let readyz_back = readyz_back.unwrap_or_else(|| {
        panic!(
            "/readyz stayed 503 after the server came back\n{}",
            env.log()
        )
    });
    let acked_before_after = tally.lock().await.acked.len();
    send(&env, &tally, (100_000..100_300).collect()).await;
    {
        let t = tally.lock().await;
        assert_eq!(
            t.acked.len() - acked_before_after,
            300,
            "every webhook after the server came back is acknowledged: {:?}",
            t.other
        );
        assert!(t.other.is_empty(), "unexpected answers: {:?}", t.other);
    }

    // 4. Every acknowledged webhook is an order in the database.
    let acked: BTreeSet<u64> = tally.lock().await.acked.clone();
    let url = pg.url();
    eventually_explained(
        &env,
        Duration::from_secs(120),
        "every acknowledged webhook stored as an order",
        || {
            let out = env.cli(&["--store", &url, "orders", "list", "--limit", "1000000"]);
            if !out.status.success() {
                return Err(String::from_utf8_lossy(&out.stderr).into());
            }
            let stored: BTreeSet<u64> = String::from_utf8_lossy(&out.stdout)
                .lines()
                .skip(1)
                .filter_map(|l| l.split('\t').nth(2)?.parse().ok())
                .collect();
            let lost: Vec<&u64> = acked.difference(&stored).collect();
            if lost.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "{} acknowledged but not stored, e.g. {:?}",
                    lost.len(),
                    &lost[..lost.len().min(5)]
                ))
            }
        },
    )
    .await;
    let t = tally.lock().await;
    eprintln!(
        "postgres down for {down_for:?} during a flood: {refused_while_down} webhooks answered \
         503, {acked_around_stop} acknowledged around the stop, /readyz 503 in {readyz_503} of \
         {readyz_checks} checks, {lines_while_down} log lines; server back: /readyz 200 after \
         {readyz_back:?}; in all {} acknowledged, 0 lost, {} answered 503",
        t.acked.len(),
        t.refused_503
    );
}
