//! Writing events from inside the PostgreSQL store's transactions, as `events_sql.rs` does for
//! SQLite (`switchyard_core::events` builds them): an event commits or rolls back with the
//! change it reports.
//!
//! Positions are `MAX(id) + 1` read and written inside that transaction, never a sequence: a
//! sequence hands out numbers at insert time, so a transaction holding 7 could commit after
//! one holding 8, and a reader that had seen 8 would skip 7 for good. Every write transaction
//! of this store first takes the store's advisory lock (`PgStore::write`) and keeps it until
//! it ends; PostgreSQL makes a commit visible before it releases the transaction's locks, so
//! the next writer's `MAX(id)` (READ COMMITTED: a fresh snapshot per statement) sees it.
//! Positions therefore grow in commit order, and the primary key refuses a writer that ever
//! bypassed the lock instead of letting two events share a position.

use std::collections::BTreeMap;

use sqlx::Row;
use sqlx::postgres::PgRow;

use crate::stock_sql::{Tx, kits};
use crate::{json_col, to_json};
use switchyard_core::events::{self, EventType, OrderEvent, OrderHead, PAYLOAD_VERSION};
use switchyard_core::model::Order;
use switchyard_core::rules::{Kits, Reservation};
use switchyard_core::store::{Result, corrupt};

/// Appends one event; returns its position.
pub(crate) async fn append<T: serde::Serialize>(
    tx: &mut Tx,
    kind: EventType,
    order_id: Option<i64>,
    sku: Option<&str>,
    data: &T,
    now: i64,
) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO events (id, type, version, at, order_id, sku, payload)
         SELECT COALESCE(MAX(id), 0) + 1, $1, $2, $3, $4, $5, $6 FROM events RETURNING id",
    )
    .bind(kind.as_str())
    .bind(PAYLOAD_VERSION)
    .bind(now)
    .bind(order_id)
    .bind(sku)
    .bind(to_json(data)?)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

/// What an order event is built from, as the transaction sees it now.
pub(crate) struct Loaded {
    pub channel: String,
    pub order: Order,
    pub reserved: Vec<Reservation>,
}

pub(crate) async fn load_order(tx: &mut Tx, order_id: i64) -> Result<Loaded> {
    let row = sqlx::query("SELECT channel_id, canonical FROM orders WHERE id = $1")
        .bind(order_id)
        .fetch_one(&mut **tx)
        .await?;
    let reserved = sqlx::query_as::<_, (String, Option<String>, i64)>(
        "SELECT sku, location_id, quantity FROM reservations WHERE order_id = $1 ORDER BY sku",
    )
    .bind(order_id)
    .fetch_all(&mut **tx)
    .await?
    .into_iter()
    .map(|(sku, location, quantity)| Reservation {
        sku,
        location,
        quantity,
    })
    .collect();
    Ok(Loaded {
        channel: row.try_get("channel_id")?,
        order: json_col(&row, "canonical")?,
        reserved,
    })
}

/// Loads the order, builds its event with `build` and appends it.
pub(crate) async fn order_event(
    tx: &mut Tx,
    order_id: i64,
    now: i64,
    build: impl FnOnce(&OrderHead<'_>, &Loaded, &Kits) -> (EventType, OrderEvent),
) -> Result<i64> {
    let loaded = load_order(tx, order_id).await?;
    let kits = if loaded.order.lines.is_empty() {
        BTreeMap::new()
    } else {
        kits(tx).await?
    };
    let head = OrderHead {
        order_id,
        channel: &loaded.channel,
        order: &loaded.order,
    };
    let (kind, data) = build(&head, &loaded, &kits);
    append(tx, kind, Some(order_id), None, &data, now).await
}

/// `stock.changed` for `sku` when its available level moved (see the SQLite twin).
pub(crate) async fn stock_event(tx: &mut Tx, sku: &str, now: i64) -> Result<()> {
    let row = sqlx::query(
        "SELECT
            (SELECT COUNT(*) FROM kit_components WHERE kit_sku = $1) AS is_kit,
            COALESCE((SELECT SUM(quantity) FROM on_hand WHERE sku = $1), 0)::BIGINT AS on_hand,
            COALESCE((SELECT SUM(quantity) FROM reservations WHERE sku = $1), 0)::BIGINT AS reserved,
            (SELECT available FROM event_stock_levels WHERE sku = $1) AS previous",
    )
    .bind(sku)
    .fetch_one(&mut **tx)
    .await?;
    let is_kit: i64 = row.try_get("is_kit")?;
    if is_kit > 0 {
        return Ok(());
    }
    let Some(event) = events::stock_changed(
        sku,
        row.try_get("on_hand")?,
        row.try_get("reserved")?,
        row.try_get("previous")?,
    ) else {
        return Ok(());
    };
    sqlx::query(
        "INSERT INTO event_stock_levels (sku, available) VALUES ($1, $2)
         ON CONFLICT (sku) DO UPDATE SET available = $2",
    )
    .bind(sku)
    .bind(event.available)
    .execute(&mut **tx)
    .await?;
    append(tx, EventType::StockChanged, None, Some(sku), &event, now).await?;
    Ok(())
}

/// A stored event row as readers get it.
pub(crate) fn event_row(r: &PgRow) -> Result<events::Event> {
    let kind: String = r.try_get("type")?;
    Ok(events::Event {
        id: r.try_get("id")?,
        kind: kind.parse().map_err(|e| corrupt("events.type", e))?,
        version: r.try_get("version")?,
        at: r.try_get("at")?,
        data: json_col(r, "payload")?,
    })
}
