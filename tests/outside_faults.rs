//! Faults of the outside world with the real binary. A spent daily quota (Etsy answers 429 with
//! a `Retry-After` of two hours): the daemon does not wait hours inside a call; the stock push
//! is rescheduled for when the quota returns, other channels are served meanwhile, the quota is
//! not hammered, and the daemon stops at once when asked. A channel down for a while
//! (`SWITCHYARD_OUTAGE_SECS`, 20 by default; connections refused by a proxy in front of the
//! WooCommerce simulator): the other channel is served, and once it is back the whole backlog
//! reaches it, each SKU once, cuts before raises, none dead-lettered. The same channel down and
//! then answering most calls 429 (`SWITCHYARD_STORM_SECS`): the backlog drains cuts first,
//! each SKU once, and no second holds more calls than the host's limit. The proxy is
//! `common::outage`; partners' servers down are `partner_outages.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

mod common;

use std::time::{Duration, Instant};

use common::outage::{Outage, outage_secs};
use common::{Env, eventually, eventually_explained};
use switchyard_sim::etsy::{EtsySim, EtsySimConfig};
use switchyard_sim::record::{Direction, busiest_window};
use switchyard_sim::woocommerce::Storm;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_down_for_a_while_gets_its_whole_backlog_once_it_is_back() {
    let outage_secs = outage_secs(20);
    // 150 SKUs: more than one WooCommerce batch (100), so the order between batches shows.
    let skus: Vec<String> = (0..150).map(|i| format!("OUT-{i:03}")).collect();
    let initial: Vec<(&str, i64)> = skus.iter().map(|s| (s.as_str(), 10)).collect();
    let env = Env::new(&initial, 0).await;
    let proxy = Outage::start(&env.woo.base_url()).await;
    env.edit_config(
        &format!("base_url: \"{}\"", env.woo.base_url()),
        &format!("base_url: \"{}\"", proxy.url),
    );
    let _daemon = env.start_daemon().await;
    eventually(&env, Duration::from_secs(60), "initial levels", || {
        skus.iter().all(|s| env.woo.stock(s) == Some(10))
    })
    .await;

    // WooCommerce goes down; meanwhile a recount moves 50 SKUs down and 100 up.
    proxy.set_down(true);
    let want = |i: usize| if i.is_multiple_of(3) { 5 } else { 20 };
    let csv: String = std::iter::once("sku,quantity\n".to_string())
        .chain(
            skus.iter()
                .enumerate()
                .map(|(i, s)| format!("{s},{}\n", want(i))),
        )
        .collect();
    let path = env.path().join("recount.csv");
    std::fs::write(&path, csv).expect("write csv");
    env.ok(&["stock", "import", path.to_str().expect("utf-8")]);
    let down_at = Instant::now();
    eventually(
        &env,
        Duration::from_secs(60),
        "Shopify served while WooCommerce is down",
        || {
            skus.iter()
                .enumerate()
                .all(|(i, s)| env.shopify.stock(s) == Some(want(i)))
        },
    )
    .await;
    let left = Duration::from_secs(outage_secs).saturating_sub(down_at.elapsed());
    tokio::time::sleep(left).await;
    assert!(
        skus.iter().all(|s| env.woo.stock(s) == Some(10)),
        "nothing reached WooCommerce while it was down"
    );

    // Back up: the whole backlog drains, each SKU written once.
    env.woo.journal().record(true);
    proxy.set_down(false);
    let up_at = Instant::now();
    eventually(
        &env,
        Duration::from_secs(180),
        "the backlog reached WooCommerce",
        || {
            skus.iter()
                .enumerate()
                .all(|(i, s)| env.woo.stock(s) == Some(want(i)))
        },
    )
    .await;
    let drained_after = up_at.elapsed();
    let history = env.woo.journal().stock_histories();
    for (sku, writes) in &history {
        assert_eq!(
            writes.len(),
            1,
            "{sku} written {} times: {writes:?}",
            writes.len()
        );
    }
    assert_eq!(history.len(), skus.len());
    // Cuts before raises, although the first batch's pushes failed in the outage (what
    // WooCommerce holds of those SKUs is in doubt): they are judged against the level it
    // last confirmed.
    let (cuts_done, raises_start) = cut_and_raise_bounds(&history, |sku| {
        skus.iter()
            .position(|s| s == sku)
            .is_some_and(|i| want(i) < 10)
    });
    assert!(
        cuts_done <= raises_start,
        "a raise reached WooCommerce before a cut"
    );
    let dl = String::from_utf8_lossy(&env.cli(&["dead-letters", "list"]).stdout).to_string();
    assert!(dl.contains("no dead letters"), "{dl}");
    eprintln!(
        "WooCommerce down for {:?}: Shopify served meanwhile; {} SKUs reached WooCommerce {drained_after:?} \
         after it came back, each written once, cuts before raises (last cut {:?} before the first \
         raise)",
        up_at.duration_since(down_at),
        history.len(),
        raises_start - cuts_done
    );
}

/// When the last cut and the first raise reached the channel, from its write history (one
/// entry per SKU written).
fn cut_and_raise_bounds(
    history: &std::collections::HashMap<String, Vec<(Instant, i64)>>,
    is_cut: impl Fn(&str) -> bool,
) -> (Instant, Instant) {
    let last_cut = history
        .iter()
        .filter(|(sku, _)| is_cut(sku))
        .flat_map(|(_, w)| w.iter().map(|(t, _)| *t))
        .max()
        .expect("some cut was written");
    let first_raise = history
        .iter()
        .filter(|(sku, _)| !is_cut(sku))
        .flat_map(|(_, w)| w.iter().map(|(t, _)| *t))
        .min()
        .expect("some raise was written");
    (last_cut, first_raise)
}

/// The value of a metric line such as `switchyard_stock_push_errors_total{channel="woo"}`.
fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
        .unwrap_or(0.0)
}

/// WooCommerce down for a while (`SWITCHYARD_OUTAGE_SECS`, 15 by default), then back but
/// answering most calls 429 with `Retry-After` for a while (`SWITCHYARD_STORM_SECS`, 15): the
/// backlog drains, cuts first (judged against the level WooCommerce last confirmed, although
/// the pushes tried during the outage left what it holds in doubt), each SKU written once,
/// nothing dead-lettered, and no second of calls above the host's limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_an_outage_a_storm_of_429s_still_drains_the_backlog_cuts_first_within_the_limit() {
    let outage_secs = outage_secs(15);
    let storm_secs: u64 = std::env::var("SWITCHYARD_STORM_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(15);
    // The host allows 5 calls a second with a burst of 5, so any second holds at most 10;
    // the daemon is configured a little below, as a merchant would.
    const HOST_RATE: u32 = 5;
    const HOST_BURST: u32 = 5;
    let window_limit = (HOST_BURST + HOST_RATE) as usize;
    // 240 SKUs: three WooCommerce batches (100 each), one pusher pass.
    let skus: Vec<String> = (0..240).map(|i| format!("ST-{i:03}")).collect();
    let initial: Vec<(&str, i64)> = skus.iter().map(|s| (s.as_str(), 10)).collect();
    let env = Env::new(&initial, 0).await;
    env.woo
        .set_rate_limit(Some((f64::from(HOST_RATE), HOST_BURST)));
    let proxy = Outage::start(&env.woo.base_url()).await;
    env.edit_config(
        &format!("base_url: \"{}\"", env.woo.base_url()),
        &format!(
            "base_url: \"{}\"\n    rate_limit: {{per_second: 4, burst: 4}}",
            proxy.url
        ),
    );
    // Every call WooCommerce receives, with when it came.
    env.woo.recorder().start(1_000_000);
    let _daemon = env.start_daemon().await;
    eventually(&env, Duration::from_secs(120), "initial levels", || {
        skus.iter().all(|s| env.woo.stock(s) == Some(10))
    })
    .await;

    // Down. A recount cuts every third SKU to 5 and raises the rest to 20; the pushes fail,
    // so what WooCommerce holds of the first batch (every cut and some raises) is in doubt.
    proxy.set_down(true);
    let down_at = Instant::now();
    let is_cut = |i: usize| i.is_multiple_of(3);
    let want = |i: usize| if is_cut(i) { 5 } else { 20 };
    let csv: String = std::iter::once("sku,quantity\n".to_string())
        .chain(
            skus.iter()
                .enumerate()
                .map(|(i, s)| format!("{s},{}\n", want(i))),
        )
        .collect();
    let path = env.path().join("recount.csv");
    std::fs::write(&path, csv).expect("write csv");
    env.ok(&["stock", "import", path.to_str().expect("utf-8")]);
    eventually(
        &env,
        Duration::from_secs(60),
        "Shopify served while WooCommerce is down",
        || {
            skus.iter()
                .enumerate()
                .all(|(i, s)| env.shopify.stock(s) == Some(want(i)))
        },
    )
    .await;
    eventually_explained(
        &env,
        Duration::from_secs(60),
        "a push to WooCommerce failed in the outage",
        || {
            let failed = metric(
                &block_on(env.metrics()),
                "switchyard_stock_push_errors_total{channel=\"woo\"}",
            );
            if failed >= 1.0 {
                Ok(())
            } else {
                Err(format!("{failed} failed pushes"))
            }
        },
    )
    .await;
    let left = Duration::from_secs(outage_secs).saturating_sub(down_at.elapsed());
    tokio::time::sleep(left).await;
    assert!(
        skus.iter().all(|s| env.woo.stock(s) == Some(10)),
        "nothing reached WooCommerce while it was down"
    );

    // Back, in a storm: two calls of every three answered 429 with `Retry-After: 1`.
    env.woo.journal().record(true);
    env.woo.set_storm(Some(Storm {
        refuse: 2,
        of_every: 3,
        retry_after_secs: 1,
    }));
    proxy.set_down(false);
    let up_at = Instant::now();
    let storm_end = up_at + Duration::from_secs(storm_secs);
    let deadline = up_at + Duration::from_secs(180);
    let mut storm_on = true;
    let drained_after = loop {
        if storm_on && Instant::now() >= storm_end {
            env.woo.set_storm(None);
            storm_on = false;
        }
        if skus
            .iter()
            .enumerate()
            .all(|(i, s)| env.woo.stock(s) == Some(want(i)))
        {
            break up_at.elapsed();
        }
        assert!(
            Instant::now() < deadline,
            "the backlog did not reach WooCommerce within 180 s\n{}",
            env.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let storm_refused = env.woo.refusals().storm;
    env.woo.set_storm(None);

    let history = env.woo.journal().stock_histories();
    assert_eq!(history.len(), skus.len(), "every SKU written");
    for (sku, writes) in &history {
        assert_eq!(
            writes.len(),
            1,
            "{sku} written {} times: {writes:?}",
            writes.len()
        );
    }
    let (cuts_done, raises_start) = cut_and_raise_bounds(&history, |sku| {
        skus.iter().position(|s| s == sku).is_some_and(is_cut)
    });
    assert!(
        cuts_done <= raises_start,
        "a raise reached WooCommerce {:?} before the last cut",
        cuts_done - raises_start
    );
    assert!(storm_refused > 0, "the storm refused nothing");
    let dl = String::from_utf8_lossy(&env.cli(&["dead-letters", "list"]).stdout).to_string();
    assert!(dl.contains("no dead letters"), "{dl}");

    // The host's limit, as the host counts it: no call refused for going too fast, and no
    // second holding more calls than its bucket allows.
    // Calls WooCommerce served (the webhooks it sent are recorded too).
    let exchanges: Vec<_> = env
        .woo
        .recorder()
        .take()
        .into_iter()
        .filter(|e| e.direction == Direction::Served)
        .collect();
    let calls: Vec<Instant> = exchanges.iter().map(|e| e.at).collect();
    let busiest = busiest_window(&calls, Duration::from_secs(1));
    if std::env::var_os("SWITCHYARD_SHOW_CALLS").is_some() {
        let t0 = calls.iter().min().copied().unwrap_or_else(Instant::now);
        for e in &exchanges {
            eprintln!(
                "{:>8.3} s {} {} {}",
                (e.at - t0).as_secs_f64(),
                e.status,
                e.method,
                e.path
            );
        }
    }
    let over_limit = env.woo.refusals().over_limit;
    assert_eq!(over_limit, 0, "calls refused for exceeding the host's rate");
    assert!(
        busiest <= window_limit,
        "{busiest} calls within one second, the host allows {window_limit}"
    );
    let cuts = (0..skus.len()).filter(|i| is_cut(*i)).count();
    eprintln!(
        "WooCommerce down {outage_secs} s, then a 429 storm (2 of 3 calls, Retry-After 1 s) for \
         up to {storm_secs} s: backlog of {} SKUs ({cuts} cuts, {} raises) drained {drained_after:?} \
         after it came back, each written once, cuts before raises: yes (last cut {:?} before the \
         first raise); {storm_refused} calls refused by the storm, {} connections refused in the \
         outage; {} calls in all, max {busiest} in any 1 s vs the host's {window_limit}, 0 over \
         its rate; 0 dead letters",
        skus.len(),
        skus.len() - cuts,
        raises_start - cuts_done,
        proxy.refused(),
        calls.len(),
    );
}
