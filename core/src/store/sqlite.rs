//! SQLite implementation of [`Store`]: the embedded default.
//!
//! WAL journal so readers (the CLI, the admin API) never block the daemon's writers; write
//! transactions start with `BEGIN IMMEDIATE` so two writers queue on the lock instead of failing
//! to upgrade a read lock halfway through.

use std::str::FromStr;
use std::time::Duration;

use std::future::Future;
use std::pin::Pin;

use async_trait::async_trait;
use sqlx::pool::PoolConnectionMetadata;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteRow, SqliteSynchronous,
};
use sqlx::{Connection, Row, Sqlite, Transaction};

use super::events_sql;
use super::stock_sql::{self, Which, mark_sku_dirty, record_movements};
use super::*;
use crate::events;
use crate::model::Order;
use crate::rules::Reservation;
use crate::rules::order_version::{Known, VersionInput, VersionOutcome, apply_version};
use crate::rules::rma::{Disposition, RmaLine};
use crate::stock::{Account, Movement};

mod cancel;
mod event_log;
mod exceptions;
mod fulfil;
mod kpi;
mod leases;
mod operator;
mod reroute;
mod returns;
mod route;
mod ship;
mod state;
mod target_inbox;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

#[derive(Clone)]
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
            .after_release(discard_if_in_transaction)
            .connect_with(options.clone())
            .await?;
        MIGRATOR.run(&pool).await?;
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .after_release(discard_if_in_transaction)
            .connect_with(options)
            .await?;
        Ok(Self { pool, writer })
    }

    async fn write(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?)
    }
}

/// Closes a connection that comes back to its pool still inside a transaction, so the pool
/// opens a fresh one. After "database or disk is full" SQLite may already have rolled the
/// transaction back itself; sqlx's own ROLLBACK then fails and leaves the connection believing
/// it is in a transaction, so every later `BEGIN` failed ("begin_with at non-zero transaction
/// depth") until a restart. The ping first runs the rollback a dropped transaction queued.
fn discard_if_in_transaction(
    conn: &mut SqliteConnection,
    _meta: PoolConnectionMetadata,
) -> Pin<Box<dyn Future<Output = std::result::Result<bool, sqlx::Error>> + Send + '_>> {
    Box::pin(async move {
        conn.ping().await?;
        let clean = !conn.is_in_transaction();
        if !clean {
            // The failure itself was returned (and logged) by the call that made it.
            tracing::debug!(
                "a store connection was left inside a failed transaction; replacing it"
            );
        }
        Ok(clean)
    })
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

/// An order the channel still expects us to ship whose ship-by falls before the bound
/// (`now + margin`, see `lifecycle::at_risk`).
const AT_RISK: &str = "ship_by_ms IS NOT NULL AND ship_by_ms < ?
    AND status IN ('open', 'partially_fulfilled')
    AND fulfil_state NOT IN ('shipped', 'closed')";

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

    async fn pending_thin(&self, channel_id: &str, limit: i64) -> Result<Vec<InboxItem>> {
        let rows = sqlx::query(
            "SELECT id, channel_id, dedup_key, topic, format, external_id, body FROM inbox
             WHERE state = 'pending' AND format = 'thin' AND channel_id = ? ORDER BY id LIMIT ?",
        )
        .bind(channel_id)
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

    async fn apply_inbox_held(
        &self,
        item: &InboxItem,
        outcome: std::result::Result<&Order, &NormalizeError>,
        hold_new_ms: i64,
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
            "SELECT id, channel_updated_at, fulfil_state, status FROM orders WHERE channel_id = ? AND external_id = ?",
        )
        .bind(&item.channel_id)
        .bind(&order.external_id)
        .fetch_optional(&mut *tx)
        .await?;
        let previous_status: Option<String> = match &existing {
            Some(row) => Some(row.try_get("status")?),
            None => None,
        };
        let (order_id, known) = match existing {
            Some(row) => {
                let state: String = row.try_get("fulfil_state")?;
                let known = Known {
                    version: row.try_get("channel_updated_at")?,
                    state: state
                        .parse()
                        .map_err(|e| corrupt("orders.fulfil_state", e))?,
                };
                (row.try_get::<i64, _>("id")?, Some(known))
            }
            None => (0, None),
        };
        // A first version has nothing stored to read: no reservations, decision or parcels.
        let (reserved, routed_to, parcels, shipped) = if known.is_none() {
            (Vec::new(), None, 0, Vec::new())
        } else {
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
            let routed_to: Option<String> =
                sqlx::query_scalar("SELECT location_id FROM routing_decisions WHERE order_id = ?")
                    .bind(order_id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .flatten();
            let parcels: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM shipments WHERE order_id = ?")
                    .bind(order_id)
                    .fetch_one(&mut *tx)
                    .await?;
            let mut shipped = stock_sql::shipped_lines(&mut tx, order_id).await?;
            // Units cancelled on the channel are not to ship either (migration 0012).
            shipped.extend(cancel::cancelled_lines(&mut tx, order_id).await?);
            (reserved, routed_to, parcels, shipped)
        };
        let kits = stock_sql::kits(&mut tx).await?;
        let change = match apply_version(VersionInput {
            order,
            known,
            reserved: &reserved,
            routed_to: routed_to.as_deref(),
            shipped: &shipped,
            has_parcels: parcels > 0,
            kits: &kits,
        }) {
            VersionOutcome::Stale => {
                close_item("stale", None).execute(&mut *tx).await?;
                tx.commit().await?;
                return Ok(Applied::Stale { order_id });
            }
            VersionOutcome::Unchanged => {
                close_item("unchanged", None).execute(&mut *tx).await?;
                tx.commit().await?;
                return Ok(Applied::Unchanged { order_id });
            }
            VersionOutcome::Apply(change) => change,
        };
        let new = change.new;
        let canonical = to_json(order)?;
        let order_id = if new {
            sqlx::query_scalar(
                "INSERT INTO orders (channel_id, external_id, number, status, payment_status,
                    channel_updated_at, canonical, fulfil_state, created_at, updated_at,
                    ship_by_ms, deliver_by_ms, route_after_ms)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(&item.channel_id)
            .bind(&order.external_id)
            .bind(&order.number)
            .bind(order.status.as_str())
            .bind(order.payment_status.as_str())
            .bind(version)
            .bind(&canonical)
            .bind(change.state.as_str())
            .bind(now)
            .bind(now)
            .bind(order.ship_by.map(|t| t.timestamp_millis()))
            .bind(order.deliver_by.map(|t| t.timestamp_millis()))
            .bind((hold_new_ms > 0).then(|| now.saturating_add(hold_new_ms)))
            .fetch_one(&mut *tx)
            .await?
        } else {
            sqlx::query(
                "UPDATE orders SET number = ?, status = ?, payment_status = ?, channel_updated_at = ?,
                    canonical = ?, fulfil_state = ?, versions = versions + 1, updated_at = ?,
                    ship_by_ms = ?, deliver_by_ms = ? WHERE id = ?",
            )
            .bind(&order.number)
            .bind(order.status.as_str())
            .bind(order.payment_status.as_str())
            .bind(version)
            .bind(&canonical)
            .bind(change.state.as_str())
            .bind(now)
            .bind(order.ship_by.map(|t| t.timestamp_millis()))
            .bind(order.deliver_by.map(|t| t.timestamp_millis()))
            .bind(order_id)
            .execute(&mut *tx)
            .await?;
            order_id
        };
        if new {
            events_sql::order_event(&mut tx, order_id, now, |h, _, _| events::received(h)).await?;
        }
        if events::becomes_cancelled(previous_status.as_deref(), order) {
            events_sql::order_event(&mut tx, order_id, now, |h, _, _| events::cancelled(h)).await?;
        }
        if let Some(after) = &change.reservations {
            sqlx::query("DELETE FROM reservations WHERE order_id = ?")
                .bind(order_id)
                .execute(&mut *tx)
                .await?;
            for r in after {
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
        }
        let cause = format!("order {}:{}", item.channel_id, order.external_id);
        record_movements(&mut tx, &change.movements, &cause, now).await?;
        for sku in &change.dirty_skus {
            mark_sku_dirty(&mut tx, sku, &cause, now).await?;
        }
        if change.cancel_at_partners {
            fulfil::on_order_closed(&mut tx, order_id, now).await?;
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
            "SELECT id, channel_id, canonical FROM orders WHERE fulfil_state = 'to_route'
               AND (route_after_ms IS NULL OR route_after_ms <= ?) ORDER BY id LIMIT ?",
        )
        .bind(now_ms())
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

    async fn stock_by_location(
        &self,
        skus: &[String],
        excluding_order: Option<i64>,
    ) -> Result<StockSnapshot> {
        self.route_stock_snapshot(skus, excluding_order).await
    }

    async fn record_route(&self, order_id: i64, plan: &RoutePlan) -> Result<()> {
        self.route_record(order_id, plan).await
    }

    async fn picks(&self, location_id: Option<&str>) -> Result<Vec<PickLine>> {
        self.route_picks(location_id).await
    }

    async fn held_orders(&self, limit: i64) -> Result<Vec<HeldOrder>> {
        self.route_held(limit).await
    }

    async fn release_order(
        &self,
        order_ref: &str,
        location_id: &str,
        by: &str,
        now: chrono::DateTime<chrono::FixedOffset>,
    ) -> Result<ReleaseReceipt> {
        self.route_release(order_ref, location_id, by, now).await
    }

    async fn decided_orders(&self, limit: i64) -> Result<Vec<DecidedOrder>> {
        self.route_decided(limit).await
    }

    async fn ship(
        &self,
        order_ref: &str,
        carrier: &str,
        tracking_number: &str,
        from: &[String],
        now: chrono::DateTime<chrono::FixedOffset>,
    ) -> Result<ShipReceipt> {
        self.ship_from(order_ref, carrier, tracking_number, from, now)
            .await
    }

    async fn set_on_hand(
        &self,
        location_id: &str,
        levels: &[(String, i64)],
        source: OnHandSource,
        reference: &str,
    ) -> Result<()> {
        let now = now_ms();
        let external = match source {
            OnHandSource::Count | OnHandSource::Import => Account::Count,
            OnHandSource::Feed => Account::Feed,
        };
        let mut tx = self.write().await?;
        for (sku, qty) in levels {
            let current: Option<i64> = sqlx::query_scalar(
                "SELECT quantity FROM on_hand WHERE sku = ? AND location_id = ?",
            )
            .bind(sku)
            .bind(location_id)
            .fetch_optional(&mut *tx)
            .await?;
            if current == Some(*qty) {
                continue;
            }
            sqlx::query(
                "INSERT INTO on_hand (sku, location_id, quantity, updated_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (sku, location_id) DO UPDATE SET quantity = ?3, updated_at = ?4",
            )
            .bind(sku)
            .bind(location_id)
            .bind(qty)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let moves: Vec<Movement> = Movement::signed(
                sku,
                qty - current.unwrap_or(0),
                external.clone(),
                Account::OnHand(location_id.to_string()),
                source.as_str(),
            )
            .into_iter()
            .collect();
            record_movements(&mut tx, &moves, reference, now).await?;
            mark_sku_dirty(&mut tx, sku, reference, now).await?;
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
            "SELECT sku FROM on_hand UNION SELECT sku FROM reservations
             UNION SELECT kit_sku FROM kit_components ORDER BY 1",
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
             UNION
             SELECT k.kit_sku FROM kit_components k WHERE NOT EXISTS
                (SELECT 1 FROM listings l WHERE l.channel_id = ?1 AND l.sku = k.kit_sku)
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
                "INSERT INTO listings (channel_id, sku, reference, source, channel_quantity, confirmed_quantity)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)
                 ON CONFLICT (channel_id, sku) DO UPDATE SET reference = excluded.reference,
                    source = excluded.source,
                    channel_quantity = COALESCE(excluded.channel_quantity, listings.channel_quantity),
                    confirmed_quantity = COALESCE(excluded.confirmed_quantity, listings.confirmed_quantity)
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
                "INSERT INTO stock_dirty (channel_id, sku, seq, cause, attempts, next_attempt_at, since)
                 VALUES (?1, ?2, 1, 'listing discovered', 0, ?3, ?3)
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
        let mut conn = self.pool.acquire().await?;
        stock_sql::listing_parts(
            &mut conn,
            channel_id,
            locations,
            Which::Due { now: now_ms, limit },
        )
        .await
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
                    // The channel named what it holds: that is a confirmation too.
                    sqlx::query(
                        "UPDATE listings SET channel_quantity = ?1,
                            confirmed_quantity = COALESCE(?1, confirmed_quantity)
                         WHERE channel_id = ?2 AND sku = ?3",
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
            "INSERT INTO stock_dirty (channel_id, sku, seq, cause, attempts, next_attempt_at, since)
             SELECT channel_id, sku, 1, ?1, 0, ?2, ?2 FROM listings WHERE channel_id = ?3
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

    async fn sync_kits(&self, kits: &[(String, String, i64)]) -> Result<()> {
        let now = now_ms();
        let mut tx = self.write().await?;
        let current: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT kit_sku, component_sku, quantity FROM kit_components ORDER BY 1, 2",
        )
        .fetch_all(&mut *tx)
        .await?;
        let mut wanted = kits.to_vec();
        wanted.sort();
        if current == wanted {
            return Ok(());
        }
        let changed: std::collections::BTreeSet<String> = current
            .iter()
            .chain(wanted.iter())
            .map(|(k, _, _)| k.clone())
            .collect();
        sqlx::query("DELETE FROM kit_components")
            .execute(&mut *tx)
            .await?;
        for (kit, part, q) in &wanted {
            sqlx::query(
                "INSERT INTO kit_components (kit_sku, component_sku, quantity) VALUES (?, ?, ?)",
            )
            .bind(kit)
            .bind(part)
            .bind(q)
            .execute(&mut *tx)
            .await?;
        }
        for kit in &changed {
            mark_sku_dirty(&mut tx, kit, "kit definition changed", now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn record_return(
        &self,
        order_ref: &str,
        line_id: &str,
        quantity: i64,
        restock: bool,
        now_ms: i64,
    ) -> Result<ReturnReceipt> {
        // An RMA received at once (rules::rma), so every return is one.
        let disposition = if restock {
            Disposition::Restock
        } else {
            Disposition::Dispose
        };
        let line = RmaLine {
            line_id: line_id.to_string(),
            quantity,
        };
        let r = self
            .receive_unannounced(order_ref, &[line], disposition, false, now_ms)
            .await?;
        Ok(ReturnReceipt {
            return_id: r.rma.id,
            order_id: r.rma.order_id,
            restocked: r.restocked,
            location_id: r.location_id,
        })
    }

    async fn stock_history(&self, sku: &str, limit: i64) -> Result<Vec<LedgerEntry>> {
        let rows = sqlx::query(
            "SELECT id, at, sku, quantity, from_account, to_account, cause, reference
             FROM stock_ledger WHERE sku = ? ORDER BY id LIMIT ?",
        )
        .bind(sku)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
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
            })
            .collect()
    }

    async fn listing_parts(
        &self,
        channel_id: &str,
        locations: &[String],
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ListingParts>> {
        let mut conn = self.pool.acquire().await?;
        let which = Which::Page {
            after: after.unwrap_or("").to_string(),
            limit,
        };
        stock_sql::listing_parts(&mut conn, channel_id, locations, which).await
    }

    async fn audit_snapshot(&self) -> Result<AuditSnapshot> {
        // One read transaction: WAL gives it a consistent view while writers go on.
        let mut tx = self.pool.begin().await?;
        let mut snap = AuditSnapshot::default();
        let on_hand: Vec<(String, String, i64, i64)> =
            sqlx::query_as(audit_sql::ON_HAND_NOT_LEDGER)
                .fetch_all(&mut *tx)
                .await?;
        snap.ledger_mismatches
            .extend(on_hand.into_iter().map(audit_sql::on_hand_violation));
        let reserved: Vec<(String, String, i64, i64)> =
            sqlx::query_as(audit_sql::RESERVED_NOT_LEDGER)
                .fetch_all(&mut *tx)
                .await?;
        for row in reserved {
            snap.ledger_mismatches
                .push(audit_sql::reserved_violation(row)?);
        }
        let per_sku: Vec<(String, i64)> = sqlx::query_as(audit_sql::RESERVED_PER_SKU)
            .fetch_all(&mut *tx)
            .await?;
        snap.reserved = per_sku.into_iter().collect();
        let kits = stock_sql::kits(&mut tx).await?;
        let open: Vec<(i64, String, String)> = sqlx::query_as(audit_sql::OPEN_ORDERS)
            .fetch_all(&mut *tx)
            .await?;
        let parcels: Vec<(i64, String)> = sqlx::query_as(audit_sql::OPEN_ORDER_PARCELS)
            .fetch_all(&mut *tx)
            .await?;
        let cancelled: Vec<(i64, String)> = sqlx::query_as(audit_sql::OPEN_ORDER_CANCELLATIONS)
            .fetch_all(&mut *tx)
            .await?;
        snap.open_demand = audit_sql::open_demand(open, parcels, cancelled, &kits)?;
        tx.commit().await?;
        Ok(snap)
    }

    async fn record_audit(&self, now_ms: i64, violations: &[Violation]) -> Result<()> {
        let mut tx = self.write().await?;
        sqlx::query("INSERT INTO stock_audits (at, violations, detail) VALUES (?, ?, ?)")
            .bind(now_ms)
            .bind(violations.len() as i64)
            .bind(to_json(&violations)?)
            .execute(&mut *tx)
            .await?;
        // Keep a month of five-minute audits; older ones say nothing the ledger does not.
        sqlx::query(
            "DELETE FROM stock_audits WHERE id <= (SELECT MAX(id) FROM stock_audits) - 10000",
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn observe_channel_levels(
        &self,
        channel_id: &str,
        observed: &[(String, i64)],
        read_started_at: i64,
    ) -> Result<Vec<Drift>> {
        let now = now_ms();
        let mut drifts = Vec::new();
        let mut tx = self.write().await?;
        for (sku, found) in observed {
            let row = sqlx::query(
                "SELECT l.channel_quantity, l.last_pushed_at,
                    EXISTS (SELECT 1 FROM stock_dirty d WHERE d.channel_id = l.channel_id AND d.sku = l.sku) AS pending
                 FROM listings l WHERE l.channel_id = ? AND l.sku = ?",
            )
            .bind(channel_id)
            .bind(sku)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = row else { continue };
            let believed: Option<i64> = row.try_get("channel_quantity")?;
            let pushed_at: Option<i64> = row.try_get("last_pushed_at")?;
            let pending: bool = row.try_get("pending")?;
            if pending || pushed_at.is_some_and(|t| t >= read_started_at) {
                continue;
            }
            if believed == Some(*found) {
                continue;
            }
            if let Some(expected) = believed {
                drifts.push(Drift {
                    channel_id: channel_id.to_string(),
                    sku: sku.clone(),
                    expected,
                    found: *found,
                });
            }
            sqlx::query(
                "UPDATE listings SET channel_quantity = ?1, confirmed_quantity = ?1
                 WHERE channel_id = ?2 AND sku = ?3",
            )
            .bind(found)
            .bind(channel_id)
            .bind(sku)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO stock_dirty (channel_id, sku, seq, cause, attempts, next_attempt_at, since)
                 VALUES (?1, ?2, 1, 'drift: level changed on the channel', 0, ?3, ?3)
                 ON CONFLICT (channel_id, sku) DO UPDATE SET seq = stock_dirty.seq + 1",
            )
            .bind(channel_id)
            .bind(sku)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(drifts)
    }

    async fn dirty_depth(&self, now_ms: i64) -> Result<Vec<DirtyDepth>> {
        let rows: Vec<(String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT channel_id, COUNT(*), MIN(since) FROM stock_dirty GROUP BY channel_id ORDER BY channel_id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(channel_id, pending, since)| DirtyDepth {
                channel_id,
                pending,
                oldest_ms: since.map(|t| (now_ms - t).max(0)),
            })
            .collect())
    }

    async fn queue_fulfillment(&self, locations: &[String]) -> Result<u64> {
        self.fulfil_queue(locations).await
    }

    async fn submission_work(
        &self,
        order_id: i64,
        location_id: &str,
    ) -> Result<Option<SubmissionWork>> {
        self.fulfil_work(order_id, location_id).await
    }

    async fn record_submission(
        &self,
        outbox_id: i64,
        key: &str,
        partner_order_id: &str,
    ) -> Result<()> {
        self.fulfil_record_submission(outbox_id, key, partner_order_id)
            .await
    }

    async fn insert_target_events(
        &self,
        location_id: &str,
        events: &[crate::fulfillment::TargetEvent],
        cursor: Option<&PollCursor>,
    ) -> Result<InboxInsert> {
        self.fulfil_insert_events(location_id, events, cursor).await
    }

    async fn pending_target_events(&self, limit: i64) -> Result<Vec<TargetInboxItem>> {
        self.fulfil_pending_events(limit).await
    }

    async fn apply_target_event(&self, item: &TargetInboxItem) -> Result<String> {
        self.fulfil_apply_event(item).await
    }

    async fn fail_target_event(&self, id: i64, error: &str, retry_at: Option<i64>) -> Result<()> {
        self.fulfil_fail_event(id, error, retry_at).await
    }

    async fn target_events(&self, failed_only: bool, limit: i64) -> Result<Vec<TargetEventRow>> {
        self.fulfil_open_events(failed_only, limit).await
    }

    async fn retry_target_events(&self, id: Option<i64>) -> Result<u64> {
        self.fulfil_retry_events(id).await
    }

    async fn cancel_overdue(
        &self,
        location_id: &str,
        submitted_before_ms: i64,
    ) -> Result<Vec<String>> {
        self.reroute_cancel_overdue(location_id, submitted_before_ms)
            .await
    }

    async fn record_cancel_answer(
        &self,
        outbox_id: i64,
        location_id: &str,
        order: &crate::fulfillment::OrderRef,
        outcome: &crate::fulfillment::CancelOutcome,
    ) -> Result<()> {
        self.reroute_cancel_answer(outbox_id, location_id, order, outcome)
            .await
    }

    async fn orders_to_reroute(&self, limit: i64) -> Result<Vec<RerouteWork>> {
        self.reroute_work(limit).await
    }

    async fn record_reroute(
        &self,
        order_id: i64,
        plan: &RoutePlan,
        partner_locations: &[String],
    ) -> Result<bool> {
        self.reroute_record(order_id, plan, partner_locations).await
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

    async fn late_orders(
        &self,
        now_ms: i64,
        margin_secs: u64,
        limit: i64,
    ) -> Result<Vec<LateOrder>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SUMMARY_COLS}, ship_by_ms, deliver_by_ms FROM orders WHERE {AT_RISK}
             ORDER BY ship_by_ms, id LIMIT ?"
        )))
        .bind(risk_horizon(now_ms, margin_secs))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(LateOrder {
                    order: summary(r)?,
                    ship_by_ms: r.try_get("ship_by_ms")?,
                    deliver_by_ms: r.try_get("deliver_by_ms")?,
                })
            })
            .collect()
    }

    async fn count_at_risk(&self, now_ms: i64, margin_secs: u64) -> Result<i64> {
        Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM orders WHERE {AT_RISK}"
        )))
        .bind(risk_horizon(now_ms, margin_secs))
        .fetch_one(&self.pool)
        .await?)
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
            Ok(RouteDecision::from_row(
                r.try_get("location_id")?,
                r.try_get("rule")?,
                r.try_get("explanation")?,
            ))
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

    async fn probe_write(&self) -> Result<()> {
        let mut tx = self.write().await?;
        sqlx::query("INSERT OR REPLACE INTO store_probe (id, at, pad) VALUES (1, ?, zeroblob(?))")
            .bind(now_ms())
            .bind(PROBE_BYTES)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        // Its pages go back to the free list, where the next write (or probe) finds them.
        sqlx::query("DELETE FROM store_probe")
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    fn returns(&self) -> &dyn ReturnsStore {
        self
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
                (SELECT COUNT(*) FROM dead_letters WHERE replayed_at IS NULL) AS dead_letters,
                (SELECT COUNT(*) FROM target_inbox WHERE state = 'failed') AS partner_events_failed",
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
            partner_events_failed: row.try_get("partner_events_failed")?,
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
            "INSERT INTO listings (channel_id, sku, reference, source, channel_quantity,
                confirmed_quantity, last_pushed_at)
             SELECT ?1, json_extract(j.value, '$[0]'), '', '', json_extract(j.value, '$[1]'),
                json_extract(j.value, '$[1]'), ?3
             FROM json_each(?2) AS j
             WHERE EXISTS (SELECT 1 FROM listings l
                           WHERE l.channel_id = ?1 AND l.sku = json_extract(j.value, '$[0]'))
             ON CONFLICT (channel_id, sku) DO UPDATE SET
                channel_quantity = excluded.channel_quantity,
                confirmed_quantity = excluded.confirmed_quantity, last_pushed_at = excluded.last_pushed_at",
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

#[cfg(test)]
mod fault_tests;
