//! `EventStore`: reading the event log and keeping each webhook subscription's place in it.
//! The events themselves are written by the store's own transactions (`events_sql.rs`, and
//! `stores/postgres/src/events_sql.rs`), never through this trait.

use async_trait::async_trait;
use serde::Serialize;

use super::Result;
use crate::events::{Event, EventType};

/// A webhook subscription's place in the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebhookCursor {
    pub subscription: String,
    /// The last event delivered (or given up on as a dead letter); the next one sent is the
    /// first after it of the subscribed types.
    pub position: i64,
    /// Failed attempts at that next event so far.
    pub attempts: i64,
    /// Not before (Unix ms): the backoff after a failure.
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    /// Events delivered since the subscription began.
    pub delivered: i64,
    pub updated_at: i64,
}

/// An event a subscriber did not take after the last attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebhookDeadLetter {
    pub id: i64,
    pub subscription: String,
    pub event_id: i64,
    pub event_type: String,
    /// `dead` (waiting for an operator), `replaying` (sent again by the worker) or
    /// `delivered` (a replay got through).
    pub state: String,
    pub attempts: i64,
    pub last_error: String,
    pub failed_at: i64,
    pub replayed_at: Option<i64>,
    pub delivered_at: Option<i64>,
}

#[async_trait]
pub trait EventStore: Send + Sync {
    /// Events after position `after`, oldest first, at most `limit`; only `types` when not
    /// empty. A reader that passes the last id it saw never misses one: ids grow in commit
    /// order on every engine.
    async fn events(&self, after: i64, limit: i64, types: &[EventType]) -> Result<Vec<Event>>;
    /// The newest event's id (0 when there is none).
    async fn last_event_id(&self) -> Result<i64>;

    /// The subscription's cursor; a subscription seen for the first time starts at `start`.
    async fn webhook_cursor(&self, subscription: &str, start: i64) -> Result<WebhookCursor>;
    async fn webhook_cursors(&self) -> Result<Vec<WebhookCursor>>;
    /// The subscriber took `event_id`: the cursor moves to it, attempts start again.
    async fn webhook_delivered(&self, subscription: &str, event_id: i64) -> Result<()>;
    /// Sending `event_id` failed: one more attempt counted, the next at `retry_at`; without
    /// it the event becomes a dead letter and the cursor moves past it, in one transaction,
    /// so the events after it go on.
    async fn webhook_failed(
        &self,
        subscription: &str,
        event_id: i64,
        error: &str,
        retry_at: Option<i64>,
    ) -> Result<()>;
    /// Dead letters, newest first, of one subscription or all; `open_only` leaves out
    /// delivered replays.
    async fn webhook_dead_letters(
        &self,
        subscription: Option<&str>,
        open_only: bool,
        limit: i64,
    ) -> Result<Vec<WebhookDeadLetter>>;
    /// An operator sends a dead letter again: it becomes `replaying` with fresh attempts.
    /// `NotFound` for an unknown id, `Conflict` unless it is `dead`.
    async fn replay_webhook_dead_letter(&self, id: i64, now_ms: i64) -> Result<WebhookDeadLetter>;
    /// Replays of a subscription due by `now_ms`, oldest first, with their events.
    async fn due_webhook_replays(
        &self,
        subscription: &str,
        now_ms: i64,
        limit: i64,
    ) -> Result<Vec<(WebhookDeadLetter, Event)>>;
    /// A replay got through.
    async fn webhook_replay_delivered(&self, id: i64) -> Result<()>;
    /// A replay failed: tried again at `retry_at`, or `dead` again without it.
    async fn webhook_replay_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<i64>,
    ) -> Result<()>;
}
