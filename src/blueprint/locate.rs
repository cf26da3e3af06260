//! Finds the line and column of a field path (`targets[1].account`) in a YAML text, so
//! that errors found after parsing still point at the source.

use crate::template::{Node, NodeKind, Pos, parse_yaml_node};

enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

fn segments(path: &str) -> Vec<Seg<'_>> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, rest) = part.split_once('[').map_or((part, ""), |(k, r)| (k, r));
        if !key.is_empty() {
            out.push(Seg::Key(key));
        }
        for idx in rest.split('[') {
            if let Ok(i) = idx.trim_end_matches(']').parse() {
                out.push(Seg::Index(i));
            }
        }
    }
    out
}

/// The position of the value at `path`, or of the deepest part of it that exists.
pub fn locate(text: &str, path: &str) -> Option<Pos> {
    let root = parse_yaml_node(text).ok()?;
    let mut node: &Node = &root;
    for seg in segments(path) {
        let next = match (&node.kind, seg) {
            (NodeKind::Map(entries), Seg::Key(k)) => entries
                .iter()
                .find(|(key, _, _)| key == k)
                .map(|(_, _, v)| v),
            (NodeKind::Seq(items), Seg::Index(i)) => items.get(i),
            _ => None,
        };
        match next {
            Some(n) => node = n,
            None => break,
        }
    }
    Some(node.pos)
}
