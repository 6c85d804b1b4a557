//! Shopify's calculated query cost and the leaky bucket it is charged against.
//!
//! Requested cost, as Shopify documents it: scalars and enums 0, objects 1, a connection
//! 2 + `first` × the cost of one node, every mutation field 10.

use std::collections::HashMap;
use std::time::Instant;

use graphql_parser::query::{FragmentDefinition, Selection, SelectionSet};
use serde_json::{Map, Value};

use super::exec::arg_values;

type Frags<'a> = HashMap<String, &'a FragmentDefinition<'a, String>>;

/// Cost of a query's root selection set.
pub(crate) fn query_cost<'a>(
    set: &SelectionSet<'a, String>,
    vars: &Map<String, Value>,
    frags: &Frags<'a>,
) -> u64 {
    selection_cost(set, vars, frags)
}

/// Cost of a mutation: 10 a root field, whatever it selects.
pub(crate) fn mutation_cost(set: &SelectionSet<'_, String>) -> u64 {
    10 * set
        .items
        .iter()
        .filter(|s| matches!(s, Selection::Field(f) if !f.name.starts_with("__")))
        .count() as u64
}

fn selection_cost<'a>(
    set: &SelectionSet<'a, String>,
    vars: &Map<String, Value>,
    frags: &Frags<'a>,
) -> u64 {
    let mut total = 0;
    for item in &set.items {
        total += match item {
            Selection::Field(f) => {
                if f.selection_set.items.is_empty() || f.name.starts_with("__") {
                    0
                } else if let Some(node) = connection_node(&f.selection_set) {
                    let args = arg_values(&f.arguments, vars).unwrap_or_default();
                    let n = ["first", "last"]
                        .iter()
                        .find_map(|k| args.get(*k).and_then(Value::as_u64))
                        .unwrap_or(0);
                    2 + n * (1 + selection_cost(node, vars, frags))
                } else {
                    1 + selection_cost(&f.selection_set, vars, frags)
                }
            }
            Selection::InlineFragment(i) => selection_cost(&i.selection_set, vars, frags),
            Selection::FragmentSpread(s) => frags
                .get(&s.fragment_name)
                .map_or(0, |d| selection_cost(&d.selection_set, vars, frags)),
        };
    }
    total
}

/// The node selection of a connection field (`nodes { … }` or `edges { node { … } }`).
fn connection_node<'a, 'b>(
    set: &'b SelectionSet<'a, String>,
) -> Option<&'b SelectionSet<'a, String>> {
    for item in &set.items {
        let Selection::Field(f) = item else { continue };
        if f.name == "nodes" {
            return Some(&f.selection_set);
        }
        if f.name == "edges" {
            for inner in &f.selection_set.items {
                if let Selection::Field(n) = inner
                    && n.name == "node"
                {
                    return Some(&n.selection_set);
                }
            }
        }
    }
    None
}

/// A leaky bucket of cost points: full at start, restored continuously.
#[derive(Debug)]
pub(crate) struct Bucket {
    available: f64,
    max: f64,
    rate: f64,
    at: Instant,
}

impl Bucket {
    pub fn new(max: f64, rate: f64) -> Self {
        Self {
            available: max,
            max,
            rate,
            at: Instant::now(),
        }
    }

    fn refill(&mut self) {
        let now = Instant::now();
        let elapsed = now.duration_since(self.at).as_secs_f64();
        self.available = (self.available + elapsed * self.rate).min(self.max);
        self.at = now;
    }

    /// Takes `cost` points if the bucket holds them.
    pub fn try_take(&mut self, cost: f64) -> bool {
        self.refill();
        if self.available >= cost {
            self.available -= cost;
            true
        } else {
            false
        }
    }

    /// Gives back what a query was charged beyond its actual cost.
    pub fn refund(&mut self, points: f64) {
        self.available = (self.available + points.max(0.0)).min(self.max);
    }

    /// Empties the bucket, for tests that need to start throttled.
    pub fn drain(&mut self) {
        self.refill();
        self.available = 0.0;
    }

    pub fn status(&mut self) -> Value {
        self.refill();
        serde_json::json!({
            "maximumAvailable": self.max,
            "currentlyAvailable": self.available.floor(),
            "restoreRate": self.rate,
        })
    }
}
