//! Shopify, through the Admin GraphQL API (REST is legacy): webhooks in, polling as the safety
//! net, compare-and-set stock pushes, fulfillments with tracking.

mod cancel;
mod dedup;
mod fulfillment;
mod graphql;
mod ids;
mod listings;
pub mod normalize;
mod poll;
mod refund;
mod returns;
mod stock;
mod webhook;

use async_trait::async_trait;
use switchyard_core::config::ChannelConfig;
use switchyard_core::model::{ChannelKind, Order, Shipment};
use switchyard_core::ports::{
    Channel, ChannelError, ChannelLimits, Delivery, IngestError, Listing, ListingLevel,
    NormalizeError, PollCursor, PollPage, PushReport, RawOrder, Refund, RefundOutcome, ReturnsPage,
    WebhookRequest,
};

pub use dedup::dedup_key;
pub use webhook::signature as webhook_signature;

use graphql::GraphqlClient;

/// API version used when the configuration names none.
pub const DEFAULT_API_VERSION: &str = "2026-04";
/// Standard plan: 100 cost points restored per second.
pub const DEFAULT_RESTORE_RATE: f64 = 100.0;
/// Standard plan bucket.
pub const DEFAULT_BUCKET: u32 = 2000;

/// One Shopify shop (one app installation).
pub struct ShopifyChannel {
    id: String,
    webhook_secret: String,
    location: String,
    client: GraphqlClient,
}

impl ShopifyChannel {
    /// Checks the Shopify-specific settings; the message names the offending field.
    pub fn new(config: &ChannelConfig) -> Result<Self, String> {
        let base_url = config.base_url.trim();
        if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
            return Err("base_url must start with http:// or https://".into());
        }
        let token = config
            .access_token
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or("access_token is required for Shopify")?;
        let raw_location = config
            .location_id
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .ok_or("location_id is required for Shopify")?;
        let location = ids::to_gid("Location", raw_location).ok_or_else(|| {
            format!(
                "location_id `{raw_location}` is neither gid://shopify/Location/<n> nor a number"
            )
        })?;
        let webhook_secret = config
            .webhook_secret
            .clone()
            .filter(|s| !s.is_empty())
            .ok_or("webhook_secret (the app's client secret) is required for Shopify")?;
        let api_version = config
            .api_version
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .unwrap_or(DEFAULT_API_VERSION);
        let (rate, burst) = config
            .rate_limit
            .as_ref()
            .map_or((DEFAULT_RESTORE_RATE, DEFAULT_BUCKET), |r| {
                (r.per_second, r.burst)
            });
        Ok(Self {
            id: config.id.clone(),
            webhook_secret,
            location,
            client: GraphqlClient::new(base_url, api_version, token, rate, burst),
        })
    }
}

#[async_trait]
impl Channel for ShopifyChannel {
    fn id(&self) -> &str {
        &self.id
    }

    fn kind(&self) -> ChannelKind {
        ChannelKind::Shopify
    }

    fn limits(&self) -> ChannelLimits {
        ChannelLimits {
            max_stock_batch: stock::MAX_BATCH,
            max_poll_page: poll::PAGE_SIZE,
        }
    }

    async fn verify_webhook(&self, request: &WebhookRequest) -> Result<Delivery, IngestError> {
        webhook::verify(&self.webhook_secret, request)
    }

    fn normalize(&self, raw: &RawOrder) -> Result<Order, NormalizeError> {
        match raw.format.as_str() {
            "rest" => normalize::normalize_rest(&raw.body),
            "graphql" => normalize::normalize_graphql(&raw.body),
            _ => normalize::normalize_any(&raw.body),
        }
    }

    async fn poll_orders(&self, cursor: &PollCursor) -> Result<PollPage, ChannelError> {
        poll::poll(&self.client, cursor).await
    }

    async fn discover_listings(&self, skus: &[String]) -> Result<Vec<Listing>, ChannelError> {
        listings::discover(&self.client, &self.location, skus).await
    }

    async fn push_stock(&self, batch: &[ListingLevel]) -> Result<PushReport, ChannelError> {
        stock::push(&self.client, &self.location, batch).await
    }

    async fn write_back_shipment(
        &self,
        shipment: &Shipment,
        _idempotency_key: &str,
    ) -> Result<(), ChannelError> {
        // Idempotent by tracking number (see `fulfillment`); the key is not needed.
        fulfillment::write_back(&self.client, shipment).await
    }

    async fn cancel_order(
        &self,
        request: &switchyard_core::cancellation::ChannelCancel,
        _idempotency_key: &str,
    ) -> Result<String, ChannelError> {
        // Idempotent by the order's own state (see `cancel`); the key is not needed.
        cancel::cancel(&self.client, request).await
    }

    async fn refund(
        &self,
        refund: &Refund,
        idempotency_key: &str,
    ) -> Result<RefundOutcome, ChannelError> {
        refund::refund(&self.client, refund, idempotency_key).await
    }

    async fn poll_returns(&self, cursor: Option<&str>) -> Result<ReturnsPage, ChannelError> {
        returns::poll(&self.client, cursor).await
    }
}
