//! The durable store: the only truth. Each method that changes state is one transaction that
//! writes a step's output together with the next step's work item, so a crash between any two
//! calls loses nothing and repeats nothing.

pub mod audit_sql;
mod cancel;
mod events;
mod events_sql;
mod exceptions;
mod kpi;
pub mod leases;
mod operator;
mod returns;
mod routing;
mod sqlite;
mod stock_sql;

pub use cancel::{CancelResult, CancellationRow, UnfulfillableOrder};
pub use events::{EventStore, WebhookCursor, WebhookDeadLetter};
pub use exceptions::{
    CLEARED_BY, ExceptionFilter, ExceptionRow, ExceptionStore, OperatorChange, Raised, SinkState,
};
pub use kpi::{
    Activity, Cancellations, ChannelActivity, KpiFigures, KpiStore, OnTime, PartnerActivity,
    PartnerRates, PushLag, ShipTime, Spread, TrackingTime,
};
/// The KPI queries both engines run (`$N` parameters).
pub mod kpi_sql {
    pub use super::kpi::{
        CANCELLATIONS_SQL, LAST_POLL_SQL, LAST_PUSH_SQL, LAST_WRITE_BACK_SQL, ON_TIME_SQL,
        OPEN_SUBMISSIONS_SQL, PARTNER_EVENTS_SQL, PARTNERS_SQL, TRACKING_WAITING_SQL,
        activity_from, merge_waiting, push_lag_sql, ship_times_sql, spread, tracking_sql,
    };
}
pub use leases::{LeaseStore, LeaseView};
pub use operator::{
    ActionRecord, ActionRow, CancelRequest, OperatorStore, OrderFilter, OrderListRow, TimelineEvent,
};
pub use returns::{ExpectedReturns, ReceiveReceipt, ReturnsStore, RmaFilter, RmaRow};
pub use routing::{DecidedOrder, HeldOrder, ReleaseReceipt, RerouteWork};
pub use sqlite::SqliteStore;

use async_trait::async_trait;
use serde::Serialize;
use thiserror::Error;

use crate::model::Order;
use crate::ports::{Listing, NormalizeError, PollCursor, RawOrder};
use crate::routing::{RouteDecision, RoutePlan, StockSnapshot};
use crate::stock::{AuditSnapshot, Part, Violation};

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
    #[error("unsupported store url `{0}` (expected sqlite://PATH or postgres://...)")]
    UnsupportedUrl(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl StoreError {
    /// The store cannot be used right now — the disk is full, I/O fails, the database cannot be
    /// opened or stays locked, the connection broke — as opposed to a problem with what was
    /// asked (a conflict, corrupt data). Callers back off and retry the same work; webhooks are
    /// answered 503. The one place that reads engine error codes for that.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Database(e) => sqlx_unavailable(e),
            StoreError::Migration(sqlx::migrate::MigrateError::Execute(e)) => sqlx_unavailable(e),
            _ => false,
        }
    }
}

fn sqlx_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::InvalidSavePointStatement
        | sqlx::Error::BeginFailed => true,
        sqlx::Error::Database(db) => {
            if let Some(e) = db.try_downcast_ref::<sqlx::sqlite::SqliteError>() {
                // Primary result codes (the low byte of the extended code): BUSY, LOCKED, NOMEM,
                // READONLY, IOERR, FULL, CANTOPEN, PROTOCOL.
                let code = sqlx::error::DatabaseError::code(e)
                    .and_then(|c| c.parse::<i32>().ok())
                    .unwrap_or(0);
                matches!(code & 0xff, 5 | 6 | 7 | 8 | 10 | 13 | 14 | 15)
            } else {
                // SQLSTATE classes of a server that cannot serve now: 08 connection exception,
                // 53 insufficient resources (disk full, out of memory, too many connections),
                // 57P operator intervention (admin or crash shutdown, cannot connect now),
                // 58 system error (I/O).
                db.code().is_some_and(|c| {
                    c.starts_with("08")
                        || c.starts_with("53")
                        || c.starts_with("57P")
                        || c.starts_with("58")
                })
            }
        }
        _ => false,
    }
}

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

/// A channel listing with the numbers its level is computed from.
#[derive(Debug, Clone)]
pub struct ListingParts {
    pub sku: String,
    /// Dirty `seq` (0 when not dirty): a push clears the mark only if it is unchanged.
    pub seq: i64,
    pub attempts: i64,
    /// When the oldest change not yet pushed was made (ms), for latency figures.
    pub since: Option<i64>,
    pub reference: serde_json::Value,
    /// What the channel holds as far as the store knows; `None` while a push is in doubt.
    pub channel_quantity: Option<i64>,
    /// The level the channel last confirmed (kept while a push is in doubt): what the pusher
    /// orders a batch against, decreases first.
    pub confirmed_quantity: Option<i64>,
    /// A change is queued for this listing.
    pub push_pending: bool,
    /// The SKU itself, or a kit's components, over the channel's locations.
    pub parts: Vec<Part>,
}

/// A (channel, SKU) whose level may need pushing.
pub type DirtyListing = ListingParts;

/// Where an on-hand level came from; decides the ledger account it is booked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnHandSource {
    /// A person counted (`stock set`).
    Count,
    /// A file of counts (`stock import`, the demo's seed).
    Import,
    /// A 3PL's or supplier's inventory report.
    Feed,
}

impl OnHandSource {
    pub fn as_str(self) -> &'static str {
        match self {
            OnHandSource::Count => "count",
            OnHandSource::Import => "import",
            OnHandSource::Feed => "feed",
        }
    }
}

/// One ledger row, as `switchyard stock history` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct LedgerEntry {
    pub id: i64,
    pub at: i64,
    pub sku: String,
    pub quantity: i64,
    pub from_account: String,
    pub to_account: String,
    pub cause: String,
    pub reference: String,
}

/// What `switchyard return` recorded.
#[derive(Debug, Clone, Serialize)]
pub struct ReturnReceipt {
    /// The RMA the return became.
    pub return_id: i64,
    pub order_id: i64,
    /// Units put back per SKU (kits count as their components); empty without restock.
    pub restocked: Vec<(String, i64)>,
    pub location_id: Option<String>,
}

/// A level someone changed in the channel's own admin.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Drift {
    pub channel_id: String,
    pub sku: String,
    /// What Switchyard last set.
    pub expected: i64,
    /// What the channel holds.
    pub found: i64,
}

/// A routed order's units for one partner location, ready to be handed over.
#[derive(Debug, Clone)]
pub struct SubmissionWork {
    pub order_id: i64,
    pub channel_id: String,
    pub external_id: String,
    pub fulfil_state: String,
    pub location_id: String,
    pub order: Order,
    /// (SKU, units) reserved at this location (kits already as their components).
    pub units: Vec<(String, i64)>,
}

/// A stored partner event waiting to be applied.
#[derive(Debug, Clone)]
pub struct TargetInboxItem {
    pub id: i64,
    pub location_id: String,
    pub event: crate::fulfillment::TargetEvent,
    /// Failed attempts so far (the caller's backoff and parking follow it).
    pub attempts: i64,
    /// What must apply in order: `order:<id>` (the submission's order), else the event's
    /// reference, else `stock:<location>:<sku>`. A failing event holds back its group only.
    pub group: String,
}

/// A partner event not yet applied, for an operator (`partners events`).
#[derive(Debug, Clone, Serialize)]
pub struct TargetEventRow {
    pub id: i64,
    pub location_id: String,
    pub dedup_id: String,
    /// `pending` (due or waiting for its retry) or `failed` (parked after its last attempt).
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<i64>,
    pub received_at: i64,
    pub event: crate::fulfillment::TargetEvent,
}

/// Pending stock pushes of one channel.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DirtyDepth {
    pub channel_id: String,
    pub pending: i64,
    /// Age of the oldest change not yet pushed (ms), when known.
    pub oldest_ms: Option<i64>,
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

/// An order at risk of shipping late (`orders late`).
#[derive(Debug, Clone, Serialize)]
pub struct LateOrder {
    #[serde(flatten)]
    pub order: OrderSummary,
    pub ship_by_ms: i64,
    pub deliver_by_ms: Option<i64>,
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
    /// Partner events parked after their last attempt, waiting for `partners retry`.
    pub partner_events_failed: i64,
}

/// The whole persistence surface. Implemented for SQLite now; shaped so a PostgreSQL
/// implementation can follow without touching callers.
#[async_trait]
pub trait Store: crate::connector_state::ConnectorState + EventStore + Send + Sync {
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
    /// One channel's thin webhooks whose full order has not been fetched yet, oldest first.
    async fn pending_thin(&self, channel_id: &str, limit: i64) -> Result<Vec<InboxItem>>;
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
    ) -> Result<Applied> {
        self.apply_inbox_held(item, outcome, 0).await
    }
    /// [`Store::apply_inbox`] for a channel with a review window: an order seen for the
    /// first time is not routed before `hold_new_ms` has passed (`route_after_ms`); a
    /// cancellation arriving meanwhile closes it before any partner hears of it.
    async fn apply_inbox_held(
        &self,
        item: &InboxItem,
        outcome: std::result::Result<&Order, &NormalizeError>,
        hold_new_ms: i64,
    ) -> Result<Applied>;
    async fn quarantined(&self, limit: i64) -> Result<Vec<QuarantineRow>>;

    // --- route --------------------------------------------------------------------------
    /// Orders waiting to be routed whose review window (`route_after_ms`) has passed.
    async fn orders_to_route(&self, limit: i64) -> Result<Vec<RoutableOrder>>;
    /// Units free per (location, SKU) for `skus`: on-hand minus what other orders reserve
    /// there; `excluding_order`'s own reservations do not count against it.
    async fn stock_by_location(
        &self,
        skus: &[String],
        excluding_order: Option<i64>,
    ) -> Result<StockSnapshot>;
    /// Stores the plan (explanation included) and moves each SKU's reservation to its
    /// location; the order becomes `held` if any line is, else `routed`. Only an order still
    /// waiting for a route takes it.
    async fn record_route(&self, order_id: i64, plan: &RoutePlan) -> Result<()>;
    /// Lines of routed orders, each at its own location.
    async fn picks(&self, location_id: Option<&str>) -> Result<Vec<PickLine>>;
    /// Orders waiting for a person, oldest first, with why.
    async fn held_orders(&self, limit: i64) -> Result<Vec<HeldOrder>>;
    /// Sends a held order's held lines to `location_id` as an operator's decision, in one
    /// transaction, and only if the order is still held.
    async fn release_order(
        &self,
        order_ref: &str,
        location_id: &str,
        by: &str,
        now: chrono::DateTime<chrono::FixedOffset>,
    ) -> Result<ReleaseReceipt>;
    /// The most recently decided routed or held orders with their decisions, newest first
    /// (for `route --what-if`).
    async fn decided_orders(&self, limit: i64) -> Result<Vec<DecidedOrder>>;

    // --- ship ---------------------------------------------------------------------------
    /// Records a parcel of a routed order leaving `from` (the merchant's own locations, or
    /// the one an operator names): consumes the units reserved there and only those, lowers
    /// on-hand, marks listings dirty and queues the write-back of the lines it carries, in one
    /// transaction; the order is shipped once nothing is left reserved. Partner-held units
    /// stay reserved. Refused when nothing is reserved at `from`.
    async fn ship(
        &self,
        order_ref: &str,
        carrier: &str,
        tracking_number: &str,
        from: &[String],
        now: chrono::DateTime<chrono::FixedOffset>,
    ) -> Result<ShipReceipt>;

    // --- stock --------------------------------------------------------------------------
    /// Sets on-hand levels at a location, booking each difference in the ledger.
    async fn set_on_hand(
        &self,
        location_id: &str,
        levels: &[(String, i64)],
        source: OnHandSource,
        reference: &str,
    ) -> Result<()>;
    /// Replaces the kit definitions (kit, component, units per kit) and marks the listings of
    /// every kit whose definition changed dirty.
    async fn sync_kits(&self, kits: &[(String, String, i64)]) -> Result<()>;
    /// Records units a customer sent back for one order line as an RMA received at once
    /// ([`ReturnsStore::receive_unannounced`]); with `restock` they go back on hand where the
    /// order shipped from, else they are disposed.
    async fn record_return(
        &self,
        order_ref: &str,
        line_id: &str,
        quantity: i64,
        restock: bool,
        now_ms: i64,
    ) -> Result<ReturnReceipt>;
    /// The ledger rows of a SKU, oldest first.
    async fn stock_history(&self, sku: &str, limit: i64) -> Result<Vec<LedgerEntry>>;
    /// A page of a channel's listings with their numbers, by SKU after `after` (audits,
    /// exposure): a million-SKU catalog is read in pages, never held whole.
    async fn listing_parts(
        &self,
        channel_id: &str,
        locations: &[String],
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ListingParts>>;
    /// On-hand, ledger balances, reservations and open-order demand in one read transaction;
    /// the caller adds the listing checks (it knows each channel's rules).
    async fn audit_snapshot(&self) -> Result<AuditSnapshot>;
    async fn record_audit(&self, now_ms: i64, violations: &[Violation]) -> Result<()>;
    /// Levels read back from a channel. A listing Switchyard believed settled at another level
    /// is drift: the belief takes the channel's level and the listing is queued for a push, so
    /// the pusher puts the right level back. Listings pushed since `read_started_at` are
    /// skipped: the read may predate the push.
    async fn observe_channel_levels(
        &self,
        channel_id: &str,
        observed: &[(String, i64)],
        read_started_at: i64,
    ) -> Result<Vec<Drift>>;
    async fn dirty_depth(&self, now_ms: i64) -> Result<Vec<DirtyDepth>>;

    // --- fulfilment partners --------------------------------------------------------------
    /// Queues every routed order holding units at one of `locations` (those with a partner
    /// adapter) for submission: a submission row and an outbox item with key
    /// `ff:<location>:<channel>:<external id>`, once per (order, location).
    async fn queue_fulfillment(&self, locations: &[String]) -> Result<u64>;
    /// The order and its units reserved at `location_id`, to build what the partner receives.
    async fn submission_work(
        &self,
        order_id: i64,
        location_id: &str,
    ) -> Result<Option<SubmissionWork>>;
    /// The partner took the order: closes the outbox item and records its id, in one transaction.
    async fn record_submission(
        &self,
        outbox_id: i64,
        key: &str,
        partner_order_id: &str,
    ) -> Result<()>;
    /// Stores partner events (duplicates counted, not stored) and, for a poll, the cursor.
    async fn insert_target_events(
        &self,
        location_id: &str,
        events: &[crate::fulfillment::TargetEvent],
        cursor: Option<&PollCursor>,
    ) -> Result<InboxInsert>;
    /// Pending events due now, oldest first, leaving out every event whose group (see
    /// `TargetInboxItem::group`) has an earlier event failing or parked, so one order's events
    /// apply in order while the others go on.
    async fn pending_target_events(&self, limit: i64) -> Result<Vec<TargetInboxItem>>;
    /// Applying an event failed: counts the attempt and keeps the error; with `retry_at` it is
    /// tried again then, without it is parked as `failed` (kept, never dropped).
    async fn fail_target_event(&self, id: i64, error: &str, retry_at: Option<i64>) -> Result<()>;
    /// Events not yet applied (pending and failed), or only the parked ones, oldest first.
    async fn target_events(&self, failed_only: bool, limit: i64) -> Result<Vec<TargetEventRow>>;
    /// Puts a parked event (`Some(id)`) or every parked event back in the queue with fresh
    /// attempts; returns how many.
    async fn retry_target_events(&self, id: Option<i64>) -> Result<u64>;
    /// Applies one event (shipment, rejection, acceptance, cancellation, stock level) and
    /// closes it, in one transaction; returns what happened.
    async fn apply_target_event(&self, item: &TargetInboxItem) -> Result<String>;
    /// Asks the partner to cancel every order it was handed before `submitted_before_ms` and
    /// has not shipped (an outbox `cancel_fulfillment` with key `cancel:<submission key>`, the
    /// submission `cancel_requested`); the lines are re-routed only once it confirms. Returns
    /// the submission keys.
    async fn cancel_overdue(
        &self,
        location_id: &str,
        submitted_before_ms: i64,
    ) -> Result<Vec<String>>;
    /// A partner answered a cancellation on the spot: closes the outbox item and stores the
    /// answer as a partner event (cancelled, or refused because it shipped), in one
    /// transaction, so the event worker applies it like any other.
    async fn record_cancel_answer(
        &self,
        outbox_id: i64,
        location_id: &str,
        order: &crate::fulfillment::OrderRef,
        outcome: &crate::fulfillment::CancelOutcome,
    ) -> Result<()>;
    /// Orders with refused lines waiting to be placed again, oldest first.
    async fn orders_to_reroute(&self, limit: i64) -> Result<Vec<RerouteWork>>;
    /// Stores a re-route plan: the decision, the reservations moved, the order `routed` or
    /// `held`, and a submission with its outbox item for each new partner location among
    /// `partner_locations`, in one transaction. Only an order still `rerouting` takes it;
    /// returns whether it did.
    async fn record_reroute(
        &self,
        order_id: i64,
        plan: &RoutePlan,
        partner_locations: &[String],
    ) -> Result<bool>;
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
    /// Orders the channel still expects us to ship (open or partly fulfilled, not shipped or
    /// closed here) with less than `margin_secs` left before their ship-by at `now_ms`, or
    /// past it; soonest first.
    async fn late_orders(
        &self,
        now_ms: i64,
        margin_secs: u64,
        limit: i64,
    ) -> Result<Vec<LateOrder>>;
    /// How many orders [`Store::late_orders`] would list (the daemon's at-risk metric).
    async fn count_at_risk(&self, now_ms: i64, margin_secs: u64) -> Result<i64>;
    async fn counts(&self) -> Result<Counts>;

    // --- health -------------------------------------------------------------------------
    /// Commits a small write that needs free space (and removes it again): `Ok` means the
    /// store takes writes now. The daemon probes while writes fail, to know when to accept
    /// webhooks again (`/readyz`).
    async fn probe_write(&self) -> Result<()>;

    // --- returns ------------------------------------------------------------------------
    /// The same engine's returns and refunds (RMAs).
    fn returns(&self) -> &dyn ReturnsStore;
}

/// Bytes the write probe needs: a few pages, about what a small delivery takes.
pub const PROBE_BYTES: i64 = 16 * 1024;

/// The error for stored data that cannot be read back.
pub fn corrupt(what: &str, detail: impl ToString) -> StoreError {
    StoreError::Corrupt {
        what: what.to_string(),
        detail: detail.to_string(),
    }
}

/// A JSON text column of any engine's row, decoded.
pub fn json_col<R, T>(row: &R, col: &str) -> Result<T>
where
    R: sqlx::Row,
    T: serde::de::DeserializeOwned,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'c> &'c str: sqlx::ColumnIndex<R>,
{
    let text: String = row.try_get(col)?;
    serde_json::from_str(&text).map_err(|e| corrupt(col, e))
}

/// A value as the JSON text the store keeps.
pub fn to_json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| corrupt("serializing", e))
}

/// The key an order is submitted to a partner location with; also its reference there.
pub fn submission_key(location: &str, channel: &str, external_id: &str) -> String {
    format!("ff:{location}:{channel}:{external_id}")
}

/// The write-back's idempotency key: one per parcel of an order.
pub fn write_back_key(channel_id: &str, external_id: &str, tracking: &str) -> String {
    format!("ship:{channel_id}:{external_id}:{tracking}")
}

/// The ship-by bound of an order at risk at `now_ms` with `margin_secs` of margin (see
/// `lifecycle::at_risk`): every engine's `late_orders` and `count_at_risk` compare against it.
pub fn risk_horizon(now_ms: i64, margin_secs: u64) -> i64 {
    let margin_ms = i64::try_from(margin_secs)
        .unwrap_or(i64::MAX)
        .saturating_mul(1000);
    now_ms.saturating_add(margin_ms)
}

/// Milliseconds since the Unix epoch, the store's clock unit.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
