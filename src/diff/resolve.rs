//! What a property's intrinsics resolve to where their inputs are in the template:
//! `Fn::FindInMap` with literal keys (or a pseudo parameter such as `AWS::Region`, tried
//! for every key of the mapping), `Ref` to a parameter with a default, and `Fn::Sub` over
//! those. A change of a mapping or a default then shows on every property it feeds, with
//! the impact the property's schema gives it (the CDK diff misses these).

use std::collections::{BTreeMap, BTreeSet};

use crate::template::sub::substitute;
use crate::template::{Intrinsic, Template, Value};

/// A value resolved for one choice of the pseudo-parameter keys.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub value: Value,
    /// A parameter's default was used: a deployment may pass another value.
    pub via_default: bool,
}

/// The template side of a resolution, and the key that stands for pseudo parameters.
struct Env<'t> {
    t: &'t Template,
    /// The mapping key `AWS::Region` (or another pseudo parameter) takes.
    pseudo_key: Option<&'t str>,
    via_default: bool,
}

impl Env<'_> {
    fn string(&mut self, v: &Value) -> Option<String> {
        match self.value(v)? {
            Value::String(s) => Some(s),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    fn value(&mut self, v: &Value) -> Option<Value> {
        match v {
            Value::Fn(f) => match &**f {
                Intrinsic::Ref(name) => {
                    if name.starts_with("AWS::") {
                        return None;
                    }
                    let p = self.t.parameters.get(name)?;
                    self.via_default = true;
                    p.default.clone()
                }
                Intrinsic::FindInMap {
                    map,
                    top_key,
                    second_key,
                    default,
                } => {
                    let map = self.string(map)?;
                    let top = self.key(top_key)?;
                    let second = self.key(second_key)?;
                    let found = self
                        .t
                        .mappings
                        .get(&map)
                        .and_then(Value::as_map)
                        .and_then(|m| m.get(&top))
                        .and_then(Value::as_map)
                        .and_then(|m| m.get(&second))
                        .cloned();
                    match (found, default) {
                        (Some(v), _) => Some(v),
                        (None, Some(d)) => self.value(d),
                        (None, None) => None,
                    }
                }
                Intrinsic::Sub {
                    template,
                    variables,
                } => {
                    let text = substitute(template, |name| {
                        let by_name;
                        let v = match variables.as_ref().and_then(|m| m.get(name)) {
                            Some(v) => v,
                            None => {
                                by_name = Value::Fn(Box::new(Intrinsic::Ref(name.to_string())));
                                &by_name
                            }
                        };
                        self.string(v)
                    })?;
                    Some(Value::String(text))
                }
                _ => None,
            },
            Value::List(items) => items
                .iter()
                .map(|x| self.value(x))
                .collect::<Option<Vec<_>>>()
                .map(Value::List),
            Value::Map(m) => m
                .iter()
                .map(|(k, x)| Some((k.clone(), self.value(x)?)))
                .collect::<Option<BTreeMap<_, _>>>()
                .map(Value::Map),
            other => Some(other.clone()),
        }
    }

    /// A mapping key: a literal, a parameter's default, or a pseudo parameter standing
    /// for the key being tried.
    fn key(&mut self, v: &Value) -> Option<String> {
        if let Value::Fn(f) = v
            && let Intrinsic::Ref(name) = &**f
            && name.starts_with("AWS::")
        {
            return self.pseudo_key.map(str::to_string);
        }
        self.string(v)
    }
}

/// Whether a value holds an intrinsic this module can see through.
pub fn resolvable(v: &Value) -> bool {
    let mut found = false;
    v.walk(&mut |x| {
        if let Value::Fn(f) = x {
            found |= matches!(&**f, Intrinsic::FindInMap { .. } | Intrinsic::Sub { .. })
                || matches!(&**f, Intrinsic::Ref(r) if !r.starts_with("AWS::"));
        }
    });
    found
}

/// The keys a pseudo parameter may stand for in the mappings a value reads: the top-level
/// keys of every mapping it looks up by a pseudo parameter (of both templates).
fn pseudo_keys<'t>(v: &Value, templates: [&'t Template; 2]) -> BTreeSet<&'t str> {
    let mut maps = BTreeSet::new();
    v.walk(&mut |x| {
        if let Value::Fn(f) = x
            && let Intrinsic::FindInMap { map, top_key, .. } = &**f
            && matches!(top_key, Value::Fn(k) if matches!(&**k, Intrinsic::Ref(r) if r.starts_with("AWS::")))
            && let Some(name) = map.as_str()
        {
            maps.insert(name.to_string());
        }
    });
    let mut keys = BTreeSet::new();
    for t in templates {
        for name in &maps {
            if let Some(m) = t.mappings.get(name).and_then(Value::as_map) {
                keys.extend(m.keys().map(String::as_str));
            }
        }
    }
    keys
}

/// How a property's resolution differs between two templates whose text of it is the
/// same: per mapping key tried (none when no pseudo parameter is involved), the old and
/// new values. Empty when nothing differs or nothing resolves.
pub struct Shift {
    /// (key, old, new) for each key whose values differ; key `None` without pseudo keys.
    pub differing: Vec<(Option<String>, Resolved, Resolved)>,
    /// How many keys were tried (1 without pseudo keys).
    pub tried: usize,
}

pub fn shift(old_v: &Value, new_v: &Value, old: &Template, new: &Template) -> Shift {
    let keys = pseudo_keys(old_v, [old, new]);
    let keys: Vec<Option<&str>> = if keys.is_empty() {
        vec![None]
    } else {
        keys.into_iter().map(Some).collect()
    };
    let mut differing = Vec::new();
    for k in &keys {
        let resolve = |v: &Value, t: &Template| {
            let mut env = Env {
                t,
                pseudo_key: *k,
                via_default: false,
            };
            env.value(v).map(|value| Resolved {
                value,
                via_default: env.via_default,
            })
        };
        if let (Some(a), Some(b)) = (resolve(old_v, old), resolve(new_v, new))
            && !super::canon::same(&a.value, &b.value, super::cursor::Cursor::free())
        {
            differing.push((k.map(str::to_string), a, b));
        }
    }
    Shift {
        differing,
        tried: keys.len(),
    }
}
