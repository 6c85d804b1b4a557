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

fn walmart_request(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: &str,
) -> reqwest::RequestBuilder {
    http.request(method, url)
        .header("WM_SVC.NAME", "Walmart Marketplace")
        .header("WM_QOS.CORRELATION_ID", "c-2")
        .header("WM_SEC.ACCESS_TOKEN", token)
}

fn feed_part(feed: &Value) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(serde_json::to_vec(feed).unwrap()).file_name("feed.json"),
    )
}

#[tokio::test]
async fn feeds_are_multipart_files_and_a_raw_body_is_refused() {
    let cfg = WalmartSimConfig {
        ship_nodes: vec!["N1".into(), "N2".into()],
        feed_processing_delay: Duration::from_millis(0),
        ..WalmartSimConfig::default()
    };
    let sim = start(cfg.clone()).await.unwrap();
    sim.add_product("MUG", "Mug", "12.50", 5);
    let token = token(&sim, &cfg).await;
    let http = reqwest::Client::new();
    let feeds = |kind: &str| format!("{}/v3/feeds?feedType={kind}", sim.base_url());
    let v14 = json!({"InventoryHeader": {"version": "1.4"},
        "Inventory": [{"sku": "MUG", "quantity": {"unit": "EACH", "amount": 7}}]});

    let raw = walmart_request(&http, reqwest::Method::POST, feeds("inventory"), &token)
        .json(&v14)
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400);
    let body: Value = raw.json().await.unwrap();
    assert_eq!(
        body["error"][0]["code"],
        "INVALID_REQUEST_CONTENT.GMP_FEED_API"
    );
    assert_eq!(body["error"][0]["field"], "file");
    assert_eq!(sim.feeds_submitted(), 0);

    let ok = walmart_request(&http, reqwest::Method::POST, feeds("inventory"), &token)
        .multipart(feed_part(&v14))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(
        sim.node_stock("MUG", "N1"),
        Some(7),
        "no shipNode: the default node"
    );

    let mp = json!({"inventoryHeader": {"version": "1.5"}, "inventory": [{"sku": "MUG",
        "shipNodes": [{"shipNode": "N2", "quantity": {"unit": "EACH", "amount": 3}}]}]});
    let ok = walmart_request(&http, reqwest::Method::POST, feeds("MP_INVENTORY"), &token)
        .multipart(feed_part(&mp))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(sim.node_stock("MUG", "N2"), Some(3));
    assert_eq!(sim.node_stock("MUG", "N1"), Some(7));
    assert_eq!(sim.stock("MUG"), Some(10), "sold across both nodes");

    let nodes: Value = walmart_request(
        &http,
        reqwest::Method::GET,
        format!("{}/v3/inventories?limit=50", sim.base_url()),
        &token,
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let listed = &nodes["elements"]["inventories"][0]["nodes"];
    assert_eq!(listed[1]["shipNode"], "N2");
    assert_eq!(listed[1]["inputQty"]["amount"], 3);

    let unknown = walmart_request(
        &http,
        reqwest::Method::GET,
        format!("{}/v3/inventory?sku=MUG&shipNode=N9", sim.base_url()),
        &token,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(unknown.status(), 400);
}

#[tokio::test]
async fn shipping_lines_need_seller_order_id_method_and_a_listed_carrier() {
    let cfg = WalmartSimConfig::default();
    let sim = start(cfg.clone()).await.unwrap();
    sim.add_product("MUG", "Mug", "12.50", 5);
    let po = sim.place_order(spec()).await;
    let token = token(&sim, &cfg).await;
    let http = reqwest::Client::new();
    let ack = walmart_request(
        &http,
        reqwest::Method::POST,
        format!("{}/v3/orders/{po}/acknowledge", sim.base_url()),
        &token,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(ack.status(), 200);
    let ship = |line: Value| {
        walmart_request(
            &http,
            reqwest::Method::POST,
            format!("{}/v3/orders/{po}/shipping", sim.base_url()),
            &token,
        )
        .json(&json!({"orderShipment": {"orderLines": {"orderLine": [line]}}}))
        .send()
    };
    let line = |seller: Option<&str>, carrier: Value, method: &str| {
        let mut line = json!({"lineNumber": "1", "orderLineStatuses": {"orderLineStatus": [{
            "status": "Shipped",
            "statusQuantity": {"unitOfMeasurement": "EACH", "amount": "2"},
            "trackingInfo": {"shipDateTime": 1_775_898_000_000_i64, "carrierName": carrier,
                "methodCode": method, "trackingNumber": "1Z1"}}]}});
        if let Some(seller) = seller {
            line["sellerOrderId"] = json!(seller);
        }
        line
    };
    for (bad, field) in [
        (
            line(None, json!({"carrier": "UPS"}), "Standard"),
            "sellerOrderId",
        ),
        (
            line(Some("S-1"), json!({"carrier": "DHL"}), "Standard"),
            "carrierName.carrier",
        ),
        (
            line(Some("S-1"), json!({"otherCarrier": "Bob"}), "Standard"),
            "trackingURL",
        ),
        (
            line(Some("S-1"), json!({"carrier": "UPS"}), "Overnight"),
            "methodCode",
        ),
    ] {
        let r = ship(bad).await.unwrap();
        assert_eq!(r.status(), 400);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"][0]["field"], field, "{body}");
    }
    assert!(sim.shipments(&po).is_empty());
    let r = ship(line(Some("S-1"), json!({"carrier": "UPS"}), "Express"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(sim.shipments(&po).len(), 1);
}
