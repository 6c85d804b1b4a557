//! What every normalized order must satisfy before it is taken in, whatever channel it came
//! from (the `intake:` section of the configuration). Pure: the normalizer worker applies
//! [`IntakeRules::admit`] to each connector's output, and an order that breaks a rule is
//! quarantined with the field and the reason like any payload that cannot be read.
//!
//! Refused, per line (`lines[i]` is the i-th line of the canonical order, the reason names the
//! channel's line id):
//! - a quantity of 0, or above `max_line_quantity` (default 10,000);
//! - a negative unit price;
//! - a SKU holding a control character (C0, DEL, C1), or longer than `max_sku_len` characters
//!   (default 255).

use serde::{Deserialize, Serialize};

use crate::model::Order;
use crate::ports::NormalizeError;

pub const DEFAULT_MAX_LINE_QUANTITY: u32 = 10_000;
pub const DEFAULT_MAX_SKU_LEN: usize = 255;
/// Bounds `switchyard check` accepts for the settings themselves.
pub const MAX_LINE_QUANTITY_LIMIT: u32 = 1_000_000_000;
pub const MAX_SKU_LEN_LIMIT: usize = 4_096;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IntakeRules {
    /// Most units one order line may ask for.
    #[serde(default = "default_max_line_quantity")]
    pub max_line_quantity: u32,
    /// Longest SKU taken in, in characters.
    #[serde(default = "default_max_sku_len")]
    pub max_sku_len: usize,
}

fn default_max_line_quantity() -> u32 {
    DEFAULT_MAX_LINE_QUANTITY
}

fn default_max_sku_len() -> usize {
    DEFAULT_MAX_SKU_LEN
}

impl Default for IntakeRules {
    fn default() -> Self {
        Self {
            max_line_quantity: DEFAULT_MAX_LINE_QUANTITY,
            max_sku_len: DEFAULT_MAX_SKU_LEN,
        }
    }
}

impl IntakeRules {
    /// Problems with the settings themselves, as (field, message), for `switchyard check`.
    pub fn issues(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if !(1..=MAX_LINE_QUANTITY_LIMIT).contains(&self.max_line_quantity) {
            out.push((
                "max_line_quantity",
                format!("must be between 1 and {MAX_LINE_QUANTITY_LIMIT}"),
            ));
        }
        if !(1..=MAX_SKU_LEN_LIMIT).contains(&self.max_sku_len) {
            out.push((
                "max_sku_len",
                format!("must be between 1 and {MAX_SKU_LEN_LIMIT}"),
            ));
        }
        out
    }

    /// The order unchanged when every line keeps the rules; else the first broken rule,
    /// naming the field (`lines[i].quantity`, `lines[i].unit_price`, `lines[i].sku`).
    pub fn admit(&self, order: Order) -> Result<Order, NormalizeError> {
        self.check(&order)?;
        Ok(order)
    }

    pub fn check(&self, order: &Order) -> Result<(), NormalizeError> {
        for (i, line) in order.lines.iter().enumerate() {
            let refuse = |field: &str, problem: String| {
                NormalizeError::new(
                    format!("lines[{i}].{field}"),
                    format!("line `{}`: {problem}", line.line_id),
                )
            };
            if line.quantity == 0 {
                return Err(refuse(
                    "quantity",
                    "0 units; a line must ask for at least 1".into(),
                ));
            }
            if line.quantity > self.max_line_quantity {
                return Err(refuse(
                    "quantity",
                    format!(
                        "{} units is above intake.max_line_quantity ({})",
                        line.quantity, self.max_line_quantity
                    ),
                ));
            }
            if line.unit_price.is_sign_negative() && !line.unit_price.is_zero() {
                return Err(refuse(
                    "unit_price",
                    format!("unit price {} is negative", line.unit_price),
                ));
            }
            if let Some(sku) = &line.sku {
                if let Some((at, c)) = sku.chars().enumerate().find(|(_, c)| c.is_control()) {
                    return Err(refuse(
                        "sku",
                        format!(
                            "SKU holds the control character U+{:04X} at character {}",
                            u32::from(c),
                            at + 1
                        ),
                    ));
                }
                let len = sku.chars().count();
                if len > self.max_sku_len {
                    return Err(refuse(
                        "sku",
                        format!(
                            "SKU is {len} characters, above intake.max_sku_len ({})",
                            self.max_sku_len
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ChannelKind, OrderLine, OrderStatus, PaymentStatus};
    use chrono::DateTime;
    use rust_decimal::Decimal;

    fn order(lines: Vec<OrderLine>) -> Order {
        let t = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap();
        Order {
            channel_kind: ChannelKind::Shopify,
            external_id: "1".into(),
            number: "#1".into(),
            placed_at: t,
            updated_at: t,
            status: OrderStatus::Open,
            payment_status: PaymentStatus::Paid,
            currency: "USD".into(),
            total: Decimal::ONE,
            lines,
            ship_to: None,
            customer_email: None,
            fulfilled_by_channel: false,
            tags: Vec::new(),
            customer_tags: Vec::new(),
            ship_by: None,
            deliver_by: None,
            risk_level: None,
        }
    }

    fn line(sku: Option<&str>, quantity: u32, price: Decimal) -> OrderLine {
        OrderLine {
            line_id: "L1".into(),
            sku: sku.map(Into::into),
            quantity,
            unit_price: price,
            title: "t".into(),
            channel_sku: None,
        }
    }

    fn refused(l: OrderLine) -> NormalizeError {
        let good = line(Some("OK"), 1, Decimal::ONE);
        IntakeRules::default()
            .admit(order(vec![good, l]))
            .unwrap_err()
    }

    #[test]
    fn ordinary_orders_pass_unchanged() {
        let o = order(vec![
            line(Some("A-1"), 1, Decimal::ZERO),
            line(None, 10_000, Decimal::new(-0, 2)),
            line(Some(&"é".repeat(255)), 3, Decimal::new(1999, 2)),
        ]);
        assert_eq!(IntakeRules::default().admit(o.clone()), Ok(o));
    }

    #[test]
    fn each_rule_names_the_field_and_the_line() {
        let e = refused(line(Some("A"), 0, Decimal::ONE));
        assert_eq!(e.field, "lines[1].quantity");
        assert!(e.problem.starts_with("line `L1`: 0 units"), "{e}");
        let e = refused(line(Some("A"), 1 << 31, Decimal::ONE));
        assert_eq!(e.field, "lines[1].quantity");
        assert!(e.problem.contains("2147483648"), "{e}");
        assert_eq!(
            refused(line(Some("A"), 10_001, Decimal::ONE)).field,
            "lines[1].quantity"
        );
        let e = refused(line(Some("A"), 1, Decimal::new(-1, 2)));
        assert_eq!(e.field, "lines[1].unit_price");
        assert!(e.problem.contains("-0.01"), "{e}");
        for bad in ["A\u{7}B", "A\nB", "\u{0}", "A\u{7f}", "A\u{85}"] {
            let e = refused(line(Some(bad), 1, Decimal::ONE));
            assert_eq!(e.field, "lines[1].sku", "{bad:?}");
            assert!(e.problem.contains("control character"), "{e}");
        }
        let e = refused(line(Some(&"X".repeat(10_000)), 1, Decimal::ONE));
        assert_eq!(e.field, "lines[1].sku");
        assert!(e.problem.contains("10000 characters"), "{e}");
    }

    #[test]
    fn limits_come_from_the_configuration() {
        let rules = IntakeRules {
            max_line_quantity: 5,
            max_sku_len: 3,
        };
        assert!(
            rules
                .check(&order(vec![line(Some("ABC"), 5, Decimal::ONE)]))
                .is_ok()
        );
        assert!(
            rules
                .check(&order(vec![line(Some("ABC"), 6, Decimal::ONE)]))
                .is_err()
        );
        assert!(
            rules
                .check(&order(vec![line(Some("ABCD"), 1, Decimal::ONE)]))
                .is_err()
        );
        assert!(IntakeRules::default().issues().is_empty());
        let bad = IntakeRules {
            max_line_quantity: 0,
            max_sku_len: 0,
        };
        let fields: Vec<_> = bad.issues().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["max_line_quantity", "max_sku_len"]);
    }
}
