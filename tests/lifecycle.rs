//! End-to-end order lifecycle with the real binary: an order past its ship-by margin listed by
//! `orders late` (and counted by the daemon's `orders_at_risk`), an order for a SKU nobody
//! carries held as "unknown SKU" instead of going to the fallback while an aliased channel SKU
//! is routed as the merchant's, and a review window in which a buyer's cancellation never
//! reaches the 3PL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

mod common;

use std::time::Duration;

use common::{Env, Options, eventually};
use switchyard_sim::shipbob::{ShipBobSimConfig, start};
use switchyard_sim::{OrderSpec, SimulatedChannel, WebhookFate};

const WAIT: Duration = Duration::from_secs(30);

fn order(lines: &[(&str, u32)]) -> OrderSpec {
    OrderSpec {
        lines: lines.iter().map(|(s, q)| (s.to_string(), *q)).collect(),
        paid: true,
        email: "buyer@example.com".into(),
        fate: WebhookFate::Deliver,
    }
}

fn ok(env: &Env, args: &[&str]) -> String {
    let out = env.cli(args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// `orders late …`: (exit code, stdout).
fn late(env: &Env, args: &[&str]) -> (Option<i32>, String) {
    let mut all = vec!["orders", "late"];
    all.extend_from_slice(args);
    let out = env.cli(&all);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_past_its_ship_by_margin_is_listed_late_until_it_ships() {
    // Shopify gives no ship-by: an hour of handling time makes it placed_at + 3600 s.
    let env = Env::with_options(
        &[("MUG", 10)],
        Options {
            shop_extra: "    handling_time_secs: 3600\n".into(),
            ..Options::default()
        },
    )
    .await;
    let _daemon = env.start_daemon().await;
    let id = env.shopify.place_order(order(&[("MUG", 1)])).await;
    let woo = env.woo.place_order(order(&[("MUG", 1)])).await;
    eventually(&env, WAIT, "both orders routed", || {
        env.fulfil_state(&id).as_deref() == Some("routed")
            && env.fulfil_state(&woo).as_deref() == Some("routed")
    })
    .await;

    // Less than two hours left: at risk. More than a minute left: not late with a 60 s margin.
    let (code, out) = late(&env, &["--margin-secs", "7200"]);
    assert_eq!(code, Some(1), "{out}");
    let rows: Vec<&str> = out.lines().skip(1).collect();
    assert_eq!(
        rows.len(),
        1,
        "only the Shopify order has a ship-by:\n{out}"
    );
    assert!(
        rows[0].contains(&format!("\tshop\t{id}\t")) && rows[0].contains("left"),
        "{out}"
    );
    let left_min: i64 = {
        let cell = rows[0].rsplit('\t').next().unwrap_or_default();
        let h: i64 = cell
            .split('h')
            .next()
            .unwrap_or("9")
            .trim()
            .parse()
            .unwrap_or(9);
        let m: i64 = cell
            .split('h')
            .nth(1)
            .and_then(|s| s.trim().split('m').next())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(99);
        h * 60 + m
    };
    assert!((55..=60).contains(&left_min), "about an hour left: {out}");
    let (code, out) = late(&env, &["--margin-secs", "60"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("no order at risk"), "{out}");
    // The configured margin (4 hours by default) holds it too; JSON names the ship-by.
    let (code, out) = late(&env, &["--json"]);
    assert_eq!(code, Some(1), "{out}");
    let row: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON line");
    assert_eq!(row["external_id"], id.as_str());
    assert!(row["ship_by_ms"].as_i64().is_some(), "{row}");
    let show = ok(&env, &["orders", "show", &format!("shop:{id}")]);
    assert!(show.contains("ship by 20"), "{show}");

    // The daemon counts it for a person.
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let metrics = env.metrics().await;
        if metrics.lines().any(|l| l == "switchyard_orders_at_risk 1") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "orders_at_risk not published:\n{metrics}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Shipped: no longer at risk.
    ok(
        &env,
        &[
            "ship",
            &format!("shop:{id}"),
            "--carrier",
            "UPS",
            "--tracking",
            "1ZLATE0001",
        ],
    );
    let (code, out) = late(&env, &["--margin-secs", "7200"]);
    assert_eq!(code, Some(0), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_sku_is_held_not_routed_and_an_alias_is_routed_as_the_merchants_sku() {
    let env = Env::with_options(
        &[("MUG", 10)],
        Options {
            catalog_only: vec!["GHOST", "SHOP-MUG"],
            shop_extra: "    sku_aliases: {SHOP-MUG: MUG}\n".into(),
            ..Options::default()
        },
    )
    .await;
    // A fallback that would otherwise take anything.
    env.append_config("routing:\n  fallback:\n    location: main\n");
    ok(&env, &["check"]);
    let _daemon = env.start_daemon().await;
    let ghost = env.shopify.place_order(order(&[("GHOST", 1)])).await;
    let alias = env.shopify.place_order(order(&[("SHOP-MUG", 2)])).await;
    eventually(&env, WAIT, "one held, one routed", || {
        env.fulfil_state(&ghost).as_deref() == Some("held")
            && env.fulfil_state(&alias).as_deref() == Some("routed")
    })
    .await;

    // Held for a person with the reason, never at the fallback location.
    let held = ok(&env, &["orders", "held"]);
    let row = held
        .lines()
        .find(|l| l.contains(&ghost))
        .unwrap_or_else(|| panic!("{held}"));
    assert!(row.contains("unknown SKU `GHOST`"), "{held}");
    let picks = ok(&env, &["picks", "list", "--csv"]);
    assert!(!picks.contains("GHOST"), "{picks}");
    let show = ok(&env, &["orders", "show", &format!("shop:{ghost}")]);
    assert!(show.contains("unknown SKU"), "{show}");

    // The alias reserved and routed the merchant's SKU; the channel's stays on the line.
    let show = ok(&env, &["orders", "show", &format!("shop:{alias}")]);
    assert!(
        show.contains("MUG") && show.contains("(channel SKU SHOP-MUG)"),
        "{show}"
    );
    let stock = ok(&env, &["stock", "show", "MUG"]);
    assert!(stock.contains("MUG\tmain\t10\t2\t8"), "{stock}");
    assert!(picks.contains(",MUG,"), "{picks}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancellation_inside_the_review_window_never_reaches_the_3pl() {
    let bob = start(ShipBobSimConfig::default())
        .await
        .expect("shipbob sim");
    let env = Env::with_options(
        &[("BOB-TEE", 0)],
        Options {
            shop_extra: "    hold_new_orders_secs: 4\n".into(),
            ..Options::default()
        },
    )
    .await;
    let cfg = bob.config().clone();
    env.append_config(&format!(
        r#"  - id: bob
    kind: 3pl
    adapter:
      kind: shipbob
      base_url: "{url}"
      access_token: "{token}"
      channel_id: "{channel}"
      webhook_secret: "{secret}"
      poll_interval_secs: 1
      poll_overlap_secs: 30
      rate_limit: {{per_second: 50, burst: 50}}
routing:
  rules:
    - name: tees-from-bob
      when:
        sku: ["BOB-*"]
      action:
        location: bob
  fallback:
    location: main
"#,
        url = bob.base_url(),
        token = cfg.access_token,
        channel = cfg.channel_id,
        secret = cfg.webhook_secret,
    ));
    ok(
        &env,
        &["stock", "set", "BOB-TEE", "20", "--location", "bob"],
    );
    let _daemon = env.start_daemon().await;
    bob.set_webhook_target(&env.webhook_url("bob"));

    let cancelled = env.shopify.place_order(order(&[("BOB-TEE", 1)])).await;
    let kept = env.shopify.place_order(order(&[("BOB-TEE", 2)])).await;
    let placed = std::time::Instant::now();
    eventually(&env, WAIT, "both orders stored", || {
        env.fulfil_state(&cancelled).is_some() && env.fulfil_state(&kept).is_some()
    })
    .await;
    // Inside the window: stock held, nothing routed.
    assert_eq!(env.fulfil_state(&kept).as_deref(), Some("to_route"));
    env.shopify
        .cancel_order(&cancelled, WebhookFate::Deliver)
        .await;
    eventually(&env, WAIT, "the cancellation applied", || {
        env.fulfil_state(&cancelled).as_deref() == Some("closed")
    })
    .await;
    assert!(
        placed.elapsed() < Duration::from_secs(4),
        "the test machine was too slow to cancel inside the window"
    );
    // After the window the other order goes to the 3PL; the cancelled one never does.
    eventually(&env, WAIT, "the kept order reached the 3PL", || {
        bob.orders_with_reference(&format!("ff:bob:shop:{kept}"))
            .len()
            == 1
    })
    .await;
    assert!(
        placed.elapsed() >= Duration::from_secs(4),
        "routed before the window ended"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        bob.orders_with_reference(&format!("ff:bob:shop:{cancelled}"))
            .is_empty()
    );
    assert_eq!(bob.orders_created(), 1);
    let show = ok(&env, &["orders", "show", &format!("shop:{cancelled}")]);
    assert!(show.contains("Decision: none yet"), "{show}");
}
