//! Returns as RMAs. A return is `expected` when the channel reported it, `received` when the
//! units are back (restocked on the shelf they left, or disposed), `refunding` while the
//! refund of the returned lines is on its way to the channel, then `refunded` (the channel
//! holds it) or `refund_by_person` (the channel has no refund API: a person refunds in its
//! admin). Only an expected return can be `cancelled`. Pure: a store loads, applies, commits.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::Kits;
use super::order_version::FulfilState;
use super::returns::{ParcelRecord, ReturnChange, ReturnError, ReturnInput, record_return};
use crate::model::Order;
use crate::ports::{Refund, RefundLine, RefundOutcome};

/// Where an RMA stands (`rmas.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RmaState {
    /// The channel reported the return; the units are not back yet.
    Expected,
    /// The units are back (restocked or disposed); no refund asked yet.
    Received,
    /// The refund is queued for the channel (outbox `refund`).
    Refunding,
    /// The channel holds the refund.
    Refunded,
    /// The channel has no refund API: a person refunds in its admin.
    RefundByPerson,
    /// The return will not come (only an expected one can be cancelled).
    Cancelled,
}

impl RmaState {
    pub const ALL: [RmaState; 6] = [
        RmaState::Expected,
        RmaState::Received,
        RmaState::Refunding,
        RmaState::Refunded,
        RmaState::RefundByPerson,
        RmaState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RmaState::Expected => "expected",
            RmaState::Received => "received",
            RmaState::Refunding => "refunding",
            RmaState::Refunded => "refunded",
            RmaState::RefundByPerson => "refund_by_person",
            RmaState::Cancelled => "cancelled",
        }
    }

    /// A refund was asked for (whether the channel or a person carries it out).
    pub fn refund_asked(self) -> bool {
        matches!(
            self,
            RmaState::Refunding | RmaState::Refunded | RmaState::RefundByPerson
        )
    }
}

impl std::fmt::Display for RmaState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown RMA state `{0}`")]
pub struct UnknownRmaState(pub String);

impl std::str::FromStr for RmaState {
    type Err = UnknownRmaState;
    fn from_str(s: &str) -> Result<Self, UnknownRmaState> {
        RmaState::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRmaState(s.to_string()))
    }
}

/// What happens to received units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// Back on hand where the line shipped from (sellable again).
    Restock,
    /// Written off: nothing goes back on hand.
    Dispose,
}

impl Disposition {
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Restock => "restock",
            Disposition::Dispose => "dispose",
        }
    }

    pub fn parse(s: &str) -> Option<Disposition> {
        match s {
            "restock" => Some(Disposition::Restock),
            "dispose" => Some(Disposition::Dispose),
            _ => None,
        }
    }
}

/// Units of one order line an RMA covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RmaLine {
    pub line_id: String,
    pub quantity: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RmaError {
    #[error("the return is `{state}`: {action} needs it {needs}")]
    State {
        state: RmaState,
        action: &'static str,
        needs: &'static str,
    },
    #[error("a return needs at least one line")]
    NoLines,
    #[error(transparent)]
    Line(#[from] ReturnError),
    #[error("line `{0}` is not on the order")]
    UnknownLine(String),
    #[error("the returned lines are worth nothing: there is nothing to refund")]
    NothingToRefund,
    #[error(
        "refunding {amount} {currency} would bring the order's refunds to {total} {currency}, above its total {order_total}"
    )]
    OverRefund {
        amount: Decimal,
        total: Decimal,
        order_total: Decimal,
        currency: String,
    },
}

/// Checks the lines of a return the channel reports (or an operator opens): every line on
/// the order, at least one unit each. The units are counted against what shipped on receipt.
pub fn expect(order: &Order, lines: &[RmaLine]) -> Result<(), RmaError> {
    if lines.is_empty() {
        return Err(RmaError::NoLines);
    }
    for l in lines {
        if l.quantity <= 0 {
            return Err(ReturnError::Quantity(l.quantity).into());
        }
        if !order.lines.iter().any(|o| o.line_id == l.line_id) {
            return Err(RmaError::UnknownLine(l.line_id.clone()));
        }
    }
    Ok(())
}

/// What a store loaded to receive an RMA's units.
#[derive(Debug, Clone, Copy)]
pub struct ReceiveInput<'a> {
    pub order: &'a Order,
    pub order_state: FulfilState,
    /// `None`: an operator records a return nobody announced (`switchyard return`).
    pub rma_state: Option<RmaState>,
    pub lines: &'a [RmaLine],
    pub disposition: Disposition,
    /// Units of each line received before (other RMAs).
    pub already_returned: &'a BTreeMap<String, i64>,
    pub parcels: &'a [ParcelRecord],
    pub kits: &'a Kits,
}

/// The changes receiving makes: per line, the return (restock, ledger movements).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiveChange {
    pub returns: Vec<(RmaLine, ReturnChange)>,
    pub state: RmaState,
}

/// Receives the units of an expected RMA (or a new one): each line counted against what its
/// parcels carried less what came back before; restocked units go back where they left.
pub fn receive(input: ReceiveInput<'_>) -> Result<ReceiveChange, RmaError> {
    if let Some(state) = input.rma_state
        && state != RmaState::Expected
    {
        return Err(RmaError::State {
            state,
            action: "receiving",
            needs: "expected",
        });
    }
    if input.lines.is_empty() {
        return Err(RmaError::NoLines);
    }
    let mut seen: BTreeMap<String, i64> = input.already_returned.clone();
    let mut returns = Vec::new();
    for line in input.lines {
        let already = seen.get(&line.line_id).copied().unwrap_or(0);
        let change = record_return(ReturnInput {
            order: input.order,
            state: input.order_state,
            line_id: &line.line_id,
            quantity: line.quantity,
            restock: input.disposition == Disposition::Restock,
            already_returned: already,
            parcels: input.parcels,
            kits: input.kits,
        })?;
        *seen.entry(line.line_id.clone()).or_insert(0) += line.quantity;
        returns.push((line.clone(), change));
    }
    Ok(ReceiveChange {
        returns,
        state: RmaState::Received,
    })
}

/// What the order's other RMAs asked to refund, from their stored amounts.
pub fn asked_total(amounts: &[String]) -> Result<Decimal, rust_decimal::Error> {
    amounts
        .iter()
        .try_fold(Decimal::ZERO, |sum, a| Ok(sum + a.parse::<Decimal>()?))
}

/// The idempotency key of an RMA's refund: one refund per return, whatever retries.
pub fn refund_key(channel_id: &str, rma_id: i64) -> String {
    format!("refund:{channel_id}:{rma_id}")
}

/// What a store loaded to ask for an RMA's refund.
#[derive(Debug, Clone, Copy)]
pub struct RefundInput<'a> {
    pub order: &'a Order,
    pub channel_id: &'a str,
    pub rma_id: i64,
    pub rma_state: RmaState,
    pub lines: &'a [RmaLine],
    pub return_external_id: Option<&'a str>,
    /// What the order's other RMAs already asked to refund.
    pub already_refunded: Decimal,
    /// The lines of the order's other RMAs the channel already refunded (state `refunded`).
    pub refunded_rmas: &'a [Vec<RmaLine>],
}

/// The refund to queue (outbox `refund` with `key`) and the RMA's next state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundChange {
    pub refund: Refund,
    pub key: String,
    pub state: RmaState,
}

/// Each line's refund amount (unit price × units, to the cent), summed per line: what a
/// channel that shows no note (eBay) can tell two refunds of one order apart by.
fn line_amounts(order: &Order, lines: &[RmaLine]) -> BTreeMap<String, Decimal> {
    let mut amounts: BTreeMap<String, Decimal> = BTreeMap::new();
    for l in lines {
        let unit = order
            .lines
            .iter()
            .find(|o| o.line_id == l.line_id)
            .map_or(Decimal::ZERO, |o| o.unit_price);
        *amounts.entry(l.line_id.clone()).or_default() +=
            (unit * Decimal::from(l.quantity)).round_dp(2);
    }
    amounts
}

/// Asks for the refund of a received RMA: each line's unit price × the units returned,
/// never more in all than the order's total.
pub fn refund(input: RefundInput<'_>) -> Result<RefundChange, RmaError> {
    if input.rma_state != RmaState::Received {
        return Err(RmaError::State {
            state: input.rma_state,
            action: "refunding",
            needs: "received",
        });
    }
    let mut lines = Vec::new();
    for l in input.lines {
        let line = input
            .order
            .lines
            .iter()
            .find(|o| o.line_id == l.line_id)
            .ok_or_else(|| RmaError::UnknownLine(l.line_id.clone()))?;
        let quantity = u32::try_from(l.quantity).map_err(|_| ReturnError::Quantity(l.quantity))?;
        lines.push(RefundLine {
            line_id: l.line_id.clone(),
            quantity,
            amount: line.unit_price * Decimal::from(quantity),
        });
    }
    let amount: Decimal = lines.iter().map(|l| l.amount).sum();
    if amount <= Decimal::ZERO {
        return Err(RmaError::NothingToRefund);
    }
    let total = input.already_refunded + amount;
    if total > input.order.total {
        return Err(RmaError::OverRefund {
            amount,
            total,
            order_total: input.order.total,
            currency: input.order.currency.clone(),
        });
    }
    let own = line_amounts(input.order, input.lines);
    let identical = input
        .refunded_rmas
        .iter()
        .filter(|other| line_amounts(input.order, other) == own)
        .count();
    Ok(RefundChange {
        refund: Refund {
            order_external_id: input.order.external_id.clone(),
            currency: input.order.currency.clone(),
            lines,
            amount,
            rma_id: input.rma_id,
            return_external_id: input.return_external_id.map(str::to_string),
            identical_refunded: u32::try_from(identical).unwrap_or(u32::MAX),
        },
        key: refund_key(input.channel_id, input.rma_id),
        state: RmaState::Refunding,
    })
}

/// The state the channel's answer to a refund leads to; `None` when the RMA is no longer
/// waiting for one (an answer recorded twice changes nothing).
pub fn refund_answered(state: RmaState, outcome: &RefundOutcome) -> Option<RmaState> {
    (state == RmaState::Refunding).then_some(match outcome {
        RefundOutcome::Refunded { .. } => RmaState::Refunded,
        RefundOutcome::ByPerson { .. } => RmaState::RefundByPerson,
    })
}

/// A person confirms they refunded in the channel's admin.
pub fn refunded_by_person(state: RmaState) -> Result<RmaState, RmaError> {
    if state == RmaState::RefundByPerson {
        Ok(RmaState::Refunded)
    } else {
        Err(RmaError::State {
            state,
            action: "confirming a refund made by a person",
            needs: "refund_by_person",
        })
    }
}

/// Cancels an expected return (the buyer kept the goods, the channel closed the request).
pub fn cancel(state: RmaState) -> Result<RmaState, RmaError> {
    if state == RmaState::Expected {
        Ok(RmaState::Cancelled)
    } else {
        Err(RmaError::State {
            state,
            action: "cancelling",
            needs: "expected",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ShippedLine;
    use crate::stock::Account;

    fn order() -> Order {
        let mut o = crate::rules::testing::order(&[("A", Some("TEE"), 3), ("B", Some("MUG"), 1)]);
        o.lines[0].unit_price = Decimal::new(1250, 2);
        o.lines[1].unit_price = Decimal::new(800, 2);
        o.total = Decimal::new(4550, 2);
        o
    }

    fn parcels() -> Vec<ParcelRecord> {
        vec![ParcelRecord {
            location: "main".into(),
            lines: vec![
                ShippedLine {
                    line_id: "A".into(),
                    quantity: 3,
                },
                ShippedLine {
                    line_id: "B".into(),
                    quantity: 1,
                },
            ],
        }]
    }

    fn line(id: &str, q: i64) -> RmaLine {
        RmaLine {
            line_id: id.into(),
            quantity: q,
        }
    }

    #[test]
    fn states_round_trip() {
        for s in RmaState::ALL {
            assert_eq!(s.as_str().parse::<RmaState>(), Ok(s));
        }
        assert!("lost".parse::<RmaState>().is_err());
    }

    #[test]
    fn receiving_restocks_each_line_and_counts_lines_within_one_rma() {
        let o = order();
        let p = parcels();
        let kits = Kits::new();
        let none = BTreeMap::new();
        let lines = [line("A", 2), line("B", 1)];
        let input = ReceiveInput {
            order: &o,
            order_state: FulfilState::Shipped,
            rma_state: Some(RmaState::Expected),
            lines: &lines,
            disposition: Disposition::Restock,
            already_returned: &none,
            parcels: &p,
            kits: &kits,
        };
        let c = receive(input).unwrap();
        assert_eq!(c.state, RmaState::Received);
        assert_eq!(c.returns.len(), 2);
        assert_eq!(c.returns[0].1.restocked, [("TEE".to_string(), 2)]);
        assert!(
            c.returns[0]
                .1
                .movements
                .iter()
                .all(|m| m.from == Account::Return)
        );
        // The same line twice in one RMA is counted together.
        let twice = [line("A", 2), line("A", 2)];
        assert!(matches!(
            receive(ReceiveInput {
                lines: &twice,
                ..input
            }),
            Err(RmaError::Line(ReturnError::TooMany { .. }))
        ));
        // Disposed units move nothing.
        let c = receive(ReceiveInput {
            disposition: Disposition::Dispose,
            ..input
        })
        .unwrap();
        assert!(c.returns.iter().all(|(_, r)| r.movements.is_empty()));
        // Only an expected RMA is received.
        assert!(matches!(
            receive(ReceiveInput {
                rma_state: Some(RmaState::Received),
                ..input
            }),
            Err(RmaError::State { .. })
        ));
        assert_eq!(
            receive(ReceiveInput {
                lines: &[],
                ..input
            }),
            Err(RmaError::NoLines)
        );
    }

    #[test]
    fn a_refund_is_the_returned_lines_amounts_and_never_above_the_order_total() {
        let o = order();
        let lines = [line("A", 2), line("B", 1)];
        let input = RefundInput {
            order: &o,
            channel_id: "shop",
            rma_id: 7,
            rma_state: RmaState::Received,
            lines: &lines,
            return_external_id: Some("R1"),
            already_refunded: Decimal::ZERO,
            refunded_rmas: &[],
        };
        let c = refund(input).unwrap();
        assert_eq!(c.key, "refund:shop:7");
        assert_eq!(c.state, RmaState::Refunding);
        assert_eq!(c.refund.amount, Decimal::new(3300, 2));
        assert_eq!(c.refund.lines[0].amount, Decimal::new(2500, 2));
        assert_eq!(c.refund.return_external_id.as_deref(), Some("R1"));
        assert!(matches!(
            refund(RefundInput {
                already_refunded: Decimal::new(1300, 2),
                ..input
            }),
            Err(RmaError::OverRefund { .. })
        ));
        assert!(
            refund(RefundInput {
                already_refunded: Decimal::new(1250, 2),
                ..input
            })
            .is_ok(),
            "exactly the order total is allowed"
        );
        let earlier = [
            vec![line("A", 2), line("B", 1)],
            vec![line("B", 1), line("A", 1), line("A", 1)],
            vec![line("A", 1), line("B", 1)],
        ];
        let c = refund(RefundInput {
            refunded_rmas: &earlier,
            ..input
        })
        .unwrap();
        assert_eq!(
            c.refund.identical_refunded, 2,
            "the same lines and amounts in any order count; other quantities do not"
        );
        for state in [
            RmaState::Expected,
            RmaState::Refunding,
            RmaState::Refunded,
            RmaState::Cancelled,
        ] {
            assert!(matches!(
                refund(RefundInput {
                    rma_state: state,
                    ..input
                }),
                Err(RmaError::State { .. })
            ));
        }
        let mut free = o.clone();
        free.lines[1].unit_price = Decimal::ZERO;
        let b = [line("B", 1)];
        assert_eq!(
            refund(RefundInput {
                order: &free,
                lines: &b,
                ..input
            }),
            Err(RmaError::NothingToRefund)
        );
    }

    #[test]
    fn answers_move_only_a_refund_in_flight() {
        let done = RefundOutcome::Refunded {
            refund_id: "9".into(),
        };
        let person = RefundOutcome::ByPerson { why: "no".into() };
        assert_eq!(
            refund_answered(RmaState::Refunding, &done),
            Some(RmaState::Refunded)
        );
        assert_eq!(
            refund_answered(RmaState::Refunding, &person),
            Some(RmaState::RefundByPerson)
        );
        assert_eq!(refund_answered(RmaState::Refunded, &done), None);
        assert_eq!(
            refunded_by_person(RmaState::RefundByPerson),
            Ok(RmaState::Refunded)
        );
        assert!(refunded_by_person(RmaState::Refunding).is_err());
        assert_eq!(cancel(RmaState::Expected), Ok(RmaState::Cancelled));
        assert!(cancel(RmaState::Received).is_err());
    }

    #[test]
    fn expected_lines_must_be_on_the_order() {
        let o = order();
        assert!(expect(&o, &[line("A", 1)]).is_ok());
        assert_eq!(
            expect(&o, &[line("Z", 1)]),
            Err(RmaError::UnknownLine("Z".into()))
        );
        assert!(expect(&o, &[line("A", 0)]).is_err());
        assert_eq!(expect(&o, &[]), Err(RmaError::NoLines));
    }
}
