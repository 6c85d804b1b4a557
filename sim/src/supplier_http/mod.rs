//! A dropship supplier with its own small HTTP JSON API, the counterpart of the `http_json`
//! adapter: signed purchase orders (`X-Switchyard-Signature`, refused with 401 when it does not
//! match), deduplicated by `Idempotency-Key` (a repeat answers 200 with the first order, the
//! same key with another body 409), cancellation until shipped, an events list
//! (`GET /v1/events?since=&after=`), a requests-per-second limit answered 429 + `Retry-After`,
//! and signed webhooks (ship notices, line rejections, stock levels) to a target URL.
//!
//! Tests drive the supplier's side: ship, reject lines, publish stock.

mod routes;
pub mod signature;
mod store;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::{get, post};
use chrono::Utc;
use serde_json::{Value, json};

use crate::WebhookFate;
use store::Store;
pub use store::{PoStatus, PurchaseOrder};

#[derive(Debug, Clone)]
pub struct SupplierSimConfig {
    /// The HMAC key shared with the merchant.
    pub secret: String,
    /// Requests allowed per wall-clock second before 429s.
    pub requests_per_second: u32,
    /// How far a signature's `t` may be from now.
    pub tolerance_secs: i64,
}

impl Default for SupplierSimConfig {
    fn default() -> Self {
        Self {
            secret: "supplier-sim-shared-secret".into(),
            requests_per_second: 20,
            tolerance_secs: 300,
        }
    }
}

/// A webhook as the supplier sent it.
#[derive(Debug, Clone)]
pub struct SentWebhook {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The target's answer, `None` when there was no target or it could not be reached.
    pub status: Option<u16>,
}

pub(crate) struct Shared {
    config: SupplierSimConfig,
    store: Mutex<Store>,
    window: Mutex<(Instant, u32)>,
    target: Mutex<Option<String>>,
    sent: Mutex<Vec<SentWebhook>>,
    requests: Mutex<(u64, u64)>,
    http: reqwest::Client,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    fn with_store<R>(&self, f: impl FnOnce(&mut Store) -> R) -> R {
        f(&mut lock(&self.store))
    }

    /// Counts a request; `Some(wait)` when over this second's allowance.
    fn admit(&self) -> Option<Duration> {
        let mut counts = lock(&self.requests);
        counts.0 += 1;
        let mut window = lock(&self.window);
        let now = Instant::now();
        if now.duration_since(window.0) >= Duration::from_secs(1) {
            *window = (now, 0);
        }
        window.1 += 1;
        if window.1 > self.config.requests_per_second {
            counts.1 += 1;
            return Some(Duration::from_secs(1).saturating_sub(now.duration_since(window.0)));
        }
        None
    }

    /// Signs and records `event`, then POSTs it to the target when one is set.
    async fn emit(&self, event: Value) -> SentWebhook {
        self.emit_with(event, WebhookFate::Deliver).await
    }

    /// Like `emit`, but the delivery can be lost (the event stays in the events list, where
    /// polling finds it) or repeated, as a real sender's retries do.
    async fn emit_with(&self, event: Value, fate: WebhookFate) -> SentWebhook {
        let body = serde_json::to_vec(&event).unwrap_or_default();
        let header = signature::sign(self.config.secret.as_bytes(), Utc::now().timestamp(), &body);
        let headers = vec![
            ("content-type".to_string(), "application/json".to_string()),
            (signature::HEADER.to_string(), header),
        ];
        let target = lock(&self.target)
            .clone()
            .filter(|_| fate != WebhookFate::Lose);
        let times = if fate == WebhookFate::Duplicate { 2 } else { 1 };
        let mut status = None;
        if let Some(url) = target {
            for _ in 0..times {
                let mut request = self.http.post(&url).body(body.clone());
                for (k, v) in &headers {
                    request = request.header(k, v);
                }
                status = request.send().await.ok().map(|r| r.status().as_u16());
            }
        }
        let sent = SentWebhook {
            headers,
            body,
            status,
        };
        lock(&self.sent).push(sent.clone());
        sent
    }
}

pub struct SupplierSim {
    shared: Arc<Shared>,
    base_url: String,
}

/// Binds 127.0.0.1 on a free port and serves in a spawned task.
pub async fn start(config: SupplierSimConfig) -> std::io::Result<SupplierSim> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base_url = format!("http://{}", listener.local_addr()?);
    let shared = Arc::new(Shared {
        config,
        store: Mutex::new(Store::default()),
        window: Mutex::new((Instant::now(), 0)),
        target: Mutex::new(None),
        sent: Mutex::new(Vec::new()),
        requests: Mutex::new((0, 0)),
        http: reqwest::Client::new(),
    });
    let app = Router::new()
        .route("/v1/purchase_orders", post(routes::create))
        .route("/v1/purchase_orders/{po}/cancel", post(routes::cancel))
        .route("/v1/events", get(routes::events))
        .with_state(shared.clone());
    tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, app).await {
            tracing::error!(%err, "supplier simulator stopped");
        }
    });
    Ok(SupplierSim { shared, base_url })
}

impl SupplierSim {
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn order_url(&self) -> String {
        format!("{}/v1/purchase_orders", self.base_url)
    }

    /// With the `{po}` placeholder the adapter fills in.
    pub fn cancel_url(&self) -> String {
        format!("{}/v1/purchase_orders/{{po}}/cancel", self.base_url)
    }

    pub fn events_url(&self) -> String {
        format!("{}/v1/events", self.base_url)
    }

    pub fn secret(&self) -> &str {
        &self.shared.config.secret
    }

    /// Where webhooks go from now on.
    pub fn set_webhook_target(&self, url: Option<String>) {
        *lock(&self.shared.target) = url;
    }

    pub fn orders(&self) -> Vec<PurchaseOrder> {
        self.shared
            .with_store(|s| s.orders.values().cloned().collect())
    }

    pub fn order(&self, po: &str) -> Option<PurchaseOrder> {
        self.shared.with_store(|s| s.by_po(po).cloned())
    }

    /// `(requests, throttled)` so far.
    pub fn request_counts(&self) -> (u64, u64) {
        *lock(&self.shared.requests)
    }

    pub fn sent_webhooks(&self) -> Vec<SentWebhook> {
        lock(&self.shared.sent).clone()
    }

    /// Ships every line of `po`; `None` if unknown, cancelled or shipped already.
    pub async fn ship(&self, po: &str, carrier: &str, tracking: &str) -> Option<SentWebhook> {
        self.ship_with(po, carrier, tracking, WebhookFate::Deliver)
            .await
    }

    /// `ship`, with the ship notice's webhook delivered, lost or sent twice.
    pub async fn ship_with(
        &self,
        po: &str,
        carrier: &str,
        tracking: &str,
        fate: WebhookFate,
    ) -> Option<SentWebhook> {
        let event = self.shared.with_store(|s| {
            let order = s.by_po(po)?;
            if order.status != PoStatus::Accepted {
                return None;
            }
            order.status = PoStatus::Shipped;
            let data = json!({
                "po_number": order.po_number,
                "order_id": order.id,
                "carrier": carrier,
                "tracking_number": tracking,
                "tracking_url": format!("https://track.example/{carrier}/{tracking}"),
                "shipped_at": Utc::now().to_rfc3339(),
                "lines": order.lines().iter().map(|(sku, q)| json!({"sku": sku, "quantity": q})).collect::<Vec<_>>(),
            });
            Some(s.event("order.shipped", data))
        })?;
        Some(self.shared.emit_with(event, fate).await)
    }

    /// Refuses the given `(supplier sku, quantity)` lines of `po` (all when empty).
    pub async fn reject(
        &self,
        po: &str,
        lines: &[(&str, u32)],
        reason: &str,
    ) -> Option<SentWebhook> {
        let event = self.shared.with_store(|s| {
            let order = s.by_po(po)?;
            let known = order.lines();
            if lines.iter().any(|(sku, _)| !known.iter().any(|(k, _)| k == sku)) {
                return None;
            }
            if lines.is_empty() {
                order.status = PoStatus::Cancelled;
            }
            let data = json!({
                "po_number": order.po_number,
                "order_id": order.id,
                "reason": reason,
                "lines": lines.iter().map(|(sku, q)| json!({"sku": sku, "quantity": q})).collect::<Vec<_>>(),
            });
            Some(s.event("order.rejected", data))
        })?;
        Some(self.shared.emit(event).await)
    }

    /// Publishes stock levels `(supplier sku, available)` in one `stock.level` event.
    pub async fn publish_stock(&self, levels: &[(&str, i64)]) -> SentWebhook {
        let event = self.shared.with_store(|s| {
            s.event(
                "stock.level",
                json!({
                    "as_of": Utc::now().to_rfc3339(),
                    "levels": levels.iter().map(|(sku, n)| json!({"sku": sku, "available": n})).collect::<Vec<_>>(),
                }),
            )
        });
        self.shared.emit(event).await
    }
}

#[cfg(test)]
mod tests;
