//! ShipBob (a 3PL) over its dated REST API, version `2026-07` by default: orders created with the
//! idempotency key as `reference_id` (a repeat finds the first order), `:cancel`, inventory levels
//! across all pages, orders changed since a time as the polling safety net, and Standard Webhooks
//! shipment webhooks. One file per job: `client` (auth, pace, `x-retry-after`, error bodies),
//! `submit`, `orders` (lookups and the changed-since list), `cancel`, `events` (ShipBob state →
//! events, pure), `poll`, `webhook`, `inventory`.

mod cancel;
mod client;
pub mod events;
mod inventory;
mod orders;
mod poll;
mod submit;
pub mod webhook;

use std::collections::BTreeMap;

use async_trait::async_trait;
use switchyard_core::config::{AdapterConfig, AdapterKind};
use switchyard_core::fulfillment::{
    CancelOutcome, EventPage, FulfillmentLine, FulfillmentOrder, FulfillmentTarget, OrderRef,
    Receipt, StockLevel, TargetError, TargetEvent,
};
use switchyard_core::ports::{IngestError, PollCursor, WebhookRequest};

use crate::http::{RateLimiter, standard_webhooks};
use client::SbClient;
use events::SkuNames;

/// The documented API host; tests point `base_url` at the simulator.
pub const DEFAULT_BASE_URL: &str = "https://api.shipbob.com";
/// The version ShipBob's documentation marks as default.
pub const DEFAULT_API_VERSION: &str = "2026-07";
/// ShipBob allows 150 requests in any sliding minute. A bucket of 30 refilled at 2 a second
/// lets through at most 30 + 60 × 2 = 150 in any 60 s, so the pace alone never trips the limit.
const DEFAULT_RATE_PER_SECOND: f64 = 2.0;
const DEFAULT_BURST: u32 = 30;

/// One ShipBob account serving one location.
pub struct ShipBobTarget {
    id: String,
    client: SbClient,
    webhook_key: Option<Vec<u8>>,
    /// Merchant SKU → ShipBob reference id, for SKUs ShipBob knows by another name.
    to_partner: BTreeMap<String, String>,
    names: SkuNames,
}

impl ShipBobTarget {
    /// `location_id` names the location this account serves. Needs `access_token` and
    /// `channel_id`; `webhook_secret` only when webhooks are subscribed.
    pub fn new(location_id: &str, config: &AdapterConfig) -> Result<Self, String> {
        if config.kind != AdapterKind::Shipbob {
            return Err(format!(
                "adapter kind {} is not shipbob",
                config.kind.as_str()
            ));
        }
        let required = |name: &str, value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
                .ok_or_else(|| format!("{name} is required for a ShipBob adapter"))
        };
        let token = required("access_token", &config.access_token)?;
        let channel_id = required("channel_id", &config.channel_id)?;
        if channel_id.parse::<u32>().is_err() {
            return Err(format!(
                "channel_id `{channel_id}` is not a ShipBob channel id"
            ));
        }
        let base = config
            .base_url
            .as_deref()
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .unwrap_or(DEFAULT_BASE_URL);
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(format!(
                "base_url `{base}` must start with http:// or https://"
            ));
        }
        let version = config
            .api_version
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .unwrap_or(DEFAULT_API_VERSION);
        let webhook_key = match config.webhook_secret.as_deref().map(str::trim) {
            None => None,
            Some("") => return Err("webhook_secret must not be empty".into()),
            Some(secret) => Some(standard_webhooks::signing_key(secret)?),
        };
        let limiter = match &config.rate_limit {
            Some(rl) => RateLimiter::new(rl.per_second, rl.burst),
            None => RateLimiter::new(DEFAULT_RATE_PER_SECOND, DEFAULT_BURST),
        };
        let names = SkuNames {
            from_partner: config
                .sku_map
                .iter()
                .map(|(sku, part)| (part.clone(), sku.clone()))
                .collect(),
        };
        Ok(Self {
            id: location_id.to_string(),
            client: SbClient::new(base, version, token, channel_id, limiter),
            webhook_key,
            to_partner: config.sku_map.clone(),
            names,
        })
    }

    /// What ShipBob knows a line's item as: the line's own mapping, else the adapter's, else the
    /// SKU.
    fn partner_item(&self, line: &FulfillmentLine) -> String {
        match &line.partner_sku {
            Some(part) => part.clone(),
            None => self
                .to_partner
                .get(&line.sku)
                .cloned()
                .unwrap_or_else(|| line.sku.clone()),
        }
    }
}

#[async_trait]
impl FulfillmentTarget for ShipBobTarget {
    fn id(&self) -> &str {
        &self.id
    }

    async fn submit(
        &self,
        order: &FulfillmentOrder,
        idempotency_key: &str,
    ) -> Result<Receipt, TargetError> {
        let body = submit::body(order, idempotency_key, &|l| self.partner_item(l))?;
        Ok(submit::submit(&self.client, &body, idempotency_key).await?)
    }

    /// ShipBob's cancel takes no key; reading the order first makes a repeat harmless.
    async fn cancel(
        &self,
        order: &OrderRef,
        _idempotency_key: &str,
    ) -> Result<CancelOutcome, TargetError> {
        Ok(cancel::cancel(&self.client, order).await?)
    }

    async fn poll_events(&self, cursor: &PollCursor) -> Result<EventPage, TargetError> {
        Ok(poll::poll(&self.client, &self.names, cursor).await?)
    }

    async fn verify_webhook(
        &self,
        request: &WebhookRequest,
    ) -> Result<Vec<TargetEvent>, IngestError> {
        match &self.webhook_key {
            Some(key) => webhook::verify(key, request, &self.names),
            None => Err(IngestError::BadSignature(format!(
                "location `{}` has no webhook_secret: its ShipBob webhooks cannot be checked",
                self.id
            ))),
        }
    }

    async fn inventory(&self) -> Result<Vec<StockLevel>, TargetError> {
        Ok(inventory::levels(&self.client, &self.names).await?)
    }
}
