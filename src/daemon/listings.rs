//! Finds each SKU's listing in a channel's catalog (configured mappings win), at start and on a
//! schedule, so new SKUs and new listings start receiving levels. Only SKUs without a stored
//! listing are looked for: a restart does not re-read a catalog it already knows (at 100,000
//! SKUs that was hours of Amazon `getListingsItem` and a tenth of Etsy's daily budget, spent
//! while pushes waited on the same limits).

use std::sync::Arc;

use switchyard_core::ports::Listing;
use tokio::sync::watch;

use super::App;

pub async fn run(app: Arc<App>, channel_id: String, mut stopped: watch::Receiver<bool>) {
    let (Some(channel), Some(cfg)) = (
        app.channels.get(&channel_id).cloned(),
        app.config.channels.iter().find(|c| c.id == channel_id),
    ) else {
        return;
    };
    let configured: Vec<Listing> = cfg
        .listings
        .iter()
        .map(|(sku, reference)| Listing {
            sku: sku.clone(),
            reference: reference.clone(),
            channel_quantity: None,
        })
        .collect();
    loop {
        if !configured.is_empty()
            && let Err(e) = app
                .store
                .upsert_listings(&channel_id, &configured, "configured")
                .await
        {
            app.store_failed("storing configured listings", &e);
        }
        match app.store.unlisted_skus(&channel_id).await {
            Ok(skus) => {
                let wanted: Vec<String> = skus
                    .into_iter()
                    .filter(|s| !cfg.listings.contains_key(s))
                    .collect();
                if !wanted.is_empty() {
                    match channel.discover_listings(&wanted).await {
                        Ok(found) => {
                            tracing::info!(channel = %channel_id, asked = wanted.len(), found = found.len(), "listings discovered");
                            match app
                                .store
                                .upsert_listings(&channel_id, &found, "discovered")
                                .await
                            {
                                Ok(()) => app.wake.push.wake_all(),
                                Err(e) => app.store_failed("storing listings", &e),
                            }
                        }
                        Err(e) => {
                            tracing::warn!(channel = %channel_id, error = %e, "listing discovery failed")
                        }
                    }
                }
            }
            Err(e) => app.store_failed("reading SKUs", &e),
        }
        tokio::select! {
            _ = tokio::time::sleep(app.timing.discovery_interval) => {}
            _ = stopped.changed() => {}
        }
        if *stopped.borrow() {
            return;
        }
    }
}
