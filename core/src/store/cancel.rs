//! Seller cancellations on the channel as the store keeps them (`channel_cancellations`,
//! migration 0012). The decision is [`crate::cancellation::plan`]; the engines load, apply
//! its [`crate::cancellation::CancelPlan`] and commit.

use serde::Serialize;

use crate::cancellation::{CancelLine, CancelReason, CancelRefusal, CancelState};

/// One cancellation as stored.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CancellationRow {
    pub id: i64,
    pub order_id: i64,
    pub channel_id: String,
    pub external_id: String,
    pub number: String,
    pub reason: CancelReason,
    /// The channel's own code for the reason.
    pub reason_code: String,
    /// The whole order, or only `lines`.
    pub whole: bool,
    pub lines: Vec<CancelLine>,
    pub state: CancelState,
    /// Partner submissions that must confirm their cancellation before the channel is asked.
    pub waits_for: Vec<String>,
    /// The outbox item's key, once queued.
    pub idempotency_key: Option<String>,
    pub requested_by: String,
    pub detail: Option<String>,
    /// Unix ms.
    pub created_at: i64,
    pub updated_at: i64,
}

/// What asking for a cancellation came to: recorded, or refused by the rule (nothing written).
pub type CancelResult = std::result::Result<CancellationRow, CancelRefusal>;

/// A held order with units nowhere to go, for the daemon's `cancel_unfulfillable_after_secs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnfulfillableOrder {
    pub order_id: i64,
    pub order: crate::model::Order,
    /// SKUs whose units are reserved nowhere (held).
    pub unrouted_skus: Vec<String>,
    /// When it was held (the decision's time, Unix ms).
    pub held_since: i64,
}
