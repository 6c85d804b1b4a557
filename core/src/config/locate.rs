//! Dotted path (`channels[1].access_token`) → where it is written, so the issues
//! `Config::validate` finds on typed data can point at a line.

use super::tree::{Node, NodeKind, Pos};

/// The position of the node at `path`. A part that is absent (a missing field) resolves to the
/// nearest ancestor that exists: the mapping the field belongs in.
pub(crate) fn position_of(root: &Node, path: &str) -> Pos {
    let mut node = root;
    let mut pos = root.start;
    for step in steps(path) {
        let next = match (&node.kind, step) {
            (NodeKind::Map(entries), Step::Key(key)) => {
                entries.iter().find(|e| e.key == key).map(|e| {
                    // A scalar is pointed at itself; a block collection at its key's line.
                    let at = match e.value.kind {
                        NodeKind::Scalar(_) => e.value.start,
                        _ => e.key_pos,
                    };
                    (&e.value, at)
                })
            }
            (NodeKind::Seq(items), Step::Index(i)) => items.get(i).map(|n| (n, n.start)),
            _ => None,
        };
        match next {
            Some((n, at)) => {
                node = n;
                pos = at;
            }
            None => break,
        }
    }
    pos
}

#[derive(Debug, PartialEq, Eq)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// `a.b[2][0].c` → `a`, `b`, `2`, `0`, `c`. An unreadable index ends the walk there.
fn steps(path: &str) -> Vec<Step<'_>> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, mut rest) = part.split_at(part.find('[').unwrap_or(part.len()));
        if !key.is_empty() {
            out.push(Step::Key(key));
        }
        while let Some(inner) = rest.strip_prefix('[') {
            let Some((index, after)) = inner.split_once(']') else {
                return out;
            };
            let Ok(index) = index.parse() else {
                return out;
            };
            out.push(Step::Index(index));
            rest = after;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tree::parse;

    const TEXT: &str = "\
channels:
  - id: a
    stock:
      buffer: 1
  - id: b
    locations: [x, y]
";

    fn at(path: &str) -> (usize, usize) {
        let root = parse(TEXT).unwrap().root.unwrap();
        let p = position_of(&root, path);
        (p.line, p.column)
    }

    #[test]
    fn finds_scalars_items_and_keys() {
        assert_eq!(at("channels[1].id"), (5, 9));
        assert_eq!(at("channels[0].stock"), (3, 5));
        assert_eq!(at("channels[0].stock.buffer"), (4, 15));
        assert_eq!(at("channels[1].locations[1]"), (6, 20));
        assert_eq!(at("channels[1]"), (5, 5));
    }

    #[test]
    fn empty_value_points_at_its_key() {
        let root = parse("a: 1\nchannels:\n").unwrap().root.unwrap();
        assert_eq!(position_of(&root, "channels"), Pos { line: 2, column: 1 });
    }

    #[test]
    fn missing_parts_fall_back_to_the_parent() {
        assert_eq!(at("channels[1].access_token"), (5, 5));
        assert_eq!(at("channels[7].id"), (1, 1));
        assert_eq!(at("nothing"), (1, 1));
    }

    #[test]
    fn parses_steps() {
        assert_eq!(
            steps("a.b[2][0].c"),
            [
                Step::Key("a"),
                Step::Key("b"),
                Step::Index(2),
                Step::Index(0),
                Step::Key("c")
            ]
        );
    }
}
