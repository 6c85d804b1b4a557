//! BigCommerce: REST under `{base_url}/stores/{store_hash}` (V2 orders and shipments, V3
//! catalog and inventory) with `X-Auth-Token`; thin webhooks signed the Standard Webhooks way.
//! One file per job: `webhook` (authenticity), `dedup` (inbox key), `normalize`, `client`
//! (auth, pace, quota headers, retries), `orders` (composing one order), `poll`, `listings`,
//! `stock`, `fulfillment`.

mod cancel;
mod client;
pub mod dedup;
mod fulfillment;
mod listings;
pub mod normalize;
mod orders;
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
use client::BcClient;

pub use orders::FORMAT;

/// The documented API host; tests point `base_url` at the simulator.
pub const DEFAULT_BASE_URL: &str = "https://api.bigcommerce.com";
/// Standard plans allow 150 requests per 30 s window: 5 a second on average. A small burst
/// keeps a fresh window from being spent in one go by one worker.
const DEFAULT_RATE_PER_SECOND: f64 = 5.0;
const DEFAULT_BURST: u32 = 10;
/// The store's default inventory location.
const DEFAULT_LOCATION_ID: u64 = 1;

/// One BigCommerce store.
pub struct BigCommerceChannel {
    id: String,
    webhook_key: Vec<u8>,
    location_id: u64,
    client: BcClient,
    carriers: switchyard_core::carriers::CarrierMap,
}

impl BigCommerceChannel {
    /// Needs `store_hash`, `access_token` and `webhook_secret` (the app's client secret);
    /// `base_url` may be empty for the real API host; `location_id` defaults to 1.
    pub fn new(config: &ChannelConfig) -> Result<Self, String> {
        let required = |name: &str, value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
                .ok_or_else(|| format!("{name} is required for a BigCommerce channel"))
        };
        let store_hash = required("store_hash", &config.store_hash)?;
        if !store_hash.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(format!(
                "store_hash `{store_hash}` must be letters and digits"
            ));
        }
        let token = required("access_token", &config.access_token)?;
        let webhook_key =
            webhook::signing_key(&required("webhook_secret", &config.webhook_secret)?)?;
        let base = match config.base_url.trim() {
            "" => DEFAULT_BASE_URL,
            other => other,
        };
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(format!(
                "base_url `{base}` must start with http:// or https://"
            ));
        }
        let location_id = match config.location_id.as_deref().map(str::trim) {
            None | Some("") => DEFAULT_LOCATION_ID,
            Some(text) => text
                .parse()
                .map_err(|_| format!("location_id `{text}` is not a BigCommerce location id"))?,
        };
        let limiter = match &config.rate_limit {
            Some(rl) => RateLimiter::new(rl.per_second, rl.burst),
            None => RateLimiter::new(DEFAULT_RATE_PER_SECOND, DEFAULT_BURST),
        };
        Ok(Self {
            id: config.id.clone(),
            webhook_key,
            location_id,
            client: BcClient::new(base, &store_hash, token, limiter),
            carriers: switchyard_core::carriers::CarrierMap::new(
                switchyard_core::model::ChannelKind::Bigcommerce,
                &config.carriers,
            ),
        })
    }
}

#[async_trait]
impl Channel for BigCommerceChannel {
    fn id(&self) -> &str {
        &self.id
    }

    fn kind(&self) -> ChannelKind {
        ChannelKind::Bigcommerce
    }

    fn limits(&self) -> ChannelLimits {
        ChannelLimits {
            max_stock_batch: stock::MAX_BATCH,
            max_poll_page: poll::PAGE_SIZE,
        }
    }

    async fn verify_webhook(&self, request: &WebhookRequest) -> Result<Delivery, IngestError> {
        webhook::verify(&self.webhook_key, request)
    }

    fn normalize(&self, raw: &RawOrder) -> Result<Order, NormalizeError> {
        if raw.format != FORMAT {
            return Err(NormalizeError::new(
                "format",
                format!(
                    "BigCommerce orders are stored as `{FORMAT}`, not `{}`",
                    raw.format
                ),
            ));
        }
        normalize::normalize_body(&raw.body)
    }

    async fn fetch_order(&self, external_id: &str) -> Result<Option<RawOrder>, ChannelError> {
        let id = orders::parse_id(external_id)?;
        match orders::fetch(&self.client, id).await? {
            Some(order) => orders::raw(&order, "fetch").map(Some),
            None => Ok(None),
        }
    }

    async fn poll_orders(&self, cursor: &PollCursor) -> Result<PollPage, ChannelError> {
        poll::poll(&self.client, cursor).await
    }

    async fn discover_listings(&self, skus: &[String]) -> Result<Vec<Listing>, ChannelError> {
        listings::discover(&self.client, skus).await
    }

    async fn push_stock(&self, batch: &[ListingLevel]) -> Result<PushReport, ChannelError> {
        stock::push(&self.client, self.location_id, batch).await
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
