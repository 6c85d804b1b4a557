//! Recording a parcel: one rule for a parcel leaving the merchant's own warehouses
//! (`switchyard ship`) and for a partner's ship notice. Only the units that really left are
//! consumed (their reservations shrink, on-hand falls, the ledger moves them to the customer),
//! the channel's write-back carries exactly those units line by line, and the order is complete
//! once it holds nothing reserved anywhere.

use std::collections::BTreeMap;

use super::{Kits, Reservation};
use crate::fulfillment::LineQuantity;
use crate::model::{Order, ShippedLine};
use crate::stock::{Account, Movement, expand_kits, reservation_movements};

/// Where a parcel leaves from, and which units it carries.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// The merchant's own shelf: every unit reserved at one of `from` leaves. A reservation not
    /// yet given a location waits at the routing decision's location (`decided`).
    Locations {
        from: &'a [String],
        decided: Option<&'a str>,
    },
    /// A partner's ship notice: the units it names (everything it holds of the order when it
    /// names none), never more than the order holds at `location`.
    Partner {
        location: &'a str,
        lines: &'a [LineQuantity],
    },
}

/// What a store loaded to record one parcel.
#[derive(Debug, Clone, Copy)]
pub struct ParcelInput<'a> {
    pub order: &'a Order,
    /// Every reservation the order holds, at any location.
    pub reserved: &'a [Reservation],
    /// The lines of the order's parcels recorded before this one.
    pub already_shipped: &'a [ShippedLine],
    pub kits: &'a Kits,
    pub source: Source<'a>,
}

/// Units of a SKU leaving a location with this parcel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leaving {
    pub sku: String,
    pub location: String,
    pub quantity: i64,
}

/// How one of the order's reservations changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReservationChange {
    /// Fewer units stay reserved (a partial shipment of the SKU).
    Shrink { sku: String, quantity: i64 },
    /// Every unit of the SKU left: the reservation is gone.
    Remove { sku: String },
}

/// The changes a parcel makes, for a store to apply in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parcel {
    /// On-hand falls by these units at these locations.
    pub leaving: Vec<Leaving>,
    pub reservations: Vec<ReservationChange>,
    /// Ledger movements: reservations released, units from on-hand to the customer.
    pub movements: Vec<Movement>,
    /// SKUs whose listings must be pushed again.
    pub dirty_skus: Vec<String>,
    /// The channel's lines this parcel carries, with the units of each it really carries.
    pub lines: Vec<ShippedLine>,
    /// The location(s) it left from, as stored with the shipment (`a+b` for several).
    pub location: String,
    /// Nothing of the order stays reserved anywhere: the order is shipped.
    pub completes_order: bool,
}

/// Why a parcel cannot be recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParcelError {
    #[error("nothing reserved at {} to ship{}", .from.join(", "), elsewhere_note(.elsewhere))]
    NothingReservedAt {
        from: Vec<String>,
        /// What the order holds elsewhere (`2 × SKU at bob`), for the operator.
        elsewhere: Vec<String>,
    },
    #[error("the ship notice names nothing reserved at {location}")]
    NothingNamed { location: String },
}

fn elsewhere_note(elsewhere: &[String]) -> String {
    if elsewhere.is_empty() {
        String::new()
    } else {
        format!(
            " ({}; partner locations ship their own units)",
            elsewhere.join(", ")
        )
    }
}

/// Decides what recording the parcel changes.
pub fn record_parcel(input: ParcelInput<'_>) -> Result<Parcel, ParcelError> {
    let leaving = leaving_units(&input)?;
    let mut after: Vec<Reservation> = Vec::new();
    let mut changes = Vec::new();
    for r in input.reserved {
        let gone: i64 = leaving
            .iter()
            .filter(|l| l.sku == r.sku)
            .map(|l| l.quantity)
            .sum();
        if gone == 0 {
            after.push(r.clone());
        } else if gone < r.quantity {
            after.push(Reservation {
                quantity: r.quantity - gone,
                ..r.clone()
            });
            changes.push(ReservationChange::Shrink {
                sku: r.sku.clone(),
                quantity: r.quantity - gone,
            });
        } else {
            changes.push(ReservationChange::Remove { sku: r.sku.clone() });
        }
    }
    let before_rows: Vec<_> = input.reserved.iter().map(Reservation::as_row).collect();
    let after_rows: Vec<_> = after.iter().map(Reservation::as_row).collect();
    let mut movements = reservation_movements(&before_rows, &after_rows, "shipment", "shipment");
    for l in &leaving {
        movements.extend(Movement::signed(
            &l.sku,
            l.quantity,
            Account::OnHand(l.location.clone()),
            Account::Customer,
            "shipment",
        ));
    }
    let mut location: Vec<&str> = Vec::new();
    let mut dirty_skus: Vec<String> = Vec::new();
    for l in &leaving {
        if !location.contains(&l.location.as_str()) {
            location.push(&l.location);
        }
        if !dirty_skus.contains(&l.sku) {
            dirty_skus.push(l.sku.clone());
        }
    }
    let completes_order = after.is_empty();
    Ok(Parcel {
        lines: parcel_lines(
            input.order,
            &leaving,
            input.already_shipped,
            input.kits,
            completes_order,
        ),
        location: location.join("+"),
        leaving,
        reservations: changes,
        movements,
        dirty_skus,
        completes_order,
    })
}

/// The units leaving, per reservation, in the order the reservations were given.
fn leaving_units(input: &ParcelInput<'_>) -> Result<Vec<Leaving>, ParcelError> {
    match input.source {
        Source::Locations { from, decided } => {
            let at = |r: &Reservation| r.location.clone().or_else(|| decided.map(str::to_string));
            let leaving: Vec<Leaving> = input
                .reserved
                .iter()
                .filter(|r| r.quantity > 0)
                .filter_map(|r| {
                    let here = at(r).filter(|l| from.contains(l))?;
                    Some(Leaving {
                        sku: r.sku.clone(),
                        location: here,
                        quantity: r.quantity,
                    })
                })
                .collect();
            if leaving.is_empty() {
                return Err(ParcelError::NothingReservedAt {
                    from: from.to_vec(),
                    elsewhere: input
                        .reserved
                        .iter()
                        .map(|r| {
                            format!(
                                "{} × {} at {}",
                                r.quantity,
                                r.sku,
                                at(r).as_deref().unwrap_or("nowhere")
                            )
                        })
                        .collect(),
                });
            }
            Ok(leaving)
        }
        Source::Partner { location, lines } => {
            let leaving: Vec<Leaving> = input
                .reserved
                .iter()
                .filter(|r| r.location.as_deref() == Some(location))
                .filter_map(|r| {
                    let named: i64 = lines
                        .iter()
                        .filter(|l| l.sku == r.sku)
                        .map(|l| i64::from(l.quantity))
                        .sum();
                    let sent = if lines.is_empty() {
                        r.quantity
                    } else {
                        named.min(r.quantity)
                    };
                    (sent > 0).then(|| Leaving {
                        sku: r.sku.clone(),
                        location: location.to_string(),
                        quantity: sent,
                    })
                })
                .collect();
            if leaving.is_empty() {
                return Err(ParcelError::NothingNamed {
                    location: location.to_string(),
                });
            }
            Ok(leaving)
        }
    }
}

/// The channel's lines a parcel carries and how many units of each: units leaving (a kit's
/// components) are handed to the order's lines in order, each line taking at most what its
/// earlier parcels left unshipped and a kit line only whole kits. Lines without a SKU go with
/// the parcel that completes the order.
fn parcel_lines(
    order: &Order,
    leaving: &[Leaving],
    already_shipped: &[ShippedLine],
    kits: &Kits,
    completes_order: bool,
) -> Vec<ShippedLine> {
    let mut left: BTreeMap<&str, i64> = BTreeMap::new();
    for l in leaving {
        *left.entry(l.sku.as_str()).or_default() += l.quantity;
    }
    let mut shipped_before: BTreeMap<&str, i64> = BTreeMap::new();
    for s in already_shipped {
        *shipped_before.entry(s.line_id.as_str()).or_default() += i64::from(s.quantity);
    }
    let mut lines = Vec::new();
    for l in &order.lines {
        let open = (i64::from(l.quantity)
            - shipped_before.get(l.line_id.as_str()).copied().unwrap_or(0))
        .max(0);
        let Some(sku) = &l.sku else {
            if completes_order && open > 0 {
                lines.push(ShippedLine {
                    line_id: l.line_id.clone(),
                    quantity: u32::try_from(open).unwrap_or(l.quantity),
                });
            }
            continue;
        };
        let parts = expand_kits(&[(sku.clone(), 1)], kits);
        let whole = parts
            .iter()
            .map(|(part, per)| {
                left.get(part.as_str())
                    .copied()
                    .unwrap_or(0)
                    .checked_div(*per)
                    .unwrap_or(0)
            })
            .min()
            .unwrap_or(0)
            .min(open);
        if whole <= 0 {
            continue;
        }
        for (part, per) in &parts {
            if let Some(n) = left.get_mut(part.as_str()) {
                *n -= whole * per;
            }
        }
        lines.push(ShippedLine {
            line_id: l.line_id.clone(),
            quantity: u32::try_from(whole).unwrap_or(l.quantity),
        });
    }
    lines
}

#[cfg(test)]
mod tests;
