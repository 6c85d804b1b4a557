//! BigCommerce simulator (being built).
