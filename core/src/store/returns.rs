//! Returns as RMAs (`core::rules::rma`): the channel's reported returns arriving as expected
//! RMAs, receiving (restock or dispose), refunds queued for the channel and their answers.
//! A separate small trait beside [`super::Store`] (reached by `Store::returns`) so a second
//! engine implements it in one file.

use async_trait::async_trait;
use serde::Serialize;

use super::Result;
use crate::ports::{ChannelReturn, RefundOutcome};
use crate::rules::rma::{Disposition, RmaLine, RmaState};

/// One RMA as stored.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RmaRow {
    pub id: i64,
    pub order_id: i64,
    pub channel_id: String,
    /// The channel's order id.
    pub order_external_id: String,
    /// The channel's return id, when the channel reported the return.
    pub external_id: Option<String>,
    pub state: RmaState,
    pub disposition: Option<Disposition>,
    pub lines: Vec<RmaLine>,
    pub reason: Option<String>,
    /// What was asked to refund (decimal text, the order's currency), once asked.
    pub refund_amount: Option<String>,
    pub currency: String,
    /// The channel's refund id, once it holds the refund.
    pub refund_id: Option<String>,
    /// Why a person refunds, or who confirmed they did.
    pub note: Option<String>,
    pub created_at: i64,
    pub received_at: Option<i64>,
    pub refund_asked_at: Option<i64>,
    pub refunded_at: Option<i64>,
    pub updated_at: i64,
}

/// Which RMAs a list shows; every field narrows it.
#[derive(Debug, Clone, Default)]
pub struct RmaFilter {
    pub state: Option<RmaState>,
    pub channel_id: Option<String>,
    pub order_id: Option<i64>,
    /// Only ids below this one (the next page of a newest-first list).
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// What receiving changed.
#[derive(Debug, Clone, Serialize)]
pub struct ReceiveReceipt {
    pub rma: RmaRow,
    /// Units put back per SKU (kits as their components); empty when disposed.
    pub restocked: Vec<(String, i64)>,
    /// Where restocked units went (where the lines shipped from).
    pub location_id: Option<String>,
    /// The refund's outbox key, when one was queued with the receipt.
    pub refund_key: Option<String>,
}

/// What a page of channel-reported returns did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ExpectedReturns {
    /// RMAs created now.
    pub created: Vec<i64>,
    /// Returns already known (reported before).
    pub known: usize,
    /// Returns of orders Switchyard does not hold, or whose lines are not on the order:
    /// (the channel's return id, why).
    pub skipped: Vec<(String, String)>,
}

#[async_trait]
pub trait ReturnsStore: Send + Sync {
    /// Records a page of returns the channel reported as expected RMAs (once per channel
    /// return id) and the channel's returns cursor, in one transaction.
    async fn record_expected_returns(
        &self,
        channel_id: &str,
        returns: &[ChannelReturn],
        next_cursor: Option<&str>,
        now_ms: i64,
    ) -> Result<ExpectedReturns>;
    /// Where the last read of the channel's returns ended.
    async fn returns_cursor(&self, channel_id: &str) -> Result<Option<String>>;
    /// Receives the units of an expected RMA: restocked where they shipped from (ledger,
    /// stock_dirty) or disposed; with `refund`, the refund is queued in the same transaction.
    async fn receive_rma(
        &self,
        rma_id: i64,
        disposition: Disposition,
        refund: bool,
        now_ms: i64,
    ) -> Result<ReceiveReceipt>;
    /// A return nobody announced (`switchyard return`): a new RMA, received at once.
    async fn receive_unannounced(
        &self,
        order_ref: &str,
        lines: &[RmaLine],
        disposition: Disposition,
        refund: bool,
        now_ms: i64,
    ) -> Result<ReceiveReceipt>;
    /// Queues the refund of a received RMA (outbox `refund`, key `refund:<channel>:<rma>`).
    async fn refund_rma(&self, rma_id: i64, now_ms: i64) -> Result<RmaRow>;
    /// The channel answered the refund: closes the outbox item and moves the RMA, in one
    /// transaction (an answer recorded twice changes nothing more).
    async fn record_refund(
        &self,
        outbox_id: i64,
        rma_id: i64,
        outcome: &RefundOutcome,
        now_ms: i64,
    ) -> Result<()>;
    /// A person says they refunded in the channel's admin (`refund_by_person` → `refunded`).
    async fn confirm_refund(&self, rma_id: i64, by: &str, now_ms: i64) -> Result<RmaRow>;
    /// Cancels an expected RMA.
    async fn cancel_rma(&self, rma_id: i64, now_ms: i64) -> Result<RmaRow>;
    async fn rma(&self, rma_id: i64) -> Result<Option<RmaRow>>;
    /// RMAs newest first, narrowed by `filter`.
    async fn rmas(&self, filter: &RmaFilter) -> Result<Vec<RmaRow>>;
}
