//! Inputs made from the project's own fixtures: a seed chosen by index, then a few edits. JSON
//! seeds get value-level edits (a field replaced by a hostile value, or removed) before the
//! byte-level ones, so the normalizers see well-formed documents with bad values as well as
//! broken bytes. The same [`Mutation`] is what bolero generates under `cargo test` and what
//! libFuzzer's bytes are decoded into under `cargo bolero test`, so every engine starts from
//! the fixtures without a corpus directory.

use bolero::TypeGenerator;
use serde_json::Value;

#[derive(Debug, Clone, TypeGenerator)]
pub struct Mutation {
    pub seed: u16,
    #[generator(Vec::produce().with().len(0usize..6))]
    pub edits: Vec<Edit>,
}

#[derive(Debug, Clone, TypeGenerator)]
pub enum Edit {
    /// Replace the `node`-th JSON value (depth first) with `value`.
    SetJson {
        node: u32,
        value: Hostile,
    },
    /// Remove the `node`-th JSON value from its object or array.
    RemoveJson {
        node: u32,
    },
    /// Overwrite one byte.
    Byte {
        at: u32,
        byte: u8,
    },
    /// Insert a token that matters to one of the formats read.
    Token {
        at: u32,
        token: u8,
    },
    /// Insert arbitrary bytes.
    Bytes {
        at: u32,
        #[generator(Vec::produce().with().len(0usize..24))]
        bytes: Vec<u8>,
    },
    Delete {
        at: u32,
        len: u8,
    },
    Duplicate {
        at: u32,
        len: u8,
    },
    Truncate {
        at: u32,
    },
}

/// Values that have broken parsers before: extremes, wrong types, control characters.
#[derive(Debug, Clone, TypeGenerator)]
pub enum Hostile {
    Null,
    Bool(bool),
    Int(i64),
    Unsigned(u64),
    Float(f64),
    Text(String),
    Palette(u8),
    EmptyArray,
    EmptyObject,
}

const PALETTE: &[&str] = &[
    "0",
    "-1",
    "2147483648",
    "4294967296",
    "18446744073709551616",
    "-9223372036854775809",
    "1e308",
    "-1e308",
    "1e-400",
    "0.000000000000000000000000000001",
    "79228162514264337593543950336",
    "\"\"",
    "\" \"",
    "\"-0.01\"",
    "\"1e30\"",
    "\"NaN\"",
    "\"abc\"",
    "\"2026-02-30T25:61:61Z\"",
    "\"9999-12-31T23:59:59+99:00\"",
    "\"0000-01-01\"",
    "\"A\\u0007B\"",
    "\"\\u0000\"",
    "\"\\ud800\"",
    "\"é\"",
    "[1,[2,[3]]]",
    "{\"amount\":\"-5\",\"currency\":\"\"}",
    "{\"amount\":1,\"divisor\":0}",
];

const TOKENS: &[&[u8]] = &[
    b"*",
    b"~",
    b"|",
    b">",
    b":",
    b"^",
    b"\n",
    b"\r\n",
    b"\0",
    b"\xEF\xBB\xBF",
    b"ISA",
    b"GS*",
    b"ST*",
    b"SE*",
    b"GE*",
    b"IEA*",
    b"HL*",
    b"LIN*",
    b"QTY*",
    b"N1*",
    b"\"",
    b",",
    b"{",
    b"}",
    b"[",
    b"]",
    b"\\u0000",
    b"-",
    b"9999999999999999999999",
    b"${",
    b"${X}",
    b": ",
    b"- ",
    b"&",
    b"*1",
    b"---\n",
    b"!!",
    b"\xff",
];

/// The bytes this mutation makes of the seeds (an empty input when there are none).
pub fn apply(mutation: &Mutation, seeds: &[Vec<u8>]) -> Vec<u8> {
    let Some(seed) = (!seeds.is_empty()).then(|| &seeds[usize::from(mutation.seed) % seeds.len()])
    else {
        return Vec::new();
    };
    let json_edits = mutation
        .edits
        .iter()
        .any(|e| matches!(e, Edit::SetJson { .. } | Edit::RemoveJson { .. }));
    let mut out = match json_edits
        .then(|| serde_json::from_slice::<Value>(seed).ok())
        .flatten()
    {
        Some(mut doc) => {
            for edit in &mutation.edits {
                match edit {
                    Edit::SetJson { node, value } => {
                        if let Some(slot) = nth_node(&mut doc, *node) {
                            *slot = hostile(value);
                        }
                    }
                    Edit::RemoveJson { node } => remove_nth(&mut doc, *node),
                    _ => {}
                }
            }
            serde_json::to_vec(&doc).unwrap_or_else(|_| seed.clone())
        }
        None => seed.clone(),
    };
    for edit in &mutation.edits {
        let at = |at: u32, len: usize| (at as usize) % (len + 1);
        match edit {
            Edit::Byte { at: a, byte } if !out.is_empty() => {
                let i = (*a as usize) % out.len();
                out[i] = *byte;
            }
            Edit::Token { at: a, token } => {
                let i = at(*a, out.len());
                let t = TOKENS[usize::from(*token) % TOKENS.len()];
                out.splice(i..i, t.iter().copied());
            }
            Edit::Bytes { at: a, bytes } => {
                let i = at(*a, out.len());
                out.splice(i..i, bytes.iter().copied());
            }
            Edit::Delete { at: a, len } => {
                let i = at(*a, out.len());
                let end = (i + usize::from(*len)).min(out.len());
                out.drain(i..end);
            }
            Edit::Duplicate { at: a, len } => {
                let i = at(*a, out.len());
                let end = (i + usize::from(*len)).min(out.len());
                let copy = out[i..end].to_vec();
                out.splice(end..end, copy);
            }
            Edit::Truncate { at: a } => {
                let i = at(*a, out.len());
                out.truncate(i);
            }
            _ => {}
        }
    }
    out
}

fn hostile(value: &Hostile) -> Value {
    match value {
        Hostile::Null => Value::Null,
        Hostile::Bool(b) => Value::Bool(*b),
        Hostile::Int(i) => Value::from(*i),
        Hostile::Unsigned(u) => Value::from(*u),
        Hostile::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        Hostile::Text(s) => Value::String(s.clone()),
        Hostile::Palette(i) => {
            serde_json::from_str(PALETTE[usize::from(*i) % PALETTE.len()]).unwrap_or(Value::Null)
        }
        Hostile::EmptyArray => Value::Array(Vec::new()),
        Hostile::EmptyObject => Value::Object(serde_json::Map::new()),
    }
}

fn count(doc: &Value) -> u32 {
    1 + match doc {
        Value::Array(items) => items.iter().map(count).sum(),
        Value::Object(map) => map.values().map(count).sum(),
        _ => 0,
    }
}

/// The `n`-th value depth first (modulo the number of values; the root is never picked
/// unless it is the only value).
fn nth_node(doc: &mut Value, n: u32) -> Option<&mut Value> {
    let total = count(doc);
    let target = if total > 1 { 1 + n % (total - 1) } else { 0 };
    let mut seen = 0;
    find(doc, target, &mut seen)
}

fn find<'a>(doc: &'a mut Value, target: u32, seen: &mut u32) -> Option<&'a mut Value> {
    if *seen == target {
        return Some(doc);
    }
    *seen += 1;
    match doc {
        Value::Array(items) => {
            for item in items {
                if let Some(found) = find(item, target, seen) {
                    return Some(found);
                }
            }
            None
        }
        Value::Object(map) => {
            for item in map.values_mut() {
                if let Some(found) = find(item, target, seen) {
                    return Some(found);
                }
            }
            None
        }
        _ => None,
    }
}

/// Removes the `n`-th container member (modulo their number), depth first.
fn remove_nth(doc: &mut Value, n: u32) {
    fn members(doc: &Value) -> u32 {
        match doc {
            Value::Array(items) => items.len() as u32 + items.iter().map(members).sum::<u32>(),
            Value::Object(map) => map.len() as u32 + map.values().map(members).sum::<u32>(),
            _ => 0,
        }
    }
    fn go(doc: &mut Value, target: u32, seen: &mut u32) -> bool {
        match doc {
            Value::Array(items) => {
                for i in 0..items.len() {
                    if *seen == target {
                        items.remove(i);
                        return true;
                    }
                    *seen += 1;
                    if go(&mut items[i], target, seen) {
                        return true;
                    }
                }
                false
            }
            Value::Object(map) => {
                let keys: Vec<String> = map.keys().cloned().collect();
                for key in keys {
                    if *seen == target {
                        map.remove(&key);
                        return true;
                    }
                    *seen += 1;
                    if let Some(child) = map.get_mut(&key)
                        && go(child, target, seen)
                    {
                        return true;
                    }
                }
                false
            }
            _ => false,
        }
    }
    let total = members(doc);
    if total > 0 {
        go(doc, n % total, &mut 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_edits_reach_nested_values_and_byte_edits_stay_in_bounds() {
        let seeds = vec![br#"{"a":{"b":[1,2]},"c":"x"}"#.to_vec()];
        let set = Mutation {
            seed: 7,
            edits: vec![Edit::SetJson {
                node: 3,
                value: Hostile::Palette(2),
            }],
        };
        assert_eq!(
            apply(&set, &seeds),
            br#"{"a":{"b":[1,2147483648]},"c":"x"}"#
        );
        let remove = Mutation {
            seed: 0,
            edits: vec![Edit::RemoveJson { node: 0 }],
        };
        assert_eq!(apply(&remove, &seeds), br#"{"c":"x"}"#);
        let bytes = Mutation {
            seed: 0,
            edits: vec![
                Edit::Delete {
                    at: u32::MAX,
                    len: 255,
                },
                Edit::Truncate { at: 3 },
                Edit::Duplicate { at: 1, len: 9 },
                Edit::Byte { at: 99, byte: b'!' },
            ],
        };
        assert_eq!(apply(&bytes, &seeds), br#"{"a"!"#);
        assert!(apply(&bytes, &[]).is_empty());
    }
}
