//! `switchyard events` (the event log) and `switchyard webhooks` (subscriptions, their dead
//! letters, replaying one): argument parsing and printing over `src/app`.

use std::process::ExitCode;

use clap::{Args as ClapArgs, Subcommand};

use super::{Args, operations};
use crate::app::Actor;

#[derive(Debug, ClapArgs)]
pub struct EventsArgs {
    /// Events after this id.
    #[arg(long, default_value_t = 0)]
    pub after: i64,
    #[arg(long, default_value_t = 100)]
    pub limit: i64,
    /// Only these types (repeat, or comma-separated): order.received, order.routed,
    /// order.held, order.submitted, order.shipped, order.cancelled, stock.changed.
    #[arg(long = "type")]
    pub kind: Vec<String>,
    /// One JSON object per line, as webhooks receive them.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum WebhooksCmd {
    /// Each subscription with its cursor and how far behind it is.
    Status,
    /// Events a subscriber did not take after the last attempt, newest first.
    DeadLetters {
        #[arg(long)]
        subscription: Option<String>,
        /// Also replays already delivered.
        #[arg(long)]
        all: bool,
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// Send a dead letter again (same event id); the running daemon delivers it.
    Replay { id: i64 },
}

pub async fn events(args: &Args, a: &EventsArgs) -> anyhow::Result<ExitCode> {
    let page = operations(args)
        .await?
        .events(a.after, a.limit, &a.kind)
        .await?;
    for e in &page.events {
        if a.json {
            println!("{}", serde_json::to_string(e)?);
        } else {
            println!(
                "{}\t{}\t{}\t{}",
                e.id,
                chrono::DateTime::from_timestamp_millis(e.at)
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
                    .unwrap_or_default(),
                e.kind,
                serde_json::to_string(&e.data)?
            );
        }
    }
    if !a.json {
        eprintln!("next: --after {}", page.next_after);
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn webhooks(args: &Args, cmd: &WebhooksCmd) -> anyhow::Result<ExitCode> {
    let ops = operations(args).await?;
    match cmd {
        WebhooksCmd::Status => {
            let rows = ops.webhooks().await?;
            if rows.is_empty() {
                println!("no webhook subscriptions");
            }
            for w in rows {
                let (position, delivered, error) = match &w.cursor {
                    Some(c) => (
                        c.position.to_string(),
                        c.delivered.to_string(),
                        c.last_error.clone().unwrap_or_default(),
                    ),
                    None => ("not started".into(), "0".into(), String::new()),
                };
                println!(
                    "{}\t{}\tposition={}\tbehind={}\tdelivered={}\tdead={}\t{}",
                    w.id, w.url, position, w.behind, delivered, w.dead_letters, error
                );
            }
        }
        WebhooksCmd::DeadLetters {
            subscription,
            all,
            limit,
        } => {
            let rows = ops
                .webhook_dead_letters(subscription.as_deref(), *all, *limit)
                .await?;
            if rows.is_empty() {
                println!("no webhook dead letters");
            }
            for d in rows {
                println!(
                    "{}\t{}\tevent={}\t{}\t{}\tattempts={}\t{}",
                    d.id,
                    d.subscription,
                    d.event_id,
                    d.event_type,
                    d.state,
                    d.attempts,
                    d.last_error
                );
            }
        }
        WebhooksCmd::Replay { id } => {
            let d = ops
                .replay_webhook_dead_letter(&Actor::cli(None), *id)
                .await?;
            println!(
                "webhook dead letter {id} (event {}) queued again for {}",
                d.event_id, d.subscription
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
