use serde_json::json;

use super::*;

const RECEIPT: &str = include_str!("fixtures/receipt.json");

fn fixture() -> Value {
    serde_json::from_str(RECEIPT).expect("fixture is JSON")
}

fn with(changes: Value) -> Value {
    let mut receipt = fixture();
    if let (Some(target), Some(changes)) = (receipt.as_object_mut(), changes.as_object()) {
        for (k, v) in changes {
            target.insert(k.clone(), v.clone());
        }
    }
    receipt
}

#[test]
fn a_paid_receipt_becomes_the_canonical_order() {
    let order = normalize_body(RECEIPT.as_bytes()).expect("normalizes");
    assert_eq!(order.channel_kind, ChannelKind::Etsy);
    assert_eq!(order.external_id, "3012345678");
    assert_eq!(order.number, "3012345678");
    assert_eq!(order.placed_at.to_rfc3339(), "2026-01-01T00:00:00+00:00");
    assert_eq!(order.updated_at.to_rfc3339(), "2026-01-01T01:00:05+00:00");
    assert_eq!(order.status, OrderStatus::Open);
    assert_eq!(order.payment_status, PaymentStatus::Paid);
    assert_eq!(order.currency, "USD");
    assert_eq!(order.total.to_string(), "34.49");
    assert_eq!(order.lines.len(), 2);
    assert_eq!(order.lines[0].line_id, "4100000001");
    assert_eq!(order.lines[0].sku.as_deref(), Some("MUG-BLUE"));
    assert_eq!(order.lines[0].quantity, 2);
    assert_eq!(order.lines[0].unit_price.to_string(), "12.50");
    assert_eq!(order.lines[0].title, "Stoneware mug");
    // An empty SKU is no SKU.
    assert_eq!(order.lines[1].sku, None);
    let ship_to = order.ship_to.expect("address");
    assert_eq!(ship_to.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(ship_to.address1.as_deref(), Some("12 Analytical Row"));
    assert_eq!(ship_to.address2, None);
    assert_eq!(ship_to.region.as_deref(), Some("NY"));
    assert_eq!(ship_to.postal_code.as_deref(), Some("11201"));
    assert_eq!(ship_to.country_code.as_deref(), Some("US"));
    assert_eq!(order.customer_email.as_deref(), Some("ada@example.com"));
}

#[test]
fn every_status_maps_as_documented() {
    use OrderStatus::*;
    use PaymentStatus::*;
    let cases = [
        ("open", true, false, Open, Paid),
        ("open", false, false, Open, Pending),
        ("payment processing", false, false, Open, Pending),
        ("paid", true, false, Open, Paid),
        ("paid", true, true, Fulfilled, Paid),
        ("completed", true, true, Fulfilled, Paid),
        ("Completed", true, true, Fulfilled, Paid),
        ("partially refunded", true, false, Open, PartiallyRefunded),
        (
            "partially refunded",
            true,
            true,
            Fulfilled,
            PartiallyRefunded,
        ),
        ("fully refunded", true, false, Cancelled, Refunded),
        ("canceled", true, false, Cancelled, Refunded),
        ("canceled", false, false, Cancelled, Voided),
    ];
    for (status, paid, shipped, want_status, want_payment) in cases {
        let receipt = with(json!({"status": status, "is_paid": paid, "is_shipped": shipped}));
        let order = normalize_receipt(&receipt).expect(status);
        assert_eq!(
            (order.status, order.payment_status),
            (want_status, want_payment),
            "{status} paid={paid} shipped={shipped}"
        );
    }
    let err = normalize_receipt(&with(json!({"status": "lost in the post"}))).unwrap_err();
    assert_eq!(err.field, "status");
}

#[test]
fn money_is_amount_over_divisor_exactly() {
    for (amount, divisor, want) in [
        (1250, 100, "12.50"),
        (1200, 100, "12.00"),
        (5, 100, "0.05"),
        (1500, 1, "1500"),
        (12345, 1000, "12.345"),
        (-250, 100, "-2.50"),
        (1, 4, "0.25"),
    ] {
        assert_eq!(
            money_from_parts(amount, divisor).unwrap().to_string(),
            want,
            "{amount}/{divisor}"
        );
    }
    assert_eq!(money_from_parts(1, 0), None);
    let jpy = with(json!({"grandtotal": {"amount": 1500, "divisor": 1, "currency_code": "JPY"}}));
    let order = normalize_receipt(&jpy).unwrap();
    assert_eq!(
        (order.total.to_string().as_str(), order.currency.as_str()),
        ("1500", "JPY")
    );
}

#[test]
fn errors_name_the_field_path() {
    let mut receipt = fixture();
    receipt["transactions"][1]["price"]["divisor"] = json!(0);
    let err = normalize_receipt(&receipt).unwrap_err();
    assert_eq!(err.field, "transactions[1].price.divisor");

    let mut receipt = fixture();
    receipt["transactions"][0]["price"]["amount"] = json!("12.50");
    let err = normalize_receipt(&receipt).unwrap_err();
    assert_eq!(err.field, "transactions[0].price.amount");

    let mut receipt = fixture();
    receipt["transactions"][0]["quantity"] = json!(-1);
    assert_eq!(
        normalize_receipt(&receipt).unwrap_err().field,
        "transactions[0].quantity"
    );

    let err = normalize_receipt(&with(json!({"create_timestamp": "yesterday"}))).unwrap_err();
    assert_eq!(err.field, "create_timestamp");
    let err = normalize_receipt(&with(json!({"receipt_id": null}))).unwrap_err();
    assert_eq!(err.to_string(), "receipt_id: missing");
    let err = normalize_receipt(&with(json!({"grandtotal": null}))).unwrap_err();
    assert_eq!(err.field, "grandtotal");
    assert_eq!(normalize_body(b"<html>").unwrap_err().field, "receipt");
}

#[test]
fn the_plural_timestamp_names_are_read_when_the_singular_are_absent() {
    let mut receipt = fixture();
    if let Some(map) = receipt.as_object_mut() {
        map.remove("create_timestamp");
        map.remove("update_timestamp");
    }
    let order = normalize_receipt(&receipt).unwrap();
    assert_eq!(order.updated_at.to_rfc3339(), "2026-01-01T01:00:05+00:00");
}

#[test]
fn a_receipt_without_an_address_has_no_ship_to() {
    let receipt = with(json!({
        "name": "", "first_line": null, "second_line": null, "city": null,
        "state": null, "zip": null, "country_iso": null
    }));
    assert_eq!(normalize_receipt(&receipt).unwrap().ship_to, None);
}

#[test]
fn ship_by_is_the_earliest_expected_ship_date() {
    let order = normalize_body(RECEIPT.as_bytes()).expect("normalizes");
    // transactions[].expected_ship_date (epoch seconds): 2026-01-03 beats 2026-01-04.
    assert_eq!(
        order.ship_by.map(|t| t.to_rfc3339()).as_deref(),
        Some("2026-01-03T00:00:00+00:00")
    );
    assert_eq!(order.deliver_by, None, "Etsy gives no delivery promise");
    let mut v = fixture();
    v["transactions"][1]["expected_ship_date"] = Value::Null;
    v["transactions"][0]
        .as_object_mut()
        .unwrap()
        .remove("expected_ship_date");
    let order = normalize_body(v.to_string().as_bytes()).expect("normalizes");
    assert_eq!(order.ship_by, None);
    let mut v = fixture();
    v["transactions"][0]["expected_ship_date"] = json!("tomorrow");
    assert_eq!(
        normalize_body(v.to_string().as_bytes()).unwrap_err().field,
        "transactions[0].expected_ship_date"
    );
}
