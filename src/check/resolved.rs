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
//! every variable is one of these, a literal of its own map, `AWS::Region`,
//! `AWS::Partition` or `AWS::URLSuffix`. There the Region is each commercial Region of the
//! schemas (the schemas' patterns are those of `us-east-1`, and China's, GovCloud's and
//! the isolated partitions' Regions lack many types); a mapping's Region keys are each
//! tried when they are Regions of the `aws`, `aws-cn` or `aws-us-gov` partitions; the
//! partition and URL suffix are always the Region's own. A parameter read twice is one value;
//! a `NoEcho` parameter's value is never written into a finding (only a `Ref` of it is
//! judged, and its value is shown as `****`). Anything else (a resource's attribute, the
//! account, the stack's name) leaves the function unjudged.
//!
//! A value counts only where it can be: when the resource's `Condition` and the `Fn::If`
//! branches around it can all hold with the parameters that give the value
//! ([`conditions::possible_with`]); a parameter whose default is `""` and a resource made
//! only when it is not empty is no finding. Where that cannot be told, nothing is said.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{Finding, conditions, rules};
use crate::resources::{facts, resolved_problems};
use crate::template::{Intrinsic, ParameterType, Template, Transforms, Value, sub};

/// Values one function may take, at most: beyond, the product of a `Fn::Sub`'s variables
/// is not enumerated.
const MAX_VALUES: usize = 128;

/// Conditions, each assumed true or false.
type Assumed = Vec<(String, bool)>;
/// Parameters (pseudo ones too) and their values.
type Env = Vec<(String, String)>;
/// A dimension of an `Fn::Sub`'s values: a parameter (none: the Region), and its values
/// with where each comes from.
type Dimension = (Option<String>, Vec<(String, String)>);

/// What a NoEcho parameter's value is shown as.
const HIDDEN: &str = "****";

pub fn check(t: &Template, out: &mut Vec<Finding>) {
    let sam = t.transforms() != Transforms::None;
    // Whether conditions can hold with some parameters fixed, asked once for each set of
    // conditions and the values of the parameters they read (one template's resources
    // share their conditions).
    let mut memo: HashMap<(Assumed, Env), bool> = HashMap::new();
    for (id, r) in &t.resources {
        let ty = r.resource_type.as_str();
        if !r.properties.values().any(Value::has_intrinsic)
            || sam && facts::lookup_sam(ty).is_some()
        {
            continue;
        }
        let Some(f) = facts::lookup(ty) else { continue };
        // A value matters only where it can be: with the resource's condition true and
        // the Fn::If branches it is in chosen, for the parameter values that give it.
        let mut resolve = |v: &Value, when: &[(String, bool)]| {
            let mut assumed: Vec<(String, bool)> = r
                .condition
                .iter()
                .map(|c| (c.clone(), true))
                .chain(when.iter().cloned())
                .collect();
            assumed.sort();
            assumed.dedup();
            let read: BTreeSet<&str> = assumed
                .iter()
                .flat_map(|(c, _)| conditions::parameters(t, c))
                .collect();
            let mut seen = BTreeSet::new();
            // The parameters each value is given by matter only to conditions that read
            // parameters.
            let known = values(t, v, !read.is_empty());
            if known.is_empty() {
                return Vec::new();
            }
            let mut possible = |env: Vec<(String, String)>| {
                *memo
                    .entry((assumed.clone(), env.clone()))
                    .or_insert_with(|| {
                        let a: Vec<(&str, bool)> =
                            assumed.iter().map(|(c, h)| (c.as_str(), *h)).collect();
                        let fixed: BTreeMap<&str, &str> =
                            env.iter().map(|(p, v)| (p.as_str(), v.as_str())).collect();
                        conditions::possible_with(t, &a, &fixed) == Some(true)
                    })
            };
            // Conditions that read no parameter fix none: one answer for every value.
            let everywhere = read.is_empty().then(|| possible(Vec::new()));
            known
                .into_iter()
                .filter(|x| {
                    if let Some(answer) = everywhere {
                        return answer;
                    }
                    let env: Vec<(String, String)> = x
                        .env
                        .iter()
                        .filter(|(p, _)| read.contains(p.as_str()))
                        .cloned()
                        .collect();
                    possible(env)
                })
                // Two routes to one value are one value.
                .filter(|x| seen.insert(x.value.scalar_text()))
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
            let text = format!("{ty} {path}: {message} when {from}{others}");
            out.push(Finding::on(
                rules::RESOLVED_VALUE,
                id.as_str(),
                &format!("Properties.{path}"),
                hide_secrets(t, text),
            ));
        }
    }
}

/// The text with the values of the template's NoEcho parameters shown as `****`.
fn hide_secrets(t: &Template, mut text: String) -> String {
    for p in t.parameters.values().filter(|p| no_echo(p)) {
        let secrets = p
            .default
            .iter()
            .chain(p.allowed_values.iter().flatten())
            .filter_map(Value::scalar_text)
            .filter(|x| !x.is_empty());
        for x in secrets {
            text = text.replace(&format!("{x:?}"), &format!("{HIDDEN:?}"));
            text = text.replace(&x, HIDDEN);
        }
    }
    text
}

fn no_echo(p: &crate::template::Parameter) -> bool {
    p.no_echo
        .as_ref()
        .and_then(Value::scalar_text)
        .is_some_and(|x| x.eq_ignore_ascii_case("true"))
}

/// A value a function may take: where it comes from, and the parameters (pseudo ones
/// too) whose values give it.
struct Known {
    from: String,
    value: Value,
    /// Empty for an `Fn::Sub`'s value when not asked for (see [`values`]).
    env: Vec<(String, String)>,
}

/// The values a function may take; none when they cannot be known before deployment.
/// An `Fn::Sub`'s values say which parameters give them only when `env` is asked for
/// (each Region's pseudo parameters are six strings for each value).
fn values(t: &Template, v: &Value, env: bool) -> Vec<Known> {
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
        }) => substituted(t, template, variables.as_ref(), env),
        _ => Vec::new(),
    }
}

/// A parameter's allowed values, or else its default and a number's bounds, as text, each
/// with where it comes from (a NoEcho parameter's value is not named there).
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
    let shown = |x: &str| {
        if no_echo(p) {
            HIDDEN.to_string()
        } else {
            format!("{x:?}")
        }
    };
    if let Some(allowed) = &p.allowed_values {
        return allowed
            .iter()
            .filter_map(Value::scalar_text)
            .map(|x| {
                (
                    format!("parameter {name} takes its allowed value {}", shown(&x)),
                    x,
                )
            })
            .collect();
    }
    let mut out: Vec<(String, String)> = p
        .default
        .as_ref()
        .and_then(Value::scalar_text)
        .map(|x| {
            vec![(
                format!("parameter {name} keeps its default {}", shown(&x)),
                x,
            )]
        })
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

/// A parameter's values where they would be written into the value itself (a key of a
/// mapping, a variable of `Fn::Sub`): none for a NoEcho parameter.
fn open_parameter(t: &Template, name: &str) -> Vec<(String, String)> {
    match t.parameters.get(name) {
        Some(p) if no_echo(p) => Vec::new(),
        _ => parameter(t, name),
    }
}

/// The Regions `AWS::Region` is taken to be: those of the standard, China and GovCloud
/// partitions among the schemas' Regions.
fn regions() -> impl Iterator<Item = &'static str> {
    crate::resources::regions().filter(|r| !r.contains("-iso") && !r.starts_with("eusc-"))
}

/// A Region's partition and URL suffix.
fn partition_of(region: &str) -> (&'static str, &'static str) {
    let partition = super::partition(region);
    let suffix = if partition == "aws-cn" {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    (partition, suffix)
}

/// The pseudo parameters a Region fixes.
fn region_env(region: &str) -> Vec<(String, String)> {
    let (partition, suffix) = partition_of(region);
    vec![
        ("AWS::Region".to_string(), region.to_string()),
        ("AWS::Partition".to_string(), partition.to_string()),
        ("AWS::URLSuffix".to_string(), suffix.to_string()),
    ]
}

/// A text a key may be, and the parameters (with their values) that give it.
type KeyValue = (String, Vec<(String, String)>);

/// The texts a key of `Fn::FindInMap` may be, each with the parameters that give it: a
/// literal, a parameter's values, or (for `AWS::Region`) each of `keys` that is a Region.
fn key_values(t: &Template, key: &Value, keys: &[String]) -> Option<Vec<KeyValue>> {
    if let Some(x) = key.scalar_text() {
        return Some(vec![(x, Vec::new())]);
    }
    match key.as_fn()? {
        Intrinsic::Ref(r) if r == "AWS::Region" => Some(
            keys.iter()
                .filter(|k| regions().any(|r| r == k.as_str()))
                .map(|k| (k.clone(), region_env(k)))
                .collect(),
        ),
        Intrinsic::Ref(r) => {
            let xs: Vec<KeyValue> = open_parameter(t, r)
                .into_iter()
                .map(|(_, x)| (x.clone(), vec![(r.clone(), x)]))
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
    let tops: Vec<String> = m.keys().cloned().collect();
    let Some(top_keys) = key_values(t, top, &tops) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k1, env1) in &top_keys {
        let Some(Value::Map(inner)) = m.get(k1) else {
            continue;
        };
        let seconds: Vec<String> = inner.keys().cloned().collect();
        let Some(second_keys) = key_values(t, second, &seconds) else {
            return Vec::new();
        };
        for (k2, env2) in &second_keys {
            // One parameter (or the Region) read by both keys has one value.
            let clash = env1
                .iter()
                .any(|(p, v)| env2.iter().any(|(q, w)| p == q && v != w));
            // A scalar only: a list or object a mapping gives in place of an item is
            // left to the functions' own checks.
            if let Some(x) = inner.get(k2).filter(|x| x.scalar_text().is_some())
                && !clash
            {
                let mut env = env1.clone();
                env.extend(env2.iter().cloned());
                env.sort();
                env.dedup();
                out.push(Known {
                    from: format!("mapping {name} gives its {k1}.{k2} entry"),
                    value: x.clone(),
                    env,
                });
            }
        }
    }
    out
}

/// Where a variable of `Fn::Sub` takes its value from.
enum Source {
    Literal(String),
    /// A parameter, by name.
    Parameter(String),
    /// `AWS::Region`, `AWS::Partition` or `AWS::URLSuffix`: all three fixed by the Region.
    Region(&'static str),
}

/// The texts an `Fn::Sub` may give, when every variable's values are known and few.
fn substituted(
    t: &Template,
    template: &str,
    variables: Option<&BTreeMap<String, Value>>,
    need_env: bool,
) -> Vec<Known> {
    // Read once, substituted for each combination.
    let parts = sub::sub_parts(template);
    let mut names: Vec<&str> = parts
        .iter()
        .filter_map(|p| match p {
            sub::SubPart::Var(v) => Some(*v),
            _ => None,
        })
        .collect();
    names.sort_unstable();
    names.dedup();
    let source = |name: &str| -> Option<Source> {
        let own = variables.and_then(|m| m.get(name));
        let read = match own {
            Some(v) => match (v.scalar_text(), v.as_fn()) {
                (Some(x), _) => return Some(Source::Literal(x)),
                (None, Some(Intrinsic::Ref(r))) => r.as_str(),
                _ => return None,
            },
            None => name,
        };
        match read {
            "AWS::Region" => Some(Source::Region("AWS::Region")),
            "AWS::Partition" => Some(Source::Region("AWS::Partition")),
            "AWS::URLSuffix" => Some(Source::Region("AWS::URLSuffix")),
            p if p.starts_with("AWS::") => None,
            p => Some(Source::Parameter(p.to_string())),
        }
    };
    let mut sources: Vec<(&str, Source)> = Vec::new();
    for name in names {
        let Some(s) = source(name) else {
            return Vec::new();
        };
        sources.push((name, s));
    }
    // The dimensions: each parameter read once, and the Region if any variable reads it.
    let mut dims: Vec<Dimension> = Vec::new();
    let mut params: Vec<&str> = sources
        .iter()
        .filter_map(|(_, s)| match s {
            Source::Parameter(p) => Some(p.as_str()),
            _ => None,
        })
        .collect();
    params.sort_unstable();
    params.dedup();
    for p in params {
        let values = open_parameter(t, p);
        if values.is_empty() {
            return Vec::new();
        }
        dims.push((Some(p.to_string()), values));
    }
    if sources.iter().any(|(_, s)| matches!(s, Source::Region(_))) {
        // The commercial Regions: a type's schema (and so its patterns) is the same there,
        // where China's and GovCloud's Regions lack many types; a mapping's keys name the
        // Regions its author deploys to, and are each tried.
        dims.push((
            None,
            regions()
                .filter(|r| partition_of(r).0 == "aws")
                .map(|r| (format!("the Region is {r}"), r.to_string()))
                .collect(),
        ));
    }
    if dims.iter().map(|(_, o)| o.len()).product::<usize>() > MAX_VALUES {
        return Vec::new();
    }
    // Every combination of the dimensions' values, the first slowest.
    let mut combos: Vec<Vec<usize>> = vec![Vec::new()];
    for (_, options) in &dims {
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
        let chosen = |param: Option<&str>| {
            dims.iter()
                .zip(&combo)
                .find(|((p, _), _)| p.as_deref() == param)
                .map(|((_, o), i)| &o[*i])
        };
        let region = chosen(None).map(|(_, r)| r.as_str());
        let pick = |name: &str| -> Option<String> {
            let (_, s) = sources.iter().find(|(n, _)| *n == name)?;
            Some(match s {
                Source::Literal(x) => x.clone(),
                Source::Parameter(p) => chosen(Some(p))?.1.clone(),
                Source::Region(which) => {
                    let r = region?;
                    let (partition, suffix) = partition_of(r);
                    match *which {
                        "AWS::Region" => r.to_string(),
                        "AWS::Partition" => partition.to_string(),
                        _ => suffix.to_string(),
                    }
                }
            })
        };
        let Some(text) = sub::substitute_parts(&parts, template.len(), pick) else {
            continue;
        };
        let mut env: Vec<(String, String)> = Vec::new();
        let mut from: Vec<&str> = Vec::new();
        for ((p, o), i) in dims.iter().zip(&combo) {
            let (said, x) = &o[*i];
            from.push(said);
            if need_env {
                match p {
                    Some(p) => env.push((p.clone(), x.clone())),
                    None => env.extend(region_env(x)),
                }
            }
        }
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
