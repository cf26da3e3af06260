//! One CloudFormation stack through its API: what is deployed, change sets, execution
//! followed event by event, deletion.

use std::time::Duration;

use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::primitives::DateTime;
use aws_sdk_cloudformation::types::{
    Capability, ChangeSetStatus, ChangeSetType, StackStatus, TemplateStage,
};

use super::{DeployError, sdk_error};

/// How often the stack is asked how it is doing.
const POLL: Duration = Duration::from_millis(500);

/// A stack as it is deployed now.
#[derive(Debug, Clone)]
pub struct Deployed {
    pub status: String,
    /// The template it was last deployed with (as submitted).
    pub template: String,
}

/// The stack, or `None` when there is none of that name (or only a deleted one).
pub async fn deployed(client: &Client, stack: &str) -> Result<Option<Deployed>, DeployError> {
    let out = match client.describe_stacks().stack_name(stack).send().await {
        Ok(o) => o,
        Err(e) => {
            let text = sdk_error(&e);
            if text.contains("does not exist") {
                return Ok(None);
            }
            return Err(DeployError::Aws(format!("describe stack {stack}: {text}")));
        }
    };
    let Some(s) = out.stacks().first() else {
        return Ok(None);
    };
    let status = s
        .stack_status()
        .map(|s| s.as_str().to_string())
        .unwrap_or_default();
    if status == StackStatus::DeleteComplete.as_str() {
        return Ok(None);
    }
    // A stack created by a change set that was never executed has no template yet.
    if status == StackStatus::ReviewInProgress.as_str() {
        return Ok(Some(Deployed {
            status,
            template: String::new(),
        }));
    }
    let t = client
        .get_template()
        .stack_name(stack)
        .template_stage(TemplateStage::Original)
        .send()
        .await
        .map_err(|e| DeployError::Aws(format!("get template of {stack}: {}", sdk_error(&e))))?;
    Ok(Some(Deployed {
        status,
        template: t.template_body().unwrap_or_default().to_string(),
    }))
}

/// One resource change CloudFormation plans.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub action: String,
    pub logical_id: String,
    pub resource_type: String,
    /// `True`, `False` or `Conditional` for a modification.
    pub replacement: Option<String>,
}

/// A change set CloudFormation made, ready to execute.
#[derive(Debug, Clone)]
pub struct ChangeSet {
    pub id: String,
    pub changes: Vec<Planned>,
}

/// Creates a change set and waits until CloudFormation has computed it.
pub async fn change_set(
    client: &Client,
    stack: &str,
    body: &str,
    create: bool,
) -> Result<ChangeSet, DeployError> {
    let name = format!(
        "perimeter-{}",
        DateTime::from(std::time::SystemTime::now()).secs()
    );
    let kind = if create {
        ChangeSetType::Create
    } else {
        ChangeSetType::Update
    };
    let out = client
        .create_change_set()
        .stack_name(stack)
        .change_set_name(&name)
        .change_set_type(kind)
        .template_body(body)
        .capabilities(Capability::CapabilityIam)
        .capabilities(Capability::CapabilityNamedIam)
        .description("created by perimeter deploy")
        .send()
        .await
        .map_err(|e| {
            DeployError::Aws(format!("create change set for {stack}: {}", sdk_error(&e)))
        })?;
    let id = out.id().unwrap_or(&name).to_string();
    loop {
        let d = client
            .describe_change_set()
            .change_set_name(&id)
            .stack_name(stack)
            .send()
            .await
            .map_err(|e| {
                DeployError::Aws(format!("describe change set {id}: {}", sdk_error(&e)))
            })?;
        match d.status() {
            Some(ChangeSetStatus::CreateComplete) => {
                let changes = d
                    .changes()
                    .iter()
                    .filter_map(|c| c.resource_change())
                    .map(|r| Planned {
                        action: r
                            .action()
                            .map(|a| a.as_str().to_string())
                            .unwrap_or_default(),
                        logical_id: r.logical_resource_id().unwrap_or_default().to_string(),
                        resource_type: r.resource_type().unwrap_or_default().to_string(),
                        replacement: r.replacement().map(|x| x.as_str().to_string()),
                    })
                    .collect();
                return Ok(ChangeSet { id, changes });
            }
            Some(ChangeSetStatus::Failed) => {
                let reason = d.status_reason().unwrap_or("no reason given").to_string();
                return Err(DeployError::ChangeSet(reason));
            }
            _ => tokio::time::sleep(POLL).await,
        }
    }
}

/// Removes a change set that will not be executed.
pub async fn discard(client: &Client, stack: &str, id: &str) {
    let _ = client
        .delete_change_set()
        .change_set_name(id)
        .stack_name(stack)
        .send()
        .await;
}

/// One stack event, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub logical_id: String,
    pub resource_type: String,
    pub status: String,
    pub reason: Option<String>,
}

/// How a stack operation ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Finished {
    /// The stack's final status, e.g. `UPDATE_COMPLETE`, `ROLLBACK_COMPLETE`.
    pub status: String,
    /// The resources that failed, with CloudFormation's reasons.
    pub failures: Vec<Event>,
}

impl Finished {
    pub fn succeeded(&self) -> bool {
        self.status.ends_with("_COMPLETE")
            && !self.status.contains("ROLLBACK")
            && self.failures.is_empty()
    }
}

/// Executes a change set and follows the stack's events until it is in a final state,
/// handing each new event to `on_event`.
pub async fn execute(
    client: &Client,
    stack: &str,
    change_set: &str,
    on_event: &(dyn Fn(&Event) + Send + Sync),
) -> Result<Finished, DeployError> {
    let since = DateTime::from(std::time::SystemTime::now());
    if let Err(e) = client
        .execute_change_set()
        .change_set_name(change_set)
        .stack_name(stack)
        .send()
        .await
    {
        // CloudFormation reports a resource's failure in the stack's events; an API that
        // creates resources while it answers (moto's) returns it here. Either way the
        // outcome is the stack's status now and the reason.
        let failure = Event {
            logical_id: stack.to_string(),
            resource_type: "AWS::CloudFormation::Stack".to_string(),
            status: "EXECUTE_FAILED".to_string(),
            reason: Some(sdk_error(&e)),
        };
        on_event(&failure);
        let status = deployed_status(client, stack)
            .await?
            .unwrap_or_else(|| "DELETE_COMPLETE".into());
        return Ok(Finished {
            status,
            failures: vec![failure],
        });
    }
    follow(client, stack, since, on_event).await
}

/// Deletes a stack and follows it until it is gone (or the deletion failed).
pub async fn delete(
    client: &Client,
    stack: &str,
    on_event: &(dyn Fn(&Event) + Send + Sync),
) -> Result<Finished, DeployError> {
    let since = DateTime::from(std::time::SystemTime::now());
    client
        .delete_stack()
        .stack_name(stack)
        .send()
        .await
        .map_err(|e| DeployError::Aws(format!("delete stack {stack}: {}", sdk_error(&e))))?;
    follow(client, stack, since, on_event).await
}

/// Polls a stack's events from `since` until its status is final.
async fn follow(
    client: &Client,
    stack: &str,
    since: DateTime,
    on_event: &(dyn Fn(&Event) + Send + Sync),
) -> Result<Finished, DeployError> {
    let mut seen = std::collections::HashSet::new();
    let mut failures = Vec::new();
    loop {
        // Events newest first; those of this operation are the ones since it started.
        let out = client
            .describe_stack_events()
            .stack_name(stack)
            .send()
            .await;
        let events = match out {
            Ok(o) => o.stack_events().to_vec(),
            // A deleted stack has no events to describe: the deletion is complete.
            Err(e) if sdk_error(&e).contains("does not exist") => {
                return Ok(Finished {
                    status: StackStatus::DeleteComplete.as_str().to_string(),
                    failures,
                });
            }
            Err(e) => {
                return Err(DeployError::Aws(format!(
                    "stack events of {stack}: {}",
                    sdk_error(&e)
                )));
            }
        };
        let mut fresh: Vec<_> = events
            .iter()
            .filter(|e| e.timestamp().is_some_and(|t| t.secs() >= since.secs()))
            .filter(|e| seen.insert(e.event_id().unwrap_or_default().to_string()))
            .collect();
        fresh.reverse();
        for e in fresh {
            let ev = Event {
                logical_id: e.logical_resource_id().unwrap_or_default().to_string(),
                resource_type: e.resource_type().unwrap_or_default().to_string(),
                status: e
                    .resource_status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                reason: e.resource_status_reason().map(str::to_string),
            };
            if ev.status.ends_with("_FAILED") && ev.resource_type != "AWS::CloudFormation::Stack" {
                failures.push(ev.clone());
            }
            on_event(&ev);
        }
        match deployed_status(client, stack).await? {
            None => {
                return Ok(Finished {
                    status: StackStatus::DeleteComplete.as_str().to_string(),
                    failures,
                });
            }
            Some(s) if !s.ends_with("_IN_PROGRESS") => {
                return Ok(Finished {
                    status: s,
                    failures,
                });
            }
            Some(_) => tokio::time::sleep(POLL).await,
        }
    }
}

async fn deployed_status(client: &Client, stack: &str) -> Result<Option<String>, DeployError> {
    match client.describe_stacks().stack_name(stack).send().await {
        Ok(o) => Ok(o
            .stacks()
            .first()
            .and_then(|s| s.stack_status())
            .map(|s| s.as_str().to_string())),
        Err(e) if sdk_error(&e).contains("does not exist") => Ok(None),
        Err(e) => Err(DeployError::Aws(format!(
            "describe stack {stack}: {}",
            sdk_error(&e)
        ))),
    }
}
