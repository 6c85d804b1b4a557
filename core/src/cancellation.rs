//! Cancelling an order on its channel (a seller cancellation), as data and one pure rule.
//!
//! - [`CancelReason`]: the canonical reasons an operator (or the daemon) gives.
//! - [`channel_terms`]: per channel, as a table like `carriers.rs` keeps carriers, how the
//!   channel takes a cancellation (whole order, lines, or only a person in its admin) and the
//!   channel's own code for each reason (`None`: the channel has no code for it, and the
//!   request is refused naming the reasons it does take).
//! - [`plan`]: from what a store loaded (the order, its state, reservations, parcels, earlier
//!   cancellations, open partner submissions), what cancelling changes — reservations,
//!   ledger movements, dirty SKUs, the order's state, which partners must cancel first and
//!   whether the channel can be asked now — or why it is refused. Every store engine applies
//!   the same [`CancelPlan`].

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::model::{ChannelKind, Order, ShippedLine};
use crate::rules::order_version::{FulfilState, reserved_units};
use crate::rules::{Kits, Reservation};
use crate::stock::{Movement, reservation_movements};

/// Why the seller cancels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelReason {
    OutOfStock,
    CustomerRequest,
    Fraud,
    AddressUndeliverable,
    PricingError,
    Other,
}

impl CancelReason {
    pub const ALL: [CancelReason; 6] = [
        CancelReason::OutOfStock,
        CancelReason::CustomerRequest,
        CancelReason::Fraud,
        CancelReason::AddressUndeliverable,
        CancelReason::PricingError,
        CancelReason::Other,
    ];

    /// The stored and typed form (`out_of_stock`).
    pub fn as_str(self) -> &'static str {
        match self {
            CancelReason::OutOfStock => "out_of_stock",
            CancelReason::CustomerRequest => "customer_request",
            CancelReason::Fraud => "fraud",
            CancelReason::AddressUndeliverable => "address_undeliverable",
            CancelReason::PricingError => "pricing_error",
            CancelReason::Other => "other",
        }
    }

    /// As a person reads it ("out of stock").
    pub fn label(self) -> String {
        self.as_str().replace('_', " ")
    }
}

impl fmt::Display for CancelReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A reason that is none of [`CancelReason::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown cancellation reason `{0}` (expected one of: out_of_stock, customer_request, fraud, address_undeliverable, pricing_error, other)"
)]
pub struct UnknownReason(pub String);

impl FromStr for CancelReason {
    type Err = UnknownReason;
    /// `out_of_stock`, `out-of-stock` and `Out of stock` alike.
    fn from_str(s: &str) -> Result<Self, UnknownReason> {
        let wanted: String = s
            .trim()
            .chars()
            .map(|c| {
                if c == '-' || c == ' ' {
                    '_'
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect();
        CancelReason::ALL
            .into_iter()
            .find(|r| r.as_str() == wanted)
            .ok_or_else(|| UnknownReason(s.to_string()))
    }
}

/// How much of an order a channel lets a seller cancel through its API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelScope {
    /// Only the whole order (Shopify `orderCancel`, WooCommerce and BigCommerce status, eBay).
    WholeOrder,
    /// Single lines and quantities (Walmart `cancelOrderLines`), or the whole order.
    Lines,
    /// No seller cancellation in the API: a person cancels in the channel's admin.
    Person,
}

/// One channel's cancellation terms.
#[derive(Debug)]
pub struct ChannelCancelTerms {
    pub channel: ChannelKind,
    pub scope: CancelScope,
    /// The operation used, as README names it.
    pub api: &'static str,
    /// (canonical reason, the channel's code). A reason missing here has no code there.
    pub codes: &'static [(CancelReason, &'static str)],
}

impl ChannelCancelTerms {
    /// The channel's code for `reason`, when it has one.
    pub fn code(&self, reason: CancelReason) -> Option<&'static str> {
        self.codes
            .iter()
            .find(|(r, _)| *r == reason)
            .map(|(_, c)| *c)
    }

    /// The canonical reasons the channel has a code for.
    pub fn reasons(&self) -> Vec<CancelReason> {
        self.codes.iter().map(|(r, _)| *r).collect()
    }
}

use CancelReason::{AddressUndeliverable, CustomerRequest, Fraud, Other, OutOfStock, PricingError};

/// Shopify `OrderCancelReason` (admin_2025-04.graphql): CUSTOMER, DECLINED, FRAUD, INVENTORY,
/// OTHER, STAFF. A pricing error is the staff's error; an undeliverable address has no code of
/// its own.
const SHOPIFY: ChannelCancelTerms = ChannelCancelTerms {
    channel: ChannelKind::Shopify,
    scope: CancelScope::WholeOrder,
    api: "GraphQL `orderCancel` (refund, restock false: Switchyard keeps the stock)",
    codes: &[
        (OutOfStock, "INVENTORY"),
        (CustomerRequest, "CUSTOMER"),
        (Fraud, "FRAUD"),
        (AddressUndeliverable, "OTHER"),
        (PricingError, "STAFF"),
        (Other, "OTHER"),
    ],
};

/// WooCommerce has no reason field: the order's `status` becomes `cancelled` and the reason
/// goes in a private order note (`POST /orders/{id}/notes`), these words.
const WOOCOMMERCE: ChannelCancelTerms = ChannelCancelTerms {
    channel: ChannelKind::Woocommerce,
    scope: CancelScope::WholeOrder,
    api: "`PUT /orders/{id}` `status: cancelled`, reason as a private order note",
    codes: &[
        (OutOfStock, "out of stock"),
        (CustomerRequest, "customer request"),
        (Fraud, "fraud"),
        (AddressUndeliverable, "address undeliverable"),
        (PricingError, "pricing error"),
        (Other, "other"),
    ],
};

/// BigCommerce orders v2: `status_id` 5 (Cancelled); no reason field, so the reason goes in
/// `staff_notes`, these words.
const BIGCOMMERCE: ChannelCancelTerms = ChannelCancelTerms {
    channel: ChannelKind::Bigcommerce,
    scope: CancelScope::WholeOrder,
    api: "`PUT /v2/orders/{id}` `status_id: 5`, reason in `staff_notes`",
    codes: &[
        (OutOfStock, "out of stock"),
        (CustomerRequest, "customer request"),
        (Fraud, "fraud"),
        (AddressUndeliverable, "address undeliverable"),
        (PricingError, "pricing error"),
        (Other, "other"),
    ],
};

/// Walmart `CancelLineStatusType.cancellationReason` (raw_orders.json): five values and no
/// "other"; `CUSTOMER_REQUESTED_SELLER_TO_CANCEL` only where the customer asked.
const WALMART: ChannelCancelTerms = ChannelCancelTerms {
    channel: ChannelKind::Walmart,
    scope: CancelScope::Lines,
    api: "`POST /v3/orders/{purchaseOrderId}/cancel` (cancelOrderLines)",
    codes: &[
        (OutOfStock, "SELLER_CANCEL_OUT_OF_STOCK"),
        (CustomerRequest, "CUSTOMER_REQUESTED_SELLER_TO_CANCEL"),
        (Fraud, "SELLER_CANCEL_FRAUD_STOP_SHIPMENT"),
        (
            AddressUndeliverable,
            "SELLER_CANCEL_ADDRESS_NOT_SERVICEABLE",
        ),
        (PricingError, "SELLER_CANCEL_PRICING_ERROR"),
    ],
};

/// eBay Post-Order API `CancelReasonEnum`, the values a seller may give
/// (<https://developer.ebay.com/Devzone/post-order/types/CancelReasonEnum.html>):
/// ADDRESS_ISSUES, BUYER_ASKED_CANCEL, OUT_OF_STOCK_OR_CANNOT_FULFILL. Everything that is
/// neither the buyer's wish nor the address is "cannot fulfil" (a seller defect on eBay).
/// Whole orders only: "the cancellation operations in the Post-Order API act upon an entire
/// order" (post-order user guide, cancellations).
const EBAY: ChannelCancelTerms = ChannelCancelTerms {
    channel: ChannelKind::Ebay,
    scope: CancelScope::WholeOrder,
    api: "Post-Order API `POST /post-order/v2/cancellation` (seller-initiated)",
    codes: &[
        (OutOfStock, "OUT_OF_STOCK_OR_CANNOT_FULFILL"),
        (CustomerRequest, "BUYER_ASKED_CANCEL"),
        (Fraud, "OUT_OF_STOCK_OR_CANNOT_FULFILL"),
        (AddressUndeliverable, "ADDRESS_ISSUES"),
        (PricingError, "OUT_OF_STOCK_OR_CANNOT_FULFILL"),
        (Other, "OUT_OF_STOCK_OR_CANNOT_FULFILL"),
    ],
};

/// Amazon: neither Orders API in `../shared/specs` (v0, 2026-01-01) has a seller
/// cancellation; Amazon's own route is the order acknowledgement feed
/// (`POST_ORDER_ACKNOWLEDGEMENT_DATA`, an XML feed with a `CancelReason`), whose schema is not
/// among the specs we check against. A person cancels in Seller Central; the reason is shown
/// in Amazon's words (its `CancelReason` values).
const AMAZON: ChannelCancelTerms = ChannelCancelTerms {
    channel: ChannelKind::Amazon,
    scope: CancelScope::Person,
    api: "none in the published Orders APIs: a person cancels in Seller Central",
    codes: &[
        (OutOfStock, "NoInventory"),
        (CustomerRequest, "BuyerCanceled"),
        (Fraud, "GeneralAdjustment"),
        (AddressUndeliverable, "ShippingAddressUndeliverable"),
        (PricingError, "GeneralAdjustment"),
        (Other, "GeneralAdjustment"),
    ],
};

/// Etsy Open API v3 has no endpoint to cancel a receipt: a person cancels in Shop Manager.
const ETSY: ChannelCancelTerms = ChannelCancelTerms {
    channel: ChannelKind::Etsy,
    scope: CancelScope::Person,
    api: "none in Open API v3: a person cancels in Shop Manager",
    codes: &[
        (OutOfStock, "out of stock"),
        (CustomerRequest, "buyer requested"),
        (Fraud, "fraud"),
        (AddressUndeliverable, "address undeliverable"),
        (PricingError, "pricing error"),
        (Other, "other"),
    ],
};

/// Every channel's terms.
pub const TERMS: [&ChannelCancelTerms; 7] = [
    &SHOPIFY,
    &WOOCOMMERCE,
    &AMAZON,
    &EBAY,
    &WALMART,
    &ETSY,
    &BIGCOMMERCE,
];

/// The cancellation terms of a channel kind.
pub fn channel_terms(kind: ChannelKind) -> &'static ChannelCancelTerms {
    match kind {
        ChannelKind::Shopify => &SHOPIFY,
        ChannelKind::Woocommerce => &WOOCOMMERCE,
        ChannelKind::Amazon => &AMAZON,
        ChannelKind::Ebay => &EBAY,
        ChannelKind::Walmart => &WALMART,
        ChannelKind::Etsy => &ETSY,
        ChannelKind::Bigcommerce => &BIGCOMMERCE,
    }
}

/// Units of one line to cancel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelLine {
    pub line_id: String,
    pub quantity: u32,
}

/// What the channel is asked (the outbox payload of `cancel_order`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelCancel {
    /// Switchyard's cancellation id.
    pub cancellation_id: i64,
    pub order_external_id: String,
    pub order_number: String,
    /// The whole order (every line) or only `lines`.
    pub whole: bool,
    /// The units cancelled, per line (every unshipped line for a whole order).
    pub lines: Vec<CancelLine>,
    pub reason: CancelReason,
    /// The channel's code for `reason` ([`ChannelCancelTerms::code`]).
    pub reason_code: String,
}

/// What an operator (or the daemon) asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelAsk {
    pub reason: CancelReason,
    /// `None`: the whole order.
    pub lines: Option<Vec<CancelLine>>,
}

/// A partner submission of the order not yet finished. A `queued` one needs no cancel: its
/// submit reads the reservations when it is sent (a whole order's queued submit is closed
/// unsent by the store, as when the channel cancels).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenSubmission {
    pub key: String,
    pub location: String,
    /// queued | submitted | accepted | cancel_requested
    pub state: String,
}

/// What a store loaded to plan a cancellation.
#[derive(Debug, Clone, Copy)]
pub struct CancelInput<'a> {
    pub kind: ChannelKind,
    pub order: &'a Order,
    pub state: FulfilState,
    pub reserved: &'a [Reservation],
    /// Lines of every parcel recorded for the order.
    pub shipped: &'a [ShippedLine],
    /// Units earlier cancellations (not refused) took off each line.
    pub cancelled: &'a [ShippedLine],
    pub submissions: &'a [OpenSubmission],
    pub kits: &'a Kits,
    pub ask: &'a CancelAsk,
}

/// What happens on the channel's side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelStep {
    /// Queue the channel call now.
    Queue,
    /// Partners hold units: ask them to cancel first; the channel call waits for their answer.
    AwaitPartners,
    /// The channel has no cancellation API: listed for a person.
    Person,
}

impl ChannelStep {
    /// The cancellation's stored state.
    pub fn state(&self) -> CancelState {
        match self {
            ChannelStep::Queue => CancelState::Queued,
            ChannelStep::AwaitPartners => CancelState::AwaitingPartner,
            ChannelStep::Person => CancelState::NeedsPerson,
        }
    }
}

/// Where a cancellation stands (`channel_cancellations.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelState {
    /// Waiting for partners to confirm they cancelled.
    AwaitingPartner,
    /// The channel call is in the outbox.
    Queued,
    /// The channel confirmed.
    Done,
    /// No API: a person must cancel in the channel's admin.
    NeedsPerson,
    /// A partner shipped first, or the channel refused: nothing was cancelled there.
    Failed,
}

impl CancelState {
    pub const ALL: [CancelState; 5] = [
        CancelState::AwaitingPartner,
        CancelState::Queued,
        CancelState::Done,
        CancelState::NeedsPerson,
        CancelState::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CancelState::AwaitingPartner => "awaiting_partner",
            CancelState::Queued => "queued",
            CancelState::Done => "done",
            CancelState::NeedsPerson => "needs_person",
            CancelState::Failed => "failed",
        }
    }
}

impl FromStr for CancelState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        CancelState::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown cancellation state `{s}`"))
    }
}

/// The changes of a cancellation, for a store to write in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelPlan {
    pub whole: bool,
    /// The units cancelled per line.
    pub lines: Vec<CancelLine>,
    pub reason_code: String,
    /// The order's state after it.
    pub state: FulfilState,
    /// The order's reservations after it (replace all of them).
    pub reservations: Vec<Reservation>,
    pub movements: Vec<Movement>,
    pub dirty_skus: Vec<String>,
    /// Submission keys to cancel at their partners first.
    pub cancel_submissions: Vec<String>,
    /// Submission keys whose cancellation the channel call waits for (those above and any
    /// already being cancelled).
    pub waits_for: Vec<String>,
    pub step: ChannelStep,
}

/// Why a cancellation is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CancelRefusal {
    /// Units already left: they cannot be cancelled, only returned.
    #[error("{0}")]
    Shipped(String),
    /// The order's state or the channel's terms do not allow it.
    #[error("{0}")]
    NotAllowed(String),
    /// The request names something wrong (field, message).
    #[error("{0}: {1}")]
    BadInput(&'static str, String),
}

/// Decides what cancelling changes, or why it cannot be done.
pub fn plan(input: CancelInput<'_>) -> Result<CancelPlan, CancelRefusal> {
    let order = input.order;
    let terms = channel_terms(input.kind);
    let ask = input.ask;
    let reason_code = terms.code(ask.reason).ok_or_else(|| {
        let known: Vec<&str> = terms.reasons().iter().map(|r| r.as_str()).collect();
        CancelRefusal::BadInput(
            "reason",
            format!(
                "{} takes no `{}` reason; use one of {}",
                input.kind,
                ask.reason,
                known.join(", ")
            ),
        )
    })?;
    if order.fulfilled_by_channel {
        return Err(CancelRefusal::NotAllowed(format!(
            "order {} is fulfilled by {} itself; cancel it there",
            order.number, input.kind
        )));
    }
    match input.state {
        FulfilState::Shipped => {
            return Err(CancelRefusal::Shipped(format!(
                "order {} already shipped; it can only be returned",
                order.number
            )));
        }
        FulfilState::Closed => {
            return Err(CancelRefusal::NotAllowed(format!(
                "order {} is already closed (cancelled or fulfilled on {})",
                order.number, input.kind
            )));
        }
        _ => {}
    }
    let shipped_of = |line: &str| -> u32 {
        input
            .shipped
            .iter()
            .filter(|s| s.line_id == line)
            .map(|s| s.quantity)
            .sum()
    };
    let cancelled_of = |line: &str| -> u32 {
        input
            .cancelled
            .iter()
            .filter(|s| s.line_id == line)
            .map(|s| s.quantity)
            .sum()
    };
    // The units each line still has to ship.
    let open_of = |line: &crate::model::OrderLine| {
        line.quantity
            .saturating_sub(shipped_of(&line.line_id))
            .saturating_sub(cancelled_of(&line.line_id))
    };
    let (whole, lines) = match &ask.lines {
        None => {
            if let Some(line) = order.lines.iter().find(|l| shipped_of(&l.line_id) > 0) {
                return Err(CancelRefusal::Shipped(format!(
                    "units of order {} already shipped (line {}: {} of {}); cancel the \
                     remaining lines one by one where {} allows it, or return what shipped",
                    order.number,
                    line.line_id,
                    shipped_of(&line.line_id),
                    line.quantity,
                    input.kind
                )));
            }
            let lines: Vec<CancelLine> = order
                .lines
                .iter()
                .filter(|l| open_of(l) > 0)
                .map(|l| CancelLine {
                    line_id: l.line_id.clone(),
                    quantity: open_of(l),
                })
                .collect();
            (true, lines)
        }
        Some(asked) => {
            if asked.is_empty() {
                return Err(CancelRefusal::BadInput(
                    "lines",
                    "name at least one line".into(),
                ));
            }
            let mut seen = BTreeSet::new();
            for a in asked {
                if !seen.insert(a.line_id.as_str()) {
                    return Err(CancelRefusal::BadInput(
                        "line",
                        format!("line {} is named twice", a.line_id),
                    ));
                }
                let line = order
                    .lines
                    .iter()
                    .find(|l| l.line_id == a.line_id)
                    .ok_or_else(|| {
                        let ids: Vec<&str> =
                            order.lines.iter().map(|l| l.line_id.as_str()).collect();
                        CancelRefusal::BadInput(
                            "line",
                            format!(
                                "order {} has no line `{}` (lines: {})",
                                order.number,
                                a.line_id,
                                ids.join(", ")
                            ),
                        )
                    })?;
                if a.quantity == 0 {
                    return Err(CancelRefusal::BadInput("qty", "must be at least 1".into()));
                }
                let open = open_of(line);
                if a.quantity > open {
                    let shipped = shipped_of(&line.line_id);
                    let why = format!(
                        "line {} of order {} has {} unit(s) left to cancel ({} ordered, {} shipped, {} cancelled); {} asked",
                        line.line_id,
                        order.number,
                        open,
                        line.quantity,
                        shipped,
                        cancelled_of(&line.line_id),
                        a.quantity
                    );
                    return Err(if shipped > 0 {
                        CancelRefusal::Shipped(why)
                    } else {
                        CancelRefusal::BadInput("qty", why)
                    });
                }
            }
            // Every open unit named: that is the whole order.
            let all = order.lines.iter().all(|l| {
                let open = open_of(l);
                open == 0
                    || asked
                        .iter()
                        .any(|a| a.line_id == l.line_id && a.quantity == open)
            });
            let nothing_shipped = order.lines.iter().all(|l| shipped_of(&l.line_id) == 0);
            (all && nothing_shipped, asked.clone())
        }
    };
    if lines.is_empty() {
        return Err(CancelRefusal::NotAllowed(format!(
            "order {} has nothing left to cancel",
            order.number
        )));
    }
    if !whole && terms.scope == CancelScope::WholeOrder {
        return Err(CancelRefusal::NotAllowed(format!(
            "{} cancels only whole orders ({}); cancel order {} as a whole",
            input.kind, terms.api, order.number
        )));
    }
    // Reservations after: what is still to ship once these units are gone.
    let mut gone: Vec<ShippedLine> = input.shipped.to_vec();
    gone.extend(input.cancelled.iter().cloned());
    gone.extend(lines.iter().map(|l| ShippedLine {
        line_id: l.line_id.clone(),
        quantity: l.quantity,
    }));
    let state = if whole {
        FulfilState::Closed
    } else {
        input.state
    };
    let target = if whole {
        Vec::new()
    } else {
        reserved_units(order, state, false, &gone, input.kits)
    };
    let after: Vec<Reservation> = target
        .into_iter()
        .map(|(sku, quantity)| Reservation {
            location: input
                .reserved
                .iter()
                .find(|r| r.sku == sku)
                .and_then(|r| r.location.clone()),
            sku,
            quantity,
        })
        .collect();
    let state = if whole || after.is_empty() {
        FulfilState::Closed
    } else if state == FulfilState::Held && after.iter().all(|r| r.location.is_some()) {
        // The held units were the cancelled ones: the rest is placed.
        FulfilState::Routed
    } else {
        state
    };
    let before_rows: Vec<_> = input
        .reserved
        .iter()
        .map(|r| (r.sku.clone(), r.location.clone(), r.quantity))
        .collect();
    let after_rows: Vec<_> = after
        .iter()
        .map(|r| (r.sku.clone(), r.location.clone(), r.quantity))
        .collect();
    let movements = reservation_movements(&before_rows, &after_rows, "cancel", "cancel");
    let dirty: BTreeSet<&str> = movements.iter().map(|m| m.sku.as_str()).collect();
    // Partners holding units that go: they cancel first (a whole order: every partner).
    let released: BTreeSet<Option<&str>> = input
        .reserved
        .iter()
        .filter(|r| {
            let kept = after
                .iter()
                .find(|a| a.sku == r.sku && a.location == r.location)
                .map_or(0, |a| a.quantity);
            whole || kept < r.quantity
        })
        .map(|r| r.location.as_deref())
        .collect();
    let cancel_submissions: Vec<String> = input
        .submissions
        .iter()
        .filter(|s| {
            matches!(s.state.as_str(), "submitted" | "accepted")
                && (whole || released.contains(&Some(s.location.as_str())))
        })
        .map(|s| s.key.clone())
        .collect();
    let waits_for: Vec<String> = input
        .submissions
        .iter()
        .filter(|s| {
            matches!(
                s.state.as_str(),
                "submitted" | "accepted" | "cancel_requested"
            ) && (whole || released.contains(&Some(s.location.as_str())))
        })
        .map(|s| s.key.clone())
        .collect();
    let step = if terms.scope == CancelScope::Person {
        ChannelStep::Person
    } else if !waits_for.is_empty() {
        ChannelStep::AwaitPartners
    } else {
        ChannelStep::Queue
    };
    Ok(CancelPlan {
        whole,
        lines,
        reason_code: reason_code.to_string(),
        state,
        reservations: after,
        dirty_skus: dirty.into_iter().map(str::to_string).collect(),
        movements,
        cancel_submissions,
        waits_for,
        step,
    })
}

/// Whether a cancellation waiting for partners may go to the channel: every submission it
/// waits for is finished (`Some(true)`: cancelled or rejected), or a partner kept the order
/// (`Some(false)`: it shipped, or refused the cancellation — `cancel_refused` — so its ship
/// notice is coming; the channel must not be told the units were cancelled), or still waiting
/// (`None`, `cancel_requested`).
pub fn partners_answered(states: &[String]) -> Option<bool> {
    if states.iter().any(|s| {
        matches!(
            s.as_str(),
            "shipped" | "cancel_refused" | "submitted" | "accepted"
        )
    }) {
        return Some(false);
    }
    if states
        .iter()
        .all(|s| matches!(s.as_str(), "cancelled" | "rejected"))
    {
        return Some(true);
    }
    None
}

/// What the daemon asks for a held order whose `unrouted_skus` have had nowhere to go for too
/// long: the lines of those SKUs, for reason out of stock. `None` where the channel cancels only
/// whole orders and other lines could still ship (a person decides).
pub fn unfulfillable_ask(
    kind: ChannelKind,
    order: &Order,
    unrouted_skus: &[String],
) -> Option<CancelAsk> {
    let lines: Vec<CancelLine> = order
        .lines
        .iter()
        .filter(|l| l.sku.as_ref().is_some_and(|s| unrouted_skus.contains(s)))
        .map(|l| CancelLine {
            line_id: l.line_id.clone(),
            quantity: l.quantity,
        })
        .collect();
    if lines.is_empty() {
        return None;
    }
    let every_line = lines.len() == order.lines.len();
    match channel_terms(kind).scope {
        CancelScope::WholeOrder if !every_line => None,
        _ if every_line => Some(CancelAsk {
            reason: CancelReason::OutOfStock,
            lines: None,
        }),
        _ => Some(CancelAsk {
            reason: CancelReason::OutOfStock,
            lines: Some(lines),
        }),
    }
}

/// The idempotency key of a channel cancellation's outbox item.
pub fn outbox_key(channel_id: &str, order_external_id: &str, cancellation_id: i64) -> String {
    format!("channel-cancel:{channel_id}:{order_external_id}:{cancellation_id}")
}

#[cfg(test)]
mod tests;
