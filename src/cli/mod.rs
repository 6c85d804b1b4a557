//! Command-line surface. Each subcommand lives in its own file.

mod check;
mod edi;
mod events;
mod exceptions;
mod leases;
mod migrate;
mod normalize;
mod orders;
mod partners;
mod returns;
mod route;
mod stock;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use switchyard_core::config::{self, Config};
use switchyard_core::store::Store;

use crate::app::{Actor, Operations};

#[derive(Debug, Parser)]
#[command(
    name = "switchyard",
    version,
    about = "Connects a merchant's sales channels to the places that ship its goods"
)]
pub struct Args {
    /// Configuration file.
    #[arg(
        long,
        global = true,
        default_value = "switchyard.yaml",
        env = "SWITCHYARD_CONFIG"
    )]
    pub config: PathBuf,
    /// Database URL; when given, commands that only read or write the store skip the config.
    #[arg(long, global = true, env = "SWITCHYARD_STORE")]
    pub store: Option<String>,
    /// More logging (-v debug, -vv trace). `RUST_LOG` wins when set.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// How logs are written to stderr: `text` for people, `json` (one object a line, with
    /// the span fields such as `order_id` and `channel`) for log collectors.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text, env = "SWITCHYARD_LOG_FORMAT")]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon: webhooks, pollers, stock pushers, routing and write-backs.
    Run {
        /// Listen here instead of `server.listen` (several replicas from one configuration).
        #[arg(long)]
        listen: Option<String>,
        /// This replica's id among several on one PostgreSQL store (overrides `replica.id`).
        #[arg(long, env = "SWITCHYARD_REPLICA_ID")]
        replica_id: Option<String>,
    },
    /// Validate the configuration and print a summary.
    Check,
    /// Print the configuration's JSON Schema (for editors: YAML language servers read it).
    Schema,
    /// Run both channel simulators and the daemon end to end on a fresh database.
    Demo(crate::demo::DemoArgs),
    /// Print the canonical order for a channel payload file.
    Normalize {
        #[arg(long)]
        channel: switchyard_core::model::ChannelKind,
        file: PathBuf,
    },
    /// Payloads that could not be read, kept with the reason.
    Quarantine {
        #[command(subcommand)]
        action: QuarantineCmd,
    },
    /// On-hand stock at the merchant's locations.
    Stock {
        #[command(subcommand)]
        action: stock::StockCmd,
    },
    /// What to pick and pack.
    Picks {
        #[command(subcommand)]
        action: orders::PicksCmd,
    },
    /// Record a shipment, consume its stock and write tracking back to the channel.
    Ship(orders::ShipArgs),
    /// Record units a customer sent back (`--restock` puts them back on hand, `--dispose` or
    /// neither writes them off; `--refund` refunds them on the channel).
    Return(returns::ReturnArgs),
    /// Returns (RMAs): the channels' reported returns and those recorded here; receive,
    /// refund on the channel, confirm a refund a person made, cancel.
    Returns {
        #[command(subcommand)]
        action: returns::ReturnsCmd,
    },
    /// Orders as Switchyard holds them.
    Orders {
        #[command(subcommand)]
        action: orders::OrdersCmd,
    },
    /// Replay recent orders through other routing rules and print what would change.
    Route(route::RouteArgs),
    /// Side effects that ran out of attempts.
    DeadLetters {
        #[command(subcommand)]
        action: orders::DeadLettersCmd,
    },
    /// Fulfilment partners' events that could not be applied, and retrying them.
    Partners {
        #[command(subcommand)]
        action: partners::PartnersCmd,
    },
    /// EDI X12 files exchanged with 3PLs and dropship suppliers.
    Edi {
        #[command(subcommand)]
        action: edi::EdiCmd,
    },
    /// Things a person must look at (held orders, dead letters, failing channels, …).
    Exceptions {
        #[command(subcommand)]
        action: exceptions::ExceptionsCmd,
    },
    /// The event log: what happened, in commit order.
    Events(events::EventsArgs),
    /// Copy a SQLite store into an empty PostgreSQL one (every table), then audit the copy.
    Migrate {
        /// The SQLite store to copy (`sqlite://PATH` or a path); only read.
        #[arg(long)]
        from: String,
        /// The PostgreSQL store to fill (`postgres://…`); must hold nothing yet.
        #[arg(long)]
        to: String,
    },
    /// Which replica holds which group of work (channels, partners, `core`) on this store.
    Leases {
        /// The lease table as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Outbound webhook subscriptions, their dead letters and replays.
    Webhooks {
        #[command(subcommand)]
        action: events::WebhooksCmd,
    },
}

/// `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum QuarantineCmd {
    List {
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// Put a quarantined delivery back to be normalized again (after a fix or a changed
    /// intake rule); the running daemon picks it up.
    Reprocess { id: i64 },
}

pub fn init_tracing(verbose: u8, quiet: bool) {
    init_tracing_as(verbose, quiet, LogFormat::Text)
}

/// Logging to stderr as text or as JSON lines (each with its span's fields, e.g. the order
/// and channel a worker is handling).
pub fn init_tracing_as(verbose: u8, quiet: bool, format: LogFormat) {
    let default = match verbose {
        0 if quiet => "warn",
        0 => "info",
        1 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    match format {
        LogFormat::Text => {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_writer(std::io::stderr)
                .try_init();
        }
        LogFormat::Json => {
            let _ = tracing_subscriber::fmt()
                .json()
                .with_current_span(true)
                .with_span_list(true)
                .with_env_filter(filter)
                .with_writer(std::io::stderr)
                .try_init();
        }
    }
}

pub fn load_config(path: &std::path::Path) -> anyhow::Result<Config> {
    config::load(path).map_err(|errors| anyhow::anyhow!("invalid configuration:\n{errors}"))
}

/// Opens the store named by `--store`, or by the configuration.
pub async fn open_store(args: &Args) -> anyhow::Result<Arc<dyn Store>> {
    let url = match &args.store {
        Some(url) => url.clone(),
        None => load_config(&args.config)?.store.url,
    };
    switchyard_store::open(&url)
        .await
        .with_context(|| format!("opening store {url}"))
}

/// The application layer over the store named by `--store` or the configuration. With
/// `--store` the configuration is optional: commands that need it say so.
pub async fn operations(args: &Args) -> anyhow::Result<Operations> {
    let config = load_config(&args.config);
    let url = match (&args.store, &config) {
        (Some(url), _) => url.clone(),
        (None, Ok(c)) => c.store.url.clone(),
        (None, Err(e)) => anyhow::bail!("{e:#}"),
    };
    let stores = switchyard_store::open_all(&url)
        .await
        .with_context(|| format!("opening store {url}"))?;
    Ok(Operations::new(
        stores.store,
        stores.operator,
        config.map(Arc::new).map_err(|e| format!("{e:#}")),
    )
    .with_exceptions(stores.exceptions)
    .with_leases(stores.leases))
}

pub async fn dispatch(args: Args) -> anyhow::Result<ExitCode> {
    match &args.command {
        Command::Run { listen, replica_id } => {
            let mut config = load_config(&args.config)?;
            if let Some(listen) = listen {
                config.server.listen = listen.clone();
            }
            if let Some(id) = replica_id {
                config.replica.id = Some(id.clone());
            }
            // The flags are checked as the file's values are.
            let issues = config.validate();
            if !issues.is_empty() {
                let lines: Vec<String> = issues
                    .iter()
                    .map(|i| format!("{}: {}", i.path, i.message))
                    .collect();
                anyhow::bail!("invalid configuration:\n{}", lines.join("\n"));
            }
            crate::daemon::run_until_signal(config).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Check => Ok(check::run(&args.config)),
        Command::Schema => {
            let schema = schemars::schema_for!(Config);
            println!("{}", serde_json::to_string_pretty(&schema)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo(demo) => crate::demo::run(demo).await,
        Command::Normalize { channel, file } => {
            // The configured intake rules when the configuration loads, else the defaults.
            let rules = config::load(&args.config)
                .map(|c| c.intake)
                .unwrap_or_default();
            normalize::run(*channel, file, &rules)
        }
        Command::Quarantine {
            action: QuarantineCmd::List { limit },
        } => {
            let rows = operations(&args).await?.quarantine(*limit).await?;
            if rows.is_empty() {
                println!("nothing quarantined");
            }
            for r in rows {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    r.inbox_id,
                    r.channel_id,
                    r.source,
                    r.topic,
                    r.external_id.as_deref().unwrap_or("-"),
                    r.reason
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Quarantine {
            action: QuarantineCmd::Reprocess { id },
        } => {
            operations(&args)
                .await?
                .reprocess_quarantined(&Actor::cli(None), *id)
                .await?;
            println!("delivery {id} queued to be normalized again");
            Ok(ExitCode::SUCCESS)
        }
        Command::Stock { action } => stock::run(&args, action).await,
        Command::Picks { action } => orders::picks(&args, action).await,
        Command::Ship(ship) => orders::ship(&args, ship).await,
        Command::Return(r) => returns::run(&args, r).await,
        Command::Returns { action } => returns::returns(&args, action).await,
        Command::Orders { action } => orders::orders(&args, action).await,
        Command::Route(route) => route::what_if(&args, route).await,
        Command::DeadLetters { action } => orders::dead_letters(&args, action).await,
        Command::Partners { action } => partners::run(&args, action).await,
        Command::Edi { action } => edi::run(action),
        Command::Exceptions { action } => exceptions::run(&args, action).await,
        Command::Events(a) => events::events(&args, a).await,
        Command::Migrate { from, to } => migrate::run(&args, from, to).await,
        Command::Leases { json } => leases::run(&args, *json).await,
        Command::Webhooks { action } => events::webhooks(&args, action).await,
    }
}
