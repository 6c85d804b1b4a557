//! Ebay simulator (being built).
