//! Amazon order payload → canonical order (placeholder).

use switchyard_core::model::Order;
use switchyard_core::ports::NormalizeError;

pub fn normalize_body(_body: &[u8]) -> Result<Order, NormalizeError> {
    Err(NormalizeError::new(
        "order",
        "Amazon normalizer not implemented yet",
    ))
}
