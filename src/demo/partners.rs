//! The fulfilment partners the demo routes to: a ShipBob-shaped 3PL and a dropship supplier
//! with a signed HTTP JSON API, their locations in the daemon's configuration, their stock,
//! and their pick wave.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use switchyard_core::config::{
    AdapterConfig, AdapterKind, HttpJsonAdapterConfig, LocationConfig, LocationKind,
    RateLimitConfig,
};
use switchyard_core::store::{OnHandSource, Store};
use switchyard_sim::WebhookFate;
use switchyard_sim::shipbob::{self, ShipBobSim, ShipBobSimConfig};
use switchyard_sim::supplier_http::{self, SupplierSim, SupplierSimConfig};

/// The 3PL's location id; its orders carry `ff:bob:<channel>:<order>` as ShipBob reference.
pub const THREE_PL: &str = "bob";
/// The dropship supplier's location id; the same key is its PO number.
pub const SUPPLIER: &str = "bolt";
/// Apparel, stored at the 3PL.
pub const THREE_PL_SKU_PREFIX: &str = "TEE-";
/// What only the supplier carries.
pub const SUPPLIER_SKU_PREFIX: &str = "DS-";
/// Units on the 3PL's shelf per SKU at the start.
pub const THREE_PL_ON_HAND: i64 = 30;
/// Units the supplier's stock feed reports per SKU at the start.
pub const SUPPLIER_AVAILABLE: i64 = 25;

pub struct Partners {
    pub three_pl: Arc<ShipBobSim>,
    pub supplier: Arc<SupplierSim>,
    pub three_pl_skus: Vec<String>,
    pub supplier_skus: Vec<String>,
}

/// The key Switchyard submits an order's part to a partner with (its reference / PO number).
pub fn reference(location: &str, channel: &str, external_id: &str) -> String {
    format!("ff:{location}:{channel}:{external_id}")
}

impl Partners {
    pub async fn start() -> anyhow::Result<Self> {
        let three_pl = shipbob::start(ShipBobSimConfig::default())
            .await
            .context("starting the ShipBob simulator")?;
        let supplier = supplier_http::start(SupplierSimConfig::default())
            .await
            .context("starting the supplier simulator")?;
        let partners = Self {
            three_pl,
            supplier: Arc::new(supplier),
            three_pl_skus: (1..=4)
                .map(|i| format!("{THREE_PL_SKU_PREFIX}{i:03}"))
                .collect(),
            supplier_skus: (1..=3)
                .map(|i| format!("{SUPPLIER_SKU_PREFIX}{i:03}"))
                .collect(),
        };
        for (i, sku) in partners.three_pl_skus.iter().enumerate() {
            partners
                .three_pl
                .set_inventory(sku, &format!("Demo tee {}", i + 1), THREE_PL_ON_HAND);
        }
        Ok(partners)
    }

    /// The two partner locations, polled often enough for the demo's pace.
    pub fn locations(&self) -> Vec<LocationConfig> {
        let sb = self.three_pl.config();
        let mut bob = AdapterConfig::new(AdapterKind::Shipbob);
        bob.base_url = Some(self.three_pl.base_url());
        bob.access_token = Some(sb.access_token.clone());
        bob.channel_id = Some(sb.channel_id.to_string());
        bob.webhook_secret = Some(sb.webhook_secret.clone());
        // ShipBob allows 150 requests a minute; a poll every 2 s leaves most of it for orders.
        bob.poll_interval_secs = 2;
        bob.poll_overlap_secs = 30;
        let mut bolt = AdapterConfig::new(AdapterKind::HttpJson);
        bolt.http_json = Some(HttpJsonAdapterConfig {
            events_url: Some(self.supplier.events_url()),
            ..HttpJsonAdapterConfig::new(
                &self.supplier.order_url(),
                &self.supplier.cancel_url(),
                self.supplier.secret(),
            )
        });
        bolt.poll_interval_secs = 1;
        bolt.poll_overlap_secs = 30;
        // The simulated supplier allows 20 a second.
        bolt.rate_limit = Some(RateLimitConfig {
            per_second: 15.0,
            burst: 15,
        });
        let location = |id: &str, kind, name: &str, adapter, catalog| LocationConfig {
            id: id.into(),
            kind,
            name: Some(name.into()),
            adapter: Some(adapter),
            coordinates: None,
            country: None,
            region: None,
            catalog,
        };
        vec![
            location(
                THREE_PL,
                LocationKind::ThirdParty,
                "ShipBob (simulated)",
                bob,
                Vec::new(),
            ),
            location(
                SUPPLIER,
                LocationKind::Dropship,
                "Bolt Supply (simulated)",
                bolt,
                vec![format!("{SUPPLIER_SKU_PREFIX}*")],
            ),
        ]
    }

    /// Partner webhooks go to `/webhooks/<location>` on the daemon.
    pub fn set_webhook_targets(&self, daemon: std::net::SocketAddr) {
        self.three_pl
            .set_webhook_target(&format!("http://{daemon}/webhooks/{THREE_PL}"));
        self.supplier
            .set_webhook_target(Some(format!("http://{daemon}/webhooks/{SUPPLIER}")));
    }

    /// The supplier publishes what it can ship (a signed `stock.level` webhook).
    pub async fn publish_supplier_stock(&self) -> anyhow::Result<()> {
        let levels: Vec<(&str, i64)> = self
            .supplier_skus
            .iter()
            .map(|s| (s.as_str(), SUPPLIER_AVAILABLE))
            .collect();
        let sent = self.supplier.publish_stock(&levels).await;
        anyhow::ensure!(
            sent.status == Some(200),
            "the daemon answered the supplier's stock webhook with {:?}",
            sent.status
        );
        Ok(())
    }

    /// The 3PL's counts as its inventory-level API reports them, read through the daemon's own
    /// ShipBob adapter and recorded as a feed before the daemon starts: the daemon does not poll
    /// ShipBob's levels by itself yet. Returns the SKUs imported.
    pub async fn import_three_pl_stock(
        &self,
        location: &LocationConfig,
        store: &dyn Store,
    ) -> anyhow::Result<usize> {
        // ShipBob keeps no connector state; nothing here needs the store's.
        let state = std::sync::Arc::new(switchyard_core::connector_state::MemoryState::new());
        let target = switchyard_connectors::fulfillment::build(location, state)?
            .context("the 3PL location has no adapter")?;
        let levels = target
            .inventory()
            .await
            .context("reading ShipBob's inventory levels")?;
        let counts: Vec<(String, i64)> = levels
            .iter()
            .map(|l| (l.sku.clone(), l.on_hand.unwrap_or(l.available)))
            .collect();
        store
            .set_on_hand(
                THREE_PL,
                &counts,
                OnHandSource::Feed,
                "ShipBob inventory levels",
            )
            .await?;
        Ok(counts.len())
    }

    /// The 3PL's order id for a reference, when exactly one exists.
    pub fn three_pl_orders(&self, reference: &str) -> Vec<u64> {
        self.three_pl.orders_with_reference(reference)
    }

    /// Ships one part at its partner after `delay`, like the partner's warehouse does after
    /// picking, with the ship notice's webhook delivered or lost. `false` when the partner has
    /// no such open order.
    pub fn ship_after(
        &self,
        location: &str,
        reference: &str,
        tracking: &str,
        delay: Duration,
        fate: WebhookFate,
    ) -> bool {
        match location {
            THREE_PL => match self.three_pl_orders(reference).as_slice() {
                [id] => {
                    self.three_pl.ship_after(*id, delay, "USPS", tracking, fate);
                    true
                }
                _ => false,
            },
            SUPPLIER => {
                if self.supplier.order(reference).is_none() {
                    return false;
                }
                let supplier = Arc::clone(&self.supplier);
                let (po, tracking) = (reference.to_string(), tracking.to_string());
                tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    supplier.ship_with(&po, "FedEx", &tracking, fate).await;
                });
                true
            }
            _ => false,
        }
    }
}
