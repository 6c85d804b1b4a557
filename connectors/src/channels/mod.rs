//! One folder per sales channel.

pub mod shopify;
pub mod woocommerce;
