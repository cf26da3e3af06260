//! A YAML reader built on yaml-rust2's event parser, keeping positions and local tags
//! (`!Ref`, `!GetAtt`, ...). Aliases are expanded with a node budget, so an alias bomb
//! fails with an error instead of exhausting memory.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::node::{Node, NodeKind, ParseError, Pos, duplicate_key, parse_number};

/// At most this many nodes after alias expansion.
const MAX_NODES: usize = 1_000_000;
const MAX_DEPTH: usize = super::parse_json::MAX_DEPTH;

fn pos(m: &Marker) -> Pos {
    Pos {
        line: m.line(),
        column: m.col() + 1,
    }
}

enum Frame {
    Seq(Pos, usize, Option<Tag>, Vec<Node>),
    Map(
        Pos,
        usize,
        Option<Tag>,
        Vec<(String, Pos, Node)>,
        Option<(String, Pos)>,
    ),
}

/// Reads YAML as CloudFormation does: strictly first, then, when that fails on
/// indentation or a flow sequence, with the leniencies of [`super::yaml_lenient`].
pub fn parse(text: &str) -> Result<Node, ParseError> {
    use super::yaml_lenient::{reindent, wrap_flow_pairs};
    match parse_strict(text) {
        Err(e) if e.message.contains("indentation") || e.message.contains("flow sequence") => {
            let lenient = wrap_flow_pairs(&reindent(text));
            if lenient == text {
                return Err(e);
            }
            parse_strict(&lenient).map_err(|_| e)
        }
        other => other,
    }
}

fn parse_strict(text: &str) -> Result<Node, ParseError> {
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut root: Option<Node> = None;
    let mut nodes = 0usize;
    loop {
        let (ev, mark) = parser.next_token().map_err(|e| {
            ParseError::at(pos(e.marker()), "", format!("invalid YAML: {}", e.info()))
        })?;
        let here = pos(&mark);
        let finished: Option<(Node, usize)> = match ev {
            Event::StreamStart | Event::Nothing | Event::DocumentEnd => None,
            Event::DocumentStart => {
                if root.is_some() {
                    return Err(ParseError::at(
                        here,
                        "",
                        "a template is one YAML document; found a second",
                    ));
                }
                None
            }
            Event::StreamEnd => break,
            Event::Alias(id) => {
                let n = anchors
                    .get(&id)
                    .ok_or_else(|| ParseError::at(here, "", "alias to an unknown anchor"))?
                    .clone();
                nodes += count(&n);
                if nodes > MAX_NODES {
                    return Err(ParseError::at(
                        here,
                        "",
                        format!(
                            "document expands to more than {MAX_NODES} nodes (alias expansion)"
                        ),
                    ));
                }
                Some((n, 0))
            }
            Event::Scalar(value, style, anchor, tag) => {
                nodes += 1;
                Some((scalar(value, style, tag, here)?, anchor))
            }
            Event::SequenceStart(anchor, tag) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(ParseError::at(
                        here,
                        "",
                        format!("nesting deeper than {MAX_DEPTH} levels"),
                    ));
                }
                stack.push(Frame::Seq(here, anchor, tag, Vec::new()));
                None
            }
            Event::MappingStart(anchor, tag) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(ParseError::at(
                        here,
                        "",
                        format!("nesting deeper than {MAX_DEPTH} levels"),
                    ));
                }
                stack.push(Frame::Map(here, anchor, tag, Vec::new(), None));
                None
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq(p, anchor, tag, items)) => {
                    nodes += 1;
                    Some((
                        tagged(
                            tag,
                            Node {
                                pos: p,
                                kind: NodeKind::Seq(items),
                            },
                        )?,
                        anchor,
                    ))
                }
                _ => return Err(ParseError::at(here, "", "unbalanced sequence end")),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map(p, anchor, tag, entries, _)) => {
                    nodes += 1;
                    if let Some((k, kpos)) = duplicate_key(&entries) {
                        return Err(ParseError::at(kpos, "", format!("duplicate key {k:?}")));
                    }
                    Some((
                        tagged(
                            tag,
                            Node {
                                pos: p,
                                kind: NodeKind::Map(entries),
                            },
                        )?,
                        anchor,
                    ))
                }
                _ => return Err(ParseError::at(here, "", "unbalanced mapping end")),
            },
        };
        if nodes > MAX_NODES {
            return Err(ParseError::at(
                here,
                "",
                format!("document has more than {MAX_NODES} nodes"),
            ));
        }
        if let Some((node, anchor)) = finished {
            if anchor != 0 {
                anchors.insert(anchor, node.clone());
            }
            match stack.last_mut() {
                None => root = Some(node),
                Some(Frame::Seq(_, _, _, items)) => items.push(node),
                Some(Frame::Map(_, _, _, entries, pending)) => match pending.take() {
                    None => {
                        let key = match node.kind {
                            NodeKind::String(s) => s,
                            NodeKind::Number(n) => n.to_string(),
                            NodeKind::Bool(b) => b.to_string(),
                            NodeKind::Null => String::new(),
                            other => {
                                return Err(ParseError::at(
                                    node.pos,
                                    "",
                                    format!(
                                        "a mapping key must be a scalar, found {}",
                                        other.describe()
                                    ),
                                ));
                            }
                        };
                        *pending = Some((key, node.pos));
                    }
                    Some((key, kpos)) => entries.push((key, kpos, node)),
                },
            }
        }
    }
    root.ok_or_else(|| ParseError::at(Pos { line: 1, column: 1 }, "", "the document is empty"))
}

fn count(n: &Node) -> usize {
    1 + match &n.kind {
        NodeKind::Seq(items) => items.iter().map(count).sum(),
        NodeKind::Map(e) => e.iter().map(|(_, _, v)| count(v)).sum(),
        NodeKind::Tagged(_, inner) => count(inner),
        _ => 0,
    }
}

/// Core-schema tags (`!!str`) are resolved; a local tag (`!Ref`) wraps the node.
fn tagged(tag: Option<Tag>, node: Node) -> Result<Node, ParseError> {
    match tag {
        None => Ok(node),
        // The non-specific tag `!` only stops type resolution.
        Some(t) if is_non_specific(&t) => Ok(node),
        Some(t) if t.handle == "!" => {
            let p = node.pos;
            Ok(Node {
                pos: p,
                kind: NodeKind::Tagged(t.suffix, Box::new(node)),
            })
        }
        Some(t)
            if is_core(&t)
                && matches!(
                    (t.suffix.as_str(), &node.kind),
                    ("seq", NodeKind::Seq(_)) | ("map", NodeKind::Map(_))
                ) =>
        {
            Ok(node)
        }
        Some(t) => Err(ParseError::at(
            node.pos,
            "",
            format!("unsupported YAML tag {}{}", t.handle, t.suffix),
        )),
    }
}

/// `!` alone; yaml-rust2 reports it as an empty handle with suffix `!`.
fn is_non_specific(t: &Tag) -> bool {
    (t.handle == "!" && t.suffix.is_empty()) || (t.handle.is_empty() && t.suffix == "!")
}

fn is_core(t: &Tag) -> bool {
    t.handle == "!!" || t.handle == "tag:yaml.org,2002:"
}

fn scalar(
    value: String,
    style: TScalarStyle,
    tag: Option<Tag>,
    p: Pos,
) -> Result<Node, ParseError> {
    let plain = matches!(style, TScalarStyle::Plain);
    let kind = match &tag {
        None if plain => resolve_plain(value),
        None => NodeKind::String(value),
        Some(t) if is_core(t) => match t.suffix.as_str() {
            "str" => NodeKind::String(value),
            "int" | "float" => parse_number(&value)
                .map(NodeKind::Number)
                .ok_or_else(|| ParseError::at(p, "", format!("{value:?} is not a number")))?,
            "bool" => match resolve_plain(value) {
                b @ NodeKind::Bool(_) => b,
                _ => return Err(ParseError::at(p, "", "!!bool needs true or false")),
            },
            "null" => NodeKind::Null,
            _ => {
                return Err(ParseError::at(
                    p,
                    "",
                    format!("unsupported YAML tag !!{}", t.suffix),
                ));
            }
        },
        Some(t) if is_non_specific(t) => NodeKind::String(value),
        Some(_) => {
            // A local tag on a scalar: its argument is always a string (`!Ref Vpc`, `!GetAZs`).
            let inner = Node {
                pos: p,
                kind: NodeKind::String(value),
            };
            return tagged(tag, inner);
        }
    };
    Ok(Node { pos: p, kind })
}

/// YAML 1.2 core-schema resolution of a plain scalar, with CloudFormation's YAML 1.1
/// reading of a leading zero: octal digits after it are an octal number (`000400` is
/// 256: a cfn-init file mode written so is deployed as 256, as users have found), and
/// other digits (an account id such as `012345678901`) stay a string.
fn resolve_plain(v: String) -> NodeKind {
    match v.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => return NodeKind::Null,
        "true" | "True" | "TRUE" => return NodeKind::Bool(true),
        "false" | "False" | "FALSE" => return NodeKind::Bool(false),
        _ => {}
    }
    let digits = v.trim_start_matches(['-', '+']);
    let leading_zero = digits.len() > 1 && digits.starts_with('0') && !digits.starts_with("0.");
    let numeric = !digits.is_empty()
        && digits
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_digit() || b == b'.')
        && digits
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
        && digits.bytes().any(|b| b.is_ascii_digit());
    if leading_zero && digits.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        let negative = v.starts_with('-');
        if let Ok(n) = i64::from_str_radix(digits, 8) {
            return NodeKind::Number(if negative { -n } else { n }.into());
        }
    }
    if numeric
        && !leading_zero
        && let Some(n) = parse_number(&v)
    {
        return NodeKind::Number(n);
    }
    NodeKind::String(v)
}
