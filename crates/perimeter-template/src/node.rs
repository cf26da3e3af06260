//! A positioned document tree: what the JSON and YAML readers produce before the
//! template decoder gives it meaning, so every error can say where it is.

use std::fmt;

/// A 1-based line and column in the source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub pos: Pos,
    pub kind: NodeKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Seq(Vec<Node>),
    /// Keys in source order, each with its own position; duplicates are rejected by the readers.
    Map(Vec<(String, Pos, Node)>),
    /// A YAML local tag such as `!Ref`, its name without the `!`.
    Tagged(String, Box<Node>),
}

impl NodeKind {
    /// What this is, for "expected X, found Y" messages.
    pub fn describe(&self) -> &'static str {
        match self {
            NodeKind::Null => "null",
            NodeKind::Bool(_) => "a boolean",
            NodeKind::Number(_) => "a number",
            NodeKind::String(_) => "a string",
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) => "a map",
            NodeKind::Tagged(..) => "a tagged value",
        }
    }
}

/// An error reading or decoding a template: where (line/column and field path) and what.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    pub pos: Option<Pos>,
    /// Dotted path such as `Resources.Vpc.Properties.CidrBlock`; empty at top level.
    pub path: String,
    pub message: String,
}

impl ParseError {
    pub fn at(pos: Pos, path: &str, message: impl Into<String>) -> Self {
        ParseError {
            pos: Some(pos),
            path: path.to_string(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = self.pos {
            write!(f, "line {}, column {}: ", p.line, p.column)?;
        }
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ParseError {}

/// Parses a number as JSON and YAML both write it; `None` when it is not one.
pub(crate) fn parse_number(text: &str) -> Option<serde_json::Number> {
    if let Ok(i) = text.parse::<i64>() {
        return Some(i.into());
    }
    if let Ok(u) = text.parse::<u64>() {
        return Some(u.into());
    }
    let f: f64 = text.parse().ok()?;
    serde_json::Number::from_f64(f)
}

/// The position of the first key that repeats an earlier one, if any. Linear for small
/// maps, sort-based for large ones (a `Resources` map of 500 entries would otherwise
/// cost 125,000 comparisons).
pub(crate) fn duplicate_key(entries: &[(String, Pos, Node)]) -> Option<(&str, Pos)> {
    if entries.len() <= 16 {
        return entries
            .iter()
            .enumerate()
            .find(|(i, (k, _, _))| entries[..*i].iter().any(|(e, _, _)| e == k))
            .map(|(_, (k, p, _))| (k.as_str(), *p));
    }
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by(|&a, &b| entries[a].0.cmp(&entries[b].0).then(a.cmp(&b)));
    order
        .windows(2)
        .filter(|w| entries[w[0]].0 == entries[w[1]].0)
        .map(|w| w[1])
        .min()
        .map(|i| (entries[i].0.as_str(), entries[i].1))
}
