//! 997 functional acknowledgement: built for every received group, and read when a partner
//! acknowledges what Switchyard sent.
//!
//! [`FunctionalAck::for_group`] rejects (AK5 `R`) every transaction set whose SE01 count or SE02
//! control number is wrong (AK502 `4` / `3`), and the whole group (AK9 `R`) when GE01 or GE02 is
//! wrong (AK905 `5` / `4`). A caller that could not read a set as its typed document adds
//! [`FunctionalAck::reject_unreadable`] with the reader's error: AK502 `5` plus an AK3/AK4
//! note naming the segment and element. AK9 is `A` when all sets are
//! accepted, `P` when some are, `R` when none are or the group itself is faulty.

use serde::{Deserialize, Serialize};

use crate::docs::common::code_enum;
use crate::docs::fields::{ReadError, Seg, body, find, seg};
use crate::error::EnvelopeProblem;
use crate::model::{Group, Transaction};
use crate::render::{OutboundTransaction, RenderError};
use crate::validate::{group_problems, transaction_problems};

code_enum! {
    /// AK501 and AK901.
    AckCode {
        Accepted = "A",
        AcceptedWithErrors = "E",
        PartiallyAccepted = "P",
        Rejected = "R",
    }
}

code_enum! {
    /// AK502–AK506: why a transaction set was rejected.
    SetError {
        NotSupported = "1",
        TrailerMissing = "2",
        ControlNumberMismatch = "3",
        SegmentCountMismatch = "4",
        SegmentsInError = "5",
        MissingOrInvalidSetId = "6",
        MissingOrInvalidControlNumber = "7",
    }
}

code_enum! {
    /// AK905–AK909: why a group was rejected.
    GroupError {
        NotSupported = "1",
        VersionNotSupported = "2",
        TrailerMissing = "3",
        ControlNumberMismatch = "4",
        SetCountMismatch = "5",
        ControlNumberSyntax = "6",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionalAck {
    /// AK101: GS01 of the acknowledged group.
    pub functional_id: String,
    /// AK102: GS06 of the acknowledged group.
    pub group_control_number: String,
    pub transactions: Vec<SetAck>,
    /// AK901.
    pub code: AckCode,
    /// AK902–AK904.
    pub included: u32,
    pub received: u32,
    pub accepted: u32,
    /// AK905 onwards.
    pub group_errors: Vec<GroupError>,
}

/// AK2 … AK5 for one transaction set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetAck {
    /// AK201/AK202.
    pub set_id: String,
    pub control_number: String,
    /// AK501.
    pub code: AckCode,
    /// AK502 onwards (at most five are sent).
    pub errors: Vec<SetError>,
    /// AK3/AK4 notes pointing at the faulty segments.
    pub notes: Vec<SegmentNote>,
}

/// AK3: a faulty segment (AK302 counts from ST = 1), with an AK4 when one element is at fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentNote {
    pub segment_id: String,
    pub position: usize,
    /// AK304 (`8` segment has data element errors, `3` mandatory segment missing, …).
    pub code: String,
    pub element: Option<ElementNote>,
}

/// AK4: AK401 element position, AK403 code (`1` mandatory element missing, `6` invalid
/// character, `8` invalid date), AK404 a copy of the bad data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElementNote {
    pub position: usize,
    pub code: String,
    pub value: Option<String>,
}

/// The AK3/AK4 a reader error points at, when it names a segment.
fn note_for(error: &ReadError) -> Option<SegmentNote> {
    // "BEG03" → ("BEG", 3)
    let split = |element: &str| -> Option<(String, usize)> {
        let at = element.len().checked_sub(2)?;
        Some((
            element.get(..at)?.to_string(),
            element.get(at..)?.parse().ok()?,
        ))
    };
    match error {
        ReadError::MissingElement { position, element } => {
            let (id, index) = split(element)?;
            Some(SegmentNote {
                segment_id: id,
                position: *position,
                code: "8".into(),
                element: Some(ElementNote {
                    position: index,
                    code: "1".into(),
                    value: None,
                }),
            })
        }
        ReadError::InvalidElement {
            position,
            element,
            value,
            expected,
        } => {
            let (id, index) = split(element)?;
            let code = if expected.starts_with("a date") {
                "8"
            } else {
                "6"
            };
            Some(SegmentNote {
                segment_id: id,
                position: *position,
                code: "8".into(),
                element: Some(ElementNote {
                    position: index,
                    code: code.into(),
                    value: Some(value.clone()),
                }),
            })
        }
        ReadError::CountMismatch {
            position, element, ..
        } => {
            let (id, _) = split(element)?;
            Some(SegmentNote {
                segment_id: id,
                position: *position,
                code: "8".into(),
                element: None,
            })
        }
        ReadError::Structure {
            position, segment, ..
        } => Some(SegmentNote {
            segment_id: segment.clone(),
            position: *position,
            code: "8".into(),
            element: None,
        }),
        ReadError::WrongSet { .. } | ReadError::MissingSegment { .. } => None,
    }
}

impl FunctionalAck {
    /// The acknowledgement of a received group, with envelope checks applied.
    pub fn for_group(group: &Group) -> FunctionalAck {
        let transactions = group.transactions.iter().map(set_ack).collect();
        let mut group_errors = Vec::new();
        for problem in group_problems(group) {
            group_errors.push(match problem {
                EnvelopeProblem::GroupControlNumber { .. } => GroupError::ControlNumberMismatch,
                _ => GroupError::SetCountMismatch,
            });
        }
        let received = group.transactions.len() as u32;
        let included = group
            .envelope
            .trailer
            .element(1)
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(received);
        let mut ack = FunctionalAck {
            functional_id: group.functional_id.clone(),
            group_control_number: group.control_number.clone(),
            transactions,
            code: AckCode::Accepted,
            included,
            received,
            accepted: 0,
            group_errors,
        };
        ack.tally();
        ack
    }

    /// Rejects one transaction set (by ST02) for `error`; false when the group has no such set.
    pub fn reject(&mut self, control_number: &str, error: SetError) -> bool {
        let Some(set) = self
            .transactions
            .iter_mut()
            .find(|t| t.control_number == control_number)
        else {
            return false;
        };
        set.code = AckCode::Rejected;
        if !set.errors.contains(&error) {
            set.errors.push(error);
        }
        self.tally();
        true
    }

    /// Rejects a set that could not be read as its document (AK502 `5`), with an AK3/AK4
    /// note naming the segment and element when the error does.
    pub fn reject_unreadable(&mut self, control_number: &str, error: &ReadError) -> bool {
        let code = match error {
            ReadError::WrongSet { .. } => SetError::NotSupported,
            _ => SetError::SegmentsInError,
        };
        if !self.reject(control_number, code) {
            return false;
        }
        if let Some(note) = note_for(error)
            && let Some(set) = self
                .transactions
                .iter_mut()
                .find(|t| t.control_number == control_number)
        {
            set.notes.push(note);
        }
        true
    }

    fn tally(&mut self) {
        self.accepted = self
            .transactions
            .iter()
            .filter(|t| matches!(t.code, AckCode::Accepted | AckCode::AcceptedWithErrors))
            .count() as u32;
        self.code = if !self.group_errors.is_empty() || self.accepted == 0 && self.received > 0 {
            AckCode::Rejected
        } else if self.accepted < self.received {
            AckCode::PartiallyAccepted
        } else {
            AckCode::Accepted
        };
    }

    pub fn to_transaction(&self, control_number: u32) -> Result<OutboundTransaction, RenderError> {
        let mut out = vec![seg(
            "AK1",
            [
                crate::docs::fields::req("AK101", &self.functional_id)?,
                crate::docs::fields::req("AK102", &self.group_control_number)?,
            ],
        )];
        for t in &self.transactions {
            out.push(seg(
                "AK2",
                [
                    crate::docs::fields::req("AK201", &t.set_id)?,
                    crate::docs::fields::req("AK202", &t.control_number)?,
                ],
            ));
            for note in &t.notes {
                out.push(seg(
                    "AK3",
                    [
                        crate::docs::fields::req("AK301", &note.segment_id)?,
                        note.position.to_string(),
                        String::new(),
                        crate::docs::fields::req("AK304", &note.code)?,
                    ],
                ));
                if let Some(e) = &note.element {
                    out.push(seg(
                        "AK4",
                        [
                            e.position.to_string(),
                            String::new(),
                            crate::docs::fields::req("AK403", &e.code)?,
                            e.value.clone().unwrap_or_default(),
                        ],
                    ));
                }
            }
            let mut ak5 = vec![t.code.code().to_string()];
            ak5.extend(t.errors.iter().take(5).map(|e| e.code().to_string()));
            out.push(crate::model::Segment::new("AK5", ak5));
        }
        let mut ak9 = vec![
            self.code.code().to_string(),
            self.included.to_string(),
            self.received.to_string(),
            self.accepted.to_string(),
        ];
        ak9.extend(
            self.group_errors
                .iter()
                .take(5)
                .map(|e| e.code().to_string()),
        );
        out.push(crate::model::Segment::new("AK9", ak9));
        Ok(OutboundTransaction {
            set_id: "997".into(),
            control_number,
            body: out,
        })
    }

    /// Reads a partner's 997 (AK3/AK4 segment notes are skipped).
    pub fn from_transaction(tx: &Transaction) -> Result<FunctionalAck, ReadError> {
        let segs = body(tx, "997")?;
        let ak1 = find(&segs, "997", "AK1")?;
        let ak9 = find(&segs, "997", "AK9")?;
        fn count<T: std::str::FromStr>(s: &Seg<'_>, i: usize) -> Result<T, ReadError> {
            let v = s.req(i)?;
            v.parse().map_err(|_| ReadError::InvalidElement {
                position: s.position,
                element: s.name(i),
                value: v.to_string(),
                expected: "a count",
            })
        }
        let mut ack = FunctionalAck {
            functional_id: ak1.req_string(1)?,
            group_control_number: ak1.req_string(2)?,
            transactions: Vec::new(),
            code: AckCode::from_code(ak9.req(1)?),
            included: count(&ak9, 2)?,
            received: count(&ak9, 3)?,
            accepted: count(&ak9, 4)?,
            group_errors: (5..ak9.seg.elements.len())
                .filter_map(|i| ak9.opt(i))
                .map(GroupError::from_code)
                .collect(),
        };
        for s in &segs {
            match s.id() {
                "AK2" => ack.transactions.push(SetAck {
                    set_id: s.req_string(1)?,
                    control_number: s.req_string(2)?,
                    code: AckCode::Accepted,
                    errors: Vec::new(),
                    notes: Vec::new(),
                }),
                "AK3" => {
                    let Some(t) = ack.transactions.last_mut() else {
                        return Err(ReadError::Structure {
                            position: s.position,
                            segment: "AK3".into(),
                            problem: "AK3 before any AK2".into(),
                        });
                    };
                    t.notes.push(SegmentNote {
                        segment_id: s.req_string(1)?,
                        position: count(s, 2)?,
                        code: s.opt_string(4).unwrap_or_default(),
                        element: None,
                    });
                }
                "AK4" => {
                    let Some(note) = ack.transactions.last_mut().and_then(|t| t.notes.last_mut())
                    else {
                        return Err(ReadError::Structure {
                            position: s.position,
                            segment: "AK4".into(),
                            problem: "AK4 before any AK3".into(),
                        });
                    };
                    let first = s.req(1)?;
                    // AK401 may be a composite (element, component); the element comes first.
                    let element = first
                        .split(|c: char| !c.is_ascii_digit())
                        .next()
                        .unwrap_or(first);
                    note.element = Some(ElementNote {
                        position: element.parse().map_err(|_| ReadError::InvalidElement {
                            position: s.position,
                            element: "AK401".into(),
                            value: first.to_string(),
                            expected: "an element position",
                        })?,
                        code: s.req_string(3)?,
                        value: s.opt_string(4),
                    });
                }
                "AK5" => {
                    let Some(t) = ack.transactions.last_mut() else {
                        return Err(ReadError::Structure {
                            position: s.position,
                            segment: "AK5".into(),
                            problem: "AK5 before any AK2".into(),
                        });
                    };
                    t.code = AckCode::from_code(s.req(1)?);
                    t.errors = (2..s.seg.elements.len())
                        .filter_map(|i| s.opt(i))
                        .map(SetError::from_code)
                        .collect();
                }
                _ => {}
            }
        }
        Ok(ack)
    }
}

fn set_ack(tx: &Transaction) -> SetAck {
    let errors: Vec<SetError> = transaction_problems(tx)
        .into_iter()
        .map(|p| match p {
            EnvelopeProblem::TransactionControlNumber { .. } => SetError::ControlNumberMismatch,
            _ => SetError::SegmentCountMismatch,
        })
        .collect();
    SetAck {
        set_id: tx.set_id.clone(),
        control_number: tx.control_number.clone(),
        code: if errors.is_empty() {
            AckCode::Accepted
        } else {
            AckCode::Rejected
        },
        errors,
        notes: Vec::new(),
    }
}
