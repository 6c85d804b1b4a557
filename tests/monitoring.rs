//! The monitoring kit in `deploy/monitoring/` matches the daemon: every metric the alert rules
//! and the Grafana dashboard query is one the daemon exports (read from a running daemon's
//! `/metrics`), and `promtool check rules` (Debian's `prometheus` package; ci/test.sh installs
//! it) accepts the rules.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::Env;

/// Sample names the exposition declares: `# TYPE` lines give each family and its kind.
fn exported_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in text.lines() {
        let mut f = line.split_whitespace();
        if f.next() != Some("#") || f.next() != Some("TYPE") {
            continue;
        }
        let (Some(name), Some(kind)) = (f.next(), f.next()) else {
            continue;
        };
        match kind {
            "counter" => {
                names.insert(format!("{name}_total"));
            }
            "histogram" => {
                for suffix in ["_bucket", "_count", "_sum"] {
                    names.insert(format!("{name}{suffix}"));
                }
            }
            _ => {
                names.insert(name.to_string());
            }
        }
    }
    names
}

fn queried_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("switchyard_") {
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(tail.len());
        names.insert(tail[..end].to_string());
        rest = &tail[end..];
    }
    names
}

fn kit(file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("deploy/monitoring")
        .join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_metric_the_alerts_and_the_dashboard_query_is_exported() {
    let env = Env::new(&[("SKU-1", 5)], 0).await;
    let _daemon = env.start_daemon().await;
    let exported = exported_names(&env.metrics().await);
    assert!(
        exported.contains("switchyard_store_writable"),
        "{exported:?}"
    );
    let dashboard = kit("grafana-dashboard.json");
    serde_json::from_str::<serde_json::Value>(&dashboard).expect("the dashboard is JSON");
    for (file, text) in [
        ("alerts.yml", kit("alerts.yml")),
        ("grafana-dashboard.json", dashboard),
    ] {
        let queried = queried_names(&text);
        assert!(queried.len() >= 10, "{file} queries {queried:?}");
        let missing: Vec<&String> = queried.difference(&exported).collect();
        assert!(
            missing.is_empty(),
            "{file} queries metrics the daemon does not export: {missing:?}\nexported: {exported:?}"
        );
    }
}

#[test]
fn promtool_accepts_the_alert_rules() {
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/monitoring/alerts.yml");
    let out = std::process::Command::new("promtool")
        .arg("check")
        .arg("rules")
        .arg(&rules)
        .output()
        .unwrap_or_else(|e| {
            panic!("promtool not runnable ({e}): install Debian's `prometheus` (ci/test.sh does)")
        });
    assert!(
        out.status.success(),
        "promtool check rules failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("SUCCESS"));
}
