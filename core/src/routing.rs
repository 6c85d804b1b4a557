//! Where an order goes. Until routing rules exist, every paid order goes to the merchant's own
//! warehouse; the decision still records why, so `orders show` can explain it.

use serde::{Deserialize, Serialize};

use crate::model::Order;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteDecision {
    /// `None` means held for a person.
    pub location_id: Option<String>,
    pub rule: String,
    pub explanation: String,
}

/// Routes a routable order to the own warehouse, or holds it when there is none.
pub fn route(order: &Order, own_warehouse: Option<&str>) -> RouteDecision {
    match own_warehouse {
        Some(loc) => RouteDecision {
            location_id: Some(loc.to_string()),
            rule: "default:own_warehouse".into(),
            explanation: format!(
                "no routing rules configured; {} line(s) of a {} order go to own warehouse `{loc}`",
                order.lines.len(),
                order.payment_status.as_str()
            ),
        },
        None => RouteDecision {
            location_id: None,
            rule: "default:hold".into(),
            explanation: "no own warehouse configured; held for a person".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;

    fn order() -> Order {
        let t = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap();
        Order {
            channel_kind: ChannelKind::Shopify,
            external_id: "1".into(),
            number: "#1".into(),
            placed_at: t,
            updated_at: t,
            status: OrderStatus::Open,
            payment_status: PaymentStatus::Paid,
            currency: "USD".into(),
            total: rust_decimal::Decimal::ONE,
            lines: vec![],
            ship_to: None,
            customer_email: None,
            fulfilled_by_channel: false,
        }
    }

    #[test]
    fn routes_to_own_warehouse_and_explains() {
        let d = route(&order(), Some("wh"));
        assert_eq!(d.location_id.as_deref(), Some("wh"));
        assert!(d.explanation.contains("paid"));
    }

    #[test]
    fn holds_without_a_warehouse() {
        assert_eq!(route(&order(), None).location_id, None);
    }
}
