//! A WooCommerce site: REST API v3 under `/wp-json/wc/v3` with consumer-key auth, numbered
//! pages with `X-WP-Total`/`X-WP-TotalPages`, WordPress error bodies, batch stock updates, the
//! Shipment Tracking extension (switchable), signed webhooks, and an optional host rate limit.

mod errors;
mod guard;
mod orders;
mod params;
mod products;
mod refunds;
mod store;
mod tracking;
mod webhooks;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use chrono::{FixedOffset, Offset, Utc};
use serde_json::Value;

use crate::{OrderSpec, RecordedRefund, RecordedShipment, SimStats, SimulatedChannel, WebhookFate};
use store::{
    LineItem, Product, ProductKind, SimOrder, Store, next_modified, order_json, parse_cents,
    truncate,
};

pub use guard::{Refusals, Storm};
pub use store::WebhookRecord;

/// Items one `products/batch` request may carry (`woocommerce_rest_batch_items_limit`).
pub const MAX_STOCK_BATCH: usize = products::BATCH_LIMIT;

/// How the simulated site is set up.
#[derive(Debug, Clone)]
pub struct WooSimConfig {
    pub consumer_key: String,
    pub consumer_secret: String,
    pub webhook_secret: String,
    /// A host's limit in requests per second (core WooCommerce has none): `None` for no limit.
    pub rate_limit_per_second: Option<f64>,
    /// Requests allowed at once under the limit; defaults to the per-second rate.
    pub rate_limit_burst: Option<u32>,
    /// Whether the Shipment Tracking extension is installed.
    pub shipment_tracking: bool,
    /// The site's UTC offset in minutes, which `date_*` (not `date_*_gmt`) fields are in.
    pub utc_offset_minutes: i32,
    pub currency: String,
}

impl Default for WooSimConfig {
    fn default() -> Self {
        Self {
            consumer_key: "ck_simulated0000000000000000000000000000".into(),
            consumer_secret: "cs_simulated0000000000000000000000000000".into(),
            webhook_secret: "woo-sim-webhook-secret".into(),
            rate_limit_per_second: None,
            rate_limit_burst: None,
            shipment_tracking: true,
            utc_offset_minutes: -300,
            currency: "USD".into(),
        }
    }
}

/// State shared by the routes and the test-facing handle.
pub(crate) struct Shared {
    config: WooSimConfig,
    journal: crate::Journal,
    recorder: Arc<crate::Recorder>,
    base_url: String,
    offset: FixedOffset,
    store: Mutex<Store>,
    bucket: Mutex<Option<guard::Bucket>>,
    storm: Mutex<Option<guard::StormState>>,
    target: Mutex<Option<String>>,
    http: reqwest::Client,
}

impl Shared {
    fn with_store<R>(&self, f: impl FnOnce(&mut Store) -> R) -> R {
        let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut store)
    }

    fn webhook_target(&self) -> Option<String> {
        self.target
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// WooCommerce delivers webhooks asynchronously after the save that caused them.
    fn spawn_webhook(self: &Arc<Self>, topic: &'static str, order: &Value, fate: WebhookFate) {
        let Ok(body) = serde_json::to_vec(order) else {
            return;
        };
        let order_id = order.get("id").map(Value::to_string).unwrap_or_default();
        let shared = Arc::clone(self);
        tokio::spawn(async move { webhooks::deliver(&shared, topic, &order_id, body, fate).await });
    }
}

/// A running simulated WooCommerce site.
pub struct WooSim {
    shared: Arc<Shared>,
    addr: SocketAddr,
}

impl WooSim {
    /// Binds 127.0.0.1 on a free port and serves in a spawned task.
    pub async fn start(config: WooSimConfig) -> std::io::Result<Arc<WooSim>> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let offset = FixedOffset::east_opt(config.utc_offset_minutes.saturating_mul(60))
            .unwrap_or_else(|| Utc.fix());
        let bucket = config.rate_limit_per_second.map(|rate| {
            let burst = config
                .rate_limit_burst
                .unwrap_or(rate.ceil().max(1.0) as u32);
            guard::Bucket::new(rate, burst)
        });
        let shared = Arc::new(Shared {
            journal: crate::Journal::default(),
            recorder: Arc::default(),
            base_url: format!("http://{addr}"),
            offset,
            store: Mutex::new(Store::new()),
            bucket: Mutex::new(bucket),
            storm: Mutex::new(None),
            target: Mutex::new(None),
            http: reqwest::Client::new(),
            config,
        });
        let app = router(Arc::clone(&shared));
        tokio::spawn(async move {
            if let Err(err) = axum::serve(listener, app).await {
                tracing::error!(%err, "woocommerce simulator stopped");
            }
        });
        Ok(Arc::new(WooSim { shared, addr }))
    }

    /// The address the site listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Sets the host's rate limit from now on (`None`: no limit), as
    /// [`WooSimConfig::rate_limit_per_second`] and `rate_limit_burst` do at start.
    pub fn set_rate_limit(&self, limit: Option<(f64, u32)>) {
        let bucket = limit.map(|(rate, burst)| guard::Bucket::new(rate, burst));
        *self.shared.bucket.lock().unwrap_or_else(|e| e.into_inner()) = bucket;
    }

    /// Starts a storm of 429s (see [`Storm`]) or ends it (`None`).
    pub fn set_storm(&self, storm: Option<Storm>) {
        *self.shared.storm.lock().unwrap_or_else(|e| e.into_inner()) =
            storm.map(guard::StormState::new);
    }

    /// The calls answered 429 so far, over the rate limit and by a storm.
    pub fn refusals(&self) -> Refusals {
        self.shared.with_store(|s| s.refusals)
    }

    /// Adds a variable product whose variations carry the SKUs: `(sku, price, quantity)`.
    /// Returns the parent product's id.
    pub fn add_variable_product(&self, title: &str, variations: &[(&str, &str, i64)]) -> u64 {
        self.shared.with_store(|s| {
            let now = truncate(Utc::now());
            let parent = s.post_id();
            s.add(Product {
                id: parent,
                parent_id: 0,
                kind: ProductKind::Variable,
                name: title.to_string(),
                sku: String::new(),
                price_cents: variations
                    .first()
                    .and_then(|v| parse_cents(v.1))
                    .unwrap_or(0),
                manage_stock: false,
                stock_quantity: None,
                created: now,
                modified: now,
            });
            for (sku, price, quantity) in variations {
                let id = s.post_id();
                s.add(Product {
                    id,
                    parent_id: parent,
                    kind: ProductKind::Variation,
                    name: format!("{title} - {sku}"),
                    sku: (*sku).to_string(),
                    price_cents: parse_cents(price).unwrap_or(0),
                    manage_stock: true,
                    stock_quantity: Some(*quantity),
                    created: now,
                    modified: now,
                });
            }
            parent
        })
    }

    /// `(product_id, variation_id)` of the product or variation carrying `sku`.
    pub fn product_ids(&self, sku: &str) -> Option<(u64, Option<u64>)> {
        self.shared.with_store(|s| {
            s.by_sku(sku).map(|p| match p.kind {
                ProductKind::Variation => (p.parent_id, Some(p.id)),
                _ => (p.id, None),
            })
        })
    }

    /// The order as `GET /orders/{id}` would return it.
    pub fn order_json(&self, order_id: &str) -> Option<Value> {
        let id = order_id.parse().ok()?;
        self.shared.with_store(|s| {
            s.order(id)
                .map(|o| order_json(o, self.shared.offset, &self.shared.base_url))
        })
    }

    pub fn order_status(&self, order_id: &str) -> Option<String> {
        let id: u64 = order_id.parse().ok()?;
        self.shared
            .with_store(|s| s.order(id).map(|o| o.status.clone()))
    }

    /// `(note, customer_note)` of every note on the order, oldest first.
    pub fn notes(&self, order_id: &str) -> Vec<(String, bool)> {
        let Ok(id) = order_id.parse::<u64>() else {
            return Vec::new();
        };
        self.shared.with_store(|s| {
            s.order(id)
                .map(|o| {
                    o.notes
                        .iter()
                        .map(|n| (n.note.clone(), n.customer_note))
                        .collect()
                })
                .unwrap_or_default()
        })
    }

    /// Every webhook delivery attempted (pings included), oldest first.
    pub fn webhook_log(&self) -> Vec<WebhookRecord> {
        self.shared.with_store(|s| s.webhook_log.clone())
    }

    /// Sends the creation pings to the current target and waits for them.
    pub async fn ping_webhooks(&self) {
        if let Some(target) = self.shared.webhook_target() {
            webhooks::ping(&self.shared, &target).await;
        }
    }

    /// Changes an order's status as the merchant would, sending `order.updated`.
    pub async fn set_order_status(&self, order_id: &str, status: &str, fate: WebhookFate) {
        let Ok(id) = order_id.parse::<u64>() else {
            return;
        };
        let body = self.shared.with_store(|s| {
            let order = s.order_mut(id)?;
            order.status = status.to_string();
            order.modified = next_modified(order.modified);
            serde_json::to_vec(&order_json(
                order,
                self.shared.offset,
                &self.shared.base_url,
            ))
            .ok()
        });
        if let Some(body) = body {
            webhooks::deliver(&self.shared, "order.updated", order_id, body, fate).await;
        }
    }
}

fn router(shared: Arc<Shared>) -> Router {
    let wc = "/wp-json/wc/v3";
    let mut api = Router::new()
        .route(&format!("{wc}/orders"), get(orders::list))
        .route(
            &format!("{wc}/orders/{{id}}"),
            get(orders::get_one)
                .put(orders::update)
                .post(orders::update)
                .patch(orders::update),
        )
        .route(
            &format!("{wc}/orders/{{id}}/notes"),
            get(orders::list_notes).post(orders::add_note),
        )
        .route(
            &format!("{wc}/orders/{{id}}/refunds"),
            get(refunds::list).post(refunds::create),
        )
        .route(&format!("{wc}/products"), get(products::list))
        .route(
            &format!("{wc}/products/batch"),
            post(products::batch_products),
        )
        .route(&format!("{wc}/products/{{id}}"), get(products::get_one))
        .route(
            &format!("{wc}/products/{{id}}/variations"),
            get(products::variations),
        )
        .route(
            &format!("{wc}/products/{{id}}/variations/batch"),
            post(products::batch_variations),
        );
    if shared.config.shipment_tracking {
        api = api.route(
            "/wp-json/wc-shipment-tracking/v3/orders/{id}/shipment-trackings",
            get(tracking::list).post(tracking::create),
        );
    }
    api.route_layer(from_fn_with_state(Arc::clone(&shared), guard::guard))
        .fallback(|| async { errors::no_route() })
        .method_not_allowed_fallback(|| async { errors::no_route() })
        .layer(from_fn_with_state(
            Arc::clone(&shared.recorder),
            crate::record::layer,
        ))
        .with_state(shared)
}

#[async_trait]
impl SimulatedChannel for WooSim {
    fn seller_cancellation_record(&self, order_id: &str) -> Vec<String> {
        if self.order_status(order_id).as_deref() != Some("cancelled") {
            return Vec::new();
        }
        self.notes(order_id)
            .into_iter()
            .filter(|(note, customer)| !customer && note.starts_with("Cancelled by the seller"))
            .map(|(note, _)| note)
            .collect()
    }

    fn kind(&self) -> &'static str {
        "woocommerce"
    }

    fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// Like saving webhooks in WooCommerce's admin: each sends its unsigned creation ping.
    fn set_webhook_target(&self, url: &str) {
        *self.shared.target.lock().unwrap_or_else(|e| e.into_inner()) = Some(url.to_string());
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            let shared = Arc::clone(&self.shared);
            let url = url.to_string();
            handle.spawn(async move { webhooks::ping(&shared, &url).await });
        }
    }

    fn add_product(&self, sku: &str, title: &str, price: &str, quantity: i64) {
        self.shared.with_store(|s| {
            let now = truncate(Utc::now());
            let id = s.post_id();
            s.add(Product {
                id,
                parent_id: 0,
                kind: ProductKind::Simple,
                name: title.to_string(),
                sku: sku.to_string(),
                price_cents: parse_cents(price).unwrap_or(0),
                manage_stock: true,
                stock_quantity: Some(quantity),
                created: now,
                modified: now,
            });
        });
    }

    async fn place_order(&self, spec: OrderSpec) -> String {
        let (id, body) = self.shared.with_store(|s| {
            let id = s.post_id();
            let now = truncate(Utc::now());
            let mut lines = Vec::with_capacity(spec.lines.len());
            for (sku, quantity) in &spec.lines {
                let line_id = s.item_id();
                let product = s.by_sku(sku).cloned();
                lines.push(match product {
                    Some(p) => LineItem {
                        id: line_id,
                        product_id: if p.kind == ProductKind::Variation {
                            p.parent_id
                        } else {
                            p.id
                        },
                        variation_id: if p.kind == ProductKind::Variation {
                            p.id
                        } else {
                            0
                        },
                        name: p.name,
                        sku: p.sku,
                        quantity: *quantity,
                        price_cents: p.price_cents,
                    },
                    // Unknown SKU: kept as a custom line, as an admin-created order could be.
                    None => LineItem {
                        id: line_id,
                        product_id: 0,
                        variation_id: 0,
                        name: sku.clone(),
                        sku: sku.clone(),
                        quantity: *quantity,
                        price_cents: 0,
                    },
                });
            }
            let order = SimOrder {
                id,
                status: if spec.paid { "processing" } else { "pending" }.into(),
                currency: self.shared.config.currency.clone(),
                created: now,
                modified: now,
                paid: spec.paid.then_some(now),
                completed: None,
                email: spec.email.clone(),
                lines,
                notes: Vec::new(),
                trackings: Vec::new(),
                refunds: Vec::new(),
            };
            let body = serde_json::to_vec(&order_json(
                &order,
                self.shared.offset,
                &self.shared.base_url,
            ));
            s.orders.push(order);
            (id, body)
        });
        if let Ok(body) = body {
            webhooks::deliver(
                &self.shared,
                "order.created",
                &id.to_string(),
                body,
                spec.fate,
            )
            .await;
        }
        id.to_string()
    }

    async fn cancel_order(&self, order_id: &str, fate: WebhookFate) {
        self.set_order_status(order_id, "cancelled", fate).await;
    }

    fn stock(&self, sku: &str) -> Option<i64> {
        self.shared
            .with_store(|s| s.by_sku(sku).and_then(|p| p.stock_quantity))
    }

    fn set_stock(&self, sku: &str, quantity: i64) {
        self.shared.with_store(|s| {
            if let Some(p) = s.by_sku_mut(sku) {
                p.manage_stock = true;
                p.stock_quantity = Some(quantity);
                p.modified = next_modified(p.modified);
            }
        });
    }

    fn shipments(&self, order_id: &str) -> Vec<RecordedShipment> {
        match order_id.parse::<u64>() {
            Ok(id) => self.shared.with_store(|s| s.shipments(id)),
            Err(_) => Vec::new(),
        }
    }

    fn stats(&self) -> SimStats {
        self.shared.with_store(|s| s.stats)
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
                            amount: store::money(r.amount_cents),
                            lines: r
                                .lines
                                .iter()
                                .map(|(l, q, _)| (l.to_string(), *q))
                                .collect(),
                            note: r.reason.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default()
        })
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

    /// As the SKU search of `/products` (or a variable product's variations) shows it.
    fn listing_reference(&self, sku: &str) -> Option<Value> {
        self.product_ids(sku).map(|(product, variation)| {
            serde_json::json!({"product_id": product, "variation_id": variation})
        })
    }
}

impl WooSim {
    /// Turns stock tracking (`manage_stock`) on or off for a SKU, as the merchant does in the
    /// product editor; off clears the quantity, as WooCommerce does.
    pub fn set_manage_stock(&self, sku: &str, manage: bool) {
        self.shared.with_store(|s| {
            if let Some(p) = s.by_sku_mut(sku) {
                p.manage_stock = manage;
                if !manage {
                    p.stock_quantity = None;
                }
                p.modified = next_modified(p.modified);
            }
        });
    }

    /// Whether the SKU tracks stock.
    pub fn manages_stock(&self, sku: &str) -> Option<bool> {
        self.shared
            .with_store(|s| s.by_sku(sku).map(|p| p.manage_stock))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Bytes;
    use axum::http::HeaderMap;

    type Received = Arc<Mutex<Vec<(HeaderMap, Vec<u8>)>>>;

    async fn receiver() -> (String, Received) {
        let got: Received = Arc::default();
        let sink = Arc::clone(&got);
        let app = Router::new().route(
            "/hook",
            post(move |headers: HeaderMap, body: Bytes| {
                let sink = Arc::clone(&sink);
                async move {
                    sink.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((headers, body.to_vec()));
                    "ok"
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        (format!("http://{addr}/hook"), got)
    }

    fn spec(fate: WebhookFate) -> OrderSpec {
        OrderSpec {
            lines: vec![("MUG".into(), 2)],
            paid: true,
            email: "a@example.com".into(),
            fate,
        }
    }

    #[tokio::test]
    async fn woocommerce_webhooks_are_signed_pinged_and_honour_their_fate() {
        let (url, got) = receiver().await;
        let sim = WooSim::start(WooSimConfig::default()).await.unwrap();
        sim.add_product("MUG", "Mug", "21.99", 5);
        *sim.shared.target.lock().unwrap() = Some(url);
        sim.ping_webhooks().await;
        sim.place_order(spec(WebhookFate::Duplicate)).await;
        sim.place_order(spec(WebhookFate::Lose)).await;
        let got = got.lock().unwrap().clone();
        assert_eq!(got.len(), 4, "two pings, two copies of one order");
        assert_eq!(got[0].1, b"webhook_id=1");
        assert!(got[0].0.get("x-wc-webhook-signature").is_none());
        let (h1, b1) = &got[2];
        let (h2, b2) = &got[3];
        assert_eq!(b1, b2);
        let sig = h1["x-wc-webhook-signature"].to_str().unwrap();
        assert_eq!(sig, webhooks::sign("woo-sim-webhook-secret", b1));
        assert_eq!(h1["x-wc-webhook-topic"], "order.created");
        assert_eq!(h1["x-wc-webhook-resource"], "order");
        assert_eq!(h1["x-wc-webhook-event"], "created");
        assert_ne!(
            h1["x-wc-webhook-delivery-id"],
            h2["x-wc-webhook-delivery-id"]
        );
        let order: Value = serde_json::from_slice(b1).unwrap();
        assert_eq!(order["status"], "processing");
        assert_eq!(order["line_items"][0]["price"].to_string(), "21.99");
        assert_eq!(order["total"], "43.98");
        assert_eq!(
            sim.stock("MUG"),
            Some(5),
            "placing an order leaves the site's stock alone"
        );
        assert_eq!(sim.stats().webhooks_sent, 2);
    }

    #[tokio::test]
    async fn woocommerce_api_refuses_what_the_real_one_refuses() {
        let sim = WooSim::start(WooSimConfig::default()).await.unwrap();
        let http = reqwest::Client::new();
        let base = format!("{}/wp-json/wc/v3", sim.base_url());
        let r = http.get(format!("{base}/orders")).send().await.unwrap();
        assert_eq!(r.status(), 401);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["code"], "woocommerce_rest_cannot_view");
        assert_eq!(body["data"]["status"], 401);
        let cfg = WooSimConfig::default();
        let auth = |rb: reqwest::RequestBuilder| {
            rb.basic_auth(&cfg.consumer_key, Some(&cfg.consumer_secret))
        };
        let r = auth(http.get(format!("{base}/orders?per_page=101")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        assert_eq!(
            r.json::<Value>().await.unwrap()["code"],
            "rest_invalid_param"
        );
        let updates: Vec<Value> = (0..101).map(|i| serde_json::json!({"id": i})).collect();
        let r = auth(http.post(format!("{base}/products/batch")))
            .json(&serde_json::json!({"update": updates}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 413);
        let r = http
            .get(format!(
                "{base}/orders?consumer_key={}&consumer_secret={}",
                cfg.consumer_key, cfg.consumer_secret
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["x-wp-total"], "0");
        let r = auth(http.get(format!(
            "{}/wp-json/wc-shipment-tracking/v3/nothing",
            sim.base_url()
        )))
        .send()
        .await
        .unwrap();
        assert_eq!(r.status(), 404);
        assert_eq!(r.json::<Value>().await.unwrap()["code"], "rest_no_route");
    }
}
