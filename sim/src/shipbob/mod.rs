//! A ShipBob account (3PL) speaking the dated REST API (`2026-07`, the version ShipBob's docs
//! mark as default; earlier dated versions share these paths and bodies): bearer Personal Access
//! Token, `shipbob_channel_id` on writes, orders created with a `reference_id` unique per channel
//! (a repeat is a 422), the numbered order list, shipments with tracking, `:cancel`, inventory
//! levels in cursor pages, a 150-requests-per-minute sliding window (`x-remaining-calls`, 429 with
//! `x-retry-after`), and shipment webhooks signed the Standard Webhooks way.
//!
//! Tests drive the warehouse side: ship now or after a delay (with carrier and tracking), move
//! a shipment to exception (a rejection), cancel from ShipBob's side, set stock, lose webhooks.

mod errors;
mod guard;
mod inventory;
mod orders;
mod store;
mod webhooks;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use serde_json::Value;

use crate::{SimStats, WebhookFate};
use store::{Item, StatusDetail, Store, Tracking, order_json, shipment_json};

pub use webhooks::{SentWebhook, sign as sign_webhook};

/// How the simulated account is set up.
#[derive(Debug, Clone)]
pub struct ShipBobSimConfig {
    /// The Personal Access Token requests must carry.
    pub access_token: String,
    /// The integration's channel (the one with write scope).
    pub channel_id: u64,
    pub channel_name: String,
    /// The webhook subscription's secret, `whsec_<base64>`.
    pub webhook_secret: String,
    /// Path prefix of every endpoint.
    pub api_version: String,
    /// Requests allowed in any `window` (ShipBob: 150 a minute).
    pub requests_per_window: u32,
    pub window: Duration,
    /// Ship every new order this long after it is created (carrier USPS), as a warehouse would.
    pub auto_ship_after: Option<Duration>,
    /// What happens to the `order.shipped` webhook of an automatic shipment.
    pub auto_ship_fate: WebhookFate,
}

impl Default for ShipBobSimConfig {
    fn default() -> Self {
        Self {
            access_token: "sb-sim-personal-access-token".into(),
            channel_id: 432_951,
            channel_name: "PAT Channel".into(),
            // base64 of "shipbob-sim-webhook-key".
            webhook_secret: "whsec_c2hpcGJvYi1zaW0td2ViaG9vay1rZXk=".into(),
            api_version: "2026-07".into(),
            requests_per_window: 150,
            window: Duration::from_secs(60),
            auto_ship_after: None,
            auto_ship_fate: WebhookFate::Deliver,
        }
    }
}

/// State shared by the routes and the test-facing handle.
pub(crate) struct Shared {
    config: ShipBobSimConfig,
    base_url: String,
    store: Mutex<Store>,
    window: Mutex<guard::SlidingWindow>,
    target: Mutex<Option<String>>,
    token_expired: Mutex<bool>,
    http: reqwest::Client,
    recorder: Arc<crate::Recorder>,
}

impl Shared {
    fn with_store<R>(&self, f: impl FnOnce(&mut Store) -> R) -> R {
        let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut store)
    }

    fn with_window<R>(&self, f: impl FnOnce(&mut guard::SlidingWindow) -> R) -> R {
        let mut window = self.window.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut window)
    }

    fn webhook_target(&self) -> Option<String> {
        self.target
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn token_expired(&self) -> bool {
        *self.token_expired.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Changes one order with `f` (which says whether it applied), then sends `topic` with the
    /// shipment as it now stands. `false` when the order is unknown or `f` refused.
    async fn change(
        &self,
        order_id: u64,
        topic: &str,
        fate: WebhookFate,
        f: impl FnOnce(&mut store::SimOrder, &mut Vec<Item>) -> bool,
    ) -> bool {
        let body = self.with_store(|s| {
            let mut items = std::mem::take(&mut s.items);
            let applied = match s.order_mut(order_id) {
                Some(order) => {
                    let applied = f(order, &mut items);
                    if applied {
                        order.touch();
                    }
                    applied
                }
                None => false,
            };
            s.items = items;
            if !applied {
                return None;
            }
            s.order(order_id)
                .and_then(|o| serde_json::to_vec(&shipment_json(o, &s.items)).ok())
        });
        match body {
            Some(body) => {
                webhooks::deliver(self, topic, body, fate).await;
                true
            }
            None => false,
        }
    }

    /// Labels and ships the order's shipment: tracking set, stock leaves the shelf,
    /// `order.shipped` sent. `false` when the order is unknown, cancelled or already shipped.
    async fn ship(&self, order_id: u64, carrier: &str, tracking: &str, fate: WebhookFate) -> bool {
        let carrier = carrier.to_string();
        let tracking = tracking.to_string();
        self.change(order_id, "order.shipped", fate, move |order, items| {
            if order.is_shipped() || order.status == "Cancelled" {
                return false;
            }
            let now = store::now();
            for line in &order.lines {
                if let Some(item) = items
                    .iter_mut()
                    .find(|i| i.inventory_id == line.inventory_id)
                {
                    item.on_hand -= i64::from(line.quantity);
                }
            }
            order.status = "Fulfilled".into();
            order.shipment.status = "Completed".into();
            order.shipment.status_details.clear();
            order.shipment.last_tracking_update_at = Some(now);
            order.shipment.tracking = Some(Tracking {
                tracking_url: format!("https://track.example.invalid/{carrier}/{tracking}"),
                carrier_service: format!("{carrier} Ground"),
                carrier,
                tracking_number: tracking,
                shipping_date: now,
            });
            true
        })
        .await
    }
}

/// A running simulated ShipBob account.
pub struct ShipBobSim {
    shared: Arc<Shared>,
    addr: SocketAddr,
}

/// Binds 127.0.0.1 on a free port and serves in a spawned task.
pub async fn start(config: ShipBobSimConfig) -> std::io::Result<Arc<ShipBobSim>> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let window = guard::SlidingWindow::new(config.requests_per_window, config.window);
    let shared = Arc::new(Shared {
        base_url: format!("http://{addr}"),
        store: Mutex::new(Store::default()),
        window: Mutex::new(window),
        target: Mutex::new(None),
        token_expired: Mutex::new(false),
        http: reqwest::Client::new(),
        recorder: Arc::default(),
        config,
    });
    let app = router(Arc::clone(&shared));
    tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, app).await {
            tracing::error!(%err, "shipbob simulator stopped");
        }
    });
    Ok(Arc::new(ShipBobSim { shared, addr }))
}

fn router(shared: Arc<Shared>) -> Router {
    let v = shared.config.api_version.clone();
    Router::new()
        .route(
            &format!("/{v}/order"),
            get(orders::list).post(orders::create),
        )
        .route(
            &format!("/{v}/order/{{id}}"),
            get(orders::get_one).post(orders::action),
        )
        .route(
            &format!("/{v}/order/{{id}}/shipment"),
            get(orders::shipments),
        )
        .route(&format!("/{v}/shipment/{{id}}"), get(orders::shipment))
        .route(&format!("/{v}/inventory-level"), get(inventory::levels))
        .route_layer(from_fn_with_state(Arc::clone(&shared), guard::guard))
        .fallback(orders::fallback)
        .method_not_allowed_fallback(orders::fallback)
        .layer(from_fn_with_state(
            Arc::clone(&shared.recorder),
            crate::record::layer,
        ))
        .with_state(shared)
}

impl ShipBobSim {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request served and webhook sent, once [`crate::Recorder::start`] is called.
    pub fn recorder(&self) -> &crate::Recorder {
        &self.shared.recorder
    }

    /// The API root to configure (`base_url`); paths add the version.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    pub fn config(&self) -> &ShipBobSimConfig {
        &self.shared.config
    }

    /// Where webhooks go from now on, as a subscription to every order topic would send them.
    pub fn set_webhook_target(&self, url: &str) {
        *self.shared.target.lock().unwrap_or_else(|e| e.into_inner()) = Some(url.to_string());
    }

    /// Sets what is on the shelf for a SKU, creating the product if it is new.
    pub fn set_inventory(&self, sku: &str, name: &str, on_hand: i64) {
        self.shared.with_store(|s| {
            s.item_for(sku, name);
            if let Some(item) = s.item_by_sku_mut(sku) {
                item.on_hand = on_hand;
                s.stats.stock_writes += 1;
            }
        });
    }

    /// `(on_hand, committed)` for a SKU.
    pub fn inventory(&self, sku: &str) -> Option<(i64, i64)> {
        self.shared.with_store(|s| {
            s.item_by_sku(sku)
                .map(|i| (i.on_hand, s.committed(i.inventory_id)))
        })
    }

    /// Ships an order now; `false` when it is unknown, cancelled or already shipped.
    pub async fn ship(
        &self,
        order_id: u64,
        carrier: &str,
        tracking: &str,
        fate: WebhookFate,
    ) -> bool {
        self.shared.ship(order_id, carrier, tracking, fate).await
    }

    /// Ships an order after `delay`, in the background.
    pub fn ship_after(
        &self,
        order_id: u64,
        delay: Duration,
        carrier: &str,
        tracking: &str,
        fate: WebhookFate,
    ) {
        let shared = Arc::clone(&self.shared);
        let carrier = carrier.to_string();
        let tracking = tracking.to_string();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            shared.ship(order_id, &carrier, &tracking, fate).await;
        });
    }

    /// The carrier re-labels or reports a new scan: `order.shipment.tracking.updated` with the
    /// given tracking number. `false` unless the order has shipped.
    pub async fn update_tracking(&self, order_id: u64, tracking: &str, fate: WebhookFate) -> bool {
        let tracking = tracking.to_string();
        self.shared
            .change(
                order_id,
                "order.shipment.tracking.updated",
                fate,
                move |order, _| {
                    let Some(t) = order.shipment.tracking.as_mut() else {
                        return false;
                    };
                    t.tracking_number = tracking;
                    order.shipment.last_tracking_update_at = Some(store::now());
                    true
                },
            )
            .await
    }

    /// Moves the shipment to exception, as ShipBob does when it cannot fulfil it (out of stock
    /// for `sku`, or for the whole order when `sku` is `None`): `order.shipment.exception`.
    pub async fn reject(
        &self,
        order_id: u64,
        sku: Option<&str>,
        reason: &str,
        fate: WebhookFate,
    ) -> bool {
        let sku = sku.map(str::to_string);
        let reason = reason.to_string();
        self.shared
            .change(
                order_id,
                "order.shipment.exception",
                fate,
                move |order, _| {
                    if order.is_shipped() || order.status == "Cancelled" {
                        return false;
                    }
                    let inventory_id = sku.as_ref().and_then(|sku| {
                        order
                            .lines
                            .iter()
                            .find(|l| &l.reference_id == sku)
                            .map(|l| l.inventory_id)
                    });
                    if sku.is_some() && inventory_id.is_none() {
                        return false;
                    }
                    order.status = "Exception".into();
                    order.shipment.status = "Exception".into();
                    order.shipment.status_details = vec![StatusDetail {
                        id: if inventory_id.is_some() { 2 } else { 7 },
                        name: if inventory_id.is_some() {
                            "OutOfStock"
                        } else {
                            "Other"
                        }
                        .into(),
                        description: reason,
                        inventory_id,
                    }];
                    true
                },
            )
            .await
    }

    /// Cancels from ShipBob's side (merchant portal): `order.shipment.cancelled`.
    pub async fn cancel_in_portal(&self, order_id: u64, fate: WebhookFate) -> bool {
        self.shared
            .change(order_id, "order.shipment.cancelled", fate, |order, _| {
                if order.is_shipped() || order.status == "Cancelled" {
                    return false;
                }
                order.status = "Cancelled".into();
                order.shipment.status = "Cancelled".into();
                true
            })
            .await
    }

    /// From now on the token is refused as expired.
    pub fn expire_token(&self) {
        *self
            .shared
            .token_expired
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = true;
    }

    /// Fills the current window, as another integration of the same user would.
    pub fn exhaust_window(&self) {
        self.shared.with_window(|w| w.exhaust(Instant::now()));
    }

    /// Ids of the orders carrying `reference_id` in the integration's channel.
    pub fn orders_with_reference(&self, reference_id: &str) -> Vec<u64> {
        self.shared.with_store(|s| {
            s.orders
                .iter()
                .filter(|o| o.reference_id == reference_id)
                .map(|o| o.id)
                .collect()
        })
    }

    /// Orders accepted by `POST /order` so far.
    pub fn orders_created(&self) -> u64 {
        self.shared.with_store(|s| s.orders_created)
    }

    /// The order as `GET /order/{id}` renders it.
    pub fn order_json(&self, order_id: u64) -> Option<Value> {
        self.shared.with_store(|s| {
            s.order(order_id)
                .map(|o| order_json(o, &s.items, &self.shared.config.channel_name))
        })
    }

    /// Every webhook the account fired, oldest first (lost ones too, with `deliveries: 0`).
    pub fn sent_webhooks(&self) -> Vec<SentWebhook> {
        self.shared.with_store(|s| s.webhook_log.clone())
    }

    pub fn stats(&self) -> SimStats {
        self.shared.with_store(|s| s.stats)
    }
}

#[cfg(test)]
mod tests;
