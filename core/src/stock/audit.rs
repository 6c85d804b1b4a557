//! The auditor: checks the stock record against itself and against the orders. It only
//! reports; a violation is never fixed silently, because a fix would hide the bug that caused it.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::ledger::Account;

/// Everything the auditor compares, read by the store in one snapshot.
#[derive(Debug, Clone, Default)]
pub struct AuditSnapshot {
    /// (sku, location) → on-hand as the stock table says.
    pub on_hand: BTreeMap<(String, String), i64>,
    /// (account, sku) → balance from the ledger.
    pub ledger: BTreeMap<(Account, String), i64>,
    /// (sku, location or unrouted) → units the reservation table holds.
    pub reserved: BTreeMap<(String, Option<String>), i64>,
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
    let mut out = Vec::new();

    // 1. On-hand equals the ledger's sum, for every (sku, location) either side knows.
    let mut places: BTreeSet<(String, String)> = s.on_hand.keys().cloned().collect();
    for (account, sku) in s.ledger.keys() {
        if let Account::OnHand(loc) = account {
            places.insert((sku.clone(), loc.clone()));
        }
    }
    for (sku, loc) in places {
        let table = s
            .on_hand
            .get(&(sku.clone(), loc.clone()))
            .copied()
            .unwrap_or(0);
        let ledger = s
            .ledger
            .get(&(Account::OnHand(loc.clone()), sku.clone()))
            .copied()
            .unwrap_or(0);
        if table != ledger {
            out.push(Violation::OnHandNotLedger {
                sku,
                location: loc,
                on_hand: table,
                ledger,
            });
        }
    }

    // 2. Reservations equal the ledger's reserved accounts.
    let mut holds: BTreeSet<(String, Option<String>)> = s.reserved.keys().cloned().collect();
    for (account, sku) in s.ledger.keys() {
        if let Account::Reserved(loc) = account {
            holds.insert((sku.clone(), loc.clone()));
        }
    }
    for (sku, loc) in holds {
        let table = s
            .reserved
            .get(&(sku.clone(), loc.clone()))
            .copied()
            .unwrap_or(0);
        let ledger = s
            .ledger
            .get(&(Account::Reserved(loc.clone()), sku.clone()))
            .copied()
            .unwrap_or(0);
        if table != ledger {
            out.push(Violation::ReservedNotLedger {
                sku,
                location: loc,
                reserved: table,
                ledger,
            });
        }
    }

    // 3. Reservations equal what open, unshipped orders ask for.
    let mut per_sku: BTreeMap<&str, i64> = BTreeMap::new();
    for ((sku, _), q) in &s.reserved {
        *per_sku.entry(sku).or_default() += q;
    }
    let skus: BTreeSet<&str> = per_sku
        .keys()
        .copied()
        .chain(s.open_demand.keys().map(String::as_str))
        .collect();
    for sku in skus {
        let reserved = per_sku.get(sku).copied().unwrap_or(0);
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
        s.on_hand.insert(("A".into(), "wh".into()), 10);
        s.ledger
            .insert((Account::OnHand("wh".into()), "A".into()), 10);
        s.ledger.insert((Account::Count, "A".into()), -10);
        s.reserved.insert(("A".into(), None), 2);
        s.ledger.insert((Account::Reserved(None), "A".into()), 2);
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
        s.on_hand.insert(("A".into(), "wh".into()), 11);
        s.reserved.insert(("A".into(), None), 3);
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
