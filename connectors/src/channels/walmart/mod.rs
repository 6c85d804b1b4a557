//! Walmart connector (being built; this placeholder refuses every call).

pub mod normalize;

use async_trait::async_trait;
use switchyard_core::config::ChannelConfig;
use switchyard_core::model::{ChannelKind, Order, Shipment};
use switchyard_core::ports::*;

pub struct WalmartChannel {
    id: String,
}

impl WalmartChannel {
    /// Refused until the connector exists, so a configuration naming it fails at start.
    pub fn new(config: &ChannelConfig) -> Result<Self, String> {
        let _ = &config.id;
        Err("the Walmart connector is not available in this build".into())
    }
}

#[async_trait]
impl Channel for WalmartChannel {
    fn id(&self) -> &str {
        &self.id
    }
    fn kind(&self) -> ChannelKind {
        ChannelKind::Walmart
    }
    fn limits(&self) -> ChannelLimits {
        ChannelLimits {
            max_stock_batch: 1,
            max_poll_page: 1,
        }
    }
    async fn verify_webhook(&self, _request: &WebhookRequest) -> Result<Delivery, IngestError> {
        Err(IngestError::BadSignature("not implemented".into()))
    }
    fn normalize(&self, raw: &RawOrder) -> Result<Order, NormalizeError> {
        normalize::normalize_body(&raw.body)
    }
    async fn poll_orders(&self, _cursor: &PollCursor) -> Result<PollPage, ChannelError> {
        Err(ChannelError::Rejected("not implemented".into()))
    }
    async fn discover_listings(&self, _skus: &[String]) -> Result<Vec<Listing>, ChannelError> {
        Err(ChannelError::Rejected("not implemented".into()))
    }
    async fn push_stock(&self, _batch: &[ListingLevel]) -> Result<PushReport, ChannelError> {
        Err(ChannelError::Rejected("not implemented".into()))
    }
    async fn write_back_shipment(&self, _s: &Shipment, _key: &str) -> Result<(), ChannelError> {
        Err(ChannelError::Rejected("not implemented".into()))
    }
}
