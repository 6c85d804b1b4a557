//! Normalizer tests on the project's own Walmart-shaped fixtures.

use super::*;
use serde_json::json;

fn fixture() -> Value {
    serde_json::from_str(include_str!("fixtures/order_two_lines.json")).expect("fixture is JSON")
}

/// Per line, its `(status, units)` entries.
type LineStatuses<'a> = &'a [&'a [(&'a str, u32)]];

/// The fixture with every line in the given statuses: `(status, units)` per status entry.
fn with_statuses(per_line: LineStatuses<'_>) -> Value {
    let mut order = fixture();
    for (i, statuses) in per_line.iter().enumerate() {
        let entries: Vec<Value> = statuses
            .iter()
            .map(|(status, units)| {
                json!({"status": status,
                       "statusQuantity": {"unitOfMeasurement": "EACH", "amount": units.to_string()}})
            })
            .collect();
        order["orderLines"]["orderLine"][i]["orderLineStatuses"]["orderLineStatus"] =
            Value::Array(entries);
    }
    order
}

#[test]
fn reads_every_canonical_field() {
    let order = normalize_value(&fixture()).expect("normalizes");
    assert_eq!(order.channel_kind, ChannelKind::Walmart);
    assert_eq!(order.external_id, "4810000000117");
    assert_eq!(order.number, "7300000000552");
    assert_eq!(order.placed_at.to_rfc3339(), "2026-04-10T10:00:00+00:00");
    // The newest line statusDate (line 2), not the order date.
    assert_eq!(order.updated_at.to_rfc3339(), "2026-04-10T10:02:00+00:00");
    assert_eq!(order.status, OrderStatus::Open);
    assert_eq!(order.payment_status, PaymentStatus::Paid);
    assert_eq!(order.currency, "USD");
    // 29.90 + 2.39 tax + 4.50 shipping + 12.00 + 0.96 tax.
    assert_eq!(order.total.to_string(), "49.75");
    assert_eq!(order.lines.len(), 2);
    assert_eq!(order.lines[0].line_id, "1");
    assert_eq!(order.lines[0].sku.as_deref(), Some("MUG-ENAMEL-12"));
    assert_eq!(order.lines[0].quantity, 2);
    assert_eq!(order.lines[0].unit_price.to_string(), "14.95");
    assert_eq!(order.lines[0].title, "Enamel Camp Mug, 12 oz");
    assert_eq!(order.lines[1].unit_price.to_string(), "12.00");
    let ship_to = order.ship_to.expect("ship_to");
    assert_eq!(ship_to.name.as_deref(), Some("Rosa Delgado"));
    assert_eq!(ship_to.address2, None, "empty strings become null");
    assert_eq!(ship_to.region.as_deref(), Some("OR"));
    assert_eq!(ship_to.postal_code.as_deref(), Some("97205"));
    assert_eq!(ship_to.country_code.as_deref(), Some("US"));
    assert_eq!(ship_to.phone.as_deref(), Some("5035550147"));
    assert_eq!(
        order.customer_email.as_deref(),
        Some("shopper.one@relay.example.com")
    );
}

#[test]
fn the_wrapped_single_order_shape_reads_the_same() {
    let wrapped = json!({ "order": fixture() });
    let a = normalize_body(wrapped.to_string().as_bytes()).unwrap();
    let b = normalize_body(fixture().to_string().as_bytes()).unwrap();
    assert_eq!(a, b);
}

#[test]
fn line_statuses_map_to_the_order_status() {
    let cases: [(LineStatuses<'_>, OrderStatus); 8] = [
        (&[&[("Created", 2)], &[("Created", 1)]], OrderStatus::Open),
        (
            &[&[("Acknowledged", 2)], &[("Created", 1)]],
            OrderStatus::Open,
        ),
        (
            &[&[("Shipped", 2)], &[("Shipped", 1)]],
            OrderStatus::Fulfilled,
        ),
        (
            &[&[("Delivered", 2)], &[("Shipped", 1)]],
            OrderStatus::Fulfilled,
        ),
        (
            &[&[("Shipped", 2)], &[("Acknowledged", 1)]],
            OrderStatus::PartiallyFulfilled,
        ),
        (
            &[
                &[("Shipped", 1), ("Acknowledged", 1)],
                &[("Acknowledged", 1)],
            ],
            OrderStatus::PartiallyFulfilled,
        ),
        (
            &[&[("Cancelled", 2)], &[("Cancelled", 1)]],
            OrderStatus::Cancelled,
        ),
        // A cancelled line beside shipped ones: everything that can ship has shipped.
        (
            &[&[("Cancelled", 2)], &[("Shipped", 1)]],
            OrderStatus::Fulfilled,
        ),
    ];
    for (lines, want) in cases {
        let order = normalize_value(&with_statuses(lines)).expect("normalizes");
        assert_eq!(order.status, want, "{lines:?}");
    }
}

#[test]
fn errors_name_the_field_path() {
    let mut order = fixture();
    order["orderLines"]["orderLine"][1]["charges"]["charge"][0]["chargeAmount"]["amount"] =
        json!("twelve");
    let err = normalize_value(&order).unwrap_err();
    assert_eq!(
        err.field,
        "orderLines.orderLine[1].charges.charge[0].chargeAmount.amount"
    );

    let unknown = with_statuses(&[&[("Lost", 2)], &[("Created", 1)]]);
    let err = normalize_value(&unknown).unwrap_err();
    assert_eq!(
        err.field,
        "orderLines.orderLine[0].orderLineStatuses.orderLineStatus[0].status"
    );
    assert!(err.problem.contains("Lost"), "{err}");

    let mut order = fixture();
    order["orderLines"]["orderLine"][0]["orderLineQuantity"]["amount"] = json!("1.5");
    let err = normalize_value(&order).unwrap_err();
    assert_eq!(
        err.field,
        "orderLines.orderLine[0].orderLineQuantity.amount"
    );

    let mut order = fixture();
    order["orderDate"] = json!("yesterday");
    assert_eq!(normalize_value(&order).unwrap_err().field, "orderDate");

    let mut order = fixture();
    order["purchaseOrderId"] = json!("");
    assert_eq!(
        normalize_value(&order).unwrap_err().field,
        "purchaseOrderId"
    );

    let err = normalize_body(b"<html>").unwrap_err();
    assert_eq!(err.field, "body");
}

#[test]
fn an_order_without_line_status_dates_is_versioned_by_its_order_date() {
    let mut order = fixture();
    for line in order["orderLines"]["orderLine"].as_array_mut().unwrap() {
        line.as_object_mut().unwrap().remove("statusDate");
    }
    let order = normalize_value(&order).unwrap();
    assert_eq!(order.updated_at, order.placed_at);
}

#[test]
fn mixed_currencies_are_refused() {
    let mut order = fixture();
    order["orderLines"]["orderLine"][1]["charges"]["charge"][0]["chargeAmount"]["currency"] =
        json!("CAD");
    order["orderLines"]["orderLine"][1]["charges"]["charge"][0]["tax"] = Value::Null;
    let err = normalize_value(&order).unwrap_err();
    assert!(err.field.starts_with("orderLines.orderLine[1]"), "{err}");
}

#[test]
fn ship_by_and_deliver_by_are_the_estimated_dates() {
    let o = normalize_value(&fixture()).unwrap();
    // shippingInfo.estimatedShipDate / estimatedDeliveryDate, epoch milliseconds.
    assert_eq!(
        o.ship_by.map(|t| t.timestamp_millis()),
        Some(1_775_901_600_000)
    );
    assert_eq!(
        o.deliver_by.map(|t| t.timestamp_millis()),
        Some(1_776_160_800_000)
    );
    let mut v = fixture();
    v["shippingInfo"]["estimatedShipDate"] = json!("2026-04-11");
    assert_eq!(
        normalize_value(&v).unwrap_err().field,
        "shippingInfo.estimatedShipDate"
    );
    let mut v = fixture();
    v["shippingInfo"]
        .as_object_mut()
        .unwrap()
        .remove("estimatedShipDate");
    assert_eq!(normalize_value(&v).unwrap().ship_by, None);
}
