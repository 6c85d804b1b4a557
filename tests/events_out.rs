//! Events out, end to end: the real daemon sends its event log to real local HTTP receivers
//! that check every `X-Switchyard-Signature` as the README tells a receiver to. One receiver
//! sees every event exactly in the log's order across a SIGKILL of the daemon (a repeat only
//! ever carries an event id already seen, with the same body); one refuses its first requests
//! and then gets everything in order; one always refuses and its events become dead letters,
//! which an operator replays once it answers again.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use common::{Env, eventually_explained};
use hmac::Mac;
use switchyard_sim::{OrderSpec, SimulatedChannel, WebhookFate};

const SECRET: &str = "receiver-secret-0123456789";
const VIEWER: &str = "viewer-token-0123456789";
const OPERATOR: &str = "operator-token-0123456789";
/// How far a signature's time may be from now, as a receiver would allow.
const TOLERANCE_SECS: i64 = 300;

/// One webhook request as the receiver saw it.
#[derive(Debug, Clone)]
struct Received {
    id: i64,
    kind: String,
    body: Vec<u8>,
}

#[derive(Default)]
struct Receiver {
    /// Accepted (2xx) requests, in arrival order.
    accepted: Mutex<Vec<Received>>,
    /// Requests answered 500 on purpose.
    refused: AtomicUsize,
    /// Requests whose signature, event id header or body did not check out.
    bad: Mutex<Vec<String>>,
    /// Refuse this many requests first.
    fail_first: usize,
    /// Refuse every request while set.
    failing: AtomicBool,
    /// Slow answers, so a SIGKILL lands while deliveries are going on.
    delay: Duration,
}

/// What a receiver does with a request, per the README: recompute the HMAC over
/// `"<t>.<raw body>"`, compare in constant time, refuse a `t` outside the tolerance.
fn verify(headers: &HeaderMap, body: &[u8]) -> Result<(i64, String), String> {
    let sig = headers
        .get("x-switchyard-signature")
        .and_then(|v| v.to_str().ok())
        .ok_or("no signature")?;
    let mut t = None;
    let mut v1 = Vec::new();
    for part in sig.split(',') {
        match part.split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => v1.push(v.to_string()),
            _ => {}
        }
    }
    let t = t.ok_or("no t")?;
    if (chrono::Utc::now().timestamp() - t).abs() > TOLERANCE_SECS {
        return Err(format!("t={t} outside the tolerance"));
    }
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let expected = mac.finalize().into_bytes();
    let ok = v1.iter().any(|h| {
        hex::decode(h).is_ok_and(|given| {
            use subtle::ConstantTimeEq;
            bool::from(given.as_slice().ct_eq(expected.as_slice()))
        })
    });
    if !ok {
        return Err("signature mismatch".into());
    }
    let event: serde_json::Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let id = event["id"].as_i64().ok_or("no id")?;
    let header_id = headers
        .get("x-switchyard-event-id")
        .and_then(|v| v.to_str().ok())
        .ok_or("no event id header")?;
    if header_id != id.to_string() {
        return Err(format!("header id {header_id} vs body id {id}"));
    }
    let kind = event["type"].as_str().ok_or("no type")?.to_string();
    if headers
        .get("x-switchyard-event-type")
        .and_then(|v| v.to_str().ok())
        != Some(&kind)
    {
        return Err("event type header differs".into());
    }
    if event["version"] != 1 || !event["data"].is_object() {
        return Err(format!("unexpected envelope {event}"));
    }
    Ok((id, kind))
}

async fn hook(State(r): State<Arc<Receiver>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    if !r.delay.is_zero() {
        tokio::time::sleep(r.delay).await;
    }
    let (id, kind) = match verify(&headers, &body) {
        Ok(v) => v,
        Err(why) => {
            r.bad.lock().unwrap().push(why);
            return StatusCode::UNAUTHORIZED;
        }
    };
    let n = r.refused.load(Ordering::SeqCst);
    if r.failing.load(Ordering::SeqCst) || n < r.fail_first {
        r.refused.fetch_add(1, Ordering::SeqCst);
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    r.accepted.lock().unwrap().push(Received {
        id,
        kind,
        body: body.to_vec(),
    });
    StatusCode::NO_CONTENT
}

async fn start(receiver: Arc<Receiver>) -> SocketAddr {
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(hook))
        .with_state(receiver);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

/// The whole log as `switchyard events --json` prints it: (id, type, body).
fn log(env: &Env) -> Vec<(i64, String, serde_json::Value)> {
    let out = env.ok(&["events", "--json", "--limit", "100000"]);
    out.lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["id"].as_i64().unwrap(),
                v["type"].as_str().unwrap().to_string(),
                v,
            )
        })
        .collect()
}

/// Checks at-least-once in order: the ids in arrival order only grow, except a repeat of an
/// id already seen (with the same event); their first arrivals are exactly `expected`.
fn in_order(received: &[Received], expected: &[i64]) -> Result<(), String> {
    let mut first: Vec<i64> = Vec::new();
    let mut bodies: BTreeMap<i64, serde_json::Value> = BTreeMap::new();
    for r in received {
        let same: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        match bodies.get(&r.id) {
            Some(seen) if *seen != same => {
                return Err(format!("event {} came twice with different bodies", r.id));
            }
            Some(_) => {}
            None => {
                if let Some(last) = first.last()
                    && r.id < *last
                {
                    return Err(format!("event {} arrived after {last}", r.id));
                }
                first.push(r.id);
                bodies.insert(r.id, same);
            }
        }
    }
    if first != expected {
        return Err(format!(
            "{} distinct events received, {} expected; received {:?}… expected {:?}…",
            first.len(),
            expected.len(),
            &first[..first.len().min(12)],
            &expected[..expected.len().min(12)]
        ));
    }
    Ok(())
}

async fn place(env: &Env, n: usize, from: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in from..from + n {
        let spec = OrderSpec {
            lines: vec![(format!("EV-{}", i % 3), 1 + (i % 2) as u32)],
            paid: true,
            email: format!("ev{i}@example.com"),
            fate: WebhookFate::Deliver,
        };
        ids.push(env.shopify.place_order(spec).await);
    }
    ids
}

async fn events_reach_every_subscriber_in_order_across_a_sigkill(engine: switchyard_store::Engine) {
    let env = Env::on(engine, &[("EV-0", 100), ("EV-1", 100), ("EV-2", 100)], 0).await;
    let erp = Arc::new(Receiver {
        delay: Duration::from_millis(15),
        ..Receiver::default()
    });
    let flaky = Arc::new(Receiver {
        fail_first: 3,
        ..Receiver::default()
    });
    let dead = Arc::new(Receiver::default());
    dead.failing.store(true, Ordering::SeqCst);
    let (erp_at, flaky_at, dead_at) = (
        start(erp.clone()).await,
        start(flaky.clone()).await,
        start(dead.clone()).await,
    );
    let admin_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let sha = |t: &str| {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(t.as_bytes()))
    };
    env.append_config(&format!(
        r#"admin:
  listen: "127.0.0.1:{admin_port}"
  tokens:
    - {{name: dash, sha256: "{}", role: viewer}}
    - {{name: ops, sha256: "{}", role: operator}}
webhooks:
  - id: erp
    url: "http://{erp_at}/hook"
    secret: "{SECRET}"
    start: beginning
    min_backoff_ms: 50
    max_backoff_secs: 1
  - id: flaky
    url: "http://{flaky_at}/hook"
    secret: "{SECRET}"
    events: [order.received, order.shipped]
    start: beginning
    max_attempts: 10
    min_backoff_ms: 50
    max_backoff_secs: 1
  - id: dead
    url: "http://{dead_at}/hook"
    secret: "{SECRET}"
    events: [order.cancelled]
    start: beginning
    max_attempts: 3
    min_backoff_ms: 50
    max_backoff_secs: 1
"#,
        sha(VIEWER),
        sha(OPERATOR)
    ));
    env.ok(&["check"]);

    let daemon = env.start_daemon().await;
    let mut orders = place(&env, 12, 0).await;
    eventually_explained(&env, Duration::from_secs(60), "a first deliveries", || {
        let n = erp.accepted.lock().unwrap().len();
        (n >= 10).then_some(()).ok_or(format!("{n} delivered"))
    })
    .await;
    // SIGKILL while orders are still coming in and events are being delivered.
    orders.extend(place(&env, 6, 12).await);
    daemon.kill();
    let delivered_at_kill = erp.accepted.lock().unwrap().len();

    let _daemon = env.start_daemon().await;
    orders.extend(place(&env, 6, 18).await);
    eventually_explained(&env, Duration::from_secs(60), "every order routed", || {
        let routed = env.orders().iter().filter(|o| o.3 == "routed").count();
        (routed == orders.len())
            .then_some(())
            .ok_or(format!("{routed} of {} routed", orders.len()))
    })
    .await;
    for id in orders.iter().take(5) {
        env.ok(&[
            "ship",
            &format!("shop:{id}"),
            "--carrier",
            "UPS",
            "--tracking",
            &format!("1ZEV{id}"),
        ]);
    }
    for id in orders.iter().skip(20) {
        env.shopify.cancel_order(id, WebhookFate::Deliver).await;
    }
    eventually_explained(
        &env,
        Duration::from_secs(60),
        "cancellations stored",
        || {
            let n = log(&env)
                .iter()
                .filter(|e| e.1 == "order.cancelled")
                .count();
            (n == 4).then_some(()).ok_or(format!("{n} cancelled"))
        },
    )
    .await;

    // erp: everything, in order, at least once.
    eventually_explained(
        &env,
        Duration::from_secs(60),
        "erp has the whole log",
        || {
            let expected: Vec<i64> = log(&env).iter().map(|e| e.0).collect();
            in_order(&erp.accepted.lock().unwrap(), &expected)
        },
    )
    .await;
    let full = log(&env);
    let count = |kind: &str| full.iter().filter(|e| e.1 == kind).count();
    assert_eq!(count("order.received"), 24);
    assert_eq!(count("order.routed"), 24);
    assert_eq!(count("order.shipped"), 5);
    assert_eq!(count("order.cancelled"), 4);
    assert!(count("stock.changed") >= 3);
    let received = erp.accepted.lock().unwrap().len();
    println!(
        "erp: {} events in the log, {received} deliveries ({} repeats after the SIGKILL; {delivered_at_kill} before it)",
        full.len(),
        received - full.len()
    );

    // flaky: refused three times, then its two types in order, nothing dead.
    let flaky_expected: Vec<i64> = full
        .iter()
        .filter(|e| e.1 == "order.received" || e.1 == "order.shipped")
        .map(|e| e.0)
        .collect();
    eventually_explained(&env, Duration::from_secs(60), "flaky catches up", || {
        in_order(&flaky.accepted.lock().unwrap(), &flaky_expected)
    })
    .await;
    assert_eq!(flaky.refused.load(Ordering::SeqCst), 3);

    // dead: each cancellation tried three times, then a dead letter; the cursor moved on.
    let cancelled: Vec<i64> = full
        .iter()
        .filter(|e| e.1 == "order.cancelled")
        .map(|e| e.0)
        .collect();
    eventually_explained(&env, Duration::from_secs(60), "dead letters", || {
        let out = env.ok(&["webhooks", "dead-letters", "--subscription", "dead"]);
        let events: Vec<i64> = out
            .lines()
            .filter_map(|l| l.split('\t').nth(2)?.strip_prefix("event=")?.parse().ok())
            .collect();
        let mut sorted = events.clone();
        sorted.sort();
        (sorted == cancelled).then_some(()).ok_or(format!(
            "dead letters for {events:?}, cancellations {cancelled:?}"
        ))
    })
    .await;
    let listed = env.ok(&["webhooks", "dead-letters", "--subscription", "dead"]);
    assert!(
        listed
            .lines()
            .all(|l| l.contains("attempts=3") && l.contains("HTTP 500")),
        "{listed}"
    );
    assert_eq!(dead.refused.load(Ordering::SeqCst), 3 * cancelled.len());
    assert!(dead.accepted.lock().unwrap().is_empty());
    let status = env.ok(&["webhooks", "status"]);
    let dead_row = status.lines().find(|l| l.starts_with("dead\t")).unwrap();
    assert!(
        dead_row.contains(&format!("position={}", cancelled.last().unwrap())),
        "{status}"
    );
    assert!(
        dead_row.contains(&format!("dead={}", cancelled.len())),
        "{status}"
    );

    // The receiver is fixed; an operator replays one dead letter: same event id, delivered.
    dead.failing.store(false, Ordering::SeqCst);
    let first = listed.lines().last().unwrap();
    let dead_id = first.split('\t').next().unwrap();
    let event_id: i64 = first
        .split('\t')
        .nth(2)
        .unwrap()
        .strip_prefix("event=")
        .unwrap()
        .parse()
        .unwrap();
    env.ok(&["webhooks", "replay", dead_id]);
    eventually_explained(&env, Duration::from_secs(30), "the replay arrives", || {
        let got: Vec<i64> = dead.accepted.lock().unwrap().iter().map(|r| r.id).collect();
        (got == [event_id])
            .then_some(())
            .ok_or(format!("received {got:?}"))
    })
    .await;
    eventually_explained(
        &env,
        Duration::from_secs(10),
        "the replay is recorded",
        || {
            let all = env.ok(&[
                "webhooks",
                "dead-letters",
                "--subscription",
                "dead",
                "--all",
            ]);
            all.lines()
                .any(|l| l.starts_with(&format!("{dead_id}\t")) && l.contains("\tdelivered\t"))
                .then_some(())
                .ok_or(all)
        },
    )
    .await;
    assert_eq!(
        dead.accepted.lock().unwrap()[0].kind,
        "order.cancelled",
        "the replay is the event itself"
    );
    // A second replay of a delivered one is refused.
    let again = env.cli(&["webhooks", "replay", dead_id]);
    assert!(!again.status.success());

    // The same through the admin API.
    let api = format!("http://127.0.0.1:{admin_port}/api/v1");
    let client = reqwest::Client::new();
    let get = |path: String, token: Option<&'static str>| {
        let mut req = client.get(format!("{api}{path}"));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        async move {
            let r = req.send().await.unwrap();
            let status = r.status().as_u16();
            (status, r.json::<serde_json::Value>().await.unwrap())
        }
    };
    let (status, page) = get("/events?after=0&limit=1000".into(), Some(VIEWER)).await;
    assert_eq!(status, 200, "{page}");
    let api_log: Vec<serde_json::Value> = page["events"].as_array().unwrap().clone();
    let cli_log: Vec<serde_json::Value> = log(&env).into_iter().map(|e| e.2).collect();
    assert_eq!(api_log, cli_log);
    assert_eq!(page["next_after"], cli_log.last().unwrap()["id"]);
    let (_, page) = get("/events?after=0&type=order.cancelled".into(), Some(VIEWER)).await;
    let ids: Vec<i64> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, cancelled);
    let (_, page) = get(format!("/events?after={}&limit=2", ids[0]), Some(VIEWER)).await;
    assert_eq!(page["events"][0]["id"].as_i64().unwrap(), ids[0] + 1);
    assert_eq!(page["next_after"].as_i64().unwrap(), ids[0] + 2);
    assert_eq!(get("/events".into(), None).await.0, 401);
    let (status, e) = get("/events?type=order.updated".into(), Some(VIEWER)).await;
    assert_eq!((status, e["field"].as_str()), (400, Some("type")), "{e}");
    let (status, e) = get("/events?after=-1".into(), Some(VIEWER)).await;
    assert_eq!((status, e["field"].as_str()), (400, Some("after")), "{e}");
    let (status, hooks) = get("/webhooks".into(), Some(VIEWER)).await;
    assert_eq!(status, 200);
    let names: Vec<&str> = hooks
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["erp", "flaky", "dead"]);
    let (status, letters) = get(
        "/webhooks/dead-letters?subscription=dead".into(),
        Some(VIEWER),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(letters.as_array().unwrap().len(), cancelled.len() - 1);
    let other = letters[0]["id"].as_i64().unwrap();
    let replay = |id: String, token: &'static str| {
        let req = client
            .post(format!("{api}/webhooks/dead-letters/{id}/replay"))
            .bearer_auth(token);
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(replay(other.to_string(), VIEWER).await, 403);
    assert_eq!(replay(dead_id.to_string(), OPERATOR).await, 409);
    assert_eq!(replay("999999".into(), OPERATOR).await, 404);
    assert_eq!(replay(other.to_string(), OPERATOR).await, 200);
    eventually_explained(
        &env,
        Duration::from_secs(30),
        "the API replay arrives",
        || {
            let n = dead.accepted.lock().unwrap().len();
            (n == 2).then_some(()).ok_or(format!("{n} received"))
        },
    )
    .await;
    let actions = env.ok(&["orders", "actions"]);
    assert!(
        actions.contains("replay_webhook") && actions.contains("api:ops"),
        "{actions}"
    );

    for r in [&erp, &flaky, &dead] {
        let bad = r.bad.lock().unwrap();
        assert!(bad.is_empty(), "requests that did not verify: {bad:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_events_reach_every_subscriber_in_order_across_a_sigkill() {
    events_reach_every_subscriber_in_order_across_a_sigkill(switchyard_store::Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_events_reach_every_subscriber_in_order_across_a_sigkill() {
    events_reach_every_subscriber_in_order_across_a_sigkill(switchyard_store::Engine::Postgres)
        .await;
}
