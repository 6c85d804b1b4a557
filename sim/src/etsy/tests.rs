use super::*;

async fn authed() -> (Arc<EtsySim>, reqwest::Client, String, String) {
    let sim = EtsySim::start(EtsySimConfig {
        per_second: 2,
        ..Default::default()
    })
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let cfg = sim.config().clone();
    let token: Value = http
        .post(sim.token_url())
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", cfg.keystring.as_str()),
            ("refresh_token", cfg.refresh_token.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = token["access_token"].as_str().unwrap().to_string();
    let key = format!(
        "{}:{}",
        cfg.keystring,
        cfg.shared_secret.unwrap_or_default()
    );
    (sim, http, access, key)
}

#[tokio::test]
async fn the_inventory_put_is_validated_like_etsys() {
    let (sim, http, access, key) = authed().await;
    sim.add_product("MUG", "Mug", "12.50", 4);
    let listing = sim.listing_of("MUG").unwrap();
    let url = format!(
        "{}/v3/application/listings/{listing}/inventory",
        sim.base_url()
    );
    let put = |body: Value| {
        http.put(&url)
            .header("x-api-key", &key)
            .bearer_auth(&access)
            .json(&body)
            .send()
    };
    let too_many = json!({"products": [{"sku": "MUG", "property_values": [],
        "offerings": [{"price": 12.5, "quantity": 1000, "is_enabled": true}]}]});
    let response = put(too_many).await.unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("quantity"),
        "{body}"
    );
    assert_eq!(sim.stock("MUG"), Some(4));
    let fine = json!({"products": [{"sku": "MUG", "property_values": [],
        "offerings": [{"price": 12.5, "quantity": 9, "is_enabled": true}]}]});
    assert!(put(fine).await.unwrap().status().is_success());
    assert_eq!(sim.stock("MUG"), Some(9));
    assert_eq!(
        sim.listing_inventory(listing).unwrap()["products"][0]["offerings"][0]["price"]["amount"],
        1250
    );
}

#[tokio::test]
async fn a_429_carries_retry_after_and_no_limit_headers() {
    let (sim, http, access, key) = authed().await;
    let url = format!(
        "{}/v3/application/shops/{}/receipts",
        sim.base_url(),
        sim.config().shop_id
    );
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let r = http
            .get(&url)
            .header("x-api-key", &key)
            .bearer_auth(&access)
            .send()
            .await
            .unwrap();
        statuses.push((
            r.status().as_u16(),
            r.headers().contains_key("x-remaining-today"),
            r.headers().contains_key("retry-after"),
        ));
    }
    assert_eq!(statuses[0], (200, true, false));
    assert_eq!(statuses[2], (429, false, true));
    assert_eq!(sim.stats().throttled, 1);
}

#[tokio::test]
async fn receipt_tracking_is_a_form_and_json_is_refused() {
    let (sim, http, access, key) = authed().await;
    sim.add_product("MUG", "Mug", "12.50", 4);
    let receipt = sim
        .place_order(crate::OrderSpec {
            lines: vec![("MUG".into(), 1)],
            paid: true,
            email: "a@example.com".into(),
            fate: crate::WebhookFate::Lose,
        })
        .await;
    let url = format!(
        "{}/v3/application/shops/{}/receipts/{receipt}/tracking",
        sim.base_url(),
        sim.config().shop_id
    );
    let json_post = http
        .post(&url)
        .header("x-api-key", &key)
        .bearer_auth(&access)
        .json(&json!({"tracking_code": "1Z9", "carrier_name": "ups"}))
        .send()
        .await
        .unwrap();
    assert_eq!(json_post.status().as_u16(), 400);
    let body: Value = json_post.json().await.unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("x-www-form-urlencoded"),
        "{body}"
    );
    assert!(sim.shipments(&receipt).is_empty());
    // The per-second window is 2: wait for the next second before the form post.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let form_post = http
        .post(&url)
        .header("x-api-key", &key)
        .bearer_auth(&access)
        .form(&[("tracking_code", "1Z9"), ("carrier_name", "ups")])
        .send()
        .await
        .unwrap();
    assert!(form_post.status().is_success(), "{}", form_post.status());
    assert_eq!(sim.shipments(&receipt)[0].tracking_number, "1Z9");
}
