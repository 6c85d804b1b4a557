//! The canonical order every connector normalizes to (see DESIGN.md, "Canonical order").
//!
//! Field names are part of the public contract: `switchyard normalize` prints these structs.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The closed set of sales channels Switchyard speaks to.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    PartialOrd,
    Ord,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    Shopify,
    Woocommerce,
    Amazon,
    Ebay,
    Walmart,
    Etsy,
    Bigcommerce,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 7] = [
        ChannelKind::Shopify,
        ChannelKind::Woocommerce,
        ChannelKind::Amazon,
        ChannelKind::Ebay,
        ChannelKind::Walmart,
        ChannelKind::Etsy,
        ChannelKind::Bigcommerce,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Shopify => "shopify",
            ChannelKind::Woocommerce => "woocommerce",
            ChannelKind::Amazon => "amazon",
            ChannelKind::Ebay => "ebay",
            ChannelKind::Walmart => "walmart",
            ChannelKind::Etsy => "etsy",
            ChannelKind::Bigcommerce => "bigcommerce",
        }
    }
}

impl fmt::Display for ChannelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ChannelKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ChannelKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown channel kind `{s}` (expected one of: {})",
                    ChannelKind::ALL.map(|k| k.as_str()).join(", ")
                )
            })
    }
}

/// Lifecycle of an order as the channel reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Open,
    Cancelled,
    Fulfilled,
    PartiallyFulfilled,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Open => "open",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Fulfilled => "fulfilled",
            OrderStatus::PartiallyFulfilled => "partially_fulfilled",
        }
    }
}

/// Money state of an order; only `Authorized` and `Paid` orders are routed and shipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    Pending,
    Authorized,
    Paid,
    PartiallyRefunded,
    Refunded,
    Voided,
}

impl PaymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Pending => "pending",
            PaymentStatus::Authorized => "authorized",
            PaymentStatus::Paid => "paid",
            PaymentStatus::PartiallyRefunded => "partially_refunded",
            PaymentStatus::Refunded => "refunded",
            PaymentStatus::Voided => "voided",
        }
    }

    /// Money is secured, so the goods may leave the building.
    pub fn allows_shipping(self) -> bool {
        matches!(
            self,
            PaymentStatus::Authorized | PaymentStatus::Paid | PaymentStatus::PartiallyRefunded
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    pub line_id: String,
    /// A line without a SKU (a custom item, a tip) is kept but reserves no stock.
    pub sku: Option<String>,
    pub quantity: u32,
    pub unit_price: Decimal,
    pub title: String,
    /// The channel's own SKU when a `sku_aliases` entry replaced it with the merchant's
    /// (`sku`): kept for write-backs and for a person reading the order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_sku: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Address {
    pub name: Option<String>,
    pub company: Option<String>,
    pub address1: Option<String>,
    pub address2: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country_code: Option<String>,
    pub phone: Option<String>,
}

/// The one order shape the core understands, whatever channel it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub channel_kind: ChannelKind,
    pub external_id: String,
    pub number: String,
    /// Kept with the channel's own UTC offset.
    pub placed_at: DateTime<FixedOffset>,
    /// The channel's last-modified time: orders only move forward, never back to an older copy.
    pub updated_at: DateTime<FixedOffset>,
    pub status: OrderStatus,
    pub payment_status: PaymentStatus,
    pub currency: String,
    pub total: Decimal,
    pub lines: Vec<OrderLine>,
    pub ship_to: Option<Address>,
    pub customer_email: Option<String>,
    /// The channel ships it from its own stock (Amazon FBA): ingested and shown, but it never
    /// reserves the merchant's stock and is never routed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fulfilled_by_channel: bool,
    /// The merchant's labels on the order (Shopify tags), for routing rules; empty where the
    /// channel has no such thing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The buyer's labels (Shopify customer tags), for routing rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub customer_tags: Vec<String>,
    /// The latest time the order may leave the building: the channel's own promise (Amazon
    /// `LatestShipDate`, Walmart `estimatedShipDate`, eBay `shipByDate`, Etsy
    /// `expected_ship_date`), else `placed_at` + the channel's `handling_time_secs`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_by: Option<DateTime<FixedOffset>>,
    /// The latest delivery the channel promised the buyer, where it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deliver_by: Option<DateTime<FixedOffset>>,
    /// The channel's fraud assessment (Shopify's order risk), for routing rules; `None`
    /// where the channel has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_level: Option<RiskLevel>,
}

/// A channel's fraud assessment of an order (Shopify `RiskAssessmentResult`), ordered from
/// the least to the most alarming so rules can say "medium or above".
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    PartialOrd,
    Ord,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    /// The assessment gives no recommendation.
    None,
    Low,
    /// Not assessed yet.
    Pending,
    Medium,
    High,
}

impl RiskLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            RiskLevel::None => "none",
            RiskLevel::Low => "low",
            RiskLevel::Pending => "pending",
            RiskLevel::Medium => "medium",
            RiskLevel::High => "high",
        }
    }
}

impl Order {
    /// An open order holds stock from the moment it is seen.
    pub fn reserves_stock(&self) -> bool {
        self.status == OrderStatus::Open && !self.fulfilled_by_channel
    }

    /// Routed (and so shipped) only when open and the money is secured.
    pub fn is_routable(&self) -> bool {
        self.reserves_stock() && self.payment_status.allows_shipping()
    }

    /// Units per SKU still to ship: [`Order::sku_quantities`] minus what `shipped` (the lines
    /// of parcels already sent, from any location) carried. SKUs fully shipped are left out.
    pub fn unshipped_quantities(&self, shipped: &[ShippedLine]) -> Vec<(String, i64)> {
        let mut out = self.sku_quantities();
        for s in shipped {
            let Some(sku) = self
                .lines
                .iter()
                .find(|l| l.line_id == s.line_id)
                .and_then(|l| l.sku.as_deref())
            else {
                continue;
            };
            if let Some((_, q)) = out.iter_mut().find(|(k, _)| k == sku) {
                *q -= i64::from(s.quantity);
            }
        }
        out.retain(|(_, q)| *q > 0);
        out
    }

    /// Units per SKU this order asks for (lines with the same SKU are summed).
    pub fn sku_quantities(&self) -> Vec<(String, i64)> {
        let mut out: Vec<(String, i64)> = Vec::new();
        for line in &self.lines {
            let Some(sku) = line.sku.as_deref() else {
                continue;
            };
            match out.iter_mut().find(|(s, _)| s == sku) {
                Some((_, q)) => *q += i64::from(line.quantity),
                None => out.push((sku.to_string(), i64::from(line.quantity))),
            }
        }
        out
    }
}

/// A shipment recorded by the merchant, to be written back to the channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shipment {
    pub order_external_id: String,
    pub carrier: String,
    pub tracking_number: String,
    pub shipped_at: DateTime<FixedOffset>,
    pub lines: Vec<ShippedLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippedLine {
    pub line_id: String,
    pub quantity: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_kind_round_trips_and_names_the_choices_on_error() {
        for kind in ChannelKind::ALL {
            assert_eq!(kind.as_str().parse::<ChannelKind>(), Ok(kind));
        }
        let err = "tiktok".parse::<ChannelKind>().unwrap_err();
        assert!(err.contains("shopify, woocommerce, amazon"), "{err}");
    }

    #[test]
    fn sku_quantities_sum_repeated_skus_and_skip_lines_without_sku() {
        let line = |id: &str, sku: Option<&str>, q| OrderLine {
            line_id: id.into(),
            sku: sku.map(Into::into),
            quantity: q,
            unit_price: Decimal::ONE,
            title: "t".into(),
            channel_sku: None,
        };
        let order = Order {
            channel_kind: ChannelKind::Shopify,
            external_id: "1".into(),
            number: "#1".into(),
            placed_at: DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap(),
            updated_at: DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap(),
            status: OrderStatus::Open,
            payment_status: PaymentStatus::Paid,
            currency: "USD".into(),
            total: Decimal::ONE,
            lines: vec![
                line("a", Some("A"), 2),
                line("b", None, 5),
                line("c", Some("A"), 1),
            ],
            ship_to: None,
            customer_email: None,
            fulfilled_by_channel: false,
            tags: Vec::new(),
            customer_tags: Vec::new(),
            ship_by: None,
            deliver_by: None,
            risk_level: None,
        };
        assert_eq!(order.sku_quantities(), vec![("A".to_string(), 3)]);
    }
}
