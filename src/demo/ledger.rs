//! The demo's own record of what it did, from which it derives what every channel should show.

use std::collections::BTreeMap;

use switchyard_core::stock::available_to_sell;

#[derive(Debug, Clone)]
pub struct PlacedOrder {
    pub channel: String,
    pub external_id: String,
    pub lines: Vec<(String, u32)>,
    pub paid: bool,
    pub cancelled: bool,
    pub tracking: Option<String>,
    pub webhook_lost: bool,
    pub webhook_duplicated: bool,
}

#[derive(Debug, Default)]
pub struct Ledger {
    pub on_hand: BTreeMap<String, i64>,
    pub orders: Vec<PlacedOrder>,
}

impl Ledger {
    /// Units still held by open orders, per SKU.
    pub fn reserved(&self) -> BTreeMap<String, i64> {
        let mut out = BTreeMap::new();
        for o in self
            .orders
            .iter()
            .filter(|o| !o.cancelled && o.tracking.is_none())
        {
            for (sku, q) in &o.lines {
                *out.entry(sku.clone()).or_default() += i64::from(*q);
            }
        }
        out
    }

    /// Units that left the warehouse, per SKU.
    pub fn shipped(&self) -> BTreeMap<String, i64> {
        let mut out = BTreeMap::new();
        for o in self.orders.iter().filter(|o| o.tracking.is_some()) {
            for (sku, q) in &o.lines {
                *out.entry(sku.clone()).or_default() += i64::from(*q);
            }
        }
        out
    }

    /// What a channel with this buffer should list for each SKU.
    pub fn expected_levels(&self, buffer: u32) -> BTreeMap<String, i64> {
        let reserved = self.reserved();
        let shipped = self.shipped();
        self.on_hand
            .iter()
            .map(|(sku, on_hand)| {
                let left = on_hand - shipped.get(sku).copied().unwrap_or(0);
                let held = reserved.get(sku).copied().unwrap_or(0);
                (sku.clone(), available_to_sell(left, held, buffer))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_sales_cancellations_and_shipments() {
        let mut l = Ledger::default();
        l.on_hand.insert("A".into(), 10);
        let order = |cancelled, tracking: Option<&str>| PlacedOrder {
            channel: "c".into(),
            external_id: "1".into(),
            lines: vec![("A".into(), 2)],
            paid: true,
            cancelled,
            tracking: tracking.map(Into::into),
            webhook_lost: false,
            webhook_duplicated: false,
        };
        l.orders.push(order(false, None));
        l.orders.push(order(true, None));
        l.orders.push(order(false, Some("T")));
        // 10 on hand − 2 shipped − 2 reserved − 1 buffer.
        assert_eq!(l.expected_levels(1)["A"], 5);
    }
}
