//! `switchyard edi parse`: show exactly how Switchyard reads an X12 file.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum EdiCmd {
    /// Print a file's interchanges, groups and transaction sets as JSON.
    Parse {
        file: PathBuf,
        /// Fail when counts or control numbers disagree. By default each disagreement is a
        /// warning on stderr and the JSON is still printed (real partners' files often carry
        /// such slips); structural faults always fail.
        #[arg(long)]
        strict: bool,
    },
}

pub fn run(action: &EdiCmd) -> anyhow::Result<ExitCode> {
    match action {
        EdiCmd::Parse { file, strict } => parse(file, *strict),
    }
}

fn parse(file: &Path, strict: bool) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let parsed = match switchyard_edi::parse_lenient(&bytes) {
        Ok(parsed) => parsed,
        Err(e) => {
            eprintln!("error: {}: {e}", file.display());
            return Ok(ExitCode::FAILURE);
        }
    };
    if strict && !parsed.problems.is_empty() {
        for problem in &parsed.problems {
            eprintln!("error: {}: {problem}", file.display());
        }
        return Ok(ExitCode::FAILURE);
    }
    for problem in &parsed.problems {
        eprintln!("warning: {}: {problem}", file.display());
    }
    println!("{}", serde_json::to_string_pretty(&parsed.document)?);
    Ok(ExitCode::SUCCESS)
}
