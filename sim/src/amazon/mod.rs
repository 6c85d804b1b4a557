//! An Amazon selling-partner account: Login with Amazon tokens (lifetime configurable),
//! Orders API 2026-01-01 and v0, Listings Items 2021-08-01, Feeds 2021-06-30 with
//! `JSON_LISTINGS_FEED` processing and its report, v0 `confirmShipment`, per-operation usage
//! plans (429 `QuotaExceeded` and `x-amzn-RateLimit-Limit`), and `ORDER_CHANGE` notifications
//! posted as an EventBridge API destination would, with its API-key header.

mod auth;
mod errors;
mod feeds;
mod limits;
mod listings;
mod notify;
mod orders;
mod store;
mod tokens;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};

use crate::{OrderSpec, RecordedShipment, SimStats, SimulatedChannel, WebhookFate};
use store::{SimItem, SimListing, SimOrder, Store, next_updated, now, parse_cents};

pub use limits::{Plan, default_plans};

/// Messages one `JSON_LISTINGS_FEED` may carry.
pub const MAX_STOCK_BATCH: usize = 25_000;

/// Largest feed document the simulated S3 accepts.
const UPLOAD_LIMIT: usize = 256 * 1024 * 1024;
pub use store::{Confirmation, NotificationRecord};

/// How the simulated account is set up.
#[derive(Debug, Clone)]
pub struct AmazonSimConfig {
    pub client_id: String,
    pub client_secret: String,
    pub refresh_token: String,
    pub seller_id: String,
    pub marketplace_id: String,
    /// How long an access token works (Amazon: one hour; tests: about a second).
    pub token_lifetime: Duration,
    /// Usage plan per operation id (`getOrder`, `searchOrders`, …); Amazon's defaults unless
    /// overridden.
    pub rate_limits: BTreeMap<String, Plan>,
    /// How long a feed stays `IN_QUEUE`/`IN_PROGRESS` before it is processed.
    pub feed_processing_delay: Duration,
    /// Header name and value the EventBridge API destination's connection sends.
    pub notification_api_key_header: String,
    pub notification_api_key: String,
    /// Whether the application holds Amazon's PII role; without it `createRestrictedDataToken`
    /// is refused (403).
    pub pii_role: bool,
}

impl Default for AmazonSimConfig {
    fn default() -> Self {
        Self {
            client_id: "amzn1.application-oa2-client.sim0000000000".into(),
            client_secret: "amzn1.oa2-cs.v1.sim-secret".into(),
            refresh_token: "Atzr|sim-refresh-token".into(),
            seller_id: "A1SIMSELLER0001".into(),
            marketplace_id: "ATVPDKIKX0DER".into(),
            token_lifetime: Duration::from_secs(3600),
            rate_limits: default_plans(),
            feed_processing_delay: Duration::from_secs(2),
            notification_api_key_header: "x-api-key".into(),
            notification_api_key: "amazon-sim-destination-key".into(),
            pii_role: true,
        }
    }
}

impl AmazonSimConfig {
    /// Replaces one operation's usage plan.
    pub fn with_plan(mut self, operation: &str, rate: f64, burst: u32) -> Self {
        self.rate_limits
            .insert(operation.to_string(), Plan { rate, burst });
        self
    }
}

/// State shared by the routes and the test-facing handle.
pub(crate) struct Shared {
    config: AmazonSimConfig,
    journal: crate::Journal,
    recorder: Arc<crate::Recorder>,
    base_url: String,
    store: Mutex<Store>,
    target: Mutex<Option<String>>,
    http: reqwest::Client,
}

impl Shared {
    /// Runs `f` on the store; stock levels it wrote go to the journal before the lock is let go.
    fn with_store<R>(&self, f: impl FnOnce(&mut Store) -> R) -> R {
        let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        let out = f(&mut store);
        for (sku, level, at) in store.written.drain(..) {
            self.journal.stock_written_at(&sku, level, at);
        }
        out
    }

    fn plan(&self, operation: &str) -> Plan {
        self.config
            .rate_limits
            .get(operation)
            .copied()
            .unwrap_or(Plan {
                rate: 1.0,
                burst: 1,
            })
    }

    fn webhook_target(&self) -> Option<String> {
        self.target
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// A running simulated Amazon account.
pub struct AmazonSim {
    shared: Arc<Shared>,
    addr: SocketAddr,
}

/// Binds 127.0.0.1 on a free port and serves in a spawned task.
pub async fn start(config: AmazonSimConfig) -> std::io::Result<Arc<AmazonSim>> {
    AmazonSim::start(config).await
}

impl AmazonSim {
    pub async fn start(config: AmazonSimConfig) -> std::io::Result<Arc<AmazonSim>> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            journal: crate::Journal::default(),
            recorder: Arc::default(),
            base_url: format!("http://{addr}"),
            store: Mutex::new(Store::default()),
            target: Mutex::new(None),
            http: reqwest::Client::new(),
            config,
        });
        let app = router(Arc::clone(&shared));
        tokio::spawn(async move {
            if let Err(err) = axum::serve(listener, app).await {
                tracing::error!(%err, "amazon simulator stopped");
            }
        });
        Ok(Arc::new(AmazonSim { shared, addr }))
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn config(&self) -> &AmazonSimConfig {
        &self.shared.config
    }

    /// The Login with Amazon endpoint to put in the channel's `token_url`.
    pub fn token_url(&self) -> String {
        format!("{}/auth/o2/token", self.shared.base_url)
    }

    /// Access tokens handed out so far.
    pub fn tokens_issued(&self) -> u64 {
        self.shared.with_store(|s| s.tokens_issued)
    }

    /// Restricted Data Tokens issued by the Tokens API.
    pub fn rdts_issued(&self) -> u64 {
        self.shared.with_store(|s| s.rdts_issued)
    }

    /// Makes every access token handed out so far expire now.
    pub fn expire_tokens(&self) {
        let now = Instant::now();
        self.shared
            .with_store(|s| s.tokens.values_mut().for_each(|until| *until = now));
    }

    /// Requests served for one operation id.
    pub fn requests_for(&self, operation: &str) -> u64 {
        self.shared
            .with_store(|s| s.requests_by_operation.get(operation).copied().unwrap_or(0))
    }

    /// Adds a listing Amazon fulfills (FBA): its quantity is Amazon's and cannot be set.
    pub fn add_fba_product(&self, sku: &str, title: &str, price: &str, quantity: i64) {
        self.insert_listing(sku, title, price, quantity, true);
    }

    /// Places an order Amazon fulfills from its own stock.
    pub async fn place_fba_order(&self, spec: OrderSpec) -> String {
        self.place(spec, true).await
    }

    /// The 2026 `fulfillmentStatus` of an order.
    pub fn order_status(&self, order_id: &str) -> Option<&'static str> {
        self.shared
            .with_store(|s| s.order(order_id).map(|o| o.status))
    }

    /// Order item ids of an order, in order.
    pub fn order_item_ids(&self, order_id: &str) -> Vec<String> {
        self.shared.with_store(|s| {
            s.order(order_id)
                .map(|o| o.items.iter().map(|i| i.item_id.clone()).collect())
                .unwrap_or_default()
        })
    }

    /// Every package confirmed on an order, oldest first.
    pub fn confirmations(&self, order_id: &str) -> Vec<Confirmation> {
        self.shared.with_store(|s| {
            s.order(order_id)
                .map(|o| o.confirmations.clone())
                .unwrap_or_default()
        })
    }

    /// Every notification posted (or attempted), oldest first.
    pub fn notification_log(&self) -> Vec<NotificationRecord> {
        self.shared.with_store(|s| s.notifications.clone())
    }

    /// Feeds created so far: `(feedId, feedType, processingStatus)`.
    pub fn feeds(&self) -> Vec<(String, String, &'static str)> {
        self.shared.with_store(|s| {
            s.feeds
                .iter()
                .map(|f| (f.id.clone(), f.feed_type.clone(), f.status))
                .collect()
        })
    }

    fn insert_listing(&self, sku: &str, title: &str, price: &str, quantity: i64, fba: bool) {
        self.shared.with_store(|s| {
            s.listings.insert(
                sku.to_string(),
                SimListing {
                    title: title.to_string(),
                    price_cents: parse_cents(price).unwrap_or(0),
                    quantity,
                    fulfilled_by_amazon: fba,
                },
            );
        });
    }

    async fn place(&self, spec: OrderSpec, fba: bool) -> String {
        let id = self.shared.with_store(|s| {
            let id = s.new_order_id();
            let items = spec
                .lines
                .iter()
                .map(|(sku, quantity)| {
                    let n = s.next();
                    let listing = s.listings.get(sku);
                    SimItem {
                        item_id: format!("{:014}", 60_000_000_000_000u64 + n),
                        sku: sku.clone(),
                        title: listing.map(|l| l.title.clone()).unwrap_or_default(),
                        quantity: *quantity,
                        unit_cents: listing.map_or(0, |l| l.price_cents),
                    }
                })
                .collect();
            let at = now();
            s.orders.push(SimOrder {
                id: id.clone(),
                created: at,
                updated: at,
                status: if spec.paid { "UNSHIPPED" } else { "PENDING" },
                fulfilled_by_amazon: fba,
                items,
                email: spec.email.clone(),
                confirmations: Vec::new(),
            });
            id
        });
        notify::order_change(&self.shared, &id, "OrderStatusChange", spec.fate).await;
        id
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/auth/o2/token", post(auth::token))
        .route(
            "/tokens/2021-03-01/restrictedDataToken",
            post(tokens::create),
        )
        .route("/orders/2026-01-01/orders", get(orders::search_orders))
        .route("/orders/2026-01-01/orders/{id}", get(orders::get_order))
        .route("/orders/v0/orders", get(orders::get_orders_v0))
        .route("/orders/v0/orders/{id}", get(orders::get_order_v0))
        .route(
            "/orders/v0/orders/{id}/orderItems",
            get(orders::get_order_items),
        )
        .route(
            "/orders/v0/orders/{id}/address",
            get(orders::get_order_address),
        )
        .route(
            "/orders/v0/orders/{id}/shipmentConfirmation",
            post(orders::confirm_shipment),
        )
        .route(
            "/listings/2021-08-01/items/{seller}/{sku}",
            get(listings::get_item).patch(listings::patch_item),
        )
        .route("/feeds/2021-06-30/documents", post(feeds::create_document))
        .route("/feeds/2021-06-30/documents/{id}", get(feeds::get_document))
        .route("/feeds/2021-06-30/feeds", post(feeds::create_feed))
        .route("/feeds/2021-06-30/feeds/{id}", get(feeds::get_feed))
        // A pre-signed S3 PUT takes objects far larger than axum's 2 MB default; a full
        // 25,000-message listings feed is several megabytes.
        .route(
            "/sim-s3/upload/{id}",
            put(feeds::upload).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route("/sim-s3/download/{id}", get(feeds::download))
        .fallback(|| async { errors::sp_error(404, "NotFound", "Resource not found.", "") })
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&shared.recorder),
            crate::record::layer,
        ))
        .with_state(shared)
}

#[async_trait]
impl SimulatedChannel for AmazonSim {
    fn kind(&self) -> &'static str {
        "amazon"
    }

    fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    fn set_webhook_target(&self, url: &str) {
        *self.shared.target.lock().unwrap_or_else(|e| e.into_inner()) = Some(url.to_string());
    }

    fn add_product(&self, sku: &str, title: &str, price: &str, quantity: i64) {
        self.insert_listing(sku, title, price, quantity, false);
    }

    async fn place_order(&self, spec: OrderSpec) -> String {
        self.place(spec, false).await
    }

    async fn cancel_order(&self, order_id: &str, fate: WebhookFate) {
        let changed = self.shared.with_store(|s| {
            let order = s.order_mut(order_id)?;
            order.status = "CANCELLED";
            order.updated = next_updated(order.updated);
            Some(())
        });
        if changed.is_some() {
            notify::order_change(&self.shared, order_id, "OrderStatusChange", fate).await;
        }
    }

    fn stock(&self, sku: &str) -> Option<i64> {
        self.shared
            .with_store(|s| s.listings.get(sku).map(|l| l.quantity))
    }

    fn set_stock(&self, sku: &str, quantity: i64) {
        self.shared.with_store(|s| {
            if let Some(l) = s.listings.get_mut(sku) {
                l.quantity = quantity;
            }
        });
    }

    fn shipments(&self, order_id: &str) -> Vec<RecordedShipment> {
        self.confirmations(order_id)
            .into_iter()
            .map(|c| RecordedShipment {
                carrier: c.carrier_name.unwrap_or(c.carrier_code),
                tracking_number: c.tracking_number,
            })
            .collect()
    }

    fn stats(&self) -> SimStats {
        self.shared.with_store(|s| s.stats)
    }

    fn journal(&self) -> &crate::Journal {
        &self.shared.journal
    }

    fn recorder(&self) -> &crate::Recorder {
        &self.shared.recorder
    }

    /// `ORDER_CHANGE` through the EventBridge API destination.
    fn sends_order_webhooks(&self) -> bool {
        true
    }

    /// As `getListingsItem` shows it: merchant-fulfilled `DEFAULT`, or Amazon's network.
    fn listing_reference(&self, sku: &str) -> Option<serde_json::Value> {
        self.shared.with_store(|s| {
            s.listings.get(sku).map(|l| {
                let code = if l.fulfilled_by_amazon {
                    "AMAZON_NA"
                } else {
                    "DEFAULT"
                };
                serde_json::json!({"sku": sku, "fulfillment_channel_code": code})
            })
        })
    }
}

#[cfg(test)]
mod tests;
