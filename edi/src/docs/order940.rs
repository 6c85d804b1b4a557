//! 940 warehouse shipping order: what Switchyard sends a 3PL (read back by the 3PL simulator).
//!
//! W05, N1*ST loop, N9 references, G62*10 requested ship date, W66 carrier, then per line LX,
//! W01 (quantity, unit, U.P.C. in W0103, up to three qualified ids in W0104/05, W0106/07 and
//! W0115/16), G69 description; W76 carries the total quantity.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::common::{ItemIds, Party, Reference, read_party, write_party};
use super::fields::{ReadError, body, date, decimal, find, opt, req, seg};
use crate::RenderError;
use crate::model::{Segment, Transaction};
use crate::render::OutboundTransaction;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingOrder {
    /// W0501 (`N` original, `F` cancel, `R` change).
    pub status: String,
    /// W0502: Switchyard's order reference.
    pub depositor_order_number: String,
    /// W0503.
    pub po_number: Option<String>,
    pub ship_to: Option<Party>,
    /// N901/N902.
    pub references: Vec<Reference>,
    /// G62*10.
    pub requested_ship_date: Option<NaiveDate>,
    pub carrier: Option<WarehouseCarrier>,
    pub lines: Vec<ShippingOrderLine>,
}

/// W66.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarehouseCarrier {
    /// W6601 (`PP` prepaid, `CC` collect, `TP` third party).
    pub payment: String,
    /// W6602 (`M` motor, `U` parcel, `A` air, …).
    pub transport: String,
    /// W6605.
    pub routing: Option<String>,
    /// W6610.
    pub scac: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingOrderLine {
    /// LX01.
    pub line_number: String,
    /// W0101/W0102.
    pub quantity: Decimal,
    pub unit: String,
    /// W0103 holds the U.P.C.; the rest go into the qualified pairs (at most three).
    pub ids: ItemIds,
    /// G6901.
    pub description: Option<String>,
}

const W01_PAIRS: [usize; 3] = [4, 6, 15];

impl ShippingOrder {
    pub fn from_transaction(tx: &Transaction) -> Result<ShippingOrder, ReadError> {
        let segs = body(tx, "940")?;
        let w05 = find(&segs, "940", "W05")?;
        let mut order = ShippingOrder {
            status: w05.req_string(1)?,
            depositor_order_number: w05.req_string(2)?,
            po_number: w05.opt_string(3),
            ship_to: None,
            references: Vec::new(),
            requested_ship_date: None,
            carrier: None,
            lines: Vec::new(),
        };
        let mut i = 0;
        while i < segs.len() {
            let s = segs[i];
            let in_header = order.lines.is_empty();
            match s.id() {
                "N1" if in_header => {
                    let (role, party, next) = read_party(&segs, i)?;
                    if role == "ST" && order.ship_to.is_none() {
                        order.ship_to = Some(party);
                    }
                    i = next;
                    continue;
                }
                "N9" if in_header => order.references.push(Reference {
                    qualifier: s.req_string(1)?,
                    value: s.req_string(2)?,
                }),
                "G62" if in_header && s.opt(1) == Some("10") => {
                    order.requested_ship_date = s.opt_date(2)?;
                }
                "W66" => {
                    order.carrier = Some(WarehouseCarrier {
                        payment: s.req_string(1)?,
                        transport: s.req_string(2)?,
                        routing: s.opt_string(5),
                        scac: s.opt_string(10),
                    })
                }
                "LX" => order.lines.push(ShippingOrderLine {
                    line_number: s.req_string(1)?,
                    quantity: Decimal::ZERO,
                    unit: String::new(),
                    ids: ItemIds::default(),
                    description: None,
                }),
                "W01" => {
                    let Some(line) = order.lines.last_mut() else {
                        return Err(ReadError::Structure {
                            position: s.position,
                            segment: "W01".into(),
                            problem: "W01 before any LX".into(),
                        });
                    };
                    line.quantity = s.req_decimal(1)?;
                    line.unit = s.req_string(2)?;
                    let pairs = W01_PAIRS
                        .iter()
                        .filter_map(|&k| Some((s.opt(k)?, s.opt(k + 1)?)));
                    let upc = s.opt(3).map(|u| ("UP", u));
                    line.ids = ItemIds::from_pairs(upc.into_iter().chain(pairs));
                }
                "G69" => {
                    if let Some(line) = order.lines.last_mut()
                        && line.description.is_none()
                    {
                        line.description = s.opt_string(1);
                    }
                }
                _ => {}
            }
            i += 1;
        }
        for (line, s) in order
            .lines
            .iter()
            .zip(segs.iter().filter(|s| s.id() == "LX"))
        {
            if line.unit.is_empty() {
                return Err(ReadError::Structure {
                    position: s.position,
                    segment: "LX".into(),
                    problem: format!("line {} has no W01", line.line_number),
                });
            }
        }
        Ok(order)
    }

    pub fn to_segments(&self) -> Result<Vec<Segment>, RenderError> {
        if self.lines.is_empty() {
            return Err(RenderError::missing("LX/W01: at least one line"));
        }
        let mut out = vec![seg(
            "W05",
            [
                req("W0501", &self.status)?,
                req("W0502", &self.depositor_order_number)?,
                opt(&self.po_number),
            ],
        )];
        if let Some(p) = &self.ship_to {
            out.extend(write_party("ST", p)?);
        }
        for r in &self.references {
            out.push(seg(
                "N9",
                [req("N901", &r.qualifier)?, req("N902", &r.value)?],
            ));
        }
        if let Some(d) = &self.requested_ship_date {
            out.push(seg("G62", ["10".to_string(), date(d)]));
        }
        if let Some(c) = &self.carrier {
            out.push(seg(
                "W66",
                [
                    req("W6601", &c.payment)?,
                    req("W6602", &c.transport)?,
                    String::new(),
                    String::new(),
                    opt(&c.routing),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    opt(&c.scac),
                ],
            ));
        }
        let mut total = Decimal::ZERO;
        for line in &self.lines {
            total += line.quantity;
            out.push(seg("LX", [req("LX01", &line.line_number)?]));
            let mut w01 = vec![String::new(); 16];
            w01[0] = decimal(&line.quantity);
            w01[1] = req("W0102", &line.unit)?;
            let mut qualified = Vec::new();
            for (q, v) in line.ids.pairs() {
                if q == "UP" && w01[2].is_empty() {
                    w01[2] = v;
                } else {
                    qualified.push((q, v));
                }
            }
            if qualified.len() > W01_PAIRS.len() {
                return Err(RenderError::invalid(
                    format!("line {}: W01", line.line_number),
                    "at most three qualified product ids besides the U.P.C.",
                ));
            }
            if w01[2].is_empty() && qualified.is_empty() {
                return Err(RenderError::missing(format!(
                    "line {}: W0103 or W0104/W0105 (an item identifier)",
                    line.line_number
                )));
            }
            for ((q, v), &k) in qualified.into_iter().zip(W01_PAIRS.iter()) {
                w01[k - 1] = q;
                w01[k] = v;
            }
            out.push(Segment::new("W01", w01));
            if let Some(d) = line.description.as_ref().filter(|d| !d.trim().is_empty()) {
                out.push(seg("G69", [d.trim().to_string()]));
            }
        }
        out.push(seg("W76", [decimal(&total)]));
        Ok(out)
    }

    pub fn to_transaction(&self, control_number: u32) -> Result<OutboundTransaction, RenderError> {
        Ok(OutboundTransaction {
            set_id: "940".into(),
            control_number,
            body: self.to_segments()?,
        })
    }
}
