//! `perimeter drift`: CloudFormation's drift detection for the targets' stacks and
//! StackSets, each drifted resource with perimeter's judgement of it.

use crate::deploy::drift::{self, TargetDrift};

use super::output::outln;
use super::{EXIT_DIFFERENT, EXIT_OK, Sources, fail};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    sources: Sources,
    /// Only these targets (repeatable); default: every target.
    #[arg(long = "target", value_name = "NAME")]
    targets: Vec<String>,
}

fn show(d: &TargetDrift) {
    outln!(
        "{}: {} ({} {}): {}",
        d.target,
        d.what,
        d.account,
        d.region,
        d.status
    );
    for r in &d.resources {
        let judged = if r.broadens() {
            "BROADENS ACCESS"
        } else {
            "does not broaden access"
        };
        outln!(
            "  {} {} ({}): {judged}",
            r.status,
            r.logical_id,
            r.resource_type
        );
        for p in &r.properties {
            outln!(
                "    {} {}: {} → {}",
                p.kind,
                p.path,
                if p.expected.is_empty() {
                    "(none)"
                } else {
                    &p.expected
                },
                if p.actual.is_empty() {
                    "(none)"
                } else {
                    &p.actual
                }
            );
        }
        if r.broadens() {
            for l in crate::diff::render::terminal(&r.diff, false).lines() {
                if l.contains('⚠') {
                    outln!("    {}", l.trim_start());
                }
            }
        }
    }
    for i in &d.instances {
        outln!("  instance {} {}: {}", i.account, i.region, i.status);
    }
}

/// Exit 0 when nothing drifted, 1 when something did, 2 on an error (as `diff --fail`).
pub fn run(a: &Args, app: &crate::app::App) -> i32 {
    let blueprints = match a.sources.load(app) {
        Ok(b) => b,
        Err(code) => return code,
    };
    match drift::drift(&blueprints, &a.targets) {
        Ok(found) => {
            found.iter().for_each(show);
            let drifted = found.iter().filter(|d| d.drifted()).count();
            let broadening = found
                .iter()
                .flat_map(|d| &d.resources)
                .filter(|r| r.broadens())
                .count();
            outln!(
                "{drifted} of {} target(s) drifted; {broadening} drifted resource(s) broaden access",
                found.len()
            );
            if drifted == 0 {
                EXIT_OK
            } else {
                EXIT_DIFFERENT
            }
        }
        Err(e) => fail(&e.to_string()),
    }
}
