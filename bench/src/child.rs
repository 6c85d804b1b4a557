//! A server under test as a child process (this binary re-executed in a hidden mode), so its
//! CPU time and peak memory are its own: read from `/proc/<pid>` while it runs.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

pub struct ChildServer {
    child: Child,
    pub port: u16,
    log: PathBuf,
}

/// A free loopback port: bound, read and released (the child binds it a moment later).
pub fn free_port() -> anyhow::Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(l.local_addr()?.port())
}

impl ChildServer {
    /// Starts `switchyard-bench <args>` with stderr in `log`, and waits until `health_path`
    /// answers 200.
    pub async fn start(
        args: &[String],
        port: u16,
        log: &Path,
        verbose: u8,
        health_path: &str,
    ) -> anyhow::Result<ChildServer> {
        let exe = std::env::current_exe().context("finding the bench binary")?;
        let log_file =
            std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
        let mut cmd = Command::new(exe);
        cmd.args(args).stdout(Stdio::null()).stderr(log_file);
        if verbose > 0 {
            cmd.arg(format!("-{}", "v".repeat(verbose as usize)));
        }
        let child = cmd.spawn().context("starting the child process")?;
        let mut server = ChildServer {
            child,
            port,
            log: log.to_path_buf(),
        };
        let client = reqwest::Client::new();
        let url = format!("http://127.0.0.1:{port}{health_path}");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = client.get(&url).send().await
                && r.status().is_success()
            {
                return Ok(server);
            }
            if let Some(status) = server.child.try_wait()? {
                bail!(
                    "the child exited ({status}) before answering {url}; log:\n{}",
                    server.log_tail()
                );
            }
            if Instant::now() > deadline {
                bail!("the child did not answer {url} within 60 s");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Peak resident memory so far (`VmHWM`), in MiB.
    pub fn peak_rss_mb(&self) -> anyhow::Result<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .context("reading the child's /proc status")?;
        let kb = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<f64>().ok())
            .context("no VmHWM in /proc status")?;
        Ok(kb / 1024.0)
    }

    /// User + system CPU time so far, in seconds.
    pub fn cpu_seconds(&self) -> anyhow::Result<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid()))
            .context("reading the child's /proc stat")?;
        // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
        let rest = stat
            .rsplit_once(')')
            .map(|(_, r)| r)
            .context("unexpected /proc stat format")?;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks = |i: usize| -> anyhow::Result<f64> {
            fields
                .get(i)
                .context("short /proc stat")?
                .parse::<f64>()
                .context("unreadable /proc stat field")
        };
        // Field 14 is index 11 after the state field (field 3 is index 0).
        const USER_HZ: f64 = 100.0;
        Ok((ticks(11)? + ticks(12)?) / USER_HZ)
    }

    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// SIGTERM, then a clean exit within 30 s (or SIGKILL).
    pub fn stop(mut self) -> anyhow::Result<()> {
        let pid = self.pid().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait()? {
                if !status.success() {
                    eprintln!("warning: the child exited with {status}");
                }
                return Ok(());
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                bail!("the child did not stop within 30 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
