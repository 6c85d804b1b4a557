//! `switchyard edi parse` on files written by the EDI crate's own renderer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use std::process::Command;

use chrono::{NaiveDate, NaiveTime};
use rust_decimal::Decimal;
use switchyard_edi::docs::ItemIds;
use switchyard_edi::docs::po850::{PoLine, PoPurpose, PurchaseOrder};
use switchyard_edi::{InterchangeHeader, Separators, Usage, render_single};

const BIN: &str = env!("CARGO_BIN_EXE_switchyard");

fn run(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .output()
        .expect("run switchyard");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn rendered_po() -> String {
    let po = PurchaseOrder {
        purpose: PoPurpose::Original,
        order_type: "SA".into(),
        po_number: "PO-1".into(),
        date: NaiveDate::from_ymd_opt(2026, 7, 18).unwrap(),
        currency: None,
        references: vec![],
        dates: vec![],
        carrier_scac: None,
        carrier_routing: None,
        ship_to: None,
        lines: vec![PoLine {
            line_number: Some("1".into()),
            quantity: Decimal::new(3, 0),
            unit: "EA".into(),
            unit_price: Some(Decimal::new(995, 2)),
            ids: ItemIds {
                vendor_part: Some("MUG-BLUE".into()),
                ..ItemIds::default()
            },
            description: None,
        }],
    };
    let header = InterchangeHeader {
        sender_qualifier: "ZZ".into(),
        sender_id: "SWITCHYARD".into(),
        receiver_qualifier: "ZZ".into(),
        receiver_id: "SUPPLIER".into(),
        date: NaiveDate::from_ymd_opt(2026, 7, 18).unwrap(),
        time: NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
        control_number: 5,
        usage: Usage::Test,
        ack_requested: false,
    };
    render_single(
        &header,
        9,
        po.to_transaction(1).unwrap(),
        &Separators::default(),
    )
    .unwrap()
}

#[test]
fn edi_parse_prints_the_json_form() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("po.edi");
    std::fs::write(&path, rendered_po()).unwrap();
    let (ok, stdout, stderr) = run(&["edi", "parse", path.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    let value: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let ic = &value["interchanges"][0];
    assert_eq!(ic["sender_id"], "SWITCHYARD");
    assert_eq!(ic["receiver_id"], "SUPPLIER");
    assert_eq!(ic["control_number"], "000000005");
    let group = &ic["groups"][0];
    assert_eq!(group["functional_id"], "PO");
    assert_eq!(group["control_number"], "9");
    let tx = &group["transactions"][0];
    assert_eq!(tx["set_id"], "850");
    assert_eq!(tx["control_number"], "0001");
    assert_eq!(
        tx["segments"],
        serde_json::json!([
            ["ST", "850", "0001"],
            ["BEG", "00", "SA", "PO-1", "", "20260718"],
            ["PO1", "1", "3", "EA", "9.95", "", "VN", "MUG-BLUE"],
            ["CTT", "1", "3"],
            ["SE", "5", "0001"]
        ])
    );
}

#[test]
fn edi_parse_warns_on_a_bad_count_and_fails_only_when_strict() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.edi");
    std::fs::write(&path, rendered_po().replace("SE*5*0001", "SE*4*0001")).unwrap();
    let file = path.to_str().unwrap();
    let (ok, stdout, stderr) = run(&["edi", "parse", "--strict", file]);
    assert!(!ok);
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("segment 7 (SE01): declares 4 segments, transaction set 0001 has 5"),
        "{stderr}"
    );
    let (ok, stdout, stderr) = run(&["edi", "parse", file]);
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("warning:") && stderr.contains("(SE01)"),
        "{stderr}"
    );
    assert!(stdout.contains("\"interchanges\""), "{stdout}");

    let garbage = dir.path().join("garbage.edi");
    std::fs::write(&garbage, "not edi at all").unwrap();
    let (ok, _, stderr) = run(&["edi", "parse", garbage.to_str().unwrap()]);
    assert!(!ok);
    assert!(stderr.contains("expected an ISA header"), "{stderr}");

    let (ok, _, stderr) = run(&["edi", "parse", "/nonexistent/file.edi"]);
    assert!(!ok);
    assert!(stderr.contains("reading /nonexistent/file.edi"), "{stderr}");
}
