//! The template's own grammar beyond what the reader needs to build the model:
//! parameters' attributes and whether their defaults meet their constraints, conditions
//! built from condition functions, and the values resource policies take.

use super::{Finding, rules};
use crate::template::{Intrinsic, Parameter, ParameterType, Template, Value};

/// The longest template description CloudFormation takes, in bytes (cfn-lint E1003).
const DESCRIPTION_MAX: usize = 1024;

pub fn check(t: &Template, out: &mut Vec<Finding>) {
    if let Some(d) = &t.description
        && d.len() > DESCRIPTION_MAX
    {
        out.push(Finding::new(
            rules::TEMPLATE_STRUCTURE,
            None,
            "Description".to_string(),
            format!(
                "the template's Description is {} bytes; CloudFormation takes at most {DESCRIPTION_MAX}",
                d.len()
            ),
        ));
    }
    outputs(t, out);
    for (id, r) in &t.resources {
        if let Some(m) = &r.metadata {
            let mut path = format!("Resources.{id}.Metadata");
            nulls(m, &mut path, id.as_str(), out);
            init_services(m, id.as_str(), out);
        }
    }
    for (name, p) in &t.parameters {
        parameter(name, p, out);
    }
    for (name, c) in &t.conditions {
        condition(c, &format!("Conditions.{name}"), out);
    }
    for (id, r) in &t.resources {
        for (attr, v, allowed) in [
            (
                "DeletionPolicy",
                &r.deletion_policy,
                &["Delete", "Retain", "RetainExceptOnCreate", "Snapshot"][..],
            ),
            (
                "UpdateReplacePolicy",
                &r.update_replace_policy,
                &["Delete", "Retain", "Snapshot"][..],
            ),
        ] {
            match v {
                Some(Value::String(s)) if !allowed.contains(&s.as_str()) => out.push(Finding::on(
                    rules::TEMPLATE_STRUCTURE,
                    id.as_str(),
                    attr,
                    format!("{attr} {s:?} is not one of {}", allowed.join(", ")),
                )),
                Some(Value::String(_) | Value::Fn(_)) | None => {}
                Some(_) => out.push(Finding::on(
                    rules::TEMPLATE_STRUCTURE,
                    id.as_str(),
                    attr,
                    format!("{attr} takes one of {}", allowed.join(", ")),
                )),
            }
        }
    }
}

fn parameter(name: &str, p: &Parameter, out: &mut Vec<Finding>) {
    let at = |attr: &str| format!("Parameters.{name}.{attr}");
    let mut report = |attr: &str, message: String| {
        out.push(Finding::new(
            rules::TEMPLATE_STRUCTURE,
            None,
            at(attr),
            message,
        ));
    };
    let numeric = matches!(
        p.parameter_type,
        ParameterType::Number | ParameterType::NumberList
    );
    for (attr, v, integer) in [
        ("MinLength", &p.min_length, true),
        ("MaxLength", &p.max_length, true),
        ("MinValue", &p.min_value, false),
        ("MaxValue", &p.max_value, false),
    ] {
        let Some(v) = v else { continue };
        match v.as_number() {
            Some(n) if !integer || n.fract() == 0.0 => {}
            _ => report(
                attr,
                format!(
                    "{attr} takes a {}",
                    if integer { "whole number" } else { "number" }
                ),
            ),
        }
        let length = attr.ends_with("Length");
        if length && numeric {
            report(
                attr,
                format!("{attr} applies to String parameters; this one is a number"),
            );
        }
    }
    if let Some(v) = &p.no_echo
        && !matches!(v, Value::Bool(_))
        && !v
            .scalar_text()
            .is_some_and(|s| s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false"))
    {
        report("NoEcho", "NoEcho takes true or false".to_string());
    }
    let Some(default) = &p.default else { return };
    let Some(text) = default.scalar_text() else {
        if !matches!(default, Value::List(_))
            || !matches!(
                p.parameter_type,
                ParameterType::CommaDelimitedList
                    | ParameterType::StringList
                    | ParameterType::NumberList
                    | ParameterType::AwsList(_)
            )
        {
            report("Default", "Default takes a string or a number".to_string());
        }
        return;
    };
    // A default CloudFormation would refuse when the stack is created without a value.
    let values: Vec<String> = match p.parameter_type {
        ParameterType::CommaDelimitedList
        | ParameterType::NumberList
        | ParameterType::StringList
        | ParameterType::AwsList(_) => text.split(',').map(|s| s.trim().to_string()).collect(),
        _ => vec![text.clone()],
    };
    if let Some(allowed) = &p.allowed_values {
        let listed: Vec<String> = allowed.iter().filter_map(Value::scalar_text).collect();
        // A list's default may be allowed whole ("a,b" listed) or item by item.
        let whole = listed.contains(&text);
        if listed.len() == allowed.len() && !whole {
            for v in values.iter().filter(|v| !listed.contains(v)) {
                report(
                    "Default",
                    format!("Default {v:?} is not one of its AllowedValues"),
                );
            }
        }
    }
    for v in &values {
        if let Some(pattern) = &p.allowed_pattern
            && let Ok(re) = regex::Regex::new(&format!("^(?:{pattern})$"))
            && !re.is_match(v)
        {
            report(
                "Default",
                format!("Default {v:?} does not match its AllowedPattern {pattern}"),
            );
        }
        let len = v.chars().count() as f64;
        if let Some(min) = p.min_length.as_ref().and_then(Value::as_number)
            && len < min
        {
            report(
                "Default",
                format!("Default {v:?} is shorter than its MinLength {min}"),
            );
        }
        if let Some(max) = p.max_length.as_ref().and_then(Value::as_number)
            && len > max
        {
            report(
                "Default",
                format!("Default {v:?} is longer than its MaxLength {max}"),
            );
        }
        if numeric {
            match v.parse::<f64>() {
                Err(_) => report("Default", format!("Default {v:?} is not a number")),
                Ok(n) => {
                    if let Some(min) = p.min_value.as_ref().and_then(Value::as_number)
                        && n < min
                    {
                        report(
                            "Default",
                            format!("Default {n} is below its MinValue {min}"),
                        );
                    }
                    if let Some(max) = p.max_value.as_ref().and_then(Value::as_number)
                        && n > max
                    {
                        report(
                            "Default",
                            format!("Default {n} is above its MaxValue {max}"),
                        );
                    }
                }
            }
        }
    }
}

/// A condition is a condition function; its Fn::Equals compares values that can be
/// strings, and Fn::And, Fn::Or and Fn::Not take conditions.
fn condition(v: &Value, path: &str, out: &mut Vec<Finding>) {
    let mut report = |message: String| {
        out.push(Finding::new(
            rules::FUNCTION_ARGUMENTS,
            None,
            path.to_string(),
            message,
        ));
    };
    let Some(f) = v.as_fn() else {
        report(
            "a condition is Fn::Equals, Fn::And, Fn::Or, Fn::Not or {Condition: name}".to_string(),
        );
        return;
    };
    match f {
        Intrinsic::Equals(a, b) => {
            for x in [a, b] {
                let ok = match x {
                    Value::String(_) | Value::Number(_) | Value::Bool(_) => true,
                    Value::Fn(g) => !matches!(
                        **g,
                        Intrinsic::Equals(..)
                            | Intrinsic::And(_)
                            | Intrinsic::Or(_)
                            | Intrinsic::Not(_)
                            | Intrinsic::ImportValue(_)
                    ),
                    _ => false,
                };
                if !ok {
                    report(format!(
                        "Fn::Equals compares two values that are strings (or functions that give one); {} is not",
                        match x {
                            Value::Fn(g) if matches!(**g, Intrinsic::ImportValue(_)) =>
                                "Fn::ImportValue, which conditions cannot use,".to_string(),
                            Value::List(_) => "a list".to_string(),
                            Value::Map(_) => "a map".to_string(),
                            Value::Null => "null".to_string(),
                            _ => "a condition".to_string(),
                        }
                    ));
                    return;
                }
            }
        }
        Intrinsic::And(items) | Intrinsic::Or(items) => {
            for (i, x) in items.iter().enumerate() {
                condition(x, &format!("{path}[{i}]"), out);
            }
        }
        Intrinsic::Not(x) => condition(x, path, out),
        Intrinsic::Condition(_) | Intrinsic::Other { .. } => {}
        other => report(format!(
            "a condition is Fn::Equals, Fn::And, Fn::Or, Fn::Not or {{Condition: name}}, not {}",
            other.name()
        )),
    }
}

/// A value left empty (YAML null) in a resource's Metadata: CloudFormation refuses null
/// values anywhere in a template (cfn-lint E3028), a cfn-init section whose entries were
/// left to fill in, say.
fn nulls(v: &Value, path: &mut String, id: &str, out: &mut Vec<Finding>) {
    let len = path.len();
    match v {
        Value::Null => out.push(Finding::new(
            rules::TEMPLATE_STRUCTURE,
            Some(id),
            path.clone(),
            "a value left empty (null): CloudFormation does not accept null values in a template; give a value or remove the key".to_string(),
        )),
        Value::Map(m) => {
            for (k, x) in m {
                path.push('.');
                path.push_str(k);
                nulls(x, path, id, out);
                path.truncate(len);
            }
        }
        Value::List(items) => {
            for (i, x) in items.iter().enumerate() {
                use std::fmt::Write;
                let _ = write!(path, "[{i}]");
                nulls(x, path, id, out);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// cfn-init's services: what restarts a service (its files, sources, packages' names and
/// commands) is a list, as the AWS::CloudFormation::Init reference gives it; a single
/// file written as text is refused by cfn-lint (E3009).
fn init_services(metadata: &Value, id: &str, out: &mut Vec<Finding>) {
    let Some(Value::Map(init)) = metadata
        .as_map()
        .and_then(|m| m.get("AWS::CloudFormation::Init"))
    else {
        return;
    };
    for (config, c) in init {
        let Some(Value::Map(managers)) = c.as_map().and_then(|m| m.get("services")) else {
            continue;
        };
        for (manager, services) in managers {
            let Some(services) = services.as_map() else {
                continue;
            };
            for (service, s) in services {
                let Some(s) = s.as_map() else { continue };
                for key in ["files", "sources", "commands"] {
                    if let Some(
                        v @ (Value::String(_) | Value::Number(_) | Value::Bool(_) | Value::Map(_)),
                    ) = s.get(key)
                    {
                        out.push(Finding::new(
                            rules::TEMPLATE_STRUCTURE,
                            Some(id),
                            format!("Resources.{id}.Metadata.AWS::CloudFormation::Init.{config}.services.{manager}.{service}.{key}"),
                            format!("cfn-init's services.{manager}.{service}.{key} is a list, not {}: write [{}]", v.kind(), v.scalar_text().unwrap_or_default()),
                        ));
                    }
                }
            }
        }
    }
}

/// An output's Value is a string: a Ref to a list parameter (CommaDelimitedList,
/// `List<...>`) is a list, which CloudFormation refuses there (cfn-lint E6101).
fn outputs(t: &Template, out: &mut Vec<Finding>) {
    for (name, o) in &t.outputs {
        let Some(Intrinsic::Ref(target)) = o.value.as_fn() else {
            continue;
        };
        let Some(p) = t.parameters.get(target.as_str()) else {
            continue;
        };
        if p.parameter_type.is_list() {
            out.push(Finding::new(
                rules::TEMPLATE_STRUCTURE,
                None,
                format!("Outputs.{name}.Value"),
                format!(
                    "Ref {target} is a list (a {} parameter), but an output's Value is a string: join it with Fn::Join",
                    p.parameter_type
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(yaml: &str) -> Vec<String> {
        let t = Template::parse_any(yaml).unwrap();
        let mut out = Vec::new();
        check(&t, &mut out);
        out.into_iter()
            .map(|f| format!("{}: {}", f.path, f.message))
            .collect()
    }

    #[test]
    fn defaults_meet_their_constraints() {
        let m = messages(
            "Parameters:\n  Env:\n    Type: String\n    Default: qa\n    AllowedValues: [dev, prod]\n  Size:\n    Type: Number\n    Default: 50\n    MaxValue: 10\n  Name:\n    Type: String\n    Default: Abc\n    AllowedPattern: '[a-z]+'\n  Ok:\n    Type: String\n    Default: dev\n    AllowedValues: [dev, prod]\nResources: {}\n",
        );
        assert_eq!(m.len(), 3, "{m:?}");
        assert!(
            m.iter()
                .any(|x| x.starts_with("Parameters.Env.Default") && x.contains("AllowedValues"))
        );
        assert!(m.iter().any(|x| x.contains("above its MaxValue 10")));
        assert!(m.iter().any(|x| x.contains("AllowedPattern")));
    }

    #[test]
    fn conditions_and_policies() {
        let m = messages(
            "Conditions:\n  A: !Equals [!Ref AWS::Region, us-east-1]\n  B: !And [!Condition A, !Equals [[x], y]]\n  C: !Equals [!ImportValue v, y]\nResources:\n  T:\n    Type: AWS::SNS::Topic\n    DeletionPolicy: CopyRegion\n",
        );
        assert_eq!(m.len(), 3, "{m:?}");
        assert!(m.iter().any(|x| x.starts_with("Conditions.B[1]")));
        assert!(
            m.iter()
                .any(|x| x.starts_with("Conditions.C") && x.contains("ImportValue"))
        );
        assert!(
            m.iter()
                .any(|x| x.starts_with("Resources.T.DeletionPolicy"))
        );
    }

    #[test]
    fn a_long_description_and_a_list_output_are_refused() {
        let m = messages(&format!(
            "Description: {}\nResources: {{}}\n",
            "x".repeat(1025)
        ));
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].starts_with("Description:") && m[0].contains("1025 bytes"),
            "{m:?}"
        );
        assert!(
            messages(&format!(
                "Description: {}\nResources: {{}}\n",
                "x".repeat(1024)
            ))
            .is_empty()
        );
        let m = messages(
            "Parameters:\n  Ids:\n    Type: CommaDelimitedList\n  Id:\n    Type: String\nResources: {}\nOutputs:\n  L:\n    Value: !Ref Ids\n  S:\n    Value: !Ref Id\n",
        );
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].starts_with("Outputs.L.Value") && m[0].contains("CommaDelimitedList"),
            "{m:?}"
        );
    }

    #[test]
    fn metadata_holds_no_null_and_cfn_init_services_take_lists() {
        let m = messages(
            "Resources:\n  I:\n    Type: AWS::EC2::Instance\n    Metadata:\n      AWS::CloudFormation::Init:\n        config:\n          packages:\n          services:\n            sysvinit:\n              awslogs: {enabled: true, files: /etc/awslogs/awslogs.conf}\n              cfn-hup: {enabled: true, files: [/etc/cfn/cfn-hup.conf]}\n",
        );
        assert_eq!(m.len(), 2, "{m:?}");
        assert!(
            m[0].starts_with("Resources.I.Metadata.AWS::CloudFormation::Init.config.packages:")
                && m[0].contains("null"),
            "{m:?}"
        );
        assert!(
            m[1].contains("services.sysvinit.awslogs.files") && m[1].contains("is a list"),
            "{m:?}"
        );
    }
}
