//! `switchyard migrate --from sqlite://… --to postgres://…`: moves a store to PostgreSQL with
//! its whole history (`switchyard_store::migrate`), then audits the copy.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use switchyard_store::migrate::{self, Progress};

use super::{Args, load_config};
use crate::app::{Actor, Operations};

/// A bar per table on a terminal (rows copied, rate, ETA); nothing otherwise.
struct Bars {
    bar: Option<ProgressBar>,
}

impl Progress for Bars {
    fn table(&mut self, table: &str, rows: u64) {
        let bar = ProgressBar::with_draw_target(Some(rows), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(
            "{prefix:>24} [{bar:30}] {pos}/{len} rows  {per_sec}  ETA {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix(table.to_string());
        bar.enable_steady_tick(Duration::from_millis(200));
        self.bar = Some(bar);
    }

    fn rows(&mut self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }

    fn done(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish();
        }
    }
}

pub async fn run(args: &Args, from: &str, to: &str) -> anyhow::Result<ExitCode> {
    eprintln!("copying {from} into {to} (the source is only read)");
    let copied = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        migrate::sqlite_to_postgres(from, to, &mut Bars { bar: None }).await
    } else {
        migrate::sqlite_to_postgres(from, to, &mut migrate::Quiet).await
    }
    .context("migrate")?;
    for (table, rows) in &copied.tables {
        println!("{table:>28}  {rows} row(s)");
    }
    println!(
        "copied {} row(s) in {} table(s); every table's count matches the source",
        copied.rows(),
        copied.tables.len()
    );
    // The copy as the daemon would see it: the stock audit on the target.
    let stores = switchyard_store::open_all(to)
        .await
        .with_context(|| format!("opening {to}"))?;
    let ops = Operations::new(
        stores.store,
        stores.operator,
        load_config(&args.config)
            .map(Arc::new)
            .map_err(|e| format!("{e:#}")),
    );
    let report = ops.audit_now(&Actor::cli(None)).await?;
    if report.violations.is_empty() {
        println!("stock audit on the target: no violation");
        Ok(ExitCode::SUCCESS)
    } else {
        println!(
            "stock audit on the target: {} violation(s)",
            report.violations.len()
        );
        for v in &report.violations {
            println!("  {}: {}", v.check(), serde_json::to_string(v)?);
        }
        Ok(ExitCode::FAILURE)
    }
}
