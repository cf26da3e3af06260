//! The emission order, shared by the JSON and YAML writers.
//!
//! Sections: AWSTemplateFormatVersion, Description, Transform, Metadata, Parameters,
//! Rules, Mappings, Conditions, Resources, Outputs, Hooks, Globals. Resource attributes: Type,
//! Condition, DependsOn, Properties, CreationPolicy, UpdatePolicy, DeletionPolicy,
//! UpdateReplacePolicy, Metadata, Version. Everything else (logical ids, property names, keys of
//! nested maps) in byte order of the key.

use super::intrinsic::Intrinsic;
use super::model::{Output, Parameter, Resource, Template};
use super::value::Value;

/// A value with its map keys in emission order.
pub(crate) enum Doc {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    Str(String),
    List(Vec<Doc>),
    Map(Vec<(String, Doc)>),
    /// An intrinsic: long name, short tag, argument, and `Res.Attr` for a plain GetAtt.
    Fn {
        long: String,
        short: String,
        arg: Box<Doc>,
        dotted: Option<String>,
    },
}

fn entry(out: &mut Vec<(String, Doc)>, key: &str, v: Option<Doc>) {
    if let Some(v) = v {
        out.push((key.to_string(), v));
    }
}

fn section<T>(
    map: &std::collections::BTreeMap<impl ToString, T>,
    f: impl Fn(&T) -> Doc,
) -> Option<Doc> {
    (!map.is_empty()).then(|| Doc::Map(map.iter().map(|(k, v)| (k.to_string(), f(v))).collect()))
}

impl Doc {
    pub(crate) fn template(t: &Template) -> Doc {
        let mut m = Vec::new();
        let s = |x: &Option<String>| x.as_ref().map(|v| Doc::Str(v.clone()));
        entry(&mut m, "AWSTemplateFormatVersion", s(&t.format_version));
        entry(&mut m, "Description", s(&t.description));
        entry(&mut m, "Transform", t.transform.as_ref().map(Doc::value));
        entry(&mut m, "Metadata", section(&t.metadata, Doc::value));
        entry(&mut m, "Parameters", section(&t.parameters, Doc::parameter));
        entry(&mut m, "Rules", section(&t.rules, Doc::value));
        entry(&mut m, "Mappings", section(&t.mappings, Doc::value));
        entry(&mut m, "Conditions", section(&t.conditions, Doc::value));
        entry(
            &mut m,
            "Resources",
            Some(section(&t.resources, Doc::resource).unwrap_or(Doc::Map(vec![]))),
        );
        entry(&mut m, "Outputs", section(&t.outputs, Doc::output));
        entry(&mut m, "Hooks", section(&t.hooks, Doc::value));
        entry(&mut m, "Globals", section(&t.globals, Doc::value));
        Doc::Map(m)
    }

    fn resource(r: &Resource) -> Doc {
        let mut m = Vec::new();
        let v = |x: &Option<Value>| x.as_ref().map(Doc::value);
        entry(&mut m, "Type", Some(Doc::Str(r.resource_type.to_string())));
        entry(&mut m, "Condition", r.condition.clone().map(Doc::Str));
        entry(
            &mut m,
            "DependsOn",
            (!r.depends_on.is_empty()).then(|| {
                Doc::List(
                    r.depends_on
                        .iter()
                        .map(|d| Doc::Str(d.to_string()))
                        .collect(),
                )
            }),
        );
        entry(&mut m, "Properties", section(&r.properties, Doc::value));
        entry(&mut m, "CreationPolicy", v(&r.creation_policy));
        entry(&mut m, "UpdatePolicy", v(&r.update_policy));
        entry(&mut m, "DeletionPolicy", v(&r.deletion_policy));
        entry(&mut m, "UpdateReplacePolicy", v(&r.update_replace_policy));
        entry(&mut m, "Metadata", v(&r.metadata));
        entry(&mut m, "Version", v(&r.version));
        for (k, x) in &r.other {
            entry(&mut m, k, Some(Doc::value(x)));
        }
        Doc::Map(m)
    }

    fn parameter(p: &Parameter) -> Doc {
        let mut m = Vec::new();
        let v = |x: &Option<Value>| x.as_ref().map(Doc::value);
        let s = |x: &Option<String>| x.as_ref().map(|v| Doc::Str(v.clone()));
        entry(&mut m, "Type", Some(Doc::Str(p.parameter_type.to_string())));
        entry(&mut m, "Description", s(&p.description));
        entry(&mut m, "Default", v(&p.default));
        entry(
            &mut m,
            "AllowedValues",
            p.allowed_values
                .as_ref()
                .map(|a| Doc::List(a.iter().map(Doc::value).collect())),
        );
        entry(&mut m, "AllowedPattern", s(&p.allowed_pattern));
        entry(
            &mut m,
            "ConstraintDescription",
            s(&p.constraint_description),
        );
        entry(&mut m, "MinLength", v(&p.min_length));
        entry(&mut m, "MaxLength", v(&p.max_length));
        entry(&mut m, "MinValue", v(&p.min_value));
        entry(&mut m, "MaxValue", v(&p.max_value));
        entry(&mut m, "NoEcho", v(&p.no_echo));
        Doc::Map(m)
    }

    fn output(o: &Output) -> Doc {
        let mut m = Vec::new();
        entry(
            &mut m,
            "Description",
            o.description.as_ref().map(Doc::value),
        );
        entry(&mut m, "Condition", o.condition.clone().map(Doc::Str));
        entry(&mut m, "Value", Some(Doc::value(&o.value)));
        entry(
            &mut m,
            "Export",
            o.export_name
                .as_ref()
                .map(|n| Doc::Map(vec![("Name".into(), Doc::value(n))])),
        );
        Doc::Map(m)
    }

    pub(crate) fn value(v: &Value) -> Doc {
        match v {
            Value::Null => Doc::Null,
            Value::Bool(b) => Doc::Bool(*b),
            Value::Number(n) => Doc::Number(n.clone()),
            Value::String(s) => Doc::Str(s.clone()),
            Value::List(l) => Doc::List(l.iter().map(Doc::value).collect()),
            Value::Map(m) => Doc::Map(m.iter().map(|(k, v)| (k.clone(), Doc::value(v))).collect()),
            Value::Fn(i) => {
                let dotted = match &**i {
                    Intrinsic::GetAtt {
                        resource,
                        attribute: Value::String(a),
                    } => Some(format!("{resource}.{a}")),
                    _ => None,
                };
                Doc::Fn {
                    long: i.name().to_string(),
                    short: i.short_tag().to_string(),
                    arg: Box::new(Doc::value(&i.long_args())),
                    dotted,
                }
            }
        }
    }
}
