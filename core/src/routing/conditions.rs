//! A rule's conditions against one order: which order-level conditions fail (with the values
//! compared), and which lines the SKU conditions select.

use std::collections::BTreeMap;

use glob::Pattern;

use super::RoutingError;
use super::centroids;
use super::plan::ConditionMiss;
use crate::config::Conditions;
use crate::lifecycle;
use crate::model::Order;

/// Every order-level condition that does not hold; empty when the order matches.
pub(super) fn order_misses(
    c: &Conditions,
    order: &Order,
    channel_id: &str,
    now_ms: Option<i64>,
) -> Vec<ConditionMiss> {
    let mut misses = Vec::new();
    let mut miss = |condition: &str, wanted: &[String], found: String| {
        misses.push(ConditionMiss {
            condition: condition.into(),
            wanted: wanted.to_vec(),
            found,
        })
    };
    let ship = order.ship_to.as_ref();
    let country = ship
        .and_then(|a| a.country_code.as_deref())
        .map(|c| c.trim().to_ascii_uppercase());
    let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());

    if let Some(ids) = &c.channel
        && !ids.iter().any(|id| id == channel_id)
    {
        miss("channel", ids, channel_id.to_string());
    }
    if let Some(codes) = &c.country
        && !country
            .as_deref()
            .is_some_and(|k| codes.iter().any(|c| c.eq_ignore_ascii_case(k)))
    {
        miss("country", codes, shown(&country));
    }
    if let Some(regions) = &c.region {
        let found = match (&country, ship.and_then(|a| a.region.as_deref())) {
            (Some(k), Some(r)) => centroids::region_code(k, r).map(|code| format!("{k}-{code}")),
            _ => None,
        };
        let hit = found
            .as_deref()
            .is_some_and(|f| regions.iter().any(|r| r.eq_ignore_ascii_case(f)));
        if !hit {
            miss("region", regions, shown(&found));
        }
    }
    if let Some(prefixes) = &c.postal_prefix {
        let postal = ship
            .and_then(|a| a.postal_code.as_deref())
            .map(compact_postal);
        let hit = postal
            .as_deref()
            .is_some_and(|p| prefixes.iter().any(|x| p.starts_with(&compact_postal(x))));
        if !hit {
            miss(
                "postal_prefix",
                prefixes,
                shown(&ship.and_then(|a| a.postal_code.clone())),
            );
        }
    }
    if let Some(t) = &c.total {
        let mut wanted = Vec::new();
        if let Some(min) = t.min {
            wanted.push(format!(">= {min}"));
        }
        if let Some(max) = t.max {
            wanted.push(format!("<= {max}"));
        }
        if let Some(cur) = &t.currency {
            wanted.push(format!("in {}", cur.to_ascii_uppercase()));
        }
        let in_range =
            t.min.is_none_or(|m| order.total >= m) && t.max.is_none_or(|m| order.total <= m);
        let currency_ok = t
            .currency
            .as_deref()
            .is_none_or(|c| c.eq_ignore_ascii_case(&order.currency));
        if !(in_range && currency_ok) {
            miss(
                "total",
                &wanted,
                format!("{} {}", order.total, order.currency),
            );
        }
    }
    let tags_hit = |wanted: &[String], have: &[String]| {
        wanted
            .iter()
            .any(|w| have.iter().any(|h| h.trim().eq_ignore_ascii_case(w.trim())))
    };
    if let Some(tags) = &c.order_tags
        && !tags_hit(tags, &order.tags)
    {
        miss("order_tags", tags, list_or_none(&order.tags));
    }
    if let Some(tags) = &c.customer_tags
        && !tags_hit(tags, &order.customer_tags)
    {
        miss("customer_tags", tags, list_or_none(&order.customer_tags));
    }
    if let Some(statuses) = &c.payment_status
        && !statuses.contains(&order.payment_status)
    {
        let wanted: Vec<String> = statuses.iter().map(|s| s.as_str().to_string()).collect();
        miss(
            "payment_status",
            &wanted,
            order.payment_status.as_str().to_string(),
        );
    }
    if let Some(within) = c.ship_by_within_secs {
        let wanted = [format!("<= {within} s left before ship-by")];
        match (order.ship_by, now_ms) {
            (Some(ship_by), Some(now)) => {
                let left = lifecycle::secs_left(ship_by, now);
                if left > i64::try_from(within).unwrap_or(i64::MAX) {
                    miss(
                        "ship_by_within_secs",
                        &wanted,
                        format!("{left} s left (ship-by {})", ship_by.to_rfc3339()),
                    );
                }
            }
            (None, _) => miss("ship_by_within_secs", &wanted, "(no ship-by)".into()),
            (Some(_), None) => miss(
                "ship_by_within_secs",
                &wanted,
                "(no clock: the stock snapshot has no time)".into(),
            ),
        }
    }
    if let Some(levels) = &c.risk_level
        && !order.risk_level.is_some_and(|r| levels.contains(&r))
    {
        let wanted: Vec<String> = levels.iter().map(|l| l.as_str().to_string()).collect();
        miss(
            "risk_level",
            &wanted,
            order
                .risk_level
                .map_or_else(|| "(none)".to_string(), |r| r.as_str().to_string()),
        );
    }
    misses
}

fn compact_postal(p: &str) -> String {
    p.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

fn list_or_none(v: &[String]) -> String {
    if v.is_empty() {
        "(none)".into()
    } else {
        v.join(", ")
    }
}

/// A rule's `sku` and `sku_tag` conditions, compiled. Both given: a line must match both.
#[derive(Debug, Clone, Default)]
pub(super) struct SkuFilter {
    globs: Option<Vec<(String, Pattern)>>,
    tags: Option<Vec<(String, Vec<Pattern>)>>,
}

impl SkuFilter {
    pub(super) fn compile(
        c: &Conditions,
        sku_tags: &BTreeMap<String, Vec<String>>,
        at: &str,
    ) -> Result<Self, RoutingError> {
        let globs = match &c.sku {
            Some(list) => Some(
                list.iter()
                    .enumerate()
                    .map(|(j, g)| Ok((g.clone(), compile(g, &format!("{at}.when.sku[{j}]"))?)))
                    .collect::<Result<Vec<_>, RoutingError>>()?,
            ),
            None => None,
        };
        let tags = match &c.sku_tag {
            Some(list) => {
                let mut out = Vec::new();
                for (j, tag) in list.iter().enumerate() {
                    let Some(members) = sku_tags.get(tag) else {
                        return Err(RoutingError::UnknownSkuTag {
                            path: format!("{at}.when.sku_tag[{j}]"),
                            tag: tag.clone(),
                        });
                    };
                    let patterns = members
                        .iter()
                        .enumerate()
                        .map(|(k, g)| compile(g, &format!("routing.sku_tags.{tag}[{k}]")))
                        .collect::<Result<Vec<_>, _>>()?;
                    out.push((tag.clone(), patterns));
                }
                Some(out)
            }
            None => None,
        };
        Ok(Self { globs, tags })
    }

    /// The rule selects lines by SKU at all.
    pub(super) fn is_active(&self) -> bool {
        self.globs.is_some() || self.tags.is_some()
    }

    /// A line without a SKU is never selected by a SKU condition.
    pub(super) fn selects(&self, sku: Option<&str>) -> bool {
        if !self.is_active() {
            return true;
        }
        let Some(sku) = sku else { return false };
        let by_glob = self
            .globs
            .as_ref()
            .is_none_or(|gs| gs.iter().any(|(_, p)| p.matches(sku)));
        let by_tag = self
            .tags
            .as_ref()
            .is_none_or(|ts| ts.iter().any(|(_, ps)| ps.iter().any(|p| p.matches(sku))));
        by_glob && by_tag
    }

    /// What the filter asks for, for explanations.
    pub(super) fn wanted(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        if let Some(gs) = &self.globs {
            out.extend(gs.iter().map(|(g, _)| g.clone()));
        }
        if let Some(ts) = &self.tags {
            out.extend(ts.iter().map(|(t, _)| format!("tag {t}")));
        }
        out
    }
}

pub(super) fn compile(glob: &str, path: &str) -> Result<Pattern, RoutingError> {
    Pattern::new(glob).map_err(|e| RoutingError::BadGlob {
        path: path.to_string(),
        glob: glob.to_string(),
        reason: e.msg.to_string(),
    })
}
