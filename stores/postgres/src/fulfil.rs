//! The PostgreSQL side of fulfilment partners: queueing routed orders for their partner, recording
//! what the partner accepted, storing partner events once, and applying them (shipments consume
//! stock and queue the channel write-back; rejections and cancellations send the refused lines
//! back to the router (`reroute.rs`); stock levels feed
//! on-hand), each in one transaction with its ledger movements.

use sqlx::{Postgres, Row, Transaction};

use super::reroute::{Refusal, refuse};
use super::ship::{apply_parcel, load_and_decide, recorded};
use super::stock_sql::{mark_sku_dirty, record_movements};
use super::{PgStore, json_col, to_json};
use switchyard_core::fulfillment::{EventKind, TargetEvent};
use switchyard_core::model::Order;
use switchyard_core::ports::PollCursor;
use switchyard_core::rules::parcel::Source;
use switchyard_core::stock::{Account, Movement};
use switchyard_core::store::{
    InboxInsert, Result, StoreError, SubmissionWork, TargetInboxItem, now_ms, submission_key,
};

impl PgStore {
    pub(super) async fn fulfil_queue(&self, locations: &[String]) -> Result<u64> {
        if locations.is_empty() {
            return Ok(0);
        }
        let mut tx = self.write().await?;
        let n = queue_submissions(&mut tx, locations, None, now_ms()).await?;
        tx.commit().await?;
        Ok(n)
    }

    pub(super) async fn fulfil_work(
        &self,
        order_id: i64,
        location_id: &str,
    ) -> Result<Option<SubmissionWork>> {
        let mut conn = self.pool.acquire().await?;
        let Some(row) = sqlx::query(
            "SELECT channel_id, external_id, fulfil_state, canonical FROM orders WHERE id = $1",
        )
        .bind(order_id)
        .fetch_optional(&mut *conn)
        .await?
        else {
            return Ok(None);
        };
        let order: Order = json_col(&row, "canonical")?;
        let units: Vec<(String, i64)> = sqlx::query_as(
            "SELECT sku, quantity FROM reservations WHERE order_id = $1 AND location_id = $2 ORDER BY sku",
        )
        .bind(order_id)
        .bind(location_id)
        .fetch_all(&mut *conn)
        .await?;
        Ok(Some(SubmissionWork {
            order_id,
            channel_id: row.try_get("channel_id")?,
            external_id: row.try_get("external_id")?,
            fulfil_state: row.try_get("fulfil_state")?,
            location_id: location_id.to_string(),
            order,
            units,
        }))
    }

    pub(super) async fn fulfil_record_submission(
        &self,
        outbox_id: i64,
        key: &str,
        partner_order_id: &str,
    ) -> Result<()> {
        let now = now_ms();
        let mut tx = self.write().await?;
        close_outbox_item(&mut tx, outbox_id, now).await?;
        let before: Option<(String, Option<String>, String, i64)> = sqlx::query_as(
            "SELECT state, partner_order_id, location_id, order_id FROM fulfillment_submissions
             WHERE idempotency_key = $1",
        )
        .bind(key)
        .fetch_optional(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE fulfillment_submissions SET partner_order_id = $1, updated_at = $2,
                state = CASE WHEN state = 'queued' THEN 'submitted' ELSE state END
             WHERE idempotency_key = $3",
        )
        .bind(partner_order_id)
        .bind(now)
        .bind(key)
        .execute(&mut *tx)
        .await?;
        // The channel cancelled while the submit call was in flight: the submission was
        // dropped as "not sent", yet the partner now has the order. Tell it, in this
        // transaction, so the cancel cannot be lost between the two.
        // The partner has it now: `order.submitted`, once (a repeated answer finds it
        // submitted already).
        if let Some((state, _, location, order_id)) = &before
            && state == "queued"
        {
            crate::events_sql::order_event(&mut tx, *order_id, now, |h, l, kits| {
                switchyard_core::events::submitted(
                    h,
                    location,
                    partner_order_id,
                    key,
                    &l.reserved,
                    kits,
                )
            })
            .await?;
        }
        if let Some((state, None, location, _)) = before
            && state == "cancelled"
        {
            queue_partner_cancel(
                &mut tx,
                key,
                &location,
                Some(partner_order_id),
                "order cancelled on its channel while it was being handed over",
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn fulfil_insert_events(
        &self,
        location_id: &str,
        events: &[TargetEvent],
        cursor: Option<&PollCursor>,
    ) -> Result<InboxInsert> {
        let now = now_ms();
        let mut tx = self.write().await?;
        let mut done = InboxInsert::default();
        for e in events {
            let r = sqlx::query(
                "INSERT INTO target_inbox (location_id, dedup_id, event, received_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (location_id, dedup_id) DO NOTHING",
            )
            .bind(location_id)
            .bind(&e.dedup_id)
            .bind(to_json(e)?)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if r.rows_affected() == 1 {
                done.inserted += 1;
            } else {
                done.duplicates += 1;
            }
        }
        if let Some(c) = cursor {
            sqlx::query(
                "INSERT INTO poll_cursors (channel_id, cursor, updated_at) VALUES ($1, $2, $3)
                 ON CONFLICT (channel_id) DO UPDATE SET cursor = $2, updated_at = $3",
            )
            .bind(format!("target:{location_id}"))
            .bind(to_json(c)?)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(done)
    }

    pub(super) async fn fulfil_apply_event(&self, item: &TargetInboxItem) -> Result<String> {
        let now = now_ms();
        let mut tx = self.write().await?;
        let note = apply(&mut tx, item, now).await?;
        sqlx::query(
            "UPDATE target_inbox SET state = $1, processed_at = $2, note = $3, next_attempt_at = NULL
             WHERE id = $4",
        )
        .bind(if note.0 { "applied" } else { "ignored" })
        .bind(now)
        .bind(&note.1)
        .bind(item.id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(note.1)
    }
}

type Tx = Transaction<'static, Postgres>;

/// Queues routed orders (only `only_order` when given) holding units at one of `locations`
/// for their partner: a submission row and an outbox item keyed `ff:<location>:<channel>:<id>`,
/// once per (order, location). Runs in the caller's transaction, so a route and the
/// submission it causes commit together.
pub(super) async fn queue_submissions(
    tx: &mut Tx,
    locations: &[String],
    only_order: Option<i64>,
    now: i64,
) -> Result<u64> {
    if locations.is_empty() {
        return Ok(0);
    }
    let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT DISTINCT o.id, o.channel_id, o.external_id, r.location_id FROM orders o
         JOIN reservations r ON r.order_id = o.id
         WHERE o.fulfil_state = 'routed' AND r.location_id = ANY($1)
           AND ($2 IS NULL OR o.id = $2)
           AND NOT EXISTS (SELECT 1 FROM fulfillment_submissions s
                           WHERE s.order_id = o.id AND s.location_id = r.location_id)",
    )
    .bind(locations)
    .bind(only_order)
    .fetch_all(&mut **tx)
    .await?;
    for (order_id, channel, external, location) in &rows {
        let key = submission_key(location, channel, external);
        sqlx::query(
            "INSERT INTO fulfillment_submissions (idempotency_key, order_id, location_id, state, updated_at)
             VALUES ($1, $2, $3, 'queued', $4)",
        )
        .bind(&key)
        .bind(order_id)
        .bind(location)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "INSERT INTO outbox (kind, channel_id, idempotency_key, payload, cause, next_attempt_at, created_at)
             VALUES ('submit_fulfillment', $1, $2, $3, $4, $5, $6)",
        )
        .bind(location)
        .bind(&key)
        .bind(to_json(&serde_json::json!({"order_id": order_id, "location_id": location}))?)
        .bind(format!("order {channel}:{external} routed to {location}"))
        .bind(now)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(rows.len() as u64)
}

/// The submission an event is about: by our reference, else by the partner's order id.
async fn submission_of(
    tx: &mut Tx,
    location: &str,
    event: &TargetEvent,
) -> Result<Option<(String, i64, String)>> {
    let row: Option<(String, i64, String)> = sqlx::query_as(
        "SELECT idempotency_key, order_id, state FROM fulfillment_submissions
         WHERE location_id = $1 AND (idempotency_key = $2 OR ($3 IS NOT NULL AND partner_order_id = $3))",
    )
    .bind(location)
    .bind(event.order_reference.as_deref().unwrap_or(""))
    .bind(event.partner_order_id.as_deref())
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row)
}

/// Applies one event; returns (changed anything, what happened).
async fn apply(tx: &mut Tx, item: &TargetInboxItem, now: i64) -> Result<(bool, String)> {
    let location = item.location_id.as_str();
    let event = &item.event;
    if let EventKind::StockLevel { sku, available } = &event.kind {
        let current: Option<i64> =
            sqlx::query_scalar("SELECT quantity FROM on_hand WHERE sku = $1 AND location_id = $2")
                .bind(sku)
                .bind(location)
                .fetch_optional(&mut **tx)
                .await?;
        if current == Some(*available) {
            return Ok((false, format!("{sku} already {available} at {location}")));
        }
        sqlx::query(
            "INSERT INTO on_hand (sku, location_id, quantity, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (sku, location_id) DO UPDATE SET quantity = $3, updated_at = $4",
        )
        .bind(sku)
        .bind(location)
        .bind(available)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        let reference = format!("stock feed from {location}");
        let moves: Vec<Movement> = Movement::signed(
            sku,
            available - current.unwrap_or(0),
            Account::Feed,
            Account::OnHand(location.to_string()),
            "feed",
        )
        .into_iter()
        .collect();
        record_movements(tx, &moves, &reference, now).await?;
        mark_sku_dirty(tx, sku, &reference, now).await?;
        return Ok((true, format!("{sku} set to {available} at {location}")));
    }
    let Some((key, order_id, state)) = submission_of(tx, location, event).await? else {
        return Ok((
            false,
            format!(
                "no order submitted to {location} matches reference {:?} / partner id {:?}",
                event.order_reference, event.partner_order_id
            ),
        ));
    };
    let set_state = |s: &'static str| {
        sqlx::query(
            "UPDATE fulfillment_submissions SET state = $1, detail = $2, updated_at = $3 WHERE idempotency_key = $4",
        )
        .bind(s)
        .bind(serde_json::to_string(&event.kind).ok())
        .bind(now)
        .bind(key.clone())
    };
    match &event.kind {
        EventKind::StockLevel { .. } => Ok((false, "handled above".into())),
        EventKind::Accepted { .. } => {
            if state == "queued" || state == "submitted" {
                set_state("accepted").execute(&mut **tx).await?;
            }
            Ok((true, format!("{key} accepted")))
        }
        EventKind::Cancelled { reason } => {
            set_state("cancelled").execute(&mut **tx).await?;
            // Whether we asked (overdue) or the partner cancelled on its own, it will not
            // ship what it held; an order closed on its channel has nothing left to move.
            let why = format!(
                "{location} cancelled it ({})",
                reason.as_deref().unwrap_or("no reason given")
            );
            let outcome = refuse(tx, order_id, location, &[], &why, now).await?;
            Ok(refusal_note(&key, &why, outcome))
        }
        EventKind::CancelRefused { reason } => {
            set_state("cancel_refused").execute(&mut **tx).await?;
            Ok((
                true,
                format!(
                    "{key}: {location} could not cancel ({reason}); the order stays with it and its ship notice is expected"
                ),
            ))
        }
        EventKind::Rejected { lines, reason } => {
            let skus: Vec<&str> = lines.iter().map(|l| l.sku.as_str()).collect();
            let what = if skus.is_empty() {
                "the order".to_string()
            } else {
                skus.join(", ")
            };
            let why = format!("{location} rejected {what}: {reason}");
            let outcome = refuse(tx, order_id, location, lines, &why, now).await?;
            // The submission is over only when the partner holds nothing of the order.
            let left: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM reservations WHERE order_id = $1 AND location_id = $2",
            )
            .bind(order_id)
            .bind(location)
            .fetch_one(&mut **tx)
            .await?;
            if left == 0 {
                set_state("rejected").execute(&mut **tx).await?;
            }
            Ok(refusal_note(&key, &why, outcome))
        }
        EventKind::Shipped {
            lines,
            carrier,
            tracking_number,
            shipped_at,
            ..
        } => {
            ship(
                tx,
                order_id,
                &key,
                location,
                lines,
                carrier,
                tracking_number,
                *shipped_at,
                now,
            )
            .await
        }
    }
}

/// The inbox note for a refusal: (changed anything, what happened).
fn refusal_note(key: &str, why: &str, outcome: Refusal) -> (bool, String) {
    match outcome {
        Refusal::Rerouting(skus) => (
            true,
            format!("{key}: {why}; {} to be routed again", skus.join(", ")),
        ),
        Refusal::Held(reason) => (true, format!("{key}: order held: {reason}")),
        Refusal::Nothing(detail) => (false, format!("{key}: {why}; {detail}")),
    }
}

/// A partner's shipment: the parcel rule decides (only the units it shipped leave, the
/// write-back carries exactly those, the rest stays reserved), `apply_parcel` writes it, and
/// the submission is `shipped`.
#[allow(clippy::too_many_arguments)]
async fn ship(
    tx: &mut Tx,
    order_id: i64,
    key: &str,
    location: &str,
    lines: &[switchyard_core::fulfillment::LineQuantity],
    carrier: &str,
    tracking: &str,
    shipped_at: chrono::DateTime<chrono::FixedOffset>,
    now: i64,
) -> Result<(bool, String)> {
    if recorded(tx, order_id, tracking).await?.is_some() {
        return Ok((
            false,
            format!("{key}: shipment {tracking} already recorded"),
        ));
    }
    let parcel = load_and_decide(tx, order_id, Source::Partner { location, lines })
        .await?
        .map_err(|e| StoreError::Conflict(format!("{key}: shipment {tracking}: {e}")))?;
    let written = apply_parcel(tx, order_id, &parcel, carrier, tracking, shipped_at, now).await?;
    sqlx::query("UPDATE fulfillment_submissions SET state = 'shipped', updated_at = $1 WHERE idempotency_key = $2")
        .bind(now)
        .bind(key)
        .execute(&mut **tx)
        .await?;
    Ok((true, written.reference))
}

/// A channel cancelled an order: a submission not yet sent is dropped; one the partner has is
/// cancelled there (an outbox item with its own key). Runs inside the order update's transaction.
pub(super) async fn on_order_closed(tx: &mut Tx, order_id: i64, now: i64) -> Result<()> {
    let subs: Vec<(String, String, Option<String>, String)> = sqlx::query_as(
        "SELECT idempotency_key, location_id, partner_order_id, state FROM fulfillment_submissions
         WHERE order_id = $1 AND state IN ('queued', 'submitted', 'accepted')",
    )
    .bind(order_id)
    .fetch_all(&mut **tx)
    .await?;
    for (key, location, partner_id, state) in subs {
        let pending: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM outbox WHERE idempotency_key = $1 AND done_at IS NULL",
        )
        .bind(&key)
        .fetch_optional(&mut **tx)
        .await?;
        if state == "queued"
            && let Some(id) = pending
        {
            sqlx::query("UPDATE outbox SET done_at = $1, last_error = 'order cancelled before it was sent' WHERE id = $2")
                .bind(now)
                .bind(id)
                .execute(&mut **tx)
                .await?;
            sqlx::query("UPDATE fulfillment_submissions SET state = 'cancelled', updated_at = $1 WHERE idempotency_key = $2")
                .bind(now)
                .bind(&key)
                .execute(&mut **tx)
                .await?;
            continue;
        }
        queue_partner_cancel(
            tx,
            &key,
            &location,
            partner_id.as_deref(),
            "order cancelled on its channel",
            now,
        )
        .await?;
    }
    Ok(())
}

/// Asks the partner to cancel a submission: an outbox `cancel_fulfillment` keyed
/// `cancel:<submission key>` (queued once), the submission `cancel_requested`.
pub(super) async fn queue_partner_cancel(
    tx: &mut Tx,
    key: &str,
    location: &str,
    partner_id: Option<&str>,
    cause: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO outbox (kind, channel_id, idempotency_key, payload, cause, next_attempt_at, created_at)
         VALUES ('cancel_fulfillment', $1, $2, $3, $4, $5, $6)
         ON CONFLICT (idempotency_key) DO NOTHING",
    )
    .bind(location)
    .bind(format!("cancel:{key}"))
    .bind(to_json(&serde_json::json!({"reference": key, "partner_order_id": partner_id}))?)
    .bind(cause)
    .bind(now)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE fulfillment_submissions SET state = 'cancel_requested', updated_at = $1 WHERE idempotency_key = $2")
        .bind(now)
        .bind(key)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Marks an outbox item done; the caller records its outcome in the same transaction.
pub(super) async fn close_outbox_item(tx: &mut Tx, outbox_id: i64, now: i64) -> Result<()> {
    sqlx::query("UPDATE outbox SET done_at = $1, last_error = NULL WHERE id = $2")
        .bind(now)
        .bind(outbox_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
