//! Trailer checks: SE01/SE02, GE01/GE02, IEA01/IEA02. Run by the parser and again by the 997
//! builder, which works from a parsed group.
//!
//! Control numbers are compared as numbers when both sides are all digits (so `000000089` and
//! `89` agree, as many translators pad differently in header and trailer) and exactly otherwise.

use crate::error::EnvelopeProblem;
use crate::model::{Group, Interchange, Transaction};

pub(crate) fn same_control_number(header: &str, trailer: &str) -> bool {
    let (h, t) = (header.trim(), trailer.trim());
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if numeric(h) && numeric(t) {
        h.trim_start_matches('0') == t.trim_start_matches('0')
    } else {
        h == t
    }
}

fn count_matches(declared: &str, actual: usize) -> bool {
    declared.trim().parse::<usize>().is_ok_and(|n| n == actual)
}

/// SE01 and SE02 of one transaction set.
pub fn transaction_problems(tx: &Transaction) -> Vec<EnvelopeProblem> {
    let mut out = Vec::new();
    let Some(se) = tx.segments.last().filter(|s| s.id() == "SE") else {
        return out;
    };
    let position = tx.position + tx.segments.len() - 1;
    let declared = se.element(1).unwrap_or("");
    if !count_matches(declared, tx.segments.len()) {
        out.push(EnvelopeProblem::SegmentCount {
            position,
            control_number: tx.control_number.clone(),
            declared: declared.to_string(),
            actual: tx.segments.len(),
        });
    }
    let trailer = se.element(2).unwrap_or("");
    if !same_control_number(&tx.control_number, trailer) {
        out.push(EnvelopeProblem::TransactionControlNumber {
            position,
            header: tx.control_number.clone(),
            trailer: trailer.to_string(),
        });
    }
    out
}

/// GE01 and GE02 of one group (not its transaction sets).
pub fn group_problems(group: &Group) -> Vec<EnvelopeProblem> {
    let mut out = Vec::new();
    let ge = &group.envelope.trailer;
    let position = group.envelope.trailer_position;
    let declared = ge.element(1).unwrap_or("");
    if !count_matches(declared, group.transactions.len()) {
        out.push(EnvelopeProblem::TransactionSetCount {
            position,
            control_number: group.control_number.clone(),
            declared: declared.to_string(),
            actual: group.transactions.len(),
        });
    }
    let trailer = ge.element(2).unwrap_or("");
    if !same_control_number(&group.control_number, trailer) {
        out.push(EnvelopeProblem::GroupControlNumber {
            position,
            header: group.control_number.clone(),
            trailer: trailer.to_string(),
        });
    }
    out
}

/// IEA01 and IEA02 of one interchange (not its groups).
pub fn interchange_problems(interchange: &Interchange) -> Vec<EnvelopeProblem> {
    let mut out = Vec::new();
    let iea = &interchange.envelope.trailer;
    let position = interchange.envelope.trailer_position;
    let declared = iea.element(1).unwrap_or("");
    if !count_matches(declared, interchange.groups.len()) {
        out.push(EnvelopeProblem::GroupCount {
            position,
            control_number: interchange.control_number.clone(),
            declared: declared.to_string(),
            actual: interchange.groups.len(),
        });
    }
    let trailer = iea.element(2).unwrap_or("");
    if !same_control_number(&interchange.control_number, trailer) {
        out.push(EnvelopeProblem::InterchangeControlNumber {
            position,
            header: interchange.control_number.clone(),
            trailer: trailer.to_string(),
        });
    }
    out
}

/// Every problem in an interchange, innermost first within each group, in file order.
pub fn all_problems(interchange: &Interchange) -> Vec<EnvelopeProblem> {
    let mut out = Vec::new();
    for group in &interchange.groups {
        for tx in &group.transactions {
            out.extend(transaction_problems(tx));
        }
        out.extend(group_problems(group));
    }
    out.extend(interchange_problems(interchange));
    out
}

#[cfg(test)]
mod tests {
    use super::same_control_number;

    #[test]
    fn numeric_control_numbers_ignore_padding() {
        assert!(same_control_number("000000089", "89"));
        assert!(same_control_number("0", "000"));
        assert!(!same_control_number("000000055", "000000001"));
        assert!(same_control_number("A1", "A1"));
        assert!(!same_control_number("A1", "A01"));
    }
}
