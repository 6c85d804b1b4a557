//! YAML text → a generic tree whose every node remembers where it was written, so that each
//! later error (type, unknown field, validation) can name a line and column.

use std::collections::HashMap;
use std::ops::Range;

use serde_saphyr::granit_parser::{Event, Marker, Options, Parser, ScalarStyle, ScanError, Span};

/// Deeper nesting than this is refused instead of risking the stack on hostile input.
const MAX_DEPTH: usize = 64;
/// Cap on nodes, aliases included, so a small file of nested aliases cannot exhaust memory.
const MAX_NODES: usize = 100_000;

/// A 1-based line and column, as editors show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub(crate) struct Pos {
    pub line: usize,
    pub column: usize,
}

impl Pos {
    fn from_marker(m: &Marker) -> Self {
        Pos {
            line: m.line(),
            column: m.col() + 1,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Node {
    /// Unique within one tree; lets the error collector prune exactly this node.
    pub id: usize,
    pub start: Pos,
    /// A pruned node is skipped by the deserializer but keeps its place, so later
    /// sequence indices in error paths still match the file.
    pub pruned: bool,
    pub kind: NodeKind,
}

#[derive(Debug, Clone)]
pub(crate) enum NodeKind {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Debug, Clone)]
pub(crate) struct Scalar {
    pub text: String,
    /// Only plain scalars are resolved to null, bool or numbers; quoted ones are strings.
    pub plain: bool,
    /// Byte range of the scalar in the source, to find `${VAR}` positions in it.
    pub source: Option<Range<usize>>,
}

#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub key: String,
    pub key_pos: Pos,
    pub value: Node,
}

impl Node {
    pub(crate) fn is_null(&self) -> bool {
        matches!(&self.kind, NodeKind::Scalar(s) if s.plain && is_null_text(&s.text))
    }
}

pub(crate) fn is_null_text(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

/// A problem found while reading the YAML itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TreeProblem {
    pub pos: Pos,
    pub field: String,
    pub message: String,
}

/// The document, and problems that do not stop reading it (such as duplicate keys).
#[derive(Debug)]
pub(crate) struct Parsed {
    /// `None` when the file holds no document or only an empty one.
    pub root: Option<Node>,
    pub problems: Vec<TreeProblem>,
}

/// Reads one YAML document. A syntax error stops reading and is returned as the only problem.
pub(crate) fn parse(text: &str) -> Result<Parsed, TreeProblem> {
    let mut options = Options::default();
    options.emit_comments = false;
    let mut b = Builder {
        events: Parser::new_from_str_with_options(text, options),
        next_id: 0,
        anchors: HashMap::new(),
        problems: Vec::new(),
    };
    b.document()
}

struct Builder<'a> {
    events: Parser<'a, serde_saphyr::granit_parser::StrInput<'a>>,
    next_id: usize,
    anchors: HashMap<usize, Node>,
    problems: Vec<TreeProblem>,
}

impl<'a> Builder<'a> {
    fn document(&mut self) -> Result<Parsed, TreeProblem> {
        let mut root = None;
        loop {
            let (event, span) = self.next()?;
            match event {
                Event::StreamStart | Event::DocumentEnd => {}
                Event::StreamEnd => break,
                Event::DocumentStart(..) if root.is_some() => {
                    return Err(problem(
                        &span.start,
                        "",
                        "only one YAML document is allowed".into(),
                    ));
                }
                Event::DocumentStart(..) => {
                    let (event, span) = self.next()?;
                    root = Some(self.node(event, span, "", 0)?);
                }
                _ => {
                    return Err(problem(&span.start, "", "unexpected YAML event".into()));
                }
            }
        }
        let root = root.filter(|r| !r.is_null());
        Ok(Parsed {
            root,
            problems: std::mem::take(&mut self.problems),
        })
    }

    /// Next event that carries data; comments and other presentation events are skipped.
    fn next(&mut self) -> Result<(Event<'a>, Span), TreeProblem> {
        loop {
            match self.events.next_event() {
                None => {
                    return Err(TreeProblem {
                        pos: Pos::default(),
                        field: String::new(),
                        message: "unexpected end of YAML".into(),
                    });
                }
                Some(Err(e)) => return Err(syntax(&e)),
                Some(Ok((event, span))) => match event {
                    Event::StreamStart
                    | Event::StreamEnd
                    | Event::DocumentStart(..)
                    | Event::DocumentEnd
                    | Event::Alias(_)
                    | Event::UnresolvedAlias(_)
                    | Event::Scalar(..)
                    | Event::SequenceStart(..)
                    | Event::SequenceEnd
                    | Event::MappingStart(..)
                    | Event::MappingEnd => return Ok((event, span)),
                    _ => {}
                },
            }
        }
    }

    fn id(&mut self, at: &Marker) -> Result<usize, TreeProblem> {
        self.next_id += 1;
        if self.next_id > MAX_NODES {
            return Err(problem(
                at,
                "",
                format!("more than {MAX_NODES} YAML nodes (aliases included)"),
            ));
        }
        Ok(self.next_id)
    }

    fn node(
        &mut self,
        event: Event<'a>,
        span: Span,
        path: &str,
        depth: usize,
    ) -> Result<Node, TreeProblem> {
        if depth > MAX_DEPTH {
            return Err(problem(
                &span.start,
                path,
                format!("nested deeper than {MAX_DEPTH} levels"),
            ));
        }
        let start = Pos::from_marker(&span.start);
        let (kind, anchor) = match event {
            Event::Scalar(text, style, anchor, tag) => {
                let forced_str = tag.as_ref().is_some_and(|t| t.core_suffix() == Some("str"));
                let source = span
                    .start
                    .byte_offset()
                    .zip(span.end.byte_offset())
                    .map(|(a, b)| a..b);
                let plain = style == ScalarStyle::Plain && !forced_str;
                // The parser reports a value left empty (`key:`) as `~`; keep it empty so
                // that it can be told apart from a written `~`.
                let empty = plain && source.as_ref().is_some_and(|r| r.is_empty());
                let scalar = Scalar {
                    text: if empty {
                        String::new()
                    } else {
                        text.into_owned()
                    },
                    plain,
                    source,
                };
                (NodeKind::Scalar(scalar), anchor)
            }
            Event::SequenceStart(_, anchor, _) => {
                let mut items = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if event == Event::SequenceEnd {
                        break;
                    }
                    let item_path = format!("{path}[{}]", items.len());
                    items.push(self.node(event, span, &item_path, depth + 1)?);
                }
                (NodeKind::Seq(items), anchor)
            }
            Event::MappingStart(_, anchor, _) => (self.mapping(path, depth)?, anchor),
            Event::Alias(anchor) => {
                let Some(target) = self.anchors.get(&anchor).cloned() else {
                    return Err(problem(&span.start, path, "YAML alias refers to an unknown anchor or to a collection that contains it".into()));
                };
                let mut copy = target;
                self.renumber(&mut copy, &span.start)?;
                copy.start = start;
                return Ok(copy);
            }
            Event::UnresolvedAlias(name) => {
                return Err(problem(
                    &span.start,
                    path,
                    format!("alias `*{name}` has no anchor `&{name}` before it"),
                ));
            }
            _ => {
                return Err(problem(
                    &span.start,
                    path,
                    "unexpected YAML structure".into(),
                ));
            }
        };
        let node = Node {
            id: self.id(&span.start)?,
            start,
            pruned: false,
            kind,
        };
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        Ok(node)
    }

    fn mapping(&mut self, path: &str, depth: usize) -> Result<NodeKind, TreeProblem> {
        let mut entries: Vec<Entry> = Vec::new();
        let mut merges = Vec::new();
        loop {
            let (event, span) = self.next()?;
            if event == Event::MappingEnd {
                break;
            }
            let key_pos = Pos::from_marker(&span.start);
            let key = match event {
                Event::Scalar(text, ..) => text.into_owned(),
                _ => {
                    return Err(problem(
                        &span.start,
                        path,
                        "mapping keys must be plain text".into(),
                    ));
                }
            };
            let child_path = child_key(path, &key);
            let (event, span) = self.next()?;
            let mut value = self.node(event, span, &child_path, depth + 1)?;
            if value.is_null() {
                // `key:` with nothing after it: point at the key, not at where the parser
                // placed the empty value.
                value.start = key_pos;
            }
            if key == "<<" {
                merges.push(value);
            } else if let Some(first) = entries.iter().find(|e| e.key == key) {
                self.problems.push(TreeProblem {
                    pos: key_pos,
                    field: child_path,
                    message: format!(
                        "duplicate key `{key}` (first set on line {})",
                        first.key_pos.line
                    ),
                });
            } else {
                entries.push(Entry {
                    key,
                    key_pos,
                    value,
                });
            }
        }
        for merge in merges {
            self.merge_into(&mut entries, merge, path);
        }
        Ok(NodeKind::Map(entries))
    }

    /// YAML merge keys (`<<: *defaults`): keys written in the mapping itself win.
    fn merge_into(&mut self, entries: &mut Vec<Entry>, source: Node, path: &str) {
        match source.kind {
            NodeKind::Map(from) => {
                for entry in from {
                    if !entries.iter().any(|e| e.key == entry.key) {
                        entries.push(entry);
                    }
                }
            }
            NodeKind::Seq(items) => {
                for item in items {
                    self.merge_into(entries, item, path);
                }
            }
            NodeKind::Scalar(_) => self.problems.push(TreeProblem {
                pos: source.start,
                field: child_key(path, "<<"),
                message: "a merge key (`<<`) needs a mapping or a list of mappings".into(),
            }),
        }
    }

    /// An alias becomes a copy with fresh ids, so pruning one copy leaves the other intact.
    fn renumber(&mut self, node: &mut Node, at: &Marker) -> Result<(), TreeProblem> {
        node.id = self.id(at)?;
        match &mut node.kind {
            NodeKind::Scalar(s) => s.source = None,
            NodeKind::Seq(items) => {
                for item in items {
                    self.renumber(item, at)?;
                }
            }
            NodeKind::Map(entries) => {
                for entry in entries {
                    self.renumber(&mut entry.value, at)?;
                }
            }
        }
        Ok(())
    }
}

pub(crate) fn child_key(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn problem(at: &Marker, field: &str, message: String) -> TreeProblem {
    TreeProblem {
        pos: Pos::from_marker(at),
        field: field.to_owned(),
        message,
    }
}

fn syntax(e: &ScanError) -> TreeProblem {
    let info = e.info();
    TreeProblem {
        pos: Pos::from_marker(e.marker()),
        field: String::new(),
        message: if info.is_empty() {
            "YAML syntax error".into()
        } else {
            format!("YAML syntax error: {info}")
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(text: &str) -> Node {
        match parse(text) {
            Ok(Parsed {
                root: Some(root), ..
            }) => root,
            other => panic!("no root: {other:?}"),
        }
    }

    #[test]
    fn nodes_know_their_lines() {
        let r = root("a: 1\nb:\n  - x\n  - y: 2\n");
        let NodeKind::Map(entries) = &r.kind else {
            panic!("not a map")
        };
        assert_eq!(entries[0].key_pos, Pos { line: 1, column: 1 });
        let NodeKind::Seq(items) = &entries[1].value.kind else {
            panic!("not a seq")
        };
        assert_eq!(items[1].start, Pos { line: 4, column: 5 });
    }

    #[test]
    fn empty_and_comment_only_files_have_no_root() {
        for text in ["", "   \n", "# nothing\n", "---\n"] {
            assert!(
                parse(text).map(|p| p.root.is_none()).unwrap_or(false),
                "{text:?}"
            );
        }
    }

    #[test]
    fn syntax_error_names_line() {
        let err = parse("a: 1\nb: [1, 2\nc: 3\n").map(|_| ()).unwrap_err();
        assert!(err.message.starts_with("YAML syntax error"), "{err:?}");
        assert!(err.pos.line >= 2, "{err:?}");
    }

    #[test]
    fn duplicate_key_is_a_problem_at_the_second() {
        let parsed = parse("a: 1\nb: 2\na: 3\n").unwrap();
        assert_eq!(parsed.problems.len(), 1);
        assert_eq!(parsed.problems[0].pos.line, 3);
        assert_eq!(parsed.problems[0].field, "a");
    }

    #[test]
    fn merge_keys_and_aliases() {
        let r = root("d: &d {x: 1, y: 2}\ne:\n  <<: *d\n  y: 3\n");
        let NodeKind::Map(entries) = &r.kind else {
            panic!()
        };
        let NodeKind::Map(e) = &entries[1].value.kind else {
            panic!()
        };
        let keys: Vec<_> = e.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["y", "x"]);
    }

    #[test]
    fn empty_value_is_empty_not_tilde() {
        let r = root("a:\nb: ~\n");
        let NodeKind::Map(entries) = &r.kind else {
            panic!()
        };
        let texts: Vec<_> = entries
            .iter()
            .map(|e| match &e.value.kind {
                NodeKind::Scalar(s) => s.text.as_str(),
                _ => "?",
            })
            .collect();
        assert_eq!(texts, ["", "~"]);
        assert!(entries.iter().all(|e| e.value.is_null()));
    }

    #[test]
    fn second_document_is_refused() {
        let err = parse("a: 1\n---\nb: 2\n").map(|_| ()).unwrap_err();
        assert_eq!(err.pos.line, 2);
    }
}
