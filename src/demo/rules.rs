//! The demo's routing rules, written as a merchant would write them in `switchyard.yaml`, and
//! the demo's own reading of them: where each SKU must go, which the summary checks the
//! partners' records against.

use anyhow::Context;
use switchyard_core::config::{Config, RoutingConfig, load_routing_str};

use super::WAREHOUSE;
use super::partners::{SUPPLIER, SUPPLIER_SKU_PREFIX, THREE_PL, THREE_PL_SKU_PREFIX};

/// The `routing:` section of the demo's configuration (shown by `switchyard demo --verbose`).
pub fn yaml() -> String {
    format!(
        r#"routing:
  rules:
    # The supplier ships what only it carries, straight to the customer.
    - name: dropship-catalog
      when:
        sku: ["{SUPPLIER_SKU_PREFIX}*"]
      action:
        location: {SUPPLIER}
      split: allowed
    # Apparel is stored at the 3PL; it ships from there whatever else the order holds.
    - name: apparel-from-3pl
      when:
        sku: ["{THREE_PL_SKU_PREFIX}*"]
      action:
        location: {THREE_PL}
  # Everything else leaves our own warehouse.
  fallback:
    location: {WAREHOUSE}
"#
    )
}

/// Reads `yaml()` through the same loader as `switchyard route --what-if`, checked against the
/// demo's channels and locations.
pub fn load(base: &Config) -> anyhow::Result<RoutingConfig> {
    load_routing_str(&yaml(), "demo routing", &|_| None, base)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("the demo's routing rules")
}

/// Where the rules send a line of `sku`.
pub fn location_for(sku: &str) -> &'static str {
    if sku.starts_with(SUPPLIER_SKU_PREFIX) {
        SUPPLIER
    } else if sku.starts_with(THREE_PL_SKU_PREFIX) {
        THREE_PL
    } else {
        WAREHOUSE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_family_has_its_place() {
        assert_eq!(location_for("DS-001"), SUPPLIER);
        assert_eq!(location_for("TEE-002"), THREE_PL);
        assert_eq!(location_for("SY-003"), WAREHOUSE);
    }
}
