use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::rules::testing::order;
use crate::stock::balances;

fn partner<'a>(location: &'a str, lines: &'a [LineQuantity]) -> Source<'a> {
    Source::Partner { location, lines }
}

fn named(sku: &str, quantity: u32) -> LineQuantity {
    LineQuantity {
        sku: sku.into(),
        quantity,
    }
}

#[test]
fn a_partner_shipping_one_of_three_writes_back_one_and_keeps_two_reserved() {
    let o = order(&[("L1", Some("TEE"), 3)]);
    let reserved = [Reservation::new("TEE", Some("bob"), 3)];
    let lines = [named("TEE", 1)];
    let p = record_parcel(ParcelInput {
        order: &o,
        reserved: &reserved,
        already_shipped: &[],
        kits: &Kits::new(),
        source: partner("bob", &lines),
    })
    .unwrap();
    assert_eq!(
        p.lines,
        vec![ShippedLine {
            line_id: "L1".into(),
            quantity: 1
        }]
    );
    assert_eq!(
        p.reservations,
        vec![ReservationChange::Shrink {
            sku: "TEE".into(),
            quantity: 2
        }]
    );
    assert_eq!(
        p.leaving,
        vec![Leaving {
            sku: "TEE".into(),
            location: "bob".into(),
            quantity: 1
        }]
    );
    assert!(!p.completes_order);

    // The second parcel carries the other two, and completes the order.
    let reserved = [Reservation::new("TEE", Some("bob"), 2)];
    let lines = [named("TEE", 2)];
    let p = record_parcel(ParcelInput {
        order: &o,
        reserved: &reserved,
        already_shipped: &[ShippedLine {
            line_id: "L1".into(),
            quantity: 1,
        }],
        kits: &Kits::new(),
        source: partner("bob", &lines),
    })
    .unwrap();
    assert_eq!(p.lines[0].quantity, 2);
    assert_eq!(
        p.reservations,
        vec![ReservationChange::Remove { sku: "TEE".into() }]
    );
    assert!(p.completes_order);
}

#[test]
fn a_partner_never_ships_more_than_it_holds_nor_what_another_location_holds() {
    let o = order(&[("L1", Some("TEE"), 2), ("L2", Some("MUG"), 1)]);
    let reserved = [
        Reservation::new("MUG", Some("main"), 1),
        Reservation::new("TEE", Some("bob"), 2),
    ];
    let lines = [named("TEE", 5), named("MUG", 1)];
    let p = record_parcel(ParcelInput {
        order: &o,
        reserved: &reserved,
        already_shipped: &[],
        kits: &Kits::new(),
        source: partner("bob", &lines),
    })
    .unwrap();
    assert_eq!(p.leaving.len(), 1);
    assert_eq!(p.leaving[0].quantity, 2);
    assert_eq!(p.lines.len(), 1);
    assert_eq!(p.lines[0].line_id, "L1");
    assert!(!p.completes_order, "the MUG is still reserved at main");

    let nothing = record_parcel(ParcelInput {
        order: &o,
        reserved: &reserved,
        already_shipped: &[],
        kits: &Kits::new(),
        source: partner("bob", &[named("MUG", 1)]),
    });
    assert_eq!(
        nothing,
        Err(ParcelError::NothingNamed {
            location: "bob".into()
        })
    );
}

#[test]
fn own_shelf_takes_only_units_reserved_there_and_says_where_the_rest_is() {
    let o = order(&[
        ("L1", Some("TEE"), 2),
        ("L2", Some("MUG"), 1),
        ("L3", None, 1),
    ]);
    let reserved = [
        Reservation::new("MUG", None, 1),
        Reservation::new("TEE", Some("bob"), 2),
    ];
    let from = ["main".to_string()];
    let p = record_parcel(ParcelInput {
        order: &o,
        reserved: &reserved,
        already_shipped: &[],
        kits: &Kits::new(),
        source: Source::Locations {
            from: &from,
            decided: Some("main"),
        },
    })
    .unwrap();
    assert_eq!(p.location, "main");
    assert_eq!(
        p.leaving[0].location, "main",
        "unlocated waits at `decided`"
    );
    assert_eq!(
        p.lines.len(),
        1,
        "the SKU-less line waits for the last parcel"
    );
    assert!(!p.completes_order);

    let err = record_parcel(ParcelInput {
        order: &o,
        reserved: &reserved[1..],
        already_shipped: &[],
        kits: &Kits::new(),
        source: Source::Locations {
            from: &from,
            decided: Some("main"),
        },
    })
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "nothing reserved at main to ship (2 × TEE at bob; partner locations ship their own units)"
    );
}

#[test]
fn a_kit_line_counts_only_whole_kits() {
    let kits: Kits = BTreeMap::from([(
        "GIFT".to_string(),
        vec![("MUG".to_string(), 2), ("TEA".to_string(), 1)],
    )]);
    let o = order(&[("L1", Some("GIFT"), 2)]);
    let reserved = [
        Reservation::new("MUG", Some("bob"), 4),
        Reservation::new("TEA", Some("bob"), 2),
    ];
    let lines = [named("MUG", 3), named("TEA", 2)];
    let p = record_parcel(ParcelInput {
        order: &o,
        reserved: &reserved,
        already_shipped: &[],
        kits: &kits,
        source: partner("bob", &lines),
    })
    .unwrap();
    assert_eq!(p.lines[0].quantity, 1, "3 mugs make one whole kit of two");
}

/// A random order of up to 4 SKUs (one line each, sometimes a SKU-less line), its reservations
/// spread over three locations, and a ship notice naming random units.
fn scenario() -> impl Strategy<Value = (Order, Vec<Reservation>, Vec<LineQuantity>, usize)> {
    (
        prop::collection::vec((1u32..6, 0usize..4, 0u32..8), 1..5),
        any::<bool>(),
        0usize..3,
    )
        .prop_map(|(skus, sku_less, who)| {
            let locations = [Some("main"), Some("bob"), None, Some("bolt")];
            let mut lines: Vec<(String, Option<String>, u32)> = Vec::new();
            let mut reserved = Vec::new();
            let mut notice = Vec::new();
            for (i, (q, loc, sent)) in skus.iter().enumerate() {
                let sku = format!("SKU-{i}");
                lines.push((format!("L{i}"), Some(sku.clone()), *q));
                reserved.push(Reservation::new(&sku, locations[*loc], i64::from(*q)));
                notice.push(named(&sku, *sent));
            }
            if sku_less {
                lines.push(("TIP".into(), None, 1));
            }
            let refs: Vec<(&str, Option<&str>, u32)> = lines
                .iter()
                .map(|(a, b, c)| (a.as_str(), b.as_deref(), *c))
                .collect();
            (order(&refs), reserved, notice, who)
        })
}

proptest! {
    /// Units are conserved: what leaves plus what stays reserved is what was reserved; the
    /// ledger moves exactly those units; the write-back carries exactly the units that left;
    /// the order is complete exactly when nothing stays reserved.
    #[test]
    fn a_parcel_moves_exactly_the_units_that_left((o, reserved, notice, who) in scenario()) {
        let from = ["main".to_string()];
        let partners = ["bob", "bolt"];
        let source = match who {
            0 => Source::Locations { from: &from, decided: Some("main") },
            n => partner(partners[n - 1], &notice),
        };
        let Ok(p) = record_parcel(ParcelInput {
            order: &o,
            reserved: &reserved,
            already_shipped: &[],
            kits: &Kits::new(),
            source,
        }) else {
            return Ok(());
        };
        let mut stays: BTreeMap<String, i64> =
            reserved.iter().map(|r| (r.sku.clone(), r.quantity)).collect();
        for c in &p.reservations {
            match c {
                ReservationChange::Shrink { sku, quantity } => { stays.insert(sku.clone(), *quantity); }
                ReservationChange::Remove { sku } => { stays.insert(sku.clone(), 0); }
            }
        }
        let books = balances(&p.movements);
        for r in &reserved {
            let gone: i64 = p.leaving.iter().filter(|l| l.sku == r.sku).map(|l| l.quantity).sum();
            prop_assert!(gone >= 0 && gone <= r.quantity);
            prop_assert_eq!(stays[&r.sku] + gone, r.quantity);
            if let Source::Partner { location, lines } = source {
                let asked: i64 = lines.iter().filter(|l| l.sku == r.sku).map(|l| i64::from(l.quantity)).sum();
                prop_assert!(gone <= asked);
                if r.location.as_deref() != Some(location) {
                    prop_assert_eq!(gone, 0, "another location's units never leave");
                }
            }
            let customer = books.get(&(Account::Customer, r.sku.clone())).copied().unwrap_or(0);
            prop_assert_eq!(customer, gone);
            // Each SKU has one line here, so its line carries exactly what left.
            let carried: i64 = p.lines.iter()
                .filter(|l| o.lines.iter().any(|ol| ol.line_id == l.line_id && ol.sku.as_deref() == Some(&r.sku)))
                .map(|l| i64::from(l.quantity)).sum();
            prop_assert_eq!(carried, gone);
        }
        let reserved_total: i64 = books.iter()
            .filter(|((a, _), _)| matches!(a, Account::Reserved(_)))
            .map(|(_, v)| *v).sum();
        let left: i64 = p.leaving.iter().map(|l| l.quantity).sum();
        prop_assert_eq!(reserved_total, -left);
        prop_assert_eq!(p.completes_order, stays.values().all(|q| *q == 0));
        if o.lines.iter().any(|l| l.sku.is_none()) {
            // A line without a SKU goes with the parcel that completes the order.
            prop_assert_eq!(p.completes_order, p.lines.iter().any(|l| l.line_id == "TIP"));
        }
    }
}
