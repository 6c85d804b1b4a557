//! `switchyard partners`: partner events an operator has to look at (those that could not be
//! applied, retrying or parked) and putting parked ones back to work.

use std::process::ExitCode;

use clap::Subcommand;
use switchyard_core::fulfillment::EventKind;

use super::{Args, operations};
use crate::app::Actor;

#[derive(Debug, Subcommand)]
pub enum PartnersCmd {
    /// Partner events not applied yet: waiting, retrying after a failure, or parked.
    Events {
        /// Only events parked after their last attempt.
        #[arg(long)]
        failed: bool,
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// Puts a parked event (or, with `--all`, every parked event) back in the queue.
    Retry {
        #[arg(required_unless_present = "all")]
        id: Option<i64>,
        #[arg(long, conflicts_with = "id")]
        all: bool,
    },
}

pub async fn run(args: &Args, cmd: &PartnersCmd) -> anyhow::Result<ExitCode> {
    let ops = operations(args).await?;
    match cmd {
        PartnersCmd::Events { failed, limit } => {
            let rows = ops.partner_events(*failed, *limit).await?;
            if rows.is_empty() {
                println!(
                    "{}",
                    if *failed {
                        "no failed partner events"
                    } else {
                        "no partner events waiting"
                    }
                );
            }
            for r in rows {
                let order = r
                    .event
                    .order_reference
                    .as_deref()
                    .or(r.event.partner_order_id.as_deref())
                    .unwrap_or("-");
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\tattempts={}\t{}",
                    r.id,
                    r.location_id,
                    r.state,
                    kind(&r.event.kind),
                    order,
                    r.dedup_id,
                    r.attempts,
                    r.last_error.as_deref().unwrap_or("-"),
                );
            }
        }
        PartnersCmd::Retry { id, .. } => {
            let n = ops.retry_partner_events(&Actor::cli(None), *id).await?;
            println!("{n} partner event(s) queued again");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn kind(k: &EventKind) -> &'static str {
    match k {
        EventKind::Accepted { .. } => "accepted",
        EventKind::Rejected { .. } => "rejected",
        EventKind::Shipped { .. } => "shipped",
        EventKind::Cancelled { .. } => "cancelled",
        EventKind::CancelRefused { .. } => "cancel_refused",
        EventKind::StockLevel { .. } => "stock_level",
    }
}
