//! Routing rules as the merchant writes them, and the checks that point at the line of a
//! mistake (unknown location, bad glob, empty list) before the daemon ever routes an order.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{ChannelConfig, Config, ConfigIssue, LocationConfig, LocationKind};
use crate::model::{PaymentStatus, RiskLevel};
use crate::routing::centroids;

/// The `routing:` section. Without rules, paid orders go to the first own warehouse (else
/// they are held), as before rules existed.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoutingConfig {
    /// Named groups of SKU globs, so rules can say `sku_tag: [fragile]`.
    #[serde(default)]
    pub sku_tags: BTreeMap<String, Vec<String>>,
    /// Evaluated top to bottom; each takes the lines it matches and can place.
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// Where lines no rule placed go. Absent: `hold` when rules exist, else the legacy default.
    #[serde(default)]
    pub fallback: Option<Fallback>,
    /// A line whose SKU no location stocks (no stock record at any level), no kit and no
    /// supplier catalog has: `hold` (the default) holds it for a person as "unknown SKU"
    /// before any rule sees it; `route` lets the rules and the fallback place it like any
    /// other (for shops that keep no counts in Switchyard).
    #[serde(default)]
    pub unknown_sku: UnknownSku,
}

#[derive(
    Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum UnknownSku {
    #[default]
    Hold,
    Route,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Shown in explanations and `route --what-if`; `rules[N]` when absent.
    #[serde(default)]
    pub name: Option<String>,
    /// Every condition given must hold; none given matches every order.
    #[serde(default)]
    pub when: Conditions,
    pub action: Action,
    #[serde(default)]
    pub split: SplitMode,
}

/// Conditions on the order (channel, destination, money, tags, payment) and on its lines
/// (`sku`, `sku_tag`: the rule takes only the lines that match).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Conditions {
    /// Channel ids (`channels[].id`).
    #[serde(default)]
    pub channel: Option<Vec<String>>,
    /// SKU globs (`*`, `?`, `[…]`).
    #[serde(default)]
    pub sku: Option<Vec<String>>,
    /// Names from `routing.sku_tags`.
    #[serde(default)]
    pub sku_tag: Option<Vec<String>>,
    /// Ship-to ISO 3166-1 alpha-2 codes.
    #[serde(default)]
    pub country: Option<Vec<String>>,
    /// Ship-to ISO 3166-2 codes such as `US-CA` or `CA-ON`.
    #[serde(default)]
    pub region: Option<Vec<String>>,
    /// Ship-to postal code prefixes (spaces and case ignored).
    #[serde(default)]
    pub postal_prefix: Option<Vec<String>>,
    #[serde(default)]
    pub total: Option<TotalRange>,
    /// Any of these order tags.
    #[serde(default)]
    pub order_tags: Option<Vec<String>>,
    /// Any of these customer tags.
    #[serde(default)]
    pub customer_tags: Option<Vec<String>>,
    #[serde(default)]
    pub payment_status: Option<Vec<PaymentStatus>>,
    /// At most this many seconds left before the order's ship-by (or past it) when it is
    /// routed; an order without a ship-by does not match.
    #[serde(default)]
    pub ship_by_within_secs: Option<u64>,
    /// Any of these channel risk levels (`none`, `low`, `pending`, `medium`, `high`; Shopify's
    /// order risk); an order whose channel gives none does not match.
    #[serde(default)]
    pub risk_level: Option<Vec<RiskLevel>>,
}

/// Order total bounds, both inclusive; `currency` also requires the order's currency, since
/// totals in different currencies do not compare.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TotalRange {
    #[serde(default)]
    pub min: Option<Decimal>,
    #[serde(default)]
    pub max: Option<Decimal>,
    #[serde(default)]
    pub currency: Option<String>,
}

/// Where the lines a rule takes go.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// This location, whatever its stock (a dropship supplier still only takes its catalog).
    Location(String),
    /// The first location in the list with stock for the lines.
    FirstInStock(Vec<String>),
    /// The location closest to the ship-to address among those with stock.
    NearestInStock(Vec<String>),
    /// Held for a person (`switchyard orders held`).
    Hold,
}

/// Whether the lines one rule takes may go to different locations.
#[derive(
    Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SplitMode {
    /// All of them to one location that can serve every one, else the rule does not apply.
    #[default]
    Never,
    /// Line by line, each to the first (or nearest) candidate that can serve it.
    Allowed,
}

/// The last word for lines no rule placed.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Fallback {
    Hold,
    Location(String),
}

impl std::fmt::Display for Fallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fallback::Hold => f.write_str("hold"),
            Fallback::Location(id) => write!(f, "location {id}"),
        }
    }
}

/// A location's place on the map, for `nearest_in_stock`.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Coordinates {
    pub lat: f64,
    pub lon: f64,
}

impl Rule {
    /// How explanations name the rule: its name, else its place in the list.
    pub fn label(&self, index: usize) -> String {
        match &self.name {
            Some(name) => name.clone(),
            None => format!("rules[{index}]"),
        }
    }
}

/// Every routing problem in `config`, each with its dotted path.
pub(crate) fn issues(config: &Config) -> Vec<ConfigIssue> {
    let mut out = location_issues(&config.locations);
    out.extend(config.routing.issues(&config.channels, &config.locations));
    out
}

/// Checks the routing fields of each location: position and dropship catalog.
fn location_issues(locations: &[LocationConfig]) -> Vec<ConfigIssue> {
    let mut out = Vec::new();
    let mut issue = |path: String, message: String| out.push(ConfigIssue { path, message });
    for (i, l) in locations.iter().enumerate() {
        if let Some(c) = &l.coordinates {
            if !(c.lat.is_finite() && (-90.0..=90.0).contains(&c.lat)) {
                issue(
                    format!("locations[{i}].coordinates.lat"),
                    format!("{} is not a latitude (-90 to 90)", c.lat),
                );
            }
            if !(c.lon.is_finite() && (-180.0..=180.0).contains(&c.lon)) {
                issue(
                    format!("locations[{i}].coordinates.lon"),
                    format!("{} is not a longitude (-180 to 180)", c.lon),
                );
            }
        }
        if let Some(country) = &l.country
            && !is_country_code(country)
        {
            issue(
                format!("locations[{i}].country"),
                format!("`{country}` is not an ISO 3166-1 alpha-2 code such as US or DE"),
            );
        }
        if let Some(region) = &l.region {
            if l.country.is_none() {
                issue(
                    format!("locations[{i}].region"),
                    "a region needs the location's `country` too".into(),
                );
            } else if region.trim().is_empty() {
                issue(format!("locations[{i}].region"), "must not be empty".into());
            }
        }
        if !l.catalog.is_empty() && l.kind != LocationKind::Dropship {
            issue(
                format!("locations[{i}].catalog"),
                format!(
                    "only dropship locations have a catalog (this one is `{}`)",
                    l.kind.as_str()
                ),
            );
        }
        for (j, g) in l.catalog.iter().enumerate() {
            if let Err(why) = check_glob(g) {
                issue(format!("locations[{i}].catalog[{j}]"), why);
            }
        }
    }
    out
}

impl RoutingConfig {
    /// Problems in the section, checked against the channels and locations it refers to.
    /// Paths start with `routing.`.
    pub fn issues(
        &self,
        channels: &[ChannelConfig],
        locations: &[LocationConfig],
    ) -> Vec<ConfigIssue> {
        let mut out = Vec::new();
        let mut issue = |path: String, message: String| out.push(ConfigIssue { path, message });
        for (tag, globs) in &self.sku_tags {
            let path = format!("routing.sku_tags.{tag}");
            if !is_name(tag) {
                issue(
                    path.clone(),
                    format!("tag `{tag}` must be 1-64 of [A-Za-z0-9_-]"),
                );
            }
            if globs.is_empty() {
                issue(path.clone(), "must list at least one SKU glob".into());
            }
            for (j, g) in globs.iter().enumerate() {
                if let Err(why) = check_glob(g) {
                    issue(format!("{path}[{j}]"), why);
                }
            }
        }
        let known_location = |id: &str| locations.iter().find(|l| l.id == id);
        let mut names = BTreeMap::new();
        for (i, rule) in self.rules.iter().enumerate() {
            let at = format!("routing.rules[{i}]");
            if let Some(name) = &rule.name {
                if name.trim().is_empty() {
                    issue(format!("{at}.name"), "must not be empty".into());
                } else if let Some(first) = names.insert(name.as_str(), i) {
                    issue(
                        format!("{at}.name"),
                        format!("duplicate rule name `{name}` (also rules[{first}])"),
                    );
                }
            }
            for (path, message) in rule.when.issues(channels, &self.sku_tags) {
                issue(format!("{at}.when.{path}"), message);
            }
            let (variant, list) = match &rule.action {
                Action::Location(id) => {
                    if known_location(id).is_none() {
                        issue(
                            format!("{at}.action.location"),
                            format!("unknown location `{id}`"),
                        );
                    }
                    continue;
                }
                Action::Hold => continue,
                Action::FirstInStock(list) => ("first_in_stock", list),
                Action::NearestInStock(list) => ("nearest_in_stock", list),
            };
            if list.is_empty() {
                issue(
                    format!("{at}.action.{variant}"),
                    "must list at least one location".into(),
                );
            }
            let mut seen = BTreeSet::new();
            for (j, id) in list.iter().enumerate() {
                let path = format!("{at}.action.{variant}[{j}]");
                let Some(loc) = known_location(id) else {
                    issue(path, format!("unknown location `{id}`"));
                    continue;
                };
                if !seen.insert(id.as_str()) {
                    issue(path, format!("location `{id}` is listed twice"));
                    continue;
                }
                if variant == "nearest_in_stock" && position_of(loc).is_none() {
                    issue(
                        path,
                        format!(
                            "location `{id}` has no position: give it `coordinates` or a \
                             `country` (and `region`) from the built-in table"
                        ),
                    );
                }
            }
        }
        if let Some(Fallback::Location(id)) = &self.fallback
            && known_location(id).is_none()
        {
            issue(
                "routing.fallback.location".into(),
                format!("unknown location `{id}`"),
            );
        }
        out
    }
}

impl Conditions {
    /// (path below `when`, message) for each problem.
    fn issues(
        &self,
        channels: &[ChannelConfig],
        sku_tags: &BTreeMap<String, Vec<String>>,
    ) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut list = |name: &str,
                        values: &Option<Vec<String>>,
                        check: &dyn Fn(&str) -> Result<(), String>| {
            let Some(values) = values else { return };
            if values.is_empty() {
                out.push((
                    name.to_string(),
                    "must not be an empty list (leave the condition out instead)".into(),
                ));
            }
            for (j, v) in values.iter().enumerate() {
                if let Err(why) = check(v) {
                    out.push((format!("{name}[{j}]"), why));
                }
            }
        };
        list("channel", &self.channel, &|id| {
            if channels.iter().any(|c| c.id == id) {
                Ok(())
            } else {
                Err(format!("unknown channel `{id}`"))
            }
        });
        list("sku", &self.sku, &check_glob);
        list("sku_tag", &self.sku_tag, &|tag| {
            if sku_tags.contains_key(tag) {
                Ok(())
            } else {
                Err(format!(
                    "unknown SKU tag `{tag}` (define it under routing.sku_tags)"
                ))
            }
        });
        list("country", &self.country, &|c| {
            if is_country_code(c) {
                Ok(())
            } else {
                Err(format!(
                    "`{c}` is not an ISO 3166-1 alpha-2 code such as US or DE"
                ))
            }
        });
        list("region", &self.region, &|r| match r.split_once('-') {
            Some((c, sub)) if is_country_code(c) && is_subdivision(sub) => Ok(()),
            _ => Err(format!(
                "`{r}` is not an ISO 3166-2 code such as US-CA, CA-ON or AU-NSW"
            )),
        });
        list("postal_prefix", &self.postal_prefix, &non_blank);
        list("order_tags", &self.order_tags, &non_blank);
        list("customer_tags", &self.customer_tags, &non_blank);
        if let Some(levels) = &self.risk_level
            && levels.is_empty()
        {
            out.push((
                "risk_level".into(),
                "must not be an empty list (leave the condition out instead)".into(),
            ));
        }
        if let Some(statuses) = &self.payment_status
            && statuses.is_empty()
        {
            out.push((
                "payment_status".into(),
                "must not be an empty list (leave the condition out instead)".into(),
            ));
        }
        if let Some(t) = &self.total {
            match (t.min, t.max) {
                (None, None) => out.push(("total".into(), "give `min`, `max` or both".into())),
                (Some(min), Some(max)) if min > max => {
                    out.push(("total.max".into(), format!("{max} is below min {min}")))
                }
                _ => {}
            }
            if let Some(c) = &t.currency
                && !(c.len() == 3 && c.bytes().all(|b| b.is_ascii_alphabetic()))
            {
                out.push((
                    "total.currency".into(),
                    format!("`{c}` is not an ISO 4217 code such as USD"),
                ));
            }
        }
        out
    }
}

/// A location's position for distances: its coordinates, else the centroid of its region,
/// else of its country.
pub fn position_of(l: &LocationConfig) -> Option<Coordinates> {
    if let Some(c) = l.coordinates {
        return Some(c);
    }
    let country = l.country.as_deref()?;
    l.region
        .as_deref()
        .and_then(|r| centroids::region(country, r))
        .or_else(|| centroids::country(country))
}

fn check_glob(g: &str) -> Result<(), String> {
    if g.trim().is_empty() {
        return Err("must not be empty".into());
    }
    glob::Pattern::new(g)
        .map(|_| ())
        .map_err(|e| format!("`{g}` is not a valid glob: {}", e.msg))
}

fn non_blank(v: &str) -> Result<(), String> {
    if v.trim().is_empty() {
        Err("must not be empty".into())
    } else {
        Ok(())
    }
}

fn is_country_code(c: &str) -> bool {
    c.len() == 2 && c.bytes().all(|b| b.is_ascii_alphabetic())
}

fn is_subdivision(s: &str) -> bool {
    (1..=3).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}
