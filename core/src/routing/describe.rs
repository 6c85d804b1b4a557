//! A routing plan as text a person reads (`switchyard orders show`).

use std::fmt::Write;

use super::plan::{RoutePlan, RuleOutcome};

impl RoutePlan {
    /// Where each line goes, then each rule's verdict, the stock each candidate had, the
    /// fallback and any release, indented under a heading.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        let state = if self.is_held() { "held" } else { "routed" };
        let _ = writeln!(out, "Decision: {state} ({})", self.outcome());
        for l in &self.lines {
            let what = match &l.sku {
                Some(s) => format!("{s} ×{}", l.quantity),
                None => format!("(no SKU) ×{}", l.quantity),
            };
            let to = match (&l.location, &l.held) {
                (Some(loc), _) => format!("→ {loc}"),
                (None, Some(why)) => format!("held: {why}"),
                (None, None) => "held".into(),
            };
            let _ = writeln!(
                out,
                "  line {:<14} {what:<20} {to}   [{}]",
                l.line_id, l.decided_by
            );
        }
        let e = &self.explanation;
        if let Some(r) = &e.reroute {
            let _ = writeln!(
                out,
                "Re-routed {} because: {}",
                r.lines.join(", "),
                r.because.join("; ")
            );
            let _ = writeln!(out, "  never again at: {}", r.excluded.join(", "));
        }
        if !e.rules.is_empty() {
            let _ = writeln!(out, "Rules:");
        }
        for r in &e.rules {
            let took = if r.took.is_empty() || r.outcome == RuleOutcome::NotMatched {
                String::new()
            } else {
                format!(" — took {}", r.took.join(", "))
            };
            let _ = writeln!(
                out,
                "  #{} {}: {}{took}",
                r.index,
                r.name,
                r.outcome.as_str()
            );
            for m in &r.failed {
                let _ = writeln!(
                    out,
                    "      {}: wanted {}; found {}",
                    m.condition,
                    m.wanted.join(" or "),
                    m.found
                );
            }
            if let Some(note) = &r.note {
                let _ = writeln!(out, "      note: {note}");
            }
            for c in &r.candidates {
                let distance = c
                    .distance_km
                    .map(|d| format!(" ({d} km)"))
                    .unwrap_or_default();
                let stock = c
                    .stock
                    .iter()
                    .map(|s| format!("{} {}/{}", s.sku, s.available, s.needed))
                    .collect::<Vec<_>>()
                    .join(", ");
                let stock = if stock.is_empty() {
                    String::new()
                } else {
                    format!(" free/needed: {stock}")
                };
                let verdict = match (&c.skipped, c.chosen.is_empty()) {
                    (Some(why), _) => format!(" → skipped: {why}"),
                    (None, false) => format!(" → chosen for {}", c.chosen.join(", ")),
                    (None, true) => String::new(),
                };
                let _ = writeln!(out, "      {}{distance}:{stock}{verdict}", c.location);
            }
        }
        if let Some(f) = &e.fallback {
            let _ = writeln!(out, "Fallback: {} for {}", f.action, f.lines.join(", "));
            if let Some(note) = &f.note {
                let _ = writeln!(out, "  {note}");
            }
        }
        if let Some(r) = &e.release {
            let _ = writeln!(
                out,
                "Released by {} at {}: {} → {} (was held: {})",
                r.by,
                r.at,
                r.lines.join(", "),
                r.to,
                r.held_because.join("; ")
            );
        }
        out
    }
}
