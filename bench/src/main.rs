//! `switchyard-bench SCENARIO [options] --json`: runs one benchmark scenario and prints one JSON
//! object on stdout (progress goes to stderr). The simulators and the load generator live in
//! this process; the daemon runs as a child process (this binary in its hidden `daemon` mode),
//! so its CPU time and peak memory are measured apart from theirs.

mod catalog;
mod child;
mod console;
mod floors;
mod harness;
mod ingest;
mod latency;
mod latency_floor;
mod oversell;
mod pace;
mod stats;
mod wire;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "switchyard-bench", about = "Switchyard benchmark scenarios")]
struct Cli {
    /// Print the result as one line of JSON (otherwise indented).
    #[arg(long, global = true)]
    json: bool,
    /// More daemon logging in the run folder's `daemon.log` (-v debug, -vv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Debug, Subcommand)]
enum Scenario {
    /// Orders through webhooks at a steady rate; how long until every channel holds the level.
    Oversell(oversell::Args),
    /// A whole catalog pushed to every channel from scratch, against its rate-limit floor.
    Catalog(catalog::Args),
    /// A flood of signed webhooks, against a bare server doing only verify + insert.
    Ingest(ingest::Args),
    /// Console page loads and the API's orders list on a database of 100,000 orders.
    Console(console::Args),
    /// The daemon under test (started by the scenarios).
    #[command(hide = true)]
    Daemon {
        #[arg(long)]
        config: PathBuf,
    },
    /// The bare webhook server `ingest` compares against (started by `ingest`).
    #[command(hide = true)]
    FloorServer(ingest::FloorServerArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let daemon_mode = matches!(cli.scenario, Scenario::Daemon { .. });
    // The daemon logs like `switchyard run`; the harness only says what it is doing.
    switchyard::cli::init_tracing(cli.verbose, !daemon_mode);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let report = match cli.scenario {
            Scenario::Daemon { config } => {
                let config = switchyard::cli::load_config(&config)?;
                switchyard::daemon::run_until_signal(config).await?;
                return Ok(());
            }
            Scenario::FloorServer(args) => return ingest::floor_server(args).await,
            Scenario::Oversell(args) => oversell::run(&args, cli.verbose).await?,
            Scenario::Catalog(args) => catalog::run(&args, cli.verbose).await?,
            Scenario::Ingest(args) => ingest::run(&args, cli.verbose).await?,
            Scenario::Console(args) => {
                serde_json::to_value(console::run(&args, cli.verbose).await?)?
            }
        };
        let text = if cli.json {
            serde_json::to_string(&report)?
        } else {
            serde_json::to_string_pretty(&report)?
        };
        println!("{text}");
        Ok::<(), anyhow::Error>(())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
