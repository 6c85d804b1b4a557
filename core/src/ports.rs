//! What the core asks of a sales channel. Connectors implement these; the core never does I/O
//! itself, so everything here is data in, data out.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::model::{ChannelKind, Order, Shipment};

/// An inbound webhook as the HTTP layer received it. Header names are lower-case.
#[derive(Debug, Clone)]
pub struct WebhookRequest {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl WebhookRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What a verified webhook turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// An order payload to store in the inbox.
    Order(RawOrder),
    /// A handshake or a topic Switchyard does not act on: acknowledge, store nothing.
    Acknowledge { reason: String },
}

/// `RawOrder::format` of a webhook that only names an order (BigCommerce, Etsy, eBay): the
/// daemon fetches the full order with [`Channel::fetch_order`] before normalizing.
pub const THIN_FORMAT: &str = "thin";

/// A channel's order payload exactly as received, plus what is needed to deduplicate it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawOrder {
    /// Payload shape, so the right normalizer reads it (for example `rest` or `graphql`).
    pub format: String,
    /// Channel's order id when it could be read; the normalizer reports a payload without one.
    /// Required for [`THIN_FORMAT`] payloads.
    pub external_id: Option<String>,
    /// Same version of the same order from a webhook and a poll gets the same key.
    pub dedup_key: String,
    /// Webhook topic or `poll`.
    pub topic: String,
    pub body: Vec<u8>,
}

/// Why a webhook was refused. Each maps to one HTTP status.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum IngestError {
    #[error("signature missing or invalid: {0}")]
    BadSignature(String),
    #[error("unreadable body: {0}")]
    Unreadable(String),
}

/// Why a payload could not become a canonical order. Always names the field.
#[derive(Debug, Error, PartialEq, Eq, Clone)]
#[error("{field}: {problem}")]
pub struct NormalizeError {
    pub field: String,
    pub problem: String,
}

impl NormalizeError {
    pub fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            problem: problem.into(),
        }
    }
}

/// Failures talking to a channel, split by what the caller should do next.
#[derive(Debug, Error, Clone)]
pub enum ChannelError {
    #[error("rate limited by the channel (retry after {retry_after:?})")]
    RateLimited { retry_after: Option<Duration> },
    #[error("channel returned HTTP {status}: {body}")]
    Http { status: u16, body: String },
    #[error("network error: {0}")]
    Transport(String),
    #[error("authentication rejected: {0}")]
    Auth(String),
    #[error("unexpected response: {0}")]
    Decode(String),
    /// The channel understood the request and refused it; sending it again will not help.
    #[error("rejected by the channel: {0}")]
    Rejected(String),
}

impl ChannelError {
    pub fn is_retryable(&self) -> bool {
        match self {
            ChannelError::RateLimited { .. } | ChannelError::Transport(_) => true,
            ChannelError::Http { status, .. } => *status >= 500 || *status == 408,
            ChannelError::Auth(_) | ChannelError::Decode(_) | ChannelError::Rejected(_) => false,
        }
    }
}

/// Where a poller stands. The poller commits it together with what it fetched.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollCursor {
    /// Lower bound (exclusive of nothing: the window overlaps) of the current sweep.
    pub since: Option<DateTime<Utc>>,
    /// Connector-specific position inside the current sweep (page cursor or number).
    pub page: Option<String>,
    /// Newest `updated_at` seen in the current sweep.
    pub max_seen: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default)]
pub struct PollPage {
    pub orders: Vec<RawOrder>,
    /// Newest `updated_at` on this page.
    pub max_updated_at: Option<DateTime<Utc>>,
    /// Position of the next page, `None` when the sweep is complete.
    pub next_page: Option<String>,
}

/// A channel's listing for one SKU, as discovered in its catalog or configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listing {
    pub sku: String,
    /// Channel-specific ids needed to address the listing (variant, inventory item, product).
    pub reference: serde_json::Value,
    /// What the channel holds now, when the catalog said.
    pub channel_quantity: Option<i64>,
}

/// One level to set on a channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListingLevel {
    pub sku: String,
    pub reference: serde_json::Value,
    pub quantity: i64,
    /// The level Switchyard believes the channel holds now, for compare-and-set.
    pub expected_current: Option<i64>,
}

/// Outcome of one push, per SKU.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushReport {
    pub applied: Vec<String>,
    /// Compare-and-set refused: the channel holds another quantity (given when known).
    pub stale: Vec<(String, Option<i64>)>,
    /// Refused for this SKU only, with the channel's reason.
    pub rejected: Vec<(String, String)>,
}

/// Rate and batch shape of a channel, used to pace and size pushes.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelLimits {
    pub max_stock_batch: usize,
    pub max_poll_page: usize,
}

/// API calls made to a channel account since start, and how many it answered with a limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApiStats {
    pub calls: u64,
    pub throttled: u64,
}

/// One sales-channel account.
#[async_trait]
pub trait Channel: Send + Sync {
    fn id(&self) -> &str;
    /// Calls and throttles so far, when the connector is instrumented (see the registry).
    fn api_stats(&self) -> Option<ApiStats> {
        None
    }
    fn kind(&self) -> ChannelKind;
    fn limits(&self) -> ChannelLimits;
    /// Least time between the starts of two stock pushes. Zero for channels whose writes are
    /// paced by a steady rate; a channel whose bulk writes have a small hourly allowance
    /// (Walmart's feeds) gathers changes instead of spending the allowance in seconds.
    fn min_push_interval(&self) -> Duration {
        Duration::ZERO
    }

    /// Checks authenticity and classifies a webhook. No I/O beyond what the check itself
    /// needs (eBay fetches and caches its public key by id).
    async fn verify_webhook(&self, request: &WebhookRequest) -> Result<Delivery, IngestError>;

    /// Turns a stored raw payload into the canonical order. Pure: no I/O.
    fn normalize(&self, raw: &RawOrder) -> Result<Order, NormalizeError>;

    /// Fetches the full order a thin webhook (format [`THIN_FORMAT`]) pointed at; `None` when the
    /// channel no longer has it. Channels whose webhooks carry the whole order keep the default.
    async fn fetch_order(&self, external_id: &str) -> Result<Option<RawOrder>, ChannelError> {
        Err(ChannelError::Rejected(format!(
            "{} webhooks carry the whole order; nothing to fetch for {external_id}",
            self.kind()
        )))
    }

    /// Fetches one page of orders changed at or after `cursor.since`.
    async fn poll_orders(&self, cursor: &PollCursor) -> Result<PollPage, ChannelError>;

    /// Finds the channel's listings for these SKUs.
    async fn discover_listings(&self, skus: &[String]) -> Result<Vec<Listing>, ChannelError>;

    /// Sets absolute levels; `batch` never exceeds `limits().max_stock_batch`.
    async fn push_stock(&self, batch: &[ListingLevel]) -> Result<PushReport, ChannelError>;

    /// Writes a shipment back to the order on the channel. Must be safe to call again with the
    /// same `idempotency_key` after a crash: the channel ends up with one fulfillment.
    async fn write_back_shipment(
        &self,
        shipment: &Shipment,
        idempotency_key: &str,
    ) -> Result<(), ChannelError>;

    /// Cancels the order, or the lines `request` names, on the channel as the seller, with the
    /// channel's reason code (`request.reason_code`, from `crate::cancellation`). Returns what
    /// the channel confirmed, for the record. Must be safe to call again with the same
    /// `idempotency_key` after a crash: an order the channel already shows cancelled counts as
    /// done. Channels without a seller cancellation API keep the default: a refusal, since the
    /// store lists such cancellations for a person and never queues them.
    async fn cancel_order(
        &self,
        request: &crate::cancellation::ChannelCancel,
        idempotency_key: &str,
    ) -> Result<String, ChannelError> {
        Err(ChannelError::Rejected(format!(
            "{} has no seller cancellation API; cancel order {} in its admin ({idempotency_key})",
            self.kind(),
            request.order_number
        )))
    }
    /// Writes a refund of a return's lines back. Must be safe to call again with the same
    /// `idempotency_key` after a crash: the channel ends up with one refund. The default says
    /// the channel has no refund API: a person refunds in its admin.
    async fn refund(
        &self,
        refund: &Refund,
        idempotency_key: &str,
    ) -> Result<RefundOutcome, ChannelError> {
        let _ = (refund, idempotency_key);
        Ok(RefundOutcome::ByPerson {
            why: format!(
                "{} has no refund API Switchyard uses: refund in the channel's admin",
                self.kind()
            ),
        })
    }

    /// Returns the channel reported from `cursor` on (`None`: the first read). The default:
    /// the channel reports none (`switchyard return` records them).
    async fn poll_returns(&self, cursor: Option<&str>) -> Result<ReturnsPage, ChannelError> {
        let _ = cursor;
        Ok(ReturnsPage::default())
    }
}

/// One returned line to refund: the channel's line id, the units and their amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundLine {
    pub line_id: String,
    pub quantity: u32,
    /// Unit price × quantity, in the order's currency.
    pub amount: rust_decimal::Decimal,
}

/// A refund to write back to the channel for the lines of one return (RMA).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    pub order_external_id: String,
    pub currency: String,
    pub lines: Vec<RefundLine>,
    /// The sum of the lines' amounts.
    pub amount: rust_decimal::Decimal,
    /// Switchyard's RMA id; the note written on the refund names it.
    pub rma_id: i64,
    /// The channel's own id of the return, when the channel reported it (eBay refunds ride on
    /// the return request).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_external_id: Option<String>,
    /// How many of the order's other RMAs the channel had already refunded with exactly these
    /// lines and amounts when this refund was queued. A channel that shows no note on its
    /// refunds (eBay) takes the request as done only when it holds more such refunds than this.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub identical_refunded: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// An amount with exactly two decimals (`25.00`), as refund APIs take money.
pub fn two_places(amount: rust_decimal::Decimal) -> String {
    let mut a = amount.round_dp(2);
    a.rescale(2);
    a.to_string()
}

impl Refund {
    /// The note every connector writes on the refund where the channel keeps one: how a
    /// retry after a crash finds the refund it already made.
    pub fn note(&self, idempotency_key: &str) -> String {
        format!("Switchyard RMA {} ({idempotency_key})", self.rma_id)
    }
}

/// What writing a refund back came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RefundOutcome {
    /// The channel holds the refund (made now or found from an earlier attempt).
    Refunded { refund_id: String },
    /// The channel has no refund API Switchyard can use: a person refunds in its admin.
    ByPerson { why: String },
}

/// A return the channel reports (a buyer's return request, a return opened in the admin).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelReturn {
    /// The channel's id of the return.
    pub external_id: String,
    pub order_external_id: String,
    /// (channel line id, units).
    pub lines: Vec<(String, u32)>,
    pub reason: Option<String>,
}

/// A page of returns the channel reports, and where the next one starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReturnsPage {
    pub returns: Vec<ChannelReturn>,
    /// Where to read next time (connector-specific: a time or a page cursor).
    pub next_cursor: Option<String>,
}
