//! How Switchyard reaches the partner behind a `3pl` or `dropship` location: the `adapter:`
//! block of a location. Fields only one kind uses are checked here by kind, like channels.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::supplier_adapters::{self, EmailAdapterConfig, HttpJsonAdapterConfig};
use super::{ConfigIssue, LocationKind, RateLimitConfig};

/// The protocols Switchyard speaks to fulfilment partners.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AdapterKind {
    /// ShipBob's REST API (a 3PL).
    Shipbob,
    /// A dropship supplier taking purchase orders by e-mail (SMTP).
    Email,
    /// A dropship supplier taking signed JSON POSTs and sending signed webhooks.
    HttpJson,
}

impl AdapterKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AdapterKind::Shipbob => "shipbob",
            AdapterKind::Email => "email",
            AdapterKind::HttpJson => "http_json",
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AdapterConfig {
    pub kind: AdapterKind,
    /// API root; the partner's documented host when absent (sandboxes and simulators set it).
    #[serde(default)]
    pub base_url: Option<String>,
    /// ShipBob: a Personal Access Token.
    #[serde(default)]
    pub access_token: Option<String>,
    /// ShipBob: the channel with write access that orders are created under.
    #[serde(default)]
    pub channel_id: Option<String>,
    /// Key that authenticates the partner's webhooks (ShipBob: the subscription's `whsec_…`).
    /// Absent for a partner that is only polled.
    #[serde(default)]
    pub webhook_secret: Option<String>,
    /// API version in the path, such as ShipBob's `2026-07`.
    #[serde(default)]
    pub api_version: Option<String>,
    #[serde(default = "default_poll_interval")]
    pub poll_interval_secs: u64,
    /// The poll window reaches back this far past the newest change seen.
    #[serde(default = "default_poll_overlap")]
    pub poll_overlap_secs: u64,
    #[serde(default)]
    pub rate_limit: Option<RateLimitConfig>,
    /// SKU → the partner's own part number, for SKUs the partner knows by another name.
    #[serde(default)]
    pub sku_map: BTreeMap<String, String>,
    /// `kind: email`: SMTP relay, sender, supplier mailboxes, subjects.
    #[serde(default)]
    pub email: Option<EmailAdapterConfig>,
    /// `kind: http_json`: order and cancel URLs, the shared signing secret.
    #[serde(default)]
    pub http_json: Option<HttpJsonAdapterConfig>,
}

impl AdapterConfig {
    /// An adapter of `kind` with every optional field empty, for code that builds
    /// configurations (the demo, tests) rather than reading YAML.
    pub fn new(kind: AdapterKind) -> Self {
        Self {
            kind,
            base_url: None,
            access_token: None,
            channel_id: None,
            webhook_secret: None,
            api_version: None,
            poll_interval_secs: default_poll_interval(),
            poll_overlap_secs: default_poll_overlap(),
            rate_limit: None,
            sku_map: BTreeMap::new(),
            email: None,
            http_json: None,
        }
    }
}

fn default_poll_interval() -> u64 {
    300
}

fn default_poll_overlap() -> u64 {
    600
}

/// Checks one location's adapter; `path` is the location's dotted path (`locations[2]`).
pub(super) fn adapter_issues(
    path: &str,
    location: LocationKind,
    adapter: &AdapterConfig,
) -> Vec<ConfigIssue> {
    let mut issues = Vec::new();
    let mut issue = |field: &str, message: String| {
        issues.push(ConfigIssue {
            path: format!("{path}.adapter.{field}"),
            message,
        })
    };
    let expected = match adapter.kind {
        AdapterKind::Shipbob => LocationKind::ThirdParty,
        AdapterKind::Email => LocationKind::Dropship,
        AdapterKind::HttpJson => LocationKind::Dropship,
    };
    if location != expected {
        issue(
            "kind",
            format!(
                "{} serves `{}` locations, not `{}`",
                adapter.kind.as_str(),
                expected.as_str(),
                location.as_str()
            ),
        );
    }
    if let Some(url) = &adapter.base_url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        issue("base_url", "must start with http:// or https://".into());
    }
    let required: &[(&str, &Option<String>)] = match adapter.kind {
        AdapterKind::Shipbob => &[
            ("access_token", &adapter.access_token),
            ("channel_id", &adapter.channel_id),
        ],
        AdapterKind::Email => &[],
        AdapterKind::HttpJson => &[],
    };
    for (field, value) in required {
        if value.as_deref().is_none_or(|v| v.trim().is_empty()) {
            issue(
                field,
                format!("required for adapter kind {}", adapter.kind.as_str()),
            );
        }
    }
    if adapter.kind == AdapterKind::Shipbob
        && let Some(id) = adapter.channel_id.as_deref()
        && !id.trim().is_empty()
        && id.trim().parse::<u32>().is_err()
    {
        issue(
            "channel_id",
            format!("`{id}` is not a ShipBob channel id (a number)"),
        );
    }
    if adapter.webhook_secret.as_deref() == Some("") {
        issue("webhook_secret", "must not be empty".into());
    }
    if adapter.poll_interval_secs == 0 {
        issue("poll_interval_secs", "must be at least 1".into());
    }
    if let Some(rl) = &adapter.rate_limit
        && !(rl.per_second.is_finite() && rl.per_second > 0.0 && rl.burst > 0)
    {
        issue("rate_limit", "per_second and burst must be positive".into());
    }
    for (sku, part) in &adapter.sku_map {
        if sku.trim().is_empty() || part.trim().is_empty() {
            issue(
                "sku_map",
                format!("`{sku}` → `{part}`: neither side may be empty"),
            );
        }
    }
    if matches!(adapter.kind, AdapterKind::Email | AdapterKind::HttpJson) {
        let unused = [
            ("base_url", adapter.base_url.is_some()),
            ("access_token", adapter.access_token.is_some()),
            ("channel_id", adapter.channel_id.is_some()),
            ("webhook_secret", adapter.webhook_secret.is_some()),
            ("api_version", adapter.api_version.is_some()),
        ];
        for (field, set) in unused {
            if set {
                issues.push(ConfigIssue {
                    path: format!("{path}.adapter.{field}"),
                    message: format!(
                        "not used by adapter kind {}: its settings go in the `{}` block",
                        adapter.kind.as_str(),
                        adapter.kind.as_str()
                    ),
                });
            }
        }
    }
    match adapter.kind {
        AdapterKind::Email => issues.extend(supplier_adapters::at(
            path,
            supplier_adapters::email_issues(adapter.email.as_ref()),
        )),
        AdapterKind::HttpJson => issues.extend(supplier_adapters::at(
            path,
            supplier_adapters::http_json_issues(adapter.http_json.as_ref()),
        )),
        _ => {}
    }
    issues
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::load_str;

    const BASE: &str = "channels:\n  - id: shop\n    kind: shopify\n    base_url: https://s.myshopify.com\n    access_token: t\n    location_id: \"1\"\n    webhook_secret: w\n";

    fn load(locations: &str) -> Result<crate::config::Config, crate::config::ConfigErrors> {
        load_str(&format!("{BASE}{locations}"), "test.yaml", &|name| {
            (name == "SB_TOKEN").then(|| "pat-123".to_string())
        })
    }

    #[test]
    fn a_shipbob_adapter_loads_with_its_defaults() {
        let config = load(
            "locations:\n  - id: bob\n    kind: 3pl\n    adapter:\n      kind: shipbob\n      access_token: ${SB_TOKEN}\n      channel_id: \"4321\"\n      webhook_secret: whsec_c2VjcmV0\n      sku_map:\n        MUG: SB-MUG\n",
        )
        .expect("loads");
        let adapter = config.locations[0].adapter.as_ref().expect("adapter");
        assert_eq!(adapter.kind, AdapterKind::Shipbob);
        assert_eq!(adapter.access_token.as_deref(), Some("pat-123"));
        assert_eq!(adapter.poll_interval_secs, 300);
        assert_eq!(adapter.sku_map["MUG"], "SB-MUG");
    }

    #[test]
    fn supplier_adapters_load_and_their_blocks_are_checked() {
        let config = load(
            "locations:\n  - id: acme\n    kind: dropship\n    adapter:\n      kind: email\n      email:\n        smtp_host: smtp.example.com\n        username: po\n        password: ${SB_TOKEN}\n        from: Orders <po@shop.example>\n        to: [orders@acme.example]\n  - id: bolt\n    kind: dropship\n    adapter:\n      kind: http_json\n      http_json:\n        order_url: https://bolt.example/po\n        cancel_url: https://bolt.example/po/{po}/cancel\n        secret: 0123456789abcdef\n",
        )
        .expect("loads");
        let email = config.locations[0]
            .adapter
            .as_ref()
            .unwrap()
            .email
            .as_ref()
            .unwrap();
        assert_eq!(email.password.as_deref(), Some("pat-123"));
        assert_eq!(email.port(), 587);
        assert_eq!(email.subject, "Purchase order {po}");
        let http = config.locations[1]
            .adapter
            .as_ref()
            .unwrap()
            .http_json
            .as_ref()
            .unwrap();
        assert_eq!(http.tolerance_secs, 300);
        let errors = load(
            "locations:\n  - id: acme\n    kind: dropship\n    adapter:\n      kind: email\n      email:\n        smtp_host: smtp.example.com\n        username: po\n        from: nobody\n        to: []\n        subject: PO\n  - id: bolt\n    kind: 3pl\n    adapter:\n      kind: http_json\n      webhook_secret: w\n",
        )
        .unwrap_err()
        .0;
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        for expected in [
            "locations[0].adapter.email.password",
            "locations[0].adapter.email.from",
            "locations[0].adapter.email.to",
            "locations[0].adapter.email.subject",
            "locations[1].adapter.kind",
            "locations[1].adapter.http_json",
            "locations[1].adapter.webhook_secret",
        ] {
            assert!(fields.contains(&expected), "{expected} in {fields:?}");
        }
    }

    #[test]
    fn missing_credentials_wrong_location_kind_and_unknown_fields_are_named() {
        let errors = load(
            "locations:\n  - id: wh\n    kind: self\n    adapter:\n      kind: shipbob\n      channel_id: abc\n",
        )
        .unwrap_err()
        .0;
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"locations[0].adapter.kind"), "{fields:?}");
        assert!(
            fields.contains(&"locations[0].adapter.access_token"),
            "{fields:?}"
        );
        assert!(
            fields.contains(&"locations[0].adapter.channel_id"),
            "{fields:?}"
        );
        let errors = load(
            "locations:\n  - id: bob\n    kind: 3pl\n    adapter:\n      kind: shipbob\n      access_token: t\n      channel_id: \"1\"\n      api_key: nope\n",
        )
        .unwrap_err()
        .0;
        assert!(
            errors.iter().any(|e| e.message.contains("api_key")),
            "{errors:?}"
        );
        let errors =
            load("locations:\n  - id: bob\n    kind: 3pl\n    adapter:\n      kind: shiphero\n")
                .unwrap_err()
                .0;
        assert!(
            errors
                .iter()
                .any(|e| e.field == "locations[0].adapter.kind"),
            "{errors:?}"
        );
    }
}
