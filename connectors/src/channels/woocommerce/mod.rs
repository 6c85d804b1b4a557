//! WooCommerce: REST API v3 under `{site}/wp-json/wc/v3`, webhooks signed with a per-webhook
//! secret. One file per job: `webhook` (authenticity), `dedup` (inbox key), `normalize`,
//! `client` (auth, pace, retries), `poll`, `listings`, `stock`, `fulfillment`.

mod cancel;
mod client;
pub mod dedup;
mod fulfillment;
mod listings;
pub mod normalize;
mod poll;
mod refund;
mod stock;
pub mod webhook;

use async_trait::async_trait;
use switchyard_core::config::ChannelConfig;
use switchyard_core::model::{ChannelKind, Order, Shipment};
use switchyard_core::ports::{
    Channel, ChannelError, ChannelLimits, Delivery, IngestError, Listing, ListingLevel,
    NormalizeError, PollCursor, PollPage, PushReport, RawOrder, Refund, RefundOutcome,
    WebhookRequest,
};

use crate::http::RateLimiter;
use client::WooClient;

/// Core WooCommerce sets no limit; this pace keeps a shared host from throttling or banning us.
const DEFAULT_RATE_PER_SECOND: f64 = 25.0;
const DEFAULT_BURST: u32 = 25;

/// One WooCommerce store.
pub struct WooChannel {
    id: String,
    webhook_secret: Vec<u8>,
    client: WooClient,
}

impl WooChannel {
    /// Needs `base_url` (the site root), `consumer_key`, `consumer_secret`, `webhook_secret`.
    pub fn new(config: &ChannelConfig) -> Result<Self, String> {
        let required = |name: &str, value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
                .ok_or_else(|| format!("{name} is required for a WooCommerce channel"))
        };
        let key = required("consumer_key", &config.consumer_key)?;
        let secret = required("consumer_secret", &config.consumer_secret)?;
        let base = config.base_url.trim();
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(format!(
                "base_url `{base}` must start with http:// or https://"
            ));
        }
        let webhook_secret = required("webhook_secret", &config.webhook_secret)?;
        let limiter = match &config.rate_limit {
            Some(rl) => RateLimiter::new(rl.per_second, rl.burst),
            None => RateLimiter::new(DEFAULT_RATE_PER_SECOND, DEFAULT_BURST),
        };
        Ok(Self {
            id: config.id.clone(),
            webhook_secret: webhook_secret.as_bytes().to_vec(),
            client: WooClient::new(base, key, secret, limiter),
        })
    }
}

#[async_trait]
impl Channel for WooChannel {
    fn id(&self) -> &str {
        &self.id
    }

    fn kind(&self) -> ChannelKind {
        ChannelKind::Woocommerce
    }

    fn limits(&self) -> ChannelLimits {
        ChannelLimits {
            max_stock_batch: stock::MAX_BATCH,
            max_poll_page: poll::PER_PAGE,
        }
    }

    async fn verify_webhook(&self, request: &WebhookRequest) -> Result<Delivery, IngestError> {
        webhook::verify(&self.webhook_secret, request)
    }

    fn normalize(&self, raw: &RawOrder) -> Result<Order, NormalizeError> {
        if raw.format != "rest" {
            return Err(NormalizeError::new(
                "format",
                format!("WooCommerce payloads are `rest`, not `{}`", raw.format),
            ));
        }
        normalize::normalize_body(&raw.body)
    }

    async fn poll_orders(&self, cursor: &PollCursor) -> Result<PollPage, ChannelError> {
        poll::poll(&self.client, cursor).await
    }

    async fn discover_listings(&self, skus: &[String]) -> Result<Vec<Listing>, ChannelError> {
        listings::discover(&self.client, skus).await
    }

    async fn push_stock(&self, batch: &[ListingLevel]) -> Result<PushReport, ChannelError> {
        stock::push(&self.client, batch).await
    }

    async fn write_back_shipment(
        &self,
        shipment: &Shipment,
        idempotency_key: &str,
    ) -> Result<(), ChannelError> {
        fulfillment::write_back(&self.client, shipment, idempotency_key).await
    }

    async fn cancel_order(
        &self,
        request: &switchyard_core::cancellation::ChannelCancel,
        idempotency_key: &str,
    ) -> Result<String, ChannelError> {
        cancel::cancel(&self.client, request, idempotency_key).await
    }

    async fn refund(
        &self,
        refund: &Refund,
        idempotency_key: &str,
    ) -> Result<RefundOutcome, ChannelError> {
        refund::refund(&self.client, refund, idempotency_key).await
    }
}
