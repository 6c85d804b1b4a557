//! The renderer's envelope, its refusals, 997 acknowledgements, and reader conventions that
//! the fixtures do not show (tracking numbers, HL trees, missing QTY*33).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use chrono::{NaiveDate, NaiveTime};
use rust_decimal::Decimal;
use switchyard_edi::docs::advice945::ShippingAdvice;
use switchyard_edi::docs::asn856::ShipNotice;
use switchyard_edi::docs::inventory846::InventoryAdvice;
use switchyard_edi::docs::po850::{PoLine, PoPurpose, PurchaseOrder};
use switchyard_edi::docs::{ItemIds, Party};
use switchyard_edi::{
    AckCode, FunctionalAck, GroupError, InterchangeHeader, OutboundGroup, RenderError, Separators,
    SetError, Usage, parse, parse_lenient, render_interchange, render_single,
};

fn header() -> InterchangeHeader {
    InterchangeHeader {
        sender_qualifier: "ZZ".into(),
        sender_id: "SWITCHYARD".into(),
        receiver_qualifier: "01".into(),
        receiver_id: "123456789".into(),
        date: NaiveDate::from_ymd_opt(2026, 7, 18).unwrap(),
        time: NaiveTime::from_hms_opt(9, 5, 0).unwrap(),
        control_number: 42,
        usage: Usage::Production,
        ack_requested: true,
    }
}

fn po(number: &str) -> PurchaseOrder {
    PurchaseOrder {
        purpose: PoPurpose::Original,
        order_type: "DS".into(),
        po_number: number.into(),
        date: NaiveDate::from_ymd_opt(2026, 7, 18).unwrap(),
        currency: Some("USD".into()),
        references: vec![],
        dates: vec![],
        carrier_scac: Some("UPSN".into()),
        carrier_routing: Some("UPS Ground".into()),
        ship_to: Some(Party {
            name: Some("Grace Hopper".into()),
            address: vec!["1 Navy Way".into(), "Apt 2".into(), "Rear door".into()],
            city: Some("Arlington".into()),
            state: Some("VA".into()),
            postal_code: Some("22202".into()),
            country: Some("US".into()),
            ..Party::default()
        }),
        lines: vec![PoLine {
            line_number: Some("1".into()),
            quantity: Decimal::new(2, 0),
            unit: "EA".into(),
            unit_price: Some(Decimal::new(1950, 2)),
            ids: ItemIds {
                vendor_part: Some("V-100".into()),
                upc: Some("012345678905".into()),
                ..ItemIds::default()
            },
            description: Some("Blue mug".into()),
        }],
    }
}

#[test]
fn renders_a_fixed_width_isa_and_consistent_envelope() {
    let text = render_single(
        &header(),
        7,
        po("PO-9").to_transaction(1).unwrap(),
        &Separators::default(),
    )
    .unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0].len(), 106, "{}", lines[0]);
    assert_eq!(
        lines[0],
        "ISA*00*          *00*          *ZZ*SWITCHYARD     *01*123456789      *260718*0905*U*00401*000000042*1*P*>~"
    );
    assert_eq!(
        lines[1],
        "GS*PO*SWITCHYARD*123456789*20260718*0905*7*X*004010~"
    );
    assert_eq!(lines[2], "ST*850*0001~");
    assert_eq!(lines[3], "BEG*00*DS*PO-9**20260718~");
    assert!(lines.contains(&"TD5**2*UPSN**UPS Ground~"));
    assert!(lines.contains(&"N3*1 Navy Way*Apt 2~"));
    assert!(lines.contains(&"N3*Rear door~"));
    assert!(lines.contains(&"PO1*1*2*EA*19.5**VN*V-100*UP*012345678905~"));
    assert!(lines.contains(&"PID*F****Blue mug~"));
    let n = lines.len();
    assert_eq!(lines[n - 4], "CTT*1*2~");
    assert_eq!(lines[n - 3], format!("SE*{}*0001~", n - 4));
    assert_eq!(lines[n - 2], "GE*1*7~");
    assert_eq!(lines[n - 1], "IEA*1*000000042~");
    // What it renders, it parses strictly.
    let doc = parse(text.as_bytes()).unwrap();
    assert_eq!(doc.interchanges[0].sender_id, "SWITCHYARD");
    let back =
        PurchaseOrder::from_transaction(&doc.interchanges[0].groups[0].transactions[0]).unwrap();
    assert_eq!(back, po("PO-9"));
}

#[test]
fn cancellation_is_the_same_po_with_beg01_01() {
    let cancel = po("PO-9").cancellation();
    let text = render_single(
        &header(),
        8,
        cancel.to_transaction(2).unwrap(),
        &Separators::default(),
    )
    .unwrap();
    assert!(text.contains("BEG*01*DS*PO-9**20260718~"));
    let doc = parse(text.as_bytes()).unwrap();
    let back =
        PurchaseOrder::from_transaction(&doc.interchanges[0].groups[0].transactions[0]).unwrap();
    assert_eq!(back.purpose, PoPurpose::Cancellation);
    assert_eq!(back.lines, po("PO-9").lines);
}

#[test]
fn several_groups_and_sets_get_their_own_counts() {
    let groups = [
        OutboundGroup {
            control_number: 1,
            transactions: vec![
                po("A").to_transaction(1).unwrap(),
                po("B").to_transaction(2).unwrap(),
            ],
        },
        OutboundGroup {
            control_number: 2,
            transactions: vec![po("C").to_transaction(3).unwrap()],
        },
    ];
    let text = render_interchange(&header(), &groups, &Separators::default()).unwrap();
    assert!(text.contains("GE*2*1~"));
    assert!(text.contains("GE*1*2~"));
    assert!(text.ends_with("IEA*2*000000042~\n"));
    let doc = parse(text.as_bytes()).unwrap();
    assert_eq!(doc.interchanges[0].groups[0].transactions.len(), 2);
}

#[test]
fn data_with_a_separator_is_refused_naming_segment_and_element() {
    let err = render_single(
        &header(),
        1,
        po("PO*9").to_transaction(1).unwrap(),
        &Separators::default(),
    )
    .unwrap_err();
    assert_eq!(
        err,
        RenderError::ForbiddenCharacter {
            position: 4,
            segment: "BEG".into(),
            element: 3,
            character: '*',
        }
    );
    assert_eq!(
        err.to_string(),
        "segment 4 (BEG03): '*' is a separator or control character and cannot be sent"
    );
    // The same data is fine under separators it does not collide with.
    let pipes = Separators {
        element: b'|',
        component: b'^',
        segment: b'~',
        line_break: true,
    };
    let text = render_single(&header(), 1, po("PO*9").to_transaction(1).unwrap(), &pipes).unwrap();
    let doc = parse(text.as_bytes()).unwrap();
    let back =
        PurchaseOrder::from_transaction(&doc.interchanges[0].groups[0].transactions[0]).unwrap();
    assert_eq!(back.po_number, "PO*9");

    let mut multiline = po("PO-9");
    multiline.ship_to.as_mut().unwrap().address[0] = "1 Navy\nWay".into();
    let err = render_single(
        &header(),
        1,
        multiline.to_transaction(1).unwrap(),
        &Separators::default(),
    )
    .unwrap_err();
    assert!(matches!(
        err,
        RenderError::ForbiddenCharacter {
            character: '\n',
            ..
        }
    ));
}

#[test]
fn envelope_and_document_refusals() {
    let mut h = header();
    h.sender_id = "SWITCHYÄRD".into();
    let tx = po("P").to_transaction(1).unwrap();
    let err = render_single(&h, 1, tx.clone(), &Separators::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "ISA06: must be ASCII (the ISA is fixed width)"
    );
    h.sender_id = "A-VERY-LONG-SENDER-ID".into();
    assert!(
        render_single(&h, 1, tx.clone(), &Separators::default())
            .unwrap_err()
            .to_string()
            .starts_with("ISA06: \"A-VERY-LONG-SENDER-ID\" is longer than 15")
    );
    assert!(matches!(
        render_single(&header(), 0, tx.clone(), &Separators::default()).unwrap_err(),
        RenderError::Invalid { .. }
    ));
    let same = Separators {
        element: b'~',
        component: b'>',
        segment: b'~',
        line_break: false,
    };
    assert!(matches!(
        render_single(&header(), 1, tx.clone(), &same).unwrap_err(),
        RenderError::Separators(_)
    ));
    let mut mixed = tx.clone();
    mixed.set_id = "855".into();
    let err = render_interchange(
        &header(),
        &[OutboundGroup {
            control_number: 1,
            transactions: vec![tx, mixed],
        }],
        &Separators::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("cannot share group"), "{err}");

    let mut blank = po("P");
    blank.po_number = "  ".into();
    assert_eq!(
        blank.to_transaction(1).unwrap_err().to_string(),
        "BEG03: required value is empty"
    );
    let mut no_lines = po("P");
    no_lines.lines.clear();
    assert!(no_lines.to_transaction(1).is_err());
}

const TWO_SETS: &str = "ISA*00*          *00*          *ZZ*SUPPLIER       *ZZ*SWITCHYARD     *260718*1200*U*00401*000000007*0*P*>~
GS*PR*SUPPLIER*SWITCHYARD*20260718*1200*31*X*004010~
ST*855*0001~
BAK*00*AT*PO-1*20260717~
SE*3*0001~
ST*855*0002~
BAK*00*AT*PO-2*20260717~
SE*9*0002~
GE*2*31~
IEA*1*000000007~
";

#[test]
fn ack_997_rejects_sets_with_wrong_counts_and_round_trips() {
    assert!(parse(TWO_SETS.as_bytes()).is_err());
    let parsed = parse_lenient(TWO_SETS.as_bytes()).unwrap();
    assert_eq!(parsed.problems.len(), 1);
    let group = &parsed.document.interchanges[0].groups[0];
    let mut ack = FunctionalAck::for_group(group);
    assert_eq!(ack.transactions[0].code, AckCode::Accepted);
    assert_eq!(ack.transactions[1].code, AckCode::Rejected);
    assert_eq!(
        ack.transactions[1].errors,
        vec![SetError::SegmentCountMismatch]
    );
    assert_eq!(ack.code, AckCode::PartiallyAccepted);
    assert_eq!((ack.included, ack.received, ack.accepted), (2, 2, 1));

    let mut h = header();
    h.sender_id = "SWITCHYARD".into();
    h.receiver_id = "SUPPLIER".into();
    let text = render_single(
        &h,
        3,
        ack.to_transaction(1).unwrap(),
        &Separators::default(),
    )
    .unwrap();
    assert!(text.contains("GS*FA*"));
    assert!(
        text.contains("AK1*PR*31~\nAK2*855*0001~\nAK5*A~\nAK2*855*0002~\nAK5*R*4~\nAK9*P*2*2*1~"),
        "{text}"
    );
    let doc = parse(text.as_bytes()).unwrap();
    let back =
        FunctionalAck::from_transaction(&doc.interchanges[0].groups[0].transactions[0]).unwrap();
    assert_eq!(back, ack);

    // A set the caller could not read is rejected too; with none accepted the group is R.
    assert!(ack.reject("0001", SetError::SegmentsInError));
    assert!(!ack.reject("9999", SetError::SegmentsInError));
    assert_eq!(ack.code, AckCode::Rejected);
    assert_eq!(ack.accepted, 0);
}

#[test]
fn ack_997_rejects_a_group_with_a_wrong_trailer() {
    let text = TWO_SETS
        .replace("SE*9*0002", "SE*3*0002")
        .replace("GE*2*31", "GE*3*30");
    let parsed = parse_lenient(text.as_bytes()).unwrap();
    let ack = FunctionalAck::for_group(&parsed.document.interchanges[0].groups[0]);
    assert_eq!(ack.code, AckCode::Rejected);
    assert_eq!(
        ack.group_errors,
        vec![
            GroupError::SetCountMismatch,
            GroupError::ControlNumberMismatch
        ]
    );
    assert_eq!((ack.included, ack.received, ack.accepted), (3, 2, 2));
    let tx = ack.to_transaction(1).unwrap();
    assert_eq!(
        tx.body.last().unwrap().elements,
        ["AK9", "R", "3", "2", "2", "5", "4"]
    );
}

fn single_set(body: &str, set: &str, fid: &str) -> String {
    let segments: Vec<&str> = body.lines().collect();
    format!(
        "ISA*00*          *00*          *ZZ*3PL            *ZZ*SWITCHYARD     *260718*1200*U*00401*000000001*0*P*>~\nGS*{fid}*3PL*SWITCHYARD*20260718*1200*1*X*004010~\nST*{set}*0001~\n{}\nSE*{}*0001~\nGE*1*1~\nIEA*1*000000001~\n",
        body,
        segments.len() + 2
    )
}

#[test]
fn shipping_advice_reads_tracking_from_n9_and_ref() {
    let text = single_set(
        "W06*F*SO-1001*20260718*SHP-1**PO-77~
N1*ST*Ada Lovelace~
N4*London**NW1 6XE*GB~
N9*CN*1Z999AA10123456784~
W27*U*UPSN*UPS GROUND~
LX*1~
W12*CC*2*2*0*EA**VN*MUG-BLUE~
REF*CN*1Z999AA10123456785~
W12*CP*3*1*2*EA*012345678905~
W03*3~",
        "945",
        "SW",
    );
    let doc = parse(text.as_bytes()).unwrap();
    let advice =
        ShippingAdvice::from_transaction(&doc.interchanges[0].groups[0].transactions[0]).unwrap();
    assert_eq!(advice.depositor_order_number, "SO-1001");
    assert_eq!(advice.po_number.as_deref(), Some("PO-77"));
    assert_eq!(
        advice.tracking_numbers,
        vec!["1Z999AA10123456784", "1Z999AA10123456785"]
    );
    let carrier = advice.carrier.as_ref().unwrap();
    assert_eq!(carrier.scac.as_deref(), Some("UPSN"));
    assert_eq!(advice.lines.len(), 2);
    assert_eq!(advice.lines[0].line_number.as_deref(), Some("1"));
    assert_eq!(advice.lines[0].ids.vendor_part.as_deref(), Some("MUG-BLUE"));
    // A W12 without its own LX.
    assert_eq!(advice.lines[1].line_number, None);
    assert_eq!(advice.lines[1].quantity_shipped, Decimal::ONE);
    assert_eq!(advice.lines[1].ids.upc.as_deref(), Some("012345678905"));
}

#[test]
fn ship_notice_follows_hl_parents_and_reads_pack_tracking() {
    let text = single_set(
        "BSN*00*ASN-5*20260718*1405~
HL*1**S*1~
TD5**2*FDEG~
REF*BM*BOL-5~
HL*2*1*O*1~
PRF*PO-77~
HL*3*2*P*1~
MAN*GM*00012345678901234567~
REF*CN*794600000001~
HL*4*2*P*1~
REF*CN*794600000002~
HL*5*3*I*0~
LIN*1*VN*MUG-BLUE~
SN1**2*EA~
HL*6*4*I*0~
LIN*2*SK*MUG-RED~
SN1**1*EA~",
        "856",
        "SH",
    );
    let doc = parse(text.as_bytes()).unwrap();
    let asn = ShipNotice::from_transaction(&doc.interchanges[0].groups[0].transactions[0]).unwrap();
    assert_eq!(asn.carrier_scac.as_deref(), Some("FDEG"));
    assert_eq!(asn.tracking_numbers(), vec!["794600000001", "794600000002"]);
    let order = &asn.orders[0];
    assert_eq!(order.po_number, "PO-77");
    assert_eq!(order.packages.len(), 2);
    assert_eq!(
        order.packages[0].sscc.as_deref(),
        Some("00012345678901234567")
    );
    assert_eq!(
        order.packages[0].items[0].ids.vendor_part.as_deref(),
        Some("MUG-BLUE")
    );
    assert_eq!(
        order.packages[1].items[0].ids.sku.as_deref(),
        Some("MUG-RED")
    );

    let orphan = text.replace("HL*5*3*I*0", "HL*5*9*I*0");
    let doc = parse(orphan.as_bytes()).unwrap();
    let err =
        ShipNotice::from_transaction(&doc.interchanges[0].groups[0].transactions[0]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "segment 13 (HL): HL02 \"9\" names no earlier HL"
    );
}

#[test]
fn inventory_feed_needs_quantity_available() {
    let good = single_set(
        "BIA*00*DD*FEED-1*20260718~
LIN*1*VN*MUG-BLUE*SK*SKU-1~
QTY*17*40*EA~
QTY*33*12*EA~
LIN*2*UP*012345678905~
QTY*33*0~
CTT*2~",
        "846",
        "IB",
    );
    let doc = parse(good.as_bytes()).unwrap();
    let feed =
        InventoryAdvice::from_transaction(&doc.interchanges[0].groups[0].transactions[0]).unwrap();
    assert_eq!(feed.items.len(), 2);
    assert_eq!(feed.items[0].available, Decimal::new(12, 0));
    assert_eq!(feed.items[0].ids.sku.as_deref(), Some("SKU-1"));
    assert_eq!(feed.items[1].available, Decimal::ZERO);

    let bad = good.replace("QTY*33*0~", "QTY*17*5~");
    let doc = parse(bad.as_bytes()).unwrap();
    let err = InventoryAdvice::from_transaction(&doc.interchanges[0].groups[0].transactions[0])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "segment 6 (LIN): item has no QTY*33 (quantity available)"
    );
    let wrong = PurchaseOrder::from_transaction(&doc.interchanges[0].groups[0].transactions[0])
        .unwrap_err();
    assert_eq!(wrong.to_string(), "transaction set 846 is not a 850");
}

#[test]
fn ack_997_points_at_the_element_a_reader_could_not_read() {
    let text = single_set("BEG*00*SA***20260718~\nPO1*1*2*EA~", "850", "PO");
    let doc = parse(text.as_bytes()).unwrap();
    let group = &doc.interchanges[0].groups[0];
    let err = PurchaseOrder::from_transaction(&group.transactions[0]).unwrap_err();
    let mut ack = FunctionalAck::for_group(group);
    assert!(ack.reject_unreadable("0001", &err));
    assert_eq!(ack.code, AckCode::Rejected);
    let rendered = render_single(
        &header(),
        4,
        ack.to_transaction(1).unwrap(),
        &Separators::default(),
    )
    .unwrap();
    assert!(
        rendered.contains("AK2*850*0001~\nAK3*BEG*2**8~\nAK4*3**1~\nAK5*R*5~\nAK9*R*1*1*0~"),
        "{rendered}"
    );
    let back = parse(rendered.as_bytes()).unwrap();
    let read =
        FunctionalAck::from_transaction(&back.interchanges[0].groups[0].transactions[0]).unwrap();
    assert_eq!(read, ack);
}
