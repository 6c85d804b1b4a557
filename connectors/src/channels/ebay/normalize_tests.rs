//! The normalizer on the project's own Fulfillment API order (`fixtures/order.json`).

use super::*;
use serde_json::json;

fn order() -> Value {
    serde_json::from_str(include_str!("fixtures/order.json")).expect("fixture is JSON")
}

fn normalize(v: &Value) -> Result<Order, NormalizeError> {
    normalize_body(v.to_string().as_bytes())
}

#[test]
fn paid_order_reads_in_full() {
    let o = normalize(&order()).unwrap();
    assert_eq!(o.channel_kind, ChannelKind::Ebay);
    assert_eq!(o.external_id, "07-14322-55810");
    assert_eq!(o.number, "07-14322-55810");
    assert_eq!(o.placed_at.to_rfc3339(), "2026-04-10T12:03:09+00:00");
    assert_eq!(o.updated_at.to_rfc3339(), "2026-04-10T12:05:41.250+00:00");
    assert_eq!(o.status, OrderStatus::Open);
    assert_eq!(o.payment_status, PaymentStatus::Paid);
    assert_eq!(o.currency, "EUR");
    assert_eq!(o.total.to_string(), "65.97");
    assert_eq!(o.lines.len(), 2);
    assert_eq!(o.lines[0].line_id, "10000000000101");
    assert_eq!(o.lines[0].sku.as_deref(), Some("LAMP-BRASS"));
    assert_eq!(o.lines[0].quantity, 2);
    assert_eq!(o.lines[0].unit_price.to_string(), "19.99");
    assert_eq!(o.lines[0].title, "Brass desk lamp");
    assert_eq!(o.lines[1].sku, None, "a listing without SKU");
    assert_eq!(o.lines[1].unit_price.to_string(), "21.49");
    let ship = o.ship_to.unwrap();
    assert_eq!(ship.name.as_deref(), Some("Hedda Strand"));
    assert_eq!(ship.company, None, "empty strings are null");
    assert_eq!(ship.address1.as_deref(), Some("Strandkaien 12"));
    assert_eq!(ship.address2.as_deref(), Some("Leil. 4"));
    assert_eq!(ship.city.as_deref(), Some("Bergen"));
    assert_eq!(ship.region, None);
    assert_eq!(ship.postal_code.as_deref(), Some("5013"));
    assert_eq!(ship.country_code.as_deref(), Some("NO"));
    assert_eq!(ship.phone.as_deref(), Some("+47 55 00 00 00"));
    assert_eq!(
        o.customer_email.as_deref(),
        Some("3a7f0c0d9e2b1a4c@members.ebay.com")
    );
}

#[test]
fn every_fulfillment_and_cancel_state_maps() {
    let cases = [
        ("NOT_STARTED", "NONE_REQUESTED", OrderStatus::Open),
        (
            "IN_PROGRESS",
            "NONE_REQUESTED",
            OrderStatus::PartiallyFulfilled,
        ),
        ("FULFILLED", "NONE_REQUESTED", OrderStatus::Fulfilled),
        ("NOT_STARTED", "IN_PROGRESS", OrderStatus::Open),
        ("NOT_STARTED", "CANCELED", OrderStatus::Cancelled),
        ("FULFILLED", "CANCELED", OrderStatus::Cancelled),
    ];
    for (fulfillment, cancel, want) in cases {
        let mut v = order();
        v["orderFulfillmentStatus"] = json!(fulfillment);
        v["cancelStatus"]["cancelState"] = json!(cancel);
        assert_eq!(
            normalize(&v).unwrap().status,
            want,
            "{fulfillment}/{cancel}"
        );
    }
    let mut v = order();
    v.as_object_mut().unwrap().remove("cancelStatus");
    assert_eq!(normalize(&v).unwrap().status, OrderStatus::Open);
}

#[test]
fn every_payment_status_maps() {
    let cases = [
        ("PENDING", PaymentStatus::Pending),
        ("PAID", PaymentStatus::Paid),
        ("PARTIALLY_REFUNDED", PaymentStatus::PartiallyRefunded),
        ("FULLY_REFUNDED", PaymentStatus::Refunded),
        ("FAILED", PaymentStatus::Voided),
    ];
    for (status, want) in cases {
        let mut v = order();
        v["orderPaymentStatus"] = json!(status);
        assert_eq!(normalize(&v).unwrap().payment_status, want, "{status}");
    }
}

#[test]
fn unknown_states_are_errors_naming_the_field() {
    let mut v = order();
    v["orderFulfillmentStatus"] = json!("SHIPPED_BY_OWL");
    assert_eq!(normalize(&v).unwrap_err().field, "orderFulfillmentStatus");
    let mut v = order();
    v["orderPaymentStatus"] = json!("MAYBE");
    assert_eq!(normalize(&v).unwrap_err().field, "orderPaymentStatus");
}

#[test]
fn broken_fields_are_named_by_path() {
    let mut v = order();
    v["lineItems"][1]["lineItemCost"]["value"] = json!("twelve");
    assert_eq!(
        normalize(&v).unwrap_err().field,
        "lineItems[1].lineItemCost.value"
    );
    let mut v = order();
    v["lineItems"][0]["quantity"] = json!(0);
    assert_eq!(normalize(&v).unwrap_err().field, "lineItems[0].quantity");
    let mut v = order();
    v["pricingSummary"]["total"]
        .as_object_mut()
        .unwrap()
        .remove("currency");
    assert_eq!(
        normalize(&v).unwrap_err().to_string(),
        "pricingSummary.total.currency: missing"
    );
    let mut v = order();
    v["creationDate"] = json!("yesterday");
    assert_eq!(normalize(&v).unwrap_err().field, "creationDate");
    let mut v = order();
    v["orderId"] = json!("");
    assert_eq!(normalize(&v).unwrap_err().field, "orderId");
    assert_eq!(normalize_body(b"[1]").unwrap_err().field, "body");
    assert_eq!(normalize_body(b"{").unwrap_err().field, "body");
}

#[test]
fn json_number_money_and_uneven_splits_stay_decimal() {
    let mut v = order();
    v["pricingSummary"]["total"]["value"] = json!(65.97);
    v["lineItems"][0]["lineItemCost"]["value"] = json!(10.0);
    v["lineItems"][0]["quantity"] = json!(3);
    let o = normalize(&v).unwrap();
    assert_eq!(o.total.to_string(), "65.97");
    assert_eq!(o.lines[0].unit_price.to_string(), "3.33");
}

#[test]
fn ship_to_email_stands_in_for_a_missing_buyer_email() {
    let mut v = order();
    v.as_object_mut().unwrap().remove("buyer");
    v["fulfillmentStartInstructions"][0]["shippingStep"]["shipTo"]["email"] =
        json!("relay@members.ebay.com");
    let o = normalize(&v).unwrap();
    assert_eq!(o.customer_email.as_deref(), Some("relay@members.ebay.com"));
    v.as_object_mut()
        .unwrap()
        .remove("fulfillmentStartInstructions");
    let o = normalize(&v).unwrap();
    assert_eq!(o.ship_to, None);
    assert_eq!(o.customer_email, None);
}

#[test]
fn ship_by_is_the_earliest_line_ship_by_date() {
    let o = normalize(&order()).unwrap();
    let at = |t: Option<DateTime<FixedOffset>>| t.map(|t| t.to_rfc3339());
    // lineItemFulfillmentInstructions.shipByDate: the second line's is earlier.
    assert_eq!(at(o.ship_by).as_deref(), Some("2026-04-12T21:59:59+00:00"));
    assert_eq!(
        at(o.deliver_by).as_deref(),
        Some("2026-04-17T07:00:00+00:00")
    );
    let mut v = order();
    for item in v["lineItems"].as_array_mut().unwrap() {
        item.as_object_mut()
            .unwrap()
            .remove("lineItemFulfillmentInstructions");
    }
    assert_eq!(normalize(&v).unwrap().ship_by, None);
    let mut v = order();
    v["lineItems"][1]["lineItemFulfillmentInstructions"]["shipByDate"] = json!("next week");
    assert_eq!(
        normalize(&v).unwrap_err().field,
        "lineItems[1].lineItemFulfillmentInstructions.shipByDate"
    );
}
