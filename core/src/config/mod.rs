//! The merchant's configuration: typed data and its checks here; loading (YAML, `${VAR}`,
//! file:line:column errors) in `load` and the files beside it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::intake::IntakeRules;
use crate::model::ChannelKind;

mod alerts;
mod collect;
mod de;
mod env;
mod error;
mod fulfillment;
mod load;
mod locate;
mod routing;
mod routing_load;
mod stock;
mod supplier_adapters;
mod tree;
mod webhooks;

pub use alerts::{AlertEmail, AlertWebhook, AlertsConfig};
pub use error::{ConfigError, ConfigErrors};
pub use fulfillment::{
    AdapterConfig, AdapterKind, CsvColumn, CsvConfig, CsvField, EdiConfig, SftpConfig,
};
pub use load::{load, load_str};
pub use routing::{
    Action, Conditions, Coordinates, Fallback, RoutingConfig, Rule, SplitMode, TotalRange,
    UnknownSku, position_of,
};
pub use routing_load::{load_routing, load_routing_str};
pub use stock::{KitComponent, KitConfig, SkuStockRules, StockRules};
pub use supplier_adapters::{EmailAdapterConfig, HttpJsonAdapterConfig, SmtpSecurity};
pub use webhooks::{WebhookConfig, WebhookStart};

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub store: StoreConfig,
    #[serde(default)]
    pub server: ServerConfig,
    /// The admin API (`/api/v1`): off unless `listen` is set.
    #[serde(default)]
    pub admin: AdminConfig,
    pub channels: Vec<ChannelConfig>,
    pub locations: Vec<LocationConfig>,
    /// Where paid orders go (`routing::evaluate`); empty means the first own warehouse.
    #[serde(default)]
    pub routing: RoutingConfig,
    /// Bundles sold as one SKU and made of components.
    #[serde(default)]
    pub kits: Vec<KitConfig>,
    /// How often the daemon audits the stock record (seconds; 0 turns the periodic audit off).
    #[serde(default = "default_audit_interval")]
    pub audit_interval_secs: u64,
    /// What a normalized order must satisfy to be taken in (else it is quarantined).
    #[serde(default)]
    pub intake: IntakeRules,
    /// An order not shipped with less than this left before its ship-by is at risk
    /// (`orders late`, the daemon's `orders_at_risk` metric).
    #[serde(default = "default_late_margin")]
    pub late_margin_secs: u64,
    /// Where exceptions are announced (webhooks, e-mail) and how often.
    #[serde(default)]
    pub alerts: AlertsConfig,
    /// Subscribers the daemon sends events to, signed (`X-Switchyard-Signature`).
    #[serde(default)]
    pub webhooks: Vec<WebhookConfig>,
    /// This process as one of several replicas on a shared PostgreSQL store (issue 10).
    #[serde(default)]
    pub replica: ReplicaConfig,
}

/// How replicas share the work (`core::leases`). One process on SQLite needs none of it.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplicaConfig {
    /// This replica's name in the lease table; unique per running process. Default: the host
    /// name and process id. `switchyard run --replica-id` overrides it.
    #[serde(default)]
    pub id: Option<String>,
    /// How long a lease lasts without renewal (seconds). Holders renew every third of it; a
    /// replica that dies hands its work over within about this long.
    #[serde(default = "default_lease_ttl")]
    pub lease_ttl_secs: u64,
}

impl Default for ReplicaConfig {
    fn default() -> Self {
        Self {
            id: None,
            lease_ttl_secs: default_lease_ttl(),
        }
    }
}

fn default_lease_ttl() -> u64 {
    15
}

fn default_late_margin() -> u64 {
    4 * 3600
}

fn default_audit_interval() -> u64 {
    300
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// `sqlite://path` (created on first start).
    #[serde(default = "default_store_url")]
    pub url: String,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            url: default_store_url(),
        }
    }
}

fn default_store_url() -> String {
    "sqlite://switchyard.db".into()
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    #[serde(default = "default_listen")]
    pub listen: String,
    /// Webhook bodies above this are refused with 413: at once when `Content-Length` says so
    /// (nothing of the body is read), otherwise as soon as the limit is passed.
    #[serde(default = "default_max_body")]
    pub max_body_bytes: usize,
    /// A request's head (request line and headers) must arrive within this many seconds of
    /// the connection opening or of its first byte on a kept-alive connection.
    #[serde(default = "default_header_timeout")]
    pub header_timeout_secs: u64,
    /// A request's body must arrive in full within this many seconds of its head (408).
    #[serde(default = "default_body_timeout")]
    pub body_timeout_secs: u64,
    /// A kept-alive connection with no request in flight is closed after this many seconds.
    #[serde(default = "default_idle_timeout")]
    pub idle_timeout_secs: u64,
    /// Connections served at once; further ones wait in the listen queue until one closes, so
    /// those in flight finish. Lowered at start to what the open-file limit allows.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// Bearer token for `/metrics` and the detailed `/readyz` body. Unset: both are open to
    /// anyone who reaches the port. `/healthz` and `/readyz`'s status code are always open.
    #[serde(default)]
    pub operator_token: Option<String>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: default_listen(),
            max_body_bytes: default_max_body(),
            header_timeout_secs: default_header_timeout(),
            body_timeout_secs: default_body_timeout(),
            idle_timeout_secs: default_idle_timeout(),
            max_connections: default_max_connections(),
            operator_token: None,
        }
    }
}

fn default_header_timeout() -> u64 {
    10
}

fn default_body_timeout() -> u64 {
    30
}

fn default_idle_timeout() -> u64 {
    60
}

fn default_max_connections() -> usize {
    10_000
}

fn default_listen() -> String {
    "127.0.0.1:8080".into()
}

fn default_max_body() -> usize {
    1024 * 1024
}

/// The admin API on its own listen address, with bearer tokens stored as hashes.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminConfig {
    /// `127.0.0.1:8081`; unset, the admin API is off. Keep it on loopback or a private
    /// network: it changes orders and stock.
    #[serde(default)]
    pub listen: Option<String>,
    #[serde(default)]
    pub tokens: Vec<AdminToken>,
}

/// One bearer token: its SHA-256 (64 hex digits, `printf %s TOKEN | sha256sum`), never the
/// token itself, and what it may do.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminToken {
    /// Who holds it; recorded with every action taken with it (`api:<name>`).
    pub name: String,
    pub sha256: String,
    pub role: AdminRole,
}

/// What a token may do; each role may do everything the ones before it may.
#[derive(
    Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, PartialOrd, Ord, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum AdminRole {
    /// Read everything.
    Viewer,
    /// Act on orders and exceptions: ship, release, replay, retry, cancel at a partner,
    /// re-process, audit.
    Operator,
    /// Change stock counts, run drift checks, read the action log.
    Admin,
}

impl AdminRole {
    pub fn as_str(self) -> &'static str {
        match self {
            AdminRole::Viewer => "viewer",
            AdminRole::Operator => "operator",
            AdminRole::Admin => "admin",
        }
    }
}

/// One sales-channel account. Fields that only one kind uses are checked by that connector.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelConfig {
    pub id: String,
    pub kind: ChannelKind,
    /// API root: `https://{shop}.myshopify.com` for Shopify, the site URL for WooCommerce.
    pub base_url: String,
    /// Shopify Admin API access token.
    #[serde(default)]
    pub access_token: Option<String>,
    /// Shopify Admin API version, such as `2026-04`.
    #[serde(default)]
    pub api_version: Option<String>,
    /// Shopify location whose `available` quantity Switchyard sets (a GID or numeric id).
    #[serde(default)]
    pub location_id: Option<String>,
    /// WooCommerce REST consumer key and secret.
    #[serde(default)]
    pub consumer_key: Option<String>,
    #[serde(default)]
    pub consumer_secret: Option<String>,
    /// Key that authenticates webhooks: Shopify's app client secret, WooCommerce's webhook
    /// secret, BigCommerce's client secret, eBay's endpoint verification token, the API key
    /// an Amazon EventBridge destination sends. Absent for a channel polled only.
    #[serde(default)]
    pub webhook_secret: Option<String>,
    /// OAuth / Login with Amazon client id and secret (Amazon, eBay, Walmart, Etsy).
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub client_secret: Option<String>,
    /// OAuth refresh token (Amazon, eBay, Etsy).
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// Token endpoint, when it is not the channel's documented one (sandboxes, simulators).
    #[serde(default)]
    pub token_url: Option<String>,
    /// Amazon marketplace id (such as `ATVPDKIKX0DER`).
    #[serde(default)]
    pub marketplace_id: Option<String>,
    /// Amazon selling partner id.
    #[serde(default)]
    pub seller_id: Option<String>,
    /// Etsy shop id.
    #[serde(default)]
    pub shop_id: Option<String>,
    /// BigCommerce store hash.
    #[serde(default)]
    pub store_hash: Option<String>,
    /// Walmart ship node whose inventory Switchyard sets, for an account with more than one
    /// ship node (pushes then name it: `shipNode=` singles, `MP_INVENTORY` feeds).
    #[serde(default)]
    pub ship_node: Option<String>,
    /// eBay: the public URL of this channel's `/webhooks/{id}` as registered with eBay; with
    /// `webhook_secret` (the verification token) it answers eBay's `challenge_code` check.
    #[serde(default)]
    pub endpoint_url: Option<String>,
    /// Carrier name → the channel's own carrier code, consulted before the built-in table
    /// (`switchyard_core::carriers`).
    #[serde(default)]
    pub carriers: BTreeMap<String, String>,
    #[serde(default = "default_poll_interval")]
    pub poll_interval_secs: u64,
    /// The poll window reaches back this far past the newest order seen, so an order updated
    /// on a boundary (or committed late by the channel) is not missed.
    #[serde(default = "default_poll_overlap")]
    pub poll_overlap_secs: u64,
    #[serde(default)]
    pub rate_limit: Option<RateLimitConfig>,
    #[serde(default)]
    pub stock: StockRules,
    /// How often levels are read back from the channel to catch changes made in its own admin
    /// (seconds; 0 turns it off). Each check reads every listing, so mind daily quotas.
    #[serde(default = "default_drift_interval")]
    pub drift_interval_secs: u64,
    /// Locations whose stock this channel may sell; every location when absent.
    #[serde(default)]
    pub locations: Option<Vec<String>>,
    /// SKU → channel listing reference, overriding catalog discovery.
    #[serde(default)]
    pub listings: BTreeMap<String, serde_json::Value>,
    /// Seconds from `placed_at` to the ship-by time of an order for which the channel gives
    /// none (Shopify, WooCommerce, BigCommerce; any order lacking the field). Absent: such
    /// orders have no ship-by.
    #[serde(default)]
    pub handling_time_secs: Option<u64>,
    /// The channel's SKU → the merchant's, applied when an order is read (the channel's SKU
    /// stays on the line as `channel_sku`).
    #[serde(default)]
    pub sku_aliases: BTreeMap<String, String>,
    /// New orders wait this long after they were first received before they are routed, so
    /// a buyer's cancellation in the first minutes never reaches a partner (0: off).
    #[serde(default)]
    pub hold_new_orders_secs: u64,
    /// Opt-in: lines held with nowhere to go for this long are cancelled on the channel with
    /// reason out of stock (whole orders only where the channel cancels only whole orders;
    /// listed for a person where it has no cancellation API). Absent: never.
    #[serde(default)]
    pub cancel_unfulfillable_after_secs: Option<u64>,
}

impl ChannelConfig {
    /// A channel with every optional field empty and every default applied; for code that
    /// builds configurations (the demo, tests) rather than reading YAML.
    pub fn new(id: impl Into<String>, kind: ChannelKind, base_url: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            kind,
            base_url: base_url.into(),
            access_token: None,
            api_version: None,
            location_id: None,
            consumer_key: None,
            consumer_secret: None,
            webhook_secret: None,
            client_id: None,
            client_secret: None,
            refresh_token: None,
            token_url: None,
            marketplace_id: None,
            seller_id: None,
            shop_id: None,
            store_hash: None,
            ship_node: None,
            endpoint_url: None,
            carriers: BTreeMap::new(),
            poll_interval_secs: default_poll_interval(),
            poll_overlap_secs: default_poll_overlap(),
            rate_limit: None,
            stock: StockRules::default(),
            drift_interval_secs: default_drift_interval(),
            locations: None,
            listings: BTreeMap::new(),
            handling_time_secs: None,
            sku_aliases: BTreeMap::new(),
            hold_new_orders_secs: 0,
            cancel_unfulfillable_after_secs: None,
        }
    }
}

/// eBay's endpoint check needs the verification token (`webhook_secret`: 32 to 80 of
/// `[A-Za-z0-9_-]`, eBay's rule) and the endpoint URL together.
fn ebay_endpoint_issues(i: usize, c: &ChannelConfig) -> Vec<(String, String)> {
    let mut issues = Vec::new();
    match (&c.webhook_secret, &c.endpoint_url) {
        (Some(_), None) => issues.push((
            format!("channels[{i}].endpoint_url"),
            "required with webhook_secret (eBay's verification token) to answer eBay's endpoint challenge".into(),
        )),
        (None, Some(_)) => issues.push((
            format!("channels[{i}].webhook_secret"),
            "required with endpoint_url: eBay's verification token".into(),
        )),
        _ => {}
    }
    if let Some(token) = c.webhook_secret.as_deref().filter(|t| !t.is_empty())
        && !((32..=80).contains(&token.len())
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
    {
        issues.push((
            format!("channels[{i}].webhook_secret"),
            "eBay's verification token is 32 to 80 letters, digits, `_` or `-`".into(),
        ));
    }
    issues
}

fn default_poll_interval() -> u64 {
    60
}

fn default_drift_interval() -> u64 {
    3600
}

fn default_poll_overlap() -> u64 {
    300
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Units restored per second (Shopify: cost points; others: requests).
    pub per_second: f64,
    /// Bucket size.
    pub burst: u32,
}

/// Who holds a location's stock, which decides how orders reach it and how its on-hand is
/// learned: counted by the merchant, reported by a 3PL, or fed by a dropship supplier.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, schemars::JsonSchema)]
pub enum LocationKind {
    /// The merchant's own warehouse; orders are picked from `switchyard picks list`.
    #[serde(rename = "self")]
    SelfWarehouse,
    /// A third-party logistics warehouse holding the merchant's stock.
    #[serde(rename = "3pl")]
    ThirdParty,
    /// A supplier that ships from its own stock on the merchant's behalf.
    #[serde(rename = "dropship")]
    Dropship,
}

impl LocationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LocationKind::SelfWarehouse => "self",
            LocationKind::ThirdParty => "3pl",
            LocationKind::Dropship => "dropship",
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationConfig {
    pub id: String,
    pub kind: LocationKind,
    #[serde(default)]
    pub name: Option<String>,
    /// How orders reach the partner behind a `3pl` or `dropship` location.
    #[serde(default)]
    pub adapter: Option<AdapterConfig>,
    /// Where it is, for `nearest_in_stock`; else `country`/`region` give a built-in centroid.
    #[serde(default)]
    pub coordinates: Option<Coordinates>,
    /// ISO 3166-1 alpha-2 code.
    #[serde(default)]
    pub country: Option<String>,
    /// Subdivision code within `country` (`CA`, `ON`, `NSW`).
    #[serde(default)]
    pub region: Option<String>,
    /// SKU globs a dropship supplier carries; SKUs its stock feed reports count too.
    #[serde(default)]
    pub catalog: Vec<String>,
}

/// A problem found after parsing, with the dotted path of the field it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigIssue {
    pub path: String,
    pub message: String,
}

impl Config {
    /// Cross-field checks that the types alone cannot express. Reports every issue, not the first.
    pub fn validate(&self) -> Vec<ConfigIssue> {
        let mut issues = Vec::new();
        let mut issue = |path: String, message: String| issues.push(ConfigIssue { path, message });
        if self.channels.is_empty() {
            issue("channels".into(), "at least one channel is required".into());
        }
        if self.locations.is_empty() {
            issue(
                "locations".into(),
                "at least one location is required".into(),
            );
        }
        if self.replica.lease_ttl_secs < 3 {
            issue(
                "replica.lease_ttl_secs".into(),
                "must be at least 3: holders renew every third of it".into(),
            );
        }
        if let Some(id) = &self.replica.id
            && (id.is_empty() || id.len() > 100 || id.chars().any(char::is_control))
        {
            issue(
                "replica.id".into(),
                "must be 1 to 100 printable characters".into(),
            );
        }
        let server = &self.server;
        for (field, value) in [
            ("header_timeout_secs", server.header_timeout_secs),
            ("body_timeout_secs", server.body_timeout_secs),
            ("idle_timeout_secs", server.idle_timeout_secs),
            ("max_connections", server.max_connections as u64),
            ("max_body_bytes", server.max_body_bytes as u64),
        ] {
            if value == 0 {
                issue(format!("server.{field}"), "must be at least 1".into());
            }
        }
        if server
            .operator_token
            .as_deref()
            .is_some_and(|t| t.trim().len() < 16)
        {
            issue(
                "server.operator_token".into(),
                "must be at least 16 characters (or left out)".into(),
            );
        }
        if let Some(listen) = &self.admin.listen
            && listen.parse::<std::net::SocketAddr>().is_err()
        {
            issue(
                "admin.listen".into(),
                format!("`{listen}` is not an address such as 127.0.0.1:8081"),
            );
        }
        if self.admin.listen.is_some() && self.admin.tokens.is_empty() {
            issue(
                "admin.tokens".into(),
                "at least one token is required when admin.listen is set".into(),
            );
        }
        for (path, message) in self.alerts.issues() {
            issue(format!("alerts.{path}"), message);
        }
        let mut names = std::collections::BTreeSet::new();
        for (i, t) in self.admin.tokens.iter().enumerate() {
            if !valid_id(&t.name) {
                issue(
                    format!("admin.tokens[{i}].name"),
                    format!("`{}` must be 1-64 of [A-Za-z0-9_-]", t.name),
                );
            }
            if !names.insert(t.name.as_str()) {
                issue(
                    format!("admin.tokens[{i}].name"),
                    format!("duplicate token name `{}`", t.name),
                );
            }
            if t.sha256.len() != 64 || !t.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                issue(
                    format!("admin.tokens[{i}].sha256"),
                    "must be the token's SHA-256 as 64 hex digits (not the token itself)".into(),
                );
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, c) in self.channels.iter().enumerate() {
            if !valid_id(&c.id) {
                issue(
                    format!("channels[{i}].id"),
                    format!("`{}` must be 1-64 of [A-Za-z0-9_-]", c.id),
                );
            }
            if !seen.insert(c.id.as_str()) {
                issue(
                    format!("channels[{i}].id"),
                    format!("duplicate channel id `{}`", c.id),
                );
            }
            if !(c.base_url.starts_with("http://") || c.base_url.starts_with("https://")) {
                issue(
                    format!("channels[{i}].base_url"),
                    "must start with http:// or https://".into(),
                );
            }
            if c.webhook_secret.as_deref() == Some("") {
                issue(
                    format!("channels[{i}].webhook_secret"),
                    "must not be empty".into(),
                );
            }
            for (from, to) in &c.sku_aliases {
                if from.trim().is_empty() || to.trim().is_empty() {
                    issue(
                        format!("channels[{i}].sku_aliases"),
                        format!("`{from}` → `{to}`: neither SKU may be blank"),
                    );
                } else if from == to {
                    issue(
                        format!("channels[{i}].sku_aliases.{from}"),
                        "maps a SKU to itself".into(),
                    );
                }
            }
            if c.cancel_unfulfillable_after_secs == Some(0) {
                issue(
                    format!("channels[{i}].cancel_unfulfillable_after_secs"),
                    "must be at least 1 (or left out)".into(),
                );
            }
            if c.handling_time_secs == Some(0) {
                issue(
                    format!("channels[{i}].handling_time_secs"),
                    "must be at least 1 (or left out)".into(),
                );
            }
            if c.poll_interval_secs == 0 {
                issue(
                    format!("channels[{i}].poll_interval_secs"),
                    "must be at least 1".into(),
                );
            }
            let required: &[(&str, &Option<String>)] = match c.kind {
                ChannelKind::Shopify => &[
                    ("access_token", &c.access_token),
                    ("location_id", &c.location_id),
                    ("webhook_secret", &c.webhook_secret),
                ],
                ChannelKind::Woocommerce => &[
                    ("consumer_key", &c.consumer_key),
                    ("consumer_secret", &c.consumer_secret),
                    ("webhook_secret", &c.webhook_secret),
                ],
                ChannelKind::Amazon => &[
                    ("client_id", &c.client_id),
                    ("client_secret", &c.client_secret),
                    ("refresh_token", &c.refresh_token),
                    ("marketplace_id", &c.marketplace_id),
                    ("seller_id", &c.seller_id),
                ],
                ChannelKind::Ebay => &[
                    ("client_id", &c.client_id),
                    ("client_secret", &c.client_secret),
                    ("refresh_token", &c.refresh_token),
                ],
                ChannelKind::Walmart => &[
                    ("client_id", &c.client_id),
                    ("client_secret", &c.client_secret),
                ],
                ChannelKind::Etsy => &[
                    ("client_id", &c.client_id),
                    ("refresh_token", &c.refresh_token),
                    ("shop_id", &c.shop_id),
                ],
                ChannelKind::Bigcommerce => &[
                    ("store_hash", &c.store_hash),
                    ("access_token", &c.access_token),
                    ("webhook_secret", &c.webhook_secret),
                ],
            };
            for (field, value) in required {
                if value.as_deref().is_none_or(str::is_empty) {
                    issue(
                        format!("channels[{i}].{field}"),
                        format!("required for kind {}", c.kind),
                    );
                }
            }
            if let Some(rl) = &c.rate_limit
                && !(rl.per_second.is_finite() && rl.per_second > 0.0 && rl.burst > 0)
            {
                issue(
                    format!("channels[{i}].rate_limit"),
                    "per_second and burst must be positive".into(),
                );
            }
            for (name, message) in crate::carriers::override_issues(c.kind, &c.carriers) {
                let path = if name.is_empty() {
                    format!("channels[{i}].carriers")
                } else {
                    format!("channels[{i}].carriers.{name}")
                };
                issue(path, message);
            }
            if c.ship_node.as_deref().is_some_and(|n| n.trim().is_empty()) {
                issue(
                    format!("channels[{i}].ship_node"),
                    "must not be empty".into(),
                );
            }
            if c.ship_node.is_some() && c.kind != ChannelKind::Walmart {
                issue(
                    format!("channels[{i}].ship_node"),
                    "only a walmart channel has ship nodes".into(),
                );
            }
            if let Some(url) = &c.endpoint_url {
                if c.kind != ChannelKind::Ebay {
                    issue(
                        format!("channels[{i}].endpoint_url"),
                        "only an ebay channel answers endpoint challenges".into(),
                    );
                } else if !(url.starts_with("https://") || url.starts_with("http://")) {
                    issue(
                        format!("channels[{i}].endpoint_url"),
                        "must start with https:// (or http:// behind a proxy)".into(),
                    );
                }
            }
            if c.kind == ChannelKind::Ebay {
                for (i, message) in ebay_endpoint_issues(i, c) {
                    issue(i, message);
                }
            }
            for (field, message) in c.stock.issues() {
                issue(format!("channels[{i}].stock.{field}"), message);
            }
            for (j, loc) in c.locations.iter().flatten().enumerate() {
                if !self.locations.iter().any(|l| &l.id == loc) {
                    issue(
                        format!("channels[{i}].locations[{j}]"),
                        format!("unknown location `{loc}`"),
                    );
                }
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, l) in self.locations.iter().enumerate() {
            if !valid_id(&l.id) {
                issue(
                    format!("locations[{i}].id"),
                    format!("`{}` must be 1-64 of [A-Za-z0-9_-]", l.id),
                );
            }
            if !seen.insert(l.id.as_str()) {
                issue(
                    format!("locations[{i}].id"),
                    format!("duplicate location id `{}`", l.id),
                );
            }
            if let Some(adapter) = &l.adapter {
                let path = format!("locations[{i}]");
                for found in fulfillment::adapter_issues(&path, l.kind, adapter) {
                    issue(found.path, found.message);
                }
            }
        }
        let kit_skus: std::collections::BTreeSet<&str> =
            self.kits.iter().map(|k| k.sku.as_str()).collect();
        let mut seen = std::collections::BTreeSet::new();
        for (i, k) in self.kits.iter().enumerate() {
            if k.sku.is_empty() {
                issue(format!("kits[{i}].sku"), "must not be empty".into());
            }
            if !seen.insert(k.sku.as_str()) {
                issue(
                    format!("kits[{i}].sku"),
                    format!("duplicate kit `{}`", k.sku),
                );
            }
            if k.components.is_empty() {
                issue(
                    format!("kits[{i}].components"),
                    "a kit needs at least one component".into(),
                );
            }
            let mut parts = std::collections::BTreeSet::new();
            for (j, c) in k.components.iter().enumerate() {
                if c.quantity == 0 {
                    issue(
                        format!("kits[{i}].components[{j}].quantity"),
                        "must be at least 1".into(),
                    );
                }
                if kit_skus.contains(c.sku.as_str()) {
                    issue(
                        format!("kits[{i}].components[{j}].sku"),
                        format!(
                            "`{}` is itself a kit; kits of kits are not supported",
                            c.sku
                        ),
                    );
                }
                if !parts.insert(c.sku.as_str()) {
                    issue(
                        format!("kits[{i}].components[{j}].sku"),
                        format!("`{}` is listed twice; give one quantity", c.sku),
                    );
                }
            }
        }
        for (field, message) in self.intake.issues() {
            issues.push(ConfigIssue {
                path: format!("intake.{field}"),
                message,
            });
        }
        issues.extend(routing::issues(self));
        issues.extend(webhooks::issues(&self.webhooks));
        issues
    }

    /// Kits as (kit SKU, component SKU, units per kit), the shape the store keeps.
    pub fn kit_components(&self) -> Vec<(String, String, i64)> {
        self.kits
            .iter()
            .flat_map(|k| {
                k.components
                    .iter()
                    .map(|c| (k.sku.clone(), c.sku.clone(), i64::from(c.quantity)))
            })
            .collect()
    }

    /// Locations whose stock the channel may sell.
    pub fn channel_locations(&self, channel: &ChannelConfig) -> Vec<String> {
        match &channel.locations {
            Some(ids) => ids.clone(),
            None => self.locations.iter().map(|l| l.id.clone()).collect(),
        }
    }

    /// Where paid orders are packed until routing rules exist: the first own warehouse.
    pub fn own_warehouse(&self) -> Option<&LocationConfig> {
        self.locations
            .iter()
            .find(|l| l.kind == LocationKind::SelfWarehouse)
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}
