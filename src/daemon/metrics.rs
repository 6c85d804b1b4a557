//! Counters exposed at `/metrics` in Prometheus text format.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

#[derive(Default)]
pub struct Metrics {
    counters: Mutex<BTreeMap<(String, String), u64>>,
}

impl Metrics {
    /// Adds `n` to the counter `name` with a label set such as `channel="shop"`.
    pub fn add(&self, name: &str, labels: &str, n: u64) {
        if let Ok(mut c) = self.counters.lock() {
            *c.entry((name.to_string(), labels.to_string())).or_default() += n;
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        let Ok(c) = self.counters.lock() else {
            return out;
        };
        let mut last = "";
        for ((name, labels), v) in c.iter() {
            if name != last {
                let _ = writeln!(out, "# TYPE switchyard_{name} counter");
                last = name;
            }
            let _ = writeln!(out, "switchyard_{name}{{{labels}}} {v}");
        }
        out
    }
}
