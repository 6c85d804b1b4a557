//! `switchyard leases`: which replica holds which group of work, and when each lease expires.

use std::process::ExitCode;

use super::{Args, operations};

pub async fn run(args: &Args, json: bool) -> anyhow::Result<ExitCode> {
    let view = operations(args).await?.leases().await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&view)?);
        return Ok(ExitCode::SUCCESS);
    }
    if view.leases.is_empty() {
        println!("no leases: no daemon has run on this store yet");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<28} {:<24} {:>12} {:>10} {:>9}",
        "LEASE", "HOLDER", "EXPIRES IN", "GENERATION", "TAKEOVERS"
    );
    for l in &view.leases {
        let (holder, expires) = if l.is_held(view.now_ms) {
            (
                l.holder.clone().unwrap_or_default(),
                format!("{:.1}s", (l.expires_at_ms - view.now_ms) as f64 / 1000.0),
            )
        } else {
            ("(free)".to_string(), "-".to_string())
        };
        println!(
            "{:<28} {:<24} {:>12} {:>10} {:>9}",
            l.name, holder, expires, l.generation, l.takeovers
        );
    }
    let live = view.live_replicas();
    println!("{} replica(s) alive: {}", live.len(), live.join(", "));
    Ok(ExitCode::SUCCESS)
}
