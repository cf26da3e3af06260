//! `Fn::ForEach` (the `AWS::LanguageExtensions` transform), expanded before the template
//! is decoded, so that diff and check see the resources, outputs and conditions
//! CloudFormation will create:
//!
//! ```yaml
//! Fn::ForEach::Topics:
//!   - Name                       # the identifier
//!   - [Success, Failure]         # the collection (or !Ref to a list parameter's default)
//!   - Topic${Name}:              # ${Name} (or &{Name}, alphanumerics only) in each key
//!       Type: AWS::SNS::Topic
//!       Properties: {TopicName: !Ref Name}   # Ref and Fn::Sub see the item
//! ```
//!
//! Loops nest. A collection only known at deploy time (a parameter without a default) is
//! an error that says so.

use super::node::{Node, NodeKind, ParseError, Pos};

const PREFIX: &str = "Fn::ForEach::";

/// Expands every `Fn::ForEach::*` key of the sections that may hold one, and of the maps
/// inside them.
pub fn expand(root: Node) -> Result<Node, ParseError> {
    if !holds_loop(&root) {
        return Ok(root);
    }
    let params = Inputs {
        defaults: list_defaults(&root),
        mappings: section(&root, "Mappings").cloned(),
    };
    let NodeKind::Map(sections) = root.kind else {
        return Ok(root);
    };
    let mut out = Vec::with_capacity(sections.len());
    for (key, kpos, node) in sections {
        let node = match key.as_str() {
            "Resources" | "Outputs" | "Conditions" => expand_node(node, &key, &params)?,
            _ => node,
        };
        out.push((key, kpos, node));
    }
    Ok(Node {
        pos: root.pos,
        kind: NodeKind::Map(out),
    })
}

/// What a collection may be read from: list parameters' defaults and the mappings.
struct Inputs {
    defaults: Vec<(String, Vec<String>)>,
    mappings: Option<Node>,
}

fn section<'a>(root: &'a Node, name: &str) -> Option<&'a Node> {
    match &root.kind {
        NodeKind::Map(e) => e.iter().find(|(k, _, _)| k == name).map(|(_, _, n)| n),
        _ => None,
    }
}

fn entry<'a>(n: &'a Node, key: &str) -> Option<&'a Node> {
    match &n.kind {
        NodeKind::Map(e) => e.iter().find(|(k, _, _)| k == key).map(|(_, _, v)| v),
        _ => None,
    }
}

fn entries(n: &Node) -> Vec<&Node> {
    match &n.kind {
        NodeKind::Map(e) => e.iter().map(|(_, _, v)| v).collect(),
        _ => vec![],
    }
}

impl Inputs {
    /// A scalar argument: a literal, or a parameter's default; `None` when only known at
    /// deploy time.
    fn scalar_arg(&self, n: &Node) -> Option<String> {
        match reference(n) {
            Some(name) => self
                .defaults
                .iter()
                .find(|(p, _)| *p == name)
                .and_then(|(_, d)| (d.len() == 1).then(|| d[0].clone())),
            None => scalar(n),
        }
    }

    /// The items of a collection: a literal list, a list parameter's default, or
    /// `Fn::FindInMap` (a key known only at deploy time takes every key of its level, so
    /// the loop makes what any deployment could make).
    fn collection(&self, n: &Node, path: &str) -> Result<Vec<String>, ParseError> {
        if let NodeKind::Seq(items) = &n.kind {
            return items
                .iter()
                .map(|x| {
                    scalar(x).ok_or_else(|| {
                        err(x.pos, path, "each item of the collection must be a string")
                    })
                })
                .collect();
        }
        if let Some(name) = reference(n) {
            return self
                .defaults
                .iter()
                .find(|(p, _)| *p == name)
                .map(|(_, d)| d.clone())
                .ok_or_else(|| err(n.pos, path, format!("the collection is the parameter {name}, which has no default: it is known only at deploy time")));
        }
        let args = match &n.kind {
            NodeKind::Tagged(t, inner) if t == "FindInMap" => Some(&**inner),
            NodeKind::Map(e) if e.len() == 1 && e[0].0 == "Fn::FindInMap" => Some(&e[0].2),
            _ => None,
        };
        let (Some(NodeKind::Seq(args)), Some(mappings)) = (args.map(|a| &a.kind), &self.mappings)
        else {
            return Err(err(
                n.pos,
                path,
                "the collection must be a list, a Ref to a list parameter or Fn::FindInMap",
            ));
        };
        if args.len() < 3 {
            return Err(err(
                n.pos,
                path,
                "Fn::FindInMap takes [map, top key, second key]",
            ));
        }
        let Some(map) = scalar(&args[0]).and_then(|m| entry(mappings, &m)) else {
            return Err(err(
                args[0].pos,
                path,
                "the collection's mapping is not in Mappings",
            ));
        };
        let tops = match self.scalar_arg(&args[1]) {
            Some(k) => entry(map, &k).into_iter().collect(),
            None => entries(map),
        };
        let mut items: Vec<String> = Vec::new();
        for top in tops {
            let values = match self.scalar_arg(&args[2]) {
                Some(k) => entry(top, &k).into_iter().collect(),
                None => entries(top),
            };
            for v in values {
                let NodeKind::Seq(list) = &v.kind else {
                    continue;
                };
                for x in list.iter().filter_map(scalar) {
                    if !items.contains(&x) {
                        items.push(x);
                    }
                }
            }
        }
        if items.is_empty() {
            return Err(err(
                n.pos,
                path,
                "the collection's Fn::FindInMap finds no list",
            ));
        }
        Ok(items)
    }
}

fn holds_loop(n: &Node) -> bool {
    match &n.kind {
        NodeKind::Map(entries) => entries
            .iter()
            .any(|(k, _, v)| k.starts_with(PREFIX) || holds_loop(v)),
        NodeKind::Seq(items) => items.iter().any(holds_loop),
        NodeKind::Tagged(_, inner) => holds_loop(inner),
        _ => false,
    }
}

/// The defaults of list parameters, for collections given as `Ref`.
fn list_defaults(root: &Node) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let NodeKind::Map(sections) = &root.kind else {
        return out;
    };
    let Some((_, _, params)) = sections.iter().find(|(k, _, _)| k == "Parameters") else {
        return out;
    };
    let NodeKind::Map(params) = &params.kind else {
        return out;
    };
    for (name, _, p) in params {
        let NodeKind::Map(fields) = &p.kind else {
            continue;
        };
        let default = fields
            .iter()
            .find(|(k, _, _)| k == "Default")
            .map(|(_, _, v)| v);
        let items = match default.map(|d| &d.kind) {
            Some(NodeKind::String(s)) => s.split(',').map(|x| x.trim().to_string()).collect(),
            Some(NodeKind::Seq(items)) => items.iter().filter_map(scalar).collect(),
            _ => continue,
        };
        out.push((name.clone(), items));
    }
    out
}

fn scalar(n: &Node) -> Option<String> {
    match &n.kind {
        NodeKind::String(s) => Some(s.clone()),
        NodeKind::Number(x) => Some(x.to_string()),
        NodeKind::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn err(pos: Pos, path: &str, message: impl Into<String>) -> ParseError {
    ParseError::at(pos, path, message)
}

/// Expands the loops among a map's keys, and inside every value.
fn expand_node(n: Node, path: &str, params: &Inputs) -> Result<Node, ParseError> {
    match n.kind {
        NodeKind::Map(entries) => {
            let mut out: Vec<(String, Pos, Node)> = Vec::with_capacity(entries.len());
            for (key, kpos, value) in entries {
                push(&mut out, key, kpos, value, path, params, false)?;
            }
            Ok(Node {
                pos: n.pos,
                kind: NodeKind::Map(out),
            })
        }
        NodeKind::Seq(items) => Ok(Node {
            pos: n.pos,
            kind: NodeKind::Seq(
                items
                    .into_iter()
                    .map(|x| expand_node(x, path, params))
                    .collect::<Result<_, _>>()?,
            ),
        }),
        NodeKind::Tagged(tag, inner) => Ok(Node {
            pos: n.pos,
            kind: NodeKind::Tagged(tag, Box::new(expand_node(*inner, path, params)?)),
        }),
        kind => Ok(Node { pos: n.pos, kind }),
    }
}

/// Adds one entry of a map: a loop's entries (nested loops in its output expanded for
/// each item), or the entry itself with the loops inside its value expanded.
fn push(
    out: &mut Vec<(String, Pos, Node)>,
    key: String,
    kpos: Pos,
    value: Node,
    path: &str,
    params: &Inputs,
    made_by_loop: bool,
) -> Result<(), ParseError> {
    let here = format!("{path}.{key}");
    if key.starts_with(PREFIX) {
        for (k, p, v) in one_loop(&key, value, &here, params)? {
            push(out, k, p, v, path, params, true)?;
        }
        return Ok(());
    }
    if out.iter().any(|(existing, _, _)| *existing == key) {
        let why = if made_by_loop {
            format!("a loop makes {key:?}, which is already defined")
        } else {
            format!("{key:?} is also made by a loop")
        };
        return Err(err(kpos, &here, why));
    }
    let v = expand_node(value, &here, params)?;
    out.push((key, kpos, v));
    Ok(())
}

/// One loop: `[identifier, collection, {key template: value template}]` into its entries.
fn one_loop(
    key: &str,
    value: Node,
    path: &str,
    params: &Inputs,
) -> Result<Vec<(String, Pos, Node)>, ParseError> {
    let pos = value.pos;
    let NodeKind::Seq(mut args) = value.kind else {
        return Err(err(
            pos,
            path,
            format!(
                "{key} takes [identifier, collection, output], found {}",
                value.kind.describe()
            ),
        ));
    };
    if args.len() != 3 {
        return Err(err(
            pos,
            path,
            format!(
                "{key} takes [identifier, collection, output], found {} arguments",
                args.len()
            ),
        ));
    }
    let output = args.pop().expect("three arguments");
    let collection = args.pop().expect("three arguments");
    let identifier = args.pop().expect("three arguments");
    let Some(id) = scalar(&identifier) else {
        return Err(err(identifier.pos, path, "the identifier must be a string"));
    };
    let items = params.collection(&collection, path)?;
    let NodeKind::Map(templates) = output.kind else {
        return Err(err(
            output.pos,
            path,
            "the output must be a map of keys to values",
        ));
    };
    let mut out = Vec::new();
    for item in &items {
        for (k, kpos, v) in &templates {
            out.push((
                key_for(k, &id, item),
                *kpos,
                substitute(v.clone(), &id, item),
            ));
        }
    }
    Ok(out)
}

/// The name a `Ref` names, in tag or map form.
fn reference(n: &Node) -> Option<String> {
    match &n.kind {
        NodeKind::Tagged(tag, inner) if tag == "Ref" => scalar(inner),
        NodeKind::Map(e) if e.len() == 1 && e[0].0 == "Ref" => scalar(&e[0].2),
        _ => None,
    }
}

/// The identifier replaced by an item: `Ref` to it becomes the item, and `${id}` in
/// `Fn::Sub` strings and in the keys of nested loops' outputs takes its value.
fn substitute(n: Node, id: &str, item: &str) -> Node {
    if reference(&n).as_deref() == Some(id) {
        return Node {
            pos: n.pos,
            kind: NodeKind::String(item.to_string()),
        };
    }
    let kind = match n.kind {
        NodeKind::Tagged(tag, inner) if tag == "Sub" => {
            let inner = sub_strings(*inner, id, item);
            // A Sub left with no variable is its text (`Ref: {Fn::Sub: Param${Id}}` names a
            // parameter once the loop has run).
            match inner.kind {
                NodeKind::String(s) if !s.contains("${") => NodeKind::String(s),
                _ => NodeKind::Tagged(tag, Box::new(inner)),
            }
        }
        NodeKind::Tagged(tag, inner) => {
            NodeKind::Tagged(tag, Box::new(substitute(*inner, id, item)))
        }
        NodeKind::Map(entries) if entries.len() == 1 && entries[0].0 == "Fn::Sub" => {
            let (k, p, v) = entries.into_iter().next().expect("one entry");
            match sub_strings(v, id, item) {
                Node {
                    kind: NodeKind::String(s),
                    ..
                } if !s.contains("${") => NodeKind::String(s),
                v => NodeKind::Map(vec![(k, p, v)]),
            }
        }
        NodeKind::Map(entries) => NodeKind::Map(
            entries
                .into_iter()
                .map(|(k, p, v)| {
                    if k == "Fn::Sub" {
                        (k, p, sub_strings(v, id, item))
                    } else if k.starts_with(PREFIX) {
                        (k, p, substitute(v, id, item))
                    } else {
                        (key_for(&k, id, item), p, substitute(v, id, item))
                    }
                })
                .collect(),
        ),
        NodeKind::Seq(items) => {
            NodeKind::Seq(items.into_iter().map(|x| substitute(x, id, item)).collect())
        }
        other => other,
    };
    Node { pos: n.pos, kind }
}

/// A key with `${id}` replaced by the item and `&{id}` by its alphanumerics.
fn key_for(key: &str, id: &str, item: &str) -> String {
    let alnum: String = item.chars().filter(char::is_ascii_alphanumeric).collect();
    key.replace(&format!("${{{id}}}"), item)
        .replace(&format!("&{{{id}}}"), &alnum)
}

/// An `Fn::Sub` argument with `${id}` replaced in its string, and its variables' values
/// substituted like any value.
fn sub_strings(n: Node, id: &str, item: &str) -> Node {
    let kind = match n.kind {
        NodeKind::String(s) => NodeKind::String(s.replace(&format!("${{{id}}}"), item)),
        NodeKind::Seq(items) => NodeKind::Seq(
            items
                .into_iter()
                .enumerate()
                .map(|(i, x)| {
                    if i == 0 {
                        sub_strings(x, id, item)
                    } else {
                        substitute(x, id, item)
                    }
                })
                .collect(),
        ),
        other => other,
    };
    Node { pos: n.pos, kind }
}
