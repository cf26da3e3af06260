//! Exclusive and dependent property groups of the schemas (requiredXor, oneOf and anyOf
//! of required sets, requiredOr, dependentRequired, dependentExcluded: cfn-lint E3014,
//! E3018, E3017, E3058, E3021, E3020) on objects whose properties a condition sets or
//! removes (`!If [C, x, !Ref AWS::NoValue]`). The schema check judges an object only
//! when every property is there whatever the conditions; this one judges the others in
//! each outcome of their conditions that some choice of parameters brings about: a
//! property set in one branch and its exclusive partner in the other is fine, both in
//! the same outcome is not. An outcome that cannot be told (a condition on anything but
//! parameters) is not judged.

use std::collections::{BTreeMap, BTreeSet};

use super::conditions::{self, Assumption};
use super::{Finding, rules};
use crate::resources::{PropNode, TypeFacts, facts, group_violations};
use crate::template::{Intrinsic, Template, Transforms, Value};

/// Conditions one object may depend on before its outcomes are too many to list.
const MAX_CONDITIONS: usize = 8;

pub fn check(t: &Template, out: &mut Vec<Finding>) {
    if t.conditions.is_empty() {
        return;
    }
    let sam = t.transforms() != Transforms::None;
    for (id, r) in &t.resources {
        let ty = r.resource_type.as_str();
        if !r.properties.values().any(removes_somewhere)
            || sam && facts::lookup_sam(ty).is_some()
            || ty.starts_with("Custom::")
        {
            continue;
        }
        let Some(f) = facts::lookup(ty) else { continue };
        // A resource's properties matter only when it exists: when its condition holds.
        let base: Assumption<'_> = r
            .condition
            .as_deref()
            .map(|c| vec![(c, true)])
            .unwrap_or_default();
        let mut walk = Walk {
            t,
            f: &f,
            found: BTreeMap::new(),
        };
        let root = Shape {
            props: Some(&f.props),
            values: None,
            x: f.x.as_ref(),
        };
        let mut path = String::new();
        match properties_if(&r.properties) {
            Some((c, branches)) => {
                for (polarity, b) in branches {
                    let mut a = base.clone();
                    a.push((c, polarity));
                    walk.object(&root, b, &mut path, &a);
                }
            }
            None => walk.object(&root, &r.properties, &mut path, &base),
        }
        for ((path, message), when) in walk.found {
            let at = if path.is_empty() {
                "Properties".to_string()
            } else {
                format!("Properties.{path}")
            };
            let whose = if path.is_empty() {
                ty.to_string()
            } else {
                format!("{ty} {path}")
            };
            out.push(Finding::on(
                rules::EXCLUSIVE,
                id.as_str(),
                &at,
                format!("{whose}{when}: {message}"),
            ));
        }
    }
}

/// An object node of the schema: its properties (or the node of its values, for a map)
/// and its group constraints.
struct Shape<'a> {
    props: Option<&'a BTreeMap<String, PropNode>>,
    values: Option<&'a PropNode>,
    x: Option<&'a serde_json::Value>,
}

struct Walk<'a> {
    t: &'a Template,
    f: &'a TypeFacts,
    /// (path, message) -> the outcome it was found in, described; the first outcome
    /// of each stands for the rest.
    found: BTreeMap<(String, String), String>,
}

impl<'a> Walk<'a> {
    fn object(
        &mut self,
        shape: &Shape<'a>,
        m: &'a BTreeMap<String, Value>,
        path: &mut String,
        assumed: &Assumption<'a>,
    ) {
        if let Some(x) = shape.x
            && m.values().any(holds_removal)
        {
            self.judge(x, m, path, assumed);
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
                self.value(node, v, path, assumed);
                path.truncate(len);
            }
        }
    }

    fn value(
        &mut self,
        node: &'a PropNode,
        v: &'a Value,
        path: &mut String,
        assumed: &Assumption<'a>,
    ) {
        let node = self.f.resolve(node);
        match v {
            Value::Fn(i) => {
                if let Intrinsic::If {
                    condition,
                    then,
                    otherwise,
                } = &**i
                {
                    for (polarity, b) in [(true, then), (false, otherwise)] {
                        let mut a = assumed.clone();
                        a.push((condition.as_str(), polarity));
                        self.value(node, b, path, &a);
                    }
                }
            }
            Value::Map(m) => {
                let shape = Shape {
                    props: node.p.as_ref(),
                    values: node.m.as_deref(),
                    x: node.x.as_ref(),
                };
                self.object(&shape, m, path, assumed);
            }
            Value::List(items) => {
                if let Some(item) = &node.i {
                    let len = path.len();
                    for (i, x) in items.iter().enumerate() {
                        use std::fmt::Write;
                        let _ = write!(path, "[{i}]");
                        self.value(item, x, path, assumed);
                        path.truncate(len);
                    }
                }
            }
            _ => {}
        }
    }

    /// The groups of `x` on `m` in each outcome of the conditions its properties and
    /// the way to it depend on.
    fn judge(
        &mut self,
        x: &serde_json::Value,
        m: &'a BTreeMap<String, Value>,
        path: &str,
        assumed: &Assumption<'a>,
    ) {
        let mut names: Vec<&str> = Vec::new();
        for (c, _) in assumed {
            if !names.contains(c) {
                names.push(c);
            }
        }
        let mut local = BTreeSet::new();
        for v in m.values() {
            deciding(v, &mut local);
        }
        for c in local {
            if !names.contains(&c) {
                names.push(c);
            }
        }
        if names.len() > MAX_CONDITIONS {
            return;
        }
        let Some(outcomes) = conditions::outcomes(self.t, &names) else {
            return;
        };
        for row in outcomes {
            let holds = |c: &str| names.iter().position(|n| *n == c).map(|i| row[i]);
            if assumed.iter().any(|(c, p)| holds(c) != Some(*p)) {
                continue;
            }
            let present = |k: &str| {
                m.get(k)
                    .and_then(|v| chosen(v, &holds))
                    .is_some_and(|v| !v.is_no_value() && !matches!(v, Value::Null))
            };
            let violations = group_violations(x, present);
            if violations.is_empty() {
                continue;
            }
            // The outcome, in the words of the conditions the object's own values test
            // (those of the way to it are the resource's or an enclosing Fn::If's).
            let shown: Vec<(&str, bool)> = names
                .iter()
                .zip(&row)
                .filter(|(n, _)| !assumed.iter().any(|(c, _)| c == *n))
                .map(|(n, p)| (*n, *p))
                .collect();
            let when = conditions::describe(&shown);
            for message in violations {
                self.found
                    .entry((path.to_string(), message))
                    .or_insert_with(|| when.clone());
            }
        }
    }
}

/// Whether a value is an `Fn::If` one of whose outcomes removes it.
fn holds_removal(v: &Value) -> bool {
    match v.as_fn() {
        Some(Intrinsic::If {
            then, otherwise, ..
        }) => [then, otherwise]
            .into_iter()
            .any(|b| b.is_no_value() || holds_removal(b)),
        _ => false,
    }
}

/// Whether an `Fn::If` that may remove its value is anywhere in `v`: only then is there
/// anything for this check to judge.
fn removes_somewhere(v: &Value) -> bool {
    match v {
        Value::Map(m) => m.values().any(removes_somewhere),
        Value::List(items) => items.iter().any(removes_somewhere),
        Value::Fn(i) => match &**i {
            Intrinsic::If {
                then, otherwise, ..
            } => {
                then.is_no_value()
                    || otherwise.is_no_value()
                    || removes_somewhere(then)
                    || removes_somewhere(otherwise)
            }
            _ => false,
        },
        _ => false,
    }
}

/// The conditions of the `Fn::If`s that choose a value (nested ones too).
fn deciding<'a>(v: &'a Value, out: &mut BTreeSet<&'a str>) {
    if let Some(Intrinsic::If {
        condition,
        then,
        otherwise,
    }) = v.as_fn()
    {
        out.insert(condition.as_str());
        deciding(then, out);
        deciding(otherwise, out);
    }
}

/// The value an `Fn::If` chain yields when each condition is as `holds` says; `None`
/// when a condition it tests is not among them.
fn chosen<'v>(v: &'v Value, holds: &impl Fn(&str) -> Option<bool>) -> Option<&'v Value> {
    match v.as_fn() {
        Some(Intrinsic::If {
            condition,
            then,
            otherwise,
        }) => chosen(if holds(condition)? { then } else { otherwise }, holds),
        _ => Some(v),
    }
}

/// `Properties: {Fn::If: [C, A, B]}`: the condition and the branches that are maps.
#[allow(clippy::type_complexity)]
fn properties_if(
    props: &BTreeMap<String, Value>,
) -> Option<(&str, Vec<(bool, &BTreeMap<String, Value>)>)> {
    if props.len() != 1 {
        return None;
    }
    let args = props.get("Fn::If")?.as_list()?;
    let [c, a, b] = args else { return None };
    Some((
        c.as_str()?,
        [(true, a), (false, b)]
            .into_iter()
            .filter_map(|(p, v)| v.as_map().map(|m| (p, m)))
            .collect(),
    ))
}
