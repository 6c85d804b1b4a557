//! The SQLite side of [`EventStore`]: reading the event log, webhook cursors and dead letters.

use async_trait::async_trait;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::SqliteStore;
use crate::events::{Event, EventType};
use crate::store::events_sql::event_row;
use crate::store::{EventStore, Result, StoreError, WebhookCursor, WebhookDeadLetter, to_json};

const CURSOR_COLS: &str =
    "subscription_id, position, attempts, next_attempt_at, last_error, delivered, updated_at";

const DEAD_COLS: &str = "d.id, d.subscription_id, d.event_id, e.type AS event_type, d.state,
    d.attempts, d.last_error, d.failed_at, d.replayed_at, d.delivered_at";

fn cursor_row(r: &SqliteRow) -> Result<WebhookCursor> {
    Ok(WebhookCursor {
        subscription: r.try_get("subscription_id")?,
        position: r.try_get("position")?,
        attempts: r.try_get("attempts")?,
        next_attempt_at: r.try_get("next_attempt_at")?,
        last_error: r.try_get("last_error")?,
        delivered: r.try_get("delivered")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn dead_row(r: &SqliteRow) -> Result<WebhookDeadLetter> {
    Ok(WebhookDeadLetter {
        id: r.try_get("id")?,
        subscription: r.try_get("subscription_id")?,
        event_id: r.try_get("event_id")?,
        event_type: r.try_get("event_type")?,
        state: r.try_get("state")?,
        attempts: r.try_get("attempts")?,
        last_error: r.try_get("last_error")?,
        failed_at: r.try_get("failed_at")?,
        replayed_at: r.try_get("replayed_at")?,
        delivered_at: r.try_get("delivered_at")?,
    })
}

/// The type filter as one bound JSON list (`NULL`: every type).
fn types_json(types: &[EventType]) -> Result<Option<String>> {
    if types.is_empty() {
        return Ok(None);
    }
    let names: Vec<&str> = types.iter().map(|t| t.as_str()).collect();
    Ok(Some(to_json(&names)?))
}

#[async_trait]
impl EventStore for SqliteStore {
    async fn events(&self, after: i64, limit: i64, types: &[EventType]) -> Result<Vec<Event>> {
        let rows = sqlx::query(
            "SELECT id, type, version, at, payload FROM events
             WHERE id > ?1 AND (?2 IS NULL OR type IN (SELECT value FROM json_each(?2)))
             ORDER BY id LIMIT ?3",
        )
        .bind(after)
        .bind(types_json(types)?)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(event_row).collect()
    }

    async fn last_event_id(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM events")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn webhook_cursor(&self, subscription: &str, start: i64) -> Result<WebhookCursor> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO webhook_cursors (subscription_id, position, updated_at) VALUES (?, ?, ?)
             ON CONFLICT (subscription_id) DO NOTHING",
        )
        .bind(subscription)
        .bind(start)
        .bind(crate::store::now_ms())
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CURSOR_COLS} FROM webhook_cursors WHERE subscription_id = ?"
        )))
        .bind(subscription)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        cursor_row(&row)
    }

    async fn webhook_cursors(&self) -> Result<Vec<WebhookCursor>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CURSOR_COLS} FROM webhook_cursors ORDER BY subscription_id"
        )))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(cursor_row).collect()
    }

    async fn webhook_delivered(&self, subscription: &str, event_id: i64) -> Result<()> {
        let mut tx = self.write().await?;
        // Never backwards: a late answer for an event already passed changes nothing.
        sqlx::query(
            "UPDATE webhook_cursors SET position = ?1, attempts = 0, next_attempt_at = 0,
                last_error = NULL, delivered = delivered + 1, updated_at = ?2
             WHERE subscription_id = ?3 AND position < ?1",
        )
        .bind(event_id)
        .bind(crate::store::now_ms())
        .bind(subscription)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn webhook_failed(
        &self,
        subscription: &str,
        event_id: i64,
        error: &str,
        retry_at: Option<i64>,
    ) -> Result<()> {
        let now = crate::store::now_ms();
        let mut tx = self.write().await?;
        match retry_at {
            Some(at) => {
                sqlx::query(
                    "UPDATE webhook_cursors SET attempts = attempts + 1, next_attempt_at = ?1,
                        last_error = ?2, updated_at = ?3
                     WHERE subscription_id = ?4 AND position < ?5",
                )
                .bind(at)
                .bind(error)
                .bind(now)
                .bind(subscription)
                .bind(event_id)
                .execute(&mut *tx)
                .await?;
            }
            None => {
                let attempts: Option<i64> = sqlx::query_scalar(
                    "SELECT attempts FROM webhook_cursors WHERE subscription_id = ? AND position < ?",
                )
                .bind(subscription)
                .bind(event_id)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(attempts) = attempts {
                    sqlx::query(
                        "UPDATE webhook_cursors SET position = ?1, attempts = 0, next_attempt_at = 0,
                            last_error = ?2, updated_at = ?3 WHERE subscription_id = ?4",
                    )
                    .bind(event_id)
                    .bind(error)
                    .bind(now)
                    .bind(subscription)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query(
                        "INSERT INTO webhook_dead_letters
                            (subscription_id, event_id, attempts, last_error, failed_at)
                         VALUES (?1, ?2, ?3, ?4, ?5)
                         ON CONFLICT (subscription_id, event_id) DO UPDATE SET state = 'dead',
                            attempts = excluded.attempts, last_error = excluded.last_error,
                            failed_at = excluded.failed_at, next_attempt_at = NULL",
                    )
                    .bind(subscription)
                    .bind(event_id)
                    .bind(attempts + 1)
                    .bind(error)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn webhook_dead_letters(
        &self,
        subscription: Option<&str>,
        open_only: bool,
        limit: i64,
    ) -> Result<Vec<WebhookDeadLetter>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {DEAD_COLS} FROM webhook_dead_letters d JOIN events e ON e.id = d.event_id
             WHERE (?1 IS NULL OR d.subscription_id = ?1) AND (?2 = 0 OR d.state <> 'delivered')
             ORDER BY d.id DESC LIMIT ?3"
        )))
        .bind(subscription)
        .bind(open_only)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(dead_row).collect()
    }

    async fn replay_webhook_dead_letter(&self, id: i64, now_ms: i64) -> Result<WebhookDeadLetter> {
        let mut tx = self.write().await?;
        let state: Option<String> =
            sqlx::query_scalar("SELECT state FROM webhook_dead_letters WHERE id = ?")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        match state.as_deref() {
            None => return Err(StoreError::NotFound(format!("webhook dead letter {id}"))),
            Some("dead") => {}
            Some(other) => {
                return Err(StoreError::Conflict(format!(
                    "webhook dead letter {id} is `{other}`, not dead"
                )));
            }
        }
        sqlx::query(
            "UPDATE webhook_dead_letters SET state = 'replaying', attempts = 0,
                next_attempt_at = ?1, replayed_at = ?1 WHERE id = ?2",
        )
        .bind(now_ms)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {DEAD_COLS} FROM webhook_dead_letters d JOIN events e ON e.id = d.event_id
             WHERE d.id = ?"
        )))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        dead_row(&row)
    }

    async fn due_webhook_replays(
        &self,
        subscription: &str,
        now_ms: i64,
        limit: i64,
    ) -> Result<Vec<(WebhookDeadLetter, Event)>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {DEAD_COLS}, e.version, e.at, e.payload, e.type
             FROM webhook_dead_letters d JOIN events e ON e.id = d.event_id
             WHERE d.subscription_id = ?1 AND d.state = 'replaying' AND d.next_attempt_at <= ?2
             ORDER BY d.event_id LIMIT ?3"
        )))
        .bind(subscription)
        .bind(now_ms)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let dead = dead_row(r)?;
                let event = Event {
                    id: dead.event_id,
                    kind: dead
                        .event_type
                        .parse()
                        .map_err(|e| crate::store::corrupt("events.type", e))?,
                    version: r.try_get("version")?,
                    at: r.try_get("at")?,
                    data: crate::store::json_col(r, "payload")?,
                };
                Ok((dead, event))
            })
            .collect()
    }

    async fn webhook_replay_delivered(&self, id: i64) -> Result<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "UPDATE webhook_dead_letters SET state = 'delivered', delivered_at = ?, next_attempt_at = NULL
             WHERE id = ? AND state = 'replaying'",
        )
        .bind(crate::store::now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn webhook_replay_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<i64>,
    ) -> Result<()> {
        let now = crate::store::now_ms();
        let mut tx = self.write().await?;
        sqlx::query(
            "UPDATE webhook_dead_letters SET attempts = attempts + 1, last_error = ?1,
                state = CASE WHEN ?2 IS NULL THEN 'dead' ELSE 'replaying' END,
                next_attempt_at = ?2,
                failed_at = CASE WHEN ?2 IS NULL THEN ?3 ELSE failed_at END
             WHERE id = ?4 AND state = 'replaying'",
        )
        .bind(error)
        .bind(retry_at)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
