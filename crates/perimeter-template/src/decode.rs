//! Gives a positioned [`Node`] tree its CloudFormation meaning: sections, resources,
//! intrinsic functions. Every error names the line, column and field path.
//!
//! The tree is consumed: strings move into the model instead of being copied, and the
//! field path is a chain of segments on the stack, rendered only for an error.

use std::collections::{BTreeMap, BTreeSet};

use super::intrinsic::{FUNCTION_NAMES, Intrinsic};
use super::model::{LogicalId, Output, Parameter, ParameterType, Resource, ResourceType, Template};
use super::node::{Node, NodeKind, ParseError, Pos};
use super::value::Value;

/// Where a value stands: condition functions (`{"Condition": x}`) and rule functions
/// (`Fn::Contains`, ...) are functions only in their own sections.
#[derive(Clone, Copy, PartialEq)]
enum Ctx {
    Plain,
    Condition,
    Rule,
}

const RULE_FUNCTIONS: &[&str] = &[
    "Fn::Contains",
    "Fn::EachMemberEquals",
    "Fn::EachMemberIn",
    "Fn::RefAll",
    "Fn::ValueOf",
    "Fn::ValueOfAll",
];

/// A field path as a chain of segments on the stack.
#[derive(Clone, Copy)]
struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    seg: Seg<'a>,
}

#[derive(Clone, Copy)]
enum Seg<'a> {
    Root,
    Key(&'a str),
    Index(usize),
}

impl<'a> Path<'a> {
    const ROOT: Path<'static> = Path {
        parent: None,
        seg: Seg::Root,
    };

    fn key(&'a self, k: &'a str) -> Path<'a> {
        Path {
            parent: Some(self),
            seg: Seg::Key(k),
        }
    }

    fn index(&'a self, i: usize) -> Path<'a> {
        Path {
            parent: Some(self),
            seg: Seg::Index(i),
        }
    }

    /// `Resources.Vpc.Properties.CidrBlock`, `Fn::Join[1]`.
    fn render(&self) -> String {
        let mut segs = Vec::new();
        let mut p = Some(self);
        while let Some(x) = p {
            segs.push(x.seg);
            p = x.parent;
        }
        let mut out = String::new();
        for s in segs.iter().rev() {
            match s {
                Seg::Root => {}
                Seg::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                Seg::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }
}

fn err(pos: Pos, path: &Path, msg: impl Into<String>) -> ParseError {
    ParseError::at(pos, &path.render(), msg)
}

type Entries = Vec<(String, Pos, Node)>;

/// Something a recovering read found wrong and read past.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    pub kind: IssueKind,
    pub error: ParseError,
}

/// Where an [`Issue`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueKind {
    /// An intrinsic function with arguments of the wrong shape, or an unknown one.
    Function,
    /// A section, resource, parameter or output entry of the wrong shape.
    Structure,
}

/// A read in one of two modes: strict (the first error ends it, for synth and diff) or
/// recovering (errors below the document's root are recorded and the read goes on past
/// them, so `check` can report them all and run its other rules on the rest).
pub(crate) struct Decoder {
    recover: bool,
    pub issues: Vec<Issue>,
}

impl Decoder {
    pub fn strict() -> Self {
        Decoder {
            recover: false,
            issues: Vec::new(),
        }
    }

    pub fn recovering() -> Self {
        Decoder {
            recover: true,
            issues: Vec::new(),
        }
    }

    /// `Some(v)` for `Ok(v)`; for an error, `None` when recovering (the error recorded),
    /// else the error.
    fn soft<T>(
        &mut self,
        kind: IssueKind,
        r: Result<T, ParseError>,
    ) -> Result<Option<T>, ParseError> {
        match r {
            Ok(v) => Ok(Some(v)),
            Err(e) if self.recover => {
                self.issues.push(Issue { kind, error: e });
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
}

use IssueKind::{Function, Structure};

fn map(n: Node, path: &Path) -> Result<Entries, ParseError> {
    match n.kind {
        NodeKind::Map(e) => Ok(e),
        k => Err(err(
            n.pos,
            path,
            format!("expected a map, found {}", k.describe()),
        )),
    }
}

fn string(n: Node, path: &Path) -> Result<String, ParseError> {
    match n.kind {
        NodeKind::String(s) => Ok(s),
        // Scalars CloudFormation reads as strings where a string is due.
        NodeKind::Number(x) => Ok(x.to_string()),
        NodeKind::Bool(b) => Ok(b.to_string()),
        k => Err(err(
            n.pos,
            path,
            format!("expected a string, found {}", k.describe()),
        )),
    }
}

/// A function's first argument, which must be a string: the error names the function.
fn argument(n: Node, path: &Path, function: &str, what: &str) -> Result<String, ParseError> {
    let pos = n.pos;
    string(n, path).map_err(|e| {
        err(
            pos,
            path,
            format!(
                "{function} takes {what} first; {}",
                e.message.replace("expected a string, found", "found")
            ),
        )
    })
}

/// Takes the entry named `key` out of a map's entries.
fn take(entries: &mut Entries, key: &str) -> Option<(Pos, Node)> {
    let i = entries.iter().position(|(k, _, _)| k == key)?;
    let (_, p, n) = entries.remove(i);
    Some((p, n))
}

/// Decodes a whole template. Only a root that is not a map ends a recovering read.
pub fn template(d: &mut Decoder, root: Node) -> Result<Template, ParseError> {
    let mut t = Template::default();
    let top = Path::ROOT;
    for (key, kpos, n) in map(root, &top)? {
        let path = top.key(&key);
        match key.as_str() {
            "AWSTemplateFormatVersion" => t.format_version = d.soft(Structure, string(n, &path))?,
            "Description" => t.description = d.soft(Structure, string(n, &path))?,
            "Metadata" => t.metadata = value_map(d, n, &path, Ctx::Plain)?,
            "Transform" => t.transform = Some(value(d, n, &path, Ctx::Plain)?),
            "Parameters" => {
                for (name, _, p) in d.soft(Structure, map(n, &path))?.unwrap_or_default() {
                    if let Some(param) = parameter(d, p, &path.key(&name))? {
                        t.parameters.insert(name, param);
                    }
                }
            }
            "Rules" => t.rules = value_map(d, n, &path, Ctx::Rule)?,
            "Mappings" => t.mappings = value_map(d, n, &path, Ctx::Plain)?,
            "Conditions" => t.conditions = value_map(d, n, &path, Ctx::Condition)?,
            "Resources" => {
                for (name, npos, r) in d.soft(Structure, map(n, &path))?.unwrap_or_default() {
                    let p = path.key(&name);
                    let id = name
                        .parse::<LogicalId>()
                        .map_err(|e: crate::error::Invalid| err(npos, &p, e));
                    // A resource whose id or shape is wrong is left out; its references
                    // then name nothing, as they would for CloudFormation.
                    if let (Some(id), Some(res)) = (d.soft(Structure, id)?, resource(d, r, &p)?) {
                        t.resources.insert(id, res);
                    }
                }
            }
            "Outputs" => {
                for (name, _, o) in d.soft(Structure, map(n, &path))?.unwrap_or_default() {
                    if let Some(out) = output(d, o, &path.key(&name))? {
                        t.outputs.insert(name, out);
                    }
                }
            }
            "Hooks" => t.hooks = value_map(d, n, &path, Ctx::Plain)?,
            "Globals" => t.globals = value_map(d, n, &path, Ctx::Plain)?,
            other => {
                d.soft::<()>(
                    Structure,
                    Err(ParseError::at(
                        kpos,
                        "",
                        format!(
                            "unknown top-level section {other:?}: expected AWSTemplateFormatVersion, Description, Metadata, Transform, Parameters, Rules, Mappings, Conditions, Resources, Outputs, Hooks or Globals (SAM)"
                        ),
                    )),
                )?;
            }
        }
    }
    Ok(t)
}

fn value_map(
    d: &mut Decoder,
    n: Node,
    path: &Path,
    ctx: Ctx,
) -> Result<BTreeMap<String, Value>, ParseError> {
    let mut out = BTreeMap::new();
    for (k, _, v) in d.soft(Structure, map(n, path))?.unwrap_or_default() {
        let val = value(d, v, &path.key(&k), ctx)?;
        out.insert(k, val);
    }
    Ok(out)
}

/// Takes the `Type` entry out of a resource's or parameter's entries and reads it.
fn type_of<T: std::str::FromStr<Err = crate::error::Invalid>>(
    entries: &mut Entries,
    pos: Pos,
    path: &Path,
    missing: &str,
) -> Result<T, ParseError> {
    let (_, node) = take(entries, "Type").ok_or_else(|| err(pos, path, missing))?;
    let tpath = path.key("Type");
    let tpos = node.pos;
    string(node, &tpath)?
        .parse::<T>()
        .map_err(|e: crate::error::Invalid| err(tpos, &tpath, e.to_string()))
}

/// A resource, or `None` (the error recorded) when its shape or type is wrong.
fn resource(d: &mut Decoder, n: Node, path: &Path) -> Result<Option<Resource>, ParseError> {
    let pos = n.pos;
    let Some(mut entries) = d.soft(Structure, map(n, path))? else {
        return Ok(None);
    };
    let rtype = type_of::<ResourceType>(&mut entries, pos, path, "a resource needs a Type");
    let Some(rtype) = d.soft(Structure, rtype)? else {
        return Ok(None);
    };
    let mut r = Resource::new(rtype);
    for (key, _, v) in entries {
        let p = path.key(&key);
        match key.as_str() {
            "Properties" => r.properties = value_map(d, v, &p, Ctx::Plain)?,
            "DependsOn" => {
                let names = match v.kind {
                    NodeKind::Seq(items) => items,
                    kind => vec![Node { pos: v.pos, kind }],
                };
                let mut set = BTreeSet::new();
                for item in names {
                    let ipos = item.pos;
                    let id = string(item, &p).and_then(|s| {
                        s.parse()
                            .map_err(|e: crate::error::Invalid| err(ipos, &p, e))
                    });
                    set.extend(d.soft(Structure, id)?);
                }
                r.depends_on = set;
            }
            "Condition" => r.condition = d.soft(Structure, string(v, &p))?,
            "DeletionPolicy" => r.deletion_policy = Some(value(d, v, &p, Ctx::Plain)?),
            "UpdateReplacePolicy" => r.update_replace_policy = Some(value(d, v, &p, Ctx::Plain)?),
            "CreationPolicy" => r.creation_policy = Some(value(d, v, &p, Ctx::Plain)?),
            "UpdatePolicy" => r.update_policy = Some(value(d, v, &p, Ctx::Plain)?),
            "Metadata" => r.metadata = Some(value(d, v, &p, Ctx::Plain)?),
            "Version" => r.version = Some(value(d, v, &p, Ctx::Plain)?),
            _ => {
                let val = value(d, v, &p, Ctx::Plain)?;
                r.other.insert(key, val);
            }
        }
    }
    Ok(Some(r))
}

/// A parameter, or `None` (the error recorded) when it is not a map. A wrong or missing
/// Type reads as String when recovering, so references to the parameter still resolve.
fn parameter(d: &mut Decoder, n: Node, path: &Path) -> Result<Option<Parameter>, ParseError> {
    let pos = n.pos;
    let Some(mut entries) = d.soft(Structure, map(n, path))? else {
        return Ok(None);
    };
    let ptype = type_of::<ParameterType>(&mut entries, pos, path, "a parameter needs a Type");
    let ptype = d.soft(Structure, ptype)?.unwrap_or(ParameterType::String);
    let mut p = Parameter::new(ptype);
    for (key, kpos, v) in entries {
        let fp = path.key(&key);
        let vpos = v.pos;
        match key.as_str() {
            "Description" => p.description = d.soft(Structure, string(v, &fp))?,
            "Default" => p.default = Some(value(d, v, &fp, Ctx::Plain)?),
            "AllowedValues" => {
                let items = match value(d, v, &fp, Ctx::Plain)? {
                    Value::List(items) => Ok(items),
                    _ => Err(err(vpos, &fp, "expected a list of allowed values")),
                };
                p.allowed_values = d.soft(Structure, items)?;
            }
            "AllowedPattern" => p.allowed_pattern = d.soft(Structure, string(v, &fp))?,
            "ConstraintDescription" => {
                p.constraint_description = d.soft(Structure, string(v, &fp))?
            }
            "MinLength" => p.min_length = Some(value(d, v, &fp, Ctx::Plain)?),
            "MaxLength" => p.max_length = Some(value(d, v, &fp, Ctx::Plain)?),
            "MinValue" => p.min_value = Some(value(d, v, &fp, Ctx::Plain)?),
            "MaxValue" => p.max_value = Some(value(d, v, &fp, Ctx::Plain)?),
            "NoEcho" => p.no_echo = Some(value(d, v, &fp, Ctx::Plain)?),
            other => {
                d.soft::<()>(
                    Structure,
                    Err(err(
                        kpos,
                        path,
                        format!(
                            "unknown parameter attribute {other:?}: expected Type, Description, Default, AllowedValues, AllowedPattern, ConstraintDescription, MinLength, MaxLength, MinValue, MaxValue or NoEcho"
                        ),
                    )),
                )?;
            }
        }
    }
    Ok(Some(p))
}

/// An output, or `None` (the error recorded) when it is not a map.
fn output(d: &mut Decoder, n: Node, path: &Path) -> Result<Option<Output>, ParseError> {
    let pos = n.pos;
    let mut o = Output {
        description: None,
        value: Value::Null,
        export_name: None,
        condition: None,
    };
    let mut seen_value = false;
    for (key, kpos, v) in d.soft(Structure, map(n, path))?.unwrap_or_default() {
        let fp = path.key(&key);
        match key.as_str() {
            "Value" => {
                o.value = value(d, v, &fp, Ctx::Plain)?;
                // `Value:` left empty in YAML is null, which CloudFormation refuses as it
                // refuses no Value (cfn-lint E6002).
                seen_value = o.value != Value::Null;
            }
            "Description" => o.description = Some(value(d, v, &fp, Ctx::Plain)?),
            "Condition" => o.condition = d.soft(Structure, string(v, &fp))?,
            "Export" => {
                let vpos = v.pos;
                let mut e = d.soft(Structure, map(v, &fp))?.unwrap_or_default();
                match (take(&mut e, "Name"), e.is_empty()) {
                    (Some((_, name)), true) => {
                        o.export_name = Some(value(d, name, &fp.key("Name"), Ctx::Plain)?)
                    }
                    _ => d
                        .soft::<()>(
                            Structure,
                            Err(err(vpos, &fp, "Export takes exactly one key, Name")),
                        )?
                        .unwrap_or_default(),
                }
            }
            other => {
                d.soft::<()>(
                    Structure,
                    Err(err(
                        kpos,
                        path,
                        format!(
                            "unknown output attribute {other:?}: expected Value, Description, Export or Condition"
                        ),
                    )),
                )?;
            }
        }
    }
    if !seen_value {
        d.soft::<()>(Structure, Err(err(pos, path, "an output needs a Value")))?;
    }
    Ok(Some(o))
}

/// Decodes a free-standing value (a policy held in a string, say).
pub(crate) fn plain_value(n: Node) -> Result<Value, ParseError> {
    value(&mut Decoder::strict(), n, &Path::ROOT, Ctx::Plain)
}

/// Decodes any value, recognizing intrinsic functions in long and short form.
fn value(d: &mut Decoder, n: Node, path: &Path, ctx: Ctx) -> Result<Value, ParseError> {
    let pos = n.pos;
    Ok(match n.kind {
        NodeKind::Null => Value::Null,
        NodeKind::Bool(b) => Value::Bool(b),
        NodeKind::Number(x) => Value::Number(x),
        NodeKind::String(s) => Value::String(s),
        NodeKind::Seq(items) => Value::List(
            items
                .into_iter()
                .enumerate()
                .map(|(i, v)| value(d, v, &path.index(i), ctx))
                .collect::<Result<_, _>>()?,
        ),
        NodeKind::Tagged(tag, arg) => {
            let name = match tag.as_str() {
                "Ref" | "Condition" => tag.clone(),
                t => format!("Fn::{t}"),
            };
            if !is_function(&name, ctx) {
                let e = err(
                    pos,
                    path,
                    format!(
                        "unknown short-form tag !{tag}: expected one of {}",
                        short_list()
                    ),
                );
                return unknown_function(d, e, name, *arg, path, ctx);
            }
            function(d, &name, *arg, path, ctx, true)?
        }
        NodeKind::Map(mut entries) => {
            if entries.len() == 1 {
                let (key, _, arg) = &entries[0];
                let fn_like = key == "Ref" || key.starts_with("Fn::");
                let cond_ref = key == "Condition"
                    && ctx != Ctx::Plain
                    && matches!(arg.kind, NodeKind::String(_));
                if fn_like || cond_ref {
                    let (key, kpos, arg) = entries.pop().expect("one entry");
                    if !is_function(&key, ctx) {
                        let e = err(
                            kpos,
                            path,
                            format!(
                                "unknown function {key:?}: expected one of {}",
                                FUNCTION_NAMES.join(", ")
                            ),
                        );
                        return unknown_function(d, e, key.clone(), arg, &path.key(&key), ctx);
                    }
                    return function(d, &key, arg, &path.key(&key), ctx, false);
                }
            }
            let mut m = BTreeMap::new();
            for (k, _, v) in entries {
                let val = value(d, v, &path.key(&k), ctx)?;
                m.insert(k, val);
            }
            Value::Map(m)
        }
    })
}

/// A function call; when recovering, one whose arguments have the wrong shape is
/// recorded and kept as an opaque call of its arguments read as values.
fn function(
    d: &mut Decoder,
    name: &str,
    arg: Node,
    path: &Path,
    ctx: Ctx,
    short: bool,
) -> Result<Value, ParseError> {
    // Only a recovering read pays for the copy it may fall back to.
    let backup = d.recover.then(|| arg.clone());
    let recorded = d.issues.len();
    match (intrinsic(d, name, arg, path, ctx, short), backup) {
        (Ok(f), _) => Ok(Value::Fn(Box::new(f))),
        (Err(e), None) => Err(e),
        (Err(e), Some(arg)) => {
            // What the failed attempt recorded below is recorded again by the re-read.
            d.issues.truncate(recorded);
            unknown_function(d, e, name.to_string(), arg, path, ctx)
        }
    }
}

/// Records `e` (or returns it when strict) and keeps the call opaque.
fn unknown_function(
    d: &mut Decoder,
    e: ParseError,
    name: String,
    arg: Node,
    path: &Path,
    ctx: Ctx,
) -> Result<Value, ParseError> {
    d.soft::<()>(Function, Err(e))?;
    let args = value(d, arg, path, ctx)?;
    Ok(Value::Fn(Box::new(Intrinsic::Other { name, args })))
}

fn is_function(name: &str, ctx: Ctx) -> bool {
    FUNCTION_NAMES.contains(&name) || (ctx == Ctx::Rule && RULE_FUNCTIONS.contains(&name))
}

fn short_list() -> String {
    FUNCTION_NAMES
        .iter()
        .map(|n| format!("!{}", n.strip_prefix("Fn::").unwrap_or(n)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The arguments of a function that takes a list of one of the given lengths.
fn args(
    n: Node,
    path: &Path,
    name: &str,
    shape: &str,
    counts: &[usize],
) -> Result<Vec<Node>, ParseError> {
    match n.kind {
        NodeKind::Seq(items) if counts.contains(&items.len()) => Ok(items),
        NodeKind::Seq(items) => Err(err(
            n.pos,
            path,
            format!(
                "{name} takes {shape}, found {} argument{}",
                items.len(),
                if items.len() == 1 { "" } else { "s" }
            ),
        )),
        k => Err(err(
            n.pos,
            path,
            format!("{name} takes a list {shape}, found {}", k.describe()),
        )),
    }
}

fn intrinsic(
    d: &mut Decoder,
    name: &str,
    arg: Node,
    path: &Path,
    ctx: Ctx,
    short: bool,
) -> Result<Intrinsic, ParseError> {
    // Conditions nest: their arguments are condition context too.
    let cctx = if ctx == Ctx::Plain {
        Ctx::Condition
    } else {
        ctx
    };
    let mut v = |n: Node, i: usize| value(d, n, &path.index(i), ctx);
    let apos = arg.pos;
    Ok(match name {
        "Ref" => Intrinsic::Ref(string(arg, path)?),
        "Condition" => Intrinsic::Condition(string(arg, path)?),
        "Fn::GetAtt" => match arg.kind {
            NodeKind::String(s) => {
                let (res, att) = s
                    .split_once('.')
                    .filter(|(r, a)| !r.is_empty() && !a.is_empty())
                    .ok_or_else(|| {
                        err(
                            apos,
                            path,
                            format!(
                                "{} needs Resource.Attribute, found {s:?} without a dot",
                                if short { "!GetAtt" } else { "Fn::GetAtt" }
                            ),
                        )
                    })?;
                Intrinsic::GetAtt {
                    resource: res.to_string(),
                    attribute: Value::String(att.to_string()),
                }
            }
            kind => {
                let mut a = args(
                    Node { pos: apos, kind },
                    path,
                    name,
                    "[resource, attribute]",
                    &[2],
                )?
                .into_iter();
                let res = argument(
                    a.next().expect("2 args"),
                    path,
                    "Fn::GetAtt",
                    "a resource name",
                )?;
                Intrinsic::GetAtt {
                    resource: res,
                    attribute: v(a.next().expect("2 args"), 1)?,
                }
            }
        },
        "Fn::Sub" => match arg.kind {
            NodeKind::String(s) => Intrinsic::Sub {
                template: s,
                variables: None,
            },
            // A macro that yields the string: kept as written.
            kind @ (NodeKind::Map(_) | NodeKind::Tagged(..)) => {
                match value(d, Node { pos: apos, kind }, path, ctx)? {
                    f @ Value::Fn(_) => Intrinsic::Other {
                        name: name.to_string(),
                        args: f,
                    },
                    _ => {
                        return Err(err(
                            apos,
                            path,
                            "Fn::Sub takes a string, [string, {variables}] or a macro call",
                        ));
                    }
                }
            }
            kind => {
                let mut a = args(
                    Node { pos: apos, kind },
                    path,
                    name,
                    "a string or [string, {variables}]",
                    &[2],
                )?
                .into_iter();
                let template = argument(
                    a.next().expect("2 args"),
                    path,
                    "Fn::Sub",
                    "a string to substitute",
                )?;
                let vars_node = a.next().expect("2 args");
                let vpos = vars_node.pos;
                let vars = match v(vars_node, 1)? {
                    Value::Map(m) => m,
                    _ => return Err(err(vpos, path, "Fn::Sub variables must be a map")),
                };
                Intrinsic::Sub {
                    template,
                    variables: Some(vars),
                }
            }
        },
        "Fn::Join" => {
            let mut a = args(arg, path, name, "[delimiter, [values]]", &[2])?.into_iter();
            let delimiter = argument(
                a.next().expect("2 args"),
                path,
                "Fn::Join",
                "a delimiter string",
            )?;
            Intrinsic::Join {
                delimiter,
                values: v(a.next().expect("2 args"), 1)?,
            }
        }
        "Fn::Select" => {
            let mut a = args(arg, path, name, "[index, list]", &[2])?.into_iter();
            let index = v(a.next().expect("2 args"), 0)?;
            Intrinsic::Select {
                index,
                list: v(a.next().expect("2 args"), 1)?,
            }
        }
        "Fn::Split" => {
            let mut a = args(arg, path, name, "[delimiter, string]", &[2])?.into_iter();
            let delimiter = argument(
                a.next().expect("2 args"),
                path,
                "Fn::Split",
                "a delimiter string",
            )?;
            Intrinsic::Split {
                delimiter,
                source: v(a.next().expect("2 args"), 1)?,
            }
        }
        "Fn::GetAZs" => match arg.kind {
            NodeKind::Null => Intrinsic::GetAZs(Value::String(String::new())),
            kind => Intrinsic::GetAZs(value(d, Node { pos: apos, kind }, path, ctx)?),
        },
        "Fn::If" => {
            let mut a = args(
                arg,
                path,
                name,
                "[condition, value if true, value if false]",
                &[3],
            )?
            .into_iter();
            let condition = argument(
                a.next().expect("3 args"),
                path,
                "Fn::If",
                "a condition name",
            )?;
            let then = v(a.next().expect("3 args"), 1)?;
            Intrinsic::If {
                condition,
                then,
                otherwise: v(a.next().expect("3 args"), 2)?,
            }
        }
        "Fn::Equals" => {
            let mut a = args(arg, path, name, "[value, value]", &[2])?.into_iter();
            let x = v(a.next().expect("2 args"), 0)?;
            Intrinsic::Equals(x, v(a.next().expect("2 args"), 1)?)
        }
        "Fn::And" | "Fn::Or" => {
            let a = args(
                arg,
                path,
                name,
                "a list of 2 to 10 conditions",
                &[2, 3, 4, 5, 6, 7, 8, 9, 10],
            )?;
            let items = a
                .into_iter()
                .enumerate()
                .map(|(i, n)| value(d, n, &path.index(i), cctx))
                .collect::<Result<Vec<_>, _>>()?;
            if name == "Fn::And" {
                Intrinsic::And(items)
            } else {
                Intrinsic::Or(items)
            }
        }
        "Fn::Not" => {
            let a = args(arg, path, name, "[condition]", &[1])?;
            Intrinsic::Not(value(d, a.into_iter().next().expect("1 arg"), path, cctx)?)
        }
        "Fn::ImportValue" => Intrinsic::ImportValue(value(d, arg, path, ctx)?),
        "Fn::Base64" => Intrinsic::Base64(value(d, arg, path, ctx)?),
        "Fn::Cidr" => {
            let mut a = args(arg, path, name, "[ipBlock, count, cidrBits]", &[3])?.into_iter();
            let ip_block = v(a.next().expect("3 args"), 0)?;
            let count = v(a.next().expect("3 args"), 1)?;
            Intrinsic::Cidr {
                ip_block,
                count,
                cidr_bits: v(a.next().expect("3 args"), 2)?,
            }
        }
        "Fn::FindInMap" => {
            let mut a = args(
                arg,
                path,
                name,
                "[map, top-level key, second-level key] and an optional {DefaultValue}",
                &[3, 4],
            )?
            .into_iter();
            let map_name = v(a.next().expect("3 args"), 0)?;
            let top_key = v(a.next().expect("3 args"), 1)?;
            let second_key = v(a.next().expect("3 args"), 2)?;
            let default = match a.next() {
                None => None,
                Some(d) => {
                    let dpos = d.pos;
                    match v(d, 3)? {
                        Value::Map(m) if m.len() == 1 && m.contains_key("DefaultValue") => {
                            m.into_values().next()
                        }
                        _ => {
                            return Err(err(
                                dpos,
                                path,
                                "the fourth argument of Fn::FindInMap must be {DefaultValue: value}",
                            ));
                        }
                    }
                }
            };
            Intrinsic::FindInMap {
                map: map_name,
                top_key,
                second_key,
                default,
            }
        }
        "Fn::Transform" => Intrinsic::Transform(value(d, arg, path, ctx)?),
        "Fn::Length" => Intrinsic::Length(value(d, arg, path, ctx)?),
        "Fn::ToJsonString" => Intrinsic::ToJsonString(value(d, arg, path, ctx)?),
        "Fn::GetStackOutput" => Intrinsic::Other {
            name: name.to_string(),
            args: value(d, arg, path, ctx)?,
        },
        rule if RULE_FUNCTIONS.contains(&rule) => Intrinsic::Other {
            name: rule.to_string(),
            args: value(d, arg, path, ctx)?,
        },
        other => return Err(err(apos, path, format!("unknown function {other:?}"))),
    })
}
