//! Organizational-unit targets: one template deployed by a CloudFormation StackSet
//! (service-managed permissions, through AWS Organizations) to every account of some
//! organizational units in some Regions, and to accounts that join them later.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use std::path::Path;
use std::sync::Arc;

use super::load::BlueprintFile;
use super::merge::merge;
use super::types::{AccountId, Name, OuId, Region, RoleArn, StackName};
use crate::constructs::Intent;
use crate::solution::{AnySolution, Resolved, TargetInfo};
use crate::template::{Format, Template};

/// A target that is organizational units rather than one account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrgTarget {
    /// Unique among the blueprint's targets; names the output file and the StackSet.
    pub name: Name,
    /// e.g. dev, staging, prod.
    pub stage: Name,
    /// Where the StackSet lives and is deployed from: the management account, or a
    /// delegated administrator of StackSets.
    pub administrator: Administrator,
    /// The units whose accounts (and their child units' accounts) get an instance.
    pub organizational_units: Vec<OuId>,
    /// Accounts to add beside the units' (the deployment's `AccountFilterType`
    /// `UNION`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<AccountId>,
    /// Accounts of the units to leave out (`DIFFERENCE`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude_accounts: Vec<AccountId>,
    /// The Regions of every account's instances.
    pub regions: Vec<Region>,
    /// The StackSet's name; default `<blueprint>-<target>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack_set_name: Option<StackName>,
    /// How CloudFormation rolls an operation out.
    #[serde(default)]
    pub operation_preferences: OperationPreferences,
    /// Accounts that join a unit get an instance, and those that leave lose theirs
    /// (StackSets' automatic deployment). Default on.
    #[serde(default = "yes")]
    pub auto_deployment: bool,
    /// When an account leaves a unit, its stack stays (detached from the StackSet)
    /// instead of being deleted. Needs `auto_deployment`.
    #[serde(default)]
    pub retain_stacks_on_account_removal: bool,
    /// Values of the template's parameters for every instance.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: BTreeMap<String, String>,
    /// Values for some Regions (and optionally some accounts) only: e.g. each Region's
    /// IPAM pool.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameter_overrides: Vec<ParameterOverride>,
    /// synth also writes `<target>.stackset.template.json`: a template for the
    /// administrator account declaring this StackSet as an `AWS::CloudFormation::StackSet`
    /// resource, for teams that deploy with pipelines rather than `perimeter deploy`.
    #[serde(default)]
    pub management_template: bool,
    /// Settings that differ for this target, merged into the shared ones field by field.
    #[serde(default, skip_serializing_if = "serde_yaml::Value::is_null")]
    #[schemars(with = "serde_json::Value")]
    pub overrides: serde_yaml::Value,
    /// Tags for every resource of the template that takes tags (beside the blueprint's).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

fn yes() -> bool {
    true
}

/// The account that holds the StackSet, and how to reach it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Administrator {
    pub account: AccountId,
    /// The StackSet's home Region.
    pub region: Region,
    /// This account is a delegated administrator, not the management account (calls
    /// are made `CallAs: DELEGATED_ADMIN`).
    #[serde(default)]
    pub delegated: bool,
    /// The AWS profile whose credentials deploy; default the standard chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// A role of this account to assume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<RoleArn>,
}

/// A StackSet operation's pace and tolerance.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OperationPreferences {
    /// Accounts deployed at once per Region (or `max_concurrent_percentage`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrent_count: Option<u32>,
    /// Percent of the accounts deployed at once per Region, 1 to 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrent_percentage: Option<u32>,
    /// Failed accounts per Region before CloudFormation stops the operation there (or
    /// `failure_tolerance_percentage`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_tolerance_count: Option<u32>,
    /// Percent of failed accounts per Region tolerated, 0 to 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_tolerance_percentage: Option<u32>,
    /// `sequential` (one Region after the other, in `region_order`) or `parallel`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region_concurrency: Option<RegionConcurrency>,
    /// The order Regions are deployed in (each of the target's `regions`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub region_order: Vec<Region>,
}

/// One Region after the other, or all at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RegionConcurrency {
    Sequential,
    Parallel,
}

impl RegionConcurrency {
    /// As the API writes it.
    pub fn api(self) -> &'static str {
        match self {
            RegionConcurrency::Sequential => "SEQUENTIAL",
            RegionConcurrency::Parallel => "PARALLEL",
        }
    }
}

/// Parameter values for the instances of some Regions (and accounts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParameterOverride {
    /// Of the target's Regions.
    pub regions: Vec<Region>,
    /// Only these accounts' instances; default every account of the target's units.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<AccountId>,
    pub parameters: BTreeMap<String, String>,
}

impl OrgTarget {
    /// The StackSet's name.
    pub fn stack_set(&self, blueprint: &str) -> String {
        match &self.stack_set_name {
            Some(s) => s.to_string(),
            None => format!("{blueprint}-{}", self.name),
        }
    }

    /// The tags of this target's resources: the blueprint's, then its own; `{target}`,
    /// `{stage}` are filled in, `{account}` and `{region}` (which differ per instance)
    /// left out of values: a StackSet's one template cannot hold them literally.
    pub fn all_tags(&self, blueprint: &super::BlueprintFile) -> BTreeMap<String, String> {
        let mut t = blueprint.tags.clone();
        t.extend(self.tags.clone());
        t.into_iter()
            .map(|(k, v)| {
                let v = v
                    .replace("{target}", self.name.as_str())
                    .replace("{stage}", self.stage.as_str());
                (k, v)
            })
            .collect()
    }

    /// The Regions in the order they are deployed: `region_order` when given.
    pub fn ordered_regions(&self) -> Vec<String> {
        let order = &self.operation_preferences.region_order;
        if order.is_empty() {
            self.regions.iter().map(ToString::to_string).collect()
        } else {
            order.iter().map(ToString::to_string).collect()
        }
    }

    /// Problems of the target's own fields (not its settings), each with a path below
    /// the target (`regions[1]`).
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut p: Vec<(String, String)> = Vec::new();
        let mut bad = |path: &str, m: String| p.push((path.to_string(), m));
        if self.organizational_units.is_empty() {
            bad(
                "organizational_units",
                "at least one organizational unit (ou-...) or the root (r-...) is needed".into(),
            );
        }
        dupes(&self.organizational_units, "organizational_units", &mut bad);
        if self.regions.is_empty() {
            bad("regions", "at least one Region is needed".into());
        }
        dupes(&self.regions, "regions", &mut bad);
        dupes(&self.accounts, "accounts", &mut bad);
        dupes(&self.exclude_accounts, "exclude_accounts", &mut bad);
        if !self.accounts.is_empty() && !self.exclude_accounts.is_empty() {
            bad(
                "exclude_accounts",
                "a StackSet operation filters the units' accounts one way (AccountFilterType UNION or DIFFERENCE): give accounts to add or accounts to leave out, not both".into(),
            );
        }
        if let Some(role) = &self.administrator.role_arn
            && role.account() != self.administrator.account.as_str()
        {
            bad(
                "administrator.role_arn",
                format!(
                    "the role is in account {}, the administrator is {}: the StackSet is deployed by a role of its own account",
                    role.account(),
                    self.administrator.account
                ),
            );
        }
        if self.retain_stacks_on_account_removal && !self.auto_deployment {
            bad(
                "retain_stacks_on_account_removal",
                "applies to automatic deployment (an account leaving a unit): set auto_deployment: true, or leave this out".into(),
            );
        }
        let o = &self.operation_preferences;
        if o.max_concurrent_count.is_some() && o.max_concurrent_percentage.is_some() {
            bad(
                "operation_preferences.max_concurrent_percentage",
                "give max_concurrent_count or max_concurrent_percentage, not both".into(),
            );
        }
        if o.failure_tolerance_count.is_some() && o.failure_tolerance_percentage.is_some() {
            bad(
                "operation_preferences.failure_tolerance_percentage",
                "give failure_tolerance_count or failure_tolerance_percentage, not both".into(),
            );
        }
        if o.max_concurrent_count == Some(0) {
            bad(
                "operation_preferences.max_concurrent_count",
                "at least 1 account at once".into(),
            );
        }
        if let Some(pc) = o.max_concurrent_percentage
            && !(1..=100).contains(&pc)
        {
            bad(
                "operation_preferences.max_concurrent_percentage",
                format!("{pc}%: 1 to 100"),
            );
        }
        if let Some(pc) = o.failure_tolerance_percentage
            && pc > 100
        {
            bad(
                "operation_preferences.failure_tolerance_percentage",
                format!("{pc}%: 0 to 100"),
            );
        }
        // CloudFormation's rule: at most one more account at once than may fail, so an
        // operation stops before more fail than tolerated.
        if let (Some(m), Some(f)) = (o.max_concurrent_count, o.failure_tolerance_count)
            && m > f + 1
        {
            bad(
                "operation_preferences.max_concurrent_count",
                format!(
                    "{m} accounts at once with a failure tolerance of {f}: CloudFormation takes at most the tolerance plus one ({})",
                    f + 1
                ),
            );
        }
        if !o.region_order.is_empty() {
            for (j, r) in o.region_order.iter().enumerate() {
                if !self.regions.contains(r) {
                    bad(
                        &format!("operation_preferences.region_order[{j}]"),
                        format!("{r} is not one of the target's regions"),
                    );
                }
            }
            dupes(
                &o.region_order,
                "operation_preferences.region_order",
                &mut bad,
            );
            let listed: BTreeSet<&Region> = o.region_order.iter().collect();
            let missing: Vec<&str> = self
                .regions
                .iter()
                .filter(|r| !listed.contains(r))
                .map(Region::as_str)
                .collect();
            if !missing.is_empty() {
                bad(
                    "operation_preferences.region_order",
                    format!("the order leaves out {}", missing.join(", ")),
                );
            }
        }
        for (j, po) in self.parameter_overrides.iter().enumerate() {
            if po.regions.is_empty() {
                bad(
                    &format!("parameter_overrides[{j}].regions"),
                    "at least one of the target's Regions".into(),
                );
            }
            for (k, r) in po.regions.iter().enumerate() {
                if !self.regions.contains(r) {
                    bad(
                        &format!("parameter_overrides[{j}].regions[{k}]"),
                        format!("{r} is not one of the target's regions"),
                    );
                }
            }
            for (k, a) in po.accounts.iter().enumerate() {
                if self.exclude_accounts.contains(a) {
                    bad(
                        &format!("parameter_overrides[{j}].accounts[{k}]"),
                        format!("account {a} is left out of the target (exclude_accounts)"),
                    );
                }
            }
            if po.parameters.is_empty() {
                bad(
                    &format!("parameter_overrides[{j}].parameters"),
                    "at least one parameter value".into(),
                );
            }
        }
        p
    }
}

fn dupes<T: PartialEq + std::fmt::Display>(
    items: &[T],
    path: &str,
    bad: &mut impl FnMut(&str, String),
) {
    for (i, x) in items.iter().enumerate() {
        if items[..i].contains(x) {
            bad(&format!("{path}[{i}]"), format!("{x} is listed twice"));
        }
    }
}

/// The account id an organizational-unit target is resolved and built with: no
/// account's. A template that holds it names the account literally, which one template
/// for every account cannot.
pub const NO_ACCOUNT: &str = "000000000000";

/// The problem of a StackSet's template that names [`NO_ACCOUNT`].
const NAMES_ACCOUNT: &str = "the template names the account it is deployed to literally; a StackSet deploys one template to every account: the solution must write ${AWS::AccountId}";

/// An organizational-unit target, resolved: it builds the one template of its StackSet.
#[derive(Debug, Clone)]
pub struct OrgResolved {
    pub target: OrgTarget,
    /// The settings resolved for the first of its Regions (the template is the same for
    /// every Region: [`resolve_all`] holds it so).
    pub resolved: Arc<dyn Resolved>,
    /// The template built from `resolved`, tagged, as synth writes it: built here once
    /// (to hold it the same in every Region), and not again.
    pub built: OrgBuilt,
}

/// An organizational-unit target's template, built and tagged: what its grants mean,
/// and its JSON text.
#[derive(Debug, Clone)]
pub struct OrgBuilt {
    pub template: Template,
    pub intent: Intent,
    pub json: String,
}

/// The first Region's build: its name, resolution and template.
type FirstRegion = (String, Arc<dyn Resolved>, OrgBuilt);

/// Resolves and builds every organizational-unit target of a blueprint for each of its
/// Regions, and holds what one template for many accounts needs: settings the solution
/// can make account-agnostic, no account id in the template, no assets (perimeter does
/// not reach the accounts to upload them), one template for every Region, and parameter
/// values only for parameters the template declares. `bad` gets each problem's field
/// path and message.
pub(super) fn resolve_all(
    spec: &BlueprintFile,
    blueprint: &str,
    base: &Path,
    solution: &dyn AnySolution,
    bad: &mut dyn FnMut(String, String),
) -> Vec<OrgResolved> {
    let mut out = Vec::new();
    let shared = serde_json::to_value(&spec.settings).unwrap_or_default();
    for (i, t) in spec.org_targets.iter().enumerate() {
        let here = format!("org_targets[{i}]");
        for (path, m) in t.problems() {
            bad(format!("{here}.{path}"), m);
        }
        let settings = merge(spec.settings.clone(), t.overrides.clone());
        let overridden = serde_json::to_value(&t.overrides).unwrap_or_default();
        // A problem's path: at the override when the target set the field, else at the
        // shared setting.
        let place = |rel: &str| -> String {
            let mut parts = rel.split(['.', '[']);
            let (section, field) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            let from_override = overridden.get(section).is_some_and(|s| {
                field.is_empty() || s.get(field).is_some() || shared.get(section).is_none()
            });
            if from_override {
                format!("{here}.overrides.{rel}")
            } else if rel.is_empty() {
                "settings".into()
            } else {
                format!("settings.{rel}")
            }
        };
        let regions: Vec<String> = t.regions.iter().map(ToString::to_string).collect();
        let mut any = false;
        for p in solution.org_problems(settings.clone(), &regions) {
            bad(
                place(&p.path),
                format!("{} (organizational-unit target {})", p.message, t.name),
            );
            any = true;
        }
        if any || t.regions.is_empty() {
            continue;
        }
        let mut first: Option<FirstRegion> = None;
        for region in &regions {
            let info = TargetInfo {
                blueprint: blueprint.to_string(),
                target: t.name.to_string(),
                account: NO_ACCOUNT.to_string(),
                region: region.clone(),
                stage: t.stage.to_string(),
                base: base.to_path_buf(),
            };
            let resolved = match solution.resolve(settings.clone(), &info) {
                Ok(r) => r,
                Err(problems) => {
                    for p in problems {
                        bad(
                            place(&p.path),
                            format!(
                                "{} (organizational-unit target {}, {region})",
                                super::load::clean(&p.message),
                                t.name
                            ),
                        );
                    }
                    break;
                }
            };
            let mut stack = match resolved.build() {
                Ok(s) => s,
                Err(e) => {
                    bad(here.clone(), format!("{region}: {e}"));
                    break;
                }
            };
            for (k, v) in t.all_tags(spec) {
                stack.tag(&k, &v);
            }
            let intent = stack.intent().clone();
            let (template, assets) = stack.into_parts();
            if let Some(a) = assets.first() {
                bad(
                    here.clone(),
                    format!(
                        "the template names an asset ({}), which perimeter deploy uploads into each account's bootstrap bucket; a StackSet deploys to accounts perimeter does not reach",
                        a.source.label
                    ),
                );
                break;
            }
            // The text is made for the first Region, and for a later one only when its
            // template differs in form from the first's: the same template is the same
            // text, and names no account, as the first's does not.
            let json = match &first {
                Some((_, _, b0)) if b0.template == template => None,
                _ => Some(template.emit(Format::Json)),
            };
            if json.as_ref().is_some_and(|j| j.contains(NO_ACCOUNT)) {
                bad(here.clone(), NAMES_ACCOUNT.into());
                break;
            }
            match (&first, json) {
                (None, Some(json)) => {
                    let built = OrgBuilt {
                        template,
                        intent,
                        json,
                    };
                    first = Some((region.clone(), resolved, built));
                }
                (Some((r0, _, b0)), Some(json)) if json != b0.json => {
                    bad(
                        format!("{here}.regions"),
                        format!(
                            "the template for {region} differs from the one for {r0} (a setting resolves differently by Region, e.g. a model offered in one geography): a StackSet deploys one template to all its Regions; give each set of Regions its own target"
                        ),
                    );
                    break;
                }
                _ => {}
            }
        }
        let Some((_, resolved, built)) = first else {
            continue;
        };
        let parameters: BTreeMap<String, bool> = built
            .template
            .parameters
            .iter()
            .map(|(k, p)| (k.clone(), p.default.is_some()))
            .collect();
        let mut unknown = |path: String, k: &str| {
            if !parameters.contains_key(k) {
                let known: Vec<&str> = parameters.keys().map(String::as_str).collect();
                bad(
                    path,
                    format!(
                        "the template declares no parameter {k}; it declares: {}",
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    ),
                );
            }
        };
        for k in t.parameters.keys() {
            unknown(format!("{here}.parameters.{k}"), k);
        }
        for (j, po) in t.parameter_overrides.iter().enumerate() {
            for k in po.parameters.keys() {
                unknown(format!("{here}.parameter_overrides[{j}].parameters.{k}"), k);
            }
        }
        for (k, has_default) in &parameters {
            if !has_default && !t.parameters.contains_key(k) {
                bad(
                    format!("{here}.parameters"),
                    format!("the template's parameter {k} has no default: give its value here"),
                );
            }
        }
        out.push(OrgResolved {
            target: t.clone(),
            resolved,
            built,
        });
    }
    out
}
