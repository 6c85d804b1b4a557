//! 846 inventory inquiry/advice: a supplier's stock feed.
//!
//! BIA, then per item LIN (VN/SK/UP…), optional PID, and QTY; only QTY*33 (quantity
//! available) is read, and an item without one is an error naming its LIN.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::common::{ItemIds, pid};
use super::fields::{ReadError, body, date, decimal, find, opt, req, seg};
use crate::RenderError;
use crate::model::{Segment, Transaction};
use crate::render::OutboundTransaction;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryAdvice {
    /// BIA01 (`00` original).
    pub purpose: String,
    /// BIA02 (`DD` distributor inventory report, `MM` manufacturer, …).
    pub report_type: String,
    /// BIA03.
    pub reference: String,
    /// BIA04.
    pub date: NaiveDate,
    pub items: Vec<InventoryItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryItem {
    /// LIN01.
    pub line_number: Option<String>,
    /// LIN02 onwards.
    pub ids: ItemIds,
    pub description: Option<String>,
    /// QTY02 of QTY*33.
    pub available: Decimal,
    /// QTY03 (first component).
    pub unit: Option<String>,
}

impl InventoryAdvice {
    pub fn from_transaction(tx: &Transaction) -> Result<InventoryAdvice, ReadError> {
        let segs = body(tx, "846")?;
        let bia = find(&segs, "846", "BIA")?;
        let mut advice = InventoryAdvice {
            purpose: bia.req_string(1)?,
            report_type: bia.req_string(2)?,
            reference: bia.req_string(3)?,
            date: bia.req_date(4)?,
            items: Vec::new(),
        };
        // (item, LIN position, saw QTY*33)
        let mut pending: Option<(InventoryItem, usize, bool)> = None;
        let finish = |p: Option<(InventoryItem, usize, bool)>, out: &mut Vec<InventoryItem>| match p
        {
            Some((item, _, true)) => {
                out.push(item);
                Ok(())
            }
            Some((_, position, false)) => Err(ReadError::Structure {
                position,
                segment: "LIN".into(),
                problem: "item has no QTY*33 (quantity available)".into(),
            }),
            None => Ok(()),
        };
        for s in &segs {
            match s.id() {
                "LIN" => {
                    finish(pending.take(), &mut advice.items)?;
                    pending = Some((
                        InventoryItem {
                            line_number: s.opt_string(1),
                            ids: ItemIds::from_pairs(s.id_pairs(2)),
                            description: None,
                            available: Decimal::ZERO,
                            unit: None,
                        },
                        s.position,
                        false,
                    ));
                }
                "PID" => {
                    if let Some((item, _, _)) = pending.as_mut()
                        && item.description.is_none()
                    {
                        item.description = s.opt_string(5);
                    }
                }
                "QTY" if s.opt(1) == Some("33") => {
                    if let Some((item, _, seen)) = pending.as_mut()
                        && !*seen
                    {
                        item.available = s.req_decimal(2)?;
                        item.unit = s
                            .opt(3)
                            .and_then(|u| tx.separators.components(u).next())
                            .map(|u| u.trim().to_string())
                            .filter(|u| !u.is_empty());
                        *seen = true;
                    }
                }
                _ => {}
            }
        }
        finish(pending.take(), &mut advice.items)?;
        super::fields::check_ctt(&segs, advice.items.len())?;
        Ok(advice)
    }

    pub fn to_segments(&self) -> Result<Vec<Segment>, RenderError> {
        let mut out = vec![seg(
            "BIA",
            [
                req("BIA01", &self.purpose)?,
                req("BIA02", &self.report_type)?,
                req("BIA03", &self.reference)?,
                date(&self.date),
            ],
        )];
        for item in &self.items {
            let mut lin = vec![opt(&item.line_number)];
            lin.extend(item.ids.flat());
            if lin.len() < 3 {
                return Err(RenderError::missing("LIN02/LIN03: an item identifier"));
            }
            out.push(Segment::new("LIN", lin));
            if let Some(d) = item.description.as_ref().filter(|d| !d.trim().is_empty()) {
                out.push(pid(d));
            }
            out.push(seg(
                "QTY",
                ["33".to_string(), decimal(&item.available), opt(&item.unit)],
            ));
        }
        out.push(seg("CTT", [self.items.len().to_string()]));
        Ok(out)
    }

    pub fn to_transaction(&self, control_number: u32) -> Result<OutboundTransaction, RenderError> {
        Ok(OutboundTransaction {
            set_id: "846".into(),
            control_number,
            body: self.to_segments()?,
        })
    }
}
