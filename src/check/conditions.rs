//! What a check can know about a template's conditions before deployment: which
//! parameters decide them, whether one implies another, and which combinations of
//! `Fn::If` branches can occur together.

use std::collections::BTreeSet;

use crate::template::{Intrinsic, Template, Value};

/// An assumption about conditions: each named condition true or false.
pub type Assumption<'a> = Vec<(&'a str, bool)>;

/// The values a value can take, each with the conditions under which it does
/// (`Fn::If` expanded; nested ones too).
pub fn alternatives(v: &Value) -> Vec<(Assumption<'_>, &Value)> {
    match v.as_fn() {
        Some(Intrinsic::If {
            condition,
            then,
            otherwise,
        }) => {
            let mut out = Vec::new();
            for (polarity, branch) in [(true, then), (false, otherwise)] {
                for (mut a, x) in alternatives(branch) {
                    a.insert(0, (condition.as_str(), polarity));
                    out.push((a, x));
                }
            }
            out
        }
        _ => vec![(Vec::new(), v)],
    }
}

/// The parameters (pseudo parameters included) a condition depends on, following the
/// conditions it names.
pub fn parameters<'a>(t: &'a Template, condition: &str) -> BTreeSet<&'a str> {
    let mut out = BTreeSet::new();
    let mut seen = BTreeSet::new();
    collect(t, condition, &mut out, &mut seen);
    out
}

fn collect<'a>(
    t: &'a Template,
    condition: &str,
    out: &mut BTreeSet<&'a str>,
    seen: &mut BTreeSet<String>,
) {
    if !seen.insert(condition.to_string()) {
        return;
    }
    let Some(def) = t.conditions.get(condition) else {
        return;
    };
    let mut stack = vec![def];
    while let Some(v) = stack.pop() {
        match v {
            Value::List(items) => stack.extend(items),
            Value::Map(m) => stack.extend(m.values()),
            Value::Fn(f) => match &**f {
                Intrinsic::Ref(p) => {
                    out.insert(p.as_str());
                }
                Intrinsic::Condition(c) => collect(t, c, out, seen),
                other => stack.extend(other.args()),
            },
            _ => {}
        }
    }
}

/// Whether two different conditions can take any pair of values: true when no
/// parameter decides both. (Conditions that share a parameter may still be
/// independent; then nothing is claimed.)
pub fn independent(t: &Template, a: &str, b: &str) -> bool {
    a != b && {
        let pa = parameters(t, a);
        !pa.is_empty() && {
            let pb = parameters(t, b);
            !pb.is_empty() && pa.is_disjoint(&pb)
        }
    }
}

/// Whether assumptions can hold together: `Some(true)` when they surely can, `Some(false)`
/// when they contradict (a condition both true and false), `None` when that depends on
/// how the conditions relate.
pub fn compatible(t: &Template, a: &[(&str, bool)], b: &[(&str, bool)]) -> Option<bool> {
    let all: Vec<&(&str, bool)> = a.iter().chain(b).collect();
    let mut sure = true;
    for (i, (ca, pa)) in all.iter().enumerate() {
        for (cb, pb) in &all[i + 1..] {
            if ca == cb {
                if pa != pb {
                    return Some(false);
                }
            } else if !independent(t, ca, cb) {
                sure = false;
            }
        }
    }
    sure.then_some(true)
}

/// Whether condition `a` (None: always) implies condition `b`: `Some(true)` when `a` is
/// `b` or an `Fn::And` that includes it, `Some(false)` when `a` always holds or does not
/// depend on what `b` depends on, `None` otherwise.
pub fn implies(t: &Template, a: Option<&str>, b: &str) -> Option<bool> {
    let Some(a) = a else {
        // An unconditional resource exists when `b` is false, if `b` can be false.
        return (!parameters(t, b).is_empty()).then_some(false);
    };
    if a == b || and_includes(t, a, b, 0) {
        return Some(true);
    }
    independent(t, a, b).then_some(false)
}

fn and_includes(t: &Template, a: &str, b: &str, depth: usize) -> bool {
    if depth > 16 {
        return false;
    }
    let Some(Intrinsic::And(items)) = t.conditions.get(a).and_then(Value::as_fn) else {
        return false;
    };
    items.iter().any(|i| match i.as_fn() {
        Some(Intrinsic::Condition(c)) => c == b || and_includes(t, c, b, depth + 1),
        _ => false,
    })
}

/// "when A is true and B is false".
pub fn describe(a: &[(&str, bool)]) -> String {
    if a.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = a.iter().map(|(c, p)| format!("{c} is {p}")).collect();
    format!(" when {}", parts.join(" and "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template() -> Template {
        Template::parse_any(
            "Parameters:\n  A:\n    Type: String\n  B:\n    Type: String\nConditions:\n  HasA: !Equals [!Ref A, x]\n  HasB: !Equals [!Ref B, x]\n  NotA: !Not [!Condition HasA]\n  Both: !And [!Condition HasA, !Condition HasB]\nResources: {}\n",
        )
        .unwrap()
    }

    #[test]
    fn independence_and_implication() {
        let t = template();
        assert!(independent(&t, "HasA", "HasB"));
        assert!(!independent(&t, "HasA", "NotA"));
        assert_eq!(implies(&t, Some("Both"), "HasA"), Some(true));
        assert_eq!(implies(&t, Some("HasB"), "HasA"), Some(false));
        assert_eq!(implies(&t, Some("NotA"), "HasA"), None);
        assert_eq!(implies(&t, None, "HasA"), Some(false));
        assert_eq!(
            compatible(&t, &[("HasA", true)], &[("HasA", false)]),
            Some(false)
        );
        assert_eq!(
            compatible(&t, &[("HasA", true)], &[("HasB", false)]),
            Some(true)
        );
        assert_eq!(compatible(&t, &[("HasA", true)], &[("NotA", true)]), None);
    }
}
