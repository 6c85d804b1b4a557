//! The business rules the store applies, as pure functions: each takes what a store engine
//! loaded and returns the typed changes to write. An engine loads, applies the changes and
//! commits; it decides nothing, so every engine keeps the same rules.

pub mod order_version;
pub mod parcel;
pub mod returns;
pub mod rma;
#[cfg(test)]
pub(crate) mod testing;

/// Kit definitions: a kit SKU → (component SKU, units per kit).
pub type Kits = std::collections::BTreeMap<String, Vec<(String, i64)>>;

/// Units of one SKU an order holds at a location (`None`: not yet routed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    pub sku: String,
    pub location: Option<String>,
    pub quantity: i64,
}

impl Reservation {
    pub fn new(sku: impl Into<String>, location: Option<&str>, quantity: i64) -> Self {
        Reservation {
            sku: sku.into(),
            location: location.map(str::to_string),
            quantity,
        }
    }

    fn as_row(&self) -> (String, Option<String>, i64) {
        (self.sku.clone(), self.location.clone(), self.quantity)
    }
}
