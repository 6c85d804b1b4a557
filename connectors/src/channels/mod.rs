//! One folder per sales channel.

pub mod amazon;
pub mod bigcommerce;
pub mod ebay;
pub mod etsy;
pub mod shopify;
pub mod walmart;
pub mod woocommerce;
