//! Exceptions and alerts end to end, against the real daemon binary on the simulators: an
//! order of a SKU nobody carries opens `order_held` and `unknown_sku` exceptions, announced
//! once by a Slack-compatible webhook (a local HTTP receiver that fails the first delivery, so
//! the retry is exercised) and by e-mail (a real aiosmtpd); the admin API lists, acknowledges
//! and resolves them with the roles and the action log; releasing the hold and counting the
//! SKU in clear them; channel health is served; the metric counts them; and the daemon's
//! `--log-format json` lines all parse as JSON, with order ids on the routing span.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::smtpd::Smtpd;
use common::{Env, eventually};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use switchyard_sim::{OrderSpec, SimulatedChannel, WebhookFate};

const WAIT: Duration = Duration::from_secs(40);
const VIEWER: &str = "viewer-token-0123456789";
const OPERATOR: &str = "operator-token-0123456789";
const ADMIN: &str = "admin-token-0123456789";

fn sha256_hex(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A Slack-compatible receiver: keeps every JSON body; answers 500 to the first request.
struct Receiver {
    url: String,
    bodies: Arc<Mutex<Vec<Value>>>,
    refused: Arc<Mutex<u32>>,
}

async fn receiver() -> Receiver {
    let bodies: Arc<Mutex<Vec<Value>>> = Arc::default();
    let refused: Arc<Mutex<u32>> = Arc::default();
    let (b, r) = (bodies.clone(), refused.clone());
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: axum::body::Bytes| {
            let (b, r) = (b.clone(), r.clone());
            async move {
                let mut refused = r.lock().unwrap();
                if *refused == 0 {
                    *refused += 1;
                    return axum::http::StatusCode::INTERNAL_SERVER_ERROR;
                }
                let value: Value = serde_json::from_slice(&body).expect("alert body is JSON");
                b.lock().unwrap().push(value);
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Receiver {
        url,
        bodies,
        refused,
    }
}

struct Api {
    base: String,
    client: reqwest::Client,
}

impl Api {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .timeout(Duration::from_secs(30))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("admin API answers");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        let value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{path}: {status} body is not JSON ({e}): {text}"));
        (status, value)
    }

    async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, token, None).await
    }

    async fn post(&self, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, token, body).await
    }
}

fn find<'a>(list: &'a Value, kind: &str, subject: &str) -> Option<&'a Value> {
    list.as_array()?
        .iter()
        .find(|e| e["kind"] == kind && e["subject"] == subject)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exceptions_are_raised_alerted_acted_on_and_cleared() {
    // Every process this test starts logs JSON lines (the daemon reads it from its
    // environment, as `--log-format json`).
    // SAFETY: set before any thread of this test reads the environment; the only test here.
    unsafe { std::env::set_var("SWITCHYARD_LOG_FORMAT", "json") };
    let smtp = Smtpd::start().await;
    let hook = receiver().await;
    let env = Env::new(&[("MUG", 10)], 0).await;
    env.shopify.add_product("GHOST", "Item GHOST", "12.50", 0);
    let admin_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    env.append_config(&format!(
        r#"routing:
  fallback: hold
admin:
  listen: "127.0.0.1:{admin_port}"
  tokens:
    - {{name: dash, sha256: "{viewer}", role: viewer}}
    - {{name: ops, sha256: "{operator}", role: operator}}
    - {{name: boss, sha256: "{admin}", role: admin}}
alerts:
  min_interval_secs: 1
  reminder_secs: 0
  webhooks:
    - {{name: ops-room, url: "{hook}"}}
  email:
    smtp_host: "127.0.0.1"
    smtp_port: {smtp_port}
    security: none
    from: "Switchyard <alerts@shop.example>"
    to: [oncall@shop.example]
"#,
        viewer = sha256_hex(VIEWER),
        operator = sha256_hex(OPERATOR),
        admin = sha256_hex(ADMIN),
        hook = hook.url,
        smtp_port = smtp.port,
    ));
    env.ok(&["check"]);
    let _daemon = env.start_daemon().await;
    let api = Api {
        base: format!("http://127.0.0.1:{admin_port}/api/v1"),
        client: reqwest::Client::new(),
    };

    let ghost = env
        .shopify
        .place_order(OrderSpec {
            lines: vec![("GHOST".into(), 1)],
            paid: true,
            email: "buyer@example.com".into(),
            fate: WebhookFate::Deliver,
        })
        .await;
    eventually(&env, WAIT, "the order held", || {
        env.fulfil_state(&ghost).as_deref() == Some("held")
    })
    .await;

    // Listed as open, one per kind and subject.
    let mut open = Value::Null;
    for _ in 0..100 {
        open = api.get("/exceptions?state=open", VIEWER).await.1;
        if find(&open, "unknown_sku", "sku:GHOST").is_some()
            && open
                .as_array()
                .is_some_and(|a| a.iter().any(|e| e["kind"] == "order_held"))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let held = open
        .as_array()
        .and_then(|a| a.iter().find(|e| e["kind"] == "order_held"))
        .unwrap_or_else(|| panic!("order_held open: {open}"))
        .clone();
    assert_eq!(held["state"], "open");
    assert_eq!(held["count"], 1);
    assert!(
        held["message"].as_str().unwrap().contains("unknown SKU"),
        "{held}"
    );
    let unknown = find(&open, "unknown_sku", "sku:GHOST").unwrap().clone();
    let (status, only) = api.get("/exceptions?kind=unknown_sku", VIEWER).await;
    assert_eq!(status, 200);
    assert_eq!(only.as_array().unwrap().len(), 1, "{only}");

    // Alerts: the webhook's first delivery fails and is retried; both reach it and the mail.
    eventually(&env, WAIT, "the webhook alert arrived", || {
        hook.bodies
            .lock()
            .unwrap()
            .iter()
            .any(|b| b["text"].as_str().is_some_and(|t| t.contains("sku:GHOST")))
    })
    .await;
    assert_eq!(
        *hook.refused.lock().unwrap(),
        1,
        "the first delivery was refused"
    );
    let texts: Vec<String> = hook
        .bodies
        .lock()
        .unwrap()
        .iter()
        .map(|b| b["text"].as_str().unwrap().to_string())
        .collect();
    let all = texts.join("\n");
    assert!(all.contains("[order_held]"), "{all}");
    assert!(all.contains("[unknown_sku] sku:GHOST"), "{all}");
    eventually(&env, WAIT, "the alert e-mail arrived", || {
        smtp.messages()
            .iter()
            .any(|(raw, _)| String::from_utf8_lossy(raw).contains("sku:GHOST"))
    })
    .await;
    let (raw, envelope) = smtp.messages().remove(0);
    assert_eq!(envelope["rcpt_tos"][0], "oncall@shop.example");
    let mail = String::from_utf8_lossy(&raw);
    assert!(
        mail.contains("Subject: Switchyard exceptions: Switchyard:"),
        "{mail}"
    );

    // Roles, statuses and the action log.
    let held_id = held["id"].as_i64().unwrap();
    let ack = format!("/exceptions/{held_id}/acknowledge");
    assert_eq!(api.post(&ack, VIEWER, None).await.0, 403);
    let (status, acked) = api.post(&ack, OPERATOR, None).await;
    assert_eq!(status, 200, "{acked}");
    assert_eq!(acked["state"], "acknowledged");
    assert_eq!(acked["acknowledged_by"], "api:ops");
    let (status, again) = api.post(&ack, OPERATOR, None).await;
    assert_eq!((status, again["error"].as_str()), (409, Some("conflict")));
    assert_eq!(
        api.post("/exceptions/999999/resolve", OPERATOR, None)
            .await
            .0,
        404
    );
    let (status, bad) = api.get("/exceptions?state=lost", VIEWER).await;
    assert_eq!((status, bad["field"].as_str()), (400, Some("state")));
    let (status, bad) = api.get("/exceptions?kind=meteor", VIEWER).await;
    assert_eq!((status, bad["field"].as_str()), (400, Some("kind")));
    let (status, log) = api
        .get(&format!("/actions?target=exception:{held_id}"), ADMIN)
        .await;
    assert_eq!(status, 200, "{log}");
    let outcomes: Vec<(String, String, String)> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["actor"].as_str().unwrap().to_string(),
                a["action"].as_str().unwrap().to_string(),
                a["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        outcomes.contains(&(
            "api:ops".into(),
            "acknowledge_exception".into(),
            "ok".into()
        )) && outcomes.contains(&(
            "api:ops".into(),
            "acknowledge_exception".into(),
            "refused".into()
        )),
        "{log}"
    );

    // The metric counts what is open (the acknowledged one no more), every kind from the
    // start; the watch refreshes it every 5 s.
    let mut metrics = String::new();
    for _ in 0..80 {
        metrics = env.metrics().await;
        if metrics.contains("switchyard_exceptions_open{kind=\"unknown_sku\"} 1")
            && metrics.contains("switchyard_exceptions_open{kind=\"order_held\"} 0")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(
        metrics.contains("switchyard_exceptions_open{kind=\"unknown_sku\"} 1")
            && metrics.contains("switchyard_exceptions_open{kind=\"order_held\"} 0")
            && metrics.contains("switchyard_exceptions_open{kind=\"drift_found\"} 0"),
        "{metrics}"
    );

    // Channel health from the running daemon.
    let (status, channels) = api.get("/channels", VIEWER).await;
    assert_eq!(status, 200, "{channels}");
    let shop = channels
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "shop")
        .unwrap_or_else(|| panic!("{channels}"));
    assert_eq!(shop["kind"], "shopify");
    assert!(shop["last_poll_ok_ms"].as_i64().is_some(), "{shop}");
    assert_eq!(shop["auth_failing"], false);
    let (status, partners) = api.get("/partners", VIEWER).await;
    assert_eq!((status, partners), (200, json!([])));

    // The causes go away: releasing the hold and counting the SKU in clear them.
    let (status, released) = api
        .post(
            &format!("/holds/shop:{ghost}/release"),
            OPERATOR,
            Some(json!({"location": "main"})),
        )
        .await;
    assert_eq!(status, 200, "{released}");
    env.ok(&["stock", "set", "GHOST", "3"]);
    let unknown_id = unknown["id"].as_i64().unwrap();
    for (id, what) in [(held_id, "order_held"), (unknown_id, "unknown_sku")] {
        let mut row = Value::Null;
        for _ in 0..50 {
            let (_, list) = api.get("/exceptions?state=resolved", VIEWER).await;
            if let Some(r) = list.as_array().unwrap().iter().find(|e| e["id"] == id) {
                row = r.clone();
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(row["resolved_by"], "switchyard", "{what}: {row}");
    }
    let listed = env.ok(&["exceptions", "list", "--state", "all"]);
    assert!(
        listed.contains("resolved\tunknown_sku\tsku:GHOST"),
        "{listed}"
    );

    // JSON logs: every line of the daemon's log is a JSON object, and the routing span names
    // the order it handled.
    let log = env.log();
    let mut with_order = 0;
    for line in log.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"));
        let spans = v["spans"].as_array().cloned().unwrap_or_default();
        if v["span"]["order_id"].is_number()
            || v["fields"]["order_id"].is_number()
            || spans.iter().any(|s| s["order_id"].is_number())
        {
            with_order += 1;
        }
    }
    assert!(with_order > 0, "no log line carries an order_id:\n{log}");
}
