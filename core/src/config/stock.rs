//! What each channel may list: buffers, shares, caps and thresholds, per channel and per SKU
//! glob; and kits, SKUs sold as one unit made of components.

use serde::{Deserialize, Serialize};

use crate::stock::LevelRules;

/// A channel's stock rules. Every field is optional in YAML; `overrides` are tried in order and
/// the first whose `sku` glob matches replaces the fields it sets.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StockRules {
    /// Units held back from this channel to absorb sales the hub has not heard of yet.
    #[serde(default)]
    pub buffer: u32,
    /// Percent of what is available that this channel may list (rounded down); 100 when absent.
    #[serde(default)]
    pub share: Option<u32>,
    /// Never list more than this.
    #[serde(default)]
    pub max: Option<u32>,
    /// List 0 when fewer than this many units would be listed (avoids selling the last few
    /// units on a slow-to-update channel).
    #[serde(default)]
    pub list_zero_below: Option<u32>,
    #[serde(default)]
    pub overrides: Vec<SkuStockRules>,
}

/// Rules for the SKUs matching a glob (`*`, `?`, `[abc]`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SkuStockRules {
    pub sku: String,
    #[serde(default)]
    pub buffer: Option<u32>,
    #[serde(default)]
    pub share: Option<u32>,
    #[serde(default)]
    pub max: Option<u32>,
    #[serde(default)]
    pub list_zero_below: Option<u32>,
}

impl StockRules {
    /// The rules that apply to one SKU on this channel. A glob that does not parse never matches
    /// (`Config::validate` reports it).
    pub fn for_sku(&self, sku: &str) -> LevelRules {
        let mut rules = LevelRules {
            buffer: self.buffer,
            share_percent: self.share.unwrap_or(100),
            max: self.max,
            list_zero_below: self.list_zero_below,
        };
        if let Some(o) = self.overrides.iter().find(|o| glob_matches(&o.sku, sku)) {
            if let Some(b) = o.buffer {
                rules.buffer = b;
            }
            if let Some(s) = o.share {
                rules.share_percent = s;
            }
            if o.max.is_some() {
                rules.max = o.max;
            }
            if o.list_zero_below.is_some() {
                rules.list_zero_below = o.list_zero_below;
            }
        }
        rules
    }

    /// Problems with these rules, as (field path below `stock`, message).
    pub fn issues(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some(s) = self.share
            && s > 100
        {
            out.push(("share".into(), format!("{s} is above 100 percent")));
        }
        for (i, o) in self.overrides.iter().enumerate() {
            if let Err(e) = glob::Pattern::new(&o.sku) {
                out.push((format!("overrides[{i}].sku"), format!("bad glob: {e}")));
            }
            if let Some(s) = o.share
                && s > 100
            {
                out.push((
                    format!("overrides[{i}].share"),
                    format!("{s} is above 100 percent"),
                ));
            }
        }
        out
    }
}

pub(crate) fn glob_matches(pattern: &str, sku: &str) -> bool {
    glob::Pattern::new(pattern).is_ok_and(|p| p.matches(sku))
}

/// A SKU sold as one unit that ships as its components.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KitConfig {
    pub sku: String,
    pub components: Vec<KitComponent>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KitComponent {
    pub sku: String,
    pub quantity: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_matching_override_wins_field_by_field() {
        let rules = StockRules {
            buffer: 2,
            share: Some(50),
            max: None,
            list_zero_below: None,
            overrides: vec![
                SkuStockRules {
                    sku: "MUG-*".into(),
                    max: Some(10),
                    ..Default::default()
                },
                SkuStockRules {
                    sku: "MUG-BLUE".into(),
                    buffer: Some(9),
                    ..Default::default()
                },
            ],
        };
        let mug = rules.for_sku("MUG-BLUE");
        assert_eq!((mug.buffer, mug.share_percent, mug.max), (2, 50, Some(10)));
        let other = rules.for_sku("TEE");
        assert_eq!((other.buffer, other.max), (2, None));
    }

    #[test]
    fn reports_bad_globs_and_shares() {
        let rules = StockRules {
            share: Some(120),
            overrides: vec![SkuStockRules {
                sku: "[".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let fields: Vec<String> = rules.issues().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["share", "overrides[0].sku"]);
    }
}
