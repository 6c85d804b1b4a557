//! Orders for the rules' tests.

use chrono::DateTime;
use rust_decimal::Decimal;

use crate::model::{ChannelKind, Order, OrderLine, OrderStatus, PaymentStatus};

/// A paid, open Shopify order `#1001` with these (line id, SKU, quantity) lines.
pub fn order(lines: &[(&str, Option<&str>, u32)]) -> Order {
    let t = DateTime::parse_from_rfc3339("2026-03-01T10:00:00Z").unwrap();
    Order {
        channel_kind: ChannelKind::Shopify,
        external_id: "1001".into(),
        number: "#1001".into(),
        placed_at: t,
        updated_at: t,
        status: OrderStatus::Open,
        payment_status: PaymentStatus::Paid,
        currency: "USD".into(),
        total: Decimal::TEN,
        lines: lines
            .iter()
            .map(|(id, sku, q)| OrderLine {
                line_id: (*id).into(),
                sku: sku.map(str::to_string),
                quantity: *q,
                unit_price: Decimal::ONE,
                title: "item".into(),
                channel_sku: None,
            })
            .collect(),
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
