//! The escape hatch: a resource of any type with plain-value properties, checked against
//! the schema facts before it enters a template.

use std::collections::BTreeMap;

use super::facts::{self, PropNode, TypeFacts};
use super::handle::Handle;
use perimeter_template::typed::{Str, Typed};
use perimeter_template::{Intrinsic, ResourceType, Value};

/// Marker type for handles of raw resources; their attributes are checked at run time.
pub struct Raw;

/// A resource of any type, its properties plain values.
///
/// ```
/// use perimeter_l1::RawResource;
/// use perimeter_template::Value;
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
    pub fn new(type_name: &str) -> Result<RawResource, perimeter_template::error::Invalid> {
        let resource_type: ResourceType = type_name.parse()?;
        if !type_name.starts_with("Custom::") && facts::lookup(type_name).is_none() {
            return Err(
                format!("no CloudFormation schema knows the resource type {type_name:?}").into(),
            );
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
    pub fn attribute(
        &self,
        type_name: &str,
        name: &str,
    ) -> Result<Str, perimeter_template::error::Invalid> {
        let known = type_name.starts_with("Custom::")
            || facts::lookup(type_name).is_some_and(|f| f.has_attribute(name));
        if !known {
            return Err(format!("{type_name} has no attribute {name:?}").into());
        }
        Ok(Str::from_expr(Value::Fn(Box::new(Intrinsic::GetAtt {
            resource: self.logical_id().to_string(),
            attribute: Value::String(name.to_string()),
        }))))
    }
}

/// What is wrong with a property.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProblemKind {
    /// Not a property of the type (or of the nested object).
    Unknown,
    /// A required property is absent.
    Missing,
    /// A literal of the wrong JSON type.
    WrongType,
    /// A literal outside the schema's enum.
    NotAllowed,
    /// Properties that exclude or require each other (oneOf, requiredXor, ...).
    Exclusive,
    /// A read-only property (an attribute) was set.
    ReadOnly,
    /// A string not of the format the schema names (an AMI id, a network CIDR).
    Format,
}

/// One problem with a resource's properties: its kind, the dotted property path
/// (`VpcConfig.SubnetIds[0]`) and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyProblem {
    pub kind: ProblemKind,
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for PropertyProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Checks properties against a type's facts, as text (`path: message`).
pub fn validate_properties(f: &TypeFacts, props: &BTreeMap<String, Value>) -> Vec<String> {
    property_problems(f, props)
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// Checks properties against a type's facts: unknown, read-only and missing required
/// properties; literal values of the wrong JSON type or outside an enum; properties that
/// exclude or require each other. Values that are intrinsics are not judged: their result
/// is known only at deploy time.
pub fn property_problems(f: &TypeFacts, props: &BTreeMap<String, Value>) -> Vec<PropertyProblem> {
    let mut out = Problems(Vec::new());
    let root = Shape {
        props: Some(&f.props),
        values: None,
        required: &f.required,
        x: f.x.as_ref(),
    };
    for name in props.keys() {
        // A property the schema calls both read-only and create-only or write-only
        // (SageMaker's EndpointName) is settable: CloudFormation's reference lists it.
        let settable = f.create_only.iter().chain(&f.write_only).any(|p| p == name);
        if f.read_only.iter().any(|p| p == name) && !settable && name != "Fn::If" {
            out.push(
                ProblemKind::ReadOnly,
                name,
                "read-only property (an attribute) cannot be set".into(),
            );
        }
    }
    let mut path = String::new();
    // `Properties: {Fn::If: [cond, A, B]}` chooses the whole property set.
    if let Some(branches) = properties_if(props) {
        for b in branches {
            check_object(f, &root, b, &mut path, &mut out);
        }
    } else {
        check_object(f, &root, props, &mut path, &mut out);
    }
    out.0
}

/// A value an intrinsic function may resolve to before deployment, and where it comes from
/// (`the default of parameter Env`): what [`resolved_problems`] checks.
pub type Resolution = (String, Value);

/// Problems of the values intrinsic functions in the properties may resolve to. `resolve`
/// is asked for each function met where the schema has a node for its value (each branch
/// of an `Fn::If` on its own, with the outcome that chooses it) and answers the literals
/// it may become there; each is checked
/// against the node as a literal written there would be. Each problem comes with where
/// its value came from.
///
/// ```
/// use perimeter_l1::{facts, resolved_problems};
/// use perimeter_template::{Intrinsic, Value};
/// let f = facts::lookup("AWS::SQS::Queue").unwrap();
/// let props = [("DelaySeconds".to_string(), Value::Fn(Box::new(Intrinsic::Ref("Delay".into()))))].into();
/// let found = resolved_problems(&f, &props, &mut |_, _| vec![("parameter Delay".into(), Value::from(1000))]);
/// assert!(found[0].0.message.contains("maximum of 900"), "{:?}", found);
/// ```
pub fn resolved_problems(
    f: &TypeFacts,
    props: &BTreeMap<String, Value>,
    resolve: &mut Resolver<'_>,
) -> Vec<(PropertyProblem, String)> {
    let mut out = Vec::new();
    let mut path = String::new();
    let mut when = Vec::new();
    // `Properties: {Fn::If: [cond, A, B]}`: each set under its outcome.
    type Outcome<'p> = (Option<(String, bool)>, &'p BTreeMap<String, Value>);
    let sets: Vec<Outcome<'_>> = match props.get("Fn::If").and_then(Value::as_list) {
        Some([c, a, b]) if props.len() == 1 => {
            let c = c.scalar_text().unwrap_or_default();
            [(true, a), (false, b)]
                .into_iter()
                .filter_map(|(holds, x)| Some((Some((c.clone(), holds)), x.as_map()?)))
                .collect()
        }
        _ => vec![(None, props)],
    };
    for (outcome, m) in sets {
        when.extend(outcome);
        for (k, v) in m {
            if let Some(node) = f.props.get(k) {
                within(&mut path, k, |p| {
                    resolved(f, node, v, p, &mut when, resolve, &mut out)
                });
            }
        }
        when.clear();
    }
    out
}

/// Asked for a function's values: the function, and the conditions (each true or
/// false) under which the value is where it is (the `Fn::If` branches it is in).
pub type Resolver<'a> = dyn FnMut(&Value, &[(String, bool)]) -> Vec<Resolution> + 'a;

fn resolved(
    f: &TypeFacts,
    node: &PropNode,
    v: &Value,
    path: &mut String,
    when: &mut Vec<(String, bool)>,
    resolve: &mut Resolver<'_>,
    out: &mut Vec<(PropertyProblem, String)>,
) {
    let target = f.resolve(node);
    match v {
        Value::Fn(i) => {
            if let Intrinsic::If {
                condition,
                then,
                otherwise,
            } = &**i
            {
                for (holds, b) in [(true, then), (false, otherwise)] {
                    when.push((condition.clone(), holds));
                    resolved(f, node, b, path, when, resolve, out);
                    when.pop();
                }
                return;
            }
            for (from, literal) in resolve(v, when) {
                let mut found = Problems(Vec::new());
                check(f, node, &literal, path, &mut found);
                // The first problem of a value says enough; one value's problems are
                // reported once, not for each route to it.
                if let Some(first) = found.0.into_iter().next() {
                    out.push((first, from));
                }
            }
        }
        Value::List(items) => {
            if let Some(item) = &target.i {
                let len = path.len();
                for (i, x) in items.iter().enumerate() {
                    use std::fmt::Write;
                    let _ = write!(path, "[{i}]");
                    resolved(f, item, x, path, when, resolve, out);
                    path.truncate(len);
                }
            }
        }
        Value::Map(m) => {
            for (k, x) in m {
                let child = match (&target.p, &target.m) {
                    (Some(props), _) => props.get(k),
                    (None, Some(values)) => Some(&**values),
                    _ => None,
                };
                if let Some(child) = child {
                    within(path, k, |p| resolved(f, child, x, p, when, resolve, out));
                }
            }
        }
        _ => {}
    }
}

/// What an object node of the schema says: its properties (or the schema of its values,
/// for a map), the required ones and the exclusivity constraints.
struct Shape<'a> {
    props: Option<&'a BTreeMap<String, PropNode>>,
    values: Option<&'a PropNode>,
    required: &'a [String],
    x: Option<&'a serde_json::Value>,
}

impl<'a> From<&'a PropNode> for Shape<'a> {
    fn from(n: &'a PropNode) -> Self {
        Shape {
            props: n.p.as_ref(),
            values: n.m.as_deref(),
            required: &n.r,
            x: n.x.as_ref(),
        }
    }
}

/// Runs `f` with `path` extended by `.key` (or `key` at the root), then restores it.
fn within<T>(path: &mut String, key: &str, f: impl FnOnce(&mut String) -> T) -> T {
    let len = path.len();
    if len > 0 {
        path.push('.');
    }
    path.push_str(key);
    let r = f(path);
    path.truncate(len);
    r
}

/// The branches of `Properties: {Fn::If: [cond, A, B]}` that are maps.
fn properties_if(props: &BTreeMap<String, Value>) -> Option<Vec<&BTreeMap<String, Value>>> {
    if props.len() != 1 {
        return None;
    }
    let args = props.get("Fn::If")?.as_list()?;
    Some(args.iter().skip(1).filter_map(Value::as_map).collect())
}

struct Problems(Vec<PropertyProblem>);

impl Problems {
    fn push(&mut self, kind: ProblemKind, path: &str, message: String) {
        self.0.push(PropertyProblem {
            kind,
            path: path.to_string(),
            message,
        });
    }
}

fn check_object(
    f: &TypeFacts,
    shape: &Shape<'_>,
    m: &BTreeMap<String, Value>,
    path: &mut String,
    out: &mut Problems,
) {
    if let Some(props) = shape.props {
        for (k, v) in m {
            match props.get(k) {
                Some(child) => within(path, k, |p| check(f, child, v, p, out)),
                None => within(path, k, |p| {
                    out.push(
                        ProblemKind::Unknown,
                        p,
                        format!(
                            "unknown property; expected one of {}",
                            props.keys().cloned().collect::<Vec<_>>().join(", ")
                        ),
                    )
                }),
            }
        }
    } else if let Some(vnode) = shape.values {
        for (k, v) in m {
            within(path, k, |p| check(f, vnode, v, p, out));
        }
    }
    let present = |k: &str| m.get(k).is_some_and(|v| !v.is_no_value());
    for r in shape.required {
        if !present(r) {
            within(path, r, |p| {
                out.push(
                    ProblemKind::Missing,
                    p,
                    "required property is missing".into(),
                )
            });
        } else if let Some(Value::Fn(i)) = m.get(r)
            && let Intrinsic::If {
                condition,
                then,
                otherwise,
            } = &**i
            && (then.is_no_value() || otherwise.is_no_value())
        {
            let when = if then.is_no_value() { "true" } else { "false" };
            within(path, r, |p| {
                out.push(
                    ProblemKind::Missing,
                    p,
                    format!("required property is missing when condition {condition} is {when}"),
                )
            });
        }
    }
    if let Some(x) = shape.x {
        exclusivity(x, m, path, out);
    }
}

/// The schema's exclusivity keywords, judged on which properties are present. A value
/// under `Fn::If` with an `AWS::NoValue` branch may vanish, so an object holding one is
/// not judged.
fn exclusivity(x: &serde_json::Value, m: &BTreeMap<String, Value>, path: &str, out: &mut Problems) {
    // A property whose Fn::If has a value in both branches is present either way.
    fn may_vanish(v: &Value) -> bool {
        match v {
            Value::Fn(i) => match &**i {
                Intrinsic::If {
                    then, otherwise, ..
                } => [then, otherwise]
                    .into_iter()
                    .any(|b| b.is_no_value() || may_vanish(b)),
                _ => false,
            },
            _ => false,
        }
    }
    let conditional = m.values().any(may_vanish);
    if conditional {
        return;
    }
    // A property left empty (YAML null) is not set either: CloudFormation drops it.
    let present = |k: &str| {
        m.get(k)
            .is_some_and(|v| !v.is_no_value() && !matches!(v, Value::Null))
    };
    let at = if path.is_empty() { "" } else { path };
    for message in group_violations(x, present) {
        out.push(ProblemKind::Exclusive, at, message);
    }
}

/// What the exclusivity keywords `x` (of [`PropNode::x`]) find wrong with an object whose
/// properties `present` tells; check judges an object a condition changes with it, once
/// per outcome.
pub fn group_violations(x: &serde_json::Value, present: impl Fn(&str) -> bool) -> Vec<String> {
    let mut found = Vec::new();
    let names = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut report = |message: String| found.push(message);
    let sets = |k: &str| -> Vec<Vec<String>> {
        x.get(k)
            .and_then(|v| v.as_array())
            .map(|a| a.iter().map(names).collect())
            .unwrap_or_default()
    };
    let show = |s: &[String]| s.join(" + ");
    for (key, exactly_one) in [("oneOf", true), ("anyOf", false)] {
        let options = sets(key);
        if options.is_empty() {
            continue;
        }
        let matched = options
            .iter()
            .filter(|o| o.iter().all(|k| present(k)))
            .count();
        let listed: Vec<String> = options.iter().map(|o| show(o)).collect();
        if matched == 0 {
            report(format!("expected one of: {}", listed.join(", ")));
        } else if exactly_one && matched > 1 {
            report(format!("only one of {} may be set", listed.join(", ")));
        }
    }
    for (key, exactly_one) in [("requiredXor", true), ("requiredOr", false)] {
        let Some(v) = x.get(key) else { continue };
        let keys = names(v);
        let n = keys.iter().filter(|k| present(k)).count();
        if n == 0 {
            report(format!("one of {} is required", keys.join(", ")));
        } else if exactly_one && n > 1 {
            report(format!("only one of {} may be set", keys.join(", ")));
        }
    }
    if let Some(serde_json::Value::Object(deps)) = x.get("dependentRequired") {
        for (k, others) in deps {
            for o in names(others) {
                if present(k) && !present(&o) {
                    report(format!("{k} requires {o}"));
                }
            }
        }
    }
    if let Some(serde_json::Value::Object(deps)) = x.get("dependentExcluded") {
        // Exclusions are usually listed both ways; each pair is reported once.
        let mut pairs = std::collections::BTreeSet::new();
        for (k, others) in deps {
            for o in names(others) {
                if present(k) && present(&o) {
                    pairs.insert(if *k < o {
                        (k.clone(), o)
                    } else {
                        (o, k.clone())
                    });
                }
            }
        }
        for (a, b) in pairs {
            report(format!("{a} and {b} cannot both be set"));
        }
    }
    found
}

fn check(f: &TypeFacts, node: &PropNode, v: &Value, path: &mut String, out: &mut Problems) {
    let own = node;
    let node = f.resolve(node);
    if v.is_dynamic_reference() {
        return;
    }
    if let Value::Fn(i) = v {
        // Each branch of a condition must fit on its own; other functions yield their
        // value at deploy time.
        if let Intrinsic::If {
            then, otherwise, ..
        } = &**i
        {
            for b in [then, otherwise] {
                if !b.is_no_value() {
                    check(f, node, b, path, out);
                }
            }
        }
        return;
    }
    let fits = |t: &str| match (t, v) {
        ("string", Value::String(_) | Value::Number(_) | Value::Bool(_)) => true,
        ("integer", Value::Number(n)) => n.is_i64() || n.is_u64(),
        ("integer", Value::String(s)) => s.parse::<i64>().is_ok(),
        ("number", Value::Number(_)) => true,
        ("number", Value::String(s)) => s.parse::<f64>().is_ok(),
        ("boolean", Value::Bool(_)) => true,
        ("boolean", Value::String(s)) => bool_text(s).is_some(),
        ("array", Value::List(_)) | ("object", Value::Map(_)) => true,
        _ => false,
    };
    if node.types().next().is_some() && !node.types().any(fits) {
        let types: Vec<&str> = node.types().collect();
        out.push(
            ProblemKind::WrongType,
            path,
            format!("expected {}, found {}", types.join(" or "), v.kind()),
        );
        return;
    }
    if let Some(allowed) = &node.e
        && !allowed.iter().any(|a| enum_match(a, v))
        && matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_))
    {
        let list: Vec<String> = allowed.iter().map(|a| a.to_string()).collect();
        let shown = match v {
            Value::String(s) => format!("{s:?}"),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => String::new(),
        };
        out.push(
            ProblemKind::NotAllowed,
            path,
            format!("{shown} is not one of {}", list.join(", ")),
        );
    }
    if let Value::String(text) = v
        && !node.f.is_empty()
    {
        let verdicts: Vec<Option<bool>> = node
            .f
            .iter()
            .map(|f| super::formats::matches(f, text))
            .collect();
        if verdicts.iter().all(|m| *m == Some(false)) {
            let rules: Vec<&str> = node
                .f
                .iter()
                .filter_map(|f| super::formats::cfn_lint_rule(f))
                .collect();
            out.push(
                ProblemKind::Format,
                path,
                format!(
                    "{text:?} is not {}{}",
                    node.f
                        .iter()
                        .map(|f| format!("a {f}"))
                        .collect::<Vec<_>>()
                        .join(" or "),
                    if rules.is_empty() {
                        String::new()
                    } else {
                        format!(" (cfn-lint {})", rules.join(", "))
                    }
                ),
            );
        }
    }
    constraints(node, v, path, out);
    // Bounds written beside a `$ref` hold too: those the definition does not state already.
    if !std::ptr::eq(own, node) {
        let beside = PropNode {
            k: own.k.filter(|k| node.k != Some(*k)),
            max_items: own.max_items.filter(|k| node.max_items != Some(*k)),
            length: own.length.filter(|l| node.length != Some(*l)),
            ..PropNode::default()
        };
        constraints(&beside, v, path, out);
    }
    match v {
        Value::List(items) => {
            if let Some(item) = &node.i {
                let len = path.len();
                for (i, x) in items.iter().enumerate() {
                    use std::fmt::Write;
                    let _ = write!(path, "[{i}]");
                    check(f, item, x, path, out);
                    path.truncate(len);
                }
            }
        }
        Value::Map(m) => check_object(f, &Shape::from(node), m, path, out),
        _ => {}
    }
}

/// An enum value against a literal; CloudFormation passes scalars as strings, so `"30"`
/// matches `30`.
/// A boolean written as a string, in the spellings CloudFormation reads (as cfn-lint
/// accepts them): `true`, `True`, `TRUE` and likewise `false`.
fn bool_text(s: &str) -> Option<bool> {
    match s {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

fn enum_match(allowed: &serde_json::Value, v: &Value) -> bool {
    match (allowed, v) {
        (serde_json::Value::String(a), Value::String(s)) => a == s,
        (serde_json::Value::Number(a), Value::Number(n)) => a.as_f64() == n.as_f64(),
        (serde_json::Value::Number(a), Value::String(s)) => s.parse::<f64>().ok() == a.as_f64(),
        (serde_json::Value::Bool(a), Value::Bool(b)) => a == b,
        (serde_json::Value::Bool(a), Value::String(s)) => bool_text(s) == Some(*a),
        (serde_json::Value::String(a), Value::Number(n)) => *a == n.to_string(),
        _ => false,
    }
}

/// The schema's `pattern`, `minLength`/`maxLength`, `minimum`/`maximum` and `maxItems` on
/// a literal, applied to the values cfn-lint applies them to (E3031, E3033, E3034,
/// E3032): a pattern to strings, numbers and booleans as text; lengths (in characters)
/// to strings; bounds to numbers and numeric strings; a list's length only when no item is
/// a function (an `Fn::If` item may vanish).
fn constraints(node: &PropNode, v: &Value, path: &str, out: &mut Problems) {
    // A dynamic reference written with spaces (`{{ resolve:ssm:... }}`) is resolved too.
    if matches!(v, Value::String(s) if s.contains("{{") && s.contains("resolve")) {
        return;
    }
    let text = match v {
        Value::String(s) => Some(std::borrow::Cow::Borrowed(s.as_str())),
        Value::Number(n) => Some(std::borrow::Cow::Owned(n.to_string())),
        Value::Bool(b) => Some(std::borrow::Cow::Owned(b.to_string())),
        _ => None,
    };
    if let (Some(pattern), Some(text)) = (&node.pattern, &text)
        && super::patterns::search(pattern, text) == Some(false)
    {
        out.push(
            ProblemKind::NotAllowed,
            path,
            format!("{text:?} does not match the pattern {pattern:?} (cfn-lint E3031)"),
        );
    }
    if let (Some([min, max]), Value::String(s)) = (node.length, v) {
        let n = s.chars().count() as u64;
        if let Some(min) = min.filter(|m| n < *m) {
            out.push(
                ProblemKind::NotAllowed,
                path,
                format!("{n} characters, fewer than the {min} it needs (cfn-lint E3033)"),
            );
        }
        if let Some(max) = max.filter(|m| n > *m) {
            out.push(
                ProblemKind::NotAllowed,
                path,
                format!("{n} characters, more than the {max} it takes (cfn-lint E3033)"),
            );
        }
    }
    let number = match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|x| x.is_finite()),
        _ => None,
    };
    if let (Some([min, max]), Some(x)) = (node.range, number) {
        if let Some(min) = min.filter(|m| x < *m) {
            out.push(
                ProblemKind::NotAllowed,
                path,
                format!("{x} is less than the minimum of {min} (cfn-lint E3034)"),
            );
        }
        if let Some(max) = max.filter(|m| x > *m) {
            out.push(
                ProblemKind::NotAllowed,
                path,
                format!("{x} is greater than the maximum of {max} (cfn-lint E3034)"),
            );
        }
    }
    if let (Value::List(items), Some(min)) = (v, node.k)
        && items.len() < min
        && !items.iter().any(|i| matches!(i, Value::Fn(_)))
    {
        out.push(
            ProblemKind::NotAllowed,
            path,
            format!(
                "needs at least {min} item{}, found {} (cfn-lint E3032)",
                if min == 1 { "" } else { "s" },
                items.len()
            ),
        );
    }
    if let (Value::List(items), Some(max)) = (v, node.max_items)
        && items.len() > max
        && !items.iter().any(|i| matches!(i, Value::Fn(_)))
    {
        out.push(
            ProblemKind::NotAllowed,
            path,
            format!(
                "at most {max} item{}, found {} (cfn-lint E3032)",
                if max == 1 { "" } else { "s" },
                items.len()
            ),
        );
    }
    if let (Value::List(items), true) = (v, node.unique) {
        let mut seen: std::collections::HashMap<String, usize> = Default::default();
        for (i, item) in items.iter().enumerate() {
            // `AWS::NoValue` is no item. Two `Fn::If` items of the same text are there
            // together (their condition holds or not for both) with the same value, so
            // they collide whenever they are there; two different ones are compared not
            // at all (their conditions may exclude each other).
            if item.is_no_value() {
                continue;
            }
            let Some(key) = item_key(item) else {
                continue;
            };
            if let Some(first) = seen.get(&key) {
                out.push(
                    ProblemKind::NotAllowed,
                    path,
                    format!(
                        "item [{i}] repeats item [{first}]; the list takes each value once: remove one (cfn-lint E3037)"
                    ),
                );
                break;
            }
            seen.insert(key, i);
        }
    }
}

/// A list item as one text, equal for two items only when CloudFormation gives them the
/// same value: scalars as it passes them (as strings: `1` and `"1"` are one value), a
/// function as its own text (the same function of the same arguments has one value in
/// a deployment). `None` for a null, and for an `Fn::If` of which neither branch is an
/// item.
fn item_key(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::Fn(f) => {
            if let Intrinsic::If {
                then, otherwise, ..
            } = &**f
                && then.is_no_value()
                && otherwise.is_no_value()
            {
                return None;
            }
            Some(format!("fn {}", perimeter_template::value_to_json(v)))
        }
        Value::List(items) => {
            let parts: Option<Vec<String>> = items.iter().map(item_key).collect();
            Some(format!("[{}]", parts?.join(",")))
        }
        Value::Map(m) => {
            let mut parts = Vec::with_capacity(m.len());
            for (k, x) in m {
                parts.push(format!(
                    "{}:{}",
                    serde_json::to_string(k).ok()?,
                    item_key(x)?
                ));
            }
            Some(format!("{{{}}}", parts.join(",")))
        }
        scalar => serde_json::to_string(&scalar.scalar_text()?).ok(),
    }
}
