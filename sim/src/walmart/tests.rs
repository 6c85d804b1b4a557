//! The simulator refuses what Walmart refuses and renders what Walmart renders.

use super::*;
use base64::Engine;
use serde_json::json;

async fn token(sim: &WalmartSim, cfg: &WalmartSimConfig) -> String {
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", cfg.client_id, cfg.client_secret));
    let r = reqwest::Client::new()
        .post(format!("{}/v3/token", sim.base_url()))
        .header("Authorization", format!("Basic {basic}"))
        .header("WM_SVC.NAME", "Walmart Marketplace")
        .header("WM_QOS.CORRELATION_ID", "c-1")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    body["access_token"].as_str().unwrap().to_string()
}

fn spec() -> OrderSpec {
    OrderSpec {
        lines: vec![("MUG".into(), 2)],
        paid: true,
        email: "a@example.com".into(),
        fate: WebhookFate::Deliver,
    }
}

#[tokio::test]
async fn walmart_sim_authenticates_throttles_and_renders_orders() {
    let cfg = WalmartSimConfig {
        buckets: WalmartBuckets {
            one_order: BucketSpec::per(1, Duration::from_secs(60)),
            ..WalmartBuckets::default()
        },
        ..WalmartSimConfig::default()
    };
    let sim = start(cfg.clone()).await.unwrap();
    sim.add_product("MUG", "Mug", "12.50", 5);
    let po = sim.place_order(spec()).await;
    let http = reqwest::Client::new();
    let url = format!("{}/v3/orders/{po}", sim.base_url());

    let r = http
        .get(&url)
        .header("WM_SVC.NAME", "x")
        .header("WM_QOS.CORRELATION_ID", "y")
        .header("WM_SEC.ACCESS_TOKEN", "nope")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"][0]["code"], "UNAUTHORIZED.GMP_GATEWAY_API");

    let t = token(&sim, &cfg).await;
    let call = || {
        http.get(&url)
            .header("WM_SVC.NAME", "x")
            .header("WM_QOS.CORRELATION_ID", "y")
            .header("WM_SEC.ACCESS_TOKEN", &t)
            .send()
    };
    let r = call().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-current-token-count"], "0");
    let order: Value = r.json().await.unwrap();
    let line = &order["order"]["orderLines"]["orderLine"][0];
    assert_eq!(
        line["charges"]["charge"][0]["chargeAmount"],
        json!({"currency": "USD", "amount": 25.0})
    );
    assert_eq!(line["orderLineQuantity"]["amount"], "2");
    assert_eq!(
        line["orderLineStatuses"]["orderLineStatus"][0]["status"],
        "Created"
    );
    let r = call().await.unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("x-next-replenish-time"));
    assert_eq!(sim.stats().throttled, 1);
    assert_eq!(
        sim.stock("MUG"),
        Some(5),
        "placing an order leaves stock alone"
    );

    let r = http
        .get(format!("{}/v3/orders?limit=201", sim.base_url()))
        .header("WM_SVC.NAME", "x")
        .header("WM_QOS.CORRELATION_ID", "y")
        .header("WM_SEC.ACCESS_TOKEN", &t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[test]
fn prices_parse_without_floats() {
    assert_eq!(parse_cents("12.5"), Some(1250));
    assert_eq!(parse_cents("0.07"), Some(7));
    assert_eq!(parse_cents("3"), Some(300));
    assert_eq!(parse_cents("1.234"), None);
}
