//! Walmart Marketplace: REST API under `https://marketplace.walmartapis.com/v3` with a
//! client-credentials token, per-API token buckets reported in response headers, orders found
//! by polling (and acknowledged), stock set through bulk inventory feeds. One file per job:
//! `auth` (token), `throttle` (buckets), `errors`, `client` (headers, retries), `normalize`,
//! `dedup` (inbox key), `poll` (listing and acknowledging), `listings`, `stock`,
//! `fulfillment`, `webhook` (refused; see there).

mod auth;
mod cancel;
mod client;
pub mod dedup;
mod errors;
mod fulfillment;
mod listings;
pub mod normalize;
mod poll;
mod refund;
mod stock;
mod throttle;
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
use auth::TokenSource;
use client::WalmartClient;
pub use stock::FeedWait;

/// Walmart's production API root, used when `base_url` is empty.
pub const DEFAULT_BASE_URL: &str = "https://marketplace.walmartapis.com";
/// Our own ceiling on top of Walmart's header-driven buckets.
const DEFAULT_RATE_PER_SECOND: f64 = 20.0;
const DEFAULT_BURST: u32 = 20;

/// One Walmart seller account.
pub struct WalmartChannel {
    id: String,
    client: WalmartClient,
    feed_wait: FeedWait,
    nodes: stock::ShipNodes,
    carriers: switchyard_core::carriers::CarrierMap,
}

impl WalmartChannel {
    /// Needs `client_id` and `client_secret`; `base_url` defaults to Walmart's production root
    /// and `token_url` to `{base_url}/v3/token`.
    pub fn new(config: &ChannelConfig) -> Result<Self, String> {
        let required = |name: &str, value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
                .ok_or_else(|| format!("{name} is required for a Walmart channel"))
        };
        let client_id = required("client_id", &config.client_id)?;
        let client_secret = required("client_secret", &config.client_secret)?;
        let base = match config.base_url.trim() {
            "" => DEFAULT_BASE_URL,
            b => b,
        }
        .trim_end_matches('/');
        for (name, url) in [
            ("base_url", Some(base)),
            ("token_url", config.token_url.as_deref()),
        ] {
            if let Some(url) = url.map(str::trim).filter(|u| !u.is_empty())
                && !(url.starts_with("https://") || url.starts_with("http://"))
            {
                return Err(format!(
                    "{name} `{url}` must start with http:// or https://"
                ));
            }
        }
        let token_url = config
            .token_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| format!("{base}/v3/token"));
        let limiter = match &config.rate_limit {
            Some(rl) => RateLimiter::new(rl.per_second, rl.burst),
            None => RateLimiter::new(DEFAULT_RATE_PER_SECOND, DEFAULT_BURST),
        };
        Ok(Self {
            id: config.id.clone(),
            client: WalmartClient::new(
                base,
                TokenSource::new(token_url, client_id, client_secret),
                limiter,
            ),
            feed_wait: FeedWait::default(),
            nodes: stock::ShipNodes::new(config.ship_node.clone()),
            carriers: switchyard_core::carriers::CarrierMap::new(
                ChannelKind::Walmart,
                &config.carriers,
            ),
        })
    }

    /// Changes how patiently inventory feeds are waited for (tests use short intervals).
    pub fn with_feed_wait(mut self, wait: FeedWait) -> Self {
        self.feed_wait = wait;
        self
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
            max_stock_batch: stock::MAX_BATCH,
            max_poll_page: poll::PAGE_LIMIT,
        }
    }

    fn min_push_interval(&self) -> std::time::Duration {
        stock::MIN_PUSH_INTERVAL
    }

    async fn verify_webhook(&self, request: &WebhookRequest) -> Result<Delivery, IngestError> {
        webhook::verify(request)
    }

    fn normalize(&self, raw: &RawOrder) -> Result<Order, NormalizeError> {
        if raw.format != "rest" {
            return Err(NormalizeError::new(
                "format",
                format!("Walmart payloads are `rest`, not `{}`", raw.format),
            ));
        }
        normalize::normalize_body(&raw.body)
    }

    async fn fetch_order(&self, external_id: &str) -> Result<Option<RawOrder>, ChannelError> {
        poll::fetch(&self.client, external_id).await
    }

    async fn poll_orders(&self, cursor: &PollCursor) -> Result<PollPage, ChannelError> {
        poll::poll(&self.client, cursor).await
    }

    async fn discover_listings(&self, skus: &[String]) -> Result<Vec<Listing>, ChannelError> {
        listings::discover(&self.client, &self.nodes, skus).await
    }

    async fn push_stock(&self, batch: &[ListingLevel]) -> Result<PushReport, ChannelError> {
        stock::push(&self.client, &self.feed_wait, &self.nodes, batch).await
    }

    async fn write_back_shipment(
        &self,
        shipment: &Shipment,
        idempotency_key: &str,
    ) -> Result<(), ChannelError> {
        fulfillment::write_back(&self.client, &self.carriers, shipment, idempotency_key).await
    }

    async fn cancel_order(
        &self,
        request: &switchyard_core::cancellation::ChannelCancel,
        _idempotency_key: &str,
    ) -> Result<String, ChannelError> {
        // Idempotent by the order's own line statuses (see `cancel`); the key is not needed.
        cancel::cancel(&self.client, request).await
    }

    async fn refund(
        &self,
        refund: &Refund,
        idempotency_key: &str,
    ) -> Result<RefundOutcome, ChannelError> {
        refund::refund(&self.client, refund, idempotency_key).await
    }
}
