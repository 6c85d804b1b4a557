//! The intake rules on every channel: a real payload of each channel, with one bad value put
//! in, goes through the connector's normalizer and the rules exactly as the normalizer worker
//! runs them, then into a real store, and comes out quarantined with the field named. The
//! untouched payload is taken in, so the bad value is what was refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use serde_json::{Value, json};
use switchyard::daemon::normalizer::normalize_delivery;
use switchyard_core::config::ChannelConfig;
use switchyard_core::intake::IntakeRules;
use switchyard_core::model::ChannelKind;
use switchyard_core::ports::RawOrder;
use switchyard_core::store::{Applied, Source, SqliteStore, Store};

/// One channel's payload and where its first line keeps each value.
struct Case {
    kind: ChannelKind,
    format: &'static str,
    payload: &'static str,
    quantity: &'static str,
    /// Walmart sends counts as strings.
    quantity_as_text: bool,
    price: &'static str,
    negative_price: Value,
    sku: &'static str,
    /// The field a normalizer names itself when it refuses a zero quantity before the rules
    /// see it (eBay reads only positive counts).
    zero_quantity_field: Option<&'static str>,
}

fn cases() -> Vec<Case> {
    let case = |kind, format, payload, quantity, price, negative_price: Value, sku| Case {
        kind,
        format,
        payload,
        quantity,
        quantity_as_text: false,
        price,
        negative_price,
        sku,
        zero_quantity_field: None,
    };
    vec![
        case(
            ChannelKind::Shopify,
            "rest",
            include_str!("../connectors/src/channels/shopify/fixtures/rest_order.json"),
            "/line_items/0/quantity",
            "/line_items/0/price",
            json!("-18.70"),
            "/line_items/0/sku",
        ),
        case(
            ChannelKind::Shopify,
            "graphql",
            include_str!("../connectors/src/channels/shopify/fixtures/graphql_order.json"),
            "/lineItems/nodes/0/quantity",
            "/lineItems/nodes/0/originalUnitPriceSet/shopMoney/amount",
            json!("-18.7"),
            "/lineItems/nodes/0/sku",
        ),
        case(
            ChannelKind::Woocommerce,
            "rest",
            include_str!("fixtures/woocommerce_order.json"),
            "/line_items/0/quantity",
            "/line_items/0/price",
            json!(-9.95),
            "/line_items/0/sku",
        ),
        case(
            ChannelKind::Amazon,
            "orders-2026-01-01",
            include_str!("../connectors/src/channels/amazon/fixtures/orders2026_get_order.json"),
            "/order/orderItems/0/quantityOrdered",
            "/order/orderItems/0/product/price/unitPrice/amount",
            json!("-18.50"),
            "/order/orderItems/0/product/sellerSku",
        ),
        case(
            ChannelKind::Amazon,
            "orders-v0-composite",
            include_str!("../connectors/src/channels/amazon/fixtures/ordersV0_composite.json"),
            "/OrderItems/0/QuantityOrdered",
            "/OrderItems/0/ItemPrice/Amount",
            json!("-30.00"),
            "/OrderItems/0/SellerSKU",
        ),
        Case {
            zero_quantity_field: Some("lineItems[0].quantity"),
            ..case(
                ChannelKind::Ebay,
                "fulfillment",
                include_str!("../connectors/src/channels/ebay/fixtures/order.json"),
                "/lineItems/0/quantity",
                "/lineItems/0/lineItemCost/value",
                json!("-10.00"),
                "/lineItems/0/sku",
            )
        },
        Case {
            quantity_as_text: true,
            ..case(
                ChannelKind::Walmart,
                "rest",
                include_str!("../connectors/src/channels/walmart/fixtures/order_two_lines.json"),
                "/orderLines/orderLine/0/orderLineQuantity/amount",
                "/orderLines/orderLine/0/charges/charge/0/chargeAmount/amount",
                json!(-29.9),
                "/orderLines/orderLine/0/item/sku",
            )
        },
        case(
            ChannelKind::Etsy,
            "receipt",
            include_str!("../connectors/src/channels/etsy/fixtures/receipt.json"),
            "/transactions/0/quantity",
            "/transactions/0/price/amount",
            json!(-1250),
            "/transactions/0/sku",
        ),
        case(
            ChannelKind::Bigcommerce,
            "v2",
            include_str!("../connectors/src/channels/bigcommerce/fixtures/order.json"),
            "/products/0/quantity",
            "/products/0/base_price",
            json!("-31.5000"),
            "/products/0/sku",
        ),
    ]
}

/// An account of `kind` with every credential filled in, so the registry builds it.
fn account(kind: ChannelKind) -> ChannelConfig {
    let x = || Some("x".to_string());
    ChannelConfig {
        access_token: x(),
        location_id: Some("1".into()),
        consumer_key: x(),
        consumer_secret: x(),
        webhook_secret: x(),
        client_id: x(),
        client_secret: x(),
        refresh_token: x(),
        marketplace_id: Some("ATVPDKIKX0DER".into()),
        seller_id: x(),
        shop_id: Some("1".into()),
        store_hash: Some("abc123".into()),
        api_version: (kind == ChannelKind::Shopify).then(|| "2026-04".into()),
        ..ChannelConfig::new(kind.as_str(), kind, "http://127.0.0.1:9")
    }
}

fn set(payload: &str, pointer: &str, value: Value) -> Vec<u8> {
    let mut v: Value = serde_json::from_str(payload).unwrap();
    *v.pointer_mut(pointer)
        .unwrap_or_else(|| panic!("fixture has no {pointer}")) = value;
    serde_json::to_vec(&v).unwrap()
}

/// (what was put in, the payload, the field the quarantine must name)
fn bad_payloads(c: &Case) -> Vec<(String, Vec<u8>, String)> {
    let count = |n: u64| {
        if c.quantity_as_text {
            json!(n.to_string())
        } else {
            json!(n)
        }
    };
    let mut out = Vec::new();
    let mut add = |what: &str, pointer: &str, value: Value, field: &str| {
        out.push((
            what.to_string(),
            set(c.payload, pointer, value),
            field.to_string(),
        ));
    };
    add(
        "quantity 0",
        c.quantity,
        count(0),
        c.zero_quantity_field.unwrap_or("lines[0].quantity"),
    );
    add(
        "quantity 10,001",
        c.quantity,
        count(10_001),
        "lines[0].quantity",
    );
    add(
        "quantity 2^31",
        c.quantity,
        count(1 << 31),
        "lines[0].quantity",
    );
    add(
        "negative unit price",
        c.price,
        c.negative_price.clone(),
        "lines[0].unit_price",
    );
    add("SKU with BEL", c.sku, json!("MUG\u{7}BLUE"), "lines[0].sku");
    add(
        "SKU with ESC sequence",
        c.sku,
        json!("MUG\u{1b}[2JBLUE"),
        "lines[0].sku",
    );
    add(
        "SKU of 10,000 characters",
        c.sku,
        json!("S".repeat(10_000)),
        "lines[0].sku",
    );
    out
}

#[tokio::test]
async fn every_channel_quarantines_each_bad_value_with_its_field() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = SqliteStore::open(&url).await.unwrap();
    let rules = IntakeRules::default();
    let mut seq = 0;
    let mut failures = Vec::new();
    for case in cases() {
        let channel = switchyard_connectors::registry::build(
            &account(case.kind),
            std::sync::Arc::new(switchyard_core::connector_state::MemoryState::new()),
        )
        .unwrap();
        let mut deliveries = vec![(
            "untouched".to_string(),
            case.payload.as_bytes().to_vec(),
            None,
        )];
        deliveries.extend(
            bad_payloads(&case)
                .into_iter()
                .map(|(what, body, field)| (what, body, Some(field))),
        );
        for (what, body, field) in deliveries {
            seq += 1;
            let raw = RawOrder {
                format: case.format.into(),
                external_id: None,
                dedup_key: format!("intake-{seq}"),
                topic: "orders/create".into(),
                body,
            };
            let label = format!("{} ({}): {what}", case.kind, case.format);
            store
                .insert_inbox(channel.id(), Source::Webhook, &[raw], None)
                .await
                .unwrap();
            let pending = store.pending_inbox(10).await.unwrap();
            assert_eq!(pending.len(), 1, "{label}");
            let item = &pending[0];
            let outcome = normalize_delivery(channel.as_ref(), &item.raw, &rules);
            let applied = store.apply_inbox(item, outcome.as_ref()).await.unwrap();
            match (&field, applied, &outcome) {
                // (The Shopify REST and GraphQL fixtures are one order.)
                (None, Applied::Changed { .. } | Applied::Unchanged { .. }, _) => {}
                (Some(field), Applied::Quarantined, Err(e)) if &e.field == field => {
                    let stored = store.quarantined(1).await.unwrap();
                    assert_eq!(stored[0].inbox_id, item.id, "{label}");
                    assert!(
                        stored[0].reason.starts_with(&format!("{field}: ")),
                        "{label}: {}",
                        stored[0].reason
                    );
                }
                (expected, applied, outcome) => failures.push(format!(
                    "{label}: expected {expected:?}, got {applied:?} from {outcome:?}"
                )),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(seq, 9 * 8, "nine payload shapes, seven channels");
}

#[test]
fn a_stricter_configuration_refuses_what_the_defaults_take() {
    let rules = IntakeRules {
        max_line_quantity: 1,
        max_sku_len: 5,
    };
    for case in cases() {
        let channel = switchyard_connectors::registry::build(
            &account(case.kind),
            std::sync::Arc::new(switchyard_core::connector_state::MemoryState::new()),
        )
        .unwrap();
        let raw = RawOrder {
            format: case.format.into(),
            external_id: None,
            dedup_key: "k".into(),
            topic: "poll".into(),
            body: set(case.payload, case.quantity, {
                if case.quantity_as_text {
                    json!("2")
                } else {
                    json!(2)
                }
            }),
        };
        assert!(
            normalize_delivery(channel.as_ref(), &raw, &IntakeRules::default()).is_ok(),
            "{}",
            case.kind
        );
        let err = normalize_delivery(channel.as_ref(), &raw, &rules).unwrap_err();
        assert_eq!(err.field, "lines[0].quantity", "{}", case.kind);
        assert!(
            err.problem.contains("intake.max_line_quantity (1)"),
            "{err}"
        );
    }
}
