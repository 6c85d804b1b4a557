//! What routing decided for one order, and why: where each line goes (or why it is held),
//! which rule placed it, why earlier rules did not, and the stock each candidate had. Stored
//! as JSON in `routing_decisions.explanation`; `switchyard orders show` prints it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The decision for one order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoutePlan {
    /// Every line of the order, in order.
    pub lines: Vec<PlannedLine>,
    pub explanation: Explanation,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedLine {
    pub line_id: String,
    pub sku: Option<String>,
    pub quantity: u32,
    /// Where the line is packed; `None` while held.
    pub location: Option<String>,
    /// Why the line waits for a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held: Option<String>,
    /// The rule label, `fallback`, `default:own_warehouse`, `default:hold` or `operator`.
    pub decided_by: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Explanation {
    /// Each configured rule, top to bottom, with what it did for this order.
    pub rules: Vec<RuleTrace>,
    /// What happened to the lines no rule placed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<FallbackTrace>,
    /// Set when an operator released held lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<Release>,
    /// Set when lines were placed again because a location refused them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reroute: Option<RerouteTrace>,
}

/// Why lines were placed a second time: which locations refused what, and which lines moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RerouteTrace {
    /// One entry per refusing location: `bob rejected BOB-TEE: out of stock`.
    pub because: Vec<String>,
    /// Locations this order never goes to again.
    pub excluded: Vec<String>,
    /// The lines (SKU, or `line <id>`) placed again; the others kept their place.
    pub lines: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleTrace {
    pub index: usize,
    pub name: String,
    pub outcome: RuleOutcome,
    /// The conditions that did not hold, with the values compared.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<ConditionMiss>,
    /// The lines (SKU, or `line <id>` without one) the rule took.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub took: Vec<String>,
    /// Candidate locations looked at, in the order they were tried.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<CandidateTrace>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleOutcome {
    /// Placed (or held) every line it took.
    Applied,
    /// Placed some of the lines it took; the others went on to later rules.
    Partial,
    /// Its conditions held but no candidate could serve the lines; they went on.
    Unplaced,
    /// A condition did not hold.
    NotMatched,
    /// Every line was already placed by an earlier rule.
    NotReached,
}

impl RuleOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleOutcome::Applied => "applied",
            RuleOutcome::Partial => "partly applied",
            RuleOutcome::Unplaced => "matched, nothing placed",
            RuleOutcome::NotMatched => "did not match",
            RuleOutcome::NotReached => "not needed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConditionMiss {
    pub condition: String,
    pub wanted: Vec<String>,
    pub found: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidateTrace {
    pub location: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distance_km: Option<f64>,
    /// Needed and free units of each SKU the rule took.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stock: Vec<StockSeen>,
    /// The lines it was chosen for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chosen: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockSeen {
    pub sku: String,
    pub needed: i64,
    pub available: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FallbackTrace {
    /// `hold`, `location X`, `default: own warehouse X` or `default: hold`.
    pub action: String,
    pub lines: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A person's decision on held lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Release {
    /// Always starts with `operator`; the login name follows when known.
    pub by: String,
    /// RFC 3339.
    pub at: String,
    pub to: String,
    pub lines: Vec<String>,
    /// Why those lines were held.
    pub held_because: Vec<String>,
}

impl RoutePlan {
    /// Every line held with `reason`: how a decision stored before plans existed reads.
    pub fn all_held(order: &crate::model::Order, reason: &str) -> RoutePlan {
        RoutePlan {
            lines: order
                .lines
                .iter()
                .map(|l| PlannedLine {
                    line_id: l.line_id.clone(),
                    sku: l.sku.clone(),
                    quantity: l.quantity,
                    location: None,
                    held: Some(reason.to_string()),
                    decided_by: "default:hold".into(),
                })
                .collect(),
            explanation: Explanation::default(),
        }
    }

    /// Some line waits for a person.
    pub fn is_held(&self) -> bool {
        self.lines.iter().any(|l| l.location.is_none())
    }

    /// Each SKU once, with its location (all lines of one SKU share one reservation).
    pub fn sku_locations(&self) -> Vec<(String, Option<String>)> {
        let mut out: Vec<(String, Option<String>)> = Vec::new();
        for l in &self.lines {
            if let Some(sku) = &l.sku
                && !out.iter().any(|(s, _)| s == sku)
            {
                out.push((sku.clone(), l.location.clone()));
            }
        }
        out
    }

    /// The location taking the most units (first in line order on a tie); where lines
    /// without their own reservation are packed.
    pub fn primary_location(&self) -> Option<String> {
        let mut units: Vec<(&str, u64)> = Vec::new();
        for l in &self.lines {
            let Some(loc) = l.location.as_deref() else {
                continue;
            };
            match units.iter_mut().find(|(x, _)| *x == loc) {
                Some((_, n)) => *n += u64::from(l.quantity),
                None => units.push((loc, u64::from(l.quantity))),
            }
        }
        let mut best: Option<(&str, u64)> = None;
        for (loc, n) in units {
            if best.is_none_or(|(_, m)| n > m) {
                best = Some((loc, n));
            }
        }
        best.map(|(l, _)| l.to_string())
    }

    /// Who decided, each once: the rule labels (or defaults) behind the lines.
    pub fn rule_summary(&self) -> String {
        let mut seen: Vec<&str> = Vec::new();
        for l in &self.lines {
            if !seen.contains(&l.decided_by.as_str()) {
                seen.push(&l.decided_by);
            }
        }
        if seen.is_empty() {
            "no lines".into()
        } else {
            seen.join(", ")
        }
    }

    /// Why the held lines are held, each reason once.
    pub fn held_reason(&self) -> Option<String> {
        let mut reasons: Vec<&str> = Vec::new();
        for l in &self.lines {
            if let Some(r) = l.held.as_deref()
                && !reasons.contains(&r)
            {
                reasons.push(r);
            }
        }
        (!reasons.is_empty()).then(|| reasons.join("; "))
    }

    /// A one-line outcome, for listings and `route --what-if`: `main`, `main: A×2 | berlin:
    /// B×1`, or `held: A×1 (reason)`.
    pub fn outcome(&self) -> String {
        let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for l in &self.lines {
            let key = match &l.location {
                Some(loc) => loc.clone(),
                None => "held".to_string(),
            };
            let item = format!("{}×{}", self.line_key(l), l.quantity);
            groups.entry(key).or_default().push(item);
        }
        if groups.len() == 1
            && let Some((loc, _)) = groups.first_key_value()
            && loc != "held"
        {
            return loc.clone();
        }
        groups
            .into_iter()
            .map(|(loc, items)| format!("{loc}: {}", items.join(", ")))
            .collect::<Vec<_>>()
            .join(" | ")
    }

    /// What each line gets, to compare two plans for the same order.
    pub fn placement(&self) -> Vec<(String, Option<String>)> {
        self.lines
            .iter()
            .map(|l| (l.line_id.clone(), l.location.clone()))
            .collect()
    }

    fn line_key(&self, l: &PlannedLine) -> String {
        match &l.sku {
            Some(s) => s.clone(),
            None => format!("line {}", l.line_id),
        }
    }

    /// The plan after an operator sends every held line to `to`.
    pub fn released(&self, to: &str, by: &str, at: &str) -> RoutePlan {
        let mut next = self.clone();
        let mut lines = Vec::new();
        let held_because = self.held_reason().into_iter().collect();
        for l in next.lines.iter_mut().filter(|l| l.location.is_none()) {
            lines.push(match &l.sku {
                Some(s) => s.clone(),
                None => format!("line {}", l.line_id),
            });
            l.location = Some(to.to_string());
            l.held = None;
            l.decided_by = "operator".into();
        }
        next.explanation.release = Some(Release {
            by: by.to_string(),
            at: at.to_string(),
            to: to.to_string(),
            lines,
            held_because,
        });
        next
    }
}
