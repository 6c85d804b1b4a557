//! SQLite implementation of [`Store`]: the embedded default.
//!
//! WAL journal so readers (the CLI, the admin API) never block the daemon's writers; write
//! transactions start with `BEGIN IMMEDIATE` so two writers queue on the lock instead of failing
//! to upgrade a read lock halfway through.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Row, Sqlite, Transaction};

use super::*;
use crate::model::{Order, OrderStatus, Shipment};
use crate::stock::reservation_delta;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

pub struct SqliteStore {
    /// Reads (WAL readers never wait for the writer).
    pool: SqlitePool,
    /// The one connection this process writes through: writers queue for it in order instead
    /// of polling SQLite's lock, whose busy handler sleeps up to 100 ms between tries and let a
    /// webhook wait behind a stream of normalizer transactions.
    writer: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating the file on first start) and migrates the database at `url`.
    pub async fn open(url: &str) -> Result<Self> {
        if !url.starts_with("sqlite:") {
            return Err(StoreError::UnsupportedUrl(url.to_string()));
        }
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // Durable against process crashes (what a kill -9 tests); see ARCHITECTURE.md.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.clone())
            .await?;
        MIGRATOR.run(&pool).await?;
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await?;
        Ok(Self { pool, writer })
    }

    async fn write(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?)
    }
}

fn corrupt(what: &str, detail: impl ToString) -> StoreError {
    StoreError::Corrupt {
        what: what.to_string(),
        detail: detail.to_string(),
    }
}

fn json_col<T: serde::de::DeserializeOwned>(row: &SqliteRow, col: &str) -> Result<T> {
    let text: String = row.try_get(col)?;
    serde_json::from_str(&text).map_err(|e| corrupt(col, e))
}

fn to_json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| corrupt("serializing", e))
}

/// Marks every channel listing of `sku` dirty. A listing already dirty gets a new `seq`, so a
/// push computed before this change cannot clear it.
async fn mark_sku_dirty(
    tx: &mut Transaction<'static, Sqlite>,
    sku: &str,
    cause: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO stock_dirty (channel_id, sku, seq, cause, attempts, next_attempt_at)
         SELECT channel_id, sku, 1, ?1, 0, ?2 FROM listings WHERE sku = ?3
         ON CONFLICT (channel_id, sku) DO UPDATE SET
            seq = stock_dirty.seq + 1, cause = excluded.cause, attempts = 0,
            next_attempt_at = excluded.next_attempt_at, last_error = NULL",
    )
    .bind(cause)
    .bind(now)
    .bind(sku)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Resolves `42`, `channel:external_id` or an order number to the internal order id.
async fn resolve_order(conn: &mut sqlx::SqliteConnection, order_ref: &str) -> Result<Option<i64>> {
    if let Ok(id) = order_ref.parse::<i64>() {
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM orders WHERE id = ?")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
        if found.is_some() {
            return Ok(found);
        }
    }
    if let Some((channel, ext)) = order_ref.split_once(':') {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT id FROM orders WHERE channel_id = ? AND external_id = ?")
                .bind(channel)
                .bind(ext)
                .fetch_optional(&mut *conn)
                .await?;
        if found.is_some() {
            return Ok(found);
        }
    }
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM orders WHERE number = ? OR external_id = ? LIMIT 2")
            .bind(order_ref)
            .bind(order_ref)
            .fetch_all(&mut *conn)
            .await?;
    match ids.as_slice() {
        [one] => Ok(Some(*one)),
        [] => Ok(None),
        _ => Err(StoreError::Conflict(format!(
            "`{order_ref}` matches several orders; use ID or CHANNEL:EXTERNAL_ID"
        ))),
    }
}

fn inbox_item(r: &SqliteRow) -> Result<InboxItem> {
    Ok(InboxItem {
        id: r.try_get("id")?,
        channel_id: r.try_get("channel_id")?,
        raw: RawOrder {
            format: r.try_get("format")?,
            external_id: r.try_get("external_id")?,
            dedup_key: r.try_get("dedup_key")?,
            topic: r.try_get("topic")?,
            body: r.try_get("body")?,
        },
    })
}

fn summary(row: &SqliteRow) -> Result<OrderSummary> {
    Ok(OrderSummary {
        id: row.try_get("id")?,
        channel_id: row.try_get("channel_id")?,
        external_id: row.try_get("external_id")?,
        number: row.try_get("number")?,
        status: row.try_get("status")?,
        payment_status: row.try_get("payment_status")?,
        fulfil_state: row.try_get("fulfil_state")?,
        versions: row.try_get("versions")?,
    })
}

const SUMMARY_COLS: &str =
    "id, channel_id, external_id, number, status, payment_status, fulfil_state, versions";

#[async_trait]
impl Store for SqliteStore {
    async fn insert_inbox(
        &self,
        channel_id: &str,
        source: Source,
        items: &[RawOrder],
        cursor: Option<&PollCursor>,
    ) -> Result<InboxInsert> {
        let now = now_ms();
        let mut tx = self.write().await?;
        let mut out = InboxInsert::default();
        for raw in items {
            let done = sqlx::query(
                "INSERT INTO inbox (channel_id, dedup_key, source, topic, format, external_id, body, received_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (channel_id, dedup_key) DO NOTHING",
            )
            .bind(channel_id)
            .bind(&raw.dedup_key)
            .bind(source.as_str())
            .bind(&raw.topic)
            .bind(&raw.format)
            .bind(&raw.external_id)
            .bind(&raw.body)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 1 {
                out.inserted += 1;
            } else {
                out.duplicates += 1;
            }
        }
        if let Some(cursor) = cursor {
            sqlx::query(
                "INSERT INTO poll_cursors (channel_id, cursor, updated_at) VALUES (?, ?, ?)
                 ON CONFLICT (channel_id) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at",
            )
            .bind(channel_id)
            .bind(to_json(cursor)?)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(out)
    }

    async fn poll_cursor(&self, channel_id: &str) -> Result<Option<PollCursor>> {
        let row = sqlx::query("SELECT cursor FROM poll_cursors WHERE channel_id = ?")
            .bind(channel_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| json_col(&r, "cursor")).transpose()
    }

    async fn pending_inbox(&self, limit: i64) -> Result<Vec<InboxItem>> {
        let rows = sqlx::query(
            "SELECT id, channel_id, dedup_key, topic, format, external_id, body FROM inbox
             WHERE state = 'pending' AND format <> 'thin' ORDER BY id LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(inbox_item).collect()
    }

    async fn pending_thin(&self, limit: i64) -> Result<Vec<InboxItem>> {
        let rows = sqlx::query(
            "SELECT id, channel_id, dedup_key, topic, format, external_id, body FROM inbox
             WHERE state = 'pending' AND format = 'thin' ORDER BY id LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(inbox_item).collect()
    }

    async fn resolve_thin(&self, item: &InboxItem, fetched: Option<&RawOrder>) -> Result<()> {
        let now = now_ms();
        let mut tx = self.write().await?;
        if let Some(raw) = fetched {
            sqlx::query(
                "INSERT INTO inbox (channel_id, dedup_key, source, topic, format, external_id, body, received_at)
                 VALUES (?, ?, 'fetch', ?, ?, ?, ?, ?) ON CONFLICT (channel_id, dedup_key) DO NOTHING",
            )
            .bind(&item.channel_id)
            .bind(&raw.dedup_key)
            .bind(&item.raw.topic)
            .bind(&raw.format)
            .bind(&raw.external_id)
            .bind(&raw.body)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("UPDATE inbox SET state = ?, processed_at = ?, error = NULL WHERE id = ?")
            .bind(if fetched.is_some() { "fetched" } else { "gone" })
            .bind(now)
            .bind(item.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn note_thin_error(&self, item: &InboxItem, error: &str) -> Result<()> {
        sqlx::query("UPDATE inbox SET error = ? WHERE id = ?")
            .bind(error)
            .bind(item.id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn apply_inbox(
        &self,
        item: &InboxItem,
        outcome: std::result::Result<&Order, &NormalizeError>,
    ) -> Result<Applied> {
        let now = now_ms();
        let mut tx = self.write().await?;
        let close_item = |state: &'static str, error: Option<String>| {
            sqlx::query("UPDATE inbox SET state = ?, error = ?, processed_at = ? WHERE id = ?")
                .bind(state)
                .bind(error)
                .bind(now)
                .bind(item.id)
        };
        let order = match outcome {
            Err(e) => {
                close_item("quarantined", Some(e.to_string()))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                return Ok(Applied::Quarantined);
            }
            Ok(order) => order,
        };
        let version = order.updated_at.timestamp_millis();
        let existing = sqlx::query(
            "SELECT id, channel_updated_at, fulfil_state FROM orders WHERE channel_id = ? AND external_id = ?",
        )
        .bind(&item.channel_id)
        .bind(&order.external_id)
        .fetch_optional(&mut *tx)
        .await?;
        let (order_id, current_state, new) = match existing {
            Some(row) => {
                let id: i64 = row.try_get("id")?;
                let known: i64 = row.try_get("channel_updated_at")?;
                if version < known {
                    close_item("stale", None).execute(&mut *tx).await?;
                    tx.commit().await?;
                    return Ok(Applied::Stale { order_id: id });
                }
                if version == known {
                    close_item("unchanged", None).execute(&mut *tx).await?;
                    tx.commit().await?;
                    return Ok(Applied::Unchanged { order_id: id });
                }
                let state: String = row.try_get("fulfil_state")?;
                (id, state, false)
            }
            None => (0, "waiting".to_string(), true),
        };

        let next_state = match current_state.as_str() {
            "shipped" | "closed" => current_state.clone(),
            _ if order.status != OrderStatus::Open => "closed".to_string(),
            "waiting" if order.is_routable() => "to_route".to_string(),
            _ => current_state.clone(),
        };
        let canonical = to_json(order)?;
        let order_id = if new {
            sqlx::query_scalar(
                "INSERT INTO orders (channel_id, external_id, number, status, payment_status,
                    channel_updated_at, canonical, fulfil_state, created_at, updated_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(&item.channel_id)
            .bind(&order.external_id)
            .bind(&order.number)
            .bind(order.status.as_str())
            .bind(order.payment_status.as_str())
            .bind(version)
            .bind(&canonical)
            .bind(&next_state)
            .bind(now)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?
        } else {
            sqlx::query(
                "UPDATE orders SET number = ?, status = ?, payment_status = ?, channel_updated_at = ?,
                    canonical = ?, fulfil_state = ?, versions = versions + 1, updated_at = ? WHERE id = ?",
            )
            .bind(&order.number)
            .bind(order.status.as_str())
            .bind(order.payment_status.as_str())
            .bind(version)
            .bind(&canonical)
            .bind(&next_state)
            .bind(now)
            .bind(order_id)
            .execute(&mut *tx)
            .await?;
            order_id
        };

        // Reservations follow the order: held while open and not yet shipped, released otherwise.
        let target = if order.reserves_stock() && next_state != "shipped" && next_state != "closed"
        {
            order.sku_quantities()
        } else {
            Vec::new()
        };
        let before: Vec<(String, i64)> =
            sqlx::query_as("SELECT sku, quantity FROM reservations WHERE order_id = ?")
                .bind(order_id)
                .fetch_all(&mut *tx)
                .await?;
        let delta = reservation_delta(&before, &target);
        if !delta.is_empty() {
            let location: Option<String> =
                sqlx::query_scalar("SELECT location_id FROM routing_decisions WHERE order_id = ?")
                    .bind(order_id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .flatten();
            sqlx::query("DELETE FROM reservations WHERE order_id = ?")
                .bind(order_id)
                .execute(&mut *tx)
                .await?;
            for (sku, qty) in &target {
                sqlx::query(
                    "INSERT INTO reservations (order_id, sku, location_id, quantity) VALUES (?, ?, ?, ?)",
                )
                .bind(order_id)
                .bind(sku)
                .bind(&location)
                .bind(qty)
                .execute(&mut *tx)
                .await?;
            }
            let cause = format!("order {}:{}", item.channel_id, order.external_id);
            for (sku, _) in &delta {
                mark_sku_dirty(&mut tx, sku, &cause, now).await?;
            }
        }
        close_item("applied", None).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(Applied::Changed { order_id, new })
    }

    async fn quarantined(&self, limit: i64) -> Result<Vec<QuarantineRow>> {
        let rows = sqlx::query(
            "SELECT id, channel_id, source, topic, external_id, received_at, error FROM inbox
             WHERE state = 'quarantined' ORDER BY id DESC LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(QuarantineRow {
                    inbox_id: r.try_get("id")?,
                    channel_id: r.try_get("channel_id")?,
                    source: r.try_get("source")?,
                    topic: r.try_get("topic")?,
                    external_id: r.try_get("external_id")?,
                    received_at: r.try_get("received_at")?,
                    reason: r.try_get::<Option<String>, _>("error")?.unwrap_or_default(),
                })
            })
            .collect()
    }

    async fn orders_to_route(&self, limit: i64) -> Result<Vec<RoutableOrder>> {
        let rows = sqlx::query(
            "SELECT id, channel_id, canonical FROM orders WHERE fulfil_state = 'to_route' ORDER BY id LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(RoutableOrder {
                    order_id: r.try_get("id")?,
                    channel_id: r.try_get("channel_id")?,
                    order: json_col(r, "canonical")?,
                })
            })
            .collect()
    }

    async fn record_route(&self, order_id: i64, decision: &RouteDecision) -> Result<()> {
        let now = now_ms();
        let mut tx = self.write().await?;
        let state = if decision.location_id.is_some() {
            "routed"
        } else {
            "held"
        };
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
            sqlx::query(
                "INSERT INTO routing_decisions (order_id, location_id, rule, explanation, decided_at)
                 VALUES (?, ?, ?, ?, ?) ON CONFLICT (order_id) DO UPDATE SET
                 location_id = excluded.location_id, rule = excluded.rule,
                 explanation = excluded.explanation, decided_at = excluded.decided_at",
            )
            .bind(order_id)
            .bind(&decision.location_id)
            .bind(&decision.rule)
            .bind(&decision.explanation)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE reservations SET location_id = ? WHERE order_id = ?")
                .bind(&decision.location_id)
                .bind(order_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn picks(&self, location_id: Option<&str>) -> Result<Vec<PickLine>> {
        let rows = sqlx::query(
            "SELECT o.id, o.channel_id, o.number, o.canonical, d.location_id FROM orders o
             JOIN routing_decisions d ON d.order_id = o.id
             WHERE o.fulfil_state = 'routed' AND (?1 IS NULL OR d.location_id = ?1) ORDER BY o.id",
        )
        .bind(location_id)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for r in &rows {
            let order: Order = json_col(r, "canonical")?;
            let location: Option<String> = r.try_get("location_id")?;
            for line in &order.lines {
                out.push(PickLine {
                    order_id: r.try_get("id")?,
                    channel_id: r.try_get("channel_id")?,
                    order_number: r.try_get("number")?,
                    location_id: location.clone().unwrap_or_default(),
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

    async fn ship(
        &self,
        order_ref: &str,
        carrier: &str,
        tracking_number: &str,
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
        if state == "shipped" {
            // Shipping the same parcel twice is a no-op; a different parcel is a mistake.
            let existing: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM shipments WHERE order_id = ? AND tracking_number = ?",
            )
            .bind(order_id)
            .bind(tracking_number)
            .fetch_optional(&mut *tx)
            .await?;
            return match existing {
                Some(shipment_id) => Ok(ShipReceipt {
                    order_id,
                    shipment_id,
                    idempotency_key: key,
                }),
                None => Err(StoreError::Conflict(format!(
                    "order {order_ref} was already shipped with another tracking number"
                ))),
            };
        }
        if state != "routed" {
            return Err(StoreError::Conflict(format!(
                "order {order_ref} cannot ship: it is `{state}` (only routed orders ship)"
            )));
        }
        let location: String = row
            .try_get::<Option<String>, _>("location_id")?
            .ok_or_else(|| StoreError::Conflict(format!("order {order_ref} has no location")))?;
        let order: Order = json_col(&row, "canonical")?;
        let shipment = Shipment {
            order_external_id: external_id.clone(),
            carrier: carrier.to_string(),
            tracking_number: tracking_number.to_string(),
            shipped_at: now,
            lines: order
                .lines
                .iter()
                .map(|l| crate::model::ShippedLine {
                    line_id: l.line_id.clone(),
                    quantity: l.quantity,
                })
                .collect(),
        };
        let reserved: Vec<(String, i64)> =
            sqlx::query_as("SELECT sku, quantity FROM reservations WHERE order_id = ?")
                .bind(order_id)
                .fetch_all(&mut *tx)
                .await?;
        sqlx::query("DELETE FROM reservations WHERE order_id = ?")
            .bind(order_id)
            .execute(&mut *tx)
            .await?;
        let cause = format!("shipment of order {channel_id}:{external_id}");
        for (sku, qty) in order.sku_quantities() {
            sqlx::query(
                "INSERT INTO on_hand (sku, location_id, quantity, updated_at) VALUES (?1, ?2, -?3, ?4)
                 ON CONFLICT (sku, location_id) DO UPDATE SET quantity = quantity - ?3, updated_at = ?4",
            )
            .bind(&sku)
            .bind(&location)
            .bind(qty)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
            mark_sku_dirty(&mut tx, &sku, &cause, now_ms).await?;
        }
        for (sku, _) in reserved {
            mark_sku_dirty(&mut tx, &sku, &cause, now_ms).await?;
        }
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
        sqlx::query("UPDATE orders SET fulfil_state = 'shipped', updated_at = ? WHERE id = ?")
            .bind(now_ms)
            .bind(order_id)
            .execute(&mut *tx)
            .await?;
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

    async fn set_on_hand(
        &self,
        location_id: &str,
        levels: &[(String, i64)],
        cause: &str,
    ) -> Result<()> {
        let now = now_ms();
        let mut tx = self.write().await?;
        for (sku, qty) in levels {
            let changed = sqlx::query(
                "INSERT INTO on_hand (sku, location_id, quantity, updated_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (sku, location_id) DO UPDATE SET quantity = ?3, updated_at = ?4
                 WHERE on_hand.quantity <> ?3",
            )
            .bind(sku)
            .bind(location_id)
            .bind(qty)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if changed.rows_affected() > 0 {
                mark_sku_dirty(&mut tx, sku, cause, now).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn stock(&self, sku: Option<&str>) -> Result<Vec<OnHandRow>> {
        let rows = sqlx::query(
            "SELECT h.sku, h.location_id, h.quantity,
                COALESCE((SELECT SUM(r.quantity) FROM reservations r WHERE r.sku = h.sku
                          AND (r.location_id IS NULL OR r.location_id = h.location_id)), 0) AS reserved
             FROM on_hand h WHERE (?1 IS NULL OR h.sku = ?1) ORDER BY h.sku, h.location_id",
        )
        .bind(sku)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(OnHandRow {
                    sku: r.try_get("sku")?,
                    location_id: r.try_get("location_id")?,
                    on_hand: r.try_get("quantity")?,
                    reserved: r.try_get("reserved")?,
                })
            })
            .collect()
    }

    async fn all_skus(&self) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT sku FROM on_hand UNION SELECT sku FROM reservations ORDER BY 1",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    async fn unlisted_skus(&self, channel_id: &str) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT h.sku FROM on_hand h WHERE NOT EXISTS
                (SELECT 1 FROM listings l WHERE l.channel_id = ?1 AND l.sku = h.sku)
             UNION
             SELECT r.sku FROM reservations r WHERE NOT EXISTS
                (SELECT 1 FROM listings l WHERE l.channel_id = ?1 AND l.sku = r.sku)
             ORDER BY 1",
        )
        .bind(channel_id)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn upsert_listings(
        &self,
        channel_id: &str,
        listings: &[Listing],
        source: &str,
    ) -> Result<()> {
        let now = now_ms();
        let mut tx = self.write().await?;
        for l in listings {
            // A configured mapping is never replaced by a discovered one.
            sqlx::query(
                "INSERT INTO listings (channel_id, sku, reference, source, channel_quantity) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (channel_id, sku) DO UPDATE SET reference = excluded.reference,
                    source = excluded.source,
                    channel_quantity = COALESCE(excluded.channel_quantity, listings.channel_quantity)
                 WHERE listings.source = 'discovered' OR excluded.source = 'configured'",
            )
            .bind(channel_id)
            .bind(&l.sku)
            .bind(to_json(&l.reference)?)
            .bind(source)
            .bind(l.channel_quantity)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO stock_dirty (channel_id, sku, seq, cause, attempts, next_attempt_at)
                 VALUES (?1, ?2, 1, 'listing discovered', 0, ?3)
                 ON CONFLICT (channel_id, sku) DO UPDATE SET seq = stock_dirty.seq + 1",
            )
            .bind(channel_id)
            .bind(&l.sku)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn listings(&self, channel_id: Option<&str>) -> Result<Vec<ListingRow>> {
        let rows = sqlx::query(
            "SELECT l.channel_id, l.sku, l.source, l.channel_quantity,
                EXISTS (SELECT 1 FROM stock_dirty d WHERE d.channel_id = l.channel_id AND d.sku = l.sku) AS dirty
             FROM listings l WHERE (?1 IS NULL OR l.channel_id = ?1) ORDER BY l.channel_id, l.sku",
        )
        .bind(channel_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ListingRow {
                    channel_id: r.try_get("channel_id")?,
                    sku: r.try_get("sku")?,
                    source: r.try_get("source")?,
                    channel_quantity: r.try_get("channel_quantity")?,
                    dirty: r.try_get("dirty")?,
                })
            })
            .collect()
    }

    async fn due_dirty(
        &self,
        channel_id: &str,
        locations: &[String],
        now_ms: i64,
        limit: i64,
    ) -> Result<Vec<DirtyListing>> {
        // Location ids are bound, never interpolated; only the placeholder list is built.
        // Ordered by the due index alone: a tiebreak on SKU made SQLite sort every due row
        // (and run both subqueries for each) before the LIMIT, 0.4 s a call at 100,000 SKUs.
        let marks = vec!["?"; locations.len().max(1)].join(", ");
        let sql = format!(
            "SELECT d.sku, d.seq, d.attempts, l.reference, l.channel_quantity,
                COALESCE((SELECT SUM(h.quantity) FROM on_hand h WHERE h.sku = d.sku AND h.location_id IN ({marks})), 0) AS on_hand,
                COALESCE((SELECT SUM(r.quantity) FROM reservations r WHERE r.sku = d.sku
                          AND (r.location_id IS NULL OR r.location_id IN ({marks}))), 0) AS reserved
             FROM stock_dirty d JOIN listings l ON l.channel_id = d.channel_id AND l.sku = d.sku
             WHERE d.channel_id = ? AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at LIMIT ?"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for _ in 0..2 {
            if locations.is_empty() {
                q = q.bind("");
            }
            for loc in locations {
                q = q.bind(loc);
            }
        }
        let rows = q
            .bind(channel_id)
            .bind(now_ms)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(DirtyListing {
                    sku: r.try_get("sku")?,
                    seq: r.try_get("seq")?,
                    attempts: r.try_get("attempts")?,
                    reference: json_col(r, "reference")?,
                    channel_quantity: r.try_get("channel_quantity")?,
                    on_hand: r.try_get("on_hand")?,
                    reserved: r.try_get("reserved")?,
                })
            })
            .collect()
    }

    async fn begin_push(&self, channel_id: &str, skus: &[String]) -> Result<()> {
        // One statement for the whole batch (see `record_push`).
        sqlx::query(
            "UPDATE listings SET channel_quantity = NULL
             WHERE channel_id = ?1 AND sku IN (SELECT value FROM json_each(?2))",
        )
        .bind(channel_id)
        .bind(to_json(&skus)?)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn record_push(&self, channel_id: &str, outcomes: &[PushOutcome]) -> Result<()> {
        let now = now_ms();
        let mut tx = self.write().await?;
        record_applied(&mut tx, channel_id, outcomes, now).await?;
        for o in outcomes {
            match &o.kind {
                // Written above, a whole batch per statement.
                PushOutcomeKind::Applied { .. } | PushOutcomeKind::Unchanged => {}
                PushOutcomeKind::Stale { channel_quantity } => {
                    sqlx::query(
                        "UPDATE listings SET channel_quantity = ? WHERE channel_id = ? AND sku = ?",
                    )
                    .bind(channel_quantity)
                    .bind(channel_id)
                    .bind(&o.sku)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query(
                        "UPDATE stock_dirty SET attempts = attempts + 1, next_attempt_at = ?,
                            last_error = 'compare-and-set: channel level changed'
                         WHERE channel_id = ? AND sku = ?",
                    )
                    .bind(now)
                    .bind(channel_id)
                    .bind(&o.sku)
                    .execute(&mut *tx)
                    .await?;
                }
                PushOutcomeKind::Failed {
                    error,
                    retry_at: Some(at),
                    ..
                } => {
                    sqlx::query(
                        "UPDATE stock_dirty SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?
                         WHERE channel_id = ? AND sku = ?",
                    )
                    .bind(at)
                    .bind(error)
                    .bind(channel_id)
                    .bind(&o.sku)
                    .execute(&mut *tx)
                    .await?;
                }
                PushOutcomeKind::Failed {
                    error,
                    retry_at: None,
                    quantity,
                } => {
                    let row = sqlx::query(
                        "DELETE FROM stock_dirty WHERE channel_id = ? AND sku = ? RETURNING attempts, cause",
                    )
                    .bind(channel_id)
                    .bind(&o.sku)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if let Some(row) = row {
                        let attempts: i64 = row.try_get("attempts")?;
                        let cause: String = row.try_get("cause")?;
                        sqlx::query(
                            "INSERT INTO dead_letters (kind, channel_id, idempotency_key, payload, cause, attempts, last_error, failed_at)
                             VALUES ('stock_push', ?, ?, ?, ?, ?, ?, ?)",
                        )
                        .bind(channel_id)
                        .bind(format!("stock:{channel_id}:{}:{}", o.sku, o.seq))
                        .bind(to_json(&serde_json::json!({"sku": o.sku, "quantity": quantity}))?)
                        .bind(cause)
                        .bind(attempts + 1)
                        .bind(error)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    }
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn mark_channel_dirty(&self, channel_id: &str, cause: &str) -> Result<u64> {
        let now = now_ms();
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "INSERT INTO stock_dirty (channel_id, sku, seq, cause, attempts, next_attempt_at)
             SELECT channel_id, sku, 1, ?1, 0, ?2 FROM listings WHERE channel_id = ?3
             ON CONFLICT (channel_id, sku) DO UPDATE SET seq = stock_dirty.seq + 1,
                attempts = 0, next_attempt_at = excluded.next_attempt_at",
        )
        .bind(cause)
        .bind(now)
        .bind(channel_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    async fn due_outbox(&self, now_ms: i64, limit: i64) -> Result<Vec<OutboxItem>> {
        let rows = sqlx::query(
            "SELECT id, kind, channel_id, idempotency_key, payload, attempts FROM outbox
             WHERE done_at IS NULL AND next_attempt_at <= ? ORDER BY id LIMIT ?",
        )
        .bind(now_ms)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(OutboxItem {
                    id: r.try_get("id")?,
                    kind: r.try_get("kind")?,
                    channel_id: r.try_get("channel_id")?,
                    idempotency_key: r.try_get("idempotency_key")?,
                    payload: json_col(r, "payload")?,
                    attempts: r.try_get("attempts")?,
                })
            })
            .collect()
    }

    async fn complete_outbox(&self, id: i64) -> Result<()> {
        sqlx::query("UPDATE outbox SET done_at = ?, attempts = attempts + 1 WHERE id = ?")
            .bind(now_ms())
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn fail_outbox(&self, id: i64, error: &str, retry_at: Option<i64>) -> Result<()> {
        let now = now_ms();
        let mut tx = self.write().await?;
        match retry_at {
            Some(at) => {
                sqlx::query(
                    "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?",
                )
                .bind(at)
                .bind(error)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
            None => {
                // Moved, not copied: the key is free again for a replay.
                sqlx::query(
                    "INSERT INTO dead_letters (kind, channel_id, idempotency_key, payload, cause, attempts, last_error, failed_at)
                     SELECT kind, channel_id, idempotency_key, payload, cause, attempts + 1, ?, ? FROM outbox WHERE id = ?",
                )
                .bind(error)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM outbox WHERE id = ?")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn dead_letters(&self, limit: i64) -> Result<Vec<DeadLetter>> {
        let rows = sqlx::query(
            "SELECT id, kind, channel_id, idempotency_key, payload, cause, attempts, last_error, failed_at, replayed_at
             FROM dead_letters ORDER BY id DESC LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DeadLetter {
                    id: r.try_get("id")?,
                    kind: r.try_get("kind")?,
                    channel_id: r.try_get("channel_id")?,
                    idempotency_key: r.try_get("idempotency_key")?,
                    payload: json_col(r, "payload")?,
                    cause: r.try_get("cause")?,
                    attempts: r.try_get("attempts")?,
                    last_error: r.try_get("last_error")?,
                    failed_at: r.try_get("failed_at")?,
                    replayed_at: r.try_get("replayed_at")?,
                })
            })
            .collect()
    }

    async fn replay_dead_letter(&self, id: i64) -> Result<()> {
        let now = now_ms();
        let mut tx = self.write().await?;
        let row = sqlx::query(
            "SELECT kind, channel_id, idempotency_key, payload, cause, replayed_at FROM dead_letters WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("dead letter {id}")))?;
        if row.try_get::<Option<i64>, _>("replayed_at")?.is_some() {
            return Err(StoreError::Conflict(format!(
                "dead letter {id} was already replayed"
            )));
        }
        let kind: String = row.try_get("kind")?;
        let channel_id: String = row.try_get("channel_id")?;
        match kind.as_str() {
            "stock_push" => {
                // The level is recomputed from today's numbers, never resent from the letter.
                let payload: serde_json::Value = json_col(&row, "payload")?;
                let sku = payload
                    .get("sku")
                    .and_then(|s| s.as_str())
                    .ok_or_else(|| corrupt("dead letter payload", "no sku"))?;
                sqlx::query(
                    "INSERT INTO stock_dirty (channel_id, sku, seq, cause, attempts, next_attempt_at)
                     VALUES (?1, ?2, 1, 'dead letter replayed', 0, ?3)
                     ON CONFLICT (channel_id, sku) DO UPDATE SET seq = stock_dirty.seq + 1, attempts = 0,
                        next_attempt_at = excluded.next_attempt_at",
                )
                .bind(&channel_id)
                .bind(sku)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            _ => {
                sqlx::query(
                    "INSERT INTO outbox (kind, channel_id, idempotency_key, payload, cause, next_attempt_at, created_at)
                     SELECT kind, channel_id, idempotency_key, payload, cause, ?1, ?1 FROM dead_letters WHERE id = ?2",
                )
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
        }
        sqlx::query("UPDATE dead_letters SET replayed_at = ? WHERE id = ?")
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn orders(&self, limit: i64) -> Result<Vec<OrderSummary>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SUMMARY_COLS} FROM orders ORDER BY id DESC LIMIT ?"
        )))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(summary).collect()
    }

    async fn order(&self, order_ref: &str) -> Result<Option<OrderDetail>> {
        let mut conn = self.pool.acquire().await?;
        let Some(id) = resolve_order(&mut conn, order_ref).await? else {
            return Ok(None);
        };
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SUMMARY_COLS}, canonical FROM orders WHERE id = ?"
        )))
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
        let decision = sqlx::query(
            "SELECT location_id, rule, explanation FROM routing_decisions WHERE order_id = ?",
        )
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| -> Result<RouteDecision> {
            Ok(RouteDecision {
                location_id: r.try_get("location_id")?,
                rule: r.try_get("rule")?,
                explanation: r.try_get("explanation")?,
            })
        })
        .transpose()?;
        let reservations = sqlx::query_as(
            "SELECT sku, location_id, quantity FROM reservations WHERE order_id = ? ORDER BY sku",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
        let shipments = sqlx::query(
            "SELECT id, location_id, carrier, tracking_number, shipped_at FROM shipments WHERE order_id = ? ORDER BY id",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| {
            Ok(ShipmentRow {
                id: r.try_get("id")?,
                location_id: r.try_get("location_id")?,
                carrier: r.try_get("carrier")?,
                tracking_number: r.try_get("tracking_number")?,
                shipped_at: r.try_get("shipped_at")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        Ok(Some(OrderDetail {
            summary: summary(&row)?,
            order: json_col(&row, "canonical")?,
            decision,
            reservations,
            shipments,
        }))
    }

    async fn counts(&self) -> Result<Counts> {
        let row = sqlx::query(
            "SELECT
                (SELECT COUNT(*) FROM inbox WHERE state = 'pending') AS inbox_pending,
                (SELECT COUNT(*) FROM inbox WHERE state = 'quarantined') AS quarantined,
                (SELECT COUNT(*) FROM orders) AS orders,
                (SELECT COUNT(*) FROM orders WHERE fulfil_state = 'to_route') AS to_route,
                (SELECT COUNT(*) FROM stock_dirty) AS stock_dirty,
                (SELECT COUNT(*) FROM outbox WHERE done_at IS NULL) AS outbox_pending,
                (SELECT COUNT(*) FROM dead_letters WHERE replayed_at IS NULL) AS dead_letters",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(Counts {
            inbox_pending: row.try_get("inbox_pending")?,
            quarantined: row.try_get("quarantined")?,
            orders: row.try_get("orders")?,
            to_route: row.try_get("to_route")?,
            stock_dirty: row.try_get("stock_dirty")?,
            outbox_pending: row.try_get("outbox_pending")?,
            dead_letters: row.try_get("dead_letters")?,
        })
    }
}

/// Records every applied level and clears the dirty marks of applied and unchanged listings
/// (only where `seq` is unchanged), three statements for the whole batch: one statement per
/// SKU made each a round trip to SQLite's worker thread, most of a large push's CPU time.
async fn record_applied(
    tx: &mut Transaction<'static, Sqlite>,
    channel_id: &str,
    outcomes: &[PushOutcome],
    now: i64,
) -> Result<()> {
    let mut applied = Vec::new();
    let mut settled = Vec::new();
    for o in outcomes {
        match &o.kind {
            PushOutcomeKind::Applied {
                quantity,
                on_hand,
                reserved,
                buffer,
            } => {
                applied.push((&o.sku, quantity, on_hand, reserved, buffer));
                settled.push((&o.sku, o.seq));
            }
            PushOutcomeKind::Unchanged => settled.push((&o.sku, o.seq)),
            _ => {}
        }
    }
    if !applied.is_empty() {
        let rows = to_json(&applied)?;
        // An upsert that only ever updates: each row finds its listing through the key.
        sqlx::query(
            "INSERT INTO listings (channel_id, sku, reference, source, channel_quantity, last_pushed_at)
             SELECT ?1, json_extract(j.value, '$[0]'), '', '', json_extract(j.value, '$[1]'), ?3
             FROM json_each(?2) AS j
             WHERE EXISTS (SELECT 1 FROM listings l
                           WHERE l.channel_id = ?1 AND l.sku = json_extract(j.value, '$[0]'))
             ON CONFLICT (channel_id, sku) DO UPDATE SET
                channel_quantity = excluded.channel_quantity, last_pushed_at = excluded.last_pushed_at",
        )
        .bind(channel_id)
        .bind(&rows)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "INSERT INTO stock_pushes (channel_id, sku, quantity, on_hand, reserved, buffer, pushed_at)
             SELECT ?1, json_extract(value, '$[0]'), json_extract(value, '$[1]'),
                json_extract(value, '$[2]'), json_extract(value, '$[3]'), json_extract(value, '$[4]'), ?3
             FROM json_each(?2)",
        )
        .bind(channel_id)
        .bind(&rows)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    if !settled.is_empty() {
        sqlx::query(
            "DELETE FROM stock_dirty WHERE channel_id = ?1 AND (sku, seq) IN
                (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?2))",
        )
        .bind(channel_id)
        .bind(to_json(&settled)?)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
