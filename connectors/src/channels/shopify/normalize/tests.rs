//! The normalizer against the project's own fixtures (REST webhook, wrapped, GraphQL node).

use serde_json::{Value, json};
use switchyard_core::model::{OrderStatus, PaymentStatus};

use super::*;
use crate::channels::shopify::dedup::{graphql_identity, rest_identity};

const REST: &str = include_str!("../fixtures/rest_order.json");
const GRAPHQL: &str = include_str!("../fixtures/graphql_order.json");

fn rest() -> Value {
    serde_json::from_str(REST).unwrap()
}

fn bytes(v: &Value) -> Vec<u8> {
    v.to_string().into_bytes()
}

#[test]
fn rest_order_normalizes_to_the_canonical_shape() {
    let o = normalize_any(REST.as_bytes()).unwrap();
    assert_eq!(o.external_id, "7310001234567");
    assert_eq!(o.number, "#2041");
    assert_eq!(o.placed_at.to_rfc3339(), "2026-03-14T09:26:53-05:00");
    assert_eq!(o.status, OrderStatus::Open);
    assert_eq!(o.payment_status, PaymentStatus::Paid);
    assert_eq!(o.currency, "CAD");
    assert_eq!(o.total.to_string(), "87.45");
    assert_eq!(o.lines.len(), 3);
    assert_eq!(o.lines[0].line_id, "16880000000011");
    assert_eq!(o.lines[0].sku.as_deref(), Some("TEA-OOLONG-100G"));
    assert_eq!(o.lines[0].unit_price.to_string(), "18.70");
    // A JSON number price stays exact and gets two decimals.
    assert_eq!(o.lines[1].unit_price.to_string(), "40.00");
    // Empty SKU means no SKU.
    assert_eq!(o.lines[2].sku, None);
    let ship = o.ship_to.unwrap();
    assert_eq!(ship.name.as_deref(), Some("Maria Silva"));
    assert_eq!(ship.company, None);
    assert_eq!(ship.address2, None);
    assert_eq!(ship.region.as_deref(), Some("QC"));
    assert_eq!(ship.postal_code.as_deref(), Some("H3B 1A6"));
    assert_eq!(ship.country_code.as_deref(), Some("CA"));
    // `email` is empty, so `contact_email` is used.
    assert_eq!(o.customer_email.as_deref(), Some("maria.silva@example.net"));
    // Shopify's order carries no ship-by or delivery promise: the channel's
    // `handling_time_secs` supplies the ship-by (core::lifecycle).
    assert_eq!((o.ship_by, o.deliver_by), (None, None));
}

#[test]
fn wrapped_rest_order_reads_the_same() {
    let wrapped = json!({ "order": rest() });
    assert_eq!(
        normalize_any(&bytes(&wrapped)).unwrap(),
        normalize_any(REST.as_bytes()).unwrap()
    );
    assert_eq!(
        normalize_rest(&bytes(&wrapped)).unwrap(),
        normalize_rest(REST.as_bytes()).unwrap()
    );
}

#[test]
fn graphql_node_gives_the_same_order_and_dedup_key() {
    let g = normalize_any(GRAPHQL.as_bytes()).unwrap();
    let r = normalize_any(REST.as_bytes()).unwrap();
    assert_eq!(g.external_id, r.external_id);
    assert_eq!(g.placed_at, r.placed_at, "same instant");
    assert_eq!(g.updated_at, r.updated_at);
    assert_eq!(g.status, r.status);
    assert_eq!(g.payment_status, r.payment_status);
    assert_eq!(g.total, r.total);
    assert_eq!(g.lines.len(), 3);
    for (a, b) in g.lines.iter().zip(&r.lines) {
        assert_eq!(
            (&a.line_id, &a.sku, a.quantity, &a.title),
            (&b.line_id, &b.sku, b.quantity, &b.title)
        );
        assert_eq!(a.unit_price, b.unit_price);
    }
    assert_eq!(g.ship_to, r.ship_to);
    let gv: Value = serde_json::from_str(GRAPHQL).unwrap();
    assert_eq!(
        graphql_identity(gv.as_object().unwrap()),
        rest_identity(rest().as_object().unwrap())
    );
    assert_eq!(
        normalize_graphql(GRAPHQL.as_bytes()).unwrap(),
        g,
        "the explicit GraphQL entry point agrees with detection"
    );
}

#[test]
fn graphql_edges_are_read_too() {
    let mut v: Value = serde_json::from_str(GRAPHQL).unwrap();
    let nodes = v["lineItems"]["nodes"].take();
    let edges: Vec<Value> = nodes
        .as_array()
        .unwrap()
        .iter()
        .map(|n| json!({ "node": n }))
        .collect();
    v["lineItems"] = json!({ "edges": edges });
    assert_eq!(normalize_any(&bytes(&v)).unwrap().lines.len(), 3);
}

#[test]
fn cancelled_and_fulfillment_statuses() {
    let mut v = rest();
    v["cancelled_at"] = json!("2026-03-15T10:00:00-05:00");
    v["financial_status"] = json!("refunded");
    let o = normalize_any(&bytes(&v)).unwrap();
    assert_eq!(o.status, OrderStatus::Cancelled);
    assert_eq!(o.payment_status, PaymentStatus::Refunded);

    let mut v = rest();
    v["fulfillment_status"] = json!("partial");
    v["financial_status"] = json!("partially_paid");
    let o = normalize_any(&bytes(&v)).unwrap();
    assert_eq!(o.status, OrderStatus::PartiallyFulfilled);
    assert_eq!(o.payment_status, PaymentStatus::Pending);

    let mut v = rest();
    v["fulfillment_status"] = json!("fulfilled");
    v["financial_status"] = json!("expired");
    let o = normalize_any(&bytes(&v)).unwrap();
    assert_eq!(o.status, OrderStatus::Fulfilled);
    assert_eq!(o.payment_status, PaymentStatus::Voided);

    let mut g: Value = serde_json::from_str(GRAPHQL).unwrap();
    g["displayFulfillmentStatus"] = json!("PARTIALLY_FULFILLED");
    g["displayFinancialStatus"] = json!("AUTHORIZED");
    let o = normalize_any(&bytes(&g)).unwrap();
    assert_eq!(o.status, OrderStatus::PartiallyFulfilled);
    assert_eq!(o.payment_status, PaymentStatus::Authorized);
    g["cancelledAt"] = json!("2026-03-15T15:00:00Z");
    assert_eq!(
        normalize_any(&bytes(&g)).unwrap().status,
        OrderStatus::Cancelled
    );
}

#[test]
fn number_prices_keep_their_digits() {
    let mut v = rest();
    v["total_price"] = json!(29.95);
    v["line_items"][0]["price"] = json!(0.1);
    let o = normalize_any(&bytes(&v)).unwrap();
    assert_eq!(o.total.to_string(), "29.95");
    assert_eq!(o.lines[0].unit_price.to_string(), "0.10");
}

#[test]
fn missing_or_bad_fields_are_named() {
    type Mutation = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(Mutation, &str)> = vec![
        (
            Box::new(|v| v["line_items"][2]["quantity"] = json!("one")),
            "line_items[2].quantity",
        ),
        (
            Box::new(|v| {
                v.as_object_mut().unwrap().remove("id");
            }),
            "id",
        ),
        (
            Box::new(|v| v["total_price"] = json!("lots")),
            "total_price",
        ),
        (
            Box::new(|v| v["created_at"] = json!("yesterday")),
            "created_at",
        ),
        (
            Box::new(|v| v["financial_status"] = json!("bartered")),
            "financial_status",
        ),
        (
            Box::new(|v| v["line_items"][1]["price"] = Value::Null),
            "line_items[1].price",
        ),
        (Box::new(|v| v["line_items"] = json!({})), "line_items"),
    ];
    for (mutate, field) in cases {
        let mut v = rest();
        mutate(&mut v);
        let err = normalize_any(&bytes(&v)).unwrap_err();
        assert_eq!(err.field, field, "{err}");
    }
    let mut g: Value = serde_json::from_str(GRAPHQL).unwrap();
    g["lineItems"]["nodes"][1]["quantity"] = Value::Null;
    let err = normalize_any(&bytes(&g)).unwrap_err();
    assert_eq!(err.field, "lineItems.nodes[1].quantity");
    let mut g: Value = serde_json::from_str(GRAPHQL).unwrap();
    g["totalPriceSet"]["shopMoney"]
        .as_object_mut()
        .unwrap()
        .remove("amount");
    assert_eq!(
        normalize_any(&bytes(&g)).unwrap_err().field,
        "totalPriceSet.shopMoney.amount"
    );
    assert_eq!(normalize_any(b"not json").unwrap_err().field, "body");
    assert_eq!(normalize_any(b"[1]").unwrap_err().field, "order");
}

#[test]
fn no_shipping_address_and_customer_email_fallback() {
    let mut v = rest();
    v["shipping_address"] = Value::Null;
    v["contact_email"] = Value::Null;
    let o = normalize_any(&bytes(&v)).unwrap();
    assert_eq!(o.ship_to, None);
    assert_eq!(o.customer_email.as_deref(), Some("maria@customer.example"));
}

#[test]
fn order_and_customer_tags_are_read_from_both_shapes() {
    let mut r = rest();
    r["tags"] = json!("vip, wholesale ,,");
    r["customer"]["tags"] = json!("returning");
    let o = normalize_any(&bytes(&r)).unwrap();
    assert_eq!(o.tags, ["vip", "wholesale"]);
    assert_eq!(o.customer_tags, ["returning"]);

    let mut g: Value = serde_json::from_str(GRAPHQL).unwrap();
    g["tags"] = json!(["vip", "gift"]);
    g["customer"] = json!({"tags": ["b2b"]});
    let o = normalize_any(&bytes(&g)).unwrap();
    assert_eq!(o.tags, ["vip", "gift"]);
    assert_eq!(o.customer_tags, ["b2b"]);

    // No tags in the payload: none on the order.
    let o = normalize_any(REST.as_bytes()).unwrap();
    assert!(o.tags.is_empty() && o.customer_tags.is_empty());

    g["tags"] = json!([1]);
    let err = normalize_any(&bytes(&g)).unwrap_err();
    assert_eq!(err.field, "tags[0]");
    r["customer"]["tags"] = json!(7);
    let err = normalize_any(&bytes(&r)).unwrap_err();
    assert_eq!(err.field, "customer.tags");
}

#[test]
fn risk_level_is_the_most_alarming_assessment() {
    // risk.assessments[].riskLevel: LOW and MEDIUM → medium. REST orders carry none.
    let g = normalize_any(GRAPHQL.as_bytes()).unwrap();
    assert_eq!(g.risk_level, Some(RiskLevel::Medium));
    assert_eq!(normalize_any(REST.as_bytes()).unwrap().risk_level, None);
    let mut v: Value = serde_json::from_str(GRAPHQL).unwrap();
    v["risk"]["assessments"] = json!([{"riskLevel": "PENDING"}, {"riskLevel": "SOMETHING_NEW"}]);
    let o = normalize_any(v.to_string().as_bytes()).unwrap();
    assert_eq!(o.risk_level, Some(RiskLevel::Pending));
    v["risk"]["assessments"] = json!([]);
    assert_eq!(
        normalize_any(v.to_string().as_bytes()).unwrap().risk_level,
        None
    );
}
