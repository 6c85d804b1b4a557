//! `switchyard ship`: a parcel leaving the merchant's own warehouses. It carries only the units
//! reserved at the locations it names (partner-held units stay reserved for their partner's
//! shipment), consumes them through the ledger, writes back only the lines it carries, and
//! closes the order once nothing is left reserved — the same rule as a partner's shipment.

use std::collections::BTreeMap;

use sqlx::Row;

use super::stock_sql::{self, mark_sku_dirty, record_movements};
use super::{SqliteStore, json_col, resolve_order, to_json};
use crate::model::{Order, Shipment, ShippedLine};
use crate::stock::{Account, Movement, expand_kits, reservation_movements};
use crate::store::{Result, ShipReceipt, StoreError};

type Reserved = Vec<(String, Option<String>, i64)>;

impl SqliteStore {
    pub(super) async fn ship_from(
        &self,
        order_ref: &str,
        carrier: &str,
        tracking_number: &str,
        from: &[String],
        now: chrono::DateTime<chrono::FixedOffset>,
    ) -> Result<ShipReceipt> {
        let now_ms = now.timestamp_millis();
        let mut tx = self.write().await?;
        let order_id = resolve_order(&mut tx, order_ref)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("order `{order_ref}`")))?;
        let row = sqlx::query(
            "SELECT o.channel_id, o.external_id, o.fulfil_state, o.canonical, d.location_id
             FROM orders o LEFT JOIN routing_decisions d ON d.order_id = o.id WHERE o.id = ?",
        )
        .bind(order_id)
        .fetch_one(&mut *tx)
        .await?;
        let channel_id: String = row.try_get("channel_id")?;
        let external_id: String = row.try_get("external_id")?;
        let state: String = row.try_get("fulfil_state")?;
        let key = format!("ship:{channel_id}:{external_id}:{tracking_number}");
        // Recording the same parcel twice is a no-op.
        let existing: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM shipments WHERE order_id = ? AND tracking_number = ?",
        )
        .bind(order_id)
        .bind(tracking_number)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(shipment_id) = existing {
            return Ok(ShipReceipt {
                order_id,
                shipment_id,
                idempotency_key: key,
            });
        }
        if state == "shipped" {
            return Err(StoreError::Conflict(format!(
                "order {order_ref} was already shipped with another tracking number"
            )));
        }
        if state != "routed" {
            return Err(StoreError::Conflict(format!(
                "order {order_ref} cannot ship: it is `{state}` (only routed orders ship)"
            )));
        }
        let order: Order = json_col(&row, "canonical")?;
        let decided: Option<String> = row.try_get("location_id")?;
        let reserved: Reserved = sqlx::query_as(
            "SELECT sku, location_id, quantity FROM reservations WHERE order_id = ? ORDER BY sku",
        )
        .bind(order_id)
        .fetch_all(&mut *tx)
        .await?;
        // A reservation without a location waits at the decision's location.
        let at = |loc: &Option<String>| loc.clone().or_else(|| decided.clone());
        let (leaving, staying): (Reserved, Reserved) = reserved
            .iter()
            .cloned()
            .partition(|(_, loc, _)| at(loc).is_some_and(|l| from.contains(&l)));
        if leaving.is_empty() {
            let elsewhere: Vec<String> = reserved
                .iter()
                .map(|(sku, loc, q)| {
                    format!("{q} × {sku} at {}", at(loc).as_deref().unwrap_or("nowhere"))
                })
                .collect();
            return Err(StoreError::Conflict(format!(
                "order {order_ref} has nothing reserved at {} to ship{}",
                from.join(", "),
                if elsewhere.is_empty() {
                    String::new()
                } else {
                    format!(
                        " ({}; partner locations ship their own units)",
                        elsewhere.join(", ")
                    )
                }
            )));
        }
        let mut places: Vec<String> = Vec::new();
        for (_, loc, _) in &leaving {
            if let Some(l) = at(loc)
                && !places.contains(&l)
            {
                places.push(l);
            }
        }
        let location = places.join("+");
        let cause = format!("shipment of order {channel_id}:{external_id}");
        let reference = format!("{cause} ({tracking_number})");
        let mut moves = reservation_movements(&reserved, &staying, "shipment", "shipment");
        for (sku, loc, q) in &leaving {
            let Some(from_loc) = at(loc) else { continue };
            moves.extend(Movement::signed(
                sku,
                *q,
                Account::OnHand(from_loc.clone()),
                Account::Customer,
                "shipment",
            ));
            sqlx::query(
                "INSERT INTO on_hand (sku, location_id, quantity, updated_at) VALUES (?1, ?2, -?3, ?4)
                 ON CONFLICT (sku, location_id) DO UPDATE SET quantity = quantity - ?3, updated_at = ?4",
            )
            .bind(sku)
            .bind(&from_loc)
            .bind(q)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM reservations WHERE order_id = ? AND sku = ?")
                .bind(order_id)
                .bind(sku)
                .execute(&mut *tx)
                .await?;
            mark_sku_dirty(&mut tx, sku, &cause, now_ms).await?;
        }
        record_movements(&mut tx, &moves, &reference, now_ms).await?;
        let kits = stock_sql::kits(&mut tx).await?;
        let complete = staying.is_empty();
        let shipment = Shipment {
            order_external_id: external_id.clone(),
            carrier: carrier.to_string(),
            tracking_number: tracking_number.to_string(),
            shipped_at: now,
            lines: parcel_lines(&order, &leaving, &kits, complete),
        };
        let shipment_id: i64 = sqlx::query_scalar(
            "INSERT INTO shipments (order_id, location_id, carrier, tracking_number, detail, shipped_at)
             VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(order_id)
        .bind(&location)
        .bind(carrier)
        .bind(tracking_number)
        .bind(to_json(&shipment)?)
        .bind(now_ms)
        .fetch_one(&mut *tx)
        .await?;
        if complete {
            sqlx::query("UPDATE orders SET fulfil_state = 'shipped', updated_at = ? WHERE id = ?")
                .bind(now_ms)
                .bind(order_id)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO outbox (kind, channel_id, idempotency_key, payload, cause, next_attempt_at, created_at)
             VALUES ('write_back_shipment', ?, ?, ?, ?, ?, ?)",
        )
        .bind(&channel_id)
        .bind(&key)
        .bind(to_json(&shipment)?)
        .bind(&cause)
        .bind(now_ms)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(ShipReceipt {
            order_id,
            shipment_id,
            idempotency_key: key,
        })
    }
}

/// The channel's lines a parcel carries and how many of each: units leaving (kits as their
/// components) are handed to the order's lines in order, a kit line counting only whole kits.
/// Lines without a SKU go with the parcel that completes the order.
fn parcel_lines(
    order: &Order,
    leaving: &Reserved,
    kits: &BTreeMap<String, Vec<(String, i64)>>,
    complete: bool,
) -> Vec<ShippedLine> {
    let mut left: BTreeMap<&str, i64> = BTreeMap::new();
    for (sku, _, q) in leaving {
        *left.entry(sku.as_str()).or_default() += q;
    }
    let mut lines = Vec::new();
    for l in &order.lines {
        let Some(sku) = &l.sku else {
            if complete {
                lines.push(ShippedLine {
                    line_id: l.line_id.clone(),
                    quantity: l.quantity,
                });
            }
            continue;
        };
        let parts = expand_kits(&[(sku.clone(), 1)], kits);
        let whole = parts
            .iter()
            .map(|(part, per)| {
                left.get(part.as_str())
                    .copied()
                    .unwrap_or(0)
                    .checked_div(*per)
                    .unwrap_or(0)
            })
            .min()
            .unwrap_or(0)
            .min(i64::from(l.quantity));
        if whole <= 0 {
            continue;
        }
        for (part, per) in &parts {
            if let Some(n) = left.get_mut(part.as_str()) {
                *n -= whole * per;
            }
        }
        lines.push(ShippedLine {
            line_id: l.line_id.clone(),
            quantity: u32::try_from(whole).unwrap_or(l.quantity),
        });
    }
    lines
}
