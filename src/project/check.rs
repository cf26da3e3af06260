//! Checking every target of blueprints, synthesized in memory, with each solution's
//! expectations of its targets and the blueprint's suppressions and expectations.

use crate::blueprint::Blueprint;
use crate::check::render::FileReport;
use crate::check::suppress::{self, Suppression};
use crate::check::{Context, Finding, Severity, check, locate, partition, rules};
use crate::synth::{self, Options, SynthError};

/// What check knows of a target: its account, region and partition, what its solution
/// expects, and the blueprint's expectations for it.
pub fn context(b: &Blueprint, target: &str) -> Context {
    let mut ctx = Context::default();
    let Some((t, resolved)) = b.resolved.iter().find(|(t, _)| t.name.as_str() == target) else {
        return ctx;
    };
    ctx.partition = partition(t.region.as_str()).to_string();
    ctx.account = t.account.to_string();
    ctx.region = t.region.to_string();
    ctx.expectations = b
        .spec
        .check
        .expect
        .iter()
        .filter(|e| e.targets.is_empty() || e.targets.iter().any(|n| n == target))
        .cloned()
        .collect();
    resolved.check_context(&mut ctx);
    ctx.claims = resolved.claims();
    ctx
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
        let ctx = context(b, target.name.as_str());
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
            notes: ctx.notes.clone(),
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
