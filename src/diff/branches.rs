//! What a value can be once its `Fn::If`s are decided. The IAM and security group
//! sections read policies and rules through these, at every level a template may hold an
//! `Fn::If` (the whole Properties, a property, a policy, a statement list, a statement, a
//! rule list, a rule), so that a change inside either branch is compared, labelled with
//! its condition, and judged like any other.

use std::collections::BTreeMap;

use crate::template::{Intrinsic, Value};

/// The conditions that choose a branch: `if IsProd`, `unless IsProd`, joined by `, `;
/// empty when no condition is involved.
pub type Label = String;

/// Both labels, either alone when the other is empty.
pub fn join(a: &str, b: &str) -> Label {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ => format!("{a}, {b}"),
    }
}

/// Every value `v` can take, with the conditions that choose it; an `AWS::NoValue`
/// branch is no value. A value without `Fn::If` is one branch with an empty label.
///
/// ```text
/// // {"Fn::If": ["IsProd", A, {"Ref": "AWS::NoValue"}]} -> [("if IsProd", A)]
/// ```
pub fn branches(v: &Value) -> Vec<(Label, &Value)> {
    let mut out = Vec::new();
    collect(v, String::new(), &mut out);
    out
}

fn collect<'a>(v: &'a Value, label: Label, out: &mut Vec<(Label, &'a Value)>) {
    match v {
        Value::Fn(f) => match &**f {
            Intrinsic::If {
                condition,
                then,
                otherwise,
            } => {
                collect(then, join(&label, &format!("if {condition}")), out);
                collect(otherwise, join(&label, &format!("unless {condition}")), out);
            }
            _ if v.is_no_value() => {}
            _ => out.push((label, v)),
        },
        _ => out.push((label, v)),
    }
}

/// The elements of a list-valued field, each with the conditions that choose it: the
/// field may be a list or one element, itself behind `Fn::If`, and so may each element.
pub fn elements(v: Option<&Value>) -> Vec<(Label, &Value)> {
    let mut out = Vec::new();
    let Some(v) = v else { return out };
    for (outer, list) in branches(v) {
        match list {
            Value::List(items) => {
                for item in items {
                    for (inner, x) in branches(item) {
                        out.push((join(&outer, &inner), x));
                    }
                }
            }
            one => out.push((outer, one)),
        }
    }
    out
}

/// A resource's properties in each branch of a `Properties: {"Fn::If": [...]}`; the
/// properties themselves when they are not behind one.
pub fn property_sets(p: &BTreeMap<String, Value>) -> Vec<(Label, &BTreeMap<String, Value>)> {
    let whole = match (p.len(), p.get("Fn::If")) {
        (1, Some(Value::List(args))) if args.len() == 3 => args,
        _ => return vec![(String::new(), p)],
    };
    let Some(condition) = whole[0].as_str() else {
        return vec![(String::new(), p)];
    };
    let mut out = Vec::new();
    for (which, branch) in [("if", &whole[1]), ("unless", &whole[2])] {
        let label = format!("{which} {condition}");
        match branch {
            Value::Map(m) => out.extend(
                property_sets(m)
                    .into_iter()
                    .map(|(inner, m)| (join(&label, &inner), m)),
            ),
            Value::Fn(_) => {
                for (inner, v) in branches(branch) {
                    if let Value::Map(m) = v {
                        out.push((join(&label, &inner), m));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// `location [if X]`: where a statement or rule is, with the conditions that choose it.
pub fn labelled(location: &str, label: &str) -> String {
    if label.is_empty() {
        location.to_string()
    } else {
        format!("{location} [{label}]")
    }
}
