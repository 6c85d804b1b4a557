//! The seeds are worth fuzzing from: each channel has payloads its normalizer and its webhook
//! check accept, the configuration example loads, and every EDI reader has a document it reads.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use switchyard_core::model::ChannelKind;
use switchyard_core::ports::Delivery;
use switchyard_edi::Transaction;
use switchyard_fuzz::{seeds, targets};

#[test]
fn every_channel_has_seeds_its_normalizer_accepts() {
    for kind in ChannelKind::ALL {
        let accepted = seeds::orders(kind.as_str())
            .iter()
            .filter(|s| switchyard_connectors::registry::normalize_file(kind, s).is_ok())
            .count();
        assert!(accepted > 0, "{kind}: no seed normalizes");
        // The targets themselves hold on their own seeds.
        for s in seeds::webhooks(kind.as_str()) {
            targets::normalize(kind, &s);
            for dress in 0..4u8 {
                let mut d = vec![dress];
                d.extend_from_slice(&s);
                let _ = targets::webhook(kind, &d);
            }
        }
    }
}

#[test]
fn the_configuration_seeds_load() {
    let configs = seeds::configs();
    let env = |_: &str| Some("x".to_string());
    for (i, c) in configs.iter().enumerate() {
        let text = std::str::from_utf8(c).unwrap();
        if let Err(e) = switchyard_core::config::load_str(text, "seed.yaml", &env) {
            panic!("config seed {i} does not load:\n{e}");
        }
    }
}

#[test]
fn every_edi_reader_has_a_document_it_reads() {
    use switchyard_edi::docs::{
        ack855::PoAcknowledgement, advice945::ShippingAdvice, asn856::ShipNotice,
        inventory846::InventoryAdvice, invoice810::Invoice, order940::ShippingOrder,
        po850::PurchaseOrder,
    };
    let mut read: std::collections::BTreeMap<&str, usize> = Default::default();
    for s in seeds::edi() {
        let parsed = switchyard_edi::parse_lenient(&s).expect("every EDI seed parses");
        let txs: Vec<&Transaction> = parsed
            .document
            .interchanges
            .iter()
            .flat_map(|i| &i.groups)
            .flat_map(|g| &g.transactions)
            .collect();
        for tx in txs {
            let ok = match tx.set_id.as_str() {
                "850" => PurchaseOrder::from_transaction(tx).is_ok(),
                "855" => PoAcknowledgement::from_transaction(tx).is_ok(),
                "856" => ShipNotice::from_transaction(tx).is_ok(),
                "846" => InventoryAdvice::from_transaction(tx).is_ok(),
                "940" => ShippingOrder::from_transaction(tx).is_ok(),
                "945" => ShippingAdvice::from_transaction(tx).is_ok(),
                "810" => Invoice::from_transaction(tx).is_ok(),
                "997" => switchyard_edi::FunctionalAck::from_transaction(tx).is_ok(),
                _ => false,
            };
            if ok {
                *read
                    .entry(match tx.set_id.as_str() {
                        "850" => "850",
                        "855" => "855",
                        "856" => "856",
                        "846" => "846",
                        "940" => "940",
                        "945" => "945",
                        "810" => "810",
                        _ => "997",
                    })
                    .or_default() += 1;
            }
        }
    }
    for set in ["850", "855", "856", "846", "940", "945", "810", "997"] {
        assert!(read.contains_key(set), "no seed reads as {set}: {read:?}");
    }
}

#[test]
fn signed_seed_webhooks_get_past_the_signature_check() {
    // Dress 0 signs as the channel does; Walmart refuses every webhook (it is polled).
    for kind in ChannelKind::ALL {
        let outcomes: Vec<_> = seeds::webhooks(kind.as_str())
            .into_iter()
            .map(|s| {
                let mut d = vec![0u8];
                d.extend_from_slice(&s);
                targets::webhook(kind, &d)
            })
            .collect();
        let accepted = outcomes.iter().filter(|o| o.is_ok()).count();
        if kind == ChannelKind::Walmart {
            assert_eq!(accepted, 0, "{outcomes:?}");
        } else {
            assert!(accepted > 0, "{kind}: {outcomes:?}");
            assert!(
                outcomes.iter().any(|o| matches!(o, Ok(Delivery::Order(_)))),
                "{kind}: no seed is taken as an order delivery: {outcomes:?}"
            );
        }
    }
}
