//! The `switchyard` daemon and its operator commands as a library, so the benchmark harness
//! can start the same daemon and simulators the binary does.

pub mod api;
pub mod app;
pub mod cli;
pub mod console;
pub mod daemon;
pub mod demo;
