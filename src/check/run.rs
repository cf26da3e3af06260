//! Check runs: a template file as it is, or every target of blueprints synthesized in
//! memory, with the blueprint's suppressions and expectations applied.

use super::render::FileReport;
use super::suppress::{self, Suppression};
use super::{Context, Finding, Severity, check, locate, place, rules, syntax_error};
use crate::blueprint::{Blueprint, Region, Target};
use crate::synth::{self, Options, SynthError};
use crate::template::{self, Template};

/// Checks one template's text; `file` names it in the report.
pub fn check_text(file: &str, text: &str, ctx: &Context) -> FileReport {
    let mut report = FileReport {
        file: file.to_string(),
        ..Default::default()
    };
    // Positions come from a second reading of the text. A large text is read for them on
    // the other core while this one checks, since most templates worth checking have
    // findings; a small one is read only when there are findings.
    let parallel = text.len() >= 64 * 1024;
    std::thread::scope(|scope| {
        let locator = parallel.then(|| scope.spawn(|| template::Locator::new(text)));
        match Template::parse_recovering(text) {
            Ok((t, issues)) => {
                report.notes = unjudged(&t);
                let mut r = check(&t, text, ctx);
                r.findings
                    .splice(0..0, issues.iter().map(super::read_issue));
                let (findings, suppressed) = super::template_suppress::apply(&t, r.findings);
                report.findings = findings;
                report.suppressed = suppressed;
                report.access = r.access;
                if report.findings.is_empty() {
                    return;
                }
                let l = match locator {
                    Some(h) => h.join().ok().flatten(),
                    None => template::Locator::new(text),
                };
                if let Some(l) = l {
                    place(&mut report.findings, &l);
                }
            }
            Err(e) => report.findings.push(syntax_error(&e)),
        }
    });
    report
}

/// What a template's macros and modules leave unjudged, in words.
fn unjudged(t: &Template) -> Vec<String> {
    let mut notes = Vec::new();
    if t.transforms() == crate::template::Transforms::Macros {
        let names: Vec<String> = match &t.transform {
            Some(template::Value::List(items)) => items
                .iter()
                .map(|i| {
                    i.as_str()
                        .map_or_else(|| "a macro call".to_string(), str::to_string)
                })
                .collect(),
            Some(template::Value::String(s)) => vec![s.clone()],
            _ => vec!["a macro call".to_string()],
        };
        notes.push(format!(
            "the template calls {}: what a macro adds, changes or removes is not judged, and references to names it may create are accepted",
            names.join(", ")
        ));
    }
    let modules: Vec<&str> = t
        .resources
        .iter()
        .filter(|(_, r)| r.resource_type.as_str().ends_with("::MODULE"))
        .map(|(id, _)| id.as_str())
        .collect();
    if !modules.is_empty() {
        notes.push(format!(
            "modules ({}) expand into resources this check does not see; references to them are accepted",
            modules.join(", ")
        ));
    }
    notes
}

/// The partition a region belongs to.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

fn context(b: &Blueprint, target: &Target, region: &Region) -> Context {
    let props = b
        .resolved
        .iter()
        .find(|(t, _)| t.name == target.name)
        .map(|(_, p)| p);
    Context {
        partition: partition(region.as_str()).to_string(),
        account: target.account.to_string(),
        region: region.to_string(),
        intended_effect: props.map(|p| p.endpoint_policy_effect),
        known_cidrs: props
            .and_then(|p| p.corporate_access.as_ref())
            .map(|c| ipnet::IpNet::V4(c.cidr.net()))
            .into_iter()
            .collect(),
        expectations: b
            .spec
            .check
            .expect
            .iter()
            .filter(|e| e.targets.is_empty() || e.targets.iter().any(|t| t == target.name.as_str()))
            .cloned()
            .collect(),
        corporate_principals: props
            .and_then(|p| p.corporate_access.as_ref())
            .map(|c| {
                c.principals
                    .iter()
                    .map(|p| match p {
                        crate::constructs::CorporatePrincipal::Role(s)
                        | crate::constructs::CorporatePrincipal::Organization(s) => s.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        ..Context::default()
    }
}

/// Checks every selected target of the blueprints; the file of each report is where
/// synth writes the template under `opts.out_dir`. A blueprint whose suppressions went
/// unused gets a report of its own.
pub fn check_blueprints(
    blueprints: &[Blueprint],
    opts: &Options,
) -> Result<Vec<FileReport>, SynthError> {
    let mut reports = Vec::new();
    let mut used: Vec<Vec<bool>> = blueprints
        .iter()
        .map(|b| vec![false; b.spec.check.suppress.len()])
        .collect();
    let out = opts.out_dir.display().to_string();
    synth::each_artifact(blueprints, opts, |a| {
        let bi = blueprints
            .iter()
            .position(|b| b.name.as_str() == a.entry.blueprint)
            .unwrap_or(0);
        let b = &blueprints[bi];
        let Some(target) = b
            .spec
            .targets
            .iter()
            .find(|t| t.name.as_str() == a.entry.target)
        else {
            return Ok(());
        };
        let ctx = context(b, target, &target.region);
        let r = check(&a.template, &a.body, &ctx);
        let (mut findings, suppressed) = suppress::apply(
            r.findings,
            &b.spec.check.suppress,
            &a.entry.target,
            &mut used[bi],
        );
        locate(&mut findings, &a.body);
        reports.push(FileReport {
            file: format!("{out}/{}", a.entry.path),
            blueprint: Some(b.name.to_string()),
            target: Some(a.entry.target.clone()),
            deployment: Some(format!("{} {}", a.entry.account, a.entry.region)),
            findings,
            suppressed,
            access: r.access,
            notes: Vec::new(),
        });
        Ok(())
    })?;
    for (b, used) in blueprints.iter().zip(&used) {
        let unused: Vec<(usize, &Suppression)> = b
            .spec
            .check
            .suppress
            .iter()
            .enumerate()
            .filter(|(i, s)| !used[*i] && covered(s, opts))
            .collect();
        if unused.is_empty() {
            continue;
        }
        let text = std::fs::read_to_string(&b.file).unwrap_or_default();
        let mut findings: Vec<Finding> = unused
            .into_iter()
            .map(|(i, s)| {
                Finding::new(
                    rules::UNUSED_SUPPRESSION,
                    None,
                    format!("check.suppress[{i}]"),
                    format!("the suppression of {} matches no finding", s.rule),
                )
                .severity(Severity::Warning)
            })
            .collect();
        locate(&mut findings, &text);
        reports.push(FileReport {
            file: b.file.clone(),
            blueprint: Some(b.name.to_string()),
            findings,
            ..Default::default()
        });
    }
    Ok(reports)
}

/// Whether this run checked every target a suppression is for: only then can it be
/// called unused.
fn covered(s: &Suppression, opts: &Options) -> bool {
    opts.targets.is_empty()
        || (!s.targets.is_empty() && s.targets.iter().all(|t| opts.targets.contains(t)))
}
