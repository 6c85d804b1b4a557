//! README's demo command must keep working: run it and require its summary to pass.

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
    assert!(
        started.elapsed().as_secs() < 60,
        "demo took {:?}",
        started.elapsed()
    );
}
