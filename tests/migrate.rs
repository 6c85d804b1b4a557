//! `switchyard migrate` (issue 10): the demo's SQLite database moves to PostgreSQL with every
//! row, the copy's audit finds nothing, the source is left as it was, a target holding data is
//! refused by name, and a copy SIGKILLed midway leaves a target a second run completes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use switchyard_store::testing::TestDatabase;

const BIN: &str = env!("CARGO_BIN_EXE_switchyard");

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Rows of `orders list` and of the stock ledger on a store, through the CLI.
fn orders(store: &str) -> Vec<String> {
    let out = run(&["--store", store, "orders", "list", "--limit", "100000"]);
    assert!(out.status.success(), "{}", text(&out));
    let mut lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    lines.sort();
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_database_moves_to_postgres_whole_and_audits_clean() {
    let dir = tempfile::tempdir().unwrap();
    let keep = dir.path().join("demo");
    let demo = run(&["demo", "--orders", "60", "--keep", keep.to_str().unwrap()]);
    assert!(demo.status.success(), "{}", text(&demo));
    let db = keep.join("demo.db");
    let from = format!("sqlite://{}", db.display());
    // What the source holds before the copy (migrate opens it read-only; this shows it).
    let source_orders = orders(&from);
    let target = TestDatabase::new().await;

    // A copy killed midway leaves nothing behind: the second run completes it (or, had the
    // first committed before the kill, refuses clearly; the target is then checked whole).
    let mut child = Command::new(BIN)
        .args(["migrate", "--from", &from, "--to", &target.url])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(400));
    let _ = child.kill();
    let killed = child.wait().unwrap();

    let out = run(&["migrate", "--from", &from, "--to", &target.url]);
    let said = text(&out);
    if !out.status.success() {
        // The first copy committed before the kill (the kill may land during its audit, after
        // the commit): the second refuses, and the checks below find the target whole.
        assert!(
            said.contains("the target already holds data"),
            "after a kill ({killed:?}) the second run neither completed nor refused clearly:\n{said}"
        );
    } else {
        assert!(
            said.contains("every table's count matches the source"),
            "{said}"
        );
        assert!(
            said.contains("stock audit on the target: no violation"),
            "{said}"
        );
        for table in ["orders", "stock_ledger", "outbox", "inbox", "poll_cursors"] {
            assert!(
                said.lines().any(|l| l.trim_start().starts_with(table)),
                "{table} not copied:\n{said}"
            );
        }
    }

    // The source as it was, and the same orders on both.
    assert_eq!(orders(&from), source_orders, "the source changed");
    assert_eq!(orders(&from), orders(&target.url));
    assert!(!orders(&target.url).is_empty());
    let audit = run(&["--store", &target.url, "stock", "audit"]);
    assert!(audit.status.success(), "{}", text(&audit));

    // A target that holds data is refused, naming what it holds.
    let again = run(&["migrate", "--from", &from, "--to", &target.url]);
    assert!(!again.status.success());
    let said = text(&again);
    assert!(
        said.contains("the target already holds data") && said.contains("orders:"),
        "{said}"
    );

    // New rows on the target continue after the copied ids.
    let import = dir.path().join("more.csv");
    std::fs::write(&import, "sku,quantity\nNEW-SKU-1,5\n").unwrap();
    let out = run(&[
        "--store",
        &target.url,
        "stock",
        "import",
        import.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));

    // Wrong engines are refused before anything is read.
    let wrong = run(&["migrate", "--from", &target.url, "--to", &target.url]);
    assert!(
        text(&wrong).contains("--from must be a SQLite store"),
        "{}",
        text(&wrong)
    );
}
