//! Hand-written variants the fixtures do not cover: delimiters, whitespace, broken envelopes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use serde_json::json;
use switchyard_edi::docs::po850::PurchaseOrder;
use switchyard_edi::{EnvelopeProblem, ParseError, parse, parse_lenient};

/// A one-PO interchange. `e` element separator, `c` component separator, `t` what follows every
/// segment (terminator plus any whitespace), `isa06` the raw sender field.
fn interchange(e: &str, c: &str, t: &str, isa06: &str, isa13: &str, gs06: &str) -> String {
    let segments = [
        format!(
            "ISA*00*          *00*          *ZZ*{isa06}*ZZ*RECEIVER       *260718*1200*U*00401*{isa13}*0*T*{c}"
        ),
        format!("GS*PO*SENDER*RECEIVER*20260718*1200*{gs06}*X*004010"),
        "ST*850*0001".to_string(),
        "BEG*00*SA*PO-77**20260718".to_string(),
        "N1*ST*Ada Lovelace".to_string(),
        "N4*London**NW1 6XE*GB".to_string(),
        "PO1*1*3*EA*9.5**VN*PART-1".to_string(),
        "CTT*1".to_string(),
        "SE*7*0001".to_string(),
        format!("GE*1*{gs06}"),
        format!("IEA*1*{isa13}"),
    ];
    segments
        .iter()
        .map(|s| format!("{}{t}", s.replace('*', e)))
        .collect()
}

fn standard() -> String {
    interchange("*", ">", "~\n", "SENDER         ", "000000042", "42")
}

fn po_of(text: &[u8]) -> PurchaseOrder {
    let doc = parse(text).unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(text)));
    PurchaseOrder::from_transaction(&doc.interchanges[0].groups[0].transactions[0]).unwrap()
}

#[test]
fn json_form_is_exactly_the_documented_shape() {
    let doc = parse(standard().as_bytes()).unwrap();
    let value = serde_json::to_value(&doc).unwrap();
    assert_eq!(
        value,
        json!({"interchanges": [{
            "sender_id": "SENDER",
            "receiver_id": "RECEIVER",
            "control_number": "000000042",
            "groups": [{
                "functional_id": "PO",
                "control_number": "42",
                "transactions": [{
                    "set_id": "850",
                    "control_number": "0001",
                    "segments": [
                        ["ST", "850", "0001"],
                        ["BEG", "00", "SA", "PO-77", "", "20260718"],
                        ["N1", "ST", "Ada Lovelace"],
                        ["N4", "London", "", "NW1 6XE", "GB"],
                        ["PO1", "1", "3", "EA", "9.5", "", "VN", "PART-1"],
                        ["CTT", "1"],
                        ["SE", "7", "0001"]
                    ]
                }]
            }]
        }]})
    );
}

#[test]
fn utf8_bom_is_skipped() {
    let text = format!("\u{FEFF}{}", standard());
    assert_eq!(po_of(text.as_bytes()).po_number, "PO-77");
}

#[test]
fn crlf_and_indentation_between_segments() {
    let text = interchange(
        "*",
        ">",
        "~\r\n\t    ",
        "SENDER         ",
        "000000042",
        "42",
    );
    let po = po_of(text.as_bytes());
    assert_eq!(po.po_number, "PO-77");
    assert_eq!(po.ship_to.unwrap().country.as_deref(), Some("GB"));
}

#[test]
fn dollar_terminator_with_and_without_line_breaks() {
    for t in ["$", "$\n", "$$\r\n"] {
        let text = interchange("*", ">", t, "SENDER         ", "000000042", "42");
        let doc = parse(text.as_bytes()).unwrap_or_else(|e| panic!("{t:?}: {e}"));
        assert_eq!(doc.interchanges[0].separators.segment, b'$');
        assert_eq!(
            doc.interchanges[0].groups[0].transactions[0].segments.len(),
            7
        );
    }
}

#[test]
fn line_break_as_terminator() {
    for t in ["\n", "\r\n"] {
        let text = interchange("*", ">", t, "SENDER         ", "000000042", "42");
        let doc = parse(text.as_bytes()).unwrap_or_else(|e| panic!("{t:?}: {e}"));
        assert_eq!(doc.interchanges[0].separators.segment, b'\n');
        let po = PurchaseOrder::from_transaction(&doc.interchanges[0].groups[0].transactions[0])
            .unwrap();
        assert_eq!(po.lines[0].ids.vendor_part.as_deref(), Some("PART-1"));
    }
}

#[test]
fn pipe_element_separator() {
    let text = interchange("|", "^", "~\n", "SENDER         ", "000000042", "42");
    let doc = parse(text.as_bytes()).unwrap();
    assert_eq!(doc.interchanges[0].separators.element, b'|');
    assert_eq!(doc.interchanges[0].separators.component, b'^');
    assert_eq!(
        po_of(text.as_bytes()).lines[0]
            .unit_price
            .unwrap()
            .to_string(),
        "9.5"
    );
}

#[test]
fn non_ascii_bytes_in_isa06_do_not_shift_separators() {
    // UTF-8 (é, no-break spaces) and a raw Latin-1 byte that is not UTF-8 at all.
    let utf8 = interchange("*", ">", "~\n", "SENDÉR\u{a0}\u{a0}  ", "000000042", "42");
    let doc = parse(utf8.as_bytes()).unwrap();
    assert_eq!(doc.interchanges[0].sender_id, "SENDÉR");
    assert_eq!(doc.interchanges[0].control_number, "000000042");

    let mut latin1 = standard().into_bytes();
    let at = latin1.windows(6).position(|w| w == b"SENDER").unwrap();
    latin1[at + 4] = 0xC9;
    let doc = parse(&latin1).unwrap();
    assert_eq!(doc.interchanges[0].sender_id, "SEND\u{FFFD}R");
    assert_eq!(doc.interchanges[0].receiver_id, "RECEIVER");
}

#[test]
fn short_isa_fields() {
    let text = standard()
        .replace("*          *", "**")
        .replace("SENDER         ", "S1")
        .replace("RECEIVER       ", "R1")
        .replace("000000042", "42");
    assert!(text.lines().next().unwrap().len() < 80);
    let doc = parse(text.as_bytes()).unwrap();
    let ic = &doc.interchanges[0];
    assert_eq!(
        (ic.sender_id.as_str(), ic.receiver_id.as_str()),
        ("S1", "R1")
    );
    assert_eq!(ic.control_number, "42");
    assert_eq!(ic.separators.component, b'>');
}

#[test]
fn two_interchanges_with_their_own_separators() {
    let first = standard();
    let second = interchange("|", "^", "'\r\n", "OTHER          ", "000000043", "43");
    let text = format!("{first}\n\u{FEFF}{second}");
    let doc = parse(text.as_bytes()).unwrap();
    assert_eq!(doc.interchanges.len(), 2);
    assert_eq!(doc.interchanges[0].control_number, "000000042");
    assert_eq!(doc.interchanges[1].control_number, "000000043");
    assert_eq!(doc.interchanges[1].sender_id, "OTHER");
    assert_eq!(doc.interchanges[1].separators.segment, b'\'');
    let tx = &doc.interchanges[1].groups[0].transactions[0];
    assert_eq!(
        PurchaseOrder::from_transaction(tx).unwrap().po_number,
        "PO-77"
    );
}

#[test]
fn wrong_se_count_is_an_error_naming_se01() {
    let text = standard().replace("SE*7*0001", "SE*6*0001");
    let err = parse(text.as_bytes()).unwrap_err();
    assert_eq!(
        err,
        ParseError::Envelope(EnvelopeProblem::SegmentCount {
            position: 9,
            control_number: "0001".into(),
            declared: "6".into(),
            actual: 7,
        })
    );
    assert_eq!(
        err.to_string(),
        "segment 9 (SE01): declares 6 segments, transaction set 0001 has 7"
    );
    // Lenient mode still gives the tree, with the problem listed.
    let parsed = parse_lenient(text.as_bytes()).unwrap();
    assert_eq!(parsed.problems.len(), 1);
    assert_eq!(
        parsed.document.interchanges[0].groups[0].transactions.len(),
        1
    );
}

#[test]
fn wrong_se_control_number_is_an_error_naming_se02() {
    let text = standard().replace("SE*7*0001", "SE*7*0002");
    let err = parse(text.as_bytes()).unwrap_err();
    assert!(err.to_string().starts_with("segment 9 (SE02)"), "{err}");
}

#[test]
fn wrong_ge_control_number_is_an_error_naming_ge02() {
    let text = standard().replace("GE*1*42", "GE*1*41");
    let err = parse(text.as_bytes()).unwrap_err();
    assert_eq!(
        err,
        ParseError::Envelope(EnvelopeProblem::GroupControlNumber {
            position: 10,
            header: "42".into(),
            trailer: "41".into(),
        })
    );
}

#[test]
fn wrong_ge_count_is_an_error_naming_ge01() {
    let text = standard().replace("GE*1*42", "GE*2*42");
    let err = parse(text.as_bytes()).unwrap_err();
    assert!(
        err.to_string().starts_with("segment 10 (GE01): declares 2"),
        "{err}"
    );
}

#[test]
fn wrong_iea_control_number_and_count_are_errors() {
    let text = standard().replace("IEA*1*000000042", "IEA*1*000000024");
    let err = parse(text.as_bytes()).unwrap_err();
    assert!(err.to_string().starts_with("segment 11 (IEA02)"), "{err}");
    let text = standard().replace("IEA*1*000000042", "IEA*3*000000042");
    let err = parse(text.as_bytes()).unwrap_err();
    assert!(err.to_string().starts_with("segment 11 (IEA01)"), "{err}");
}

#[test]
fn padded_control_numbers_agree() {
    let text = standard().replace("GE*1*42", "GE*1*000000042");
    parse(text.as_bytes()).unwrap();
}

#[test]
fn structural_faults_are_errors() {
    let no_se = standard().replace("SE*7*0001~\n", "");
    assert!(matches!(
        parse(no_se.as_bytes()).unwrap_err(),
        ParseError::Unclosed {
            position: 3,
            segment: "ST",
            ..
        }
    ));
    let no_iea = standard().replace("IEA*1*000000042~\n", "");
    assert!(matches!(
        parse(no_iea.as_bytes()).unwrap_err(),
        ParseError::Unclosed { segment: "ISA", .. }
    ));
    let stray = standard().replace("GE*1*42", "REF*XX*1~GE*1*42");
    assert_eq!(
        parse(stray.as_bytes()).unwrap_err().to_string(),
        "segment 10 (REF): unexpected here, expected ST or GE"
    );
    assert!(matches!(
        parse(b"hello").unwrap_err(),
        ParseError::ExpectedIsa { offset: 0, .. }
    ));
    assert_eq!(parse(b" \n\t").unwrap_err(), ParseError::Empty);
    assert!(matches!(
        parse(b"ISA*00*  *00").unwrap_err(),
        ParseError::BadIsa { position: 1, .. }
    ));
    let trailing = format!("{}GARBAGE", standard());
    assert!(matches!(
        parse(trailing.as_bytes()).unwrap_err(),
        ParseError::ExpectedIsa { .. }
    ));
}

#[test]
fn typed_reader_errors_name_segment_and_element() {
    let text = standard().replace("BEG*00*SA*PO-77**", "BEG*00*SA***");
    let doc = parse(text.as_bytes()).unwrap();
    let err = PurchaseOrder::from_transaction(&doc.interchanges[0].groups[0].transactions[0])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "segment 2 (BEG03): required element is missing"
    );

    let text = standard().replace("CTT*1", "CTT*2");
    let doc = parse(text.as_bytes()).unwrap();
    let err = PurchaseOrder::from_transaction(&doc.interchanges[0].groups[0].transactions[0])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "segment 6 (CTT01): declares 2, the transaction set has 1"
    );

    let text = standard().replace("PO1*1*3*EA*9.5", "PO1*1*three*EA*9.5");
    let doc = parse(text.as_bytes()).unwrap();
    let err = PurchaseOrder::from_transaction(&doc.interchanges[0].groups[0].transactions[0])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "segment 5 (PO102): \"three\" is not a decimal number"
    );

    let text = standard().replace("20260718~\nN1", "2026-07-18~\nN1");
    let doc = parse(text.as_bytes()).unwrap();
    let err = PurchaseOrder::from_transaction(&doc.interchanges[0].groups[0].transactions[0])
        .unwrap_err();
    assert!(err.to_string().starts_with("segment 2 (BEG05)"), "{err}");
}

#[test]
fn a_megabyte_parses_quickly() {
    let body: String = (0..20)
        .map(|i| {
            format!(
                "PO1*{i}*3*EA*9.5**VN*PART-{i}*UP*000000000{i:03}~\nPID*F****Widget number {i}~\n"
            )
        })
        .collect();
    let tx = |n: usize| {
        format!(
            "ST*850*{n:04}~\nBEG*00*SA*PO-{n}**20260718~\n{body}CTT*20~\nSE*{}*{n:04}~\n",
            20 * 2 + 4
        )
    };
    let sets: String = (1..=900).map(tx).collect();
    let text = format!(
        "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260718*1200*U*00401*000000001*0*T*>~\nGS*PO*S*R*20260718*1200*1*X*004010~\n{sets}GE*900*1~\nIEA*1*000000001~\n"
    );
    assert!(text.len() > 1_000_000, "{}", text.len());
    let started = std::time::Instant::now();
    let doc = parse(text.as_bytes()).unwrap();
    let elapsed = started.elapsed();
    assert_eq!(doc.interchanges[0].groups[0].transactions.len(), 900);
    eprintln!("parsed {} bytes in {elapsed:?}", text.len());
    // Generous even for an unoptimised build; catches anything quadratic.
    assert!(elapsed.as_secs_f64() < 2.0, "{elapsed:?}");
}
