//! The actions a grant allows, read from the IAM catalog (`data/iam-catalog.json`): the
//! actions of one access level on one resource type, narrowed to the data a grant is for.
//! A grant never names an action the catalog does not list at that level on that type,
//! so a catalog update that moves or retires an action fails the construct's test instead
//! of shipping a stale grant.

use super::stack::ConstructError;
use crate::iam::catalog::{AccessLevel, ActionRef, catalog};

/// Which of a level's actions on a resource type a grant takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Select {
    /// Every one of them (SSM parameters' Read: the four `GetParameter*`).
    All,
    /// Those that take this condition key of the service: the data-plane actions of
    /// services whose item-level key marks them (`dynamodb:Attributes`: the item reads
    /// and writes, not `DescribeTable`, `DeleteTable` or backups).
    TakingKey(&'static str),
    /// These, each of which must be listed at the level on the type.
    Named(&'static [&'static str]),
}

/// A slice of a service's actions: a level on a resource type, narrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permission {
    /// The IAM prefix, `dynamodb`.
    pub service: &'static str,
    /// The catalog's resource type, `table` (the service's own spelling: `Secret`).
    pub resource_type: &'static str,
    pub level: AccessLevel,
    pub select: Select,
}

impl Permission {
    /// The actions, `service:Name`, in the catalog's order.
    pub fn actions(&self) -> Result<Vec<String>, ConstructError> {
        let service = catalog().service(self.service).ok_or_else(|| {
            ConstructError::Invalid(format!(
                "{}: no such service in the IAM catalog",
                self.service
            ))
        })?;
        let on_type = |a: &ActionRef<'_>| {
            a.level() == self.level && a.resource_types().any(|r| r.name == self.resource_type)
        };
        let found: Vec<String> = match self.select {
            Select::All => service
                .actions()
                .filter(on_type)
                .map(|a| a.full_name())
                .collect(),
            Select::TakingKey(key) => service
                .actions()
                .filter(|a| on_type(a) && a.takes_key(key))
                .map(|a| a.full_name())
                .collect(),
            Select::Named(names) => names
                .iter()
                .map(|n| match service.action(n) {
                    Some(a) if on_type(&a) => Ok(a.full_name()),
                    _ => Err(ConstructError::Invalid(format!(
                        "{}:{n} is not a {:?}-level action on {} in the IAM catalog",
                        self.service, self.level, self.resource_type
                    ))),
                })
                .collect::<Result<_, _>>()?,
        };
        if found.is_empty() {
            return Err(ConstructError::Invalid(format!(
                "the IAM catalog lists no {:?}-level {} action on {} ({:?})",
                self.level, self.service, self.resource_type, self.select
            )));
        }
        Ok(found)
    }
}

/// The actions of several permissions, each once, in order.
pub fn actions_of(perms: &[Permission]) -> Result<Vec<String>, ConstructError> {
    let mut out: Vec<String> = Vec::new();
    for p in perms {
        for a in p.actions()? {
            if !out.contains(&a) {
                out.push(a);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dynamodb_item_actions_leave_the_table_itself_alone() {
        let p = |level| Permission {
            service: "dynamodb",
            resource_type: "table",
            level,
            select: Select::TakingKey("dynamodb:Attributes"),
        };
        let read = p(AccessLevel::Read).actions().unwrap();
        let write = p(AccessLevel::Write).actions().unwrap();
        for a in ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"] {
            assert!(read.contains(&a.to_string()), "{a} in {read:?}");
        }
        for a in [
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
        ] {
            assert!(write.contains(&a.to_string()), "{a} in {write:?}");
        }
        for a in read.iter().chain(&write) {
            assert!(
                ![
                    "DeleteTable",
                    "UpdateTable",
                    "CreateBackup",
                    "DescribeTable",
                    "RestoreTable"
                ]
                .iter()
                .any(|n| a.ends_with(n)),
                "{a} is no item action"
            );
        }
    }

    #[test]
    fn a_named_action_must_be_at_its_level() {
        let wrong = Permission {
            service: "sqs",
            resource_type: "queue",
            level: AccessLevel::Read,
            select: Select::Named(&["SendMessage"]),
        };
        let e = wrong.actions().unwrap_err().to_string();
        assert!(
            e.contains("sqs:SendMessage is not a Read-level action"),
            "{e}"
        );
        let none = Permission {
            service: "sqs",
            resource_type: "queue",
            level: AccessLevel::Tagging,
            select: Select::TakingKey("sqs:NoSuchKey"),
        };
        assert!(none.actions().is_err());
    }
}
