//! Fuzz targets for every parser that reads outside input: each channel's normalizer and
//! webhook check, the X12 parser and every typed document reader, partner CSV files and
//! webhook payloads, and the configuration loader. The targets are in [`targets`], the seeds
//! (the project's own fixtures, read in place) in [`seeds`], and the mutations that turn seeds
//! into inputs in [`mutate`]; `tests/targets.rs` runs each target under bolero.

// A fuzz target reports a finding by panicking (that is what the engine catches), and its
// setup (fixed configurations, fixtures) fails loudly rather than fuzzing nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod mutate;
pub mod seeds;
pub mod targets;
