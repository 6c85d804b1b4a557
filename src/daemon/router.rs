//! Paid orders → the stock they could use → the merchant's rules (pure) → a plan stored with
//! its explanation and the reservations moved, one order at a time so each sees the stock the
//! previous one took.

use std::sync::Arc;

use switchyard_core::routing::Router;
use switchyard_core::store::RoutableOrder;
use tokio::sync::watch;

use super::App;

pub async fn run(app: Arc<App>, mut stopped: watch::Receiver<bool>) {
    // The configuration was validated at load, so this only fails for hand-built ones; then
    // orders stay waiting rather than being routed by rules that did not compile.
    let router = match Router::new(&app.config.routing, &app.config.locations) {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "routing rules do not compile; nothing will be routed");
            return;
        }
    };
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
            if let Err(e) = route_one(&app, &router, o).await {
                tracing::error!(order_id = o.order_id, error = %e, "routing failed");
                break;
            }
        }
        if *stopped.borrow() {
            return;
        }
    }
}

async fn route_one(
    app: &App,
    router: &Router,
    o: &RoutableOrder,
) -> Result<(), switchyard_core::store::StoreError> {
    let skus: Vec<String> = o
        .order
        .sku_quantities()
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    let stock = app.store.stock_by_location(&skus, Some(o.order_id)).await?;
    let plan = router.plan(&o.order, &o.channel_id, &stock);
    app.store.record_route(o.order_id, &plan).await?;
    let labels = format!("channel=\"{}\"", o.channel_id);
    if plan.is_held() {
        tracing::info!(order_id = o.order_id, channel = %o.channel_id, reason = ?plan.held_reason(), "order held");
        app.metrics.add("orders_held_total", &labels, 1);
    } else {
        tracing::info!(order_id = o.order_id, channel = %o.channel_id, to = %plan.outcome(), rule = %plan.rule_summary(), "order routed");
        app.metrics.add("orders_routed_total", &labels, 1);
        app.wake.fulfil.notify_one();
    }
    Ok(())
}
