//! Checking every target of blueprints, synthesized in memory, with each solution's
//! expectations of its targets and the blueprint's suppressions and expectations.

use std::collections::HashMap;

use crate::blueprint::Blueprint;
use crate::check::perimeters::Claim;
use crate::check::render::FileReport;
use crate::check::suppress::{self, Suppression};
use crate::check::{
    Context, Finding, Outcome, Report, Scenario, ScenarioCaller, Severity, Via, check, locate,
    partition, rules,
};
use crate::constructs::{Expected, Intent, Who};
use crate::project::shapes::{self, Own, Shapes, Sharing};
use crate::synth::{self, Options, SynthError};

/// What check knows of the target of a blueprint named `target` (see [`context`]).
pub fn context_of(b: &Blueprint, target: &str) -> Context {
    let i = b
        .resolved
        .iter()
        .position(|(t, _)| t.name.as_str() == target);
    i.map_or_else(Context::default, |i| context(b, i))
}

/// What check knows of one template synth makes of a blueprint: an account target's
/// stack ([`context_of`]) or an organizational-unit target's (its StackSet's template,
/// or the administrator's template declaring the StackSet).
pub fn artifact_context(b: &Blueprint, target: &str, kind: synth::Kind) -> Context {
    match kind {
        synth::Kind::Stack => context_of(b, target),
        kind => org_context(b, target, kind),
    }
}

/// What check knows of a target: its account, region and partition, what its solution
/// expects, and the blueprint's expectations for it.
fn context(b: &Blueprint, i: usize) -> Context {
    let mut ctx = Context::default();
    let Some((t, resolved)) = b.resolved.get(i) else {
        return ctx;
    };
    let target = t.name.as_str();
    ctx.partition = partition(t.region.as_str()).to_string();
    ctx.account = t.account.to_string();
    ctx.region = t.region.to_string();
    declared(&mut ctx, b, target, resolved.as_ref());
    ctx
}

/// The scenarios a stack's grants declare ([`crate::constructs::Stack::intent`]), as
/// check runs them.
pub fn scenarios_of(intent: &Intent) -> Vec<Scenario> {
    intent.expected.iter().map(scenario_of).collect()
}

/// The claims a stack's grants declare ([`crate::constructs::Stack::intent`]), as check
/// proves them: each grant through an endpoint, on its resources, holds its role to the
/// endpoint, and the endpoint admits to them only the roles granted through it (two
/// grants on one table through one endpoint admit both roles). A grant through no
/// endpoint claims no network perimeter, so nothing here.
pub fn claims_of(intent: &Intent) -> Vec<Claim> {
    intent
        .claims
        .iter()
        .filter_map(|c| {
            let endpoint = c.through.clone()?;
            let mut principals: Vec<String> = intent
                .claims
                .iter()
                .filter(|o| o.through.as_deref() == Some(endpoint.as_str()))
                .map(|o| format!("${{{}.Arn}}", o.role))
                .collect();
            principals.sort();
            principals.dedup();
            Some(Claim::Granted {
                role: c.role.clone(),
                actions: c.actions.clone(),
                resources: c.resources.clone(),
                endpoint,
                principals,
            })
        })
        .collect()
}

/// A grant's expected outcome as a check scenario.
fn scenario_of(e: &Expected) -> Scenario {
    Scenario {
        name: e.name.clone(),
        caller: match &e.who {
            Who::Role(r) => ScenarioCaller::Role(r.clone()),
            Who::AnotherRole => ScenarioCaller::OtherRole,
        },
        action: e.action.clone(),
        resource: e.resource.clone(),
        via: if e.endpoint.is_some() {
            Via::Endpoint
        } else {
            Via::NoEndpoint
        },
        endpoint: e.endpoint.clone(),
        context: vec![],
        expected: if e.allowed {
            Outcome::Allow
        } else {
            Outcome::Deny
        },
    }
}

/// What a target is held to, whether it is an account's or an organizational unit's: the
/// blueprint's expectations and scenarios for it, its solution's context and claims.
fn declared(
    ctx: &mut Context,
    b: &Blueprint,
    target: &str,
    resolved: &dyn crate::solution::Resolved,
) {
    ctx.expectations = b
        .spec
        .check
        .expect
        .iter()
        .filter(|e| e.targets.is_empty() || e.targets.iter().any(|n| n == target))
        .cloned()
        .collect();
    ctx.scenarios.extend(
        b.spec
            .scenarios
            .iter()
            .filter(|s| s.is_for(target))
            .map(|s| s.scenario()),
    );
    resolved.check_context(ctx);
    ctx.claims = resolved.claims();
}

/// What check knows of an organizational-unit target's template: no one account (the
/// StackSet's template is every account's), its first Region, what its solution expects;
/// of its StackSet resource's template, the administrator's account and Region.
fn org_context(b: &Blueprint, target: &str, kind: synth::Kind) -> Context {
    let mut ctx = Context::default();
    let Some(o) = b.org.iter().find(|o| o.target.name.as_str() == target) else {
        return ctx;
    };
    let admin = &o.target.administrator;
    if kind == synth::Kind::StackSetResource {
        ctx.partition = partition(admin.region.as_str()).to_string();
        ctx.account = admin.account.to_string();
        ctx.region = admin.region.to_string();
        return ctx;
    }
    let region = o.resolved.target().region.clone();
    ctx.partition = partition(&region).to_string();
    // `${AWS::AccountId}` of the template is each account's own: it binds to this
    // placeholder, which is inside the identity perimeter (the account the stack is in).
    ctx.account = crate::blueprint::NO_ACCOUNT.to_string();
    ctx.region = region;
    declared(&mut ctx, b, target, o.resolved.as_ref());
    // The units' accounts are not known at synth (accounts join later), so no account
    // list can say who else is inside: the organization can. It is the administrator's
    // organization as `context refresh` recorded it; without the record, only the
    // account itself and the callers the solution admits are inside (stricter, never
    // looser).
    let admin_info = crate::solution::TargetInfo {
        account: admin.account.to_string(),
        ..o.resolved.target().clone()
    };
    if let Ok(org) = admin_info.organization_id()
        && !ctx.trusted.contains(&org)
    {
        ctx.trusted.push(org);
    }
    ctx
}

/// Checks every selected target of the blueprints; the file of each report is where
/// synth writes the template under `opts.out_dir`. A blueprint whose suppressions went
/// unused gets a report of its own. Targets of one template shape are checked once
/// ([`super::shapes`]).
pub fn check_blueprints(
    blueprints: &[Blueprint],
    opts: &Options,
) -> Result<Vec<FileReport>, SynthError> {
    check_blueprints_sharing(blueprints, opts, Sharing::Shapes)
}

/// [`check_blueprints`], with the work shared between targets of one shape or not: the
/// reports are the same either way.
pub fn check_blueprints_sharing(
    blueprints: &[Blueprint],
    opts: &Options,
    sharing: Sharing,
) -> Result<Vec<FileReport>, SynthError> {
    let shapes: Shapes<Report> = Shapes::default();
    let mut reports = Vec::new();
    let mut used: Vec<Vec<bool>> = blueprints
        .iter()
        .map(|b| vec![false; b.spec.check.suppress.len()])
        .collect();
    let out = opts.out_dir.display().to_string();
    // Where each target is, by blueprint and name: found once, not per target.
    let index: HashMap<(&str, &str), (usize, usize)> = blueprints
        .iter()
        .enumerate()
        .flat_map(|(bi, b)| {
            b.resolved
                .iter()
                .enumerate()
                .map(move |(i, (t, _))| ((b.name.as_str(), t.name.as_str()), (bi, i)))
        })
        .collect();
    // The check of each target runs on every core; suppressions are applied in file
    // order, as they count their uses.
    let work = |a: synth::Artifact| {
        let (bi, mut ctx) = match a.entry.kind {
            synth::Kind::Stack => {
                let key = (a.entry.blueprint.as_str(), a.entry.target.as_str());
                let &(bi, i) = index.get(&key)?;
                (bi, context(&blueprints[bi], i))
            }
            kind => {
                let bi = blueprints
                    .iter()
                    .position(|b| b.name.as_str() == a.entry.blueprint)?;
                (bi, org_context(&blueprints[bi], &a.entry.target, kind))
            }
        };
        ctx.scenarios.extend(scenarios_of(&a.intent));
        ctx.claims.extend(claims_of(&a.intent));
        let r = match sharing {
            Sharing::Shapes if a.entry.kind == synth::Kind::Stack => {
                shared_check(&shapes, &a, &ctx)
            }
            _ => check(&a.template, &a.body, &ctx),
        };
        Some((bi, a, ctx, r))
    };
    synth::map_artifacts(blueprints, opts, work, |done| {
        let Some((bi, a, ctx, r)) = done else {
            return Ok(());
        };
        let b = &blueprints[bi];
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
            notes: ctx.notes,
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

/// Check of a target's template: renamed from another target's of the same shape when
/// one was checked, else checked and kept for the others.
fn shared_check(shapes: &Shapes<Report>, a: &synth::Artifact, ctx: &Context) -> Report {
    let own = Own {
        account: ctx.account.clone(),
        name: a.entry.target.clone(),
    };
    let c = shapes::canonical(&own, &[&a.body], &[&format!("{ctx:?}")]);
    let checked = shapes.answer(
        own,
        c,
        || Ok::<_, std::convert::Infallible>(check(&a.template, &a.body, ctx)),
        |r, x| r.report(x),
    );
    match checked {
        Ok(r) => r,
        Err(never) => match never {},
    }
}

/// Whether this run checked every target a suppression is for: only then can it be
/// called unused.
fn covered(s: &Suppression, opts: &Options) -> bool {
    opts.targets.is_empty()
        || (!s.targets.is_empty() && s.targets.iter().all(|t| opts.targets.contains(t)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blueprint::Name;
    use crate::template::Format;

    const SHIPPED: &str = include_str!("../../blueprints/bedrock-private-access.yaml");

    /// The shipped settings with targets t00000.. as scripts/bench makes them.
    fn many(n: usize) -> Blueprint {
        let head = &SHIPPED[..SHIPPED.find("targets:").unwrap()];
        let regions = ["us-east-1", "us-west-2", "us-east-2"];
        let mut text = format!("{head}targets:\n");
        for i in 0..n {
            let stage = if i % 2 == 0 { "dev" } else { "prod" };
            text.push_str(&format!(
                "  - name: t{i:05}\n    account: \"{}\"\n    region: {}\n    stage: {stage}\n",
                100000000000u64 + i as u64,
                regions[i % 3]
            ));
        }
        Blueprint::parse(
            "huge".parse::<Name>().unwrap(),
            "blueprints/huge.yaml",
            &text,
            &crate::solutions::builtin(),
        )
        .unwrap()
    }

    #[test]
    fn targets_of_one_shape_have_one_key_and_others_another() {
        let b = many(7);
        let opts = Options {
            out_dir: "out".into(),
            format: Format::Json,
            targets: vec![],
            complete: true,
        };
        let mut keys = Vec::new();
        synth::map_artifacts(
            std::slice::from_ref(&b),
            &opts,
            |a| a,
            |a| {
                let mut ctx = context_of(&b, &a.entry.target);
                ctx.scenarios.extend(scenarios_of(&a.intent));
                ctx.claims.extend(claims_of(&a.intent));
                let own = Own {
                    account: ctx.account.clone(),
                    name: a.entry.target.clone(),
                };
                let ctx_text = format!("{ctx:?}");
                let k = shapes::key(&own, &[&a.body], &[&ctx_text]);
                assert!(
                    k.is_some(),
                    "{}: {:?} / {:?}",
                    a.entry.target,
                    shapes::key(&own, &[&a.body], &[]).is_some(),
                    ctx_text
                );
                keys.push(k);
                Ok(())
            },
        )
        .unwrap();
        // t00000 and t00006: us-east-1, dev; t00003: us-east-1, prod.
        assert_eq!(keys[0], keys[6]);
        assert_ne!(keys[0], keys[3]);
        assert_ne!(keys[0], keys[2]);
    }
}
