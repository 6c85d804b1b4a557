//! Adapters between Switchyard's core and the outside world: one folder per sales channel,
//! plus the HTTP plumbing they share.

pub mod alerts;
pub mod channels;
pub mod fulfillment;
pub mod http;
pub mod instrumented;
pub mod registry;
