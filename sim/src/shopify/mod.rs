//! Shopify: a wire-faithful simulator of the Admin GraphQL API (cost-based throttling,
//! cursor pagination, compare-and-set inventory, fulfillment orders) and of `orders/*` webhooks.

mod cost;
mod exec;
mod mutations;
mod render;
mod roots;
mod schema;
mod search;
mod server;
mod store;
#[cfg(test)]
mod tests;
mod webhooks;

use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;

use crate::{OrderSpec, RecordedRefund, RecordedShipment, SimStats, SimulatedChannel, WebhookFate};
use cost::Bucket;
use server::{Shared, SimState};
use store::Store;
use webhooks::Event;

pub use webhooks::sign as sign_webhook;

/// Quantities one `inventorySetQuantities` call may carry.
pub const MAX_STOCK_BATCH: usize = mutations::MAX_INPUT_ARRAY;

/// How the simulated shop behaves. `Default` is a Standard-plan shop.
#[derive(Debug, Clone)]
pub struct ShopifySimConfig {
    pub access_token: String,
    /// The app's client secret, which signs webhooks.
    pub client_secret: String,
    /// Version put in `X-Shopify-API-Version` on webhooks.
    pub api_version: String,
    /// Cost points restored per second (Standard 100, Advanced 200, Plus 1000).
    pub restore_rate: f64,
    /// Size of the cost bucket.
    pub bucket_size: f64,
    /// Shopify refuses any single query whose requested cost is above this.
    pub max_query_cost: u64,
}

impl Default for ShopifySimConfig {
    fn default() -> Self {
        Self {
            access_token: "shpat_sim_token".into(),
            client_secret: "sim_client_secret".into(),
            api_version: "2026-04".into(),
            restore_rate: 100.0,
            bucket_size: 2000.0,
            max_query_cost: 1000,
        }
    }
}

/// A running simulated shop.
pub struct ShopifySim {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl ShopifySim {
    /// Binds 127.0.0.1 on a free port and serves in a spawned task.
    pub async fn start(config: ShopifySimConfig) -> std::io::Result<Arc<ShopifySim>> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(std::io::Error::other)?;
        let shared = Arc::new(Shared {
            journal: crate::Journal::default(),
            recorder: Arc::default(),
            state: Mutex::new(SimState {
                store: Store::new(),
                bucket: Bucket::new(config.bucket_size, config.restore_rate),
                stats: SimStats::default(),
                webhook_target: None,
                webhook_failures: 0,
            }),
            config,
            http,
        });
        let app = server::router(shared.clone());
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "shopify sim: server stopped");
            }
        });
        Ok(Arc::new(ShopifySim { addr, shared }))
    }

    pub fn config(&self) -> &ShopifySimConfig {
        &self.shared.config
    }

    /// The shop's one location, as a GID.
    pub fn location_gid(&self) -> String {
        schema::gid("Location", self.shared.lock().store.location_id)
    }

    /// The GraphQL endpoint for the configured API version.
    pub fn graphql_url(&self) -> String {
        format!(
            "{}/admin/api/{}/graphql.json",
            self.base_url(),
            self.shared.config.api_version
        )
    }

    pub fn inventory_item_gid(&self, sku: &str) -> Option<String> {
        let st = self.shared.lock();
        st.store
            .variant_by_sku(sku)
            .map(|v| schema::gid("InventoryItem", v.inventory_item_id))
    }

    pub fn variant_gid(&self, sku: &str) -> Option<String> {
        let st = self.shared.lock();
        st.store
            .variant_by_sku(sku)
            .map(|v| schema::gid("ProductVariant", v.variant_id))
    }

    /// Number of fulfillments recorded on an order.
    pub fn fulfillment_count(&self, order_id: &str) -> usize {
        let st = self.shared.lock();
        parse_order_id(order_id)
            .and_then(|id| st.store.orders.get(&id))
            .map_or(0, |o| o.fulfillments.len())
    }

    /// Reasons of the seller cancellations (`orderCancel`) the order received, in order.
    pub fn seller_cancellations(&self, order_id: &str) -> Vec<String> {
        let st = self.shared.lock();
        parse_order_id(order_id)
            .and_then(|id| st.store.orders.get(&id))
            .map(|o| o.seller_cancellations.clone())
            .unwrap_or_default()
    }

    /// Whether the order is cancelled on the shop.
    pub fn is_cancelled(&self, order_id: &str) -> bool {
        let st = self.shared.lock();
        parse_order_id(order_id)
            .and_then(|id| st.store.orders.get(&id))
            .is_some_and(|o| o.cancelled_at.is_some())
    }

    /// Shopify's fraud analysis rates the order `level` (`LOW`, `MEDIUM`, `HIGH`, `NONE`,
    /// `PENDING`); no webhook is sent (polling sees the new `updatedAt`). False for an
    /// unknown order.
    pub fn set_risk_level(&self, order_id: &str, level: &'static str) -> bool {
        let mut st = self.shared.lock();
        parse_order_id(order_id).is_some_and(|id| st.store.set_risk_level(id, level, Self::now()))
    }

    /// The order as its REST/webhook JSON.
    pub fn order_json(&self, order_id: &str) -> Option<Value> {
        let st = self.shared.lock();
        let id = parse_order_id(order_id)?;
        st.store.orders.get(&id).map(render::rest_order)
    }

    /// The order's numeric line item ids, in order.
    pub fn line_item_ids(&self, order_id: &str) -> Vec<String> {
        let st = self.shared.lock();
        parse_order_id(order_id)
            .and_then(|id| st.store.orders.get(&id))
            .map(|o| o.lines.iter().map(|l| l.id.to_string()).collect())
            .unwrap_or_default()
    }

    /// Webhook deliveries that failed (not retried: polling is the safety net).
    pub fn webhook_failures(&self) -> u64 {
        self.shared.lock().webhook_failures
    }

    /// Empties the cost bucket, as a burst of other traffic would.
    pub fn drain_bucket(&self) {
        self.shared.lock().bucket.drain();
    }

    async fn send(&self, event: Event, fate: WebhookFate) {
        let target = self.shared.lock().webhook_target.clone();
        let (sent, failed) = webhooks::deliver(&self.shared, target, event, fate).await;
        let mut st = self.shared.lock();
        st.stats.webhooks_sent += sent;
        st.webhook_failures += failed;
    }

    fn now() -> DateTime<Utc> {
        Utc::now()
    }
}

fn parse_order_id(id: &str) -> Option<u64> {
    schema::parse_gid("Order", id.trim())
}

#[async_trait]
impl SimulatedChannel for ShopifySim {
    fn seller_cancellation_record(&self, order_id: &str) -> Vec<String> {
        self.seller_cancellations(order_id)
    }

    fn kind(&self) -> &'static str {
        "shopify"
    }

    fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn set_webhook_target(&self, url: &str) {
        self.shared.lock().webhook_target = Some(url.to_string());
    }

    fn add_product(&self, sku: &str, title: &str, price: &str, quantity: i64) {
        let price = Decimal::from_str(price.trim()).unwrap_or(Decimal::ZERO);
        self.shared
            .lock()
            .store
            .add_product(sku, title, price, quantity);
    }

    async fn place_order(&self, spec: OrderSpec) -> String {
        let (id, body) = {
            let mut st = self.shared.lock();
            let id = st
                .store
                .create_order(&spec.lines, spec.paid, &spec.email, Self::now());
            let body = st
                .store
                .orders
                .get(&id)
                .map(|o| render::rest_order(o).to_string())
                .unwrap_or_default();
            (id, body)
        };
        let event = Event {
            topic: "orders/create",
            order_id: id.to_string(),
            body: body.into_bytes(),
        };
        self.send(event, spec.fate).await;
        id.to_string()
    }

    async fn cancel_order(&self, order_id: &str, fate: WebhookFate) {
        let body = {
            let mut st = self.shared.lock();
            let Some(id) = parse_order_id(order_id) else {
                return;
            };
            if !st.store.cancel_order(id, Self::now()) {
                return;
            }
            st.store
                .orders
                .get(&id)
                .map(|o| render::rest_order(o).to_string())
                .unwrap_or_default()
        };
        let event = Event {
            topic: "orders/cancelled",
            order_id: order_id.to_string(),
            body: body.into_bytes(),
        };
        self.send(event, fate).await;
    }

    fn stock(&self, sku: &str) -> Option<i64> {
        self.shared
            .lock()
            .store
            .variant_by_sku(sku)
            .map(|v| v.available)
    }

    fn set_stock(&self, sku: &str, quantity: i64) {
        let mut st = self.shared.lock();
        if let Some(v) = st.store.variant_by_sku_mut(sku) {
            v.available = quantity;
        }
    }

    fn shipments(&self, order_id: &str) -> Vec<RecordedShipment> {
        let st = self.shared.lock();
        let Some(id) = parse_order_id(order_id) else {
            return Vec::new();
        };
        st.store
            .shipments
            .iter()
            .filter(|s| s.order_id == id)
            .map(|s| RecordedShipment {
                carrier: s.company.clone(),
                tracking_number: s.number.clone(),
            })
            .collect()
    }

    fn refunds(&self, order_id: &str) -> Vec<RecordedRefund> {
        let st = self.shared.lock();
        let Some(order) = parse_order_id(order_id).and_then(|id| st.store.orders.get(&id)) else {
            return Vec::new();
        };
        order
            .refunds
            .iter()
            .map(|r| RecordedRefund {
                id: r.id.to_string(),
                amount: format!("{:.2}", r.amount),
                lines: r.lines.iter().map(|(l, q)| (l.to_string(), *q)).collect(),
                note: r.note.clone().unwrap_or_default(),
            })
            .collect()
    }

    fn stats(&self) -> SimStats {
        self.shared.lock().stats
    }

    /// Opens a return of fulfilled units as staff do with `returnCreate` (status `OPEN`),
    /// served as `Order.returns`; refused (`None`) for units not fulfilled or already on a
    /// return.
    async fn open_return(&self, order_id: &str, lines: &[(String, u32)]) -> Option<String> {
        let order = parse_order_id(order_id)?;
        let mut wanted = Vec::new();
        for (line, qty) in lines {
            wanted.push((schema::parse_gid("LineItem", line)?, *qty));
        }
        let mut st = self.shared.lock();
        st.store
            .open_return(order, &wanted, Self::now())
            .map(|id| id.to_string())
    }

    fn journal(&self) -> &crate::Journal {
        &self.shared.journal
    }

    fn recorder(&self) -> &crate::Recorder {
        &self.shared.recorder
    }

    fn sends_order_webhooks(&self) -> bool {
        true
    }

    /// As `productVariants` answers the connector's discovery.
    fn listing_reference(&self, sku: &str) -> Option<Value> {
        let st = self.shared.lock();
        st.store.variant_by_sku(sku).map(|v| {
            serde_json::json!({
                "inventory_item_id": schema::gid("InventoryItem", v.inventory_item_id),
                "variant_id": schema::gid("ProductVariant", v.variant_id),
            })
        })
    }
}
