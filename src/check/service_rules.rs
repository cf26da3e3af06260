//! Service rules: what a service refuses although each value is valid on its own (the
//! ports a protocol needs, an RDS engine's versions, an S3 ACL without object ownership).
//! cfn-lint writes these rules as JSON-schema extensions; `scripts/distill_schemas.py`
//! copies the ones whose keywords this evaluator knows into `data/service-rules.json`.
//!
//! The evaluation has three outcomes: a value that is an intrinsic function (a `Ref` to a
//! parameter, an `Fn::If` whose branches disagree) is unknown until deployment, and an
//! unknown never becomes a finding.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::Value as Json;

use super::{Finding, rules};
use crate::template::{Intrinsic, Template, Value};

/// One distilled rule.
#[derive(Debug, Deserialize)]
pub struct ServiceRule {
    /// cfn-lint's id, e.g. `E3687`.
    pub id: String,
    pub description: String,
    /// Where it applies: `Resources/<type>/Properties[/<name>|/*]...`.
    pub at: Vec<String>,
    pub schema: Json,
    /// Properties compared in lower case (cfn-lint's code lowercases them first).
    #[serde(default)]
    pub lowercase: Vec<String>,
    /// The check rule that reports it, for a part of a resource type's own schema (its
    /// `allOf`: an if/then, a oneOf of required sets); cfn-lint's service rules are S109.
    #[serde(default)]
    pub rule: Option<String>,
}

impl ServiceRule {
    /// The check rule its findings are reported under.
    pub fn check_rule(&self) -> &'static rules::Rule {
        self.rule
            .as_deref()
            .and_then(rules::find)
            .unwrap_or(rules::SERVICE_RULE)
    }
}

/// Every distilled rule, read once.
pub fn all() -> &'static [ServiceRule] {
    static RULES: OnceLock<Vec<ServiceRule>> = OnceLock::new();
    RULES.get_or_init(|| {
        serde_json::from_str(include_str!("../../data/service-rules.json"))
            .expect("data/service-rules.json is written by scripts/distill_schemas.py")
    })
}

/// A rule and the path below Properties where it applies.
type Placed = (&'static ServiceRule, Vec<&'static str>);

/// The rules by resource type.
fn by_type() -> &'static HashMap<&'static str, Vec<Placed>> {
    static INDEX: OnceLock<HashMap<&str, Vec<Placed>>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut index: HashMap<&str, Vec<_>> = HashMap::new();
        for rule in all() {
            for at in &rule.at {
                let mut parts = at.split('/');
                let (Some("Resources"), Some(ty), Some("Properties")) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    continue;
                };
                index.entry(ty).or_default().push((rule, parts.collect()));
            }
        }
        index
    })
}

pub fn check(t: &Template, out: &mut Vec<Finding>) {
    let index = by_type();
    for (id, r) in &t.resources {
        let Some(rules_here) = index.get(r.resource_type.as_str()) else {
            continue;
        };
        // The whole object as a value, made only for the rules that judge it whole.
        let mut whole: Option<Value> = None;
        for (rule, below) in rules_here {
            let mut places = Vec::new();
            match below.split_first() {
                None => {
                    let props = whole.get_or_insert_with(|| Value::Map(r.properties.clone()));
                    places.push(("Properties".to_string(), &*props));
                }
                Some((first, rest)) => {
                    if let Some(next) = r.properties.get(*first) {
                        select(next, rest, format!("Properties.{first}"), &mut places);
                    }
                }
            }
            for (path, value) in places {
                let ev = Eval {
                    root: &rule.schema,
                    quiet: false,
                };
                let mut verdict = None;
                for (when, value) in scenarios(t, value) {
                    let value = lowered(value, &rule.lowercase);
                    if let Verdict::Fail(why) = ev.eval(&rule.schema, &value, &path) {
                        verdict = Some(format!("{why}{when}"));
                        break;
                    }
                }
                if let Some(why) = verdict {
                    // Some of cfn-lint's rules have no description (E3680): the id alone.
                    let said = rule.description.split_whitespace().collect::<Vec<_>>();
                    let cited = if said.is_empty() {
                        format!("cfn-lint {}", rule.id)
                    } else {
                        format!("cfn-lint {}: {}", rule.id, said.join(" "))
                    };
                    out.push(Finding::on(
                        rule.check_rule(),
                        id.as_str(),
                        &path,
                        format!("{why} ({cited})"),
                    ));
                }
            }
        }
    }
}

/// The object as each deployment may see it. When its properties are chosen by `Fn::If`
/// on one condition alone, both truth values of that condition occur (a condition that
/// holds in one deployment fails in another), so each is an object of its own: the
/// branches taken, `AWS::NoValue` removing the property. Otherwise the object as
/// written, whose conditional values the evaluation leaves unknown.
fn scenarios<'a>(t: &Template, v: &'a Value) -> Vec<(String, Cow<'a, Value>)> {
    // Borrowed: most objects have no condition, and copying each (a resource's whole
    // properties for rules on them) cost this rule more than its judging.
    let as_is = || vec![(String::new(), Cow::Borrowed(v))];
    let Value::Map(m) = v else { return as_is() };
    let mut condition = None;
    for x in m.values() {
        if let Some(Intrinsic::If { condition: c, .. }) = x.as_fn() {
            match condition {
                None => condition = Some(c),
                Some(seen) if seen == c => {}
                Some(_) => return as_is(),
            }
        }
    }
    let Some(condition) = condition else {
        return as_is();
    };
    let conditional: Vec<&String> = m
        .iter()
        .filter(|(_, x)| branches(x).is_some())
        .map(|(k, _)| k)
        .collect();
    // One property chosen by nested conditions: each value it may take is a
    // deployment of its own (the first branch needs only its condition to hold).
    if let [key] = conditional[..]
        && branches(&m[key.as_str()]).is_some_and(|b| b.iter().any(|x| branches(x).is_some()))
    {
        let mut out = Vec::new();
        leaves(t, &m[key.as_str()], &mut Vec::new(), &mut out);
        return out
            .into_iter()
            .map(|(when, leaf)| {
                let mut resolved = m.clone();
                match leaf {
                    Some(x) => resolved.insert(key.clone(), x.clone()),
                    None => resolved.remove(key.as_str()),
                };
                (when, Cow::Owned(Value::Map(resolved)))
            })
            .collect();
    }
    [true, false]
        .into_iter()
        .filter(|holds| constant(t, condition).is_none_or(|c| c == *holds))
        .map(|holds| {
            let mut resolved = m.clone();
            resolved.retain(|_, x| match x.as_fn() {
                Some(Intrinsic::If {
                    then, otherwise, ..
                }) => !no_value(if holds { then } else { otherwise }),
                _ => true,
            });
            for x in resolved.values_mut() {
                if let Some(Intrinsic::If {
                    then, otherwise, ..
                }) = x.as_fn()
                {
                    *x = if holds {
                        then.clone()
                    } else {
                        otherwise.clone()
                    };
                }
            }
            (
                format!(" when condition {condition} is {holds}"),
                Cow::Owned(Value::Map(resolved)),
            )
        })
        .collect()
}

/// The truth of a condition that compares literals only (`!Equals [a, b]`, its `Fn::Not`):
/// it holds, or fails, in every deployment.
fn constant(t: &Template, name: &str) -> Option<bool> {
    fn eval(t: &Template, v: &Value, depth: usize) -> Option<bool> {
        match v.as_fn()? {
            Intrinsic::Equals(a, b) => Some(a.scalar_text()? == b.scalar_text()?),
            Intrinsic::Not(x) => eval(t, x, depth).map(|b| !b),
            Intrinsic::Condition(c) if depth < 8 => eval(t, t.conditions.get(c)?, depth + 1),
            _ => None,
        }
    }
    eval(t, t.conditions.get(name)?, 0)
}

/// The values a tree of `Fn::If` may take (`None`: `AWS::NoValue`), each with the
/// conditions that choose it; a path that needs a condition both true and false is none.
fn leaves<'a>(
    t: &Template,
    v: &'a Value,
    path: &mut Vec<(&'a str, bool)>,
    out: &mut Vec<(String, Option<&'a Value>)>,
) {
    if let Some(Intrinsic::If {
        condition,
        then,
        otherwise,
    }) = v.as_fn()
    {
        for (holds, branch) in [(true, then), (false, otherwise)] {
            if constant(t, condition).is_some_and(|c| c != holds) {
                continue;
            }
            match path.iter().find(|(c, _)| c == condition) {
                Some((_, h)) if *h != holds => continue,
                Some(_) => leaves(t, branch, path, out),
                None => {
                    path.push((condition, holds));
                    leaves(t, branch, path, out);
                    path.pop();
                }
            }
        }
        return;
    }
    let when = path
        .iter()
        .map(|(c, h)| format!("condition {c} is {h}"))
        .collect::<Vec<_>>()
        .join(" and ");
    out.push((format!(" when {when}"), (!no_value(v)).then_some(v)));
}

/// The values at a path below a resource's properties (`*`: each item of a list).
fn select<'a>(v: &'a Value, below: &[&str], path: String, out: &mut Vec<(String, &'a Value)>) {
    let Some((first, rest)) = below.split_first() else {
        out.push((path, v));
        return;
    };
    match (*first, v) {
        ("*", Value::List(items)) => {
            for (i, item) in items.iter().enumerate() {
                select(item, rest, format!("{path}[{i}]"), out);
            }
        }
        (name, Value::Map(m)) => {
            if let Some(next) = m.get(name) {
                select(next, rest, format!("{path}.{name}"), out);
            }
        }
        _ => {}
    }
}

/// The object with the named properties' strings in lower case; copied only when it has
/// one.
fn lowered<'a>(v: Cow<'a, Value>, names: &[String]) -> Cow<'a, Value> {
    let has = |m: &BTreeMap<String, Value>| {
        names
            .iter()
            .any(|n| matches!(m.get(n.as_str()), Some(Value::String(_))))
    };
    if !matches!(&*v, Value::Map(m) if has(m)) {
        return v;
    }
    let mut v = v.into_owned();
    if let Value::Map(m) = &mut v {
        for n in names {
            if let Some(Value::String(s)) = m.get_mut(n) {
                *s = s.to_lowercase();
            }
        }
    }
    Cow::Owned(v)
}

/// The outcome of a schema on a value.
#[derive(Debug)]
enum Verdict {
    Pass,
    /// Why it fails, in words.
    Fail(String),
    /// Known only at deployment.
    Unknown,
}

use Verdict::{Fail, Pass, Unknown};

struct Eval<'a> {
    root: &'a Json,
    /// Whether failures' reasons are dropped unread (see [`Eval::quiet`]).
    quiet: bool,
}

/// A value as it is known before deployment: an intrinsic function is not.
fn known(v: &Value) -> Option<&Value> {
    match v {
        Value::Fn(_) => None,
        dynamic if dynamic.is_dynamic_reference() => None,
        other => Some(other),
    }
}

/// `Fn::If`'s branches, or `None` for another value.
fn branches(v: &Value) -> Option<[&Value; 2]> {
    match v.as_fn()? {
        Intrinsic::If {
            then, otherwise, ..
        } => Some([then, otherwise]),
        _ => None,
    }
}

fn no_value(v: &Value) -> bool {
    matches!(v.as_fn(), Some(Intrinsic::Ref(r)) if r == "AWS::NoValue")
}

impl Eval<'_> {
    /// The evaluator for a schema whose failure is only tested, never told (an `if`'s
    /// condition, a `not`'s argument): it words no reasons. Enum and pattern failures
    /// inside conditions are most of what service rules evaluate, and their reasons
    /// (an enum's options listed) cost more than the judging.
    fn quiet(&self) -> Eval<'_> {
        Eval {
            root: self.root,
            quiet: true,
        }
    }

    /// A failure, its reason worded only when it may be told.
    fn fail(&self, why: impl FnOnce() -> String) -> Verdict {
        Fail(if self.quiet { String::new() } else { why() })
    }

    fn eval(&self, schema: &Json, v: &Value, path: &str) -> Verdict {
        // A value chosen by a condition is judged on each branch: it fails only if both do.
        if let Some([a, b]) = branches(v) {
            return match (self.eval(schema, a, path), self.eval(schema, b, path)) {
                (Pass, Pass) => Pass,
                (Fail(why), Fail(_)) => Fail(why),
                _ => Unknown,
            };
        }
        let Json::Object(s) = schema else {
            return match schema {
                Json::Bool(false) => self.fail(|| format!("{path} is not allowed")),
                _ => Pass,
            };
        };
        let mut unknown = false;
        for (key, arg) in s {
            let verdict = match key.as_str() {
                "$ref" => match arg.as_str().and_then(|r| self.resolve(r)) {
                    Some(target) => self.eval(target, v, path),
                    None => Unknown,
                },
                "allOf" => self.all_of(arg, v, path),
                "anyOf" => self.any_of(arg, v, path),
                "oneOf" => self.one_of(arg, v, path),
                "not" => match self.quiet().eval(arg, v, path) {
                    Pass => self.fail(|| describe_not(arg, path)),
                    Fail(_) => Pass,
                    Unknown => Unknown,
                },
                "if" => self.if_then(s, arg, v, path),
                "then" | "else" | "description" | "definitions" => Pass,
                "additionalProperties" | "patternProperties" | "propertyNames" => match known(v) {
                    Some(v) => self.object_keys(s, key, arg, v, path),
                    None => Unknown,
                },
                _ => self.keyword(key, arg, v, path),
            };
            match verdict {
                Pass => {}
                Unknown => unknown = true,
                fail => return fail,
            }
        }
        if unknown { Unknown } else { Pass }
    }

    fn resolve(&self, r: &str) -> Option<&Json> {
        let mut node = self.root;
        for part in r.strip_prefix("#/")?.split('/') {
            node = node.get(part)?;
        }
        Some(node)
    }

    fn all_of(&self, arg: &Json, v: &Value, path: &str) -> Verdict {
        let mut unknown = false;
        for sub in arg.as_array().into_iter().flatten() {
            match self.eval(sub, v, path) {
                Pass => {}
                Unknown => unknown = true,
                fail => return fail,
            }
        }
        if unknown { Unknown } else { Pass }
    }

    fn any_of(&self, arg: &Json, v: &Value, path: &str) -> Verdict {
        let mut first = None;
        let mut unknown = false;
        for sub in arg.as_array().into_iter().flatten() {
            match self.eval(sub, v, path) {
                Pass => return Pass,
                Unknown => unknown = true,
                Fail(why) => first = first.or(Some(why)),
            }
        }
        match (unknown, first) {
            (true, _) => Unknown,
            (false, Some(_)) if required_sets(arg).is_some() => self.fail(|| {
                format!(
                    "{path} needs one of: {}",
                    show_sets(&required_sets(arg).unwrap_or_default())
                )
            }),
            (false, Some(why)) => Fail(why),
            (false, None) => Pass,
        }
    }

    fn one_of(&self, arg: &Json, v: &Value, path: &str) -> Verdict {
        let mut passes = 0;
        let mut first = None;
        for sub in arg.as_array().into_iter().flatten() {
            match self.eval(sub, v, path) {
                Pass => passes += 1,
                Unknown => return Unknown,
                Fail(why) => first = first.or(Some(why)),
            }
        }
        let sets = required_sets(arg);
        match (passes, sets) {
            (1, _) => Pass,
            (0, Some(sets)) => self.fail(|| format!("{path} needs one of: {}", show_sets(&sets))),
            (0, None) => Fail(first.unwrap_or_else(|| format!("{path} matches none of the forms"))),
            // `oneOf: [{}, {required: [A, B]}]`: the empty form always holds, so A and B
            // may not be set together.
            (_, Some(sets)) if sets.iter().any(Vec::is_empty) => {
                let held: Vec<String> = sets
                    .iter()
                    .filter(|s| !s.is_empty() && all_present(s, v))
                    .map(|s| s.join(" and "))
                    .collect();
                self.fail(|| format!("{path}: {} cannot be set together", held.join("; ")))
            }
            (_, Some(sets)) => {
                self.fail(|| format!("{path}: only one of {} may be set", show_sets(&sets)))
            }
            _ => self.fail(|| format!("{path} matches more than one of the forms")),
        }
    }

    fn if_then(
        &self,
        s: &serde_json::Map<String, Json>,
        cond: &Json,
        v: &Value,
        path: &str,
    ) -> Verdict {
        let then = s.get("then");
        let otherwise = s.get("else");
        let run = |branch: Option<&Json>| branch.map_or(Pass, |b| self.eval(b, v, path));
        match self.quiet().eval(cond, v, path) {
            Pass => match run(then) {
                Fail(why) => self.fail(|| format!("when {}: {why}", describe_if(cond, v))),
                other => other,
            },
            Fail(_) => run(otherwise),
            Unknown => match (run(then), run(otherwise)) {
                (Pass, Pass) => Pass,
                _ => Unknown,
            },
        }
    }

    /// A keyword that judges the value itself.
    fn keyword(&self, key: &str, arg: &Json, v: &Value, path: &str) -> Verdict {
        let Some(v) = known(v) else {
            return Unknown;
        };
        match key {
            "type" => {
                let types: Vec<&str> = match arg {
                    Json::String(t) => vec![t],
                    Json::Array(ts) => ts.iter().filter_map(Json::as_str).collect(),
                    _ => return Pass,
                };
                if types.iter().any(|t| is_type(v, t)) {
                    Pass
                } else {
                    self.fail(|| format!("{path} must be of type {}", types.join(" or ")))
                }
            }
            "const" => match equal(v, arg) {
                Some(true) => Pass,
                Some(false) => self.fail(|| format!("{path} must be {arg}, not {}", show(v))),
                None => Unknown,
            },
            "enum" => {
                let options = arg.as_array().map(Vec::as_slice).unwrap_or_default();
                let mut unknown = false;
                for o in options {
                    match equal(v, o) {
                        Some(true) => return Pass,
                        None => unknown = true,
                        Some(false) => {}
                    }
                }
                if unknown {
                    Unknown
                } else {
                    self.fail(|| format!("{path} is {}, not one of {}", show(v), list(options)))
                }
            }
            "required" => {
                let Value::Map(m) = v else { return Pass };
                let mut unknown = false;
                for name in arg
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Json::as_str)
                {
                    match m.get(name) {
                        None => return self.fail(|| format!("{path}.{name} is required")),
                        Some(x) if no_value(x) => {
                            return self.fail(|| format!("{path}.{name} is required"));
                        }
                        Some(x) if branches(x).is_some_and(|b| b.iter().any(|y| no_value(y))) => {
                            unknown = true
                        }
                        Some(_) => {}
                    }
                }
                if unknown { Unknown } else { Pass }
            }
            "properties" => {
                let (Value::Map(m), Json::Object(props)) = (v, arg) else {
                    return Pass;
                };
                let mut unknown = false;
                for (name, sub) in props {
                    let Some(x) = m.get(name).filter(|x| !no_value(x)) else {
                        continue;
                    };
                    match self.eval(sub, x, &format!("{path}.{name}")) {
                        Pass => {}
                        Unknown => unknown = true,
                        fail => return fail,
                    }
                }
                if unknown { Unknown } else { Pass }
            }
            "dependentRequired" | "dependentExcluded" => {
                let (Value::Map(m), Json::Object(deps)) = (v, arg) else {
                    return Pass;
                };
                for (name, others) in deps {
                    if !m.contains_key(name) {
                        continue;
                    }
                    for other in others
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Json::as_str)
                    {
                        let present = m.contains_key(other);
                        if key == "dependentRequired" && !present {
                            return self.fail(|| format!("{path}.{name} requires {other}"));
                        }
                        if key == "dependentExcluded" && present {
                            return self
                                .fail(|| format!("{path}.{name} and {other} cannot both be set"));
                        }
                    }
                }
                Pass
            }
            "items" | "contains" | "minItems" | "maxItems" => self.list(key, arg, v, path),
            "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" | "multipleOf" => {
                let (Some(x), Some(bound)) = (v.as_number(), arg.as_f64()) else {
                    return if matches!(v, Value::Map(_) | Value::List(_)) {
                        Pass
                    } else {
                        Unknown
                    };
                };
                let ok = match key {
                    "minimum" => x >= bound,
                    "maximum" => x <= bound,
                    "exclusiveMinimum" => x > bound,
                    "exclusiveMaximum" => x < bound,
                    _ => bound == 0.0 || (x / bound).fract() == 0.0,
                };
                let word = match key {
                    "minimum" => "at least",
                    "maximum" => "at most",
                    "exclusiveMinimum" => "more than",
                    "exclusiveMaximum" => "less than",
                    _ => "a multiple of",
                };
                if ok {
                    Pass
                } else {
                    self.fail(|| format!("{path} is {x}; it must be {word} {bound}"))
                }
            }
            "minLength" | "maxLength" => {
                let (Value::String(s), Some(n)) = (v, arg.as_u64()) else {
                    return Pass;
                };
                let len = s.chars().count() as u64;
                match key {
                    "minLength" if len < n => {
                        self.fail(|| format!("{path} is shorter than {n} characters"))
                    }
                    "maxLength" if len > n => {
                        self.fail(|| format!("{path} is longer than {n} characters"))
                    }
                    _ => Pass,
                }
            }
            "pattern" => {
                let (Some(s), Some(p)) = (v.scalar_text(), arg.as_str()) else {
                    return Pass;
                };
                match matches(p, &s) {
                    Some(true) => Pass,
                    Some(false) => {
                        self.fail(|| format!("{path} is {}, which does not match {p}", show(v)))
                    }
                    None => Unknown,
                }
            }
            "format" => {
                let (Value::String(s), Some(f)) = (v, arg.as_str()) else {
                    return Pass;
                };
                let ok = match f {
                    "ipv4" => s.parse::<std::net::Ipv4Addr>().is_ok(),
                    "ipv6" => s.parse::<std::net::Ipv6Addr>().is_ok(),
                    "ipv4-network" => s.parse::<ipnet::Ipv4Net>().is_ok(),
                    "ipv6-network" => s.parse::<ipnet::Ipv6Net>().is_ok(),
                    // Formats cfn-lint defines in code: not judged here.
                    _ => return Pass,
                };
                if ok {
                    Pass
                } else {
                    self.fail(|| format!("{path} is {s:?}, not a valid {f}"))
                }
            }
            _ => Pass,
        }
    }

    /// The keywords that judge an object's keys: `propertyNames`, `patternProperties`
    /// (the values under keys that match) and `additionalProperties` (keys that neither
    /// `properties` nor `patternProperties` of the same schema name).
    fn object_keys(
        &self,
        s: &serde_json::Map<String, Json>,
        key: &str,
        arg: &Json,
        v: &Value,
        path: &str,
    ) -> Verdict {
        let Value::Map(m) = v else { return Pass };
        let patterns: Vec<(&String, &Json)> = s
            .get("patternProperties")
            .and_then(Json::as_object)
            .map(|p| p.iter().collect())
            .unwrap_or_default();
        let mut unknown = false;
        for (name, x) in m {
            let verdict = match key {
                "propertyNames" => self.eval(
                    arg,
                    &Value::String(name.clone()),
                    &format!("{path} key {name:?}"),
                ),
                "patternProperties" => {
                    let mut out = Pass;
                    for (p, sub) in &patterns {
                        match matches(p, name) {
                            Some(true) => {
                                out = self.eval(sub, x, &format!("{path}.{name}"));
                                if !matches!(out, Pass) {
                                    break;
                                }
                            }
                            Some(false) => {}
                            None => out = Unknown,
                        }
                    }
                    out
                }
                _ => {
                    let named = s
                        .get("properties")
                        .and_then(Json::as_object)
                        .is_some_and(|p| p.contains_key(name));
                    let patterned = patterns.iter().map(|(p, _)| matches(p, name));
                    if named || patterned.clone().any(|m| m == Some(true)) {
                        Pass
                    } else if patterned.into_iter().any(|m| m.is_none()) {
                        Unknown
                    } else if arg == &Json::Bool(false) {
                        self.fail(|| format!("{path}.{name} is not allowed here"))
                    } else {
                        self.eval(arg, x, &format!("{path}.{name}"))
                    }
                }
            };
            match verdict {
                Pass => {}
                Unknown => unknown = true,
                fail => return fail,
            }
        }
        if unknown { Unknown } else { Pass }
    }

    fn list(&self, key: &str, arg: &Json, v: &Value, path: &str) -> Verdict {
        let Value::List(items) = v else { return Pass };
        match key {
            "items" => {
                let mut unknown = false;
                for (i, item) in items.iter().enumerate() {
                    match self.eval(arg, item, &format!("{path}[{i}]")) {
                        Pass => {}
                        Unknown => unknown = true,
                        fail => return fail,
                    }
                }
                if unknown { Unknown } else { Pass }
            }
            "contains" => {
                let mut unknown = false;
                for (i, item) in items.iter().enumerate() {
                    match self.eval(arg, item, &format!("{path}[{i}]")) {
                        Pass => return Pass,
                        Unknown => unknown = true,
                        Fail(_) => {}
                    }
                }
                if unknown {
                    Unknown
                } else {
                    self.fail(|| format!("{path} has no item of the form required"))
                }
            }
            _ => {
                let n = arg.as_u64().unwrap_or(0) as usize;
                // An item that is a function stands for one item (CloudFormation does not
                // flatten lists), but one under Fn::If may vanish.
                if items.iter().any(|i| branches(i).is_some()) {
                    return Unknown;
                }
                match key {
                    "minItems" if items.len() < n => {
                        self.fail(|| format!("{path} needs at least {n} items"))
                    }
                    "maxItems" if items.len() > n => {
                        self.fail(|| format!("{path} takes at most {n} items"))
                    }
                    _ => Pass,
                }
            }
        }
    }
}

/// Whether a value is of a JSON-schema type, as CloudFormation reads scalars: a number or
/// boolean may be written as a string, and a string may be given as a number.
fn is_type(v: &Value, t: &str) -> bool {
    match (t, v) {
        ("object", Value::Map(_)) | ("array", Value::List(_)) | ("null", Value::Null) => true,
        ("string", Value::String(_) | Value::Number(_) | Value::Bool(_)) => true,
        ("boolean", Value::Bool(_)) => true,
        ("boolean", Value::String(s)) => {
            s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false")
        }
        ("number", x) => x.as_number().is_some(),
        ("integer", x) => x.as_number().is_some_and(|n| n.fract() == 0.0),
        _ => false,
    }
}

/// Equality as CloudFormation reads scalars (`"6"` is 6, `"True"` is true); `None` for
/// values that are not comparable before deployment.
fn equal(v: &Value, j: &Json) -> Option<bool> {
    Some(match (v, j) {
        (Value::String(a), Json::String(b)) => a == b,
        (Value::Bool(a), Json::Bool(b)) => a == b,
        (Value::String(a), Json::Bool(b)) => a.eq_ignore_ascii_case(&b.to_string()),
        (Value::Bool(a), Json::String(b)) => b.eq_ignore_ascii_case(&a.to_string()),
        (Value::Number(_) | Value::String(_), Json::Number(b)) => {
            v.as_number().zip(b.as_f64()).is_some_and(|(x, y)| x == y)
        }
        (Value::Number(a), Json::String(b)) => b.trim().parse::<f64>().ok() == a.as_f64(),
        (Value::Null, Json::Null) => true,
        (Value::Fn(_), _) => return None,
        (Value::List(a), Json::Array(b)) => {
            if a.len() != b.len() {
                return Some(false);
            }
            for (x, y) in a.iter().zip(b) {
                if !equal(x, y)? {
                    return Some(false);
                }
            }
            true
        }
        (Value::Map(a), Json::Object(b)) => {
            if a.len() != b.len() {
                return Some(false);
            }
            for (k, x) in a {
                match b.get(k) {
                    Some(y) if equal(x, y)? => {}
                    _ => return Some(false),
                }
            }
            true
        }
        _ => false,
    })
}

/// Whether `text` matches an ECMA-262 pattern; `None` for a pattern Rust's regex engine
/// does not read (lookaround): no verdict then.
fn matches(pattern: &str, text: &str) -> Option<bool> {
    thread_local! {
        static CACHE: RefCell<HashMap<String, Option<regex::Regex>>> = RefCell::new(HashMap::new());
    }
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        let re = c
            .entry(pattern.to_string())
            .or_insert_with(|| regex::Regex::new(pattern).ok());
        re.as_ref().map(|re| re.is_match(text))
    })
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        other => other
            .scalar_text()
            .unwrap_or_else(|| "a structure".to_string()),
    }
}

fn list(options: &[Json]) -> String {
    const SHOWN: usize = 12;
    let mut out: Vec<String> = options.iter().take(SHOWN).map(Json::to_string).collect();
    if options.len() > SHOWN {
        out.push(format!("... ({} in all)", options.len()));
    }
    out.join(", ")
}

/// The property sets of a `oneOf`/`anyOf` whose forms only require properties (`{}`
/// requires none), or `None`.
fn required_sets(arg: &Json) -> Option<Vec<Vec<&str>>> {
    arg.as_array()?
        .iter()
        .map(|form| {
            let form = form.as_object()?;
            match form.get("required") {
                None if form.is_empty() => Some(Vec::new()),
                Some(Json::Array(names)) if form.len() == 1 => {
                    names.iter().map(Json::as_str).collect()
                }
                _ => None,
            }
        })
        .collect()
}

fn show_sets(sets: &[Vec<&str>]) -> String {
    let shown: Vec<String> = sets
        .iter()
        .map(|s| {
            if s.is_empty() {
                "nothing".to_string()
            } else {
                s.join(" + ")
            }
        })
        .collect();
    shown.join(", ")
}

fn all_present(names: &[&str], v: &Value) -> bool {
    let Value::Map(m) = v else { return false };
    names
        .iter()
        .all(|n| m.get(*n).is_some_and(|x| !no_value(x)))
}

/// "IpProtocol is \"tcp\"": the values an `if` looked at.
fn describe_if(cond: &Json, v: &Value) -> String {
    let Value::Map(m) = v else {
        return "this value".to_string();
    };
    let mut names: Vec<&str> = Vec::new();
    if let Some(Json::Object(props)) = cond.get("properties") {
        names.extend(props.keys().map(String::as_str));
    }
    for r in cond
        .get("required")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(r) = r.as_str().filter(|r| !names.contains(r)) {
            names.push(r);
        }
    }
    let parts: Vec<String> = names
        .iter()
        .map(|n| match m.get(*n) {
            Some(Value::List(_) | Value::Map(_)) => format!("{n} is set"),
            Some(x) => format!("{n} is {}", show(x)),
            None => format!("{n} is absent"),
        })
        .collect();
    if parts.is_empty() {
        "this combination".to_string()
    } else {
        parts.join(" and ")
    }
}

fn describe_not(arg: &Json, path: &str) -> String {
    if let Some(names) = arg.get("required").and_then(Json::as_array)
        && arg.as_object().is_some_and(|o| o.len() == 1)
    {
        let names: Vec<&str> = names.iter().filter_map(Json::as_str).collect();
        return format!("{path} must not set {}", names.join(" and "));
    }
    format!("{path} has a form that is not allowed")
}

/// The cfn-lint rules the distilled data holds, sorted.
pub fn cfn_lint_ids() -> Vec<&'static str> {
    let ids: std::collections::BTreeSet<&str> = all()
        .iter()
        .filter(|r| r.rule.is_none())
        .map(|r| r.id.as_str())
        .collect();
    ids.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(yaml: &str) -> Vec<Finding> {
        let t = Template::parse_any(yaml).unwrap();
        let mut out = Vec::new();
        check(&t, &mut out);
        out
    }

    #[test]
    fn a_protocol_with_ports_needs_both_ports() {
        let f = findings(
            "Resources:\n  G:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: g\n      SecurityGroupIngress:\n        - IpProtocol: tcp\n          CidrIp: 10.0.0.0/8\n        - IpProtocol: tcp\n          FromPort: 443\n          ToPort: 443\n          CidrIp: 10.0.0.0/8\n",
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].path, "Resources.G.Properties.SecurityGroupIngress[0]");
        assert!(
            f[0].message.contains("when IpProtocol is \"tcp\""),
            "{}",
            f[0].message
        );
        assert!(f[0].message.contains("E3687"));
    }

    #[test]
    fn a_value_from_a_parameter_is_not_judged() {
        let f = findings(
            "Parameters:\n  P:\n    Type: String\nResources:\n  G:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: g\n      SecurityGroupIngress:\n        - IpProtocol: !Ref P\n          CidrIp: 10.0.0.0/8\n",
        );
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn a_condition_fails_only_when_both_branches_fail() {
        let bucket = |acl: &str| {
            format!(
                "Conditions:\n  C: !Equals [a, b]\nResources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      AccessControl: {acl}\n"
            )
        };
        assert_eq!(findings(&bucket("PublicRead")).len(), 1);
        assert_eq!(
            findings(&bucket("!If [C, PublicRead, LogDeliveryWrite]")).len(),
            1
        );
        assert!(findings(&bucket("!If [C, PublicRead, Private]")).is_empty());
        assert!(findings(&bucket("Private")).is_empty());
    }

    #[test]
    fn rds_engine_versions_are_checked_and_engines_lowercased() {
        let db = |engine: &str, version: &str| {
            format!(
                "Resources:\n  D:\n    Type: AWS::RDS::DBInstance\n    Properties:\n      DBInstanceClass: db.t3.micro\n      Engine: {engine}\n      EngineVersion: '{version}'\n"
            )
        };
        let f = findings(&db("mysql", "5.6.19"));
        assert!(f.iter().any(|f| f.message.contains("E3691")), "{f:?}");
        assert!(
            findings(&db("MySQL", "8.0.35"))
                .iter()
                .all(|f| !f.message.contains("E3691"))
        );
    }

    #[test]
    fn every_distilled_rule_reads_and_applies_somewhere() {
        assert!(all().len() >= 40);
        for r in all() {
            assert!(r.id.starts_with('E'), "{}", r.id);
            assert!(r.at.iter().all(|a| a.starts_with("Resources/")), "{}", r.id);
        }
    }

    #[test]
    fn each_truth_of_one_condition_is_a_deployment_of_its_own() {
        // HTTPS without certificates when the condition is false (cfn-lint E3676).
        let listener = |certs: &str| {
            format!(
                "Parameters:\n  Domain:\n    Type: String\nConditions:\n  HasCert: !Not [!Equals [!Ref Domain, '']]\nResources:\n  L:\n    Type: AWS::ElasticLoadBalancingV2::Listener\n    Properties:\n      LoadBalancerArn: arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/a/1\n      Port: 443\n      Protocol: HTTPS\n      Certificates: {certs}\n      DefaultActions: [{{Type: fixed-response, FixedResponseConfig: {{StatusCode: '200'}}}}]\n"
            )
        };
        let f = findings(&listener(
            "!If [HasCert, [{CertificateArn: arn:aws:acm:us-east-1:123456789012:certificate/x}], !Ref AWS::NoValue]",
        ));
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].message.contains("when condition HasCert is false"),
            "{}",
            f[0].message
        );
        assert!(f[0].message.contains("E3676"));
        assert!(
            findings(&listener(
                "[{CertificateArn: arn:aws:acm:us-east-1:123456789012:certificate/x}]"
            ))
            .is_empty()
        );
        // A condition on a parameter holds in one deployment and fails in another.
        let bucket = "Parameters:\n  P:\n    Type: String\nConditions:\n  C: !Equals [!Ref P, b]\nResources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      AccessControl: !If [C, PublicRead, Private]\n";
        let f = findings(bucket);
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].message.contains("when condition C is true"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn nested_conditions_choose_a_list_each() {
        // One subnet when NumberOfSubnets is 1: an application load balancer needs two.
        let lb = |one: &str| {
            format!(
                "Parameters:\n  N:\n    Type: Number\n  Subnets:\n    Type: List<AWS::EC2::Subnet::Id>\nConditions:\n  One: !Equals [1, !Ref N]\n  Two: !Equals [2, !Ref N]\nResources:\n  Lb:\n    Type: AWS::ElasticLoadBalancingV2::LoadBalancer\n    Properties:\n      Subnets: !If [One, {one}, !If [Two, [!Select [0, !Ref Subnets], !Select [1, !Ref Subnets]], !Ref Subnets]]\n"
            )
        };
        let f = findings(&lb("[!Select [0, !Ref Subnets]]"));
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].message.contains("when condition One is true"),
            "{}",
            f[0].message
        );
        assert!(
            findings(&lb(
                "[!Select [0, !Ref Subnets], !Select [1, !Ref Subnets]]"
            ))
            .is_empty()
        );
    }
}
