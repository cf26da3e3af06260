//! Everything outside Resources: the description, Transform, Parameters, Mappings,
//! Conditions, Rules, Outputs, Metadata, Hooks and Globals.

use std::collections::BTreeMap;

use super::cursor::Cursor;
use super::model::{Change, ChangeKind, SectionChange};
use super::values::diff_value;
use crate::template::{Output, Parameter, Template, Value};

fn parameter(p: &Parameter) -> Value {
    let mut m = BTreeMap::new();
    m.insert(
        "Type".to_string(),
        Value::from(p.parameter_type.to_string()),
    );
    let opt = |m: &mut BTreeMap<String, Value>, k: &str, v: &Option<Value>| {
        if let Some(v) = v {
            m.insert(k.to_string(), v.clone());
        }
    };
    opt(
        &mut m,
        "Description",
        &p.description.clone().map(Value::from),
    );
    opt(&mut m, "Default", &p.default);
    opt(
        &mut m,
        "AllowedValues",
        &p.allowed_values.clone().map(Value::List),
    );
    opt(
        &mut m,
        "AllowedPattern",
        &p.allowed_pattern.clone().map(Value::from),
    );
    opt(
        &mut m,
        "ConstraintDescription",
        &p.constraint_description.clone().map(Value::from),
    );
    opt(&mut m, "MinLength", &p.min_length);
    opt(&mut m, "MaxLength", &p.max_length);
    opt(&mut m, "MinValue", &p.min_value);
    opt(&mut m, "MaxValue", &p.max_value);
    opt(&mut m, "NoEcho", &p.no_echo);
    Value::Map(m)
}

fn output(o: &Output) -> Value {
    let mut m = BTreeMap::new();
    m.insert("Value".to_string(), o.value.clone());
    if let Some(d) = &o.description {
        m.insert("Description".into(), d.clone());
    }
    if let Some(e) = &o.export_name {
        m.insert("Export".into(), Value::map([("Name", e.clone())]));
    }
    if let Some(c) = &o.condition {
        m.insert("Condition".into(), Value::from(c.as_str()));
    }
    Value::Map(m)
}

fn section(
    out: &mut Vec<SectionChange>,
    name: &str,
    a: &BTreeMap<String, Value>,
    b: &BTreeMap<String, Value>,
) {
    for (k, va) in a {
        match b.get(k) {
            Some(vb) => {
                let mut changes = Vec::new();
                diff_value("", va, vb, Cursor::free(), &mut changes);
                if !changes.is_empty() {
                    out.push(SectionChange {
                        section: name.into(),
                        name: k.clone(),
                        kind: ChangeKind::Modified,
                        changes,
                    });
                }
            }
            None => out.push(SectionChange {
                section: name.into(),
                name: k.clone(),
                kind: ChangeKind::Removed,
                changes: vec![Change {
                    path: String::new(),
                    kind: ChangeKind::Removed,
                    old: Some(va.clone()),
                    new: None,
                }],
            }),
        }
    }
    for (k, vb) in b {
        if !a.contains_key(k) {
            out.push(SectionChange {
                section: name.into(),
                name: k.clone(),
                kind: ChangeKind::Added,
                changes: vec![Change {
                    path: String::new(),
                    kind: ChangeKind::Added,
                    old: None,
                    new: Some(vb.clone()),
                }],
            });
        }
    }
}

fn single(name: &str, v: Option<Value>) -> BTreeMap<String, Value> {
    v.map(|v| BTreeMap::from([(name.to_string(), v)]))
        .unwrap_or_default()
}

pub fn diff_sections(old: &Template, new: &Template) -> Vec<SectionChange> {
    let mut out = Vec::new();
    let text = |t: &Template| {
        let mut m = single(
            "AWSTemplateFormatVersion",
            t.format_version.clone().map(Value::from),
        );
        m.extend(single(
            "Description",
            t.description.clone().map(Value::from),
        ));
        m.extend(single("Transform", t.transform.clone()));
        m
    };
    section(&mut out, "Template", &text(old), &text(new));
    let params = |t: &Template| {
        t.parameters
            .iter()
            .map(|(k, p)| (k.clone(), parameter(p)))
            .collect()
    };
    section(&mut out, "Parameters", &params(old), &params(new));
    section(&mut out, "Mappings", &old.mappings, &new.mappings);
    section(&mut out, "Conditions", &old.conditions, &new.conditions);
    section(&mut out, "Rules", &old.rules, &new.rules);
    let outputs = |t: &Template| {
        t.outputs
            .iter()
            .map(|(k, o)| (k.clone(), output(o)))
            .collect()
    };
    section(&mut out, "Outputs", &outputs(old), &outputs(new));
    section(&mut out, "Metadata", &old.metadata, &new.metadata);
    section(&mut out, "Hooks", &old.hooks, &new.hooks);
    section(&mut out, "Globals", &old.globals, &new.globals);
    out
}
