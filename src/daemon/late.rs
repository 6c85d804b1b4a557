//! Orders at risk of shipping late: every few seconds the daemon counts the orders not shipped
//! with less than `late_margin_secs` left before their ship-by (`Store::count_at_risk`, the
//! same rule as `switchyard orders late`) and publishes `orders_at_risk`; a rise is logged as
//! a warning for a person.

use std::sync::Arc;
use std::time::Duration;

use switchyard_core::store::now_ms;
use tokio::sync::watch;

use super::App;

/// How often the count is refreshed: ship-by times are hours apart, a few seconds is plenty.
const EVERY: Duration = Duration::from_secs(5);

pub async fn run(app: Arc<App>, mut stopped: watch::Receiver<bool>) {
    let margin = app.config.late_margin_secs;
    let mut last: Option<i64> = None;
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
        tokio::select! {
            _ = tokio::time::sleep(EVERY) => {}
            _ = stopped.changed() => {}
        }
        if *stopped.borrow() {
            return;
        }
    }
}
