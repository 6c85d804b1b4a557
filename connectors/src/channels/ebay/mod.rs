//! eBay: Sell APIs (Fulfillment for orders and tracking, Inventory for listings and stock)
//! under `https://api.ebay.com` with an OAuth user token from the seller's refresh token;
//! Notification API deliveries signed with ECDSA. One file per job: `auth` (tokens),
//! `client` (pace, retries, errors), `notification` (authenticity), `dedup` (inbox key),
//! `normalize`, `orders` (poll, fetch), `listings`, `stock`, `fulfillment`, `cancel`,
//! `refund`, `returns` (return requests read as expected RMAs).
//!
//! Limits: eBay counts calls per API per day (`getRateLimits` in the Analytics API reports
//! them) and answers 429 when a quota is spent; calls are paced so a day's quota lasts.

mod auth;
mod cancel;
mod client;
pub mod dedup;
mod fulfillment;
mod listings;
pub mod normalize;
pub mod notification;
mod orders;
mod refund;
mod returns;
mod stock;

use async_trait::async_trait;
use switchyard_core::config::ChannelConfig;
use switchyard_core::model::{ChannelKind, Order, Shipment};
use switchyard_core::ports::{
    Channel, ChannelError, ChannelLimits, Delivery, IngestError, Listing, ListingLevel,
    NormalizeError, PollCursor, PollPage, PushReport, RawOrder, Refund, RefundOutcome, ReturnsPage,
    WebhookRequest,
};

use crate::http::{RateLimiter, client as http_client};
use auth::{DEFAULT_TOKEN_URL, Grant, TokenSource};
use client::EbayClient;
use notification::NotificationVerifier;

pub use notification::{challenge_response, compact_json};
pub use orders::FORMAT;

pub const DEFAULT_BASE_URL: &str = "https://api.ebay.com";

/// Sustained pace well inside the daily quotas (Fulfillment API: 100,000 calls a day is
/// about 1.2/s), with room for a poll's burst.
const DEFAULT_RATE_PER_SECOND: f64 = 5.0;
const DEFAULT_BURST: u32 = 20;

/// One eBay seller account.
pub struct EbayChannel {
    id: String,
    client: EbayClient,
    notifications: NotificationVerifier,
    carriers: switchyard_core::carriers::CarrierMap,
}

impl EbayChannel {
    /// Needs `client_id`, `client_secret` and `refresh_token`; `base_url` and `token_url`
    /// default to eBay production.
    pub fn new(config: &ChannelConfig) -> Result<Self, String> {
        let required = |name: &str, value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
                .ok_or_else(|| format!("{name} is required for an eBay channel"))
        };
        let client_id = required("client_id", &config.client_id)?;
        let client_secret = required("client_secret", &config.client_secret)?;
        let refresh_token = required("refresh_token", &config.refresh_token)?;
        let base = match config.base_url.trim() {
            "" => DEFAULT_BASE_URL,
            other => other,
        };
        let token_url = config
            .token_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .unwrap_or(DEFAULT_TOKEN_URL)
            .to_string();
        for (name, url) in [("base_url", base), ("token_url", token_url.as_str())] {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(format!(
                    "{name} `{url}` must start with http:// or https://"
                ));
            }
        }
        let limiter = match &config.rate_limit {
            Some(rl) => RateLimiter::new(rl.per_second, rl.burst),
            None => RateLimiter::new(DEFAULT_RATE_PER_SECOND, DEFAULT_BURST),
        };
        let http = http_client();
        let user_tokens = TokenSource::new(
            http.clone(),
            token_url.clone(),
            client_id.clone(),
            client_secret.clone(),
            Grant::RefreshToken { refresh_token },
        );
        let app_tokens = TokenSource::new(
            http.clone(),
            token_url,
            client_id,
            client_secret,
            Grant::ClientCredentials,
        );
        Ok(Self {
            id: config.id.clone(),
            client: EbayClient::new(base, user_tokens, limiter),
            notifications: NotificationVerifier::new(http, base, app_tokens),
            carriers: switchyard_core::carriers::CarrierMap::new(
                switchyard_core::model::ChannelKind::Ebay,
                &config.carriers,
            ),
        })
    }
}

#[async_trait]
impl Channel for EbayChannel {
    fn id(&self) -> &str {
        &self.id
    }

    fn kind(&self) -> ChannelKind {
        ChannelKind::Ebay
    }

    fn limits(&self) -> ChannelLimits {
        ChannelLimits {
            max_stock_batch: stock::MAX_BATCH,
            max_poll_page: orders::PAGE_LIMIT,
        }
    }

    async fn verify_webhook(&self, request: &WebhookRequest) -> Result<Delivery, IngestError> {
        self.notifications.verify(request).await
    }

    fn normalize(&self, raw: &RawOrder) -> Result<Order, NormalizeError> {
        if raw.format != FORMAT {
            return Err(NormalizeError::new(
                "format",
                format!(
                    "eBay payloads are `{FORMAT}` orders, not `{}` (thin ones are fetched first)",
                    raw.format
                ),
            ));
        }
        normalize::normalize_body(&raw.body)
    }

    async fn fetch_order(&self, external_id: &str) -> Result<Option<RawOrder>, ChannelError> {
        orders::fetch(&self.client, external_id).await
    }

    async fn poll_orders(&self, cursor: &PollCursor) -> Result<PollPage, ChannelError> {
        orders::poll(&self.client, cursor).await
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
        fulfillment::write_back(&self.client, &self.carriers, shipment, idempotency_key).await
    }

    async fn cancel_order(
        &self,
        request: &switchyard_core::cancellation::ChannelCancel,
        _idempotency_key: &str,
    ) -> Result<String, ChannelError> {
        // Idempotent by the order's own cancellations (see `cancel`); the key is not needed.
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
