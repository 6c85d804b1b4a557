//! Entry point: file → YAML tree → `${VAR}` expansion → typed `Config` → `validate()`,
//! gathering every problem with its line instead of stopping at the first.

use std::collections::HashSet;
use std::path::Path;

use super::error::{ConfigError, ConfigErrors};
use super::tree::Pos;
use super::{Config, collect, env, locate, tree};

/// Reads, expands, parses and validates the configuration at `path`, reading `${VAR}`s from
/// the process environment.
pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigErrors(vec![ConfigError {
            file: file.clone(),
            line: 0,
            column: 0,
            field: String::new(),
            message: format!("cannot read the configuration file: {e}"),
        }])
    })?;
    load_str(&text, &file, &|name| std::env::var(name).ok())
}

/// The loader without I/O: `file` only names the source in errors, `env` resolves `${VAR}`.
pub fn load_str(
    text: &str,
    file: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigErrors> {
    let mut found = Found::default();
    let parsed = match tree::parse(text) {
        Ok(parsed) => parsed,
        Err(p) => {
            let message = match env::syntax_hint(text, p.pos) {
                Some(hint) => format!("{}; {hint}", p.message),
                None => p.message,
            };
            found.push(p.field, p.pos, message);
            return Err(found.into_errors(file));
        }
    };
    let Some(mut root) = parsed.root else {
        found.push(
            String::new(),
            Pos { line: 1, column: 1 },
            "the file holds no configuration".into(),
        );
        return Err(found.into_errors(file));
    };
    for p in parsed.problems {
        found.push(p.field, p.pos, p.message);
    }
    // A value whose variable is missing is still unexpanded; its other errors are noise.
    let expansion = env::expand(&mut root, text, env);
    let mut unexpanded = HashSet::new();
    for p in &expansion.problems {
        unexpanded.insert(p.field.clone());
        found.push(p.field.clone(), p.pos, p.message.clone());
    }
    match collect::deserialize_all::<Config>(&mut root) {
        Ok(config) => {
            for issue in config.validate() {
                if !unexpanded.contains(&issue.path) {
                    let pos = locate::position_of(&root, &issue.path);
                    let message = expansion.redact(&issue.path, issue.message);
                    found.push(issue.path, pos, message);
                }
            }
            if found.0.is_empty() {
                return Ok(config);
            }
        }
        Err(errors) => {
            for e in errors {
                if !unexpanded.contains(&e.field) {
                    let message = expansion.redact(&e.field, e.message);
                    found.push(e.field, e.pos, message);
                }
            }
        }
    }
    Err(found.into_errors(file))
}

#[derive(Default)]
struct Found(Vec<(String, Pos, String)>);

impl Found {
    fn push(&mut self, field: String, pos: Pos, message: String) {
        self.0.push((field, pos, message));
    }

    /// In file order, so the report reads top to bottom.
    fn into_errors(mut self, file: &str) -> ConfigErrors {
        self.0.sort_by_key(|(_, pos, _)| *pos);
        self.0.dedup();
        ConfigErrors(
            self.0
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ChannelKind;

    const VALID: &str = "\
store:
  url: sqlite://test.db
channels:
  - id: shop
    kind: shopify
    base_url: https://demo.myshopify.com
    access_token: ${SHOPIFY_TOKEN}
    location_id: \"gid://shopify/Location/1\"
    webhook_secret: ${SHOPIFY_SECRET}
  - id: woo
    kind: woocommerce
    base_url: https://shop.example.com
    consumer_key: ck_1
    consumer_secret: cs_1
    webhook_secret: w
    stock:
      buffer: 2
locations:
  - id: main
    kind: self
";

    fn env(name: &str) -> Option<String> {
        match name {
            "SHOPIFY_TOKEN" => Some("shpat_abc".into()),
            "SHOPIFY_SECRET" => Some("s3cr3t: #not-a-comment".into()),
            _ => None,
        }
    }

    fn errors(text: &str) -> Vec<ConfigError> {
        match load_str(text, "sy.yaml", &env) {
            Ok(c) => panic!("expected errors, got {c:?}"),
            Err(e) => e.0,
        }
    }

    /// (line, field) of each error, the parts the tests pin down.
    fn where_(errors: &[ConfigError]) -> Vec<(usize, &str)> {
        errors.iter().map(|e| (e.line, e.field.as_str())).collect()
    }

    #[test]
    fn valid_config_loads() {
        let config = load_str(VALID, "sy.yaml", &env).unwrap();
        assert_eq!(config.channels.len(), 2);
        assert_eq!(config.channels[0].kind, ChannelKind::Shopify);
        assert_eq!(
            config.channels[0].access_token.as_deref(),
            Some("shpat_abc")
        );
        assert_eq!(
            config.channels[0].webhook_secret.as_deref(),
            Some("s3cr3t: #not-a-comment")
        );
        assert_eq!(config.channels[1].stock.buffer, 2);
        assert_eq!(config.server.listen, "127.0.0.1:8080");
    }

    #[test]
    fn every_missing_variable_is_reported_with_its_line() {
        let text = VALID
            .replace("${SHOPIFY_TOKEN}", "${NO_TOKEN}")
            .replace("cs_1", "${NO_SECRET}");
        let errs = errors(&text);
        assert_eq!(
            where_(&errs),
            [
                (7, "channels[0].access_token"),
                (14, "channels[1].consumer_secret")
            ]
        );
        assert_eq!(errs[0].column, 19);
        assert!(
            errs[0].message.contains("`NO_TOKEN`"),
            "{}",
            errs[0].message
        );
        assert!(
            errs[1].message.contains("`NO_SECRET`"),
            "{}",
            errs[1].message
        );
    }

    #[test]
    fn values_from_the_environment_stay_out_of_messages() {
        let text = VALID.replace("id: woo", "id: ${SHOPIFY_SECRET}");
        let errs = errors(&text);
        assert_eq!(where_(&errs), [(10, "channels[1].id")]);
        assert!(!errs[0].message.contains("s3cr3t"), "{}", errs[0].message);
    }

    #[test]
    fn dollar_dollar_brace_is_a_literal() {
        let text = VALID.replace("cs_1", "\"cs_$${NOT_A_VAR}\"");
        let config = load_str(&text, "sy.yaml", &env).unwrap();
        assert_eq!(
            config.channels[1].consumer_secret.as_deref(),
            Some("cs_${NOT_A_VAR}")
        );
    }

    #[test]
    fn unknown_fields_at_top_and_in_a_channel_are_both_reported() {
        let text = VALID.replace("store:\n", "colour: blue\nstore:\n").replace(
            "    consumer_key: ck_1\n",
            "    consumer_key: ck_1\n    shiny: yes\n",
        );
        let errs = errors(&text);
        assert_eq!(where_(&errs), [(1, "colour"), (15, "channels[1].shiny")]);
        assert!(
            errs[0].message.contains("unknown field `colour`"),
            "{}",
            errs[0].message
        );
        assert!(
            errs[1].message.contains("unknown field `shiny`"),
            "{}",
            errs[1].message
        );
    }

    #[test]
    fn wrong_type_names_field_and_line() {
        let errs = errors(&VALID.replace("buffer: 2", "buffer: lots"));
        assert_eq!(where_(&errs), [(17, "channels[1].stock.buffer")]);
        assert_eq!(errs[0].column, 15);
        assert!(errs[0].message.contains("\"lots\""), "{}", errs[0].message);
    }

    #[test]
    fn unknown_channel_kind_lists_the_allowed_kinds() {
        let errs = errors(&VALID.replace("kind: woocommerce", "kind: tiktok"));
        assert_eq!(where_(&errs), [(11, "channels[1].kind")]);
        for kind in ChannelKind::ALL {
            assert!(
                errs[0].message.contains(kind.as_str()),
                "{}",
                errs[0].message
            );
        }
    }

    #[test]
    fn duplicate_channel_id_points_at_the_second() {
        let errs = errors(&VALID.replace("id: woo", "id: shop"));
        assert_eq!(where_(&errs), [(10, "channels[1].id")]);
        assert!(errs[0].message.contains("duplicate"), "{}", errs[0].message);
    }

    #[test]
    fn shopify_without_access_token_points_at_the_channel() {
        let errs = errors(&VALID.replace("    access_token: ${SHOPIFY_TOKEN}\n", ""));
        assert_eq!(where_(&errs), [(4, "channels[0].access_token")]);
        assert!(errs[0].message.contains("required"), "{}", errs[0].message);
    }

    #[test]
    fn missing_required_field_points_at_its_mapping_and_other_errors_survive() {
        let text = VALID
            .replace("    base_url: https://shop.example.com\n", "")
            .replace("kind: self", "kind: cloud");
        let errs = errors(&text);
        assert_eq!(
            where_(&errs),
            [(10, "channels[1].base_url"), (19, "locations[0].kind")]
        );
    }

    #[test]
    fn carrier_overrides_ship_node_and_ebay_endpoint_are_checked() {
        let extra = r#"  - id: wm
    kind: walmart
    base_url: https://marketplace.walmartapis.com
    client_id: c
    client_secret: s
    ship_node: ""
    carriers:
      Bob: Bobs
      Ann: SAIA
  - id: bay
    kind: ebay
    base_url: https://api.ebay.com
    client_id: c
    client_secret: s
    refresh_token: r
    webhook_secret: short
locations:"#;
        let errs = errors(&VALID.replacen("locations:", extra, 1));
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "channels[2].ship_node",
                "channels[2].carriers.Bob",
                "channels[3].endpoint_url",
                "channels[3].webhook_secret",
            ],
            "{errs:?}"
        );
        assert!(errs[1].message.contains("`Bobs`"), "{}", errs[1].message);
        let fixed = VALID.replacen(
            "locations:",
            &extra
                .replace("      Bob: Bobs\n", "")
                .replace("    ship_node: \"\"\n", "    ship_node: \"10000003527\"\n")
                .replace(
                    "    webhook_secret: short\n",
                    "    webhook_secret: token_0123456789_0123456789_abcdef\n    endpoint_url: https://x.example/webhooks/bay\n",
                ),
            1,
        );
        let config = load_str(&fixed, "sy.yaml", &env).unwrap();
        assert_eq!(config.channels[2].carriers["Ann"], "SAIA");
    }

    #[test]
    fn yaml_syntax_error_names_line_and_column() {
        let errs = errors(&VALID.replace(
            "    base_url: https://shop.example.com\n",
            "    base_url: [oops\n",
        ));
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(errs[0].message.contains("syntax"), "{}", errs[0].message);
        assert!((12..=13).contains(&errs[0].line), "{errs:?}");
        assert!(errs[0].column > 0);
    }

    #[test]
    fn empty_file_is_one_error() {
        for text in ["", "\n# only a comment\n"] {
            let errs = errors(text);
            assert_eq!(where_(&errs), [(1, "")]);
        }
    }

    #[test]
    fn empty_values_read_as_empty_or_default() {
        let text = VALID
            .replace("webhook_secret: w", "webhook_secret:")
            .replace("store:\n  url: sqlite://test.db\n", "store:\n");
        let errs = errors(&text);
        assert_eq!(where_(&errs), [(14, "channels[1].webhook_secret")]);
        // An empty value is an absent one, and WooCommerce needs this one.
        assert!(errs[0].message.contains("required"), "{}", errs[0].message);
    }

    #[test]
    fn top_level_must_be_a_mapping() {
        let errs = errors("- a\n- b\n");
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].line, 1);
    }

    #[test]
    fn display_is_file_line_column_field_message() {
        let errs = load_str(
            &VALID.replace("buffer: 2", "buffer: lots"),
            "cfg/sy.yaml",
            &env,
        )
        .unwrap_err();
        assert!(
            errs.to_string()
                .starts_with("cfg/sy.yaml:17:15: channels[1].stock.buffer: invalid type"),
            "{errs}"
        );
    }

    #[test]
    fn nonexistent_file_is_one_error_naming_it() {
        let errs = load(Path::new("/nonexistent/switchyard.yaml")).unwrap_err();
        assert_eq!(errs.0.len(), 1);
        assert_eq!(errs.0[0].file, "/nonexistent/switchyard.yaml");
        assert_eq!(errs.0[0].line, 0);
    }

    #[test]
    fn load_reads_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sy.yaml");
        let text = VALID
            .replace("${SHOPIFY_TOKEN}", "t")
            .replace("${SHOPIFY_SECRET}", "s");
        std::fs::write(&path, text).unwrap();
        assert_eq!(load(&path).unwrap().channels.len(), 2);
    }

    #[test]
    fn example_config_loads() {
        let text = include_str!("../../../config/switchyard.example.yaml");
        let vars = [
            "SHOPIFY_ACCESS_TOKEN",
            "SHOPIFY_WEBHOOK_SECRET",
            "WOOCOMMERCE_CONSUMER_KEY",
            "WOOCOMMERCE_CONSUMER_SECRET",
            "WOOCOMMERCE_WEBHOOK_SECRET",
            "AMAZON_LWA_CLIENT_ID",
            "AMAZON_LWA_CLIENT_SECRET",
            "AMAZON_REFRESH_TOKEN",
            "AMAZON_SELLER_ID",
            "AMAZON_NOTIFICATION_API_KEY",
            "EBAY_CLIENT_ID",
            "EBAY_CLIENT_SECRET",
            "EBAY_REFRESH_TOKEN",
            "WALMART_CLIENT_ID",
            "WALMART_CLIENT_SECRET",
            "ETSY_KEYSTRING",
            "ETSY_REFRESH_TOKEN",
            "BIGCOMMERCE_ACCESS_TOKEN",
            "BIGCOMMERCE_CLIENT_SECRET",
            "SHIPBOB_ACCESS_TOKEN",
            "SHIPBOB_WEBHOOK_SECRET",
        ];
        let env = |name: &str| vars.contains(&name).then(|| format!("test-{name}"));
        let config = match load_str(text, "switchyard.example.yaml", &env) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(config.channels.len(), 7);
        assert!(config.own_warehouse().is_some());
        let none = |_: &str| None;
        let errs = load_str(text, "switchyard.example.yaml", &none).unwrap_err();
        assert_eq!(errs.0.len(), vars.len(), "{errs}");
    }
}
