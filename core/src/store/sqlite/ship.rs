//! Recording parcels, for `switchyard ship` (a parcel leaving the merchant's own warehouses)
//! and for a partner's ship notice alike: the store loads the order, its reservations and the
//! lines of earlier parcels, [`crate::rules::parcel::record_parcel`] decides, and
//! [`apply_parcel`] writes what it decided in the caller's transaction.

use sqlx::Row;

use super::stock_sql::{self, Tx, mark_sku_dirty, record_movements};
use super::{SqliteStore, json_col, resolve_order, to_json};
use crate::model::{Order, Shipment};
use crate::rules::Reservation;
use crate::rules::parcel::{self, Parcel, ParcelInput, ReservationChange, Source};
use crate::store::{Result, ShipReceipt, StoreError, write_back_key};

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
            "SELECT o.channel_id, o.external_id, o.fulfil_state, d.location_id
             FROM orders o LEFT JOIN routing_decisions d ON d.order_id = o.id WHERE o.id = ?",
        )
        .bind(order_id)
        .fetch_one(&mut *tx)
        .await?;
        let channel_id: String = row.try_get("channel_id")?;
        let external_id: String = row.try_get("external_id")?;
        let state: String = row.try_get("fulfil_state")?;
        let decided: Option<String> = row.try_get("location_id")?;
        let key = write_back_key(&channel_id, &external_id, tracking_number);
        // Recording the same parcel twice is a no-op.
        if let Some(shipment_id) = recorded(&mut tx, order_id, tracking_number).await? {
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
        let source = Source::Locations {
            from,
            decided: decided.as_deref(),
        };
        let parcel = load_and_decide(&mut tx, order_id, source)
            .await?
            .map_err(|e| StoreError::Conflict(format!("order {order_ref}: {e}")))?;
        let written = apply_parcel(
            &mut tx,
            order_id,
            &parcel,
            carrier,
            tracking_number,
            now,
            now_ms,
        )
        .await?;
        tx.commit().await?;
        Ok(ShipReceipt {
            order_id,
            shipment_id: written.shipment_id,
            idempotency_key: written.write_back_key,
        })
    }
}

/// The shipment already recorded for this tracking number, if any.
pub(super) async fn recorded(tx: &mut Tx, order_id: i64, tracking: &str) -> Result<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM shipments WHERE order_id = ? AND tracking_number = ?")
            .bind(order_id)
            .bind(tracking)
            .fetch_optional(&mut **tx)
            .await?,
    )
}

/// Loads what the parcel rule needs and runs it; the rule's refusal is the inner error.
pub(super) async fn load_and_decide(
    tx: &mut Tx,
    order_id: i64,
    source: Source<'_>,
) -> Result<std::result::Result<Parcel, parcel::ParcelError>> {
    let row = sqlx::query("SELECT canonical FROM orders WHERE id = ?")
        .bind(order_id)
        .fetch_one(&mut **tx)
        .await?;
    let order: Order = json_col(&row, "canonical")?;
    let reserved: Vec<(String, Option<String>, i64)> = sqlx::query_as(
        "SELECT sku, location_id, quantity FROM reservations WHERE order_id = ? ORDER BY sku",
    )
    .bind(order_id)
    .fetch_all(&mut **tx)
    .await?;
    let reserved: Vec<Reservation> = reserved
        .into_iter()
        .map(|(sku, location, quantity)| Reservation {
            sku,
            location,
            quantity,
        })
        .collect();
    let already_shipped = stock_sql::shipped_lines(tx, order_id).await?;
    let kits = stock_sql::kits(tx).await?;
    Ok(parcel::record_parcel(ParcelInput {
        order: &order,
        reserved: &reserved,
        already_shipped: &already_shipped,
        kits: &kits,
        source,
    }))
}

/// What [`apply_parcel`] wrote.
pub(super) struct Written {
    pub shipment_id: i64,
    pub write_back_key: String,
    pub reference: String,
}

/// Writes a decided parcel: on-hand and reservations, the ledger, dirty listings, the shipment
/// with the lines it carries, the order `shipped` when it completes it, and the channel's
/// write-back in the outbox under its idempotency key — all in the caller's transaction.
pub(super) async fn apply_parcel(
    tx: &mut Tx,
    order_id: i64,
    parcel: &Parcel,
    carrier: &str,
    tracking: &str,
    shipped_at: chrono::DateTime<chrono::FixedOffset>,
    now: i64,
) -> Result<Written> {
    let row = sqlx::query("SELECT channel_id, external_id FROM orders WHERE id = ?")
        .bind(order_id)
        .fetch_one(&mut **tx)
        .await?;
    let channel_id: String = row.try_get("channel_id")?;
    let external_id: String = row.try_get("external_id")?;
    let cause = format!("shipment of order {channel_id}:{external_id}");
    let reference = format!("{cause} from {} ({tracking})", parcel.location);
    for l in &parcel.leaving {
        sqlx::query(
            "INSERT INTO on_hand (sku, location_id, quantity, updated_at) VALUES (?1, ?2, -?3, ?4)
             ON CONFLICT (sku, location_id) DO UPDATE SET quantity = quantity - ?3, updated_at = ?4",
        )
        .bind(&l.sku)
        .bind(&l.location)
        .bind(l.quantity)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    for change in &parcel.reservations {
        match change {
            ReservationChange::Shrink { sku, quantity } => {
                sqlx::query("UPDATE reservations SET quantity = ? WHERE order_id = ? AND sku = ?")
                    .bind(quantity)
                    .bind(order_id)
                    .bind(sku)
                    .execute(&mut **tx)
                    .await?;
            }
            ReservationChange::Remove { sku } => {
                sqlx::query("DELETE FROM reservations WHERE order_id = ? AND sku = ?")
                    .bind(order_id)
                    .bind(sku)
                    .execute(&mut **tx)
                    .await?;
            }
        }
    }
    for sku in &parcel.dirty_skus {
        mark_sku_dirty(tx, sku, &cause, now).await?;
    }
    record_movements(tx, &parcel.movements, &reference, now).await?;
    let shipment = Shipment {
        order_external_id: external_id.clone(),
        carrier: carrier.to_string(),
        tracking_number: tracking.to_string(),
        shipped_at,
        lines: parcel.lines.clone(),
    };
    let detail = to_json(&shipment)?;
    let shipment_id: i64 = sqlx::query_scalar(
        "INSERT INTO shipments (order_id, location_id, carrier, tracking_number, detail, shipped_at)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(order_id)
    .bind(&parcel.location)
    .bind(carrier)
    .bind(tracking)
    .bind(&detail)
    .bind(shipped_at.timestamp_millis())
    .fetch_one(&mut **tx)
    .await?;
    if parcel.completes_order {
        sqlx::query("UPDATE orders SET fulfil_state = 'shipped', updated_at = ? WHERE id = ?")
            .bind(now)
            .bind(order_id)
            .execute(&mut **tx)
            .await?;
    }
    crate::store::events_sql::order_event(tx, order_id, now, |h, _, _| {
        crate::events::shipped(
            h,
            &crate::events::ParcelFacts {
                location: &parcel.location,
                carrier,
                tracking_number: tracking,
                lines: &parcel.lines,
                completes_order: parcel.completes_order,
            },
        )
    })
    .await?;
    let write_back_key = write_back_key(&channel_id, &external_id, tracking);
    sqlx::query(
        "INSERT INTO outbox (kind, channel_id, idempotency_key, payload, cause, next_attempt_at, created_at)
         VALUES ('write_back_shipment', ?, ?, ?, ?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING",
    )
    .bind(&channel_id)
    .bind(&write_back_key)
    .bind(&detail)
    .bind(&reference)
    .bind(now)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(Written {
        shipment_id,
        write_back_key,
        reference,
    })
}
