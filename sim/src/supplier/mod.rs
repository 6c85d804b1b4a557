//! A dropship supplier trading EDI X12 004010 files through its SFTP server. It reads 850s
//! from the folder the merchant uploads to, answers each group with a 997, acknowledges each
//! PO with an 855 (every line `IA`, or `IR`/`IB` for configured SKUs), ships accepted lines
//! after a configurable delay with an 856 carrying a tracking number (REF*CN) and carrier
//! (TD5), honours 850 cancellations (BEG01 `01`) until it has shipped and answers each with an 855
//! of purpose 01 (`AT` cancelled, `RJ` too late), and publishes an 846 of
//! its stock on demand. It counts what it received and sent.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::Utc;
use rust_decimal::Decimal;
use switchyard_edi::docs::ItemIds;
use switchyard_edi::docs::ack855::{AckLine, AckType, LineAck, LineStatus, PoAcknowledgement};
use switchyard_edi::docs::asn856::{Package, ShipNotice, ShippedItem, ShippedOrder};
use switchyard_edi::docs::inventory846::{InventoryAdvice, InventoryItem};
use switchyard_edi::docs::po850::{PoPurpose, PurchaseOrder};
use switchyard_edi::{FunctionalAck, SetError, parse_lenient};

use crate::edi_files::{EdiSimError, Envelopes, Identities, pick_up, waiting, write_atomic};

#[derive(Debug, Clone)]
pub struct SupplierConfig {
    /// Where the merchant puts POs (the adapter's `outbox`).
    pub inbox: PathBuf,
    /// Where the supplier puts its answers (the adapter's `inbox`).
    pub outbox: PathBuf,
    pub ids: Identities,
    /// Items (by the supplier's part `VN` or the buyer's `BP`) refused with `IR`.
    pub reject: BTreeSet<String>,
    /// Items answered `IB` (backordered).
    pub backorder: BTreeSet<String>,
    /// How long after the 855 the 856 goes out.
    pub ship_after: Duration,
    pub carrier_scac: String,
    /// Stock by the supplier's part number, for the 846.
    pub stock: BTreeMap<String, i64>,
}

/// What the supplier has seen and sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SupplierCounters {
    pub po_files: u32,
    pub purchase_orders: u32,
    pub duplicate_purchase_orders: u32,
    pub cancellations: u32,
    /// 855s (purpose 01) answering cancellations.
    pub cancellation_answers_sent: u32,
    pub acks_997_sent: u32,
    pub acks_997_received: u32,
    pub acks_855_sent: u32,
    pub ship_notices_856_sent: u32,
    pub inventory_846_sent: u32,
}

#[derive(Debug, Clone)]
struct Po {
    order: PurchaseOrder,
    accepted: Vec<(ItemIds, Decimal)>,
    acknowledged_at: Instant,
    shipped: Option<String>,
    cancelled: bool,
}

#[derive(Debug, Default)]
struct State {
    pos: BTreeMap<String, Po>,
    /// Every 850 as received, cancellations included, in order.
    received: Vec<PurchaseOrder>,
    /// Group control numbers of the merchant's groups each 997 acknowledged.
    acked_groups: Vec<String>,
    counters: SupplierCounters,
    next_shipment: u32,
}

pub struct SupplierSim {
    config: SupplierConfig,
    envelopes: Envelopes,
    state: Mutex<State>,
}

impl SupplierSim {
    pub fn new(config: SupplierConfig) -> Self {
        SupplierSim {
            envelopes: Envelopes::new(config.ids.clone()),
            config,
            state: Mutex::new(State::default()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn counters(&self) -> SupplierCounters {
        self.state().counters.clone()
    }

    /// Every 850 received, in order (cancellations too).
    pub fn received(&self) -> Vec<PurchaseOrder> {
        self.state().received.clone()
    }

    /// Merchant group control numbers (GS06) the supplier answered with a 997.
    pub fn acknowledged_groups(&self) -> Vec<String> {
        self.state().acked_groups.clone()
    }

    /// Tracking number of a shipped PO.
    pub fn tracking(&self, po: &str) -> Option<String> {
        self.state().pos.get(po).and_then(|p| p.shipped.clone())
    }

    /// One pass of the supplier's batch job: read new files, answer them, ship what is due.
    pub fn step(&self) -> Result<(), EdiSimError> {
        for (path, bytes) in waiting(&self.config.inbox)? {
            self.read_file(&bytes)?;
            pick_up(&path)?;
        }
        self.ship_due()
    }

    fn read_file(&self, bytes: &[u8]) -> Result<(), EdiSimError> {
        let Ok(parsed) = parse_lenient(bytes) else {
            return Ok(()); // no envelope: nothing a supplier can answer
        };
        self.state().counters.po_files += 1;
        for interchange in &parsed.document.interchanges {
            for group in &interchange.groups {
                if group.functional_id == "FA" {
                    self.state().counters.acks_997_received += 1;
                    continue;
                }
                let mut ack = FunctionalAck::for_group(group);
                let mut answers = Vec::new();
                for tx in &group.transactions {
                    if tx.set_id != "850" {
                        ack.reject(&tx.control_number, SetError::NotSupported);
                        continue;
                    }
                    match PurchaseOrder::from_transaction(tx) {
                        Ok(po) => answers.extend(self.take(po)),
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
                {
                    let mut state = self.state();
                    state.counters.acks_997_sent += 1;
                    state
                        .acked_groups
                        .push(group.control_number.trim().to_string());
                }
                for (name, text) in answers {
                    write_atomic(&self.config.outbox, &name, &text)?;
                }
            }
        }
        Ok(())
    }

    fn status_for(&self, ids: &ItemIds) -> LineStatus {
        let names: Vec<&String> = [&ids.vendor_part, &ids.buyer_part]
            .into_iter()
            .flatten()
            .collect();
        if names.iter().any(|n| self.config.reject.contains(*n)) {
            LineStatus::Rejected
        } else if names.iter().any(|n| self.config.backorder.contains(*n)) {
            LineStatus::Backordered
        } else {
            LineStatus::Accepted
        }
    }

    /// Records a PO (or a cancellation) and returns the files it answers with.
    fn take(&self, po: PurchaseOrder) -> Vec<(String, String)> {
        let mut state = self.state();
        state.received.push(po.clone());
        if po.purpose == PoPurpose::Cancellation {
            state.counters.cancellations += 1;
            // Answered with an 855 of purpose 01: AT when the PO is cancelled (or was never
            // here), RJ when it has already shipped.
            let shipped = match state.pos.get_mut(&po.po_number) {
                Some(existing) if existing.shipped.is_some() => true,
                Some(existing) => {
                    existing.cancelled = true;
                    false
                }
                None => false,
            };
            let answer = PoAcknowledgement {
                purpose: "01".into(),
                ack_type: if shipped {
                    AckType::Rejected
                } else {
                    AckType::Accepted
                },
                po_number: po.po_number.clone(),
                po_date: po.date,
                seller_order_number: Some(format!("SO-{}", po.po_number)),
                ack_date: Some(Utc::now().date_naive()),
                lines: Vec::new(),
            };
            let mut out = Vec::new();
            if let Ok(tx) = answer.to_transaction(1)
                && let Ok(text) = self.envelopes.render(tx)
            {
                out.push((format!("855_{}_cancel.edi", po.po_number), text));
                state.counters.cancellation_answers_sent += 1;
            }
            return out;
        }
        if state.pos.contains_key(&po.po_number) {
            state.counters.duplicate_purchase_orders += 1;
            return Vec::new();
        }
        state.counters.purchase_orders += 1;
        let today = Utc::now().date_naive();
        let mut lines = Vec::new();
        let mut accepted = Vec::new();
        for line in &po.lines {
            let status = self.status_for(&line.ids);
            if status == LineStatus::Accepted {
                accepted.push((line.ids.clone(), line.quantity));
            }
            lines.push(AckLine {
                line: line.clone(),
                acks: vec![LineAck {
                    status,
                    quantity: Some(line.quantity),
                    unit: Some(line.unit.clone()),
                    date: None,
                }],
            });
        }
        let ack = PoAcknowledgement {
            purpose: "00".into(),
            ack_type: if accepted.len() == po.lines.len() {
                AckType::AcceptedWithDetail
            } else {
                AckType::AcceptedWithChanges
            },
            po_number: po.po_number.clone(),
            po_date: po.date,
            seller_order_number: Some(format!("SO-{}", po.po_number)),
            ack_date: Some(today),
            lines,
        };
        let mut out = Vec::new();
        if let Ok(tx) = ack.to_transaction(1)
            && let Ok(text) = self.envelopes.render(tx)
        {
            out.push((format!("855_{}.edi", po.po_number), text));
            state.counters.acks_855_sent += 1;
        }
        state.pos.insert(
            po.po_number.clone(),
            Po {
                order: po,
                accepted,
                acknowledged_at: Instant::now(),
                shipped: None,
                cancelled: false,
            },
        );
        out
    }

    fn ship_due(&self) -> Result<(), EdiSimError> {
        let mut files = Vec::new();
        {
            let mut state = self.state();
            let due: Vec<String> = state
                .pos
                .iter()
                .filter(|(_, p)| {
                    p.shipped.is_none()
                        && !p.cancelled
                        && !p.accepted.is_empty()
                        && p.acknowledged_at.elapsed() >= self.config.ship_after
                })
                .map(|(k, _)| k.clone())
                .collect();
            for po_number in due {
                state.next_shipment += 1;
                let n = state.next_shipment;
                let tracking = format!("1ZSUP{n:010}");
                let Some(po) = state.pos.get_mut(&po_number) else {
                    continue;
                };
                let today = Utc::now().date_naive();
                let items: Vec<ShippedItem> = po
                    .accepted
                    .iter()
                    .enumerate()
                    .map(|(i, (ids, qty))| ShippedItem {
                        line_number: Some((i + 1).to_string()),
                        ids: ids.clone(),
                        quantity: *qty,
                        unit: "EA".into(),
                        description: None,
                    })
                    .collect();
                let notice = ShipNotice {
                    purpose: "00".into(),
                    shipment_id: format!("SHP{n:06}"),
                    date: today,
                    time: None,
                    shipped_on: Some(today),
                    carrier_scac: Some(self.config.carrier_scac.clone()),
                    carrier_routing: None,
                    bill_of_lading: None,
                    tracking_number: Some(tracking.clone()),
                    ship_from: None,
                    ship_to: po.order.ship_to.clone(),
                    orders: vec![ShippedOrder {
                        po_number: po_number.clone(),
                        ship_to: None,
                        packages: vec![Package {
                            sscc: None,
                            tracking_number: Some(tracking.clone()),
                            items,
                        }],
                        items: Vec::new(),
                    }],
                };
                let tx = notice.to_transaction(1).map_err(|e| EdiSimError::Render {
                    what: "856".into(),
                    reason: e.to_string(),
                })?;
                files.push((format!("856_{po_number}.edi"), self.envelopes.render(tx)?));
                po.shipped = Some(tracking);
                state.counters.ship_notices_856_sent += 1;
            }
        }
        for (name, text) in files {
            write_atomic(&self.config.outbox, &name, &text)?;
        }
        Ok(())
    }

    /// Writes an 846 with every configured stock level (by the supplier's part number).
    pub fn publish_inventory(&self, reference: &str) -> Result<(), EdiSimError> {
        let advice = InventoryAdvice {
            purpose: "00".into(),
            report_type: "MM".into(),
            reference: reference.to_string(),
            date: Utc::now().date_naive(),
            items: self
                .config
                .stock
                .iter()
                .enumerate()
                .map(|(i, (part, units))| InventoryItem {
                    line_number: Some((i + 1).to_string()),
                    ids: ItemIds {
                        vendor_part: Some(part.clone()),
                        ..ItemIds::default()
                    },
                    description: None,
                    available: Decimal::from(*units),
                    unit: Some("EA".into()),
                })
                .collect(),
        };
        let tx = advice.to_transaction(1).map_err(|e| EdiSimError::Render {
            what: "846".into(),
            reason: e.to_string(),
        })?;
        let text = self.envelopes.render(tx)?;
        write_atomic(&self.config.outbox, &format!("846_{reference}.edi"), &text)?;
        self.state().counters.inventory_846_sent += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_edi::docs::po850::PoLine;
    use switchyard_edi::parse;

    fn ids() -> Identities {
        Identities {
            partner_qualifier: "ZZ".into(),
            partner_id: "SUP".into(),
            merchant_qualifier: "ZZ".into(),
            merchant_id: "SHOP".into(),
        }
    }

    fn po(purpose: PoPurpose) -> PurchaseOrder {
        PurchaseOrder {
            purpose,
            order_type: "DS".into(),
            po_number: "PO-1".into(),
            date: Utc::now().date_naive(),
            currency: None,
            references: Vec::new(),
            dates: Vec::new(),
            carrier_scac: None,
            carrier_routing: None,
            ship_to: None,
            lines: ["A", "B"]
                .into_iter()
                .map(|part| PoLine {
                    line_number: None,
                    quantity: Decimal::from(2),
                    unit: "EA".into(),
                    unit_price: None,
                    ids: ItemIds {
                        vendor_part: Some(part.into()),
                        ..ItemIds::default()
                    },
                    description: None,
                })
                .collect(),
        }
    }

    #[test]
    fn a_po_is_acknowledged_then_shipped_later_and_a_late_cancel_changes_nothing() {
        let base = std::env::temp_dir().join(format!("supplier-sim-{}", std::process::id()));
        let (inbox, outbox) = (base.join("in"), base.join("out"));
        std::fs::create_dir_all(&inbox).unwrap();
        let merchant = Envelopes::new(Identities {
            partner_qualifier: "ZZ".into(),
            partner_id: "SHOP".into(),
            merchant_qualifier: "ZZ".into(),
            merchant_id: "SUP".into(),
        });
        let sim = SupplierSim::new(SupplierConfig {
            inbox: inbox.clone(),
            outbox: outbox.clone(),
            ids: ids(),
            reject: BTreeSet::from(["B".to_string()]),
            backorder: BTreeSet::new(),
            ship_after: Duration::from_millis(200),
            carrier_scac: "UPSN".into(),
            stock: BTreeMap::new(),
        });
        let text = merchant
            .render(po(PoPurpose::Original).to_transaction(1).unwrap())
            .unwrap();
        write_atomic(&inbox, "850_1.edi", &text).unwrap();
        sim.step().unwrap();
        let names = |dir: &std::path::Path| -> Vec<String> {
            let mut n: Vec<String> = std::fs::read_dir(dir)
                .unwrap()
                .filter_map(|e| e.ok())
                .filter(|e| e.path().is_file())
                .map(|e| e.file_name().to_string_lossy().to_string())
                .collect();
            n.sort();
            n
        };
        assert_eq!(names(&outbox), vec!["855_PO-1.edi", "997_1.edi"]);
        let ack = parse(&std::fs::read(outbox.join("855_PO-1.edi")).unwrap()).unwrap();
        let tx = &ack.interchanges[0].groups[0].transactions[0];
        let ack = PoAcknowledgement::from_transaction(tx).unwrap();
        let statuses: Vec<LineStatus> =
            ack.lines.iter().map(|l| l.acks[0].status.clone()).collect();
        assert_eq!(statuses, vec![LineStatus::Accepted, LineStatus::Rejected]);
        assert_eq!(
            sim.counters().ship_notices_856_sent,
            0,
            "not before the delay"
        );
        std::thread::sleep(Duration::from_millis(250));
        sim.step().unwrap();
        assert!(sim.tracking("PO-1").is_some());
        let cancel = merchant
            .render(po(PoPurpose::Cancellation).to_transaction(1).unwrap())
            .unwrap();
        write_atomic(&inbox, "850_1_cancel.edi", &cancel).unwrap();
        sim.step().unwrap();
        let counters = sim.counters();
        assert_eq!(
            (
                counters.purchase_orders,
                counters.cancellations,
                counters.ship_notices_856_sent
            ),
            (1, 1, 1)
        );
        assert_eq!(names(&inbox.join("processed")).len(), 2);
        let _ = std::fs::remove_dir_all(&base);
    }
}
