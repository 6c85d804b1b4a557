//! Orders at risk of shipping late: every few seconds the daemon counts the orders not shipped
//! with less than `late_margin_secs` left before their ship-by (`Store::count_at_risk`, the
//! same rule as `switchyard orders late`) and publishes `orders_at_risk`; a rise is logged as
//! a warning for a person. Each such order is a `ship_late` exception while it is at risk
//! (the first 1,000, soonest first), cleared once it ships or its ship-by moves.

use std::sync::Arc;
use std::time::Duration;

use switchyard_core::exceptions::{ExceptionKind, Subject};
use switchyard_core::store::now_ms;
use tokio::sync::watch;

use super::App;

/// How often the count is refreshed: ship-by times are hours apart, a few seconds is plenty.
const EVERY: Duration = Duration::from_secs(5);

pub async fn run(app: Arc<App>, mut stopped: watch::Receiver<bool>) {
    let margin = app.config.late_margin_secs;
    let mut last: Option<i64> = None;
    // The order ids at the last successful sync: an unchanged set writes nothing.
    let mut synced: Option<Vec<i64>> = None;
    loop {
        match app.store.count_at_risk(now_ms(), margin).await {
            Ok(n) => {
                app.metrics.orders_at_risk.set(n);
                if last.is_some_and(|l| n > l) || (last.is_none() && n > 0) {
                    tracing::warn!(
                        orders = n,
                        margin_secs = margin,
                        "orders at risk of shipping late (switchyard orders late)"
                    );
                }
                last = Some(n);
            }
            Err(e) => app.store_failed("counting orders at risk", &e),
        }
        match app.store.late_orders(now_ms(), margin, 1000).await {
            Ok(late) => {
                let ids: Vec<i64> = late.iter().map(|l| l.order.id).collect();
                if synced.as_ref() != Some(&ids) {
                    let present: Vec<(Subject, String)> = late
                        .iter()
                        .map(|l| {
                            let left = (l.ship_by_ms - now_ms()) / 1000;
                            let when = if left >= 0 {
                                format!("{left} s left")
                            } else {
                                format!("{} s overdue", -left)
                            };
                            (
                                Subject::Order(l.order.id),
                                format!(
                                    "order {} ({} {}) not shipped; ship-by {} ({when})",
                                    l.order.id,
                                    l.order.channel_id,
                                    l.order.number,
                                    chrono::DateTime::from_timestamp_millis(l.ship_by_ms)
                                        .map_or_else(
                                            || l.ship_by_ms.to_string(),
                                            |t| t.to_rfc3339()
                                        )
                                ),
                            )
                        })
                        .collect();
                    if app.exceptions.sync(ExceptionKind::ShipLate, &present).await {
                        synced = Some(ids);
                    }
                }
            }
            Err(e) => app.store_failed("listing orders at risk", &e),
        }
        tokio::select! {
            _ = tokio::time::sleep(EVERY) => {}
            _ = stopped.changed() => {}
        }
        if *stopped.borrow() {
            return;
        }
    }
}
