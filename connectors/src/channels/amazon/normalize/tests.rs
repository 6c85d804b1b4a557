use serde_json::{Value, json};
use switchyard_core::model::{OrderStatus, PaymentStatus};

use super::*;

const GET_ORDER_2026: &[u8] = include_bytes!("../fixtures/orders2026_get_order.json");
const SEARCH_FBA_2026: &[u8] = include_bytes!("../fixtures/orders2026_search_fba.json");
const V0_COMPOSITE: &[u8] = include_bytes!("../fixtures/ordersV0_composite.json");

fn parse(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("fixture is JSON")
}

#[test]
fn a_2026_get_order_response_normalizes() {
    let order = normalize_body(GET_ORDER_2026).expect("normalizes");
    assert_eq!(order.external_id, "113-5550001-0000001");
    assert_eq!(order.number, "113-5550001-0000001");
    assert_eq!(order.placed_at.to_rfc3339(), "2026-04-02T10:11:12+00:00");
    assert_eq!(order.status, OrderStatus::Open);
    assert_eq!(order.payment_status, PaymentStatus::Paid);
    assert_eq!(order.currency, "USD");
    assert_eq!(order.total.to_string(), "61.40");
    assert_eq!(order.lines.len(), 2);
    assert_eq!(order.lines[0].sku.as_deref(), Some("MUG-ENAMEL-350"));
    assert_eq!(order.lines[0].quantity, 2);
    assert_eq!(order.lines[0].unit_price.to_string(), "18.50");
    // An empty SKU is no SKU, and a JSON number keeps its digits.
    assert_eq!(order.lines[1].sku, None);
    assert_eq!(order.lines[1].unit_price.to_string(), "4.40");
    let ship_to = order.ship_to.clone().expect("address");
    assert_eq!(ship_to.address2.as_deref(), Some("Unit 7"));
    assert_eq!(ship_to.company, None);
    assert_eq!(ship_to.phone, None);
    assert_eq!(ship_to.country_code.as_deref(), Some("US"));
    assert_eq!(
        order.customer_email.as_deref(),
        Some("rosa.lind@marketplace.example")
    );
    assert!(!order.fulfilled_by_channel);
    assert!(order.is_routable());
}

#[test]
fn a_bare_2026_search_element_keeps_its_offset_and_flags_fba() {
    let order = normalize_body(SEARCH_FBA_2026).expect("normalizes");
    assert_eq!(order.placed_at.to_rfc3339(), "2026-03-04T09:15:00+09:00");
    assert_eq!(order.status, OrderStatus::Fulfilled);
    assert_eq!(order.total.to_string(), "3200");
    assert_eq!(order.customer_email, None);
    assert_eq!(order.ship_to, None);
    assert!(order.fulfilled_by_channel);
    assert!(!order.reserves_stock());
}

#[test]
fn a_v0_composite_normalizes_with_unit_prices_from_line_totals() {
    let order = normalize_body(V0_COMPOSITE).expect("normalizes");
    assert_eq!(order.external_id, "114-5550003-0000003");
    assert_eq!(order.updated_at.to_rfc3339(), "2026-05-06T07:38:10+00:00");
    assert_eq!(order.status, OrderStatus::Open);
    assert_eq!(order.payment_status, PaymentStatus::Paid);
    assert_eq!(order.total.to_string(), "33.00");
    assert_eq!(order.lines[0].quantity, 3);
    assert_eq!(order.lines[0].unit_price.to_string(), "10.00");
    assert_eq!(order.lines[0].sku.as_deref(), Some("CANDLE-CEDAR"));
    assert_eq!(
        order.ship_to.as_ref().and_then(|a| a.city.as_deref()),
        Some("Duluth")
    );
    assert_eq!(
        order.customer_email.as_deref(),
        Some("kai.moss@marketplace.example")
    );
    assert!(!order.fulfilled_by_channel);
}

#[test]
fn every_2026_status_maps() {
    let cases = [
        (
            "PENDING_AVAILABILITY",
            OrderStatus::Open,
            PaymentStatus::Pending,
        ),
        ("PENDING", OrderStatus::Open, PaymentStatus::Pending),
        ("UNSHIPPED", OrderStatus::Open, PaymentStatus::Paid),
        (
            "PARTIALLY_SHIPPED",
            OrderStatus::PartiallyFulfilled,
            PaymentStatus::Paid,
        ),
        ("SHIPPED", OrderStatus::Fulfilled, PaymentStatus::Paid),
        ("CANCELLED", OrderStatus::Cancelled, PaymentStatus::Voided),
        (
            "UNFULFILLABLE",
            OrderStatus::Cancelled,
            PaymentStatus::Voided,
        ),
    ];
    for (text, status, payment) in cases {
        let mut v = parse(SEARCH_FBA_2026);
        v["fulfillment"]["fulfillmentStatus"] = json!(text);
        let order = normalize_value(&v).expect(text);
        assert_eq!(
            (order.status, order.payment_status),
            (status, payment),
            "{text}"
        );
    }
}

#[test]
fn every_v0_status_maps_and_afn_is_fba() {
    let cases = [
        (
            "PendingAvailability",
            OrderStatus::Open,
            PaymentStatus::Pending,
        ),
        ("Pending", OrderStatus::Open, PaymentStatus::Pending),
        ("Unshipped", OrderStatus::Open, PaymentStatus::Paid),
        (
            "PartiallyShipped",
            OrderStatus::PartiallyFulfilled,
            PaymentStatus::Paid,
        ),
        ("Shipped", OrderStatus::Fulfilled, PaymentStatus::Paid),
        (
            "InvoiceUnconfirmed",
            OrderStatus::Fulfilled,
            PaymentStatus::Paid,
        ),
        ("Canceled", OrderStatus::Cancelled, PaymentStatus::Voided),
        (
            "Unfulfillable",
            OrderStatus::Cancelled,
            PaymentStatus::Voided,
        ),
    ];
    for (text, status, payment) in cases {
        let mut v = parse(V0_COMPOSITE);
        v["Order"]["OrderStatus"] = json!(text);
        v["Order"]["FulfillmentChannel"] = json!("AFN");
        let order = normalize_value(&v).expect(text);
        assert_eq!(
            (order.status, order.payment_status),
            (status, payment),
            "{text}"
        );
        assert!(order.fulfilled_by_channel);
    }
}

#[test]
fn a_pending_v0_order_without_prices_is_still_read() {
    let mut v = parse(V0_COMPOSITE);
    v["Order"]["OrderStatus"] = json!("Pending");
    v["Order"].as_object_mut().map(|o| o.remove("OrderTotal"));
    v["OrderItems"][0]
        .as_object_mut()
        .map(|o| o.remove("ItemPrice"));
    let order = normalize_value(&v).expect("pending orders are kept");
    assert_eq!(order.currency, "USD", "from the marketplace");
    assert_eq!(order.total.to_string(), "0");
    assert_eq!(order.payment_status, PaymentStatus::Pending);
    assert!(order.reserves_stock() && !order.is_routable());
    v["Order"]["MarketplaceId"] = json!("UNKNOWN");
    let err = normalize_value(&v).unwrap_err();
    assert_eq!(err.field, "Order.OrderTotal");
    let mut priced = parse(V0_COMPOSITE);
    priced["Order"]
        .as_object_mut()
        .map(|o| o.remove("OrderTotal"));
    let order = normalize_value(&priced).expect("sums the lines");
    assert_eq!(order.total.to_string(), "30.00");
}

#[test]
fn errors_name_the_field_path() {
    let mut v = parse(GET_ORDER_2026);
    v["order"]["orderItems"][1]["product"]["price"]["unitPrice"]["amount"] = json!("4,40");
    let err = normalize_value(&v).unwrap_err();
    assert_eq!(
        err.field,
        "order.orderItems[1].product.price.unitPrice.amount"
    );

    let mut v = parse(GET_ORDER_2026);
    v["order"]["fulfillment"]["fulfillmentStatus"] = json!("LOST_IN_SPACE");
    assert_eq!(
        normalize_value(&v).unwrap_err().field,
        "order.fulfillment.fulfillmentStatus"
    );

    let mut v = parse(V0_COMPOSITE);
    v["OrderItems"][0]["QuantityOrdered"] = json!(-1);
    assert_eq!(
        normalize_value(&v).unwrap_err().field,
        "OrderItems[0].QuantityOrdered"
    );

    let mut v = parse(SEARCH_FBA_2026);
    v["createdTime"] = json!("yesterday");
    assert_eq!(normalize_value(&v).unwrap_err().field, "createdTime");

    assert_eq!(normalize_body(b"[]").unwrap_err().field, "body");
    assert_eq!(normalize_body(b"{}").unwrap_err().field, "body");
}

#[test]
fn versions_are_read_from_every_shape() {
    let v = version_of(&parse(GET_ORDER_2026)).expect("version");
    assert_eq!(v.order_id, "113-5550001-0000001");
    assert!(v.updated_at.is_some());
    let v = version_of(&parse(SEARCH_FBA_2026)).expect("version");
    assert_eq!(
        v.updated_at.map(|t| t.to_rfc3339()),
        Some("2026-03-04T03:00:30+00:00".into())
    );
    let v = version_of(&parse(V0_COMPOSITE)).expect("version");
    assert_eq!(v.order_id, "114-5550003-0000003");
    assert_eq!(version_of(&json!({"orderId": ""})), None);
}

#[test]
fn ship_by_and_deliver_by_come_from_the_promised_windows() {
    // 2026: fulfillment.shipByWindow / deliverByWindow, the windows' latestDateTime.
    let order = normalize_body(GET_ORDER_2026).expect("normalizes");
    let at = |t: Option<chrono::DateTime<chrono::FixedOffset>>| t.map(|t| t.to_rfc3339());
    assert_eq!(
        at(order.ship_by).as_deref(),
        Some("2026-04-04T06:59:59+00:00")
    );
    assert_eq!(
        at(order.deliver_by).as_deref(),
        Some("2026-04-09T06:59:59+00:00")
    );
    // v0: LatestShipDate / LatestDeliveryDate.
    let order = normalize_body(V0_COMPOSITE).expect("normalizes");
    assert_eq!(
        at(order.ship_by).as_deref(),
        Some("2026-05-08T06:59:59+00:00")
    );
    assert_eq!(
        at(order.deliver_by).as_deref(),
        Some("2026-05-14T06:59:59+00:00")
    );
    // Absent (FBA, old orders): none; unreadable: the error names the field.
    let order = normalize_body(SEARCH_FBA_2026).expect("normalizes");
    assert_eq!(order.ship_by, None);
    let mut v = parse(V0_COMPOSITE);
    v["Order"]["LatestShipDate"] = json!("soon");
    let err = normalize_body(v.to_string().as_bytes()).unwrap_err();
    assert_eq!(err.field, "Order.LatestShipDate");
    let mut v = parse(GET_ORDER_2026);
    v["order"]["fulfillment"]["shipByWindow"]["latestDateTime"] = json!(7);
    let err = normalize_body(v.to_string().as_bytes()).unwrap_err();
    assert_eq!(err.field, "order.fulfillment.shipByWindow.latestDateTime");
}
