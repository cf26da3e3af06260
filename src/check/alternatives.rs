//! The schemas' `oneOf` and `anyOf` whose alternatives are whole shapes rather than sets
//! of required properties: a string matching one of two patterns (a global cluster's
//! source, by name or ARN), an object of exactly one of several properties, each with its
//! own pattern (an inference profile's `CopyFrom`). cfn-lint reports these as E3018 and
//! E3017. A value is judged against each alternative (each branch of an `Fn::If` on its
//! own); an alternative that reads a value known only at deployment, or a pattern the
//! engine cannot run, is undecided, and a group with an undecided alternative gives a
//! verdict only when the decided ones suffice.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, OnceLock};

use super::{Finding, rules};
use crate::resources::{PropNode, TypeFacts, facts, patterns};
use crate::template::{Intrinsic, Template, Transforms, Value};

pub fn check(t: &Template, out: &mut Vec<Finding>) {
    let sam = t.transforms() != Transforms::None;
    for (id, r) in &t.resources {
        let ty = r.resource_type.as_str();
        if ty.starts_with("Custom::") || sam && facts::lookup_sam(ty).is_some() {
            continue;
        }
        let Some(f) = facts::lookup(ty) else { continue };
        if !has_alternatives(&f) {
            continue;
        }
        let mut walk = Walk {
            f: &f,
            id: id.as_str(),
            ty,
            out,
        };
        let mut path = String::new();
        let root = Shape {
            props: Some(&f.props),
            values: None,
            x: f.x.as_ref(),
        };
        // `Properties: {Fn::If: [C, A, B]}` chooses the whole property set.
        match r.properties.get("Fn::If").and_then(Value::as_list) {
            Some([_, a, b]) if r.properties.len() == 1 => {
                for m in [a, b].into_iter().filter_map(Value::as_map) {
                    walk.object(&root, m, &mut path);
                }
            }
            _ => walk.object(&root, &r.properties, &mut path),
        }
    }
}

/// Whether any node of a type's schema has such alternatives; asked once per type.
fn has_alternatives(f: &TypeFacts) -> bool {
    static SEEN: OnceLock<Mutex<HashMap<String, bool>>> = OnceLock::new();
    let seen = SEEN.get_or_init(Default::default);
    if let Some(known) = seen
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&f.type_name)
    {
        return *known;
    }
    fn any(n: &PropNode) -> bool {
        n.x.as_ref().is_some_and(alternatives_in)
            || n.i.as_deref().is_some_and(any)
            || n.m.as_deref().is_some_and(any)
            || n.p.as_ref().is_some_and(|p| p.values().any(any))
    }
    let found = f.x.as_ref().is_some_and(alternatives_in)
        || f.props.values().any(any)
        || f.defs.values().any(any);
    seen.lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(f.type_name.clone(), found);
    found
}

fn alternatives_in(x: &serde_json::Value) -> bool {
    x.get("oneOfAlt").is_some() || x.get("anyOfAlt").is_some()
}

struct Shape<'a> {
    props: Option<&'a BTreeMap<String, PropNode>>,
    values: Option<&'a PropNode>,
    x: Option<&'a serde_json::Value>,
}

struct Walk<'a, 'o> {
    f: &'a TypeFacts,
    id: &'a str,
    ty: &'a str,
    out: &'o mut Vec<Finding>,
}

impl<'a> Walk<'a, '_> {
    fn object(&mut self, shape: &Shape<'a>, m: &BTreeMap<String, Value>, path: &mut String) {
        if let Some(x) = shape.x
            && alternatives_in(x)
        {
            self.judge(x, &Value::Map(m.clone()), path);
        }
        for (k, v) in m {
            let node = match (shape.props, shape.values) {
                (Some(props), _) => props.get(k),
                (None, Some(n)) => Some(n),
                _ => None,
            };
            if let Some(node) = node {
                let len = path.len();
                if len > 0 {
                    path.push('.');
                }
                path.push_str(k);
                self.value(node, v, path);
                path.truncate(len);
            }
        }
    }

    fn value(&mut self, node: &'a PropNode, v: &Value, path: &mut String) {
        let node = self.f.resolve(node);
        match v {
            Value::Fn(i) => {
                if let Intrinsic::If {
                    then, otherwise, ..
                } = &**i
                {
                    for b in [then, otherwise] {
                        if !b.is_no_value() {
                            self.value(node, b, path);
                        }
                    }
                }
            }
            Value::Map(m) => {
                let shape = Shape {
                    props: node.p.as_ref(),
                    values: node.m.as_deref(),
                    x: node.x.as_ref(),
                };
                self.object(&shape, m, path);
            }
            Value::List(items) => {
                if let Some(item) = &node.i {
                    let len = path.len();
                    for (i, x) in items.iter().enumerate() {
                        use std::fmt::Write;
                        let _ = write!(path, "[{i}]");
                        self.value(item, x, path);
                        path.truncate(len);
                    }
                }
            }
            _ => {
                if let Some(x) = &node.x {
                    self.judge(x, v, path);
                }
            }
        }
    }

    fn judge(&mut self, x: &serde_json::Value, v: &Value, path: &str) {
        for (key, exactly_one) in [("oneOfAlt", true), ("anyOfAlt", false)] {
            let Some(alts) = x.get(key).and_then(|a| a.as_array()) else {
                continue;
            };
            let verdicts: Vec<Option<bool>> = alts.iter().map(|a| fits(self.f, a, v, 0)).collect();
            let fitting = verdicts.iter().filter(|r| **r == Some(true)).count();
            let shown: Vec<String> = alts.iter().map(describe).collect();
            let message = if verdicts.iter().all(|r| *r == Some(false)) {
                format!(
                    "{} fits none of the forms it may take: {}",
                    show(v),
                    shown.join("; ")
                )
            } else if exactly_one && fitting > 1 {
                format!(
                    "{} fits more than one of the forms of which it must take exactly one: {}",
                    show(v),
                    shown.join("; ")
                )
            } else {
                continue;
            };
            let (rule, at, whose) = if path.is_empty() {
                (
                    rules::EXCLUSIVE,
                    "Properties".to_string(),
                    self.ty.to_string(),
                )
            } else {
                let rule = if matches!(v, Value::Map(_)) {
                    rules::EXCLUSIVE
                } else {
                    rules::NOT_ALLOWED
                };
                (
                    rule,
                    format!("Properties.{path}"),
                    format!("{} {path}", self.ty),
                )
            };
            self.out.push(Finding::on(
                rule,
                self.id,
                &at,
                format!("{whose}: {message}"),
            ));
        }
    }
}

/// A value, briefly, for a message.
fn show(v: &Value) -> String {
    match v {
        Value::Map(m) => format!(
            "the object of {}",
            m.keys().cloned().collect::<Vec<_>>().join(", ")
        ),
        other => other
            .scalar_text()
            .map(|s| format!("{s:?}"))
            .unwrap_or_else(|| other.kind().to_string()),
    }
}

/// An alternative, briefly: the properties it requires, the pattern it matches, ...
fn describe(alt: &serde_json::Value) -> String {
    let mut parts = Vec::new();
    if let Some(r) = alt.get("r").and_then(|r| r.as_array()) {
        let names: Vec<&str> = r.iter().filter_map(|s| s.as_str()).collect();
        parts.push(format!("with {}", names.join(" and ")));
    }
    if let Some(p) = alt.get("p").and_then(|p| p.as_object()) {
        for (k, child) in p {
            if let Some(g) = child.get("g").and_then(|g| g.as_str()) {
                parts.push(format!("{k} matching {g:?}"));
            }
        }
    }
    if let Some(g) = alt.get("g").and_then(|g| g.as_str()) {
        parts.push(format!("matching {g:?}"));
    }
    if let Some(e) = alt.get("e").and_then(|e| e.as_array()) {
        let vals: Vec<String> = e.iter().map(|v| v.to_string()).collect();
        parts.push(format!("one of {}", vals.join(", ")));
    }
    if let Some(d) = alt.get("$").and_then(|d| d.as_str()) {
        parts.push(format!("a {d}"));
    }
    if parts.is_empty() {
        "anything".to_string()
    } else {
        parts.join(", ")
    }
}

/// Whether a value fits an alternative: `None` when that cannot be told before
/// deployment (a function, a dynamic reference, a pattern the engine cannot run, a
/// definition's nested parts).
fn fits(f: &TypeFacts, alt: &serde_json::Value, v: &Value, depth: usize) -> Option<bool> {
    if depth > 16 || matches!(v, Value::Fn(_)) || v.is_dynamic_reference() {
        return None;
    }
    if let Some(d) = alt.get("$").and_then(|d| d.as_str()) {
        let node = f.resolve(f.defs.get(d)?);
        return fits_definition(node, v);
    }
    let mut verdict = Some(true);
    let mut and = |r: Option<bool>| {
        verdict = match (verdict, r) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (None, _) | (_, None) => None,
            _ => Some(true),
        }
    };
    if let Some(t) = alt.get("t") {
        let types: Vec<&str> = match t {
            serde_json::Value::String(s) => vec![s.as_str()],
            serde_json::Value::Array(a) => a.iter().filter_map(|s| s.as_str()).collect(),
            _ => vec![],
        };
        if !types.is_empty() {
            and(Some(types.iter().any(|t| of_type(t, v))));
        }
    }
    and(scalar_constraints(
        alt.get("e").and_then(|e| e.as_array()).map(Vec::as_slice),
        alt.get("g").and_then(|g| g.as_str()),
        alt.get("l")
            .and_then(|l| serde_json::from_value(l.clone()).ok()),
        alt.get("n")
            .and_then(|n| serde_json::from_value(n.clone()).ok()),
        v,
    ));
    if let Value::Map(m) = v {
        if let Some(r) = alt.get("r").and_then(|r| r.as_array()) {
            for k in r.iter().filter_map(|k| k.as_str()) {
                and(present(m, k));
            }
        }
        let props = alt.get("p").and_then(|p| p.as_object());
        if alt.get("c").and_then(|c| c.as_bool()) == Some(true) {
            for (k, x) in m {
                if !props.is_some_and(|p| p.contains_key(k)) {
                    // A property that may be removed leaves the verdict open.
                    and(if may_vanish(x) { None } else { Some(false) });
                }
            }
        }
        if let Some(props) = props {
            for (k, child) in props {
                if let Some(x) = m.get(k)
                    && !x.is_no_value()
                    && !matches!(x, Value::Null)
                {
                    and(fits(f, child, x, depth + 1));
                }
            }
        }
    }
    verdict
}

/// A definition's own type, enum, pattern, lengths, range and required properties; its
/// nested parts are not evaluated, so a fit with any is undecided.
fn fits_definition(node: &PropNode, v: &Value) -> Option<bool> {
    let types: Vec<&str> = node.types().collect();
    if !types.is_empty() && !types.iter().any(|t| of_type(t, v)) {
        return Some(false);
    }
    let scalar = scalar_constraints(
        node.e.as_deref(),
        node.pattern.as_deref(),
        node.length,
        node.range,
        v,
    );
    if scalar == Some(false) {
        return Some(false);
    }
    let mut required = Some(true);
    if let Value::Map(m) = v {
        for k in &node.r {
            match present(m, k) {
                Some(false) => return Some(false),
                None => required = None,
                _ => {}
            }
        }
    }
    let nested = node.p.is_some() || node.i.is_some() || node.m.is_some() || node.x.is_some();
    if nested || !node.f.is_empty() || scalar.is_none() || required.is_none() {
        None
    } else {
        Some(true)
    }
}

/// Whether a property is set: `None` when an `Fn::If` may remove it.
fn present(m: &BTreeMap<String, Value>, k: &str) -> Option<bool> {
    match m.get(k) {
        None | Some(Value::Null) => Some(false),
        Some(x) if x.is_no_value() => Some(false),
        Some(x) if may_vanish(x) => None,
        Some(_) => Some(true),
    }
}

fn may_vanish(v: &Value) -> bool {
    match v.as_fn() {
        Some(Intrinsic::If {
            then, otherwise, ..
        }) => [then, otherwise]
            .into_iter()
            .any(|b| b.is_no_value() || may_vanish(b)),
        _ => false,
    }
}

/// The JSON type, as CloudFormation reads a literal (a number where a string is due is
/// its text; "true" is a boolean).
fn of_type(t: &str, v: &Value) -> bool {
    match (t, v) {
        ("string", Value::String(_) | Value::Number(_) | Value::Bool(_)) => true,
        ("integer", Value::Number(n)) => n.is_i64() || n.is_u64(),
        ("integer", Value::String(s)) => s.parse::<i64>().is_ok(),
        ("number", Value::Number(_)) => true,
        ("number", Value::String(s)) => s.parse::<f64>().is_ok(),
        ("boolean", Value::Bool(_)) => true,
        ("boolean", Value::String(s)) => matches!(
            s.as_str(),
            "true" | "True" | "TRUE" | "false" | "False" | "FALSE"
        ),
        ("array", Value::List(_)) | ("object", Value::Map(_)) => true,
        _ => false,
    }
}

/// Enum, pattern, length and range on a scalar; `None` for a pattern the engine cannot
/// run. Other values are not constrained by them.
fn scalar_constraints(
    e: Option<&[serde_json::Value]>,
    g: Option<&str>,
    l: Option<[Option<u64>; 2]>,
    n: Option<[Option<f64>; 2]>,
    v: &Value,
) -> Option<bool> {
    let Some(text) = v.scalar_text() else {
        return Some(true);
    };
    if let Some(e) = e {
        let number = v.as_number();
        let listed = e.iter().any(|a| match a {
            serde_json::Value::String(s) => *s == text,
            serde_json::Value::Number(x) => x.as_f64().is_some() && x.as_f64() == number,
            serde_json::Value::Bool(b) => b.to_string() == text,
            _ => false,
        });
        if !listed {
            return Some(false);
        }
    }
    if let (Some([min, max]), Value::String(s)) = (l, v) {
        let count = s.chars().count() as u64;
        if min.is_some_and(|m| count < m) || max.is_some_and(|m| count > m) {
            return Some(false);
        }
    }
    if let (Some([min, max]), Some(x)) = (n, v.as_number())
        && (min.is_some_and(|m| x < m) || max.is_some_and(|m| x > m))
    {
        return Some(false);
    }
    match g {
        Some(pattern) => search(pattern, &text),
        None => Some(true),
    }
}

/// A pattern's verdict on a text. A leading length lookahead (`^(?=.{40,128}$)arn.*`, which
/// the engine cannot run) is a length bound and the rest of the pattern.
fn search(pattern: &str, text: &str) -> Option<bool> {
    if let Some(rest) = pattern.strip_prefix("^(?=.{")
        && let Some((bounds, tail)) = rest.split_once("}$)")
        && let Some((min, max)) = bounds.split_once(',')
        && let (Ok(min), Ok(max)) = (min.parse::<usize>(), max.parse::<usize>())
    {
        // `.` stops at a line break, and `$` matches before a final one: not judged.
        if text.contains('\n') {
            return None;
        }
        let n = text.chars().count();
        if n < min || n > max {
            return Some(false);
        }
        return patterns::search(&format!("^{tail}"), text);
    }
    patterns::search(pattern, text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn value(yaml: &str) -> Value {
        let t = Template::parse_any(&format!(
            "Resources:\n  R:\n    Type: AWS::SNS::Topic\n    Properties:\n      V: {yaml}\n"
        ))
        .unwrap();
        t.resources.values().next().unwrap().properties["V"].clone()
    }

    #[test]
    fn a_value_fits_an_alternative_or_is_undecided() {
        let f = facts::lookup("AWS::RDS::GlobalCluster").unwrap();
        let name = json!({"g": "^[a-zA-Z]{1}(?:-?[a-zA-Z0-9]){0,62}$"});
        let arn = json!({"g": "^(?=.{40,128}$)arn.*"});
        assert_eq!(fits(&f, &name, &value("orders-primary"), 0), Some(true));
        assert_eq!(fits(&f, &name, &value("orders_primary"), 0), Some(false));
        // The length lookahead is a bound on the text.
        assert_eq!(fits(&f, &arn, &value("arn:aws:rds:x"), 0), Some(false));
        let long = "arn:aws:rds:us-east-1:111122223333:cluster:orders-primary";
        assert_eq!(fits(&f, &arn, &value(long), 0), Some(true));
        // A value known only at deployment fits nothing yet.
        assert_eq!(fits(&f, &name, &value("!Ref AWS::StackName"), 0), None);
        // A closed object: another property is refused, unless a condition may remove it.
        let only_a = json!({"p": {"A": {"t": "string"}}, "r": ["A"], "c": true});
        assert_eq!(fits(&f, &only_a, &value("{A: x}"), 0), Some(true));
        assert_eq!(fits(&f, &only_a, &value("{A: x, B: y}"), 0), Some(false));
        assert_eq!(
            fits(
                &f,
                &only_a,
                &value("{A: x, B: !If [C, y, !Ref AWS::NoValue]}"),
                0
            ),
            None
        );
        assert_eq!(fits(&f, &only_a, &value("{B: y}"), 0), Some(false));
    }
}
