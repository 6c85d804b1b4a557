//! How the console writes times, durations and rates, and its charts: horizontal bar charts
//! drawn as inline SVG by this code (no chart library). Every text that goes into SVG is
//! escaped here; the templates mark the finished SVG safe.

use std::fmt::Write as _;

/// A Unix ms time as `2026-12-03 15:47:00` UTC.
pub fn time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| ms.to_string())
}

/// How long ago `ms` was at `now`: `12 s ago`, `5 min ago`, `3 h ago`, `2 d ago`.
pub fn ago(ms: Option<i64>, now: i64) -> String {
    match ms {
        None => "never".into(),
        Some(t) => format!("{} ago", duration(now - t)),
    }
}

/// A duration in ms, in the largest unit that keeps it readable.
pub fn duration(ms: i64) -> String {
    let ms = ms.max(0);
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else if ms < 3_600_000 {
        format!("{:.1} min", ms as f64 / 60_000.0)
    } else if ms < 48 * 3_600_000 {
        format!("{:.1} h", ms as f64 / 3_600_000.0)
    } else {
        format!("{:.1} d", ms as f64 / 86_400_000.0)
    }
}

/// A rate as a percentage, or a dash when there is no base.
pub fn percent(rate: Option<f64>) -> String {
    rate.map(|r| format!("{:.1} %", r * 100.0))
        .unwrap_or_else(|| "—".into())
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One bar group: a label and one value per series.
pub struct Bar {
    pub label: String,
    pub values: Vec<f64>,
    /// What each value reads as next to its bar.
    pub texts: Vec<String>,
}

const ROW: f64 = 22.0;
const LABEL_W: f64 = 190.0;
const CHART_W: f64 = 640.0;
const COLOURS: [&str; 3] = ["#2f6fb0", "#e08a2c", "#4a9a5b"];

/// A caption and a horizontal bar chart: per bar group one bar per series (a legend names them), scaled to
/// `max` (or the largest value). Empty data draws a note instead.
pub fn bar_chart(title: &str, series: &[&str], bars: &[Bar], max: Option<f64>) -> String {
    if bars.is_empty() {
        return format!(
            "<p class=\"empty\">{}: nothing in this window.</p>",
            escape(title)
        );
    }
    let per_group = series.len().max(1) as f64;
    let top = 26.0;
    let height = top + bars.len() as f64 * (per_group * ROW + 8.0) + 6.0;
    let largest = bars
        .iter()
        .flat_map(|b| b.values.iter().copied())
        .fold(0.0_f64, f64::max);
    let scale_max = max.unwrap_or(largest).max(f64::MIN_POSITIVE);
    let bar_w = CHART_W - LABEL_W - 110.0;
    let mut svg = format!("<figcaption>{}</figcaption>", escape(title));
    let _ = write!(
        svg,
        "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 {CHART_W} {height}\" width=\"{CHART_W}\" \
         height=\"{height}\" xmlns=\"http://www.w3.org/2000/svg\"><title>{}</title>",
        escape(title)
    );
    let mut x = LABEL_W;
    for (i, name) in series.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let _ = write!(
            svg,
            "<rect x=\"{x}\" y=\"6\" width=\"12\" height=\"12\" fill=\"{colour}\"/>\
             <text x=\"{}\" y=\"16\" class=\"legend\">{}</text>",
            x + 16.0,
            escape(name)
        );
        x += 24.0 + 8.0 * name.len() as f64;
    }
    let mut y = top;
    for bar in bars {
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"label\">{}</text>",
            LABEL_W - 8.0,
            y + ROW * per_group / 2.0 + 4.0,
            escape(&bar.label)
        );
        for (i, value) in bar.values.iter().enumerate() {
            let colour = COLOURS[i % COLOURS.len()];
            let w = (value / scale_max * bar_w).clamp(0.0, bar_w);
            let text = bar.texts.get(i).map(String::as_str).unwrap_or("");
            let _ = write!(
                svg,
                "<rect x=\"{LABEL_W}\" y=\"{}\" width=\"{w:.1}\" height=\"{}\" fill=\"{colour}\">\
                 <title>{}</title></rect><text x=\"{:.1}\" y=\"{}\" class=\"value\">{}</text>",
                y + 2.0,
                ROW - 6.0,
                escape(text),
                LABEL_W + w + 6.0,
                y + ROW - 8.0,
                escape(text)
            );
            y += ROW;
        }
        y += 8.0;
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_their_unit() {
        assert_eq!(duration(250), "250 ms");
        assert_eq!(duration(1_500), "1.5 s");
        assert_eq!(duration(90_000), "1.5 min");
        assert_eq!(duration(5_400_000), "1.5 h");
        assert_eq!(duration(3 * 86_400_000), "3.0 d");
        assert_eq!(percent(Some(0.25)), "25.0 %");
        assert_eq!(percent(None), "—");
        assert_eq!(time(0), "1970-01-01 00:00:00");
    }

    #[test]
    fn a_chart_scales_bars_and_escapes_its_text() {
        let svg = bar_chart(
            "t<x>",
            &["p50", "p90"],
            &[
                Bar {
                    label: "main / <shop>".into(),
                    values: vec![1.0, 2.0],
                    texts: vec!["1 s".into(), "2 s".into()],
                },
                Bar {
                    label: "bob".into(),
                    values: vec![0.5, 4.0],
                    texts: vec!["0.5 s".into(), "4 s".into()],
                },
            ],
            None,
        );
        assert!(svg.starts_with("<figcaption>t&lt;x&gt;</figcaption><svg"));
        assert!(svg.ends_with("</svg>"));
        assert!(svg.contains("main / &lt;shop&gt;") && svg.contains("t&lt;x&gt;"));
        assert!(!svg.contains("<shop>"));
        // The largest value fills the bar width; half of it, half.
        let full = CHART_W - LABEL_W - 110.0;
        assert!(svg.contains(&format!("width=\"{full:.1}\"")), "{svg}");
        assert!(
            svg.contains(&format!("width=\"{:.1}\"", full / 4.0)),
            "{svg}"
        );
        assert_eq!(svg.matches("<rect").count(), 2 + 4);
        assert!(bar_chart("none", &["a"], &[], None).contains("nothing in this window"));
    }
}
