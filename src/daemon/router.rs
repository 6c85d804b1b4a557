//! Paid orders → a routing decision (pure), stored with its explanation.

use std::sync::Arc;

use switchyard_core::routing;
use tokio::sync::watch;

use super::App;

pub async fn run(app: Arc<App>, mut stopped: watch::Receiver<bool>) {
    let own = app.config.own_warehouse().map(|l| l.id.clone());
    loop {
        let batch = match app.store.orders_to_route(100).await {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(error = %e, "reading orders to route failed");
                Vec::new()
            }
        };
        if batch.is_empty() {
            if !super::idle(&app.wake.route, app.timing.idle_scan, &mut stopped).await {
                return;
            }
            continue;
        }
        for o in &batch {
            let decision = routing::route(&o.order, own.as_deref());
            match app.store.record_route(o.order_id, &decision).await {
                Ok(()) => {
                    tracing::info!(order_id = o.order_id, channel = %o.channel_id, location = ?decision.location_id, rule = %decision.rule, "order routed");
                    app.metrics.add(
                        "orders_routed_total",
                        &format!("channel=\"{}\"", o.channel_id),
                        1,
                    );
                }
                Err(e) => {
                    tracing::error!(order_id = o.order_id, error = %e, "recording route failed");
                    break;
                }
            }
        }
        if *stopped.borrow() {
            return;
        }
    }
}
