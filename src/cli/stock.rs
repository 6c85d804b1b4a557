//! `switchyard stock …`: the merchant's counts, the ledger behind every level, the auditor, and
//! drift between what Switchyard set and what each channel shows.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use super::{Args, operations};
use crate::app::{Actor, AppError, parse_counts_csv};

#[derive(Debug, Subcommand)]
pub enum StockCmd {
    /// Set the on-hand count of one SKU.
    Set {
        sku: String,
        quantity: i64,
        /// Location id (defaults to the first own warehouse in the config, else `main`).
        #[arg(long)]
        location: Option<String>,
    },
    /// Set on-hand counts from a CSV with columns `sku,quantity` (a header row is optional).
    Import {
        file: PathBuf,
        #[arg(long)]
        location: Option<String>,
    },
    /// On-hand and reserved units per SKU and location.
    Show { sku: Option<String> },
    /// Every ledger movement of a SKU, oldest first, with running balances.
    History {
        sku: String,
        #[arg(long, default_value_t = 1000)]
        limit: i64,
    },
    /// Check the stock record now: on-hand = ledger, reserved = open order lines, no listing
    /// above what its channel may sell. Exits 1 when a check fails.
    Audit {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Read levels back from the channels and report (and queue the repair of) any changed in a
    /// channel's own admin. The running daemon pushes the repairs.
    Drift {
        /// Only this channel.
        #[arg(long)]
        channel: Option<String>,
    },
}

/// Parses `sku,quantity` rows; every bad row is reported with its line number.
pub fn parse_csv(text: &str) -> anyhow::Result<Vec<(String, i64)>> {
    parse_counts_csv(text).map_err(|e| match e {
        AppError::BadInput { message, .. } => anyhow::anyhow!(message),
        other => other.into(),
    })
}

pub async fn run(args: &Args, cmd: &StockCmd) -> anyhow::Result<ExitCode> {
    let ops = operations(args).await?;
    let actor = Actor::cli(None);
    match cmd {
        StockCmd::Set {
            sku,
            quantity,
            location,
        } => {
            let loc = ops
                .stock_set(&actor, sku, *quantity, location.as_deref())
                .await?;
            println!("{sku} at {loc}: {quantity}");
        }
        StockCmd::Import { file, location } => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("reading {}", file.display()))?;
            let rows = parse_csv(&text).with_context(|| format!("in {}", file.display()))?;
            let loc = ops
                .stock_import(
                    &actor,
                    &rows,
                    location.as_deref(),
                    &format!("stock import {}", file.display()),
                )
                .await?;
            println!("{} SKU(s) set at {loc}", rows.len());
        }
        StockCmd::Show { sku } => {
            let view = ops.stock(sku.as_deref()).await?;
            println!("sku\tlocation\ton_hand\treserved\tfree");
            for r in view.levels {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    r.sku,
                    r.location_id,
                    r.on_hand,
                    r.reserved,
                    r.on_hand - r.reserved
                );
            }
            for l in view.listings {
                println!(
                    "  listed on {}: {} {}",
                    l.channel_id,
                    l.channel_quantity
                        .map_or("unknown".to_string(), |q| q.to_string()),
                    if l.dirty { "(push pending)" } else { "" }
                );
            }
        }
        StockCmd::History { sku, limit } => {
            let rows = ops.ledger(sku, *limit).await?;
            if rows.is_empty() {
                println!("no stock movements for {sku}");
            }
            let mut balance: std::collections::BTreeMap<String, i64> = Default::default();
            println!("id\twhen (UTC)\tunits\tfrom → to\tcause\treference\tbalances after");
            for r in rows {
                *balance.entry(r.from_account.clone()).or_default() -= r.quantity;
                *balance.entry(r.to_account.clone()).or_default() += r.quantity;
                let when = chrono::DateTime::from_timestamp_millis(r.at).map_or_else(
                    || r.at.to_string(),
                    |t| t.format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
                );
                let shown: Vec<String> = [&r.from_account, &r.to_account]
                    .iter()
                    .filter(|a| !a.starts_with("external:"))
                    .map(|a| format!("{a}={}", balance.get(*a).copied().unwrap_or(0)))
                    .collect();
                println!(
                    "{}\t{when}\t{}\t{} → {}\t{}\t{}\t{}",
                    r.id,
                    r.quantity,
                    r.from_account,
                    r.to_account,
                    r.cause,
                    r.reference,
                    shown.join(" ")
                );
            }
        }
        StockCmd::Audit { json } => {
            // With `--store` the database checks need no configuration; the listing check
            // (each channel's stock rules) runs when the configuration loads as well.
            let report = ops.audit_now(&actor).await?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!(
                    "stock audit: {} listing(s) checked, {} violation(s)",
                    report.listings_checked,
                    report.violations.len()
                );
                for v in &report.violations {
                    println!("  {}: {}", v.check(), serde_json::to_string(v)?);
                }
                for s in &report.skipped {
                    println!("  skipped {s}");
                }
                for (channel, units) in &report.exposure {
                    if *units > 0 {
                        println!(
                            "  {channel}: {units} unit(s) listed above available (pushes pending)"
                        );
                    }
                }
            }
            if !report.violations.is_empty() {
                return Ok(ExitCode::FAILURE);
            }
        }
        StockCmd::Drift { channel } => {
            let drifts = ops.drift_now(&actor, channel.as_deref()).await?;
            for d in &drifts {
                println!(
                    "{}\t{}\tSwitchyard set {}, channel shows {}: push queued",
                    d.channel_id, d.sku, d.expected, d.found
                );
            }
            println!("{} drifted listing(s)", drifts.len());
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::parse_csv;

    #[test]
    fn reads_rows_with_or_without_header() {
        assert_eq!(
            parse_csv("sku,quantity\nA,3\n\"B\", 4\n").unwrap(),
            vec![("A".into(), 3), ("B".into(), 4)]
        );
        assert_eq!(parse_csv("A,1").unwrap(), vec![("A".into(), 1)]);
    }

    #[test]
    fn reports_every_bad_line() {
        let err = parse_csv("A,x\nB,2\n,3\n").unwrap_err().to_string();
        assert!(err.contains("line 1") && err.contains("line 3"), "{err}");
    }
}
