//! Where an order goes. The merchant's rules (`routing:` in the configuration) are evaluated
//! top to bottom over the order and a stock snapshot, purely; the plan says where each line
//! goes or why it is held, and carries the explanation `switchyard orders show` prints.
//! Without rules, every paid order goes to the first own warehouse, as before rules existed.

pub mod centroids;
mod conditions;
mod describe;
pub mod distance;
mod evaluate;
mod plan;
mod snapshot;
mod strategies;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use evaluate::{Reroute, Router, UNKNOWN_SKU};
pub use plan::{
    CandidateTrace, ConditionMiss, Explanation, FallbackTrace, PlannedLine, Release, RerouteTrace,
    RoutePlan, RuleOutcome, RuleTrace, StockSeen,
};
pub use snapshot::StockSnapshot;

/// Rules that cannot be compiled. `Config::validate` reports these first, with positions;
/// this is for rules that did not come through it.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum RoutingError {
    #[error("{path}: `{glob}` is not a valid glob: {reason}")]
    BadGlob {
        path: String,
        glob: String,
        reason: String,
    },
    #[error("{path}: unknown SKU tag `{tag}`")]
    UnknownSkuTag { path: String, tag: String },
}

/// A decision as stored: the primary location, who decided, and the plan as JSON. Decisions
/// recorded before rules existed hold plain text instead of JSON; `plan` is then `None`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteDecision {
    /// The location taking most units; `None` when nothing is placed.
    pub location_id: Option<String>,
    pub rule: String,
    pub explanation: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<RoutePlan>,
}

impl RouteDecision {
    /// Reads a stored row, parsing the explanation when it is a plan.
    pub fn from_row(location_id: Option<String>, rule: String, explanation: String) -> Self {
        let plan = serde_json::from_str(&explanation).ok();
        Self {
            location_id,
            rule,
            explanation,
            plan,
        }
    }

    /// A readable account: the plan's, or the stored text of an older decision.
    pub fn describe(&self) -> String {
        match &self.plan {
            Some(plan) => plan.describe(),
            None => format!(
                "Decision: {} by {}\n  {}\n",
                self.location_id.as_deref().unwrap_or("held"),
                self.rule,
                self.explanation
            ),
        }
    }
}
