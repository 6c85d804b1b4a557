//! Etsy simulator (being built).
