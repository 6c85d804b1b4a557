//! The demo's scripted trading day: orders for the own warehouse, the 3PL, the dropship
//! supplier and split between them; cancellations; the own warehouse's shipments through
//! `switchyard ship` and the partners' pick wave.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use switchyard_sim::{OrderSpec, WebhookFate};

use super::ledger::{Ledger, PlacedOrder};
use super::partners::{
    Partners, SUPPLIER, SUPPLIER_AVAILABLE, THREE_PL, THREE_PL_ON_HAND, reference,
};
use super::summary::Report;
use super::{DemoChannel, ON_HAND, WAREHOUSE, WAREHOUSE_TEES, rules};
use crate::daemon::Daemon;

/// Waits until `check` passes, polling every 100 ms. It gives up when what is pending has not
/// changed for `stall` (so a loaded machine that is still making progress is waited for, a
/// stuck pipeline is not), or after three times `stall` in all.
async fn wait_for<F, Fut>(stall: Duration, what: &str, mut check: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Option<String>>>,
{
    let started = Instant::now();
    let mut last: Option<(String, Instant)> = None;
    loop {
        let Some(why) = check().await? else {
            return Ok(());
        };
        let now = Instant::now();
        let since = match &last {
            Some((seen, since)) if *seen == why => *since,
            _ => now,
        };
        if now - since >= stall || now - started >= stall * 3 {
            bail!(
                "timed out waiting for {what} ({:.0} s, {:.0} s without progress): {why}",
                (now - started).as_secs_f64(),
                (now - since).as_secs_f64()
            );
        }
        last = Some((why, since));
        tokio::time::sleep(Duration::from_millis(100)).await;
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

/// The first paid, open partner part that has not reached its partner yet.
fn not_at_partner(partners: &Partners, ledger: &Ledger) -> Option<String> {
    for o in ledger.orders.iter().filter(|o| o.paid && !o.cancelled) {
        for p in o.parts.iter().filter(|p| p.location != WAREHOUSE) {
            let key = reference(&p.location, &o.channel, &o.external_id);
            let there = match p.location.as_str() {
                THREE_PL => !partners.three_pl_orders(&key).is_empty(),
                _ => partners.supplier.order(&key).is_some(),
            };
            if !there {
                return Some(format!("{key} not at {} yet", p.location));
            }
        }
    }
    None
}

/// The first cancelled order still open at a partner that received it.
fn open_at_partner(partners: &Partners, ledger: &Ledger) -> Option<String> {
    for o in ledger.orders.iter().filter(|o| o.cancelled) {
        for p in o.parts.iter().filter(|p| p.location != WAREHOUSE) {
            let key = reference(&p.location, &o.channel, &o.external_id);
            let open = match p.location.as_str() {
                THREE_PL => partners.three_pl_orders(&key).iter().any(|id| {
                    partners
                        .three_pl
                        .order_json(*id)
                        .is_some_and(|j| j["status"] != "Cancelled")
                }),
                _ => partners.supplier.order(&key).is_some_and(|po| {
                    po.status != switchyard_sim::supplier_http::PoStatus::Cancelled
                }),
            };
            if open {
                return Some(format!("{key} still open at {}", p.location));
            }
        }
    }
    None
}

/// An order with a line nobody stocks: it is held with nowhere to go, and after
/// `cancel_unfulfillable_after_secs` the daemon cancels that line on the channel (the whole
/// order where the channel cancels only whole orders, so there the order holds only that line).
async fn seller_cancellation(
    c: &DemoChannel,
    ledger: &mut Ledger,
    skus: &[String],
) -> anyhow::Result<()> {
    let lines_too = c.id == "walmart";
    let own: Vec<(String, u32)> = match skus.first() {
        Some(sku) if lines_too => vec![(sku.clone(), 1)],
        _ => Vec::new(),
    };
    println!(
        "[3/6] an order on {} with a line nobody stocks ({}): held, then cancelled there by the daemon after {} s (out of stock)",
        c.id,
        super::UNSTOCKED,
        super::CANCEL_HELD_AFTER_SECS
    );
    let mut lines = own.clone();
    lines.push((super::UNSTOCKED.to_string(), 1));
    let external_id = c
        .sim
        .place_order(OrderSpec {
            lines,
            paid: true,
            email: "unstocked@example.com".into(),
            fate: WebhookFate::Deliver,
        })
        .await;
    ledger.orders.push(PlacedOrder {
        channel: c.id.clone(),
        external_id: external_id.clone(),
        parts: PlacedOrder::split(&own, rules::location_for),
        paid: true,
        cancelled: !lines_too,
        webhook_lost: false,
        webhook_duplicated: false,
    });
    ledger
        .seller_cancelled
        .push((c.id.clone(), external_id.clone(), !lines_too));
    wait_for(
        Duration::from_secs(30),
        "the unstocked line to be cancelled on the channel",
        || async {
            let record = c.sim.seller_cancellation_record(&external_id);
            Ok(record
                .is_empty()
                .then(|| format!("{}:{external_id} not cancelled there yet", c.id)))
        },
    )
    .await
}

/// Lines for one order: mostly the own catalog, else apparel (3PL), a dropship item, both, or
/// own-catalog lines with a partner's (the own part leaves by `ship`, the rest by its partner).
fn order_lines(rng: &mut StdRng, skus: &[String], partners: &Partners) -> Vec<(String, u32)> {
    let pick = |rng: &mut StdRng, from: &[String], lines: &mut Vec<(String, u32)>| {
        let sku = &from[rng.random_range(0..from.len())];
        if !lines.iter().any(|(s, _)| s == sku) {
            lines.push((sku.clone(), rng.random_range(1..=2)));
        }
    };
    let mut lines = Vec::new();
    let shape = rng.random_range(0..100);
    let (own, tees, drops) = match shape {
        0..45 => (rng.random_range(1..=2), 0, 0),
        45..58 => (0, rng.random_range(1..=2), 0),
        58..71 => (0, 0, 1),
        71..82 => (0, 1, 1),
        82..91 => (1, 1, 0),
        _ => (1, 0, 1),
    };
    for _ in 0..own {
        pick(rng, skus, &mut lines);
    }
    for _ in 0..tees {
        pick(rng, &partners.three_pl_skus, &mut lines);
    }
    for _ in 0..drops {
        pick(rng, &partners.supplier_skus, &mut lines);
    }
    lines
}

pub async fn play(
    daemon: &Daemon,
    channels: &[DemoChannel],
    partners: &Partners,
    skus: &[String],
    seed: u64,
    count: usize,
) -> anyhow::Result<Report> {
    let store = daemon.app.store.clone();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut ledger = Ledger::default();
    for sku in skus {
        ledger.stock(sku, WAREHOUSE, ON_HAND);
    }
    for sku in &partners.three_pl_skus {
        ledger.stock(sku, WAREHOUSE, WAREHOUSE_TEES);
        ledger.stock(sku, THREE_PL, THREE_PL_ON_HAND);
    }
    for sku in &partners.supplier_skus {
        ledger.stock(sku, SUPPLIER, SUPPLIER_AVAILABLE);
    }

    println!(
        "[1/6] first push: every channel corrected to the stock at the warehouse, the 3PL and the supplier"
    );
    partners.publish_supplier_stock().await?;
    wait_for(Duration::from_secs(30), "initial levels", || async {
        Ok(level_mismatch(channels, &ledger))
    })
    .await?;

    println!(
        "[2/6] placing {count} orders for the warehouse, the 3PL, the supplier and split between them (some webhooks lost, some duplicated)"
    );
    let placing = Instant::now();
    for i in 0..count {
        let c = &channels[i % channels.len()];
        let lines = order_lines(&mut rng, skus, partners);
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
            parts: PlacedOrder::split(&lines, rules::location_for),
            paid: paid || c.always_paid,
            cancelled: false,
            webhook_lost: fate == WebhookFate::Lose,
            webhook_duplicated: fate == WebhookFate::Duplicate,
        });
    }
    // Partners get their parts as the orders are routed. Cancelling only once every part was
    // handed over and recorded makes "cancel reaches the partner before it ships" the path
    // exercised, rather than a race with the hand-over.
    wait_for(
        Duration::from_secs(30),
        "paid orders to reach their partners",
        || async { Ok(not_at_partner(partners, &ledger)) },
    )
    .await?;
    wait_for(Duration::from_secs(15), "hand-overs to be recorded", || {
        let store = store.clone();
        async move {
            let c = store.counts().await?;
            Ok((c.outbox_pending > 0)
                .then(|| format!("{} outbox item(s) pending", c.outbox_pending)))
        }
    })
    .await?;

    println!("[3/6] cancelling some orders in the channels' admin");
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
        Duration::from_secs(30),
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
    wait_for(
        Duration::from_secs(30),
        "cancellations to reach the partners",
        || async { Ok(open_at_partner(partners, &ledger)) },
    )
    .await?;

    let ids: Vec<&str> = channels.iter().map(|c| c.id.as_str()).collect();
    if let Some(i) = super::unfulfillable_channel(&ids) {
        seller_cancellation(&channels[i], &mut ledger, skus).await?;
    }

    println!(
        "[4/6] packing and shipping the own-warehouse part of paid orders with `switchyard ship`"
    );
    let to_ship: Vec<usize> = ledger
        .orders
        .iter()
        .enumerate()
        .filter(|(_, o)| o.paid && !o.cancelled && o.part_at(WAREHOUSE).is_some())
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
                &[super::WAREHOUSE.to_string()],
                chrono::Local::now().fixed_offset(),
            )
            .await
            .with_context(|| format!("shipping {}:{}", o.channel, o.external_id))?;
        if let Some(p) = o.parts.iter_mut().find(|p| p.location == WAREHOUSE) {
            p.tracking = Some(tracking);
        }
    }
    daemon.app.wake.outbox.notify_one();
    daemon.app.wake.push.wake_all();

    println!(
        "[5/6] the 3PL and the supplier ship what they hold (some ship notices lost: polling finds them)"
    );
    for (i, o) in ledger.orders.iter_mut().enumerate() {
        if !o.paid || o.cancelled {
            continue;
        }
        for p in o.parts.iter_mut().filter(|p| p.location != WAREHOUSE) {
            let key = reference(&p.location, &o.channel, &o.external_id);
            let tracking = match p.location.as_str() {
                THREE_PL => format!("9400DEMO{i:08}"),
                _ => format!("BOLT{i:08}"),
            };
            let delay = Duration::from_millis(rng.random_range(100..=600));
            let fate = if rng.random_bool(0.15) {
                WebhookFate::Lose
            } else {
                WebhookFate::Deliver
            };
            if !partners.ship_after(&p.location, &key, &tracking, delay, fate) {
                bail!("{} has no open order {key} to ship", p.location);
            }
            p.tracking = Some(tracking);
        }
    }

    println!("[6/6] waiting for every channel to hold the right level and its tracking");
    let converging = Instant::now();
    wait_for(Duration::from_secs(30), "channels to converge", || async {
        if let Some(why) = level_mismatch(channels, &ledger) {
            return Ok(Some(why));
        }
        for o in &ledger.orders {
            let Some(c) = channels.iter().find(|c| c.id == o.channel) else {
                continue;
            };
            let got = c.sim.shipments(&o.external_id);
            for t in o.trackings() {
                if !got.iter().any(|s| s.tracking_number == t) {
                    return Ok(Some(format!(
                        "{}:{} has no tracking {t} yet",
                        o.channel, o.external_id
                    )));
                }
            }
        }
        Ok(None)
    })
    .await?;
    let converge_secs = converging.elapsed().as_secs_f64();
    println!("  a customer returns a unit; it is received and refunded on its channel");
    let refunded = super::returns::refund_one(daemon, channels, &ledger).await?;
    Ok(Report {
        ledger,
        ingest_secs,
        converge_secs,
        refunded,
    })
}
