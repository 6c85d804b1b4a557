//! Reading and writing elements for the typed documents, with errors that name the segment's
//! position in its transaction set (ST = 1, as a 997's AK3 counts) and the element (`BEG03`).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use thiserror::Error;

use crate::model::{Segment, Transaction};

/// Why a transaction set could not be read as a typed document.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReadError {
    #[error("transaction set {found} is not a {expected}")]
    WrongSet {
        expected: &'static str,
        found: String,
    },
    #[error("{set}: required segment {segment} is missing")]
    MissingSegment {
        set: &'static str,
        segment: &'static str,
    },
    #[error("segment {position} ({element}): required element is missing")]
    MissingElement { position: usize, element: String },
    #[error("segment {position} ({element}): {value:?} is not {expected}")]
    InvalidElement {
        position: usize,
        element: String,
        value: String,
        expected: &'static str,
    },
    #[error(
        "segment {position} ({element}): declares {declared}, the transaction set has {actual}"
    )]
    CountMismatch {
        position: usize,
        element: String,
        declared: String,
        actual: usize,
    },
    #[error("segment {position} ({segment}): {problem}")]
    Structure {
        position: usize,
        segment: String,
        problem: String,
    },
}

impl ReadError {
    /// Position of the segment at fault within its transaction set (ST = 1), when there is one.
    pub fn position(&self) -> Option<usize> {
        match self {
            ReadError::MissingElement { position, .. }
            | ReadError::InvalidElement { position, .. }
            | ReadError::CountMismatch { position, .. }
            | ReadError::Structure { position, .. } => Some(*position),
            ReadError::WrongSet { .. } | ReadError::MissingSegment { .. } => None,
        }
    }
}

/// A body segment together with its position in the transaction set.
#[derive(Clone, Copy)]
pub(crate) struct Seg<'a> {
    pub seg: &'a Segment,
    pub position: usize,
}

/// The body segments of `tx` (ST and SE excluded), after checking the set id.
pub(crate) fn body<'a>(
    tx: &'a Transaction,
    expected: &'static str,
) -> Result<Vec<Seg<'a>>, ReadError> {
    if tx.set_id != expected {
        return Err(ReadError::WrongSet {
            expected,
            found: tx.set_id.clone(),
        });
    }
    Ok(tx
        .body()
        .iter()
        .enumerate()
        .map(|(i, seg)| Seg {
            seg,
            position: i + 2,
        })
        .collect())
}

impl<'a> Seg<'a> {
    pub fn id(&self) -> &'a str {
        self.seg.id()
    }

    pub fn name(&self, index: usize) -> String {
        format!("{}{index:02}", self.id())
    }

    /// Trimmed element, `None` when absent or blank.
    pub fn opt(&self, index: usize) -> Option<&'a str> {
        self.seg
            .element(index)
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }

    pub fn opt_string(&self, index: usize) -> Option<String> {
        self.opt(index).map(str::to_string)
    }

    pub fn req(&self, index: usize) -> Result<&'a str, ReadError> {
        self.opt(index).ok_or_else(|| ReadError::MissingElement {
            position: self.position,
            element: self.name(index),
        })
    }

    pub fn req_string(&self, index: usize) -> Result<String, ReadError> {
        self.req(index).map(str::to_string)
    }

    fn invalid(&self, index: usize, value: &str, expected: &'static str) -> ReadError {
        ReadError::InvalidElement {
            position: self.position,
            element: self.name(index),
            value: value.to_string(),
            expected,
        }
    }

    pub fn opt_decimal(&self, index: usize) -> Result<Option<Decimal>, ReadError> {
        self.opt(index)
            .map(|v| {
                v.parse::<Decimal>()
                    .map_err(|_| self.invalid(index, v, "a decimal number"))
            })
            .transpose()
    }

    pub fn req_decimal(&self, index: usize) -> Result<Decimal, ReadError> {
        let v = self.req(index)?;
        v.parse::<Decimal>()
            .map_err(|_| self.invalid(index, v, "a decimal number"))
    }

    /// An N2 amount: digits with two implied decimals (`36596` is 365.96).
    pub fn req_implied_cents(&self, index: usize) -> Result<Decimal, ReadError> {
        let v = self.req(index)?;
        let digits = v.strip_prefix('-').unwrap_or(v);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.invalid(index, v, "an amount with 2 implied decimals"));
        }
        let n: i64 = v
            .parse()
            .map_err(|_| self.invalid(index, v, "an amount with 2 implied decimals"))?;
        Ok(Decimal::new(n, 2))
    }

    /// CCYYMMDD, or YYMMDD as older partners send.
    pub fn opt_date(&self, index: usize) -> Result<Option<NaiveDate>, ReadError> {
        self.opt(index)
            .map(|v| {
                let format = match v.len() {
                    8 => "%Y%m%d",
                    6 => "%y%m%d",
                    _ => return Err(self.invalid(index, v, "a date (CCYYMMDD)")),
                };
                NaiveDate::parse_from_str(v, format)
                    .map_err(|_| self.invalid(index, v, "a date (CCYYMMDD)"))
            })
            .transpose()
    }

    pub fn req_date(&self, index: usize) -> Result<NaiveDate, ReadError> {
        self.req(index)?;
        self.opt_date(index)?
            .ok_or_else(|| ReadError::MissingElement {
                position: self.position,
                element: self.name(index),
            })
    }

    /// Qualifier/id pairs starting at `first` (`PO106`/`PO107`, `PO108`/`PO109`, …), skipping
    /// pairs with a blank side.
    pub fn id_pairs(&self, first: usize) -> impl Iterator<Item = (&'a str, &'a str)> + '_ {
        let n = self.seg.elements.len();
        (first..n)
            .step_by(2)
            .filter_map(move |i| match (self.opt(i), self.opt(i + 1)) {
                (Some(q), Some(id)) => Some((q, id)),
                _ => None,
            })
    }
}

/// First segment with `id`, required.
pub(crate) fn find<'a>(
    segs: &[Seg<'a>],
    set: &'static str,
    id: &'static str,
) -> Result<Seg<'a>, ReadError> {
    segs.iter()
        .find(|s| s.id() == id)
        .copied()
        .ok_or(ReadError::MissingSegment { set, segment: id })
}

/// Checks CTT01 against the number of line segments, when a CTT is present.
pub(crate) fn check_ctt(segs: &[Seg<'_>], lines: usize) -> Result<(), ReadError> {
    if let Some(ctt) = segs.iter().find(|s| s.id() == "CTT")
        && let Some(declared) = ctt.opt(1)
        && declared.parse::<usize>().ok() != Some(lines)
    {
        return Err(ReadError::CountMismatch {
            position: ctt.position,
            element: "CTT01".into(),
            declared: declared.to_string(),
            actual: lines,
        });
    }
    Ok(())
}

// ---- writing ----

/// X12 decimals carry no insignificant zeros (`19.50` is sent as `19.5`).
pub(crate) fn decimal(d: &Decimal) -> String {
    d.normalize().to_string()
}

pub(crate) fn date(d: &NaiveDate) -> String {
    d.format("%Y%m%d").to_string()
}

pub(crate) fn opt(v: &Option<String>) -> String {
    v.as_deref().map(str::trim).unwrap_or("").to_string()
}

/// A required value, refused when blank.
pub(crate) fn req(field: &str, v: &str) -> Result<String, crate::RenderError> {
    let v = v.trim();
    if v.is_empty() {
        return Err(crate::RenderError::missing(field));
    }
    Ok(v.to_string())
}

pub(crate) fn seg<const N: usize>(id: &str, elements: [String; N]) -> Segment {
    Segment::new(id, elements)
}
