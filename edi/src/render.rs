//! Envelope and segments → text, with counts and control numbers computed here so what is sent
//! always agrees with itself.
//!
//! Data containing a separator or a control character is **refused** with an error naming the
//! segment and element; it is never escaped or replaced (X12 has no escape mechanism, and a
//! silently changed address or part number is worse than a clear failure). Trailing empty
//! elements are dropped, as X12 requires. The ISA is padded to its fixed widths (106 bytes),
//! so ISA identifiers must be ASCII.

use chrono::{NaiveDate, NaiveTime};
use thiserror::Error;

use crate::model::Segment;
use crate::separators::Separators;

/// Why a document or interchange could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RenderError {
    #[error(
        "segment {position} ({segment}{element:02}): {character:?} is a separator or control character and cannot be sent"
    )]
    ForbiddenCharacter {
        position: usize,
        segment: String,
        element: usize,
        character: char,
    },
    #[error("{field}: required value is empty")]
    Missing { field: String },
    #[error("{field}: {problem}")]
    Invalid { field: String, problem: String },
    #[error("separators: {0}")]
    Separators(String),
}

impl RenderError {
    pub(crate) fn missing(field: impl Into<String>) -> Self {
        RenderError::Missing {
            field: field.into(),
        }
    }
    pub(crate) fn invalid(field: impl Into<String>, problem: impl Into<String>) -> Self {
        RenderError::Invalid {
            field: field.into(),
            problem: problem.into(),
        }
    }
}

/// Production or test data (ISA15).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Usage {
    #[default]
    Production,
    Test,
}

/// What goes into ISA and GS. The version is fixed at 004010 (ISA12 `00401`, GS08 `004010`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterchangeHeader {
    /// ISA05 (e.g. `ZZ` mutually defined, `01` DUNS, `12` phone).
    pub sender_qualifier: String,
    /// ISA06, also GS02.
    pub sender_id: String,
    pub receiver_qualifier: String,
    pub receiver_id: String,
    /// ISA09/ISA10 and GS04/GS05.
    pub date: NaiveDate,
    pub time: NaiveTime,
    /// ISA13, 1–999999999; rendered with 9 digits.
    pub control_number: u32,
    pub usage: Usage,
    /// ISA14: ask the receiver for a TA1.
    pub ack_requested: bool,
}

/// One functional group to send. GS01 is derived from the transaction sets, which must all
/// belong to the same functional group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundGroup {
    /// GS06, 1–999999999.
    pub control_number: u32,
    pub transactions: Vec<OutboundTransaction>,
}

/// One transaction set to send: its body, without ST and SE (the renderer adds them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundTransaction {
    pub set_id: String,
    /// ST02; rendered with at least 4 digits.
    pub control_number: u32,
    pub body: Vec<Segment>,
}

/// GS01 for a transaction set id, for the sets Switchyard exchanges.
pub fn functional_id(set_id: &str) -> Option<&'static str> {
    Some(match set_id {
        "810" => "IN",
        "846" => "IB",
        "850" => "PO",
        "855" => "PR",
        "856" => "SH",
        "940" => "OW",
        "945" => "SW",
        "997" => "FA",
        _ => return None,
    })
}

const VERSION_ISA: &str = "00401";
const VERSION_GS: &str = "004010";

/// Renders one interchange holding `groups`.
pub fn render_interchange(
    header: &InterchangeHeader,
    groups: &[OutboundGroup],
    separators: &Separators,
) -> Result<String, RenderError> {
    if let Some(problem) = separators.problem() {
        return Err(RenderError::Separators(problem));
    }
    let mut out = Writer {
        text: String::with_capacity(256),
        seps: *separators,
        position: 0,
    };
    out.isa(header)?;
    for group in groups {
        let Some(first) = group.transactions.first() else {
            return Err(RenderError::missing(format!(
                "group {}: transaction sets",
                group.control_number
            )));
        };
        let fid = functional_id(&first.set_id).ok_or_else(|| {
            RenderError::invalid(
                "ST01",
                format!("unsupported transaction set {:?}", first.set_id),
            )
        })?;
        if let Some(other) = group
            .transactions
            .iter()
            .find(|t| functional_id(&t.set_id) != Some(fid))
        {
            return Err(RenderError::invalid(
                "ST01",
                format!(
                    "transaction set {} cannot share group {} ({fid}) with {}",
                    other.set_id, group.control_number, first.set_id
                ),
            ));
        }
        let gs06 = control_number("GS06", group.control_number)?;
        out.segment(&Segment::new(
            "GS",
            [
                fid.to_string(),
                header.sender_id.trim().to_string(),
                header.receiver_id.trim().to_string(),
                header.date.format("%Y%m%d").to_string(),
                header.time.format("%H%M").to_string(),
                gs06.to_string(),
                "X".to_string(),
                VERSION_GS.to_string(),
            ],
        ))?;
        for tx in &group.transactions {
            let st02 = format!("{:04}", tx.control_number);
            out.segment(&Segment::new("ST", [tx.set_id.clone(), st02.clone()]))?;
            for seg in &tx.body {
                out.segment(seg)?;
            }
            let count = tx.body.len() + 2;
            out.segment(&Segment::new("SE", [count.to_string(), st02]))?;
        }
        out.segment(&Segment::new(
            "GE",
            [group.transactions.len().to_string(), gs06.to_string()],
        ))?;
    }
    out.segment(&Segment::new(
        "IEA",
        [
            groups.len().to_string(),
            format!("{:09}", header.control_number),
        ],
    ))?;
    Ok(out.text)
}

/// Renders a single transaction set in its own group and interchange, the usual shape of a
/// file sent to a partner.
pub fn render_single(
    header: &InterchangeHeader,
    group_control_number: u32,
    transaction: OutboundTransaction,
    separators: &Separators,
) -> Result<String, RenderError> {
    render_interchange(
        header,
        &[OutboundGroup {
            control_number: group_control_number,
            transactions: vec![transaction],
        }],
        separators,
    )
}

fn control_number(field: &str, n: u32) -> Result<u32, RenderError> {
    if n == 0 || n > 999_999_999 {
        return Err(RenderError::invalid(
            field,
            format!("{n} is outside 1–999999999"),
        ));
    }
    Ok(n)
}

struct Writer {
    text: String,
    seps: Separators,
    position: usize,
}

impl Writer {
    fn end_segment(&mut self) {
        self.text.push(self.seps.segment as char);
        if self.seps.line_break && self.seps.segment != b'\n' {
            self.text.push('\n');
        }
    }

    fn segment(&mut self, seg: &Segment) -> Result<(), RenderError> {
        self.position += 1;
        let id = seg.id();
        let used = seg
            .elements
            .iter()
            .rposition(|e| !e.is_empty())
            .map_or(1, |i| i + 1);
        for (index, value) in seg.elements[..used].iter().enumerate() {
            if let Some(character) = value.chars().find(|&c| self.seps.forbids(c)) {
                return Err(RenderError::ForbiddenCharacter {
                    position: self.position,
                    segment: id.to_string(),
                    element: index,
                    character,
                });
            }
            if index > 0 {
                self.text.push(self.seps.element as char);
            }
            self.text.push_str(value);
        }
        self.end_segment();
        Ok(())
    }

    fn isa(&mut self, h: &InterchangeHeader) -> Result<(), RenderError> {
        self.position += 1;
        let fixed = |field: &str, value: &str, width: usize| -> Result<String, RenderError> {
            let value = value.trim();
            if value.is_empty() {
                return Err(RenderError::missing(field));
            }
            if !value.is_ascii() {
                return Err(RenderError::invalid(
                    field,
                    "must be ASCII (the ISA is fixed width)",
                ));
            }
            if value.len() > width {
                return Err(RenderError::invalid(
                    field,
                    format!("{value:?} is longer than {width} characters"),
                ));
            }
            if let Some(c) = value.chars().find(|&c| self.seps.forbids(c)) {
                return Err(RenderError::invalid(
                    field,
                    format!("{c:?} is a separator and cannot be sent"),
                ));
            }
            Ok(format!("{value:<width$}"))
        };
        let isa13 = control_number("ISA13", h.control_number)?;
        let elements = [
            "ISA".to_string(),
            "00".to_string(),
            " ".repeat(10),
            "00".to_string(),
            " ".repeat(10),
            fixed("ISA05", &h.sender_qualifier, 2)?,
            fixed("ISA06", &h.sender_id, 15)?,
            fixed("ISA07", &h.receiver_qualifier, 2)?,
            fixed("ISA08", &h.receiver_id, 15)?,
            h.date.format("%y%m%d").to_string(),
            h.time.format("%H%M").to_string(),
            "U".to_string(),
            VERSION_ISA.to_string(),
            format!("{isa13:09}"),
            if h.ack_requested { "1" } else { "0" }.to_string(),
            match h.usage {
                Usage::Production => "P",
                Usage::Test => "T",
            }
            .to_string(),
            (self.seps.component as char).to_string(),
        ];
        self.text
            .push_str(&elements.join(&(self.seps.element as char).to_string()));
        self.end_segment();
        Ok(())
    }
}
