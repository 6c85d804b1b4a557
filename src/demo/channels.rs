//! One simulator per channel kind, and the channel configuration that points the daemon at it.

use std::sync::Arc;

use anyhow::Context;
use switchyard_core::config::ChannelConfig;
use switchyard_core::model::ChannelKind;
use switchyard_sim::SimulatedChannel;
use switchyard_sim::amazon::{AmazonSim, AmazonSimConfig};
use switchyard_sim::bigcommerce::BigCommerceSimConfig;
use switchyard_sim::ebay::{EbaySim, EbaySimConfig};
use switchyard_sim::etsy::{EtsySim, EtsySimConfig};
use switchyard_sim::shopify::{ShopifySim, ShopifySimConfig};
use switchyard_sim::walmart::{WalmartSim, WalmartSimConfig};
use switchyard_sim::woocommerce::{WooSim, WooSimConfig};

use super::DemoChannel;

/// Polls every second so orders whose webhook was lost (or channels without webhooks) show up
/// within the demo's time.
fn base(id: &str, kind: ChannelKind, url: String) -> ChannelConfig {
    ChannelConfig {
        poll_interval_secs: 1,
        poll_overlap_secs: 5,
        ..ChannelConfig::new(id, kind, url)
    }
}

/// Starts the simulator of `kind` with its real default limits and returns it with its config.
pub async fn start(kind: ChannelKind) -> anyhow::Result<(DemoChannel, ChannelConfig)> {
    start_sim(kind)
        .await
        .with_context(|| format!("starting the {kind} simulator"))
}

async fn start_sim(kind: ChannelKind) -> anyhow::Result<(DemoChannel, ChannelConfig)> {
    let id = kind.as_str().to_string();
    let (sim, config, buffer): (Arc<dyn SimulatedChannel>, ChannelConfig, u32) = match kind {
        ChannelKind::Shopify => {
            let c = ShopifySimConfig::default();
            let sim = ShopifySim::start(c.clone()).await?;
            let cfg = ChannelConfig {
                access_token: Some(c.access_token.clone()),
                api_version: Some(c.api_version.clone()),
                location_id: Some(sim.location_gid()),
                webhook_secret: Some(c.client_secret.clone()),
                ..base(&id, kind, sim.base_url())
            };
            (sim, cfg, 2)
        }
        ChannelKind::Woocommerce => {
            let c = WooSimConfig::default();
            let sim = WooSim::start(c.clone()).await?;
            let cfg = ChannelConfig {
                consumer_key: Some(c.consumer_key.clone()),
                consumer_secret: Some(c.consumer_secret.clone()),
                webhook_secret: Some(c.webhook_secret.clone()),
                ..base(&id, kind, sim.base_url())
            };
            (sim, cfg, 0)
        }
        ChannelKind::Amazon => {
            let c = AmazonSimConfig::default();
            let sim = AmazonSim::start(c.clone()).await?;
            let cfg = ChannelConfig {
                client_id: Some(c.client_id.clone()),
                client_secret: Some(c.client_secret.clone()),
                refresh_token: Some(c.refresh_token.clone()),
                token_url: Some(sim.token_url()),
                marketplace_id: Some(c.marketplace_id.clone()),
                seller_id: Some(c.seller_id.clone()),
                webhook_secret: Some(c.notification_api_key.clone()),
                ..base(&id, kind, sim.base_url())
            };
            (sim, cfg, 1)
        }
        ChannelKind::Ebay => {
            let c = EbaySimConfig::default();
            let sim = EbaySim::start(c.clone()).await?;
            let cfg = ChannelConfig {
                client_id: Some(c.client_id.clone()),
                client_secret: Some(c.client_secret.clone()),
                refresh_token: Some(c.refresh_token.clone()),
                token_url: Some(sim.token_url()),
                ..base(&id, kind, sim.base_url())
            };
            (sim, cfg, 0)
        }
        ChannelKind::Walmart => {
            let c = WalmartSimConfig::default();
            let sim = WalmartSim::start(c.clone()).await?;
            let cfg = ChannelConfig {
                client_id: Some(c.client_id.clone()),
                client_secret: Some(c.client_secret.clone()),
                ..base(&id, kind, sim.base_url())
            };
            (sim, cfg, 1)
        }
        ChannelKind::Etsy => {
            let c = EtsySimConfig::default();
            let sim = EtsySim::start(c.clone()).await?;
            let cfg = ChannelConfig {
                client_id: Some(c.keystring.clone()),
                client_secret: c.shared_secret.clone(),
                refresh_token: Some(c.refresh_token.clone()),
                token_url: Some(sim.token_url()),
                shop_id: Some(c.shop_id.to_string()),
                ..base(&id, kind, sim.base_url())
            };
            (sim, cfg, 0)
        }
        ChannelKind::Bigcommerce => {
            let c = BigCommerceSimConfig::default();
            let sim = switchyard_sim::bigcommerce::start(c.clone()).await?;
            let cfg = ChannelConfig {
                store_hash: Some(c.store_hash.clone()),
                access_token: Some(c.access_token.clone()),
                webhook_secret: Some(c.client_secret.clone()),
                location_id: Some(c.location_id.to_string()),
                ..base(&id, kind, sim.base_url())
            };
            (sim, cfg, 0)
        }
    };
    let mut config = config;
    config.stock.buffer = buffer;
    Ok((
        DemoChannel {
            id,
            sim,
            buffer,
            always_paid: kind == ChannelKind::Walmart,
        },
        config,
    ))
}
