//! `switchyard normalize`: show exactly what a connector makes of a payload.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use switchyard_core::model::ChannelKind;

pub fn run(kind: ChannelKind, file: &Path) -> anyhow::Result<ExitCode> {
    let body = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    match switchyard_connectors::registry::normalize_file(kind, &body) {
        Ok(order) => {
            println!("{}", serde_json::to_string_pretty(&order)?);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("error: {}: {e}", file.display());
            Ok(ExitCode::FAILURE)
        }
    }
}
