//! Serde stops at the first error. To report them all, deserialize, drop the node at fault,
//! and deserialize again until it succeeds or nothing is left to drop.

use std::collections::HashSet;

use serde::de::DeserializeOwned;

use super::de::{DeError, NodeDe};
use super::tree::{Node, NodeKind, Pos, child_key};

/// One deserialization error, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Located {
    pub field: String,
    pub pos: Pos,
    pub message: String,
}

/// Deserializes `root` as `T`, or returns every error found. Nodes at fault are pruned from
/// `root` along the way.
pub(crate) fn deserialize_all<T: DeserializeOwned>(root: &mut Node) -> Result<T, Vec<Located>> {
    let mut errors = Vec::new();
    // Entries this loop removed: (mapping id, key). Their "missing field" is a consequence.
    let mut removed: HashSet<(usize, String)> = HashSet::new();
    // Each pass prunes a node or stops, so this bounds the loop.
    let passes = count(root) + 1;
    for _ in 0..passes {
        let attempt = T::deserialize(NodeDe {
            node: root,
            path: String::new(),
        });
        let e = match attempt {
            Ok(value) if errors.is_empty() => return Ok(value),
            Ok(_) => return Err(errors),
            Err(e) => e,
        };
        let (path, pos, node) = match &e.at {
            Some(at) => (at.path.clone(), at.pos, at.node),
            None => (String::new(), root.start, root.id),
        };
        let consequence = e
            .missing_field
            .as_ref()
            .is_some_and(|f| removed.contains(&(node, f.clone())));
        if !consequence {
            errors.push(located(&e, path, pos));
        }
        match prune(root, node) {
            Some(Some(key)) => {
                removed.insert(key);
            }
            Some(None) => {}
            None => return Err(errors),
        }
    }
    Err(errors)
}

fn located(e: &DeError, path: String, pos: Pos) -> Located {
    let field = match &e.missing_field {
        Some(f) => child_key(&path, f),
        None => path,
    };
    Located {
        field,
        pos,
        message: e.message.clone(),
    }
}

/// Marks the node with this id as pruned. `None`: not found (the root cannot be pruned);
/// `Some(Some((mapping id, key)))`: it was a mapping's value; `Some(None)`: a list item.
fn prune(node: &mut Node, id: usize) -> Option<Option<(usize, String)>> {
    let parent = node.id;
    match &mut node.kind {
        NodeKind::Scalar(_) => None,
        NodeKind::Seq(items) => items.iter_mut().find_map(|item| {
            if item.id == id {
                item.pruned = true;
                Some(None)
            } else {
                prune(item, id)
            }
        }),
        NodeKind::Map(entries) => entries.iter_mut().find_map(|entry| {
            if entry.value.id == id {
                entry.value.pruned = true;
                Some(Some((parent, entry.key.clone())))
            } else {
                prune(&mut entry.value, id)
            }
        }),
    }
}

fn count(node: &Node) -> usize {
    1 + match &node.kind {
        NodeKind::Scalar(_) => 0,
        NodeKind::Seq(items) => items.iter().map(count).sum(),
        NodeKind::Map(entries) => entries.iter().map(|e| count(&e.value)).sum(),
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;
    use crate::config::tree::parse;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        id: String,
        n: u32,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        items: Vec<Item>,
    }

    fn errors(text: &str) -> Vec<Located> {
        let mut root = parse(text).unwrap().root.unwrap();
        deserialize_all::<Doc>(&mut root).unwrap_err()
    }

    #[test]
    fn reports_every_error_once() {
        let errs = errors(
            "extra: 1\nitems:\n  - id: a\n    n: x\n    bad: 1\n  - id: b\n    n: 2\n  - n: 3\n",
        );
        let got: Vec<_> = errs
            .iter()
            .map(|e| (e.field.as_str(), e.pos.line))
            .collect();
        assert_eq!(
            got,
            [
                ("extra", 1),
                ("items[0].n", 4),
                ("items[0].bad", 5),
                ("items[2].id", 8)
            ]
        );
    }

    #[test]
    fn a_dropped_field_does_not_also_count_as_missing() {
        let errs = errors("items:\n  - id: [1]\n    n: 1\n");
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(errs[0].field, "items[0].id");
    }
}
