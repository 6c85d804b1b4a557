//! The simulator refuses what eBay refuses, with eBay's bodies.

use super::*;
use serde_json::json;

async fn user_token(sim: &EbaySim, cfg: &EbaySimConfig) -> String {
    let r = reqwest::Client::new()
        .post(sim.token_url())
        .basic_auth(&cfg.client_id, Some(&cfg.client_secret))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", cfg.refresh_token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["token_type"], "User Access Token");
    body["access_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn ebay_token_endpoint_checks_client_and_refresh_token() {
    let cfg = EbaySimConfig::default();
    let sim = start(cfg.clone()).await.unwrap();
    let http = reqwest::Client::new();
    let r = http
        .post(sim.token_url())
        .basic_auth(&cfg.client_id, Some("wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_client");
    let r = http
        .post(sim.token_url())
        .basic_auth(&cfg.client_id, Some(&cfg.client_secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "stale")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
    user_token(&sim, &cfg).await;
    assert_eq!(sim.token_grants(), 1);
}

#[tokio::test]
async fn ebay_expired_tokens_quotas_and_bulk_limits_answer_like_ebay() {
    let cfg = EbaySimConfig {
        call_quota: Some(2),
        ..EbaySimConfig::default()
    };
    let sim = start(cfg.clone()).await.unwrap();
    let token = user_token(&sim, &cfg).await;
    let http = reqwest::Client::new();
    let orders = format!("{}/sell/fulfillment/v1/order", sim.base_url());
    let r = http.get(&orders).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["total"], 0);
    let bulk = format!(
        "{}/sell/inventory/v1/bulk_update_price_quantity",
        sim.base_url()
    );
    let requests: Vec<Value> = (0..26).map(|i| json!({"sku": format!("S{i}")})).collect();
    let r = http
        .post(&bulk)
        .bearer_auth(&token)
        .json(&json!({"requests": requests}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["errors"][0]["errorId"],
        25709
    );
    // The inventory quota is separate from the fulfillment one.
    let r = http.get(&orders).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = http.get(&orders).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 429);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["errors"][0]["errorId"], 2001);
    assert_eq!(sim.stats().throttled, 1);
    sim.expire_tokens();
    let r = http.get(&orders).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["errors"][0]["errorId"], 1001);
    assert_eq!(body["errors"][0]["domain"], "OAuth");
}

#[tokio::test]
async fn ebay_orders_page_by_offset_and_placing_leaves_stock_alone() {
    let cfg = EbaySimConfig::default();
    let sim = start(cfg.clone()).await.unwrap();
    sim.add_product("MUG", "Mug", "12.50", 9);
    for _ in 0..3 {
        sim.place_order(OrderSpec {
            lines: vec![("MUG".into(), 2)],
            paid: true,
            email: "a@example.com".into(),
            fate: WebhookFate::Deliver,
        })
        .await;
    }
    assert_eq!(sim.stock("MUG"), Some(9));
    let token = user_token(&sim, &cfg).await;
    let http = reqwest::Client::new();
    let url = format!(
        "{}/sell/fulfillment/v1/order?limit=2&offset=0&filter=lastmodifieddate:%5B2020-01-01T00:00:00.000Z..%5D",
        sim.base_url()
    );
    let body: Value = http
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["total"], 3);
    assert_eq!(body["orders"].as_array().unwrap().len(), 2);
    assert!(body["next"].is_string());
    assert_eq!(
        body["orders"][0]["lineItems"][0]["lineItemCost"]["value"],
        "25.00"
    );
    let r = http
        .get(format!(
            "{}/sell/fulfillment/v1/order?limit=201",
            sim.base_url()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = http
        .get(format!(
            "{}/sell/fulfillment/v1/order/00-0-0",
            sim.base_url()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<Value>().await.unwrap()["errors"][0]["errorId"],
        32100
    );
}
