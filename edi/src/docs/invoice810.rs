//! 810 invoice, read from dropship suppliers.
//!
//! BIG, CUR, header N1 loops (those before the first IT1; N1 loops inside a line are skipped),
//! IT1 + PID per line, TDS (total with 2 implied decimals), CTT01 checked against the lines.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::common::{ItemIds, NamedParty, Party, read_party};
use super::fields::{ReadError, body, check_ctt, find};
use crate::model::Transaction;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    /// BIG01.
    pub date: NaiveDate,
    /// BIG02.
    pub invoice_number: String,
    /// BIG03.
    pub po_date: Option<NaiveDate>,
    /// BIG04.
    pub po_number: Option<String>,
    /// CUR02.
    pub currency: Option<String>,
    /// Header N1 loops with their roles (`ST`, `RI`, `SO`, `BT`, …).
    pub parties: Vec<NamedParty>,
    pub lines: Vec<InvoiceLine>,
    /// TDS01.
    pub total: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceLine {
    /// IT101.
    pub line_number: Option<String>,
    /// IT102.
    pub quantity: Decimal,
    /// IT103.
    pub unit: Option<String>,
    /// IT104.
    pub unit_price: Decimal,
    /// IT106 onwards.
    pub ids: ItemIds,
    pub description: Option<String>,
}

impl Invoice {
    /// The header party with role `role`.
    pub fn party(&self, role: &str) -> Option<&Party> {
        self.parties
            .iter()
            .find(|p| p.role == role)
            .map(|p| &p.party)
    }

    pub fn from_transaction(tx: &Transaction) -> Result<Invoice, ReadError> {
        let segs = body(tx, "810")?;
        let big = find(&segs, "810", "BIG")?;
        let tds = find(&segs, "810", "TDS")?;
        let mut invoice = Invoice {
            date: big.req_date(1)?,
            invoice_number: big.req_string(2)?,
            po_date: big.opt_date(3)?,
            po_number: big.opt_string(4),
            currency: None,
            parties: Vec::new(),
            lines: Vec::new(),
            total: tds.req_implied_cents(1)?,
        };
        let mut i = 0;
        while i < segs.len() {
            let s = segs[i];
            let in_header = invoice.lines.is_empty();
            match s.id() {
                "CUR" if in_header => invoice.currency = s.opt_string(2),
                "N1" => {
                    let (role, party, next) = read_party(&segs, i)?;
                    if in_header {
                        invoice.parties.push(NamedParty { role, party });
                    }
                    i = next;
                    continue;
                }
                "IT1" => invoice.lines.push(InvoiceLine {
                    line_number: s.opt_string(1),
                    quantity: s.req_decimal(2)?,
                    unit: s.opt_string(3),
                    unit_price: s.req_decimal(4)?,
                    ids: ItemIds::from_pairs(s.id_pairs(6)),
                    description: None,
                }),
                "PID" => {
                    if let Some(line) = invoice.lines.last_mut()
                        && line.description.is_none()
                    {
                        line.description = s.opt_string(5);
                    }
                }
                "TDS" => break,
                _ => {}
            }
            i += 1;
        }
        check_ctt(&segs, invoice.lines.len())?;
        Ok(invoice)
    }
}
