//! A 3PL warehouse trading EDI X12 004010 files through its SFTP server: reads 940 shipping
//! orders, answers each group with a 997 (rejecting sets it cannot read, and 940s for items it
//! does not stock when so configured), and after a configurable delay ships each order with a
//! 945 (W06 echoing the depositor order number, tracking as N9*CN, carrier in W27).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::Utc;
use switchyard_edi::docs::advice945::{ShipCarrier, ShippedLine, ShippingAdvice};
use switchyard_edi::docs::order940::ShippingOrder;
use switchyard_edi::{FunctionalAck, SetError, parse_lenient};

use crate::edi_files::{EdiSimError, Envelopes, Identities, pick_up, waiting, write_atomic};

#[derive(Debug, Clone)]
pub struct WarehouseConfig {
    /// Where the merchant puts 940s (the adapter's `outbox`).
    pub inbox: PathBuf,
    /// Where the warehouse puts 997s and 945s (the adapter's `inbox`).
    pub outbox: PathBuf,
    pub ids: Identities,
    /// SKUs (W01 `SK`/`VN`) the warehouse does not hold: a 940 naming one is rejected in the 997.
    pub unknown_items: BTreeSet<String>,
    pub ship_after: Duration,
    pub carrier_scac: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WarehouseCounters {
    pub orders: u32,
    pub duplicate_orders: u32,
    pub rejected_orders: u32,
    pub acks_997_sent: u32,
    pub acks_997_received: u32,
    pub advices_945_sent: u32,
}

#[derive(Debug)]
struct Order {
    order: ShippingOrder,
    received_at: Instant,
    shipped: Option<String>,
}

#[derive(Debug, Default)]
struct State {
    orders: BTreeMap<String, Order>,
    counters: WarehouseCounters,
    next_shipment: u32,
}

pub struct WarehouseSim {
    config: WarehouseConfig,
    envelopes: Envelopes,
    state: Mutex<State>,
}

impl WarehouseSim {
    pub fn new(config: WarehouseConfig) -> Self {
        WarehouseSim {
            envelopes: Envelopes::new(config.ids.clone()),
            config,
            state: Mutex::new(State::default()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn counters(&self) -> WarehouseCounters {
        self.state().counters.clone()
    }

    /// The 940s taken, by depositor order number.
    pub fn orders(&self) -> Vec<ShippingOrder> {
        self.state()
            .orders
            .values()
            .map(|o| o.order.clone())
            .collect()
    }

    pub fn tracking(&self, depositor_order: &str) -> Option<String> {
        self.state()
            .orders
            .get(depositor_order)
            .and_then(|o| o.shipped.clone())
    }

    /// One pass of the warehouse's batch job.
    pub fn step(&self) -> Result<(), EdiSimError> {
        for (path, bytes) in waiting(&self.config.inbox)? {
            self.read_file(&bytes)?;
            pick_up(&path)?;
        }
        self.ship_due()
    }

    fn read_file(&self, bytes: &[u8]) -> Result<(), EdiSimError> {
        let Ok(parsed) = parse_lenient(bytes) else {
            return Ok(());
        };
        for interchange in &parsed.document.interchanges {
            for group in &interchange.groups {
                if group.functional_id == "FA" {
                    self.state().counters.acks_997_received += 1;
                    continue;
                }
                let mut ack = FunctionalAck::for_group(group);
                for tx in &group.transactions {
                    if tx.set_id != "940" {
                        ack.reject(&tx.control_number, SetError::NotSupported);
                        continue;
                    }
                    match ShippingOrder::from_transaction(tx) {
                        Ok(order) => {
                            let unknown = order.lines.iter().any(|l| {
                                [&l.ids.sku, &l.ids.vendor_part]
                                    .into_iter()
                                    .flatten()
                                    .any(|id| self.config.unknown_items.contains(id))
                            });
                            if unknown {
                                ack.reject(&tx.control_number, SetError::SegmentsInError);
                                self.state().counters.rejected_orders += 1;
                            } else {
                                self.take(order);
                            }
                        }
                        Err(e) => {
                            ack.reject_unreadable(&tx.control_number, &e);
                        }
                    }
                }
                let text = self.envelopes.ack(&ack)?;
                write_atomic(
                    &self.config.outbox,
                    &format!("997_{}.edi", group.control_number.trim()),
                    &text,
                )?;
                self.state().counters.acks_997_sent += 1;
            }
        }
        Ok(())
    }

    fn take(&self, order: ShippingOrder) {
        let mut state = self.state();
        let key = order.depositor_order_number.clone();
        if state.orders.contains_key(&key) {
            state.counters.duplicate_orders += 1;
            return;
        }
        state.counters.orders += 1;
        state.orders.insert(
            key,
            Order {
                order,
                received_at: Instant::now(),
                shipped: None,
            },
        );
    }

    fn ship_due(&self) -> Result<(), EdiSimError> {
        let mut files = Vec::new();
        {
            let mut state = self.state();
            let due: Vec<String> = state
                .orders
                .iter()
                .filter(|(_, o)| {
                    o.shipped.is_none() && o.received_at.elapsed() >= self.config.ship_after
                })
                .map(|(k, _)| k.clone())
                .collect();
            for key in due {
                state.next_shipment += 1;
                let n = state.next_shipment;
                let tracking = format!("1Z3PL{n:010}");
                let Some(o) = state.orders.get_mut(&key) else {
                    continue;
                };
                let advice = ShippingAdvice {
                    reporting_code: "F".into(),
                    depositor_order_number: key.clone(),
                    shipped_on: Some(Utc::now().date_naive()),
                    shipment_id: Some(format!("WHS{n:06}")),
                    po_number: o.order.po_number.clone(),
                    ship_to: o.order.ship_to.clone(),
                    tracking_numbers: vec![tracking.clone()],
                    carrier: Some(ShipCarrier {
                        transport: "U".into(),
                        scac: Some(self.config.carrier_scac.clone()),
                        routing: None,
                    }),
                    lines: o
                        .order
                        .lines
                        .iter()
                        .map(|l| ShippedLine {
                            line_number: Some(l.line_number.clone()),
                            status: "CC".into(),
                            quantity_ordered: Some(l.quantity),
                            quantity_shipped: l.quantity,
                            unit: l.unit.clone(),
                            ids: switchyard_edi::docs::ItemIds {
                                sku: l.ids.sku.clone(),
                                vendor_part: if l.ids.sku.is_some() {
                                    None
                                } else {
                                    l.ids.vendor_part.clone()
                                },
                                ..Default::default()
                            },
                        })
                        .collect(),
                };
                let tx = advice.to_transaction(1).map_err(|e| EdiSimError::Render {
                    what: "945".into(),
                    reason: e.to_string(),
                })?;
                files.push((format!("945_{key}.edi"), self.envelopes.render(tx)?));
                o.shipped = Some(tracking);
                state.counters.advices_945_sent += 1;
            }
        }
        for (name, text) in files {
            write_atomic(&self.config.outbox, &name, &text)?;
        }
        Ok(())
    }
}
