//! End-to-end stock behaviour against the simulators: kits, per-channel rules, compare-and-set
//! conflicts, drift repair, and the auditor's verdict afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

mod common;

use std::time::Duration;

use common::{Env, Options, eventually};
use switchyard_sim::{OrderSpec, SimulatedChannel, WebhookFate};

const WAIT: Duration = Duration::from_secs(20);

fn order(lines: &[(&str, u32)]) -> OrderSpec {
    OrderSpec {
        lines: lines.iter().map(|(s, q)| (s.to_string(), *q)).collect(),
        paid: true,
        email: "buyer@example.com".into(),
        fate: WebhookFate::Deliver,
    }
}

/// The metric's value for a channel, 0 when absent.
fn metric(text: &str, name: &str, channel: &str) -> f64 {
    let prefix = format!("switchyard_{name}{{channel=\"{channel}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

fn audit_passes(env: &Env) {
    let out = env.cli(&["stock", "audit"]);
    assert!(
        out.status.success(),
        "stock audit failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kit_lists_what_its_components_allow_and_a_component_sale_lowers_it() {
    let env = Env::with_options(
        &[("MUG", 10), ("TEA", 4)],
        Options {
            kits: "kits:\n  - sku: GIFT-BOX\n    components:\n      - {sku: MUG, quantity: 2}\n      - {sku: TEA, quantity: 1}\n".into(),
            catalog_only: vec!["GIFT-BOX"],
            ..Options::default()
        },
    )
    .await;
    let _d = env.start_daemon().await;
    let levels = |sku: &str| (env.shopify.stock(sku), env.woo.stock(sku));
    eventually(&env, WAIT, "the kit listed at min(10/2, 4/1) = 4", || {
        levels("GIFT-BOX") == (Some(4), Some(4)) && levels("TEA") == (Some(4), Some(4))
    })
    .await;

    // A component sold alone lowers every kit made with it.
    env.woo.place_order(order(&[("TEA", 1)])).await;
    eventually(&env, WAIT, "TEA 3 and the kit 3 on both channels", || {
        levels("TEA") == (Some(3), Some(3)) && levels("GIFT-BOX") == (Some(3), Some(3))
    })
    .await;

    // A kit sold reserves its components.
    env.shopify.place_order(order(&[("GIFT-BOX", 2)])).await;
    eventually(&env, WAIT, "MUG 6, TEA 1, kit 1 on both channels", || {
        levels("MUG") == (Some(6), Some(6))
            && levels("TEA") == (Some(1), Some(1))
            && levels("GIFT-BOX") == (Some(1), Some(1))
    })
    .await;

    let history = env.cli(&["stock", "history", "MUG"]);
    let text = String::from_utf8_lossy(&history.stdout);
    assert!(
        text.contains("external:demand → reserved:"),
        "the kit's reservation of MUG is in MUG's ledger:\n{text}"
    );
    audit_passes(&env);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channel_rules_share_cap_and_threshold_apply_per_sku_glob() {
    let env = Env::with_options(
        &[("MUG-BLUE", 20), ("MUG-RED", 20), ("CAP", 3)],
        Options {
            shop_stock: "      share: 50\n      list_zero_below: 4\n      overrides:\n        - {sku: \"MUG-*\", max: 6}\n".into(),
            ..Options::default()
        },
    )
    .await;
    let _d = env.start_daemon().await;
    eventually(&env, WAIT, "rules applied on Shopify only", || {
        env.shopify.stock("MUG-BLUE") == Some(6)   // 50 % of 20 = 10, capped at 6
            && env.shopify.stock("MUG-RED") == Some(6)
            && env.shopify.stock("CAP") == Some(0) // 50 % of 3 = 1, below 4 → 0
            && env.woo.stock("MUG-BLUE") == Some(20)
            && env.woo.stock("CAP") == Some(3)
    })
    .await;
    audit_passes(&env);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_compare_and_set_rereads_and_lands_the_right_level() {
    let env = Env::new(&[("MUG", 10)], 0).await;
    let _d = env.start_daemon().await;
    eventually(&env, WAIT, "initial level", || {
        env.shopify.stock("MUG") == Some(10)
    })
    .await;
    // Someone changes the level in Shopify's admin; Switchyard still believes 10, so its next
    // write's changeFromQuantity no longer matches.
    env.shopify.set_stock("MUG", 42);
    env.woo.place_order(order(&[("MUG", 3)])).await;
    eventually(
        &env,
        WAIT,
        "both channels at 7 despite the conflict",
        || env.shopify.stock("MUG") == Some(7) && env.woo.stock("MUG") == Some(7),
    )
    .await;
    let m = env.metrics().await;
    assert!(
        metric(&m, "stock_compare_and_set_conflicts_total", "shop") >= 1.0,
        "the conflict is counted:\n{m}"
    );
    audit_passes(&env);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_level_changed_in_a_channels_admin_is_found_and_put_back() {
    let env = Env::with_options(
        &[("MUG", 10), ("CAP", 5)],
        Options {
            drift_interval_secs: 1,
            ..Options::default()
        },
    )
    .await;
    let _d = env.start_daemon().await;
    eventually(&env, WAIT, "initial levels", || {
        env.woo.stock("MUG") == Some(10) && env.woo.stock("CAP") == Some(5)
    })
    .await;
    // WooCommerce has no compare-and-set: only reading levels back can notice this.
    env.woo.set_stock("MUG", 99);
    eventually(&env, WAIT, "the drift repaired", || {
        env.woo.stock("MUG") == Some(10)
    })
    .await;
    let m = env.metrics().await;
    assert!(
        metric(&m, "stock_drift_total", "woo") >= 1.0,
        "the drift is counted:\n{m}"
    );
    assert!(m.contains("switchyard_api_calls_total{channel=\"woo\"}"));
    assert!(m.contains("switchyard_stock_push_latency_seconds_count{channel=\"woo\"}"));
    assert!(m.contains("switchyard_stock_oversell_exposure_units{channel=\"woo\"}"));
    audit_passes(&env);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decreases_reach_the_channel_before_increases() {
    // 150 SKUs: more than one WooCommerce batch (100), so the order between batches shows.
    let skus: Vec<String> = (0..150).map(|i| format!("SKU-{i:03}")).collect();
    let initial: Vec<(&str, i64)> = skus.iter().map(|s| (s.as_str(), 10)).collect();
    let env = Env::new(&initial, 0).await;
    let d = env.start_daemon().await;
    eventually(&env, WAIT, "initial levels", || {
        skus.iter().all(|s| env.woo.stock(s) == Some(10))
    })
    .await;
    d.terminate();

    // 100 SKUs go up, 50 go down, all at once while the daemon is stopped.
    let csv: String = std::iter::once("sku,quantity\n".to_string())
        .chain(
            skus.iter()
                .enumerate()
                .map(|(i, s)| format!("{s},{}\n", if i % 3 == 0 { 5 } else { 20 })),
        )
        .collect();
    let path = env.path().join("recount.csv");
    std::fs::write(&path, csv).expect("write csv");
    let out = env.cli(&["stock", "import", path.to_str().expect("utf-8")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    env.woo.journal().record(true);
    let _d = env.start_daemon().await;
    eventually(&env, WAIT, "new levels on WooCommerce", || {
        skus.iter()
            .enumerate()
            .all(|(i, s)| env.woo.stock(s) == Some(if i % 3 == 0 { 5 } else { 20 }))
    })
    .await;
    let history = env.woo.journal().stock_histories();
    let (mut last_decrease, mut first_increase) = (None, None);
    for (sku, writes) in &history {
        for (at, level) in writes {
            if *level < 10 {
                last_decrease = last_decrease.max(Some(*at));
            } else if *level > 10 {
                first_increase =
                    Some(first_increase.map_or(*at, |f: std::time::Instant| f.min(*at)));
            } else {
                panic!("{sku}: unexpected write of {level}");
            }
        }
    }
    let (Some(dec), Some(inc)) = (last_decrease, first_increase) else {
        panic!("both kinds of writes expected: {history:?}");
    };
    assert!(
        dec <= inc,
        "a raise reached WooCommerce before every cut had"
    );
    audit_passes(&env);
}
