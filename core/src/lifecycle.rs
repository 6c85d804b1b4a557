//! A channel's order-lifecycle terms applied to a normalized order, pure: the merchant's SKU
//! for the channel's (`sku_aliases`), the ship-by time computed from `handling_time_secs`
//! where the channel gave none, and what "at risk of shipping late" means.
//!
//! The normalizer worker (and `switchyard normalize` with a configuration) applies
//! [`apply_channel_terms`] to each connector's canonical order before the intake rules.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, FixedOffset};

use crate::config::ChannelConfig;
use crate::model::Order;

/// The channel-specific terms the order passes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelTerms<'a> {
    pub handling_time_secs: Option<u64>,
    pub sku_aliases: &'a BTreeMap<String, String>,
}

impl<'a> From<&'a ChannelConfig> for ChannelTerms<'a> {
    fn from(c: &'a ChannelConfig) -> Self {
        Self {
            handling_time_secs: c.handling_time_secs,
            sku_aliases: &c.sku_aliases,
        }
    }
}

/// Aliased SKUs become the merchant's (the channel's is kept as `channel_sku`); an order the
/// channel gave no ship-by gets `placed_at + handling_time_secs`. An order the channel ships
/// itself (FBA) gets no computed ship-by: it is not ours to ship.
pub fn apply_channel_terms(mut order: Order, terms: ChannelTerms<'_>) -> Order {
    for line in &mut order.lines {
        let Some(sku) = line.sku.as_deref() else {
            continue;
        };
        if let Some(merchant) = terms.sku_aliases.get(sku) {
            line.channel_sku = line.sku.replace(merchant.clone());
        }
    }
    if order.ship_by.is_none()
        && !order.fulfilled_by_channel
        && let Some(secs) = terms.handling_time_secs
    {
        order.ship_by = computed_ship_by(order.placed_at, secs);
    }
    order
}

fn computed_ship_by(placed_at: DateTime<FixedOffset>, secs: u64) -> Option<DateTime<FixedOffset>> {
    let secs = i64::try_from(secs).ok()?;
    placed_at.checked_add_signed(Duration::try_seconds(secs)?)
}

/// Seconds left before `ship_by` at `now_ms` (negative once it has passed).
pub fn secs_left(ship_by: DateTime<FixedOffset>, now_ms: i64) -> i64 {
    (ship_by.timestamp_millis() - now_ms).div_euclid(1000)
}

/// An order not yet shipped is at risk when less than `margin_secs` is left before its
/// ship-by (or the time has passed).
pub fn at_risk(ship_by_ms: i64, now_ms: i64, margin_secs: u64) -> bool {
    let margin_ms = i64::try_from(margin_secs)
        .unwrap_or(i64::MAX)
        .saturating_mul(1000);
    ship_by_ms.saturating_sub(now_ms) < margin_ms
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ChannelKind, OrderLine, OrderStatus, PaymentStatus};
    use rust_decimal::Decimal;

    fn order(ship_by: Option<&str>) -> Order {
        let line = |id: &str, sku: Option<&str>| OrderLine {
            line_id: id.into(),
            sku: sku.map(Into::into),
            quantity: 1,
            unit_price: Decimal::ONE,
            title: "t".into(),
            channel_sku: None,
        };
        Order {
            channel_kind: ChannelKind::Shopify,
            external_id: "1".into(),
            number: "#1".into(),
            placed_at: DateTime::parse_from_rfc3339("2026-03-01T10:00:00+02:00").unwrap(),
            updated_at: DateTime::parse_from_rfc3339("2026-03-01T10:00:00+02:00").unwrap(),
            status: OrderStatus::Open,
            payment_status: PaymentStatus::Paid,
            currency: "USD".into(),
            total: Decimal::ONE,
            lines: vec![
                line("a", Some("CH-1")),
                line("b", Some("M-2")),
                line("c", None),
            ],
            ship_to: None,
            customer_email: None,
            fulfilled_by_channel: false,
            tags: Vec::new(),
            customer_tags: Vec::new(),
            ship_by: ship_by.map(|s| DateTime::parse_from_rfc3339(s).unwrap()),
            deliver_by: None,
            risk_level: None,
        }
    }

    fn terms(handling: Option<u64>) -> (Option<u64>, BTreeMap<String, String>) {
        (handling, [("CH-1".to_string(), "M-1".to_string())].into())
    }

    fn apply(o: Order, (handling, aliases): (Option<u64>, BTreeMap<String, String>)) -> Order {
        apply_channel_terms(
            o,
            ChannelTerms {
                handling_time_secs: handling,
                sku_aliases: &aliases,
            },
        )
    }

    #[test]
    fn aliases_replace_the_sku_and_keep_the_channels() {
        let o = apply(order(None), terms(None));
        assert_eq!(o.lines[0].sku.as_deref(), Some("M-1"));
        assert_eq!(o.lines[0].channel_sku.as_deref(), Some("CH-1"));
        assert_eq!(o.lines[1].sku.as_deref(), Some("M-2"));
        assert_eq!(o.lines[1].channel_sku, None);
        assert_eq!(o.lines[2].sku, None);
        assert_eq!(o.ship_by, None, "no handling time, no ship-by");
    }

    #[test]
    fn handling_time_fills_only_a_missing_ship_by() {
        let o = apply(order(None), terms(Some(86_400)));
        assert_eq!(
            o.ship_by,
            Some(DateTime::parse_from_rfc3339("2026-03-02T10:00:00+02:00").unwrap())
        );
        let given = "2026-03-01T20:00:00Z";
        let o = apply(order(Some(given)), terms(Some(86_400)));
        assert_eq!(
            o.ship_by,
            Some(DateTime::parse_from_rfc3339(given).unwrap())
        );
        let mut fba = order(None);
        fba.fulfilled_by_channel = true;
        assert_eq!(apply(fba, terms(Some(60))).ship_by, None);
        let huge = apply(order(None), terms(Some(u64::MAX)));
        assert_eq!(
            huge.ship_by, None,
            "an absurd handling time computes nothing"
        );
    }

    #[test]
    fn at_risk_below_the_margin_and_after_the_time() {
        let ship_by = 1_000_000_i64;
        assert!(!at_risk(ship_by, ship_by - 3_601_000, 3600));
        assert!(at_risk(ship_by, ship_by - 3_599_000, 3600));
        assert!(at_risk(ship_by, ship_by + 1, 0));
        assert!(!at_risk(ship_by, ship_by - 1, 0));
        assert!(at_risk(ship_by, 0, u64::MAX));
        let t = DateTime::parse_from_rfc3339("2026-03-01T10:00:00Z").unwrap();
        assert_eq!(secs_left(t, t.timestamp_millis() - 90_500), 90);
        assert_eq!(secs_left(t, t.timestamp_millis() + 500), -1);
    }
}
