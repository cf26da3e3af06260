//! Gives a positioned [`Node`] tree its CloudFormation meaning: sections, resources,
//! intrinsic functions. Every error names the line, column and field path.

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

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn err(n: &Node, path: &str, msg: impl Into<String>) -> ParseError {
    ParseError::at(n.pos, path, msg)
}

fn map<'a>(n: &'a Node, path: &str) -> Result<&'a [(String, Pos, Node)], ParseError> {
    match &n.kind {
        NodeKind::Map(e) => Ok(e),
        k => Err(err(
            n,
            path,
            format!("expected a map, found {}", k.describe()),
        )),
    }
}

fn string(n: &Node, path: &str) -> Result<String, ParseError> {
    match &n.kind {
        NodeKind::String(s) => Ok(s.clone()),
        // Scalars CloudFormation reads as strings where a string is due.
        NodeKind::Number(x) => Ok(x.to_string()),
        NodeKind::Bool(b) => Ok(b.to_string()),
        k => Err(err(
            n,
            path,
            format!("expected a string, found {}", k.describe()),
        )),
    }
}

/// Decodes a whole template.
pub fn template(root: &Node) -> Result<Template, ParseError> {
    let mut t = Template::default();
    for (key, kpos, n) in map(root, "")? {
        let path = key.as_str();
        match path {
            "AWSTemplateFormatVersion" => t.format_version = Some(string(n, path)?),
            "Description" => t.description = Some(string(n, path)?),
            "Metadata" => t.metadata = value_map(n, path, Ctx::Plain)?,
            "Transform" => t.transform = Some(value(n, path, Ctx::Plain)?),
            "Parameters" => {
                for (name, _, p) in map(n, path)? {
                    t.parameters
                        .insert(name.clone(), parameter(p, &join(path, name))?);
                }
            }
            "Rules" => t.rules = value_map(n, path, Ctx::Rule)?,
            "Mappings" => t.mappings = value_map(n, path, Ctx::Plain)?,
            "Conditions" => t.conditions = value_map(n, path, Ctx::Condition)?,
            "Resources" => {
                for (name, npos, r) in map(n, path)? {
                    let p = join(path, name);
                    let id: LogicalId = name
                        .parse()
                        .map_err(|e: String| ParseError::at(*npos, &p, e))?;
                    t.resources.insert(id, resource(r, &p)?);
                }
            }
            "Outputs" => {
                for (name, _, o) in map(n, path)? {
                    t.outputs
                        .insert(name.clone(), output(o, &join(path, name))?);
                }
            }
            "Hooks" => t.hooks = value_map(n, path, Ctx::Plain)?,
            "Globals" => t.globals = value_map(n, path, Ctx::Plain)?,
            other => {
                return Err(ParseError::at(
                    *kpos,
                    "",
                    format!(
                        "unknown top-level section {other:?}: expected AWSTemplateFormatVersion, Description, Metadata, Transform, Parameters, Rules, Mappings, Conditions, Resources, Outputs, Hooks or Globals (SAM)"
                    ),
                ));
            }
        }
    }
    Ok(t)
}

fn value_map(n: &Node, path: &str, ctx: Ctx) -> Result<BTreeMap<String, Value>, ParseError> {
    map(n, path)?
        .iter()
        .map(|(k, _, v)| Ok((k.clone(), value(v, &join(path, k), ctx)?)))
        .collect()
}

fn resource(n: &Node, path: &str) -> Result<Resource, ParseError> {
    let entries = map(n, path)?;
    let type_node = entries
        .iter()
        .find(|(k, _, _)| k == "Type")
        .ok_or_else(|| err(n, path, "a resource needs a Type"))?;
    let tpath = join(path, "Type");
    let rtype: ResourceType = string(&type_node.2, &tpath)?
        .parse()
        .map_err(|e: String| err(&type_node.2, &tpath, e))?;
    let mut r = Resource::new(rtype);
    for (key, kpos, v) in entries {
        let p = join(path, key);
        match key.as_str() {
            "Type" => {}
            "Properties" => r.properties = value_map(v, &p, Ctx::Plain)?,
            "DependsOn" => {
                let names: Vec<&Node> = match &v.kind {
                    NodeKind::Seq(items) => items.iter().collect(),
                    _ => vec![v],
                };
                let mut set = BTreeSet::new();
                for item in names {
                    let s = string(item, &p)?;
                    set.insert(s.parse().map_err(|e: String| err(item, &p, e))?);
                }
                r.depends_on = set;
            }
            "Condition" => r.condition = Some(string(v, &p)?),
            "DeletionPolicy" => r.deletion_policy = Some(value(v, &p, Ctx::Plain)?),
            "UpdateReplacePolicy" => r.update_replace_policy = Some(value(v, &p, Ctx::Plain)?),
            "CreationPolicy" => r.creation_policy = Some(value(v, &p, Ctx::Plain)?),
            "UpdatePolicy" => r.update_policy = Some(value(v, &p, Ctx::Plain)?),
            "Metadata" => r.metadata = Some(value(v, &p, Ctx::Plain)?),
            "Version" => r.version = Some(value(v, &p, Ctx::Plain)?),
            other => {
                return Err(ParseError::at(
                    *kpos,
                    path,
                    format!(
                        "unknown resource attribute {other:?}: expected Type, Properties, DependsOn, Condition, DeletionPolicy, UpdateReplacePolicy, CreationPolicy, UpdatePolicy, Metadata or Version"
                    ),
                ));
            }
        }
    }
    Ok(r)
}

fn parameter(n: &Node, path: &str) -> Result<Parameter, ParseError> {
    let entries = map(n, path)?;
    let (_, _, tn) = entries
        .iter()
        .find(|(k, _, _)| k == "Type")
        .ok_or_else(|| err(n, path, "a parameter needs a Type"))?;
    let tpath = join(path, "Type");
    let ptype: ParameterType = string(tn, &tpath)?
        .parse()
        .map_err(|e: String| err(tn, &tpath, e))?;
    let mut p = Parameter::new(ptype);
    for (key, kpos, v) in entries {
        let fp = join(path, key);
        let val = || value(v, &fp, Ctx::Plain);
        match key.as_str() {
            "Type" => {}
            "Description" => p.description = Some(string(v, &fp)?),
            "Default" => p.default = Some(val()?),
            "AllowedValues" => match val()? {
                Value::List(items) => p.allowed_values = Some(items),
                _ => return Err(err(v, &fp, "expected a list of allowed values")),
            },
            "AllowedPattern" => p.allowed_pattern = Some(string(v, &fp)?),
            "ConstraintDescription" => p.constraint_description = Some(string(v, &fp)?),
            "MinLength" => p.min_length = Some(val()?),
            "MaxLength" => p.max_length = Some(val()?),
            "MinValue" => p.min_value = Some(val()?),
            "MaxValue" => p.max_value = Some(val()?),
            "NoEcho" => p.no_echo = Some(val()?),
            other => {
                return Err(ParseError::at(
                    *kpos,
                    path,
                    format!(
                        "unknown parameter attribute {other:?}: expected Type, Description, Default, AllowedValues, AllowedPattern, ConstraintDescription, MinLength, MaxLength, MinValue, MaxValue or NoEcho"
                    ),
                ));
            }
        }
    }
    Ok(p)
}

fn output(n: &Node, path: &str) -> Result<Output, ParseError> {
    let mut o = Output {
        description: None,
        value: Value::Null,
        export_name: None,
        condition: None,
    };
    let mut seen_value = false;
    for (key, kpos, v) in map(n, path)? {
        let fp = join(path, key);
        match key.as_str() {
            "Value" => {
                o.value = value(v, &fp, Ctx::Plain)?;
                seen_value = true;
            }
            "Description" => o.description = Some(value(v, &fp, Ctx::Plain)?),
            "Condition" => o.condition = Some(string(v, &fp)?),
            "Export" => {
                let e = map(v, &fp)?;
                match e {
                    [(k, _, name)] if k == "Name" => {
                        o.export_name = Some(value(name, &join(&fp, "Name"), Ctx::Plain)?)
                    }
                    _ => return Err(err(v, &fp, "Export takes exactly one key, Name")),
                }
            }
            other => {
                return Err(ParseError::at(
                    *kpos,
                    path,
                    format!(
                        "unknown output attribute {other:?}: expected Value, Description, Export or Condition"
                    ),
                ));
            }
        }
    }
    if !seen_value {
        return Err(err(n, path, "an output needs a Value"));
    }
    Ok(o)
}

/// Decodes a free-standing value (a policy held in a string, say).
pub(crate) fn plain_value(n: &Node) -> Result<Value, ParseError> {
    value(n, "", Ctx::Plain)
}

/// Decodes any value, recognizing intrinsic functions in long and short form.
fn value(n: &Node, path: &str, ctx: Ctx) -> Result<Value, ParseError> {
    Ok(match &n.kind {
        NodeKind::Null => Value::Null,
        NodeKind::Bool(b) => Value::Bool(*b),
        NodeKind::Number(x) => Value::Number(x.clone()),
        NodeKind::String(s) => Value::String(s.clone()),
        NodeKind::Seq(items) => Value::List(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| value(v, &format!("{path}[{i}]"), ctx))
                .collect::<Result<_, _>>()?,
        ),
        NodeKind::Tagged(tag, arg) => {
            let name = match tag.as_str() {
                "Ref" | "Condition" => tag.clone(),
                t => format!("Fn::{t}"),
            };
            if !is_function(&name, ctx) {
                return Err(err(
                    n,
                    path,
                    format!(
                        "unknown short-form tag !{tag}: expected one of {}",
                        short_list()
                    ),
                ));
            }
            Value::Fn(Box::new(intrinsic(&name, arg, path, ctx, true)?))
        }
        NodeKind::Map(entries) => {
            if let [(key, kpos, arg)] = entries.as_slice() {
                let fn_like = key == "Ref" || key.starts_with("Fn::");
                let cond_ref = key == "Condition"
                    && ctx != Ctx::Plain
                    && matches!(arg.kind, NodeKind::String(_));
                if fn_like || cond_ref {
                    if !is_function(key, ctx) {
                        return Err(ParseError::at(
                            *kpos,
                            path,
                            format!(
                                "unknown function {key:?}: expected one of {}",
                                FUNCTION_NAMES.join(", ")
                            ),
                        ));
                    }
                    return Ok(Value::Fn(Box::new(intrinsic(
                        key,
                        arg,
                        &join(path, key),
                        ctx,
                        false,
                    )?)));
                }
            }
            Value::Map(
                entries
                    .iter()
                    .map(|(k, _, v)| Ok((k.clone(), value(v, &join(path, k), ctx)?)))
                    .collect::<Result<_, ParseError>>()?,
            )
        }
    })
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

fn args<'a>(
    n: &'a Node,
    path: &str,
    name: &str,
    shape: &str,
    counts: &[usize],
) -> Result<&'a [Node], ParseError> {
    match &n.kind {
        NodeKind::Seq(items) if counts.contains(&items.len()) => Ok(items),
        NodeKind::Seq(items) => Err(err(
            n,
            path,
            format!(
                "{name} takes {shape}, found {} argument{}",
                items.len(),
                if items.len() == 1 { "" } else { "s" }
            ),
        )),
        k => Err(err(
            n,
            path,
            format!("{name} takes a list {shape}, found {}", k.describe()),
        )),
    }
}

fn intrinsic(
    name: &str,
    arg: &Node,
    path: &str,
    ctx: Ctx,
    short: bool,
) -> Result<Intrinsic, ParseError> {
    // Conditions nest: their arguments are condition context too.
    let cctx = if ctx == Ctx::Plain {
        Ctx::Condition
    } else {
        ctx
    };
    let v = |n: &Node, i: usize| value(n, &format!("{path}[{i}]"), ctx);
    Ok(match name {
        "Ref" => Intrinsic::Ref(string(arg, path)?),
        "Condition" => Intrinsic::Condition(string(arg, path)?),
        "Fn::GetAtt" => match &arg.kind {
            NodeKind::String(s) => {
                let (res, att) = s
                    .split_once('.')
                    .filter(|(r, a)| !r.is_empty() && !a.is_empty())
                    .ok_or_else(|| {
                        err(
                            arg,
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
            _ => {
                let a = args(arg, path, name, "[resource, attribute]", &[2])?;
                Intrinsic::GetAtt {
                    resource: string(&a[0], path)?,
                    attribute: v(&a[1], 1)?,
                }
            }
        },
        "Fn::Sub" => match &arg.kind {
            NodeKind::String(s) => Intrinsic::Sub {
                template: s.clone(),
                variables: None,
            },
            // A macro that yields the string: kept as written.
            NodeKind::Map(_) | NodeKind::Tagged(..) => match value(arg, path, ctx)? {
                v @ Value::Fn(_) => Intrinsic::Other {
                    name: name.to_string(),
                    args: v,
                },
                _ => {
                    return Err(err(
                        arg,
                        path,
                        "Fn::Sub takes a string, [string, {variables}] or a macro call",
                    ));
                }
            },
            _ => {
                let a = args(arg, path, name, "a string or [string, {variables}]", &[2])?;
                let vars = match v(&a[1], 1)? {
                    Value::Map(m) => m,
                    _ => return Err(err(&a[1], path, "Fn::Sub variables must be a map")),
                };
                Intrinsic::Sub {
                    template: string(&a[0], path)?,
                    variables: Some(vars),
                }
            }
        },
        "Fn::Join" => {
            let a = args(arg, path, name, "[delimiter, [values]]", &[2])?;
            Intrinsic::Join {
                delimiter: string(&a[0], path)?,
                values: v(&a[1], 1)?,
            }
        }
        "Fn::Select" => {
            let a = args(arg, path, name, "[index, list]", &[2])?;
            Intrinsic::Select {
                index: v(&a[0], 0)?,
                list: v(&a[1], 1)?,
            }
        }
        "Fn::Split" => {
            let a = args(arg, path, name, "[delimiter, string]", &[2])?;
            Intrinsic::Split {
                delimiter: string(&a[0], path)?,
                source: v(&a[1], 1)?,
            }
        }
        "Fn::GetAZs" => match &arg.kind {
            NodeKind::Null => Intrinsic::GetAZs(Value::String(String::new())),
            _ => Intrinsic::GetAZs(value(arg, path, ctx)?),
        },
        "Fn::If" => {
            let a = args(
                arg,
                path,
                name,
                "[condition, value if true, value if false]",
                &[3],
            )?;
            Intrinsic::If {
                condition: string(&a[0], path)?,
                then: v(&a[1], 1)?,
                otherwise: v(&a[2], 2)?,
            }
        }
        "Fn::Equals" => {
            let a = args(arg, path, name, "[value, value]", &[2])?;
            Intrinsic::Equals(v(&a[0], 0)?, v(&a[1], 1)?)
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
                .iter()
                .enumerate()
                .map(|(i, n)| value(n, &format!("{path}[{i}]"), cctx))
                .collect::<Result<Vec<_>, _>>()?;
            if name == "Fn::And" {
                Intrinsic::And(items)
            } else {
                Intrinsic::Or(items)
            }
        }
        "Fn::Not" => {
            let a = args(arg, path, name, "[condition]", &[1])?;
            Intrinsic::Not(value(&a[0], path, cctx)?)
        }
        "Fn::ImportValue" => Intrinsic::ImportValue(value(arg, path, ctx)?),
        "Fn::Base64" => Intrinsic::Base64(value(arg, path, ctx)?),
        "Fn::Cidr" => {
            let a = args(arg, path, name, "[ipBlock, count, cidrBits]", &[3])?;
            Intrinsic::Cidr {
                ip_block: v(&a[0], 0)?,
                count: v(&a[1], 1)?,
                cidr_bits: v(&a[2], 2)?,
            }
        }
        "Fn::FindInMap" => {
            let a = args(
                arg,
                path,
                name,
                "[map, top-level key, second-level key] and an optional {DefaultValue}",
                &[3, 4],
            )?;
            let default = match a.get(3) {
                None => None,
                Some(d) => match v(d, 3)? {
                    Value::Map(m) if m.len() == 1 && m.contains_key("DefaultValue") => {
                        m.into_values().next()
                    }
                    _ => {
                        return Err(err(
                            d,
                            path,
                            "the fourth argument of Fn::FindInMap must be {DefaultValue: value}",
                        ));
                    }
                },
            };
            Intrinsic::FindInMap {
                map: v(&a[0], 0)?,
                top_key: v(&a[1], 1)?,
                second_key: v(&a[2], 2)?,
                default,
            }
        }
        "Fn::Transform" => Intrinsic::Transform(value(arg, path, ctx)?),
        "Fn::Length" => Intrinsic::Length(value(arg, path, ctx)?),
        "Fn::ToJsonString" => Intrinsic::ToJsonString(value(arg, path, ctx)?),
        "Fn::GetStackOutput" => Intrinsic::Other {
            name: name.to_string(),
            args: value(arg, path, ctx)?,
        },
        rule if RULE_FUNCTIONS.contains(&rule) => Intrinsic::Other {
            name: rule.to_string(),
            args: value(arg, path, ctx)?,
        },
        other => return Err(err(arg, path, format!("unknown function {other:?}"))),
    })
}
