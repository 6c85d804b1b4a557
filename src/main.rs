//! `switchyard`: the daemon and its operator commands.

use std::process::ExitCode;

use clap::Parser;
use switchyard::cli;

fn main() -> ExitCode {
    let args = cli::Args::parse();
    // The demo prints its own story; its logs stay quiet unless asked for.
    let quiet = matches!(args.command, cli::Command::Demo(_));
    cli::init_tracing_as(args.verbose, quiet, args.log_format);
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
    match runtime.block_on(cli::dispatch(args)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
