//! What operators read and do beyond the pipeline's own store calls: the action log, a
//! filtered and paged order list, an order's ledger and timeline, re-processing quarantined
//! deliveries and cancelling an order at its partner. A separate small trait so the big
//! [`super::Store`] does not grow; a second engine implements both.

use async_trait::async_trait;
use serde::Serialize;

use super::{LedgerEntry, OrderSummary, Result};

/// One operator action as it is recorded.
#[derive(Debug, Clone, Serialize)]
pub struct ActionRecord {
    /// Unix ms.
    pub at: i64,
    /// `cli:<login>`, `api:<token name>`.
    pub actor: String,
    pub action: String,
    pub target: String,
    /// The command's arguments.
    pub detail: serde_json::Value,
    /// `ok`, `refused` (bad input, conflict, unknown id) or `failed`.
    pub outcome: String,
    pub message: String,
}

/// A recorded action with its id.
#[derive(Debug, Clone, Serialize)]
pub struct ActionRow {
    pub id: i64,
    #[serde(flatten)]
    pub record: ActionRecord,
}

/// Which orders a list shows; every field narrows it.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub channel_id: Option<String>,
    /// `fulfil_state`: waiting, to_route, routed, held, rerouting, shipped, closed.
    pub state: Option<String>,
    /// Orders with units reserved, submitted or shipped there.
    pub location_id: Option<String>,
    /// Received at or after (Unix ms).
    pub from_ms: Option<i64>,
    /// Received before (Unix ms).
    pub to_ms: Option<i64>,
    /// Only ids below this one (the next page of a newest-first list).
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// An order in a list, with when Switchyard received and last changed it.
#[derive(Debug, Clone, Serialize)]
pub struct OrderListRow {
    #[serde(flatten)]
    pub summary: OrderSummary,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One thing that happened to an order, from the tables that record it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TimelineEvent {
    /// Unix ms.
    pub at: i64,
    /// received, decided, submission, shipped, side_effect, dead_letter, partner_event,
    /// returned, operator.
    pub kind: String,
    pub detail: String,
}

/// What asking a partner to cancel queued.
#[derive(Debug, Clone, Serialize)]
pub struct CancelRequest {
    pub order_id: i64,
    pub location_id: String,
    /// The submission's key; the outbox item is `cancel:<key>`.
    pub submission_key: String,
}

#[async_trait]
pub trait OperatorStore: Send + Sync {
    /// Appends one action to the log.
    async fn record_action(&self, action: &ActionRecord) -> Result<i64>;
    /// The newest actions first, optionally only those on one target.
    async fn actions(&self, target: Option<&str>, limit: i64) -> Result<Vec<ActionRow>>;
    /// Orders newest first, narrowed by `filter`.
    async fn order_list(&self, filter: &OrderFilter) -> Result<Vec<OrderListRow>>;
    /// The order id an operator's reference (id, CHANNEL:EXTERNAL_ID, number) names.
    async fn resolve_order_ref(&self, order_ref: &str) -> Result<Option<i64>>;
    /// Ledger movements caused by one order (reservation, route, shipment, refusal, return).
    async fn order_ledger(&self, order_id: i64) -> Result<Vec<LedgerEntry>>;
    /// Everything recorded about one order, oldest first.
    async fn order_timeline(&self, order_id: i64) -> Result<Vec<TimelineEvent>>;
    /// Puts a quarantined delivery back to be normalized again (after a fix or a changed
    /// intake rule). Not found for an unknown id, a conflict when it is not quarantined.
    async fn reprocess_quarantined(&self, inbox_id: i64) -> Result<()>;
    /// Asks the partner at `location_id` to cancel the order it was handed (an outbox
    /// `cancel_fulfillment` keyed `cancel:<submission key>`); the lines are re-routed once it
    /// confirms, as for an overdue order. Conflict when the partner holds nothing of it.
    async fn cancel_at_partner(&self, order_id: i64, location_id: &str) -> Result<CancelRequest>;

    /// Cancels an order (or lines of it) on its channel for `ask.reason`
    /// ([`crate::cancellation::plan`]): in one transaction its reservations are released
    /// (ledger, dirty listings), the order's state follows, partners holding the units are
    /// asked to cancel first, and either the channel call is queued (outbox `cancel_order`),
    /// or the cancellation waits for the partners, or it is listed for a person. A refusal
    /// (shipped units, a closed order, lines on a whole-order channel) writes nothing.
    async fn cancel_on_channel(
        &self,
        order_id: i64,
        ask: &crate::cancellation::CancelAsk,
        requested_by: &str,
    ) -> Result<super::CancelResult>;
    /// Cancellations newest first, narrowed to a state and/or an order.
    async fn cancellations(
        &self,
        state: Option<crate::cancellation::CancelState>,
        order_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<super::CancellationRow>>;
    /// Moves cancellations waiting for partners on: every partner confirmed → the channel call
    /// is queued (same transaction); a partner shipped first → `failed`, the channel is not
    /// told. Returns how many moved.
    async fn advance_cancellations(&self, now_ms: i64) -> Result<u64>;
    /// The channel confirmed: closes the outbox item and marks the cancellation done (one
    /// transaction).
    async fn complete_channel_cancel(
        &self,
        outbox_id: i64,
        cancellation_id: i64,
        detail: &str,
    ) -> Result<()>;
    /// The channel refused for good (the outbox item went to dead letters): marks it failed.
    async fn fail_channel_cancel(&self, cancellation_id: i64, detail: &str) -> Result<()>;
    /// Held orders of `channel_id` held since before `held_before_ms` with units reserved
    /// nowhere, and no cancellation of theirs under way.
    async fn unfulfillable_orders(
        &self,
        channel_id: &str,
        held_before_ms: i64,
        limit: i64,
    ) -> Result<Vec<super::UnfulfillableOrder>>;
}
