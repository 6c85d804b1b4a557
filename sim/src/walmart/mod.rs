//! Walmart simulator (being built).
