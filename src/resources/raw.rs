//! The escape hatch: a resource of any type with plain-value properties, checked against
//! the schema facts before it enters a template.

use std::collections::BTreeMap;

use super::facts::{self, PropNode, TypeFacts};
use super::handle::Handle;
use crate::template::typed::{Str, Typed};
use crate::template::{Intrinsic, ResourceType, Value};

/// Marker type for handles of raw resources; their attributes are checked at run time.
pub struct Raw;

/// A resource of any type, its properties plain values.
///
/// ```
/// use perimeter::resources::RawResource;
/// use perimeter::template::Value;
/// let r = RawResource::new("AWS::SNS::Topic").unwrap().set("TopicName", "alerts".into());
/// assert!(r.validate().is_empty());
/// let bad = RawResource::new("AWS::SNS::Topic").unwrap().set("TopicNam", "x".into());
/// assert!(bad.validate()[0].contains("unknown property"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RawResource {
    pub resource_type: ResourceType,
    pub properties: BTreeMap<String, Value>,
}

impl RawResource {
    /// A raw resource of a type the schema facts know (or a `Custom::` type).
    pub fn new(type_name: &str) -> Result<RawResource, String> {
        let resource_type: ResourceType = type_name.parse()?;
        if !type_name.starts_with("Custom::") && facts::lookup(type_name).is_none() {
            return Err(format!(
                "no CloudFormation schema knows the resource type {type_name:?}"
            ));
        }
        Ok(RawResource {
            resource_type,
            properties: BTreeMap::new(),
        })
    }

    /// Sets a property.
    pub fn set(mut self, name: &str, value: Value) -> Self {
        self.properties.insert(name.to_string(), value);
        self
    }

    /// Problems with the properties, each naming the property path; empty when valid.
    pub fn validate(&self) -> Vec<String> {
        match facts::lookup(self.resource_type.as_str()) {
            Some(f) => validate_properties(&f, &self.properties),
            None => vec![],
        }
    }
}

impl Handle<Raw> {
    /// `Fn::GetAtt`, checked against the type's read-only properties.
    pub fn attribute(&self, type_name: &str, name: &str) -> Result<Str, String> {
        let known = type_name.starts_with("Custom::")
            || facts::lookup(type_name).is_some_and(|f| f.has_attribute(name));
        if !known {
            return Err(format!("{type_name} has no attribute {name:?}"));
        }
        Ok(Str::from_expr(Value::Fn(Box::new(Intrinsic::GetAtt {
            resource: self.logical_id().to_string(),
            attribute: Value::String(name.to_string()),
        }))))
    }
}

/// Checks properties against a type's facts: unknown, read-only and missing required
/// properties; literal values of the wrong JSON type or outside an enum. Values that are
/// intrinsics are not judged: their result is known only at deploy time.
pub fn validate_properties(f: &TypeFacts, props: &BTreeMap<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    let root = PropNode {
        p: Some(f.props.clone()),
        r: f.required.clone(),
        t: Some("object".into()),
        ..Default::default()
    };
    let read_only: Vec<&str> = f
        .read_only
        .iter()
        .filter(|p| !p.contains('.'))
        .map(String::as_str)
        .collect();
    for name in props.keys() {
        if read_only.contains(&name.as_str()) {
            out.push(format!(
                "{name}: read-only property (an attribute) cannot be set"
            ));
        }
    }
    check_object(f, &root, props, "", &mut out);
    out
}

fn join(path: &str, k: &str) -> String {
    if path.is_empty() {
        k.to_string()
    } else {
        format!("{path}.{k}")
    }
}

fn check_object(
    f: &TypeFacts,
    node: &PropNode,
    m: &BTreeMap<String, Value>,
    path: &str,
    out: &mut Vec<String>,
) {
    if let Some(props) = &node.p {
        for (k, v) in m {
            match props.get(k) {
                Some(child) => check(f, child, v, &join(path, k), out),
                None => out.push(format!(
                    "{}: unknown property; expected one of {}",
                    join(path, k),
                    props.keys().cloned().collect::<Vec<_>>().join(", ")
                )),
            }
        }
    } else if let Some(vnode) = &node.m {
        for (k, v) in m {
            check(f, vnode, v, &join(path, k), out);
        }
    }
    for r in &node.r {
        if !m.contains_key(r) {
            out.push(format!("{}: required property is missing", join(path, r)));
        }
    }
}

fn check(f: &TypeFacts, node: &PropNode, v: &Value, path: &str, out: &mut Vec<String>) {
    let node = f.resolve(node);
    if matches!(v, Value::Fn(_)) {
        return;
    }
    let types = node.types();
    let fits = |t: &str| match (t, v) {
        ("string", Value::String(_) | Value::Number(_) | Value::Bool(_)) => true,
        ("integer", Value::Number(n)) => n.is_i64() || n.is_u64(),
        ("integer", Value::String(s)) => s.parse::<i64>().is_ok(),
        ("number", Value::Number(_)) => true,
        ("number", Value::String(s)) => s.parse::<f64>().is_ok(),
        ("boolean", Value::Bool(_)) => true,
        ("boolean", Value::String(s)) => s == "true" || s == "false",
        ("array", Value::List(_)) | ("object", Value::Map(_)) => true,
        _ => false,
    };
    if !types.is_empty() && !types.iter().any(|t| fits(t)) {
        out.push(format!(
            "{path}: expected {}, found {}",
            types.join(" or "),
            describe(v)
        ));
        return;
    }
    if let (Some(allowed), Value::String(s)) = (&node.e, v)
        && !allowed.iter().any(|a| a.as_str() == Some(s))
    {
        let list: Vec<String> = allowed.iter().map(|a| a.to_string()).collect();
        out.push(format!("{path}: {s:?} is not one of {}", list.join(", ")));
    }
    match v {
        Value::List(items) => {
            if let Some(item) = &node.i {
                for (i, x) in items.iter().enumerate() {
                    check(f, item, x, &format!("{path}[{i}]"), out);
                }
            }
        }
        Value::Map(m) => check_object(f, node, m, path, out),
        _ => {}
    }
}

fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::List(_) => "a list",
        Value::Map(_) => "a map",
        Value::Fn(_) => "an intrinsic function",
    }
}
