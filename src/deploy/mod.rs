//! Deploy: the blueprints' targets to CloudFormation stacks, safely.
//!
//! Three phases, so nothing changes before every target has been judged:
//! 1. **prepare** (targets concurrently): the template is synthesized in memory and
//!    refused if `check` finds errors, if it is over 1 MB (minified) or declares a
//!    parameter it cannot be given; the credentials' account (STS) must be the target's;
//!    a stack in a failed state is refused with the command that recovers it; a target
//!    whose deployed template is the same is skipped with no change set; the bootstrap
//!    bucket, when the target needs it (assets, or a template over 51,200 bytes), must be
//!    the account's own (`ExpectedBucketOwner`) and of a recent enough bootstrap; then a
//!    change set is created and perimeter's diff of the deployed template against the
//!    new one is computed beside it.
//! 2. **approve** (one target after the other): each plan is shown and, as
//!    [`Approval`] asks, approved (`--yes`, or a question on the terminal) or declined,
//!    its change set then discarded.
//! 3. **execute** (concurrently, bounded): each approved change set is executed and the
//!    stack's events followed until a final state; one target's failure does not stop
//!    the others.

pub mod api;
pub mod aws;
pub mod bootstrap;
pub mod context;
pub mod drift;
pub mod stack;
pub mod stack_set;
pub mod upload;
pub mod words;
mod xml;

use std::collections::BTreeMap;

use aws_sdk_cloudformation::Client;

use crate::blueprint::Blueprint;
use crate::check::Severity;
use crate::check::quotas::{MAX_BODY_BYTES, MAX_DIRECT_BODY_BYTES};
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

/// An SDK error in one sentence ([`words::sdk`]): the service's code and message when
/// it answered (expired or refused credentials and throttling said plainly), else what
/// is missing (credentials, a Region) or the endpoint that did not answer.
pub fn sdk_error<E, R>(e: &aws_smithy_runtime_api::client::result::SdkError<E, R>) -> String
where
    E: std::error::Error + aws_sdk_cloudformation::error::ProvideErrorMetadata + 'static,
    R: std::fmt::Debug + 'static,
{
    words::sdk(e)
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
    /// A StackSet's plan was shown and nothing started (`--no-execute`): what it would do.
    PlannedOperations(String),
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
            Outcome::NoChanges
                | Outcome::Planned { .. }
                | Outcome::PlannedOperations(_)
                | Outcome::Deployed { .. }
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
    /// This is the bootstrap stack (which makes the bucket rather than using it).
    bootstrap: bool,
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
        /// The change set creates the stack.
        create: bool,
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
        // Organizational-unit targets are deployed by their StackSets (stack_set.rs).
        if a.entry.kind != synth::Kind::Stack {
            return Ok(());
        }
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
            bootstrap: false,
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
    let mut results = run(units(blueprints, &opts.targets)?, opts, ui)?;
    results.extend(stack_set::deploy(blueprints, opts, ui)?);
    Ok(results)
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
            bootstrap: true,
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
            let (client, change_set, diff, create) = match p.state {
                State::Done(o) => {
                    results.push(Some(result(&p.unit, o)));
                    continue;
                }
                State::Ready {
                    client,
                    change_set,
                    diff,
                    create,
                } => (client, change_set, diff, create),
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
                if let Some(w) =
                    stack::discard(&client, &p.unit.stack, &change_set.id, create).await
                {
                    ui.say(&p.unit.target, &format!("warning: {w}"));
                }
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
            let outcome = match stack::execute(&client, &u.stack, &cs, &on_event).await {
                Ok(f) if f.succeeded() => {
                    for w in &f.warnings {
                        ui.say(
                            &u.target,
                            &format!(
                                "warning: the update stands, but cleaning up the old {} ({}) failed: {}; it is left in the account, remove it by hand",
                                w.logical_id,
                                w.resource_type,
                                w.reason.as_deref().unwrap_or("no reason given")
                            ),
                        );
                    }
                    Outcome::Deployed { status: f.status }
                }
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

/// The template as sent: JSON without whitespace (CloudFormation's limits count bytes).
fn minified(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .map(|v| v.to_string())
        .unwrap_or_else(|_| body.to_string())
}

/// The body sent, minified, or why none can be: over CloudFormation's 1 MB even through
/// S3.
fn sendable(body: &str) -> Result<String, String> {
    let body = minified(body);
    if body.len() > MAX_BODY_BYTES {
        return Err(format!(
            "the template is {} bytes minified, over CloudFormation's {MAX_BODY_BYTES} (by S3): split the solution into more stacks",
            body.len()
        ));
    }
    Ok(body)
}

/// What a stack in a state CloudFormation will not make a change set for needs first.
fn recovery(u: &Unit, status: &str) -> Option<String> {
    let region = &u.identity.region;
    let stack = &u.stack;
    let remove = format!(
        "remove it (perimeter destroy --target {}; a resource that cannot be deleted can be kept with aws cloudformation delete-stack --stack-name {stack} --region {region} --retain-resources <LogicalId>) and deploy again",
        u.target
    );
    Some(match status {
        "ROLLBACK_COMPLETE" | "ROLLBACK_FAILED" => {
            format!(
                "stack {stack} is in {status} after a failed creation and cannot be updated: {remove}"
            )
        }
        "DELETE_FAILED" => {
            format!("stack {stack} is in DELETE_FAILED: a deletion did not finish; {remove}")
        }
        "UPDATE_ROLLBACK_FAILED" => format!(
            "stack {stack} is in UPDATE_ROLLBACK_FAILED: a failed update could not roll back. Fix the cause in its events, then run aws cloudformation continue-update-rollback --stack-name {stack} --region {region} (--resources-to-skip <LogicalId> for a resource that cannot roll back) and deploy again"
        ),
        "IMPORT_ROLLBACK_FAILED" => format!(
            "stack {stack} is in IMPORT_ROLLBACK_FAILED: a resource import could not roll back. Fix the cause in its events, then {remove}"
        ),
        _ => return None,
    })
}

/// The parameters a change set passes: a parameter without a default keeps the value
/// the deployed stack has (`UsePreviousValue`: it was given outside the template, e.g.
/// a secret set once); one with a default takes the template's (the template is the
/// truth). A parameter without a default that the stack does not have yet is refused:
/// perimeter has no value to give it.
fn parameters(t: &Template, deployed: &[String], stack: &str) -> Result<Vec<String>, String> {
    let mut keep = Vec::new();
    for (name, p) in &t.parameters {
        if p.default.is_some() {
            continue;
        }
        if deployed.iter().any(|d| d == name) {
            keep.push(name.clone());
        } else {
            return Err(format!(
                "the template's parameter {name} has no Default and stack {stack} has no value for it: perimeter passes no parameter values, give it a Default"
            ));
        }
    }
    Ok(keep)
}

/// The bootstrap bucket a target uses, once the bootstrap stack is recent enough and
/// the bucket answers as the account's own.
async fn bootstrap_bucket(
    client: &Client,
    conf: &aws_config::SdkConfig,
    id: &Identity,
) -> Result<upload::Bucket, DeployError> {
    let (account, region) = (&id.account, &id.region);
    let Some(b) = stack::deployed(client, bootstrap::STACK).await? else {
        return Err(DeployError::Refused(format!(
            "there is no {} stack in {account} {region}, whose bucket holds the assets and large templates: run {} bootstrap first",
            bootstrap::STACK,
            crate::program::name()
        )));
    };
    let version = bootstrap::version_of(&b.outputs, &b.template);
    if version < bootstrap::VERSION {
        return Err(DeployError::Refused(format!(
            "the {} stack in {account} {region} is version {version}, this perimeter needs version {} (its bucket expired assets live stacks use): run {} bootstrap to update it, then deploy again",
            bootstrap::STACK,
            bootstrap::VERSION,
            crate::program::name()
        )));
    }
    upload::Bucket::open(conf, account, region).await
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
                "check found {n} error{} in the template (first: {first}); run {} check",
                if n == 1 { "" } else { "s" },
                crate::program::name()
            )),
        );
    }
    let body = match sendable(&u.body) {
        Ok(b) => b,
        Err(msg) => return done(u, Outcome::Refused(msg)),
    };
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
        Some(d) => {
            if let Some(msg) = recovery(&u, &d.status) {
                return done(u, Outcome::Refused(msg));
            }
            match Template::parse_any(&d.template) {
                Ok(t) => (false, t),
                Err(e) => {
                    let msg = format!("the deployed template of {} does not read: {e}", u.stack);
                    return done(u, Outcome::Error(msg));
                }
            }
        }
    };
    let had: &[String] = deployed.as_ref().map_or(&[], |d| &d.parameters);
    let previous_parameters = match parameters(&u.template, had, &u.stack) {
        Ok(p) => p,
        Err(msg) => return done(u, Outcome::Refused(msg)),
    };
    let diff = crate::check::broadening::diff(&old, &u.template);
    if !create && diff.is_empty() {
        return done(u, Outcome::NoChanges);
    }
    if u.bootstrap && create {
        // CloudFormation would fail on a bucket of that name; an existing one was not
        // made by this stack and is not taken over.
        let why = match upload::Bucket::exists(&conf, &u.identity.account, &u.identity.region).await
        {
            Ok(None) => None,
            Ok(Some(true)) => Some(format!(
                "the bucket {} exists but no {} stack made it: perimeter does not adopt a bucket whose policy, versioning and contents it did not set. Empty and delete it (aws s3 rb s3://{} --force), then run {} bootstrap again",
                upload::bucket(&u.identity.account, &u.identity.region),
                bootstrap::STACK,
                upload::bucket(&u.identity.account, &u.identity.region),
                crate::program::name()
            )),
            Ok(Some(false)) => Some(format!(
                "the bucket {} belongs to another account (403 to a request expecting owner {}): its name is perimeter's for this account and region, so this account cannot be bootstrapped while it exists; find out who made it",
                upload::bucket(&u.identity.account, &u.identity.region),
                u.identity.account
            )),
            Err(e) => return done(u, Outcome::Error(e.to_string())),
        };
        if let Some(why) = why {
            return done(u, Outcome::Refused(why));
        }
    }
    let needs_bucket = !u.assets.is_empty() || body.len() > MAX_DIRECT_BODY_BYTES;
    let mut template = stack::Body::Inline(body.clone());
    if needs_bucket {
        let bucket = match bootstrap_bucket(&client, &conf, &u.identity).await {
            Ok(b) => b,
            Err(DeployError::Refused(why)) => return done(u, Outcome::Refused(why)),
            Err(e) => return done(u, Outcome::Error(e.to_string())),
        };
        let mut said = match bucket.assets(&u.assets).await {
            Ok(said) => said,
            Err(DeployError::Refused(why)) => return done(u, Outcome::Refused(why)),
            Err(e) => return done(u, Outcome::Error(e.to_string())),
        };
        if body.len() > MAX_DIRECT_BODY_BYTES {
            match bucket.template(&body).await {
                Ok((url, lines)) => {
                    said.extend(lines);
                    template = stack::Body::Url(url);
                }
                Err(DeployError::Refused(why)) => return done(u, Outcome::Refused(why)),
                Err(e) => return done(u, Outcome::Error(e.to_string())),
            }
        }
        for line in said {
            ui.say(&u.target, &line);
        }
    }
    ui.say(&u.target, &format!("creating a change set for {}", u.stack));
    let request = stack::Request {
        stack: u.stack.clone(),
        body: template,
        create,
        exists: deployed.is_some(),
        auto_expand: u.template.transform.is_some(),
        previous_parameters,
        role_arn: u.identity.cloudformation_role_arn.clone(),
    };
    let change_set = match stack::change_set(&client, &request).await {
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
            create,
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
            // The same check as deploy's: a same-named stack of another account is not
            // what this target deploys to.
            let conf = match aws::verified_config(&id).await {
                Ok(c) => c,
                Err(e) => return (key, Err(e)),
            };
            (key, stack::deployed(&Client::new(&conf), &stack).await)
        })
        .await;
        let mut all: BTreeMap<(String, String), Option<String>> = found
            .into_iter()
            .map(|(key, d)| Ok((key, d?.map(|d| d.template))))
            .collect::<Result<_, DeployError>>()?;
        all.extend(stack_set::deployed_templates(blueprints, targets).await?);
        Ok(all)
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
    if let Some(r) = stack_set::destroy(blueprints, target, yes, ui)? {
        return Ok(r);
    }
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
        let role = u.identity.cloudformation_role_arn.as_deref();
        let outcome = match stack::delete(&client, &u.stack, role, &on_event).await {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parameter_without_a_default_keeps_the_deployed_value_or_is_refused() {
        let t = Template::parse_any(
            "Parameters:\n  Secret: {Type: String, NoEcho: true}\n  Size: {Type: Number, Default: 2}\nResources: {}\n",
        )
        .unwrap();
        // The stack has it: its value is kept (UsePreviousValue); a default applies as
        // the template says.
        let deployed = vec!["Secret".to_string(), "Size".to_string()];
        assert_eq!(parameters(&t, &deployed, "s").unwrap(), ["Secret"]);
        // A new stack has no value for it: refused before anything changes.
        let err = parameters(&t, &[], "s").unwrap_err();
        assert!(err.contains("parameter Secret has no Default"), "{err}");
    }

    #[test]
    fn a_template_over_1_mb_minified_is_refused_one_under_it_is_sent() {
        let big = |n: usize| {
            let resources: String = (0..n)
                .map(|i| {
                    format!(
                        "    \"Topic{i}\": {{\n      \"Type\": \"AWS::SNS::Topic\",\n      \"Properties\": {{\"DisplayName\": \"{}\"}}\n    }}",
                        "x".repeat(90)
                    )
                })
                .collect::<Vec<_>>()
                .join(",\n");
            format!("{{\n  \"Resources\": {{\n{resources}\n  }}\n}}\n")
        };
        // Pretty over 1 MB, minified under it: sent.
        let under = big(5_900);
        assert!(under.len() > MAX_BODY_BYTES);
        assert!(sendable(&under).unwrap().len() <= MAX_BODY_BYTES);
        let over = big(9_000);
        let err = sendable(&over).unwrap_err();
        assert!(err.contains("over CloudFormation's 1000000"), "{err}");
    }

    #[test]
    fn the_template_is_sent_minified() {
        let (body, _) = bootstrap::template();
        let m = minified(&body);
        assert!(m.len() < body.len() && !m.contains('\n'));
        let a: serde_json::Value = serde_json::from_str(&body).unwrap();
        let b: serde_json::Value = serde_json::from_str(&m).unwrap();
        assert_eq!(a, b);
    }
}
