//! The parsed envelope tree. Its serde form is the public JSON of `switchyard edi parse`;
//! fields that are not part of that JSON (raw envelope segments, positions, separators) are
//! skipped so the JSON stays exactly `{"interchanges":[…]}`.

use serde::{Deserialize, Serialize};

use crate::separators::Separators;

/// Everything in one file: one or more interchanges.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub interchanges: Vec<Interchange>,
}

/// One ISA … IEA envelope.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interchange {
    /// ISA06, trimmed.
    pub sender_id: String,
    /// ISA08, trimmed.
    pub receiver_id: String,
    /// ISA13 as written.
    pub control_number: String,
    pub groups: Vec<Group>,
    /// The separators this interchange declared in its ISA.
    #[serde(skip)]
    pub separators: Separators,
    /// ISA and IEA as read, with their positions, for checks and acknowledgements.
    #[serde(skip)]
    pub envelope: Envelope,
}

/// One GS … GE functional group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// GS01 (PO, PR, SH, IN, IB, OW, SW, FA, …).
    pub functional_id: String,
    /// GS06 as written.
    pub control_number: String,
    pub transactions: Vec<Transaction>,
    /// GS and GE as read, with their positions.
    #[serde(skip)]
    pub envelope: Envelope,
}

/// One ST … SE transaction set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    /// ST01 (850, 855, …).
    pub set_id: String,
    /// ST02 as written.
    pub control_number: String,
    /// ST through SE inclusive.
    pub segments: Vec<Segment>,
    /// Position of the ST segment in the file (1-based), so errors can point at it.
    #[serde(skip)]
    pub position: usize,
    /// The interchange's separators, for splitting composite elements.
    #[serde(skip)]
    pub separators: Separators,
}

/// Header and trailer segments of an envelope, kept so counts and control numbers can be
/// checked again later (a 997 is built from them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Envelope {
    pub header: Segment,
    pub header_position: usize,
    pub trailer: Segment,
    pub trailer_position: usize,
}

/// One segment: its id followed by its elements, as written (composites keep their
/// sub-element separator).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Segment {
    pub elements: Vec<String>,
}

impl Segment {
    pub fn new(id: &str, elements: impl IntoIterator<Item = String>) -> Segment {
        let mut all = vec![id.to_string()];
        all.extend(elements);
        Segment { elements: all }
    }

    pub fn id(&self) -> &str {
        self.elements.first().map(String::as_str).unwrap_or("")
    }

    /// Element by its X12 position (`BEG03` is `element(3)`); `None` when absent.
    pub fn element(&self, position: usize) -> Option<&str> {
        if position == 0 {
            return None;
        }
        self.elements.get(position).map(String::as_str)
    }
}

impl Transaction {
    /// Segments between ST and SE.
    pub fn body(&self) -> &[Segment] {
        let n = self.segments.len();
        if n >= 2 {
            &self.segments[1..n - 1]
        } else {
            &[]
        }
    }
}
