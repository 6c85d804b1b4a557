//! The admin API against the real daemon binary on the simulators: every status class (200,
//! 400 naming the field, 401, 403, 404, 409), every role, the actions recorded with who took
//! them (API and CLI alike), and the OpenAPI document it serves.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

mod common;

use std::time::{Duration, Instant};

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

fn ids(v: &Value) -> Vec<i64> {
    v["orders"]
        .as_array()
        .expect("orders")
        .iter()
        .map(|o| o["id"].as_i64().expect("id"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_api_statuses_roles_and_the_action_log() {
    let env = Env::new(&[("MUG", 10), ("CAP", 5)], 0).await;
    let admin_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    env.append_config(&format!(
        r#"routing:
  rules:
    - name: mugs-to-main
      when:
        sku: ["MUG*"]
      action:
        location: main
  fallback: hold
intake:
  max_line_quantity: 1
admin:
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

    // The document is open to anyone and is OpenAPI 3.1.
    let (status, doc) = api.get("/openapi.json", None).await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap_or("").starts_with("3.1"));
    assert!(doc["paths"]["/api/v1/orders"]["get"].is_object());

    let mug = env.shopify.place_order(order(&[("MUG", 1)])).await;
    let cap = env.shopify.place_order(order(&[("CAP", 1)])).await;
    let cap2 = env.woo.place_order(order(&[("CAP", 1)])).await;
    // Two units on one line: above the intake limit, so quarantined.
    let client = reqwest::Client::new();
    assert_eq!(env.post_order_webhook(&client, 777).await, Some(200));
    eventually(&env, WAIT, "orders decided", || {
        env.fulfil_state(&mug).as_deref() == Some("routed")
            && env.fulfil_state(&cap).as_deref() == Some("held")
            && env.fulfil_state(&cap2).as_deref() == Some("held")
    })
    .await;

    // 401: no token, an unknown one, another scheme.
    let (status, body) = api.get("/orders", None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("unauthorized"))
    );
    assert_eq!(api.get("/orders", Some("not-a-token")).await.0, 401);
    let basic = api
        .client
        .get(format!("{}/orders", api.base))
        .header("Authorization", format!("Basic {VIEWER}"))
        .send()
        .await
        .expect("answer");
    assert_eq!(basic.status().as_u16(), 401);
    assert_eq!(
        basic
            .headers()
            .get("www-authenticate")
            .map(|v| v.as_bytes()),
        Some(&b"Bearer"[..])
    );

    // Orders: filters and pages.
    let (status, all) = api.get("/orders", Some(VIEWER)).await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(ids(&all).len(), 3, "{all}");
    let (_, held) = api.get("/orders?state=held", Some(VIEWER)).await;
    assert_eq!(ids(&held).len(), 2, "{held}");
    let (_, woo) = api.get("/orders?channel=woo", Some(VIEWER)).await;
    assert_eq!(woo["orders"][0]["external_id"], json!(cap2), "{woo}");
    let (_, at_main) = api.get("/orders?location=main", Some(VIEWER)).await;
    assert_eq!(at_main["orders"][0]["external_id"], json!(mug), "{at_main}");
    assert_eq!(ids(&at_main).len(), 1, "{at_main}");
    let (_, future) = api.get("/orders?from=2999-01-01", Some(VIEWER)).await;
    assert!(ids(&future).is_empty(), "{future}");
    let (_, page1) = api.get("/orders?limit=2", Some(VIEWER)).await;
    let before = page1["next_before"].as_i64().expect("a next page");
    let (_, page2) = api
        .get(&format!("/orders?limit=2&before={before}"), Some(VIEWER))
        .await;
    let mut paged = ids(&page1);
    paged.extend(ids(&page2));
    assert_eq!(paged, ids(&all));
    assert!(page2.get("next_before").is_none(), "{page2}");

    // 400 names the field.
    for (path, want) in [
        ("/orders?limit=0", "limit"),
        ("/orders?limit=ten", "limit"),
        ("/orders?state=lost", "state"),
        ("/orders?from=yesterday", "from"),
        ("/orders?before=-3", "before"),
        ("/partner-events?failed=maybe", "failed"),
        ("/holds?limit=5000", "limit"),
    ] {
        let (status, body) = api.get(path, Some(VIEWER)).await;
        assert_eq!((status, field(&body)), (400, want), "{path}: {body}");
    }

    // Holds and release: a viewer may look, not act; a bad location is 400, releasing twice 409.
    let (status, holds) = api.get("/holds", Some(VIEWER)).await;
    assert_eq!(status, 200);
    assert_eq!(holds.as_array().map(Vec::len), Some(2), "{holds}");
    let release = format!("/holds/shop:{cap}/release");
    let (status, body) = api
        .post(&release, VIEWER, json!({"location": "main"}))
        .await;
    assert_eq!((status, body["error"].as_str()), (403, Some("forbidden")));
    let (status, body) = api
        .post(&release, OPERATOR, json!({"location": "mars"}))
        .await;
    assert_eq!((status, field(&body)), (400, "location"), "{body}");
    let (status, body) = api.post(&release, OPERATOR, json!({"to": "main"})).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = api
        .post(&release, OPERATOR, json!({"location": "main"}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["lines"], json!(["CAP"]));
    let (status, body) = api
        .post(&release, OPERATOR, json!({"location": "main"}))
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("conflict")),
        "{body}"
    );
    let (status, _) = api
        .post(
            "/holds/shop:no-such-order/release",
            OPERATOR,
            json!({"location": "main"}),
        )
        .await;
    assert_eq!(status, 404);

    // The order's detail: explanation, reservations, ledger and a timeline with the release.
    let (status, detail) = api.get(&format!("/orders/shop:{cap}"), Some(VIEWER)).await;
    assert_eq!(status, 200, "{detail}");
    let explanation = detail["explanation"].as_str().unwrap_or("");
    assert!(explanation.contains("api"), "{explanation}");
    assert_eq!(detail["reservations"][0]["location_id"], json!("main"));
    assert!(detail["lines"].as_array().is_some_and(|l| l.len() == 1));
    let ledger = detail["ledger"].as_array().expect("ledger");
    assert!(
        ledger
            .iter()
            .any(|m| m["to_account"] == json!("reserved:main")),
        "{ledger:?}"
    );
    let timeline = detail["timeline"].as_array().expect("timeline");
    for kind in ["received", "created", "decided", "operator"] {
        assert!(
            timeline.iter().any(|e| e["kind"] == json!(kind)),
            "{kind} missing: {timeline:?}"
        );
    }
    assert_eq!(api.get("/orders/424242", Some(VIEWER)).await.0, 404);

    // Ship: operator; shipping again finds nothing reserved (409); a blank carrier is 400.
    let ship = format!("/orders/shop:{mug}/ship");
    let (status, body) = api
        .post(&ship, OPERATOR, json!({"carrier": " ", "tracking": "1Z1"}))
        .await;
    assert_eq!((status, field(&body)), (400, "carrier"), "{body}");
    let (status, body) = api
        .post(
            &ship,
            OPERATOR,
            json!({"carrier": "UPS", "tracking": "1ZAPI"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["from"], json!(["main"]));
    let (status, _) = api
        .post(
            &ship,
            OPERATOR,
            json!({"carrier": "UPS", "tracking": "1ZAGAIN"}),
        )
        .await;
    assert_eq!(status, 409);
    eventually(&env, WAIT, "tracking on shopify", || {
        env.shopify.shipments(&mug).len() == 1
    })
    .await;
    // Cancelling at a partner needs an order handed to that partner.
    let cancel = format!("/orders/shop:{mug}/cancel-at-partner");
    let (status, _) = api
        .post(&cancel, OPERATOR, json!({"location": "main"}))
        .await;
    assert_eq!(status, 404);
    let (status, body) = api
        .post(&cancel, OPERATOR, json!({"location": "pluto"}))
        .await;
    assert_eq!((status, field(&body)), (400, "location"), "{body}");

    // Cancelling on the channel: a viewer may not; a reason nobody has is 400; an order
    // that shipped is 409 with the reason; an unknown order 404.
    let on_channel = format!("/orders/shop:{mug}/cancel");
    assert_eq!(
        api.post(&on_channel, VIEWER, json!({"reason": "fraud"}))
            .await
            .0,
        403
    );
    let (status, body) = api
        .post(&on_channel, OPERATOR, json!({"reason": "lost"}))
        .await;
    assert_eq!((status, field(&body)), (400, "reason"), "{body}");
    let (status, body) = api
        .post(&on_channel, OPERATOR, json!({"reason": "fraud"}))
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("already shipped")),
        "{body}"
    );
    let (status, list) = api.get("/cancellations?state=done", Some(VIEWER)).await;
    assert_eq!((status, list), (200, json!([])));
    let (status, body) = api.get("/cancellations?state=lost", Some(VIEWER)).await;
    assert_eq!((status, field(&body)), (400, "state"), "{body}");
    assert_eq!(
        api.post(
            "/orders/shop:404404/cancel",
            OPERATOR,
            json!({"reason": "fraud"})
        )
        .await
        .0,
        404
    );

    // Dead letters and partner events: unknown ids are 404, a bad id 400.
    assert_eq!(api.get("/dead-letters", Some(VIEWER)).await.0, 200);
    assert_eq!(
        api.post("/dead-letters/999/replay", OPERATOR, json!({}))
            .await
            .0,
        404
    );
    let (status, body) = api
        .post("/dead-letters/abc/replay", OPERATOR, json!({}))
        .await;
    assert_eq!((status, field(&body)), (400, "id"));
    assert_eq!(
        api.get("/partner-events?failed=true", Some(VIEWER)).await.0,
        200
    );
    assert_eq!(
        api.post("/partner-events/999/retry", OPERATOR, json!({}))
            .await
            .0,
        404
    );

    // Quarantine: listed, re-processed (and quarantined again by the same rule); only a
    // quarantined delivery can be re-processed.
    let (status, q) = api.get("/quarantine", Some(VIEWER)).await;
    assert_eq!(status, 200);
    let inbox_id = q[0]["inbox_id"].as_i64().expect("one quarantined delivery");
    assert!(
        q[0]["reason"].as_str().unwrap_or("").contains("quantity"),
        "{q}"
    );
    let reprocess = format!("/quarantine/{inbox_id}/reprocess");
    assert_eq!(api.post(&reprocess, VIEWER, json!({})).await.0, 403);
    let (status, body) = api.post(&reprocess, OPERATOR, json!({})).await;
    assert_eq!(status, 200, "{body}");
    let deadline = Instant::now() + WAIT;
    loop {
        let (_, q) = api.get("/quarantine", Some(VIEWER)).await;
        if q[0]["inbox_id"].as_i64() == Some(inbox_id) {
            break;
        }
        assert!(Instant::now() < deadline, "not quarantined again: {q}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let applied = if inbox_id == 1 { 2 } else { 1 };
    let (status, body) = api
        .post(
            &format!("/quarantine/{applied}/reprocess"),
            OPERATOR,
            json!({}),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("conflict")),
        "{body}"
    );
    assert_eq!(
        api.post("/quarantine/99999/reprocess", OPERATOR, json!({}))
            .await
            .0,
        404
    );

    // Stock: setting a count is the admin's; the ledger shows it.
    let put = |token: &'static str, body: Value| {
        api.call(reqwest::Method::PUT, "/stock/MUG", Some(token), Some(body))
    };
    assert_eq!(put(OPERATOR, json!({"quantity": 7})).await.0, 403);
    let (status, body) = put(ADMIN, json!({"quantity": -1})).await;
    assert_eq!((status, field(&body)), (400, "quantity"));
    let (status, body) = put(ADMIN, json!({"quantity": 7_000_000_000_i64})).await;
    assert_eq!((status, field(&body)), (400, "quantity"));
    let (status, body) = put(ADMIN, json!({"quantity": 7, "location": "nowhere"})).await;
    assert_eq!((status, field(&body)), (400, "location"));
    assert_eq!(put(ADMIN, json!({"quantity": 7})).await.0, 200);
    let (_, stock) = api.get("/stock?sku=MUG", Some(VIEWER)).await;
    assert_eq!(stock["levels"][0]["on_hand"], json!(7), "{stock}");
    let (status, ledger) = api.get("/stock/MUG/ledger", Some(VIEWER)).await;
    assert_eq!(status, 200);
    assert!(
        ledger
            .as_array()
            .is_some_and(|l| l.iter().any(|m| m["reference"] == json!("stock set"))),
        "{ledger}"
    );
    let (status, body) = api
        .post(
            "/stock-imports",
            ADMIN,
            json!({"rows": [{"sku": "CAP", "quantity": 9}, {"sku": "", "quantity": 1}]}),
        )
        .await;
    assert_eq!((status, field(&body)), (400, "rows[1].sku"), "{body}");
    let (status, body) = api
        .post(
            "/stock-imports",
            ADMIN,
            json!({"rows": [{"sku": "CAP", "quantity": 9}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // The audit finds the record consistent after all of that.
    assert_eq!(api.post("/audit", VIEWER, json!({})).await.0, 403);
    let (status, report) = api.post("/audit", OPERATOR, json!({})).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["violations"], json!([]), "{report}");

    // The action log: the admin's only; every action with who took it, the CLI's too.
    assert_eq!(api.get("/actions", Some(OPERATOR)).await.0, 403);
    let (status, log) = api.get("/actions?limit=100", Some(ADMIN)).await;
    assert_eq!(status, 200);
    let log = log.as_array().expect("actions").clone();
    let has = |actor: &str, action: &str, outcome: &str| {
        log.iter().any(|a| {
            a["actor"] == json!(actor)
                && a["action"] == json!(action)
                && a["outcome"] == json!(outcome)
        })
    };
    assert!(has("api:ops", "release", "ok"), "{log:?}");
    assert!(has("api:ops", "release", "refused"), "{log:?}");
    assert!(has("api:ops", "ship", "ok"), "{log:?}");
    assert!(has("api:ops", "cancel", "refused"), "{log:?}");
    assert!(has("api:boss", "stock_set", "ok"), "{log:?}");
    assert!(has("api:ops", "reprocess_quarantined", "ok"), "{log:?}");
    assert!(
        log.iter().any(
            |a| a["actor"].as_str().is_some_and(|s| s.starts_with("cli"))
                && a["action"] == json!("stock_import")
        ),
        "the harness's CLI import is recorded: {log:?}"
    );
    let cli_log = env.ok(&["orders", "actions", "--order", &format!("shop:{cap}")]);
    assert!(cli_log.contains("api:ops\trelease"), "{cli_log}");

    // Unknown routes answer 404 in JSON too.
    assert_eq!(api.get("/nothing-here", Some(VIEWER)).await.0, 404);

    // The orders list's latency on this small store (figures for the report).
    let mut took = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        assert_eq!(api.get("/orders?limit=50", Some(VIEWER)).await.0, 200);
        took.push(t.elapsed());
    }
    took.sort();
    let p99 = took[took.len() * 99 / 100 - 1];
    eprintln!("orders list: p50 {:?}, p99 {:?}", took[took.len() / 2], p99);
    assert!(p99 < Duration::from_secs(1), "p99 {p99:?}");
}
