//! [`ExceptionStore`]: the stored list of exceptions (`crate::exceptions`) and the durable
//! alert queue that goes with it (migration 0014). Raising an exception that opens queues its
//! alert in the same transaction, so an alert is never lost to a crash; each alert sink keeps
//! its own cursor over the queue (`alert_sinks`), moved only after a send succeeded.

use async_trait::async_trait;
use serde::Serialize;

use super::Result;
use crate::exceptions::{AlertItem, ExceptionKey, ExceptionKind, ExceptionState, Subject};

/// One exception as it is stored.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ExceptionRow {
    pub id: i64,
    pub kind: ExceptionKind,
    /// `order:12`, `channel:shop`, `location:acme`, `sku:MUG`, `dead_letter:3`, …
    pub subject: String,
    pub state: ExceptionState,
    /// Unix ms it (last) opened.
    pub first_at: i64,
    /// Unix ms it was last raised.
    pub last_at: i64,
    /// Times raised since it opened.
    pub count: i64,
    /// What the worker that raised it last said.
    pub message: String,
    /// Who acknowledged it (`cli:alice`, `api:ops-bot`).
    pub acknowledged_by: Option<String>,
    /// Who resolved it: an operator, or `switchyard` when its cause went away.
    pub resolved_by: Option<String>,
    pub resolved_at: Option<i64>,
}

/// Which exceptions a list shows.
#[derive(Debug, Clone, Default)]
pub struct ExceptionFilter {
    pub state: Option<ExceptionState>,
    pub kind: Option<ExceptionKind>,
    /// Only ids below this one (the next page, newest first).
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// What a raise did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Raised {
    pub id: i64,
    /// It opened (new or resolved before): an alert was queued.
    pub opened: bool,
}

/// An operator's change to an exception.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperatorChange {
    Acknowledge,
    Resolve,
}

/// Where one alert sink stands in the queue.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SinkState {
    /// Every alert up to this id has been sent.
    pub delivered_through: i64,
    /// Failed sends since the last success.
    pub attempts: i64,
    /// No send before this (Unix ms): backoff after a failure.
    pub next_at: i64,
    pub last_sent_at: Option<i64>,
    pub last_error: Option<String>,
}

/// Who resolves an exception whose cause went away.
pub const CLEARED_BY: &str = "switchyard";

#[async_trait]
pub trait ExceptionStore: Send + Sync {
    /// Raises (opens, re-opens or bumps) the exception `key` (`crate::exceptions::raise`); an
    /// opening queues an alert in the same transaction.
    async fn raise_exception(&self, key: &ExceptionKey, message: &str, now: i64) -> Result<Raised>;
    /// Resolves `key` because its cause went away; false when it was not open.
    async fn clear_exception(&self, key: &ExceptionKey, now: i64) -> Result<bool>;
    /// Makes the open exceptions of `kind` match `present` (a level seen by a periodic
    /// check): subjects not yet known open (with an alert), active ones no longer present
    /// are resolved; subjects already known (open, acknowledged or resolved by a person) stay
    /// as they are. Returns (opened, cleared).
    async fn sync_exceptions(
        &self,
        kind: ExceptionKind,
        present: &[(Subject, String)],
        now: i64,
    ) -> Result<(u64, u64)>;
    /// Newest first.
    async fn exceptions(&self, filter: &ExceptionFilter) -> Result<Vec<ExceptionRow>>;
    async fn exception(&self, id: i64) -> Result<Option<ExceptionRow>>;
    /// An operator acknowledges or resolves: not found for an unknown id, a conflict when its
    /// state does not allow it.
    async fn change_exception(
        &self,
        id: i64,
        change: OperatorChange,
        by: &str,
        now: i64,
    ) -> Result<ExceptionRow>;
    /// Open (not acknowledged, not resolved) exceptions per kind; kinds without any left out.
    async fn open_exception_counts(&self) -> Result<Vec<(ExceptionKind, i64)>>;

    /// Queues a reminder for each open exception last alerted `every_ms` ago or longer.
    async fn queue_reminders(&self, now: i64, every_ms: i64) -> Result<u64>;
    /// Where `sink` stands (a sink never seen starts at the beginning).
    async fn alert_sink(&self, sink: &str) -> Result<SinkState>;
    /// Alerts after `after_id` queued at or after `since_ms`, oldest first.
    async fn alerts_after(
        &self,
        after_id: i64,
        since_ms: i64,
        limit: i64,
    ) -> Result<Vec<AlertItem>>;
    /// `sink` sent every alert up to `through_id`.
    async fn alert_sent(&self, sink: &str, through_id: i64, now: i64) -> Result<()>;
    /// `sink` failed to send; try again at `next_at`.
    async fn alert_failed(&self, sink: &str, error: &str, next_at: i64) -> Result<()>;
}
