//! A BigCommerce store: REST under `/stores/{store_hash}` with `X-Auth-Token`, V2 orders (RFC
//! 2822 times, four-decimal money, 204 for empty lists, linked sub-resources) and shipments, V3
//! catalog variants and absolute inventory adjustments, a fixed-window request quota with the
//! `X-Rate-Limit-*` headers and 429s, and thin webhooks signed the Standard Webhooks way.

mod catalog;
mod guard;
mod orders;
mod refunds;
mod store;
mod webhooks;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use axum::Router;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post, put};
use serde_json::{Value, json};

use crate::{OrderSpec, RecordedRefund, RecordedShipment, SimStats, SimulatedChannel, WebhookFate};
use store::{OrderProduct, SimOrder, Store, Variant, next_modified, now, order_json, parse_cents};

pub use webhooks::{SentWebhook, sign as sign_webhook};

/// Items one absolute inventory adjustment may carry.
pub const MAX_STOCK_BATCH: usize = catalog::MAX_ADJUSTMENT_ITEMS;

/// How the simulated store is set up.
#[derive(Debug, Clone)]
pub struct BigCommerceSimConfig {
    pub store_hash: String,
    /// The numeric store id webhooks carry.
    pub store_id: String,
    /// The API account's access token (`X-Auth-Token`).
    pub access_token: String,
    /// The app's client secret, which keys webhook signatures.
    pub client_secret: String,
    /// Requests allowed per window (Standard plans 150, Pro 450).
    pub requests_quota: u32,
    pub window_ms: u64,
    /// The inventory location adjustments must name.
    pub location_id: u64,
    pub currency: String,
}

impl Default for BigCommerceSimConfig {
    fn default() -> Self {
        Self {
            store_hash: "sim7x3k9q".into(),
            store_id: "900100".into(),
            access_token: "bc-sim-access-token".into(),
            client_secret: "bc-sim-client-secret".into(),
            requests_quota: 150,
            window_ms: 30_000,
            location_id: 1,
            currency: "USD".into(),
        }
    }
}

/// State shared by the routes and the test-facing handle.
pub(crate) struct Shared {
    config: BigCommerceSimConfig,
    journal: crate::Journal,
    recorder: Arc<crate::Recorder>,
    base_url: String,
    store: Mutex<Store>,
    window: Mutex<guard::Window>,
    target: Mutex<Option<String>>,
    http: reqwest::Client,
}

impl Shared {
    /// Runs `f` on the store; stock levels it wrote go to the journal before the lock is let go.
    fn with_store<R>(&self, f: impl FnOnce(&mut Store) -> R) -> R {
        let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        let out = f(&mut store);
        for (sku, level) in store.written.drain(..) {
            self.journal.stock_written(&sku, level);
        }
        out
    }

    fn with_window<R>(&self, f: impl FnOnce(&mut guard::Window) -> R) -> R {
        let mut window = self.window.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut window)
    }

    fn webhook_target(&self) -> Option<String> {
        self.target
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// `{base}/stores/{hash}`, the root every API path hangs from.
    fn api_root(&self) -> String {
        format!("{}/stores/{}", self.base_url, self.config.store_hash)
    }
}

/// A running simulated BigCommerce store.
pub struct BigCommerceSim {
    shared: Arc<Shared>,
    addr: SocketAddr,
}

/// Binds 127.0.0.1 on a free port and serves in a spawned task.
pub async fn start(config: BigCommerceSimConfig) -> std::io::Result<Arc<BigCommerceSim>> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let window = guard::Window::new(
        config.requests_quota,
        Duration::from_millis(config.window_ms),
    );
    let shared = Arc::new(Shared {
        journal: crate::Journal::default(),
        recorder: Arc::default(),
        base_url: format!("http://{addr}"),
        store: Mutex::new(Store::default()),
        window: Mutex::new(window),
        target: Mutex::new(None),
        http: reqwest::Client::new(),
        config,
    });
    let app = router(Arc::clone(&shared));
    tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, app).await {
            tracing::error!(%err, "bigcommerce simulator stopped");
        }
    });
    Ok(Arc::new(BigCommerceSim { shared, addr }))
}

fn router(shared: Arc<Shared>) -> Router {
    let root = format!("/stores/{}", shared.config.store_hash);
    Router::new()
        .route(&format!("{root}/v2/orders"), get(orders::list))
        .route(
            &format!("{root}/v2/orders/{{id}}"),
            get(orders::get_one).put(orders::update),
        )
        .route(
            &format!("{root}/v2/orders/{{id}}/products"),
            get(orders::products),
        )
        .route(
            &format!("{root}/v2/orders/{{id}}/shipping_addresses"),
            get(orders::shipping_addresses),
        )
        .route(
            &format!("{root}/v2/orders/{{id}}/shipments"),
            get(orders::list_shipments).post(orders::create_shipment),
        )
        .route(
            &format!("{root}/v3/orders/{{id}}/payment_actions/refund_quotes"),
            post(refunds::quote),
        )
        .route(
            &format!("{root}/v3/orders/{{id}}/payment_actions/refunds"),
            get(refunds::list).post(refunds::create),
        )
        .route(
            &format!("{root}/v3/catalog/variants"),
            get(catalog::variants),
        )
        .route(
            &format!("{root}/v3/inventory/adjustments/absolute"),
            put(catalog::absolute),
        )
        .route_layer(from_fn_with_state(Arc::clone(&shared), guard::guard))
        .fallback(|| async {
            guard::v2_error(
                StatusCode::NOT_FOUND,
                "The requested resource was not found.",
            )
        })
        .layer(from_fn_with_state(
            Arc::clone(&shared.recorder),
            crate::record::layer,
        ))
        .with_state(shared)
}

impl BigCommerceSim {
    /// The address the store listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn config(&self) -> &BigCommerceSimConfig {
        &self.shared.config
    }

    /// `(variant_id, product_id)` of the variant carrying `sku`.
    pub fn variant_ids(&self, sku: &str) -> Option<(u64, u64)> {
        self.shared
            .with_store(|s| s.variant_by_sku(sku).map(|v| (v.id, v.product_id)))
    }

    /// The order as `GET /v2/orders/{id}` renders it.
    pub fn order_json(&self, order_id: &str) -> Option<Value> {
        let id: u64 = order_id.parse().ok()?;
        let api = self.shared.api_root();
        self.shared.with_store(|s| {
            s.order(id)
                .map(|o| order_json(o, &api, &self.shared.config.currency))
        })
    }

    pub fn order_status_id(&self, order_id: &str) -> Option<u64> {
        let id: u64 = order_id.parse().ok()?;
        self.shared.with_store(|s| s.order(id).map(|o| o.status_id))
    }

    /// Every webhook the store fired, oldest first (duplicates twice, lost ones not at all).
    pub fn sent_webhooks(&self) -> Vec<SentWebhook> {
        self.shared.with_store(|s| s.webhook_log.clone())
    }

    /// Spends the rest of the current quota window, as another app on the same store would.
    pub fn exhaust_quota(&self) {
        self.shared.with_window(guard::Window::exhaust);
    }

    /// Every `status_id` change made through `PUT /v2/orders/{id}`, (from, to), in order.
    pub fn status_changes(&self, order_id: &str) -> Vec<(u64, u64)> {
        let Ok(id) = order_id.parse::<u64>() else {
            return Vec::new();
        };
        self.shared
            .with_store(|s| s.order(id).map(|o| o.status_changes.clone()))
            .unwrap_or_default()
    }

    /// The order's `staff_notes`.
    pub fn staff_notes(&self, order_id: &str) -> Option<String> {
        let id = order_id.parse::<u64>().ok()?;
        self.shared
            .with_store(|s| s.order(id).map(|o| o.staff_notes.clone()))
    }

    /// Changes an order's status as the merchant would, firing `store/order/statusUpdated`.
    pub async fn set_order_status(&self, order_id: &str, status_id: u64, fate: WebhookFate) {
        let Ok(id) = order_id.parse::<u64>() else {
            return;
        };
        let previous = self.shared.with_store(|s| {
            let order = s.order_mut(id)?;
            let previous = order.status_id;
            order.status_id = status_id;
            order.modified = next_modified(order.modified);
            Some(previous)
        });
        if let Some(previous) = previous {
            let status = json!({"previous_status_id": previous, "new_status_id": status_id});
            let (msg, body) =
                webhooks::event(&self.shared, "store/order/statusUpdated", id, Some(status));
            webhooks::deliver(&self.shared, &msg, order_id, body, fate).await;
        }
    }
}

#[async_trait]
impl SimulatedChannel for BigCommerceSim {
    fn seller_cancellation_record(&self, order_id: &str) -> Vec<String> {
        let notes = self.staff_notes(order_id).unwrap_or_default();
        self.status_changes(order_id)
            .into_iter()
            .filter(|(_, to)| *to == 5)
            .map(|_| format!("status_id 5: {notes}"))
            .collect()
    }

    fn kind(&self) -> &'static str {
        "bigcommerce"
    }

    fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    fn set_webhook_target(&self, url: &str) {
        *self.shared.target.lock().unwrap_or_else(|e| e.into_inner()) = Some(url.to_string());
    }

    fn add_product(&self, sku: &str, title: &str, price: &str, quantity: i64) {
        self.shared.with_store(|s| {
            let product_id = s.next_id();
            let id = s.next_id();
            s.add_variant(Variant {
                id,
                product_id,
                sku: sku.to_string(),
                name: title.to_string(),
                price_cents: parse_cents(price).unwrap_or(0),
                inventory_level: quantity,
            });
        });
    }

    async fn place_order(&self, spec: OrderSpec) -> String {
        let id = self.shared.with_store(|s| {
            let id = s.next_id();
            let address_id = s.next_id();
            let mut lines = Vec::with_capacity(spec.lines.len());
            for (sku, quantity) in &spec.lines {
                let line_id = s.next_id();
                let variant = s.variant_by_sku(sku).cloned();
                lines.push(OrderProduct {
                    id: line_id,
                    product_id: variant.as_ref().map_or(0, |v| v.product_id),
                    variant_id: variant.as_ref().map_or(0, |v| v.id),
                    name: variant
                        .as_ref()
                        .map_or_else(|| sku.clone(), |v| v.name.clone()),
                    sku: sku.clone(),
                    price_cents: variant.as_ref().map_or(0, |v| v.price_cents),
                    quantity: *quantity,
                    quantity_shipped: 0,
                });
            }
            let created = now();
            s.orders.push(SimOrder {
                id,
                // Paid orders wait for fulfillment; unpaid ones for payment.
                status_id: if spec.paid { 11 } else { 7 },
                payment_status: if spec.paid { "captured" } else { "pending" }.into(),
                created,
                modified: created,
                email: spec.email.clone(),
                address_id,
                lines,
                shipments: Vec::new(),
                staff_notes: String::new(),
                status_changes: Vec::new(),
                refunds: Vec::new(),
            });
            id
        });
        let (msg, body) = webhooks::event(&self.shared, "store/order/created", id, None);
        webhooks::deliver(&self.shared, &msg, &id.to_string(), body, spec.fate).await;
        id.to_string()
    }

    async fn cancel_order(&self, order_id: &str, fate: WebhookFate) {
        self.set_order_status(order_id, 5, fate).await;
    }

    fn stock(&self, sku: &str) -> Option<i64> {
        self.shared
            .with_store(|s| s.variant_by_sku(sku).map(|v| v.inventory_level))
    }

    fn set_stock(&self, sku: &str, quantity: i64) {
        self.shared.with_store(|s| {
            if let Some(v) = s.variant_by_sku_mut(sku) {
                v.inventory_level = quantity;
            }
        });
    }

    fn shipments(&self, order_id: &str) -> Vec<RecordedShipment> {
        let Ok(id) = order_id.parse::<u64>() else {
            return Vec::new();
        };
        self.shared.with_store(|s| {
            s.order(id)
                .map(|o| {
                    o.shipments
                        .iter()
                        .map(|sh| RecordedShipment {
                            carrier: if sh.tracking_carrier.is_empty() {
                                sh.shipping_provider.clone()
                            } else {
                                sh.tracking_carrier.clone()
                            },
                            tracking_number: sh.tracking_number.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default()
        })
    }

    fn refunds(&self, order_id: &str) -> Vec<RecordedRefund> {
        let Ok(id) = order_id.parse::<u64>() else {
            return Vec::new();
        };
        self.shared.with_store(|s| {
            s.order(id)
                .map(|o| {
                    o.refunds
                        .iter()
                        .map(|r| RecordedRefund {
                            id: r.id.to_string(),
                            amount: refunds::two_places(r.total_cents()),
                            lines: r
                                .items
                                .iter()
                                .map(|(l, q, ..)| (l.to_string(), *q))
                                .collect(),
                            note: r
                                .items
                                .iter()
                                .map(|(.., reason)| reason.as_str())
                                .collect::<Vec<_>>()
                                .join("; "),
                        })
                        .collect()
                })
                .unwrap_or_default()
        })
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

    fn sends_order_webhooks(&self) -> bool {
        true
    }

    /// As the V3 variants search shows it.
    fn listing_reference(&self, sku: &str) -> Option<serde_json::Value> {
        self.shared.with_store(|s| {
            s.variant_by_sku(sku)
                .map(|v| serde_json::json!({"variant_id": v.id, "product_id": v.product_id}))
        })
    }
}

#[cfg(test)]
mod tests;
