//! A Walmart Marketplace seller account: `POST /v3/token` (client credentials, tokens that
//! expire), the Orders API (all orders and released orders with `meta.nextCursor` pages, one
//! order, acknowledge, ship order lines), the Inventory API for one SKU, bulk inventory feeds
//! processed after a delay with per-item statuses, Walmart's error bodies, and a token bucket
//! per API reported in `x-current-token-count` / `x-next-replenish-time` with 429 when empty.
//!
//! Walmart orders are found here by polling only: `PO_CREATED` webhooks are not sent (their
//! authentication is not verified), so [`crate::WebhookFate`] is ignored. Every order is
//! released paid, so `OrderSpec::paid` is ignored too.

mod buckets;
mod errors;
mod feeds;
mod guard;
mod inventory;
mod orders;
mod refunds;
mod store;
mod token;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use chrono::Utc;
use serde_json::Value;

use crate::{OrderSpec, RecordedRefund, RecordedShipment, SimStats, SimulatedChannel, WebhookFate};
use store::{Item, LineStatus, SimLine, SimOrder, Store, order_json, truncate_ms};

pub use buckets::{Api, BucketSpec, WalmartBuckets};

/// Items one bulk inventory feed may carry (Walmart: up to 10,000 item updates a request).
pub const MAX_STOCK_BATCH: usize = 10_000;

/// The ship node of a single-node account.
pub const DEFAULT_SHIP_NODE: &str = "10000003527";

/// How the simulated account is set up.
#[derive(Debug, Clone)]
pub struct WalmartSimConfig {
    pub client_id: String,
    pub client_secret: String,
    /// How long an access token works (Walmart: 900 s).
    pub token_lifetime: Duration,
    pub buckets: WalmartBuckets,
    /// Time from submission until an inventory feed is PROCESSED (Walmart: up to ~30 min).
    pub feed_processing_delay: Duration,
    pub currency: String,
    /// The account's ship nodes; the first is the default one, which a write naming no node
    /// sets. One node unless a test sets up a multi-node account.
    pub ship_nodes: Vec<String>,
}

impl Default for WalmartSimConfig {
    fn default() -> Self {
        Self {
            client_id: "wm-sim-client-0000".into(),
            client_secret: "wm-sim-secret-0000".into(),
            token_lifetime: Duration::from_secs(900),
            buckets: WalmartBuckets::default(),
            feed_processing_delay: Duration::from_millis(300),
            currency: "USD".into(),
            ship_nodes: vec![DEFAULT_SHIP_NODE.into()],
        }
    }
}

/// State shared by the routes and the test-facing handle.
pub(crate) struct Shared {
    config: WalmartSimConfig,
    journal: crate::Journal,
    recorder: Arc<crate::Recorder>,
    store: Mutex<Store>,
    buckets: Mutex<HashMap<Api, buckets::Bucket>>,
}

impl Shared {
    /// The node a write naming none sets.
    fn default_node(&self) -> &str {
        self.config
            .ship_nodes
            .first()
            .map_or(DEFAULT_SHIP_NODE, String::as_str)
    }

    /// The named node, or the default; `Err` names an unknown one.
    fn node(&self, named: Option<&String>) -> Result<String, String> {
        match named.map(|n| n.trim()) {
            None | Some("") => Ok(self.default_node().to_string()),
            Some(n) if self.config.ship_nodes.iter().any(|k| k == n) => Ok(n.to_string()),
            Some(n) => Err(format!("shipNode {n} is not a ship node of this seller")),
        }
    }

    /// Runs `f` on the store; stock levels it wrote go to the journal before the lock is let go.
    fn with_store<R>(&self, f: impl FnOnce(&mut Store) -> R) -> R {
        let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        let out = f(&mut store);
        for (sku, level, at) in store.written.drain(..) {
            self.journal.stock_written_at(&sku, level, at);
        }
        out
    }
}

/// A running simulated Walmart seller account.
pub struct WalmartSim {
    shared: Arc<Shared>,
    addr: SocketAddr,
}

/// Binds 127.0.0.1 on a free port and serves in a spawned task.
pub async fn start(config: WalmartSimConfig) -> std::io::Result<Arc<WalmartSim>> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let shared = Arc::new(Shared {
        config,
        journal: crate::Journal::default(),
        recorder: Arc::default(),
        store: Mutex::new(Store {
            next_order: 1,
            ..Store::default()
        }),
        buckets: Mutex::new(HashMap::new()),
    });
    let app = router(Arc::clone(&shared));
    tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, app).await {
            tracing::error!(%err, "walmart simulator stopped");
        }
    });
    Ok(Arc::new(WalmartSim { shared, addr }))
}

impl WalmartSim {
    /// Every line cancellation `cancelOrderLines` accepted on the order: (lineNumber, units,
    /// cancellationReason), in order.
    pub fn seller_cancellations(&self, po: &str) -> Vec<(String, u32, String)> {
        self.shared
            .with_store(|s| s.order(po).map(|o| o.seller_cancellations.clone()))
            .unwrap_or_default()
    }

    /// Same as [`start`].
    pub async fn start(config: WalmartSimConfig) -> std::io::Result<Arc<WalmartSim>> {
        start(config).await
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Whether the order has been acknowledged.
    pub fn is_acknowledged(&self, po: &str) -> bool {
        self.shared
            .with_store(|s| s.order(po).is_some_and(|o| o.acknowledged))
    }

    /// The order as `GET /v3/orders/{purchaseOrderId}` renders it (without the `order` wrapper).
    pub fn order_json(&self, po: &str) -> Option<Value> {
        let currency = &self.shared.config.currency;
        self.shared
            .with_store(|s| s.order(po).map(|o| order_json(o, currency)))
    }

    /// `(status, units)` of every status of every line, line by line.
    pub fn line_statuses(&self, po: &str) -> Vec<Vec<(String, u32)>> {
        self.shared.with_store(|s| {
            s.order(po)
                .map(|o| {
                    o.lines
                        .iter()
                        .map(|l| {
                            l.statuses
                                .iter()
                                .map(|st| (st.status.clone(), st.units))
                                .collect()
                        })
                        .collect()
                })
                .unwrap_or_default()
        })
    }

    /// Tokens issued by `POST /v3/token` (refused attempts included).
    pub fn token_requests(&self) -> u64 {
        self.shared.with_store(|s| s.token_requests)
    }

    /// Revokes every issued token, as if they had expired early: the next call gets 401.
    pub fn expire_tokens(&self) {
        self.shared.with_store(|s| s.tokens.clear());
    }

    /// Units of `sku` at one ship node.
    pub fn node_stock(&self, sku: &str, node: &str) -> Option<i64> {
        let delay = self.shared.config.feed_processing_delay;
        self.shared.with_store(|s| {
            s.settle_feeds(delay);
            s.items.get(sku).and_then(|i| i.levels.get(node).copied())
        })
    }

    /// Sets units of `sku` at one ship node (as if changed in Seller Center).
    pub fn set_node_stock(&self, sku: &str, node: &str, quantity: i64) {
        self.shared.with_store(|s| {
            if let Some(item) = s.items.get_mut(sku)
                && let Some(level) = item.levels.get_mut(node)
            {
                *level = quantity;
            }
        });
    }

    /// Gives an order another shipping method (`shippingInfo.methodCode`).
    pub fn set_method_code(&self, po: &str, method: &str) {
        self.shared.with_store(|s| {
            if let Some(order) = s.order_mut(po) {
                order.method_code = method.to_string();
            }
        });
    }

    /// Inventory feeds submitted so far.
    pub fn feeds_submitted(&self) -> usize {
        self.shared.with_store(|s| s.feeds.len())
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v3/token", post(token::issue))
        .route("/v3/orders", get(orders::list_all))
        .route("/v3/orders/released", get(orders::list_released))
        .route("/v3/orders/{po}", get(orders::get_one))
        .route("/v3/orders/{po}/acknowledge", post(orders::acknowledge))
        .route("/v3/orders/{po}/shipping", post(orders::ship))
        .route("/v3/orders/{po}/cancel", post(orders::cancel))
        .route("/v3/orders/{po}/refund", post(refunds::refund))
        .route("/v3/inventory", get(inventory::get).put(inventory::put))
        .route("/v3/inventories", get(inventory::all_nodes))
        .route("/v3/inventories/{sku}", get(inventory::sku_nodes))
        .route("/v3/feeds", post(feeds::submit))
        .route("/v3/feeds/{id}", get(feeds::status))
        .route_layer(from_fn_with_state(Arc::clone(&shared), guard::guard))
        .fallback(|| async { errors::not_found("GMP_GATEWAY_API", "Resource not found") })
        .layer(from_fn_with_state(
            Arc::clone(&shared.recorder),
            crate::record::layer,
        ))
        .with_state(shared)
}

#[async_trait]
impl SimulatedChannel for WalmartSim {
    fn seller_cancellation_record(&self, order_id: &str) -> Vec<String> {
        self.seller_cancellations(order_id)
            .into_iter()
            .map(|(line, units, reason)| format!("line {line} ×{units} {reason}"))
            .collect()
    }

    fn kind(&self) -> &'static str {
        "walmart"
    }

    fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Walmart orders are polled here; no webhooks are sent.
    fn set_webhook_target(&self, _url: &str) {}

    fn add_product(&self, sku: &str, title: &str, price: &str, quantity: i64) {
        let price_cents = parse_cents(price).unwrap_or(0);
        let nodes = &self.shared.config.ship_nodes;
        let levels = nodes
            .iter()
            .enumerate()
            .map(|(i, node)| (node.clone(), if i == 0 { quantity } else { 0 }))
            .collect();
        self.shared.with_store(|s| {
            s.items.insert(
                sku.to_string(),
                Item {
                    title: title.to_string(),
                    price_cents,
                    levels,
                },
            );
        });
    }

    /// A released order, every line `Created`. Stock is left alone; the fate is ignored.
    async fn place_order(&self, spec: OrderSpec) -> String {
        self.shared.with_store(|s| {
            let n = s.next_order;
            s.next_order += 1;
            let now = truncate_ms(Utc::now());
            let lines = spec
                .lines
                .iter()
                .enumerate()
                .map(|(i, (sku, quantity))| {
                    let (title, price) = s.items.get(sku).map_or((sku.clone(), 0), |item| {
                        (item.title.clone(), item.price_cents)
                    });
                    SimLine {
                        number: (i + 1).to_string(),
                        sku: sku.clone(),
                        title,
                        amount_cents: price * i64::from(*quantity),
                        quantity: *quantity,
                        statuses: vec![LineStatus {
                            status: "Created".into(),
                            units: *quantity,
                            tracking: None,
                            reason: None,
                        }],
                        refunds: Vec::new(),
                        status_date: now,
                    }
                })
                .collect();
            let po = format!("{}", 1_796_000_000_000_u64 + n);
            s.orders.push(SimOrder {
                po: po.clone(),
                customer_order_id: format!("{}", 5_200_000_000_000_u64 + n),
                email: spec.email.clone(),
                order_date: now,
                modified: now,
                lines,
                acknowledged: false,
                shipments: Vec::new(),
                method_code: "Standard".into(),
                seller_cancellations: Vec::new(),
            });
            po
        })
    }

    /// Cancels every unit not yet shipped (the buyer's cancellation).
    async fn cancel_order(&self, order_id: &str, _fate: WebhookFate) {
        self.shared.with_store(|s| {
            let Some(order) = s.order_mut(order_id) else {
                return;
            };
            for i in 0..order.lines.len() {
                let mut changed = false;
                for status in &mut order.lines[i].statuses {
                    if matches!(status.status.as_str(), "Created" | "Acknowledged") {
                        status.status = "Cancelled".into();
                        changed = true;
                    }
                }
                if changed {
                    order.touch(i);
                }
            }
        });
    }

    fn stock(&self, sku: &str) -> Option<i64> {
        let delay = self.shared.config.feed_processing_delay;
        self.shared.with_store(|s| {
            s.settle_feeds(delay);
            s.items.get(sku).map(Item::total)
        })
    }

    /// Sets the default node's units.
    fn set_stock(&self, sku: &str, quantity: i64) {
        let node = self.shared.default_node().to_string();
        self.shared.with_store(|s| {
            if let Some(item) = s.items.get_mut(sku) {
                item.levels.insert(node, quantity);
            }
        });
    }

    fn shipments(&self, order_id: &str) -> Vec<RecordedShipment> {
        self.shared.with_store(|s| {
            s.order(order_id)
                .map(|o| o.shipments.clone())
                .unwrap_or_default()
        })
    }

    fn refunds(&self, order_id: &str) -> Vec<RecordedRefund> {
        self.shared.with_store(|s| {
            s.order(order_id)
                .map(|o| {
                    o.lines
                        .iter()
                        .flat_map(|l| {
                            l.refunds
                                .iter()
                                .map(|(id, cents, comments, _)| RecordedRefund {
                                    id: id.clone(),
                                    amount: format!("{}.{:02}", cents / 100, cents % 100),
                                    lines: vec![(l.number.clone(), 0)],
                                    note: comments.clone(),
                                })
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

    /// Walmart's `PO_CREATED` subscriptions are not simulated: orders are polled.
    fn sends_order_webhooks(&self) -> bool {
        false
    }

    /// The connector addresses Walmart items by SKU alone.
    fn listing_reference(&self, sku: &str) -> Option<serde_json::Value> {
        self.shared
            .with_store(|s| s.items.contains_key(sku))
            .then(|| serde_json::json!({ "sku": sku }))
    }
}

/// `"12.5"` / `"12.50"` → 1250 cents, without floats.
fn parse_cents(price: &str) -> Option<i64> {
    let (whole, frac) = price.trim().split_once('.').unwrap_or((price.trim(), ""));
    if frac.len() > 2 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = format!("{frac:0<2}").parse().ok()?;
    Some(whole * 100 + frac)
}

#[cfg(test)]
mod tests;
