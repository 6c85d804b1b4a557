//! Paid orders → the stock they could use → the merchant's rules (pure) → a plan stored with
//! its explanation and the reservations moved, one order at a time so each sees the stock the
//! previous one took. Lines a partner refused come back here (`rerouting`) and are placed
//! again by the same rules, never where they were refused.

use super::metrics::ByChannel;
use std::sync::Arc;

use switchyard_core::exceptions::{ExceptionKind, Subject};
use switchyard_core::routing::{Reroute, RoutePlan, Router};
use switchyard_core::store::{RerouteWork, RoutableOrder};
use tokio::sync::watch;
use tracing::Instrument;

use super::App;
use super::faults::Backoff;

pub async fn run(app: Arc<App>, mut stopped: watch::Receiver<bool>) {
    // The configuration was validated at load, so this only fails for hand-built ones; then
    // orders stay waiting rather than being routed by rules that did not compile.
    let router = match Router::new(&app.config.routing, &app.config.locations) {
        Ok(r) => r.with_kits(app.config.kits.iter().map(|k| k.sku.clone())),
        Err(e) => {
            tracing::error!(error = %e, "routing rules do not compile; nothing will be routed");
            return;
        }
    };
    let partners: Vec<String> = app.targets.keys().cloned().collect();
    let mut backoff = Backoff::worker();
    loop {
        let mut failed = !rerouted(&app, &router, &partners).await;
        let batch = match app.store.orders_to_route(100).await {
            Ok(b) => b,
            Err(e) => {
                app.store_failed("reading orders to route", &e);
                failed = true;
                Vec::new()
            }
        };
        if failed {
            if !backoff.wait(&mut stopped).await {
                return;
            }
            continue;
        }
        if batch.is_empty() {
            if !super::idle(&app.wake.route, app.timing.idle_scan, &mut stopped).await {
                return;
            }
            continue;
        }
        for o in &batch {
            let span = tracing::info_span!("route", order_id = o.order_id, channel = %o.channel_id);
            if let Err(e) = route_one(&app, &router, o).instrument(span).await {
                app.store_failed("routing an order", &e);
                failed = true;
                break;
            }
        }
        if failed {
            if !backoff.wait(&mut stopped).await {
                return;
            }
        } else {
            backoff.reset();
        }
        if *stopped.borrow() {
            return;
        }
    }
}

/// Places again the lines locations refused, with the same rules and a fresh snapshot, never
/// at a location that refused the order; the new partner's submission is queued with the plan.
/// False when the store failed.
async fn rerouted(app: &App, router: &Router, partners: &[String]) -> bool {
    let work = match app.store.orders_to_reroute(100).await {
        Ok(w) => w,
        Err(e) => {
            app.store_failed("reading orders to re-route", &e);
            return false;
        }
    };
    for w in &work {
        let span = tracing::info_span!("reroute", order_id = w.order_id, channel = %w.channel_id);
        if let Err(e) = reroute_one(app, router, partners, w).instrument(span).await {
            app.store_failed("re-routing an order", &e);
            return false;
        }
    }
    true
}

async fn reroute_one(
    app: &App,
    router: &Router,
    partners: &[String],
    w: &RerouteWork,
) -> Result<(), switchyard_core::store::StoreError> {
    let skus: Vec<String> = w
        .order
        .sku_quantities()
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    let stock = app.store.stock_by_location(&skus, Some(w.order_id)).await?;
    let input = Reroute {
        keep: w.keep.clone(),
        exclude: w.refused.iter().map(|(l, _)| l.clone()).collect(),
        because: w.refused.iter().map(|(_, why)| why.clone()).collect(),
        previous: w.previous.clone(),
    };
    let plan = router.replan(&w.order, &w.channel_id, &stock, &input);
    if !app
        .store
        .record_reroute(w.order_id, &plan, partners)
        .await?
    {
        return Ok(());
    }
    let labels = ByChannel::new(&w.channel_id);
    app.metrics.orders_rerouted.get_or_create(&labels).inc();
    if plan.is_held() {
        tracing::warn!(order_id = w.order_id, reason = ?plan.held_reason(), "refused lines have nowhere to go; order held");
        app.metrics.orders_held.get_or_create(&labels).inc();
        raise_held(app, w.order_id, &plan).await;
    } else {
        tracing::info!(order_id = w.order_id, to = %plan.outcome(), because = %input.because.join("; "), "order re-routed");
        app.wake.outbox.notify_one();
    }
    Ok(())
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
    let labels = ByChannel::new(&o.channel_id);
    if plan.is_held() {
        tracing::info!(order_id = o.order_id, channel = %o.channel_id, reason = ?plan.held_reason(), "order held");
        app.metrics.orders_held.get_or_create(&labels).inc();
        raise_held(app, o.order_id, &plan).await;
    } else {
        tracing::info!(order_id = o.order_id, channel = %o.channel_id, to = %plan.outcome(), rule = %plan.rule_summary(), "order routed");
        app.metrics.orders_routed.get_or_create(&labels).inc();
        app.wake.fulfil.notify_one();
    }
    Ok(())
}

/// A held order is an exception (cleared by its release); each SKU nobody carries is one more
/// (cleared when the SKU is counted in).
async fn raise_held(app: &App, order_id: i64, plan: &RoutePlan) {
    let reason = plan.held_reason().unwrap_or_else(|| "held".into());
    app.exceptions
        .raise(
            ExceptionKind::OrderHeld,
            Subject::Order(order_id),
            &format!("order {order_id} held: {reason}"),
        )
        .await;
    let mut unknown: Vec<&str> = Vec::new();
    for l in &plan.lines {
        if l.location.is_none()
            && l.decided_by == "unknown_sku"
            && let Some(sku) = l.sku.as_deref()
            && !unknown.contains(&sku)
        {
            unknown.push(sku);
        }
    }
    for sku in unknown {
        app.exceptions
            .raise(
                ExceptionKind::UnknownSku,
                Subject::Sku(sku.to_string()),
                &format!(
                    "SKU `{sku}` (order {order_id}) is stocked nowhere, no kit and in no supplier \
                     catalog: count it in or map it with sku_aliases"
                ),
            )
            .await;
    }
}
