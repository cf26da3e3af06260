//! Grants for the common cases: a role allowed actions on resources (only through an
//! endpoint, when one is named), and an endpoint policy's statement admitting a principal.

use super::endpoint::Endpoint;
use super::permissions::Permission;
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

/// A resource policy's statement refusing `actions` on `resources` to every principal
/// (of any account: an identity policy elsewhere may allow them) whose request does not
/// come through the endpoint (its VPC, with `by_vpc`). Exempt, as in AWS's data
/// perimeter policies: a service principal's own request (`aws:PrincipalIsAWSService`)
/// and a service's request for the caller (`aws:ViaAWSService`: a key used by S3 for
/// the caller, CloudFormation with the deployer's credentials), which come from the
/// service's network, not the caller's.
fn not_through(
    name: &str,
    actions: &[&str],
    resources: Vec<ResourceEntry>,
    e: &Endpoint,
    by_vpc: bool,
) -> Result<Statement, ConstructError> {
    let mut s = Statement::new(Effect::Deny, actions.iter().copied())
        .map_err(ConstructError::from)?
        .sid(&format!("{name}OnlyThroughEndpoint"))
        .principal(Principal::Any);
    for r in resources {
        s = s.resource(r);
    }
    let (key, value) = if by_vpc {
        ("aws:SourceVpc", e.vpc.clone())
    } else {
        ("aws:SourceVpce", e.handle.reference())
    };
    let if_exists = ConditionOperator {
        if_exists: true,
        ..ConditionOperator::new(Op::Bool)
    };
    Ok(s.condition(
        ConditionOperator::new(Op::StringNotEquals),
        key,
        vec![value],
    )
    .condition(
        if_exists,
        "aws:PrincipalIsAWSService",
        vec![Str::from("false")],
    )
    .condition(if_exists, "aws:ViaAWSService", vec![Str::from("false")]))
}

/// Where a resource's own policy lives: the resource and the property path of its
/// document (`["PolicyDocument"]` of an `AWS::S3::BucketPolicy`, `["KeyPolicy"]` of a key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourcePolicy {
    /// The logical id of the resource holding the document.
    pub holder: String,
    pub path: &'static [&'static str],
    /// How the document names the resource itself: a key policy says `*` (naming the
    /// key's own ARN would be a circular reference).
    pub resource: Option<&'static str>,
    /// Names the endpoint's VPC (`aws:SourceVpc`) rather than the endpoint: where the
    /// resource holds the document itself, the endpoint's policy names the resource and
    /// naming the endpoint back would be a circular reference.
    pub by_vpc: bool,
}

/// The key a resource's data is encrypted with, which a grant on the resource uses too:
/// only by way of the resource's service (`kms:ViaService`), which calls KMS for the
/// caller (so not through the caller's endpoint: no `aws:SourceVpce` on it).
#[derive(Debug, Clone)]
pub struct KeyUse {
    /// The key's ARN.
    pub key: Str,
    /// The service calling KMS for the caller: `dynamodb`, `s3`, `sqs`...
    pub service: &'static str,
    /// Writes need data keys made (`GenerateDataKey`) beside decryption.
    pub write: bool,
}

/// A resource a grant is on: as the template names it, as a scenario does
/// (`${Orders.Arn}`), and its type in the IAM catalog (`table`), so that each action's
/// scenario calls it on a resource of the type it acts on.
#[derive(Debug, Clone)]
pub struct Target {
    pub value: Str,
    pub sample: String,
    pub resource_type: &'static str,
}

impl Target {
    pub fn new(value: Str, sample: String, resource_type: &'static str) -> Target {
        Target {
            value,
            sample,
            resource_type,
        }
    }
}

/// A grant being made: `role` allowed `actions` on resources, through an endpoint when
/// one is named. The data constructs make it (`table.grant_read_write(&role)`); the
/// stack writes it ([`Stack::grant`]).
///
/// What it writes: the role's identity statement (in the role's policy `<Role>Grants`),
/// with `aws:SourceVpce` when it goes through an endpoint; the endpoint policy's statement
/// admitting the role to those actions on those resources; where the resource has a
/// policy of its own, a statement there allowing the role the same. And what it means, as
/// data check reads ([`Stack::intent`]): the role's call through the endpoint allowed,
/// without it refused, another role's refused.
#[derive(Debug, Clone)]
pub struct Access {
    /// Names the statements (`OrdersReadWrite`): letters and digits.
    pub name: String,
    pub role: Handle<Role>,
    /// The slices of the IAM catalog it allows; the first action of each is the one
    /// its scenarios call.
    pub permissions: Vec<Permission>,
    /// What it is on.
    pub resources: Vec<Target>,
    pub resource_policy: Option<ResourcePolicy>,
    pub through: Option<Endpoint>,
    /// The key of the resource's data, when it is a key of the stack.
    pub key: Option<KeyUse>,
}

impl Access {
    /// A grant of `permissions` on `resources` to `role`, named `name`.
    pub fn new(
        name: impl Into<String>,
        role: &Handle<Role>,
        permissions: Vec<Permission>,
        resources: Vec<Target>,
    ) -> Access {
        Access {
            name: name.into(),
            role: role.clone(),
            permissions,
            resources,
            resource_policy: None,
            through: None,
            key: None,
        }
    }

    /// Also the use of the key the resource's data is encrypted with, if any.
    pub fn key_use(mut self, key: Option<KeyUse>) -> Access {
        self.key = key;
        self
    }

    /// Also in the resource's own policy.
    pub fn resource_policy(mut self, policy: ResourcePolicy) -> Access {
        self.resource_policy = Some(policy);
        self
    }

    /// Only through `endpoint`: the identity statement requires it, and its policy admits
    /// the role.
    pub fn through(mut self, endpoint: &Endpoint) -> Access {
        self.through = Some(endpoint.clone());
        self
    }
}

/// Who calls in an expected outcome of a grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Who {
    /// The role of the stack, by logical id.
    Role(String),
    /// Another role of the account, allowed everything by its own policies.
    AnotherRole,
}

/// One call and the outcome a grant means it to have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub name: String,
    pub who: Who,
    pub action: String,
    /// The resource's ARN, `${Id}` / `${Id.Attr}` for what the template makes.
    pub resource: String,
    /// Through this endpoint (logical id); `None`: through none.
    pub endpoint: Option<String>,
    pub allowed: bool,
}

/// What must hold of every call, not only the sampled ones: only `role` is granted
/// `actions` on `resources`, and only through `through`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub role: String,
    pub actions: Vec<String>,
    pub resources: Vec<String>,
    /// The endpoint (logical id) every such call goes through.
    pub through: Option<String>,
}

/// What a stack's grants mean: the calls to try and the claims to prove.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Intent {
    pub expected: Vec<Expected>,
    pub claims: Vec<Claim>,
}

impl Stack {
    /// Writes a grant (see [`Access`]).
    pub fn grant(&mut self, a: Access) -> Result<(), ConstructError> {
        if a.name.is_empty() || !a.name.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(ConstructError::Invalid(format!(
                "grant {:?}: a name of letters and digits",
                a.name
            )));
        }
        if a.resources.is_empty() {
            return Err(ConstructError::Invalid(format!(
                "grant {}: name the resources it is for",
                a.name
            )));
        }
        let all = super::permissions::actions_of(&a.permissions)?;
        // Each slice's first action, called on the first resource of its type.
        let probes = a
            .permissions
            .iter()
            .map(|p| {
                let on = a
                    .resources
                    .iter()
                    .find(|r| r.resource_type == p.resource_type)
                    .unwrap_or(&a.resources[0]);
                Ok((p.actions()?.remove(0), on.sample.clone()))
            })
            .collect::<Result<Vec<_>, ConstructError>>()?;
        if let Some(e) = &a.through {
            let prefix = e.iam_prefix();
            if let Some(other) = all
                .iter()
                .find(|x| x.split(':').next() != Some(prefix.as_str()))
            {
                return Err(ConstructError::Invalid(format!(
                    "grant {}: the endpoint {} serves {prefix}, not {other}",
                    a.name,
                    e.id()
                )));
            }
        }
        let actions: Vec<&str> = all.iter().map(String::as_str).collect();
        let entries = || {
            a.resources
                .iter()
                .map(|r| ResourceEntry::from(r.value.clone()))
                .collect::<Vec<_>>()
        };
        let condition = |s: Statement, by_vpc: bool| match &a.through {
            Some(e) if by_vpc => s.condition(
                ConditionOperator::new(Op::StringEquals),
                "aws:SourceVpc",
                vec![e.vpc.clone()],
            ),
            Some(e) => s.condition(
                ConditionOperator::new(Op::StringEquals),
                "aws:SourceVpce",
                vec![e.handle.reference()],
            ),
            None => s,
        };
        let role_id = a.role.logical_id().as_str().to_string();
        let identity = condition(allow(&a.name, &actions, entries())?, false);
        let policy = format!("{role_id}Grants");
        if self.has(&policy) {
            self.add_statement(&policy, &["PolicyDocument"], identity)?;
        } else {
            self.add(
                &policy,
                Policy::new(PolicyDocument::new(vec![identity]), policy.as_str())
                    .roles(List::Items(vec![a.role.reference()])),
            )?;
        }
        if let Some(k) = &a.key {
            let names: &'static [&'static str] = if k.write {
                &["Decrypt", "GenerateDataKey"]
            } else {
                &["Decrypt"]
            };
            let kms = Permission {
                service: "kms",
                resource_type: "key",
                level: crate::iam::catalog::AccessLevel::Write,
                select: super::permissions::Select::Named(names),
            }
            .actions()?;
            let kms: Vec<&str> = kms.iter().map(String::as_str).collect();
            let s = allow(&format!("{}Key", a.name), &kms, vec![k.key.clone().into()])?.condition(
                ConditionOperator::new(Op::StringEquals),
                "kms:ViaService",
                vec![crate::template::typed::fns::sub(&format!(
                    "{}.${{AWS::Region}}.amazonaws.com",
                    k.service
                ))],
            );
            self.add_statement(&policy, &["PolicyDocument"], s)?;
        }
        if let Some(e) = &a.through {
            let s = e.admit_statement(&a.name, a.role.arn(), &actions, entries())?;
            self.add_statement(e.id(), &["PolicyDocument"], s)?;
        }
        if let Some(rp) = &a.resource_policy {
            let resources = match rp.resource {
                Some(r) => vec![ResourceEntry::Arn(r.parse().map_err(ConstructError::from)?)],
                None => entries(),
            };
            let s = allow(&a.name, &actions, resources.clone())?
                .principal(Principal::aws(a.role.arn()));
            let s = condition(s, rp.by_vpc);
            self.add_statement(&rp.holder, rp.path, s)?;
            if let Some(e) = &a.through {
                let deny = not_through(&a.name, &actions, resources, e, rp.by_vpc)?;
                self.add_statement(&rp.holder, rp.path, deny)?;
            }
        }
        let endpoint = a.through.as_ref().map(|e| e.id().to_string());
        let intent = self.intent_mut();
        for (probe, resource) in &probes {
            let row = |name: String, who, endpoint: Option<String>, allowed| Expected {
                name,
                who,
                action: probe.clone(),
                resource: resource.clone(),
                endpoint,
                allowed,
            };
            let role = || Who::Role(role_id.clone());
            match &endpoint {
                Some(e) => intent.expected.extend([
                    row(
                        format!("{role_id} {probe} through {e}"),
                        role(),
                        Some(e.clone()),
                        true,
                    ),
                    row(
                        format!("{role_id} {probe} without an endpoint"),
                        role(),
                        None,
                        false,
                    ),
                    row(
                        format!("another role {probe} through {e}"),
                        Who::AnotherRole,
                        Some(e.clone()),
                        false,
                    ),
                ]),
                None => intent
                    .expected
                    .push(row(format!("{role_id} {probe}"), role(), None, true)),
            }
        }
        intent.claims.push(Claim {
            role: role_id,
            actions: all.clone(),
            resources: a.resources.iter().map(|r| r.sample.clone()).collect(),
            through: endpoint,
        });
        Ok(())
    }
}
