//! Faults of the outside world with the real binary. A spent daily quota (Etsy answers 429 with
//! a `Retry-After` of two hours): the daemon does not wait hours inside a call; the stock push
//! is rescheduled for when the quota returns, other channels are served meanwhile, the quota is
//! not hammered, and the daemon stops at once when asked.

mod common;

use std::time::{Duration, Instant};

use common::{Env, eventually, eventually_explained};
use switchyard_sim::etsy::{EtsySim, EtsySimConfig};
use switchyard_sim::{OrderSpec, SimulatedChannel, WebhookFate};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spent_daily_quota_reschedules_the_work_instead_of_waiting_hours() {
    let env = Env::new(&[("EQ-1", 30), ("EQ-2", 30)], 0).await;
    // A day's budget of 25 calls: polling every second spends it within seconds.
    let cfg = EtsySimConfig {
        per_day: 25,
        ..EtsySimConfig::default()
    };
    let etsy = EtsySim::start(cfg.clone()).await.expect("etsy sim");
    for sku in ["EQ-1", "EQ-2"] {
        etsy.add_product(sku, &format!("Item {sku}"), "12.50", 0);
    }
    env.edit_config(
        "audit_interval_secs: 1\n",
        &format!(
            r#"  - id: etsy
    kind: etsy
    base_url: "{base}"
    client_id: "{key}"
    client_secret: "{secret}"
    refresh_token: "{refresh}"
    token_url: "{token_url}"
    shop_id: "{shop}"
    poll_interval_secs: 1
    poll_overlap_secs: 5
    drift_interval_secs: 0
audit_interval_secs: 1
"#,
            base = etsy.base_url(),
            key = cfg.keystring,
            secret = cfg.shared_secret.clone().unwrap_or_default(),
            refresh = cfg.refresh_token,
            token_url = etsy.token_url(),
            shop = cfg.shop_id,
        ),
    );
    let daemon = env.start_daemon().await;

    // The quota runs out (listing discovery, the first levels, polls) and Etsy says "2 hours".
    eventually(
        &env,
        Duration::from_secs(60),
        "Etsy's daily quota spent",
        || etsy.remaining_today() == 0 && etsy.stats().throttled > 0,
    )
    .await;

    // A sale on Shopify: every channel's level should drop. Shopify and WooCommerce get it at
    // once; Etsy's push meets the spent quota and is rescheduled, not waited out.
    env.shopify
        .place_order(OrderSpec {
            lines: vec![("EQ-1".into(), 2)],
            paid: true,
            email: "quota@example.com".into(),
            fate: WebhookFate::Deliver,
        })
        .await;
    eventually_explained(
        &env,
        Duration::from_secs(20),
        "other channels served while Etsy's quota is spent",
        || match (env.shopify.stock("EQ-1"), env.woo.stock("EQ-1")) {
            (Some(28), Some(28)) => Ok(()),
            other => Err(format!("shopify, woo: {other:?}")),
        },
    )
    .await;
    // The Etsy change is kept for later: still queued for Etsy, not dead-lettered.
    eventually_explained(
        &env,
        Duration::from_secs(20),
        "Etsy's push queued for when the quota returns",
        || {
            let m = block_on(env.metrics());
            let queued = m
                .lines()
                .find(|l| l.starts_with("switchyard_stock_queue_depth{channel=\"etsy\"}"))
                .and_then(|l| l.rsplit(' ').next()?.parse::<i64>().ok())
                .unwrap_or(0);
            if queued >= 1 {
                Ok(())
            } else {
                Err(format!("etsy queue depth {queued}"))
            }
        },
    )
    .await;
    assert_ne!(etsy.stock("EQ-1"), Some(28), "Etsy could not be written");
    // Nobody keeps knocking on a door that said "two hours".
    let throttled_before = etsy.stats().throttled;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let knocked = etsy.stats().throttled - throttled_before;
    assert!(
        knocked <= 3,
        "{knocked} calls refused in 5 s after Etsy asked for two hours"
    );
    let dl = String::from_utf8_lossy(&env.cli(&["dead-letters", "list"]).stdout).to_string();
    assert!(dl.contains("no dead letters"), "{dl}");

    // No worker is stuck in a two-hour wait: the daemon stops at once.
    let asked = Instant::now();
    let status = daemon.terminate();
    let stop_took = asked.elapsed();
    assert!(status.success(), "{status:?}\n{}", env.log());
    assert!(
        stop_took < Duration::from_secs(10),
        "stopping took {stop_took:?}: a worker was waiting out the Retry-After\n{}",
        env.log()
    );
    eprintln!(
        "daily quota spent: Etsy refused {} calls in all ({knocked} in the 5 s watched), the \
         sale reached Shopify and WooCommerce, Etsy's level waits in the queue, stop took {stop_took:?}",
        etsy.stats().throttled
    );
}

/// Runs a future to completion from a synchronous check (the metrics fetch is quick).
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(f))
}
