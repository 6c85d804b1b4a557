//! The demo's summary: every check computed from the demo's own ledger and the simulators'
//! records (channels, the 3PL, the supplier), with the stock auditor's result beside them.

use std::collections::BTreeSet;
use std::time::Duration;

use switchyard_core::store::Store;
use switchyard_sim::supplier_http::PoStatus;

use super::DemoChannel;
use super::WAREHOUSE;
use super::ledger::{Ledger, Part, PlacedOrder};
use super::partners::{Partners, SUPPLIER, THREE_PL, reference};

pub struct Report {
    pub ledger: Ledger,
    pub ingest_secs: f64,
    pub converge_secs: f64,
    /// The return the demo refunded, if a channel with a refund API shipped from the warehouse.
    pub refunded: Option<super::returns::RefundedReturn>,
}

/// Lines as a sorted list, so two records of one parcel compare equal.
fn sorted(mut lines: Vec<(String, u32)>) -> Vec<(String, u32)> {
    lines.sort();
    lines
}

/// What the partner holds for a part: its records under the part's reference, each as lines
/// and whether it shipped or was cancelled there.
struct AtPartner {
    lines: Vec<Vec<(String, u32)>>,
    shipped: bool,
    cancelled: bool,
}

fn at_partner(partners: &Partners, o: &PlacedOrder, p: &Part) -> AtPartner {
    let key = reference(&p.location, &o.channel, &o.external_id);
    match p.location.as_str() {
        THREE_PL => {
            let orders: Vec<serde_json::Value> = partners
                .three_pl_orders(&key)
                .into_iter()
                .filter_map(|id| partners.three_pl.order_json(id))
                .collect();
            AtPartner {
                lines: orders
                    .iter()
                    .map(|j| {
                        sorted(
                            j["products"]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .map(|l| {
                                    (
                                        l["reference_id"].as_str().unwrap_or_default().to_string(),
                                        l["quantity"].as_u64().unwrap_or(0) as u32,
                                    )
                                })
                                .collect(),
                        )
                    })
                    .collect(),
                shipped: orders.iter().any(|j| j["status"] == "Fulfilled"),
                cancelled: orders.iter().any(|j| j["status"] == "Cancelled"),
            }
        }
        _ => {
            let po = partners.supplier.order(&key);
            AtPartner {
                lines: po.iter().map(|po| sorted(po.lines())).collect(),
                shipped: po.as_ref().is_some_and(|po| po.status == PoStatus::Shipped),
                cancelled: po
                    .as_ref()
                    .is_some_and(|po| po.status == PoStatus::Cancelled),
            }
        }
    }
}

impl Report {
    /// Prints the summary; true when every check passed.
    pub async fn print(
        &self,
        channels: &[DemoChannel],
        partners: &Partners,
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
        for (channel, id, whole) in &l.seller_cancelled {
            let record = channels
                .iter()
                .find(|c| &c.id == channel)
                .map(|c| c.sim.seller_cancellation_record(id))
                .unwrap_or_default();
            let closed = held
                .iter()
                .find(|o| &o.channel_id == channel && &o.external_id == id)
                .is_some_and(|o| !whole || o.status == "cancelled");
            checks.push((
                record.len() == 1 && closed,
                format!(
                    "seller cancellation of the unstocked line reached {channel} once ({}), in {}'s own record: {}",
                    if *whole { "whole order" } else { "that line only" },
                    channel,
                    record.join("; ")
                ),
            ));
        }
        // The buyers' cancellations, and a seller cancellation of a whole order (the channel
        // then reports the order cancelled too).
        let by_seller = l
            .seller_cancelled
            .iter()
            .filter(|(_, _, whole)| *whole)
            .count();
        let cancelled = l.orders.iter().filter(|o| o.cancelled).count() + by_seller;
        let cancelled_held = held.iter().filter(|o| o.status == "cancelled").count();
        checks.push((
            cancelled == cancelled_held,
            format!(
                "cancellations seen: {cancelled_held} of {cancelled} ({by_seller} by the seller)"
            ),
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
                    "{} stock equals available-to-sell (summed over its locations) for {} SKUs (buffer {}){}",
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

        // Partners: each paid part exactly once with exactly its lines; nothing else arrived.
        let mut misplaced: Vec<String> = Vec::new();
        let mut expected_at = |location: &str| -> usize {
            let mut n = 0;
            for o in &l.orders {
                let Some(p) = o.part_at(location) else {
                    continue;
                };
                let got = at_partner(partners, o, p);
                let want: Vec<Vec<(String, u32)>> = if o.paid {
                    vec![sorted(p.lines.clone())]
                } else {
                    Vec::new()
                };
                n += want.len();
                if got.lines != want {
                    misplaced.push(format!(
                        "{}:{} at {location}: {:?}, expected {:?}",
                        o.channel, o.external_id, got.lines, want
                    ));
                }
            }
            n
        };
        let to_three_pl = expected_at(THREE_PL);
        let to_supplier = expected_at(SUPPLIER);
        let received_3pl = partners.three_pl.orders_created() as usize;
        let received_supplier = partners.supplier.orders().len();
        let no_strays = received_3pl == to_three_pl && received_supplier == to_supplier;
        checks.push((
            misplaced.is_empty() && no_strays,
            format!(
                "every routed part reached the location the rules name, exactly once: 3PL {received_3pl} orders for {to_three_pl} parts, supplier {received_supplier} POs for {to_supplier} parts, no own-warehouse line at a partner{}",
                misplaced
                    .iter()
                    .take(3)
                    .map(|m| format!("; {m}"))
                    .collect::<String>()
            ),
        ));

        let (mut stopped, mut never_sent, mut shipped_anyway) = (0, 0, Vec::new());
        for o in l.orders.iter().filter(|o| o.cancelled) {
            for p in o.parts.iter().filter(|p| p.location != WAREHOUSE) {
                let got = at_partner(partners, o, p);
                if got.shipped {
                    shipped_anyway.push(format!("{}:{}", o.channel, o.external_id));
                } else if got.cancelled {
                    stopped += 1;
                } else if got.lines.is_empty() {
                    never_sent += 1;
                }
            }
        }
        checks.push((
            shipped_anyway.is_empty(),
            format!(
                "no cancelled order shipped by a partner: {stopped} cancelled at the partner, {never_sent} never sent (unpaid){}",
                if shipped_anyway.is_empty() {
                    String::new()
                } else {
                    format!("; shipped anyway: {}", shipped_anyway.join(", "))
                }
            ),
        ));

        // Tracking: every parcel's number on its order's channel exactly once, nothing else.
        let mut back_once = 0;
        let mut with_tracking = 0;
        for o in l.orders.iter().filter(|o| !o.trackings().is_empty()) {
            with_tracking += 1;
            let Some(c) = channels.iter().find(|c| c.id == o.channel) else {
                continue;
            };
            let mut got: Vec<String> = c
                .sim
                .shipments(&o.external_id)
                .into_iter()
                .map(|s| s.tracking_number)
                .collect();
            got.sort();
            let mut want: Vec<String> = o.trackings().iter().map(|t| t.to_string()).collect();
            want.sort();
            if got == want {
                back_once += 1;
            }
        }
        checks.push((
            back_once == with_tracking,
            format!(
                "tracking written back exactly once per parcel on {back_once} of {with_tracking} shipped orders"
            ),
        ));
        // The refund as the channel's own record of the order holds it: once, for the amount.
        match &self.refunded {
            Some(r) => {
                let held = channels
                    .iter()
                    .find(|c| c.id == r.channel)
                    .map(|c| c.sim.refunds(&r.order))
                    .unwrap_or_default();
                let amounts: Vec<&str> = held.iter().map(|h| h.amount.as_str()).collect();
                checks.push((
                    held.len() == 1 && amounts == [r.amount.as_str()],
                    format!(
                        "a returned unit refunded exactly once on {}:{} (RMA {}, {} asked; the channel holds {:?})",
                        r.channel, r.order, r.rma_id, r.amount, amounts
                    ),
                ));
            }
            None => checks.push((
                false,
                "a returned unit refunded: no order shipped from the warehouse on a channel with a refund API".into(),
            )),
        }
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
        for (location, what) in [
            (WAREHOUSE, "own warehouse, `switchyard ship`"),
            (THREE_PL, "3PL, ShipBob API"),
            (SUPPLIER, "dropship, HTTP JSON"),
        ] {
            self.print_target(channels, location, what);
        }
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

    /// One line per fulfilment target: orders routed there, units, parcels, tracking back.
    fn print_target(&self, channels: &[DemoChannel], location: &str, what: &str) {
        let parts: Vec<(&PlacedOrder, &Part)> = self
            .ledger
            .orders
            .iter()
            .filter_map(|o| o.part_at(location).map(|p| (o, p)))
            .collect();
        let routed: Vec<&(&PlacedOrder, &Part)> = parts
            .iter()
            .filter(|(o, _)| o.paid && !o.cancelled)
            .collect();
        let shipped: Vec<&&(&PlacedOrder, &Part)> = routed
            .iter()
            .filter(|(_, p)| p.tracking.is_some())
            .collect();
        let back = shipped
            .iter()
            .filter(|(o, p)| {
                channels
                    .iter()
                    .find(|c| c.id == o.channel)
                    .is_some_and(|c| {
                        c.sim
                            .shipments(&o.external_id)
                            .iter()
                            .filter(|s| Some(&s.tracking_number) == p.tracking.as_ref())
                            .count()
                            == 1
                    })
            })
            .count();
        println!(
            "  {location:<5} ({what}): {} orders ({} split), {} units routed; {} parcels shipped ({} units), tracking back on the channel for {back}",
            routed.len(),
            routed.iter().filter(|(o, _)| o.parts.len() > 1).count(),
            routed.iter().map(|(_, p)| p.units()).sum::<u64>(),
            shipped.len(),
            shipped.iter().map(|(_, p)| p.units()).sum::<u64>(),
        );
    }
}
