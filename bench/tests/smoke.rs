//! Each scenario, tiny, through the real binary: the harness keeps working and its JSON keeps
//! the fields the README's figures are read from.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use std::process::Command;

use serde_json::Value;

fn run(args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_switchyard-bench"))
        .args(args)
        .arg("--json")
        .output()
        .expect("run switchyard-bench");
    assert!(
        out.status.success(),
        "switchyard-bench {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("utf-8 output");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one JSON object on one line: {stdout}");
    serde_json::from_str(lines[0]).expect("JSON output")
}

fn num(v: &Value, key: &str) -> f64 {
    v.get(key)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("`{key}` missing or not a number in {v}"))
}

#[test]
fn oversell_two_channels_for_two_seconds() {
    let v = run(&[
        "oversell",
        "--channels",
        "shopify,woocommerce",
        "--skus",
        "50",
        "--rate",
        "20",
        "--seconds",
        "2",
        "--drain-s",
        "30",
    ]);
    assert_eq!(v["scenario"], "oversell");
    assert_eq!(num(&v, "orders"), 40.0);
    assert_eq!(num(&v, "rate_per_s"), 20.0);
    assert_eq!(num(&v, "channels"), 2.0);
    assert_eq!(num(&v, "unacked"), 0.0, "every webhook answered: {v}");
    assert_eq!(num(&v, "unconverged"), 0.0, "every sale reached both: {v}");
    let latency = &v["latency_ms"];
    let (p50, p95, p99) = (
        num(latency, "p50"),
        num(latency, "p95"),
        num(latency, "p99"),
    );
    assert!(
        0.0 <= p50 && p50 <= p95 && p95 <= p99 && p99 < 30_000.0,
        "{latency}"
    );
    // Each order changes at least one level on each channel; one call carries them at best.
    let (calls, least) = (num(&v, "api_calls"), num(&v, "min_api_calls"));
    assert!(
        least >= 2.0 && calls >= least,
        "calls {calls}, least {least}"
    );
    // Per channel, keyed by id, with the floor its own limits impose.
    let per_channel = v["per_channel"].as_object().expect("per_channel map");
    assert_eq!(per_channel.len(), 2);
    let mut sum = 0.0;
    for id in ["shopify", "woocommerce"] {
        let c = &per_channel[id];
        assert!(num(c, "p50") <= num(c, "p99"), "{c}");
        assert_eq!(num(c, "converged"), 40.0, "{c}");
        assert!(num(c, "floor_ms") >= 0.0, "{c}");
        assert!(num(c, "api_calls") >= num(c, "min_api_calls"), "{c}");
        sum += num(c, "api_calls");
    }
    assert_eq!(sum, calls);
}

#[test]
fn catalog_of_two_hundred_skus() {
    let v = run(&[
        "catalog",
        "--skus",
        "200",
        "--channels",
        "shopify,woocommerce,walmart,bigcommerce",
        "--max-wall-s",
        "30",
    ]);
    assert_eq!(v["scenario"], "catalog");
    assert_eq!(num(&v, "skus"), 200.0);
    assert_eq!(num(&v, "channels"), 4.0);
    assert_eq!(v["complete"], true, "{v}");
    let (wall, floor) = (num(&v, "wall_s"), num(&v, "floor_s"));
    assert!(
        wall > 0.0 && wall < 30.0 && floor >= 0.0,
        "wall {wall}, floor {floor}"
    );
    assert!(num(&v, "peak_rss_mb") > 1.0);
    let per_channel = v["per_channel"].as_array().expect("per_channel");
    assert_eq!(per_channel.len(), 4);
    for c in per_channel {
        assert_eq!(num(c, "skus_done"), 200.0, "{c}");
        // `floor_calls` counts the calls of the fastest path, which need not be the path with
        // the fewest calls (Walmart: 200 single PUTs finish before one feed is processed).
        assert!(num(c, "api_calls") >= 1.0, "{c}");
    }
}

#[test]
fn ingest_of_two_hundred_webhooks() {
    let v = run(&[
        "ingest",
        "--orders",
        "200",
        "--concurrency",
        "8",
        "--skus",
        "20",
    ]);
    assert_eq!(v["scenario"], "ingest");
    assert_eq!(num(&v, "orders"), 200.0);
    assert_eq!(num(&v, "accepted"), 200.0, "{v}");
    assert!(num(&v, "accepted_per_s") > 0.0);
    assert!(num(&v, "floor_per_s") > 0.0);
    assert!(num(&v, "ack_p99_ms") > 0.0);
    assert_eq!(v["floor"]["accepted"], 200);
}
