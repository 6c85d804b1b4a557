use super::*;

#[tokio::test]
async fn tokens_are_issued_only_for_the_configured_credentials() {
    let sim = start(AmazonSimConfig::default()).await.expect("starts");
    let http = reqwest::Client::new();
    let cfg = sim.config().clone();
    let ok = http
        .post(sim.token_url())
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", cfg.refresh_token.as_str()),
            ("client_id", cfg.client_id.as_str()),
            ("client_secret", cfg.client_secret.as_str()),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(ok.status(), 200);
    let bad = http
        .post(sim.token_url())
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", cfg.refresh_token.as_str()),
            ("client_id", cfg.client_id.as_str()),
            ("client_secret", "wrong"),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(bad.status(), 401);
    assert_eq!(sim.tokens_issued(), 1);
    let anonymous = http
        .get(format!("{}/orders/2026-01-01/orders/1", sim.base_url()))
        .send()
        .await
        .expect("sent");
    assert_eq!(anonymous.status(), 403);
    let body: serde_json::Value = anonymous.json().await.expect("json");
    assert_eq!(body["errors"][0]["code"], "Unauthorized");
}

#[test]
fn form_bodies_decode() {
    assert_eq!(
        auth::parse_form(b"a=b+c&d=%7C%2x&e"),
        vec![
            ("a".to_string(), "b c".to_string()),
            ("d".to_string(), "|%2x".to_string()),
            ("e".to_string(), String::new())
        ]
    );
}

async fn access_token(sim: &AmazonSim, http: &reqwest::Client) -> String {
    let cfg = sim.config();
    let body: serde_json::Value = http
        .post(sim.token_url())
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", cfg.refresh_token.as_str()),
            ("client_id", cfg.client_id.as_str()),
            ("client_secret", cfg.client_secret.as_str()),
        ])
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    body["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn an_exhausted_plan_answers_429_quota_exceeded_with_the_rate_header() {
    let sim = start(AmazonSimConfig::default().with_plan("getOrder", 0.5, 1))
        .await
        .expect("starts");
    let http = reqwest::Client::new();
    let token = access_token(&sim, &http).await;
    let get = || {
        http.get(format!(
            "{}/orders/2026-01-01/orders/111-0000000-0000000",
            sim.base_url()
        ))
        .header("x-amz-access-token", &token)
        .send()
    };
    let first = get().await.expect("sent");
    assert_eq!(first.status(), 404, "unknown order, but admitted");
    assert_eq!(first.headers()["x-amzn-ratelimit-limit"], "0.5");
    let second = get().await.expect("sent");
    assert_eq!(second.status(), 429);
    assert_eq!(second.headers()["x-amzn-ratelimit-limit"], "0.5");
    let body: serde_json::Value = second.json().await.expect("json");
    assert_eq!(body["errors"][0]["code"], "QuotaExceeded");
    assert_eq!(sim.stats().throttled, 1);
}

#[tokio::test]
async fn a_repeated_package_is_refused_as_already_confirmed_and_recorded_once() {
    let sim = start(AmazonSimConfig::default()).await.expect("starts");
    sim.add_product("MUG", "Mug", "5.00", 3);
    let id = sim
        .place_order(crate::OrderSpec {
            lines: vec![("MUG".into(), 1)],
            paid: true,
            email: "a@example.com".into(),
            fate: WebhookFate::Lose,
        })
        .await;
    let item = sim.order_item_ids(&id).remove(0);
    let http = reqwest::Client::new();
    let token = access_token(&sim, &http).await;
    let body = serde_json::json!({
        "marketplaceId": sim.config().marketplace_id,
        "packageDetail": {"packageReferenceId": "7", "carrierCode": "UPS", "trackingNumber": "1Z",
            "shipDate": "2026-01-01T00:00:00Z", "orderItems": [{"orderItemId": item, "quantity": 1}]}
    });
    let url = format!(
        "{}/orders/v0/orders/{id}/shipmentConfirmation",
        sim.base_url()
    );
    let send = || {
        http.post(&url)
            .header("x-amz-access-token", &token)
            .json(&body)
            .send()
    };
    assert_eq!(send().await.expect("sent").status(), 204);
    let again = send().await.expect("sent");
    assert_eq!(again.status(), 400);
    let text = again.text().await.expect("text");
    assert!(text.contains("already"), "{text}");
    assert_eq!(sim.shipments(&id).len(), 1);
    assert_eq!(sim.order_status(&id), Some("SHIPPED"));
}

#[tokio::test]
async fn a_feed_document_of_several_megabytes_uploads() {
    let sim = start(AmazonSimConfig::default()).await.expect("starts");
    let http = reqwest::Client::new();
    let token = access_token(&sim, &http).await;
    let created: serde_json::Value = http
        .post(format!("{}/feeds/2021-06-30/documents", sim.base_url()))
        .header("x-amz-access-token", &token)
        .json(&serde_json::json!({"contentType": "application/json; charset=UTF-8"}))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let url = created["url"].as_str().expect("upload url");
    let big = vec![b' '; 6 * 1024 * 1024];
    let put = http.put(url).body(big).send().await.expect("sent");
    assert_eq!(put.status(), 200);
}

#[tokio::test]
async fn v0_addresses_carry_pii_only_for_a_restricted_data_token() {
    let sim = start(AmazonSimConfig::default()).await.expect("starts");
    sim.add_product("MUG", "Mug", "5.00", 3);
    let id = sim
        .place_order(crate::OrderSpec {
            lines: vec![("MUG".into(), 1)],
            paid: true,
            email: "a@example.com".into(),
            fate: WebhookFate::Lose,
        })
        .await;
    let http = reqwest::Client::new();
    let token = access_token(&sim, &http).await;
    let address_url = format!("{}/orders/v0/orders/{id}/address", sim.base_url());
    let address = |t: String| {
        let req = http.get(&address_url).header("x-amz-access-token", t);
        async move { req.send().await.expect("sent") }
    };
    let plain: serde_json::Value = address(token.clone()).await.json().await.expect("json");
    let shown = &plain["payload"]["ShippingAddress"];
    assert_eq!(shown["City"], "Seattle");
    assert!(
        shown.get("Name").is_none() && shown.get("AddressLine1").is_none(),
        "{plain}"
    );

    let rdt_url = format!("{}/tokens/2021-03-01/restrictedDataToken", sim.base_url());
    let not_restricted = http
        .post(&rdt_url)
        .header("x-amz-access-token", &token)
        .json(&serde_json::json!({"restrictedResources": [
            {"method": "GET", "path": "/feeds/2021-06-30/feeds"}]}))
        .send()
        .await
        .expect("sent");
    assert_eq!(not_restricted.status(), 400);
    let created: serde_json::Value = http
        .post(&rdt_url)
        .header("x-amz-access-token", &token)
        .json(&serde_json::json!({"restrictedResources": [
            {"method": "GET", "path": "/orders/v0/orders/{orderId}/address"}]}))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(created["expiresIn"], 3600);
    let rdt = created["restrictedDataToken"]
        .as_str()
        .expect("rdt")
        .to_string();
    let full: serde_json::Value = address(rdt.clone()).await.json().await.expect("json");
    assert_eq!(full["payload"]["ShippingAddress"]["Name"], "Sim Shopper");
    assert_eq!(
        full["payload"]["ShippingAddress"]["AddressLine1"],
        "1 Simulation Way"
    );
    // The RDT opens only its resources.
    let elsewhere = http
        .get(format!("{}/orders/v0/orders/{id}", sim.base_url()))
        .header("x-amz-access-token", &rdt)
        .send()
        .await
        .expect("sent");
    assert_eq!(elsewhere.status(), 403);
    assert_eq!(sim.rdts_issued(), 1);
}
