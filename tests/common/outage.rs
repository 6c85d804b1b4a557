//! A TCP proxy in front of an outside service (a channel's simulator, a partner's sshd or SMTP
//! server) that can refuse every connection: the service is down as far as the daemon can
//! tell, and connections already open are cut when it goes down.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

pub struct Outage {
    /// `http://127.0.0.1:PORT`, for channels' `base_url`.
    pub url: String,
    pub port: u16,
    down: Arc<AtomicBool>,
    /// Connections refused while down.
    refused: Arc<AtomicU64>,
    /// Bumped when the service goes down, so connections already open are cut too.
    cut: tokio::sync::watch::Sender<u64>,
}

impl Outage {
    /// Proxies to `target` (`host:port`, an `http://` prefix and a trailing `/` are ignored).
    pub async fn start(target: &str) -> Outage {
        let target = target
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind proxy");
        let port = listener.local_addr().expect("proxy addr").port();
        let url = format!("http://127.0.0.1:{port}");
        let down = Arc::new(AtomicBool::new(false));
        let refused = Arc::new(AtomicU64::new(0));
        let (cut, _) = tokio::sync::watch::channel(0u64);
        let (is_down, cuts, refusals) = (down.clone(), cut.clone(), refused.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if is_down.load(Ordering::SeqCst) {
                    refusals.fetch_add(1, Ordering::SeqCst);
                    drop(inbound);
                    continue;
                }
                let target = target.clone();
                let mut cut = cuts.subscribe();
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Outage {
            url,
            port,
            down,
            refused,
            cut,
        }
    }

    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
        if down {
            self.cut.send_modify(|n| *n += 1);
        }
    }

    /// Connections refused while down: the daemon kept trying.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::SeqCst)
    }
}

/// How long outages last in these tests: `SWITCHYARD_OUTAGE_SECS`, else `default`.
pub fn outage_secs(default: u64) -> u64 {
    std::env::var("SWITCHYARD_OUTAGE_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
