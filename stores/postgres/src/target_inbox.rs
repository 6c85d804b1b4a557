//! The partner event queue: which stored events are due (one order's events in order, a
//! failing one holding back only its own group), recording a failed attempt or parking the
//! event, and the operator's view and retry of parked events.

use std::collections::HashSet;

use sqlx::Row;

use super::{PgStore, json_col};
use switchyard_core::fulfillment::{EventKind, TargetEvent};
use switchyard_core::store::{Result, StoreError, TargetEventRow, TargetInboxItem, now_ms};

/// How many open events one scan looks through to find `limit` due ones; events held back
/// behind a failing one are skipped, so the window is wider than the batch.
const SCAN_WINDOW: i64 = 2000;

impl PgStore {
    pub(super) async fn fulfil_pending_events(&self, limit: i64) -> Result<Vec<TargetInboxItem>> {
        let now = now_ms();
        let mut conn = self.pool.acquire().await?;
        let rows = sqlx::query(
            "SELECT id, location_id, event, state, attempts, next_attempt_at FROM target_inbox
             WHERE state IN ('pending', 'failed') ORDER BY id LIMIT $1",
        )
        .bind(SCAN_WINDOW)
        .fetch_all(&mut *conn)
        .await?;
        let mut blocked: HashSet<String> = HashSet::new();
        let mut due = Vec::new();
        for r in &rows {
            let location_id: String = r.try_get("location_id")?;
            let event: TargetEvent = json_col(r, "event")?;
            let group = group_of(&mut conn, &location_id, &event).await?;
            let state: String = r.try_get("state")?;
            let next: Option<i64> = r.try_get("next_attempt_at")?;
            let waiting = state == "failed" || next.is_some_and(|t| t > now);
            if blocked.contains(&group) || waiting {
                blocked.insert(group);
                continue;
            }
            if due.len() as i64 >= limit {
                continue;
            }
            due.push(TargetInboxItem {
                id: r.try_get("id")?,
                location_id,
                event,
                attempts: r.try_get("attempts")?,
                group,
            });
        }
        Ok(due)
    }

    pub(super) async fn fulfil_fail_event(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<i64>,
    ) -> Result<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "UPDATE target_inbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2,
                state = CASE WHEN $3 THEN 'pending' ELSE 'failed' END
             WHERE id = $4 AND state = 'pending'",
        )
        .bind(error)
        .bind(retry_at)
        .bind(retry_at.is_some())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn fulfil_open_events(
        &self,
        failed_only: bool,
        limit: i64,
    ) -> Result<Vec<TargetEventRow>> {
        let rows = sqlx::query(
            "SELECT id, location_id, dedup_id, state, attempts, last_error, next_attempt_at,
                    received_at, event
             FROM target_inbox
             WHERE state = 'failed' OR (NOT $1 AND state = 'pending')
             ORDER BY id LIMIT $2",
        )
        .bind(failed_only)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TargetEventRow {
                    id: r.try_get("id")?,
                    location_id: r.try_get("location_id")?,
                    dedup_id: r.try_get("dedup_id")?,
                    state: r.try_get("state")?,
                    attempts: r.try_get("attempts")?,
                    last_error: r.try_get("last_error")?,
                    next_attempt_at: r.try_get("next_attempt_at")?,
                    received_at: r.try_get("received_at")?,
                    event: json_col(r, "event")?,
                })
            })
            .collect()
    }

    pub(super) async fn fulfil_retry_events(&self, id: Option<i64>) -> Result<u64> {
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE target_inbox SET state = 'pending', attempts = 0, next_attempt_at = NULL
             WHERE state = 'failed' AND ($1 IS NULL OR id = $1)",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if let Some(id) = id
            && done.rows_affected() == 0
        {
            return Err(StoreError::NotFound(format!(
                "parked partner event {id} (only `failed` events can be retried)"
            )));
        }
        tx.commit().await?;
        Ok(done.rows_affected())
    }
}

/// The group an event applies in order with: the order its submission belongs to, else its
/// own reference (an order we cannot place yet), else the SKU whose level it reports.
async fn group_of(
    conn: &mut sqlx::PgConnection,
    location: &str,
    event: &TargetEvent,
) -> Result<String> {
    if event.order_reference.is_some() || event.partner_order_id.is_some() {
        let order: Option<i64> = sqlx::query_scalar(
            "SELECT order_id FROM fulfillment_submissions
             WHERE location_id = $1 AND (idempotency_key = $2 OR ($3 IS NOT NULL AND partner_order_id = $3))
             LIMIT 1",
        )
        .bind(location)
        .bind(event.order_reference.as_deref().unwrap_or(""))
        .bind(event.partner_order_id.as_deref())
        .fetch_optional(&mut *conn)
        .await?;
        return Ok(match order {
            Some(id) => format!("order:{id}"),
            None => format!(
                "ref:{location}:{}",
                event
                    .order_reference
                    .as_deref()
                    .or(event.partner_order_id.as_deref())
                    .unwrap_or_default()
            ),
        });
    }
    Ok(match &event.kind {
        EventKind::StockLevel { sku, .. } => format!("stock:{location}:{sku}"),
        _ => format!("event:{location}:{}", event.dedup_id),
    })
}
