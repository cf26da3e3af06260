//! An SNS topic: encrypted with KMS (the AWS managed key `aws/sns` or a key of the
//! stack), TLS-only by its topic policy; grants to publish.

use super::grant::{Access, KeyUse, Target};
use super::key::Key;
use super::permissions::{Permission, Select};
use super::resource_policy::{at, tls_only};
use super::stack::{ConstructError, Stack};
use crate::iam::PolicyDocument;
use crate::iam::catalog::AccessLevel;
use crate::resources::Handle;
use crate::resources::iam::Role;
use crate::resources::sns;
use crate::template::typed::{List, Str};

/// What a topic is built from.
#[derive(Debug, Clone, Default)]
pub struct TopicProps {
    pub display_name: Option<String>,
    /// A key of the stack; `None`: the AWS managed key `alias/aws/sns`.
    pub key: Option<Key>,
}

/// A built topic and its policy.
#[derive(Debug, Clone)]
pub struct Topic {
    pub handle: Handle<sns::Topic>,
    pub policy: Handle<sns::TopicPolicy>,
    /// The key of its messages, when it is a key of the stack.
    pub key: Option<Key>,
}

impl Topic {
    /// Adds the topic as `id` and its policy as `<id>Policy`.
    ///
    /// ```
    /// use perimeter::constructs::{Stack, Topic, TopicProps};
    /// let mut stack = Stack::new("demo");
    /// Topic::build(&mut stack, "Alerts", TopicProps::default()).unwrap();
    /// assert!(stack.template().to_json().contains("alias/aws/sns"));
    /// ```
    pub fn build(stack: &mut Stack, id: &str, p: TopicProps) -> Result<Topic, ConstructError> {
        let mut t = sns::Topic::new();
        t = match &p.key {
            Some(k) => t.kms_master_key_id(k.arn()),
            None => t.kms_master_key_id("alias/aws/sns"),
        };
        if let Some(n) = &p.display_name {
            t = t.display_name(n.as_str());
        }
        let handle = stack.add(id, t)?;
        let tls = tls_only("sns", vec![handle.reference().into()])?;
        let policy = stack.add(
            &format!("{id}Policy"),
            sns::TopicPolicy::new(
                PolicyDocument::new(vec![tls]),
                List::Items(vec![handle.reference()]),
            ),
        )?;
        Ok(Topic {
            handle,
            policy,
            key: p.key,
        })
    }

    /// `Ref`: the topic's ARN.
    pub fn arn(&self) -> Str {
        self.handle.reference()
    }

    /// Publishing to it.
    pub fn grant_publish(&self, role: &Handle<Role>) -> Access {
        let id = self.handle.logical_id().as_str();
        Access::new(
            format!("{id}Publish"),
            role,
            vec![Permission {
                service: "sns",
                resource_type: "topic",
                level: AccessLevel::Write,
                select: Select::Named(&["Publish"]),
            }],
            vec![Target::new(self.arn(), format!("${{{id}}}"), "topic")],
        )
        .resource_policy(at(self.policy.logical_id().as_str(), &["PolicyDocument"]))
        .key_use(self.key.as_ref().map(|k| KeyUse {
            key: k.arn(),
            service: "sns",
            write: true,
        }))
    }
}
