//! An SQS queue: encrypted (SQS-managed keys or a key of the stack), TLS-only by its
//! queue policy, kept or deleted by stage; grants to send and to consume.

use super::grant::{Access, KeyUse, Target};
use super::key::Key;
use super::permissions::{Permission, Select};
use super::removal::RemovalPolicy;
use super::resource_policy::{at, tls_only};
use super::stack::{ConstructError, Stack};
use crate::iam::PolicyDocument;
use crate::iam::catalog::AccessLevel;
use crate::resources::Handle;
use crate::resources::iam::Role;
use crate::resources::sqs;
use crate::template::typed::{List, Str};

/// What a queue is built from; [`QueueProps::new`] gives the secure defaults.
#[derive(Debug, Clone)]
pub struct QueueProps {
    /// A key of the stack; `None`: SQS-managed encryption (SSE-SQS).
    pub key: Option<Key>,
    /// 60 to 1,209,600 seconds (14 days).
    pub retention_seconds: u32,
    /// 0 to 43,200 seconds.
    pub visibility_timeout_seconds: u32,
    pub removal: RemovalPolicy,
}

impl QueueProps {
    /// SSE-SQS, four days' retention, 30 s visibility; retained on a production stage.
    pub fn new(stage: &str) -> QueueProps {
        QueueProps {
            key: None,
            retention_seconds: 345_600,
            visibility_timeout_seconds: 30,
            removal: RemovalPolicy::for_stage(stage),
        }
    }
}

/// A built queue and its policy.
#[derive(Debug, Clone)]
pub struct Queue {
    pub handle: Handle<sqs::Queue>,
    pub policy: Handle<sqs::QueuePolicy>,
    /// The key of its messages, when it is a key of the stack.
    pub key: Option<Key>,
}

fn on_queue(level: AccessLevel, names: &'static [&'static str]) -> Permission {
    Permission {
        service: "sqs",
        resource_type: "queue",
        level,
        select: Select::Named(names),
    }
}

/// What a sender and a consumer need beyond their own verb: the queue's URL and
/// attributes (the catalog's Read also holds `ReceiveMessage`, so these are named).
const LOOKUP: &[&str] = &["GetQueueAttributes", "GetQueueUrl"];

impl Queue {
    /// Adds the queue as `id` and its policy as `<id>Policy`.
    ///
    /// ```
    /// use perimeter::constructs::{Queue, QueueProps, Stack};
    /// let mut stack = Stack::new("demo");
    /// Queue::build(&mut stack, "Jobs", QueueProps::new("dev")).unwrap();
    /// assert!(stack.template().to_json().contains(r#""SqsManagedSseEnabled": true"#));
    /// ```
    pub fn build(stack: &mut Stack, id: &str, p: QueueProps) -> Result<Queue, ConstructError> {
        if !(60..=1_209_600).contains(&p.retention_seconds) {
            return Err(ConstructError::Invalid(format!(
                "{id}: a retention of {} s; SQS keeps messages 60 s to 14 days",
                p.retention_seconds
            )));
        }
        if p.visibility_timeout_seconds > 43_200 {
            return Err(ConstructError::Invalid(format!(
                "{id}: a visibility timeout of {} s; SQS takes 0 to 43200",
                p.visibility_timeout_seconds
            )));
        }
        let mut q = sqs::Queue::new()
            .message_retention_period(p.retention_seconds)
            .visibility_timeout(p.visibility_timeout_seconds);
        q = match &p.key {
            Some(k) => q.kms_master_key_id(k.arn()),
            None => q.sqs_managed_sse_enabled(true),
        };
        let handle = stack.add_with(id, q, p.removal.attributes())?;
        let tls = tls_only("sqs", vec![handle.arn().into()])?;
        let policy = stack.add(
            &format!("{id}Policy"),
            sqs::QueuePolicy::new(
                PolicyDocument::new(vec![tls]),
                List::Items(vec![handle.reference()]),
            ),
        )?;
        Ok(Queue {
            handle,
            policy,
            key: p.key,
        })
    }

    /// `Fn::GetAtt Arn`.
    pub fn arn(&self) -> Str {
        self.handle.arn()
    }

    /// `Ref`: the queue's URL.
    pub fn url(&self) -> Str {
        self.handle.reference()
    }

    fn grant(&self, verb: &str, role: &Handle<Role>, permissions: Vec<Permission>) -> Access {
        let id = self.handle.logical_id().as_str();
        // Sending makes data keys; receiving only decrypts.
        let write = verb == "Send";
        Access::new(
            format!("{id}{verb}"),
            role,
            permissions,
            vec![Target::new(self.arn(), format!("${{{id}.Arn}}"), "queue")],
        )
        .resource_policy(at(self.policy.logical_id().as_str(), &["PolicyDocument"]))
        .key_use(self.key.as_ref().map(|k| KeyUse {
            key: k.arn(),
            service: "sqs",
            write,
        }))
    }

    /// Sending messages.
    pub fn grant_send(&self, role: &Handle<Role>) -> Access {
        self.grant(
            "Send",
            role,
            vec![
                on_queue(AccessLevel::Write, &["SendMessage"]),
                on_queue(AccessLevel::Read, LOOKUP),
            ],
        )
    }

    /// Receiving and deleting messages, and extending their visibility.
    pub fn grant_consume(&self, role: &Handle<Role>) -> Access {
        self.grant(
            "Consume",
            role,
            vec![
                on_queue(AccessLevel::Read, &["ReceiveMessage"]),
                on_queue(
                    AccessLevel::Write,
                    &["DeleteMessage", "ChangeMessageVisibility"],
                ),
                on_queue(AccessLevel::Read, LOOKUP),
            ],
        )
    }
}
