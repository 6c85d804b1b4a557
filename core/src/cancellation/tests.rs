use super::*;
use crate::rules::testing::order;

fn reserved(rows: &[(&str, Option<&str>, i64)]) -> Vec<Reservation> {
    rows.iter()
        .map(|(s, l, q)| Reservation::new(*s, *l, *q))
        .collect()
}

fn sub(key: &str, location: &str, state: &str) -> OpenSubmission {
    OpenSubmission {
        key: key.into(),
        location: location.into(),
        state: state.into(),
    }
}

fn line(id: &str, q: u32) -> CancelLine {
    CancelLine {
        line_id: id.into(),
        quantity: q,
    }
}

struct Case {
    kind: ChannelKind,
    state: FulfilState,
    reserved: Vec<Reservation>,
    shipped: Vec<ShippedLine>,
    cancelled: Vec<ShippedLine>,
    subs: Vec<OpenSubmission>,
}

impl Case {
    fn new(kind: ChannelKind, state: FulfilState, reserved: Vec<Reservation>) -> Self {
        Case {
            kind,
            state,
            reserved,
            shipped: Vec::new(),
            cancelled: Vec::new(),
            subs: Vec::new(),
        }
    }

    fn plan(&self, ask: &CancelAsk) -> Result<CancelPlan, CancelRefusal> {
        let o = order(&[("1", Some("A"), 2), ("2", Some("B"), 3)]);
        plan(CancelInput {
            kind: self.kind,
            order: &o,
            state: self.state,
            reserved: &self.reserved,
            shipped: &self.shipped,
            cancelled: &self.cancelled,
            submissions: &self.subs,
            kits: &Kits::new(),
            ask,
        })
    }
}

fn whole(reason: CancelReason) -> CancelAsk {
    CancelAsk {
        reason,
        lines: None,
    }
}

#[test]
fn reasons_read_in_any_spelling_and_every_channel_has_a_table() {
    assert_eq!("out-of-stock".parse(), Ok(CancelReason::OutOfStock));
    assert_eq!(
        "Address Undeliverable".parse(),
        Ok(CancelReason::AddressUndeliverable)
    );
    assert!("lost".parse::<CancelReason>().is_err());
    for kind in ChannelKind::ALL {
        assert_eq!(channel_terms(kind).channel, kind);
    }
    assert_eq!(
        channel_terms(ChannelKind::Walmart).code(CancelReason::OutOfStock),
        Some("SELLER_CANCEL_OUT_OF_STOCK")
    );
    assert_eq!(
        channel_terms(ChannelKind::Shopify).code(CancelReason::OutOfStock),
        Some("INVENTORY")
    );
    assert_eq!(
        channel_terms(ChannelKind::Walmart).code(CancelReason::Other),
        None
    );
}

#[test]
fn a_whole_order_releases_everything_and_closes() {
    let case = Case::new(
        ChannelKind::Shopify,
        FulfilState::Routed,
        reserved(&[("A", Some("main"), 2), ("B", Some("main"), 3)]),
    );
    let p = case.plan(&whole(CancelReason::OutOfStock)).unwrap();
    assert!(p.whole);
    assert_eq!(p.state, FulfilState::Closed);
    assert!(p.reservations.is_empty());
    assert_eq!(p.lines, vec![line("1", 2), line("2", 3)]);
    assert_eq!(p.movements.iter().map(|m| m.quantity).sum::<i64>(), 5);
    assert_eq!(p.dirty_skus, vec!["A".to_string(), "B".to_string()]);
    assert_eq!(p.reason_code, "INVENTORY");
    assert_eq!(p.step, ChannelStep::Queue);
}

#[test]
fn shipped_units_refuse_a_whole_cancellation() {
    let mut case = Case::new(
        ChannelKind::Walmart,
        FulfilState::Routed,
        reserved(&[("B", Some("main"), 3)]),
    );
    case.shipped = vec![ShippedLine {
        line_id: "1".into(),
        quantity: 2,
    }];
    let err = case.plan(&whole(CancelReason::OutOfStock)).unwrap_err();
    assert!(matches!(err, CancelRefusal::Shipped(_)), "{err}");
    assert!(err.to_string().contains("already shipped"), "{err}");
    // The unshipped line can still go where the channel cancels lines.
    let p = case
        .plan(&CancelAsk {
            reason: CancelReason::OutOfStock,
            lines: Some(vec![line("2", 3)]),
        })
        .unwrap();
    assert!(!p.whole);
    assert_eq!(p.state, FulfilState::Closed, "nothing left to ship");
    // Not the shipped line.
    let err = case
        .plan(&CancelAsk {
            reason: CancelReason::OutOfStock,
            lines: Some(vec![line("1", 1)]),
        })
        .unwrap_err();
    assert!(matches!(err, CancelRefusal::Shipped(_)), "{err}");
    let shipped = Case::new(ChannelKind::Walmart, FulfilState::Shipped, Vec::new());
    assert!(matches!(
        shipped.plan(&whole(CancelReason::Fraud)),
        Err(CancelRefusal::Shipped(_))
    ));
}

#[test]
fn lines_only_where_the_channel_cancels_lines() {
    let case = Case::new(
        ChannelKind::Shopify,
        FulfilState::Routed,
        reserved(&[("A", Some("main"), 2), ("B", Some("main"), 3)]),
    );
    let ask = CancelAsk {
        reason: CancelReason::OutOfStock,
        lines: Some(vec![line("2", 1)]),
    };
    let err = case.plan(&ask).unwrap_err();
    assert!(err.to_string().contains("only whole orders"), "{err}");
    // Naming every open unit is the whole order, on any channel.
    let all = CancelAsk {
        reason: CancelReason::OutOfStock,
        lines: Some(vec![line("1", 2), line("2", 3)]),
    };
    assert!(case.plan(&all).unwrap().whole);
}

#[test]
fn a_held_line_cancelled_leaves_the_rest_routed() {
    let case = Case::new(
        ChannelKind::Walmart,
        FulfilState::Held,
        reserved(&[("A", Some("main"), 2), ("B", None, 3)]),
    );
    let p = case
        .plan(&CancelAsk {
            reason: CancelReason::OutOfStock,
            lines: Some(vec![line("2", 3)]),
        })
        .unwrap();
    assert_eq!(p.state, FulfilState::Routed);
    assert_eq!(p.reservations, reserved(&[("A", Some("main"), 2)]));
    assert_eq!(p.dirty_skus, vec!["B".to_string()]);
    assert_eq!(p.reason_code, "SELLER_CANCEL_OUT_OF_STOCK");
    // One unit of three: the rest stays held.
    let p = case
        .plan(&CancelAsk {
            reason: CancelReason::OutOfStock,
            lines: Some(vec![line("2", 1)]),
        })
        .unwrap();
    assert_eq!(p.state, FulfilState::Held);
    assert_eq!(
        p.reservations,
        reserved(&[("A", Some("main"), 2), ("B", None, 2)])
    );
}

#[test]
fn partners_cancel_first() {
    let mut case = Case::new(
        ChannelKind::Walmart,
        FulfilState::Routed,
        reserved(&[("A", Some("bob"), 2), ("B", Some("main"), 3)]),
    );
    case.subs = vec![sub("ff:bob:w:1", "bob", "accepted")];
    let p = case.plan(&whole(CancelReason::CustomerRequest)).unwrap();
    assert_eq!(p.cancel_submissions, vec!["ff:bob:w:1".to_string()]);
    assert_eq!(p.step, ChannelStep::AwaitPartners);
    // A line the partner does not hold goes at once.
    let p = case
        .plan(&CancelAsk {
            reason: CancelReason::CustomerRequest,
            lines: Some(vec![line("2", 3)]),
        })
        .unwrap();
    assert!(p.cancel_submissions.is_empty());
    assert_eq!(p.step, ChannelStep::Queue);
    assert_eq!(partners_answered(&["cancelled".into()]), Some(true));
    assert_eq!(partners_answered(&["cancel_requested".into()]), None);
    assert_eq!(partners_answered(&["cancel_refused".into()]), Some(false));
    assert_eq!(
        partners_answered(&["cancelled".into(), "shipped".into()]),
        Some(false)
    );
}

#[test]
fn channels_without_an_api_go_to_a_person_and_missing_codes_are_refused() {
    let case = Case::new(
        ChannelKind::Etsy,
        FulfilState::Routed,
        reserved(&[("A", Some("main"), 2), ("B", Some("main"), 3)]),
    );
    let p = case.plan(&whole(CancelReason::OutOfStock)).unwrap();
    assert_eq!(p.step, ChannelStep::Person);
    assert!(p.reservations.is_empty(), "the stock is freed at once");
    let walmart = Case::new(ChannelKind::Walmart, FulfilState::Routed, Vec::new());
    let err = walmart.plan(&whole(CancelReason::Other)).unwrap_err();
    assert!(matches!(err, CancelRefusal::BadInput("reason", _)), "{err}");
    let closed = Case::new(ChannelKind::Shopify, FulfilState::Closed, Vec::new());
    assert!(matches!(
        closed.plan(&whole(CancelReason::Other)),
        Err(CancelRefusal::NotAllowed(_))
    ));
}

#[test]
fn held_lines_become_an_ask_where_the_channel_allows() {
    let o = order(&[("1", Some("A"), 2), ("2", Some("B"), 3)]);
    let b = vec!["B".to_string()];
    let ask = unfulfillable_ask(ChannelKind::Walmart, &o, &b).unwrap();
    assert_eq!(ask.lines, Some(vec![line("2", 3)]));
    assert_eq!(ask.reason, CancelReason::OutOfStock);
    assert_eq!(unfulfillable_ask(ChannelKind::Shopify, &o, &b), None);
    let both = vec!["A".to_string(), "B".to_string()];
    assert_eq!(
        unfulfillable_ask(ChannelKind::Shopify, &o, &both),
        Some(whole(CancelReason::OutOfStock))
    );
    assert_eq!(unfulfillable_ask(ChannelKind::Etsy, &o, &[]), None);
}
