//! Property tests: typed documents rendered by the crate parse back to the same value, with
//! random separators; data containing a separator or control character is refused with
//! `ForbiddenCharacter`; no input makes the parser panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use std::collections::BTreeSet;

use chrono::{NaiveDate, NaiveTime};
use proptest::prelude::*;
use rust_decimal::Decimal;
use switchyard_edi::docs::ack855::{AckLine, AckType, LineAck, LineStatus, PoAcknowledgement};
use switchyard_edi::docs::advice945::{ShipCarrier, ShippedLine, ShippingAdvice};
use switchyard_edi::docs::asn856::{Package, ShipNotice, ShippedItem, ShippedOrder};
use switchyard_edi::docs::inventory846::{InventoryAdvice, InventoryItem};
use switchyard_edi::docs::order940::{ShippingOrder, ShippingOrderLine, WarehouseCarrier};
use switchyard_edi::docs::po850::{PoLine, PoPurpose, PurchaseOrder};
use switchyard_edi::docs::{DateReference, ItemIds, Party, PartyId, ProductId, Reference};
use switchyard_edi::{
    InterchangeHeader, OutboundTransaction, ReadError, RenderError, Separators, Transaction, Usage,
    parse, parse_lenient, render_single,
};

// ---- strategies ----

fn clean() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9]",
        "[A-Za-z0-9][A-Za-z0-9 .,#/&()'é-]{0,24}[A-Za-z0-9é]",
    ]
}

/// Mostly clean text; sometimes a delimiter or control character in the middle.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        200 => clean(),
        1 => (clean(), "[*~>|^$!\n\r\t]", clean()).prop_map(|(a, c, b)| format!("{a}{c}{b}")),
    ]
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(text())
}

fn code(n: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[A-Z][A-Z0-9]{{{}}}", n - 1)).expect("regex")
}

fn quantity() -> impl Strategy<Value = Decimal> {
    (1i64..10_000_000, 0u32..=3).prop_map(|(n, scale)| Decimal::new(n, scale))
}

fn date() -> impl Strategy<Value = NaiveDate> {
    (2000i32..2090, 1u32..=12, 1u32..=28)
        .prop_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).expect("valid day"))
}

fn party() -> impl Strategy<Value = Party> {
    (
        opt_text(),
        proptest::option::of((code(2), text())),
        opt_text(),
        proptest::collection::vec(text(), 0..4),
        (
            opt_text(),
            proptest::option::of(code(2)),
            opt_text(),
            proptest::option::of(code(2)),
        ),
    )
        .prop_filter("N1 needs a name or an id", |(name, id, ..)| {
            name.is_some() || id.is_some()
        })
        .prop_map(
            |(name, id, additional_name, address, (city, state, postal_code, country))| Party {
                name,
                id: id.map(|(qualifier, code)| PartyId { qualifier, code }),
                additional_name,
                address,
                city,
                state,
                postal_code,
                country,
            },
        )
}

fn other_qualifier() -> impl Strategy<Value = String> {
    code(2).prop_filter("not a named qualifier", |q| {
        !["VN", "UP", "BP", "SK", "VP"].contains(&q.as_str())
    })
}

fn upc() -> impl Strategy<Value = String> {
    "[0-9]{12}"
}

fn item_ids() -> impl Strategy<Value = ItemIds> {
    (
        opt_text(),
        proptest::option::of(upc()),
        opt_text(),
        opt_text(),
        proptest::collection::vec((other_qualifier(), text()), 0..3),
    )
        .prop_map(|(vendor_part, upc, buyer_part, sku, other)| ItemIds {
            vendor_part,
            upc,
            buyer_part,
            sku,
            other: other
                .into_iter()
                .map(|(qualifier, id)| ProductId { qualifier, id })
                .collect(),
        })
        .prop_filter("an item needs an id", |ids| {
            ids.vendor_part.is_some()
                || ids.upc.is_some()
                || ids.buyer_part.is_some()
                || ids.sku.is_some()
                || !ids.other.is_empty()
        })
}

fn separators() -> impl Strategy<Value = Separators> {
    prop_oneof![
        Just(Separators::default()),
        Just(Separators {
            element: b'|',
            component: b'^',
            segment: b'$',
            line_break: false,
        }),
        Just(Separators {
            element: b'*',
            component: b'>',
            segment: b'~',
            line_break: false,
        }),
        Just(Separators {
            element: b'!',
            component: b':',
            segment: b'\'',
            line_break: true,
        }),
        Just(Separators {
            element: b'*',
            component: b'>',
            segment: b'\n',
            line_break: false,
        }),
    ]
}

fn header() -> InterchangeHeader {
    InterchangeHeader {
        sender_qualifier: "ZZ".into(),
        sender_id: "SWITCHYARD".into(),
        receiver_qualifier: "ZZ".into(),
        receiver_id: "PARTNER".into(),
        date: NaiveDate::from_ymd_opt(2026, 7, 18).expect("date"),
        time: NaiveTime::from_hms_opt(12, 30, 0).expect("time"),
        control_number: 17,
        usage: Usage::Test,
        ack_requested: false,
    }
}

// ---- the round trip ----

/// Whether any string in the document holds a character the separators forbid.
fn forbidden(value: &serde_json::Value, seps: &Separators) -> bool {
    match value {
        serde_json::Value::String(s) => s.chars().any(|c| seps.forbids(c)),
        serde_json::Value::Array(a) => a.iter().any(|v| forbidden(v, seps)),
        serde_json::Value::Object(o) => o.values().any(|v| forbidden(v, seps)),
        _ => false,
    }
}

fn roundtrip<T>(
    doc: &T,
    seps: &Separators,
    build: impl Fn(&T) -> Result<OutboundTransaction, RenderError>,
    read: impl Fn(&Transaction) -> Result<T, ReadError>,
) -> Result<(), TestCaseError>
where
    T: serde::Serialize + PartialEq + std::fmt::Debug,
{
    let dirty = forbidden(&serde_json::to_value(doc).expect("serializable"), seps);
    let rendered = build(doc).and_then(|tx| render_single(&header(), 5, tx, seps));
    if dirty {
        prop_assert!(
            matches!(rendered, Err(RenderError::ForbiddenCharacter { .. })),
            "expected a refusal, got {rendered:?}"
        );
        return Ok(());
    }
    let text = rendered.map_err(|e| TestCaseError::fail(format!("render: {e}")))?;
    let parsed = parse(text.as_bytes()).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
    let tx = &parsed.interchanges[0].groups[0].transactions[0];
    let back = read(tx).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
    prop_assert_eq!(&back, doc, "{}", text);
    Ok(())
}

fn po_line() -> impl Strategy<Value = PoLine> {
    (
        proptest::option::of("[0-9]{1,6}"),
        quantity(),
        code(2),
        proptest::option::of(quantity()),
        item_ids(),
        opt_text(),
    )
        .prop_map(
            |(line_number, quantity, unit, unit_price, ids, description)| PoLine {
                line_number,
                quantity,
                unit,
                unit_price,
                ids,
                description,
            },
        )
}

fn purchase_order() -> impl Strategy<Value = PurchaseOrder> {
    (
        prop_oneof![Just(PoPurpose::Original), Just(PoPurpose::Cancellation)],
        prop_oneof![Just("SA".to_string()), Just("DS".to_string())],
        text(),
        date(),
        proptest::option::of("[A-Z]{3}"),
        proptest::collection::vec((code(2), text()), 0..3),
        proptest::collection::vec(("[0-9]{3}", date()), 0..3),
        (proptest::option::of("[A-Z]{4}"), opt_text()),
        proptest::option::of(party()),
        proptest::collection::vec(po_line(), 1..=20),
    )
        .prop_map(
            |(
                purpose,
                order_type,
                po_number,
                date,
                currency,
                refs,
                dates,
                (scac, routing),
                ship_to,
                lines,
            )| {
                PurchaseOrder {
                    purpose,
                    order_type,
                    po_number,
                    date,
                    currency,
                    references: refs
                        .into_iter()
                        .map(|(qualifier, value)| Reference { qualifier, value })
                        .collect(),
                    dates: dates
                        .into_iter()
                        .map(|(qualifier, date)| DateReference { qualifier, date })
                        .collect(),
                    carrier_scac: scac,
                    carrier_routing: routing,
                    ship_to,
                    lines,
                }
            },
        )
}

fn acknowledgement() -> impl Strategy<Value = PoAcknowledgement> {
    let status = prop_oneof![
        Just(LineStatus::Accepted),
        Just(LineStatus::Rejected),
        Just(LineStatus::Backordered),
        Just(LineStatus::QuantityChanged),
        Just(LineStatus::Other("ZZ".into())),
    ];
    let line_ack = (
        status,
        proptest::option::of(quantity()),
        proptest::option::of(code(2)),
        proptest::option::of(date()),
    )
        .prop_map(|(status, quantity, unit, date)| LineAck {
            status,
            quantity,
            unit,
            date,
        });
    let line = (po_line(), proptest::collection::vec(line_ack, 0..3))
        .prop_map(|(line, acks)| AckLine { line, acks });
    (
        prop_oneof![
            Just(AckType::Accepted),
            Just(AckType::AcceptedWithChanges),
            Just(AckType::AcceptedWithDetail),
            Just(AckType::Rejected),
        ],
        text(),
        date(),
        opt_text(),
        proptest::option::of(date()),
        proptest::collection::vec(line, 0..10),
    )
        .prop_map(
            |(ack_type, po_number, po_date, seller_order_number, ack_date, lines)| {
                PoAcknowledgement {
                    purpose: "00".into(),
                    ack_type,
                    po_number,
                    po_date,
                    seller_order_number,
                    ack_date,
                    lines,
                }
            },
        )
}

fn shipped_item() -> impl Strategy<Value = ShippedItem> {
    (
        proptest::option::of("[0-9]{1,4}"),
        item_ids(),
        quantity(),
        code(2),
        opt_text(),
    )
        .prop_map(
            |(line_number, ids, quantity, unit, description)| ShippedItem {
                line_number,
                ids,
                quantity,
                unit,
                description,
            },
        )
}

fn ship_notice() -> impl Strategy<Value = ShipNotice> {
    let package = (
        proptest::option::of("[0-9]{18}"),
        opt_text(),
        proptest::collection::vec(shipped_item(), 0..4),
    )
        .prop_map(|(sscc, tracking_number, items)| Package {
            sscc,
            tracking_number,
            items,
        });
    let order = (
        text(),
        proptest::option::of(party()),
        proptest::collection::vec(package, 0..3),
        proptest::collection::vec(shipped_item(), 0..3),
    )
        .prop_map(|(po_number, ship_to, packages, items)| ShippedOrder {
            po_number,
            ship_to,
            packages,
            items,
        });
    (
        (
            text(),
            date(),
            proptest::option::of("[0-2][0-9][0-5][0-9]"),
            proptest::option::of(date()),
        ),
        (
            proptest::option::of("[A-Z]{4}"),
            opt_text(),
            opt_text(),
            opt_text(),
        ),
        (proptest::option::of(party()), proptest::option::of(party())),
        proptest::collection::vec(order, 0..4),
    )
        .prop_map(
            |(
                (shipment_id, date, time, shipped_on),
                (scac, routing, bol, tracking),
                (from, to),
                orders,
            )| {
                ShipNotice {
                    purpose: "00".into(),
                    shipment_id,
                    date,
                    time,
                    shipped_on,
                    carrier_scac: scac,
                    carrier_routing: routing,
                    bill_of_lading: bol,
                    tracking_number: tracking,
                    ship_from: from,
                    ship_to: to,
                    orders,
                }
            },
        )
}

fn inventory_advice() -> impl Strategy<Value = InventoryAdvice> {
    let item = (
        proptest::option::of("[0-9]{1,4}"),
        item_ids(),
        opt_text(),
        (0i64..100_000).prop_map(|n| Decimal::new(n, 0)),
        proptest::option::of(code(2)),
    )
        .prop_map(
            |(line_number, ids, description, available, unit)| InventoryItem {
                line_number,
                ids,
                description,
                available,
                unit,
            },
        );
    (
        prop_oneof![Just("DD".to_string()), Just("MM".to_string())],
        text(),
        date(),
        proptest::collection::vec(item, 0..15),
    )
        .prop_map(|(report_type, reference, date, items)| InventoryAdvice {
            purpose: "00".into(),
            report_type,
            reference,
            date,
            items,
        })
}

/// At most three qualified ids besides the U.P.C. (W01 has room for three pairs).
fn warehouse_ids() -> impl Strategy<Value = ItemIds> {
    (
        opt_text(),
        proptest::option::of(upc()),
        opt_text(),
        proptest::option::of((other_qualifier(), text())),
    )
        .prop_map(|(vendor_part, upc, sku, other)| ItemIds {
            vendor_part,
            upc,
            buyer_part: None,
            sku,
            other: other
                .into_iter()
                .map(|(qualifier, id)| ProductId { qualifier, id })
                .collect(),
        })
        .prop_filter("an item needs an id", |ids| ids.pairs_len() > 0)
}

trait PairsLen {
    fn pairs_len(&self) -> usize;
}

impl PairsLen for ItemIds {
    fn pairs_len(&self) -> usize {
        [&self.vendor_part, &self.upc, &self.buyer_part, &self.sku]
            .iter()
            .filter(|v| v.is_some())
            .count()
            + self.other.len()
    }
}

fn shipping_order() -> impl Strategy<Value = ShippingOrder> {
    let line = (
        "[0-9]{1,6}",
        quantity(),
        code(2),
        warehouse_ids(),
        opt_text(),
    )
        .prop_map(
            |(line_number, quantity, unit, ids, description)| ShippingOrderLine {
                line_number,
                quantity,
                unit,
                ids,
                description,
            },
        );
    let carrier = (
        prop_oneof![Just("PP".to_string()), Just("CC".to_string())],
        prop_oneof![Just("M".to_string()), Just("U".to_string())],
        opt_text(),
        proptest::option::of("[A-Z]{4}"),
    )
        .prop_map(|(payment, transport, routing, scac)| WarehouseCarrier {
            payment,
            transport,
            routing,
            scac,
        });
    (
        prop_oneof![Just("N".to_string()), Just("F".to_string())],
        text(),
        opt_text(),
        proptest::option::of(party()),
        proptest::collection::vec((code(2), text()), 0..3),
        proptest::option::of(date()),
        proptest::option::of(carrier),
        proptest::collection::vec(line, 1..=20),
    )
        .prop_map(
            |(
                status,
                depositor_order_number,
                po_number,
                ship_to,
                refs,
                requested_ship_date,
                carrier,
                lines,
            )| {
                ShippingOrder {
                    status,
                    depositor_order_number,
                    po_number,
                    ship_to,
                    references: refs
                        .into_iter()
                        .map(|(qualifier, value)| Reference { qualifier, value })
                        .collect(),
                    requested_ship_date,
                    carrier,
                    lines,
                }
            },
        )
}

fn shipping_advice() -> impl Strategy<Value = ShippingAdvice> {
    // The U.P.C. plus at most one qualified id (W1207/W1208).
    let ids = (
        proptest::option::of(upc()),
        proptest::option::of((prop_oneof![Just("VN"), Just("SK"), Just("BP")], text())),
    )
        .prop_filter("an item needs an id", |(u, q)| u.is_some() || q.is_some())
        .prop_map(|(upc, qualified)| {
            let mut ids = ItemIds {
                upc,
                ..ItemIds::default()
            };
            match qualified {
                Some(("VN", v)) => ids.vendor_part = Some(v),
                Some(("SK", v)) => ids.sku = Some(v),
                Some((_, v)) => ids.buyer_part = Some(v),
                None => {}
            }
            ids
        });
    let line = (
        "[0-9]{1,4}",
        prop_oneof![Just("CC".to_string()), Just("CP".to_string())],
        proptest::option::of(quantity()),
        quantity(),
        code(2),
        ids,
    )
        .prop_map(
            |(n, status, quantity_ordered, quantity_shipped, unit, ids)| ShippedLine {
                line_number: Some(n),
                status,
                quantity_ordered,
                quantity_shipped,
                unit,
                ids,
            },
        );
    let carrier = (
        prop_oneof![Just("M".to_string()), Just("U".to_string())],
        proptest::option::of("[A-Z]{4}"),
        opt_text(),
    )
        .prop_map(|(transport, scac, routing)| ShipCarrier {
            transport,
            scac,
            routing,
        });
    (
        text(),
        proptest::option::of(date()),
        opt_text(),
        opt_text(),
        proptest::option::of(party()),
        proptest::collection::btree_set(text(), 0..3),
        proptest::option::of(carrier),
        proptest::collection::vec(line, 0..12),
    )
        .prop_map(
            |(
                depositor_order_number,
                shipped_on,
                shipment_id,
                po_number,
                ship_to,
                tracking,
                carrier,
                lines,
            ): (String, _, _, _, _, BTreeSet<String>, _, _)| ShippingAdvice {
                reporting_code: "F".into(),
                depositor_order_number,
                shipped_on,
                shipment_id,
                po_number,
                ship_to,
                tracking_numbers: tracking.into_iter().collect(),
                carrier,
                lines,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn purchase_orders_round_trip(po in purchase_order(), seps in separators()) {
        roundtrip(&po, &seps, |d| d.to_transaction(1), PurchaseOrder::from_transaction)?;
    }

    #[test]
    fn acknowledgements_round_trip(ack in acknowledgement(), seps in separators()) {
        roundtrip(&ack, &seps, |d| d.to_transaction(2), PoAcknowledgement::from_transaction)?;
    }

    #[test]
    fn ship_notices_round_trip(asn in ship_notice(), seps in separators()) {
        roundtrip(&asn, &seps, |d| d.to_transaction(3), ShipNotice::from_transaction)?;
    }

    #[test]
    fn inventory_advice_round_trips(feed in inventory_advice(), seps in separators()) {
        roundtrip(&feed, &seps, |d| d.to_transaction(4), InventoryAdvice::from_transaction)?;
    }

    #[test]
    fn shipping_orders_round_trip(order in shipping_order(), seps in separators()) {
        roundtrip(&order, &seps, |d| d.to_transaction(5), ShippingOrder::from_transaction)?;
    }

    #[test]
    fn shipping_advice_round_trips(advice in shipping_advice(), seps in separators()) {
        roundtrip(&advice, &seps, |d| d.to_transaction(6), ShippingAdvice::from_transaction)?;
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse_lenient(&bytes);
    }

    #[test]
    fn damaged_documents_never_panic(cut in 0usize..600, flip in 0usize..600, byte in any::<u8>()) {
        let po = PurchaseOrder {
            purpose: PoPurpose::Original,
            order_type: "SA".into(),
            po_number: "PO-1".into(),
            date: NaiveDate::from_ymd_opt(2026, 1, 2).expect("date"),
            currency: Some("USD".into()),
            references: vec![],
            dates: vec![],
            carrier_scac: None,
            carrier_routing: None,
            ship_to: None,
            lines: vec![PoLine {
                line_number: Some("1".into()),
                quantity: Decimal::ONE,
                unit: "EA".into(),
                unit_price: None,
                ids: ItemIds { vendor_part: Some("V".into()), ..ItemIds::default() },
                description: Some("Thing".into()),
            }],
        };
        let text = render_single(&header(), 1, po.to_transaction(1).expect("build"), &Separators::default())
            .expect("render");
        let mut bytes = text.into_bytes();
        if flip < bytes.len() {
            bytes[flip] = byte;
        }
        bytes.truncate(cut.min(bytes.len()));
        if let Ok(parsed) = parse_lenient(&bytes) {
            for tx in parsed.document.interchanges.iter().flat_map(|i| &i.groups).flat_map(|g| &g.transactions) {
                let _ = PurchaseOrder::from_transaction(tx);
            }
        }
    }
}
