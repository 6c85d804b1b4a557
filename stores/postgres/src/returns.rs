//! [`ReturnsStore`] on PostgreSQL, as `sqlite/returns.rs`: loads what `rules::rma` needs, applies the changes it returns
//! (returns rows, on-hand, ledger, stock_dirty, the refund outbox item), commits.

use std::collections::BTreeMap;

use async_trait::async_trait;
use sqlx::Row;
use sqlx::postgres::PgRow;

use super::{PgStore, resolve_order};
use crate::stock_sql::{self, Tx, mark_sku_dirty, record_movements};
use switchyard_core::model::{Order, Shipment};
use switchyard_core::ports::{ChannelReturn, RefundOutcome};
use switchyard_core::rules::order_version::FulfilState;
use switchyard_core::rules::returns::ParcelRecord;
use switchyard_core::rules::rma::{
    self, Disposition, ReceiveInput, RefundInput, RmaError, RmaLine, RmaState,
};
use switchyard_core::store::{
    ExpectedReturns, ReceiveReceipt, Result, ReturnsStore, RmaFilter, RmaRow, StoreError, corrupt,
    json_col, to_json,
};

const RMA_SELECT: &str =
    "SELECT r.id, r.order_id, r.channel_id, o.external_id AS order_external_id,
        r.external_id, r.state, r.disposition, r.lines, r.reason, r.currency, r.refund_amount,
        r.refund_id, r.note, r.created_at, r.received_at, r.refund_asked_at, r.refunded_at,
        r.updated_at
     FROM rmas r JOIN orders o ON o.id = r.order_id";

fn rma_row(r: &PgRow) -> Result<RmaRow> {
    let state: String = r.try_get("state")?;
    let disposition: Option<String> = r.try_get("disposition")?;
    Ok(RmaRow {
        id: r.try_get("id")?,
        order_id: r.try_get("order_id")?,
        channel_id: r.try_get("channel_id")?,
        order_external_id: r.try_get("order_external_id")?,
        external_id: r.try_get("external_id")?,
        state: state.parse().map_err(|e| corrupt("rmas.state", e))?,
        disposition: match disposition {
            None => None,
            Some(d) => {
                Some(Disposition::parse(&d).ok_or_else(|| corrupt("rmas.disposition", d.clone()))?)
            }
        },
        lines: json_col(r, "lines")?,
        reason: r.try_get("reason")?,
        currency: r.try_get("currency")?,
        refund_amount: r.try_get("refund_amount")?,
        refund_id: r.try_get("refund_id")?,
        note: r.try_get("note")?,
        created_at: r.try_get("created_at")?,
        received_at: r.try_get("received_at")?,
        refund_asked_at: r.try_get("refund_asked_at")?,
        refunded_at: r.try_get("refunded_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

async fn load_rma(tx: &mut Tx, rma_id: i64) -> Result<RmaRow> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{RMA_SELECT} WHERE r.id = $1")))
        .bind(rma_id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("return {rma_id}")))?;
    rma_row(&row)
}

fn refused(what: &str, e: RmaError) -> StoreError {
    match e {
        RmaError::UnknownLine(_) => StoreError::NotFound(format!("{what}: {e}")),
        e => StoreError::Conflict(format!("{what}: {e}")),
    }
}

/// The order as the rules read it: canonical copy, state, channel.
async fn load_order(tx: &mut Tx, order_id: i64) -> Result<(Order, FulfilState, String)> {
    let row = sqlx::query("SELECT canonical, fulfil_state, channel_id FROM orders WHERE id = $1")
        .bind(order_id)
        .fetch_one(&mut **tx)
        .await?;
    let state: String = row.try_get("fulfil_state")?;
    let state: FulfilState = state
        .parse()
        .map_err(|e| corrupt("orders.fulfil_state", e))?;
    Ok((
        json_col(&row, "canonical")?,
        state,
        row.try_get("channel_id")?,
    ))
}

/// Receives `lines` for RMA `rma_id` (already inserted): rules, then returns rows, on-hand,
/// ledger and dirty marks, and the RMA's new state.
async fn apply_receive(
    tx: &mut Tx,
    rma_id: i64,
    order_id: i64,
    rma_state: Option<RmaState>,
    lines: &[RmaLine],
    disposition: Disposition,
    now: i64,
) -> Result<(Vec<(String, i64)>, Option<String>)> {
    let (order, order_state, channel_id) = load_order(tx, order_id).await?;
    let already: BTreeMap<String, i64> = sqlx::query_as::<_, (String, i64)>(
        "SELECT line_id, COALESCE(SUM(quantity), 0)::BIGINT FROM returns WHERE order_id = $1 GROUP BY line_id",
    )
    .bind(order_id)
    .fetch_all(&mut **tx)
    .await?
    .into_iter()
    .collect();
    let parcels: Vec<ParcelRecord> = sqlx::query_as::<_, (String, String)>(
        "SELECT location_id, detail FROM shipments WHERE order_id = $1 ORDER BY id",
    )
    .bind(order_id)
    .fetch_all(&mut **tx)
    .await?
    .into_iter()
    .map(|(location, detail)| ParcelRecord {
        location,
        lines: serde_json::from_str::<Shipment>(&detail)
            .map(|s| s.lines)
            .unwrap_or_default(),
    })
    .collect();
    let kits = stock_sql::kits(tx).await?;
    let what = format!("order {channel_id}:{}", order.external_id);
    let change = rma::receive(ReceiveInput {
        order: &order,
        order_state,
        rma_state,
        lines,
        disposition,
        already_returned: &already,
        parcels: &parcels,
        kits: &kits,
    })
    .map_err(|e| refused(&what, e))?;
    let mut restocked: Vec<(String, i64)> = Vec::new();
    let mut location = None;
    for (line, ret) in &change.returns {
        let return_id: i64 = sqlx::query_scalar(
            "INSERT INTO returns (order_id, line_id, sku, quantity, restocked, location_id, returned_at, rma_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(order_id)
        .bind(&line.line_id)
        .bind(&ret.sku)
        .bind(line.quantity)
        .bind(disposition == Disposition::Restock)
        .bind(&ret.location)
        .bind(now)
        .bind(rma_id)
        .fetch_one(&mut **tx)
        .await?;
        if let Some(loc) = &ret.location {
            let reference = format!(
                "return {return_id} (RMA {rma_id}) of order {what} line {}",
                line.line_id
            );
            for (part, q) in &ret.restocked {
                sqlx::query(
                    "INSERT INTO on_hand (sku, location_id, quantity, updated_at) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (sku, location_id) DO UPDATE SET
                        quantity = on_hand.quantity + excluded.quantity, updated_at = excluded.updated_at",
                )
                .bind(part)
                .bind(loc)
                .bind(q)
                .bind(now)
                .execute(&mut **tx)
                .await?;
                mark_sku_dirty(tx, part, &reference, now).await?;
                match restocked.iter_mut().find(|(s, _)| s == part) {
                    Some((_, n)) => *n += q,
                    None => restocked.push((part.clone(), *q)),
                }
            }
            record_movements(tx, &ret.movements, &reference, now).await?;
            location.get_or_insert_with(|| loc.clone());
        }
    }
    sqlx::query(
        "UPDATE rmas SET state = $1, disposition = $2, received_at = $3, updated_at = $4 WHERE id = $5",
    )
    .bind(change.state.as_str())
    .bind(disposition.as_str())
    .bind(now)
    .bind(now)
    .bind(rma_id)
    .execute(&mut **tx)
    .await?;
    Ok((restocked, location))
}

/// Queues the refund of RMA `rma_id`: rules, the outbox item, the RMA's new state.
async fn apply_refund(tx: &mut Tx, rma_id: i64, now: i64) -> Result<String> {
    let rma_row = load_rma(tx, rma_id).await?;
    let (order, _, channel_id) = load_order(tx, rma_row.order_id).await?;
    let asked: Vec<String> = sqlx::query_scalar(
        "SELECT refund_amount FROM rmas
         WHERE order_id = $1 AND id <> $2 AND refund_amount IS NOT NULL
           AND state IN ('refunding', 'refunded', 'refund_by_person')",
    )
    .bind(rma_row.order_id)
    .bind(rma_id)
    .fetch_all(&mut **tx)
    .await?;
    let already = rma::asked_total(&asked).map_err(|e| corrupt("rmas.refund_amount", e))?;
    let refunded_rmas = sqlx::query_scalar::<_, String>(
        "SELECT lines FROM rmas WHERE order_id = $1 AND id <> $2 AND state = 'refunded'",
    )
    .bind(rma_row.order_id)
    .bind(rma_id)
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|l| serde_json::from_str::<Vec<RmaLine>>(l).map_err(|e| corrupt("rmas.lines", e)))
    .collect::<Result<Vec<_>>>()?;
    let change = rma::refund(RefundInput {
        order: &order,
        channel_id: &channel_id,
        rma_id,
        rma_state: rma_row.state,
        lines: &rma_row.lines,
        return_external_id: rma_row.external_id.as_deref(),
        already_refunded: already,
        refunded_rmas: &refunded_rmas,
    })
    .map_err(|e| refused(&format!("return {rma_id}"), e))?;
    sqlx::query(
        "INSERT INTO outbox (kind, channel_id, idempotency_key, payload, cause, next_attempt_at, created_at)
         VALUES ('refund', $1, $2, $3, $4, $5, $6) ON CONFLICT (idempotency_key) DO NOTHING",
    )
    .bind(&channel_id)
    .bind(&change.key)
    .bind(to_json(&change.refund)?)
    .bind(format!(
        "refund of return {rma_id} of order {channel_id}:{}",
        order.external_id
    ))
    .bind(now)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "UPDATE rmas SET state = $1, refund_amount = $2, refund_asked_at = $3, updated_at = $4 WHERE id = $5",
    )
    .bind(change.state.as_str())
    .bind(switchyard_core::ports::two_places(change.refund.amount))
    .bind(now)
    .bind(now)
    .bind(rma_id)
    .execute(&mut **tx)
    .await?;
    Ok(change.key)
}

async fn set_state(tx: &mut Tx, rma_id: i64, state: RmaState, now: i64) -> Result<()> {
    sqlx::query("UPDATE rmas SET state = $1, updated_at = $2 WHERE id = $3")
        .bind(state.as_str())
        .bind(now)
        .bind(rma_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[async_trait]
impl ReturnsStore for PgStore {
    async fn record_expected_returns(
        &self,
        channel_id: &str,
        returns: &[ChannelReturn],
        next_cursor: Option<&str>,
        now_ms: i64,
    ) -> Result<ExpectedReturns> {
        let mut tx = self.write().await?;
        let mut out = ExpectedReturns::default();
        for ret in returns {
            let known: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM rmas WHERE channel_id = $1 AND external_id = $2",
            )
            .bind(channel_id)
            .bind(&ret.external_id)
            .fetch_optional(&mut *tx)
            .await?;
            if known.is_some() {
                out.known += 1;
                continue;
            }
            let order_id: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM orders WHERE channel_id = $1 AND external_id = $2",
            )
            .bind(channel_id)
            .bind(&ret.order_external_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(order_id) = order_id else {
                out.skipped.push((
                    ret.external_id.clone(),
                    format!("order {} is not known here", ret.order_external_id),
                ));
                continue;
            };
            let (order, _, _) = load_order(&mut tx, order_id).await?;
            let lines: Vec<RmaLine> = ret
                .lines
                .iter()
                .map(|(line_id, q)| RmaLine {
                    line_id: line_id.clone(),
                    quantity: i64::from(*q),
                })
                .collect();
            if let Err(e) = rma::expect(&order, &lines) {
                out.skipped.push((ret.external_id.clone(), e.to_string()));
                continue;
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO rmas (order_id, channel_id, external_id, state, lines, reason, currency, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(order_id)
            .bind(channel_id)
            .bind(&ret.external_id)
            .bind(RmaState::Expected.as_str())
            .bind(to_json(&lines)?)
            .bind(&ret.reason)
            .bind(&order.currency)
            .bind(now_ms)
            .bind(now_ms)
            .fetch_one(&mut *tx)
            .await?;
            out.created.push(id);
        }
        if let Some(cursor) = next_cursor {
            sqlx::query(
                "INSERT INTO return_cursors (channel_id, cursor, updated_at) VALUES ($1, $2, $3)
                 ON CONFLICT (channel_id) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at",
            )
            .bind(channel_id)
            .bind(cursor)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(out)
    }

    async fn returns_cursor(&self, channel_id: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT cursor FROM return_cursors WHERE channel_id = $1")
                .bind(channel_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn receive_rma(
        &self,
        rma_id: i64,
        disposition: Disposition,
        refund: bool,
        now_ms: i64,
    ) -> Result<ReceiveReceipt> {
        let mut tx = self.write().await?;
        let row = load_rma(&mut tx, rma_id).await?;
        let (restocked, location_id) = apply_receive(
            &mut tx,
            rma_id,
            row.order_id,
            Some(row.state),
            &row.lines,
            disposition,
            now_ms,
        )
        .await?;
        let refund_key = if refund {
            Some(apply_refund(&mut tx, rma_id, now_ms).await?)
        } else {
            None
        };
        let rma = load_rma(&mut tx, rma_id).await?;
        tx.commit().await?;
        Ok(ReceiveReceipt {
            rma,
            restocked,
            location_id,
            refund_key,
        })
    }

    async fn receive_unannounced(
        &self,
        order_ref: &str,
        lines: &[RmaLine],
        disposition: Disposition,
        refund: bool,
        now_ms: i64,
    ) -> Result<ReceiveReceipt> {
        let mut tx = self.write().await?;
        let order_id = resolve_order(&mut tx, order_ref)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("order `{order_ref}`")))?;
        let (order, _, channel_id) = load_order(&mut tx, order_id).await?;
        let rma_id: i64 = sqlx::query_scalar(
            "INSERT INTO rmas (order_id, channel_id, state, lines, currency, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(order_id)
        .bind(&channel_id)
        .bind(RmaState::Received.as_str())
        .bind(to_json(&lines)?)
        .bind(&order.currency)
        .bind(now_ms)
        .bind(now_ms)
        .fetch_one(&mut *tx)
        .await?;
        let (restocked, location_id) =
            apply_receive(&mut tx, rma_id, order_id, None, lines, disposition, now_ms).await?;
        let refund_key = if refund {
            Some(apply_refund(&mut tx, rma_id, now_ms).await?)
        } else {
            None
        };
        let rma = load_rma(&mut tx, rma_id).await?;
        tx.commit().await?;
        Ok(ReceiveReceipt {
            rma,
            restocked,
            location_id,
            refund_key,
        })
    }

    async fn refund_rma(&self, rma_id: i64, now_ms: i64) -> Result<RmaRow> {
        let mut tx = self.write().await?;
        apply_refund(&mut tx, rma_id, now_ms).await?;
        let rma = load_rma(&mut tx, rma_id).await?;
        tx.commit().await?;
        Ok(rma)
    }

    async fn record_refund(
        &self,
        outbox_id: i64,
        rma_id: i64,
        outcome: &RefundOutcome,
        now_ms: i64,
    ) -> Result<()> {
        let mut tx = self.write().await?;
        sqlx::query("UPDATE outbox SET done_at = $1, attempts = attempts + 1 WHERE id = $2")
            .bind(now_ms)
            .bind(outbox_id)
            .execute(&mut *tx)
            .await?;
        let row = load_rma(&mut tx, rma_id).await?;
        if let Some(next) = rma::refund_answered(row.state, outcome) {
            let (refund_id, note) = match outcome {
                RefundOutcome::Refunded { refund_id } => (Some(refund_id.as_str()), None),
                RefundOutcome::ByPerson { why } => (None, Some(why.as_str())),
            };
            sqlx::query(
                "UPDATE rmas SET state = $1, refund_id = $2, note = $3, refunded_at = $4, updated_at = $5
                 WHERE id = $6",
            )
            .bind(next.as_str())
            .bind(refund_id)
            .bind(note)
            .bind((next == RmaState::Refunded).then_some(now_ms))
            .bind(now_ms)
            .bind(rma_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn confirm_refund(&self, rma_id: i64, by: &str, now_ms: i64) -> Result<RmaRow> {
        let mut tx = self.write().await?;
        let row = load_rma(&mut tx, rma_id).await?;
        let next = rma::refunded_by_person(row.state)
            .map_err(|e| refused(&format!("return {rma_id}"), e))?;
        sqlx::query("UPDATE rmas SET note = $1, refunded_at = $2 WHERE id = $3")
            .bind(format!("refunded in the channel's admin by {by}"))
            .bind(now_ms)
            .bind(rma_id)
            .execute(&mut *tx)
            .await?;
        set_state(&mut tx, rma_id, next, now_ms).await?;
        let rma = load_rma(&mut tx, rma_id).await?;
        tx.commit().await?;
        Ok(rma)
    }

    async fn cancel_rma(&self, rma_id: i64, now_ms: i64) -> Result<RmaRow> {
        let mut tx = self.write().await?;
        let row = load_rma(&mut tx, rma_id).await?;
        let next = rma::cancel(row.state).map_err(|e| refused(&format!("return {rma_id}"), e))?;
        set_state(&mut tx, rma_id, next, now_ms).await?;
        let rma = load_rma(&mut tx, rma_id).await?;
        tx.commit().await?;
        Ok(rma)
    }

    async fn rma(&self, rma_id: i64) -> Result<Option<RmaRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{RMA_SELECT} WHERE r.id = $1")))
            .bind(rma_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(rma_row).transpose()
    }

    async fn rmas(&self, filter: &RmaFilter) -> Result<Vec<RmaRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{RMA_SELECT}
             WHERE ($1::TEXT IS NULL OR r.state = $1) AND ($2::TEXT IS NULL OR r.channel_id = $2)
               AND ($3::BIGINT IS NULL OR r.order_id = $3) AND ($4::BIGINT IS NULL OR r.id < $4)
             ORDER BY r.id DESC LIMIT $5"
        )))
        .bind(filter.state.map(RmaState::as_str))
        .bind(&filter.channel_id)
        .bind(filter.order_id)
        .bind(filter.before_id)
        .bind(filter.limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(rma_row).collect()
    }
}
