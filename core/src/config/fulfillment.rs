//! How Switchyard reaches the partner behind a `3pl` or `dropship` location: the `adapter:`
//! block of a location. Fields only one kind uses are checked here by kind, like channels.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::supplier_adapters::{self, EmailAdapterConfig, HttpJsonAdapterConfig};
use super::{ConfigIssue, LocationKind, RateLimitConfig};

/// The protocols Switchyard speaks to fulfilment partners.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AdapterKind {
    /// ShipBob's REST API (a 3PL).
    Shipbob,
    /// A 3PL over EDI X12 on SFTP: 940 out; 945 and 997 back.
    #[serde(rename = "edi_3pl")]
    Edi3pl,
    /// A dropship supplier over EDI X12 on SFTP: 850 out; 855, 856, 846, 810 and 997 back.
    EdiSupplier,
    /// A dropship supplier exchanging CSV files over SFTP.
    CsvSftp,
    /// A dropship supplier taking purchase orders by e-mail (SMTP).
    Email,
    /// A dropship supplier taking signed JSON POSTs and sending signed webhooks.
    HttpJson,
}

impl AdapterKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AdapterKind::Shipbob => "shipbob",
            AdapterKind::Edi3pl => "edi_3pl",
            AdapterKind::EdiSupplier => "edi_supplier",
            AdapterKind::CsvSftp => "csv_sftp",
            AdapterKind::Email => "email",
            AdapterKind::HttpJson => "http_json",
        }
    }

    /// Kinds that exchange files over SFTP and need an `sftp:` block.
    pub fn uses_sftp(self) -> bool {
        matches!(
            self,
            AdapterKind::Edi3pl | AdapterKind::EdiSupplier | AdapterKind::CsvSftp
        )
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
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
    /// An order the partner has not shipped this long after it was handed over is held for a
    /// person (`switchyard orders held`); absent means no deadline.
    #[serde(default)]
    pub ship_within_secs: Option<u64>,
    /// How often the daemon reads the partner's whole inventory and feeds it into the
    /// location's on-hand (a level changed in the partner's own admin sends no event);
    /// 0 = never (adapters that cannot read inventory skip it).
    #[serde(default = "default_inventory_interval")]
    pub inventory_interval_secs: u64,
    /// Attempts at applying one of this partner's events before it is parked as `failed`
    /// for an operator (`switchyard partners events --failed`).
    #[serde(default = "default_event_max_attempts")]
    pub event_max_attempts: u32,
    /// File-exchange partners (`edi_3pl`, `edi_supplier`, `csv_sftp`): the server and folders.
    #[serde(default)]
    pub sftp: Option<SftpConfig>,
    /// EDI partners: interchange ids.
    #[serde(default)]
    pub edi: Option<EdiConfig>,
    /// `csv_sftp`: the supplier's file layouts.
    #[serde(default)]
    pub csv: Option<CsvConfig>,
    /// `kind: email`: SMTP relay, sender, supplier mailboxes, subjects.
    #[serde(default)]
    pub email: Option<EmailAdapterConfig>,
    /// `kind: http_json`: order and cancel URLs, the shared signing secret.
    #[serde(default)]
    pub http_json: Option<HttpJsonAdapterConfig>,
}

/// An SFTP server and the folders files move through. Paths are as the server sees them.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SftpConfig {
    pub host: String,
    #[serde(default = "default_sftp_port")]
    pub port: u16,
    pub user: String,
    /// OpenSSH private key file (no passphrase).
    pub private_key_path: String,
    /// The server's public key (`ssh-ed25519 AAAA…`) or fingerprint (`SHA256:…`); a server
    /// showing another key is refused.
    pub host_key: String,
    /// Where Switchyard puts files for the partner.
    pub outbox: String,
    /// Where the partner puts files for Switchyard.
    pub inbox: String,
    /// Processed inbox files are moved here; default `<inbox>/archive`.
    #[serde(default)]
    pub archive: Option<String>,
    /// Switchyard's own record of what it sent (one small JSON per order), read back to map
    /// acknowledgements to orders after a restart; default `<outbox>/../sent`.
    #[serde(default)]
    pub sent: Option<String>,
    #[serde(default = "default_sftp_timeout")]
    pub timeout_secs: u64,
}

/// ISA/GS identities. Switchyard is the sender of what it sends.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EdiConfig {
    #[serde(default = "default_edi_qualifier")]
    pub sender_qualifier: String,
    pub sender_id: String,
    #[serde(default = "default_edi_qualifier")]
    pub receiver_qualifier: String,
    pub receiver_id: String,
    /// ISA15 `T` instead of `P`.
    #[serde(default)]
    pub test: bool,
}

/// One CSV column: its header text and the value it carries.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CsvColumn {
    pub header: String,
    pub field: CsvField,
}

/// Values a CSV column can carry. Orders use the first group; shipment files `po_number`, `sku`,
/// `quantity`, `carrier`, `tracking`; stock files `sku`, `quantity`.
#[derive(
    Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, PartialOrd, Ord, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CsvField {
    PoNumber,
    OrderNumber,
    Sku,
    PartnerSku,
    Quantity,
    UnitPrice,
    Title,
    ShipToName,
    Address1,
    Address2,
    City,
    Region,
    PostalCode,
    Country,
    Phone,
    Email,
    Carrier,
    Tracking,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CsvConfig {
    /// Columns of the order file Switchyard writes, one row per line.
    pub order_columns: Vec<CsvColumn>,
    /// Columns of the supplier's shipment files.
    pub shipment_columns: Vec<CsvColumn>,
    /// Columns of the supplier's stock feed.
    #[serde(default)]
    pub stock_columns: Vec<CsvColumn>,
    /// Inbox files whose name starts with this are shipments (default `ship`).
    #[serde(default = "default_shipment_prefix")]
    pub shipment_prefix: String,
    /// … and with this, stock feeds (default `stock`).
    #[serde(default = "default_stock_prefix")]
    pub stock_prefix: String,
}

fn default_sftp_port() -> u16 {
    22
}

fn default_sftp_timeout() -> u64 {
    30
}

fn default_edi_qualifier() -> String {
    "ZZ".into()
}

fn default_shipment_prefix() -> String {
    "ship".into()
}

fn default_stock_prefix() -> String {
    "stock".into()
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
            ship_within_secs: None,
            inventory_interval_secs: default_inventory_interval(),
            event_max_attempts: default_event_max_attempts(),
            sftp: None,
            edi: None,
            csv: None,
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

fn default_inventory_interval() -> u64 {
    900
}

fn default_event_max_attempts() -> u32 {
    8
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
        AdapterKind::Shipbob | AdapterKind::Edi3pl => LocationKind::ThirdParty,
        AdapterKind::EdiSupplier
        | AdapterKind::CsvSftp
        | AdapterKind::Email
        | AdapterKind::HttpJson => LocationKind::Dropship,
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
        AdapterKind::Edi3pl | AdapterKind::EdiSupplier | AdapterKind::CsvSftp => &[],
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
    file_exchange_issues(adapter, &mut issue);
    if adapter.webhook_secret.as_deref() == Some("") {
        issue("webhook_secret", "must not be empty".into());
    }
    if adapter.poll_interval_secs == 0 {
        issue("poll_interval_secs", "must be at least 1".into());
    }
    if adapter.event_max_attempts == 0 {
        issue("event_max_attempts", "must be at least 1".into());
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

/// The `sftp`, `edi` and `csv` blocks each kind needs.
fn file_exchange_issues(adapter: &AdapterConfig, issue: &mut impl FnMut(&str, String)) {
    let kind = adapter.kind.as_str();
    let is_edi = matches!(adapter.kind, AdapterKind::Edi3pl | AdapterKind::EdiSupplier);
    match (&adapter.sftp, adapter.kind.uses_sftp()) {
        (None, true) => issue("sftp", format!("required for adapter kind {kind}")),
        (Some(_), false) => issue("sftp", format!("not used by adapter kind {kind}")),
        (Some(sftp), true) => {
            let fields = [
                ("host", &sftp.host),
                ("user", &sftp.user),
                ("private_key_path", &sftp.private_key_path),
                ("host_key", &sftp.host_key),
                ("outbox", &sftp.outbox),
                ("inbox", &sftp.inbox),
            ];
            for (field, value) in fields {
                if value.trim().is_empty() {
                    issue(&format!("sftp.{field}"), "must not be empty".into());
                }
            }
            if sftp.port == 0 {
                issue("sftp.port", "must be 1–65535".into());
            }
            if sftp.timeout_secs == 0 {
                issue("sftp.timeout_secs", "must be at least 1".into());
            }
        }
        (None, false) => {}
    }
    match (&adapter.edi, is_edi) {
        (None, true) => issue("edi", format!("required for adapter kind {kind}")),
        (Some(_), false) => issue("edi", format!("not used by adapter kind {kind}")),
        (Some(edi), true) => {
            let fields = [
                ("sender_qualifier", &edi.sender_qualifier, 2),
                ("sender_id", &edi.sender_id, 15),
                ("receiver_qualifier", &edi.receiver_qualifier, 2),
                ("receiver_id", &edi.receiver_id, 15),
            ];
            for (field, value, max) in fields {
                let len = value.trim().chars().count();
                if len == 0 || len > max {
                    issue(
                        &format!("edi.{field}"),
                        format!("must be 1–{max} characters"),
                    );
                }
            }
        }
        (None, false) => {}
    }
    let is_csv = adapter.kind == AdapterKind::CsvSftp;
    match (&adapter.csv, is_csv) {
        (None, true) => issue("csv", format!("required for adapter kind {kind}")),
        (Some(_), false) => issue("csv", format!("not used by adapter kind {kind}")),
        (Some(csv), true) => {
            use CsvField as F;
            let shipment_fields = [F::PoNumber, F::Sku, F::Quantity, F::Carrier, F::Tracking];
            let layouts = [
                (
                    "order_columns",
                    &csv.order_columns,
                    None,
                    &[F::PoNumber][..],
                ),
                (
                    "shipment_columns",
                    &csv.shipment_columns,
                    Some(&shipment_fields[..]),
                    &[F::PoNumber, F::Tracking][..],
                ),
                (
                    "stock_columns",
                    &csv.stock_columns,
                    Some(&[F::Sku, F::Quantity][..]),
                    &[][..],
                ),
            ];
            for (name, columns, allowed, required) in layouts {
                for (i, column) in columns.iter().enumerate() {
                    if column.header.trim().is_empty() {
                        issue(
                            &format!("csv.{name}[{i}].header"),
                            "must not be empty".into(),
                        );
                    }
                    if let Some(allowed) = allowed
                        && !allowed.contains(&column.field)
                    {
                        issue(
                            &format!("csv.{name}[{i}].field"),
                            format!("{:?} is not a value of this file", column.field),
                        );
                    }
                }
                for field in required {
                    if !columns.iter().any(|c| c.field == *field) {
                        issue(
                            &format!("csv.{name}"),
                            format!("needs a column for {field:?}"),
                        );
                    }
                }
            }
            if !csv.stock_columns.is_empty()
                && ![F::Sku, F::Quantity]
                    .iter()
                    .all(|f| csv.stock_columns.iter().any(|c| c.field == *f))
            {
                issue("csv.stock_columns", "needs sku and quantity columns".into());
            }
        }
        (None, false) => {}
    }
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

    #[test]
    fn file_exchange_adapters_load_and_missing_blocks_are_named() {
        let config = load(
            "locations:\n  - id: acme\n    kind: dropship\n    adapter:\n      kind: edi_supplier\n      sftp:\n        host: sftp.acme.example\n        user: merchant\n        private_key_path: /etc/switchyard/acme_ed25519\n        host_key: SHA256:abc\n        outbox: /in\n        inbox: /out\n      edi:\n        sender_id: MERCHANT\n        receiver_id: ACME\n      sku_map:\n        MUG: V-MUG\n  - id: csvco\n    kind: dropship\n    adapter:\n      kind: csv_sftp\n      sftp: {host: h, user: u, private_key_path: k, host_key: SHA256:x, outbox: o, inbox: i}\n      csv:\n        order_columns: [{header: PO, field: po_number}, {header: Item, field: partner_sku}]\n        shipment_columns: [{header: PO, field: po_number}, {header: Tracking, field: tracking}]\n",
        )
        .expect("loads");
        let edi = config.locations[0].adapter.as_ref().expect("adapter");
        assert_eq!(edi.kind, AdapterKind::EdiSupplier);
        let sftp = edi.sftp.as_ref().expect("sftp");
        assert_eq!((sftp.port, sftp.timeout_secs), (22, 30));
        assert_eq!(edi.edi.as_ref().expect("edi").sender_qualifier, "ZZ");
        let csv = config.locations[1].adapter.as_ref().expect("adapter");
        assert_eq!(csv.csv.as_ref().expect("csv").shipment_prefix, "ship");

        let errors = load(
            "locations:\n  - id: whse\n    kind: dropship\n    adapter:\n      kind: edi_3pl\n      csv:\n        order_columns: []\n        shipment_columns: [{header: Qty, field: email}]\n",
        )
        .unwrap_err()
        .0;
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        for expected in [
            "locations[0].adapter.kind",
            "locations[0].adapter.sftp",
            "locations[0].adapter.edi",
            "locations[0].adapter.csv",
        ] {
            assert!(fields.contains(&expected), "{expected} in {errors:?}");
        }
    }
}
