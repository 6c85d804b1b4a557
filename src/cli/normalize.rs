//! `switchyard normalize`: show exactly what a connector makes of a payload.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use switchyard_core::intake::IntakeRules;
use switchyard_core::model::{ChannelKind, Order};
use switchyard_core::ports::NormalizeError;

/// Normalizes one payload, or each element of a JSON array of payloads (a list response),
/// naming the element that fails.
/// The intake rules apply as in the daemon.
fn normalize(
    kind: ChannelKind,
    body: &[u8],
    rules: &IntakeRules,
) -> Result<serde_json::Value, NormalizeError> {
    let normalize_one = |bytes: &[u8]| -> Result<Order, NormalizeError> {
        switchyard_connectors::registry::normalize_file(kind, bytes)
            .and_then(|order| rules.admit(order))
    };
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Array(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let bytes = serde_json::to_vec(item)
                    .map_err(|e| NormalizeError::new(format!("[{i}]"), e.to_string()))?;
                let order = normalize_one(&bytes)
                    .map_err(|e| NormalizeError::new(format!("[{i}].{}", e.field), e.problem))?;
                out.push(
                    serde_json::to_value(order)
                        .map_err(|e| NormalizeError::new(format!("[{i}]"), e.to_string()))?,
                );
            }
            Ok(serde_json::Value::Array(out))
        }
        _ => normalize_one(body).and_then(|order| {
            serde_json::to_value(order).map_err(|e| NormalizeError::new("order", e.to_string()))
        }),
    }
}

pub fn run(kind: ChannelKind, file: &Path, rules: &IntakeRules) -> anyhow::Result<ExitCode> {
    let body = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    match normalize(kind, &body, rules) {
        Ok(value) => {
            println!("{}", serde_json::to_string_pretty(&value)?);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("error: {}: {e}", file.display());
            Ok(ExitCode::FAILURE)
        }
    }
}
