//! The simulator behaves like Shopify on the wire: auth, projection, errors, cost, CAS.

use serde_json::{Value, json};

use super::{ShopifySim, ShopifySimConfig};
use crate::{OrderSpec, SimulatedChannel, WebhookFate};

async fn post(sim: &ShopifySim, token: &str, query: &str, variables: Value) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(sim.graphql_url())
        .header("X-Shopify-Access-Token", token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

async fn sim() -> std::sync::Arc<ShopifySim> {
    let sim = ShopifySim::start(ShopifySimConfig::default())
        .await
        .unwrap();
    sim.add_product("A", "Alpha", "10.00", 5);
    sim
}

#[tokio::test]
async fn wrong_token_is_401_with_shopifys_body() {
    let sim = sim().await;
    let (status, body) = post(
        &sim,
        "nope",
        "{ orders(first: 1) { nodes { id } } }",
        json!({}),
    )
    .await;
    assert_eq!(status, 401);
    assert!(
        body["errors"]
            .as_str()
            .unwrap()
            .contains("Invalid API key or access token")
    );
    assert_eq!(sim.stats().requests, 0);
}

#[tokio::test]
async fn projects_only_selected_fields_with_aliases_and_reports_cost() {
    let sim = sim().await;
    let token = sim.config().access_token.clone();
    sim.place_order(OrderSpec {
        lines: vec![("A".into(), 2)],
        paid: false,
        email: "e@example.com".into(),
        fate: WebhookFate::Lose,
    })
    .await;
    let q = "{ orders(first: 5) { nodes { ref: name total: totalPriceSet { shopMoney { amount } } } } }";
    let (status, body) = post(&sim, &token, q, json!({})).await;
    assert_eq!(status, 200);
    let node = &body["data"]["orders"]["nodes"][0];
    assert_eq!(
        node,
        &json!({ "ref": "#1001", "total": { "shopMoney": { "amount": "20.00" } } })
    );
    // 2 + 5 × (1 + 2)
    assert_eq!(body["extensions"]["cost"]["requestedQueryCost"], 17);
    assert_eq!(body["extensions"]["cost"]["actualQueryCost"], 5);
    assert_eq!(
        body["extensions"]["cost"]["throttleStatus"]["maximumAvailable"],
        2000.0
    );
    assert_eq!(node.get("id"), None);
}

#[tokio::test]
async fn unknown_fields_and_oversized_queries_are_graphql_errors() {
    let sim = sim().await;
    let token = sim.config().access_token.clone();
    let (status, body) = post(
        &sim,
        &token,
        "{ orders(first: 1) { nodes { colour } } }",
        json!({}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        body["errors"][0]["message"],
        "Field 'colour' doesn't exist on type 'Order'"
    );
    assert!(body.get("data").is_none());
    let big = "{ orders(first: 250) { nodes { lineItems(first: 250) { nodes { id } } } } }";
    let (_, body) = post(&sim, &token, big, json!({})).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "MAX_COST_EXCEEDED");
}

#[tokio::test]
async fn throttles_when_the_bucket_is_empty() {
    let sim = sim().await;
    let token = sim.config().access_token.clone();
    sim.drain_bucket();
    let (status, body) = post(
        &sim,
        &token,
        "{ orders(first: 10) { nodes { id } } }",
        json!({}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["errors"][0]["extensions"]["code"], "THROTTLED");
    assert_eq!(body["extensions"]["cost"]["requestedQueryCost"], 12);
    assert_eq!(sim.stats().throttled, 1);
}

#[tokio::test]
async fn set_quantities_is_compare_and_set_and_all_or_nothing() {
    let sim = sim().await;
    sim.add_product("B", "Beta", "1.00", 3);
    let token = sim.config().access_token.clone();
    let m = "mutation($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) { userErrors { field code } } }";
    let q = |item: String, qty: i64, from: Value| json!({ "inventoryItemId": item, "locationId": sim.location_gid(), "quantity": qty, "changeFromQuantity": from });
    let a = sim.inventory_item_gid("A").unwrap();
    let b = sim.inventory_item_gid("B").unwrap();
    let input = json!({ "input": { "name": "available", "reason": "correction", "referenceDocumentUri": "x://1",
        "quantities": [q(a.clone(), 1, json!(5)), q(b.clone(), 1, json!(99))] } });
    let (_, body) = post(&sim, &token, m, input).await;
    let errors = &body["data"]["inventorySetQuantities"]["userErrors"];
    assert_eq!(errors[0]["code"], "CHANGE_FROM_QUANTITY_STALE");
    assert_eq!(
        errors[0]["field"],
        json!(["input", "quantities", "1", "changeFromQuantity"])
    );
    assert_eq!((sim.stock("A"), sim.stock("B")), (Some(5), Some(3)));
    // Omitting changeFromQuantity is refused from 2026-04; explicit null opts out.
    let input = json!({ "input": { "name": "available", "reason": "correction", "referenceDocumentUri": "x://2",
        "quantities": [{ "inventoryItemId": a, "locationId": sim.location_gid(), "quantity": 1 }] } });
    let (_, body) = post(&sim, &token, m, input).await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("changeFromQuantity")
    );
    let input = json!({ "input": { "name": "available", "reason": "correction", "referenceDocumentUri": "x://3",
        "quantities": [q(b, 8, Value::Null)] } });
    let (_, body) = post(&sim, &token, m, input).await;
    assert_eq!(
        body["data"]["inventorySetQuantities"]["userErrors"],
        json!([])
    );
    assert_eq!(sim.stock("B"), Some(8));
    assert_eq!(sim.stats().stock_writes, 1);
}

#[tokio::test]
async fn a_second_fulfillment_of_the_same_items_is_a_user_error() {
    let sim = sim().await;
    let token = sim.config().access_token.clone();
    let id = sim
        .place_order(OrderSpec {
            lines: vec![("A".into(), 1)],
            paid: true,
            email: "e@example.com".into(),
            fate: WebhookFate::Lose,
        })
        .await;
    let (_, body) = post(
        &sim,
        &token,
        "query($id: ID!) { order(id: $id) { fulfillmentOrders(first: 1) { nodes { id status } } } }",
        json!({ "id": format!("gid://shopify/Order/{id}") }),
    )
    .await;
    let fo = body["data"]["order"]["fulfillmentOrders"]["nodes"][0]["id"].clone();
    let m = "mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) { fulfillment { id } userErrors { message } } }";
    let vars = json!({ "f": { "lineItemsByFulfillmentOrder": [{ "fulfillmentOrderId": fo }],
        "trackingInfo": { "company": "DHL", "number": "JD1" } } });
    let (_, body) = post(&sim, &token, m, vars.clone()).await;
    assert_eq!(body["data"]["fulfillmentCreate"]["userErrors"], json!([]));
    let (_, body) = post(&sim, &token, m, vars).await;
    assert_eq!(
        body["data"]["fulfillmentCreate"]["fulfillment"],
        Value::Null
    );
    assert!(
        !body["data"]["fulfillmentCreate"]["userErrors"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(sim.fulfillment_count(&id), 1);
    assert_eq!(sim.shipments(&id).len(), 1);
}
