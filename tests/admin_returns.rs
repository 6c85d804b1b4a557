//! The returns routes of the admin API against the real daemon binary: listed, refunded once
//! (the channel's own record), refused with the right status, in the document and the log.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

mod common;

use std::time::Duration;

use common::{Env, eventually};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use switchyard_sim::{OrderSpec, SimulatedChannel, WebhookFate};

const WAIT: Duration = Duration::from_secs(20);
const VIEWER: &str = "viewer-token-0123456789";
const OPERATOR: &str = "operator-token-0123456789";
const ADMIN: &str = "admin-token-0123456789";

fn sha256_hex(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn order(lines: &[(&str, u32)]) -> OrderSpec {
    OrderSpec {
        lines: lines.iter().map(|(s, q)| (s.to_string(), *q)).collect(),
        paid: true,
        email: "buyer@example.com".into(),
        fate: WebhookFate::Deliver,
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
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .timeout(Duration::from_secs(30));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
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

    async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, token, None).await
    }

    async fn post(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, Some(token), Some(body))
            .await
    }
}

fn field(v: &Value) -> &str {
    v["field"].as_str().unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn returns_over_the_admin_api() {
    let env = Env::new(&[("MUG", 10)], 0).await;
    let admin_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    env.append_config(&format!(
        r#"admin:
  listen: "127.0.0.1:{admin_port}"
  tokens:
    - {{name: dash, sha256: "{}", role: viewer}}
    - {{name: ops, sha256: "{}", role: operator}}
    - {{name: boss, sha256: "{}", role: admin}}
"#,
        sha256_hex(VIEWER),
        sha256_hex(OPERATOR),
        sha256_hex(ADMIN)
    ));
    env.ok(&["check"]);
    let _daemon = env.start_daemon().await;
    let api = Api {
        base: format!("http://127.0.0.1:{admin_port}/api/v1"),
        client: reqwest::Client::new(),
    };
    let (_, doc) = api.get("/openapi.json", None).await;
    for p in [
        "/api/v1/returns",
        "/api/v1/returns/{id}",
        "/api/v1/returns/{id}/receive",
        "/api/v1/returns/{id}/refund",
        "/api/v1/returns/{id}/refunded",
        "/api/v1/returns/{id}/cancel",
    ] {
        assert!(doc["paths"][p].is_object(), "{p} not in the document");
    }

    let id = env.woo.place_order(order(&[("MUG", 2)])).await;
    eventually(&env, WAIT, "order routed", || {
        env.fulfil_state(&id).as_deref() == Some("routed")
    })
    .await;
    let (status, _) = api
        .post(
            &format!("/orders/woo:{id}/ship"),
            OPERATOR,
            json!({"carrier": "UPS", "tracking": "1ZRET1"}),
        )
        .await;
    assert_eq!(status, 200);
    let line = env.woo.order_json(&id).expect("order")["line_items"][0]["id"].to_string();
    env.ok(&[
        "return",
        &format!("woo:{id}"),
        "--line",
        &line,
        "--qty",
        "1",
        "--restock",
    ]);

    let (status, page) = api.get("/returns?state=received", Some(VIEWER)).await;
    assert_eq!(status, 200, "{page}");
    let rows = page["returns"].as_array().expect("returns");
    assert_eq!(rows.len(), 1, "{page}");
    assert_eq!(rows[0]["disposition"], "restock");
    let rma = rows[0]["id"].as_i64().expect("id");
    let (status, bad) = api.get("/returns?state=lost", Some(VIEWER)).await;
    assert_eq!((status, field(&bad)), (400, "state"));

    let refund = format!("/returns/{rma}/refund");
    assert_eq!(api.post(&refund, VIEWER, json!({})).await.0, 403);
    let (status, asked) = api.post(&refund, OPERATOR, json!({})).await;
    assert_eq!(status, 200, "{asked}");
    assert_eq!(asked["state"], "refunding");
    assert_eq!(asked["refund_amount"], "12.50");
    // Asked twice: the first refund is on its way.
    assert_eq!(api.post(&refund, OPERATOR, json!({})).await.0, 409);
    let mut done = Value::Null;
    for _ in 0..200 {
        let (_, r) = api.get(&format!("/returns/{rma}"), Some(VIEWER)).await;
        if r["state"] == "refunded" {
            done = r;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(done["state"], "refunded", "{done}");
    assert!(done["refund_id"].is_string(), "{done}");
    assert_eq!(env.woo.refunds(&id).len(), 1);

    let receive = format!("/returns/{rma}/receive");
    let (status, bad) = api
        .post(&receive, OPERATOR, json!({"disposition": "burn"}))
        .await;
    assert_eq!((status, field(&bad)), (400, "disposition"));
    let (status, _) = api
        .post(&receive, OPERATOR, json!({"disposition": "restock"}))
        .await;
    assert_eq!(status, 409, "only an expected return is received");
    let (status, _) = api
        .post(
            "/returns/999999/receive",
            OPERATOR,
            json!({"disposition": "dispose"}),
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(
        api.post(&format!("/returns/{rma}/cancel"), OPERATOR, json!({}))
            .await
            .0,
        409
    );

    let (_, log) = api.get("/actions?limit=100", Some(ADMIN)).await;
    let log = log.as_array().cloned().unwrap_or_default();
    let has = |actor: &str, action: &str, outcome: &str| {
        log.iter().any(|a| {
            a["actor"] == json!(actor)
                && a["action"] == json!(action)
                && a["outcome"] == json!(outcome)
        })
    };
    assert!(has("api:ops", "return_refund", "ok"), "{log:?}");
    assert!(has("api:ops", "return_refund", "refused"), "{log:?}");
    assert!(has("api:ops", "return_receive", "refused"), "{log:?}");
}
