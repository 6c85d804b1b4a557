//! Segments → the envelope tree, strict or lenient.
//!
//! Structural faults (no ISA, a segment outside any envelope, an ST never closed by SE, a
//! missing GS06/ST02) always fail: there is no tree to return. Count and control-number
//! mismatches are [`EnvelopeProblem`]s: [`parse`] fails on the first, [`parse_lenient`] returns
//! the tree together with all of them, which is what a 997 with AK5/AK9 `R` codes needs.

use crate::error::{EnvelopeProblem, ParseError};
use crate::lexer::{RawInterchange, RawSegment, lex};
use crate::model::{Document, Envelope, Group, Interchange, Segment, Transaction};
use crate::validate::all_problems;

/// A parsed file together with the count and control-number problems found in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub document: Document,
    pub problems: Vec<EnvelopeProblem>,
}

/// Parses and requires every count and control number to agree.
pub fn parse(input: &[u8]) -> Result<Document, ParseError> {
    let parsed = parse_lenient(input)?;
    match parsed.problems.into_iter().next() {
        Some(problem) => Err(ParseError::Envelope(problem)),
        None => Ok(parsed.document),
    }
}

/// Parses, keeping count and control-number mismatches as findings instead of failing.
pub fn parse_lenient(input: &[u8]) -> Result<Parsed, ParseError> {
    let mut document = Document::default();
    let mut problems = Vec::new();
    for raw in lex(input)? {
        let interchange = build_interchange(raw)?;
        problems.extend(all_problems(&interchange));
        document.interchanges.push(interchange);
    }
    Ok(Parsed { document, problems })
}

fn segment(raw: RawSegment) -> (usize, Segment) {
    (
        raw.position,
        Segment {
            elements: raw.elements,
        },
    )
}

fn required(
    seg: &Segment,
    position: usize,
    index: usize,
    name: &'static str,
) -> Result<String, ParseError> {
    match seg.element(index).map(str::trim) {
        Some(v) if !v.is_empty() => Ok(v.to_string()),
        _ => Err(ParseError::MissingElement {
            position,
            element: name,
        }),
    }
}

fn build_interchange(raw: RawInterchange) -> Result<Interchange, ParseError> {
    let separators = raw.separators;
    let mut segments = raw.segments.into_iter().map(segment).peekable();
    let Some((isa_position, isa)) = segments.next() else {
        return Err(ParseError::Empty);
    };
    let mut interchange = Interchange {
        sender_id: isa.element(6).unwrap_or("").trim().to_string(),
        receiver_id: isa.element(8).unwrap_or("").trim().to_string(),
        control_number: required(&isa, isa_position, 13, "ISA13")?,
        groups: Vec::new(),
        separators,
        envelope: Envelope {
            header: isa,
            header_position: isa_position,
            ..Envelope::default()
        },
    };
    let mut closed = false;
    while let Some((position, seg)) = segments.next() {
        match seg.id() {
            "GS" => {
                let group = build_group(position, seg, &mut segments, separators)?;
                interchange.groups.push(group);
            }
            "IEA" => {
                interchange.envelope.trailer = seg;
                interchange.envelope.trailer_position = position;
                closed = true;
                break;
            }
            _ => {
                return Err(ParseError::UnexpectedSegment {
                    position,
                    segment: seg.id().to_string(),
                    expected: "GS or IEA",
                });
            }
        }
    }
    if !closed {
        return Err(ParseError::Unclosed {
            position: isa_position,
            segment: "ISA",
            what: format!("interchange {}", interchange.control_number),
            closer: "IEA",
        });
    }
    Ok(interchange)
}

fn build_group(
    gs_position: usize,
    gs: Segment,
    segments: &mut std::iter::Peekable<impl Iterator<Item = (usize, Segment)>>,
    separators: crate::Separators,
) -> Result<Group, ParseError> {
    let mut group = Group {
        functional_id: gs.element(1).unwrap_or("").trim().to_string(),
        control_number: required(&gs, gs_position, 6, "GS06")?,
        transactions: Vec::new(),
        envelope: Envelope {
            header: gs,
            header_position: gs_position,
            ..Envelope::default()
        },
    };
    let unclosed = |what: String| ParseError::Unclosed {
        position: gs_position,
        segment: "GS",
        what,
        closer: "GE",
    };
    loop {
        let Some((position, seg)) = segments.next() else {
            return Err(unclosed(format!("group {}", group.control_number)));
        };
        match seg.id() {
            "ST" => {
                let tx = build_transaction(position, seg, segments, separators)?;
                group.transactions.push(tx);
            }
            "GE" => {
                group.envelope.trailer = seg;
                group.envelope.trailer_position = position;
                return Ok(group);
            }
            "IEA" | "ISA" | "GS" => {
                return Err(unclosed(format!("group {}", group.control_number)));
            }
            other => {
                return Err(ParseError::UnexpectedSegment {
                    position,
                    segment: other.to_string(),
                    expected: "ST or GE",
                });
            }
        }
    }
}

fn build_transaction(
    st_position: usize,
    st: Segment,
    segments: &mut std::iter::Peekable<impl Iterator<Item = (usize, Segment)>>,
    separators: crate::Separators,
) -> Result<Transaction, ParseError> {
    let set_id = required(&st, st_position, 1, "ST01")?;
    let control_number = required(&st, st_position, 2, "ST02")?;
    let mut tx = Transaction {
        set_id,
        control_number,
        segments: vec![st],
        position: st_position,
        separators,
    };
    loop {
        let closes = match segments.peek() {
            None => true,
            Some((_, seg)) => matches!(seg.id(), "ST" | "GE" | "GS" | "IEA" | "ISA"),
        };
        if closes {
            return Err(ParseError::Unclosed {
                position: st_position,
                segment: "ST",
                what: format!("transaction set {} {}", tx.set_id, tx.control_number),
                closer: "SE",
            });
        }
        let Some((_, seg)) = segments.next() else {
            continue;
        };
        let is_se = seg.id() == "SE";
        tx.segments.push(seg);
        if is_se {
            return Ok(tx);
        }
    }
}
