//! Every file in `../shared/fixtures/edi/` (beside the workspace) parses, and the typed readers
//! read the 850/855/856/810 ones. The folder is read at test time; a missing folder fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use std::path::PathBuf;
use std::str::FromStr;

use rust_decimal::Decimal;
use switchyard_edi::docs::ack855::{AckType, LineStatus, PoAcknowledgement};
use switchyard_edi::docs::asn856::ShipNotice;
use switchyard_edi::docs::invoice810::Invoice;
use switchyard_edi::docs::po850::{PoPurpose, PurchaseOrder};
use switchyard_edi::{
    AckCode, Document, EnvelopeProblem, FunctionalAck, ParseError, Transaction, parse,
    parse_lenient,
};

fn fixtures_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/edi");
    assert!(
        dir.is_dir(),
        "EDI fixtures missing: expected {} (shared/ beside the workspace)",
        dir.display()
    );
    dir
}

fn read(name: &str) -> Vec<u8> {
    let path = fixtures_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn lenient(name: &str) -> Document {
    parse_lenient(&read(name))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .document
}

fn only_transaction(doc: &Document) -> &Transaction {
    assert_eq!(doc.interchanges.len(), 1);
    assert_eq!(doc.interchanges[0].groups.len(), 1);
    assert_eq!(doc.interchanges[0].groups[0].transactions.len(), 1);
    &doc.interchanges[0].groups[0].transactions[0]
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// The two EDI.Net files close their interchange with IEA02 000000001 under ISA13 000000055.
const IEA02_MISMATCH: [&str; 2] = ["EDI.Net_x12.850.edi", "EDI.Net_x12.850a.edi"];

#[test]
fn every_fixture_parses_and_only_known_envelope_faults_are_reported() {
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".edi") || n.ends_with(".x12"))
        .collect();
    names.sort();
    assert!(
        names.len() >= 9,
        "expected the EDI fixtures, found {names:?}"
    );
    for name in &names {
        let bytes = read(name);
        let parsed = parse_lenient(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let tx_count: usize = parsed
            .document
            .interchanges
            .iter()
            .flat_map(|i| &i.groups)
            .map(|g| g.transactions.len())
            .sum();
        assert!(tx_count >= 1, "{name}: no transaction sets");
        if IEA02_MISMATCH.contains(&name.as_str()) {
            assert_eq!(parsed.problems.len(), 1, "{name}: {:?}", parsed.problems);
            assert!(matches!(
                &parsed.problems[0],
                EnvelopeProblem::InterchangeControlNumber { header, trailer, .. }
                    if header == "000000055" && trailer == "000000001"
            ));
            let err = parse(&bytes).unwrap_err();
            assert!(err.to_string().contains("(IEA02)"), "{name}: {err}");
        } else {
            assert_eq!(parsed.problems, vec![], "{name}");
            parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        // SE01 counted ST..SE inclusive for every set (strict parse relies on it too).
        for tx in parsed
            .document
            .interchanges
            .iter()
            .flat_map(|i| &i.groups)
            .flat_map(|g| &g.transactions)
        {
            assert_eq!(tx.segments.first().unwrap().id(), "ST", "{name}");
            assert_eq!(tx.segments.last().unwrap().id(), "SE", "{name}");
        }
    }
}

#[test]
fn bom_nbsp_padded_isa_850_reads() {
    let doc = lenient("EDI.Net_x12.850.edi");
    let ic = &doc.interchanges[0];
    // ISA06 is padded with U+00A0 no-break spaces; trimmed away.
    assert_eq!(ic.sender_id, "000123456");
    assert_eq!(ic.receiver_id, "PARTNERID");
    assert_eq!(ic.control_number, "000000055");
    let po = PurchaseOrder::from_transaction(only_transaction(&doc)).unwrap();
    assert_eq!(po.purpose, PoPurpose::Original);
    assert_eq!(po.po_number, "1000012");
    assert_eq!(po.date.to_string(), "2009-08-27");
    assert_eq!(po.carrier_routing.as_deref(), Some("UPSG"));
    let ship_to = po.ship_to.as_ref().unwrap();
    assert_eq!(ship_to.name.as_deref(), Some("John Doe"));
    assert_eq!(ship_to.address, vec!["126 Any St"]);
    assert_eq!(ship_to.city.as_deref(), Some("Hauppauge"));
    assert_eq!(ship_to.postal_code.as_deref(), Some("11788-1234"));
    assert_eq!(ship_to.country.as_deref(), Some("US"));
    assert_eq!(po.lines.len(), 1);
    assert_eq!(po.lines[0].quantity, dec("1"));
    assert_eq!(po.lines[0].unit_price, Some(dec("19.95")));
    assert_eq!(po.lines[0].ids.vendor_part.as_deref(), Some("0054321"));
}

#[test]
fn indented_850_with_many_parties_reads_ship_to_and_lines() {
    let doc = lenient("EDI.Net_x12.850a.edi");
    let po = PurchaseOrder::from_transaction(only_transaction(&doc)).unwrap();
    assert_eq!(po.po_number, "4600000406");
    assert_eq!(po.currency.as_deref(), Some("USD"));
    let ship_to = po.ship_to.as_ref().unwrap();
    assert_eq!(ship_to.name.as_deref(), Some("Transplace Laredo"));
    assert_eq!(ship_to.city.as_deref(), Some("Laredo"));
    let quantities: Vec<Decimal> = po.lines.iter().map(|l| l.quantity).collect();
    assert_eq!(quantities, vec![dec("2500"), dec("2000"), dec("1000")]);
    assert_eq!(po.lines[0].unit, "YD");
    assert_eq!(po.lines[0].ids.buyer_part.as_deref(), Some("A_QU001-BLK"));
    assert_eq!(po.lines[2].ids.buyer_part.as_deref(), Some("A_QF001-RED"));
    assert_eq!(
        po.lines[1].description.as_deref(),
        Some("8oz Quilted Flannel")
    );
}

#[test]
fn vics_850_reads_six_lines() {
    let doc = lenient("node-x12_850_vics.edi");
    let po = PurchaseOrder::from_transaction(only_transaction(&doc)).unwrap();
    assert_eq!(po.po_number, "08292233294");
    assert_eq!(po.lines.len(), 6);
    let last = &po.lines[5];
    assert_eq!(last.quantity, dec("696"));
    assert_eq!(last.unit_price, Some(dec("9.55")));
    assert_eq!(last.ids.vendor_part.as_deref(), Some("DX1875"));
    assert_eq!(last.description.as_deref(), Some("ORANGE WIDGET"));
    assert_eq!(po.dates[0].qualifier, "002");
    // TD5*A*92*P3: TD503 is not a SCAC under qualifier 92.
    assert_eq!(po.carrier_scac, None);
    assert_eq!(po.ship_to.unwrap().postal_code.as_deref(), Some("44139"));
}

#[test]
fn acknowledgements_855_read_line_statuses() {
    let doc = lenient("node-x12_855.edi");
    let ack = PoAcknowledgement::from_transaction(only_transaction(&doc)).unwrap();
    assert_eq!(ack.ack_type, AckType::AcceptedWithDetail);
    assert_eq!(ack.po_number, "POTEST1112");
    assert_eq!(ack.lines.len(), 4);
    let statuses: Vec<&LineStatus> = ack.lines.iter().map(|l| &l.acks[0].status).collect();
    assert_eq!(
        statuses,
        vec![
            &LineStatus::Accepted,
            &LineStatus::Rejected,
            &LineStatus::Rejected,
            &LineStatus::Accepted
        ]
    );
    assert_eq!(ack.lines[0].acks[0].quantity, Some(dec("3")));
    assert_eq!(ack.lines[1].acks[0].quantity, Some(dec("0")));
    assert_eq!(ack.lines[1].line.unit_price, Some(dec("15.99")));

    let doc = lenient("stupidedi_PR855_pass_1.edi");
    let ack = PoAcknowledgement::from_transaction(only_transaction(&doc)).unwrap();
    assert_eq!(ack.ack_type, AckType::Accepted);
    assert_eq!(ack.po_number, "1D711419");
    assert_eq!(ack.seller_order_number.as_deref(), Some("338093"));
    assert_eq!(ack.lines[0].line.quantity, dec("72"));
    assert_eq!(
        ack.lines[0].line.ids.buyer_part.as_deref(),
        Some("C000900237")
    );
}

#[test]
fn ship_notices_856_read_carrier_orders_and_items() {
    // `$` terminators, with three segments ending in `~` + line break instead.
    let doc = lenient("stupidedi_SH856_pass_2.x12");
    let tx = only_transaction(&doc);
    assert_eq!(tx.segments.len(), 25);
    let asn = ShipNotice::from_transaction(tx).unwrap();
    assert_eq!(asn.shipment_id, "861554");
    assert_eq!(asn.carrier_scac.as_deref(), Some("MATL"));
    assert_eq!(asn.bill_of_lading.as_deref(), Some("861554"));
    let from = asn.ship_from.as_ref().unwrap();
    assert_eq!(from.name.as_deref(), Some("SUPPLIER ABC INC"));
    assert_eq!(from.postal_code.as_deref(), Some("G1K 8Y2"));
    assert_eq!(asn.orders.len(), 1);
    let order = &asn.orders[0];
    assert_eq!(order.po_number, "3D812906");
    assert_eq!(
        order.ship_to.as_ref().unwrap().name.as_deref(),
        Some("TORONTO PDC PARTS")
    );
    assert_eq!(order.items.len(), 1);
    assert_eq!(order.items[0].ids.buyer_part.as_deref(), Some("C0355UCAD8"));
    assert_eq!(order.items[0].quantity, dec("40"));
    assert_eq!(order.items[0].unit, "PC");
    assert!(asn.tracking_numbers().is_empty());

    let doc = lenient("stupidedi_SH856_pass_1_minimal.edi");
    let asn = ShipNotice::from_transaction(only_transaction(&doc)).unwrap();
    assert_eq!(asn.shipment_id, "SHIP001");
    assert_eq!(asn.carrier_scac.as_deref(), Some("SCAC"));
    assert_eq!(asn.ship_to.unwrap().name.as_deref(), Some("RECEIVER CORP"));
    assert!(asn.orders.is_empty());
}

#[test]
fn invoices_810_read_totals_with_implied_decimals() {
    let doc = lenient("EDI.Net_x12.810a.edi");
    let inv = Invoice::from_transaction(only_transaction(&doc)).unwrap();
    assert_eq!(inv.invoice_number, "DO091003TESTINV01");
    assert_eq!(inv.po_number.as_deref(), Some("DO091003"));
    assert_eq!(inv.total, dec("365.96"));
    assert_eq!(inv.lines.len(), 2);
    assert_eq!(inv.lines[0].unit_price, dec("99.99"));
    assert_eq!(inv.lines[1].ids.vendor_part.as_deref(), Some("ID002"));
    assert_eq!(inv.party("RI").unwrap().name.as_deref(), Some("XYZ Bank"));

    let doc = lenient("stupidedi_IN810_pass_1_pipe_sep.edi");
    assert_eq!(doc.interchanges[0].separators.element, b'|');
    let inv = Invoice::from_transaction(only_transaction(&doc)).unwrap();
    assert_eq!(inv.invoice_number, "00237058");
    assert_eq!(inv.total, dec("285.66"));
    assert_eq!(inv.lines[0].quantity, dec("4"));
    assert_eq!(inv.lines[0].unit, None);
    assert_eq!(inv.lines[0].ids.other[0].qualifier, "EN");
    assert_eq!(inv.lines[0].ids.other[0].id, "9781501331978");
    assert_eq!(
        inv.party("ST").unwrap().address,
        vec!["123 address_1", "address_2"]
    );
}

#[test]
fn fixture_groups_are_acknowledged_as_accepted() {
    let doc = lenient("node-x12_855.edi");
    let ack = FunctionalAck::for_group(&doc.interchanges[0].groups[0]);
    assert_eq!(ack.functional_id, "PR");
    assert_eq!(ack.group_control_number, "5");
    assert_eq!(ack.code, AckCode::Accepted);
    assert_eq!((ack.included, ack.received, ack.accepted), (1, 1, 1));
}

#[test]
fn strict_parse_error_names_segment_and_element() {
    let err = parse(&read("EDI.Net_x12.850.edi")).unwrap_err();
    match &err {
        ParseError::Envelope(problem) => {
            assert_eq!(problem.element(), "IEA02");
            assert_eq!(problem.position(), 15);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "segment 15 (IEA02): \"000000001\" does not match ISA13 \"000000055\""
    );
}
