//! Perimeter questions beyond the three checks of Access Analyzer: whether policies allow
//! some request of given actions that comes from outside a network (no listed endpoint
//! or VPC), from a principal not listed, or on a resource not listed. Each is "is some
//! request allowed that lies outside?", decided over the same space as the other
//! questions, with a witness the evaluator re-decides.

use super::domain::Atoms;
use super::{Asked, InternalError, Outcome, Policies, decide, memo};
use crate::iam::{
    Action, ArnPatterns, Bindings, Caller, ConditionOperator, Op, PolicyKind, Request, arn_like,
};

const VPCE_KEY: &str = "aws:sourcevpce";
const VPC_KEY: &str = "aws:sourcevpc";
const VIA_SERVICE_KEY: &str = "aws:viaawsservice";
const KMS_VIA_SERVICE_KEY: &str = "kms:viaservice";
const ORG_KEY: &str = "aws:principalorgid";
const PRINCIPAL_ARN_KEY: &str = "aws:principalarn";
const SOURCE_ACCOUNT_KEY: &str = "aws:sourceaccount";
const SOURCE_ARN_KEY: &str = "aws:sourcearn";
const SOURCE_ORG_KEY: &str = "aws:sourceorgid";

/// Is some request the policies allow, of one of `actions` (on a resource one of `on`
/// matches, when `on` is not empty), for which `outside` holds? `more` adds the atoms
/// the predicate tests beyond the policies' own.
fn allowed_outside(
    p: &Policies,
    actions: &[Action],
    on: &[String],
    b: &Bindings,
    more: impl FnOnce(&mut Atoms) -> Result<(), String>,
    outside: impl Fn(&Request) -> bool,
) -> Result<Outcome, InternalError> {
    let mut atoms = Atoms::default();
    if let Err(why) = p
        .atoms_asked(&mut atoms, b, Some(actions))
        .and_then(|()| more(&mut atoms))
    {
        return Ok(Outcome::Unknown(why));
    }
    for a in actions {
        atoms.action_pattern(a.as_str());
    }
    for r in on {
        atoms.resource_pattern(r);
    }
    let on_patterns = ArnPatterns::new(on.iter().map(String::as_str));
    let asked = |r: &Request| {
        actions.iter().any(|a| a.matches(&r.action))
            && (on.is_empty() || on_patterns.any_matches(&r.resource))
            && outside(r)
    };
    let q = Asked::new(p);
    decide(
        &atoms,
        &[p],
        &[],
        b,
        |r| asked(r) && q.allows(r, b),
        &q,
        |r, shown| asked(r) && shown.allows(r, b),
    )
}

/// Makes the trusted values of a key atoms, when some policy tests the key (for any
/// other key, absence, which is outside, is as good as any value).
fn trusted_values(atoms: &mut Atoms, key: &str, values: &[String]) -> Result<(), String> {
    if values.is_empty() || !atoms.keys.contains_key(key) {
        return Ok(());
    }
    atoms.condition(ConditionOperator::new(Op::StringEquals), key, values)
}

/// Whether the request's `key` holds none of `trusted` (absent counts as none).
fn none_of(r: &Request, key: &str, trusted: &[String]) -> bool {
    r.context
        .get(key)
        .is_none_or(|vs| vs.iter().all(|v| !trusted.contains(v)))
}

/// The network perimeter: do the policies allow a request of `actions` that comes
/// through none of the endpoints `vpces` (`aws:SourceVpce`) and from none of the VPCs
/// `vpcs` (`aws:SourceVpc`)? Holds when every such grant holds only through them.
///
/// A request an AWS service makes on the caller's behalf (`aws:ViaAWSService` true)
/// does not come through the caller's network; it counts as inside, as in AWS's data
/// perimeter policies.
pub fn only_through_endpoints(
    p: &Policies,
    actions: &[Action],
    vpces: &[String],
    vpcs: &[String],
    b: &Bindings,
) -> Result<Outcome, InternalError> {
    only_through_endpoints_on(p, actions, &[], vpces, vpcs, b)
}

/// [`only_through_endpoints`] for requests on the resources `on` (ARN patterns) only:
/// what a grant on those resources claims.
pub fn only_through_endpoints_on(
    p: &Policies,
    actions: &[Action],
    on: &[String],
    vpces: &[String],
    vpcs: &[String],
    b: &Bindings,
) -> Result<Outcome, InternalError> {
    let acts: Vec<&str> = actions.iter().map(Action::as_str).collect();
    match memo::canon("through-endpoints", &[p], &acts, &[on, vpces, vpcs], b) {
        Some(c) => c.answer(|c| {
            let [on, vpces, vpcs] = &c.lists[..] else {
                unreachable!("three lists")
            };
            through_now(&c.policies[0], actions, on, vpces, vpcs, &Bindings::new())
        }),
        None => through_now(p, actions, on, vpces, vpcs, b),
    }
}

fn through_now(
    p: &Policies,
    actions: &[Action],
    on: &[String],
    vpces: &[String],
    vpcs: &[String],
    b: &Bindings,
) -> Result<Outcome, InternalError> {
    allowed_outside(
        p,
        actions,
        on,
        b,
        |atoms| {
            trusted_values(atoms, VPCE_KEY, vpces)?;
            trusted_values(atoms, VPC_KEY, vpcs)
        },
        |r| {
            none_of(r, VPCE_KEY, vpces)
                && none_of(r, VPC_KEY, vpcs)
                && none_of(r, VIA_SERVICE_KEY, &["true".to_string()])
                // KMS sets kms:ViaService only on a request an integrated service makes
                // for the caller: it comes from the service, not the caller's network.
                && !r.context.contains_key(KMS_VIA_SERVICE_KEY)
        },
    )
}

/// The effective `aws:PrincipalArn` of a request: the context's, or the one AWS derives
/// from the caller (a role's session stands for its role).
fn principal_arn(r: &Request) -> Option<String> {
    match r.context.get(PRINCIPAL_ARN_KEY) {
        Some(vs) => vs.first().cloned(),
        None => Caller::parse(&r.principal).and_then(|c| c.principal_arn()),
    }
}

/// Only listed callers: does the policy allow a request of `actions` by a principal
/// that is none of `arns` (role, user or account root ARNs, matched as
/// `aws:PrincipalArn`, so a role's sessions count as the role) and belongs to none of
/// the organizations `orgs` (`aws:PrincipalOrgID`)? Holds when only listed callers
/// are allowed.
pub fn only_principals(
    p: &Policies,
    actions: &[Action],
    arns: &[String],
    orgs: &[String],
    b: &Bindings,
) -> Result<Outcome, InternalError> {
    only_principals_on(p, actions, &[], arns, orgs, b)
}

/// [`only_principals`] for requests on the resources `on` (ARN patterns) only: what a
/// grant on those resources claims of the endpoint it goes through.
pub fn only_principals_on(
    p: &Policies,
    actions: &[Action],
    on: &[String],
    arns: &[String],
    orgs: &[String],
    b: &Bindings,
) -> Result<Outcome, InternalError> {
    let acts: Vec<&str> = actions.iter().map(Action::as_str).collect();
    match memo::canon("only-principals", &[p], &acts, &[on, arns, orgs], b) {
        Some(c) => c.answer(|c| {
            let [on, arns, orgs] = &c.lists[..] else {
                unreachable!("three lists")
            };
            principals_now(&c.policies[0], actions, on, arns, orgs, &Bindings::new())
        }),
        None => principals_now(p, actions, on, arns, orgs, b),
    }
}

pub(super) fn principals_now(
    p: &Policies,
    actions: &[Action],
    on: &[String],
    arns: &[String],
    orgs: &[String],
    b: &Bindings,
) -> Result<Outcome, InternalError> {
    allowed_outside(
        p,
        actions,
        on,
        b,
        |atoms| {
            // The tests a Principal element naming the listed ARNs makes: the ARNs, their
            // accounts and their roles' sessions.
            if !arns.is_empty() {
                let doc = serde_json::json!({"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"AWS": arns}, "Action": "*", "Resource": "*"
                }]});
                let doc = crate::template::parse_value(&doc.to_string())
                    .map_err(|e| e.to_string())
                    .and_then(|v| {
                        crate::iam::PolicyDocument::from_value(&v).map_err(|e| e.to_string())
                    })
                    .map_err(|e| format!("a listed principal is no ARN: {e}"))?;
                for s in &doc.statements {
                    atoms.statement(PolicyKind::Resource, &doc.version, s, b)?;
                }
            }
            trusted_values(atoms, ORG_KEY, orgs)?;
            trusted_values(atoms, PRINCIPAL_ARN_KEY, arns)
        },
        |r| principal_arn(r).is_none_or(|a| !arns.contains(&a)) && none_of(r, ORG_KEY, orgs),
    )
}

/// Only listed resources: does the policy allow a request of `actions` on a resource
/// that none of `resources` (ARN patterns, `ArnLike` semantics) matches? Holds when
/// every allowed request is on a listed resource.
pub fn only_resources(
    p: &Policies,
    actions: &[Action],
    resources: &[String],
    b: &Bindings,
) -> Result<Outcome, InternalError> {
    let acts: Vec<&str> = actions.iter().map(Action::as_str).collect();
    match memo::canon("only-resources", &[p], &acts, &[resources], b) {
        Some(c) => {
            c.answer(|c| only_resources_now(&c.policies[0], actions, &c.lists[0], &Bindings::new()))
        }
        None => only_resources_now(p, actions, resources, b),
    }
}

fn only_resources_now(
    p: &Policies,
    actions: &[Action],
    resources: &[String],
    b: &Bindings,
) -> Result<Outcome, InternalError> {
    let allowed = ArnPatterns::new(resources.iter().map(String::as_str));
    allowed_outside(
        p,
        actions,
        &[],
        b,
        |atoms| {
            for r in resources {
                atoms.resource_pattern(r);
            }
            Ok(())
        },
        |r| !allowed.any_matches(&r.resource),
    )
}

/// The identity perimeter of a resource or endpoint policy: does it admit a principal
/// outside the trusted accounts, organizations and endpoints (as [`super::no_public_access`]
/// asks) on a resource that is none of `aws_owned` (ARN patterns of AWS-owned resources
/// the policy names exactly)? A request to an AWS-owned resource is made by whoever AWS
/// presigns it for (a CloudFormation response bucket, a package repository), so its
/// principal is not the account's; AWS's data perimeter examples leave those statements
/// open to any principal too.
///
/// A service principal (`sns.amazonaws.com`) acts for whichever account uses the
/// service: admitted without a condition on the account it acts for, it is a confused
/// deputy, through which any account's use of the service reaches in (IAM User Guide,
/// "The confused deputy problem"). So its request is outside unless its
/// `aws:SourceAccount`, the account of its `aws:SourceArn`, or its `aws:SourceOrgID`
/// (set only on a service principal's request, for the resource that caused it) is
/// trusted.
pub fn identity_perimeter(
    p: &Policies,
    trusted: &super::Trusted,
    aws_owned: &[String],
    b: &Bindings,
) -> Result<Outcome, InternalError> {
    admits_outside(p, trusted, "*", aws_owned, b)
}

/// [`identity_perimeter`] on the resources `shape` matches (`ArnLike`; `*`: all): what
/// both `check`'s perimeter and `perimeter prove no-public-access` ask, so the two agree
/// on who is outside. Asked once per canonical form ([`memo`]).
pub(super) fn admits_outside(
    p: &Policies,
    trusted: &super::Trusted,
    shape: &str,
    aws_owned: &[String],
    b: &Bindings,
) -> Result<Outcome, InternalError> {
    let shapes = [shape.to_string()];
    let lists: [&[String]; 5] = [
        &shapes,
        &trusted.accounts,
        &trusted.orgs,
        &trusted.vpces,
        aws_owned,
    ];
    let Some(c) = memo::canon("admits-outside", &[p], &[], &lists, b) else {
        return admits_outside_now(p, trusted, shape, aws_owned, b);
    };
    c.answer(|c| {
        let trusted = super::Trusted {
            accounts: c.lists[1].clone(),
            orgs: c.lists[2].clone(),
            vpces: c.lists[3].clone(),
        };
        admits_outside_now(
            &c.policies[0],
            &trusted,
            &c.lists[0][0],
            &c.lists[4],
            &Bindings::new(),
        )
    })
}

fn admits_outside_now(
    p: &Policies,
    trusted: &super::Trusted,
    shape: &str,
    aws_owned: &[String],
    b: &Bindings,
) -> Result<Outcome, InternalError> {
    let mut atoms = Atoms::default();
    if let Err(why) = p.atoms(&mut atoms, b) {
        return Ok(Outcome::Unknown(why));
    }
    if shape != "*" {
        atoms.resource_pattern(shape);
    }
    for n in aws_owned {
        atoms.resource_pattern(n);
    }
    atoms
        .principal
        .extend(super::lang::Pattern::arn("arn:*:*:*:*:*"));
    atoms.principal_account("");
    for a in &trusted.accounts {
        atoms.principal_account(a);
    }
    for (key, vals) in [
        (super::ACCOUNT_KEY, &trusted.accounts),
        (ORG_KEY, &trusted.orgs),
        (VPCE_KEY, &trusted.vpces),
        (SOURCE_ACCOUNT_KEY, &trusted.accounts),
        (SOURCE_ORG_KEY, &trusted.orgs),
    ] {
        if let Err(why) = trusted_values(&mut atoms, key, vals) {
            return Ok(Outcome::Unknown(why));
        }
    }
    // A source ARN of a trusted account, and one of any other, as classes of value.
    let trusted_arns: Vec<String> = trusted
        .accounts
        .iter()
        .map(|a| format!("arn:*:*:*:{a}:*"))
        .collect();
    if atoms.keys.contains_key(SOURCE_ARN_KEY)
        && let Err(why) = atoms.condition(
            ConditionOperator::new(Op::ArnLike),
            SOURCE_ARN_KEY,
            &trusted_arns,
        )
    {
        return Ok(Outcome::Unknown(why));
    }
    let aws_owned_patterns = ArnPatterns::new(aws_owned.iter().map(String::as_str));
    let outside = |r: &Request| {
        let from_outside = match Caller::parse(&r.principal) {
            Some(Caller::Service(_)) => {
                // A service principal is of no account or organization: a request of
                // one that carries a trusted aws:PrincipalOrgID or aws:PrincipalAccount
                // is not a request AWS makes, so it is no witness.
                none_of(r, ORG_KEY, &trusted.orgs)
                    && none_of(r, super::ACCOUNT_KEY, &trusted.accounts)
                    && none_of(r, SOURCE_ACCOUNT_KEY, &trusted.accounts)
                    && none_of(r, SOURCE_ORG_KEY, &trusted.orgs)
                    && r.context.get(SOURCE_ARN_KEY).is_none_or(|vs| {
                        !vs.iter()
                            .any(|v| trusted_arns.iter().any(|t| arn_like(t, v)))
                    })
            }
            // An anonymous caller is of no account at all: the most public request.
            // One carrying a trusted account or organization is not one AWS makes.
            Some(Caller::Anonymous) => {
                none_of(r, ORG_KEY, &trusted.orgs)
                    && none_of(r, super::ACCOUNT_KEY, &trusted.accounts)
            }
            _ => {
                let account = r.principal.split(':').nth(4).unwrap_or("");
                arn_like("arn:*:*:*:*:*", &r.principal)
                    && !account.is_empty()
                    && !trusted.accounts.iter().any(|a| a == account)
                    && none_of(r, super::ACCOUNT_KEY, &trusted.accounts)
                    && none_of(r, ORG_KEY, &trusted.orgs)
            }
        };
        from_outside
            && none_of(r, VPCE_KEY, &trusted.vpces)
            && arn_like(shape, &r.resource)
            && !aws_owned_patterns.any_matches(&r.resource)
    };
    let q = Asked::new(p);
    decide(
        &atoms,
        &[p],
        &[],
        b,
        |r| outside(r) && q.allows(r, b),
        &q,
        |r, shown| outside(r) && shown.allows(r, b),
    )
}
