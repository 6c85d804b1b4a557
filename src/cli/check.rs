//! `switchyard check`: validate a configuration without starting anything.

use std::path::Path;
use std::process::ExitCode;

use switchyard_core::config;

pub fn run(path: &Path) -> ExitCode {
    match config::load(path) {
        Ok(cfg) => {
            // Connector-specific rules (id formats, defaults) are checked by building each one;
            // nothing is called, so their state needs no store.
            let state: std::sync::Arc<dyn switchyard_core::connector_state::ConnectorState> =
                std::sync::Arc::new(switchyard_core::connector_state::MemoryState::new());
            let refused: Vec<String> = cfg
                .channels
                .iter()
                .filter_map(|c| switchyard_connectors::registry::build(c, state.clone()).err())
                .map(|e| format!("{}: {e}", path.display()))
                .collect();
            if !refused.is_empty() {
                eprintln!("{}", refused.join("\n"));
                eprintln!("{} error(s)", refused.len());
                return ExitCode::FAILURE;
            }
            println!("{}: ok", path.display());
            println!(
                "  store:     {}\n  server:    {}\n  channels:  {}\n  locations: {}\n  routing:   {}",
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
                match (cfg.routing.rules.len(), &cfg.routing.fallback) {
                    (0, None) => "no rules: paid orders go to the first own warehouse".to_string(),
                    (n, None) => format!("{n} rule(s), unplaced lines held"),
                    (n, Some(f)) => format!("{n} rule(s), fallback {f}"),
                },
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
