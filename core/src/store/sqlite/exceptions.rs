//! [`ExceptionStore`] in portable SQL: loads the row, asks `crate::exceptions` what to do,
//! writes that (and the alert it queues) in one transaction.

use std::collections::BTreeMap;

use async_trait::async_trait;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::{SqliteStore, corrupt};
use crate::exceptions::{
    self as rules, AlertItem, AlertReason, Current, ExceptionKey, ExceptionKind, ExceptionState,
    Level, Raise, Subject,
};
use crate::store::{
    CLEARED_BY, ExceptionFilter, ExceptionRow, ExceptionStore, OperatorChange, Raised, Result,
    SinkState, StoreError,
};

const COLS: &str = "id, kind, subject, state, first_at, last_at, count, message, \
                    acknowledged_by, resolved_by, resolved_at";

fn kind_of(s: &str) -> Result<ExceptionKind> {
    s.parse().map_err(|e| corrupt("exceptions.kind", e))
}

fn state_of(s: &str) -> Result<ExceptionState> {
    s.parse().map_err(|e| corrupt("exceptions.state", e))
}

fn row(r: &SqliteRow) -> Result<ExceptionRow> {
    let kind: String = r.try_get("kind")?;
    let state: String = r.try_get("state")?;
    Ok(ExceptionRow {
        id: r.try_get("id")?,
        kind: kind_of(&kind)?,
        subject: r.try_get("subject")?,
        state: state_of(&state)?,
        first_at: r.try_get("first_at")?,
        last_at: r.try_get("last_at")?,
        count: r.try_get("count")?,
        message: r.try_get("message")?,
        acknowledged_by: r.try_get("acknowledged_by")?,
        resolved_by: r.try_get("resolved_by")?,
        resolved_at: r.try_get("resolved_at")?,
    })
}

fn current(r: &SqliteRow) -> Result<(i64, Current)> {
    let state: String = r.try_get("state")?;
    Ok((
        r.try_get("id")?,
        Current {
            state: state_of(&state)?,
            count: r.try_get("count")?,
        },
    ))
}

type Tx = sqlx::Transaction<'static, sqlx::Sqlite>;

async fn queue_alert(tx: &mut Tx, exception_id: i64, reason: AlertReason, now: i64) -> Result<()> {
    sqlx::query("INSERT INTO alerts (at, reason, exception_id) VALUES (?1, ?2, ?3)")
        .bind(now)
        .bind(reason.as_str())
        .bind(exception_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn insert_open(
    tx: &mut Tx,
    kind: ExceptionKind,
    subject: &str,
    message: &str,
    now: i64,
) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO exceptions (kind, subject, state, first_at, last_at, count, message,
                                 alerted_at)
         VALUES (?1, ?2, 'open', ?3, ?3, 1, ?4, ?3) RETURNING id",
    )
    .bind(kind.as_str())
    .bind(subject)
    .bind(now)
    .bind(message)
    .fetch_one(&mut **tx)
    .await?;
    queue_alert(tx, id, AlertReason::Opened, now).await?;
    Ok(id)
}

async fn mark_cleared(tx: &mut Tx, id: i64, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE exceptions SET state = 'resolved', resolved_by = ?1, resolved_at = ?2
         WHERE id = ?3",
    )
    .bind(CLEARED_BY)
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[async_trait]
impl ExceptionStore for SqliteStore {
    async fn raise_exception(&self, key: &ExceptionKey, message: &str, now: i64) -> Result<Raised> {
        let subject = key.subject.to_string();
        let mut tx = self.write().await?;
        let found =
            sqlx::query("SELECT id, state, count FROM exceptions WHERE kind = ?1 AND subject = ?2")
                .bind(key.kind.as_str())
                .bind(&subject)
                .fetch_optional(&mut *tx)
                .await?
                .as_ref()
                .map(current)
                .transpose()?;
        let change = rules::raise(found.as_ref().map(|(_, c)| c));
        let opened = change.opens();
        let id = match (change, found) {
            (Raise::Bump { count }, Some((id, _))) => {
                sqlx::query(
                    "UPDATE exceptions SET count = ?1, last_at = ?2, message = ?3 WHERE id = ?4",
                )
                .bind(count)
                .bind(now)
                .bind(message)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                id
            }
            (Raise::Reopen, Some((id, _))) => {
                sqlx::query(
                    "UPDATE exceptions SET state = 'open', first_at = ?1, last_at = ?1, count = 1,
                            message = ?2, alerted_at = ?1, acknowledged_by = NULL,
                            resolved_by = NULL, resolved_at = NULL
                     WHERE id = ?3",
                )
                .bind(now)
                .bind(message)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                queue_alert(&mut tx, id, AlertReason::Opened, now).await?;
                id
            }
            _ => insert_open(&mut tx, key.kind, &subject, message, now).await?,
        };
        tx.commit().await?;
        Ok(Raised { id, opened })
    }

    async fn clear_exception(&self, key: &ExceptionKey, now: i64) -> Result<bool> {
        let mut tx = self.write().await?;
        let found =
            sqlx::query("SELECT id, state, count FROM exceptions WHERE kind = ?1 AND subject = ?2")
                .bind(key.kind.as_str())
                .bind(key.subject.to_string())
                .fetch_optional(&mut *tx)
                .await?
                .as_ref()
                .map(current)
                .transpose()?;
        let Some((id, cur)) = found else {
            return Ok(false);
        };
        if rules::clear(Some(&cur)).is_none() {
            return Ok(false);
        }
        mark_cleared(&mut tx, id, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn sync_exceptions(
        &self,
        kind: ExceptionKind,
        present: &[(Subject, String)],
        now: i64,
    ) -> Result<(u64, u64)> {
        let mut tx = self.write().await?;
        let rows = sqlx::query("SELECT id, subject, state, count FROM exceptions WHERE kind = ?1")
            .bind(kind.as_str())
            .fetch_all(&mut *tx)
            .await?;
        let mut known = BTreeMap::new();
        for r in &rows {
            let subject: String = r.try_get("subject")?;
            known.insert(subject, current(r)?);
        }
        let present: BTreeMap<String, &str> = present
            .iter()
            .map(|(s, m)| (s.to_string(), m.as_str()))
            .collect();
        let (mut opened, mut cleared) = (0, 0);
        for (subject, message) in &present {
            if rules::level(known.get(subject).map(|(_, c)| c), true) == Level::Open {
                insert_open(&mut tx, kind, subject, message, now).await?;
                opened += 1;
            }
        }
        for (subject, (id, cur)) in &known {
            if !present.contains_key(subject) && rules::level(Some(cur), false) == Level::Clear {
                mark_cleared(&mut tx, *id, now).await?;
                cleared += 1;
            }
        }
        tx.commit().await?;
        Ok((opened, cleared))
    }

    async fn exceptions(&self, filter: &ExceptionFilter) -> Result<Vec<ExceptionRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM exceptions
             WHERE (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR kind = ?2)
               AND (?3 IS NULL OR id < ?3)
             ORDER BY id DESC LIMIT ?4"
        )))
        .bind(filter.state.map(ExceptionState::as_str))
        .bind(filter.kind.map(ExceptionKind::as_str))
        .bind(filter.before_id)
        .bind(filter.limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(row).collect()
    }

    async fn exception(&self, id: i64) -> Result<Option<ExceptionRow>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM exceptions WHERE id = ?1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(row)
        .transpose()
    }

    async fn change_exception(
        &self,
        id: i64,
        change: OperatorChange,
        by: &str,
        now: i64,
    ) -> Result<ExceptionRow> {
        let mut tx = self.write().await?;
        let (_, cur) = sqlx::query("SELECT id, state, count FROM exceptions WHERE id = ?1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .as_ref()
            .map(current)
            .transpose()?
            .ok_or_else(|| StoreError::NotFound(format!("exception {id}")))?;
        let decided = match change {
            OperatorChange::Acknowledge => rules::acknowledge(&cur),
            OperatorChange::Resolve => rules::resolve(&cur),
        }
        .map_err(|refusal| StoreError::Conflict(format!("exception {id}: {refusal}")))?;
        if decided == ExceptionState::Acknowledged {
            sqlx::query(
                "UPDATE exceptions SET state = 'acknowledged', acknowledged_by = ?1 WHERE id = ?2",
            )
            .bind(by)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        } else {
            sqlx::query(
                "UPDATE exceptions SET state = 'resolved', resolved_by = ?1, resolved_at = ?2
                 WHERE id = ?3",
            )
            .bind(by)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        let updated = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM exceptions WHERE id = ?1"
        )))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        let updated = row(&updated)?;
        tx.commit().await?;
        Ok(updated)
    }

    async fn open_exception_counts(&self) -> Result<Vec<(ExceptionKind, i64)>> {
        let rows = sqlx::query(
            "SELECT kind, COUNT(*) AS n FROM exceptions WHERE state = 'open' GROUP BY kind
             ORDER BY kind",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let kind: String = r.try_get("kind")?;
                Ok((kind_of(&kind)?, r.try_get("n")?))
            })
            .collect()
    }

    async fn queue_reminders(&self, now: i64, every_ms: i64) -> Result<u64> {
        if every_ms <= 0 {
            return Ok(0);
        }
        let mut tx = self.write().await?;
        let rows = sqlx::query(
            "SELECT id, state, alerted_at FROM exceptions
             WHERE state = 'open' AND alerted_at <= ?1 ORDER BY id",
        )
        .bind(now.saturating_sub(every_ms))
        .fetch_all(&mut *tx)
        .await?;
        let mut queued = 0;
        for r in &rows {
            let state: String = r.try_get("state")?;
            let alerted_at: i64 = r.try_get("alerted_at")?;
            if !rules::reminder_due(state_of(&state)?, alerted_at, now, every_ms) {
                continue;
            }
            let id: i64 = r.try_get("id")?;
            queue_alert(&mut tx, id, AlertReason::Reminder, now).await?;
            sqlx::query("UPDATE exceptions SET alerted_at = ?1 WHERE id = ?2")
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            queued += 1;
        }
        tx.commit().await?;
        Ok(queued)
    }

    async fn alert_sink(&self, sink: &str) -> Result<SinkState> {
        let found = sqlx::query(
            "SELECT delivered_through, attempts, next_at, last_sent_at, last_error
             FROM alert_sinks WHERE sink = ?1",
        )
        .bind(sink)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = found else {
            return Ok(SinkState::default());
        };
        Ok(SinkState {
            delivered_through: r.try_get("delivered_through")?,
            attempts: r.try_get("attempts")?,
            next_at: r.try_get("next_at")?,
            last_sent_at: r.try_get("last_sent_at")?,
            last_error: r.try_get("last_error")?,
        })
    }

    async fn alerts_after(
        &self,
        after_id: i64,
        since_ms: i64,
        limit: i64,
    ) -> Result<Vec<AlertItem>> {
        let rows = sqlx::query(
            "SELECT a.id, a.at, a.reason, e.id AS exception_id, e.kind, e.subject, e.message
             FROM alerts a JOIN exceptions e ON e.id = a.exception_id
             WHERE a.id > ?1 AND a.at >= ?2 ORDER BY a.id LIMIT ?3",
        )
        .bind(after_id)
        .bind(since_ms)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let kind: String = r.try_get("kind")?;
                let reason: String = r.try_get("reason")?;
                Ok(AlertItem {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    reason: reason.parse().map_err(|e| corrupt("alerts.reason", e))?,
                    exception_id: r.try_get("exception_id")?,
                    kind: kind_of(&kind)?,
                    subject: r.try_get("subject")?,
                    message: r.try_get("message")?,
                })
            })
            .collect()
    }

    async fn alert_sent(&self, sink: &str, through_id: i64, now: i64) -> Result<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO alert_sinks (sink, delivered_through, attempts, next_at, last_sent_at)
             VALUES (?1, ?2, 0, 0, ?3)
             ON CONFLICT (sink) DO UPDATE SET delivered_through = excluded.delivered_through,
                 attempts = 0, next_at = 0, last_sent_at = excluded.last_sent_at,
                 last_error = NULL",
        )
        .bind(sink)
        .bind(through_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn alert_failed(&self, sink: &str, error: &str, next_at: i64) -> Result<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO alert_sinks (sink, delivered_through, attempts, next_at, last_error)
             VALUES (?1, 0, 1, ?2, ?3)
             ON CONFLICT (sink) DO UPDATE SET attempts = alert_sinks.attempts + 1,
                 next_at = excluded.next_at, last_error = excluded.last_error",
        )
        .bind(sink)
        .bind(next_at)
        .bind(error)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
