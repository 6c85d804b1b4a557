//! Kits (bundles): a kit SKU is sold as one unit and reserves, ships and returns as its
//! components; it has no stock of its own.

use std::collections::BTreeMap;

/// Replaces every kit SKU by its components (quantity × units per kit) and sums repeated SKUs;
/// other SKUs pass through. `kits` maps a kit SKU to (component SKU, units per kit).
/// Result is sorted by SKU, without zero quantities.
pub fn expand_kits(
    skus: &[(String, i64)],
    kits: &BTreeMap<String, Vec<(String, i64)>>,
) -> Vec<(String, i64)> {
    let mut out: BTreeMap<String, i64> = BTreeMap::new();
    for (sku, qty) in skus {
        match kits.get(sku) {
            Some(components) => {
                for (part, per) in components {
                    *out.entry(part.clone()).or_default() += qty.saturating_mul(*per);
                }
            }
            None => *out.entry(sku.clone()).or_default() += qty,
        }
    }
    out.into_iter().filter(|(_, q)| *q != 0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn gift_box() -> BTreeMap<String, Vec<(String, i64)>> {
        BTreeMap::from([(
            "GIFT-BOX".to_string(),
            vec![("MUG".to_string(), 2), ("TEA".to_string(), 1)],
        )])
    }

    #[test]
    fn a_kit_becomes_its_components_and_shares_them_with_plain_lines() {
        let lines = vec![("GIFT-BOX".to_string(), 3), ("MUG".to_string(), 1)];
        assert_eq!(
            expand_kits(&lines, &gift_box()),
            vec![("MUG".to_string(), 7), ("TEA".to_string(), 3)]
        );
    }

    proptest! {
        #[test]
        fn units_are_conserved(kits_sold in 0i64..20, mugs in 0i64..20) {
            let lines = vec![("GIFT-BOX".to_string(), kits_sold), ("MUG".to_string(), mugs)];
            let total: i64 = expand_kits(&lines, &gift_box()).iter().map(|(_, q)| q).sum();
            prop_assert_eq!(total, kits_sold * 3 + mugs);
        }
    }
}
