//! What the store returns about routing decisions: the hold queue, releases, and decided
//! orders replayed by `route --what-if`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::Order;
use crate::routing::{RouteDecision, RoutePlan};

/// An order waiting for a person.
#[derive(Debug, Clone, Serialize)]
pub struct HeldOrder {
    pub order_id: i64,
    pub channel_id: String,
    pub external_id: String,
    pub number: String,
    pub reason: String,
    /// Unix milliseconds.
    pub decided_at: i64,
}

/// What a release did.
#[derive(Debug, Clone, Serialize)]
pub struct ReleaseReceipt {
    pub order_id: i64,
    pub location_id: String,
    /// The lines (SKU, or `line <id>`) that were held and now go to `location_id`.
    pub lines: Vec<String>,
}

/// A routed or held order with the decision it got.
#[derive(Debug, Clone)]
pub struct DecidedOrder {
    pub order_id: i64,
    pub channel_id: String,
    pub fulfil_state: String,
    pub order: Order,
    pub decision: RouteDecision,
    /// Unix milliseconds.
    pub decided_at: i64,
}

/// An order some of whose lines a location refused: what the router needs to place them
/// again (`core::routing::Router::replan`).
#[derive(Debug, Clone)]
pub struct RerouteWork {
    pub order_id: i64,
    pub channel_id: String,
    pub order: Order,
    /// SKU of an order line → where it stays (its reservation, or where it already shipped
    /// from); lines not named here are placed again.
    pub keep: BTreeMap<String, String>,
    /// (location, why) for every location that refused this order.
    pub refused: Vec<(String, String)>,
    /// The decision being replaced.
    pub previous: Option<RoutePlan>,
}
