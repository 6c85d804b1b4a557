//! Three replicas on one PostgreSQL database (issue 10): webhooks go to different replicas,
//! the work leases (`core`, `channel:shop`, `channel:woo`) spread over them, the replica
//! holding the store-wide workers is SIGKILLed mid-run, another takes its lease over, and at
//! the end every order is stored once, every shipment written back once, every level right
//! and the audit clean.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use common::{Env, eventually, eventually_explained, free_port};
use switchyard_sim::{OrderSpec, SimulatedChannel, WebhookFate};

const SKUS: usize = 12;
const ON_HAND: i64 = 1000;
/// Short leases so the takeover fits a test; production defaults to 15 s.
const TTL_SECS: u64 = 3;

/// (lease, holder) for every lease held now, from `switchyard leases --json`.
fn holders(env: &Env) -> BTreeMap<String, String> {
    let view: serde_json::Value = serde_json::from_str(&env.ok(&["leases", "--json"])).unwrap();
    let now = view["now_ms"].as_i64().unwrap();
    view["leases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["holder"].is_string() && l["expires_at_ms"].as_i64().unwrap() > now)
        .map(|l| {
            (
                l["name"].as_str().unwrap().to_string(),
                l["holder"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn takeovers(env: &Env) -> i64 {
    let view: serde_json::Value = serde_json::from_str(&env.ok(&["leases", "--json"])).unwrap();
    view["leases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["takeovers"].as_i64().unwrap())
        .sum()
}

const WORK: [&str; 3] = ["channel:shop", "channel:woo", "core"];

struct Placed {
    channel: &'static str,
    id: String,
    lines: Vec<(String, u32)>,
    tracking: Option<String>,
}

async fn place(env: &Env, placed: &mut Vec<Placed>, from: usize, to: usize) {
    for i in from..to {
        let channel = if i % 2 == 0 { "shop" } else { "woo" };
        let lines = vec![(format!("RP-{:02}", i % SKUS), 1 + (i % 2) as u32)];
        let spec = OrderSpec {
            lines: lines.clone(),
            paid: true,
            email: format!("replica{i}@example.com"),
            fate: WebhookFate::Deliver,
        };
        let id = if channel == "shop" {
            env.shopify.place_order(spec).await
        } else {
            env.woo.place_order(spec).await
        };
        placed.push(Placed {
            channel,
            id,
            lines,
            tracking: None,
        });
    }
}

fn ship_routed(env: &Env, placed: &mut [Placed], n: usize) -> usize {
    let routed: BTreeSet<(String, String)> = env
        .orders()
        .into_iter()
        .filter(|o| o.3 == "routed")
        .map(|o| (o.0, o.1))
        .collect();
    let mut shipped = 0;
    for p in placed.iter_mut() {
        if shipped == n {
            break;
        }
        if p.tracking.is_some() || !routed.contains(&(p.channel.to_string(), p.id.clone())) {
            continue;
        }
        let tracking = format!("1ZREPLICA{}", p.id);
        env.ok(&[
            "ship",
            &format!("{}:{}", p.channel, p.id),
            "--carrier",
            "UPS",
            "--tracking",
            &tracking,
        ]);
        p.tracking = Some(tracking);
        shipped += 1;
    }
    shipped
}

/// Waits until both channels show every SKU's on-hand less what `placed` sold.
async fn levels_converge(env: &Env, skus: &[(String, i64)], placed: &[Placed]) {
    let mut want: BTreeMap<String, i64> = skus.iter().cloned().collect();
    for p in placed {
        for (sku, q) in &p.lines {
            *want.get_mut(sku).unwrap() -= i64::from(*q);
        }
    }
    eventually_explained(env, Duration::from_secs(90), "levels converge", || {
        for (sku, q) in &want {
            let (shop, woo) = (env.shopify.stock(sku), env.woo.stock(sku));
            if shop != Some(*q) || woo != Some(*q) {
                return Err(format!("{sku}: expected {q}, shop {shop:?}, woo {woo:?}"));
            }
        }
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_share_the_work_and_a_killed_one_is_taken_over() {
    let skus: Vec<(String, i64)> = (0..SKUS).map(|i| (format!("RP-{i:02}"), ON_HAND)).collect();
    let sku_refs: Vec<(&str, i64)> = skus.iter().map(|(s, q)| (s.as_str(), *q)).collect();
    let env = Env::on(switchyard_store::Engine::Postgres, &sku_refs, 0).await;
    env.append_config(&format!("replica:\n  lease_ttl_secs: {TTL_SECS}\n"));

    // Shopify's webhooks reach replica a (the harness's port), WooCommerce's reach b.
    let ports = [env.port, free_port(), free_port()];
    let mut replicas: BTreeMap<String, common::Daemon> = BTreeMap::new();
    for (id, port) in ["a", "b", "c"].into_iter().zip(ports) {
        replicas.insert(id.to_string(), env.start_replica(id, port).await);
    }
    env.woo
        .set_webhook_target(&format!("http://127.0.0.1:{}/webhooks/woo", ports[1]));

    // The three work leases end up one per replica.
    eventually_explained(&env, Duration::from_secs(60), "leases spread", || {
        let h = holders(&env);
        let held: Vec<&String> = WORK.iter().filter_map(|w| h.get(*w)).collect();
        let distinct: BTreeSet<&String> = held.iter().copied().collect();
        if held.len() == 3 && distinct.len() == 3 {
            Ok(())
        } else {
            Err(format!("{h:?}"))
        }
    })
    .await;

    let mut placed = Vec::new();
    place(&env, &mut placed, 0, 80).await;
    eventually(&env, Duration::from_secs(60), "orders routed", || {
        env.orders().iter().filter(|o| o.3 == "routed").count() >= 30
    })
    .await;
    // Quiet before the kill, so the level the probe order below moves is its own.
    levels_converge(&env, &skus, &placed).await;
    assert!(ship_routed(&env, &mut placed, 20) > 0);

    // SIGKILL the replica holding the store-wide workers while write-backs are in flight.
    let victim = holders(&env)["core"].clone();
    let killed_at = Instant::now();
    replicas.remove(&victim).unwrap().kill();

    // An order placed right after the kill: its level reaches the other channel only once
    // another replica has taken the `core` lease over (normalize, route, then push).
    let probe_sku = format!("RP-{:02}", 80 % SKUS);
    let probe_sku = probe_sku.as_str();
    let before = env.woo.stock(probe_sku);
    place(&env, &mut placed, 80, 81).await;
    let mut took_over = None;
    let mut first_push = None;
    let deadline = Instant::now() + Duration::from_secs(10 * TTL_SECS + 30);
    while first_push.is_none() || took_over.is_none() {
        assert!(
            Instant::now() < deadline,
            "no takeover; log:\n{}",
            env.log()
        );
        if took_over.is_none() && holders(&env).get("core").is_some_and(|h| *h != victim) {
            took_over = Some(killed_at.elapsed());
        }
        if first_push.is_none() && env.woo.stock(probe_sku) != before {
            first_push = Some(killed_at.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (took_over, first_push) = (took_over.unwrap(), first_push.unwrap());
    eprintln!(
        "replica {victim} killed: core lease taken over after {:.2} s, first push after {:.2} s (lease TTL {TTL_SECS} s)",
        took_over.as_secs_f64(),
        first_push.as_secs_f64()
    );
    assert!(
        took_over < Duration::from_secs(2 * TTL_SECS + 2),
        "takeover took {took_over:?}"
    );
    assert!(takeovers(&env) >= 1);

    // The two survivors carry on with all the work.
    place(&env, &mut placed, 81, 160).await;
    eventually(
        &env,
        Duration::from_secs(60),
        "orders routed after the kill",
        || env.orders().iter().filter(|o| o.3 == "routed").count() >= 60,
    )
    .await;
    ship_routed(&env, &mut placed, 30);
    eventually_explained(
        &env,
        Duration::from_secs(30),
        "survivors hold every lease",
        || {
            let h = holders(&env);
            match WORK
                .iter()
                .find(|w| h.get(**w).is_none_or(|x| *x == victim))
            {
                Some(w) => Err(format!("{w} not held by a survivor: {h:?}")),
                None => Ok(()),
            }
        },
    )
    .await;

    eventually(&env, Duration::from_secs(90), "every order stored", || {
        env.orders().len() == placed.len()
    })
    .await;
    let orders = env.orders();
    let mut seen = BTreeSet::new();
    for o in &orders {
        assert!(
            seen.insert((o.0.clone(), o.1.clone())),
            "order {}:{} stored twice",
            o.0,
            o.1
        );
    }
    for p in &placed {
        assert!(
            seen.contains(&(p.channel.to_string(), p.id.clone())),
            "order {}:{} lost",
            p.channel,
            p.id
        );
    }
    levels_converge(&env, &skus, &placed).await;
    eventually_explained(
        &env,
        Duration::from_secs(90),
        "tracking written back",
        || match placed.iter().filter(|p| p.tracking.is_some()).find(|p| {
            let sim: &dyn SimulatedChannel = if p.channel == "shop" {
                &*env.shopify
            } else {
                &*env.woo
            };
            sim.shipments(&p.id).is_empty()
        }) {
            Some(p) => Err(format!("{}:{} has no tracking", p.channel, p.id)),
            None => Ok(()),
        },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut shipped = 0;
    for p in placed.iter().filter(|p| p.tracking.is_some()) {
        let got = if p.channel == "shop" {
            env.shopify.shipments(&p.id)
        } else {
            env.woo.shipments(&p.id)
        };
        assert_eq!(
            got.len(),
            1,
            "order {}:{} written back {} times",
            p.channel,
            p.id,
            got.len()
        );
        shipped += 1;
    }
    assert!(shipped >= 30, "enough shipments exercised: {shipped}");
    let dl = env.ok(&["dead-letters", "list"]);
    assert!(dl.contains("no dead letters"), "{dl}");
    let audit = env.cli(&["stock", "audit"]);
    assert!(
        audit.status.success(),
        "the audit finds nothing after the kill:\n{}{}",
        String::from_utf8_lossy(&audit.stdout),
        String::from_utf8_lossy(&audit.stderr)
    );

    // A clean stop hands the leases back at once.
    for (_, r) in replicas {
        assert!(r.terminate().success());
    }
    let h = holders(&env);
    assert!(
        WORK.iter().all(|w| !h.contains_key(*w)),
        "leases released at shutdown: {h:?}"
    );
}
