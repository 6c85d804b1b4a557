//! [`OperatorStore`] in SQL (portable: plain joins, `LIKE`, no JSON functions).

use async_trait::async_trait;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::{SUMMARY_COLS, SqliteStore, corrupt, resolve_order, summary, to_json};
use crate::fulfillment::OrderRef;
use crate::store::{
    ActionRecord, ActionRow, CancelRequest, LedgerEntry, OperatorStore, OrderFilter, OrderListRow,
    Result, StoreError, TimelineEvent, now_ms,
};

fn ledger_row(r: &SqliteRow) -> Result<LedgerEntry> {
    Ok(LedgerEntry {
        id: r.try_get("id")?,
        at: r.try_get("at")?,
        sku: r.try_get("sku")?,
        quantity: r.try_get("quantity")?,
        from_account: r.try_get("from_account")?,
        to_account: r.try_get("to_account")?,
        cause: r.try_get("cause")?,
        reference: r.try_get("reference")?,
    })
}

/// `%` and `_` in a value compared with `LIKE … ESCAPE '\'`.
fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

#[async_trait]
impl OperatorStore for SqliteStore {
    async fn record_action(&self, a: &ActionRecord) -> Result<i64> {
        let mut tx = self.write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO operator_actions (at, actor, action, target, detail, outcome, message)
             VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(a.at)
        .bind(&a.actor)
        .bind(&a.action)
        .bind(&a.target)
        .bind(to_json(&a.detail)?)
        .bind(&a.outcome)
        .bind(&a.message)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn actions(&self, target: Option<&str>, limit: i64) -> Result<Vec<ActionRow>> {
        let rows = sqlx::query(
            "SELECT id, at, actor, action, target, detail, outcome, message FROM operator_actions
             WHERE (?1 IS NULL OR target = ?1) ORDER BY id DESC LIMIT ?2",
        )
        .bind(target)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let detail: String = r.try_get("detail")?;
                Ok(ActionRow {
                    id: r.try_get("id")?,
                    record: ActionRecord {
                        at: r.try_get("at")?,
                        actor: r.try_get("actor")?,
                        action: r.try_get("action")?,
                        target: r.try_get("target")?,
                        detail: serde_json::from_str(&detail)
                            .map_err(|e| corrupt("operator_actions.detail", e))?,
                        outcome: r.try_get("outcome")?,
                        message: r.try_get("message")?,
                    },
                })
            })
            .collect()
    }

    async fn order_list(&self, f: &OrderFilter) -> Result<Vec<OrderListRow>> {
        let sql = format!(
            "SELECT {SUMMARY_COLS}, created_at, updated_at FROM orders o
             WHERE (?1 IS NULL OR channel_id = ?1)
               AND (?2 IS NULL OR fulfil_state = ?2)
               AND (?3 IS NULL
                    OR EXISTS (SELECT 1 FROM reservations r WHERE r.order_id = o.id AND r.location_id = ?3)
                    OR EXISTS (SELECT 1 FROM fulfillment_submissions s WHERE s.order_id = o.id AND s.location_id = ?3)
                    OR EXISTS (SELECT 1 FROM shipments p WHERE p.order_id = o.id
                               AND (p.location_id = ?3 OR p.location_id LIKE ?4 ESCAPE '\\'
                                    OR p.location_id LIKE ?5 ESCAPE '\\')))
               AND (?6 IS NULL OR created_at >= ?6)
               AND (?7 IS NULL OR created_at < ?7)
               AND (?8 IS NULL OR id < ?8)
             ORDER BY id DESC LIMIT ?9"
        );
        let loc = f.location_id.as_deref().map(like_escape);
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(f.channel_id.as_deref())
            .bind(f.state.as_deref())
            .bind(f.location_id.as_deref())
            // A parcel from several own locations reads `a+b`.
            .bind(loc.as_ref().map(|l| format!("{l}+%")))
            .bind(loc.as_ref().map(|l| format!("%+{l}")))
            .bind(f.from_ms)
            .bind(f.to_ms)
            .bind(f.before_id)
            .bind(f.limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(OrderListRow {
                    summary: summary(r)?,
                    created_at: r.try_get("created_at")?,
                    updated_at: r.try_get("updated_at")?,
                })
            })
            .collect()
    }

    async fn resolve_order_ref(&self, order_ref: &str) -> Result<Option<i64>> {
        let mut conn = self.pool.acquire().await?;
        resolve_order(&mut conn, order_ref).await
    }

    async fn order_ledger(&self, order_id: i64) -> Result<Vec<LedgerEntry>> {
        let mut conn = self.pool.acquire().await?;
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT channel_id, external_id FROM orders WHERE id = ?")
                .bind(order_id)
                .fetch_optional(&mut *conn)
                .await?;
        let Some((channel, external)) = row else {
            return Ok(Vec::new());
        };
        // The references the store writes for an order's movements (see `record_movements`
        // callers): its versions, its route, a refusal, its shipments and returns. The SKU
        // comes first so the ledger's (sku, id) index narrows the scan.
        let key = like_escape(&format!("{channel}:{external}"));
        let rows = sqlx::query(
            "SELECT l.id, l.at, l.sku, l.quantity, l.from_account, l.to_account, l.cause, l.reference
             FROM stock_ledger l
             WHERE l.sku IN (SELECT sku FROM stock_ledger WHERE reference = ?1
                             UNION SELECT sku FROM reservations WHERE order_id = ?2)
               AND (l.reference = ?1 OR l.reference = ?3
                    OR l.reference LIKE ?4 ESCAPE '\\' OR l.reference LIKE ?5 ESCAPE '\\'
                    OR l.reference LIKE ?6 ESCAPE '\\')
             ORDER BY l.id",
        )
        .bind(format!("order {channel}:{external}"))
        .bind(order_id)
        .bind(format!("route of order {order_id}"))
        .bind(format!("order {order_id}: %"))
        .bind(format!("shipment of order {key} from %"))
        .bind("return % of order % line %")
        .fetch_all(&mut *conn)
        .await?;
        // Returns name the order as the operator typed it: keep those of this order only.
        let number: Option<String> = sqlx::query_scalar("SELECT number FROM orders WHERE id = ?")
            .bind(order_id)
            .fetch_optional(&mut *conn)
            .await?;
        let names = [
            order_id.to_string(),
            format!("{channel}:{external}"),
            external.clone(),
            number.unwrap_or_default(),
        ];
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let entry = ledger_row(r)?;
            if entry.reference.starts_with("return ")
                && !names.iter().any(|n| {
                    !n.is_empty() && entry.reference.contains(&format!(" of order {n} line "))
                })
            {
                continue;
            }
            out.push(entry);
        }
        Ok(out)
    }

    async fn order_timeline(&self, order_id: i64) -> Result<Vec<TimelineEvent>> {
        let mut conn = self.pool.acquire().await?;
        let row: Option<(String, String, i64, String)> = sqlx::query_as(
            "SELECT channel_id, external_id, created_at, fulfil_state FROM orders WHERE id = ?",
        )
        .bind(order_id)
        .fetch_optional(&mut *conn)
        .await?;
        let Some((channel, external, created_at, state)) = row else {
            return Ok(Vec::new());
        };
        let mut events = Vec::new();
        let mut push = |at: i64, kind: &str, detail: String| {
            events.push(TimelineEvent {
                at,
                kind: kind.to_string(),
                detail,
            })
        };
        let deliveries: Vec<(i64, String, String, String, Option<String>)> = sqlx::query_as(
            "SELECT received_at, source, topic, state, error FROM inbox
             WHERE channel_id = ? AND external_id = ? ORDER BY id",
        )
        .bind(&channel)
        .bind(&external)
        .fetch_all(&mut *conn)
        .await?;
        for (at, source, topic, st, error) in deliveries {
            let why = error.map(|e| format!(": {e}")).unwrap_or_default();
            push(at, "received", format!("{topic} by {source}, {st}{why}"));
        }
        push(
            created_at,
            "created",
            format!("order {channel}:{external} stored (now {state})"),
        );
        let decision: Option<(i64, Option<String>, String)> = sqlx::query_as(
            "SELECT decided_at, location_id, rule FROM routing_decisions WHERE order_id = ?",
        )
        .bind(order_id)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some((at, loc, rule)) = decision {
            push(
                at,
                "decided",
                format!(
                    "routed by {rule} to {}",
                    loc.as_deref().unwrap_or("(held or several locations)")
                ),
            );
        }
        let submissions: Vec<(String, String, String, Option<String>, i64)> = sqlx::query_as(
            "SELECT idempotency_key, location_id, state, detail, updated_at
             FROM fulfillment_submissions WHERE order_id = ? ORDER BY updated_at",
        )
        .bind(order_id)
        .fetch_all(&mut *conn)
        .await?;
        for (key, loc, st, detail, at) in &submissions {
            let more = detail
                .as_deref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default();
            push(*at, "submission", format!("{loc}: {st}{more} [{key}]"));
            let events_at: Vec<(i64, String, String, Option<String>)> = sqlx::query_as(
                "SELECT received_at, dedup_id, state, note FROM target_inbox
                 WHERE location_id = ? AND event LIKE ? ESCAPE '\\' ORDER BY id",
            )
            .bind(loc)
            .bind(format!("%\"{}\"%", like_escape(key)))
            .fetch_all(&mut *conn)
            .await?;
            for (at, dedup, st, note) in events_at {
                let note = note.map(|n| format!(": {n}")).unwrap_or_default();
                push(at, "partner_event", format!("{loc} {dedup} {st}{note}"));
            }
        }
        let shipments: Vec<(i64, String, String, String)> = sqlx::query_as(
            "SELECT shipped_at, location_id, carrier, tracking_number FROM shipments
             WHERE order_id = ? ORDER BY id",
        )
        .bind(order_id)
        .fetch_all(&mut *conn)
        .await?;
        for (at, loc, carrier, tracking) in shipments {
            push(at, "shipped", format!("{carrier} {tracking} from {loc}"));
        }
        // Side effects keyed by the order (write-backs, submissions, cancellations).
        let pattern = format!("%:{}", like_escape(&format!("{channel}:{external}")));
        let contains = format!("%:{}:%", like_escape(&format!("{channel}:{external}")));
        let outbox: Vec<(i64, String, String, i64, Option<i64>, Option<String>)> = sqlx::query_as(
            "SELECT created_at, kind, idempotency_key, attempts, done_at, last_error FROM outbox
             WHERE idempotency_key LIKE ?1 ESCAPE '\\' OR idempotency_key LIKE ?2 ESCAPE '\\'
             ORDER BY id",
        )
        .bind(&pattern)
        .bind(&contains)
        .fetch_all(&mut *conn)
        .await?;
        for (at, kind, key, attempts, done, error) in outbox {
            let state = match (done, error) {
                (Some(_), _) => "done".to_string(),
                (None, Some(e)) => format!("{attempts} attempt(s), last error: {e}"),
                (None, None) => "pending".to_string(),
            };
            push(at, "side_effect", format!("{kind} [{key}]: {state}"));
        }
        let dead: Vec<(i64, i64, String, String, String)> = sqlx::query_as(
            "SELECT failed_at, id, kind, idempotency_key, last_error FROM dead_letters
             WHERE idempotency_key LIKE ?1 ESCAPE '\\' OR idempotency_key LIKE ?2 ESCAPE '\\'
             ORDER BY id",
        )
        .bind(&pattern)
        .bind(&contains)
        .fetch_all(&mut *conn)
        .await?;
        for (at, id, kind, key, error) in dead {
            push(at, "dead_letter", format!("{id} {kind} [{key}]: {error}"));
        }
        let returns: Vec<(i64, String, i64, i64)> = sqlx::query_as(
            "SELECT returned_at, line_id, quantity, restocked FROM returns WHERE order_id = ? ORDER BY id",
        )
        .bind(order_id)
        .fetch_all(&mut *conn)
        .await?;
        for (at, line, qty, restocked) in returns {
            let how = if restocked != 0 {
                "restocked"
            } else {
                "not restocked"
            };
            push(at, "returned", format!("line {line} ×{qty}, {how}"));
        }
        let actions: Vec<(i64, String, String, String, String)> = sqlx::query_as(
            "SELECT at, actor, action, outcome, message FROM operator_actions
             WHERE target = ? ORDER BY id",
        )
        .bind(format!("order:{order_id}"))
        .fetch_all(&mut *conn)
        .await?;
        for (at, actor, action, outcome, message) in actions {
            push(
                at,
                "operator",
                format!("{action} by {actor}: {outcome}: {message}"),
            );
        }
        events.sort_by_key(|e| e.at);
        Ok(events)
    }

    async fn reprocess_quarantined(&self, inbox_id: i64) -> Result<()> {
        let mut tx = self.write().await?;
        let state: Option<String> = sqlx::query_scalar("SELECT state FROM inbox WHERE id = ?")
            .bind(inbox_id)
            .fetch_optional(&mut *tx)
            .await?;
        match state.as_deref() {
            None => return Err(StoreError::NotFound(format!("delivery {inbox_id}"))),
            Some("quarantined") => {}
            Some(other) => {
                return Err(StoreError::Conflict(format!(
                    "delivery {inbox_id} is {other}, not quarantined"
                )));
            }
        }
        sqlx::query(
            "UPDATE inbox SET state = 'pending', processed_at = NULL, error = NULL
             WHERE id = ? AND state = 'quarantined'",
        )
        .bind(inbox_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn cancel_at_partner(&self, order_id: i64, location_id: &str) -> Result<CancelRequest> {
        let now = now_ms();
        let mut tx = self.write().await?;
        let found: Option<(String, Option<String>, String)> = sqlx::query_as(
            "SELECT idempotency_key, partner_order_id, state FROM fulfillment_submissions
             WHERE order_id = ? AND location_id = ?",
        )
        .bind(order_id)
        .bind(location_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((key, partner_id, state)) = found else {
            return Err(StoreError::NotFound(format!(
                "a submission of order {order_id} to {location_id}"
            )));
        };
        if !matches!(state.as_str(), "submitted" | "accepted") {
            return Err(StoreError::Conflict(format!(
                "order {order_id} at {location_id} is {state}; only a submitted or accepted order \
                 can be cancelled there"
            )));
        }
        let held: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM reservations r JOIN orders o ON o.id = r.order_id
             WHERE r.order_id = ? AND r.location_id = ?
               AND o.fulfil_state IN ('routed', 'held', 'rerouting') LIMIT 1",
        )
        .bind(order_id)
        .bind(location_id)
        .fetch_optional(&mut *tx)
        .await?;
        if held.is_none() {
            return Err(StoreError::Conflict(format!(
                "nothing of order {order_id} is reserved at {location_id} any more"
            )));
        }
        let order = OrderRef {
            reference: key.clone(),
            partner_order_id: partner_id,
        };
        sqlx::query(
            "INSERT INTO outbox (kind, channel_id, idempotency_key, payload, cause, next_attempt_at, created_at)
             VALUES ('cancel_fulfillment', ?, ?, ?, 'an operator asked', ?, ?)
             ON CONFLICT (idempotency_key) DO NOTHING",
        )
        .bind(location_id)
        .bind(format!("cancel:{key}"))
        .bind(to_json(&order)?)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE fulfillment_submissions SET state = 'cancel_requested',
                detail = 'an operator asked the partner to cancel', updated_at = ?
             WHERE idempotency_key = ?",
        )
        .bind(now)
        .bind(&key)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(CancelRequest {
            order_id,
            location_id: location_id.to_string(),
            submission_key: key,
        })
    }

    async fn cancel_on_channel(
        &self,
        order_id: i64,
        ask: &crate::cancellation::CancelAsk,
        requested_by: &str,
    ) -> Result<crate::store::CancelResult> {
        self.cancel_channel(order_id, ask, requested_by).await
    }

    async fn cancellations(
        &self,
        state: Option<crate::cancellation::CancelState>,
        order_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<crate::store::CancellationRow>> {
        self.cancellation_list(state, order_id, limit).await
    }

    async fn advance_cancellations(&self, now_ms: i64) -> Result<u64> {
        self.cancellations_advance(now_ms).await
    }

    async fn complete_channel_cancel(
        &self,
        outbox_id: i64,
        cancellation_id: i64,
        detail: &str,
    ) -> Result<()> {
        self.channel_cancel_done(outbox_id, cancellation_id, detail)
            .await
    }

    async fn fail_channel_cancel(&self, cancellation_id: i64, detail: &str) -> Result<()> {
        self.channel_cancel_failed(cancellation_id, detail).await
    }

    async fn unfulfillable_orders(
        &self,
        channel_id: &str,
        held_before_ms: i64,
        limit: i64,
    ) -> Result<Vec<crate::store::UnfulfillableOrder>> {
        self.unfulfillable(channel_id, held_before_ms, limit).await
    }
}
