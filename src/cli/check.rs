//! `switchyard check`: validate a configuration without starting anything.

use std::path::Path;
use std::process::ExitCode;

use switchyard_core::config;

pub fn run(path: &Path) -> ExitCode {
    match config::load(path) {
        Ok(cfg) => {
            // Connector-specific rules (id formats, defaults) are checked by building each one.
            let refused: Vec<String> = cfg
                .channels
                .iter()
                .filter_map(|c| switchyard_connectors::registry::build(c).err())
                .map(|e| format!("{}: {e}", path.display()))
                .collect();
            if !refused.is_empty() {
                eprintln!("{}", refused.join("\n"));
                eprintln!("{} error(s)", refused.len());
                return ExitCode::FAILURE;
            }
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
