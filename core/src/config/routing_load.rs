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
        return Err(errors(
            file,
            vec![(String::new(), Pos { line: 1, column: 1 }, message)],
        ));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Action, Fallback, SplitMode};

    const BASE: &str = "\
channels:
  - id: woo
    kind: woocommerce
    base_url: https://shop.example.com
    consumer_key: ck
    consumer_secret: cs
    webhook_secret: w
locations:
  - id: main
    kind: self
    country: US
    region: IL
  - id: berlin
    kind: 3pl
    coordinates: {lat: 52.52, lon: 13.40}
  - id: drop
    kind: dropship
    catalog: [\"DS-*\"]
";

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn base() -> Config {
        load_str(BASE, "base.yaml", &no_env).unwrap()
    }

    fn where_(errs: &ConfigErrors) -> Vec<(usize, &str)> {
        errs.0.iter().map(|e| (e.line, e.field.as_str())).collect()
    }

    #[test]
    fn a_full_configuration_with_rules_loads() {
        let text = format!(
            "{BASE}routing:
  sku_tags:
    fragile: [\"GLASS-*\"]
  rules:
    - name: eu
      when:
        country: [DE, FR]
        total: {{min: 10, max: \"99.50\", currency: EUR}}
        payment_status: [paid, authorized]
      action:
        nearest_in_stock: [berlin, main]
      split: allowed
    - when:
        sku_tag: [fragile]
      action: hold
    - action:
        location: drop
  fallback:
    location: main
"
        );
        let config = load_str(&text, "sy.yaml", &no_env).unwrap();
        let r = &config.routing;
        assert_eq!(r.rules.len(), 3);
        assert_eq!(
            r.rules[0].action,
            Action::NearestInStock(vec!["berlin".into(), "main".into()])
        );
        assert_eq!(r.rules[0].split, SplitMode::Allowed);
        assert_eq!(r.rules[1].action, Action::Hold);
        assert_eq!(r.rules[1].label(1), "rules[1]");
        assert_eq!(r.fallback, Some(Fallback::Location("main".into())));
        let total = r.rules[0].when.total.clone().unwrap();
        assert_eq!(total.max.unwrap().to_string(), "99.50");
        // Without a routing section, nothing changes.
        assert_eq!(base().routing, RoutingConfig::default());
    }

    #[test]
    fn every_rule_mistake_is_reported_at_its_line() {
        let text = format!(
            "{BASE}routing:
  sku_tags:
    fragile: []
  rules:
    - name: a
      when:
        channel: [nope]
        sku: [\"[x\"]
        country: [USA]
        region: [CA]
        total: {{min: 10, max: 5}}
      action:
        first_in_stock: [main, ghost]
    - name: a
      when:
        payment_status: []
      action:
        nearest_in_stock: [drop, berlin, berlin]
  fallback:
    location: ghost2
"
        );
        let errs = load_str(&text, "sy.yaml", &no_env).unwrap_err();
        assert_eq!(
            where_(&errs),
            [
                (21, "routing.sku_tags.fragile"),
                (25, "routing.rules[0].when.channel[0]"),
                (26, "routing.rules[0].when.sku[0]"),
                (27, "routing.rules[0].when.country[0]"),
                (28, "routing.rules[0].when.region[0]"),
                (29, "routing.rules[0].when.total.max"),
                (31, "routing.rules[0].action.first_in_stock[1]"),
                (32, "routing.rules[1].name"),
                (34, "routing.rules[1].when.payment_status"),
                (36, "routing.rules[1].action.nearest_in_stock[0]"),
                (36, "routing.rules[1].action.nearest_in_stock[2]"),
                (38, "routing.fallback.location"),
            ],
            "{errs}"
        );
        let text = errs.to_string();
        for want in [
            "unknown channel `nope`",
            "not a valid glob",
            "unknown location `ghost`",
            "duplicate rule name `a`",
            "has no position",
            "listed twice",
        ] {
            assert!(text.contains(want), "{want:?} missing in {text}");
        }
    }

    #[test]
    fn location_fields_for_routing_are_checked() {
        let text = BASE
            .replace("    region: IL\n", "    region: IL\n    catalog: [A]\n")
            .replace("lat: 52.52", "lat: 152.52")
            .replace("[\"DS-*\"]", "[\"DS-[\"]");
        let errs = load_str(&text, "sy.yaml", &no_env).unwrap_err();
        assert_eq!(
            where_(&errs),
            [
                (13, "locations[0].catalog"),
                (16, "locations[1].coordinates.lat"),
                (19, "locations[2].catalog[0]"),
            ],
            "{errs}"
        );
    }

    #[test]
    fn a_routing_file_alone_is_checked_against_the_running_configuration() {
        let rules = "\
routing:
  rules:
    - name: to-berlin
      action:
        location: berlin
  fallback: hold
";
        let r = load_routing_str(rules, "rules.yaml", &no_env, &base()).unwrap();
        assert_eq!(r.rules[0].action, Action::Location("berlin".into()));
        assert_eq!(r.fallback, Some(Fallback::Hold));

        let bad = rules
            .replace("berlin", "paris")
            .replace("fallback", "fallbak");
        let errs = load_routing_str(&bad, "rules.yaml", &no_env, &base()).unwrap_err();
        assert_eq!(where_(&errs), [(6, "routing.fallbak")], "{errs}");
        let bad = rules.replace("berlin", "paris");
        let errs = load_routing_str(&bad, "rules.yaml", &no_env, &base()).unwrap_err();
        assert_eq!(
            where_(&errs),
            [(5, "routing.rules[0].action.location")],
            "{errs}"
        );
        assert!(errs.to_string().starts_with("rules.yaml:5:19:"), "{errs}");

        // A whole configuration works too; its rules are checked against the running one.
        let full = format!("{BASE}{}", rules.replace("berlin", "main"));
        let r = load_routing_str(&full, "full.yaml", &no_env, &base()).unwrap();
        assert_eq!(r.rules[0].action, Action::Location("main".into()));

        let empty = load_routing_str("# nothing\n", "rules.yaml", &no_env, &base()).unwrap_err();
        assert_eq!(empty.0.len(), 1);
    }

    #[test]
    fn the_example_configuration_routes() {
        let text = include_str!("../../../config/switchyard.example.yaml");
        let env = |name: &str| Some(format!("test-{name}"));
        let config = match load_str(text, "switchyard.example.yaml", &env) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        let kinds: Vec<&str> = config.locations.iter().map(|l| l.kind.as_str()).collect();
        assert_eq!(kinds, ["self", "3pl", "dropship"]);
        assert_eq!(config.routing.rules.len(), 7);
        assert_eq!(config.routing.unknown_sku, crate::config::UnknownSku::Hold);
        assert_eq!(config.routing.fallback, Some(Fallback::Hold));
        assert!(crate::routing::Router::new(&config.routing, &config.locations).is_ok());
    }
}
