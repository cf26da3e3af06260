//! Drift: CloudFormation's drift detection run on the targets' stacks and StackSets, each
//! drifted resource judged with perimeter's diff. The resource as the template set it
//! (CloudFormation's expected properties) and as it is (its actual ones) are compared as
//! two one-resource templates, so a drift says which property differs and whether it
//! broadens access as a change would (an IAM grant added or widened, a Deny removed, a
//! security group rule added, an endpoint policy opened).

use std::time::Duration;

use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::error::ProvideErrorMetadata;
use aws_sdk_cloudformation::types::{StackDriftDetectionStatus, StackResourceDriftStatus};

use super::stack_set::{self, OrgUnit};
use super::{DeployError, Identity, sdk_error};
use crate::blueprint::Blueprint;
use crate::diff::render::{FileDiff, FileStatus, Report};
use crate::template::Template;

/// How often a detection is asked how it is doing.
const POLL: Duration = Duration::from_secs(2);

/// One property of a drifted resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyDrift {
    pub path: String,
    pub expected: String,
    pub actual: String,
    /// `ADD`, `REMOVE` or `NOT_EQUAL`.
    pub kind: String,
}

/// A resource that is not as its template set it.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftedResource {
    pub logical_id: String,
    pub resource_type: String,
    /// `MODIFIED` or `DELETED`.
    pub status: String,
    pub properties: Vec<PropertyDrift>,
    /// perimeter's diff of the resource as set against as it is.
    pub diff: Report,
}

impl DriftedResource {
    /// Whether the drift widens access (perimeter's diff judges it so).
    pub fn broadens(&self) -> bool {
        self.diff.broadens()
    }
}

/// An instance of a StackSet and its drift status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceDrift {
    pub account: String,
    pub region: String,
    /// `DRIFTED`, `IN_SYNC`, `NOT_CHECKED`, `UNKNOWN`.
    pub status: String,
}

/// What drift detection found for one target.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetDrift {
    pub target: String,
    /// `stack <name>` or `StackSet <name>`.
    pub what: String,
    pub account: String,
    pub region: String,
    /// `IN_SYNC`, `DRIFTED`, `NOT_DEPLOYED`, or the detection's failure.
    pub status: String,
    /// A stack's drifted resources.
    pub resources: Vec<DriftedResource>,
    /// A StackSet's instances that drifted (their resources are in their own accounts,
    /// which the administrator does not read).
    pub instances: Vec<InstanceDrift>,
}

impl TargetDrift {
    pub fn drifted(&self) -> bool {
        self.status == "DRIFTED"
    }
}

/// A resource as a one-resource template.
fn one(logical_id: &str, resource_type: &str, properties: Option<&str>) -> Template {
    let props: serde_json::Value = properties
        .and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or(serde_json::Value::Null);
    let mut r = serde_json::json!({"Type": resource_type});
    if !props.is_null() {
        r["Properties"] = props;
    }
    let doc = serde_json::json!({"Resources": {logical_id: r}});
    Template::parse_any(&doc.to_string()).unwrap_or_default()
}

/// Judges a resource's drift from CloudFormation's expected and actual properties.
pub fn judge(
    logical_id: &str,
    resource_type: &str,
    status: &str,
    expected: Option<&str>,
    actual: Option<&str>,
    properties: Vec<PropertyDrift>,
) -> DriftedResource {
    let old = one(logical_id, resource_type, expected);
    let new = if status == "DELETED" {
        Template::default()
    } else {
        one(logical_id, resource_type, actual)
    };
    DriftedResource {
        logical_id: logical_id.to_string(),
        resource_type: resource_type.to_string(),
        status: status.to_string(),
        properties,
        diff: Report {
            files: vec![FileDiff {
                path: logical_id.to_string(),
                status: FileStatus::Modified,
                diff: crate::check::broadening::diff(&old, &new),
            }],
        },
    }
}

async fn detect_stack(
    client: &Client,
    stack: &str,
) -> Result<(String, Vec<DriftedResource>), DeployError> {
    let id = match client.detect_stack_drift().stack_name(stack).send().await {
        Ok(o) => o.stack_drift_detection_id().unwrap_or_default().to_string(),
        Err(e) if sdk_error(&e).contains("does not exist") => {
            return Ok(("NOT_DEPLOYED".into(), Vec::new()));
        }
        Err(e) => {
            return Err(DeployError::Aws(format!(
                "detect drift of stack {stack}: {}",
                sdk_error(&e)
            )));
        }
    };
    let status = loop {
        let d = client
            .describe_stack_drift_detection_status()
            .stack_drift_detection_id(&id)
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
                    "drift detection {id} of stack {stack}: {}",
                    sdk_error(&e)
                )));
            }
        };
        match d.detection_status() {
            Some(StackDriftDetectionStatus::DetectionInProgress) => tokio::time::sleep(POLL).await,
            Some(StackDriftDetectionStatus::DetectionFailed)
                if d.stack_drift_status().is_none() =>
            {
                return Err(DeployError::Aws(format!(
                    "drift detection of stack {stack} failed: {}",
                    d.detection_status_reason().unwrap_or("no reason given")
                )));
            }
            _ => {
                break d
                    .stack_drift_status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_else(|| "UNKNOWN".into());
            }
        }
    };
    // The SDK's paginator follows NextToken.
    let pages: Vec<_> = client
        .describe_stack_resource_drifts()
        .stack_name(stack)
        .stack_resource_drift_status_filters(StackResourceDriftStatus::Modified)
        .stack_resource_drift_status_filters(StackResourceDriftStatus::Deleted)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(|e| {
            DeployError::Aws(format!(
                "drifted resources of stack {stack}: {}",
                sdk_error(&e)
            ))
        })?;
    let mut resources = Vec::new();
    for r in pages.iter().flat_map(|p| p.stack_resource_drifts()) {
        let properties = r
            .property_differences()
            .iter()
            .map(|p| PropertyDrift {
                path: p.property_path().unwrap_or_default().to_string(),
                expected: p.expected_value().unwrap_or_default().to_string(),
                actual: p.actual_value().unwrap_or_default().to_string(),
                kind: p
                    .difference_type()
                    .map(|k| k.as_str().to_string())
                    .unwrap_or_default(),
            })
            .collect();
        resources.push(judge(
            r.logical_resource_id().unwrap_or_default(),
            r.resource_type().unwrap_or_default(),
            r.stack_resource_drift_status()
                .map(|s| s.as_str())
                .unwrap_or_default(),
            r.expected_properties(),
            r.actual_properties(),
            properties,
        ));
    }
    Ok((status, resources))
}

/// Runs drift detection for the selected targets (empty: all), stacks and StackSets.
pub fn drift(
    blueprints: &[Blueprint],
    targets: &[String],
) -> Result<Vec<TargetDrift>, DeployError> {
    for wanted in targets {
        let known = blueprints.iter().any(|b| {
            b.spec.targets.iter().any(|t| t.name.as_str() == wanted)
                || b.org.iter().any(|o| o.target.name.as_str() == wanted)
        });
        if !known {
            return Err(DeployError::Refused(format!("no target named {wanted:?}")));
        }
    }
    let selected = |name: &str| targets.is_empty() || targets.iter().any(|t| t == name);
    super::runtime()?.block_on(async {
        let mut out = Vec::new();
        for b in blueprints {
            for t in b.spec.targets.iter().filter(|t| selected(t.name.as_str())) {
                let id = Identity::of(t);
                let stack = t.stack(b.name.as_str());
                let conf = super::aws::verified_config(&id).await?;
                let (status, resources) = detect_stack(&Client::new(&conf), &stack).await?;
                out.push(TargetDrift {
                    target: t.name.to_string(),
                    what: format!("stack {stack}"),
                    account: id.account,
                    region: id.region,
                    status,
                    resources,
                    instances: Vec::new(),
                });
            }
        }
        let names: Vec<String> = blueprints
            .iter()
            .flat_map(|b| b.org.iter().map(|o| o.target.name.to_string()))
            .filter(|n| selected(n))
            .collect();
        if !names.is_empty() {
            for u in stack_set::org_units(blueprints, &names)? {
                out.push(detect_stack_set(&u).await?);
            }
        }
        Ok(out)
    })
}

async fn detect_stack_set(u: &OrgUnit) -> Result<TargetDrift, DeployError> {
    let conf = super::aws::verified_config(&u.identity).await?;
    let client = Client::new(&conf);
    let mut result = TargetDrift {
        target: u.target.name.to_string(),
        what: format!("StackSet {}", u.stack_set),
        account: u.identity.account.clone(),
        region: u.identity.region.clone(),
        status: "NOT_DEPLOYED".into(),
        resources: Vec::new(),
        instances: Vec::new(),
    };
    if stack_set::live(&client, u).await?.is_none() {
        return Ok(result);
    }
    let id = client
        .detect_stack_set_drift()
        .stack_set_name(&u.stack_set)
        .call_as(u.call_as())
        .send()
        .await
        .map_err(|e| {
            DeployError::Aws(format!(
                "detect drift of StackSet {}: {}",
                u.stack_set,
                sdk_error(&e)
            ))
        })?
        .operation_id()
        .unwrap_or_default()
        .to_string();
    let op = stack_set::follow_quietly(&client, u, &id).await?;
    let live = stack_set::live_drift(&client, u).await?;
    result.instances = live.into_iter().filter(|i| i.status != "IN_SYNC").collect();
    result.status = if op != "SUCCEEDED" {
        format!("detection {op}")
    } else if result.instances.iter().any(|i| i.status == "DRIFTED") {
        "DRIFTED".into()
    } else {
        "IN_SYNC".into()
    };
    Ok(result)
}
