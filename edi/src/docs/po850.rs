//! 850 purchase order: built for dropship suppliers, read by the supplier simulator.
//!
//! Written: BEG, CUR, REF, DTM, TD5, N1*ST loop, then PO1 + PID per line, CTT (line count and
//! quantity hash total). Read: the same; REF/DTM/TD5/N1 count as header only before the first
//! PO1, other segments are ignored, and CTT01 must match the number of PO1 segments.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::common::{
    DateReference, ItemIds, Party, Reference, code_enum, pid, read_party, write_party,
};
use super::fields::{ReadError, Seg, body, check_ctt, date, decimal, find, opt, req, seg};
use crate::RenderError;
use crate::model::{Segment, Transaction};
use crate::render::OutboundTransaction;

code_enum! {
    /// BEG01.
    PoPurpose {
        Original = "00",
        /// Cancels a PO sent before (same PO number).
        Cancellation = "01",
        Change = "04",
        Confirmation = "06",
    }
}

/// An 850 as Switchyard sends and reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseOrder {
    pub purpose: PoPurpose,
    /// BEG02: `SA` stand-alone, `DS` drop ship, …
    pub order_type: String,
    /// BEG03.
    pub po_number: String,
    /// BEG05.
    pub date: NaiveDate,
    /// CUR02 (CUR01 `BY`).
    pub currency: Option<String>,
    pub references: Vec<Reference>,
    pub dates: Vec<DateReference>,
    /// TD503 (SCAC) and TD505 (routing / service).
    pub carrier_scac: Option<String>,
    pub carrier_routing: Option<String>,
    /// The N1*ST loop.
    pub ship_to: Option<Party>,
    pub lines: Vec<PoLine>,
}

/// A PO1 line (also used by the 855, which echoes PO1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoLine {
    /// PO101.
    pub line_number: Option<String>,
    /// PO102.
    pub quantity: Decimal,
    /// PO103 (`EA`).
    pub unit: String,
    /// PO104.
    pub unit_price: Option<Decimal>,
    /// PO106 onwards.
    pub ids: ItemIds,
    /// PID05 of the first free-form PID.
    pub description: Option<String>,
}

impl PurchaseOrder {
    /// The same PO with BEG01 `01`: what a supplier expects to cancel it.
    pub fn cancellation(&self) -> PurchaseOrder {
        PurchaseOrder {
            purpose: PoPurpose::Cancellation,
            ..self.clone()
        }
    }

    pub fn from_transaction(tx: &Transaction) -> Result<PurchaseOrder, ReadError> {
        let segs = body(tx, "850")?;
        let beg = find(&segs, "850", "BEG")?;
        let mut po = PurchaseOrder {
            purpose: PoPurpose::from_code(beg.req(1)?),
            order_type: beg.req_string(2)?,
            po_number: beg.req_string(3)?,
            date: beg.req_date(5)?,
            currency: None,
            references: Vec::new(),
            dates: Vec::new(),
            carrier_scac: None,
            carrier_routing: None,
            ship_to: None,
            lines: Vec::new(),
        };
        let mut i = 0;
        while i < segs.len() {
            let s = segs[i];
            let in_header = po.lines.is_empty();
            match s.id() {
                "CUR" if in_header => po.currency = s.opt_string(2),
                "REF" if in_header => po.references.push(Reference {
                    qualifier: s.req_string(1)?,
                    value: s.req_string(2)?,
                }),
                "DTM" if in_header => po.dates.push(DateReference {
                    qualifier: s.req_string(1)?,
                    date: s.req_date(2)?,
                }),
                "TD5" if in_header => {
                    // TD503 is a SCAC only under qualifier TD502 `2`.
                    po.carrier_scac = s.opt_string(3).filter(|_| s.opt(2) == Some("2"));
                    po.carrier_routing = s.opt_string(5);
                }
                "N1" if in_header => {
                    let (role, party, next) = read_party(&segs, i)?;
                    if role == "ST" && po.ship_to.is_none() {
                        po.ship_to = Some(party);
                    }
                    i = next;
                    continue;
                }
                "PO1" => po.lines.push(read_po1(&s)?),
                "PID" => {
                    if let Some(line) = po.lines.last_mut()
                        && line.description.is_none()
                    {
                        line.description = s.opt_string(5);
                    }
                }
                _ => {}
            }
            i += 1;
        }
        check_ctt(&segs, po.lines.len())?;
        Ok(po)
    }

    /// The 850 body, refused when a required value is blank.
    pub fn to_segments(&self) -> Result<Vec<Segment>, RenderError> {
        if self.lines.is_empty() {
            return Err(RenderError::missing("PO1: at least one line"));
        }
        let mut out = vec![seg(
            "BEG",
            [
                self.purpose.code().to_string(),
                req("BEG02", &self.order_type)?,
                req("BEG03", &self.po_number)?,
                String::new(),
                date(&self.date),
            ],
        )];
        if let Some(cur) = self.currency.as_ref().filter(|c| !c.trim().is_empty()) {
            out.push(seg("CUR", ["BY".to_string(), cur.trim().to_string()]));
        }
        for r in &self.references {
            out.push(seg(
                "REF",
                [req("REF01", &r.qualifier)?, req("REF02", &r.value)?],
            ));
        }
        for d in &self.dates {
            out.push(seg("DTM", [req("DTM01", &d.qualifier)?, date(&d.date)]));
        }
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
        if let Some(ship_to) = &self.ship_to {
            out.extend(write_party("ST", ship_to)?);
        }
        let mut hash = Decimal::ZERO;
        for line in &self.lines {
            hash += line.quantity;
            out.extend(write_po1(line)?);
        }
        out.push(seg("CTT", [self.lines.len().to_string(), decimal(&hash)]));
        Ok(out)
    }

    /// The 850 as a transaction set with ST02 = `control_number`.
    pub fn to_transaction(&self, control_number: u32) -> Result<OutboundTransaction, RenderError> {
        Ok(OutboundTransaction {
            set_id: "850".into(),
            control_number,
            body: self.to_segments()?,
        })
    }
}

pub(crate) fn read_po1(s: &Seg<'_>) -> Result<PoLine, ReadError> {
    Ok(PoLine {
        line_number: s.opt_string(1),
        quantity: s.req_decimal(2)?,
        unit: s.req_string(3)?,
        unit_price: s.opt_decimal(4)?,
        ids: ItemIds::from_pairs(s.id_pairs(6)),
        description: None,
    })
}

/// PO1 (price basis PO105 left empty) and a free-form PID when there is a description.
pub(crate) fn write_po1(line: &PoLine) -> Result<Vec<Segment>, RenderError> {
    let mut po1 = vec![
        opt(&line.line_number),
        decimal(&line.quantity),
        req("PO103", &line.unit)?,
        line.unit_price.as_ref().map(decimal).unwrap_or_default(),
        String::new(),
    ];
    po1.extend(line.ids.flat());
    let mut out = vec![Segment::new("PO1", po1)];
    if let Some(d) = line.description.as_ref().filter(|d| !d.trim().is_empty()) {
        out.push(pid(d));
    }
    Ok(out)
}
