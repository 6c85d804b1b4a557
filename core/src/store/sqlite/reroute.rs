//! Closed-loop re-routing in SQL. A location's refusal (a rejected line or order, a cancellation
//! it confirmed) takes the refused lines' reservations off it, remembers the refusal so the
//! order never goes back there, and leaves the order `rerouting` for the router; the router's
//! new plan is stored together with the new partner's submission. An order a partner has not
//! shipped in time is first cancelled there; only the confirmation re-routes it.

use std::collections::BTreeMap;

use sqlx::{Row, Sqlite, Transaction};

use super::fulfil::{close_outbox_item, queue_submissions};
use super::route::{move_reservations, write_decision};
use super::stock_sql::{self, mark_sku_dirty, record_movements};
use super::{SqliteStore, json_col, to_json};
use crate::fulfillment::{CancelOutcome, EventKind, LineQuantity, OrderRef, TargetEvent};
use crate::model::Order;
use crate::routing::{RouteDecision, RoutePlan};
use crate::stock::reservation_movements;
use crate::store::{RerouteWork, Result, now_ms};

type Tx = Transaction<'static, Sqlite>;

/// What a refusal did to the order.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Refusal {
    /// These SKUs wait for the router.
    Rerouting(Vec<String>),
    /// Only some units of a SKU were refused: the rest may still ship from the location, and
    /// one SKU has one reservation, so a person decides (the order is held, saying why).
    Held(String),
    /// Nothing of the order is reserved there any more (shipped, cancelled, applied before).
    Nothing(String),
}

/// Takes the refused `lines` (all the order's lines at `location` when empty) off `location`:
/// reservations become unrouted (ledger movements, listings dirty), the location is excluded
/// for this order with `why`, and the order waits in `rerouting`. Runs in the event's
/// transaction; applying the same refusal again finds nothing reserved there and does nothing.
pub(super) async fn refuse(
    tx: &mut Tx,
    order_id: i64,
    location: &str,
    lines: &[LineQuantity],
    why: &str,
    now: i64,
) -> Result<Refusal> {
    let state: Option<String> = sqlx::query_scalar("SELECT fulfil_state FROM orders WHERE id = ?")
        .bind(order_id)
        .fetch_optional(&mut **tx)
        .await?;
    let Some(state) = state else {
        return Ok(Refusal::Nothing("the order is gone".into()));
    };
    if !matches!(state.as_str(), "routed" | "held" | "rerouting") {
        return Ok(Refusal::Nothing(format!("the order is {state}")));
    }
    let here: Vec<(String, Option<String>, i64)> = sqlx::query_as(
        "SELECT sku, location_id, quantity FROM reservations
         WHERE order_id = ? AND location_id = ? ORDER BY sku",
    )
    .bind(order_id)
    .bind(location)
    .fetch_all(&mut **tx)
    .await?;
    let picked: Vec<(String, Option<String>, i64)> = here
        .into_iter()
        .filter(|(sku, _, _)| lines.is_empty() || lines.iter().any(|l| &l.sku == sku))
        .collect();
    if picked.is_empty() {
        return Ok(Refusal::Nothing(format!(
            "nothing it names is reserved at {location} any more"
        )));
    }
    if !lines.is_empty() {
        for (sku, _, reserved) in &picked {
            let refused: i64 = lines
                .iter()
                .filter(|l| &l.sku == sku)
                .map(|l| i64::from(l.quantity))
                .sum();
            if refused < *reserved {
                let reason = format!(
                    "{why} ({refused} of {reserved} {sku}); the rest may still ship from \
                     {location}, so a person decides"
                );
                hold_lines(tx, order_id, sku, &reason, now).await?;
                return Ok(Refusal::Held(reason));
            }
        }
    }
    sqlx::query(
        "INSERT INTO route_exclusions (order_id, location_id, reason, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (order_id, location_id) DO UPDATE SET reason = reason || '; ' || excluded.reason",
    )
    .bind(order_id)
    .bind(location)
    .bind(why)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    let after: Vec<(String, Option<String>, i64)> = picked
        .iter()
        .map(|(sku, _, q)| (sku.clone(), None, *q))
        .collect();
    let cause = format!("order {order_id}: {why}");
    let moves = reservation_movements(&picked, &after, "reroute", "reroute");
    record_movements(tx, &moves, &cause, now).await?;
    for (sku, _, _) in &picked {
        sqlx::query("UPDATE reservations SET location_id = NULL WHERE order_id = ? AND sku = ?")
            .bind(order_id)
            .bind(sku)
            .execute(&mut **tx)
            .await?;
        mark_sku_dirty(tx, sku, &cause, now).await?;
    }
    sqlx::query("UPDATE orders SET fulfil_state = 'rerouting', updated_at = ? WHERE id = ?")
        .bind(now)
        .bind(order_id)
        .execute(&mut **tx)
        .await?;
    Ok(Refusal::Rerouting(
        picked.into_iter().map(|(sku, _, _)| sku).collect(),
    ))
}

/// Marks the plan's lines of `sku` held with `reason` and holds the order, so `orders held`
/// and `orders show` say why.
async fn hold_lines(tx: &mut Tx, order_id: i64, sku: &str, reason: &str, now: i64) -> Result<()> {
    let row = sqlx::query(
        "SELECT o.canonical, d.location_id, d.rule, d.explanation
         FROM orders o LEFT JOIN routing_decisions d ON d.order_id = o.id WHERE o.id = ?",
    )
    .bind(order_id)
    .fetch_one(&mut **tx)
    .await?;
    let order: Order = json_col(&row, "canonical")?;
    let mut plan = previous_plan(&row)?.unwrap_or_else(|| RoutePlan::all_held(&order, reason));
    for line in plan
        .lines
        .iter_mut()
        .filter(|l| l.sku.as_deref() == Some(sku))
    {
        line.location = None;
        line.held = Some(reason.to_string());
        line.decided_by = "partner".into();
    }
    write_decision(tx, order_id, &plan, now).await?;
    sqlx::query("UPDATE orders SET fulfil_state = 'held', updated_at = ? WHERE id = ?")
        .bind(now)
        .bind(order_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The plan stored with a decision row (`location_id`, `rule`, `explanation`), if any.
fn previous_plan(row: &sqlx::sqlite::SqliteRow) -> Result<Option<RoutePlan>> {
    let rule: Option<String> = row.try_get("rule")?;
    Ok(rule.and_then(|rule| {
        RouteDecision::from_row(
            row.try_get("location_id").ok().flatten(),
            rule,
            row.try_get::<Option<String>, _>("explanation")
                .ok()
                .flatten()
                .unwrap_or_default(),
        )
        .plan
    }))
}

impl SqliteStore {
    pub(super) async fn reroute_work(&self, limit: i64) -> Result<Vec<RerouteWork>> {
        let mut conn = self.pool.acquire().await?;
        let rows = sqlx::query(
            "SELECT o.id, o.channel_id, o.canonical, d.location_id, d.rule, d.explanation
             FROM orders o LEFT JOIN routing_decisions d ON d.order_id = o.id
             WHERE o.fulfil_state = 'rerouting' ORDER BY o.id LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
        let kits = stock_sql::kits(&mut conn).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let order_id: i64 = row.try_get("id")?;
            let order: Order = json_col(row, "canonical")?;
            let previous = previous_plan(row)?;
            let reserved: BTreeMap<String, Option<String>> =
                sqlx::query_as("SELECT sku, location_id FROM reservations WHERE order_id = ?")
                    .bind(order_id)
                    .fetch_all(&mut *conn)
                    .await?
                    .into_iter()
                    .collect();
            let refused: Vec<(String, String)> = sqlx::query_as(
                "SELECT location_id, reason FROM route_exclusions WHERE order_id = ?
                 ORDER BY created_at, location_id",
            )
            .bind(order_id)
            .fetch_all(&mut *conn)
            .await?;
            let planned_at = |sku: &str| {
                previous.as_ref().and_then(|p| {
                    p.lines
                        .iter()
                        .find(|l| l.sku.as_deref() == Some(sku))
                        .and_then(|l| l.location.clone())
                })
            };
            // A line stays where its units are reserved (a kit where its components are); a
            // line with nothing reserved has shipped and stays where it shipped from.
            let mut keep = BTreeMap::new();
            for (sku, _) in order.sku_quantities() {
                let parts: Vec<String> = match kits.get(&sku) {
                    Some(components) => components.iter().map(|(c, _)| c.clone()).collect(),
                    None => vec![sku.clone()],
                };
                let mut at: Option<String> = None;
                let mut open = false;
                for part in &parts {
                    match reserved.get(part) {
                        Some(None) => open = true,
                        Some(Some(loc)) => at = at.or(Some(loc.clone())),
                        None => {}
                    }
                }
                if open {
                    continue;
                }
                if let Some(loc) = at.or_else(|| planned_at(&sku)) {
                    keep.insert(sku, loc);
                }
            }
            out.push(RerouteWork {
                order_id,
                channel_id: row.try_get("channel_id")?,
                order,
                keep,
                refused,
                previous,
            });
        }
        Ok(out)
    }

    pub(super) async fn reroute_record(
        &self,
        order_id: i64,
        plan: &RoutePlan,
        partner_locations: &[String],
    ) -> Result<bool> {
        let now = now_ms();
        let mut tx = self.write().await?;
        let state = if plan.is_held() { "held" } else { "routed" };
        let moved = sqlx::query(
            "UPDATE orders SET fulfil_state = ?, updated_at = ? WHERE id = ? AND fulfil_state = 'rerouting'",
        )
        .bind(state)
        .bind(now)
        .bind(order_id)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() != 1 {
            tx.commit().await?;
            return Ok(false);
        }
        write_decision(&mut tx, order_id, plan, now).await?;
        move_reservations(&mut tx, order_id, plan, None, now).await?;
        super::route::placed_event(&mut tx, order_id, plan, now).await?;
        queue_submissions(&mut tx, partner_locations, Some(order_id), now).await?;
        tx.commit().await?;
        Ok(true)
    }

    pub(super) async fn reroute_cancel_overdue(
        &self,
        location_id: &str,
        submitted_before_ms: i64,
    ) -> Result<Vec<String>> {
        let now = now_ms();
        let mut tx = self.write().await?;
        let overdue: Vec<(String, Option<String>)> = sqlx::query_as(
            "SELECT s.idempotency_key, s.partner_order_id FROM fulfillment_submissions s
             JOIN orders o ON o.id = s.order_id
             WHERE s.location_id = ?1 AND s.state IN ('submitted', 'accepted') AND s.updated_at < ?2
               AND o.fulfil_state IN ('routed', 'held', 'rerouting')
               AND EXISTS (SELECT 1 FROM reservations r
                           WHERE r.order_id = s.order_id AND r.location_id = ?1)",
        )
        .bind(location_id)
        .bind(submitted_before_ms)
        .fetch_all(&mut *tx)
        .await?;
        for (key, partner_id) in &overdue {
            let order = OrderRef {
                reference: key.clone(),
                partner_order_id: partner_id.clone(),
            };
            sqlx::query(
                "INSERT INTO outbox (kind, channel_id, idempotency_key, payload, cause, next_attempt_at, created_at)
                 VALUES ('cancel_fulfillment', ?, ?, ?, 'no ship notice in time', ?, ?)
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
                    detail = 'overdue: no ship notice in time; cancellation asked', updated_at = ?
                 WHERE idempotency_key = ?",
            )
            .bind(now)
            .bind(key)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(overdue.into_iter().map(|(k, _)| k).collect())
    }

    pub(super) async fn reroute_cancel_answer(
        &self,
        outbox_id: i64,
        location_id: &str,
        order: &OrderRef,
        outcome: &CancelOutcome,
    ) -> Result<()> {
        let now = now_ms();
        let mut tx = self.write().await?;
        close_outbox_item(&mut tx, outbox_id, now).await?;
        let answer = match outcome {
            CancelOutcome::Cancelled | CancelOutcome::AlreadyCancelled => Some((
                "confirmed",
                EventKind::Cancelled {
                    reason: Some("cancelled at our request".into()),
                },
            )),
            CancelOutcome::TooLate { reason } => Some((
                "refused",
                EventKind::CancelRefused {
                    reason: reason.clone(),
                },
            )),
            CancelOutcome::Requested => None,
        };
        if let Some((what, kind)) = answer {
            let event = TargetEvent {
                dedup_id: format!("cancel-{what}:{}", order.reference),
                order_reference: Some(order.reference.clone()),
                partner_order_id: order.partner_order_id.clone(),
                occurred_at: Some(chrono::Utc::now()),
                kind,
            };
            sqlx::query(
                "INSERT INTO target_inbox (location_id, dedup_id, event, received_at) VALUES (?, ?, ?, ?)
                 ON CONFLICT (location_id, dedup_id) DO NOTHING",
            )
            .bind(location_id)
            .bind(&event.dedup_id)
            .bind(to_json(&event)?)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
