//! Finds the line and column of a field path (`Resources.Vpc.Properties.CidrBlock`,
//! `targets[1].account`) in a JSON or YAML text, so that problems found after parsing
//! still point at the source.

use super::node::{Node, NodeKind, Pos};
use super::{Format, parse_json, parse_yaml};

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

/// A parsed text that answers positions for many paths.
///
/// ```
/// use perimeter::template::Locator;
/// let l = Locator::new("Resources:\n  Vpc:\n    Type: AWS::EC2::VPC\n").unwrap();
/// assert_eq!(l.find("Resources.Vpc.Type").line, 3);
/// ```
pub struct Locator {
    root: Node,
}

impl Locator {
    /// Parses the text (JSON or YAML); `None` when it does not parse.
    pub fn new(text: &str) -> Option<Locator> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let root = match Format::detect(text) {
            Format::Json => parse_json::parse(text).ok()?,
            Format::Yaml => parse_yaml::parse(text).ok()?,
        };
        Some(Locator { root })
    }

    /// The position of the value at `path`, or of the deepest part of it that exists.
    /// A YAML tag (`!Sub`) is looked through.
    pub fn find(&self, path: &str) -> Pos {
        let mut node = &self.root;
        for seg in segments(path) {
            while let NodeKind::Tagged(_, inner) = &node.kind {
                node = inner;
            }
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
        node.pos
    }
}

/// The position of `path` in `text` (see [`Locator::find`]).
pub fn locate(text: &str, path: &str) -> Option<Pos> {
    Locator::new(text).map(|l| l.find(path))
}
