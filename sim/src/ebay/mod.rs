//! An eBay seller account: OAuth token endpoint (refresh-token and client-credentials grants,
//! short-lived tokens for tests), Fulfillment API orders and shipping fulfillments, Inventory
//! API items, offers and `bulkUpdatePriceQuantity`, the Notification API's `getPublicKey`,
//! eBay's error bodies, and per-API call quotas answered with 429.
//!
//! Webhooks: eBay orders are found by polling `getOrders`, so [`WebhookFate`] is ignored and
//! the simulator sends no notifications; tests build a signed message themselves
//! ([`EbaySim::order_notification`]) against a key they register ([`EbaySim::set_public_key`]).

mod cancel;
mod errors;
mod form;
mod guard;
mod inventory;
mod notify;
mod orders;
mod refunds;
mod returns;
mod store;
mod token;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use chrono::{SubsecRound, Utc};
use serde_json::Value;

use crate::{OrderSpec, RecordedRefund, RecordedShipment, SimStats, SimulatedChannel, WebhookFate};
/// Requests one `bulk_update_price_quantity` call may carry.
pub const MAX_STOCK_BATCH: usize = inventory::MAX_REQUESTS;

use store::{Item, Line, Offer, SimOrder, Store, next_modified, order_json, parse_cents};

/// How the simulated account is set up.
#[derive(Debug, Clone)]
pub struct EbaySimConfig {
    pub client_id: String,
    pub client_secret: String,
    /// The seller's refresh token the token endpoint accepts.
    pub refresh_token: String,
    /// Lifetime of issued access tokens (eBay: 7200 s; tests use about a second).
    pub access_token_lifetime: Duration,
    /// Calls allowed per API (`sell.fulfillment`, `sell.inventory`, `commerce.notification`)
    /// in each `quota_window`; `None` for no quota.
    pub call_quota: Option<u64>,
    /// Length of a quota window (eBay: one day).
    pub quota_window: Duration,
    /// Quantity revisions an offer accepts per day (eBay: 250).
    pub revisions_per_listing_per_day: u32,
    pub currency: String,
}

impl Default for EbaySimConfig {
    fn default() -> Self {
        Self {
            client_id: "SwitchYa-Sim-PRD-0123456789-abcdef01".into(),
            client_secret: "PRD-sim0123456789-abcd-ef01-2345-6789".into(),
            refresh_token: "v^1.1#i^1#sim#refresh-token".into(),
            access_token_lifetime: Duration::from_secs(7200),
            call_quota: None,
            quota_window: Duration::from_secs(24 * 3600),
            revisions_per_listing_per_day: 250,
            currency: "USD".into(),
        }
    }
}

/// State shared by the routes and the test-facing handle.
pub(crate) struct Shared {
    config: EbaySimConfig,
    journal: crate::Journal,
    recorder: Arc<crate::Recorder>,
    base_url: String,
    started: Instant,
    store: Mutex<Store>,
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

    /// Counts a call against the API's quota; false when the window's quota is spent.
    fn take_quota(&self, api: &'static str) -> bool {
        let Some(quota) = self.config.call_quota else {
            return true;
        };
        let window = self.config.quota_window.as_millis().max(1);
        let index = (self.started.elapsed().as_millis() / window) as u64;
        self.with_store(|s| {
            let entry = s.calls.entry(api).or_insert((index, 0));
            if entry.0 != index {
                *entry = (index, 0);
            }
            if entry.1 >= quota {
                return false;
            }
            entry.1 += 1;
            true
        })
    }
}

/// A running simulated eBay seller account.
pub struct EbaySim {
    shared: Arc<Shared>,
    addr: SocketAddr,
}

/// Binds 127.0.0.1 on a free port and serves in a spawned task.
pub async fn start(config: EbaySimConfig) -> std::io::Result<Arc<EbaySim>> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let shared = Arc::new(Shared {
        journal: crate::Journal::default(),
        recorder: Arc::default(),
        base_url: format!("http://{addr}"),
        started: Instant::now(),
        store: Mutex::new(Store::default()),
        config,
    });
    let app = router(Arc::clone(&shared));
    tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, app).await {
            tracing::error!(%err, "ebay simulator stopped");
        }
    });
    Ok(Arc::new(EbaySim { shared, addr }))
}

impl EbaySim {
    /// Seller cancellations the Post-Order API accepted for the order: (cancelId, reason).
    pub fn seller_cancellations(&self, order_id: &str) -> Vec<(String, String)> {
        self.shared
            .with_store(|s| s.order(order_id).map(|o| o.seller_cancellations.clone()))
            .unwrap_or_default()
    }

    /// Same as [`start`].
    pub async fn start(config: EbaySimConfig) -> std::io::Result<Arc<EbaySim>> {
        start(config).await
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The token endpoint, for the channel's `token_url`.
    pub fn token_url(&self) -> String {
        format!("{}/identity/v1/oauth2/token", self.shared.base_url)
    }

    /// Tokens issued so far (both grants).
    pub fn token_grants(&self) -> u64 {
        self.shared.with_store(|s| s.token_grants)
    }

    /// Makes every issued access token expire now, as if two hours had passed.
    pub fn expire_tokens(&self) {
        self.shared.with_store(|s| {
            let now = Instant::now();
            for (_, expires) in s.tokens.values_mut() {
                *expires = now;
            }
        });
    }

    /// Serves `pem` (a SubjectPublicKeyInfo PEM, one line or several) as `getPublicKey(kid)`.
    pub fn set_public_key(&self, kid: &str, pem: &str) {
        self.shared
            .with_store(|s| s.public_keys.insert(kid.to_string(), pem.to_string()));
    }

    /// A pretty-printed Notification API message naming the order (for example topic
    /// `ITEM_MARKED_SHIPPED`); the caller signs its compact form.
    pub fn order_notification(
        &self,
        topic: &str,
        notification_id: &str,
        order_id: &str,
    ) -> Vec<u8> {
        serde_json::to_vec_pretty(&notify::order_message(topic, notification_id, order_id))
            .unwrap_or_default()
    }

    /// The order as `getOrder` returns it.
    pub fn order_json(&self, order_id: &str) -> Option<Value> {
        let currency = self.shared.config.currency.clone();
        self.shared
            .with_store(|s| s.order(order_id).map(|o| order_json(o, &currency)))
    }

    /// `(offerId, availableQuantity)` of every offer of the SKU.
    pub fn offers(&self, sku: &str) -> Vec<(String, i64)> {
        self.shared.with_store(|s| {
            s.items
                .get(sku)
                .map(|i| {
                    i.offers
                        .iter()
                        .map(|o| (o.offer_id.clone(), o.available_quantity))
                        .collect()
                })
                .unwrap_or_default()
        })
    }
}

fn router(shared: Arc<Shared>) -> Router {
    let api = Router::new()
        .route("/sell/fulfillment/v1/order", get(orders::list))
        .route("/sell/fulfillment/v1/order/{id}", get(orders::get_one))
        .route(
            "/sell/fulfillment/v1/order/{id}/shipping_fulfillment",
            get(orders::list_fulfillments).post(orders::create_fulfillment),
        )
        .route(
            "/sell/fulfillment/v1/order/{id}/issue_refund",
            post(refunds::issue),
        )
        .route(
            "/sell/inventory/v1/inventory_item/{sku}",
            get(inventory::get_item),
        )
        .route("/sell/inventory/v1/offer", get(inventory::get_offers))
        .route(
            "/sell/inventory/v1/bulk_update_price_quantity",
            post(inventory::bulk_update),
        )
        .route("/post-order/v2/cancellation", post(cancel::create))
        .route("/post-order/v2/cancellation/search", get(cancel::search))
        .route("/post-order/v2/return/search", get(returns::search))
        .route(
            "/commerce/notification/v1/public_key/{kid}",
            get(notify::public_key),
        )
        .route_layer(from_fn_with_state(Arc::clone(&shared), guard::guard));
    Router::new()
        .route("/identity/v1/oauth2/token", post(token::issue))
        .merge(api)
        .fallback(|| async { errors::not_found_route() })
        .layer(from_fn_with_state(
            Arc::clone(&shared.recorder),
            crate::record::layer,
        ))
        .with_state(shared)
}

#[async_trait]
impl SimulatedChannel for EbaySim {
    fn seller_cancellation_record(&self, order_id: &str) -> Vec<String> {
        self.seller_cancellations(order_id)
            .into_iter()
            .map(|(id, reason)| format!("{reason} (cancelId {id})"))
            .collect()
    }

    fn kind(&self) -> &'static str {
        "ebay"
    }

    fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// eBay deliveries are configured in the Notification API, and the simulator sends none:
    /// orders are found by polling.
    fn set_webhook_target(&self, _url: &str) {}

    /// An inventory item with one published offer, both at `quantity`.
    fn add_product(&self, sku: &str, title: &str, price: &str, quantity: i64) {
        self.shared.with_store(|s| {
            let n = s.next_id();
            s.items.insert(
                sku.to_string(),
                Item {
                    sku: sku.to_string(),
                    title: title.to_string(),
                    price_cents: parse_cents(price).unwrap_or(0),
                    quantity,
                    offers: vec![Offer {
                        offer_id: format!("{}", 5_000_000_000u64 + n),
                        listing_id: format!("{}", 110_000_000_000u64 + n),
                        available_quantity: quantity,
                        published: true,
                        revisions: 0,
                    }],
                },
            );
        });
    }

    /// The fate is ignored: eBay orders are found by polling (see the module docs).
    async fn place_order(&self, spec: OrderSpec) -> String {
        self.shared.with_store(|s| {
            let n = s.next_id();
            let order_id = format!("{:02}-{:05}-{:05}", n % 100, (n * 7919) % 100_000, n);
            let now = Utc::now().trunc_subsecs(3);
            let mut lines = Vec::new();
            for (sku, quantity) in &spec.lines {
                let line_no = s.next_id();
                let (title, unit_cents) = s
                    .items
                    .get(sku)
                    .map(|i| (i.title.clone(), i.price_cents))
                    .unwrap_or_else(|| (sku.clone(), 0));
                lines.push(Line {
                    line_item_id: format!("{}", 10_000_000_000_000u64 + line_no),
                    sku: sku.clone(),
                    title,
                    quantity: *quantity,
                    unit_cents,
                });
            }
            s.orders.push(SimOrder {
                order_id: order_id.clone(),
                created: now,
                modified: now,
                paid: spec.paid,
                cancelled: false,
                email: spec.email.clone(),
                lines,
                fulfillments: Vec::new(),
                seller_cancellations: Vec::new(),
                refunds: Vec::new(),
                returns: Vec::new(),
            });
            order_id
        })
    }

    /// Opens a buyer's return request for one shipped line item (eBay: one return request per
    /// order line item), served by `GET /post-order/v2/return/search`; refused (`None`) for
    /// more or other than one line, or units not shipped or already on an open return.
    async fn open_return(&self, order_id: &str, lines: &[(String, u32)]) -> Option<String> {
        let [(line, qty)] = lines else {
            return None;
        };
        self.shared
            .with_store(|s| returns::open(s, order_id, line, *qty, Utc::now().trunc_subsecs(3)))
    }

    async fn cancel_order(&self, order_id: &str, _fate: WebhookFate) {
        self.shared.with_store(|s| {
            if let Some(o) = s.order_mut(order_id) {
                o.cancelled = true;
                o.modified = next_modified(o.modified);
            }
        });
    }

    /// The inventory item's ship-to-home quantity.
    fn stock(&self, sku: &str) -> Option<i64> {
        self.shared
            .with_store(|s| s.items.get(sku).map(|i| i.quantity))
    }

    fn set_stock(&self, sku: &str, quantity: i64) {
        self.shared.with_store(|s| {
            if let Some(item) = s.items.get_mut(sku) {
                item.quantity = quantity;
                for offer in &mut item.offers {
                    offer.available_quantity = quantity;
                }
            }
        });
    }

    fn shipments(&self, order_id: &str) -> Vec<RecordedShipment> {
        self.shared.with_store(|s| s.shipments(order_id))
    }

    fn refunds(&self, order_id: &str) -> Vec<RecordedRefund> {
        self.shared.with_store(|s| {
            let Some(order) = s.order(order_id) else {
                return Vec::new();
            };
            order
                .refunds
                .iter()
                .map(|r| RecordedRefund {
                    id: r.refund_id.clone(),
                    amount: store::money(r.cents()),
                    // eBay refunds money per line; the units are what that money buys.
                    lines: r
                        .lines
                        .iter()
                        .map(|(l, c)| {
                            let unit = order
                                .lines
                                .iter()
                                .find(|x| &x.line_item_id == l)
                                .map_or(0, |x| x.unit_cents);
                            let units = if unit > 0 { c / unit } else { 0 };
                            (l.clone(), u32::try_from(units).unwrap_or(0))
                        })
                        .collect(),
                    note: r.comment.clone().unwrap_or_default(),
                })
                .collect()
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
        false
    }

    /// As `getInventoryItem` and `getOffers` show it: the item's published offers.
    fn listing_reference(&self, sku: &str) -> Option<serde_json::Value> {
        self.shared.with_store(|s| {
            s.items.get(sku).map(|i| {
                let offers: Vec<&str> = i
                    .offers
                    .iter()
                    .filter(|o| o.published)
                    .map(|o| o.offer_id.as_str())
                    .collect();
                serde_json::json!({"sku": sku, "offer_ids": offers})
            })
        })
    }
}

#[cfg(test)]
mod tests;
