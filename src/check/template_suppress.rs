//! Suppressions a template carries in its Metadata, for templates checked as files:
//! perimeter's own, template-wide or on one resource, each with a reason, and cfn-lint's
//! `ignore_checks` for the rules that correspond (rules::CFN_LINT).
//!
//! ```yaml
//! Metadata:
//!   perimeter:
//!     suppress:
//!       - {rule: N401, resources: [Gateway], reason: the public web tier}
//! Resources:
//!   Web:
//!     Metadata:
//!       perimeter: {suppress: [{rule: N403, reason: a public load balancer}]}
//!       cfn-lint: {config: {ignore_checks: [E3012]}}
//! ```

use serde::Deserialize;

use super::suppress::Suppressed;
use super::{Finding, Severity, rules};
use crate::template::{Template, Value, value_to_json};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    rule: String,
    #[serde(default)]
    resources: Vec<String>,
    reason: String,
}

/// One suppression, wherever it was written.
struct Rule {
    ids: Vec<&'static str>,
    /// Only findings on these resources; empty: any.
    resources: Vec<String>,
    reason: String,
    /// Where it was written, for a report when it matches nothing (cfn-lint's lists are
    /// cfn-lint's to keep tidy: they are not reported).
    path: Option<String>,
}

fn at<'a>(v: Option<&'a Value>, key: &str) -> Option<&'a Value> {
    v?.as_map()?.get(key)
}

fn warning(path: String, message: String) -> Finding {
    Finding::new(rules::UNUSED_SUPPRESSION, None, path, message).severity(Severity::Warning)
}

/// perimeter's entries under `<metadata>.perimeter.suppress`.
fn own(
    metadata: Option<&Value>,
    base: &str,
    resource: Option<&str>,
    out: &mut Vec<Rule>,
    problems: &mut Vec<Finding>,
) {
    let Some(list) = at(at(metadata, "perimeter"), "suppress") else {
        return;
    };
    let path = format!("{base}.perimeter.suppress");
    let entries: Vec<Entry> = match serde_json::from_str(&value_to_json(list)) {
        Ok(e) => e,
        Err(e) => {
            problems.push(warning(
                path,
                format!("expected a list of {{rule, reason, resources?}}: {e}"),
            ));
            return;
        }
    };
    for (i, e) in entries.into_iter().enumerate() {
        let here = format!("{path}[{i}]");
        let Some(rule) = rules::find(&e.rule) else {
            problems.push(warning(
                here,
                format!(
                    "unknown rule {:?}; `{} check --rules` lists them",
                    e.rule,
                    crate::program::name()
                ),
            ));
            continue;
        };
        if e.reason.trim().is_empty() {
            problems.push(warning(
                here,
                "a suppression needs a reason: why is the finding accepted?".into(),
            ));
            continue;
        }
        let resources = match resource {
            Some(r) => vec![r.to_string()],
            None => e.resources,
        };
        out.push(Rule {
            ids: vec![rule.id],
            resources,
            reason: e.reason,
            path: Some(here),
        });
    }
}

/// cfn-lint's `<metadata>.cfn-lint.config.ignore_checks`, for the rules that correspond.
fn cfn_lint(metadata: Option<&Value>, base: &str, resource: Option<&str>, out: &mut Vec<Rule>) {
    let list = at(at(at(metadata, "cfn-lint"), "config"), "ignore_checks");
    let Some(Value::List(items)) = list else {
        return;
    };
    for id in items.iter().filter_map(Value::as_str) {
        let ids: Vec<&'static str> = rules::CFN_LINT
            .iter()
            .filter(|(theirs, _)| *theirs == id)
            .flat_map(|(_, ours)| ours.iter().copied())
            .collect();
        if ids.is_empty() {
            continue;
        }
        out.push(Rule {
            ids,
            resources: resource.map(|r| vec![r.to_string()]).unwrap_or_default(),
            reason: format!("cfn-lint's ignore_checks ({id}) in {base}"),
            path: None,
        });
    }
}

/// Splits findings into those that stand and those the template's Metadata accepts; a
/// malformed or unused suppression of perimeter's is a warning among those that stand.
pub fn apply(t: &Template, findings: Vec<Finding>) -> (Vec<Finding>, Vec<Suppressed>) {
    let mut all = Vec::new();
    let mut problems = Vec::new();
    let top = Value::Map(t.metadata.clone());
    own(Some(&top), "Metadata", None, &mut all, &mut problems);
    cfn_lint(Some(&top), "Metadata", None, &mut all);
    for (id, r) in &t.resources {
        let base = format!("Resources.{id}.Metadata");
        own(
            r.metadata.as_ref(),
            &base,
            Some(id.as_str()),
            &mut all,
            &mut problems,
        );
        cfn_lint(r.metadata.as_ref(), &base, Some(id.as_str()), &mut all);
    }
    if all.is_empty() && problems.is_empty() {
        return (findings, vec![]);
    }
    let mut used = vec![false; all.len()];
    let (mut kept, suppressed) = super::suppress::split(findings, &mut used, |f| {
        all.iter()
            .position(|s| {
                s.ids.contains(&f.rule.id)
                    && (s.resources.is_empty()
                        || f.resource.as_ref().is_some_and(|r| s.resources.contains(r)))
            })
            .map(|i| (i, all[i].reason.clone()))
    });
    for (s, used) in all.iter().zip(used) {
        if let (false, Some(path)) = (used, &s.path) {
            kept.push(warning(
                path.clone(),
                format!("the suppression of {} matches no finding", s.ids.join(", ")),
            ));
        }
    }
    kept.extend(problems);
    (kept, suppressed)
}
