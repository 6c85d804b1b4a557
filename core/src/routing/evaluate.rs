//! Rules top to bottom over one order: each rule takes the open lines it matches and places
//! what it can; the fallback decides the rest. Pure: the same order, rules and stock always
//! give the same plan.

use std::collections::{BTreeMap, BTreeSet};

use super::RoutingError;
use super::centroids;
use super::conditions::{SkuFilter, compile, order_misses};
use super::plan::{
    ConditionMiss, Explanation, FallbackTrace, PlannedLine, RerouteTrace, RoutePlan, RuleOutcome,
    RuleTrace,
};
use super::snapshot::StockSnapshot;
use super::strategies::{Site, Unit, catalog_refusal, place};
use crate::config::{
    Action, Conditions, Coordinates, Fallback, LocationConfig, LocationKind, RoutingConfig,
    SplitMode, UnknownSku, position_of,
};
use crate::model::Order;

/// Routing rules compiled once (globs, positions) and applied to many orders.
#[derive(Debug, Clone)]
pub struct Router {
    rules: Vec<CompiledRule>,
    fallback: Option<Fallback>,
    sites: Vec<Site>,
    /// Kit SKUs (`kits[].sku`): known although no location stocks them.
    kits: BTreeSet<String>,
    /// `routing.unknown_sku: hold`.
    hold_unknown: bool,
}

/// The reason a line whose SKU nobody carries is held with (`orders held` shows it).
pub const UNKNOWN_SKU: &str = "unknown SKU";

#[derive(Debug, Clone)]
struct CompiledRule {
    label: String,
    when: Conditions,
    filter: SkuFilter,
    action: Action,
    split: SplitMode,
}

/// What a second placement keeps and avoids: built from the store's record of which
/// locations refused the order and where its other units are reserved.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reroute {
    /// SKU of an order line → the location it stays at. Lines not named here are placed again.
    pub keep: BTreeMap<String, String>,
    /// Locations that refused this order; never a candidate for it again.
    pub exclude: BTreeSet<String>,
    /// One entry per refusal (`bob rejected BOB-TEE: out of stock`), for the explanation.
    pub because: Vec<String>,
    /// The plan being replaced: kept lines keep who decided them.
    pub previous: Option<RoutePlan>,
}

/// Where a unit ended up.
#[derive(Debug, Clone)]
struct Place {
    location: Option<String>,
    held: Option<String>,
    decided_by: String,
}

impl Router {
    /// Compiles `routing` for `locations`. A configuration that passed `Config::validate`
    /// always compiles; the error is for rules built any other way.
    pub fn new(
        routing: &RoutingConfig,
        locations: &[LocationConfig],
    ) -> Result<Self, RoutingError> {
        let mut sites = Vec::with_capacity(locations.len());
        for (i, l) in locations.iter().enumerate() {
            let catalog = l
                .catalog
                .iter()
                .enumerate()
                .map(|(j, g)| compile(g, &format!("locations[{i}].catalog[{j}]")))
                .collect::<Result<Vec<_>, _>>()?;
            sites.push(Site {
                id: l.id.clone(),
                kind: l.kind,
                position: position_of(l),
                catalog,
            });
        }
        let rules = routing
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| {
                Ok(CompiledRule {
                    label: r.label(i),
                    when: r.when.clone(),
                    filter: SkuFilter::compile(
                        &r.when,
                        &routing.sku_tags,
                        &format!("routing.rules[{i}]"),
                    )?,
                    action: r.action.clone(),
                    split: r.split,
                })
            })
            .collect::<Result<Vec<_>, RoutingError>>()?;
        Ok(Self {
            rules,
            fallback: routing.fallback.clone(),
            sites,
            kits: BTreeSet::new(),
            hold_unknown: routing.unknown_sku == UnknownSku::Hold,
        })
    }

    /// The kit SKUs of the configuration (`kits[].sku`), so their lines are not held as
    /// unknown SKUs.
    pub fn with_kits<I: IntoIterator<Item = String>>(mut self, kits: I) -> Self {
        self.kits = kits.into_iter().collect();
        self
    }

    /// Someone carries `sku`: a location has a stock record for it (at any level, a
    /// supplier's stock feed included), it is a kit, or a dropship supplier's `catalog`
    /// matches it. A line of a SKU nobody carries is held as an [`UNKNOWN_SKU`] before any
    /// rule or the fallback sees it.
    pub fn knows_sku(&self, sku: &str, stock: &StockSnapshot) -> bool {
        self.kits.contains(sku)
            || self
                .sites
                .iter()
                .any(|s| stock.lists(&s.id, sku) || s.catalog.iter().any(|p| p.matches(sku)))
    }

    /// Decides where each line of `order` (sold on `channel_id`) goes, given `stock`.
    pub fn plan(&self, order: &Order, channel_id: &str, stock: &StockSnapshot) -> RoutePlan {
        let units = units_of(order);
        let preset = vec![None; units.len()];
        let (places, rules, fallback) =
            self.evaluate(order, channel_id, stock, &units, preset, &BTreeSet::new());
        RoutePlan {
            lines: lines_of(order, &units, &places),
            explanation: Explanation {
                rules,
                fallback,
                release: None,
                reroute: None,
            },
        }
    }

    /// Places again the lines of a routed order that `reroute.keep` does not hold in place,
    /// with the same rules but never at a location in `reroute.exclude`. Kept lines keep their
    /// location and who decided it; lines that find no place are held with the refusal first
    /// in their reason.
    pub fn replan(
        &self,
        order: &Order,
        channel_id: &str,
        stock: &StockSnapshot,
        reroute: &Reroute,
    ) -> RoutePlan {
        let units = units_of(order);
        let previous_line = |u: &Unit| {
            reroute
                .previous
                .as_ref()
                .and_then(|p| u.lines.first().and_then(|&i| p.lines.get(i)))
                .filter(|l| l.sku == u.sku)
        };
        let preset: Vec<Option<Place>> = units
            .iter()
            .map(|u| {
                let before = previous_line(u);
                match &u.sku {
                    Some(sku) => reroute.keep.get(sku).map(|loc| Place {
                        location: Some(loc.clone()),
                        held: None,
                        decided_by: before
                            .map_or_else(|| "unchanged".into(), |l| l.decided_by.clone()),
                    }),
                    // A line without a SKU has no reservation to move; it stays with the order.
                    None => before.map(|l| Place {
                        location: l.location.clone(),
                        held: l.held.clone(),
                        decided_by: l.decided_by.clone(),
                    }),
                }
            })
            .collect();
        let moved: Vec<String> = units
            .iter()
            .zip(&preset)
            .filter(|(_, p)| p.is_none())
            .map(|(u, _)| u.key.clone())
            .collect();
        let (mut places, rules, fallback) = self.evaluate(
            order,
            channel_id,
            stock,
            &units,
            preset.clone(),
            &reroute.exclude,
        );
        let because = reroute.because.join("; ");
        for (place, before) in places.iter_mut().zip(&preset) {
            if before.is_none()
                && let Some(Place {
                    held: Some(why), ..
                }) = place
            {
                *why = format!("{because}; then {why}");
            }
        }
        RoutePlan {
            lines: lines_of(order, &units, &places),
            explanation: Explanation {
                rules,
                fallback,
                release: None,
                reroute: Some(RerouteTrace {
                    because: reroute.because.clone(),
                    excluded: reroute.exclude.iter().cloned().collect(),
                    lines: moved,
                }),
            },
        }
    }

    /// Rules top to bottom over the units `places` leaves open, then the fallback.
    fn evaluate(
        &self,
        order: &Order,
        channel_id: &str,
        stock: &StockSnapshot,
        units: &[Unit],
        mut places: Vec<Option<Place>>,
        exclude: &BTreeSet<String>,
    ) -> (Vec<Option<Place>>, Vec<RuleTrace>, Option<FallbackTrace>) {
        let destination = destination_of(order);
        for (unit, place) in units.iter().zip(places.iter_mut()) {
            if let (true, None, Some(sku)) = (self.hold_unknown, &place, unit.sku.as_deref())
                && !self.knows_sku(sku, stock)
            {
                *place = Some(Place {
                    location: None,
                    held: Some(format!(
                        "{UNKNOWN_SKU} `{sku}`: no location stocks it, it is no kit and no \
                         supplier catalog lists it (map it with the channel's sku_aliases, or \
                         count it in)"
                    )),
                    decided_by: "unknown_sku".into(),
                });
            }
        }
        let mut traces = Vec::with_capacity(self.rules.len());
        for (index, rule) in self.rules.iter().enumerate() {
            let mut trace = RuleTrace {
                index,
                name: rule.label.clone(),
                outcome: RuleOutcome::NotReached,
                failed: Vec::new(),
                took: Vec::new(),
                candidates: Vec::new(),
                note: None,
            };
            let open: Vec<usize> = (0..units.len()).filter(|&u| places[u].is_none()).collect();
            if open.is_empty() {
                traces.push(trace);
                continue;
            }
            trace.failed = order_misses(&rule.when, order, channel_id, stock.taken_at_ms());
            if !trace.failed.is_empty() {
                trace.outcome = RuleOutcome::NotMatched;
                traces.push(trace);
                continue;
            }
            let took: Vec<usize> = open
                .iter()
                .copied()
                .filter(|&u| rule.filter.selects(units[u].sku.as_deref()))
                .collect();
            if took.is_empty() && rule.filter.is_active() {
                let found: Vec<String> = open.iter().map(|&u| units[u].key.clone()).collect();
                trace.outcome = RuleOutcome::NotMatched;
                trace.failed.push(ConditionMiss {
                    condition: "sku".into(),
                    wanted: rule.filter.wanted(),
                    found: if found.is_empty() {
                        "(no lines)".into()
                    } else {
                        found.join(", ")
                    },
                });
                traces.push(trace);
                continue;
            }
            trace.took = took.iter().map(|&u| units[u].key.clone()).collect();
            let placement = place(
                &rule.action,
                rule.split,
                &took,
                units,
                &self.sites,
                stock,
                destination,
                exclude,
            );
            for &u in &placement.held {
                places[u] = Some(Place {
                    location: None,
                    held: Some(format!("rule `{}` holds it for a person", rule.label)),
                    decided_by: rule.label.clone(),
                });
            }
            for (u, loc) in &placement.placed {
                places[*u] = Some(Place {
                    location: Some(loc.clone()),
                    held: None,
                    decided_by: rule.label.clone(),
                });
            }
            let done = placement.placed.len() + placement.held.len();
            trace.outcome = if done == took.len() {
                RuleOutcome::Applied
            } else if done == 0 {
                RuleOutcome::Unplaced
            } else {
                RuleOutcome::Partial
            };
            trace.candidates = placement.candidates;
            trace.note = placement.note;
            traces.push(trace);
        }
        let open: Vec<usize> = (0..units.len()).filter(|&u| places[u].is_none()).collect();
        let fallback = if open.is_empty() {
            None
        } else {
            Some(self.fall_back(order, &open, units, &mut places, stock, exclude))
        };
        (places, traces, fallback)
    }

    /// Places the units no rule placed, and says how.
    fn fall_back(
        &self,
        order: &Order,
        open: &[usize],
        units: &[Unit],
        places: &mut [Option<Place>],
        stock: &StockSnapshot,
        exclude: &BTreeSet<String>,
    ) -> FallbackTrace {
        let keys: Vec<String> = open.iter().map(|&u| units[u].key.clone()).collect();
        let hold = |places: &mut [Option<Place>], reason: String, by: &str| {
            for &u in open {
                places[u] = Some(Place {
                    location: None,
                    held: Some(reason.clone()),
                    decided_by: by.to_string(),
                });
            }
        };
        match &self.fallback {
            Some(Fallback::Hold) => {
                hold(
                    places,
                    "no rule placed it; the fallback is hold".into(),
                    "fallback",
                );
                FallbackTrace {
                    action: "hold".into(),
                    lines: keys,
                    note: None,
                }
            }
            Some(Fallback::Location(id)) => {
                let site = self.sites.iter().find(|s| &s.id == id);
                let mut refused = Vec::new();
                for &u in open {
                    let why = match site {
                        _ if exclude.contains(id) => Some(format!(
                            "fallback location `{id}` refused this order before"
                        )),
                        None => Some(format!("fallback location `{id}` is unknown")),
                        Some(s) => catalog_refusal(s, &units[u], stock)
                            .map(|r| format!("fallback location `{id}` cannot take it: {r}")),
                    };
                    places[u] = Some(match why {
                        None => Place {
                            location: Some(id.clone()),
                            held: None,
                            decided_by: "fallback".into(),
                        },
                        Some(r) => {
                            refused.push(r.clone());
                            Place {
                                location: None,
                                held: Some(r),
                                decided_by: "fallback".into(),
                            }
                        }
                    });
                }
                FallbackTrace {
                    action: format!("location {id}"),
                    lines: keys,
                    note: (!refused.is_empty()).then(|| refused.join("; ")),
                }
            }
            None if !self.rules.is_empty() => {
                hold(
                    places,
                    "no rule placed it and no fallback is configured".into(),
                    "fallback",
                );
                FallbackTrace {
                    action: "hold (no fallback configured)".into(),
                    lines: keys,
                    note: None,
                }
            }
            None => match self
                .sites
                .iter()
                .find(|s| s.kind == LocationKind::SelfWarehouse && !exclude.contains(&s.id))
            {
                Some(own) => {
                    for &u in open {
                        places[u] = Some(Place {
                            location: Some(own.id.clone()),
                            held: None,
                            decided_by: "default:own_warehouse".into(),
                        });
                    }
                    FallbackTrace {
                        action: format!("default: own warehouse {}", own.id),
                        lines: keys,
                        note: Some(format!(
                            "no routing rules configured; {} line(s) of a {} order go to own \
                             warehouse `{}`",
                            order.lines.len(),
                            order.payment_status.as_str(),
                            own.id
                        )),
                    }
                }
                None => {
                    hold(
                        places,
                        "no routing rules and no own warehouse (that did not refuse it) configured"
                            .into(),
                        "default:hold",
                    );
                    FallbackTrace {
                        action: "default: hold".into(),
                        lines: keys,
                        note: Some("no own warehouse configured; held for a person".into()),
                    }
                }
            },
        }
    }
}

/// Lines grouped by SKU (one reservation each); a line without a SKU stands alone.
fn units_of(order: &Order) -> Vec<Unit> {
    let mut units: Vec<Unit> = Vec::new();
    for (i, line) in order.lines.iter().enumerate() {
        match &line.sku {
            Some(sku) => match units.iter_mut().find(|u| u.sku.as_ref() == Some(sku)) {
                Some(u) => {
                    u.quantity += i64::from(line.quantity);
                    u.lines.push(i);
                }
                None => units.push(Unit {
                    key: sku.clone(),
                    sku: Some(sku.clone()),
                    quantity: i64::from(line.quantity),
                    lines: vec![i],
                }),
            },
            None => units.push(Unit {
                key: format!("line {}", line.line_id),
                sku: None,
                quantity: i64::from(line.quantity),
                lines: vec![i],
            }),
        }
    }
    units
}

/// Where the parcel goes: the ship-to region's centre, else its country's.
fn destination_of(order: &Order) -> Option<Coordinates> {
    let ship = order.ship_to.as_ref()?;
    let country = ship.country_code.as_deref()?;
    ship.region
        .as_deref()
        .and_then(|r| centroids::region(country, r))
        .or_else(|| centroids::country(country))
}

fn lines_of(order: &Order, units: &[Unit], places: &[Option<Place>]) -> Vec<PlannedLine> {
    let mut out: Vec<Option<PlannedLine>> = vec![None; order.lines.len()];
    for (unit, place) in units.iter().zip(places) {
        let place = place.clone().unwrap_or(Place {
            location: None,
            held: Some("not placed".into()),
            decided_by: "fallback".into(),
        });
        for &i in &unit.lines {
            let line = &order.lines[i];
            out[i] = Some(PlannedLine {
                line_id: line.line_id.clone(),
                sku: line.sku.clone(),
                quantity: line.quantity,
                location: place.location.clone(),
                held: place.held.clone(),
                decided_by: place.decided_by.clone(),
            });
        }
    }
    out.into_iter().flatten().collect()
}
