//! Hostile and unlucky clients against the real daemon: every connection that stalls is
//! closed within its timeout, an oversized `Content-Length` is refused before its body, the
//! connection limit queues new connections instead of failing the ones in flight, and a signed
//! webhook is answered while thousands of idle connections are held open.
//!
//! The idle-connection count is `SWITCHYARD_IDLE_CONNECTIONS` (2,000 by default; the README
//! gives the 20,000 measurement and its command).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

mod common;

use std::time::{Duration, Instant};

use common::Env;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads until the server closes the connection (or `limit` passes); what it sent and when
/// the close came, measured from `since`.
async fn until_closed(
    stream: &mut TcpStream,
    since: Instant,
    limit: Duration,
) -> (String, Duration) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = since + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                return (String::from_utf8_lossy(&got).into(), since.elapsed());
            }
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => panic!(
                "connection still open after {limit:?}; received so far: {:?}",
                String::from_utf8_lossy(&got)
            ),
        }
    }
}

async fn connect(env: &Env) -> TcpStream {
    TcpStream::connect(("127.0.0.1", env.port))
        .await
        .expect("connect to the daemon")
}

const HEADER: Duration = Duration::from_secs(2);
const BODY: Duration = Duration::from_secs(2);
const IDLE: Duration = Duration::from_secs(3);
/// Scheduling slack on a busy two-core machine.
const SLACK: Duration = Duration::from_millis(1500);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_stalled_connection_is_closed_within_its_timeout() {
    let env = Env::new(&[], 0).await;
    env.server_settings(
        "  header_timeout_secs: 2\n  body_timeout_secs: 2\n  idle_timeout_secs: 3\n",
    );
    let _daemon = env.start_daemon().await;

    // Silent: connects and never sends a byte.
    let since = Instant::now();
    let mut silent = connect(&env).await;
    let (_, silent_after) = until_closed(&mut silent, since, HEADER + SLACK).await;

    // Half a head, then nothing.
    let since = Instant::now();
    let mut half_head = connect(&env).await;
    half_head
        .write_all(b"POST /webhooks/shop HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Shopify-Topic: orders/cr")
        .await
        .expect("write");
    let (_, half_head_after) = until_closed(&mut half_head, since, HEADER + SLACK).await;

    // A head sent one byte every 300 ms: the header timeout counts from the first byte.
    let since = Instant::now();
    let mut trickle = connect(&env).await;
    let head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    let mut trickle_closed = None;
    for b in head.iter() {
        if trickle.write_all(&[*b]).await.is_err() {
            trickle_closed = Some(since.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        if since.elapsed() > HEADER + SLACK {
            break;
        }
    }
    let trickle_after = match trickle_closed {
        Some(t) => t,
        None => until_closed(&mut trickle, since, HEADER + SLACK).await.1,
    };

    // The whole head, half the body.
    let since = Instant::now();
    let mut half_body = connect(&env).await;
    half_body
        .write_all(b"POST /webhooks/shop HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"id\": 1, \"note\": \"")
        .await
        .expect("write");
    let (answer, half_body_after) = until_closed(&mut half_body, since, BODY + SLACK).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "half a body: {answer}");

    // A Content-Length above max_body_bytes and no body: refused at once, nothing read.
    let since = Instant::now();
    let mut oversized = connect(&env).await;
    oversized
        .write_all(
            b"POST /webhooks/shop HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 50000000\r\n\r\n",
        )
        .await
        .expect("write");
    let (answer, oversized_after) =
        until_closed(&mut oversized, since, Duration::from_secs(1)).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "oversized: {answer}");

    // One request answered, then idle on a kept-alive connection.
    let mut idle = connect(&env).await;
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .expect("write");
    let mut buf = [0u8; 1024];
    let n = idle.read(&mut buf).await.expect("read the answer");
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    let since = Instant::now();
    let (_, idle_after) = until_closed(&mut idle, since, IDLE + SLACK).await;

    eprintln!(
        "closed after: silent {silent_after:?}, half head {half_head_after:?}, trickled head {trickle_after:?}, \
         half body {half_body_after:?} (408), oversized Content-Length {oversized_after:?} (413), idle keep-alive {idle_after:?}"
    );
    for (what, after, timeout) in [
        ("silent", silent_after, HEADER),
        ("half head", half_head_after, HEADER),
        ("trickled head", trickle_after, HEADER),
        ("half body", half_body_after, BODY),
        ("idle keep-alive", idle_after, IDLE),
    ] {
        assert!(
            after + Duration::from_millis(200) >= timeout,
            "{what} closed before its timeout: {after:?}"
        );
    }

    // The daemon is still fine, and nothing was stored.
    let client = reqwest::Client::new();
    assert_eq!(env.post_order_webhook(&client, 4_100_001).await, Some(200));
    let log = env.log();
    assert!(!log.contains("panicked"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_above_the_limit_wait_until_one_closes() {
    let env = Env::new(&[], 0).await;
    // (The WooCommerce simulator's ping may keep a connection alive: idle ones go after 2 s.)
    env.server_settings("  header_timeout_secs: 2\n  idle_timeout_secs: 2\n  max_connections: 4\n");
    let _daemon = env.start_daemon().await;
    // start_daemon's own probe connection is closed; four silent ones take every slot.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let since = Instant::now();
    let mut hogs = Vec::new();
    for _ in 0..4 {
        hogs.push(connect(&env).await);
    }
    // The fifth connects (the kernel queues it) and is served once a slot frees up.
    let client = reqwest::Client::new();
    let r = client
        .get(format!("http://127.0.0.1:{}/healthz", env.port))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .expect("the queued request is served");
    let waited = since.elapsed();
    assert_eq!(r.status(), 200);
    eprintln!("a request queued behind 4 silent connections was answered after {waited:?}");
    assert!(
        waited + Duration::from_millis(200) >= HEADER,
        "served before any slot was free: {waited:?}"
    );
    // Each silent one is closed once its own header timeout has passed (the last ones were
    // accepted only when a slot freed up).
    for mut h in hogs {
        until_closed(&mut h, since, HEADER * 2 + SLACK).await;
    }
}

/// Raises this process's open-file limit (the daemon inherits it) to `want`; returns what it got.
fn raise_fd_limit(want: u64) -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read or write the struct passed by pointer.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 1024;
        }
        // Root may raise the hard limit too; others get up to theirs.
        let raised = libc::rlimit {
            rlim_cur: want,
            rlim_max: want.max(lim.rlim_max),
        };
        if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) != 0 {
            let soft = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            libc::setrlimit(libc::RLIMIT_NOFILE, &soft);
        }
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
    }
    lim.rlim_cur
}

/// Connections the daemon `pid` has accepted on `port` and still holds: its socket descriptors
/// whose TCP entry is established with `port` as the local end. (Counting all descriptors is
/// not exact: the daemon's own outbound connections to the simulators come and go.)
fn accepted_connections(pid: u32, port: u16) -> usize {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return 0;
    };
    let inodes: std::collections::HashSet<String> = dir
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter_map(|l| {
            let l = l.to_string_lossy().into_owned();
            Some(l.strip_prefix("socket:[")?.strip_suffix(']')?.to_owned())
        })
        .collect();
    let local_port = format!(":{port:04X}");
    ["tcp", "tcp6"]
        .iter()
        .filter_map(|t| std::fs::read_to_string(format!("/proc/{pid}/net/{t}")).ok())
        .map(|table| {
            table
                .lines()
                .skip(1)
                .filter(|line| {
                    let f: Vec<&str> = line.split_whitespace().collect();
                    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode
                    f.len() > 9
                        && f[1].ends_with(&local_port)
                        && f[3] == "01"
                        && inodes.contains(f[9])
                })
                .count()
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_webhook_is_answered_while_thousands_of_idle_connections_are_open() {
    let want: usize = std::env::var("SWITCHYARD_IDLE_CONNECTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let limit = raise_fd_limit(want as u64 * 2 + 4_096);
    // The daemon holds one descriptor per connection and keeps 256 for itself; this process
    // one per connection plus the simulators'.
    let idle_count = want.min((limit as usize).saturating_sub(300));
    assert!(
        idle_count >= want.min(1_000),
        "the open-file limit ({limit}) leaves room for {idle_count} connections only"
    );
    let env = Env::new(&[], 0).await;
    env.server_settings(&format!(
        "  header_timeout_secs: 300\n  max_connections: {}\n",
        idle_count + 100
    ));
    let daemon = env.start_daemon().await;
    let pid = daemon.pid();
    let port = env.port;
    let accepted = move || accepted_connections(pid, port);
    let rss_kb = || {
        std::fs::read_to_string(format!("/proc/{}/status", daemon.pid()))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))?
                    .split_whitespace()
                    .nth(1)?
                    .parse::<u64>()
                    .ok()
            })
            .unwrap_or(0)
    };
    let rss_before = rss_kb();
    let opened = Instant::now();
    let mut idle = Vec::with_capacity(idle_count);
    for _ in 0..idle_count {
        idle.push(connect(&env).await);
    }
    let open_took = opened.elapsed();
    // Wait until the daemon has accepted them all (each is one of its socket descriptors
    // whose local end is the listening port).
    let deadline = Instant::now() + Duration::from_secs(60);
    while accepted() < idle_count && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let held = accepted();
    assert!(
        held >= idle_count,
        "the daemon holds {held} of {idle_count} connections"
    );

    let client = reqwest::Client::new();
    let mut latencies = Vec::new();
    for i in 0..20 {
        let t = Instant::now();
        let status = env.post_order_webhook(&client, 4_200_000 + i).await;
        latencies.push(t.elapsed());
        assert_eq!(
            status,
            Some(200),
            "webhook {i} under {idle_count} idle connections"
        );
    }
    let t = Instant::now();
    let health = client
        .get(format!("http://127.0.0.1:{}/healthz", env.port))
        .send()
        .await
        .expect("healthz");
    let health_latency = t.elapsed();
    assert_eq!(health.status(), 200);
    // The idle connections are all still open.
    let still_held = accepted();
    assert!(
        still_held >= idle_count,
        "{still_held} of {idle_count} still held"
    );
    let rss_held = rss_kb();
    latencies.sort();
    eprintln!(
        "{idle_count} idle connections opened in {open_took:?}, held by the daemon: {held}; \
         signed webhook latency over 20: first {:?}, median {:?}, max {:?}; /healthz {health_latency:?}; \
         daemon RSS {rss_before} KB before, {rss_held} KB holding them",
        latencies.first(),
        latencies[latencies.len() / 2],
        latencies.last(),
    );
    drop(idle);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_and_readyz_details_need_the_operator_token_when_one_is_set() {
    let env = Env::new(&[], 0).await;
    let token = "op-token-0123456789abcdef";
    env.server_settings(&format!("  operator_token: \"{token}\"\n"));
    let _daemon = env.start_daemon().await;
    let client = reqwest::Client::new();
    let url = |p: &str| format!("http://127.0.0.1:{}{p}", env.port);
    let get = |path: &'static str, auth: Option<&'static str>| {
        let mut r = client.get(url(path));
        if let Some(a) = auth {
            r = r.header("Authorization", a);
        }
        async move {
            let r = r.send().await.expect("request");
            let status = r.status().as_u16();
            (status, r.text().await.unwrap_or_default())
        }
    };
    let right: &'static str = "Bearer op-token-0123456789abcdef";
    assert_eq!(get("/healthz", None).await, (200, "ok".to_string()));
    // The liveness answer and readiness status stay open; the details do not.
    let (status, body) = get("/readyz", None).await;
    assert_eq!((status, body.as_str()), (200, "ready"));
    let (status, body) = get("/readyz", Some(right)).await;
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_str(&body).expect("readyz JSON");
    assert!(
        v.get("inbox_pending").is_some() && v["store"]["writable"] == true,
        "{v}"
    );
    for wrong in [
        None,
        Some("Bearer op-token-0123456789abcdeX"),
        Some("op-token-0123456789abcdef"),
        Some("Bearer "),
    ] {
        let (status, body) = get("/metrics", wrong).await;
        assert_eq!(status, 401, "{wrong:?}");
        assert!(!body.contains("switchyard_"), "{body}");
        let (status, body) = get("/readyz", wrong).await;
        assert_eq!((status, body.as_str()), (200, "ready"), "{wrong:?}");
    }
    let (status, body) = get("/metrics", Some(right)).await;
    assert_eq!(status, 200);
    assert!(body.contains("switchyard_store_writable 1"), "{body}");
}
