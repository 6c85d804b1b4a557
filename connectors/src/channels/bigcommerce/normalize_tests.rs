use super::*;
use serde_json::json;

const ORDER: &str = include_str!("fixtures/order.json");

fn fixture() -> Value {
    serde_json::from_str(ORDER).expect("fixture is JSON")
}

fn with(field: &str, value: Value) -> Value {
    let mut order = fixture();
    order[field] = value;
    order
}

#[test]
fn reads_the_composed_fixture() {
    let order = normalize_body(ORDER.as_bytes()).expect("normalizes");
    assert_eq!(order.channel_kind, ChannelKind::Bigcommerce);
    assert_eq!(order.external_id, "4107");
    assert_eq!(order.number, "4107");
    assert_eq!(order.placed_at.to_rfc3339(), "2026-02-14T09:30:00-05:00");
    assert_eq!(order.updated_at.to_rfc3339(), "2026-02-15T10:45:12-05:00");
    assert_eq!(order.status, OrderStatus::Open);
    assert_eq!(order.payment_status, PaymentStatus::Paid);
    assert_eq!(order.currency, "CAD");
    assert_eq!(order.total.to_string(), "97.635");
    assert_eq!(order.lines.len(), 2);
    assert_eq!(order.lines[0].line_id, "881");
    assert_eq!(order.lines[0].sku.as_deref(), Some("BOARD-BIRCH-L"));
    // V2 orders have no ship-by or delivery promise (`date_shipped` is the past, not a
    // deadline): the channel's `handling_time_secs` supplies the ship-by.
    assert_eq!((order.ship_by, order.deliver_by), (None, None));
    assert_eq!(order.lines[0].quantity, 2);
    assert_eq!(order.lines[0].unit_price.to_string(), "31.50");
    assert_eq!(order.lines[0].title, "Birch Cutting Board");
    assert_eq!(order.lines[1].sku, None);
    let ship_to = order.ship_to.expect("ship_to");
    assert_eq!(ship_to.name.as_deref(), Some("Tomas Lindqvist"));
    assert_eq!(ship_to.company.as_deref(), Some("Atelier Nord"));
    assert_eq!(ship_to.address2.as_deref(), Some("Suite 4"));
    assert_eq!(ship_to.region.as_deref(), Some("Quebec"));
    assert_eq!(ship_to.postal_code.as_deref(), Some("H2V 2L3"));
    assert_eq!(ship_to.country_code.as_deref(), Some("CA"));
    assert_eq!(ship_to.phone.as_deref(), Some("514-555-0134"));
    assert_eq!(
        order.customer_email.as_deref(),
        Some("m.okafor@example.org")
    );
}

#[test]
fn money_drops_only_the_padding_zeros() {
    for (text, want) in [
        ("225.0000", "225.00"),
        ("1.2350", "1.235"),
        ("0.0000", "0.00"),
        ("19.9900", "19.99"),
        ("7", "7.00"),
    ] {
        assert_eq!(money(Some(&json!(text)), "t").unwrap().to_string(), want);
    }
}

#[test]
fn every_status_id_maps() {
    let cases = [
        (0, OrderStatus::Cancelled),
        (1, OrderStatus::Open),
        (2, OrderStatus::Fulfilled),
        (3, OrderStatus::PartiallyFulfilled),
        (4, OrderStatus::Cancelled),
        (5, OrderStatus::Cancelled),
        (6, OrderStatus::Cancelled),
        (7, OrderStatus::Open),
        (8, OrderStatus::Open),
        (9, OrderStatus::Open),
        (10, OrderStatus::Fulfilled),
        (11, OrderStatus::Open),
        (12, OrderStatus::Open),
        (13, OrderStatus::Open),
        (14, OrderStatus::Open),
    ];
    for (id, want) in cases {
        let order = normalize_value(&with("status_id", json!(id))).expect("normalizes");
        assert_eq!(order.status, want, "status_id {id}");
    }
    // Disputed / partially refunded orders follow what has shipped.
    let mut shipped = with("status_id", json!(14));
    shipped["items_shipped"] = json!(3);
    assert_eq!(
        normalize_value(&shipped).unwrap().status,
        OrderStatus::Fulfilled
    );
    shipped["items_shipped"] = json!(1);
    assert_eq!(
        normalize_value(&shipped).unwrap().status,
        OrderStatus::PartiallyFulfilled
    );
}

#[test]
fn payment_follows_the_gateway_then_the_status() {
    let cases = [
        (11, "captured", PaymentStatus::Paid),
        (7, "authorized", PaymentStatus::Authorized),
        (11, "capture pending", PaymentStatus::Authorized),
        (11, "partially refunded", PaymentStatus::PartiallyRefunded),
        (11, "refunded", PaymentStatus::Refunded),
        (5, "void", PaymentStatus::Voided),
        (6, "declined", PaymentStatus::Voided),
        (1, "pending", PaymentStatus::Pending),
        (12, "held for review", PaymentStatus::Pending),
        (4, "captured", PaymentStatus::Refunded),
        (14, "captured", PaymentStatus::PartiallyRefunded),
        // Manual payments leave the gateway status empty.
        (7, "", PaymentStatus::Pending),
        (11, "", PaymentStatus::Paid),
        (5, "", PaymentStatus::Voided),
    ];
    for (id, gateway, want) in cases {
        let mut order = with("status_id", json!(id));
        order["payment_status"] = json!(gateway);
        let got = normalize_value(&order).expect("normalizes").payment_status;
        assert_eq!(got, want, "status_id {id}, payment_status `{gateway}`");
    }
}

#[test]
fn falls_back_to_the_billing_address() {
    let order = normalize_value(&with("shipping_addresses", json!([]))).unwrap();
    let ship_to = order.ship_to.unwrap();
    assert_eq!(ship_to.name.as_deref(), Some("Marguerite Okafor"));
    assert_eq!(ship_to.company, None);
    assert_eq!(ship_to.address2, None);
    assert_eq!(ship_to.phone, None);
}

#[test]
fn errors_name_the_field() {
    let cases = [
        (with("status_id", json!(15)), "status_id"),
        (with("status_id", json!("11")), "status_id"),
        (with("date_modified", json!("2026-02-15")), "date_modified"),
        (with("total_inc_tax", json!("lots")), "total_inc_tax"),
        (with("payment_status", json!("bartered")), "payment_status"),
        (with("currency_code", json!("")), "currency_code"),
        (
            with(
                "products",
                json!({"url": "https://x", "resource": "/orders/1/products"}),
            ),
            "products",
        ),
    ];
    for (order, field) in cases {
        let err = normalize_value(&order).expect_err(field);
        assert_eq!(err.field, field, "{err}");
    }
    let mut bad_line = fixture();
    bad_line["products"][1]["quantity"] = json!(-1);
    assert_eq!(
        normalize_value(&bad_line).unwrap_err().field,
        "products[1].quantity"
    );
    assert_eq!(normalize_body(b"[").unwrap_err().field, "body");
}
