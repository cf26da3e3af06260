//! CloudFormation quotas on one template: counts, body size, names, export names.

use std::collections::BTreeMap;

use super::inventory::text;
use super::{Finding, Severity, rules};
use crate::template::Template;

/// The hard limits (CloudFormation quotas page).
pub const MAX_RESOURCES: usize = 500;
pub const MAX_PARAMETERS: usize = 200;
pub const MAX_OUTPUTS: usize = 200;
pub const MAX_MAPPINGS: usize = 200;
/// A template body sent through S3.
pub const MAX_BODY_BYTES: usize = 1_000_000;
/// A template body sent inline with the API call.
pub const MAX_DIRECT_BODY_BYTES: usize = 51_200;
/// Names of resources, parameters, outputs, mappings and conditions.
pub const MAX_NAME: usize = 255;

/// Quota findings: an error over a limit, a warning from 80% of it.
pub fn check(t: &Template, body: &str, out: &mut Vec<Finding>) {
    let counts = [
        (
            rules::RESOURCES,
            "Resources",
            "resources",
            t.resources.len(),
            MAX_RESOURCES,
        ),
        (
            rules::PARAMETERS,
            "Parameters",
            "parameters",
            t.parameters.len(),
            MAX_PARAMETERS,
        ),
        (
            rules::OUTPUTS,
            "Outputs",
            "outputs",
            t.outputs.len(),
            MAX_OUTPUTS,
        ),
        (
            rules::MAPPINGS,
            "Mappings",
            "mappings",
            t.mappings.len(),
            MAX_MAPPINGS,
        ),
    ];
    for (rule, section, what, n, max) in counts {
        if n > max {
            out.push(Finding::new(
                rule,
                None,
                section.into(),
                format!("{n} {what}; the quota is {max}"),
            ));
        } else if n * 5 >= max * 4 {
            out.push(
                Finding::new(
                    rule,
                    None,
                    section.into(),
                    format!("{n} {what}: {}% of the quota of {max}", n * 100 / max),
                )
                .severity(Severity::Warning),
            );
        }
    }
    let size = body.len();
    if size > MAX_BODY_BYTES {
        out.push(Finding::new(
            rules::BODY_SIZE,
            None,
            String::new(),
            format!("the body is {size} bytes; the quota is {MAX_BODY_BYTES} (through S3)"),
        ));
    } else if size > MAX_DIRECT_BODY_BYTES {
        let near = if size * 5 >= MAX_BODY_BYTES * 4 {
            format!(
                ", {}% of the {MAX_BODY_BYTES}-byte quota",
                size * 100 / MAX_BODY_BYTES
            )
        } else {
            String::new()
        };
        out.push(
            Finding::new(
                rules::BODY_SIZE,
                None,
                String::new(),
                format!(
                    "the body is {size} bytes: over the {MAX_DIRECT_BODY_BYTES} bytes an inline upload accepts, so it must go through S3{near}"
                ),
            )
            .severity(Severity::Warning),
        );
    }
    // Resource ids are checked by the parser (a LogicalId cannot be invalid); the other
    // sections' names are plain keys.
    let sections: [(&str, Vec<&String>); 5] = [
        ("Parameters", t.parameters.keys().collect()),
        ("Rules", t.rules.keys().collect()),
        ("Outputs", t.outputs.keys().collect()),
        ("Mappings", t.mappings.keys().collect()),
        ("Conditions", t.conditions.keys().collect()),
    ];
    for (section, names) in sections {
        // Condition names may also hold `&` and `_`: the AWS Quick Start VPC template,
        // deployed in countless accounts, names conditions `A&B`, and cfn-lint's
        // template schema admits both.
        let (extra, shown) = if section == "Conditions" {
            ("&_", "ASCII letters, digits, & and _")
        } else {
            ("", "ASCII letters and digits")
        };
        for name in names {
            let ok = !name.is_empty()
                && name.len() <= MAX_NAME
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || extra.as_bytes().contains(&b));
            if !ok {
                out.push(Finding::new(
                    rules::NAME,
                    None,
                    format!("{section}.{name}"),
                    format!("{name:?} must be 1 to {MAX_NAME} {shown}"),
                ));
            }
        }
    }
    let mut exports: BTreeMap<String, Vec<(&str, Option<&str>)>> = BTreeMap::new();
    for (name, o) in &t.outputs {
        if let Some(e) = o.export_name.as_ref().and_then(text) {
            exports
                .entry(e)
                .or_default()
                .push((name, o.condition.as_deref()));
        }
    }
    for (export, found) in exports {
        // Outputs under different conditions may never exist together (IsAurora and
        // IsNotAurora, each exporting the stack's database): a pair is judged when it
        // surely exists together in some deployment (no condition, one condition, or
        // conditions no parameter decides both of: IsAurora and HasReader).
        let together = |a: Option<&str>, b: Option<&str>| {
            let (a, b): (Vec<_>, Vec<_>) = (
                a.map(|c| (c, true)).into_iter().collect(),
                b.map(|c| (c, true)).into_iter().collect(),
            );
            super::conditions::compatible(t, &a, &b) == Some(true)
        };
        let found: Vec<(&str, Option<&str>)> = found
            .iter()
            .enumerate()
            .filter(|(i, (_, c))| {
                found
                    .iter()
                    .enumerate()
                    .any(|(j, (_, d))| *i != j && together(*c, *d))
            })
            .map(|(_, x)| *x)
            .collect();
        let outputs: Vec<&str> = found.iter().map(|(n, _)| *n).collect();
        if outputs.len() > 1 {
            out.push(Finding::new(
                rules::EXPORT_NAME,
                None,
                format!("Outputs.{}.Export.Name", outputs[1]),
                format!("outputs {} all export {export:?}", outputs.join(", ")),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_under_different_conditions_need_not_clash() {
        let t = |c1: &str, c2: &str| {
            format!(
                "Conditions:\n  A: !Equals [!Ref AWS::Region, us-east-1]\n  B: !Not [!Condition A]\nResources:\n  T:\n    Type: AWS::SNS::Topic\nOutputs:\n  X:\n    Condition: {c1}\n    Value: x\n    Export: {{Name: same}}\n  Y:\n    Condition: {c2}\n    Value: y\n    Export: {{Name: same}}\n"
            )
        };
        let clashes = |yaml: String| {
            let tpl = Template::parse_any(&yaml).unwrap();
            let mut out = Vec::new();
            check(&tpl, &yaml, &mut out);
            out.iter().filter(|f| f.rule.id == "Q307").count()
        };
        assert_eq!(clashes(t("A", "B")), 0);
        assert_eq!(clashes(t("A", "A")), 1);
        // C is decided by a parameter A does not read: both can hold.
        let independent = t("A", "C").replace(
            "Resources:",
            "  C: !Equals [!Ref Replicas, 'yes']\nParameters:\n  Replicas: {Type: String}\nResources:",
        );
        assert_eq!(clashes(independent), 1);
    }
}
