//! The `email` adapter against a real SMTP server: Python's `aiosmtpd` (PyPI), started here on
//! a free loopback port with a handler written here that stores every message as a `.eml` file
//! and its SMTP envelope as `.json`. If the server cannot start the test fails with the reason;
//! `.ci/run` installs aiosmtpd on a fresh machine.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

mod support;

use mailparse::{MailHeaderMap, ParsedMail, parse_mail};
use rust_decimal::Decimal;
use std::sync::Arc;
use support::smtpd::Smtpd;
use switchyard_connectors::fulfillment::{self, email::CSV_COLUMNS, email::EmailTarget};
use switchyard_core::config::{
    AdapterConfig, AdapterKind, EmailAdapterConfig, LocationConfig, LocationKind, SmtpSecurity,
};
use switchyard_core::connector_state::MemoryState;
use switchyard_core::fulfillment::{
    CancelOutcome, FulfillmentLine, FulfillmentOrder, FulfillmentTarget, OrderRef,
    RequestedShipping, TargetError,
};
use switchyard_core::model::Address;

fn adapter(port: u16, to: &str) -> AdapterConfig {
    let mut email =
        EmailAdapterConfig::new("127.0.0.1", "Switchyard Orders <po@shop.example>", &[to]);
    email.smtp_port = Some(port);
    email.security = SmtpSecurity::None;
    email.cc = vec!["buyer@shop.example".into()];
    AdapterConfig {
        email: Some(email),
        sku_map: [("MUG".to_string(), "ACME-MUG-11OZ".to_string())].into(),
        ..AdapterConfig::new(AdapterKind::Email)
    }
}

fn line(sku: &str, quantity: u32, cents: i64, title: &str) -> FulfillmentLine {
    FulfillmentLine {
        line_id: format!("line-{sku}"),
        sku: sku.into(),
        partner_sku: None,
        quantity,
        unit_price: Decimal::new(cents, 2),
        title: title.into(),
    }
}

fn order() -> FulfillmentOrder {
    FulfillmentOrder {
        reference: "shop:1001".into(),
        channel_order_number: "#1001".into(),
        placed_at: None,
        ship_to: Address {
            name: Some("Ada Lovelace".into()),
            address1: Some("100 N Racine Ave".into()),
            city: Some("Chicago".into()),
            region: Some("IL".into()),
            postal_code: Some("60607".into()),
            country_code: Some("US".into()),
            ..Address::default()
        },
        email: None,
        currency: "USD".into(),
        lines: vec![
            line("MUG", 2, 1250, "Mug, 11 oz"),
            line("PEN", 1, 1250, "Pen \"Deluxe\""),
        ],
        shipping: RequestedShipping {
            method: "Standard".into(),
            carrier: Some("UPS".into()),
        },
    }
}

fn header(mail: &ParsedMail, name: &str) -> String {
    mail.headers.get_first_value(name).unwrap_or_default()
}

#[tokio::test]
async fn the_purchase_order_arrives_with_readable_text_and_a_matching_csv() {
    let smtpd = Smtpd::start().await;
    let target = EmailTarget::new("acme", &adapter(smtpd.port, "orders@acme.example")).unwrap();
    let receipt = target.submit(&order(), "shop:1001").await.unwrap();
    assert_eq!(receipt.partner_order_id, "shop:1001");
    assert!(!receipt.accepted, "a person confirms e-mailed orders later");

    let messages = smtpd.messages();
    assert_eq!(messages.len(), 1);
    let (raw, envelope) = &messages[0];
    assert_eq!(envelope["mail_from"], "po@shop.example");
    assert_eq!(
        envelope["rcpt_tos"],
        serde_json::json!(["orders@acme.example", "buyer@shop.example"])
    );
    let mail = parse_mail(raw).unwrap();
    assert_eq!(header(&mail, "Subject"), "Purchase order shop:1001");
    assert!(header(&mail, "Message-ID").starts_with("<po.shop-1001."));
    assert_eq!(mail.ctype.mimetype, "multipart/mixed");

    let text = mail
        .subparts
        .iter()
        .find(|p| p.ctype.mimetype == "text/plain")
        .expect("a text part")
        .get_body()
        .unwrap();
    for expected in [
        "Purchase order shop:1001",
        "Order number: #1001",
        "Ada Lovelace",
        "100 N Racine Ave",
        "Chicago IL 60607",
        "Shipping: Standard (carrier: UPS)",
        "2 x ACME-MUG-11OZ  (our SKU MUG)  Mug, 11 oz  @ 12.50 = 25.00 USD",
        "1 x PEN  (our SKU PEN)",
        "Order total: 37.50 USD",
    ] {
        assert!(
            text.contains(expected),
            "`{expected}` missing from:\n{text}"
        );
    }

    let csv_part = mail
        .subparts
        .iter()
        .find(|p| p.ctype.mimetype == "text/csv")
        .expect("a CSV attachment");
    let disposition = csv_part.get_content_disposition();
    assert_eq!(
        disposition.disposition,
        mailparse::DispositionType::Attachment
    );
    assert_eq!(disposition.params["filename"], "PO-shop_1001.csv");
    let csv_bytes = csv_part.get_body_raw().unwrap();
    let mut reader = csv::Reader::from_reader(csv_bytes.as_slice());
    let columns: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(columns, CSV_COLUMNS);
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    let expected: Vec<Vec<String>> = [
        [
            "shop:1001",
            "line-MUG",
            "ACME-MUG-11OZ",
            "MUG",
            "Mug, 11 oz",
            "2",
            "12.50",
            "25.00",
            "USD",
        ],
        [
            "shop:1001",
            "line-PEN",
            "PEN",
            "PEN",
            "Pen \"Deluxe\"",
            "1",
            "12.50",
            "12.50",
            "USD",
        ],
    ]
    .iter()
    .map(|r| r.iter().map(|s| s.to_string()).collect())
    .collect();
    assert_eq!(
        rows, expected,
        "one row per order line, quoted where needed"
    );
}

#[tokio::test]
async fn a_resend_carries_the_same_message_id_and_cancel_threads_under_the_po() {
    let smtpd = Smtpd::start().await;
    let target = EmailTarget::new("acme", &adapter(smtpd.port, "orders@acme.example")).unwrap();
    target.submit(&order(), "shop:1001").await.unwrap();
    // The daemon crashed before committing the first send: the same key goes out again.
    target.submit(&order(), "shop:1001").await.unwrap();
    let mut other = order();
    other.reference = "shop:1002".into();
    target.submit(&other, "shop:1002").await.unwrap();
    let outcome = target
        .cancel(
            &OrderRef {
                reference: "shop:1001".into(),
                partner_order_id: Some("shop:1001".into()),
            },
            "cancel:shop:1001",
        )
        .await
        .unwrap();
    assert_eq!(outcome, CancelOutcome::Requested);

    let messages = smtpd.messages();
    assert_eq!(messages.len(), 4);
    let parsed: Vec<ParsedMail> = messages
        .iter()
        .map(|(raw, _)| parse_mail(raw).unwrap())
        .collect();
    let ids: Vec<String> = parsed.iter().map(|m| header(m, "Message-ID")).collect();
    assert_eq!(ids[0], ids[1], "a resend is recognisable");
    assert_ne!(ids[0], ids[2]);
    let cancel = &parsed[3];
    assert_eq!(header(cancel, "Subject"), "CANCEL purchase order shop:1001");
    assert_eq!(header(cancel, "In-Reply-To"), ids[0]);
    assert_ne!(header(cancel, "Message-ID"), ids[0]);
    let body = cancel.get_body().unwrap();
    assert!(
        body.contains("Please CANCEL purchase order shop:1001"),
        "{body}"
    );
}

#[tokio::test]
async fn refusals_and_outages_are_told_apart() {
    let smtpd = Smtpd::start().await;
    let refused = EmailTarget::new("acme", &adapter(smtpd.port, "refused@acme.example")).unwrap();
    let err = refused.submit(&order(), "shop:1").await.unwrap_err();
    assert!(
        matches!(err, TargetError::Rejected(ref why) if why.contains("550")),
        "{err:?}"
    );
    assert!(!err.is_retryable());
    assert!(smtpd.messages().is_empty());

    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let down = EmailTarget::new("acme", &adapter(port, "orders@acme.example")).unwrap();
    let err = down.submit(&order(), "shop:1").await.unwrap_err();
    assert!(matches!(err, TargetError::Transport(_)), "{err:?}");
    assert!(err.is_retryable());
    assert!(matches!(
        down.poll_events(&Default::default()).await,
        Err(TargetError::Unsupported(_))
    ));
}

#[tokio::test]
async fn the_location_builds_an_email_adapter() {
    let smtpd = Smtpd::start().await;
    let location = LocationConfig {
        id: "acme".into(),
        kind: LocationKind::Dropship,
        name: None,
        adapter: Some(adapter(smtpd.port, "orders@acme.example")),
        coordinates: None,
        country: None,
        region: None,
        catalog: Vec::new(),
    };
    let built = fulfillment::build(&location, Arc::new(MemoryState::new()))
        .unwrap()
        .expect("an adapter");
    built.submit(&order(), "shop:1001").await.unwrap();
    assert_eq!(smtpd.messages().len(), 1);
    let mut bad = adapter(smtpd.port, "not an address");
    bad.email.as_mut().unwrap().from = "nobody".into();
    let Err(err) = EmailTarget::new("acme", &bad) else {
        panic!("a bad address must be refused");
    };
    assert!(err.contains("email.from"), "{err}");
}
