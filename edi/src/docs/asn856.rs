//! 856 ship notice: read from suppliers, built by the supplier simulator.
//!
//! The HL tree is followed by parent ids (HL02), not by order: Shipment (S) → Order (O, PRF
//! PO number) → Pack (P, MAN*GM SSCC, REF*CN tracking) → Item (I, LIN/SN1/PID). Items may hang
//! directly under an order when there are no packs; tare (T) levels are passed through. REF*CN
//! is read at shipment and pack level; one at order or item level counts for the shipment when
//! it has none.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::common::{ItemIds, Party, pid, read_party, write_party};
use super::fields::{ReadError, Seg, body, date, decimal, find, opt, req, seg};
use crate::RenderError;
use crate::model::{Segment, Transaction};
use crate::render::OutboundTransaction;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipNotice {
    /// BSN01 (`00` original).
    pub purpose: String,
    /// BSN02.
    pub shipment_id: String,
    /// BSN03.
    pub date: NaiveDate,
    /// BSN04 (HHMM).
    pub time: Option<String>,
    /// DTM*011.
    pub shipped_on: Option<NaiveDate>,
    /// TD503 with TD502 `2`.
    pub carrier_scac: Option<String>,
    /// TD505.
    pub carrier_routing: Option<String>,
    /// REF*BM.
    pub bill_of_lading: Option<String>,
    /// REF*CN at shipment level.
    pub tracking_number: Option<String>,
    pub ship_from: Option<Party>,
    pub ship_to: Option<Party>,
    pub orders: Vec<ShippedOrder>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippedOrder {
    /// PRF01.
    pub po_number: String,
    /// N1*ST at order level.
    pub ship_to: Option<Party>,
    pub packages: Vec<Package>,
    /// Items directly under the order (no pack level).
    pub items: Vec<ShippedItem>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// MAN*GM.
    pub sscc: Option<String>,
    /// REF*CN.
    pub tracking_number: Option<String>,
    pub items: Vec<ShippedItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippedItem {
    /// LIN01.
    pub line_number: Option<String>,
    /// LIN02 onwards.
    pub ids: ItemIds,
    /// SN102/SN103.
    pub quantity: Decimal,
    pub unit: String,
    pub description: Option<String>,
}

#[derive(Clone, Copy)]
enum Node {
    Shipment,
    Order(usize),
    Package(usize, usize),
    OrderItem(usize),
    PackageItem(usize, usize),
    Other,
}

type Levels<'a> = HashMap<&'a str, (Node, Option<&'a str>)>;

/// Nearest order (or, when `packages`, pack) at or above `at`.
fn container<'a>(levels: &Levels<'a>, mut at: Option<&'a str>, packages: bool) -> Option<Node> {
    for _ in 0..=levels.len() {
        let (node, up) = levels.get(at?)?;
        match node {
            Node::Package(o, p) if packages => return Some(Node::Package(*o, *p)),
            Node::Order(o) => return Some(Node::Order(*o)),
            _ => at = *up,
        }
    }
    None
}

impl ShipNotice {
    /// Every tracking number in the notice: the shipment's, then each package's.
    pub fn tracking_numbers(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.tracking_number.iter().map(String::as_str).collect();
        for o in &self.orders {
            for p in &o.packages {
                if let Some(t) = &p.tracking_number
                    && !out.contains(&t.as_str())
                {
                    out.push(t);
                }
            }
        }
        out
    }

    pub fn from_transaction(tx: &Transaction) -> Result<ShipNotice, ReadError> {
        let segs = body(tx, "856")?;
        let bsn = find(&segs, "856", "BSN")?;
        let mut notice = ShipNotice {
            purpose: bsn.req_string(1)?,
            shipment_id: bsn.req_string(2)?,
            date: bsn.req_date(3)?,
            time: bsn.opt_string(4),
            shipped_on: None,
            carrier_scac: None,
            carrier_routing: None,
            bill_of_lading: None,
            tracking_number: None,
            ship_from: None,
            ship_to: None,
            orders: Vec::new(),
        };
        let mut levels: Levels<'_> = HashMap::new();
        let mut order_positions = Vec::new();
        let mut current = Node::Other;
        let mut stray_tracking: Option<String> = None;
        let mut i = 0;
        while i < segs.len() {
            let s = segs[i];
            match s.id() {
                "HL" => {
                    current = notice.open_level(&s, &mut levels)?;
                    if let Node::Order(_) = current {
                        order_positions.push(s.position);
                    }
                }
                "N1" => {
                    let (role, party, next) = read_party(&segs, i)?;
                    match (current, role.as_str()) {
                        (Node::Shipment, "ST") => notice.ship_to = Some(party),
                        (Node::Shipment, "SF") => notice.ship_from = Some(party),
                        // A supplier shipping its own goods often names itself SU only.
                        (Node::Shipment, "SU") if notice.ship_from.is_none() => {
                            notice.ship_from = Some(party)
                        }
                        (Node::Order(o), "ST") => notice.orders[o].ship_to = Some(party),
                        _ => {}
                    }
                    i = next;
                    continue;
                }
                "TD5" if matches!(current, Node::Shipment) => {
                    notice.carrier_scac = s.opt_string(3).filter(|_| s.opt(2) == Some("2"));
                    notice.carrier_routing = s.opt_string(5);
                }
                "DTM" if matches!(current, Node::Shipment) && s.opt(1) == Some("011") => {
                    notice.shipped_on = s.opt_date(2)?;
                }
                "REF" => match (s.opt(1), current) {
                    (Some("BM"), _) => notice.bill_of_lading = s.opt_string(2),
                    (Some("CN"), Node::Shipment) => notice.tracking_number = s.opt_string(2),
                    (Some("CN"), Node::Package(o, p)) => {
                        notice.orders[o].packages[p].tracking_number = s.opt_string(2)
                    }
                    (Some("CN"), _) => stray_tracking = stray_tracking.or(s.opt_string(2)),
                    _ => {}
                },
                "PRF" => {
                    if let Node::Order(o) = current {
                        notice.orders[o].po_number = s.req_string(1)?;
                    }
                }
                "MAN" if s.opt(1) == Some("GM") => {
                    if let Node::Package(o, p) = current {
                        notice.orders[o].packages[p].sscc = s.opt_string(2);
                    }
                }
                "LIN" => {
                    if let Some(item) = notice.item_mut(current) {
                        item.line_number = s.opt_string(1);
                        item.ids = ItemIds::from_pairs(s.id_pairs(2));
                    }
                }
                "SN1" => {
                    if let Some(item) = notice.item_mut(current) {
                        item.quantity = s.req_decimal(2)?;
                        item.unit = s.req_string(3)?;
                    }
                }
                "PID" => {
                    if let Some(item) = notice.item_mut(current)
                        && item.description.is_none()
                    {
                        item.description = s.opt_string(5);
                    }
                }
                _ => {}
            }
            i += 1;
        }
        if notice.tracking_number.is_none() {
            notice.tracking_number = stray_tracking;
        }
        for (order, position) in notice.orders.iter().zip(order_positions) {
            if order.po_number.is_empty() {
                return Err(ReadError::Structure {
                    position,
                    segment: "HL".into(),
                    problem: "order level (O) has no PRF (PO number)".into(),
                });
            }
            let items = order
                .items
                .iter()
                .chain(order.packages.iter().flat_map(|p| p.items.iter()));
            for item in items {
                if item.unit.is_empty() {
                    return Err(ReadError::Structure {
                        position,
                        segment: "HL".into(),
                        problem: format!(
                            "an item of PO {} has no SN1 (quantity shipped)",
                            order.po_number
                        ),
                    });
                }
            }
        }
        Ok(notice)
    }

    fn open_level<'a>(&mut self, hl: &Seg<'a>, levels: &mut Levels<'a>) -> Result<Node, ReadError> {
        let id = hl.req(1)?;
        let parent = hl.opt(2);
        let level = hl.req(3)?;
        let structure = |problem: String| ReadError::Structure {
            position: hl.position,
            segment: "HL".into(),
            problem,
        };
        if let Some(p) = parent
            && !levels.contains_key(p)
        {
            return Err(structure(format!("HL02 {p:?} names no earlier HL")));
        }
        let node = match level {
            "S" => Node::Shipment,
            "O" => {
                self.orders.push(ShippedOrder {
                    po_number: String::new(),
                    ship_to: None,
                    packages: Vec::new(),
                    items: Vec::new(),
                });
                Node::Order(self.orders.len() - 1)
            }
            "P" => match container(levels, parent, false) {
                Some(Node::Order(o)) => {
                    self.orders[o].packages.push(Package::default());
                    Node::Package(o, self.orders[o].packages.len() - 1)
                }
                _ => {
                    return Err(structure(
                        "pack level (P) outside any order level (O)".into(),
                    ));
                }
            },
            "I" => {
                let item = ShippedItem {
                    line_number: None,
                    ids: ItemIds::default(),
                    quantity: Decimal::ZERO,
                    unit: String::new(),
                    description: None,
                };
                match container(levels, parent, true) {
                    Some(Node::Package(o, p)) => {
                        self.orders[o].packages[p].items.push(item);
                        Node::PackageItem(o, p)
                    }
                    Some(Node::Order(o)) => {
                        self.orders[o].items.push(item);
                        Node::OrderItem(o)
                    }
                    _ => {
                        return Err(structure(
                            "item level (I) outside any order level (O)".into(),
                        ));
                    }
                }
            }
            _ => Node::Other,
        };
        levels.insert(id, (node, parent));
        Ok(node)
    }

    fn item_mut(&mut self, at: Node) -> Option<&mut ShippedItem> {
        match at {
            Node::OrderItem(o) => self.orders[o].items.last_mut(),
            Node::PackageItem(o, p) => self.orders[o].packages[p].items.last_mut(),
            _ => None,
        }
    }

    /// HL tree in the order S, then per order O, its packs P with their items I, then the
    /// order's loose items. CTT01 counts the HL segments.
    pub fn to_segments(&self) -> Result<Vec<Segment>, RenderError> {
        let mut out = vec![seg(
            "BSN",
            [
                req("BSN01", &self.purpose)?,
                req("BSN02", &self.shipment_id)?,
                date(&self.date),
                opt(&self.time),
            ],
        )];
        let mut hl = Hl::default();
        hl.open(&mut out, None, "S", !self.orders.is_empty());
        if self.carrier_scac.is_some() || self.carrier_routing.is_some() {
            let scac = opt(&self.carrier_scac);
            let qualifier = if scac.is_empty() { "" } else { "2" };
            out.push(seg(
                "TD5",
                [
                    String::new(),
                    qualifier.to_string(),
                    scac,
                    String::new(),
                    opt(&self.carrier_routing),
                ],
            ));
        }
        if let Some(bm) = self
            .bill_of_lading
            .as_ref()
            .filter(|v| !v.trim().is_empty())
        {
            out.push(seg("REF", ["BM".to_string(), bm.trim().to_string()]));
        }
        if let Some(cn) = self
            .tracking_number
            .as_ref()
            .filter(|v| !v.trim().is_empty())
        {
            out.push(seg("REF", ["CN".to_string(), cn.trim().to_string()]));
        }
        if let Some(d) = &self.shipped_on {
            out.push(seg("DTM", ["011".to_string(), date(d)]));
        }
        if let Some(p) = &self.ship_from {
            out.extend(write_party("SF", p)?);
        }
        if let Some(p) = &self.ship_to {
            out.extend(write_party("ST", p)?);
        }
        let shipment = hl.last;
        for order in &self.orders {
            let has_children = !order.packages.is_empty() || !order.items.is_empty();
            hl.open(&mut out, Some(shipment), "O", has_children);
            let order_id = hl.last;
            out.push(seg("PRF", [req("PRF01", &order.po_number)?]));
            if let Some(p) = &order.ship_to {
                out.extend(write_party("ST", p)?);
            }
            for package in &order.packages {
                hl.open(&mut out, Some(order_id), "P", !package.items.is_empty());
                let package_id = hl.last;
                if let Some(sscc) = package.sscc.as_ref().filter(|v| !v.trim().is_empty()) {
                    out.push(seg("MAN", ["GM".to_string(), sscc.trim().to_string()]));
                }
                if let Some(cn) = package
                    .tracking_number
                    .as_ref()
                    .filter(|v| !v.trim().is_empty())
                {
                    out.push(seg("REF", ["CN".to_string(), cn.trim().to_string()]));
                }
                for item in &package.items {
                    hl.open(&mut out, Some(package_id), "I", false);
                    write_item(&mut out, item)?;
                }
            }
            for item in &order.items {
                hl.open(&mut out, Some(order_id), "I", false);
                write_item(&mut out, item)?;
            }
        }
        out.push(seg("CTT", [hl.last.to_string()]));
        Ok(out)
    }

    pub fn to_transaction(&self, control_number: u32) -> Result<OutboundTransaction, RenderError> {
        Ok(OutboundTransaction {
            set_id: "856".into(),
            control_number,
            body: self.to_segments()?,
        })
    }
}

/// Numbers HL segments as they are written.
#[derive(Default)]
struct Hl {
    last: usize,
}

impl Hl {
    fn open(
        &mut self,
        out: &mut Vec<Segment>,
        parent: Option<usize>,
        level: &str,
        has_children: bool,
    ) {
        self.last += 1;
        out.push(seg(
            "HL",
            [
                self.last.to_string(),
                parent.map(|p| p.to_string()).unwrap_or_default(),
                level.to_string(),
                if has_children { "1" } else { "0" }.to_string(),
            ],
        ));
    }
}

fn write_item(out: &mut Vec<Segment>, item: &ShippedItem) -> Result<(), RenderError> {
    let mut lin = vec![opt(&item.line_number)];
    lin.extend(item.ids.flat());
    if lin.len() < 3 {
        return Err(RenderError::missing("LIN02/LIN03: an item identifier"));
    }
    out.push(Segment::new("LIN", lin));
    out.push(seg(
        "SN1",
        [
            String::new(),
            decimal(&item.quantity),
            req("SN103", &item.unit)?,
        ],
    ));
    if let Some(d) = item.description.as_ref().filter(|d| !d.trim().is_empty()) {
        out.push(pid(d));
    }
    Ok(())
}
