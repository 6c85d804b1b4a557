//! The demo's own record of what it did, from which it derives what every channel should show.
//! An order is split into parts by where the rules send its lines; each part ships (or not) on
//! its own, with its own tracking number.

use std::collections::BTreeMap;

use switchyard_core::stock::available_to_sell;

/// The lines of one order that go to one location.
#[derive(Debug, Clone)]
pub struct Part {
    pub location: String,
    pub lines: Vec<(String, u32)>,
    /// Set when the part left its location (by `switchyard ship` or the partner's wave).
    pub tracking: Option<String>,
}

impl Part {
    pub fn units(&self) -> u64 {
        self.lines.iter().map(|(_, q)| u64::from(*q)).sum()
    }
}

#[derive(Debug, Clone)]
pub struct PlacedOrder {
    pub channel: String,
    pub external_id: String,
    pub parts: Vec<Part>,
    pub paid: bool,
    pub cancelled: bool,
    pub webhook_lost: bool,
    pub webhook_duplicated: bool,
}

impl PlacedOrder {
    /// Parts in the order the lines were placed, grouped by `location_for`.
    pub fn split(
        lines: &[(String, u32)],
        location_for: impl Fn(&str) -> &'static str,
    ) -> Vec<Part> {
        let mut parts: Vec<Part> = Vec::new();
        for (sku, q) in lines {
            let location = location_for(sku);
            match parts.iter_mut().find(|p| p.location == location) {
                Some(p) => p.lines.push((sku.clone(), *q)),
                None => parts.push(Part {
                    location: location.to_string(),
                    lines: vec![(sku.clone(), *q)],
                    tracking: None,
                }),
            }
        }
        parts
    }

    pub fn part_at(&self, location: &str) -> Option<&Part> {
        self.parts.iter().find(|p| p.location == location)
    }

    /// Every tracking number the channel should show for this order, in part order.
    pub fn trackings(&self) -> Vec<&str> {
        self.parts
            .iter()
            .filter_map(|p| p.tracking.as_deref())
            .collect()
    }
}

#[derive(Debug, Default)]
pub struct Ledger {
    /// SKU → location → units there at the start.
    pub on_hand: BTreeMap<String, BTreeMap<String, i64>>,
    pub orders: Vec<PlacedOrder>,
    /// Orders whose unstocked line the daemon cancels on the channel as the seller:
    /// (channel, external id, whether the whole order goes).
    pub seller_cancelled: Vec<(String, String, bool)>,
}

impl Ledger {
    pub fn stock(&mut self, sku: &str, location: &str, units: i64) {
        self.on_hand
            .entry(sku.to_string())
            .or_default()
            .insert(location.to_string(), units);
    }

    /// Units per SKU of the parts `keep` selects.
    fn units(&self, keep: impl Fn(&PlacedOrder, &Part) -> bool) -> BTreeMap<String, i64> {
        let mut out = BTreeMap::new();
        for o in &self.orders {
            for p in o.parts.iter().filter(|p| keep(o, p)) {
                for (sku, q) in &p.lines {
                    *out.entry(sku.clone()).or_default() += i64::from(*q);
                }
            }
        }
        out
    }

    /// Units still held by open orders, per SKU.
    pub fn reserved(&self) -> BTreeMap<String, i64> {
        self.units(|o, p| !o.cancelled && p.tracking.is_none())
    }

    /// Units that left any location, per SKU.
    pub fn shipped(&self) -> BTreeMap<String, i64> {
        self.units(|_, p| p.tracking.is_some())
    }

    /// What a channel with this buffer should list for each SKU: on-hand summed over every
    /// location (each channel sells from all of them), less what shipped and what is held.
    pub fn expected_levels(&self, buffer: u32) -> BTreeMap<String, i64> {
        let reserved = self.reserved();
        let shipped = self.shipped();
        self.on_hand
            .iter()
            .map(|(sku, at)| {
                let left = at.values().sum::<i64>() - shipped.get(sku).copied().unwrap_or(0);
                let held = reserved.get(sku).copied().unwrap_or(0);
                (sku.clone(), available_to_sell(left, held, buffer))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(parts: Vec<Part>, cancelled: bool) -> PlacedOrder {
        PlacedOrder {
            channel: "c".into(),
            external_id: "1".into(),
            parts,
            paid: true,
            cancelled,
            webhook_lost: false,
            webhook_duplicated: false,
        }
    }

    fn part(location: &str, sku: &str, q: u32, tracking: Option<&str>) -> Part {
        Part {
            location: location.into(),
            lines: vec![(sku.into(), q)],
            tracking: tracking.map(Into::into),
        }
    }

    #[test]
    fn levels_follow_sales_cancellations_and_shipments() {
        let mut l = Ledger::default();
        l.stock("A", "main", 10);
        l.orders
            .push(order(vec![part("main", "A", 2, None)], false));
        l.orders.push(order(vec![part("main", "A", 2, None)], true));
        l.orders
            .push(order(vec![part("main", "A", 2, Some("T"))], false));
        // 10 on hand − 2 shipped − 2 reserved − 1 buffer.
        assert_eq!(l.expected_levels(1)["A"], 5);
    }

    #[test]
    fn stock_is_summed_over_locations_and_parts_ship_on_their_own() {
        let mut l = Ledger::default();
        l.stock("T", "main", 4);
        l.stock("T", "bob", 30);
        l.stock("D", "bolt", 25);
        l.orders.push(order(
            vec![
                part("bob", "T", 3, Some("9400")),
                part("bolt", "D", 2, None),
            ],
            false,
        ));
        let levels = l.expected_levels(0);
        assert_eq!(levels["T"], 31);
        assert_eq!(levels["D"], 23);
        assert_eq!(l.orders[0].trackings(), vec!["9400"]);
    }

    #[test]
    fn lines_are_grouped_by_where_they_go() {
        let lines = vec![("T1".to_string(), 1), ("D1".into(), 2), ("T2".into(), 3)];
        let parts = PlacedOrder::split(&lines, |s| if s.starts_with('T') { "bob" } else { "bolt" });
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].location, "bob");
        assert_eq!(parts[0].units(), 4);
        assert_eq!(parts[1].lines, vec![("D1".to_string(), 2)]);
    }
}
