//! Counters, gauges and histograms exposed at `/metrics` in Prometheus text format.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

/// Upper bounds (ms) of the latency histograms: sale-to-channel is promised in seconds.
const LATENCY_BUCKETS_MS: [f64; 12] = [
    50.0, 100.0, 250.0, 500.0, 1000.0, 2000.0, 5000.0, 10000.0, 30000.0, 60000.0, 300000.0,
    900000.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; LATENCY_BUCKETS_MS.len()],
    sum: f64,
    total: u64,
}

type Key = (String, String);

#[derive(Default)]
pub struct Metrics {
    counters: Mutex<BTreeMap<Key, u64>>,
    gauges: Mutex<BTreeMap<Key, f64>>,
    histograms: Mutex<BTreeMap<Key, Histogram>>,
}

impl Metrics {
    /// Adds `n` to the counter `name` with a label set such as `channel="shop"`.
    pub fn add(&self, name: &str, labels: &str, n: u64) {
        if let Ok(mut c) = self.counters.lock() {
            *c.entry((name.to_string(), labels.to_string())).or_default() += n;
        }
    }

    /// Sets the gauge `name` (a level that goes up and down, such as queue depth).
    pub fn set(&self, name: &str, labels: &str, value: f64) {
        if let Ok(mut g) = self.gauges.lock() {
            g.insert((name.to_string(), labels.to_string()), value);
        }
    }

    /// Records one latency observation in milliseconds.
    pub fn observe_ms(&self, name: &str, labels: &str, ms: f64) {
        if let Ok(mut h) = self.histograms.lock() {
            let hist = h.entry((name.to_string(), labels.to_string())).or_default();
            for (i, bound) in LATENCY_BUCKETS_MS.iter().enumerate() {
                if ms <= *bound {
                    hist.counts[i] += 1;
                }
            }
            hist.sum += ms;
            hist.total += 1;
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Ok(c) = self.counters.lock() {
            render_simple(&mut out, "counter", c.iter().map(|(k, v)| (k, *v as f64)));
        }
        if let Ok(g) = self.gauges.lock() {
            render_simple(&mut out, "gauge", g.iter().map(|(k, v)| (k, *v)));
        }
        if let Ok(h) = self.histograms.lock() {
            let mut last = "";
            for ((name, labels), hist) in h.iter() {
                if name != last {
                    let _ = writeln!(out, "# TYPE switchyard_{name} histogram");
                    last = name;
                }
                let sep = if labels.is_empty() { "" } else { "," };
                for (bound, count) in LATENCY_BUCKETS_MS.iter().zip(hist.counts) {
                    let _ = writeln!(
                        out,
                        "switchyard_{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {count}"
                    );
                }
                let _ = writeln!(
                    out,
                    "switchyard_{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
                    hist.total
                );
                let _ = writeln!(out, "switchyard_{name}_sum{{{labels}}} {}", hist.sum);
                let _ = writeln!(out, "switchyard_{name}_count{{{labels}}} {}", hist.total);
            }
        }
        out
    }
}

fn render_simple<'a>(out: &mut String, kind: &str, rows: impl Iterator<Item = (&'a Key, f64)>) {
    let mut last = "";
    for ((name, labels), v) in rows {
        if name != last {
            let _ = writeln!(out, "# TYPE switchyard_{name} {kind}");
            last = name;
        }
        let _ = writeln!(out, "switchyard_{name}{{{labels}}} {v}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_each_kind_in_prometheus_text() {
        let m = Metrics::default();
        m.add("orders_total", "channel=\"a\"", 2);
        m.set("stock_queue_depth", "channel=\"a\"", 5.0);
        m.observe_ms("stock_push_latency_ms", "channel=\"a\"", 120.0);
        let text = m.render();
        assert!(text.contains("# TYPE switchyard_orders_total counter"));
        assert!(text.contains("switchyard_stock_queue_depth{channel=\"a\"} 5"));
        assert!(
            text.contains("switchyard_stock_push_latency_ms_bucket{channel=\"a\",le=\"100\"} 0")
        );
        assert!(
            text.contains("switchyard_stock_push_latency_ms_bucket{channel=\"a\",le=\"250\"} 1")
        );
        assert!(text.contains("switchyard_stock_push_latency_ms_count{channel=\"a\"} 1"));
    }
}
