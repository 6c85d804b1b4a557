//! End-to-end: orders routed to a 3PL (the ShipBob simulator) reach it exactly once with their
//! reference as idempotency key, its shipment comes back (by webhook, or by polling when the
//! webhook is lost) as tracking on the channel and stock leaving the 3PL's on-hand, and a
//! channel cancellation cancels the order at the 3PL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

mod common;

use std::time::Duration;

use common::{Env, eventually, eventually_explained};
use switchyard_sim::shipbob::{ShipBobSim, ShipBobSimConfig, start};
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_3pl_gets_its_orders_once_ships_them_and_tracking_and_stock_follow() {
    let bob = start(ShipBobSimConfig::default())
        .await
        .expect("shipbob sim");
    let env = Env::new(&[("MUG", 10), ("BOB-TEE", 0)], 0).await;
    with_bob(&env, &bob, "");
    ok(
        &env,
        &["stock", "set", "BOB-TEE", "20", "--location", "bob"],
    );
    let _d = env.start_daemon().await;
    bob.set_webhook_target(&env.webhook_url("bob"));
    eventually(&env, WAIT, "3PL stock listed on both channels", || {
        env.shopify.stock("BOB-TEE") == Some(20) && env.woo.stock("BOB-TEE") == Some(20)
    })
    .await;

    // Shipped with its webhook delivered.
    let first = env.shopify.place_order(order(&[("BOB-TEE", 2)])).await;
    let reference = format!("ff:bob:shop:{first}");
    eventually(&env, WAIT, "the order reached the 3PL", || {
        bob.orders_with_reference(&reference).len() == 1
    })
    .await;
    let bob_id = bob.orders_with_reference(&reference)[0];
    assert!(
        bob.ship(bob_id, "USPS", "9400TEST0001", WebhookFate::Deliver)
            .await
    );
    eventually_explained(&env, WAIT, "tracking back on Shopify", || {
        let got = env.shopify.shipments(&first);
        if got.len() == 1 && got[0].tracking_number == "9400TEST0001" {
            Ok(())
        } else {
            Err(format!("shopify shipments: {got:?}"))
        }
    })
    .await;

    // Shipped with the webhook lost: polling finds it.
    let second = env.woo.place_order(order(&[("BOB-TEE", 1)])).await;
    let reference = format!("ff:bob:woo:{second}");
    eventually(&env, WAIT, "the second order reached the 3PL", || {
        bob.orders_with_reference(&reference).len() == 1
    })
    .await;
    let bob_id = bob.orders_with_reference(&reference)[0];
    assert!(
        bob.ship(bob_id, "UPS", "1ZBOB0002", WebhookFate::Lose)
            .await
    );
    eventually(
        &env,
        WAIT,
        "tracking back on WooCommerce via polling",
        || env.woo.shipments(&second).len() == 1,
    )
    .await;

    // Cancelled on the channel before the 3PL shipped: cancelled at the 3PL too.
    let third = env.shopify.place_order(order(&[("BOB-TEE", 1)])).await;
    let reference = format!("ff:bob:shop:{third}");
    eventually(&env, WAIT, "the third order reached the 3PL", || {
        bob.orders_with_reference(&reference).len() == 1
    })
    .await;
    let bob_id = bob.orders_with_reference(&reference)[0];
    env.shopify.cancel_order(&third, WebhookFate::Deliver).await;
    eventually_explained(&env, WAIT, "cancelled at the 3PL", || {
        let o = bob.order_json(bob_id).unwrap_or_default();
        if o["status"] == "Cancelled" {
            Ok(())
        } else {
            Err(format!("3PL order: {}", o["status"]))
        }
    })
    .await;

    // 20 − 2 − 1 shipped from the 3PL; the cancelled unit is free again.
    eventually(&env, WAIT, "both channels list 17", || {
        env.shopify.stock("BOB-TEE") == Some(17) && env.woo.stock("BOB-TEE") == Some(17)
    })
    .await;
    assert_eq!(
        bob.orders_created(),
        3,
        "each order reached the 3PL exactly once"
    );
    let stock = ok(&env, &["stock", "show", "BOB-TEE"]);
    assert!(stock.contains("BOB-TEE\tbob\t17\t0"), "{stock}");
    let audit = ok(&env, &["stock", "audit"]);
    assert!(audit.contains("0 violation(s)"), "{audit}");
}

/// Adds the ShipBob 3PL location (with `extra` adapter lines) and a rule sending `BOB-*` SKUs
/// to it to the harness's configuration.
fn with_bob(env: &Env, bob: &ShipBobSim, extra: &str) {
    let cfg = bob.config().clone();
    let mut yaml = std::fs::read_to_string(&env.config).expect("read config");
    assert!(
        yaml.ends_with("    kind: self\n"),
        "harness config changed:\n{yaml}"
    );
    yaml.push_str(&format!(
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
{extra}routing:
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
    std::fs::write(&env.config, yaml).expect("write config");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejection_or_a_missing_ship_notice_re_routes_the_order_elsewhere() {
    let bob = start(ShipBobSimConfig::default())
        .await
        .expect("shipbob sim");
    let env = Env::new(&[("BOB-TEE", 0)], 0).await;
    with_bob(&env, &bob, "      ship_within_secs: 2\n");
    ok(
        &env,
        &["stock", "set", "BOB-TEE", "20", "--location", "bob"],
    );
    let _d = env.start_daemon().await;
    bob.set_webhook_target(&env.webhook_url("bob"));

    // The 3PL rejects the line: it goes to the fallback, the own warehouse, and ships there.
    let rejected = env.shopify.place_order(order(&[("BOB-TEE", 1)])).await;
    let reference = format!("ff:bob:shop:{rejected}");
    eventually(&env, WAIT, "the order reached the 3PL", || {
        bob.orders_with_reference(&reference).len() == 1
    })
    .await;
    let bob_id = bob.orders_with_reference(&reference)[0];
    assert!(
        bob.reject(
            bob_id,
            Some("BOB-TEE"),
            "out of stock",
            WebhookFate::Deliver
        )
        .await
    );

    // Never shipped: after 2 s the 3PL is asked to cancel, confirms, and the order moves.
    let late = env.shopify.place_order(order(&[("BOB-TEE", 1)])).await;
    let late_ref = format!("ff:bob:shop:{late}");
    eventually_explained(&env, WAIT, "both re-routed to main", || {
        let at = |id: &str| {
            let show = env.ok(&["orders", "show", &format!("shop:{id}")]);
            (show.contains("Re-routed BOB-TEE") && show.contains("→ main")).then_some(show)
        };
        match (at(&rejected), at(&late)) {
            (Some(_), Some(_)) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    let show = ok(&env, &["orders", "show", &format!("shop:{rejected}")]);
    assert!(
        show.contains("bob rejected BOB-TEE") && show.contains("out of stock"),
        "{show}"
    );
    let show = ok(&env, &["orders", "show", &format!("shop:{late}")]);
    assert!(show.contains("bob cancelled it"), "{show}");
    let late_id = bob.orders_with_reference(&late_ref)[0];
    assert_eq!(
        bob.order_json(late_id).unwrap_or_default()["status"],
        "Cancelled",
        "cancelled at the 3PL before moving"
    );
    assert_eq!(
        bob.orders_created(),
        2,
        "neither order went back to the 3PL"
    );
    for id in [&rejected, &late] {
        ok(
            &env,
            &[
                "ship",
                &format!("shop:{id}"),
                "--carrier",
                "UPS",
                "--tracking",
                &format!("1ZMAIN{id}"),
            ],
        );
    }
    eventually(&env, WAIT, "tracking from main on Shopify", || {
        env.shopify.shipments(&rejected).len() == 1 && env.shopify.shipments(&late).len() == 1
    })
    .await;
    assert!(
        ok(&env, &["orders", "held"]).lines().count() <= 1,
        "nothing held"
    );
    let audit = ok(&env, &["stock", "audit"]);
    assert!(audit.contains("0 violation(s)"), "{audit}");
}

/// A partner event that cannot be applied (here: ShipBob re-labels a parcel already recorded,
/// a second shipment naming nothing still reserved) is retried, then parked for an operator;
/// it never holds back another order's shipment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_event_that_cannot_be_applied_is_parked_and_the_others_go_on() {
    let bob = start(ShipBobSimConfig::default())
        .await
        .expect("shipbob sim");
    let env = Env::new(&[("BOB-TEE", 0)], 0).await;
    with_bob(&env, &bob, "      event_max_attempts: 2\n");
    ok(
        &env,
        &["stock", "set", "BOB-TEE", "20", "--location", "bob"],
    );
    let _d = env.start_daemon().await;
    bob.set_webhook_target(&env.webhook_url("bob"));

    let first = env.shopify.place_order(order(&[("BOB-TEE", 1)])).await;
    let second = env.shopify.place_order(order(&[("BOB-TEE", 1)])).await;
    let mut ids = Vec::new();
    for id in [&first, &second] {
        let reference = format!("ff:bob:shop:{id}");
        eventually(&env, WAIT, "the order reached the 3PL", || {
            bob.orders_with_reference(&reference).len() == 1
        })
        .await;
        ids.push(bob.orders_with_reference(&reference)[0]);
    }
    assert!(
        bob.ship(ids[0], "USPS", "9400POISON1", WebhookFate::Deliver)
            .await
    );
    eventually(&env, WAIT, "the first shipment applied", || {
        env.shopify.shipments(&first).len() == 1
    })
    .await;
    // The poison: a second tracking number for a parcel whose units were all consumed.
    assert!(
        bob.update_tracking(ids[0], "9400POISON2", WebhookFate::Deliver)
            .await
    );
    assert!(
        bob.ship(ids[1], "USPS", "9400AFTER01", WebhookFate::Deliver)
            .await
    );
    eventually_explained(&env, WAIT, "the later order's tracking on Shopify", || {
        let got = env.shopify.shipments(&second);
        if got.len() == 1 && got[0].tracking_number == "9400AFTER01" {
            Ok(())
        } else {
            Err(format!("shopify shipments: {got:?}"))
        }
    })
    .await;

    // Parked after its two attempts, visible to an operator and in the metrics.
    let mut listed = String::new();
    eventually_explained(&env, WAIT, "the poison event parked", || {
        listed = ok(&env, &["partners", "events", "--failed"]);
        if listed.contains("9400POISON2") && listed.contains("attempts=2") {
            Ok(())
        } else {
            Err(listed.clone())
        }
    })
    .await;
    assert!(listed.contains("\tfailed\tshipped\t"), "{listed}");
    assert!(listed.contains("names nothing reserved"), "{listed}");
    assert!(
        env.metrics()
            .await
            .contains("switchyard_partner_events_failed 1"),
        "failed events gauge"
    );
    let id = listed.split('\t').next().unwrap_or_default().to_string();

    // Retried by hand: it runs again (and, still unappliable, is parked again; kept, not lost).
    let out = ok(&env, &["partners", "retry", &id]);
    assert!(out.contains("1 partner event(s) queued again"), "{out}");
    eventually(&env, WAIT, "the retried event parked again", || {
        env.log().matches("partner event parked as failed").count() >= 2
    })
    .await;
    assert!(ok(&env, &["partners", "events", "--failed"]).contains("9400POISON2"));
    let audit = ok(&env, &["stock", "audit"]);
    assert!(audit.contains("0 violation(s)"), "{audit}");
}

/// A level changed in the 3PL's own admin sends no event: the daemon reads the 3PL's
/// inventory every `inventory_interval_secs` and feeds it into the location's on-hand through
/// the ledger (`external:feed`), so the channels follow.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_level_changed_in_the_3pl_admin_reaches_the_channels() {
    let bob = start(ShipBobSimConfig::default())
        .await
        .expect("shipbob sim");
    bob.set_inventory("BOB-TEE", "Tee", 20);
    let env = Env::new(&[("BOB-TEE", 0)], 0).await;
    with_bob(&env, &bob, "      inventory_interval_secs: 1\n");
    let _d = env.start_daemon().await;
    eventually(&env, WAIT, "the 3PL's 20 listed on both channels", || {
        env.shopify.stock("BOB-TEE") == Some(20) && env.woo.stock("BOB-TEE") == Some(20)
    })
    .await;

    // Someone recounts in ShipBob's admin: no webhook, the next read carries it.
    bob.set_inventory("BOB-TEE", "Tee", 7);
    eventually(&env, WAIT, "the recount listed on both channels", || {
        env.shopify.stock("BOB-TEE") == Some(7) && env.woo.stock("BOB-TEE") == Some(7)
    })
    .await;
    let stock = ok(&env, &["stock", "show", "BOB-TEE"]);
    assert!(stock.contains("BOB-TEE\tbob\t7\t0"), "{stock}");
    let history = ok(&env, &["stock", "history", "BOB-TEE"]);
    assert!(
        history.contains("13\ton_hand:bob → external:feed\tfeed"),
        "{history}"
    );
    assert!(
        env.metrics()
            .await
            .contains("switchyard_partner_inventory_reads_total{location=\"bob\"}"),
        "reads counted"
    );
    let audit = ok(&env, &["stock", "audit"]);
    assert!(audit.contains("0 violation(s)"), "{audit}");
}
