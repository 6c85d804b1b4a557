//! An Etsy shop behind Open API v3: the OAuth token endpoint with rotating refresh tokens and
//! expiring access tokens, `x-api-key` (`keystring:shared_secret`) and Bearer checks, receipts
//! with Etsy's filters and `limit`/`offset` pages, listings and their inventories (a PUT
//! replaces the whole products/offerings set), tracking write-back, the four rate-limit
//! headers and 429s with `retry-after`.
//!
//! Webhooks: Etsy's `order.paid` webhook exists only for commercial apps, so this simulator
//! sends none and `WebhookFate` is ignored; orders are found by polling.

mod guard;
mod routes;
mod store;

use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::{OrderSpec, RecordedShipment, SimStats, SimulatedChannel, WebhookFate};
use guard::Gate;
/// Listings one inventory write carries: `updateListingInventory` replaces one listing's.
pub const MAX_STOCK_BATCH: usize = 1;

use store::{Offering, Product, Receipt, SimListing, Store, Transaction};

/// How the simulated shop is set up.
#[derive(Debug, Clone)]
pub struct EtsySimConfig {
    /// The app's API keystring (OAuth `client_id`).
    pub keystring: String,
    /// When set, `x-api-key` must be `keystring:shared_secret`, as Etsy now requires.
    pub shared_secret: Option<String>,
    /// The refresh token the shop owner granted; it stops working once used.
    pub refresh_token: String,
    pub shop_id: u64,
    /// Access-token lifetime (Etsy: one hour).
    pub token_lifetime: Duration,
    /// Requests a wall-clock second (Etsy default 10).
    pub per_second: u32,
    /// Requests a day (Etsy default 10,000).
    pub per_day: u32,
    pub currency: String,
}

impl Default for EtsySimConfig {
    fn default() -> Self {
        Self {
            keystring: "simkeystring0000000000000".into(),
            shared_secret: Some("simsharedsecret".into()),
            refresh_token: "5550001.simseedrefreshtoken".into(),
            shop_id: 31_415_926,
            token_lifetime: Duration::from_secs(3600),
            per_second: 10,
            per_day: 10_000,
            currency: "USD".into(),
        }
    }
}

/// State shared by the routes and the test-facing handle.
pub(crate) struct Shared {
    config: EtsySimConfig,
    journal: crate::Journal,
    recorder: Arc<crate::Recorder>,
    store: Mutex<Store>,
    gate: Mutex<Gate>,
    stats: Mutex<SimStats>,
    webhook_target: Mutex<Option<String>>,
}

impl Shared {
    fn with_store<R>(&self, f: impl FnOnce(&mut Store) -> R) -> R {
        let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut store)
    }

    fn gate(&self) -> MutexGuard<'_, Gate> {
        self.gate.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn count(&self, f: impl FnOnce(&mut SimStats)) {
        f(&mut self.stats.lock().unwrap_or_else(|e| e.into_inner()));
    }
}

/// A running simulated Etsy shop.
pub struct EtsySim {
    shared: Arc<Shared>,
    addr: SocketAddr,
}

/// Binds 127.0.0.1 on a free port and serves in a spawned task.
pub async fn start(config: EtsySimConfig) -> std::io::Result<Arc<EtsySim>> {
    EtsySim::start(config).await
}

impl EtsySim {
    /// Binds 127.0.0.1 on a free port and serves in a spawned task.
    pub async fn start(config: EtsySimConfig) -> std::io::Result<Arc<EtsySim>> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            journal: crate::Journal::default(),
            recorder: Arc::default(),
            gate: Mutex::new(Gate::new(config.refresh_token.clone())),
            store: Mutex::new(Store::default()),
            stats: Mutex::new(SimStats::default()),
            webhook_target: Mutex::new(None),
            config,
        });
        let app = router(Arc::clone(&shared));
        tokio::spawn(async move {
            if let Err(err) = axum::serve(listener, app).await {
                tracing::error!(%err, "etsy simulator stopped");
            }
        });
        Ok(Arc::new(EtsySim { shared, addr }))
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The token endpoint to put in the channel's `token_url`.
    pub fn token_url(&self) -> String {
        format!("http://{}/v3/public/oauth/token", self.addr)
    }

    pub fn config(&self) -> &EtsySimConfig {
        &self.shared.config
    }

    /// The refresh token that works now (the seed until the first refresh).
    pub fn current_refresh_token(&self) -> String {
        self.shared.gate().refresh_token.clone()
    }

    /// Access tokens issued so far.
    pub fn token_grants(&self) -> u64 {
        self.shared.gate().grants
    }

    /// Makes every access token issued so far expire now, as an hour passing would.
    pub fn expire_access_tokens(&self) {
        let now = std::time::Instant::now();
        for expiry in self.shared.gate().access.values_mut() {
            *expiry = now;
        }
    }

    /// Requests left today.
    pub fn remaining_today(&self) -> u32 {
        let used = self.shared.gate().day_used;
        self.shared.config.per_day.saturating_sub(used)
    }

    /// Adds an active listing whose products vary by one property (`property_name`, such as
    /// "Size"), with price, quantity and SKU on that property: `(sku, value, price, quantity)`.
    /// Returns the listing id.
    pub fn add_variation_listing(
        &self,
        title: &str,
        property_name: &str,
        variations: &[(&str, &str, &str, i64)],
    ) -> u64 {
        /// Etsy's first custom variation property.
        const PROPERTY_ID: u64 = 513;
        self.shared.with_store(|s| {
            let id = s.next_id();
            let mut products = Vec::new();
            for (sku, value, price, quantity) in variations {
                let value_id = s.next_id();
                let product_id = s.next_id();
                let offering_id = s.next_id();
                products.push(Product {
                    id: product_id,
                    sku: (*sku).to_string(),
                    property_values: vec![json!({
                        "property_id": PROPERTY_ID,
                        "property_name": property_name,
                        "scale_id": null,
                        "scale_name": null,
                        "value_ids": [value_id],
                        "values": [value],
                    })],
                    offerings: vec![Offering {
                        id: offering_id,
                        price: cents(price),
                        quantity: *quantity,
                        is_enabled: true,
                    }],
                });
            }
            s.add_listing(SimListing {
                id,
                title: title.to_string(),
                state: "active".into(),
                products,
                price_on_property: vec![json!(PROPERTY_ID)],
                quantity_on_property: vec![json!(PROPERTY_ID)],
                sku_on_property: vec![json!(PROPERTY_ID)],
                updated: chrono::Utc::now().timestamp(),
            });
            id
        })
    }

    /// The listing carrying `sku`.
    pub fn listing_of(&self, sku: &str) -> Option<u64> {
        self.shared
            .with_store(|s| s.product_by_sku(sku).map(|(l, _)| l.id))
    }

    /// The product id `sku` has now (Etsy renumbers products on every inventory PUT).
    pub fn product_of(&self, sku: &str) -> Option<u64> {
        self.shared
            .with_store(|s| s.product_by_sku(sku).map(|(_, p)| p.id))
    }

    /// A listing's whole inventory as `GET /listings/{id}/inventory` returns it.
    pub fn listing_inventory(&self, listing_id: u64) -> Option<Value> {
        let currency = self.shared.config.currency.clone();
        self.shared.with_store(|s| {
            s.listing(listing_id)
                .map(|l| store::inventory_json(l, &currency))
        })
    }

    /// The receipt as `GET /shops/{shop_id}/receipts/{id}` returns it.
    pub fn receipt_json(&self, receipt_id: &str) -> Option<Value> {
        let id = receipt_id.parse().ok()?;
        let currency = self.shared.config.currency.clone();
        self.shared
            .with_store(|s| s.receipt(id).map(|r| store::receipt_json(r, &currency)))
    }

    /// Where webhooks would go; Etsy's are not simulated (see the module documentation).
    pub fn webhook_target(&self) -> Option<String> {
        self.shared
            .webhook_target
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// Decimal text as minor units; unreadable prices are zero (a test fixture bug, not input).
fn cents(price: &str) -> i64 {
    Decimal::from_str(price.trim())
        .ok()
        .map(|d| d * Decimal::ONE_HUNDRED)
        .and_then(|d| i64::try_from(d.round()).ok())
        .unwrap_or(0)
}

fn router(shared: Arc<Shared>) -> Router {
    let app = "/v3/application";
    let api = Router::new()
        .route(
            &format!("{app}/shops/{{shop_id}}/receipts"),
            get(routes::list_receipts),
        )
        .route(
            &format!("{app}/shops/{{shop_id}}/receipts/{{receipt_id}}"),
            get(routes::get_receipt),
        )
        .route(
            &format!("{app}/shops/{{shop_id}}/receipts/{{receipt_id}}/tracking"),
            post(routes::create_shipment),
        )
        .route(
            &format!("{app}/shops/{{shop_id}}/listings"),
            get(routes::list_listings),
        )
        .route(
            &format!("{app}/listings/batch/inventory"),
            get(routes::batch_inventory),
        )
        .route(
            &format!("{app}/listings/{{listing_id}}/inventory"),
            get(routes::get_inventory).put(routes::put_inventory),
        )
        .route_layer(from_fn_with_state(Arc::clone(&shared), guard::guard));
    Router::new()
        .route("/v3/public/oauth/token", post(guard::token))
        .merge(api)
        .layer(from_fn_with_state(
            Arc::clone(&shared.recorder),
            crate::record::layer,
        ))
        .with_state(shared)
}

#[async_trait]
impl SimulatedChannel for EtsySim {
    fn kind(&self) -> &'static str {
        "etsy"
    }

    fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn set_webhook_target(&self, url: &str) {
        *self
            .shared
            .webhook_target
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(url.to_string());
    }

    fn add_product(&self, sku: &str, title: &str, price: &str, quantity: i64) {
        self.shared.with_store(|s| {
            let id = s.next_id();
            let product_id = s.next_id();
            let offering_id = s.next_id();
            s.add_listing(SimListing {
                id,
                title: title.to_string(),
                state: "active".into(),
                products: vec![Product {
                    id: product_id,
                    sku: sku.to_string(),
                    property_values: Vec::new(),
                    offerings: vec![Offering {
                        id: offering_id,
                        price: cents(price),
                        quantity,
                        is_enabled: true,
                    }],
                }],
                price_on_property: Vec::new(),
                quantity_on_property: Vec::new(),
                sku_on_property: Vec::new(),
                updated: chrono::Utc::now().timestamp(),
            });
        });
    }

    /// Creates a receipt (`paid`, or `open` awaiting payment); stock is not touched and no
    /// webhook is sent, whatever `spec.fate` says.
    async fn place_order(&self, spec: OrderSpec) -> String {
        let now = chrono::Utc::now().timestamp();
        self.shared.with_store(|s| {
            let id = s.next_id();
            let mut transactions = Vec::new();
            for (sku, quantity) in &spec.lines {
                let found = s.product_by_sku(sku).map(|(l, p)| {
                    (
                        l.id,
                        p.id,
                        l.title.clone(),
                        p.offerings.first().map_or(0, |o| o.price),
                    )
                });
                let (listing_id, product_id, title, price) =
                    found.unwrap_or((0, 0, sku.clone(), 0));
                transactions.push(Transaction {
                    id: s.next_id(),
                    listing_id,
                    product_id,
                    sku: sku.clone(),
                    title,
                    quantity: *quantity,
                    price,
                });
            }
            s.receipts.push(Receipt {
                id,
                buyer_email: spec.email.clone(),
                status: if spec.paid { "paid" } else { "open" }.into(),
                is_paid: spec.paid,
                is_shipped: false,
                created: now,
                updated: now,
                transactions,
                shipments: Vec::new(),
            });
            id.to_string()
        })
    }

    async fn cancel_order(&self, order_id: &str, _fate: WebhookFate) {
        let Ok(id) = order_id.parse::<u64>() else {
            return;
        };
        let now = chrono::Utc::now().timestamp();
        self.shared.with_store(|s| {
            if let Some(r) = s.receipt_mut(id) {
                r.status = "canceled".into();
                r.updated = now.max(r.updated + 1);
            }
        });
    }

    fn stock(&self, sku: &str) -> Option<i64> {
        self.shared.with_store(|s| {
            s.product_by_sku(sku)
                .and_then(|(_, p)| p.offerings.first().map(|o| o.quantity))
        })
    }

    fn set_stock(&self, sku: &str, quantity: i64) {
        self.shared.with_store(|s| {
            if let Some(p) = s.product_by_sku_mut(sku) {
                for o in &mut p.offerings {
                    o.quantity = quantity;
                }
            }
        });
    }

    fn shipments(&self, order_id: &str) -> Vec<RecordedShipment> {
        let Ok(id) = order_id.parse::<u64>() else {
            return Vec::new();
        };
        self.shared.with_store(|s| {
            s.receipt(id)
                .map(|r| {
                    r.shipments
                        .iter()
                        .map(|x| RecordedShipment {
                            carrier: x.carrier_name.clone(),
                            tracking_number: x.tracking_code.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default()
        })
    }

    fn stats(&self) -> SimStats {
        *self.shared.stats.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn journal(&self) -> &crate::Journal {
        &self.shared.journal
    }

    fn recorder(&self) -> &crate::Recorder {
        &self.shared.recorder
    }

    /// `ORDER_PAID` is for commercial apps only; the simulated shop is polled.
    fn sends_order_webhooks(&self) -> bool {
        false
    }

    /// As `getListingsInventoryByListingIds` shows it (the product id changes on every PUT).
    fn listing_reference(&self, sku: &str) -> Option<serde_json::Value> {
        self.shared.with_store(|s| {
            s.product_by_sku(sku)
                .map(|(l, p)| serde_json::json!({"listing_id": l.id, "product_id": p.id}))
        })
    }
}

#[cfg(test)]
mod tests;
