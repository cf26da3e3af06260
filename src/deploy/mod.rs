//! Deploy: the blueprints' targets to CloudFormation stacks, safely.
//!
//! Three phases, so nothing changes before every target has been judged:
//! 1. **prepare** (targets concurrently): the template is synthesized in memory and
//!    refused if `check` finds errors; the credentials' account (STS) must be the
//!    target's; a target whose deployed template is the same is skipped with no change
//!    set; otherwise a change set is created and perimeter's diff of the deployed template
//!    against the new one is computed beside it.
//! 2. **approve** (one target after the other): each plan is shown and, as
//!    [`Approval`] asks, approved (`--yes`, or a question on the terminal) or declined,
//!    its change set then discarded.
//! 3. **execute** (concurrently, bounded): each approved change set is executed and the
//!    stack's events followed until a final state; one target's failure does not stop
//!    the others.

pub mod aws;
pub mod bootstrap;
pub mod stack;
pub mod upload;

use std::collections::BTreeMap;

use aws_sdk_cloudformation::Client;

use crate::blueprint::Blueprint;
use crate::check::Severity;
use crate::diff::render::{FileDiff, FileStatus, Report};
use crate::synth::{self, Options as SynthOptions};
use crate::template::{Format, Template};

pub use aws::Identity;
pub use stack::{Event, Finished, Planned};

/// When a plan needs approval before it is executed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approval {
    /// Never: every plan is executed.
    Never,
    /// When perimeter's diff finds a broadening change (an IAM grant added or widened, a
    /// Deny removed, a security group rule added): the CDK's default too.
    Broadening,
    /// Any change.
    Any,
}

/// What to deploy and how.
#[derive(Debug, Clone)]
pub struct Options {
    /// Only these targets (empty: all).
    pub targets: Vec<String>,
    pub approval: Approval,
    /// Approve every plan that needs it.
    pub yes: bool,
    /// Targets prepared and executed at once.
    pub concurrency: usize,
    /// Create the change sets and stop (they stay for review in the console).
    pub execute: bool,
}

/// Why a deploy could not even start.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// The blueprints could not be synthesized.
    #[error(transparent)]
    Synth(#[from] synth::SynthError),
    /// An AWS API call failed (the SDK's error in one line, see [`sdk_error`]).
    #[error("{0}")]
    Aws(String),
    /// CloudFormation could not make a change set, and why.
    #[error("CloudFormation made no change set: {0}")]
    ChangeSet(String),
    /// A target cannot be deployed as things are, and why (nothing was changed).
    #[error("{0}")]
    Refused(String),
}

/// An SDK error in one line: the service's code and message when it answered, else the
/// error with its causes (no connection, no credentials).
pub fn sdk_error<E>(e: &E) -> String
where
    E: std::error::Error + aws_sdk_cloudformation::error::ProvideErrorMetadata,
{
    match (e.code(), e.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_string(),
        _ => aws_sdk_cloudformation::error::DisplayErrorContext(e).to_string(),
    }
}

/// Where the deploy shows what it does, and asks.
pub trait Ui: Sync {
    /// A line about a target.
    fn say(&self, target: &str, line: &str);
    /// A stack event of a target.
    fn event(&self, target: &str, event: &Event);
    /// Asks whether to execute a target's plan; called for one target at a time.
    fn approve(&self, target: &str, question: &str) -> bool;
}

/// How a target's deploy ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Refused before anything was created or changed, and why.
    Refused(String),
    /// The deployed template is the template: nothing to do, no change set.
    NoChanges,
    /// The change set was made and kept (`--no-execute`).
    Planned { change_set: String },
    /// Approval was needed and not given; the change set was discarded.
    Declined,
    /// The change set was executed; the stack's final status.
    Deployed { status: String },
    /// The stack operation failed: its final status (after rollback) and the resources
    /// that failed with CloudFormation's reasons.
    Failed {
        status: String,
        failures: Vec<Event>,
    },
    /// An API call failed mid-way.
    Error(String),
}

impl Outcome {
    /// Whether the target ended as it should (a refusal, a decline, a failure do not).
    pub fn ok(&self) -> bool {
        matches!(
            self,
            Outcome::NoChanges | Outcome::Planned { .. } | Outcome::Deployed { .. }
        )
    }
}

/// One target's result.
#[derive(Debug, Clone)]
pub struct TargetResult {
    pub blueprint: String,
    pub target: String,
    pub stack: String,
    pub account: String,
    pub region: String,
    pub outcome: Outcome,
}

/// A target ready to deploy: synthesized and checked.
struct Unit {
    blueprint: String,
    target: String,
    stack: String,
    identity: Identity,
    body: String,
    template: Template,
    /// check's errors, when there are any: the target is refused.
    check_errors: Vec<String>,
    /// The function code the template names, built and uploaded before the change set
    /// is made.
    assets: Vec<crate::assets::Planned>,
}

/// A target after the prepare phase.
struct Prepared {
    unit: Unit,
    state: State,
}

enum State {
    Done(Outcome),
    Ready {
        client: Client,
        change_set: stack::ChangeSet,
        diff: Report,
    },
}

/// Synthesizes and checks the selected targets.
fn units(blueprints: &[Blueprint], targets: &[String]) -> Result<Vec<Unit>, DeployError> {
    let opts = SynthOptions {
        out_dir: "out".into(),
        format: Format::Json,
        targets: targets.to_vec(),
        complete: false,
    };
    let reports =
        crate::project::check_blueprints(blueprints, &opts).map_err(DeployError::Synth)?;
    let mut errors: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for r in &reports {
        if let (Some(b), Some(t)) = (&r.blueprint, &r.target) {
            errors.entry((b.clone(), t.clone())).or_default().extend(
                r.findings
                    .iter()
                    .filter(|f| f.severity == Severity::Error)
                    .map(|f| format!("{} {}: {}", f.rule.id, f.path, f.message)),
            );
        }
    }
    let mut out = Vec::new();
    synth::each_artifact(blueprints, &opts, |a| {
        let b = blueprints
            .iter()
            .find(|b| b.name.as_str() == a.entry.blueprint)
            .expect("an artifact comes from a blueprint");
        let t = b
            .spec
            .targets
            .iter()
            .find(|t| t.name.as_str() == a.entry.target)
            .expect("an artifact comes from a target");
        out.push(Unit {
            blueprint: b.name.to_string(),
            target: t.name.to_string(),
            stack: t.stack(b.name.as_str()),
            identity: Identity::of(t),
            check_errors: errors
                .remove(&(a.entry.blueprint.clone(), a.entry.target.clone()))
                .unwrap_or_default(),
            body: a.body,
            template: a.template,
            assets: a.assets,
        });
        Ok(())
    })
    .map_err(DeployError::Synth)?;
    Ok(out)
}

fn result(u: &Unit, outcome: Outcome) -> TargetResult {
    TargetResult {
        blueprint: u.blueprint.clone(),
        target: u.target.clone(),
        stack: u.stack.clone(),
        account: u.identity.account.clone(),
        region: u.identity.region.clone(),
        outcome,
    }
}

/// Deploys the selected targets of the blueprints; each target's outcome, in target order.
pub fn deploy(
    blueprints: &[Blueprint],
    opts: &Options,
    ui: &dyn Ui,
) -> Result<Vec<TargetResult>, DeployError> {
    run(units(blueprints, &opts.targets)?, opts, ui)
}

/// Bootstraps every account and region the selected targets deploy to: a stack with the
/// asset bucket ([`bootstrap::template`]), deployed as any target is.
pub fn bootstrap(
    blueprints: &[Blueprint],
    opts: &Options,
    ui: &dyn Ui,
) -> Result<Vec<TargetResult>, DeployError> {
    let units = units(blueprints, &opts.targets)?;
    let (body, template) = bootstrap::template();
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for u in units {
        let key = (u.identity.account.clone(), u.identity.region.clone());
        if !seen.insert(key) {
            continue;
        }
        out.push(Unit {
            blueprint: u.blueprint,
            target: format!("{} {}", u.identity.account, u.identity.region),
            stack: bootstrap::STACK.to_string(),
            identity: u.identity,
            body: body.clone(),
            template: template.clone(),
            check_errors: bootstrap::check_errors(&template, &body),
            assets: Vec::new(),
        });
    }
    run(out, opts, ui)
}

fn run(units: Vec<Unit>, opts: &Options, ui: &dyn Ui) -> Result<Vec<TargetResult>, DeployError> {
    let runtime = runtime()?;
    runtime.block_on(async {
        let prepared = bounded(units, opts.concurrency, |u| prepare(u, ui)).await;
        let mut ready = Vec::new();
        let mut results: Vec<Option<TargetResult>> = Vec::new();
        // Approval, one target at a time, in order.
        for p in prepared {
            let (client, change_set, diff) = match p.state {
                State::Done(o) => {
                    results.push(Some(result(&p.unit, o)));
                    continue;
                }
                State::Ready {
                    client,
                    change_set,
                    diff,
                } => (client, change_set, diff),
            };
            show_plan(&p.unit, &change_set, &diff, ui);
            let needed = match opts.approval {
                Approval::Never => false,
                Approval::Broadening => diff.broadens(),
                Approval::Any => true,
            };
            let approved = !needed
                || opts.yes
                || ui.approve(
                    &p.unit.target,
                    &format!(
                        "deploy {} to {} ({} {})?",
                        p.unit.target,
                        p.unit.stack,
                        p.unit.identity.account,
                        p.unit.identity.region
                    ),
                );
            if !approved {
                stack::discard(&client, &p.unit.stack, &change_set.id).await;
                results.push(Some(result(&p.unit, Outcome::Declined)));
                continue;
            }
            if !opts.execute {
                let id = change_set.id.clone();
                results.push(Some(result(&p.unit, Outcome::Planned { change_set: id })));
                continue;
            }
            results.push(None);
            ready.push((results.len() - 1, p.unit, client, change_set));
        }
        let executed = bounded(ready, opts.concurrency, |(i, u, client, cs)| async move {
            let on_event = |e: &Event| ui.event(&u.target, e);
            let outcome = match stack::execute(&client, &u.stack, &cs.id, &on_event).await {
                Ok(f) if f.succeeded() => Outcome::Deployed { status: f.status },
                Ok(f) => Outcome::Failed {
                    status: f.status,
                    failures: f.failures,
                },
                Err(e) => Outcome::Error(e.to_string()),
            };
            (i, result(&u, outcome))
        })
        .await;
        for (i, r) in executed {
            results[i] = Some(r);
        }
        Ok(results.into_iter().flatten().collect())
    })
}

fn runtime() -> Result<tokio::runtime::Runtime, DeployError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| DeployError::Aws(format!("cannot start the async runtime: {e}")))
}

/// Runs `f` on every item, at most `limit` at once; results in the items' order.
async fn bounded<T, R, F, Fut>(items: Vec<T>, limit: usize, f: F) -> Vec<R>
where
    F: Fn(T) -> Fut,
    Fut: std::future::Future<Output = R>,
{
    use futures_util::stream::{self, StreamExt};
    stream::iter(items.into_iter().map(f))
        .buffered(limit.max(1))
        .collect()
        .await
}

/// The prepare phase for one target: nothing is created unless every check passes.
async fn prepare(u: Unit, ui: &dyn Ui) -> Prepared {
    let done = |u: Unit, o: Outcome| Prepared {
        unit: u,
        state: State::Done(o),
    };
    if !u.check_errors.is_empty() {
        let n = u.check_errors.len();
        let first = u.check_errors[0].clone();
        return done(
            u,
            Outcome::Refused(format!(
                "check found {n} error{} in the template (first: {first}); run perimeter check",
                if n == 1 { "" } else { "s" }
            )),
        );
    }
    let conf = match aws::verified_config(&u.identity).await {
        Ok(c) => c,
        Err(e) => return done(u, Outcome::Refused(e.to_string())),
    };
    let client = Client::new(&conf);
    let deployed = match stack::deployed(&client, &u.stack).await {
        Ok(d) => d,
        Err(e) => return done(u, Outcome::Error(e.to_string())),
    };
    let (create, old) = match &deployed {
        None => (true, Template::default()),
        Some(d) if d.status == "REVIEW_IN_PROGRESS" => (true, Template::default()),
        Some(d) if d.status.ends_with("_IN_PROGRESS") => {
            let msg = format!(
                "stack {} is busy ({}): try again when it is done",
                u.stack, d.status
            );
            return done(u, Outcome::Refused(msg));
        }
        Some(d) if d.status == "ROLLBACK_COMPLETE" || d.status == "ROLLBACK_FAILED" => {
            let msg = format!(
                "stack {} is in {} after a failed creation and cannot be updated: remove it (perimeter destroy --target {}) and deploy again",
                u.stack, d.status, u.target
            );
            return done(u, Outcome::Refused(msg));
        }
        Some(d) => match Template::parse_any(&d.template) {
            Ok(t) => (false, t),
            Err(e) => {
                let msg = format!("the deployed template of {} does not read: {e}", u.stack);
                return done(u, Outcome::Error(msg));
            }
        },
    };
    let diff = crate::diff::diff(&old, &u.template);
    if !create && diff.is_empty() {
        return done(u, Outcome::NoChanges);
    }
    let bucket = upload::bucket(&u.identity.account, &u.identity.region);
    match upload::upload(&conf, &bucket, &u.assets).await {
        Ok(said) => {
            for line in said {
                ui.say(&u.target, &line);
            }
        }
        Err(DeployError::Refused(why)) => return done(u, Outcome::Refused(why)),
        Err(e) => return done(u, Outcome::Error(e.to_string())),
    }
    ui.say(&u.target, &format!("creating a change set for {}", u.stack));
    let change_set = match stack::change_set(&client, &u.stack, &u.body, create).await {
        Ok(cs) => cs,
        Err(DeployError::ChangeSet(reason))
            if reason.contains("didn't contain changes") || reason.contains("No updates") =>
        {
            return done(u, Outcome::NoChanges);
        }
        Err(e) => return done(u, Outcome::Error(e.to_string())),
    };
    let report = Report {
        files: vec![FileDiff {
            path: format!("{} ({} {})", u.stack, u.identity.account, u.identity.region),
            status: if create {
                FileStatus::Added
            } else {
                FileStatus::Modified
            },
            diff,
        }],
    };
    Prepared {
        unit: u,
        state: State::Ready {
            client,
            change_set,
            diff: report,
        },
    }
}

/// A plan, shown before approval: perimeter's diff, then CloudFormation's change set.
fn show_plan(u: &Unit, cs: &stack::ChangeSet, diff: &Report, ui: &dyn Ui) {
    for line in crate::diff::render::terminal(diff, false).lines() {
        ui.say(&u.target, line);
    }
    ui.say(
        &u.target,
        &format!(
            "CloudFormation's change set ({} changes):",
            cs.changes.len()
        ),
    );
    for c in &cs.changes {
        let replace = match c.replacement.as_deref() {
            Some("True") => "  REPLACES the resource",
            Some("Conditional") => "  may replace the resource",
            _ => "",
        };
        ui.say(
            &u.target,
            &format!(
                "  {:<7} {} ({}){replace}",
                c.action, c.logical_id, c.resource_type
            ),
        );
    }
}

/// The deployed templates of the selected targets (empty: all), by (blueprint, target):
/// `None` for a stack that does not exist. For `perimeter diff --deployed`, which
/// synthesizes the new side itself: nothing is synthesized or checked here.
pub fn deployed_templates(
    blueprints: &[Blueprint],
    targets: &[String],
) -> Result<BTreeMap<(String, String), Option<String>>, DeployError> {
    let wanted: Vec<((String, String), Identity, String)> = blueprints
        .iter()
        .flat_map(|b| b.spec.targets.iter().map(move |t| (b, t)))
        .filter(|(_, t)| targets.is_empty() || targets.iter().any(|n| n == t.name.as_str()))
        .map(|(b, t)| {
            let key = (b.name.to_string(), t.name.to_string());
            (key, Identity::of(t), t.stack(b.name.as_str()))
        })
        .collect();
    runtime()?.block_on(async {
        let found = bounded(wanted, 8, |(key, id, stack)| async move {
            let client = Client::new(&aws::config(&id).await);
            (key, stack::deployed(&client, &stack).await)
        })
        .await;
        found
            .into_iter()
            .map(|(key, d)| Ok((key, d?.map(|d| d.template))))
            .collect()
    })
}

/// Removes a target's stack. What CloudFormation keeps (`DeletionPolicy: Retain`) is
/// listed by [`retained`] first.
pub fn destroy(
    blueprints: &[Blueprint],
    target: &str,
    yes: bool,
    ui: &dyn Ui,
) -> Result<TargetResult, DeployError> {
    let units = units(blueprints, &[target.to_string()])?;
    let Some(u) = units.into_iter().next() else {
        return Err(DeployError::Aws(format!("no target named {target}")));
    };
    runtime()?.block_on(async {
        let conf = match aws::verified_config(&u.identity).await {
            Ok(c) => c,
            Err(DeployError::Refused(why)) => return Ok(result(&u, Outcome::Refused(why))),
            Err(e) => return Err(e),
        };
        let client = Client::new(&conf);
        let Some(d) = stack::deployed(&client, &u.stack).await? else {
            ui.say(
                &u.target,
                &format!("there is no stack {}: nothing to remove", u.stack),
            );
            return Ok(result(&u, Outcome::NoChanges));
        };
        let kept = Template::parse_any(&d.template)
            .map(|t| retained(&t))
            .unwrap_or_default();
        ui.say(
            &u.target,
            &format!("stack {} ({}) is removed", u.stack, d.status),
        );
        if kept.is_empty() {
            ui.say(&u.target, "nothing is retained");
        } else {
            ui.say(
                &u.target,
                &format!(
                    "retained (DeletionPolicy Retain or Snapshot): {}",
                    kept.join(", ")
                ),
            );
        }
        let question = format!(
            "remove stack {} from {} {}?",
            u.stack, u.identity.account, u.identity.region
        );
        if !yes && !ui.approve(&u.target, &question) {
            return Ok(result(&u, Outcome::Declined));
        }
        let on_event = |e: &Event| ui.event(&u.target, e);
        let outcome = match stack::delete(&client, &u.stack, &on_event).await {
            Ok(f) if f.failures.is_empty() && f.status == "DELETE_COMPLETE" => {
                Outcome::Deployed { status: f.status }
            }
            Ok(f) => Outcome::Failed {
                status: f.status,
                failures: f.failures,
            },
            Err(e) => Outcome::Error(e.to_string()),
        };
        Ok(result(&u, outcome))
    })
}

/// The resources a stack deletion keeps: `DeletionPolicy` Retain, RetainExceptOnCreate
/// or Snapshot (a snapshot is kept).
pub fn retained(t: &Template) -> Vec<String> {
    t.resources
        .iter()
        .filter(|(_, r)| {
            matches!(
                r.deletion_policy.as_ref().and_then(|v| v.as_str()),
                Some("Retain" | "RetainExceptOnCreate" | "Snapshot")
            )
        })
        .map(|(id, r)| format!("{id} ({})", r.resource_type))
        .collect()
}
