//! Typed documents: plain structs read from a parsed [`crate::Transaction`] and built into
//! transaction-set bodies for the renderer. Readers trim element values, ignore segments they
//! do not use, and fail with a [`ReadError`] naming the segment and element of a missing or
//! malformed required piece. Builders trim values and fail with a [`crate::RenderError`] when a
//! required one is blank.

pub mod ack855;
pub mod advice945;
pub mod asn856;
pub(crate) mod common;
pub(crate) mod fields;
pub mod inventory846;
pub mod invoice810;
pub mod order940;
pub mod po850;

pub use common::{DateReference, ItemIds, NamedParty, Party, PartyId, ProductId, Reference};
pub use fields::ReadError;
