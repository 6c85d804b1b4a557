//! README's demo command must keep working: run it and require its summary to pass, with
//! orders reaching all three kinds of fulfilment (own warehouse, 3PL, dropship supplier).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use std::process::Command;
use std::time::Instant;

#[test]
fn the_demo_passes_every_check_within_a_minute() {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_switchyard"))
        .args(["demo", "--orders", "60"])
        .env("RUST_LOG", "warn")
        .output()
        .expect("run switchyard demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "demo failed\n{stdout}\n{stderr}");
    assert!(stdout.contains("demo: all checks passed"), "{stdout}");
    assert!(!stdout.contains("FAIL"), "{stdout}");
    for target in ["own warehouse", "3PL, ShipBob API", "dropship, HTTP JSON"] {
        let line = stdout
            .lines()
            .find(|l| l.contains(target))
            .unwrap_or_else(|| panic!("no summary line for {target}\n{stdout}"));
        assert!(
            !line.contains(": 0 orders") && !line.contains("; 0 parcels shipped"),
            "{target} got nothing: {line}"
        );
    }
    // Orders mixing own-warehouse and partner lines: `ship` took only the own part.
    let own = stdout
        .lines()
        .find(|l| l.contains("own warehouse"))
        .unwrap_or_default();
    assert!(
        !own.contains("(0 split)"),
        "no order mixed own-warehouse and partner lines: {own}"
    );
    assert!(
        started.elapsed().as_secs() < 60,
        "demo took {:?}",
        started.elapsed()
    );
}
