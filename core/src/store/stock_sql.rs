//! SQL shared by the SQLite store's stock methods: ledger writes, kit lookups, dirty marking and
//! the per-listing numbers a level is computed from. Every function runs inside the caller's
//! transaction, so a movement is committed with the change it explains.

use std::collections::BTreeMap;

use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, Transaction};

use super::{ListingParts, Result};
use crate::stock::{Movement, Part};

pub(super) type Tx = Transaction<'static, Sqlite>;

/// Appends movements to the ledger.
pub(super) async fn record_movements(
    tx: &mut Tx,
    movements: &[Movement],
    reference: &str,
    now: i64,
) -> Result<()> {
    for m in movements {
        sqlx::query(
            "INSERT INTO stock_ledger (sku, quantity, from_account, to_account, cause, reference, at)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&m.sku)
        .bind(m.quantity)
        .bind(m.from.to_string())
        .bind(m.to.to_string())
        .bind(m.cause)
        .bind(reference)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Kit SKU → (component, units per kit), as configured at the daemon's last start.
pub(super) async fn kits(
    conn: &mut sqlx::SqliteConnection,
) -> Result<BTreeMap<String, Vec<(String, i64)>>> {
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT kit_sku, component_sku, quantity FROM kit_components ORDER BY kit_sku, component_sku",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut out: BTreeMap<String, Vec<(String, i64)>> = BTreeMap::new();
    for (kit, part, q) in rows {
        out.entry(kit).or_default().push((part, q));
    }
    Ok(out)
}

/// Marks every channel listing of `sku`, and of every kit made with it, dirty. A listing already
/// dirty gets a new `seq`, so a push computed before this change cannot clear it; `since` keeps
/// the time of the oldest change not yet pushed. Also writes the SKU's `stock.changed` event
/// when its available level moved.
pub(super) async fn mark_sku_dirty(tx: &mut Tx, sku: &str, cause: &str, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO stock_dirty (channel_id, sku, seq, cause, attempts, next_attempt_at, since)
         SELECT channel_id, sku, 1, ?1, 0, ?2, ?2 FROM listings
         WHERE sku = ?3 OR sku IN (SELECT kit_sku FROM kit_components WHERE component_sku = ?3)
         ON CONFLICT (channel_id, sku) DO UPDATE SET
            seq = stock_dirty.seq + 1, cause = excluded.cause, attempts = 0,
            next_attempt_at = excluded.next_attempt_at, last_error = NULL,
            since = COALESCE(stock_dirty.since, excluded.since)",
    )
    .bind(cause)
    .bind(now)
    .bind(sku)
    .execute(&mut **tx)
    .await?;
    // Every change of on-hand or reservations marks its SKU here, after writing the change:
    // the one place a stock event is due.
    super::events_sql::stock_event(tx, sku, now).await?;
    Ok(())
}

/// Which listings [`listing_parts`] reads.
pub(super) enum Which {
    /// Dirty rows due by `now`, oldest first, at most `limit`.
    Due { now: i64, limit: i64 },
    /// The channel's listings by SKU after `after` ("" for the first page), at most `limit`.
    Page { after: String, limit: i64 },
}

/// Each listing of a channel with the numbers its level is computed from: for a plain SKU one
/// part (itself), for a kit one part per component; on-hand over `locations` and every
/// reservation there or not yet routed.
pub(super) async fn listing_parts(
    conn: &mut sqlx::SqliteConnection,
    channel_id: &str,
    locations: &[String],
    which: Which,
) -> Result<Vec<ListingParts>> {
    // Location ids are bound (?4, ?5, …), never interpolated; only the placeholders are built.
    let marks = if locations.is_empty() {
        "NULL".to_string()
    } else {
        (0..locations.len())
            .map(|i| format!("?{}", i + 4))
            .collect::<Vec<_>>()
            .join(", ")
    };
    // Due rows are ordered by the due index alone: a tiebreak on SKU made SQLite sort every
    // due row (running the part subqueries for each) before the LIMIT.
    let listing_rows = match which {
        Which::Due { .. } => {
            "SELECT d.sku, d.seq, d.attempts, d.since, l.reference, l.channel_quantity, l.confirmed_quantity, 1 AS pending,
                    d.next_attempt_at AS position
             FROM stock_dirty d JOIN listings l ON l.channel_id = d.channel_id AND l.sku = d.sku
             WHERE d.channel_id = ?1 AND d.next_attempt_at <= ?2
             ORDER BY d.next_attempt_at LIMIT ?3"
        }
        Which::Page { .. } => {
            "SELECT l.sku, COALESCE(d.seq, 0) AS seq, COALESCE(d.attempts, 0) AS attempts, d.since,
                    l.reference, l.channel_quantity, l.confirmed_quantity, d.sku IS NOT NULL AS pending, 0 AS position
             FROM listings l LEFT JOIN stock_dirty d ON d.channel_id = l.channel_id AND d.sku = l.sku
             WHERE l.channel_id = ?1 AND l.sku > ?2 ORDER BY l.sku LIMIT ?3"
        }
    };
    let sql = format!(
        "WITH due AS MATERIALIZED ({listing_rows}),
         parts AS (SELECT due.sku AS listing, COALESCE(k.component_sku, due.sku) AS part,
                          COALESCE(k.quantity, 1) AS per_unit
                   FROM due LEFT JOIN kit_components k ON k.kit_sku = due.sku)
         SELECT due.*, parts.part, parts.per_unit,
            COALESCE((SELECT SUM(h.quantity) FROM on_hand h
                      WHERE h.sku = parts.part AND h.location_id IN ({marks})), 0) AS on_hand,
            COALESCE((SELECT SUM(r.quantity) FROM reservations r WHERE r.sku = parts.part
                      AND (r.location_id IS NULL OR r.location_id IN ({marks}))), 0) AS reserved
         FROM due JOIN parts ON parts.listing = due.sku
         ORDER BY due.position, due.sku, parts.part"
    );
    let q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(channel_id);
    let mut q = match which {
        Which::Due { now, limit } => q.bind(now).bind(limit),
        Which::Page { after, limit } => q.bind(after).bind(limit),
    };
    for loc in locations {
        q = q.bind(loc);
    }
    let rows = q.fetch_all(&mut *conn).await?;
    let mut out: Vec<ListingParts> = Vec::new();
    for r in &rows {
        let sku: String = r.try_get("sku")?;
        let part = Part {
            per_unit: r.try_get("per_unit")?,
            on_hand: r.try_get("on_hand")?,
            reserved: r.try_get("reserved")?,
        };
        match out.last_mut() {
            Some(last) if last.sku == sku => last.parts.push(part),
            _ => out.push(listing_row(r, sku, part)?),
        }
    }
    Ok(out)
}

fn listing_row(r: &SqliteRow, sku: String, part: Part) -> Result<ListingParts> {
    let reference: String = r.try_get("reference")?;
    Ok(ListingParts {
        sku,
        seq: r.try_get("seq")?,
        attempts: r.try_get("attempts")?,
        since: r.try_get("since")?,
        reference: serde_json::from_str(&reference).map_err(|e| super::StoreError::Corrupt {
            what: "listings.reference".into(),
            detail: e.to_string(),
        })?,
        channel_quantity: r.try_get("channel_quantity")?,
        confirmed_quantity: r.try_get("confirmed_quantity")?,
        push_pending: r.try_get("pending")?,
        parts: vec![part],
    })
}

/// The lines every recorded shipment of `order_id` carried, so reservations and the audit
/// count only what is still to ship when partners send an order in several parcels.
pub(super) async fn shipped_lines(
    conn: &mut sqlx::SqliteConnection,
    order_id: i64,
) -> Result<Vec<crate::model::ShippedLine>> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT detail FROM shipments WHERE order_id = ?")
        .bind(order_id)
        .fetch_all(&mut *conn)
        .await?;
    let mut out = Vec::new();
    for (detail,) in rows {
        // Shipments recorded before details were kept carry no lines; they shipped the order.
        if let Ok(shipment) = serde_json::from_str::<crate::model::Shipment>(&detail) {
            out.extend(shipment.lines);
        }
    }
    Ok(out)
}
