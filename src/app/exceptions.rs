//! Exceptions for operators (list, acknowledge, resolve) and the channels' and partners'
//! health as the running daemon sees it. Commands that remove a cause (release a hold, replay
//! a dead letter, retry a partner event, re-process a delivery, count a SKU in) clear the
//! exception it raised, after the command's own transaction.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use switchyard_core::exceptions::{ExceptionKey, ExceptionKind, Subject};
use switchyard_core::store::{
    ExceptionFilter, ExceptionRow, ExceptionStore, OperatorChange, now_ms,
};

use super::{Actor, AppError, AppResult, Operations, check_limit};
use crate::daemon::health::{Board, ChannelSeen, PartnerSeen};

/// A channel with what the daemon last saw of it and its stock queue.
#[derive(Debug, Clone, Serialize)]
pub struct ChannelHealth {
    pub id: String,
    pub kind: String,
    pub poll_interval_secs: u64,
    #[serde(flatten)]
    pub seen: ChannelSeen,
    /// SKUs waiting for a stock push.
    pub push_queue: i64,
    /// Age of the oldest stock change not yet pushed (seconds), when there is one.
    pub push_lag_secs: Option<i64>,
    /// Calls made to its API and how many it throttled, since the daemon started.
    pub api_calls: Option<u64>,
    pub api_throttled: Option<u64>,
    /// Exceptions about this channel not yet resolved.
    pub open_exceptions: i64,
}

/// A fulfilment partner (a location with an `adapter:`) with what the daemon last saw of it.
#[derive(Debug, Clone, Serialize)]
pub struct PartnerHealth {
    pub location_id: String,
    pub adapter: String,
    #[serde(flatten)]
    pub seen: PartnerSeen,
    /// Its events waiting to be applied, and those parked as failed.
    pub events_pending: i64,
    pub events_failed: i64,
    /// Exceptions about this partner not yet resolved.
    pub open_exceptions: i64,
}

impl Operations {
    /// Uses the engine's exceptions (the daemon and the CLI open it with `open_all`).
    pub fn with_exceptions(mut self, exceptions: Arc<dyn ExceptionStore>) -> Self {
        self.exceptions = Some(exceptions);
        self
    }

    /// Uses a running daemon's view of its channels and partners.
    pub fn with_board(mut self, board: Arc<Board>) -> Self {
        self.board = Some(board);
        self
    }

    fn exception_store(&self) -> AppResult<&dyn ExceptionStore> {
        self.exceptions
            .as_deref()
            .ok_or_else(|| AppError::Failed("exceptions are not available here".into()))
    }

    /// Exceptions newest first, narrowed by state and kind (the dashboard's open ones:
    /// `state: Some(Open)`).
    pub async fn exceptions(&self, filter: &ExceptionFilter) -> AppResult<Vec<ExceptionRow>> {
        check_limit("limit", filter.limit)?;
        Ok(self.exception_store()?.exceptions(filter).await?)
    }

    pub async fn exception(&self, id: i64) -> AppResult<ExceptionRow> {
        self.exception_store()?
            .exception(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("exception {id}")))
    }

    /// A person has seen it: stays listed, no more reminders.
    pub async fn acknowledge_exception(&self, actor: &Actor, id: i64) -> AppResult<ExceptionRow> {
        self.change_exception(actor, id, OperatorChange::Acknowledge)
            .await
    }

    /// A person dealt with it; it opens again if its cause comes back.
    pub async fn resolve_exception(&self, actor: &Actor, id: i64) -> AppResult<ExceptionRow> {
        self.change_exception(actor, id, OperatorChange::Resolve)
            .await
    }

    async fn change_exception(
        &self,
        actor: &Actor,
        id: i64,
        change: OperatorChange,
    ) -> AppResult<ExceptionRow> {
        let action = match change {
            OperatorChange::Acknowledge => "acknowledge_exception",
            OperatorChange::Resolve => "resolve_exception",
        };
        let result = async {
            Ok(self
                .exception_store()?
                .change_exception(id, change, &actor.id(), now_ms())
                .await?)
        }
        .await;
        self.recorded(
            actor,
            action,
            format!("exception:{id}"),
            serde_json::json!({"id": id}),
            result,
            |r: &ExceptionRow| format!("{} {} is {}", r.kind, r.subject, r.state),
        )
        .await
    }

    /// Resolves the exception a command's success removed the cause of. Logged, never fails
    /// the command (which has committed).
    pub(super) async fn cleared(&self, kind: ExceptionKind, subject: Subject) {
        let Some(store) = self.exceptions.as_deref() else {
            return;
        };
        let key = ExceptionKey::new(kind, subject);
        if let Err(e) = store.clear_exception(&key, now_ms()).await {
            tracing::warn!(kind = %kind, subject = %key.subject, error = %e, "exception not cleared");
        }
    }

    /// Resolves every active exception of `kind` (an operator retried all of them).
    pub(super) async fn cleared_all(&self, kind: ExceptionKind) {
        let Some(store) = self.exceptions.as_deref() else {
            return;
        };
        if let Err(e) = store.sync_exceptions(kind, &[], now_ms()).await {
            tracing::warn!(kind = %kind, error = %e, "exceptions not cleared");
        }
    }

    /// Resolves the unknown-SKU exceptions of the SKUs just counted in (one read, then only
    /// the SKUs that have one).
    pub(super) async fn cleared_skus<'a>(&self, skus: impl Iterator<Item = &'a str>) {
        let Some(store) = self.exceptions.as_deref() else {
            return;
        };
        let mut active = std::collections::BTreeSet::new();
        for state in [
            switchyard_core::exceptions::ExceptionState::Open,
            switchyard_core::exceptions::ExceptionState::Acknowledged,
        ] {
            match store
                .exceptions(&ExceptionFilter {
                    state: Some(state),
                    kind: Some(ExceptionKind::UnknownSku),
                    limit: 100_000,
                    ..ExceptionFilter::default()
                })
                .await
            {
                Ok(rows) => active.extend(rows.into_iter().map(|r| r.subject)),
                Err(e) => {
                    tracing::warn!(error = %e, "unknown-SKU exceptions not read");
                    return;
                }
            }
        }
        for sku in skus {
            let subject = Subject::Sku(sku.to_string());
            if active.contains(&subject.to_string()) {
                self.cleared(ExceptionKind::UnknownSku, subject).await;
            }
        }
    }

    /// Active (open or acknowledged) exceptions per subject.
    async fn active_by_subject(&self) -> AppResult<BTreeMap<String, i64>> {
        let mut by = BTreeMap::new();
        let Some(store) = self.exceptions.as_deref() else {
            return Ok(by);
        };
        for state in [
            switchyard_core::exceptions::ExceptionState::Open,
            switchyard_core::exceptions::ExceptionState::Acknowledged,
        ] {
            let rows = store
                .exceptions(&ExceptionFilter {
                    state: Some(state),
                    limit: 10_000,
                    ..ExceptionFilter::default()
                })
                .await?;
            for r in rows {
                *by.entry(r.subject).or_default() += 1;
            }
        }
        Ok(by)
    }

    fn need_board(&self) -> AppResult<&Board> {
        self.board.as_deref().ok_or_else(|| {
            AppError::Failed("channel and partner health needs the running daemon".into())
        })
    }

    /// Every configured channel with its health.
    pub async fn channels_health(&self) -> AppResult<Vec<ChannelHealth>> {
        let board = self.need_board()?;
        let config = self.need_config("channel health")?;
        let seen = board.channels();
        let depths: BTreeMap<String, (i64, Option<i64>)> = self
            .store
            .dirty_depth(now_ms())
            .await?
            .into_iter()
            .map(|d| (d.channel_id, (d.pending, d.oldest_ms)))
            .collect();
        let active = self.active_by_subject().await?;
        Ok(config
            .channels
            .iter()
            .map(|c| {
                let (pending, oldest) = depths.get(&c.id).copied().unwrap_or((0, None));
                let stats = self.channels.get(&c.id).and_then(|ch| ch.api_stats());
                ChannelHealth {
                    id: c.id.clone(),
                    kind: c.kind.as_str().to_string(),
                    poll_interval_secs: c.poll_interval_secs,
                    seen: seen.get(&c.id).cloned().unwrap_or_default(),
                    push_queue: pending,
                    push_lag_secs: oldest.map(|ms| ms / 1000),
                    api_calls: stats.as_ref().map(|s| s.calls),
                    api_throttled: stats.as_ref().map(|s| s.throttled),
                    open_exceptions: active
                        .get(&Subject::Channel(c.id.clone()).to_string())
                        .copied()
                        .unwrap_or(0),
                }
            })
            .collect())
    }

    /// Every location with an `adapter:` with its health.
    pub async fn partners_health(&self) -> AppResult<Vec<PartnerHealth>> {
        let board = self.need_board()?;
        let config = self.need_config("partner health")?;
        let seen = board.partners();
        let mut events: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        for e in self.store.target_events(false, 100_000).await? {
            let entry = events.entry(e.location_id).or_default();
            if e.state == "failed" {
                entry.1 += 1;
            } else {
                entry.0 += 1;
            }
        }
        let active = self.active_by_subject().await?;
        Ok(config
            .locations
            .iter()
            .filter_map(|l| {
                let adapter = l.adapter.as_ref()?;
                let (pending, failed) = events.get(&l.id).copied().unwrap_or((0, 0));
                Some(PartnerHealth {
                    location_id: l.id.clone(),
                    adapter: serde_json::to_value(adapter.kind)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                    seen: seen.get(&l.id).cloned().unwrap_or_default(),
                    events_pending: pending,
                    events_failed: failed,
                    open_exceptions: active
                        .get(&Subject::Location(l.id.clone()).to_string())
                        .copied()
                        .unwrap_or(0),
                })
            })
            .collect())
    }
}
