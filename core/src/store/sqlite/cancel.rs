//! Seller cancellations on the channel (SQLite): load what [`cancellation::plan`] needs, apply
//! its plan and commit, in one transaction; move cancellations waiting for partners on; record
//! the channel's answer.

use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::stock_sql::{self, Tx, mark_sku_dirty, record_movements};
use super::{SqliteStore, corrupt, fulfil, to_json};
use crate::cancellation::{
    self, CancelAsk, CancelInput, CancelLine, CancelState, ChannelCancel, ChannelStep,
    OpenSubmission,
};
use crate::model::{Order, ShippedLine};
use crate::rules::Reservation;
use crate::rules::order_version::FulfilState;
use crate::store::{CancelResult, CancellationRow, Result, StoreError, UnfulfillableOrder};

const ROW_COLS: &str = "c.id, c.order_id, c.channel_id, o.external_id, o.number, c.reason,
    c.reason_code, c.whole, c.lines, c.state, c.waits_for, c.idempotency_key, c.requested_by,
    c.detail, c.created_at, c.updated_at";

fn cancellation_row(r: &SqliteRow) -> Result<CancellationRow> {
    let reason: String = r.try_get("reason")?;
    let state: String = r.try_get("state")?;
    let lines: String = r.try_get("lines")?;
    let waits: String = r.try_get("waits_for")?;
    Ok(CancellationRow {
        id: r.try_get("id")?,
        order_id: r.try_get("order_id")?,
        channel_id: r.try_get("channel_id")?,
        external_id: r.try_get("external_id")?,
        number: r.try_get("number")?,
        reason: reason
            .parse()
            .map_err(|e| corrupt("channel_cancellations.reason", e))?,
        reason_code: r.try_get("reason_code")?,
        whole: r.try_get::<i64, _>("whole")? != 0,
        lines: serde_json::from_str(&lines)
            .map_err(|e| corrupt("channel_cancellations.lines", e))?,
        state: state
            .parse()
            .map_err(|e: String| corrupt("channel_cancellations.state", e))?,
        waits_for: serde_json::from_str(&waits)
            .map_err(|e| corrupt("channel_cancellations.waits_for", e))?,
        idempotency_key: r.try_get("idempotency_key")?,
        requested_by: r.try_get("requested_by")?,
        detail: r.try_get("detail")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Units earlier cancellations (not failed) took off each line of an order.
pub(super) async fn cancelled_lines(
    conn: &mut sqlx::SqliteConnection,
    order_id: i64,
) -> Result<Vec<ShippedLine>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT lines FROM channel_cancellations WHERE order_id = ? AND state <> 'failed'",
    )
    .bind(order_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::new();
    for (lines,) in rows {
        let lines: Vec<CancelLine> =
            serde_json::from_str(&lines).map_err(|e| corrupt("channel_cancellations.lines", e))?;
        out.extend(lines.into_iter().map(|l| ShippedLine {
            line_id: l.line_id,
            quantity: l.quantity,
        }));
    }
    Ok(out)
}

async fn row_by_id(tx: &mut Tx, id: i64) -> Result<CancellationRow> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ROW_COLS} FROM channel_cancellations c JOIN orders o ON o.id = c.order_id
         WHERE c.id = ?"
    )))
    .bind(id)
    .fetch_one(&mut **tx)
    .await?;
    cancellation_row(&row)
}

/// Queues the channel call for a cancellation and marks it queued.
async fn queue_channel_call(
    tx: &mut Tx,
    id: i64,
    channel_id: &str,
    request: &ChannelCancel,
    now: i64,
) -> Result<String> {
    let key = cancellation::outbox_key(channel_id, &request.order_external_id, id);
    sqlx::query(
        "INSERT INTO outbox (kind, channel_id, idempotency_key, payload, cause, next_attempt_at, created_at)
         VALUES ('cancel_order', ?, ?, ?, ?, ?, ?)
         ON CONFLICT (idempotency_key) DO NOTHING",
    )
    .bind(channel_id)
    .bind(&key)
    .bind(to_json(request)?)
    .bind(format!("cancellation {id} ({})", request.reason))
    .bind(now)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "UPDATE channel_cancellations SET state = 'queued', idempotency_key = ?, updated_at = ?,
            detail = 'the channel call is queued' WHERE id = ?",
    )
    .bind(&key)
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(key)
}

impl SqliteStore {
    pub(super) async fn cancel_channel(
        &self,
        order_id: i64,
        ask: &CancelAsk,
        requested_by: &str,
    ) -> Result<CancelResult> {
        let now = crate::store::now_ms();
        let mut tx = self.write().await?;
        let row = sqlx::query(
            "SELECT channel_id, external_id, canonical, fulfil_state FROM orders WHERE id = ?",
        )
        .bind(order_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("order {order_id}")))?;
        let channel_id: String = row.try_get("channel_id")?;
        let external_id: String = row.try_get("external_id")?;
        let canonical: String = row.try_get("canonical")?;
        let order: Order =
            serde_json::from_str(&canonical).map_err(|e| corrupt("orders.canonical", e))?;
        let state: FulfilState = row
            .try_get::<String, _>("fulfil_state")?
            .parse()
            .map_err(|e| corrupt("orders.fulfil_state", e))?;
        let reserved: Vec<Reservation> = sqlx::query_as::<_, (String, Option<String>, i64)>(
            "SELECT sku, location_id, quantity FROM reservations WHERE order_id = ? ORDER BY sku",
        )
        .bind(order_id)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|(sku, location, quantity)| Reservation {
            sku,
            location,
            quantity,
        })
        .collect();
        let shipped = stock_sql::shipped_lines(&mut tx, order_id).await?;
        let cancelled = cancelled_lines(&mut tx, order_id).await?;
        let submissions: Vec<OpenSubmission> = sqlx::query_as::<_, (String, String, String)>(
            "SELECT idempotency_key, location_id, state FROM fulfillment_submissions
             WHERE order_id = ? ORDER BY idempotency_key",
        )
        .bind(order_id)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|(key, location, state)| OpenSubmission {
            key,
            location,
            state,
        })
        .collect();
        let kits = stock_sql::kits(&mut tx).await?;
        let plan = match cancellation::plan(CancelInput {
            kind: order.channel_kind,
            order: &order,
            state,
            reserved: &reserved,
            shipped: &shipped,
            cancelled: &cancelled,
            submissions: &submissions,
            kits: &kits,
            ask,
        }) {
            Ok(plan) => plan,
            Err(refusal) => return Ok(Err(refusal)),
        };
        sqlx::query("DELETE FROM reservations WHERE order_id = ?")
            .bind(order_id)
            .execute(&mut *tx)
            .await?;
        for r in &plan.reservations {
            sqlx::query(
                "INSERT INTO reservations (order_id, sku, location_id, quantity) VALUES (?, ?, ?, ?)",
            )
            .bind(order_id)
            .bind(&r.sku)
            .bind(&r.location)
            .bind(r.quantity)
            .execute(&mut *tx)
            .await?;
        }
        // `order <id>: …` is how the order's own ledger finds it (`order_ledger`).
        let cause = format!(
            "order {order_id}: cancelled on {channel_id} ({})",
            ask.reason
        );
        record_movements(&mut tx, &plan.movements, &cause, now).await?;
        for sku in &plan.dirty_skus {
            mark_sku_dirty(&mut tx, sku, &cause, now).await?;
        }
        sqlx::query("UPDATE orders SET fulfil_state = ?, updated_at = ? WHERE id = ?")
            .bind(plan.state.as_str())
            .bind(now)
            .bind(order_id)
            .execute(&mut *tx)
            .await?;
        if plan.whole {
            fulfil::on_order_closed(&mut tx, order_id, now).await?;
        } else {
            for key in &plan.cancel_submissions {
                let (location, partner_id): (String, Option<String>) = sqlx::query_as(
                    "SELECT location_id, partner_order_id FROM fulfillment_submissions
                     WHERE idempotency_key = ?",
                )
                .bind(key)
                .fetch_one(&mut *tx)
                .await?;
                fulfil::queue_partner_cancel(
                    &mut tx,
                    key,
                    &location,
                    partner_id.as_deref(),
                    "the seller cancels lines on the channel",
                    now,
                )
                .await?;
            }
        }
        let terms = cancellation::channel_terms(order.channel_kind);
        let detail = match plan.step {
            ChannelStep::Queue => "the channel call is queued".to_string(),
            ChannelStep::AwaitPartners => format!(
                "waiting for {} partner submission(s) to confirm their cancellation",
                plan.waits_for.len()
            ),
            ChannelStep::Person => format!(
                "{} has no cancellation API ({}): cancel order {} there with reason `{}`",
                order.channel_kind, terms.api, order.number, plan.reason_code
            ),
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO channel_cancellations (order_id, channel_id, reason, reason_code, whole,
                lines, state, waits_for, requested_by, detail, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(order_id)
        .bind(&channel_id)
        .bind(ask.reason.as_str())
        .bind(&plan.reason_code)
        .bind(i64::from(plan.whole))
        .bind(to_json(&plan.lines)?)
        .bind(plan.step.state().as_str())
        .bind(to_json(&plan.waits_for)?)
        .bind(requested_by)
        .bind(&detail)
        .bind(now)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        if plan.step == ChannelStep::Queue {
            let request = ChannelCancel {
                cancellation_id: id,
                order_external_id: external_id.clone(),
                order_number: order.number.clone(),
                whole: plan.whole,
                lines: plan.lines.clone(),
                reason: ask.reason,
                reason_code: plan.reason_code.clone(),
            };
            queue_channel_call(&mut tx, id, &channel_id, &request, now).await?;
        }
        let stored = row_by_id(&mut tx, id).await?;
        tx.commit().await?;
        Ok(Ok(stored))
    }

    pub(super) async fn cancellation_list(
        &self,
        state: Option<CancelState>,
        order_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<CancellationRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ROW_COLS} FROM channel_cancellations c JOIN orders o ON o.id = c.order_id
             WHERE (?1 IS NULL OR c.state = ?1) AND (?2 IS NULL OR c.order_id = ?2)
             ORDER BY c.id DESC LIMIT ?3"
        )))
        .bind(state.map(CancelState::as_str))
        .bind(order_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(cancellation_row).collect()
    }

    pub(super) async fn cancellations_advance(&self, now: i64) -> Result<u64> {
        let mut tx = self.write().await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ROW_COLS} FROM channel_cancellations c JOIN orders o ON o.id = c.order_id
             WHERE c.state = 'awaiting_partner' ORDER BY c.id LIMIT 100"
        )))
        .fetch_all(&mut *tx)
        .await?;
        let mut moved = 0;
        for r in &rows {
            let c = cancellation_row(r)?;
            let mut states = Vec::new();
            for key in &c.waits_for {
                let state: Option<String> = sqlx::query_scalar(
                    "SELECT state FROM fulfillment_submissions WHERE idempotency_key = ?",
                )
                .bind(key)
                .fetch_optional(&mut *tx)
                .await?;
                states.push(state.unwrap_or_else(|| "cancelled".into()));
            }
            match cancellation::partners_answered(&states) {
                None => {}
                Some(true) => {
                    let request = ChannelCancel {
                        cancellation_id: c.id,
                        order_external_id: c.external_id.clone(),
                        order_number: c.number.clone(),
                        whole: c.whole,
                        lines: c.lines.clone(),
                        reason: c.reason,
                        reason_code: c.reason_code.clone(),
                    };
                    queue_channel_call(&mut tx, c.id, &c.channel_id, &request, now).await?;
                    moved += 1;
                }
                Some(false) => {
                    sqlx::query(
                        "UPDATE channel_cancellations SET state = 'failed', updated_at = ?,
                            detail = 'a partner kept the order (shipped, or refused to cancel); the channel was not asked'
                         WHERE id = ?",
                    )
                    .bind(now)
                    .bind(c.id)
                    .execute(&mut *tx)
                    .await?;
                    moved += 1;
                }
            }
        }
        tx.commit().await?;
        Ok(moved)
    }

    pub(super) async fn channel_cancel_done(
        &self,
        outbox_id: i64,
        cancellation_id: i64,
        detail: &str,
    ) -> Result<()> {
        let now = crate::store::now_ms();
        let mut tx = self.write().await?;
        fulfil::close_outbox_item(&mut tx, outbox_id, now).await?;
        sqlx::query(
            "UPDATE channel_cancellations SET state = 'done', detail = ?, updated_at = ? WHERE id = ?",
        )
        .bind(detail)
        .bind(now)
        .bind(cancellation_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn channel_cancel_failed(
        &self,
        cancellation_id: i64,
        detail: &str,
    ) -> Result<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "UPDATE channel_cancellations SET state = 'failed', detail = ?, updated_at = ?
             WHERE id = ? AND state <> 'done'",
        )
        .bind(detail)
        .bind(crate::store::now_ms())
        .bind(cancellation_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn unfulfillable(
        &self,
        channel_id: &str,
        held_before_ms: i64,
        limit: i64,
    ) -> Result<Vec<UnfulfillableOrder>> {
        let rows: Vec<(i64, String, i64)> = sqlx::query_as(
            "SELECT o.id, o.canonical, d.decided_at FROM orders o
               JOIN routing_decisions d ON d.order_id = o.id
             WHERE o.channel_id = ? AND o.fulfil_state = 'held' AND d.decided_at < ?
               AND EXISTS (SELECT 1 FROM reservations r
                           WHERE r.order_id = o.id AND r.location_id IS NULL)
               AND NOT EXISTS (SELECT 1 FROM channel_cancellations c
                               WHERE c.order_id = o.id AND c.state <> 'failed')
             ORDER BY o.id LIMIT ?",
        )
        .bind(channel_id)
        .bind(held_before_ms)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for (order_id, canonical, held_since) in rows {
            let unrouted_skus: Vec<String> = sqlx::query_scalar(
                "SELECT sku FROM reservations WHERE order_id = ? AND location_id IS NULL ORDER BY sku",
            )
            .bind(order_id)
            .fetch_all(&self.pool)
            .await?;
            out.push(UnfulfillableOrder {
                order_id,
                order: serde_json::from_str(&canonical)
                    .map_err(|e| corrupt("orders.canonical", e))?,
                unrouted_skus,
                held_since,
            });
        }
        Ok(out)
    }
}
