//! One CloudFormation stack through its API: what is deployed, change sets, execution
//! followed event by event, deletion.
//!
//! Polling is the CDK's: a read every few seconds, throttling inside a wait loop is
//! waited out (longer each time) rather than the end of a deploy that is still running;
//! the SDK's own retries ([`super::aws`]) are adaptive.

use std::collections::HashSet;
use std::time::Duration;

use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::error::ProvideErrorMetadata;
use aws_sdk_cloudformation::primitives::DateTime;
use aws_sdk_cloudformation::types::{
    Capability, ChangeSetStatus, ChangeSetType, Parameter, StackEvent, StackStatus, TemplateStage,
};

use super::{DeployError, sdk_error};

/// How often a stack or change set is asked how it is doing.
const POLL: Duration = Duration::from_secs(2);
/// The longest wait after throttling.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// The name of perimeter's change set on every stack: a second deploy replaces it, so
/// no abandoned change sets pile up (the CDK's way).
pub const CHANGE_SET: &str = "perimeter-deploy";

/// Error codes CloudFormation throttles with.
pub(super) fn throttled(code: Option<&str>) -> bool {
    matches!(
        code,
        Some(
            "Throttling"
                | "ThrottlingException"
                | "RequestLimitExceeded"
                | "TooManyRequestsException"
        )
    )
}

/// The waits of a polling loop: [`POLL`], doubled after each throttled read up to
/// [`MAX_BACKOFF`], back to [`POLL`] after a read that was answered.
struct Pace(Duration);

impl Pace {
    fn new() -> Pace {
        Pace(POLL)
    }
    async fn answered(&mut self) {
        self.0 = POLL;
        tokio::time::sleep(POLL).await;
    }
    async fn throttled(&mut self) {
        tokio::time::sleep(self.0).await;
        self.0 = (self.0 * 2).min(MAX_BACKOFF);
    }
}

/// A client request token for one call: CloudFormation does an operation once for a
/// token, so a retried request does not do it twice (and events name it).
fn token(what: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("perimeter-{what}-{}-{nanos}", std::process::id())
}

/// A stack as it is deployed now.
#[derive(Debug, Clone)]
pub struct Deployed {
    pub status: String,
    /// The template it was last deployed with (as submitted).
    pub template: String,
    /// The names of its parameters.
    pub parameters: Vec<String>,
    /// Its outputs, by key.
    pub outputs: std::collections::BTreeMap<String, String>,
}

/// Reads `describe_stacks` for one stack: `None` when there is none of that name.
async fn describe(
    client: &Client,
    stack: &str,
) -> Result<Option<aws_sdk_cloudformation::types::Stack>, DeployError> {
    let mut pace = Pace::new();
    loop {
        match client.describe_stacks().stack_name(stack).send().await {
            Ok(o) => return Ok(o.stacks().first().cloned()),
            Err(e) if sdk_error(&e).contains("does not exist") => return Ok(None),
            Err(e) if throttled(e.code()) => pace.throttled().await,
            Err(e) => {
                return Err(DeployError::Aws(format!(
                    "describe stack {stack}: {}",
                    sdk_error(&e)
                )));
            }
        }
    }
}

/// The stack, or `None` when there is none of that name (or only a deleted one).
pub async fn deployed(client: &Client, stack: &str) -> Result<Option<Deployed>, DeployError> {
    let Some(s) = describe(client, stack).await? else {
        return Ok(None);
    };
    let status = s
        .stack_status()
        .map(|s| s.as_str().to_string())
        .unwrap_or_default();
    if status == StackStatus::DeleteComplete.as_str() {
        return Ok(None);
    }
    let parameters = s
        .parameters()
        .iter()
        .filter_map(|p| p.parameter_key().map(str::to_string))
        .collect();
    let outputs = s
        .outputs()
        .iter()
        .filter_map(|o| Some((o.output_key()?.to_string(), o.output_value()?.to_string())))
        .collect();
    // A stack created by a change set that was never executed has no template yet.
    if status == StackStatus::ReviewInProgress.as_str() {
        return Ok(Some(Deployed {
            status,
            template: String::new(),
            parameters,
            outputs,
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
        parameters,
        outputs,
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
    /// When CloudFormation made it: the stack's events of its execution are later.
    pub created: Option<DateTime>,
}

/// How the template reaches CloudFormation.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// In the call (up to 51,200 bytes).
    Inline(String),
    /// From S3 (up to 1 MB).
    Url(String),
}

/// What a change set is made of.
#[derive(Debug, Clone)]
pub struct Request {
    pub stack: String,
    pub body: Body,
    /// A new stack (or one only in `REVIEW_IN_PROGRESS`).
    pub create: bool,
    /// A stack of that name exists (it may hold an earlier change set).
    pub exists: bool,
    /// The template declares a transform: CloudFormation must be allowed to expand it.
    pub auto_expand: bool,
    /// Parameters the deployed stack keeps its values of.
    pub previous_parameters: Vec<String>,
    /// The service role CloudFormation assumes.
    pub role_arn: Option<String>,
}

/// Creates perimeter's change set (replacing an earlier one of the same name) and waits
/// until CloudFormation has computed it. An empty one is deleted and is
/// [`DeployError::ChangeSet`] with CloudFormation's "didn't contain changes".
pub async fn change_set(client: &Client, r: &Request) -> Result<ChangeSet, DeployError> {
    let stack = r.stack.as_str();
    // An earlier perimeter deploy's change set, never executed: replaced.
    if r.exists {
        let listed = client
            .list_change_sets()
            .stack_name(stack)
            .send()
            .await
            .map_err(|e| {
                DeployError::Aws(format!(
                    "list the change sets of {stack}: {}",
                    sdk_error(&e)
                ))
            })?;
        if listed
            .summaries()
            .iter()
            .any(|c| c.change_set_name() == Some(CHANGE_SET))
        {
            client
                .delete_change_set()
                .change_set_name(CHANGE_SET)
                .stack_name(stack)
                .send()
                .await
                .map_err(|e| {
                    DeployError::Aws(format!(
                        "delete the earlier change set {CHANGE_SET} of {stack}: {}",
                        sdk_error(&e)
                    ))
                })?;
        }
    }
    let mut call = client
        .create_change_set()
        .stack_name(stack)
        .change_set_name(CHANGE_SET)
        .change_set_type(if r.create {
            ChangeSetType::Create
        } else {
            ChangeSetType::Update
        })
        .capabilities(Capability::CapabilityIam)
        .capabilities(Capability::CapabilityNamedIam)
        .client_token(token("create"))
        .description("created by perimeter deploy");
    call = match &r.body {
        Body::Inline(b) => call.template_body(b),
        Body::Url(u) => call.template_url(u),
    };
    if r.auto_expand {
        call = call.capabilities(Capability::CapabilityAutoExpand);
    }
    for p in &r.previous_parameters {
        call = call.parameters(
            Parameter::builder()
                .parameter_key(p)
                .use_previous_value(true)
                .build(),
        );
    }
    if let Some(role) = &r.role_arn {
        call = call.role_arn(role);
    }
    let out = call.send().await.map_err(|e| {
        DeployError::Aws(format!("create change set for {stack}: {}", sdk_error(&e)))
    })?;
    let id = out.id().unwrap_or(CHANGE_SET).to_string();
    let mut pace = Pace::new();
    loop {
        let d = match client
            .describe_change_set()
            .change_set_name(&id)
            .stack_name(stack)
            .send()
            .await
        {
            Ok(d) => d,
            Err(e) if throttled(e.code()) => {
                pace.throttled().await;
                continue;
            }
            Err(e) => {
                return Err(DeployError::Aws(format!(
                    "describe change set {id}: {}",
                    sdk_error(&e)
                )));
            }
        };
        match d.status() {
            Some(ChangeSetStatus::CreateComplete) => {
                let created = d.creation_time().copied();
                let changes = changes(client, stack, &id, d).await?;
                return Ok(ChangeSet {
                    id,
                    changes,
                    created,
                });
            }
            Some(ChangeSetStatus::Failed) => {
                let reason = d.status_reason().unwrap_or("no reason given").to_string();
                // Nothing will execute it: not left behind.
                discard(client, stack, &id, r.create).await;
                return Err(DeployError::ChangeSet(reason));
            }
            _ => pace.answered().await,
        }
    }
}

/// Every page of a computed change set's changes.
async fn changes(
    client: &Client,
    stack: &str,
    id: &str,
    first: aws_sdk_cloudformation::operation::describe_change_set::DescribeChangeSetOutput,
) -> Result<Vec<Planned>, DeployError> {
    let mut out = Vec::new();
    let mut page = first;
    let mut pace = Pace::new();
    loop {
        out.extend(
            page.changes()
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
                }),
        );
        let Some(next) = page.next_token().map(str::to_string) else {
            return Ok(out);
        };
        page = loop {
            match client
                .describe_change_set()
                .change_set_name(id)
                .stack_name(stack)
                .next_token(&next)
                .send()
                .await
            {
                Ok(p) => break p,
                Err(e) if throttled(e.code()) => pace.throttled().await,
                Err(e) => {
                    return Err(DeployError::Aws(format!(
                        "describe change set {id}: {}",
                        sdk_error(&e)
                    )));
                }
            }
        };
    }
}

/// Removes a change set that will not be executed; with `created_stack`, also the
/// stack it created when nothing else is planned on it (an empty `REVIEW_IN_PROGRESS`
/// stack would block the name). A failure here is a warning, returned.
pub async fn discard(
    client: &Client,
    stack: &str,
    id: &str,
    created_stack: bool,
) -> Option<String> {
    if let Err(e) = client
        .delete_change_set()
        .change_set_name(id)
        .stack_name(stack)
        .send()
        .await
    {
        return Some(format!(
            "could not delete change set {id}: {}",
            sdk_error(&e)
        ));
    }
    if !created_stack {
        return None;
    }
    let still_review = matches!(
        describe(client, stack).await,
        Ok(Some(s)) if s.stack_status() == Some(&StackStatus::ReviewInProgress)
    );
    if !still_review {
        return None;
    }
    match client.list_change_sets().stack_name(stack).send().await {
        Ok(l) if l.summaries().is_empty() => {}
        Ok(_) => return None,
        Err(e) => {
            return Some(format!(
                "could not list the change sets of {stack}: {}",
                sdk_error(&e)
            ));
        }
    }
    client
        .delete_stack()
        .stack_name(stack)
        .client_request_token(token("discard"))
        .send()
        .await
        .err()
        .map(|e| {
            format!(
                "could not delete the empty stack {stack}: {}",
                sdk_error(&e)
            )
        })
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
    /// Resources whose cleanup after a successful update failed (the old copy of a
    /// replaced resource not deleted): the update stands, the old copy is left.
    pub warnings: Vec<Event>,
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
    change_set: &ChangeSet,
    on_event: &(dyn Fn(&Event) + Send + Sync),
) -> Result<Finished, DeployError> {
    // The change set's own creation time (CloudFormation's clock, not this machine's).
    let since = change_set
        .created
        .unwrap_or_else(|| DateTime::from(std::time::SystemTime::now()));
    if let Err(e) = client
        .execute_change_set()
        .change_set_name(&change_set.id)
        .stack_name(stack)
        .client_request_token(token("execute"))
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
        let status = describe(client, stack)
            .await?
            .and_then(|s| s.stack_status().map(|s| s.as_str().to_string()))
            .unwrap_or_else(|| "DELETE_COMPLETE".into());
        return Ok(Finished {
            status,
            failures: vec![failure],
            warnings: Vec::new(),
        });
    }
    follow(client, stack, since, on_event).await
}

/// Deletes a stack (with the service role, if any) and follows it until it is gone
/// (or the deletion failed).
pub async fn delete(
    client: &Client,
    stack: &str,
    role_arn: Option<&str>,
    on_event: &(dyn Fn(&Event) + Send + Sync),
) -> Result<Finished, DeployError> {
    let since = DateTime::from(std::time::SystemTime::now());
    let mut call = client
        .delete_stack()
        .stack_name(stack)
        .client_request_token(token("delete"));
    if let Some(r) = role_arn {
        call = call.role_arn(r);
    }
    call.send()
        .await
        .map_err(|e| DeployError::Aws(format!("delete stack {stack}: {}", sdk_error(&e))))?;
    follow(client, stack, since, on_event).await
}

/// The stack's events newer than the last one seen (all pages of them, newest first),
/// none older than `since`. `None`: the stack is gone.
async fn new_events(
    client: &Client,
    stack: &str,
    since: &DateTime,
    seen: &HashSet<String>,
) -> Result<Option<Vec<StackEvent>>, DeployError> {
    let mut out = Vec::new();
    let mut next: Option<String> = None;
    let mut pace = Pace::new();
    loop {
        let page = match client
            .describe_stack_events()
            .stack_name(stack)
            .set_next_token(next.clone())
            .send()
            .await
        {
            Ok(p) => p,
            // A deleted stack has no events to describe: the deletion is complete.
            Err(e) if sdk_error(&e).contains("does not exist") => return Ok(None),
            Err(e) if throttled(e.code()) => {
                pace.throttled().await;
                continue;
            }
            Err(e) => {
                return Err(DeployError::Aws(format!(
                    "stack events of {stack}: {}",
                    sdk_error(&e)
                )));
            }
        };
        for e in page.stack_events() {
            let old = e.timestamp().is_some_and(|t| t.secs() < since.secs());
            if old || seen.contains(e.event_id().unwrap_or_default()) {
                // Newest first: everything after this was read before.
                return Ok(Some(out));
            }
            out.push(e.clone());
        }
        match page.next_token() {
            Some(t) => next = Some(t.to_string()),
            None => return Ok(Some(out)),
        }
    }
}

/// Polls a stack's events from `since` until its status is final, then reads them once
/// more (the last ones may come after the status).
async fn follow(
    client: &Client,
    stack: &str,
    since: DateTime,
    on_event: &(dyn Fn(&Event) + Send + Sync),
) -> Result<Finished, DeployError> {
    let mut seen = HashSet::new();
    let mut failures = Vec::new();
    let mut warnings = Vec::new();
    let mut cleaning = false;
    let mut pace = Pace::new();
    let mut last = false;
    loop {
        let Some(events) = new_events(client, stack, &since, &seen).await? else {
            return Ok(Finished {
                status: StackStatus::DeleteComplete.as_str().to_string(),
                failures,
                warnings,
            });
        };
        for e in events.iter().rev() {
            seen.insert(e.event_id().unwrap_or_default().to_string());
            let ev = Event {
                logical_id: e.logical_resource_id().unwrap_or_default().to_string(),
                resource_type: e.resource_type().unwrap_or_default().to_string(),
                status: e
                    .resource_status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                reason: e.resource_status_reason().map(str::to_string),
            };
            let is_stack = ev.resource_type == "AWS::CloudFormation::Stack";
            if is_stack && ev.status == StackStatus::UpdateCompleteCleanupInProgress.as_str() {
                cleaning = true;
            }
            if ev.status.ends_with("_FAILED") && !is_stack {
                if cleaning {
                    warnings.push(ev.clone());
                } else {
                    failures.push(ev.clone());
                }
            }
            on_event(&ev);
        }
        let status = describe(client, stack)
            .await?
            .and_then(|s| s.stack_status().map(|s| s.as_str().to_string()));
        match status {
            None => {
                return Ok(Finished {
                    status: StackStatus::DeleteComplete.as_str().to_string(),
                    failures,
                    warnings,
                });
            }
            Some(s) if !s.ends_with("_IN_PROGRESS") => {
                if last {
                    return Ok(Finished {
                        status: s,
                        failures,
                        warnings,
                    });
                }
                // One more read of the events: those written as the status changed.
                last = true;
            }
            Some(_) => pace.answered().await,
        }
    }
}
