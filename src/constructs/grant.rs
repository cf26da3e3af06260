//! Grants for the common cases: a role allowed actions on resources (only through an
//! endpoint, when one is named), and an endpoint policy's statement admitting a principal.

use super::stack::{ConstructError, Stack};
use crate::iam::{
    ConditionOperator, Effect, Op, PolicyDocument, Principal, ResourceEntry, Statement,
};
use crate::resources::Handle;
use crate::resources::ec2::VpcEndpoint;
use crate::resources::iam::{Policy, Role};
use crate::template::typed::{List, Str};

/// What a role is allowed.
#[derive(Debug, Clone)]
pub struct Grant<'a> {
    /// The statement's id.
    pub sid: &'a str,
    pub actions: &'a [&'a str],
    pub resources: Vec<ResourceEntry>,
    /// Only through this endpoint (`aws:sourceVpce`); `None`: from anywhere.
    pub through: Option<&'a Handle<VpcEndpoint>>,
}

impl Grant<'_> {
    /// The grant as an identity policy's statement.
    pub fn statement(&self) -> Result<Statement, ConstructError> {
        let mut s = Statement::new(Effect::Allow, self.actions.iter().copied())
            .map_err(ConstructError::from)?
            .sid(self.sid);
        if self.resources.is_empty() {
            return Err(ConstructError::Invalid(format!(
                "grant {}: name the resources (\"*\" only where the actions take no resource)",
                self.sid
            )));
        }
        for r in &self.resources {
            s = s.resource(r.clone());
        }
        if let Some(e) = self.through {
            s = s.condition(
                ConditionOperator::new(Op::StringEquals),
                "aws:sourceVpce",
                vec![e.reference()],
            );
        }
        Ok(s)
    }
}

/// Adds `id` (an `AWS::IAM::Policy` attached to `role`) allowing the grants. A separate
/// policy, not an inline one: an endpoint policy that names the role and a grant that
/// names the endpoint would otherwise be a cycle.
///
/// ```
/// use perimeter::constructs::{Grant, Stack, grant};
/// use perimeter::iam::{Effect, PolicyDocument, Principal, Statement};
/// use perimeter::resources::iam::Role;
/// let mut stack = Stack::new("demo");
/// let trust = PolicyDocument::new(vec![Statement::new(Effect::Allow, ["sts:AssumeRole"]).unwrap()
///     .principal(Principal::service("lambda.amazonaws.com"))]);
/// let role = stack.add("AppRole", Role::new(trust)).unwrap();
/// grant(&mut stack, "AppAccess", &role, &[Grant {
///     sid: "ReadConfig",
///     actions: &["ssm:GetParameter"],
///     resources: vec!["arn:aws:ssm:us-east-1:111111111111:parameter/app/*".parse::<perimeter::iam::Arn>().unwrap().into()],
///     through: None,
/// }]).unwrap();
/// assert!(stack.template().to_json().contains("ssm:GetParameter"));
/// ```
pub fn grant(
    stack: &mut Stack,
    id: &str,
    role: &Handle<Role>,
    grants: &[Grant<'_>],
) -> Result<Handle<Policy>, ConstructError> {
    let statements = grants
        .iter()
        .map(Grant::statement)
        .collect::<Result<Vec<_>, _>>()?;
    stack.add(
        id,
        Policy::new(PolicyDocument::new(statements), id).roles(List::Items(vec![role.reference()])),
    )
}

/// An endpoint policy's statement: `principal` (an ARN) may do `actions` on `resources`
/// through the endpoint, and nothing else is said of anyone.
pub fn admit(
    sid: &str,
    principal: Str,
    actions: &[&str],
    resources: Vec<ResourceEntry>,
) -> Result<Statement, ConstructError> {
    Ok(allow(sid, actions, resources)?.principal(Principal::aws(principal)))
}

/// An `Allow` statement of `actions` on `resources`, who it admits left to the caller.
fn allow(
    sid: &str,
    actions: &[&str],
    resources: Vec<ResourceEntry>,
) -> Result<Statement, ConstructError> {
    let mut s = Statement::new(Effect::Allow, actions.iter().copied())
        .map_err(ConstructError::from)?
        .sid(sid);
    for r in resources {
        s = s.resource(r);
    }
    Ok(s)
}

/// A gateway endpoint policy's statement: `principal` (an ARN) may do `actions` on
/// `resources` through the endpoint. A gateway endpoint policy takes only `Principal: "*"`
/// (an account or role named there means the account's root user only), so the caller is
/// named by `aws:PrincipalArn` instead.
///
/// ```
/// use perimeter::constructs::admit_through_gateway;
/// let s = admit_through_gateway("Read", "arn:aws:iam::111122223333:role/App".into(),
///     &["s3:GetObject"], vec!["arn:aws:s3:::b/*".parse::<perimeter::iam::Arn>().unwrap().into()]).unwrap();
/// assert!(s.principal.unwrap().inner().is_anyone());
/// assert_eq!(s.condition.len(), 1);
/// ```
pub fn admit_through_gateway(
    sid: &str,
    principal: Str,
    actions: &[&str],
    resources: Vec<ResourceEntry>,
) -> Result<Statement, ConstructError> {
    Ok(allow(sid, actions, resources)?
        .principal(Principal::Any)
        .condition(
            ConditionOperator::new(Op::StringEquals),
            "aws:PrincipalArn",
            vec![principal],
        ))
}
