//! EDI and CSV partners end to end over a real OpenSSH sshd: the adapters upload and poll
//! through SFTP, the simulators act on the served directories as the partners would.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use rust_decimal::Decimal;
use support::sshd::Sshd;
use switchyard_connectors::fulfillment::csv_sftp::CsvSftpTarget;
use switchyard_connectors::fulfillment::edi_3pl::Edi3plTarget;
use switchyard_connectors::fulfillment::edi_supplier::EdiSupplierTarget;
use switchyard_core::config::{
    AdapterConfig, AdapterKind, CsvColumn, CsvConfig, CsvField, EdiConfig, SftpConfig,
};
use switchyard_core::fulfillment::{
    CancelOutcome, EventKind, FulfillmentLine, FulfillmentOrder, FulfillmentTarget, LineQuantity,
    OrderRef, RequestedShipping, TargetError, TargetEvent,
};
use switchyard_core::model::Address;
use switchyard_core::ports::PollCursor;
use switchyard_edi::docs::po850::PoPurpose;
use switchyard_sim::edi_3pl::{WarehouseConfig, WarehouseSim};
use switchyard_sim::edi_files::Identities;
use switchyard_sim::supplier::{SupplierConfig, SupplierSim};

fn sshd() -> Sshd {
    Sshd::start().unwrap_or_else(|why| panic!("sshd could not start: {why}"))
}

fn adapter(server: &Sshd, kind: AdapterKind, partner: &str) -> AdapterConfig {
    let to = server.dir(&format!("{partner}/to_partner"));
    let from = server.dir(&format!("{partner}/from_partner"));
    let mut config = AdapterConfig::new(kind);
    config.sftp = Some(SftpConfig {
        host: "127.0.0.1".into(),
        port: server.port,
        user: server.user.clone(),
        private_key_path: server.client_key.display().to_string(),
        host_key: server.host_key.clone(),
        outbox: to.display().to_string(),
        inbox: from.display().to_string(),
        archive: None,
        sent: None,
        timeout_secs: 10,
    });
    if kind != AdapterKind::CsvSftp {
        config.edi = Some(EdiConfig {
            sender_qualifier: "ZZ".into(),
            sender_id: "MERCHANT".into(),
            receiver_qualifier: "ZZ".into(),
            receiver_id: partner.to_uppercase(),
            test: false,
        });
    }
    config
}

fn ids(partner: &str) -> Identities {
    Identities {
        partner_qualifier: "ZZ".into(),
        partner_id: partner.to_uppercase(),
        merchant_qualifier: "ZZ".into(),
        merchant_id: "MERCHANT".into(),
    }
}

fn line(id: &str, sku: &str, partner: Option<&str>, quantity: u32, price: &str) -> FulfillmentLine {
    FulfillmentLine {
        line_id: id.into(),
        sku: sku.into(),
        partner_sku: partner.map(str::to_string),
        quantity,
        unit_price: price.parse().unwrap(),
        title: format!("{sku} title"),
    }
}

fn order(reference: &str, lines: Vec<FulfillmentLine>) -> FulfillmentOrder {
    FulfillmentOrder {
        reference: reference.into(),
        channel_order_number: "#1001".into(),
        placed_at: None,
        ship_to: Address {
            name: Some("Ada Lovelace".into()),
            company: None,
            address1: Some("12 Analytical Row".into()),
            address2: Some("Flat 3".into()),
            city: Some("London".into()),
            region: Some("LND".into()),
            postal_code: Some("N1 9GU".into()),
            country_code: Some("GB".into()),
            phone: Some("+44 20 7946 0000".into()),
        },
        email: Some("ada@example.com".into()),
        currency: "GBP".into(),
        lines,
        shipping: RequestedShipping {
            method: "Standard".into(),
            carrier: None,
        },
    }
}

/// Every event of one sweep, following pages (which archives what was read).
async fn drain(target: &dyn FulfillmentTarget) -> Vec<TargetEvent> {
    let mut cursor = PollCursor::default();
    let mut events = Vec::new();
    for _ in 0..20 {
        let page = target.poll_events(&cursor).await.expect("poll");
        events.extend(page.events);
        match page.next_page {
            Some(next) => cursor.page = Some(next),
            None => return events,
        }
    }
    panic!("sweep did not end");
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    names
}

fn lq(sku: &str, quantity: u32) -> LineQuantity {
    LineQuantity {
        sku: sku.into(),
        quantity,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supplier_gets_a_po_answers_855_856_846_and_every_group_is_acknowledged() {
    let server = sshd();
    let mut config = adapter(&server, AdapterKind::EdiSupplier, "acme");
    config.sku_map = BTreeMap::from([
        ("MUG".to_string(), "V-MUG".to_string()),
        ("TEE".to_string(), "V-TEE".to_string()),
    ]);
    let sftp = config.sftp.clone().unwrap();
    let target = EdiSupplierTarget::new("acme", &config, memory()).unwrap();
    let supplier = SupplierSim::new(SupplierConfig {
        inbox: sftp.outbox.clone().into(),
        outbox: sftp.inbox.clone().into(),
        ids: ids("acme"),
        reject: BTreeSet::from(["V-HAT".to_string()]),
        backorder: BTreeSet::new(),
        ship_after: Duration::ZERO,
        carrier_scac: "UPSN".into(),
        stock: BTreeMap::from([("V-MUG".to_string(), 7), ("V-TEE".to_string(), 0)]),
    });

    let sale = order(
        "shop:1001",
        vec![
            line("1", "MUG", Some("V-MUG"), 2, "9.50"),
            line("2", "TEE", None, 1, "15.00"),
            line("3", "HAT", Some("V-HAT"), 1, "12.00"),
        ],
    );
    let started = std::time::Instant::now();
    let receipt = target.submit(&sale, "shop:1001").await.unwrap();
    eprintln!(
        "submit over sftp (connect, check, upload, sent log): {:?}",
        started.elapsed()
    );
    assert_eq!(receipt.partner_order_id, "shop-1001");
    assert!(!receipt.already_existed && !receipt.accepted);
    let again = target.submit(&sale, "shop:1001").await.unwrap();
    assert!(again.already_existed);
    assert_eq!(again.partner_order_id, "shop-1001");
    let uploaded = files(Path::new(&sftp.outbox));
    assert_eq!(uploaded.len(), 1, "one PO file for one key: {uploaded:?}");
    assert!(uploaded[0].starts_with("850_shop-1001_"), "{uploaded:?}");

    supplier.step().unwrap();
    let received = supplier.received();
    assert_eq!(received.len(), 1);
    let po = &received[0];
    assert_eq!(po.purpose, PoPurpose::Original);
    assert_eq!(po.po_number, "shop-1001");
    assert_eq!(po.currency.as_deref(), Some("GBP"));
    let ship_to = po.ship_to.as_ref().expect("N1*ST");
    assert_eq!(ship_to.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(ship_to.address, vec!["12 Analytical Row", "Flat 3"]);
    assert_eq!(ship_to.city.as_deref(), Some("London"));
    assert_eq!(ship_to.postal_code.as_deref(), Some("N1 9GU"));
    assert_eq!(ship_to.country.as_deref(), Some("GB"));
    type Seen<'a> = (Option<&'a str>, Option<&'a str>, Decimal, Option<Decimal>);
    let lines: Vec<Seen> = po
        .lines
        .iter()
        .map(|l| {
            (
                l.ids.vendor_part.as_deref(),
                l.ids.buyer_part.as_deref(),
                l.quantity,
                l.unit_price,
            )
        })
        .collect();
    assert_eq!(
        lines,
        vec![
            (
                Some("V-MUG"),
                Some("MUG"),
                Decimal::from(2),
                Some("9.50".parse().unwrap())
            ),
            (
                Some("V-TEE"),
                Some("TEE"),
                Decimal::ONE,
                Some("15.00".parse().unwrap())
            ),
            (
                Some("V-HAT"),
                Some("HAT"),
                Decimal::ONE,
                Some("12.00".parse().unwrap())
            ),
        ]
    );
    let counters = supplier.counters();
    assert_eq!(counters.purchase_orders, 1);
    assert_eq!(counters.acks_855_sent, 1);
    assert_eq!(counters.ship_notices_856_sent, 1);
    let tracking = supplier.tracking("shop-1001").expect("shipped");

    // A crash before the next page is asked for: the same files are read again, same ids.
    let first = target.poll_events(&PollCursor::default()).await.unwrap();
    let again = target.poll_events(&PollCursor::default()).await.unwrap();
    let ids_of = |events: &[TargetEvent]| -> Vec<String> {
        events.iter().map(|e| e.dedup_id.clone()).collect()
    };
    assert_eq!(ids_of(&first.events), ids_of(&again.events));

    let started = std::time::Instant::now();
    let events = drain(&target).await;
    eprintln!(
        "sweep of 3 files, 2 acks uploaded, 3 archived: {:?}",
        started.elapsed()
    );
    assert_eq!(ids_of(&events), ids_of(&first.events));
    for e in &events {
        assert_eq!(e.order_reference.as_deref(), Some("shop:1001"), "{e:?}");
        assert_eq!(e.partner_order_id.as_deref(), Some("shop-1001"));
    }
    let kinds: Vec<&EventKind> = events.iter().map(|e| &e.kind).collect();
    assert!(
        kinds.contains(&&EventKind::Accepted {
            lines: vec![lq("MUG", 2), lq("TEE", 1)]
        }),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&&EventKind::Rejected {
            lines: vec![lq("HAT", 1)],
            reason: "rejected by the supplier".into()
        }),
        "{kinds:?}"
    );
    let shipped = events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Shipped {
                lines,
                carrier,
                tracking_number,
                ..
            } => Some((lines.clone(), carrier.clone(), tracking_number.clone())),
            _ => None,
        })
        .expect("a Shipped event");
    assert_eq!(
        shipped,
        (vec![lq("MUG", 2), lq("TEE", 1)], "UPSN".into(), tracking)
    );
    assert_eq!(events.len(), 3, "{kinds:?}");

    // The inbox is empty now (archived), and each received group got a 997 back.
    let inbox = Path::new(&sftp.inbox);
    assert!(files(inbox).is_empty(), "{:?}", files(inbox));
    assert_eq!(files(&inbox.join("archive")).len(), 3);
    let acks: Vec<String> = files(Path::new(&sftp.outbox))
        .into_iter()
        .filter(|n| n.starts_with("997_"))
        .collect();
    // The supplier sent three files: a 997 (never acknowledged itself), an 855 and an 856.
    assert_eq!(
        acks.len(),
        2,
        "a 997 for the 855's and the 856's group: {acks:?}"
    );
    supplier.step().unwrap();
    assert_eq!(supplier.counters().acks_997_received, 2);
    assert_eq!(
        supplier.counters().acks_997_sent,
        1,
        "the supplier acknowledged our 850"
    );
    assert_eq!(supplier.acknowledged_groups().len(), 1);
    assert!(drain(&target).await.is_empty());

    // 846 → stock levels by our SKU.
    supplier.publish_inventory("INV20261123").unwrap();
    let stock = drain(&target).await;
    let levels: Vec<(String, i64)> = stock
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::StockLevel { sku, available } => Some((sku.clone(), *available)),
            _ => None,
        })
        .collect();
    assert_eq!(levels, vec![("MUG".into(), 7), ("TEE".into(), 0)]);
    assert!(stock.iter().all(|e| e.order_reference.is_none()));

    // Cancel: an 850 with BEG01 01 for the same PO.
    let second = order("shop:1002", vec![line("1", "MUG", None, 1, "9.50")]);
    target.submit(&second, "shop:1002").await.unwrap();
    let outcome = target
        .cancel(
            &OrderRef {
                reference: "shop:1002".into(),
                partner_order_id: Some("shop-1002".into()),
            },
            "cancel:shop:1002",
        )
        .await
        .unwrap();
    assert_eq!(outcome, CancelOutcome::Requested);
    supplier.step().unwrap();
    let last = supplier.received().pop().unwrap();
    assert_eq!(last.purpose, PoPurpose::Cancellation);
    assert_eq!(last.po_number, "shop-1002");
    assert_eq!(supplier.counters().cancellations, 1);
    let missing = target
        .cancel(
            &OrderRef {
                reference: "shop:nope".into(),
                partner_order_id: None,
            },
            "k",
        )
        .await
        .unwrap_err();
    assert!(matches!(missing, TargetError::NotFound(_)), "{missing:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backordered_lines_are_rejected_with_that_reason_after_a_restart() {
    let server = sshd();
    let config = adapter(&server, AdapterKind::EdiSupplier, "bolt");
    let sftp = config.sftp.clone().unwrap();
    let supplier = SupplierSim::new(SupplierConfig {
        inbox: sftp.outbox.clone().into(),
        outbox: sftp.inbox.clone().into(),
        ids: ids("bolt"),
        reject: BTreeSet::new(),
        backorder: BTreeSet::from(["LAMP".to_string()]),
        ship_after: Duration::from_secs(3600),
        carrier_scac: "FDEG".into(),
        stock: BTreeMap::new(),
    });
    let key = "shopify-main:5678901234567890";
    let state = memory();
    EdiSupplierTarget::new("bolt", &config, state.clone())
        .unwrap()
        .submit(
            &order("shop:77", vec![line("1", "LAMP", None, 3, "40")]),
            key,
        )
        .await
        .unwrap();
    supplier.step().unwrap();
    // A new adapter (a restarted daemon) maps the answer back through the sent log.
    let restarted = EdiSupplierTarget::new("bolt", &config, state).unwrap();
    let events = drain(&restarted).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].order_reference.as_deref(), Some(key));
    assert_eq!(
        events[0].kind,
        EventKind::Rejected {
            lines: vec![lq("LAMP", 3)],
            reason: "backordered".into()
        }
    );
    assert_eq!(supplier.counters().ship_notices_856_sent, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_3pl_takes_a_940_acknowledges_it_and_ships_with_a_945() {
    let server = sshd();
    let mut config = adapter(&server, AdapterKind::Edi3pl, "whse");
    config.sku_map = BTreeMap::from([("MUG".to_string(), "W-100".to_string())]);
    let sftp = config.sftp.clone().unwrap();
    let target = Edi3plTarget::new("whse", &config, memory()).unwrap();
    let warehouse = WarehouseSim::new(WarehouseConfig {
        inbox: sftp.outbox.clone().into(),
        outbox: sftp.inbox.clone().into(),
        ids: ids("whse"),
        unknown_items: BTreeSet::from(["GHOST".to_string()]),
        ship_after: Duration::ZERO,
        carrier_scac: "UPSN".into(),
    });
    let sale = order(
        "shop:2001",
        vec![
            line("1", "MUG", None, 2, "9.50"),
            line("2", "TEE", None, 1, "15"),
        ],
    );
    let receipt = target.submit(&sale, "shop:2001").await.unwrap();
    assert_eq!(receipt.partner_order_id, "shop-2001");
    assert!(
        target
            .submit(&sale, "shop:2001")
            .await
            .unwrap()
            .already_existed
    );
    assert_eq!(files(Path::new(&sftp.outbox)).len(), 1);

    warehouse.step().unwrap();
    let taken = warehouse.orders();
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].depositor_order_number, "shop-2001");
    assert_eq!(taken[0].po_number.as_deref(), Some("#1001"));
    assert_eq!(taken[0].lines[0].ids.sku.as_deref(), Some("MUG"));
    assert_eq!(taken[0].lines[0].ids.vendor_part.as_deref(), Some("W-100"));
    assert_eq!(taken[0].lines[1].ids.vendor_part, None);
    let tracking = warehouse.tracking("shop-2001").expect("shipped");

    let events = drain(&target).await;
    let kinds: Vec<&EventKind> = events.iter().map(|e| &e.kind).collect();
    assert_eq!(events.len(), 2, "{kinds:?}");
    assert!(kinds.contains(&&EventKind::Accepted {
        lines: vec![lq("MUG", 2), lq("TEE", 1)]
    }));
    let shipped = events
        .iter()
        .find(|e| matches!(e.kind, EventKind::Shipped { .. }))
        .expect("shipped");
    assert_eq!(shipped.dedup_id, format!("945:shop-2001:{tracking}"));
    assert_eq!(shipped.order_reference.as_deref(), Some("shop:2001"));
    let EventKind::Shipped {
        lines,
        carrier,
        tracking_number,
        ..
    } = &shipped.kind
    else {
        unreachable!()
    };
    assert_eq!(lines, &vec![lq("MUG", 2), lq("TEE", 1)]);
    assert_eq!(carrier, "UPSN");
    assert_eq!(tracking_number, &tracking);
    // Our 997 answers the 945 (the warehouse's 997 is not acknowledged).
    warehouse.step().unwrap();
    assert_eq!(warehouse.counters().acks_997_received, 1);

    // A 940 for an item the warehouse does not hold: its 997 rejects the group.
    target
        .submit(
            &order("shop:2002", vec![line("1", "GHOST", None, 1, "1")]),
            "shop:2002",
        )
        .await
        .unwrap();
    warehouse.step().unwrap();
    let events = drain(&target).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(
        matches!(&events[0].kind, EventKind::Rejected { lines, reason } if lines.is_empty() && reason.contains("OW")),
        "{events:?}"
    );
    assert_eq!(events[0].order_reference.as_deref(), Some("shop:2002"));
    assert!(matches!(
        target
            .cancel(
                &OrderRef {
                    reference: "shop:2001".into(),
                    partner_order_id: None
                },
                "c"
            )
            .await,
        Err(TargetError::Unsupported(_))
    ));
}

fn col(header: &str, field: CsvField) -> CsvColumn {
    CsvColumn {
        header: header.into(),
        field,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_csv_supplier_gets_an_order_file_and_sends_shipments_and_stock_back() {
    let server = sshd();
    let mut config = adapter(&server, AdapterKind::CsvSftp, "csvco");
    config.sku_map = BTreeMap::from([("MUG".to_string(), "C-MUG".to_string())]);
    config.csv = Some(CsvConfig {
        order_columns: vec![
            col("PO", CsvField::PoNumber),
            col("Item", CsvField::PartnerSku),
            col("Qty", CsvField::Quantity),
            col("Name", CsvField::ShipToName),
            col("Street", CsvField::Address1),
            col("Zip", CsvField::PostalCode),
            col("Country", CsvField::Country),
        ],
        shipment_columns: vec![
            col("PO", CsvField::PoNumber),
            col("Item", CsvField::PartnerSku),
            col("Shipped", CsvField::Quantity),
            col("Carrier", CsvField::Carrier),
            col("Tracking", CsvField::Tracking),
        ],
        stock_columns: vec![
            col("Item", CsvField::PartnerSku),
            col("On hand", CsvField::Quantity),
        ],
        shipment_prefix: "ship".into(),
        stock_prefix: "stock".into(),
    });
    let sftp = config.sftp.clone().unwrap();
    let target = CsvSftpTarget::new("csvco", &config, memory()).unwrap();
    let sale = order(
        "shop:3001",
        vec![
            line("1", "MUG", None, 2, "9.50"),
            line("2", "TEE", None, 1, "15"),
        ],
    );
    target.submit(&sale, "shop:3001").await.unwrap();
    assert!(
        target
            .submit(&sale, "shop:3001")
            .await
            .unwrap()
            .already_existed
    );
    let outbox = Path::new(&sftp.outbox);
    let uploaded = files(outbox);
    assert_eq!(uploaded.len(), 1, "{uploaded:?}");
    let mut reader = csv::Reader::from_path(outbox.join(&uploaded[0])).unwrap();
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        vec!["PO", "Item", "Qty", "Name", "Street", "Zip", "Country"]
    );
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    assert_eq!(
        rows,
        vec![
            vec![
                "shop-3001",
                "C-MUG",
                "2",
                "Ada Lovelace",
                "12 Analytical Row",
                "N1 9GU",
                "GB"
            ],
            vec![
                "shop-3001",
                "TEE",
                "1",
                "Ada Lovelace",
                "12 Analytical Row",
                "N1 9GU",
                "GB"
            ],
        ]
    );

    // A crash after the upload but before the sent-log record: the retry writes the same
    // name again (replacing it through `.tmp` + rename), never a second order file.
    let sent_dir = outbox.parent().unwrap().join("sent");
    for record in files(&sent_dir) {
        std::fs::remove_file(sent_dir.join(record)).unwrap();
    }
    let retry = CsvSftpTarget::new("csvco", &config, memory()).unwrap();
    assert!(
        !retry
            .submit(&sale, "shop:3001")
            .await
            .unwrap()
            .already_existed
    );
    assert_eq!(files(outbox), uploaded, "same single file, no .tmp left");

    let inbox = Path::new(&sftp.inbox);
    std::fs::write(
        inbox.join("ship_20261123.csv"),
        "PO,Item,Shipped,Carrier,Tracking\nshop-3001,C-MUG,2,UPS,1ZCSV1\nshop-3001,TEE,1,UPS,1ZCSV1\n",
    )
    .unwrap();
    std::fs::write(
        inbox.join("stock_20261123.csv"),
        "Item,On hand\nC-MUG,11\nTEE,4\n",
    )
    .unwrap();
    let events = drain(&target).await;
    assert_eq!(events.len(), 3, "{events:?}");
    let shipped = &events[0];
    assert_eq!(shipped.dedup_id, "csv-ship:shop-3001:1ZCSV1");
    assert_eq!(shipped.order_reference.as_deref(), Some("shop:3001"));
    let EventKind::Shipped {
        lines,
        carrier,
        tracking_number,
        ..
    } = &shipped.kind
    else {
        panic!("{shipped:?}")
    };
    assert_eq!(lines, &vec![lq("MUG", 2), lq("TEE", 1)]);
    assert_eq!(
        (carrier.as_str(), tracking_number.as_str()),
        ("UPS", "1ZCSV1")
    );
    let levels: Vec<&EventKind> = events[1..].iter().map(|e| &e.kind).collect();
    assert_eq!(
        levels,
        vec![
            &EventKind::StockLevel {
                sku: "MUG".into(),
                available: 11
            },
            &EventKind::StockLevel {
                sku: "TEE".into(),
                available: 4
            },
        ]
    );
    assert!(files(inbox).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_with_another_host_key_is_refused() {
    let server = sshd();
    let mut config = adapter(&server, AdapterKind::EdiSupplier, "evil");
    let other = std::fs::read_to_string(server.client_key.with_extension("pub")).unwrap();
    config.sftp.as_mut().unwrap().host_key = other;
    let target = EdiSupplierTarget::new("evil", &config, memory()).unwrap();
    let err = target
        .submit(
            &order("shop:1", vec![line("1", "MUG", None, 1, "1")]),
            "shop:1",
        )
        .await
        .unwrap_err();
    match &err {
        TargetError::Auth(why) => assert!(why.contains("host key"), "{why}"),
        other => panic!("expected a host key refusal, got {other:?}"),
    }
    assert!(!err.is_retryable());
    assert!(files(Path::new(&config.sftp.unwrap().outbox)).is_empty());
}

fn memory() -> std::sync::Arc<dyn switchyard_core::connector_state::ConnectorState> {
    std::sync::Arc::new(switchyard_core::connector_state::MemoryState::new())
}
