//! `switchyard exceptions`: what needs a person, and acknowledging or resolving it.

use std::process::ExitCode;

use clap::Subcommand;
use switchyard_core::exceptions::{ExceptionKind, ExceptionState};
use switchyard_core::store::{ExceptionFilter, ExceptionRow};

use super::{Args, operations};
use crate::app::Actor;

#[derive(Debug, Subcommand)]
pub enum ExceptionsCmd {
    /// Exceptions newest first (default: those not yet resolved).
    List {
        /// open, acknowledged or resolved; `all` for every state.
        #[arg(long)]
        state: Option<String>,
        /// order_held, unknown_sku, payload_quarantined, dead_letter, partner_event_failed,
        /// partner_overdue, ship_late, channel_auth_failing, channel_not_polled, push_lag,
        /// audit_violation, drift_found.
        #[arg(long)]
        kind: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// Mark an open exception as seen: it stays listed, reminders stop.
    Ack {
        id: i64,
        /// Who acknowledges (default: the login name).
        #[arg(long)]
        by: Option<String>,
    },
    /// Mark an exception as dealt with; it opens again if its cause comes back.
    Resolve {
        id: i64,
        #[arg(long)]
        by: Option<String>,
    },
}

fn print(r: &ExceptionRow) {
    let at = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms).map_or_else(
            || ms.to_string(),
            |t| t.format("%Y-%m-%d %H:%M:%S").to_string(),
        )
    };
    println!(
        "{}\t{}\t{}\t{}\t×{}\t{} … {}\t{}",
        r.id,
        r.state,
        r.kind,
        r.subject,
        r.count,
        at(r.first_at),
        at(r.last_at),
        r.message
    );
}

pub async fn run(args: &Args, cmd: &ExceptionsCmd) -> anyhow::Result<ExitCode> {
    let ops = operations(args).await?;
    match cmd {
        ExceptionsCmd::List { state, kind, limit } => {
            let kind = kind
                .as_deref()
                .map(str::parse::<ExceptionKind>)
                .transpose()
                .map_err(|e| anyhow::anyhow!("--kind: {e}"))?;
            let states: Vec<Option<ExceptionState>> = match state.as_deref() {
                None => vec![
                    Some(ExceptionState::Open),
                    Some(ExceptionState::Acknowledged),
                ],
                Some("all") => vec![None],
                Some(s) => vec![Some(
                    s.parse().map_err(|e| anyhow::anyhow!("--state: {e}"))?,
                )],
            };
            let mut rows = Vec::new();
            for state in states {
                rows.extend(
                    ops.exceptions(&ExceptionFilter {
                        state,
                        kind,
                        before_id: None,
                        limit: *limit,
                    })
                    .await?,
                );
            }
            rows.sort_by_key(|r| std::cmp::Reverse(r.id));
            rows.truncate(usize::try_from(*limit).unwrap_or(0));
            if rows.is_empty() {
                println!("no exceptions");
            }
            for r in &rows {
                print(r);
            }
        }
        ExceptionsCmd::Ack { id, by } => {
            let r = ops
                .acknowledge_exception(&Actor::cli(by.as_deref()), *id)
                .await?;
            print(&r);
        }
        ExceptionsCmd::Resolve { id, by } => {
            let r = ops
                .resolve_exception(&Actor::cli(by.as_deref()), *id)
                .await?;
            print(&r);
        }
    }
    Ok(ExitCode::SUCCESS)
}
