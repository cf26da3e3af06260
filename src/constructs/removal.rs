//! What CloudFormation does with a resource's data when the resource leaves the stack or
//! is replaced: `DeletionPolicy` and `UpdateReplacePolicy` as one type, chosen by stage.

use super::stack::Attributes;

/// What happens to a data resource when it is deleted from the stack or replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovalPolicy {
    /// Deleted with its data (a development stage's throw-away data).
    Delete,
    /// Kept in the account, outside the stack.
    Retain,
    /// A final snapshot is taken, then deleted (only types that take snapshots:
    /// RDS, ElastiCache, Neptune, EBS volumes, Redshift).
    Snapshot,
    /// Kept, unless the stack's creation itself fails (nothing then to keep).
    RetainExceptOnCreate,
}

impl RemovalPolicy {
    /// Retained on a production stage (`prod`, `production`, `prod-eu`...), deleted on
    /// any other: a test stage's table should go with its stack, a production one never.
    ///
    /// ```
    /// use perimeter::constructs::RemovalPolicy;
    /// assert_eq!(RemovalPolicy::for_stage("prod-eu"), RemovalPolicy::Retain);
    /// assert_eq!(RemovalPolicy::for_stage("dev"), RemovalPolicy::Delete);
    /// ```
    pub fn for_stage(stage: &str) -> RemovalPolicy {
        if stage == "production" || stage == "prod" || stage.starts_with("prod-") {
            RemovalPolicy::Retain
        } else {
            RemovalPolicy::Delete
        }
    }

    /// The attribute's value, as CloudFormation spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            RemovalPolicy::Delete => "Delete",
            RemovalPolicy::Retain => "Retain",
            RemovalPolicy::Snapshot => "Snapshot",
            RemovalPolicy::RetainExceptOnCreate => "RetainExceptOnCreate",
        }
    }

    /// The resource attributes: `DeletionPolicy` as said, `UpdateReplacePolicy` the same
    /// (that attribute knows no `RetainExceptOnCreate`: kept as `Retain`).
    pub fn attributes(self) -> Attributes {
        let replace = match self {
            RemovalPolicy::RetainExceptOnCreate => RemovalPolicy::Retain,
            other => other,
        };
        Attributes {
            deletion_policy: Some(self.as_str()),
            update_replace_policy: Some(replace.as_str()),
            ..Attributes::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_replace_policy_follows_the_deletion_policy() {
        let a = RemovalPolicy::RetainExceptOnCreate.attributes();
        assert_eq!(a.deletion_policy, Some("RetainExceptOnCreate"));
        assert_eq!(a.update_replace_policy, Some("Retain"));
        let d = RemovalPolicy::for_stage("staging").attributes();
        assert_eq!(
            (d.deletion_policy, d.update_replace_policy),
            (Some("Delete"), Some("Delete"))
        );
        assert_eq!(
            RemovalPolicy::for_stage("production"),
            RemovalPolicy::Retain
        );
        assert_eq!(RemovalPolicy::for_stage("products"), RemovalPolicy::Delete);
    }
}
