//! Actions: which candidate locations a rule's lines may go to, in which order, and which of
//! them can take which lines (stock, dropship catalog), under `split: never` or `allowed`.

use std::collections::BTreeSet;

use glob::Pattern;

use super::distance::haversine_km;
use super::plan::{CandidateTrace, StockSeen};
use super::snapshot::StockSnapshot;
use crate::config::{Action, Coordinates, LocationKind, SplitMode};

/// A configured location as routing sees it.
#[derive(Debug, Clone)]
pub(super) struct Site {
    pub id: String,
    pub kind: LocationKind,
    pub position: Option<Coordinates>,
    pub catalog: Vec<Pattern>,
}

/// The lines of one SKU (they share one reservation), or one line without a SKU.
#[derive(Debug, Clone)]
pub(super) struct Unit {
    /// The SKU, or `line <id>`.
    pub key: String,
    pub sku: Option<String>,
    pub quantity: i64,
    /// Indices into the order's lines.
    pub lines: Vec<usize>,
}

/// What an action did with the units it was given.
#[derive(Debug, Default)]
pub(super) struct Placement {
    /// (unit index, location) for each unit placed.
    pub placed: Vec<(usize, String)>,
    /// Units held by a `hold` action.
    pub held: Vec<usize>,
    pub candidates: Vec<CandidateTrace>,
    pub note: Option<String>,
}

/// Applies `action` to `took` (indices into `units`), never at a location in `exclude`.
#[allow(clippy::too_many_arguments)]
pub(super) fn place(
    action: &Action,
    split: SplitMode,
    took: &[usize],
    units: &[Unit],
    sites: &[Site],
    stock: &StockSnapshot,
    destination: Option<Coordinates>,
    exclude: &BTreeSet<String>,
) -> Placement {
    let (ids, check_stock, nearest): (&[String], bool, bool) = match action {
        Action::Hold => {
            return Placement {
                held: took.to_vec(),
                ..Placement::default()
            };
        }
        Action::Location(id) => (std::slice::from_ref(id), false, false),
        Action::FirstInStock(ids) => (ids, true, false),
        Action::NearestInStock(ids) => (ids, true, true),
    };
    let mut note = None;
    let mut ordered: Vec<(&String, Option<&Site>, Option<f64>)> = ids
        .iter()
        .map(|id| {
            let site = sites.iter().find(|s| &s.id == id);
            let distance = match (destination, site.and_then(|s| s.position)) {
                (Some(d), Some(p)) if nearest => Some(haversine_km(p, d)),
                _ => None,
            };
            (id, site, distance)
        })
        .collect();
    if nearest {
        if destination.is_none() {
            note = Some("ship-to position unknown: candidates tried in list order".into());
        } else {
            // Stable: equal distances (and unknown ones, last) keep the merchant's order.
            ordered.sort_by(|a, b| match (a.2, b.2) {
                (Some(x), Some(y)) => x.total_cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            });
        }
    }
    let mut out = Placement {
        note,
        ..Placement::default()
    };
    let mut open: Vec<usize> = took.to_vec();
    for (id, site, distance) in ordered {
        if open.is_empty() {
            break;
        }
        let mut trace = CandidateTrace {
            location: id.clone(),
            distance_km: distance.map(|d| (d * 10.0).round() / 10.0),
            stock: seen(&open, units, id, stock),
            chosen: Vec::new(),
            skipped: None,
        };
        if exclude.contains(id) {
            trace.skipped = Some("refused this order before".into());
            out.candidates.push(trace);
            continue;
        }
        let Some(site) = site else {
            trace.skipped = Some("unknown location".into());
            out.candidates.push(trace);
            continue;
        };
        let refusals: Vec<(usize, Option<String>)> = open
            .iter()
            .map(|&u| (u, refusal(site, &units[u], stock, check_stock)))
            .collect();
        let fits: Vec<usize> = refusals
            .iter()
            .filter(|(_, r)| r.is_none())
            .map(|(u, _)| *u)
            .collect();
        let reasons: Vec<String> = refusals.into_iter().filter_map(|(_, r)| r).collect();
        let take = match split {
            SplitMode::Never if reasons.is_empty() => fits,
            SplitMode::Never => Vec::new(),
            SplitMode::Allowed => fits,
        };
        if take.is_empty() {
            trace.skipped = Some(reasons.join("; "));
        }
        for &u in &take {
            trace.chosen.push(units[u].key.clone());
            out.placed.push((u, id.clone()));
        }
        open.retain(|u| !take.contains(u));
        out.candidates.push(trace);
    }
    out
}

/// Why `site` cannot take `unit`, or `None` when it can.
fn refusal(site: &Site, unit: &Unit, stock: &StockSnapshot, check_stock: bool) -> Option<String> {
    if site.kind == LocationKind::Dropship {
        match &unit.sku {
            None => return Some(format!("{} has no SKU for a dropship supplier", unit.key)),
            Some(sku) => {
                let listed =
                    site.catalog.iter().any(|p| p.matches(sku)) || stock.lists(&site.id, sku);
                if !listed {
                    return Some(format!("{sku} is not in its catalog"));
                }
            }
        }
    }
    if check_stock && let Some(sku) = &unit.sku {
        let have = stock.available(&site.id, sku);
        if have < unit.quantity {
            return Some(format!(
                "short of {sku} (needs {}, has {have})",
                unit.quantity
            ));
        }
    }
    None
}

fn seen(open: &[usize], units: &[Unit], location: &str, stock: &StockSnapshot) -> Vec<StockSeen> {
    open.iter()
        .filter_map(|&u| {
            let unit = &units[u];
            unit.sku.as_ref().map(|sku| StockSeen {
                sku: sku.clone(),
                needed: unit.quantity,
                available: stock.available(location, sku),
            })
        })
        .collect()
}

/// Whether a fixed destination (the fallback, an operator) can take the unit at all: only a
/// dropship supplier refuses, for SKUs outside its catalog.
pub(super) fn catalog_refusal(site: &Site, unit: &Unit, stock: &StockSnapshot) -> Option<String> {
    refusal(site, unit, stock, false)
}
