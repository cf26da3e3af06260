//! Canonical forms: two values CloudFormation treats as equal have the same canonical
//! string (10 and "10", true and "true", a set-like list in any order).

use super::cursor::Cursor;
use crate::template::{Intrinsic, Value};

/// The text of a scalar as CloudFormation compares it.
pub fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Whether a value is one string: a scalar, or an intrinsic that always yields a string
/// (`Ref` and `Fn::GetAtt` may yield lists, so they do not count).
pub fn yields_scalar(v: &Value) -> bool {
    match v {
        Value::String(_) | Value::Number(_) | Value::Bool(_) => true,
        Value::Fn(f) => matches!(
            **f,
            Intrinsic::Sub { .. }
                | Intrinsic::Join { .. }
                | Intrinsic::Select { .. }
                | Intrinsic::ImportValue(_)
                | Intrinsic::Base64(_)
        ),
        _ => false,
    }
}

/// Whether two values are equal as CloudFormation compares them: scalars by their text
/// (10 and "10"), set-like lists in any order, a lone scalar where a set is due as a set
/// of one. Allocation-free except for mixed-type scalars: diffs call it at every level.
pub fn same(a: &Value, b: &Value, at: Cursor) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x == y,
        (Value::Null, Value::Null) => true,
        (
            Value::String(_) | Value::Number(_) | Value::Bool(_),
            Value::String(_) | Value::Number(_) | Value::Bool(_),
        ) => scalar_text(a) == scalar_text(b),
        (Value::List(x), y) if at.is_set() && yields_scalar(y) => {
            x.len() == 1 && same(&x[0], y, at.item())
        }
        (x, Value::List(y)) if at.is_set() && yields_scalar(x) => {
            y.len() == 1 && same(x, &y[0], at.item())
        }
        (Value::List(x), Value::List(y)) => {
            if x.len() != y.len() {
                return false;
            }
            let item = at.item();
            if !at.is_set() {
                return x.iter().zip(y).all(|(p, q)| same(p, q, item));
            }
            // Greedy matching is exact here: `same` is an equivalence relation.
            let mut used = vec![false; y.len()];
            x.iter().all(
                |p| match (0..y.len()).find(|&j| !used[j] && same(p, &y[j], item)) {
                    Some(j) => {
                        used[j] = true;
                        true
                    }
                    None => false,
                },
            )
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same(v, w, at.field(k))))
        }
        // Intrinsics compare by name and arguments, the arguments as values: `Fn::Select
        // ["0", x]` is `Fn::Select [0, x]`, as in `canon` and for CloudFormation.
        (Value::Fn(x), Value::Fn(y)) => {
            x == y
                || (x.name() == y.name() && {
                    let args = match &**x {
                        Intrinsic::Ref(_) | Intrinsic::Condition(_) => Cursor::free(),
                        _ => at,
                    };
                    same(&x.long_args(), &y.long_args(), args)
                })
        }
        _ => false,
    }
}

/// The canonical string of a value at a position.
pub fn canon(v: &Value, at: Cursor) -> String {
    let mut out = String::new();
    write(v, at, &mut out);
    out
}

fn write(v: &Value, at: Cursor, out: &mut String) {
    // Where a set is due, a lone scalar is a set of one ("Action": "x" is ["x"]).
    if at.is_set() && yields_scalar(v) {
        out.push('[');
        write_one(v, at.item(), out);
        out.push(']');
        return;
    }
    write_one(v, at, out);
}

/// Writes a value as it stands, with no set-of-one wrapping at this level.
fn write_one(v: &Value, at: Cursor, out: &mut String) {
    match v {
        Value::Null => out.push('~'),
        Value::String(_) | Value::Number(_) | Value::Bool(_) => {
            out.push('"');
            // Escape the structural characters so different values never collide.
            for c in scalar_text(v).unwrap_or_default().chars() {
                if matches!(c, '"' | '\\') {
                    out.push('\\');
                }
                out.push(c);
            }
            out.push('"');
        }
        Value::List(items) => {
            let item = at.item();
            let mut parts: Vec<String> = items.iter().map(|x| canon(x, item)).collect();
            if at.is_set() {
                parts.sort_unstable();
            }
            out.push('[');
            out.push_str(&parts.join(","));
            out.push(']');
        }
        Value::Map(m) => {
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&canon(&Value::String(k.clone()), Cursor::free()));
                out.push(':');
                write(x, at.field(k), out);
            }
            out.push('}');
        }
        Value::Fn(f) => {
            out.push('<');
            out.push_str(f.name());
            out.push('>');
            // GetAtt's two spellings are already one form in the model.
            match &**f {
                Intrinsic::Ref(_) | Intrinsic::Condition(_) => {
                    write(&f.long_args(), Cursor::free(), out)
                }
                _ => write(&f.long_args(), at, out),
            }
        }
    }
}

/// A short human form: `${Res.Attr}` for GetAtt, `${Res}` for Ref, the template of a
/// Sub, compact JSON otherwise.
pub fn display(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(_) | Value::Bool(_) => scalar_text(v).unwrap_or_default(),
        Value::Fn(f) => match &**f {
            Intrinsic::Ref(r) => format!("${{{r}}}"),
            Intrinsic::GetAtt {
                resource,
                attribute: Value::String(a),
            } => format!("${{{resource}.{a}}}"),
            Intrinsic::Sub { template, .. } => template.clone(),
            _ => compact(v),
        },
        _ => compact(v),
    }
}

/// One-line JSON.
pub fn compact(v: &Value) -> String {
    serde_json::to_string(&to_json(v)).unwrap_or_default()
}

/// The value as serde JSON, intrinsics in long form.
pub fn to_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Number(n) => serde_json::Value::Number(n.clone()),
        Value::String(s) => serde_json::Value::String(s.clone()),
        Value::List(l) => serde_json::Value::Array(l.iter().map(to_json).collect()),
        Value::Map(m) => {
            serde_json::Value::Object(m.iter().map(|(k, x)| (k.clone(), to_json(x))).collect())
        }
        Value::Fn(f) => {
            let mut o = serde_json::Map::new();
            o.insert(f.name().to_string(), to_json(&f.long_args()));
            serde_json::Value::Object(o)
        }
    }
}

/// Whether a value holds an intrinsic anywhere (its result is known only at deploy time).
pub fn has_intrinsic(v: &Value) -> bool {
    v.has_intrinsic()
}

/// The logical ids a value refers to through Ref, GetAtt and Sub.
pub fn referenced_ids(v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    v.walk(&mut |x| {
        if let Value::Fn(f) = x {
            match &**f {
                Intrinsic::Ref(r) => out.push(r.clone()),
                Intrinsic::GetAtt { resource, .. } => out.push(resource.clone()),
                Intrinsic::Sub {
                    template,
                    variables,
                } => {
                    for name in crate::template::sub::sub_vars(template) {
                        if variables.as_ref().is_some_and(|v| v.contains_key(name)) {
                            continue;
                        }
                        out.push(name.split('.').next().unwrap_or("").to_string());
                    }
                }
                _ => {}
            }
        }
    });
    out
}

/// Whether a value may vanish: an `Fn::If` (one branch may be `AWS::NoValue`) or
/// `AWS::NoValue` itself.
fn may_vanish(v: &Value) -> bool {
    matches!(v, Value::Fn(f) if matches!(&**f, Intrinsic::If { .. })
        || matches!(&**f, Intrinsic::Ref(r) if r == "AWS::NoValue"))
}

/// Whether two values that are not [`same`] differ whatever their intrinsics resolve to:
/// a literal leaf differs where both sides hold a literal (in a map, or an ordered list of
/// the same length), a key is on one side only (with a value that cannot vanish), or two
/// `Fn::Sub` strings with the same variables diverge in their literal text at either end.
/// A literal against an intrinsic, or anything inside a set-like list that holds
/// intrinsics, is not certain: it depends on what is deployed.
///
/// ```
/// use perimeter::template::Template;
/// let v = |s: &str| perimeter::template::parse_value(s).unwrap();
/// let free = perimeter::diff::cursor::Cursor::free();
/// use perimeter::diff::certainly_differs;
/// assert!(certainly_differs(&v("{\"Image\": {\"Ref\": \"I\"}, \"Memory\": 512}"), &v("{\"Image\": {\"Ref\": \"I\"}, \"Memory\": 1024}"), free));
/// assert!(certainly_differs(&v("{\"Fn::Sub\": \"${AWS::StackName}-queue\"}"), &v("{\"Fn::Sub\": \"${AWS::StackName}-jobs\"}"), free));
/// assert!(!certainly_differs(&v("{\"Ref\": \"A\"}"), &v("{\"Ref\": \"B\"}"), free));
/// assert!(certainly_differs(&v("{\"Fn::Sub\": \"${A}x\"}"), &v("{\"Fn::Sub\": \"${A}xy\"}"), free));
/// assert!(!certainly_differs(&v("{\"Fn::Sub\": \"${A}-${B}\"}"), &v("{\"Fn::Sub\": \"${A}${B}-\"}"), free));
/// ```
pub fn certainly_differs(a: &Value, b: &Value, at: Cursor) -> bool {
    if !has_intrinsic(a) && !has_intrinsic(b) {
        return !same(a, b, at);
    }
    match (a, b) {
        (Value::Map(x), Value::Map(y)) => {
            let one_sided =
                |x: &std::collections::BTreeMap<String, Value>,
                 y: &std::collections::BTreeMap<String, Value>| {
                    x.iter().any(|(k, v)| !y.contains_key(k) && !may_vanish(v))
                };
            one_sided(x, y)
                || one_sided(y, x)
                || x.iter().any(|(k, v)| {
                    y.get(k)
                        .is_some_and(|w| certainly_differs(v, w, at.field(k)))
                })
        }
        (Value::List(x), Value::List(y)) if !at.is_set() => {
            if x.len() != y.len() {
                return !x.iter().chain(y).any(may_vanish);
            }
            x.iter()
                .zip(y)
                .any(|(p, q)| certainly_differs(p, q, at.item()))
        }
        (Value::Fn(x), Value::Fn(y)) => match (&**x, &**y) {
            (
                Intrinsic::Sub {
                    template: s,
                    variables: sv,
                },
                Intrinsic::Sub {
                    template: t,
                    variables: tv,
                },
            ) => sv == tv && sub_diverges(s, t),
            _ => false,
        },
        _ => false,
    }
}

/// Two `Fn::Sub` strings with the same variables in the same order whose literal text
/// differs in length (the variables add the same to both), or at the start or the end,
/// where no variable's value can make up the difference.
fn sub_diverges(s: &str, t: &str) -> bool {
    use crate::template::sub::{SubPart, sub_parts};
    let (a, b) = (sub_parts(s), sub_parts(t));
    let vars = |p: &[SubPart]| -> Vec<String> {
        p.iter()
            .filter_map(|x| match x {
                SubPart::Var(v) => Some(v.to_string()),
                _ => None,
            })
            .collect()
    };
    if vars(&a) != vars(&b) {
        return false;
    }
    // The literal text before the first variable and after the last, escapes written out.
    let ends = |p: &[SubPart]| -> (String, String, bool) {
        let text = |x: &SubPart| match x {
            SubPart::Text(t) => t.to_string(),
            SubPart::Escaped(e) => format!("${{{e}}}"),
            SubPart::Var(_) => String::new(),
        };
        let first_var = p.iter().position(|x| matches!(x, SubPart::Var(_)));
        match first_var {
            None => (p.iter().map(text).collect(), String::new(), false),
            Some(i) => {
                let last = p
                    .iter()
                    .rposition(|x| matches!(x, SubPart::Var(_)))
                    .unwrap_or(i);
                (
                    p[..i].iter().map(text).collect(),
                    p[last + 1..].iter().map(text).collect(),
                    true,
                )
            }
        }
    };
    let literal_len = |p: &[SubPart]| -> usize {
        p.iter()
            .map(|x| match x {
                SubPart::Text(t) => t.len(),
                SubPart::Escaped(e) => e.len() + 3,
                SubPart::Var(_) => 0,
            })
            .sum()
    };
    if literal_len(&a) != literal_len(&b) {
        return true;
    }
    let ((a_head, a_tail, has_vars), (b_head, b_tail, _)) = (ends(&a), ends(&b));
    if !has_vars {
        return a_head != b_head;
    }
    let diverge_front = !a_head.starts_with(&b_head) && !b_head.starts_with(&a_head);
    let diverge_back = !a_tail.ends_with(&b_tail) && !b_tail.ends_with(&a_tail);
    diverge_front || diverge_back
}
