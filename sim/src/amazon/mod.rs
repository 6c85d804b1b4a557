//! Amazon simulator (being built).
