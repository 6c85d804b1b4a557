//! 945 warehouse shipping advice: what a 3PL sends back when an order ships.
//!
//! Tracking convention: Switchyard writes one `N9*CN` per tracking number in the heading (N9 is
//! the 945's reference segment); when reading it takes both `N9*CN` and `REF*CN`, at any level,
//! since 3PLs use either. W27 carries the carrier (W2702 SCAC), W12 the shipped lines (with or
//! without a leading LX), W03 the total units shipped.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::common::{ItemIds, Party, read_party, write_party};
use super::fields::{ReadError, body, date, decimal, find, opt, req, seg};
use crate::RenderError;
use crate::model::{Segment, Transaction};
use crate::render::OutboundTransaction;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingAdvice {
    /// W0601 (`F` full detail).
    pub reporting_code: String,
    /// W0602: the W0502 of the 940 this answers.
    pub depositor_order_number: String,
    /// W0603: the day it shipped.
    pub shipped_on: Option<NaiveDate>,
    /// W0604.
    pub shipment_id: Option<String>,
    /// W0606.
    pub po_number: Option<String>,
    pub ship_to: Option<Party>,
    pub tracking_numbers: Vec<String>,
    pub carrier: Option<ShipCarrier>,
    pub lines: Vec<ShippedLine>,
}

/// W27.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipCarrier {
    /// W2701 (`M` motor, `U` parcel, …).
    pub transport: String,
    /// W2702.
    pub scac: Option<String>,
    /// W2703.
    pub routing: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippedLine {
    /// LX01 before the W12, when sent.
    pub line_number: Option<String>,
    /// W1201 (`CC` complete, `CP` partial, `SS` split, …).
    pub status: String,
    /// W1202.
    pub quantity_ordered: Option<Decimal>,
    /// W1203.
    pub quantity_shipped: Decimal,
    /// W1205.
    pub unit: String,
    /// W1206 holds the U.P.C., W1207/W1208 one more qualified id.
    pub ids: ItemIds,
}

impl ShippingAdvice {
    pub fn from_transaction(tx: &Transaction) -> Result<ShippingAdvice, ReadError> {
        let segs = body(tx, "945")?;
        let w06 = find(&segs, "945", "W06")?;
        let mut advice = ShippingAdvice {
            reporting_code: w06.req_string(1)?,
            depositor_order_number: w06.req_string(2)?,
            shipped_on: w06.opt_date(3)?,
            shipment_id: w06.opt_string(4),
            po_number: w06.opt_string(6),
            ship_to: None,
            tracking_numbers: Vec::new(),
            carrier: None,
            lines: Vec::new(),
        };
        let mut pending_lx: Option<String> = None;
        let mut i = 0;
        while i < segs.len() {
            let s = segs[i];
            match s.id() {
                "N1" => {
                    let (role, party, next) = read_party(&segs, i)?;
                    if role == "ST" && advice.ship_to.is_none() {
                        advice.ship_to = Some(party);
                    }
                    i = next;
                    continue;
                }
                "N9" | "REF" if s.opt(1) == Some("CN") => {
                    let number = s.req_string(2)?;
                    if !advice.tracking_numbers.contains(&number) {
                        advice.tracking_numbers.push(number);
                    }
                }
                "W27" => {
                    advice.carrier = Some(ShipCarrier {
                        transport: s.req_string(1)?,
                        scac: s.opt_string(2),
                        routing: s.opt_string(3),
                    })
                }
                "LX" => pending_lx = s.opt_string(1),
                "W12" => {
                    let upc = s.opt(6).map(|u| ("UP", u));
                    let pair = s.opt(7).zip(s.opt(8));
                    advice.lines.push(ShippedLine {
                        line_number: pending_lx.take(),
                        status: s.req_string(1)?,
                        quantity_ordered: s.opt_decimal(2)?,
                        quantity_shipped: s.req_decimal(3)?,
                        unit: s.req_string(5)?,
                        ids: ItemIds::from_pairs(upc.into_iter().chain(pair)),
                    });
                }
                _ => {}
            }
            i += 1;
        }
        Ok(advice)
    }

    pub fn to_segments(&self) -> Result<Vec<Segment>, RenderError> {
        let mut out = vec![seg(
            "W06",
            [
                req("W0601", &self.reporting_code)?,
                req("W0602", &self.depositor_order_number)?,
                self.shipped_on.as_ref().map(date).unwrap_or_default(),
                opt(&self.shipment_id),
                String::new(),
                opt(&self.po_number),
            ],
        )];
        if let Some(p) = &self.ship_to {
            out.extend(write_party("ST", p)?);
        }
        for t in &self.tracking_numbers {
            out.push(seg("N9", ["CN".to_string(), req("N902", t)?]));
        }
        if let Some(c) = &self.carrier {
            out.push(seg(
                "W27",
                [req("W2701", &c.transport)?, opt(&c.scac), opt(&c.routing)],
            ));
        }
        let mut total = Decimal::ZERO;
        for (n, line) in self.lines.iter().enumerate() {
            total += line.quantity_shipped;
            let lx = line
                .line_number
                .as_ref()
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty())
                .unwrap_or_else(|| (n + 1).to_string());
            out.push(seg("LX", [lx]));
            let mut upc = String::new();
            let mut qualified = Vec::new();
            for (q, v) in line.ids.pairs() {
                if q == "UP" && upc.is_empty() {
                    upc = v;
                } else {
                    qualified.push((q, v));
                }
            }
            if qualified.len() > 1 {
                return Err(RenderError::invalid(
                    format!("line {}: W12", n + 1),
                    "at most one qualified product id besides the U.P.C.",
                ));
            }
            if upc.is_empty() && qualified.is_empty() {
                return Err(RenderError::missing(format!(
                    "line {}: W1206 or W1207/W1208 (an item identifier)",
                    n + 1
                )));
            }
            let (q, v) = qualified.pop().unwrap_or_default();
            let difference = line
                .quantity_ordered
                .map(|o| decimal(&(o - line.quantity_shipped)))
                .unwrap_or_default();
            out.push(seg(
                "W12",
                [
                    req("W1201", &line.status)?,
                    line.quantity_ordered
                        .as_ref()
                        .map(decimal)
                        .unwrap_or_default(),
                    decimal(&line.quantity_shipped),
                    difference,
                    req("W1205", &line.unit)?,
                    upc,
                    q,
                    v,
                ],
            ));
        }
        out.push(seg("W03", [decimal(&total)]));
        Ok(out)
    }

    pub fn to_transaction(&self, control_number: u32) -> Result<OutboundTransaction, RenderError> {
        Ok(OutboundTransaction {
            set_id: "945".into(),
            control_number,
            body: self.to_segments()?,
        })
    }
}
