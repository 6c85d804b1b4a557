//! Parse errors and envelope findings. Positions are 1-based segment numbers counted from the
//! start of the file (the first ISA is segment 1), so an operator can find the segment.

use thiserror::Error;

/// Why a file could not be turned into interchanges at all.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseError {
    #[error("empty input: no ISA header")]
    Empty,
    #[error("byte {offset}: expected an ISA header, found {found:?}")]
    ExpectedIsa { offset: usize, found: String },
    #[error("segment {position} (ISA): {problem}")]
    BadIsa { position: usize, problem: String },
    #[error("segment {position} ({segment}): unexpected here, expected {expected}")]
    UnexpectedSegment {
        position: usize,
        segment: String,
        expected: &'static str,
    },
    #[error("segment {position} ({segment}): {what} is never closed by {closer}")]
    Unclosed {
        position: usize,
        segment: &'static str,
        what: String,
        closer: &'static str,
    },
    #[error("segment {position} ({element}): required element is missing")]
    MissingElement {
        position: usize,
        element: &'static str,
    },
    /// A count or control-number mismatch, reported by the strict [`crate::parse`].
    #[error("{0}")]
    Envelope(#[from] EnvelopeProblem),
}

/// A count or control number in a trailer that disagrees with its header or content. The
/// lenient parse collects these; the strict one fails on the first.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EnvelopeProblem {
    #[error(
        "segment {position} (SE01): declares {declared} segments, transaction set {control_number} has {actual}"
    )]
    SegmentCount {
        position: usize,
        control_number: String,
        declared: String,
        actual: usize,
    },
    #[error("segment {position} (SE02): {trailer:?} does not match ST02 {header:?}")]
    TransactionControlNumber {
        position: usize,
        header: String,
        trailer: String,
    },
    #[error(
        "segment {position} (GE01): declares {declared} transaction sets, group {control_number} has {actual}"
    )]
    TransactionSetCount {
        position: usize,
        control_number: String,
        declared: String,
        actual: usize,
    },
    #[error("segment {position} (GE02): {trailer:?} does not match GS06 {header:?}")]
    GroupControlNumber {
        position: usize,
        header: String,
        trailer: String,
    },
    #[error(
        "segment {position} (IEA01): declares {declared} groups, interchange {control_number} has {actual}"
    )]
    GroupCount {
        position: usize,
        control_number: String,
        declared: String,
        actual: usize,
    },
    #[error("segment {position} (IEA02): {trailer:?} does not match ISA13 {header:?}")]
    InterchangeControlNumber {
        position: usize,
        header: String,
        trailer: String,
    },
}

impl EnvelopeProblem {
    /// Segment number of the trailer that disagrees.
    pub fn position(&self) -> usize {
        match self {
            EnvelopeProblem::SegmentCount { position, .. }
            | EnvelopeProblem::TransactionControlNumber { position, .. }
            | EnvelopeProblem::TransactionSetCount { position, .. }
            | EnvelopeProblem::GroupControlNumber { position, .. }
            | EnvelopeProblem::GroupCount { position, .. }
            | EnvelopeProblem::InterchangeControlNumber { position, .. } => *position,
        }
    }

    /// The element at fault, e.g. `"SE01"`.
    pub fn element(&self) -> &'static str {
        match self {
            EnvelopeProblem::SegmentCount { .. } => "SE01",
            EnvelopeProblem::TransactionControlNumber { .. } => "SE02",
            EnvelopeProblem::TransactionSetCount { .. } => "GE01",
            EnvelopeProblem::GroupControlNumber { .. } => "GE02",
            EnvelopeProblem::GroupCount { .. } => "IEA01",
            EnvelopeProblem::InterchangeControlNumber { .. } => "IEA02",
        }
    }
}
