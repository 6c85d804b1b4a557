//! 855 purchase order acknowledgement: read from suppliers, built by the supplier simulator.
//!
//! BAK, then PO1 (echoing the ordered line) followed by its ACK segments. A line may carry
//! several ACKs (e.g. 6 accepted and 4 backordered).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::common::code_enum;
use super::fields::{ReadError, body, date, decimal, find, opt, req, seg};
use super::po850::{PoLine, read_po1, write_po1};
use crate::RenderError;
use crate::model::{Segment, Transaction};
use crate::render::OutboundTransaction;

code_enum! {
    /// BAK02.
    AckType {
        /// AC: acknowledged with detail and change.
        AcceptedWithChanges = "AC",
        /// AD: acknowledged with detail, no change.
        AcceptedWithDetail = "AD",
        /// AE: acknowledged with exception detail only.
        AcceptedWithExceptions = "AE",
        /// AK: acknowledged, no detail or change.
        AcceptedNoDetail = "AK",
        /// AT: accepted.
        Accepted = "AT",
        /// RD: rejected with detail.
        RejectedWithDetail = "RD",
        /// RJ: rejected, no detail.
        Rejected = "RJ",
    }
}

code_enum! {
    /// ACK01.
    LineStatus {
        /// IA: item accepted.
        Accepted = "IA",
        /// IB: item backordered.
        Backordered = "IB",
        /// IC: item accepted, changes made.
        AcceptedWithChanges = "IC",
        /// ID: item deleted.
        Deleted = "ID",
        /// IP: item accepted, price changed.
        PriceChanged = "IP",
        /// IQ: item accepted, quantity changed.
        QuantityChanged = "IQ",
        /// IR: item rejected.
        Rejected = "IR",
        /// IS: item accepted, substitution made.
        Substituted = "IS",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoAcknowledgement {
    /// BAK01 (`00` original).
    pub purpose: String,
    pub ack_type: AckType,
    /// BAK03.
    pub po_number: String,
    /// BAK04.
    pub po_date: NaiveDate,
    /// BAK08: the supplier's own order number.
    pub seller_order_number: Option<String>,
    /// BAK09.
    pub ack_date: Option<NaiveDate>,
    pub lines: Vec<AckLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AckLine {
    pub line: PoLine,
    pub acks: Vec<LineAck>,
}

/// One ACK segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineAck {
    pub status: LineStatus,
    /// ACK02/ACK03.
    pub quantity: Option<Decimal>,
    pub unit: Option<String>,
    /// ACK05 (written with ACK04 `068`, current schedule ship).
    pub date: Option<NaiveDate>,
}

impl PoAcknowledgement {
    pub fn from_transaction(tx: &Transaction) -> Result<PoAcknowledgement, ReadError> {
        let segs = body(tx, "855")?;
        let bak = find(&segs, "855", "BAK")?;
        let mut ack = PoAcknowledgement {
            purpose: bak.req_string(1)?,
            ack_type: AckType::from_code(bak.req(2)?),
            po_number: bak.req_string(3)?,
            po_date: bak.req_date(4)?,
            seller_order_number: bak.opt_string(8),
            ack_date: bak.opt_date(9)?,
            lines: Vec::new(),
        };
        for s in &segs {
            match s.id() {
                "PO1" => ack.lines.push(AckLine {
                    line: read_po1(s)?,
                    acks: Vec::new(),
                }),
                "PID" => {
                    if let Some(l) = ack.lines.last_mut()
                        && l.line.description.is_none()
                    {
                        l.line.description = s.opt_string(5);
                    }
                }
                "ACK" => {
                    let Some(l) = ack.lines.last_mut() else {
                        return Err(ReadError::Structure {
                            position: s.position,
                            segment: "ACK".into(),
                            problem: "ACK before any PO1".into(),
                        });
                    };
                    l.acks.push(LineAck {
                        status: LineStatus::from_code(s.req(1)?),
                        quantity: s.opt_decimal(2)?,
                        unit: s.opt_string(3),
                        date: s.opt_date(5)?,
                    });
                }
                _ => {}
            }
        }
        super::fields::check_ctt(&segs, ack.lines.len())?;
        Ok(ack)
    }

    pub fn to_segments(&self) -> Result<Vec<Segment>, RenderError> {
        let mut out = vec![seg(
            "BAK",
            [
                req("BAK01", &self.purpose)?,
                req("BAK02", self.ack_type.code())?,
                req("BAK03", &self.po_number)?,
                date(&self.po_date),
                String::new(),
                String::new(),
                String::new(),
                opt(&self.seller_order_number),
                self.ack_date.as_ref().map(date).unwrap_or_default(),
            ],
        )];
        for line in &self.lines {
            out.extend(write_po1(&line.line)?);
            for a in &line.acks {
                let (qualifier, when) = match &a.date {
                    Some(d) => ("068".to_string(), date(d)),
                    None => (String::new(), String::new()),
                };
                out.push(seg(
                    "ACK",
                    [
                        req("ACK01", a.status.code())?,
                        a.quantity.as_ref().map(decimal).unwrap_or_default(),
                        opt(&a.unit),
                        qualifier,
                        when,
                    ],
                ));
            }
        }
        if !self.lines.is_empty() {
            out.push(seg("CTT", [self.lines.len().to_string()]));
        }
        Ok(out)
    }

    pub fn to_transaction(&self, control_number: u32) -> Result<OutboundTransaction, RenderError> {
        Ok(OutboundTransaction {
            set_id: "855".into(),
            control_number,
            body: self.to_segments()?,
        })
    }
}
