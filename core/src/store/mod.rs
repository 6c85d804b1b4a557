//! The durable store: the only truth. Each method that changes state is one transaction that
//! writes a step's output together with the next step's work item, so a crash between any two
//! calls loses nothing and repeats nothing.

mod sqlite;

pub use sqlite::SqliteStore;

use async_trait::async_trait;
use serde::Serialize;
use thiserror::Error;

use crate::model::Order;
use crate::ports::{Listing, NormalizeError, PollCursor, RawOrder};
use crate::routing::RouteDecision;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt ({what}): {detail}")]
    Corrupt { what: String, detail: String },
    #[error("not found: {0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("unsupported store url `{0}` (expected sqlite://PATH)")]
    UnsupportedUrl(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// How a delivery reached the inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Webhook,
    Poll,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Webhook => "webhook",
            Source::Poll => "poll",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InboxInsert {
    pub inserted: usize,
    pub duplicates: usize,
}

/// A stored delivery waiting to be normalized.
#[derive(Debug, Clone)]
pub struct InboxItem {
    pub id: i64,
    pub channel_id: String,
    pub raw: RawOrder,
}

/// What applying one inbox item did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// A new order, or a newer version of a known one.
    Changed {
        order_id: i64,
        new: bool,
    },
    /// The same version was already applied (a webhook and a poll of one change).
    Unchanged {
        order_id: i64,
    },
    /// An older copy arrived after a newer one; ignored.
    Stale {
        order_id: i64,
    },
    Quarantined,
}

#[derive(Debug, Clone, Serialize)]
pub struct QuarantineRow {
    pub inbox_id: i64,
    pub channel_id: String,
    pub source: String,
    pub topic: String,
    pub external_id: Option<String>,
    pub received_at: i64,
    pub reason: String,
}

/// A paid order waiting for a routing decision.
#[derive(Debug, Clone)]
pub struct RoutableOrder {
    pub order_id: i64,
    pub channel_id: String,
    pub order: Order,
}

/// One line to pick at a location.
#[derive(Debug, Clone, Serialize)]
pub struct PickLine {
    pub order_id: i64,
    pub channel_id: String,
    pub order_number: String,
    pub location_id: String,
    pub line_id: String,
    pub sku: Option<String>,
    pub title: String,
    pub quantity: u32,
    pub ship_to_name: Option<String>,
    pub ship_to_country: Option<String>,
}

/// A (channel, SKU) whose level may need pushing, with what its level is computed from.
#[derive(Debug, Clone)]
pub struct DirtyListing {
    pub sku: String,
    pub seq: i64,
    pub attempts: i64,
    pub reference: serde_json::Value,
    pub channel_quantity: Option<i64>,
    pub on_hand: i64,
    pub reserved: i64,
}

/// What happened to one (channel, SKU) push.
#[derive(Debug, Clone)]
pub struct PushOutcome {
    pub sku: String,
    pub seq: i64,
    pub kind: PushOutcomeKind,
}

#[derive(Debug, Clone)]
pub enum PushOutcomeKind {
    /// The channel now holds `quantity`, computed from these numbers.
    Applied {
        quantity: i64,
        on_hand: i64,
        reserved: i64,
        buffer: u32,
    },
    /// The level already matched; nothing was sent.
    Unchanged,
    /// Compare-and-set refused: the channel holds another level. Try again at once with it.
    Stale { channel_quantity: Option<i64> },
    /// Failed; try again at `retry_at`, or give up into dead letters when `None`.
    Failed {
        error: String,
        retry_at: Option<i64>,
        quantity: i64,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct OnHandRow {
    pub sku: String,
    pub location_id: String,
    pub on_hand: i64,
    pub reserved: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ListingRow {
    pub channel_id: String,
    pub sku: String,
    pub source: String,
    pub channel_quantity: Option<i64>,
    pub dirty: bool,
}

/// An external side effect waiting to be carried out.
#[derive(Debug, Clone)]
pub struct OutboxItem {
    pub id: i64,
    pub kind: String,
    pub channel_id: String,
    pub idempotency_key: String,
    pub payload: serde_json::Value,
    pub attempts: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeadLetter {
    pub id: i64,
    pub kind: String,
    pub channel_id: String,
    pub idempotency_key: String,
    pub payload: serde_json::Value,
    pub cause: String,
    pub attempts: i64,
    pub last_error: String,
    pub failed_at: i64,
    pub replayed_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OrderSummary {
    pub id: i64,
    pub channel_id: String,
    pub external_id: String,
    pub number: String,
    pub status: String,
    pub payment_status: String,
    pub fulfil_state: String,
    pub versions: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ShipmentRow {
    pub id: i64,
    pub location_id: String,
    pub carrier: String,
    pub tracking_number: String,
    pub shipped_at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct OrderDetail {
    pub summary: OrderSummary,
    pub order: Order,
    pub decision: Option<RouteDecision>,
    pub reservations: Vec<(String, Option<String>, i64)>,
    pub shipments: Vec<ShipmentRow>,
}

/// Result of recording a shipment.
#[derive(Debug, Clone, Serialize)]
pub struct ShipReceipt {
    pub order_id: i64,
    pub shipment_id: i64,
    pub idempotency_key: String,
}

/// Totals for health checks and the demo's summary.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    pub inbox_pending: i64,
    pub quarantined: i64,
    pub orders: i64,
    pub to_route: i64,
    pub stock_dirty: i64,
    pub outbox_pending: i64,
    pub dead_letters: i64,
}

/// The whole persistence surface. Implemented for SQLite now; shaped so a PostgreSQL
/// implementation can follow without touching callers.
#[async_trait]
pub trait Store: Send + Sync {
    // --- ingest -------------------------------------------------------------------------
    /// Stores deliveries (duplicates are counted, not stored) and, for a poll, the cursor that
    /// fetched them, in one transaction.
    async fn insert_inbox(
        &self,
        channel_id: &str,
        source: Source,
        items: &[RawOrder],
        cursor: Option<&PollCursor>,
    ) -> Result<InboxInsert>;
    async fn poll_cursor(&self, channel_id: &str) -> Result<Option<PollCursor>>;

    // --- normalize ----------------------------------------------------------------------
    /// Deliveries ready to normalize (thin webhooks wait for their fetch first).
    async fn pending_inbox(&self, limit: i64) -> Result<Vec<InboxItem>>;
    /// Thin webhooks whose full order has not been fetched yet.
    async fn pending_thin(&self, limit: i64) -> Result<Vec<InboxItem>>;
    /// Stores the fetched order as a new delivery and closes the thin one, in one transaction;
    /// `None` closes it as gone (the channel no longer has the order).
    async fn resolve_thin(&self, item: &InboxItem, fetched: Option<&RawOrder>) -> Result<()>;
    /// Notes why a fetch failed; the thin delivery stays pending for another try.
    async fn note_thin_error(&self, item: &InboxItem, error: &str) -> Result<()>;
    /// Applies one normalized delivery: upserts the order, adjusts its reservations, marks the
    /// affected listings dirty, queues routing, and closes the inbox item. A normalize error
    /// quarantines the item instead.
    async fn apply_inbox(
        &self,
        item: &InboxItem,
        outcome: std::result::Result<&Order, &NormalizeError>,
    ) -> Result<Applied>;
    async fn quarantined(&self, limit: i64) -> Result<Vec<QuarantineRow>>;

    // --- route --------------------------------------------------------------------------
    async fn orders_to_route(&self, limit: i64) -> Result<Vec<RoutableOrder>>;
    async fn record_route(&self, order_id: i64, decision: &RouteDecision) -> Result<()>;
    async fn picks(&self, location_id: Option<&str>) -> Result<Vec<PickLine>>;

    // --- ship ---------------------------------------------------------------------------
    /// Records a shipment of every open line of a routed order: consumes its reservations,
    /// lowers on-hand, marks listings dirty and queues the write-back, in one transaction.
    async fn ship(
        &self,
        order_ref: &str,
        carrier: &str,
        tracking_number: &str,
        now: chrono::DateTime<chrono::FixedOffset>,
    ) -> Result<ShipReceipt>;

    // --- stock --------------------------------------------------------------------------
    async fn set_on_hand(
        &self,
        location_id: &str,
        levels: &[(String, i64)],
        cause: &str,
    ) -> Result<()>;
    async fn stock(&self, sku: Option<&str>) -> Result<Vec<OnHandRow>>;
    async fn all_skus(&self) -> Result<Vec<String>>;
    /// SKUs Switchyard stocks (on hand or reserved) that have no listing on `channel_id` yet:
    /// what catalog discovery still has to look for.
    async fn unlisted_skus(&self, channel_id: &str) -> Result<Vec<String>>;
    /// Records listings found in a channel's catalog (or configured) and marks them dirty.
    async fn upsert_listings(
        &self,
        channel_id: &str,
        listings: &[Listing],
        source: &str,
    ) -> Result<()>;
    async fn listings(&self, channel_id: Option<&str>) -> Result<Vec<ListingRow>>;
    /// Listings of a channel due for a push, with on-hand over `locations` and reserved units.
    async fn due_dirty(
        &self,
        channel_id: &str,
        locations: &[String],
        now_ms: i64,
        limit: i64,
    ) -> Result<Vec<DirtyListing>>;
    /// Forgets what the channel holds for `skus` just before a push is sent: if the process dies
    /// after the channel applied it but before [`Store::record_push`], the stale belief could
    /// later match a computed level and the correction would never be sent.
    async fn begin_push(&self, channel_id: &str, skus: &[String]) -> Result<()>;
    async fn record_push(&self, channel_id: &str, outcomes: &[PushOutcome]) -> Result<()>;
    /// Marks every listing of a channel dirty (after discovery, at start, or on replay).
    async fn mark_channel_dirty(&self, channel_id: &str, cause: &str) -> Result<u64>;

    // --- outbox -------------------------------------------------------------------------
    async fn due_outbox(&self, now_ms: i64, limit: i64) -> Result<Vec<OutboxItem>>;
    async fn complete_outbox(&self, id: i64) -> Result<()>;
    /// Schedules another attempt, or moves the item to dead letters when `retry_at` is `None`.
    async fn fail_outbox(&self, id: i64, error: &str, retry_at: Option<i64>) -> Result<()>;
    async fn dead_letters(&self, limit: i64) -> Result<Vec<DeadLetter>>;
    /// Puts a dead letter back to work with its original idempotency key.
    async fn replay_dead_letter(&self, id: i64) -> Result<()>;

    // --- reading ------------------------------------------------------------------------
    async fn orders(&self, limit: i64) -> Result<Vec<OrderSummary>>;
    async fn order(&self, order_ref: &str) -> Result<Option<OrderDetail>>;
    async fn counts(&self) -> Result<Counts>;
}

/// Milliseconds since the Unix epoch, the store's clock unit.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
