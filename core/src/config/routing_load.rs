//! Reads routing rules on their own (`switchyard route --what-if rules.yaml`): a file holding
//! just a `routing:` section, or a whole configuration whose `routing:` is taken. Either way the
//! rules are checked against the running configuration's channels and locations, and every
//! problem names file:line:column like the main loader.

use std::path::Path;

use serde::Deserialize;

use super::error::{ConfigError, ConfigErrors};
use super::tree::{Node, NodeKind, Pos};
use super::{Config, ConfigIssue, RoutingConfig, collect, env, load_str, locate, tree};

/// A file that holds only the routing section.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoutingFile {
    routing: RoutingConfig,
}

/// Reads the routing rules at `path`, expanding `${VAR}` from the process environment.
pub fn load_routing(path: &Path, base: &Config) -> Result<RoutingConfig, ConfigErrors> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigErrors(vec![ConfigError {
            file: file.clone(),
            line: 0,
            column: 0,
            field: String::new(),
            message: format!("cannot read the rules file: {e}"),
        }])
    })?;
    load_routing_str(&text, &file, &|name| std::env::var(name).ok(), base)
}

/// The loader without I/O; `base` supplies the channels and locations rules may name.
pub fn load_routing_str(
    text: &str,
    file: &str,
    env: &dyn Fn(&str) -> Option<String>,
    base: &Config,
) -> Result<RoutingConfig, ConfigErrors> {
    let mut found: Vec<(String, Pos, String)> = Vec::new();
    let parsed = match tree::parse(text) {
        Ok(p) => p,
        Err(p) => return Err(errors(file, vec![(p.field, p.pos, p.message)])),
    };
    let Some(mut root) = parsed.root else {
        let message = "the file holds no routing section".to_string();
        return Err(errors(file, vec![(String::new(), Pos { line: 1, column: 1 }, message)]));
    };
    if is_full_config(&root) {
        let config = load_str(text, file, env)?;
        let issues = config.routing.issues(&base.channels, &base.locations);
        return located(file, &root, issues, config.routing);
    }
    for p in parsed.problems {
        found.push((p.field, p.pos, p.message));
    }
    let expansion = env::expand(&mut root, text, env);
    for p in &expansion.problems {
        found.push((p.field.clone(), p.pos, p.message.clone()));
    }
    match collect::deserialize_all::<RoutingFile>(&mut root) {
        Ok(f) if found.is_empty() => {
            let issues = f.routing.issues(&base.channels, &base.locations);
            located(file, &root, issues, f.routing)
        }
        Ok(_) => Err(errors(file, found)),
        Err(located) => {
            found.extend(located.into_iter().map(|e| (e.field, e.pos, e.message)));
            Err(errors(file, found))
        }
    }
}

/// A whole configuration names its channels; a routing file does not.
fn is_full_config(root: &Node) -> bool {
    match &root.kind {
        NodeKind::Map(entries) => entries
            .iter()
            .any(|e| e.key == "channels" || e.key == "locations"),
        _ => false,
    }
}

fn located(
    file: &str,
    root: &Node,
    issues: Vec<ConfigIssue>,
    routing: RoutingConfig,
) -> Result<RoutingConfig, ConfigErrors> {
    if issues.is_empty() {
        return Ok(routing);
    }
    let found = issues
        .into_iter()
        .map(|i| {
            let pos = locate::position_of(root, &i.path);
            (i.path, pos, i.message)
        })
        .collect();
    Err(errors(file, found))
}

/// In file order, so the report reads top to bottom.
fn errors(file: &str, mut found: Vec<(String, Pos, String)>) -> ConfigErrors {
    found.sort_by_key(|(_, pos, _)| *pos);
    found.dedup();
    ConfigErrors(
        found
            .into_iter()
            .map(|(field, pos, message)| ConfigError {
                file: file.to_owned(),
                line: pos.line,
                column: pos.column,
                field,
                message,
            })
            .collect(),
    )
}
