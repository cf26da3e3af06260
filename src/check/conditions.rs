//! What a check can know about a template's conditions before deployment: which
//! parameters decide them, whether one implies another, and which combinations of
//! `Fn::If` branches can occur together.

use std::collections::{BTreeMap, BTreeSet};

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

/// The combinations of truth values the conditions `names` take together (each in the
/// order of `names`) under some choice of the parameters they read: every combination
/// given is possible, as it is computed from values each parameter can be given (its
/// allowed values, or the literals it is compared with and one other value; a Region of
/// the schemas' list). `None` when a condition reads anything else (a function besides
/// Fn::Equals, Fn::And, Fn::Or, Fn::Not, Condition and Ref; a list parameter) or there are
/// too many choices to try.
pub fn outcomes(t: &Template, names: &[&str]) -> Option<BTreeSet<Vec<bool>>> {
    let space = Choices::of(t, names, &BTreeMap::new())?;
    let mut out = BTreeSet::new();
    space
        .each(|env| {
            let row: Option<Vec<bool>> = names.iter().map(|n| holds(t, n, env)).collect();
            match row {
                Some(row) => {
                    out.insert(row);
                    None
                }
                // A condition that cannot be evaluated leaves the outcomes unknown.
                None => Some(()),
            }
        })
        .map_or(Some(out), |()| None)
}

/// Whether the conditions can hold together, each as assumed, when the parameters in
/// `fixed` have those values and every other parameter the conditions read may take any
/// value it can be given: `Some(false)` when no choice makes them hold, `Some(true)` when
/// one does (computed as [`outcomes`] is), `None` when that cannot be told.
pub fn possible_with(
    t: &Template,
    assumed: &[(&str, bool)],
    fixed: &BTreeMap<&str, &str>,
) -> Option<bool> {
    if assumed.is_empty() {
        return Some(true);
    }
    let names: Vec<&str> = assumed.iter().map(|(c, _)| *c).collect();
    let space = Choices::of(t, &names, fixed)?;
    let found = space.each(|env| {
        let mut all = true;
        for (c, want) in assumed {
            match holds(t, c, env) {
                Some(v) => all &= v == *want,
                None => return Some(None),
            }
        }
        all.then_some(Some(true))
    });
    match found {
        Some(answer) => answer,
        None => Some(false),
    }
}

/// A condition's value under `env`.
fn holds(t: &Template, name: &str, env: &BTreeMap<&str, &str>) -> Option<bool> {
    evaluate(
        t,
        &Value::Fn(Box::new(Intrinsic::Condition(name.to_string()))),
        env,
        0,
    )
}

/// The choices of parameter values that decide some conditions: each parameter they read
/// (but those `fixed`) with the values it can surely be given, among them one of each kind
/// the conditions tell apart.
struct Choices<'a> {
    fixed: BTreeMap<&'a str, &'a str>,
    params: Vec<&'a str>,
    values: Vec<Vec<String>>,
}

impl<'a> Choices<'a> {
    /// `None` when a parameter's values cannot be listed, or there are too many choices.
    fn of(t: &'a Template, names: &[&str], fixed: &BTreeMap<&'a str, &'a str>) -> Option<Self> {
        const MAX_CHOICES: usize = 4096;
        let mut params = BTreeSet::new();
        let mut compared: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
        let mut seen = BTreeSet::new();
        for n in names {
            t.conditions.get(*n)?;
            params.extend(parameters(t, n));
            literals_compared(t, n, &mut compared, &mut seen);
        }
        let params: Vec<&str> = params
            .into_iter()
            .filter(|p| !fixed.contains_key(p))
            .collect();
        let mut values: Vec<Vec<String>> = Vec::with_capacity(params.len());
        let mut total = 1usize;
        for p in &params {
            let lits = compared.get(p).cloned().unwrap_or_default();
            let these = values_of(t, p, lits)?;
            if these.is_empty() {
                return None;
            }
            total = total.checked_mul(these.len())?;
            if total > MAX_CHOICES {
                return None;
            }
            values.push(these);
        }
        Some(Choices {
            fixed: fixed.clone(),
            params,
            values,
        })
    }

    /// Calls `f` with each choice (the fixed values too) until it answers something.
    fn each<R>(&self, mut f: impl FnMut(&BTreeMap<&str, &str>) -> Option<R>) -> Option<R> {
        let mut pick = vec![0usize; self.params.len()];
        loop {
            let mut env = self.fixed.clone();
            env.extend(
                self.params
                    .iter()
                    .zip(&pick)
                    .zip(&self.values)
                    .map(|((p, i), c)| (*p, c[*i].as_str())),
            );
            if let Some(r) = f(&env) {
                return Some(r);
            }
            // The next choice, as an odometer.
            let mut i = 0;
            loop {
                if i == pick.len() {
                    return None;
                }
                pick[i] += 1;
                if pick[i] < self.values[i].len() {
                    break;
                }
                pick[i] = 0;
                i += 1;
            }
        }
    }
}

/// The literals each parameter is compared with by `Fn::Equals` in a condition (and the
/// conditions it names).
fn literals_compared<'a>(
    t: &'a Template,
    condition: &str,
    out: &mut BTreeMap<&'a str, BTreeSet<String>>,
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
        let Some(f) = v.as_fn() else { continue };
        match f {
            Intrinsic::Equals(a, b) => {
                for (x, y) in [(a, b), (b, a)] {
                    if let (Some(Intrinsic::Ref(p)), Some(text)) = (x.as_fn(), y.scalar_text()) {
                        out.entry(p.as_str()).or_default().insert(text);
                    }
                }
            }
            Intrinsic::Condition(c) => literals_compared(t, c, out, seen),
            Intrinsic::And(items) | Intrinsic::Or(items) => stack.extend(items),
            Intrinsic::Not(x) => stack.push(x),
            _ => {}
        }
    }
}

/// Values a parameter can surely be given, among them each literal it is compared with
/// that it accepts, and one it is compared with nowhere when that is sure to exist.
/// `None` for a parameter whose values cannot be listed so.
fn values_of(t: &Template, p: &str, compared: BTreeSet<String>) -> Option<Vec<String>> {
    use crate::template::ParameterType as T;
    let other = |taken: &BTreeSet<String>, base: &str| {
        (0..)
            .map(|i| format!("{base}{i}"))
            .find(|c| !taken.contains(c))
    };
    match p {
        "AWS::Region" => {
            let regions: Vec<&str> = crate::resources::regions().collect();
            let mut out: Vec<String> = compared
                .iter()
                .filter(|c| regions.contains(&c.as_str()))
                .cloned()
                .collect();
            out.extend(
                regions
                    .iter()
                    .find(|r| !compared.contains(**r))
                    .map(|r| r.to_string()),
            );
            return Some(out);
        }
        "AWS::Partition" => {
            return Some(["aws", "aws-cn", "aws-us-gov"].map(String::from).to_vec());
        }
        "AWS::AccountId" => {
            let mut out: Vec<String> = compared
                .iter()
                .filter(|c| c.len() == 12 && c.bytes().all(|b| b.is_ascii_digit()))
                .cloned()
                .collect();
            out.extend(other(&compared, "11111111111"));
            return Some(out);
        }
        _ => {}
    }
    let param = t.parameters.get(p)?;
    if let Some(allowed) = &param.allowed_values {
        return allowed.iter().map(Value::scalar_text).collect();
    }
    let number = match &param.parameter_type {
        T::Number => true,
        T::String | T::Aws(_) | T::Ssm(_) => false,
        _ => return None,
    };
    // A constraint the check cannot test on a literal leaves only what it can.
    let constrained = param.allowed_pattern.is_some()
        || param.min_length.is_some()
        || param.max_length.is_some()
        || param.min_value.is_some()
        || param.max_value.is_some();
    if constrained {
        return Some(Vec::new());
    }
    let mut out: Vec<String> = compared
        .iter()
        .filter(|c| !number || c.trim().parse::<f64>().is_ok_and(f64::is_finite))
        .cloned()
        .collect();
    out.extend(other(&compared, if number { "9" } else { "other" }));
    Some(out)
}

/// A condition's value when each parameter has the value `env` gives it.
fn evaluate(t: &Template, v: &Value, env: &BTreeMap<&str, &str>, depth: usize) -> Option<bool> {
    if depth > 32 {
        return None;
    }
    let text = |x: &Value| -> Option<String> {
        match x.as_fn() {
            Some(Intrinsic::Ref(p)) => env.get(p.as_str()).map(|s| s.to_string()),
            Some(_) => None,
            None => x.scalar_text(),
        }
    };
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => match v.as_fn()? {
            Intrinsic::Equals(a, b) => Some(text(a)? == text(b)?),
            Intrinsic::Not(x) => evaluate(t, x, env, depth + 1).map(|b| !b),
            Intrinsic::And(items) => items.iter().try_fold(true, |acc, i| {
                evaluate(t, i, env, depth + 1).map(|b| acc && b)
            }),
            Intrinsic::Or(items) => items.iter().try_fold(false, |acc, i| {
                evaluate(t, i, env, depth + 1).map(|b| acc || b)
            }),
            Intrinsic::Condition(c) => evaluate(t, t.conditions.get(c)?, env, depth + 1),
            _ => None,
        },
    }
}

/// Whether condition `a` (None: always) implies condition `b`: `Some(true)` when `a` is
/// `b` or an `Fn::And` that includes it, `Some(false)` when `a` always holds, does not
/// depend on what `b` depends on, or holds with `b` false for some choice of parameters;
/// `None` otherwise.
pub fn implies(t: &Template, a: Option<&str>, b: &str) -> Option<bool> {
    let Some(a) = a else {
        // An unconditional resource exists when `b` is false, if `b` can be false.
        return (!parameters(t, b).is_empty()).then_some(false);
    };
    if a == b || and_includes(t, a, b, 0) {
        return Some(true);
    }
    if independent(t, a, b) {
        return Some(false);
    }
    // Conditions on one parameter (Env is prod, Env is dev): a choice of it that makes
    // `a` true and `b` false shows `a` does not imply `b`.
    outcomes(t, &[a, b])
        .is_some_and(|o| o.contains(&vec![true, false]))
        .then_some(false)
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
        // NotA holds exactly when HasA does not (A other than x).
        assert_eq!(implies(&t, Some("NotA"), "HasA"), Some(false));
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

    #[test]
    fn outcomes_are_those_some_parameter_values_bring_about() {
        let t = Template::parse_any(
            "Parameters:\n  Env:\n    Type: String\n    AllowedValues: [prod, dev]\n  Free:\n    Type: String\n  Shaped:\n    Type: String\n    AllowedPattern: '[a-z]+'\n  Names:\n    Type: CommaDelimitedList\nConditions:\n  Prod: !Equals [!Ref Env, prod]\n  Dev: !Equals [dev, !Ref Env]\n  IsX: !Equals [!Ref Free, x]\n  EastProd: !And [!Condition Prod, !Equals [!Ref 'AWS::Region', us-east-1]]\n  Shape: !Equals [!Ref Shaped, abc]\n  Listed: !Equals [!Select [0, !Ref Names], a]\nResources: {}\n",
        )
        .unwrap();
        let set = |rows: &[&[bool]]| rows.iter().map(|r| r.to_vec()).collect::<BTreeSet<_>>();
        // Env is prod or dev: never both, never neither.
        assert_eq!(
            outcomes(&t, &["Prod", "Dev"]),
            Some(set(&[&[true, false], &[false, true]]))
        );
        // A free string can be x or anything else.
        assert_eq!(outcomes(&t, &["IsX", "Prod"]).map(|o| o.len()), Some(4));
        assert_eq!(
            outcomes(&t, &["EastProd", "Prod"]),
            Some(set(&[&[true, true], &[false, true], &[false, false]]))
        );
        // A pattern the values are not tried against: nothing is claimed.
        assert_eq!(outcomes(&t, &["Shape"]), None);
        // A function other than Ref in Fn::Equals: not told.
        assert_eq!(outcomes(&t, &["Listed"]), None);
        assert_eq!(outcomes(&t, &["Nowhere"]), None);
        // Prod and Dev share their parameter, yet Dev holds with Prod false.
        assert_eq!(implies(&t, Some("Dev"), "Prod"), Some(false));
        assert_eq!(implies(&t, Some("EastProd"), "Prod"), Some(true));
    }
}
