//! An organizational-unit target as StackSet terms: its instance groups (which Regions
//! and accounts take which parameter values) and, for pipelines, the administrator
//! account's template declaring the StackSet as an `AWS::CloudFormation::StackSet`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::blueprint::{BlueprintFile, OrgTarget};
use crate::check::quotas::MAX_DIRECT_BODY_BYTES;
use crate::template::Template;

/// Instances that take the same parameter values: some Regions of the target's units
/// (or, with `accounts`, of only those accounts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceGroup {
    pub regions: Vec<String>,
    /// Only these accounts (empty: every account of the target's units and filter).
    pub accounts: Vec<String>,
    /// The values that differ from the StackSet's own.
    pub overrides: BTreeMap<String, String>,
}

/// The target's instances grouped by parameter values, in region order: first the
/// Regions' groups (every account), then the per-account overrides, which apply on top.
pub fn instance_groups(t: &OrgTarget) -> Vec<InstanceGroup> {
    let mut by_region: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for po in t
        .parameter_overrides
        .iter()
        .filter(|p| p.accounts.is_empty())
    {
        for r in &po.regions {
            by_region
                .entry(r.to_string())
                .or_default()
                .extend(po.parameters.clone());
        }
    }
    let mut groups: Vec<InstanceGroup> = Vec::new();
    for r in t.ordered_regions() {
        let overrides = by_region.remove(&r).unwrap_or_default();
        match groups.iter_mut().find(|g| g.overrides == overrides) {
            Some(g) => g.regions.push(r),
            None => groups.push(InstanceGroup {
                regions: vec![r],
                accounts: Vec::new(),
                overrides,
            }),
        }
    }
    for po in t
        .parameter_overrides
        .iter()
        .filter(|p| !p.accounts.is_empty())
    {
        groups.push(InstanceGroup {
            regions: po.regions.iter().map(ToString::to_string).collect(),
            accounts: po.accounts.iter().map(ToString::to_string).collect(),
            overrides: po.parameters.clone(),
        });
    }
    groups
}

fn parameters(values: &BTreeMap<String, String>) -> Value {
    Value::Array(
        values
            .iter()
            .map(|(k, v)| json!({"ParameterKey": k, "ParameterValue": v}))
            .collect(),
    )
}

/// The units' deployment targets with the target's account filter.
fn deployment_targets(t: &OrgTarget) -> Value {
    let mut d = json!({"OrganizationalUnitIds": t.organizational_units.iter().map(ToString::to_string).collect::<Vec<_>>()});
    if !t.accounts.is_empty() {
        d["Accounts"] = json!(
            t.accounts
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        );
        d["AccountFilterType"] = json!("UNION");
    } else if !t.exclude_accounts.is_empty() {
        d["Accounts"] = json!(
            t.exclude_accounts
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        );
        d["AccountFilterType"] = json!("DIFFERENCE");
    }
    d
}

/// The StackSet's operation preferences as CloudFormation writes them.
pub fn operation_preferences(t: &OrgTarget) -> Value {
    let o = &t.operation_preferences;
    let mut m = serde_json::Map::new();
    let mut put = |k: &str, v: Option<u32>| {
        if let Some(v) = v {
            m.insert(k.into(), json!(v));
        }
    };
    put("FailureToleranceCount", o.failure_tolerance_count);
    put("FailureTolerancePercentage", o.failure_tolerance_percentage);
    put("MaxConcurrentCount", o.max_concurrent_count);
    put("MaxConcurrentPercentage", o.max_concurrent_percentage);
    if let Some(c) = o.region_concurrency {
        m.insert("RegionConcurrencyType".into(), json!(c.api()));
    }
    if !o.region_order.is_empty() {
        m.insert("RegionOrder".into(), json!(t.ordered_regions()));
    }
    Value::Object(m)
}

/// The administrator account's template declaring the target's StackSet (service-managed
/// permissions, its units and Regions, automatic deployment, operation preferences), the
/// instance template (`json`, its JSON text) inline. Refused when the template is over
/// the 51,200 bytes `TemplateBody` takes, or when a parameter override names accounts (a
/// group of some accounts of a unit would overlap the unit's own group).
pub fn stack_set_resource(
    blueprint: &str,
    spec: &BlueprintFile,
    t: &OrgTarget,
    json: &str,
) -> Result<Template, String> {
    if t.parameter_overrides.iter().any(|p| !p.accounts.is_empty()) {
        return Err("management_template: an AWS::CloudFormation::StackSet resource cannot give some accounts of a unit their own parameter values (its instance groups would overlap); deploy this target with perimeter deploy, or give the values by Region".into());
    }
    let body: Value =
        serde_json::from_str(json).map_err(|e| format!("the template does not read back: {e}"))?;
    let body = body.to_string();
    if body.len() > MAX_DIRECT_BODY_BYTES {
        return Err(format!(
            "management_template: the template is {} bytes minified, over the {MAX_DIRECT_BODY_BYTES} an inline TemplateBody takes; deploy this target with perimeter deploy (which uploads it)",
            body.len()
        ));
    }
    let groups: Vec<Value> = instance_groups(t)
        .into_iter()
        .map(|g| {
            let mut v = json!({"DeploymentTargets": deployment_targets(t), "Regions": g.regions});
            if !g.overrides.is_empty() {
                v["ParameterOverrides"] = parameters(&g.overrides);
            }
            v
        })
        .collect();
    let mut props = json!({
        "StackSetName": t.stack_set(blueprint),
        "Description": format!("perimeter: blueprint {blueprint}, target {}", t.name),
        "PermissionModel": "SERVICE_MANAGED",
        "AutoDeployment": {
            "Enabled": t.auto_deployment,
            "RetainStacksOnAccountRemoval": t.retain_stacks_on_account_removal,
        },
        "CallAs": if t.administrator.delegated { "DELEGATED_ADMIN" } else { "SELF" },
        "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
        "ManagedExecution": {"Active": true},
        "StackInstancesGroup": groups,
        "TemplateBody": body,
    });
    if !t.auto_deployment {
        props["AutoDeployment"] = json!({"Enabled": false});
    }
    let prefs = operation_preferences(t);
    if prefs.as_object().is_some_and(|m| !m.is_empty()) {
        props["OperationPreferences"] = prefs;
    }
    if !t.parameters.is_empty() {
        props["Parameters"] = parameters(&t.parameters);
    }
    let tags = t.all_tags(spec);
    if !tags.is_empty() {
        props["Tags"] = Value::Array(
            tags.iter()
                .map(|(k, v)| json!({"Key": k, "Value": v}))
                .collect(),
        );
    }
    let doc = json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": format!("perimeter: the StackSet of blueprint {blueprint}, target {}, for its administrator account", t.name),
        "Resources": {"StackSet": {"Type": "AWS::CloudFormation::StackSet", "Properties": props}},
    });
    Template::parse_any(&doc.to_string()).map_err(|e| e.to_string())
}
