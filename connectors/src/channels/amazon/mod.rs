//! Amazon Selling Partner API. Orders by `searchOrders` (Orders API 2026-01-01, or v0
//! `getOrders` for accounts still on it) and by `ORDER_CHANGE` notifications through an
//! EventBridge API destination; stock by `patchListingsItem` or `JSON_LISTINGS_FEED`; tracking by
//! v0 `confirmShipment`. Auth is Login with Amazon; rate limits are per operation.
//!
//! One file per job: `auth` (LWA tokens), `operations` (per-operation limits), `client`
//! (requests and errors), `notification` (webhook authenticity), `dedup`, `normalize`,
//! `orders` (poll and fetch), `listings`, `stock` and `feed`, `fulfillment`.

mod auth;
mod client;
pub mod dedup;
mod feed;
mod fulfillment;
mod listings;
pub mod normalize;
pub mod notification;
mod operations;
mod orders;
mod stock;

use async_trait::async_trait;
use switchyard_core::config::ChannelConfig;
use switchyard_core::model::{ChannelKind, Order, Shipment};
use switchyard_core::ports::{
    Channel, ChannelError, ChannelLimits, Delivery, IngestError, Listing, ListingLevel,
    NormalizeError, PollCursor, PollPage, PushReport, RawOrder, THIN_FORMAT, WebhookRequest,
};

use crate::http::client;
use auth::{Credentials, DEFAULT_TOKEN_URL, TokenSource};
use client::SpApi;
use operations::Limiters;

pub use fulfillment::package_reference_id;
pub use orders::{FORMAT_2026, FORMAT_V0};

/// North America endpoint; Europe and Far East accounts set `base_url`.
pub const DEFAULT_BASE_URL: &str = "https://sellingpartnerapi-na.amazon.com";

/// Which Orders API the account reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiVersion {
    /// Orders API 2026-01-01 (the default).
    V2026,
    /// The deprecated v0 API, for accounts not migrated yet (`api_version: v0`).
    V0,
}

/// What every call of one selling-partner account needs.
pub struct Account {
    api: SpApi,
    marketplace_id: String,
    seller_id: String,
    version: ApiVersion,
    carriers: switchyard_core::carriers::CarrierMap,
}

/// One Amazon selling-partner account in one marketplace.
pub struct AmazonChannel {
    id: String,
    webhook_secret: Option<Vec<u8>>,
    account: Account,
}

impl AmazonChannel {
    /// Needs `client_id`, `client_secret`, `refresh_token`, `marketplace_id`, `seller_id`;
    /// `base_url` empty means North America; `token_url` defaults to Login with Amazon;
    /// `webhook_secret` is the API key notifications arrive with (absent: polling only).
    pub fn new(config: &ChannelConfig) -> Result<Self, String> {
        let required = |name: &str, value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
                .ok_or_else(|| format!("{name} is required for an Amazon channel"))
        };
        let credentials = Credentials {
            token_url: config
                .token_url
                .as_deref()
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .unwrap_or(DEFAULT_TOKEN_URL)
                .to_string(),
            client_id: required("client_id", &config.client_id)?,
            client_secret: required("client_secret", &config.client_secret)?,
            refresh_token: required("refresh_token", &config.refresh_token)?,
        };
        let base = match config.base_url.trim() {
            "" => DEFAULT_BASE_URL,
            b if b.starts_with("https://") || b.starts_with("http://") => b,
            b => {
                return Err(format!(
                    "base_url `{b}` must start with http:// or https://"
                ));
            }
        };
        let version = match config.api_version.as_deref().map(str::trim) {
            None | Some("") | Some("2026-01-01") => ApiVersion::V2026,
            Some("v0") => ApiVersion::V0,
            Some(other) => {
                return Err(format!(
                    "api_version `{other}` is not an Amazon Orders API version (2026-01-01 or v0)"
                ));
            }
        };
        let http = client();
        let tokens = TokenSource::new(http.clone(), credentials);
        let limiters = Limiters::new(config.rate_limit.as_ref());
        Ok(Self {
            id: config.id.clone(),
            webhook_secret: config
                .webhook_secret
                .as_deref()
                .map(|s| s.trim().as_bytes().to_vec())
                .filter(|s| !s.is_empty()),
            account: Account {
                api: SpApi::new(http, base, tokens, limiters),
                marketplace_id: required("marketplace_id", &config.marketplace_id)?,
                seller_id: required("seller_id", &config.seller_id)?,
                version,
                carriers: switchyard_core::carriers::CarrierMap::new(
                    ChannelKind::Amazon,
                    &config.carriers,
                ),
            },
        })
    }
}

#[async_trait]
impl Channel for AmazonChannel {
    fn id(&self) -> &str {
        &self.id
    }

    fn kind(&self) -> ChannelKind {
        ChannelKind::Amazon
    }

    fn limits(&self) -> ChannelLimits {
        ChannelLimits {
            max_stock_batch: stock::MAX_BATCH,
            max_poll_page: orders::PAGE_SIZE,
        }
    }

    async fn verify_webhook(&self, request: &WebhookRequest) -> Result<Delivery, IngestError> {
        notification::verify(self.webhook_secret.as_deref(), request)
    }

    fn normalize(&self, raw: &RawOrder) -> Result<Order, NormalizeError> {
        if raw.format == THIN_FORMAT {
            return Err(NormalizeError::new(
                "format",
                "a notification only names the order; fetch it first",
            ));
        }
        normalize::normalize_body(&raw.body)
    }

    async fn fetch_order(&self, external_id: &str) -> Result<Option<RawOrder>, ChannelError> {
        orders::fetch(&self.account, external_id).await
    }

    async fn poll_orders(&self, cursor: &PollCursor) -> Result<PollPage, ChannelError> {
        orders::poll(&self.account, cursor).await
    }

    async fn discover_listings(&self, skus: &[String]) -> Result<Vec<Listing>, ChannelError> {
        listings::discover(&self.account, skus).await
    }

    async fn push_stock(&self, batch: &[ListingLevel]) -> Result<PushReport, ChannelError> {
        stock::push(&self.account, batch).await
    }

    async fn write_back_shipment(
        &self,
        shipment: &Shipment,
        idempotency_key: &str,
    ) -> Result<(), ChannelError> {
        fulfillment::write_back(&self.account, shipment, idempotency_key).await
    }
}
