//! The one place that maps a configured channel kind to its connector.

use std::sync::Arc;

use switchyard_core::config::ChannelConfig;
use switchyard_core::connector_state::ConnectorState;
use switchyard_core::model::ChannelKind;
use switchyard_core::ports::Channel;

use crate::channels::{amazon, bigcommerce, ebay, etsy, shopify, walmart, woocommerce};

#[derive(Debug, thiserror::Error)]
#[error("channel `{channel}`: {message}")]
pub struct BuildError {
    pub channel: String,
    pub message: String,
}

/// Builds the connector for one configured channel account. `state` keeps what the connector
/// must not lose across restarts (the daemon passes its store).
pub fn build(
    config: &ChannelConfig,
    state: Arc<dyn ConnectorState>,
) -> Result<Arc<dyn Channel>, BuildError> {
    let built: Result<Arc<dyn Channel>, String> = match config.kind {
        ChannelKind::Shopify => shopify::ShopifyChannel::new(config).map(|c| Arc::new(c) as _),
        ChannelKind::Woocommerce => woocommerce::WooChannel::new(config).map(|c| Arc::new(c) as _),
        ChannelKind::Amazon => amazon::AmazonChannel::new(config).map(|c| Arc::new(c) as _),
        ChannelKind::Ebay => ebay::EbayChannel::new(config).map(|c| Arc::new(c) as _),
        ChannelKind::Walmart => walmart::WalmartChannel::new(config).map(|c| Arc::new(c) as _),
        ChannelKind::Etsy => etsy::EtsyChannel::new(config, state).map(|c| Arc::new(c) as _),
        ChannelKind::Bigcommerce => {
            bigcommerce::BigCommerceChannel::new(config).map(|c| Arc::new(c) as _)
        }
    };
    built
        .map(|c| Arc::new(crate::instrumented::Instrumented::new(c)) as Arc<dyn Channel>)
        .map_err(|message| BuildError {
            channel: config.id.clone(),
            message,
        })
}

/// Normalizes a payload file without a configured account (used by `switchyard normalize`).
pub fn normalize_file(
    kind: ChannelKind,
    body: &[u8],
) -> Result<switchyard_core::model::Order, switchyard_core::ports::NormalizeError> {
    match kind {
        ChannelKind::Shopify => shopify::normalize::normalize_any(body),
        ChannelKind::Woocommerce => woocommerce::normalize::normalize_body(body),
        ChannelKind::Amazon => amazon::normalize::normalize_body(body),
        ChannelKind::Ebay => ebay::normalize::normalize_body(body),
        ChannelKind::Walmart => walmart::normalize::normalize_body(body),
        ChannelKind::Etsy => etsy::normalize::normalize_body(body),
        ChannelKind::Bigcommerce => bigcommerce::normalize::normalize_body(body),
    }
}
