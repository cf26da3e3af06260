//! The emission order, shared by the JSON and YAML writers.
//!
//! Sections: AWSTemplateFormatVersion, Description, Transform, Metadata, Parameters,
//! Rules, Mappings, Conditions, Resources, Outputs, Hooks, Globals. Resource attributes: Type,
//! Condition, DependsOn, Properties, CreationPolicy, UpdatePolicy, DeletionPolicy,
//! UpdateReplacePolicy, Metadata, Version. Everything else (logical ids, property names, keys of
//! nested maps) in byte order of the key.

use std::borrow::Cow;

use super::intrinsic::{Intrinsic, LongArg};
use super::model::{Output, Parameter, Resource, Template};
use super::value::Value;

/// A value with its map keys in emission order, borrowing the template's strings: a
/// writer's walk allocates the lists of entries and little else (copying every string
/// and key was a third of a synth's emission).
pub(crate) enum Doc<'a> {
    Null,
    Bool(bool),
    Number(&'a serde_json::Number),
    /// Borrowed, but for a parameter's type, which is written from its parts.
    Str(Cow<'a, str>),
    List(Vec<Doc<'a>>),
    Map(Vec<(&'a str, Doc<'a>)>),
    /// An intrinsic: long name, short tag, argument, and the resource and attribute of a
    /// plain GetAtt (`Res.Attr`).
    Fn {
        long: &'a str,
        short: &'a str,
        arg: Box<Doc<'a>>,
        dotted: Option<(&'a str, &'a str)>,
    },
    /// A value of the template, not yet turned into a `Doc` ([`Doc::value`] does): the
    /// JSON writer writes it as it is, the YAML writer expands it where it meets it.
    Value(&'a Value),
}

fn entry<'a>(out: &mut Vec<(&'a str, Doc<'a>)>, key: &'a str, v: Option<Doc<'a>>) {
    if let Some(v) = v {
        out.push((key, v));
    }
}

fn section<'a, K: std::borrow::Borrow<str>, T>(
    map: &'a std::collections::BTreeMap<K, T>,
    f: impl Fn(&'a T) -> Doc<'a>,
) -> Option<Doc<'a>> {
    (!map.is_empty()).then(|| Doc::Map(map.iter().map(|(k, v)| (k.borrow(), f(v))).collect()))
}

fn str(s: &str) -> Doc<'_> {
    Doc::Str(Cow::Borrowed(s))
}

impl<'a> Doc<'a> {
    pub(crate) fn template(t: &'a Template) -> Doc<'a> {
        let mut m = Vec::new();
        let s = |x: &'a Option<String>| x.as_deref().map(str);
        entry(&mut m, "AWSTemplateFormatVersion", s(&t.format_version));
        entry(&mut m, "Description", s(&t.description));
        entry(&mut m, "Transform", t.transform.as_ref().map(Doc::Value));
        entry(&mut m, "Metadata", section(&t.metadata, Doc::Value));
        entry(&mut m, "Parameters", section(&t.parameters, Doc::parameter));
        entry(&mut m, "Rules", section(&t.rules, Doc::Value));
        entry(&mut m, "Mappings", section(&t.mappings, Doc::Value));
        entry(&mut m, "Conditions", section(&t.conditions, Doc::Value));
        entry(
            &mut m,
            "Resources",
            Some(section(&t.resources, Doc::resource).unwrap_or(Doc::Map(vec![]))),
        );
        entry(&mut m, "Outputs", section(&t.outputs, Doc::output));
        entry(&mut m, "Hooks", section(&t.hooks, Doc::Value));
        entry(&mut m, "Globals", section(&t.globals, Doc::Value));
        Doc::Map(m)
    }

    fn resource(r: &'a Resource) -> Doc<'a> {
        let mut m = Vec::new();
        let v = |x: &'a Option<Value>| x.as_ref().map(Doc::Value);
        entry(&mut m, "Type", Some(str(r.resource_type.as_str())));
        entry(&mut m, "Condition", r.condition.as_deref().map(str));
        entry(
            &mut m,
            "DependsOn",
            (!r.depends_on.is_empty())
                .then(|| Doc::List(r.depends_on.iter().map(|d| str(d.as_str())).collect())),
        );
        entry(&mut m, "Properties", section(&r.properties, Doc::Value));
        entry(&mut m, "CreationPolicy", v(&r.creation_policy));
        entry(&mut m, "UpdatePolicy", v(&r.update_policy));
        entry(&mut m, "DeletionPolicy", v(&r.deletion_policy));
        entry(&mut m, "UpdateReplacePolicy", v(&r.update_replace_policy));
        entry(&mut m, "Metadata", v(&r.metadata));
        entry(&mut m, "Version", v(&r.version));
        for (k, x) in &r.other {
            entry(&mut m, k, Some(Doc::Value(x)));
        }
        Doc::Map(m)
    }

    fn parameter(p: &'a Parameter) -> Doc<'a> {
        let mut m = Vec::new();
        let v = |x: &'a Option<Value>| x.as_ref().map(Doc::Value);
        let s = |x: &'a Option<String>| x.as_deref().map(str);
        entry(
            &mut m,
            "Type",
            Some(Doc::Str(Cow::Owned(p.parameter_type.to_string()))),
        );
        entry(&mut m, "Description", s(&p.description));
        entry(&mut m, "Default", v(&p.default));
        entry(
            &mut m,
            "AllowedValues",
            p.allowed_values
                .as_ref()
                .map(|a| Doc::List(a.iter().map(Doc::Value).collect())),
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

    fn output(o: &'a Output) -> Doc<'a> {
        let mut m = Vec::new();
        entry(
            &mut m,
            "Description",
            o.description.as_ref().map(Doc::Value),
        );
        entry(&mut m, "Condition", o.condition.as_deref().map(str));
        entry(&mut m, "Value", Some(Doc::Value(&o.value)));
        entry(
            &mut m,
            "Export",
            o.export_name
                .as_ref()
                .map(|n| Doc::Map(vec![("Name", Doc::Value(n))])),
        );
        Doc::Map(m)
    }

    /// A value as a tree of `Doc`s, expanded all the way down (no `Doc::Value` inside).
    pub(crate) fn value(v: &'a Value) -> Doc<'a> {
        match v {
            Value::Null => Doc::Null,
            Value::Bool(b) => Doc::Bool(*b),
            Value::Number(n) => Doc::Number(n),
            Value::String(s) => str(s),
            Value::List(l) => Doc::List(l.iter().map(Doc::value).collect()),
            Value::Map(m) => Doc::Map(m.iter().map(|(k, v)| (k.as_str(), Doc::value(v))).collect()),
            Value::Fn(i) => {
                let dotted = match &**i {
                    Intrinsic::GetAtt {
                        resource,
                        attribute: Value::String(a),
                    } => Some((resource.as_str(), a.as_str())),
                    _ => None,
                };
                Doc::Fn {
                    long: i.name(),
                    short: i.short_tag(),
                    arg: Box::new(Doc::long(i.long_arg())),
                    dotted,
                }
            }
        }
    }

    fn long(a: LongArg<'a>) -> Doc<'a> {
        match a {
            LongArg::Value(v) => Doc::value(v),
            LongArg::Str(s) => str(s),
            LongArg::Values(v) => Doc::List(v.iter().map(Doc::value).collect()),
            LongArg::Map(m) => {
                Doc::Map(m.iter().map(|(k, v)| (k.as_str(), Doc::value(v))).collect())
            }
            LongArg::Entry(k, v) => Doc::Map(vec![(k, Doc::value(v))]),
            LongArg::List(parts) => Doc::List(parts.into_iter().map(Doc::long).collect()),
        }
    }
}
