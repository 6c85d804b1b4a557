//! Crash safety with real process kills: SIGKILL the daemon during a burst of orders and during
//! write-backs, restart it, and prove every order is stored once, every shipment was written back
//! exactly once, and every channel holds the right level.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{Env, eventually, eventually_explained};
use switchyard_sim::{OrderSpec, SimulatedChannel, WebhookFate};

const SKUS: usize = 20;
const ON_HAND: i64 = 1000;
const ORDERS: usize = 600;

struct Placed {
    channel: &'static str,
    id: String,
    lines: Vec<(String, u32)>,
    cancelled: bool,
    tracking: Option<String>,
}

fn sim(env: &Env, channel: &str) -> std::sync::Arc<dyn SimulatedChannel> {
    if channel == "shop" {
        env.shopify.clone()
    } else {
        env.woo.clone()
    }
}

async fn place(env: &Env, placed: &mut Vec<Placed>, from: usize, to: usize) {
    for i in from..to {
        let channel = if i % 2 == 0 { "shop" } else { "woo" };
        let lines = vec![
            (format!("CR-{:02}", i % SKUS), 1 + (i % 3) as u32),
            (format!("CR-{:02}", (i * 7 + 3) % SKUS), 1),
        ];
        let id = sim(env, channel)
            .place_order(OrderSpec {
                lines: lines.clone(),
                paid: true,
                email: format!("crash{i}@example.com"),
                fate: if i % 9 == 0 {
                    WebhookFate::Duplicate
                } else {
                    WebhookFate::Deliver
                },
            })
            .await;
        placed.push(Placed {
            channel,
            id,
            lines,
            cancelled: false,
            tracking: None,
        });
    }
}

/// Ships up to `n` orders the daemon has routed, through the CLI, as the warehouse would.
fn ship_routed(env: &Env, placed: &mut [Placed], n: usize) -> usize {
    let routed: Vec<(String, String)> = env
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
        if p.tracking.is_some()
            || p.cancelled
            || !routed.iter().any(|(c, id)| c == p.channel && *id == p.id)
        {
            continue;
        }
        let tracking = format!("1ZCRASH{}", p.id);
        let out = env.cli(&[
            "ship",
            &format!("{}:{}", p.channel, p.id),
            "--carrier",
            "UPS",
            "--tracking",
            &tracking,
        ]);
        assert!(
            out.status.success(),
            "ship failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        p.tracking = Some(tracking);
        shipped += 1;
    }
    shipped
}

fn expected(placed: &[Placed]) -> BTreeMap<String, i64> {
    let mut level: BTreeMap<String, i64> =
        (0..SKUS).map(|i| (format!("CR-{i:02}"), ON_HAND)).collect();
    for p in placed.iter().filter(|p| !p.cancelled) {
        for (sku, q) in &p.lines {
            if let Some(l) = level.get_mut(sku) {
                *l -= i64::from(*q);
            }
        }
    }
    level
}

async fn sigkill_during_a_burst_and_during_write_backs_loses_nothing_and_repeats_nothing(
    engine: switchyard_store::Engine,
) {
    let skus: Vec<(String, i64)> = (0..SKUS).map(|i| (format!("CR-{i:02}"), ON_HAND)).collect();
    let sku_refs: Vec<(&str, i64)> = skus.iter().map(|(s, q)| (s.as_str(), *q)).collect();
    let env = Env::on(engine, &sku_refs, 0).await;
    let mut placed = Vec::new();

    let daemon = env.start_daemon().await;
    place(&env, &mut placed, 0, 250).await;
    let shipped_before_kill = ship_routed(&env, &mut placed, 40);
    assert!(
        shipped_before_kill > 0,
        "some orders were routed before the kill"
    );
    // Kill while write-backs and the burst are in flight.
    daemon.kill();

    // The burst goes on while the daemon is down: these webhooks fail, polling must find them.
    place(&env, &mut placed, 250, 450).await;
    for p in placed.iter_mut().skip(5).step_by(37).take(10) {
        if p.tracking.is_none() {
            sim(&env, p.channel)
                .cancel_order(&p.id, WebhookFate::Deliver)
                .await;
            p.cancelled = true;
        }
    }

    let daemon = env.start_daemon().await;
    place(&env, &mut placed, 450, ORDERS).await;
    eventually(
        &env,
        Duration::from_secs(60),
        "orders routed after restart",
        || env.orders().iter().filter(|o| o.3 == "routed").count() >= 40,
    )
    .await;
    ship_routed(&env, &mut placed, 40);
    daemon.kill();
    let _daemon = env.start_daemon().await;

    eventually(&env, Duration::from_secs(90), "every order stored", || {
        env.orders().len() == ORDERS
    })
    .await;
    let orders = env.orders();
    let mut seen = std::collections::BTreeSet::new();
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

    let want = expected(&placed);
    eventually_explained(
        &env,
        Duration::from_secs(90),
        "levels and tracking converge",
        || {
            for (sku, q) in &want {
                let (shop, woo) = (env.shopify.stock(sku), env.woo.stock(sku));
                if shop != Some(*q) || woo != Some(*q) {
                    return Err(format!(
                        "{sku}: expected {q}, shopify {shop:?}, woo {woo:?}"
                    ));
                }
            }
            match placed
                .iter()
                .filter(|p| p.tracking.is_some())
                .find(|p| sim(&env, p.channel).shipments(&p.id).is_empty())
            {
                Some(p) => Err(format!("{}:{} has no tracking", p.channel, p.id)),
                None => Ok(()),
            }
        },
    )
    .await;
    // Let any stray retry surface before counting.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut shipped = 0;
    for p in placed.iter().filter(|p| p.tracking.is_some()) {
        let got = sim(&env, p.channel).shipments(&p.id);
        assert_eq!(
            got.len(),
            1,
            "order {}:{} written back {} times",
            p.channel,
            p.id,
            got.len()
        );
        assert_eq!(Some(&got[0].tracking_number), p.tracking.as_ref());
        shipped += 1;
    }
    assert!(shipped >= 60, "enough shipments exercised: {shipped}");
    let cancelled = orders.iter().filter(|o| o.2 == "cancelled").count();
    assert_eq!(cancelled, placed.iter().filter(|p| p.cancelled).count());
    let q = String::from_utf8_lossy(&env.cli(&["quarantine", "list"]).stdout).to_string();
    assert!(q.contains("nothing quarantined"), "{q}");
    let dl = String::from_utf8_lossy(&env.cli(&["dead-letters", "list"]).stdout).to_string();
    assert!(dl.contains("no dead letters"), "{dl}");
    let audit = env.cli(&["stock", "audit"]);
    assert!(
        audit.status.success(),
        "the auditor finds no violation after the kills:\n{}{}",
        String::from_utf8_lossy(&audit.stdout),
        String::from_utf8_lossy(&audit.stderr)
    );
}

/// The crash test once per store engine (PostgreSQL at `SWITCHYARD_TEST_POSTGRES_URL`).
mod sqlite {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sigkill_during_a_burst_and_during_write_backs_loses_nothing_and_repeats_nothing() {
        super::sigkill_during_a_burst_and_during_write_backs_loses_nothing_and_repeats_nothing(
            switchyard_store::Engine::Sqlite,
        )
        .await
    }
}

mod postgres {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sigkill_during_a_burst_and_during_write_backs_loses_nothing_and_repeats_nothing() {
        super::sigkill_during_a_burst_and_during_write_backs_loses_nothing_and_repeats_nothing(
            switchyard_store::Engine::Postgres,
        )
        .await
    }
}
