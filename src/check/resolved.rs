//! Values known before deployment although written as functions: a parameter's allowed
//! values and default, a mapping's entries, an `Fn::Sub` of those and of the Region. Each
//! value such a function may take is checked against the property's schema as a literal
//! is (cfn-lint W1030, W1031, W1034). A value that fails is a deployment that fails: with
//! that parameter value, in that Region. A warning, since the deployment may never
//! choose it.
//!
//! Only what is known exactly is resolved: a `Ref` to a String, Number or AWS-specific
//! parameter (its allowed values, or else its default and a number's MinValue and
//! MaxValue; not an SSM one, whose default names a parameter, not its value; not a
//! list); `Fn::FindInMap` whose keys are literals, such parameters or `AWS::Region` (each
//! key of the map that is a Region then), when the entry is a scalar; `Fn::Sub` whose
//! every variable is one of these, a literal of its own map, `AWS::Region` (each Region
//! the schemas know), `AWS::Partition` or `AWS::URLSuffix`. Anything else (a resource's
//! attribute, the account, the stack's name) leaves the function unjudged.
//!
//! A value counts only where it can be: when the resource's `Condition` and the `Fn::If`
//! branches around it can all hold with the parameters that give the value
//! ([`conditions::possible_with`]); a parameter whose default is `""` and a resource made
//! only when it is not empty is no finding. Where that cannot be told, nothing is said.

use std::collections::BTreeMap;

use super::{Finding, conditions, rules};
use crate::resources::{facts, resolved_problems};
use crate::template::{Intrinsic, ParameterType, Template, Transforms, Value, sub};

/// Values one function may take, at most: beyond, the product of a `Fn::Sub`'s variables
/// is not enumerated.
const MAX_VALUES: usize = 128;

pub fn check(t: &Template, out: &mut Vec<Finding>) {
    let sam = t.transforms() != Transforms::None;
    for (id, r) in &t.resources {
        let ty = r.resource_type.as_str();
        if !r.properties.values().any(has_function) || sam && facts::lookup_sam(ty).is_some() {
            continue;
        }
        let Some(f) = facts::lookup(ty) else { continue };
        // A value matters only where it can be: with the resource's condition true and
        // the Fn::If branches it is in chosen, for the parameter values that give it.
        let mut resolve = |v: &Value, when: &[(String, bool)]| {
            let mut assumed: Vec<(&str, bool)> = r
                .condition
                .as_deref()
                .map(|c| vec![(c, true)])
                .unwrap_or_default();
            assumed.extend(when.iter().map(|(c, h)| (c.as_str(), *h)));
            values(t, v)
                .into_iter()
                .filter(|x| {
                    let env: BTreeMap<&str, &str> = x
                        .env
                        .iter()
                        .map(|(p, v)| (p.as_str(), v.as_str()))
                        .collect();
                    conditions::possible_with(t, &assumed, &env) == Some(true)
                })
                .map(|x| (x.from, x.value))
                .collect()
        };
        // One finding a property: its first failing value, and how many more fail.
        let mut by_path: BTreeMap<String, (String, String, usize)> = BTreeMap::new();
        for (problem, from) in resolved_problems(&f, &r.properties, &mut resolve) {
            by_path
                .entry(problem.path)
                .and_modify(|(_, _, more)| *more += 1)
                .or_insert((problem.message, from, 0));
        }
        for (path, (message, from, more)) in by_path {
            let others = match more {
                0 => String::new(),
                1 => " (and one other value)".to_string(),
                n => format!(" (and {n} other values)"),
            };
            out.push(Finding::on(
                rules::RESOLVED_VALUE,
                id.as_str(),
                &format!("Properties.{path}"),
                format!("{ty} {path}: {message} when {from}{others}"),
            ));
        }
    }
}

fn has_function(v: &Value) -> bool {
    match v {
        Value::Fn(_) => true,
        Value::List(items) => items.iter().any(has_function),
        Value::Map(m) => m.values().any(has_function),
        _ => false,
    }
}

/// A value a function may take: where it comes from, and the parameters (pseudo ones
/// too) whose values give it.
struct Known {
    from: String,
    value: Value,
    env: Vec<(String, String)>,
}

/// The values a function may take; none when they cannot be known before deployment.
fn values(t: &Template, v: &Value) -> Vec<Known> {
    match v.as_fn() {
        Some(Intrinsic::Ref(name)) => parameter(t, name)
            .into_iter()
            .map(|(from, x)| Known {
                from,
                env: vec![(name.clone(), x.clone())],
                value: Value::String(x),
            })
            .collect(),
        Some(Intrinsic::FindInMap {
            map,
            top_key,
            second_key,
            default: None,
        }) => find_in_map(t, map, top_key, second_key),
        Some(Intrinsic::Sub {
            template,
            variables,
        }) => substituted(t, template, variables.as_ref()),
        _ => Vec::new(),
    }
}

/// A parameter's allowed values, or else its default, as text.
fn parameter(t: &Template, name: &str) -> Vec<(String, String)> {
    let Some(p) = t.parameters.get(name) else {
        return Vec::new();
    };
    if !matches!(
        p.parameter_type,
        ParameterType::String | ParameterType::Number | ParameterType::Aws(_)
    ) {
        return Vec::new();
    }
    if let Some(allowed) = &p.allowed_values {
        return allowed
            .iter()
            .filter_map(Value::scalar_text)
            .map(|x| (format!("parameter {name} takes its allowed value {x:?}"), x))
            .collect();
    }
    let mut out: Vec<(String, String)> = p
        .default
        .as_ref()
        .and_then(Value::scalar_text)
        .map(|x| vec![(format!("parameter {name} keeps its default {x:?}"), x)])
        .unwrap_or_default();
    // A number parameter takes its bounds: a MinValue or MaxValue the property refuses
    // is a value the stack accepts and then fails on.
    if p.parameter_type == ParameterType::Number {
        for (word, bound) in [("MinValue", &p.min_value), ("MaxValue", &p.max_value)] {
            if let Some(x) = bound.as_ref().and_then(Value::scalar_text)
                && x.trim().parse::<f64>().is_ok_and(f64::is_finite)
            {
                out.push((format!("parameter {name} is given its {word} {x}"), x));
            }
        }
    }
    out
}

/// A text a key may be, and the parameter (with that value) that gives it, if any.
type KeyValue = (String, Option<(String, String)>);

/// The texts a key of `Fn::FindInMap` may be, each with the parameter that gives it: a
/// literal, a parameter's values, or (for `AWS::Region`) each of `choices`.
fn key_values(t: &Template, key: &Value, choices: &[String]) -> Option<Vec<KeyValue>> {
    if let Some(x) = key.scalar_text() {
        return Some(vec![(x, None)]);
    }
    match key.as_fn()? {
        Intrinsic::Ref(r) if r == "AWS::Region" => Some(
            choices
                .iter()
                .map(|c| (c.clone(), Some((r.clone(), c.clone()))))
                .collect(),
        ),
        Intrinsic::Ref(r) => {
            let xs: Vec<_> = parameter(t, r)
                .into_iter()
                .map(|(_, x)| (x.clone(), Some((r.clone(), x))))
                .collect();
            (!xs.is_empty()).then_some(xs)
        }
        _ => None,
    }
}

fn find_in_map(t: &Template, map: &Value, top: &Value, second: &Value) -> Vec<Known> {
    let Some(name) = map.scalar_text() else {
        return Vec::new();
    };
    let Some(Value::Map(m)) = t.mappings.get(&name) else {
        return Vec::new();
    };
    // `AWS::Region` reaches only the keys that are Regions.
    let tops: Vec<String> = m
        .keys()
        .filter(|k| crate::resources::regions().any(|r| r == k.as_str()))
        .cloned()
        .collect();
    let Some(top_keys) = key_values(t, top, &tops) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k1, p1) in &top_keys {
        let Some(Value::Map(inner)) = m.get(k1) else {
            continue;
        };
        let seconds: Vec<String> = inner.keys().cloned().collect();
        let Some(second_keys) = key_values(t, second, &seconds) else {
            return Vec::new();
        };
        for (k2, p2) in &second_keys {
            // A scalar only: a list or object a mapping gives in place of an item is
            // left to the functions' own checks.
            if let Some(x) = inner.get(k2).filter(|x| x.scalar_text().is_some()) {
                out.push(Known {
                    from: format!("mapping {name} gives its {k1}.{k2} entry"),
                    value: x.clone(),
                    env: p1.iter().chain(p2).cloned().collect(),
                });
            }
        }
    }
    out
}

/// A variable of `Fn::Sub`: its name, the parameter that gives it (none for a literal),
/// and its values with where each comes from.
type Variable<'a> = (&'a str, Option<&'a str>, Vec<(String, String)>);

/// The texts an `Fn::Sub` may give, when every variable's values are known and few.
fn substituted(
    t: &Template,
    template: &str,
    variables: Option<&BTreeMap<String, Value>>,
) -> Vec<Known> {
    let mut names: Vec<&str> = sub::sub_vars(template).collect();
    names.sort_unstable();
    names.dedup();
    // Each variable: the parameter that gives its value (none for a literal), its values.
    let mut choices: Vec<Variable<'_>> = Vec::new();
    for name in names {
        let own = variables.and_then(|m| m.get(name));
        let (param, options): (Option<&str>, Vec<(String, String)>) = match own {
            Some(v) => match v.scalar_text() {
                Some(x) => (None, vec![(String::new(), x)]),
                None => match v.as_fn() {
                    Some(Intrinsic::Ref(r)) => (Some(r.as_str()), pseudo_or_parameter(t, r)),
                    _ => (None, Vec::new()),
                },
            },
            None => (Some(name), pseudo_or_parameter(t, name)),
        };
        if options.is_empty() {
            return Vec::new();
        }
        choices.push((name, param, options));
    }
    if choices.iter().map(|(_, _, o)| o.len()).product::<usize>() > MAX_VALUES {
        return Vec::new();
    }
    // Every combination of the variables' values, the first variable slowest.
    let mut combos: Vec<Vec<usize>> = vec![Vec::new()];
    for (_, _, options) in &choices {
        combos = combos
            .into_iter()
            .flat_map(|c| {
                (0..options.len()).map(move |i| {
                    let mut c = c.clone();
                    c.push(i);
                    c
                })
            })
            .collect();
    }
    let mut out = Vec::new();
    for combo in combos {
        let pick = |name: &str| {
            choices
                .iter()
                .zip(&combo)
                .find(|((n, _, _), _)| *n == name)
                .map(|((_, _, o), i)| o[*i].1.clone())
        };
        let Some(text) = sub::substitute(template, pick) else {
            continue;
        };
        let from: Vec<String> = choices
            .iter()
            .zip(&combo)
            .filter(|((_, _, o), i)| !o[**i].0.is_empty())
            .map(|((_, _, o), i)| o[*i].0.clone())
            .collect();
        let env: Vec<(String, String)> = choices
            .iter()
            .zip(&combo)
            .filter_map(|((_, p, o), i)| p.map(|p| (p.to_string(), o[*i].1.clone())))
            .collect();
        let from = if from.is_empty() {
            "its variables are substituted".to_string()
        } else {
            from.join(" and ")
        };
        out.push(Known {
            from: format!("Fn::Sub gives {text:?} ({from})"),
            value: Value::String(text),
            env,
        });
    }
    out
}

/// The values of a variable of `Fn::Sub` that names a parameter or a pseudo parameter
/// whose values are known.
fn pseudo_or_parameter(t: &Template, name: &str) -> Vec<(String, String)> {
    let each = |xs: Vec<String>, what: &str| {
        xs.into_iter()
            .map(|x| (format!("{what} is {x}"), x))
            .collect::<Vec<_>>()
    };
    match name {
        "AWS::Region" => each(
            crate::resources::regions().map(String::from).collect(),
            "the Region",
        ),
        "AWS::Partition" => each(
            ["aws", "aws-cn", "aws-us-gov"].map(String::from).to_vec(),
            "the partition",
        ),
        "AWS::URLSuffix" => each(
            ["amazonaws.com", "amazonaws.com.cn"]
                .map(String::from)
                .to_vec(),
            "the URL suffix",
        ),
        _ if name.starts_with("AWS::") => Vec::new(),
        _ => parameter(t, name),
    }
}
