//! A customer's return of units of a shipped line: never more than the line's parcels carried
//! less what already came back; restocked units (a kit's components) go back on the shelf of
//! the location that shipped them, through the ledger's `external:return` account.

use super::Kits;
use super::order_version::FulfilState;
use crate::model::{Order, ShippedLine};
use crate::stock::{Account, Movement, expand_kits};

/// A parcel recorded for the order: where it left from and the lines it carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParcelRecord {
    /// As stored with the shipment: one location, or `a+b` for a parcel from several.
    pub location: String,
    /// Empty for parcels recorded before lines were kept (they carried the whole order).
    pub lines: Vec<ShippedLine>,
}

/// What a store loaded to record a return.
#[derive(Debug, Clone, Copy)]
pub struct ReturnInput<'a> {
    pub order: &'a Order,
    pub state: FulfilState,
    pub line_id: &'a str,
    pub quantity: i64,
    pub restock: bool,
    /// Units of this line that came back before.
    pub already_returned: i64,
    pub parcels: &'a [ParcelRecord],
    pub kits: &'a Kits,
}

/// The changes a return makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnChange {
    pub sku: Option<String>,
    /// Where the units shipped from (where restocked units go).
    pub location: Option<String>,
    /// Units back on the shelf per SKU (a kit's components); empty without `restock`.
    pub restocked: Vec<(String, i64)>,
    pub movements: Vec<Movement>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReturnError {
    #[error("quantity must be at least 1 (got {0})")]
    Quantity(i64),
    #[error("the order is `{0}`: only shipped orders take returns")]
    NotShipped(FulfilState),
    #[error("no line `{line_id}` (lines: {})", .lines.join(", "))]
    UnknownLine { line_id: String, lines: Vec<String> },
    #[error(
        "line `{line_id}` shipped {shipped} unit(s) and {already} came back already; {quantity} more is too many"
    )]
    TooMany {
        line_id: String,
        shipped: i64,
        already: i64,
        quantity: i64,
    },
}

/// Decides what recording the return changes.
pub fn record_return(input: ReturnInput<'_>) -> Result<ReturnChange, ReturnError> {
    if input.quantity <= 0 {
        return Err(ReturnError::Quantity(input.quantity));
    }
    if input.state != FulfilState::Shipped {
        return Err(ReturnError::NotShipped(input.state));
    }
    let line = input
        .order
        .lines
        .iter()
        .find(|l| l.line_id == input.line_id)
        .ok_or_else(|| ReturnError::UnknownLine {
            line_id: input.line_id.to_string(),
            lines: input
                .order
                .lines
                .iter()
                .map(|l| l.line_id.clone())
                .collect(),
        })?;
    // The parcels that carried the line; a parcel without lines carried the whole order.
    let carrying: Vec<(&ParcelRecord, i64)> = input
        .parcels
        .iter()
        .filter_map(|p| {
            if p.lines.is_empty() {
                return Some((p, i64::from(line.quantity)));
            }
            let n: i64 = p
                .lines
                .iter()
                .filter(|s| s.line_id == line.line_id)
                .map(|s| i64::from(s.quantity))
                .sum();
            (n > 0).then_some((p, n))
        })
        .collect();
    let shipped = carrying
        .iter()
        .map(|(_, n)| *n)
        .sum::<i64>()
        .min(i64::from(line.quantity));
    if input.already_returned + input.quantity > shipped {
        return Err(ReturnError::TooMany {
            line_id: line.line_id.clone(),
            shipped,
            already: input.already_returned,
            quantity: input.quantity,
        });
    }
    // A parcel from several locations names them all; its first is where returns go back.
    let location = carrying
        .first()
        .and_then(|(p, _)| p.location.split('+').next())
        .filter(|l| !l.is_empty())
        .map(str::to_string);
    let mut restocked = Vec::new();
    let mut movements = Vec::new();
    if input.restock
        && let (Some(sku), Some(loc)) = (&line.sku, &location)
    {
        restocked = expand_kits(&[(sku.clone(), input.quantity)], input.kits);
        for (part, q) in &restocked {
            movements.extend(Movement::signed(
                part,
                *q,
                Account::Return,
                Account::OnHand(loc.clone()),
                "return",
            ));
        }
    }
    Ok(ReturnChange {
        sku: line.sku.clone(),
        location,
        restocked,
        movements,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> Order {
        crate::rules::testing::order(&[("A", Some("TEE"), 3), ("B", Some("GIFT"), 1)])
    }

    fn parcel(location: &str, lines: &[(&str, u32)]) -> ParcelRecord {
        ParcelRecord {
            location: location.into(),
            lines: lines
                .iter()
                .map(|(l, q)| ShippedLine {
                    line_id: (*l).into(),
                    quantity: *q,
                })
                .collect(),
        }
    }

    fn input<'a>(
        o: &'a Order,
        line_id: &'a str,
        quantity: i64,
        parcels: &'a [ParcelRecord],
        kits: &'a Kits,
    ) -> ReturnInput<'a> {
        ReturnInput {
            order: o,
            state: FulfilState::Shipped,
            line_id,
            quantity,
            restock: true,
            already_returned: 0,
            parcels,
            kits,
        }
    }

    #[test]
    fn units_go_back_where_the_line_shipped_from() {
        let o = order();
        let kits = Kits::from([(
            "GIFT".to_string(),
            vec![("MUG".to_string(), 2), ("TEA".to_string(), 1)],
        )]);
        let parcels = [parcel("bob", &[("A", 3)]), parcel("main+bolt", &[("B", 1)])];
        let c = record_return(input(&o, "A", 2, &parcels, &kits)).unwrap();
        assert_eq!(c.location.as_deref(), Some("bob"));
        assert_eq!(c.restocked, [("TEE".to_string(), 2)]);
        let c = record_return(input(&o, "B", 1, &parcels, &kits)).unwrap();
        assert_eq!(c.location.as_deref(), Some("main"));
        assert_eq!(
            c.restocked,
            [("MUG".to_string(), 2), ("TEA".to_string(), 1)]
        );
        assert_eq!(c.movements.len(), 2);
        assert!(c.movements.iter().all(|m| m.from == Account::Return));
    }

    #[test]
    fn never_more_than_the_parcels_carried_and_never_before_shipping() {
        let o = order();
        let kits = Kits::new();
        let parcels = [parcel("bob", &[("A", 1)])];
        let mut i = input(&o, "A", 2, &parcels, &kits);
        assert_eq!(
            record_return(i),
            Err(ReturnError::TooMany {
                line_id: "A".into(),
                shipped: 1,
                already: 0,
                quantity: 2
            })
        );
        i.quantity = 1;
        i.already_returned = 1;
        assert!(matches!(record_return(i), Err(ReturnError::TooMany { .. })));
        i.already_returned = 0;
        i.state = FulfilState::Routed;
        assert_eq!(
            record_return(i),
            Err(ReturnError::NotShipped(FulfilState::Routed))
        );
        i.state = FulfilState::Shipped;
        i.quantity = 0;
        assert_eq!(record_return(i), Err(ReturnError::Quantity(0)));
        let legacy = [parcel("main", &[])];
        let c = record_return(input(&o, "A", 3, &legacy, &kits)).unwrap();
        assert_eq!(
            c.location.as_deref(),
            Some("main"),
            "a parcel without lines carried all"
        );
        assert!(matches!(
            record_return(input(&o, "Z", 1, &legacy, &kits)),
            Err(ReturnError::UnknownLine { .. })
        ));
    }

    #[test]
    fn without_restock_nothing_moves() {
        let o = order();
        let kits = Kits::new();
        let parcels = [parcel("bob", &[("A", 3)])];
        let mut i = input(&o, "A", 1, &parcels, &kits);
        i.restock = false;
        let c = record_return(i).unwrap();
        assert!(c.restocked.is_empty() && c.movements.is_empty());
        assert_eq!(c.location.as_deref(), Some("bob"));
    }
}
