//! Finds the line and column of a field path (`Resources.Vpc.Properties.CidrBlock`,
//! `targets[1].account`) in a JSON or YAML text, so that problems found after parsing
//! still point at the source.

use std::hash::{DefaultHasher, Hash, Hasher};

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

fn hash(key: &str) -> u64 {
    let mut h = DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

/// One node of the flattened tree: its key (hashed), where its children are, where it is.
#[derive(Clone, Copy)]
struct Entry {
    key: u64,
    first: u32,
    count: u32,
    seq: bool,
    pos: Pos,
}

/// A parsed text that answers positions for many paths.
///
/// The tree is kept flat (one allocation, children side by side) rather than as the
/// parser's nodes, so that keeping and dropping it is cheap.
///
/// ```
/// use perimeter_template::Locator;
/// let l = Locator::new("Resources:\n  Vpc:\n    Type: AWS::EC2::VPC\n").unwrap();
/// assert_eq!(l.find("Resources.Vpc.Type").line, 3);
/// ```
pub struct Locator {
    entries: Vec<Entry>,
}

impl Locator {
    /// Parses the text (JSON or YAML); `None` when it does not parse.
    pub fn new(text: &str) -> Option<Locator> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let root = match Format::detect(text) {
            Format::Json => parse_json::parse(text)
                .ok()
                .or_else(|| parse_yaml::parse(text).ok())?,
            Format::Yaml => parse_yaml::parse(text).ok()?,
        };
        Some(Locator::of(&root))
    }

    /// The locator of a text already parsed (its root node, as the parser left it).
    pub(crate) fn of(root: &Node) -> Locator {
        let mut entries = vec![Entry {
            key: 0,
            first: 0,
            count: 0,
            seq: false,
            pos: root.pos,
        }];
        // Iterative, children placed side by side: (entry index, node).
        let mut stack: Vec<(usize, &Node)> = vec![(0, root)];
        while let Some((at, mut node)) = stack.pop() {
            while let NodeKind::Tagged(_, inner) = &node.kind {
                node = inner;
            }
            let first = entries.len();
            match &node.kind {
                NodeKind::Map(items) => {
                    for (k, key_pos, v) in items {
                        // A value left empty (`Owner:` and nothing) has the position of
                        // the next token, often on a later line: the key is the place.
                        let pos = match v.kind {
                            NodeKind::Null if v.pos.line > key_pos.line => *key_pos,
                            _ => v.pos,
                        };
                        entries.push(Entry {
                            key: hash(k),
                            first: 0,
                            count: 0,
                            seq: false,
                            pos,
                        });
                    }
                    for (i, (_, _, v)) in items.iter().enumerate() {
                        stack.push((first + i, v));
                    }
                    entries[at].count = items.len() as u32;
                }
                NodeKind::Seq(items) => {
                    for v in items {
                        entries.push(Entry {
                            key: 0,
                            first: 0,
                            count: 0,
                            seq: false,
                            pos: v.pos,
                        });
                    }
                    for (i, v) in items.iter().enumerate() {
                        stack.push((first + i, v));
                    }
                    entries[at].count = items.len() as u32;
                    entries[at].seq = true;
                }
                _ => {}
            }
            entries[at].first = first as u32;
        }
        Locator { entries }
    }

    /// The position of the value at `path`, or of the deepest part of it that exists.
    /// A YAML tag (`!Sub`) is looked through.
    pub fn find(&self, path: &str) -> Pos {
        let mut at = 0usize;
        for seg in segments(path) {
            let e = self.entries[at];
            let children = e.first as usize..(e.first + e.count) as usize;
            let next = match seg {
                Seg::Key(k) if !e.seq => {
                    let h = hash(k);
                    children.clone().find(|&i| self.entries[i].key == h)
                }
                Seg::Index(i) if e.seq && i < e.count as usize => Some(e.first as usize + i),
                _ => None,
            };
            match next {
                Some(n) => at = n,
                None => break,
            }
        }
        self.entries[at].pos
    }
}

/// The position of `path` in `text` (see [`Locator::find`]).
pub fn locate(text: &str, path: &str) -> Option<Pos> {
    Locator::new(text).map(|l| l.find(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_left_empty_is_placed_at_its_key() {
        let l = Locator::new("Metadata:\n  Owner:\n  Team: payments\n  Note: ~\n").unwrap();
        assert_eq!(l.find("Metadata.Owner").line, 2);
        assert_eq!(l.find("Metadata.Team").line, 3);
        assert_eq!(l.find("Metadata.Note").line, 4);
    }

    /// The locator made from the template's own reading places every path where a
    /// second reading of the text does: JSON, YAML, flow YAML that is no JSON (read as
    /// JSON first, then as YAML), a byte-order mark, a JSON text whose template the
    /// recovering read decodes from YAML, and a loop the template expands.
    #[test]
    fn the_located_read_places_paths_as_a_second_reading_does() {
        let texts = [
            "{\n  \"Resources\": {\n    \"Vpc\": {\"Type\": \"AWS::EC2::VPC\",\n      \"Properties\": {\"CidrBlock\": \"10.0.0.0/16\", \"Tags\": [{\"Key\": \"a\", \"Value\": \"b\"}]}}\n  }\n}\n",
            "Resources:\n  Vpc:\n    Type: AWS::EC2::VPC\n    Properties:\n      CidrBlock: 10.0.0.0/16\n      Tags:\n        - Key: a\n          Value: !Sub '${AWS::Region}'\n",
            "{Resources: {Vpc: {Type: AWS::EC2::VPC,\n  Properties: {CidrBlock: 10.0.0.0/16, Tags: [{Key: a, Value: b}]}}}}\n",
            "\u{feff}{\"Resources\": {\"Vpc\": {\"Type\": \"AWS::EC2::VPC\", \"Properties\": {\"CidrBlock\": \"10.0.0.0/16\"}}}}",
            "Transform: AWS::LanguageExtensions\nResources:\n  Fn::ForEach::Vpcs:\n    - Name\n    - [A, B]\n    - Vpc${Name}:\n        Type: AWS::EC2::VPC\n        Properties:\n          CidrBlock: 10.0.0.0/16\n",
        ];
        let paths = [
            "Resources",
            "Resources.Vpc",
            "Resources.Vpc.Type",
            "Resources.Vpc.Properties.CidrBlock",
            "Resources.Vpc.Properties.Tags[0].Value",
            "Resources.Vpc.Properties.Tags[3]",
            "Resources.VpcA.Properties.CidrBlock",
            "Resources.Fn::ForEach::Vpcs[2]",
            "Outputs.None",
        ];
        for text in texts {
            let (_, _, located) = crate::Template::parse_recovering_located(text)
                .unwrap_or_else(|e| panic!("{text:?}: {e:?}"));
            let located = located.expect("a text that parses has a locator");
            let again = Locator::new(text).expect("parses");
            for path in paths {
                assert_eq!(located.find(path), again.find(path), "{text:?} at {path}");
            }
        }
    }
}
