//! The double-entry stock ledger's accounts and movements. Every change to on-hand or to
//! reservations moves units from one account to another, so the books always balance and
//! every unit on a shelf or held for an order can be traced to its cause.

use std::collections::BTreeMap;
use std::fmt;

/// Where units are. Locations are the merchant's location ids.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Account {
    /// Units physically at a location.
    OnHand(String),
    /// Units open orders hold at a location; `None` before the order is routed.
    Reserved(Option<String>),
    /// Counts and imports: the world as a person counted it.
    Count,
    /// Levels reported by a 3PL or supplier feed.
    Feed,
    /// Units shipped to customers.
    Customer,
    /// Units customers sent back.
    Return,
    /// What open orders ask for: the other side of every reservation.
    Demand,
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Account::OnHand(l) => write!(f, "on_hand:{l}"),
            Account::Reserved(Some(l)) => write!(f, "reserved:{l}"),
            Account::Reserved(None) => f.write_str("reserved:unrouted"),
            Account::Count => f.write_str("external:count"),
            Account::Feed => f.write_str("external:feed"),
            Account::Customer => f.write_str("external:customer"),
            Account::Return => f.write_str("external:return"),
            Account::Demand => f.write_str("external:demand"),
        }
    }
}

impl Account {
    /// Reads the stored form back; `None` for text no version of Switchyard wrote.
    pub fn parse(text: &str) -> Option<Account> {
        let (kind, rest) = text.split_once(':')?;
        match (kind, rest) {
            ("on_hand", l) if !l.is_empty() => Some(Account::OnHand(l.to_string())),
            ("reserved", "unrouted") => Some(Account::Reserved(None)),
            ("reserved", l) if !l.is_empty() => Some(Account::Reserved(Some(l.to_string()))),
            ("external", "count") => Some(Account::Count),
            ("external", "feed") => Some(Account::Feed),
            ("external", "customer") => Some(Account::Customer),
            ("external", "return") => Some(Account::Return),
            ("external", "demand") => Some(Account::Demand),
            _ => None,
        }
    }
}

/// `quantity` units of `sku` moving `from` → `to`. Always positive: a negative change is the
/// same movement the other way (see [`Movement::signed`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Movement {
    pub sku: String,
    pub quantity: i64,
    pub from: Account,
    pub to: Account,
    /// count | import | feed | reservation | release | route | shipment | return
    pub cause: &'static str,
}

impl Movement {
    /// `delta` units into `to` from `from`; a negative delta flows the other way; zero is no
    /// movement at all.
    pub fn signed(
        sku: &str,
        delta: i64,
        from: Account,
        to: Account,
        cause: &'static str,
    ) -> Option<Movement> {
        match delta.signum() {
            0 => None,
            1 => Some(Movement {
                sku: sku.to_string(),
                quantity: delta,
                from,
                to,
                cause,
            }),
            _ => Some(Movement {
                sku: sku.to_string(),
                quantity: delta.saturating_neg(),
                from: to,
                to: from,
                cause,
            }),
        }
    }
}

/// Movements that take reservations from `before` to `after`, each a list of
/// (sku, location, units). Units reserved somewhere and released elsewhere are two movements
/// through demand, which keeps the history readable ("released at A", "reserved at B").
pub fn reservation_movements(
    before: &[(String, Option<String>, i64)],
    after: &[(String, Option<String>, i64)],
    cause_up: &'static str,
    cause_down: &'static str,
) -> Vec<Movement> {
    let mut delta: BTreeMap<(&str, &Option<String>), i64> = BTreeMap::new();
    for (sku, loc, q) in before {
        *delta.entry((sku.as_str(), loc)).or_default() -= q;
    }
    for (sku, loc, q) in after {
        *delta.entry((sku.as_str(), loc)).or_default() += q;
    }
    let mut out: Vec<Movement> = delta
        .into_iter()
        .filter_map(|((sku, loc), d)| {
            let cause = if d > 0 { cause_up } else { cause_down };
            Movement::signed(
                sku,
                d,
                Account::Demand,
                Account::Reserved(loc.clone()),
                cause,
            )
        })
        .collect();
    // Releases first, so a reader sees units freed before they are taken again.
    out.sort_by_key(|m| m.to != Account::Demand);
    out
}

/// Balance of every account per SKU after applying `movements`.
pub fn balances<'a>(
    movements: impl IntoIterator<Item = &'a Movement>,
) -> BTreeMap<(Account, String), i64> {
    let mut out: BTreeMap<(Account, String), i64> = BTreeMap::new();
    for m in movements {
        *out.entry((m.from.clone(), m.sku.clone())).or_default() -= m.quantity;
        *out.entry((m.to.clone(), m.sku.clone())).or_default() += m.quantity;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accounts_read_back_what_they_write() {
        for a in [
            Account::OnHand("main".into()),
            Account::Reserved(None),
            Account::Reserved(Some("3pl-east".into())),
            Account::Count,
            Account::Feed,
            Account::Customer,
            Account::Return,
            Account::Demand,
        ] {
            assert_eq!(Account::parse(&a.to_string()), Some(a));
        }
        assert_eq!(Account::parse("on_hand:"), None);
        assert_eq!(Account::parse("bogus"), None);
    }

    #[test]
    fn routing_moves_units_from_unrouted_to_the_location() {
        let before = [("A".to_string(), None, 3)];
        let after = [("A".to_string(), Some("wh".to_string()), 3)];
        let moves = reservation_movements(&before, &after, "route", "route");
        let b = balances(&moves);
        assert_eq!(b[&(Account::Reserved(None), "A".into())], -3);
        assert_eq!(b[&(Account::Reserved(Some("wh".into())), "A".into())], 3);
        assert_eq!(b[&(Account::Demand, "A".into())], 0);
    }

    proptest! {
        #[test]
        fn the_books_always_balance(
            steps in proptest::collection::vec(("[AB]", -20i64..20, 0usize..4, 0usize..4), 0..40)
        ) {
            let accounts = [Account::OnHand("x".into()), Account::Count, Account::Customer, Account::Reserved(None)];
            let moves: Vec<Movement> = steps.iter().filter_map(|(sku, d, f, t)| {
                Movement::signed(sku, *d, accounts[*f].clone(), accounts[*t].clone(), "count")
            }).collect();
            prop_assert!(moves.iter().all(|m| m.quantity > 0));
            let b = balances(&moves);
            for sku in ["A", "B"] {
                let total: i64 = b.iter().filter(|((_, s), _)| s == sku).map(|(_, v)| v).sum();
                prop_assert_eq!(total, 0);
            }
        }
    }
}
