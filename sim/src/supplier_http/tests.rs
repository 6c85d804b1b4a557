use super::*;

fn po(number: &str) -> Value {
    json!({"po_number": number, "ship_to": {"address1": "1 Main St", "country_code": "US"},
           "lines": [{"sku": "ACME-1", "quantity": 2}]})
}

async fn post(sim: &SupplierSim, key: &str, body: &Value, secret: &str) -> reqwest::Response {
    let body = serde_json::to_vec(body).unwrap();
    reqwest::Client::new()
        .post(sim.order_url())
        .header("idempotency-key", key)
        .header(
            signature::HEADER,
            signature::sign(secret.as_bytes(), Utc::now().timestamp(), &body),
        )
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn signed_orders_are_kept_once_and_others_refused() {
    let sim = start(SupplierSimConfig::default()).await.unwrap();
    let secret = sim.secret().to_string();
    assert_eq!(post(&sim, "k1", &po("P1"), &secret).await.status(), 201);
    assert_eq!(post(&sim, "k1", &po("P1"), &secret).await.status(), 200);
    assert_eq!(post(&sim, "k1", &po("P2"), &secret).await.status(), 409);
    let forged = post(&sim, "k2", &po("P2"), "wrong-secret").await;
    assert_eq!(forged.status(), 401);
    let why: Value = forged.json().await.unwrap();
    assert!(
        why["error"].as_str().unwrap().contains("does not match"),
        "{why}"
    );
    let mut bad = po("P3");
    bad["lines"][0]["quantity"] = json!(0);
    let refused = post(&sim, "k3", &bad, &secret).await;
    assert_eq!(refused.status(), 422);
    let why: Value = refused.json().await.unwrap();
    assert_eq!(why["field"], "lines[0].quantity");
    assert_eq!(sim.orders().len(), 1);
}

#[tokio::test]
async fn over_the_per_second_allowance_is_429_with_retry_after() {
    let sim = start(SupplierSimConfig {
        requests_per_second: 2,
        ..SupplierSimConfig::default()
    })
    .await
    .unwrap();
    let secret = sim.secret().to_string();
    let mut statuses = Vec::new();
    for i in 0..3 {
        let response = post(&sim, &format!("k{i}"), &po(&format!("P{i}")), &secret).await;
        statuses.push((
            response.status().as_u16(),
            response.headers().get("retry-after").cloned(),
        ));
    }
    assert_eq!(statuses[0].0, 201);
    assert_eq!(statuses[2].0, 429);
    assert_eq!(statuses[2].1.as_ref().unwrap(), "1");
    assert_eq!(sim.request_counts(), (3, 1));
}

/// A lost ship notice is never POSTed but stays in the events list for the buyer's poll.
#[tokio::test]
async fn a_lost_ship_notice_is_only_in_the_events_list() {
    let sim = start(SupplierSimConfig::default()).await.unwrap();
    let secret = sim.secret().to_string();
    assert_eq!(post(&sim, "k1", &po("P1"), &secret).await.status(), 201);
    let buyer = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    sim.set_webhook_target(Some(format!("http://{}/hook", buyer.local_addr().unwrap())));
    sim.ship_with("P1", "UPS", "1Z1", WebhookFate::Lose)
        .await
        .unwrap();
    let knocked = tokio::time::timeout(Duration::from_millis(300), buyer.accept()).await;
    assert!(knocked.is_err(), "a lost webhook must not be sent");
    assert_eq!(sim.order("P1").unwrap().status, PoStatus::Shipped);
    let t = Utc::now().timestamp();
    let listed: Value = reqwest::Client::new()
        .get(sim.events_url())
        .header(
            signature::HEADER,
            signature::sign(secret.as_bytes(), t, b""),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["data"][0]["type"], "order.shipped");
    assert_eq!(listed["data"][0]["data"]["tracking_number"], "1Z1");
}
