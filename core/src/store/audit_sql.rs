//! The auditor's reads, shared by every engine: the same SQL (it runs unchanged on SQLite
//! and PostgreSQL) and the same decoding of its rows.
//!
//! The two ledger checks are comparisons in SQL that return only the places that disagree, so
//! an audit of a catalog of a million SKUs moves a handful of rows out of the database instead
//! of every on-hand row and every ledger balance (issue 15). Only the open orders are read
//! whole: their demand is recomputed by the same rule that keeps their reservations.

use std::collections::{BTreeMap, HashMap};

use super::{Result, corrupt};
use crate::cancellation::CancelLine;
use crate::model::{Order, Shipment, ShippedLine};
use crate::rules::Kits;
use crate::rules::order_version::{FulfilState, partly_ours, reserved_units};
use crate::stock::{Account, Violation};

/// (sku, location, on-hand table, ledger balance) where the on-hand table and the ledger's
/// `on_hand:<location>` account disagree, a place either side alone knows included. One
/// grouping over both sides (not a join: SQLite would pair a million rows with a million),
/// so it costs a sort of the rows whatever the engine.
pub const ON_HAND_NOT_LEDGER: &str = "
SELECT sku, location_id, CAST(SUM(tab) AS BIGINT), CAST(SUM(led) AS BIGINT) FROM (
    SELECT sku, location_id, quantity AS tab, 0 AS led FROM on_hand
    UNION ALL
    SELECT sku, substr(to_account, 9), 0, quantity FROM stock_ledger
     WHERE substr(to_account, 1, 8) = 'on_hand:'
    UNION ALL
    SELECT sku, substr(from_account, 9), 0, -quantity FROM stock_ledger
     WHERE substr(from_account, 1, 8) = 'on_hand:'
) AS sides
GROUP BY sku, location_id
HAVING SUM(tab) <> SUM(led)
ORDER BY 1, 2";

/// (sku, ledger account, reservation table, ledger balance) where the reservations of a
/// location (or the unrouted ones) and the ledger's `reserved:…` account disagree.
pub const RESERVED_NOT_LEDGER: &str = "
SELECT sku, account, CAST(SUM(tab) AS BIGINT), CAST(SUM(led) AS BIGINT) FROM (
    SELECT sku, CASE WHEN location_id IS NULL THEN 'reserved:unrouted'
                     ELSE 'reserved:' || location_id END AS account,
           quantity AS tab, 0 AS led
      FROM reservations
    UNION ALL
    SELECT sku, to_account, 0, quantity FROM stock_ledger
     WHERE substr(to_account, 1, 9) = 'reserved:'
    UNION ALL
    SELECT sku, from_account, 0, -quantity FROM stock_ledger
     WHERE substr(from_account, 1, 9) = 'reserved:'
) AS sides
GROUP BY sku, account
HAVING SUM(tab) <> SUM(led)
ORDER BY 1, 2";

/// (sku, units reserved) for every SKU an open order holds.
pub const RESERVED_PER_SKU: &str =
    "SELECT sku, CAST(SUM(quantity) AS BIGINT) FROM reservations GROUP BY sku";

/// (order id, canonical JSON, fulfil state) of every order not yet finished.
pub const OPEN_ORDERS: &str = "SELECT id, canonical, fulfil_state FROM orders WHERE fulfil_state NOT IN ('shipped', 'closed')";

/// (order id, shipment JSON) of the parcels of those orders (one query, not one per order).
pub const OPEN_ORDER_PARCELS: &str = "
SELECT s.order_id, s.detail FROM shipments s JOIN orders o ON o.id = s.order_id
 WHERE o.fulfil_state NOT IN ('shipped', 'closed')";

/// (order id, cancelled lines JSON) of the cancellations on the channel of those orders that
/// did not fail: cancelled units leave demand like shipped ones.
pub const OPEN_ORDER_CANCELLATIONS: &str = "
SELECT c.order_id, c.lines FROM channel_cancellations c JOIN orders o ON o.id = c.order_id
 WHERE o.fulfil_state NOT IN ('shipped', 'closed') AND c.state <> 'failed'";

/// A row of [`ON_HAND_NOT_LEDGER`] as the violation it is.
pub fn on_hand_violation(
    (sku, location, on_hand, ledger): (String, String, i64, i64),
) -> Violation {
    Violation::OnHandNotLedger {
        sku,
        location,
        on_hand,
        ledger,
    }
}

/// A row of [`RESERVED_NOT_LEDGER`] as the violation it is; an account that is not a
/// reservation account is a corrupt ledger.
pub fn reserved_violation(
    (sku, account, reserved, ledger): (String, String, i64, i64),
) -> Result<Violation> {
    match Account::parse(&account) {
        Some(Account::Reserved(location)) => Ok(Violation::ReservedNotLedger {
            sku,
            location,
            reserved,
            ledger,
        }),
        _ => Err(corrupt("stock_ledger account", &account)),
    }
}

/// Units per SKU the open orders ask for, from the rows of [`OPEN_ORDERS`],
/// [`OPEN_ORDER_PARCELS`] and [`OPEN_ORDER_CANCELLATIONS`]: the same rule that keeps each
/// order's reservations, so the two can be compared.
pub fn open_demand(
    open: Vec<(i64, String, String)>,
    parcels: Vec<(i64, String)>,
    cancelled: Vec<(i64, String)>,
    kits: &Kits,
) -> Result<BTreeMap<String, i64>> {
    let mut shipped: HashMap<i64, Vec<ShippedLine>> = HashMap::new();
    for (order_id, detail) in parcels {
        // A parcel that cannot be read counts as not shipped: its order's demand then shows
        // up as a reservation mismatch, which names the SKU, instead of failing the audit.
        if let Ok(parcel) = serde_json::from_str::<Shipment>(&detail) {
            shipped.entry(order_id).or_default().extend(parcel.lines);
        }
    }
    // Units cancelled on the channel leave demand like shipped ones, but are no parcel.
    let mut gone: HashMap<i64, Vec<ShippedLine>> = HashMap::new();
    for (order_id, lines) in cancelled {
        let lines: Vec<CancelLine> =
            serde_json::from_str(&lines).map_err(|e| corrupt("channel_cancellations.lines", e))?;
        gone.entry(order_id)
            .or_default()
            .extend(lines.into_iter().map(|l| ShippedLine {
                line_id: l.line_id,
                quantity: l.quantity,
            }));
    }
    let mut demand: BTreeMap<String, i64> = BTreeMap::new();
    for (order_id, canonical, state) in open {
        let order: Order =
            serde_json::from_str(&canonical).map_err(|e| corrupt("orders.canonical", e))?;
        let state: FulfilState = state
            .parse()
            .map_err(|e| corrupt("orders.fulfil_state", e))?;
        let partly = partly_ours(&order, state, shipped.contains_key(&order_id));
        let mut lines = shipped.get(&order_id).cloned().unwrap_or_default();
        lines.extend(gone.get(&order_id).cloned().unwrap_or_default());
        for (sku, q) in reserved_units(&order, state, partly, &lines, kits) {
            *demand.entry(sku).or_default() += q;
        }
    }
    Ok(demand)
}
