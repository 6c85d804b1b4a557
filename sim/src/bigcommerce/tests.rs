use super::*;

async fn get(sim: &BigCommerceSim, path: &str, token: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{}/{path}", sim.shared.api_root()))
        .header("x-auth-token", token)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn bigcommerce_answers_like_the_real_api() {
    let sim = start(BigCommerceSimConfig::default()).await.unwrap();
    let token = sim.config().access_token.clone();
    // Nothing yet: V2 lists answer 204 No Content.
    let r = get(&sim, "v2/orders", &token).await;
    assert_eq!(r.status(), 204);
    assert_eq!(r.headers()["x-rate-limit-requests-quota"], "150");
    assert_eq!(r.headers()["x-rate-limit-requests-left"], "149");
    assert_eq!(r.headers()["x-rate-limit-time-window-ms"], "30000");
    // Bad token: 401 with V2's error list / V3's problem object.
    let r = get(&sim, "v2/orders", "wrong").await;
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body[0]["status"], 401);
    let r = get(&sim, "v3/catalog/variants", "wrong").await;
    assert_eq!(r.json::<Value>().await.unwrap()["status"], 401);
    // An order renders with four-decimal money, RFC 2822 times and linked sub-resources.
    sim.add_product("CUP", "Cup", "12.5", 4);
    let id = sim
        .place_order(OrderSpec {
            lines: vec![("CUP".into(), 2)],
            paid: true,
            email: "a@example.com".into(),
            fate: WebhookFate::Lose,
        })
        .await;
    let order: Value = get(&sim, &format!("v2/orders/{id}"), &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(order["total_inc_tax"], "25.0000");
    assert_eq!(order["status_id"], 11);
    assert!(order["date_modified"].as_str().unwrap().ends_with("+0000"));
    assert!(
        order["products"]["resource"]
            .as_str()
            .unwrap()
            .ends_with("/products")
    );
    assert_eq!(
        sim.stock("CUP"),
        Some(4),
        "orders leave the store's stock alone"
    );
    let r = get(&sim, "v2/orders/999999", &token).await;
    assert_eq!(r.status(), 404);
    let r = get(&sim, "v2/orders?min_date_modified=yesterday", &token).await;
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn bigcommerce_quota_answers_429_with_the_reset() {
    let sim = start(BigCommerceSimConfig {
        requests_quota: 2,
        window_ms: 60_000,
        ..Default::default()
    })
    .await
    .unwrap();
    let token = sim.config().access_token.clone();
    for _ in 0..2 {
        assert_eq!(get(&sim, "v2/orders", &token).await.status(), 204);
    }
    let r = get(&sim, "v2/orders", &token).await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["x-rate-limit-requests-left"], "0");
    let reset: u64 = r.headers()["x-rate-limit-time-reset-ms"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(reset > 0 && reset <= 60_000);
    assert_eq!(sim.stats().throttled, 1);
    assert_eq!(sim.stats().requests, 2);
}

#[test]
fn webhook_keys_follow_standard_webhooks() {
    assert_eq!(webhooks::key("whsec_YWJj"), b"abc");
    assert_eq!(webhooks::key("plain"), b"plain");
    assert!(sign_webhook("k", "msg", 1, b"{}").starts_with("v1,"));
}
