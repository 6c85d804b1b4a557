//! Switchyard's core: the canonical model, the ports connectors implement, stock arithmetic,
//! routing and the durable store. Model, stock and routing are pure; only `store` does I/O.

pub mod cancellation;
pub mod carriers;
pub mod config;
pub mod connector_state;
pub mod events;
pub mod exceptions;
pub mod fields;
pub mod fulfillment;
pub mod intake;
pub mod leases;
pub mod lifecycle;
pub mod model;
pub mod money;
pub mod ports;
pub mod routing;
pub mod rules;
pub mod stock;
pub mod store;
