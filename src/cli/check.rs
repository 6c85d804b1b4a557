//! `switchyard check`: validate a configuration without starting anything.

use std::path::Path;
use std::process::ExitCode;

use switchyard_core::config;

pub fn run(path: &Path) -> ExitCode {
    match config::load(path) {
        Ok(cfg) => {
            println!("{}: ok", path.display());
            println!(
                "  store:     {}\n  server:    {}\n  channels:  {}\n  locations: {}",
                cfg.store.url,
                cfg.server.listen,
                cfg.channels
                    .iter()
                    .map(|c| format!("{} ({})", c.id, c.kind))
                    .collect::<Vec<_>>()
                    .join(", "),
                cfg.locations
                    .iter()
                    .map(|l| l.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            ExitCode::SUCCESS
        }
        Err(errors) => {
            eprintln!("{errors}");
            eprintln!("{} error(s)", errors.0.len());
            ExitCode::FAILURE
        }
    }
}
