use super::*;
use serde_json::json;

struct Api {
    http: reqwest::Client,
    root: String,
    token: String,
    channel: String,
}

impl Api {
    fn new(sim: &ShipBobSim) -> Self {
        Self {
            http: reqwest::Client::new(),
            root: format!("{}/{}", sim.base_url(), sim.config().api_version),
            token: sim.config().access_token.clone(),
            channel: sim.config().channel_id.to_string(),
        }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}/{path}", self.root))
            .bearer_auth(&self.token)
            .header("shipbob_channel_id", &self.channel)
    }

    async fn create(&self, reference: &str, sku: &str, quantity: u32) -> reqwest::Response {
        self.request(reqwest::Method::POST, "order")
            .json(&json!({
                "reference_id": reference,
                "order_number": "#1001",
                "shipping_method": "Standard",
                "type": "DTC",
                "recipient": {
                    "name": "Ada Lovelace",
                    "address": {"address1": "1 Main St", "city": "Chicago", "state": "IL",
                                "country": "US", "zip_code": "60607"},
                    "email": "ada@example.com",
                },
                "products": [{"reference_id": sku, "name": "Mug", "quantity": quantity}],
            }))
            .send()
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn orders_are_unique_per_reference_and_render_as_documented() {
    let sim = start(ShipBobSimConfig::default()).await.unwrap();
    let api = Api::new(&sim);
    sim.set_inventory("MUG", "Mug", 10);
    let r = api.create("shop:1", "MUG", 3).await;
    assert_eq!(r.status(), 201);
    assert!(r.headers().contains_key("x-remaining-calls"));
    let order: Value = r.json().await.unwrap();
    assert_eq!(order["status"], "Processing");
    assert_eq!(order["reference_id"], "shop:1");
    assert_eq!(order["channel"]["id"], sim.config().channel_id);
    assert_eq!(order["shipments"][0]["status"], "Processing");
    assert_eq!(
        order["shipments"][0]["products"][0]["inventory_items"][0]["quantity"],
        3
    );
    // The same reference again is refused with the validation map; nothing is created.
    let r = api.create("shop:1", "MUG", 3).await;
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["ReferenceId"][0]
            .as_str()
            .unwrap()
            .contains("already exists")
    );
    assert_eq!(sim.orders_created(), 1);
    // Missing fields name themselves.
    let r = api
        .request(reqwest::Method::POST, "order")
        .json(&json!({"reference_id": "x", "shipping_method": "Standard", "type": "DTC", "products": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.json::<Value>().await.unwrap()["Recipient"].is_array());
    // Writes need the channel header.
    let r = api
        .http
        .post(format!("{}/order", api.root))
        .bearer_auth(&api.token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // Committed stock shows in the levels.
    assert_eq!(sim.inventory("MUG"), Some((10, 3)));
    let id = order["id"].as_u64().unwrap();
    let r = api
        .request(reqwest::Method::GET, "order?ReferenceIds=shop:1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["total-count"], "1");
    let list: Value = r.json().await.unwrap();
    assert_eq!(list[0]["id"], id);
}

#[tokio::test]
async fn tokens_are_checked_and_the_window_slides() {
    let sim = start(ShipBobSimConfig {
        requests_per_window: 3,
        window: Duration::from_secs(2),
        ..Default::default()
    })
    .await
    .unwrap();
    let mut api = Api::new(&sim);
    let good = api.token.clone();
    api.token = "wrong".into();
    let r = api
        .request(reqwest::Method::GET, "order")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    let r = api
        .request(reqwest::Method::GET, "inventory-level")
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["status"], 401);
    api.token = good;
    for left in ["2", "1", "0"] {
        let r = api
            .request(reqwest::Method::GET, "order")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["x-remaining-calls"], left);
    }
    let r = api
        .request(reqwest::Method::GET, "order")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    let wait: u64 = r.headers()["x-retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&wait), "{wait}");
    assert_eq!(r.json::<Value>().await.unwrap()["statusCode"], 429);
    assert_eq!(sim.stats().throttled, 1);
    tokio::time::sleep(Duration::from_secs(wait)).await;
    let r = api
        .request(reqwest::Method::GET, "order")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    sim.expire_token();
    let r = api
        .request(reqwest::Method::GET, "order")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("expired")
    );
}

#[tokio::test]
async fn shipping_cancelling_and_webhooks() {
    let sim = start(ShipBobSimConfig::default()).await.unwrap();
    let api = Api::new(&sim);
    sim.set_inventory("MUG", "Mug", 5);
    let a: Value = api.create("shop:a", "MUG", 2).await.json().await.unwrap();
    let b: Value = api.create("shop:b", "MUG", 1).await.json().await.unwrap();
    let (a, b) = (a["id"].as_u64().unwrap(), b["id"].as_u64().unwrap());
    assert!(sim.ship(a, "UPS", "1Z999", WebhookFate::Lose).await);
    assert!(
        !sim.ship(a, "UPS", "1Z999", WebhookFate::Lose).await,
        "ships once"
    );
    assert_eq!(sim.inventory("MUG"), Some((3, 1)));
    let shipped: Value = api
        .request(reqwest::Method::GET, &format!("order/{a}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shipped["status"], "Fulfilled");
    assert_eq!(
        shipped["shipments"][0]["tracking"]["tracking_number"],
        "1Z999"
    );
    // A shipped order cannot be cancelled; an open one can, once.
    let r: Value = api
        .request(reqwest::Method::POST, &format!("order/{a}:cancel"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["status"], "Failure");
    let r: Value = api
        .request(reqwest::Method::POST, &format!("order/{b}:cancel"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["status"], "Success");
    let r = api
        .request(reqwest::Method::POST, &format!("order/{b}:cancel"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    // The lost webhook was still signed and logged.
    let sent = sim.sent_webhooks();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].topic, "order.shipped");
    assert_eq!(sent[0].deliveries, 0);
    let body: Value = serde_json::from_slice(&sent[0].body).unwrap();
    assert_eq!(body["order_id"], a);
    assert_eq!(body["tracking"]["carrier"], "UPS");
}

#[test]
fn signatures_follow_standard_webhooks() {
    // HMAC key is the base64-decoded part after `whsec_`.
    let a = sign_webhook("whsec_c2VjcmV0", "msg_1", 1_700_000_000, b"{}");
    let b = sign_webhook("secret", "msg_1", 1_700_000_000, b"{}");
    assert!(a.starts_with("v1,"));
    assert_eq!(a, b);
    assert_ne!(a, sign_webhook("secret", "msg_2", 1_700_000_000, b"{}"));
}

#[tokio::test]
async fn inventory_levels_come_in_linked_pages() {
    let sim = start(ShipBobSimConfig::default()).await.unwrap();
    let api = Api::new(&sim);
    for i in 0..5 {
        sim.set_inventory(&format!("SKU-{i}"), "Thing", 10 + i);
    }
    let mut url = format!("{}/inventory-level?PageSize=2", api.root);
    let mut seen = Vec::new();
    loop {
        let page: Value = api
            .http
            .get(&url)
            .bearer_auth(&api.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for item in page["items"].as_array().unwrap() {
            seen.push(item["sku"].as_str().unwrap().to_string());
        }
        match page["next"].as_str() {
            Some(next) => url = next.to_string(),
            None => {
                assert!(page["last"].is_null());
                assert!(page["prev"].is_string());
                break;
            }
        }
    }
    assert_eq!(seen, ["SKU-0", "SKU-1", "SKU-2", "SKU-3", "SKU-4"]);
    let r = api
        .request(reqwest::Method::GET, "inventory-level?PageSize=0")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}
