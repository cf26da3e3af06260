//! Organizational-unit targets through CloudFormation StackSets (service-managed
//! permissions): the StackSet in the administrator account is created or updated, its
//! instances added for the target's units and Regions and removed where the target no
//! longer reaches, every operation followed to its end with per-account results.
//!
//! The plan ([`plan`]) is computed from what CloudFormation says of the StackSet and its
//! instances, without AWS Organizations: an instance is kept when its Region is listed,
//! its unit is one of the target's (or its account is added) and its account is not
//! left out; a unit and Region without instances are to add (CloudFormation resolves
//! their accounts when it runs the operation, and automatic deployment adds accounts
//! that join later).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::error::ProvideErrorMetadata;
use aws_sdk_cloudformation::types::{
    AccountFilterType, AutoDeployment, CallAs, Capability, DeploymentTargets, ManagedExecution,
    Parameter, PermissionModels, RegionConcurrencyType, StackSetOperationPreferences,
    StackSetOperationStatus, Tag,
};

use super::{Approval, DeployError, Identity, Options, Outcome, TargetResult, Ui, sdk_error};
use crate::blueprint::{Blueprint, OrgTarget};
use crate::check::Severity;
use crate::check::quotas::MAX_DIRECT_BODY_BYTES;
use crate::diff::render::{FileDiff, FileStatus, Report};
use crate::synth::{self, Kind, Options as SynthOptions};
use crate::template::{Format, Template};

/// How often an operation is asked how it is doing.
const POLL: Duration = Duration::from_secs(3);

/// An organizational-unit target ready to deploy: synthesized and checked.
pub struct OrgUnit {
    pub blueprint: String,
    pub target: OrgTarget,
    pub stack_set: String,
    /// The administrator account and Region, and how to reach them.
    pub identity: Identity,
    pub body: String,
    pub template: Template,
    /// check's errors in the template (or its StackSet resource's): refused.
    pub check_errors: Vec<String>,
    /// The StackSet's tags (CloudFormation puts them on every instance's stack).
    pub tags: BTreeMap<String, String>,
}

impl OrgUnit {
    pub(super) fn call_as(&self) -> CallAs {
        if self.target.administrator.delegated {
            CallAs::DelegatedAdmin
        } else {
            CallAs::SelfValue
        }
    }

    fn result(&self, outcome: Outcome) -> TargetResult {
        TargetResult {
            blueprint: self.blueprint.clone(),
            target: self.target.name.to_string(),
            stack: format!("StackSet {}", self.stack_set),
            account: self.identity.account.clone(),
            region: self.identity.region.clone(),
            outcome,
        }
    }
}

/// Synthesizes and checks the selected organizational-unit targets (empty: all).
pub fn org_units(
    blueprints: &[Blueprint],
    targets: &[String],
) -> Result<Vec<OrgUnit>, DeployError> {
    let wanted: Vec<String> = blueprints
        .iter()
        .flat_map(|b| b.org.iter().map(|o| o.target.name.to_string()))
        .filter(|n| targets.is_empty() || targets.contains(n))
        .collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let opts = SynthOptions {
        out_dir: "out".into(),
        format: Format::Json,
        targets: wanted,
        complete: false,
    };
    let reports = crate::project::check_blueprints(blueprints, &opts)?;
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
        if a.entry.kind != Kind::StackSet {
            return Ok(());
        }
        let Some((b, o)) = blueprints.iter().find_map(|b| {
            (b.name.as_str() == a.entry.blueprint)
                .then(|| {
                    b.org
                        .iter()
                        .find(|o| o.target.name.as_str() == a.entry.target)
                })
                .flatten()
                .map(|o| (b, o))
        }) else {
            return Ok(());
        };
        let t = &o.target;
        let admin = &t.administrator;
        out.push(OrgUnit {
            blueprint: b.name.to_string(),
            target: t.clone(),
            stack_set: t.stack_set(b.name.as_str()),
            identity: Identity {
                account: admin.account.to_string(),
                region: admin.region.to_string(),
                profile: admin.profile.clone(),
                role_arn: admin.role_arn.as_ref().map(ToString::to_string),
                session_name: super::aws::default_session_name(),
                external_id: None,
                cloudformation_role_arn: None,
            },
            check_errors: errors
                .remove(&(a.entry.blueprint.clone(), a.entry.target.clone()))
                .unwrap_or_default(),
            tags: t.all_tags(&b.spec),
            body: a.body,
            template: a.template,
        });
        Ok(())
    })?;
    Ok(out)
}

/// One stack instance as CloudFormation lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    pub account: String,
    pub region: String,
    /// The unit it was deployed for (CloudFormation's answer; absent from some APIs).
    pub unit: Option<String>,
    /// `CURRENT`, `OUTDATED` or `INOPERABLE`.
    pub status: String,
    /// Why it is not current, when CloudFormation says.
    pub reason: Option<String>,
}

/// The StackSet as it is now.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Live {
    /// Its template, as submitted.
    pub template: String,
    pub parameters: BTreeMap<String, String>,
    /// Automatic deployment: on, and stacks retained on account removal.
    pub auto_deployment: Option<(bool, bool)>,
    /// The units it was deployed to, when CloudFormation says.
    pub units: Vec<String>,
    pub instances: Vec<Instance>,
}

/// What a deploy of an organizational-unit target would do.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// There is no StackSet yet.
    pub create: bool,
    /// perimeter's diff of the StackSet's template against the new one.
    pub diff: Report,
    /// The StackSet's own settings differ: its parameters or automatic deployment.
    pub settings_changed: Vec<String>,
    /// Units and Regions without instances: every account of the unit gets one.
    pub add_units: Vec<(String, String)>,
    /// Added accounts (`accounts`) without an instance in a Region.
    pub add_accounts: Vec<(String, String)>,
    /// Existing instances the new template or parameters reach.
    pub update: Vec<Instance>,
    /// Existing instances left as they are.
    pub unchanged: usize,
    /// Instances of Regions, units or accounts the target no longer has: removed.
    pub leave: Vec<Instance>,
}

impl Plan {
    /// Whether the plan changes anything.
    pub fn is_empty(&self) -> bool {
        !self.create
            && self.diff.files.iter().all(|f| f.diff.is_empty())
            && self.settings_changed.is_empty()
            && self.add_units.is_empty()
            && self.add_accounts.is_empty()
            && self.update.is_empty()
            && self.leave.is_empty()
    }

    /// One line: what the StackSet and its instances would go through.
    pub fn summary(&self) -> String {
        format!(
            "StackSet {}; instances: {} to add, {} to update, {} unchanged, {} to leave",
            if self.create {
                "to create"
            } else if self.diff.files.iter().all(|f| f.diff.is_empty())
                && self.settings_changed.is_empty()
            {
                "unchanged"
            } else {
                "to update"
            },
            self.add_units.len() + self.add_accounts.len(),
            self.update.len(),
            self.unchanged,
            self.leave.len()
        )
    }

    /// The plan in lines, for the terminal; long lists of instances are summarized by
    /// Region (thousands of them are common).
    pub fn lines(&self, unit: &OrgUnit) -> Vec<String> {
        let mut out = Vec::new();
        out.push(format!(
            "StackSet {} in {} {}: {}",
            unit.stack_set,
            unit.identity.account,
            unit.identity.region,
            if self.create {
                "to create"
            } else if self.diff.files.iter().all(|f| f.diff.is_empty())
                && self.settings_changed.is_empty()
            {
                "template unchanged"
            } else {
                "to update"
            }
        ));
        for l in crate::diff::render::terminal(&self.diff, false).lines() {
            out.push(format!("  {l}"));
        }
        for s in &self.settings_changed {
            out.push(format!("  {s}"));
        }
        out.push(format!(
            "instances: {} to add, {} to update, {} unchanged, {} to leave",
            self.add_units.len() + self.add_accounts.len(),
            self.update.len(),
            self.unchanged,
            self.leave.len()
        ));
        for (u, r) in &self.add_units {
            out.push(format!(
                "  add     every account of {u} in {r} (CloudFormation resolves the unit's accounts)"
            ));
        }
        for (a, r) in &self.add_accounts {
            out.push(format!("  add     account {a} in {r}"));
        }
        for (region, n) in by_region(&self.update) {
            out.push(format!("  update  {n} instance(s) in {region}"));
        }
        const SHOWN: usize = 20;
        for i in self.leave.iter().take(SHOWN) {
            out.push(format!(
                "  leave   {} {}{}: removed (its stack is deleted)",
                i.account,
                i.region,
                i.unit
                    .as_ref()
                    .map(|u| format!(" ({u})"))
                    .unwrap_or_default()
            ));
        }
        if self.leave.len() > SHOWN {
            out.push(format!(
                "  leave   ... and {} more",
                self.leave.len() - SHOWN
            ));
        }
        out
    }
}

fn by_region(instances: &[Instance]) -> BTreeMap<&str, usize> {
    let mut m = BTreeMap::new();
    for i in instances {
        *m.entry(i.region.as_str()).or_insert(0) += 1;
    }
    m
}

/// The plan for a target against the StackSet as it is (`None`: there is none).
pub fn plan(unit: &OrgUnit, live: Option<&Live>) -> Plan {
    let t = &unit.target;
    let old = live
        .and_then(|l| Template::parse_any(&l.template).ok())
        .unwrap_or_default();
    let diff = Report {
        files: vec![FileDiff {
            path: format!(
                "StackSet {} ({} {})",
                unit.stack_set, unit.identity.account, unit.identity.region
            ),
            status: if live.is_some() {
                FileStatus::Modified
            } else {
                FileStatus::Added
            },
            diff: crate::check::broadening::diff(&old, &unit.template),
        }],
    };
    let regions: BTreeSet<String> = t.regions.iter().map(ToString::to_string).collect();
    let units: Vec<String> = t
        .organizational_units
        .iter()
        .map(ToString::to_string)
        .collect();
    let added: BTreeSet<&str> = t.accounts.iter().map(|a| a.as_str()).collect();
    let excluded: BTreeSet<&str> = t.exclude_accounts.iter().map(|a| a.as_str()).collect();
    let Some(live) = live else {
        let mut add_units = Vec::new();
        for r in t.ordered_regions() {
            for u in &units {
                add_units.push((u.clone(), r.clone()));
            }
        }
        let add_accounts = t
            .ordered_regions()
            .into_iter()
            .flat_map(|r| added.iter().map(move |a| (a.to_string(), r.clone())))
            .collect();
        return Plan {
            create: true,
            diff,
            settings_changed: Vec::new(),
            add_units,
            add_accounts,
            update: Vec::new(),
            unchanged: 0,
            leave: Vec::new(),
        };
    };
    let mut settings_changed = Vec::new();
    // Compared as given: a value equal to the template's default is no value at all
    // (CloudFormation may list defaults, moto does not).
    let defaults = template_defaults(&unit.template);
    let given = |m: &BTreeMap<String, String>| -> BTreeMap<String, String> {
        m.iter()
            .filter(|(k, v)| defaults.get(*k) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    let (was, now) = (given(&live.parameters), given(&unit.target.parameters));
    if was != now {
        settings_changed.push(format!("parameters: {} → {}", show(&was), show(&now)));
    }
    let auto = (
        t.auto_deployment,
        t.retain_stacks_on_account_removal && t.auto_deployment,
    );
    if live.auto_deployment.is_some_and(|a| a != auto) {
        settings_changed.push(format!(
            "automatic deployment: {}",
            if t.auto_deployment {
                format!(
                    "on, stacks {} when an account leaves",
                    if auto.1 { "kept" } else { "deleted" }
                )
            } else {
                "off".into()
            }
        ));
    }
    let changed = !diff.files.iter().all(|f| f.diff.is_empty()) || !settings_changed.is_empty();
    let keep = |i: &Instance| {
        regions.contains(&i.region)
            && !excluded.contains(i.account.as_str())
            && (added.contains(i.account.as_str())
                || match &i.unit {
                    Some(u) => units.contains(u),
                    // No unit given: the StackSet's units say, else it is one of ours.
                    None => live.units.is_empty() || live.units.iter().any(|u| units.contains(u)),
                })
    };
    let (kept, leave): (Vec<Instance>, Vec<Instance>) =
        live.instances.iter().cloned().partition(|i| keep(i));
    let any_unit_known = live.instances.iter().any(|i| i.unit.is_some());
    let mut add_units = Vec::new();
    for r in t.ordered_regions() {
        for u in &units {
            let present = kept.iter().any(|i| {
                i.region == r
                    && match &i.unit {
                        Some(x) => x == u,
                        None => {
                            !any_unit_known && (live.units.is_empty() || live.units.contains(u))
                        }
                    }
            });
            if !present {
                add_units.push((u.clone(), r.clone()));
            }
        }
    }
    let mut add_accounts = Vec::new();
    for r in t.ordered_regions() {
        for a in &added {
            if !kept.iter().any(|i| i.region == r && i.account == *a) {
                add_accounts.push((a.to_string(), r.clone()));
            }
        }
    }
    let (update, unchanged): (Vec<Instance>, Vec<Instance>) = kept
        .into_iter()
        .partition(|i| changed || i.status != "CURRENT");
    Plan {
        create: false,
        diff,
        settings_changed,
        add_units,
        add_accounts,
        update,
        unchanged: unchanged.len(),
        leave,
    }
}

fn show(m: &BTreeMap<String, String>) -> String {
    if m.is_empty() {
        return "none".into();
    }
    m.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The template's parameters' default values.
fn template_defaults(t: &Template) -> BTreeMap<String, String> {
    t.parameters
        .iter()
        .filter_map(|(k, p)| Some((k.clone(), p.default.as_ref()?.as_str()?.to_string())))
        .collect()
}

/// Reads the StackSet and every page of its instances; `None` when there is none.
pub async fn live(client: &Client, unit: &OrgUnit) -> Result<Option<Live>, DeployError> {
    let name = &unit.stack_set;
    let s = match client
        .describe_stack_set()
        .stack_set_name(name)
        .call_as(unit.call_as())
        .send()
        .await
    {
        Ok(o) => o,
        Err(e) if e.code() == Some("StackSetNotFoundException") => return Ok(None),
        Err(e) => {
            return Err(DeployError::Aws(format!(
                "describe StackSet {name}: {}",
                sdk_error(&e)
            )));
        }
    };
    let Some(s) = s.stack_set() else {
        return Ok(None);
    };
    if s.status().is_some_and(|st| st.as_str() == "DELETED") {
        return Ok(None);
    }
    let mut live = Live {
        template: s.template_body().unwrap_or_default().to_string(),
        parameters: s
            .parameters()
            .iter()
            .filter_map(|p| {
                Some((
                    p.parameter_key()?.to_string(),
                    p.parameter_value().unwrap_or_default().to_string(),
                ))
            })
            .collect(),
        auto_deployment: s.auto_deployment().map(|a| {
            (
                a.enabled().unwrap_or(false),
                a.retain_stacks_on_account_removal().unwrap_or(false),
            )
        }),
        units: s.organizational_unit_ids().to_vec(),
        instances: Vec::new(),
    };
    live.instances = instance_summaries(client, unit)
        .await?
        .iter()
        .map(|i| Instance {
            account: i.account().unwrap_or_default().to_string(),
            region: i.region().unwrap_or_default().to_string(),
            unit: i.organizational_unit_id().map(str::to_string),
            status: i
                .status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            reason: i.status_reason().map(str::to_string),
        })
        .collect();
    Ok(Some(live))
}

/// The operation preferences of a target.
fn preferences(t: &OrgTarget) -> StackSetOperationPreferences {
    let o = &t.operation_preferences;
    let to_i32 = |v: Option<u32>| v.map(|n| i32::try_from(n).unwrap_or(i32::MAX));
    let mut b = StackSetOperationPreferences::builder()
        .set_max_concurrent_count(to_i32(o.max_concurrent_count))
        .set_max_concurrent_percentage(to_i32(o.max_concurrent_percentage))
        .set_failure_tolerance_count(to_i32(o.failure_tolerance_count))
        .set_failure_tolerance_percentage(to_i32(o.failure_tolerance_percentage));
    if let Some(c) = o.region_concurrency {
        b = b.region_concurrency_type(RegionConcurrencyType::from(c.api()));
    }
    if !o.region_order.is_empty() {
        b = b.set_region_order(Some(t.ordered_regions()));
    }
    b.build()
}

/// The target's units with its account filter.
fn targets(t: &OrgTarget) -> DeploymentTargets {
    let b = DeploymentTargets::builder().set_organizational_unit_ids(Some(
        t.organizational_units
            .iter()
            .map(ToString::to_string)
            .collect(),
    ));
    let b = if !t.accounts.is_empty() {
        b.set_accounts(Some(t.accounts.iter().map(ToString::to_string).collect()))
            .account_filter_type(AccountFilterType::Union)
    } else if !t.exclude_accounts.is_empty() {
        b.set_accounts(Some(
            t.exclude_accounts.iter().map(ToString::to_string).collect(),
        ))
        .account_filter_type(AccountFilterType::Difference)
    } else {
        b
    };
    b.build()
}

fn parameter_list(m: &BTreeMap<String, String>) -> Vec<Parameter> {
    m.iter()
        .map(|(k, v)| {
            Parameter::builder()
                .parameter_key(k)
                .parameter_value(v)
                .build()
        })
        .collect()
}

/// A unique operation id: CloudFormation runs an operation once per id.
fn operation_id(what: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("perimeter-{what}-{}-{nanos}", std::process::id())
}

/// How an operation ended, with each account's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    pub id: String,
    /// `SUCCEEDED`, `FAILED`, `STOPPED`.
    pub status: String,
    /// Per account and Region: status and CloudFormation's reason.
    pub results: Vec<(String, String, String, Option<String>)>,
}

impl Operation {
    fn failures(&self) -> Vec<super::Event> {
        self.results
            .iter()
            .filter(|(_, _, s, _)| s != "SUCCEEDED")
            .map(|(a, r, s, why)| super::Event {
                logical_id: format!("{a} {r}"),
                resource_type: "AWS::CloudFormation::StackInstance".into(),
                status: s.clone(),
                reason: why.clone(),
            })
            .collect()
    }
}

/// Polls an operation until it ends, saying its progress, then reads every page of
/// its results.
async fn follow(
    client: &Client,
    unit: &OrgUnit,
    id: &str,
    what: &str,
    ui: &dyn Ui,
) -> Result<Operation, DeployError> {
    let name = &unit.stack_set;
    let target = unit.target.name.as_str();
    let mut said = String::new();
    let status = loop {
        let d = client
            .describe_stack_set_operation()
            .stack_set_name(name)
            .operation_id(id)
            .call_as(unit.call_as())
            .send()
            .await;
        let d = match d {
            Ok(d) => d,
            Err(e) if super::stack::throttled(e.code()) => {
                tokio::time::sleep(POLL).await;
                continue;
            }
            Err(e) => {
                return Err(DeployError::Aws(format!(
                    "describe operation {id} of StackSet {name}: {}",
                    sdk_error(&e)
                )));
            }
        };
        let op = d.stack_set_operation();
        let status = op
            .and_then(|o| o.status())
            .cloned()
            .unwrap_or(StackSetOperationStatus::Running);
        let failed = op
            .and_then(|o| o.status_details())
            .and_then(|s| s.failed_stack_instances_count())
            .unwrap_or(0);
        let line = format!(
            "{what}: {}{}",
            status.as_str(),
            if failed > 0 {
                format!(", {failed} instance(s) failed so far")
            } else {
                String::new()
            }
        );
        if line != said {
            ui.say(target, &line);
            said = line;
        }
        match status {
            StackSetOperationStatus::Running
            | StackSetOperationStatus::Queued
            | StackSetOperationStatus::Stopping => tokio::time::sleep(POLL).await,
            s => break s.as_str().to_string(),
        }
    };
    // The SDK's paginator follows NextToken.
    let results: Vec<_> = client
        .list_stack_set_operation_results()
        .stack_set_name(name)
        .operation_id(id)
        .call_as(unit.call_as())
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| {
            DeployError::Aws(format!(
                "results of operation {id} of StackSet {name}: {}",
                sdk_error(&e)
            ))
        })?;
    let results: Vec<_> = results
        .iter()
        .map(|r| {
            (
                r.account().unwrap_or_default().to_string(),
                r.region().unwrap_or_default().to_string(),
                r.status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                r.status_reason().map(str::to_string),
            )
        })
        .collect();
    let ok = results.iter().filter(|r| r.2 == "SUCCEEDED").count();
    ui.say(
        target,
        &format!(
            "{what}: {status}, {ok} of {} account-Region results succeeded",
            results.len()
        ),
    );
    for (a, r, s, why) in results.iter().filter(|r| r.2 != "SUCCEEDED") {
        ui.say(
            target,
            &format!(
                "  {a} {r}: {s}: {}",
                why.as_deref().unwrap_or("no reason given")
            ),
        );
    }
    Ok(Operation {
        id: id.to_string(),
        status,
        results,
    })
}

fn aws<E, R>(
    what: String,
) -> impl FnOnce(aws_smithy_runtime_api::client::result::SdkError<E, R>) -> DeployError
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
    R: std::fmt::Debug + 'static,
{
    move |e| DeployError::Aws(format!("{what}: {}", sdk_error(&e)))
}

/// Runs the plan: the StackSet created or updated, instances removed, added, given
/// their accounts' parameter values; each operation followed. The first operation that
/// does not succeed ends the run with its failures.
async fn execute(
    client: &Client,
    unit: &OrgUnit,
    plan: &Plan,
    body: &str,
    ui: &dyn Ui,
) -> Result<Outcome, DeployError> {
    let t = &unit.target;
    let name = unit.stack_set.as_str();
    let say = |l: &str| ui.say(t.name.as_str(), l);
    let params = parameter_list(&t.parameters);
    let auto = AutoDeployment::builder()
        .enabled(t.auto_deployment)
        .set_retain_stacks_on_account_removal(
            t.auto_deployment
                .then_some(t.retain_stacks_on_account_removal),
        )
        .build();
    let tags: Vec<Tag> = unit
        .tags
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    let mut ops: Vec<Operation> = Vec::new();
    let failed = |ops: &[Operation]| ops.iter().any(|o| o.status != "SUCCEEDED");
    if plan.create {
        say(&format!(
            "creating StackSet {name} (service-managed permissions)"
        ));
        client
            .create_stack_set()
            .stack_set_name(name)
            .description(format!(
                "perimeter: blueprint {}, target {}",
                unit.blueprint, t.name
            ))
            .template_body(body)
            .permission_model(PermissionModels::ServiceManaged)
            .auto_deployment(auto.clone())
            .capabilities(Capability::CapabilityIam)
            .capabilities(Capability::CapabilityNamedIam)
            .managed_execution(ManagedExecution::builder().active(true).build())
            .set_parameters(Some(params.clone()))
            .set_tags(Some(tags.clone()))
            .call_as(unit.call_as())
            .client_request_token(operation_id("create"))
            .send()
            .await
            .map_err(aws(format!("create StackSet {name}")))?;
    } else if !plan.diff.files.iter().all(|f| f.diff.is_empty())
        || !plan.settings_changed.is_empty()
    {
        let id = operation_id("update");
        say(&format!(
            "updating StackSet {name}: every instance gets the new template ({} instance(s))",
            plan.update.len()
        ));
        let out = client
            .update_stack_set()
            .stack_set_name(name)
            .template_body(body)
            .auto_deployment(auto.clone())
            .capabilities(Capability::CapabilityIam)
            .capabilities(Capability::CapabilityNamedIam)
            .set_parameters(Some(params.clone()))
            .set_tags(Some(tags.clone()))
            .operation_preferences(preferences(t))
            .operation_id(&id)
            .call_as(unit.call_as())
            .send()
            .await
            .map_err(aws(format!("update StackSet {name}")))?;
        let id = out.operation_id().unwrap_or(&id).to_string();
        ops.push(follow(client, unit, &id, "update", ui).await?);
    }
    // Instances to remove, by unit and Region: an instance's own unit with its accounts.
    let mut leaving: BTreeMap<(Option<String>, String), Vec<String>> = BTreeMap::new();
    for i in &plan.leave {
        leaving
            .entry((i.unit.clone(), i.region.clone()))
            .or_default()
            .push(i.account.clone());
    }
    for ((u, region), accounts) in leaving {
        if failed(&ops) {
            break;
        }
        let id = operation_id("leave");
        let mut dt = DeploymentTargets::builder()
            .set_accounts(Some(accounts.clone()))
            .account_filter_type(AccountFilterType::Intersection);
        if let Some(u) = &u {
            dt = dt.organizational_unit_ids(u);
        }
        let out = client
            .delete_stack_instances()
            .stack_set_name(name)
            .deployment_targets(dt.build())
            .regions(&region)
            .retain_stacks(false)
            .operation_preferences(preferences(t))
            .operation_id(&id)
            .call_as(unit.call_as())
            .send()
            .await
            .map_err(aws(format!("remove instances of StackSet {name}")))?;
        let id = out.operation_id().unwrap_or(&id).to_string();
        ops.push(
            follow(
                client,
                unit,
                &id,
                &format!("remove {} instance(s) in {region}", accounts.len()),
                ui,
            )
            .await?,
        );
    }
    // Instances to add, a group of Regions with the same parameter values at a time.
    let add_regions: BTreeSet<&str> = plan
        .add_units
        .iter()
        .chain(&plan.add_accounts)
        .map(|(_, r)| r.as_str())
        .collect();
    for g in synth::instance_groups(t)
        .into_iter()
        .filter(|g| g.accounts.is_empty())
    {
        let regions: Vec<String> = g
            .regions
            .iter()
            .filter(|r| add_regions.contains(r.as_str()))
            .cloned()
            .collect();
        if regions.is_empty() || failed(&ops) {
            continue;
        }
        let id = operation_id("add");
        let out = client
            .create_stack_instances()
            .stack_set_name(name)
            .deployment_targets(targets(t))
            .set_regions(Some(regions.clone()))
            .set_parameter_overrides(Some(parameter_list(&g.overrides)))
            .operation_preferences(preferences(t))
            .operation_id(&id)
            .call_as(unit.call_as())
            .send()
            .await
            .map_err(aws(format!("add instances to StackSet {name}")))?;
        let id = out.operation_id().unwrap_or(&id).to_string();
        ops.push(
            follow(
                client,
                unit,
                &id,
                &format!("add instances in {}", regions.join(", ")),
                ui,
            )
            .await?,
        );
    }
    // Accounts' own values, on top of their Regions'.
    for g in synth::instance_groups(t)
        .into_iter()
        .filter(|g| !g.accounts.is_empty())
    {
        if failed(&ops) {
            break;
        }
        let id = operation_id("values");
        let dt = DeploymentTargets::builder()
            .set_organizational_unit_ids(Some(
                t.organizational_units
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
            ))
            .set_accounts(Some(g.accounts.clone()))
            .account_filter_type(AccountFilterType::Intersection)
            .build();
        let out = client
            .update_stack_instances()
            .stack_set_name(name)
            .deployment_targets(dt)
            .set_regions(Some(g.regions.clone()))
            .set_parameter_overrides(Some(parameter_list(&g.overrides)))
            .operation_preferences(preferences(t))
            .operation_id(&id)
            .call_as(unit.call_as())
            .send()
            .await
            .map_err(aws(format!(
                "give accounts their values in StackSet {name}"
            )))?;
        let id = out.operation_id().unwrap_or(&id).to_string();
        ops.push(
            follow(
                client,
                unit,
                &id,
                &format!("values of {} account(s)", g.accounts.len()),
                ui,
            )
            .await?,
        );
    }
    if let Some(bad) = ops.iter().find(|o| o.status != "SUCCEEDED") {
        return Ok(Outcome::Failed {
            status: format!("operation {} {}", bad.id, bad.status),
            failures: bad.failures(),
        });
    }
    // Where the API reports no per-account results (moto's), the instances say.
    let now = live(client, unit)
        .await?
        .map(|l| l.instances)
        .unwrap_or_default();
    let current = now.iter().filter(|i| i.status == "CURRENT").count();
    Ok(Outcome::Deployed {
        status: format!(
            "SUCCEEDED: {} operation(s); {current} of {} instance(s) CURRENT",
            ops.len(),
            now.len()
        ),
    })
}

/// Deploys the selected organizational-unit targets, one after the other: each is
/// refused when check finds errors, its plan shown, approved as `opts` says, and (unless
/// `--no-execute`) run.
pub fn deploy(
    blueprints: &[Blueprint],
    opts: &Options,
    ui: &dyn Ui,
) -> Result<Vec<TargetResult>, DeployError> {
    let units = org_units(blueprints, &opts.targets)?;
    if units.is_empty() {
        return Ok(Vec::new());
    }
    super::runtime()?.block_on(async {
        let mut out = Vec::new();
        for u in units {
            out.push(deploy_one(&u, opts, ui).await);
        }
        Ok(out)
    })
}

async fn deploy_one(u: &OrgUnit, opts: &Options, ui: &dyn Ui) -> TargetResult {
    if let Some(first) = u.check_errors.first() {
        let n = u.check_errors.len();
        return u.result(Outcome::Refused(format!(
            "check found {n} error{} in the template (first: {first}); run perimeter check",
            if n == 1 { "" } else { "s" }
        )));
    }
    let body = super::minified(&u.body);
    if body.len() > MAX_DIRECT_BODY_BYTES {
        return u.result(Outcome::Refused(format!(
            "the template is {} bytes minified, over the {MAX_DIRECT_BODY_BYTES} a StackSet's inline template takes; perimeter does not upload StackSet templates to S3 yet",
            body.len()
        )));
    }
    let conf = match super::aws::verified_config(&u.identity).await {
        Ok(c) => c,
        Err(e) => return u.result(Outcome::Refused(e.to_string())),
    };
    let client = Client::new(&conf);
    let live = match live(&client, u).await {
        Ok(l) => l,
        Err(e) => return u.result(Outcome::Error(e.to_string())),
    };
    let plan = plan(u, live.as_ref());
    for l in plan.lines(u) {
        ui.say(u.target.name.as_str(), &l);
    }
    if plan.is_empty() {
        return u.result(Outcome::NoChanges);
    }
    let needed = match opts.approval {
        Approval::Never => false,
        Approval::Broadening => plan.diff.broadens(),
        Approval::Any => true,
    };
    if !opts.execute {
        return u.result(Outcome::PlannedOperations(plan.summary()));
    }
    let question = format!(
        "deploy {} through StackSet {} ({} {})?",
        u.target.name, u.stack_set, u.identity.account, u.identity.region
    );
    if needed && !opts.yes && !ui.approve(u.target.name.as_str(), &question) {
        return u.result(Outcome::Declined);
    }
    match execute(&client, u, &plan, &body, ui).await {
        Ok(o) => u.result(o),
        Err(e) => u.result(Outcome::Error(e.to_string())),
    }
}

/// The StackSets' templates of the selected organizational-unit targets, by (blueprint,
/// target): `None` for a StackSet that does not exist.
pub async fn deployed_templates(
    blueprints: &[Blueprint],
    targets: &[String],
) -> Result<BTreeMap<(String, String), Option<String>>, DeployError> {
    let mut out = BTreeMap::new();
    for b in blueprints {
        for o in &b.org {
            let t = &o.target;
            if !targets.is_empty() && !targets.iter().any(|n| n == t.name.as_str()) {
                continue;
            }
            let admin = &t.administrator;
            let unit = OrgUnit {
                blueprint: b.name.to_string(),
                target: t.clone(),
                stack_set: t.stack_set(b.name.as_str()),
                identity: Identity {
                    account: admin.account.to_string(),
                    region: admin.region.to_string(),
                    profile: admin.profile.clone(),
                    role_arn: admin.role_arn.as_ref().map(ToString::to_string),
                    session_name: super::aws::default_session_name(),
                    external_id: None,
                    cloudformation_role_arn: None,
                },
                body: String::new(),
                template: Template::default(),
                check_errors: Vec::new(),
                tags: BTreeMap::new(),
            };
            let conf = super::aws::verified_config(&unit.identity).await?;
            let l = live(&Client::new(&conf), &unit).await?;
            out.insert(
                (b.name.to_string(), t.name.to_string()),
                l.map(|l| l.template),
            );
        }
    }
    Ok(out)
}

/// Removes an organizational-unit target's instances (every one, their stacks deleted)
/// and then its StackSet. What CloudFormation keeps is listed first: resources with
/// `DeletionPolicy` Retain in every account's stack.
pub fn destroy(
    blueprints: &[Blueprint],
    target: &str,
    yes: bool,
    ui: &dyn Ui,
) -> Result<Option<TargetResult>, DeployError> {
    let Some(u) = org_units(blueprints, &[target.to_string()])?
        .into_iter()
        .next()
    else {
        return Ok(None);
    };
    super::runtime()?.block_on(async {
        let name = u.stack_set.as_str();
        let say = |l: &str| ui.say(target, l);
        let conf = match super::aws::verified_config(&u.identity).await {
            Ok(c) => c,
            Err(DeployError::Refused(why)) => return Ok(Some(u.result(Outcome::Refused(why)))),
            Err(e) => return Err(e),
        };
        let client = Client::new(&conf);
        let Some(l) = live(&client, &u).await? else {
            say(&format!("there is no StackSet {name}: nothing to remove"));
            return Ok(Some(u.result(Outcome::NoChanges)));
        };
        let kept = Template::parse_any(&l.template)
            .map(|t| super::retained(&t))
            .unwrap_or_default();
        say(&format!(
            "StackSet {name} and its {} instance(s) are removed",
            l.instances.len()
        ));
        for (region, n) in by_region(&l.instances) {
            say(&format!("  {n} instance(s) in {region}"));
        }
        if kept.is_empty() {
            say("nothing is retained");
        } else {
            say(&format!(
                "retained in every account's stack (DeletionPolicy Retain or Snapshot): {}",
                kept.join(", ")
            ));
        }
        let question = format!(
            "remove StackSet {name} and its instances from {} {}?",
            u.identity.account, u.identity.region
        );
        if !yes && !ui.approve(target, &question) {
            return Ok(Some(u.result(Outcome::Declined)));
        }
        let regions: BTreeSet<String> = l.instances.iter().map(|i| i.region.clone()).collect();
        if !regions.is_empty() {
            let id = operation_id("destroy");
            let units: BTreeSet<String> = l
                .instances
                .iter()
                .filter_map(|i| i.unit.clone())
                .chain(l.units.iter().cloned())
                .chain(
                    u.target
                        .organizational_units
                        .iter()
                        .map(ToString::to_string),
                )
                .collect();
            let out = client
                .delete_stack_instances()
                .stack_set_name(name)
                .deployment_targets(
                    DeploymentTargets::builder()
                        .set_organizational_unit_ids(Some(units.into_iter().collect()))
                        .build(),
                )
                .set_regions(Some(regions.into_iter().collect()))
                .retain_stacks(false)
                .operation_preferences(preferences(&u.target))
                .operation_id(&id)
                .call_as(u.call_as())
                .send()
                .await
                .map_err(aws(format!("remove the instances of StackSet {name}")))?;
            let id = out.operation_id().unwrap_or(&id).to_string();
            let op = follow(&client, &u, &id, "remove instances", ui).await?;
            if op.status != "SUCCEEDED" {
                return Ok(Some(u.result(Outcome::Failed {
                    status: format!("operation {} {}", op.id, op.status),
                    failures: op.failures(),
                })));
            }
        }
        client
            .delete_stack_set()
            .stack_set_name(name)
            .call_as(u.call_as())
            .send()
            .await
            .map_err(aws(format!("delete StackSet {name}")))?;
        Ok(Some(u.result(Outcome::Deployed {
            status: "DELETED".into(),
        })))
    })
}

/// Waits for an operation to end, saying nothing; its final status.
pub(super) async fn follow_quietly(
    client: &Client,
    unit: &OrgUnit,
    id: &str,
) -> Result<String, DeployError> {
    let name = &unit.stack_set;
    loop {
        let d = client
            .describe_stack_set_operation()
            .stack_set_name(name)
            .operation_id(id)
            .call_as(unit.call_as())
            .send()
            .await;
        let status = match d {
            Ok(d) => d
                .stack_set_operation()
                .and_then(|o| o.status())
                .cloned()
                .unwrap_or(StackSetOperationStatus::Running),
            Err(e) if super::stack::throttled(e.code()) => StackSetOperationStatus::Running,
            Err(e) => {
                return Err(DeployError::Aws(format!(
                    "describe operation {id} of StackSet {name}: {}",
                    sdk_error(&e)
                )));
            }
        };
        match status {
            StackSetOperationStatus::Running
            | StackSetOperationStatus::Queued
            | StackSetOperationStatus::Stopping => tokio::time::sleep(POLL).await,
            s => return Ok(s.as_str().to_string()),
        }
    }
}

/// Every instance of the StackSet with its drift status.
pub(super) async fn live_drift(
    client: &Client,
    unit: &OrgUnit,
) -> Result<Vec<super::drift::InstanceDrift>, DeployError> {
    Ok(instance_summaries(client, unit)
        .await?
        .iter()
        .map(|i| super::drift::InstanceDrift {
            account: i.account().unwrap_or_default().to_string(),
            region: i.region().unwrap_or_default().to_string(),
            status: i
                .drift_status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_else(|| "NOT_CHECKED".into()),
        })
        .collect())
}

/// Every instance summary of the unit's StackSet (the SDK's paginator follows NextToken).
async fn instance_summaries(
    client: &Client,
    unit: &OrgUnit,
) -> Result<Vec<aws_sdk_cloudformation::types::StackInstanceSummary>, DeployError> {
    let name = &unit.stack_set;
    client
        .list_stack_instances()
        .stack_set_name(name)
        .call_as(unit.call_as())
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| {
            DeployError::Aws(format!(
                "list the instances of StackSet {name}: {}",
                sdk_error(&e)
            ))
        })
}
