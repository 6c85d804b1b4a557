//! The SQLite side of routing: the stock snapshot a decision reads, recording a plan
//! (reservations move per SKU), the hold queue and releases, and per-line picks. Kept apart
//! from the rest of the store so each piece of SQL has one job.

use std::collections::HashMap;

use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, Transaction};

use super::{
    SqliteStore, corrupt, json_col, mark_sku_dirty, record_movements, resolve_order, to_json,
};
use crate::model::Order;
use crate::routing::{RouteDecision, RoutePlan, StockSnapshot};
use crate::stock::reservation_movements;
use crate::store::{DecidedOrder, HeldOrder, PickLine, ReleaseReceipt, Result, StoreError, now_ms};

impl SqliteStore {
    pub(super) async fn route_stock_snapshot(
        &self,
        skus: &[String],
        excluding_order: Option<i64>,
    ) -> Result<StockSnapshot> {
        let mut snapshot = StockSnapshot::new().taken_at(now_ms());
        if skus.is_empty() {
            return Ok(snapshot);
        }
        // The SKU list travels as one JSON parameter, never spliced into the SQL.
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT h.location_id, h.sku, h.quantity - COALESCE((
                 SELECT SUM(r.quantity) FROM reservations r
                 WHERE r.sku = h.sku AND r.location_id = h.location_id
                   AND (?2 IS NULL OR r.order_id <> ?2)), 0)
             FROM on_hand h WHERE h.sku IN (SELECT value FROM json_each(?1))",
        )
        .bind(to_json(&skus)?)
        .bind(excluding_order)
        .fetch_all(&self.pool)
        .await?;
        for (location, sku, available) in rows {
            snapshot.set(location, sku, available);
        }
        Ok(snapshot)
    }

    pub(super) async fn route_record(&self, order_id: i64, plan: &RoutePlan) -> Result<()> {
        let now = now_ms();
        let mut tx = self.write().await?;
        let state = if plan.is_held() { "held" } else { "routed" };
        // Only an order still waiting for a route takes the decision (a cancel may have won).
        let moved = sqlx::query(
            "UPDATE orders SET fulfil_state = ?, updated_at = ? WHERE id = ? AND fulfil_state = 'to_route'",
        )
        .bind(state)
        .bind(now)
        .bind(order_id)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() == 1 {
            write_decision(&mut tx, order_id, plan, now).await?;
            move_reservations(&mut tx, order_id, plan, None, now).await?;
            placed_event(&mut tx, order_id, plan, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every line of every routed order at its own location: a SKU's from its reservation,
    /// a line without a SKU from the decision's main location.
    pub(super) async fn route_picks(&self, location_id: Option<&str>) -> Result<Vec<PickLine>> {
        let rows = sqlx::query(
            "SELECT o.id, o.channel_id, o.number, o.canonical, d.location_id FROM orders o
             JOIN routing_decisions d ON d.order_id = o.id
             WHERE o.fulfil_state = 'routed' ORDER BY o.id",
        )
        .fetch_all(&self.pool)
        .await?;
        let reserved: Vec<(i64, String, Option<String>)> = sqlx::query_as(
            "SELECT r.order_id, r.sku, r.location_id FROM reservations r
             JOIN orders o ON o.id = r.order_id WHERE o.fulfil_state = 'routed'",
        )
        .fetch_all(&self.pool)
        .await?;
        let at: HashMap<(i64, String), Option<String>> = reserved
            .into_iter()
            .map(|(o, sku, loc)| ((o, sku), loc))
            .collect();
        let mut out = Vec::new();
        for r in &rows {
            let id: i64 = r.try_get("id")?;
            let order: Order = json_col(r, "canonical")?;
            let primary: Option<String> = r.try_get("location_id")?;
            for line in &order.lines {
                let location = match &line.sku {
                    Some(sku) => at.get(&(id, sku.clone())).cloned().flatten(),
                    None => None,
                }
                .or_else(|| primary.clone())
                .unwrap_or_default();
                if location_id.is_some_and(|want| want != location) {
                    continue;
                }
                out.push(PickLine {
                    order_id: id,
                    channel_id: r.try_get("channel_id")?,
                    order_number: r.try_get("number")?,
                    location_id: location,
                    line_id: line.line_id.clone(),
                    sku: line.sku.clone(),
                    title: line.title.clone(),
                    quantity: line.quantity,
                    ship_to_name: order.ship_to.as_ref().and_then(|a| a.name.clone()),
                    ship_to_country: order.ship_to.as_ref().and_then(|a| a.country_code.clone()),
                });
            }
        }
        Ok(out)
    }

    pub(super) async fn route_held(&self, limit: i64) -> Result<Vec<HeldOrder>> {
        let rows = sqlx::query(
            "SELECT o.id, o.channel_id, o.external_id, o.number, d.location_id, d.rule,
                    d.explanation, d.decided_at
             FROM orders o LEFT JOIN routing_decisions d ON d.order_id = o.id
             WHERE o.fulfil_state = 'held' ORDER BY o.id LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let decision = decision_of(r)?;
                let reason = match (&decision, decision.as_ref().and_then(|d| d.plan.as_ref())) {
                    (_, Some(plan)) => plan.held_reason().unwrap_or_default(),
                    (Some(d), None) => d.explanation.clone(),
                    (None, None) => "no decision recorded".into(),
                };
                Ok(HeldOrder {
                    order_id: r.try_get("id")?,
                    channel_id: r.try_get("channel_id")?,
                    external_id: r.try_get("external_id")?,
                    number: r.try_get("number")?,
                    reason,
                    decided_at: r.try_get::<Option<i64>, _>("decided_at")?.unwrap_or(0),
                })
            })
            .collect()
    }

    pub(super) async fn route_release(
        &self,
        order_ref: &str,
        location_id: &str,
        by: &str,
        now: chrono::DateTime<chrono::FixedOffset>,
    ) -> Result<ReleaseReceipt> {
        let now_ms = now.timestamp_millis();
        let mut tx = self.write().await?;
        let order_id = resolve_order(&mut tx, order_ref)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("order `{order_ref}`")))?;
        let row = sqlx::query(
            "SELECT o.fulfil_state, o.canonical, d.location_id, d.rule, d.explanation
             FROM orders o LEFT JOIN routing_decisions d ON d.order_id = o.id WHERE o.id = ?",
        )
        .bind(order_id)
        .fetch_one(&mut *tx)
        .await?;
        let state: String = row.try_get("fulfil_state")?;
        if state != "held" {
            return Err(StoreError::Conflict(format!(
                "order {order_ref} is `{state}`, not held; only held orders are released"
            )));
        }
        // A location that refused the order is excluded for good; releasing there would
        // leave the lines where no one will ship them.
        let refused: Option<String> = sqlx::query_scalar(
            "SELECT reason FROM route_exclusions WHERE order_id = ? AND location_id = ?",
        )
        .bind(order_id)
        .bind(location_id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(reason) = refused {
            return Err(StoreError::Conflict(format!(
                "order {order_ref} cannot be released to {location_id}: it refused this order ({reason}) and is excluded from it; choose another location"
            )));
        }
        let order: Order = json_col(&row, "canonical")?;
        // A decision stored before plans existed (or none) holds the whole order.
        let held = match decision_of(&row)? {
            Some(RouteDecision {
                plan: Some(plan), ..
            }) => plan,
            Some(d) => RoutePlan::all_held(&order, &d.explanation),
            None => RoutePlan::all_held(&order, "held"),
        };
        let at = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
        let plan = held.released(location_id, by, &at);
        let lines = plan
            .explanation
            .release
            .as_ref()
            .map(|r| r.lines.clone())
            .unwrap_or_default();
        let moved = sqlx::query(
            "UPDATE orders SET fulfil_state = 'routed', updated_at = ? WHERE id = ? AND fulfil_state = 'held'",
        )
        .bind(now_ms)
        .bind(order_id)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!(
                "order {order_ref} stopped being held"
            )));
        }
        write_decision(&mut tx, order_id, &plan, now_ms).await?;
        move_reservations(&mut tx, order_id, &plan, Some(location_id), now_ms).await?;
        placed_event(&mut tx, order_id, &plan, now_ms).await?;
        tx.commit().await?;
        Ok(ReleaseReceipt {
            order_id,
            location_id: location_id.to_string(),
            lines,
        })
    }

    pub(super) async fn route_decided(&self, limit: i64) -> Result<Vec<DecidedOrder>> {
        let rows = sqlx::query(
            "SELECT o.id, o.channel_id, o.fulfil_state, o.canonical, d.location_id, d.rule,
                    d.explanation, d.decided_at
             FROM orders o JOIN routing_decisions d ON d.order_id = o.id
             WHERE o.fulfil_state IN ('routed', 'held')
             ORDER BY d.decided_at DESC, o.id DESC LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let decision = decision_of(r)?
                    .ok_or_else(|| corrupt("routing_decisions", "joined row without decision"))?;
                Ok(DecidedOrder {
                    order_id: r.try_get("id")?,
                    channel_id: r.try_get("channel_id")?,
                    fulfil_state: r.try_get("fulfil_state")?,
                    order: json_col(r, "canonical")?,
                    decision,
                    decided_at: r.try_get("decided_at")?,
                })
            })
            .collect()
    }
}

/// The decision columns of a row (`location_id`, `rule`, `explanation`), when there is one.
fn decision_of(r: &SqliteRow) -> Result<Option<RouteDecision>> {
    let rule: Option<String> = r.try_get("rule")?;
    let Some(rule) = rule else { return Ok(None) };
    Ok(Some(RouteDecision::from_row(
        r.try_get("location_id")?,
        rule,
        r.try_get::<Option<String>, _>("explanation")?
            .unwrap_or_default(),
    )))
}

/// `order.routed` or `order.held` for the plan just stored (a route, a re-route, a release).
pub(super) async fn placed_event(
    tx: &mut Transaction<'static, Sqlite>,
    order_id: i64,
    plan: &RoutePlan,
    now: i64,
) -> Result<()> {
    crate::store::events_sql::order_event(tx, order_id, now, |h, _, _| {
        crate::events::placed(h, plan)
    })
    .await?;
    Ok(())
}

pub(super) async fn write_decision(
    tx: &mut Transaction<'static, Sqlite>,
    order_id: i64,
    plan: &RoutePlan,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO routing_decisions (order_id, location_id, rule, explanation, decided_at)
         VALUES (?, ?, ?, ?, ?) ON CONFLICT (order_id) DO UPDATE SET
         location_id = excluded.location_id, rule = excluded.rule,
         explanation = excluded.explanation, decided_at = excluded.decided_at",
    )
    .bind(order_id)
    .bind(plan.primary_location())
    .bind(plan.rule_summary())
    .bind(to_json(plan)?)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Points each SKU's reservation at the plan's location for it (`rest` for SKUs the plan does
/// not name, such as lines added after it was made). A reservation that moves changes what
/// channels selling from only some locations may offer, so its SKU is marked dirty.
pub(super) async fn move_reservations(
    tx: &mut Transaction<'static, Sqlite>,
    order_id: i64,
    plan: &RoutePlan,
    rest: Option<&str>,
    now: i64,
) -> Result<()> {
    let current: Vec<(String, Option<String>, i64)> =
        sqlx::query_as("SELECT sku, location_id, quantity FROM reservations WHERE order_id = ?")
            .bind(order_id)
            .fetch_all(&mut **tx)
            .await?;
    let mut planned: HashMap<String, Option<String>> = plan.sku_locations().into_iter().collect();
    // A kit's components are reserved, not the kit: they go where the kit line went.
    let kits = super::stock_sql::kits(tx).await?;
    for (kit, loc) in plan.sku_locations() {
        for (part, _) in kits.get(&kit).into_iter().flatten() {
            planned.entry(part.clone()).or_insert_with(|| loc.clone());
        }
    }
    let cause = format!("route of order {order_id}");
    let after: Vec<(String, Option<String>, i64)> = current
        .iter()
        .map(|(sku, was, q)| {
            let next = match planned.get(sku) {
                Some(loc) => loc.clone(),
                None => rest.map(str::to_string).or(was.clone()),
            };
            (sku.clone(), next, *q)
        })
        .collect();
    let moves = reservation_movements(&current, &after, "route", "route");
    record_movements(tx, &moves, &cause, now).await?;
    for ((sku, was, _), (_, next, _)) in current.iter().zip(&after) {
        if next == was {
            continue;
        }
        sqlx::query("UPDATE reservations SET location_id = ? WHERE order_id = ? AND sku = ?")
            .bind(next)
            .bind(order_id)
            .bind(sku)
            .execute(&mut **tx)
            .await?;
        mark_sku_dirty(tx, sku, &cause, now).await?;
    }
    Ok(())
}
