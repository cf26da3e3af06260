//! The statements a data resource's own policy starts with (its secure defaults), and
//! where grants add theirs.

use super::grant::ResourcePolicy;
use super::stack::ConstructError;
use crate::iam::{ConditionOperator, Effect, Op, Principal, ResourceEntry, Statement};
use crate::template::Pseudo;
use crate::template::typed::Str;

/// Refuses every call of `service` that is not over TLS (`aws:SecureTransport` false),
/// on `resources`: for services that still answer plain HTTP (S3, SQS, SNS).
pub fn tls_only(service: &str, resources: Vec<ResourceEntry>) -> Result<Statement, ConstructError> {
    let mut s = Statement::new(Effect::Deny, [format!("{service}:*").as_str()])
        .map_err(ConstructError::from)?
        .sid("DenyWithoutTls")
        .principal(Principal::Any);
    for r in resources {
        s = s.resource(r);
    }
    Ok(s.condition(
        ConditionOperator::new(Op::Bool),
        "aws:SecureTransport",
        vec![Str::from("false")],
    ))
}

/// Refuses `action` (`*`, `secretsmanager:*`) to principals of other accounts (an
/// identity perimeter: a grant in this policy can only ever be for this account's roles).
pub fn own_account_only(action: &str) -> Result<Statement, ConstructError> {
    Ok(Statement::new(Effect::Deny, [action])
        .map_err(ConstructError::from)?
        .sid("DenyOtherAccounts")
        .principal(Principal::Any)
        .resource(ResourceEntry::Arn(
            "*".parse().map_err(ConstructError::from)?,
        ))
        .condition(
            ConditionOperator::new(Op::StringNotEquals),
            "aws:PrincipalAccount",
            vec![Str::from(Pseudo::AccountId)],
        ))
}

/// The policy document of resource `holder` at `path`, naming its resources as grants do.
pub fn at(holder: &str, path: &'static [&'static str]) -> ResourcePolicy {
    ResourcePolicy {
        holder: holder.to_string(),
        path,
        resource: None,
        by_vpc: false,
    }
}
