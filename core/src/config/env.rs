//! `${VAR}` expansion inside the values of the parsed YAML tree.
//!
//! Values are substituted after the YAML is read, not spliced into its text: a secret that
//! holds `: `, ` #`, quotes or a leading `*` cannot change the YAML's structure or be cut short,
//! and a `${VAR}` in a comment is not required. Line numbers cannot move. A plain scalar is
//! still typed from its expanded text, so `poll_interval_secs: ${POLL}` reads as a number.

use super::tree::{Node, NodeKind, Pos, child_key};

/// A reference that could not be expanded, at the `$` of its `${`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EnvProblem {
    pub field: String,
    pub pos: Pos,
    pub message: String,
}

/// What expansion did: the references it could not expand, and the values it put in.
#[derive(Debug, Default)]
pub(crate) struct Expansion {
    pub problems: Vec<EnvProblem>,
    /// (field, expanded value) of each value that used a variable, to keep secrets out of
    /// error messages.
    values: Vec<(String, String)>,
}

impl Expansion {
    /// The message with the field's expanded value masked, since it may be a secret.
    pub(crate) fn redact(&self, field: &str, message: String) -> String {
        self.values
            .iter()
            .filter(|(f, v)| f == field && !v.is_empty())
            .fold(message, |m, (_, v)| {
                m.replace(v.as_str(), "<from environment>")
            })
    }
}

/// Expands every `${NAME}` in the tree's scalar values (`$${` stands for a literal `${`).
/// A value with a problem keeps its unexpanded text; every problem is returned.
pub(crate) fn expand(
    root: &mut Node,
    source: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Expansion {
    let mut out = Expansion::default();
    walk(root, "", source, env, &mut out);
    out
}

fn walk(
    node: &mut Node,
    path: &str,
    source: &str,
    env: &dyn Fn(&str) -> Option<String>,
    out: &mut Expansion,
) {
    let start = node.start;
    match &mut node.kind {
        NodeKind::Scalar(s) => {
            if !s.text.contains("${") {
                return;
            }
            match expand_text(&s.text, env) {
                Ok(text) => {
                    if text != s.text.replace("$${", "${") {
                        out.values.push((path.to_owned(), text.clone()));
                    }
                    s.text = text;
                }
                Err(found) => {
                    let raw = s
                        .source
                        .clone()
                        .and_then(|r| source.get(r))
                        .map(|raw| reference_positions(raw, start))
                        .unwrap_or_default();
                    for (k, message) in found {
                        out.problems.push(EnvProblem {
                            field: path.to_owned(),
                            pos: raw.get(k).copied().unwrap_or(start),
                            message,
                        });
                    }
                }
            }
        }
        NodeKind::Seq(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                walk(item, &format!("{path}[{i}]"), source, env, out);
            }
        }
        NodeKind::Map(entries) => {
            for entry in entries {
                let child = child_key(path, &entry.key);
                walk(&mut entry.value, &child, source, env, out);
            }
        }
    }
}

/// The expanded text, or each failing reference as (its index among the references, message).
fn expand_text(
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<String, Vec<(usize, String)>> {
    let mut out = String::with_capacity(text.len());
    let mut problems = Vec::new();
    let mut rest = text;
    let mut index = 0;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if let Some(after) = tail.strip_prefix("$${") {
            out.push_str("${");
            rest = after;
        } else if let Some(after) = tail.strip_prefix("${") {
            let Some(close) = after.find('}') else {
                problems.push((index, "`${` without a closing `}`".to_owned()));
                rest = "";
                break;
            };
            let name = &after[..close];
            match lookup(name, env) {
                Ok(value) => out.push_str(&value),
                Err(message) => problems.push((index, message)),
            }
            index += 1;
            rest = &after[close + 1..];
        } else {
            out.push('$');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

fn lookup(name: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let valid = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(format!(
            "`${{{name}}}` is not a valid variable name (letters, digits and _; write `$${{` for a literal `${{`)"
        ));
    }
    match env(name) {
        None => Err(format!("environment variable `{name}` is not set")),
        Some(v) if v.contains(['\n', '\r']) => Err(format!(
            "environment variable `{name}` contains a line break, which a value may not"
        )),
        Some(v) => Ok(v),
    }
}

/// A hint for a syntax error at a `${` reference: inside `[ ]` or `{ }` the braces are YAML's.
pub(crate) fn syntax_hint(source: &str, pos: Pos) -> Option<&'static str> {
    let line = source.lines().nth(pos.line.checked_sub(1)?)?;
    let col = pos.column.checked_sub(1)?;
    let near: String = line.chars().skip(col.saturating_sub(1)).take(3).collect();
    near.contains("${")
        .then_some("a `${VAR}` inside `[ ]` or `{ }` must be quoted: \"${VAR}\"")
}

/// Where each `${` reference (not `$${`) starts in the scalar's source text.
fn reference_positions(raw: &str, start: Pos) -> Vec<Pos> {
    let mut found = Vec::new();
    let mut pos = start;
    let mut chars = raw.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let here = pos;
        if c == '\n' {
            pos.line += 1;
            pos.column = 1;
        } else {
            pos.column += 1;
        }
        if c != '$' {
            continue;
        }
        let tail = &raw[i..];
        if tail.starts_with("$${") {
            // Skip the second `$` so it is not read as a reference of its own.
            chars.next();
            pos.column += 1;
        } else if tail.starts_with("${") {
            found.push(here);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tree::{NodeKind, parse};

    fn env(name: &str) -> Option<String> {
        match name {
            "TOKEN" => Some("shpat_1: #x".into()),
            "EMPTY" => Some(String::new()),
            "BAD" => Some("a\nb".into()),
            _ => None,
        }
    }

    #[test]
    fn expands_and_escapes() {
        assert_eq!(expand_text("a${TOKEN}b", &env).unwrap(), "ashpat_1: #xb");
        assert_eq!(
            expand_text("$${TOKEN} $$ $x $", &env).unwrap(),
            "${TOKEN} $$ $x $"
        );
        assert_eq!(expand_text("${EMPTY}", &env).unwrap(), "");
    }

    #[test]
    fn reports_every_bad_reference() {
        let errs = expand_text("${A}-${TOKEN}-${B}-${BAD}-${1x}", &env).unwrap_err();
        let idx: Vec<_> = errs.iter().map(|(i, _)| *i).collect();
        assert_eq!(idx, [0, 2, 3, 4]);
        assert!(errs[0].1.contains("`A`"));
        assert!(errs[2].1.contains("line break"));
        assert!(errs[3].1.contains("not a valid variable name"));
        let errs = expand_text("x ${OPEN", &env).unwrap_err();
        assert!(errs[0].1.contains("closing"));
    }

    #[test]
    fn problems_carry_field_and_position() {
        let text =
            "a:\n  b: \"$${X} ${MISSING}\"\n  c: [ok, \"${ALSO_MISSING}\"]\n  # ${IN_COMMENT}\n";
        let mut root = parse(text).unwrap().root.unwrap();
        let problems = expand(&mut root, text, &env).problems;
        let got: Vec<_> = problems
            .iter()
            .map(|p| (p.field.as_str(), p.pos.line, p.pos.column))
            .collect();
        assert_eq!(got, [("a.b", 2, 13), ("a.c[1]", 3, 12)]);
    }

    #[test]
    fn hints_at_unquoted_reference_in_flow_collection() {
        let text = "a:\n  c: [ok, ${X}]\n";
        let err = parse(text).map(|_| ()).unwrap_err();
        assert!(syntax_hint(text, err.pos).is_some(), "{err:?}");
        assert!(syntax_hint(text, Pos { line: 1, column: 1 }).is_none());
    }

    #[test]
    fn expanded_value_replaces_the_text() {
        let text = "k: ${TOKEN}\n";
        let mut root = parse(text).unwrap().root.unwrap();
        let expansion = expand(&mut root, text, &env);
        assert!(expansion.problems.is_empty());
        assert_eq!(
            expansion.redact("k", "bad `shpat_1: #x`".into()),
            "bad `<from environment>`"
        );
        assert_eq!(
            expansion.redact("other", "shpat_1: #x".into()),
            "shpat_1: #x"
        );
        let NodeKind::Map(entries) = &root.kind else {
            panic!()
        };
        let NodeKind::Scalar(s) = &entries[0].value.kind else {
            panic!()
        };
        assert_eq!(s.text, "shpat_1: #x");
    }
}
