//! The auditor: checks the stock record against itself and against the orders. It only
//! reports; a violation is never fixed silently, because a fix would hide the bug that caused it.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

/// Everything the auditor compares, read by the store in one snapshot. Nothing in it grows
/// with the catalog: the ledger checks are made in the database, which returns only the
/// places that disagree, and the rest is bounded by the open orders.
#[derive(Debug, Clone, Default)]
pub struct AuditSnapshot {
    /// Where the on-hand or reservation table and the ledger disagree (`OnHandNotLedger`,
    /// `ReservedNotLedger`), found by the store's SQL (`store::audit_sql`).
    pub ledger_mismatches: Vec<Violation>,
    /// sku → units the reservation table holds, for every SKU some order holds.
    pub reserved: BTreeMap<String, i64>,
    /// sku → units the open, unshipped order lines ask for (kits expanded), recomputed from
    /// the orders themselves.
    pub open_demand: BTreeMap<String, i64>,
    pub listings: Vec<ListingCheck>,
}

/// One channel listing with the level it should have now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingCheck {
    pub channel_id: String,
    pub sku: String,
    /// What Switchyard last confirmed the channel holds; `None` when unknown or in flight.
    pub listed: Option<i64>,
    /// What the channel may list now.
    pub available: i64,
    /// A change is queued for this listing: being above is expected until it is pushed.
    pub push_pending: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "check", rename_all = "snake_case")]
pub enum Violation {
    /// The on-hand table and the ledger disagree.
    OnHandNotLedger {
        sku: String,
        location: String,
        on_hand: i64,
        ledger: i64,
    },
    /// The reservation table and the ledger disagree.
    ReservedNotLedger {
        sku: String,
        location: Option<String>,
        reserved: i64,
        ledger: i64,
    },
    /// Reservations do not add up to the open, unshipped order lines.
    ReservedNotOpenOrders {
        sku: String,
        reserved: i64,
        open_lines: i64,
    },
    /// A channel believed up to date lists more than it may sell.
    ListedAboveAvailable {
        channel_id: String,
        sku: String,
        listed: i64,
        available: i64,
    },
}

impl Violation {
    pub fn check(&self) -> &'static str {
        match self {
            Violation::OnHandNotLedger { .. } => "on_hand_not_ledger",
            Violation::ReservedNotLedger { .. } => "reserved_not_ledger",
            Violation::ReservedNotOpenOrders { .. } => "reserved_not_open_orders",
            Violation::ListedAboveAvailable { .. } => "listed_above_available",
        }
    }
}

/// Runs every check; violations come sorted by check, then SKU.
pub fn audit(s: &AuditSnapshot) -> Vec<Violation> {
    // 1, 2. On-hand and reservations equal the ledger (compared by the store, in SQL).
    let mut out: Vec<Violation> = s.ledger_mismatches.clone();

    // 3. Reservations equal what open, unshipped orders ask for.
    let skus: BTreeSet<&str> = s
        .reserved
        .keys()
        .chain(s.open_demand.keys())
        .map(String::as_str)
        .collect();
    for sku in skus {
        let reserved = s.reserved.get(sku).copied().unwrap_or(0);
        let open_lines = s.open_demand.get(sku).copied().unwrap_or(0);
        if reserved != open_lines {
            out.push(Violation::ReservedNotOpenOrders {
                sku: sku.to_string(),
                reserved,
                open_lines,
            });
        }
    }

    // 4. No channel believed up to date lists above what it may sell.
    for l in &s.listings {
        if let Some(listed) = l.listed
            && !l.push_pending
            && listed > l.available
        {
            out.push(Violation::ListedAboveAvailable {
                channel_id: l.channel_id.clone(),
                sku: l.sku.clone(),
                listed,
                available: l.available,
            });
        }
    }
    out
}

/// Units listed above what may be sold, per channel: how much a channel could oversell right
/// now if every listed unit sold. Counts listings with a push pending too (that is the window
/// the pusher is racing to close).
pub fn oversell_exposure(listings: &[ListingCheck]) -> BTreeMap<String, i64> {
    let mut out: BTreeMap<String, i64> = BTreeMap::new();
    for l in listings {
        let over = l.listed.map_or(0, |q| (q - l.available).max(0));
        *out.entry(l.channel_id.clone()).or_default() += over;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean() -> AuditSnapshot {
        let mut s = AuditSnapshot::default();
        s.reserved.insert("A".into(), 2);
        s.open_demand.insert("A".into(), 2);
        s.listings.push(ListingCheck {
            channel_id: "shop".into(),
            sku: "A".into(),
            listed: Some(8),
            available: 8,
            push_pending: false,
        });
        s
    }

    #[test]
    fn a_consistent_record_passes() {
        assert_eq!(audit(&clean()), vec![]);
    }

    #[test]
    fn each_kind_of_inconsistency_is_named() {
        let mut s = clean();
        s.ledger_mismatches = vec![
            Violation::OnHandNotLedger {
                sku: "A".into(),
                location: "wh".into(),
                on_hand: 11,
                ledger: 10,
            },
            Violation::ReservedNotLedger {
                sku: "A".into(),
                location: None,
                reserved: 3,
                ledger: 2,
            },
        ];
        s.reserved.insert("A".into(), 3);
        s.listings[0].listed = Some(9);
        let checks: Vec<&str> = audit(&s).iter().map(Violation::check).collect();
        assert_eq!(
            checks,
            [
                "on_hand_not_ledger",
                "reserved_not_ledger",
                "reserved_not_open_orders",
                "listed_above_available"
            ]
        );
    }

    #[test]
    fn a_listing_with_a_push_pending_is_exposure_not_a_violation() {
        let mut s = clean();
        s.listings[0].listed = Some(9);
        s.listings[0].push_pending = true;
        assert_eq!(audit(&s), vec![]);
        assert_eq!(oversell_exposure(&s.listings)["shop"], 1);
    }
}
