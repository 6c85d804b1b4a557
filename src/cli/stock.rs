//! `switchyard stock …`: the merchant's counts, the ledger behind every level, the auditor, and
//! drift between what Switchyard set and what each channel shows.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Subcommand;

use switchyard_core::store::OnHandSource;

use super::{Args, load_config, open_store};
use crate::daemon::auditor;

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

fn location(args: &Args, given: &Option<String>) -> String {
    if let Some(l) = given {
        return l.clone();
    }
    super::load_config(&args.config)
        .ok()
        .and_then(|c| c.own_warehouse().map(|l| l.id.clone()))
        .unwrap_or_else(|| "main".to_string())
}

fn one_line(text: &str) -> String {
    let parts: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    parts.join(" ")
}

/// Parses `sku,quantity` rows; every bad row is reported with its line number.
pub fn parse_csv(text: &str) -> anyhow::Result<Vec<(String, i64)>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim().trim_start_matches('\u{feff}');
        if line.is_empty() {
            continue;
        }
        let mut cols = line.split(',').map(|c| c.trim().trim_matches('"'));
        let (sku, qty) = (cols.next().unwrap_or(""), cols.next().unwrap_or(""));
        if i == 0 && sku.eq_ignore_ascii_case("sku") {
            continue;
        }
        match qty.parse::<i64>() {
            Ok(q) if !sku.is_empty() => out.push((sku.to_string(), q)),
            _ => errors.push(format!(
                "line {}: expected `sku,quantity`, found `{line}`",
                i + 1
            )),
        }
    }
    if !errors.is_empty() {
        bail!("{}", errors.join("\n"));
    }
    Ok(out)
}

pub async fn run(args: &Args, cmd: &StockCmd) -> anyhow::Result<ExitCode> {
    let store = open_store(args).await?;
    match cmd {
        StockCmd::Set {
            sku,
            quantity,
            location: loc,
        } => {
            let loc = location(args, loc);
            store
                .set_on_hand(
                    &loc,
                    &[(sku.clone(), *quantity)],
                    OnHandSource::Count,
                    "stock set",
                )
                .await?;
            println!("{sku} at {loc}: {quantity}");
        }
        StockCmd::Import {
            file,
            location: loc,
        } => {
            let loc = location(args, loc);
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("reading {}", file.display()))?;
            let rows = parse_csv(&text).with_context(|| format!("in {}", file.display()))?;
            store
                .set_on_hand(
                    &loc,
                    &rows,
                    OnHandSource::Import,
                    &format!("stock import {}", file.display()),
                )
                .await?;
            println!("{} SKU(s) set at {loc}", rows.len());
        }
        StockCmd::Show { sku } => {
            println!("sku\tlocation\ton_hand\treserved\tfree");
            for r in store.stock(sku.as_deref()).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    r.sku,
                    r.location_id,
                    r.on_hand,
                    r.reserved,
                    r.on_hand - r.reserved
                );
            }
            for l in store.listings(None).await? {
                if sku.as_ref().is_none_or(|s| *s == l.sku) {
                    println!(
                        "  listed on {}: {} {}",
                        l.channel_id,
                        l.channel_quantity
                            .map_or("unknown".to_string(), |q| q.to_string()),
                        if l.dirty { "(push pending)" } else { "" }
                    );
                }
            }
        }
        StockCmd::History { sku, limit } => {
            let rows = store.stock_history(sku, *limit).await?;
            if rows.is_empty() {
                println!("no stock movements for {sku}");
            }
            let mut balance: std::collections::BTreeMap<String, i64> = Default::default();
            println!("id	when (UTC)	units	from → to	cause	reference	balances after");
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
                    "{}	{when}	{}	{} → {}	{}	{}	{}",
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
            let report = match (load_config(&args.config), &args.store) {
                (Ok(config), _) => auditor::audit_now(&config, store.as_ref()).await?,
                (Err(e), Some(_)) => {
                    let why = format!("no configuration ({})", one_line(&format!("{e:#}")));
                    auditor::audit_store_only(store.as_ref(), &why).await?
                }
                (Err(e), None) => return Err(e),
            };
            store
                .record_audit(switchyard_core::store::now_ms(), &report.violations)
                .await?;
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
            let config = load_config(&args.config)?;
            let mut total = 0;
            for c in &config.channels {
                if channel.as_ref().is_some_and(|id| *id != c.id) {
                    continue;
                }
                let connector = switchyard_connectors::registry::build(c, store.clone())?;
                let drifts =
                    crate::daemon::drift::check(store.as_ref(), connector.as_ref(), &c.id).await?;
                for d in &drifts {
                    println!(
                        "{}	{}	Switchyard set {}, channel shows {}: push queued",
                        d.channel_id, d.sku, d.expected, d.found
                    );
                }
                total += drifts.len();
            }
            println!("{total} drifted listing(s)");
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
