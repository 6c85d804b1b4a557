//! Etsy: Open API v3 under `{base_url}/v3/application`, an API key plus an OAuth 2 user token
//! (rotating refresh tokens), 10 requests a second and 10,000 a day. Orders are receipts,
//! found by polling (webhooks are for commercial apps only and thin). One file per job:
//! `auth` (token refresh), `budget` (daily limit), `client` (headers, pace, retries),
//! `normalize`, `dedup`, `poll` (and fetch), `listings`, `stock`, `fulfillment`, `webhook`.

mod auth;
mod budget;
mod client;
pub mod dedup;
mod fulfillment;
mod listings;
pub mod normalize;
mod poll;
mod stock;
pub mod webhook;

use async_trait::async_trait;
use switchyard_core::config::ChannelConfig;
use switchyard_core::model::{ChannelKind, Order, Shipment};
use switchyard_core::ports::{
    Channel, ChannelError, ChannelLimits, Delivery, IngestError, Listing, ListingLevel,
    NormalizeError, PollCursor, PollPage, PushReport, RawOrder, WebhookRequest,
};

use crate::http::{RateLimiter, client as http_client};
use auth::TokenSource;
use client::EtsyClient;

pub use auth::DEFAULT_TOKEN_URL;
pub use budget::DailyBudget;

pub const DEFAULT_BASE_URL: &str = "https://openapi.etsy.com";

/// Etsy's per-second limit. A burst of one keeps every wall-clock second at ten calls or fewer.
const DEFAULT_RATE_PER_SECOND: f64 = 10.0;
const DEFAULT_BURST: u32 = 1;

/// One Etsy shop.
pub struct EtsyChannel {
    id: String,
    shop_id: String,
    webhook_key: Option<Vec<u8>>,
    client: EtsyClient,
    carriers: switchyard_core::carriers::CarrierMap,
}

impl EtsyChannel {
    /// Needs `client_id` (the app keystring), `refresh_token` and `shop_id`; `client_secret`
    /// (the shared secret) is sent in `x-api-key` when given. `base_url` empty means
    /// `https://openapi.etsy.com`; `token_url` defaults to Etsy's.
    pub fn new(config: &ChannelConfig) -> Result<Self, String> {
        let required = |name: &str, value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
                .ok_or_else(|| format!("{name} is required for an Etsy channel"))
        };
        let keystring = required("client_id", &config.client_id)?;
        let refresh_token = required("refresh_token", &config.refresh_token)?;
        let shop_id = required("shop_id", &config.shop_id)?;
        if !shop_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "shop_id `{shop_id}` must be Etsy's numeric shop id"
            ));
        }
        let base = match config.base_url.trim() {
            "" => DEFAULT_BASE_URL,
            other => other,
        };
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(format!(
                "base_url `{base}` must start with http:// or https://"
            ));
        }
        let token_url = config
            .token_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .unwrap_or(DEFAULT_TOKEN_URL)
            .to_string();
        let api_key = match config.client_secret.as_deref().map(str::trim) {
            Some(secret) if !secret.is_empty() => format!("{keystring}:{secret}"),
            _ => keystring.clone(),
        };
        let webhook_key = match config.webhook_secret.as_deref() {
            Some(secret) if !secret.trim().is_empty() => Some(webhook::signing_key(secret)?),
            _ => None,
        };
        let limiter = match &config.rate_limit {
            Some(rl) => RateLimiter::new(rl.per_second, rl.burst),
            None => RateLimiter::new(DEFAULT_RATE_PER_SECOND, DEFAULT_BURST),
        };
        let tokens = TokenSource::new(http_client(), token_url, keystring, refresh_token);
        Ok(Self {
            id: config.id.clone(),
            client: EtsyClient::new(&config.id, base, api_key, tokens, limiter),
            shop_id,
            webhook_key,
            carriers: switchyard_core::carriers::CarrierMap::new(
                switchyard_core::model::ChannelKind::Etsy,
                &config.carriers,
            ),
        })
    }

    /// The daily budget Etsy last reported (`x-limit-per-day`, `x-remaining-today`); `None`
    /// before the first answer.
    pub fn daily_budget(&self) -> Option<DailyBudget> {
        self.client.budget().current()
    }

    /// How many access tokens were obtained so far.
    pub async fn token_refreshes(&self) -> u64 {
        self.client.tokens().refreshes().await
    }
}

#[async_trait]
impl Channel for EtsyChannel {
    fn id(&self) -> &str {
        &self.id
    }

    fn kind(&self) -> ChannelKind {
        ChannelKind::Etsy
    }

    fn limits(&self) -> ChannelLimits {
        ChannelLimits {
            max_stock_batch: stock::MAX_BATCH,
            max_poll_page: poll::PAGE_SIZE,
        }
    }

    async fn verify_webhook(&self, request: &WebhookRequest) -> Result<Delivery, IngestError> {
        webhook::verify(self.webhook_key.as_deref(), request)
    }

    fn normalize(&self, raw: &RawOrder) -> Result<Order, NormalizeError> {
        if raw.format != poll::FORMAT {
            return Err(NormalizeError::new(
                "format",
                format!("Etsy payloads are `{}`, not `{}`", poll::FORMAT, raw.format),
            ));
        }
        normalize::normalize_body(&raw.body)
    }

    async fn fetch_order(&self, external_id: &str) -> Result<Option<RawOrder>, ChannelError> {
        poll::fetch(&self.client, &self.shop_id, external_id).await
    }

    async fn poll_orders(&self, cursor: &PollCursor) -> Result<PollPage, ChannelError> {
        poll::poll(&self.client, &self.shop_id, cursor).await
    }

    async fn discover_listings(&self, skus: &[String]) -> Result<Vec<Listing>, ChannelError> {
        listings::discover(&self.client, &self.shop_id, skus).await
    }

    async fn push_stock(&self, batch: &[ListingLevel]) -> Result<PushReport, ChannelError> {
        stock::push(&self.client, batch).await
    }

    async fn write_back_shipment(
        &self,
        shipment: &Shipment,
        idempotency_key: &str,
    ) -> Result<(), ChannelError> {
        fulfillment::write_back(
            &self.client,
            &self.shop_id,
            &self.carriers,
            shipment,
            idempotency_key,
        )
        .await
    }
}
