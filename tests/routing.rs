//! End-to-end routing: the real binary and both channel simulators, rules sending each
//! channel's orders to its own location, an order no rule places held and released through
//! the CLI, and `route --what-if` showing what a changed rule would do.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

mod common;

use std::time::Duration;

use common::{Env, eventually};
use switchyard_sim::{OrderSpec, SimulatedChannel, WebhookFate};

const WAIT: Duration = Duration::from_secs(20);

const RULES: &str = r#"  - id: east
    kind: 3pl
    name: East coast 3PL
    coordinates: {lat: 40.73, lon: -74.17}
routing:
  rules:
    - name: woo-to-east
      when:
        channel: [woo]
      action:
        first_in_stock: [east]
    - name: shop-mugs-to-main
      when:
        channel: [shop]
        sku: ["MUG*"]
      action:
        first_in_stock: [main]
  fallback: hold
"#;

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
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn state_of(env: &Env, external_id: &str) -> Option<String> {
    env.orders()
        .into_iter()
        .find(|o| o.1 == external_id)
        .map(|o| o.3)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_route_hold_release_and_what_if() {
    let env = Env::new(&[("MUG", 10), ("CAP", 5)], 0).await;
    let mut yaml = std::fs::read_to_string(&env.config).expect("read config");
    assert!(
        yaml.ends_with("    kind: self\n"),
        "harness config changed:\n{yaml}"
    );
    yaml.push_str(RULES);
    std::fs::write(&env.config, yaml).expect("write config");
    let check = ok(&env, &["check"]);
    assert!(check.contains("main, east"), "{check}");
    ok(&env, &["stock", "set", "MUG", "4", "--location", "east"]);
    let _daemon = env.start_daemon().await;

    let shop_mug = env.shopify.place_order(order(&[("MUG", 1)])).await;
    let woo_mug = env.woo.place_order(order(&[("MUG", 2)])).await;
    let shop_cap = env.shopify.place_order(order(&[("CAP", 1)])).await;
    eventually(&env, WAIT, "three orders decided", || {
        state_of(&env, &shop_mug).as_deref() == Some("routed")
            && state_of(&env, &woo_mug).as_deref() == Some("routed")
            && state_of(&env, &shop_cap).as_deref() == Some("held")
    })
    .await;

    // Each channel's order went where its rule says, and picks show it there.
    let picks = ok(&env, &["picks", "list", "--csv"]);
    // Columns: order_id, channel, order_number, location, line_id, sku, …
    let at = |channel: &str, loc: &str| {
        picks.lines().any(|l| {
            let c: Vec<&str> = l.split(',').collect();
            c.len() > 5 && c[1] == channel && c[3] == loc && c[5] == "MUG"
        })
    };
    assert!(at("shop", "main") && at("woo", "east"), "{picks}");
    let stock = ok(&env, &["stock", "show", "MUG"]);
    assert!(stock.contains("MUG\teast\t4\t2\t2"), "{stock}");
    assert!(stock.contains("MUG\tmain\t10\t1\t9"), "{stock}");

    // The explanation names the rule that matched and why the one above it did not.
    let show = ok(&env, &["orders", "show", &format!("shop:{shop_mug}")]);
    for want in [
        "Decision: routed (main)",
        "#0 woo-to-east: did not match",
        "channel: wanted woo; found shop",
        "#1 shop-mugs-to-main: applied",
        "chosen for MUG",
        "MUG ×1 at main",
    ] {
        assert!(show.contains(want), "{want:?} missing in\n{show}");
    }

    // The CAP order matched no rule: held, listed with its reason, released by hand.
    let held = ok(&env, &["orders", "held"]);
    assert!(
        held.contains(&shop_cap) && held.contains("fallback is hold"),
        "{held}"
    );
    let show = ok(&env, &["orders", "show", &format!("shop:{shop_cap}")]);
    assert!(
        show.contains("sku: wanted MUG*; found CAP") && show.contains("Fallback: hold"),
        "{show}"
    );
    let refused = env.cli(&[
        "orders",
        "release",
        &format!("shop:{shop_cap}"),
        "--to",
        "mars",
    ]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("unknown location `mars`"));
    let released = ok(
        &env,
        &[
            "orders",
            "release",
            &format!("shop:{shop_cap}"),
            "--to",
            "main",
            "--by",
            "ada",
        ],
    );
    assert!(
        released.contains("released by operator ada: CAP → main"),
        "{released}"
    );
    assert_eq!(state_of(&env, &shop_cap).as_deref(), Some("routed"));
    assert!(ok(&env, &["orders", "held"]).contains("no held orders"));
    let again = env.cli(&[
        "orders",
        "release",
        &format!("shop:{shop_cap}"),
        "--to",
        "main",
    ]);
    assert!(!again.status.success(), "released twice");
    let show = ok(&env, &["orders", "show", &format!("shop:{shop_cap}")]);
    assert!(show.contains("Released by operator ada"), "{show}");
    assert!(ok(&env, &["picks", "list", "--location", "main"]).contains("CAP"));

    // The released order ships from where the operator sent it.
    ok(
        &env,
        &[
            "ship",
            &format!("shop:{shop_cap}"),
            "--carrier",
            "UPS",
            "--tracking",
            "1ZCAP",
        ],
    );
    eventually(&env, WAIT, "tracking on shopify", || {
        env.shopify.shipments(&shop_cap).len() == 1
    })
    .await;

    // What if Shopify's mugs went east too? Exactly that order's decision changes.
    let rules = env.path().join("rules.yaml");
    std::fs::write(
        &rules,
        RULES
            .split_once("routing:\n")
            .map(|(_, r)| format!("routing:\n{r}"))
            .expect("routing section")
            .replace("first_in_stock: [main]", "first_in_stock: [east, main]"),
    )
    .expect("write rules");
    // On-hand and reservations only: the daemon's pushers keep updating listing lines.
    let counts = || {
        ok(&env, &["stock", "show"])
            .lines()
            .filter(|l| !l.starts_with(' '))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let before = counts();
    let what_if = ok(
        &env,
        &[
            "route",
            "--what-if",
            rules.to_str().expect("utf-8 path"),
            "--last",
            "10",
        ],
    );
    assert!(
        what_if.contains(&format!("shop:{shop_mug}"))
            && what_if.contains("main [shop-mugs-to-main] → east [shop-mugs-to-main]"),
        "{what_if}"
    );
    assert!(!what_if.contains(&format!("woo:{woo_mug}")), "{what_if}");
    assert!(
        what_if.contains("1 of 2 recent order(s) would be routed differently"),
        "{what_if}"
    );
    // Nothing was written: the same stock and decisions as before.
    assert_eq!(counts(), before);
    assert!(ok(&env, &["orders", "show", &format!("shop:{shop_mug}")]).contains("routed (main)"));

    // Rules with a mistake are refused with the line it is on.
    std::fs::write(
        &rules,
        "routing:\n  rules:\n    - action:\n        location: nowhere\n",
    )
    .expect("write rules");
    let bad = env.cli(&["route", "--what-if", rules.to_str().expect("utf-8 path")]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains(
            "rules.yaml:4:19: routing.rules[0].action.location: unknown location `nowhere`"
        ),
        "{err}"
    );
}
