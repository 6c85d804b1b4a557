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
