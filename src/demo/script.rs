//! The demo's scripted trading day and its summary.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use switchyard_core::store::Store;
use switchyard_sim::{OrderSpec, WebhookFate};

use super::ledger::{Ledger, PlacedOrder};
use super::{DemoChannel, ON_HAND};
use crate::daemon::Daemon;

pub struct Report {
    ledger: Ledger,
    ingest_secs: f64,
    converge_secs: f64,
}

/// Waits until `check` passes, polling every 100 ms, or fails after `limit` with `what`.
async fn wait_for<F, Fut>(limit: Duration, what: &str, mut check: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Option<String>>>,
{
    let deadline = Instant::now() + limit;
    loop {
        let pending = check().await?;
        match pending {
            None => return Ok(()),
            Some(why) if Instant::now() >= deadline => bail!("timed out waiting for {what}: {why}"),
            Some(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// First SKU whose channel level differs from the ledger's expectation, if any.
fn level_mismatch(channels: &[DemoChannel], ledger: &Ledger) -> Option<String> {
    for c in channels {
        for (sku, want) in ledger.expected_levels(c.buffer) {
            let have = c.sim.stock(&sku);
            if have != Some(want) {
                return Some(format!(
                    "{} {sku}: channel has {have:?}, expected {want}",
                    c.id
                ));
            }
        }
    }
    None
}

pub async fn play(
    daemon: &Daemon,
    channels: &[DemoChannel],
    skus: &[String],
    seed: u64,
    count: usize,
) -> anyhow::Result<Report> {
    let store = daemon.app.store.clone();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut ledger = Ledger::default();
    for sku in skus {
        ledger.on_hand.insert(sku.clone(), ON_HAND);
    }

    println!("[1/5] first push: every channel corrected to the warehouse's counts");
    wait_for(Duration::from_secs(30), "initial levels", || async {
        Ok(level_mismatch(channels, &ledger))
    })
    .await?;

    println!("[2/5] placing {count} orders (some webhooks lost, some duplicated)");
    let placing = Instant::now();
    for i in 0..count {
        let c = &channels[i % channels.len()];
        let n_lines = rng.random_range(1..=2);
        let mut lines: Vec<(String, u32)> = Vec::new();
        for _ in 0..n_lines {
            let sku = &skus[rng.random_range(0..skus.len())];
            if !lines.iter().any(|(s, _)| s == sku) {
                lines.push((sku.clone(), rng.random_range(1..=2)));
            }
        }
        let roll: f64 = rng.random();
        let fate = if roll < 0.12 {
            WebhookFate::Lose
        } else if roll < 0.24 {
            WebhookFate::Duplicate
        } else {
            WebhookFate::Deliver
        };
        let paid = rng.random_bool(0.85);
        let external_id = c
            .sim
            .place_order(OrderSpec {
                lines: lines.clone(),
                paid,
                email: format!("shopper{i}@example.com"),
                fate,
            })
            .await;
        ledger.orders.push(PlacedOrder {
            channel: c.id.clone(),
            external_id,
            lines,
            paid,
            cancelled: false,
            tracking: None,
            webhook_lost: fate == WebhookFate::Lose,
            webhook_duplicated: fate == WebhookFate::Duplicate,
        });
    }

    println!("[3/5] cancelling some orders in the channels' admin");
    for o in ledger.orders.iter_mut() {
        if rng.random_bool(0.15) {
            let fate = if rng.random_bool(0.2) {
                WebhookFate::Lose
            } else {
                WebhookFate::Deliver
            };
            let c = channels
                .iter()
                .find(|c| c.id == o.channel)
                .context("demo channel vanished")?;
            c.sim.cancel_order(&o.external_id, fate).await;
            o.cancelled = true;
        }
    }

    // Every order, in its final channel state, must be in the store exactly once.
    let wanted: BTreeMap<(String, String), bool> = ledger
        .orders
        .iter()
        .map(|o| ((o.channel.clone(), o.external_id.clone()), o.cancelled))
        .collect();
    wait_for(
        Duration::from_secs(45),
        "every order to be ingested",
        || {
            let store = store.clone();
            let wanted = &wanted;
            async move {
                let held = store.orders(100_000).await?;
                let mut seen = BTreeSet::new();
                for o in &held {
                    let key = (o.channel_id.clone(), o.external_id.clone());
                    if !seen.insert(key.clone()) {
                        bail!("order {}:{} stored twice", key.0, key.1);
                    }
                    if let Some(cancelled) = wanted.get(&key)
                        && *cancelled != (o.status == "cancelled")
                    {
                        return Ok(Some(format!("{}:{} is still {}", key.0, key.1, o.status)));
                    }
                }
                let missing = wanted.keys().filter(|k| !seen.contains(*k)).count();
                Ok((missing > 0).then(|| format!("{missing} order(s) not ingested yet")))
            }
        },
    )
    .await?;
    let ingest_secs = placing.elapsed().as_secs_f64();

    println!("[4/5] packing and shipping paid orders from the warehouse");
    let to_ship: Vec<usize> = ledger
        .orders
        .iter()
        .enumerate()
        .filter(|(_, o)| o.paid && !o.cancelled)
        .map(|(i, _)| i)
        .filter(|_| rng.random_bool(0.5))
        .collect();
    wait_for(Duration::from_secs(30), "paid orders to be routed", || {
        let store = store.clone();
        async move {
            let c = store.counts().await?;
            Ok((c.to_route > 0).then(|| format!("{} order(s) to route", c.to_route)))
        }
    })
    .await?;
    for i in to_ship {
        let o = &mut ledger.orders[i];
        let tracking = format!("1ZDEMO{:08}", i);
        store
            .ship(
                &format!("{}:{}", o.channel, o.external_id),
                "UPS",
                &tracking,
                chrono::Local::now().fixed_offset(),
            )
            .await
            .with_context(|| format!("shipping {}:{}", o.channel, o.external_id))?;
        o.tracking = Some(tracking);
    }
    daemon.app.wake.outbox.notify_one();
    daemon.app.wake.push.wake_all();

    println!("[5/5] waiting for every channel to hold the right level and its tracking");
    let converging = Instant::now();
    wait_for(Duration::from_secs(40), "channels to converge", || async {
        if let Some(why) = level_mismatch(channels, &ledger) {
            return Ok(Some(why));
        }
        for o in ledger.orders.iter().filter(|o| o.tracking.is_some()) {
            let c = channels.iter().find(|c| c.id == o.channel);
            let got = c
                .map(|c| c.sim.shipments(&o.external_id))
                .unwrap_or_default();
            if got.is_empty() {
                return Ok(Some(format!(
                    "{}:{} has no tracking yet",
                    o.channel, o.external_id
                )));
            }
        }
        Ok(None)
    })
    .await?;
    Ok(Report {
        ledger,
        ingest_secs,
        converge_secs: converging.elapsed().as_secs_f64(),
    })
}

impl Report {
    /// Prints the summary; true when every check passed.
    pub async fn print(
        &self,
        channels: &[DemoChannel],
        store: &dyn Store,
        audit: &crate::daemon::auditor::AuditReport,
        wall: Duration,
    ) -> anyhow::Result<bool> {
        let l = &self.ledger;
        let counts = store.counts().await?;
        let held = store.orders(100_000).await?;
        let mut checks: Vec<(bool, String)> = Vec::new();

        let unique: BTreeSet<_> = held
            .iter()
            .map(|o| (&o.channel_id, &o.external_id))
            .collect();
        checks.push((
            held.len() == l.orders.len() && unique.len() == held.len(),
            format!(
                "every order ingested exactly once: {} placed, {} stored ({} found only by polling, {} webhooks duplicated)",
                l.orders.len(),
                held.len(),
                l.orders.iter().filter(|o| o.webhook_lost).count(),
                l.orders.iter().filter(|o| o.webhook_duplicated).count(),
            ),
        ));
        let cancelled = l.orders.iter().filter(|o| o.cancelled).count();
        let cancelled_held = held.iter().filter(|o| o.status == "cancelled").count();
        checks.push((
            cancelled == cancelled_held,
            format!("cancellations seen: {cancelled_held} of {cancelled}"),
        ));
        for c in channels {
            let expected = l.expected_levels(c.buffer);
            let wrong: Vec<String> = expected
                .iter()
                .filter(|(sku, want)| c.sim.stock(sku) != Some(**want))
                .map(|(sku, want)| format!("{sku}: {:?} != {want}", c.sim.stock(sku)))
                .collect();
            checks.push((
                wrong.is_empty(),
                format!(
                    "{} stock equals available-to-sell for {} SKUs (buffer {}){}",
                    c.id,
                    expected.len(),
                    c.buffer,
                    if wrong.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", wrong.join(", "))
                    }
                ),
            ));
        }
        let shipped: Vec<&PlacedOrder> = l.orders.iter().filter(|o| o.tracking.is_some()).collect();
        let mut once = 0;
        for o in &shipped {
            let Some(c) = channels.iter().find(|c| c.id == o.channel) else {
                continue;
            };
            let got = c.sim.shipments(&o.external_id);
            if got.len() == 1 && Some(&got[0].tracking_number) == o.tracking.as_ref() {
                once += 1;
            }
        }
        checks.push((
            once == shipped.len(),
            format!(
                "tracking written back exactly once on {once} of {} shipped orders",
                shipped.len()
            ),
        ));
        checks.push((
            counts.quarantined == 0 && counts.dead_letters == 0,
            format!(
                "nothing quarantined ({}) and no dead letters ({})",
                counts.quarantined, counts.dead_letters
            ),
        ));
        checks.push((
            audit.violations.is_empty(),
            format!(
                "stock audit: on-hand = ledger, reserved = open order lines, {} listings at or below available-to-sell: {} violation(s){}",
                audit.listings_checked,
                audit.violations.len(),
                audit
                    .violations
                    .iter()
                    .take(5)
                    .map(|v| format!("; {v:?}"))
                    .collect::<String>()
            ),
        ));

        println!("\nsummary");
        for (ok, text) in &checks {
            println!("  {} {text}", if *ok { "PASS" } else { "FAIL" });
        }
        println!(
            "  wall time {:.1} s; {} orders ingested in {:.2} s ({:.0} orders/s); channels converged {:.2} s after the last shipment",
            wall.as_secs_f64(),
            l.orders.len(),
            self.ingest_secs,
            l.orders.len() as f64 / self.ingest_secs.max(0.001),
            self.converge_secs
        );
        for c in channels {
            let s = c.sim.stats();
            println!(
                "  {}: {} API requests, {} throttled, {} stock writes, {} webhooks sent",
                c.id, s.requests, s.throttled, s.stock_writes, s.webhooks_sent
            );
        }
        let ok = checks.iter().all(|(ok, _)| *ok);
        println!(
            "{}",
            if ok {
                "demo: all checks passed"
            } else {
                "demo: CHECKS FAILED"
            }
        );
        Ok(ok)
    }
}
