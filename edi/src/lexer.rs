//! Bytes → segments. Works on bytes so non-ASCII (or non-UTF-8) data never shifts a
//! separator; elements are decoded as UTF-8 where valid and lossily (U+FFFD) where not.
//!
//! Tolerated: a UTF-8 BOM (also before a later interchange), whitespace and line breaks
//! between segments, empty segments (`$$`), short ISA fields, a line break as the terminator,
//! and one real-world mix: a file whose ISA declares one terminator while some segments end in
//! `~` plus a line break. There, a line break followed by a segment id and the element separator
//! also ends a segment, and a `~` right before that line break is dropped.

use crate::error::ParseError;
use crate::separators::Separators;

/// A segment as lexed, with its 1-based position in the file.
pub(crate) struct RawSegment {
    pub position: usize,
    pub elements: Vec<String>,
}

/// One ISA … IEA run of segments (the IEA may be missing if the file is cut short).
pub(crate) struct RawInterchange {
    pub separators: Separators,
    pub segments: Vec<RawSegment>,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0x0B | 0x0C)
}

/// Skips whitespace, BOMs, NULs, DOS end-of-file marks and stray repeats of the previous
/// interchange's terminator (`IEA*…$$`) between interchanges.
fn skip_filler(input: &[u8], mut pos: usize, terminator: Option<u8>) -> usize {
    loop {
        if input[pos..].starts_with(BOM) {
            pos += BOM.len();
        } else if pos < input.len()
            && (is_space(input[pos])
                || matches!(input[pos], 0 | 0x1A)
                || Some(input[pos]) == terminator)
        {
            pos += 1;
        } else {
            return pos;
        }
    }
}

fn trim(mut b: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = b {
        if is_space(*first) {
            b = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = b {
        if is_space(*last) {
            b = rest;
        } else {
            break;
        }
    }
    b
}

fn decode(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

pub(crate) fn lex(input: &[u8]) -> Result<Vec<RawInterchange>, ParseError> {
    let mut out = Vec::new();
    let mut pos = 0;
    let mut position = 0;
    let mut terminator = None;
    loop {
        pos = skip_filler(input, pos, terminator);
        if pos >= input.len() {
            break;
        }
        if !input[pos..].starts_with(b"ISA") {
            let end = (pos + 20).min(input.len());
            return Err(ParseError::ExpectedIsa {
                offset: pos,
                found: decode(&input[pos..end]),
            });
        }
        position += 1;
        let (interchange, next) = lex_interchange(input, pos, &mut position)?;
        terminator = Some(interchange.separators.segment);
        out.push(interchange);
        pos = next;
    }
    if out.is_empty() {
        return Err(ParseError::Empty);
    }
    Ok(out)
}

/// Reads the ISA at `start` by counting 16 element separators (never by fixed offsets, since
/// real files have short fields), then the segments up to and including IEA.
fn lex_interchange(
    input: &[u8],
    start: usize,
    position: &mut usize,
) -> Result<(RawInterchange, usize), ParseError> {
    let isa_position = *position;
    let bad = |problem: String| ParseError::BadIsa {
        position: isa_position,
        problem,
    };
    let element = *input
        .get(start + 3)
        .ok_or_else(|| bad("cut short after \"ISA\"".into()))?;
    let mut seen = 0;
    let mut i = start + 3;
    while seen < 16 {
        if i >= input.len() {
            return Err(bad(format!(
                "cut short: {seen} of 16 elements before the end of input"
            )));
        }
        if input[i] == element {
            seen += 1;
        }
        i += 1;
    }
    // `i` is ISA16, the component separator.
    let component = *input
        .get(i)
        .ok_or_else(|| bad("ISA16 (component separator) is missing".into()))?;
    let mut t = i + 1;
    while t < input.len() && matches!(input[t], b' ' | b'\t') {
        t += 1;
    }
    let (segment, rest_start) = match input.get(t) {
        None | Some(b'\r') | Some(b'\n') => (b'\n', i + 1),
        Some(&b) => (b, t + 1),
    };
    let separators = Separators {
        element,
        component,
        segment,
        line_break: segment != b'\n',
    };
    if let Some(problem) = separators.problem() {
        return Err(bad(problem));
    }
    let isa_elements: Vec<String> = input[start..i + 1]
        .split(|&b| b == element)
        .map(decode)
        .collect();
    let mut segments = vec![RawSegment {
        position: isa_position,
        elements: isa_elements,
    }];

    let mut pos = rest_start;
    let mut found = Vec::new();
    while pos < input.len() {
        let end = input[pos..]
            .iter()
            .position(|&b| b == segment)
            .map_or(input.len(), |k| pos + k);
        let chunk = &input[pos..end];
        let chunk_start = pos;
        pos = end + 1;
        pieces(chunk, &separators, &mut found);
        for &(piece, piece_end) in &found {
            *position += 1;
            let count = piece.iter().filter(|&&b| b == element).count() + 1;
            let mut elements = Vec::with_capacity(count);
            elements.extend(piece.split(|&b| b == element).map(decode));
            let is_iea = elements.first().is_some_and(|id| id == "IEA");
            segments.push(RawSegment {
                position: *position,
                elements,
            });
            if is_iea {
                // Anything after IEA in the same chunk starts the next interchange.
                let next = if piece_end < chunk.len() {
                    chunk_start + piece_end
                } else {
                    end + 1
                };
                return Ok((
                    RawInterchange {
                        separators,
                        segments,
                    },
                    next.min(input.len()),
                ));
            }
        }
    }
    Ok((
        RawInterchange {
            separators,
            segments,
        },
        input.len(),
    ))
}

/// The non-empty segments in one terminator-delimited chunk, each with the offset in the chunk
/// where it ends, into `out` (reused across chunks to spare an allocation per segment).
/// Usually one; more only in the mixed-terminator case described above.
fn pieces<'a>(chunk: &'a [u8], seps: &Separators, out: &mut Vec<(&'a [u8], usize)>) {
    out.clear();
    let trimmed = trim(chunk);
    if trimmed.is_empty() {
        return;
    }
    if seps.segment == b'\n' || !trimmed.contains(&b'\n') {
        out.push((trimmed, chunk.len()));
        return;
    }
    // Split at line breaks that are followed by something shaped like a segment start.
    let mut piece_start = 0;
    let mut k = 0;
    while let Some(off) = chunk[k..].iter().position(|&b| b == b'\n') {
        let nl = k + off;
        k = nl + 1;
        if nl < piece_start {
            // Already skipped as blank space before the current piece.
            continue;
        }
        let next_line = &chunk[nl + 1..];
        let skip = next_line
            .iter()
            .position(|&b| !is_space(b))
            .unwrap_or(next_line.len());
        if starts_segment(&next_line[skip..], seps.element) {
            let mut piece = trim(&chunk[piece_start..nl]);
            if let [rest @ .., b'~'] = piece
                && seps.element != b'~'
                && seps.component != b'~'
            {
                piece = trim(rest);
            }
            if !piece.is_empty() {
                out.push((piece, nl + 1));
            }
            piece_start = nl + 1 + skip;
        }
    }
    let last = trim(&chunk[piece_start..]);
    if !last.is_empty() {
        out.push((last, chunk.len()));
    }
}

/// A segment id (a letter then one or two letters or digits) followed by the element separator.
fn starts_segment(line: &[u8], element: u8) -> bool {
    let id_len = line.iter().take(4).position(|&b| b == element).unwrap_or(0);
    (2..=3).contains(&id_len)
        && line[0].is_ascii_uppercase()
        && line[..id_len]
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_start_needs_an_id_and_the_separator() {
        assert!(starts_segment(b"N3*123", b'*'));
        assert!(starts_segment(b"ISA*00", b'*'));
        assert!(!starts_segment(b"n3*123", b'*'));
        assert!(!starts_segment(b"N*1", b'*'));
        assert!(!starts_segment(b"ABCD*1", b'*'));
        assert!(!starts_segment(b"Suite 5", b'*'));
    }
}
