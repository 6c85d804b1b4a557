//! Applying a new version of a channel's order: orders only move forward (an older copy is
//! stale, the same one unchanged), the fulfilment state follows the channel's status, and the
//! order's reservations follow what it still has to ship — held while it is open and not yet
//! shipped, released otherwise — with a ledger movement and a dirty listing for every change.

use std::collections::BTreeSet;

use super::{Kits, Reservation};
use crate::model::{Order, OrderStatus, ShippedLine};
use crate::stock::{Movement, expand_kits, reservation_movements};

/// Where an order stands in Switchyard's own flow (not the channel's status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FulfilState {
    /// Open but not routable yet (unpaid).
    Waiting,
    ToRoute,
    Routed,
    /// A line has nowhere to go; a person releases it.
    Held,
    /// A partner refused lines; the router places them again.
    Rerouting,
    Shipped,
    /// Cancelled or fulfilled on the channel before we shipped it.
    Closed,
}

impl FulfilState {
    pub const ALL: [FulfilState; 7] = [
        FulfilState::Waiting,
        FulfilState::ToRoute,
        FulfilState::Routed,
        FulfilState::Held,
        FulfilState::Rerouting,
        FulfilState::Shipped,
        FulfilState::Closed,
    ];

    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            FulfilState::Waiting => "waiting",
            FulfilState::ToRoute => "to_route",
            FulfilState::Routed => "routed",
            FulfilState::Held => "held",
            FulfilState::Rerouting => "rerouting",
            FulfilState::Shipped => "shipped",
            FulfilState::Closed => "closed",
        }
    }

    /// Handed to a location (routed, held for a person, or being re-routed): partners may hold it.
    pub fn is_placed(self) -> bool {
        matches!(
            self,
            FulfilState::Routed | FulfilState::Held | FulfilState::Rerouting
        )
    }

    /// Nothing more will ship.
    pub fn is_final(self) -> bool {
        matches!(self, FulfilState::Shipped | FulfilState::Closed)
    }
}

impl std::fmt::Display for FulfilState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored state no version of Switchyard writes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown fulfilment state `{0}`")]
pub struct UnknownState(pub String);

impl std::str::FromStr for FulfilState {
    type Err = UnknownState;
    fn from_str(s: &str) -> Result<Self, UnknownState> {
        FulfilState::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| UnknownState(s.to_string()))
    }
}

/// The stored copy of the order, when there is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Known {
    /// The channel's `updated_at` of the stored copy, in milliseconds.
    pub version: i64,
    pub state: FulfilState,
}

/// What a store loaded to apply a version.
#[derive(Debug, Clone, Copy)]
pub struct VersionInput<'a> {
    pub order: &'a Order,
    pub known: Option<Known>,
    /// The order's reservations now (empty for a new order).
    pub reserved: &'a [Reservation],
    /// Where the order was routed, for SKUs it did not hold before.
    pub routed_to: Option<&'a str>,
    /// The lines of every parcel recorded for the order.
    pub shipped: &'a [ShippedLine],
    /// Any parcel recorded for the order (some carry no lines: recorded before lines were kept).
    pub has_parcels: bool,
    pub kits: &'a Kits,
}

/// What applying the version does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionOutcome {
    /// Older than the stored copy: changes nothing.
    Stale,
    /// The stored copy: changes nothing.
    Unchanged,
    Apply(OrderChange),
}

/// The changes of an applied version, for a store to write in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderChange {
    pub new: bool,
    pub state: FulfilState,
    /// The order's reservations after it, when they change (replace all of them).
    pub reservations: Option<Vec<Reservation>>,
    pub movements: Vec<Movement>,
    pub dirty_skus: Vec<String>,
    /// The channel closed an order partners may hold: cancel their submissions.
    pub cancel_at_partners: bool,
}

/// Whether an order the channel calls (partly) fulfilled still has lines for us to ship: a
/// channel reports the parcels we already sent as partly fulfilled — or, without partial
/// fulfilment (an Etsy receipt is shipped on its first tracking), as fulfilled once one of
/// our parcels (`has_parcels`) is recorded. Fulfilled with none of ours means it shipped
/// elsewhere.
pub fn partly_ours(order: &Order, state: FulfilState, has_parcels: bool) -> bool {
    !order.fulfilled_by_channel
        && state.is_placed()
        && match order.status {
            OrderStatus::PartiallyFulfilled => true,
            OrderStatus::Fulfilled => has_parcels,
            _ => false,
        }
}

/// Units per SKU the order holds stock for in `state`: its unshipped units (kits as their
/// components) while it is open or partly ours and not finished; nothing otherwise.
pub fn reserved_units(
    order: &Order,
    state: FulfilState,
    partly_ours: bool,
    shipped: &[ShippedLine],
    kits: &Kits,
) -> Vec<(String, i64)> {
    if (order.reserves_stock() || partly_ours) && !state.is_final() {
        expand_kits(&order.unshipped_quantities(shipped), kits)
    } else {
        Vec::new()
    }
}

/// Decides what a version of an order changes.
pub fn apply_version(input: VersionInput<'_>) -> VersionOutcome {
    let order = input.order;
    let version = order.updated_at.timestamp_millis();
    let current = match input.known {
        Some(k) if version < k.version => return VersionOutcome::Stale,
        Some(k) if version == k.version => return VersionOutcome::Unchanged,
        Some(k) => k.state,
        None => FulfilState::Waiting,
    };
    let partly = partly_ours(order, current, input.has_parcels);
    let state = match current {
        FulfilState::Shipped | FulfilState::Closed => current,
        _ if partly => current,
        _ if order.status != OrderStatus::Open => FulfilState::Closed,
        FulfilState::Waiting if order.is_routable() => FulfilState::ToRoute,
        _ => current,
    };
    let target = reserved_units(order, state, partly, input.shipped, input.kits);
    // A SKU already held somewhere stays there; a new one goes where the order was routed.
    let after: Vec<Reservation> = target
        .into_iter()
        .map(|(sku, quantity)| {
            let location = input.reserved.iter().find(|r| r.sku == sku).map_or_else(
                || input.routed_to.map(str::to_string),
                |r| r.location.clone(),
            );
            Reservation {
                sku,
                location,
                quantity,
            }
        })
        .collect();
    let before_rows: Vec<_> = input.reserved.iter().map(Reservation::as_row).collect();
    let after_rows: Vec<_> = after.iter().map(Reservation::as_row).collect();
    let movements = reservation_movements(&before_rows, &after_rows, "reservation", "release");
    let dirty: BTreeSet<&str> = movements.iter().map(|m| m.sku.as_str()).collect();
    let dirty_skus = dirty.into_iter().map(str::to_string).collect();
    VersionOutcome::Apply(OrderChange {
        new: input.known.is_none(),
        state,
        reservations: (!movements.is_empty()).then_some(after),
        dirty_skus,
        cancel_at_partners: state == FulfilState::Closed && current.is_placed(),
        movements,
    })
}

#[cfg(test)]
mod tests;
