use chrono::Duration;
use proptest::prelude::*;

use super::*;
use crate::model::PaymentStatus;
use crate::stock::{Account, balances};

fn order(status: OrderStatus, payment: PaymentStatus, lines: &[(&str, u32)]) -> Order {
    let ids: Vec<String> = (0..lines.len()).map(|i| format!("L{i}")).collect();
    let lines: Vec<(&str, Option<&str>, u32)> = lines
        .iter()
        .zip(&ids)
        .map(|((sku, q), id)| (id.as_str(), Some(*sku), *q))
        .collect();
    Order {
        status,
        payment_status: payment,
        ..crate::rules::testing::order(&lines)
    }
}

fn input<'a>(
    order: &'a Order,
    known: Option<Known>,
    reserved: &'a [Reservation],
    shipped: &'a [ShippedLine],
    kits: &'a Kits,
) -> VersionInput<'a> {
    VersionInput {
        order,
        known,
        reserved,
        routed_to: Some("main"),
        shipped,
        has_parcels: !shipped.is_empty(),
        kits,
    }
}

fn known(o: &Order, state: FulfilState, minutes_ago: i64) -> Option<Known> {
    Some(Known {
        version: (o.updated_at - Duration::minutes(minutes_ago)).timestamp_millis(),
        state,
    })
}

fn change(outcome: VersionOutcome) -> OrderChange {
    match outcome {
        VersionOutcome::Apply(c) => c,
        other => panic!("expected a change, got {other:?}"),
    }
}

#[test]
fn states_round_trip_through_their_stored_form() {
    for s in FulfilState::ALL {
        assert_eq!(s.as_str().parse::<FulfilState>(), Ok(s));
    }
    assert_eq!(
        "lost".parse::<FulfilState>(),
        Err(UnknownState("lost".into()))
    );
}

#[test]
fn orders_only_move_forward() {
    let o = order(OrderStatus::Open, PaymentStatus::Paid, &[("TEE", 1)]);
    let kits = Kits::new();
    let newer = Some(Known {
        version: o.updated_at.timestamp_millis() + 1,
        state: FulfilState::Routed,
    });
    assert_eq!(
        apply_version(input(&o, newer, &[], &[], &kits)),
        VersionOutcome::Stale
    );
    let same = known(&o, FulfilState::Routed, 0);
    assert_eq!(
        apply_version(input(&o, same, &[], &[], &kits)),
        VersionOutcome::Unchanged
    );
}

#[test]
fn a_new_paid_order_reserves_unrouted_and_waits_for_the_router() {
    let o = order(
        OrderStatus::Open,
        PaymentStatus::Paid,
        &[("TEE", 2), ("MUG", 1)],
    );
    let kits = Kits::new();
    let mut i = input(&o, None, &[], &[], &kits);
    i.routed_to = None;
    let c = change(apply_version(i));
    assert!(c.new);
    assert_eq!(c.state, FulfilState::ToRoute);
    assert_eq!(
        c.reservations,
        Some(vec![
            Reservation::new("MUG", None, 1),
            Reservation::new("TEE", None, 2)
        ])
    );
    assert_eq!(c.dirty_skus, ["MUG", "TEE"]);
    let unpaid = order(OrderStatus::Open, PaymentStatus::Pending, &[("TEE", 2)]);
    let c = change(apply_version(input(&unpaid, None, &[], &[], &kits)));
    assert_eq!(c.state, FulfilState::Waiting, "reserved but not routed");
    assert!(c.reservations.is_some());
}

#[test]
fn a_cancellation_of_a_routed_order_releases_and_cancels_at_partners() {
    let o = order(OrderStatus::Cancelled, PaymentStatus::Paid, &[("TEE", 2)]);
    let kits = Kits::new();
    let reserved = [Reservation::new("TEE", Some("bob"), 2)];
    let c = change(apply_version(input(
        &o,
        known(&o, FulfilState::Routed, 5),
        &reserved,
        &[],
        &kits,
    )));
    assert_eq!(c.state, FulfilState::Closed);
    assert_eq!(c.reservations, Some(vec![]));
    assert!(c.cancel_at_partners);
    let waiting = change(apply_version(input(
        &o,
        known(&o, FulfilState::Waiting, 5),
        &[],
        &[],
        &kits,
    )));
    assert!(!waiting.cancel_at_partners, "no partner ever had it");
}

#[test]
fn a_partly_fulfilled_order_keeps_only_its_unshipped_units_where_they_are() {
    let o = order(
        OrderStatus::PartiallyFulfilled,
        PaymentStatus::Paid,
        &[("TEE", 3), ("MUG", 1)],
    );
    let kits = Kits::new();
    let reserved = [
        Reservation::new("MUG", Some("main"), 1),
        Reservation::new("TEE", Some("bob"), 2),
    ];
    let shipped = [ShippedLine {
        line_id: "L0".into(),
        quantity: 1,
    }];
    let c = change(apply_version(input(
        &o,
        known(&o, FulfilState::Routed, 5),
        &reserved,
        &shipped,
        &kits,
    )));
    assert_eq!(c.state, FulfilState::Routed);
    assert_eq!(c.reservations, None, "nothing changes");
    assert!(c.movements.is_empty());
}

#[test]
fn fulfilled_elsewhere_closes_but_fulfilled_after_our_parcel_stays_open() {
    let o = order(OrderStatus::Fulfilled, PaymentStatus::Paid, &[("TEE", 3)]);
    let kits = Kits::new();
    let reserved = [Reservation::new("TEE", Some("bob"), 2)];
    let shipped = [ShippedLine {
        line_id: "L0".into(),
        quantity: 1,
    }];
    let ours = change(apply_version(input(
        &o,
        known(&o, FulfilState::Routed, 5),
        &reserved,
        &shipped,
        &kits,
    )));
    assert_eq!(ours.state, FulfilState::Routed);
    assert_eq!(ours.reservations, None);
    let elsewhere = change(apply_version(input(
        &o,
        known(&o, FulfilState::Routed, 5),
        &reserved,
        &[],
        &kits,
    )));
    assert_eq!(elsewhere.state, FulfilState::Closed);
    assert_eq!(elsewhere.reservations, Some(vec![]));
}

fn any_state() -> impl Strategy<Value = FulfilState> {
    prop::sample::select(FulfilState::ALL.to_vec())
}

fn any_status() -> impl Strategy<Value = OrderStatus> {
    prop::sample::select(vec![
        OrderStatus::Open,
        OrderStatus::Cancelled,
        OrderStatus::Fulfilled,
        OrderStatus::PartiallyFulfilled,
    ])
}

proptest! {
    /// Whatever the version: a finished order never reopens; reservations after it equal what
    /// the order still has to ship (or nothing once finished); the ledger moves exactly the
    /// difference; only SKUs that moved are dirty.
    #[test]
    fn reservations_follow_what_is_left_to_ship(
        status in any_status(),
        paid in any::<bool>(),
        state in any_state(),
        lines in prop::collection::vec((0usize..3, 1u32..5), 1..4),
        held in prop::collection::vec((0usize..3, 0i64..6, any::<bool>()), 0..3),
        shipped_units in 0u32..4,
    ) {
        let skus = ["TEE", "MUG", "CAP"];
        let line_refs: Vec<(&str, u32)> = lines.iter().map(|(s, q)| (skus[*s], *q)).collect();
        let payment = if paid { PaymentStatus::Paid } else { PaymentStatus::Pending };
        let o = order(status, payment, &line_refs);
        let mut reserved: Vec<Reservation> = Vec::new();
        for (s, q, routed) in &held {
            if *q > 0 && !reserved.iter().any(|r| r.sku == skus[*s]) {
                reserved.push(Reservation::new(skus[*s], routed.then_some("bob"), *q));
            }
        }
        let shipped = if shipped_units > 0 {
            vec![ShippedLine { line_id: "L0".into(), quantity: shipped_units }]
        } else {
            vec![]
        };
        let kits = Kits::new();
        let c = change(apply_version(input(&o, known(&o, state, 1), &reserved, &shipped, &kits)));
        if state.is_final() {
            prop_assert_eq!(c.state, state);
        }
        let after = c.reservations.clone().unwrap_or_else(|| reserved.clone());
        let expected = reserved_units(&o, c.state, partly_ours(&o, state, !shipped.is_empty()), &shipped, &kits);
        let mut got: Vec<(String, i64)> = after.iter().map(|r| (r.sku.clone(), r.quantity)).collect();
        got.sort();
        prop_assert_eq!(got, expected);
        let books = balances(&c.movements);
        for sku in skus {
            let before: i64 = reserved.iter().filter(|r| r.sku == sku).map(|r| r.quantity).sum();
            let now: i64 = after.iter().filter(|r| r.sku == sku).map(|r| r.quantity).sum();
            let moved: i64 = books.iter()
                .filter(|((a, s), _)| matches!(a, Account::Reserved(_)) && s == sku)
                .map(|(_, v)| *v).sum();
            prop_assert_eq!(moved, now - before);
            prop_assert_eq!(c.dirty_skus.iter().any(|d| d == sku), books.iter().any(|((_, s), v)| s == sku && *v != 0));
            // A SKU held before stays where it was held.
            if let (Some(b), Some(a)) = (reserved.iter().find(|r| r.sku == sku), after.iter().find(|r| r.sku == sku)) {
                prop_assert_eq!(&a.location, &b.location);
            }
        }
    }
}
