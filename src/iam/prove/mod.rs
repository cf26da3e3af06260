//! A decision procedure for the IAM policy language: whether some request (principal,
//! action, resource, context values) exists that policies allow, for every request, not
//! a sample, with the request as a witness when one does.
//!
//! How: every test the evaluator makes on a request is an "atom" on one dimension of it
//! (see [`domain`]); for each dimension the prover computes one value of every class of
//! values the atoms tell apart (globs by automata, numbers, dates and IP ranges by their
//! boundaries), so the product of those values meets every combination of atom outcomes
//! any request can produce. Walking that product with the concrete evaluator as the
//! predicate decides the question: "holds" is a proof, "fails" comes with a request the
//! evaluator (re-run on the witness as written out) decides as claimed, and constructs
//! beyond the model are "unknown: why".
//!
//! The model: actions are any strings (the action catalog does not restrict them yet);
//! the principal's ARN is the one context key derived from the request
//! (`aws:PrincipalArn`); every other key is free: absent, or one value, or (for a key some
//! policy compares with `ForAnyValue:`/`ForAllValues:`) any set of values.

mod domain;
mod lang;
mod perimeter;
#[cfg(test)]
mod perimeter_tests;
mod search;
#[cfg(test)]
mod tests;

use serde_json::{Value as Json, json};

use self::domain::Atoms;
pub use self::perimeter::{
    identity_perimeter, only_principals, only_resources, only_through_endpoints,
};
use self::search::{Found, search};
use super::{
    Action, Arn, Bindings, ConditionOperator, Decision, Effect, NamedPolicy, Op, PolicyDocument,
    PolicyKind, PolicySet, Request, applies, arn_like,
};
use crate::template::typed::ToValue;

/// The policies whose decision a question is about.
#[derive(Debug, Clone)]
pub enum Policies {
    /// Identity policies with their filters (boundary, VPC endpoint policy, SCPs), decided
    /// by [`PolicySet::evaluate`]. A resource-based policy in the set is not supported.
    Set(Box<PolicySet>),
    /// A resource-based (or endpoint) policy on its own: it allows a request when an
    /// `Allow` statement applies to it and no `Deny` does.
    Resource(PolicyKind, String, PolicyDocument),
}

impl Policies {
    /// Whether the policies allow the request: the concrete evaluator's answer.
    pub fn allows(&self, req: &Request, b: &Bindings) -> bool {
        match self {
            Policies::Set(s) => s.evaluate(req, b).decision == Decision::Allow,
            Policies::Resource(kind, _, doc) => {
                let any = |e: Effect| {
                    doc.statements
                        .iter()
                        .any(|s| s.effect == e && applies(*kind, s, req, b))
                };
                any(Effect::Allow) && !any(Effect::Deny)
            }
        }
    }

    fn docs(&self) -> Vec<(PolicyKind, &PolicyDocument)> {
        match self {
            Policies::Set(s) => s
                .identity
                .iter()
                .map(|(_, d)| (PolicyKind::Identity, d))
                .chain(
                    s.boundary
                        .iter()
                        .map(|(_, d)| (PolicyKind::PermissionsBoundary, d)),
                )
                .chain(
                    s.vpc_endpoint
                        .iter()
                        .map(|(_, d)| (PolicyKind::VpcEndpoint, d)),
                )
                .chain(s.session.iter().map(|(_, d)| (PolicyKind::Session, d)))
                .chain(s.scps.iter().flatten().map(|(_, d)| (PolicyKind::Scp, d)))
                .chain(s.rcps.iter().flatten().map(|(_, d)| (PolicyKind::Rcp, d)))
                .collect(),
            Policies::Resource(kind, _, d) => vec![(*kind, d)],
        }
    }

    fn atoms(&self, atoms: &mut Atoms, b: &Bindings) -> Result<(), String> {
        if let Policies::Set(s) = self
            && s.resource.is_some()
        {
            return Err(
                "a resource-based policy together with identity policies (the cross-account rule) is not modelled"
                    .into(),
            );
        }
        for (kind, doc) in self.docs() {
            for s in &doc.statements {
                atoms.statement(kind, s, b)?;
            }
        }
        Ok(())
    }

    /// The witness file's policy fields.
    fn witness_fields(&self, out: &mut serde_json::Map<String, Json>) {
        let doc = |d: &PolicyDocument| -> Json {
            serde_json::from_str(&crate::template::value_to_json(&d.to_value()))
                .expect("a policy written as JSON reads back")
        };
        match self {
            Policies::Set(s) => {
                out.insert(
                    "identity_policies".into(),
                    s.identity.iter().map(|(_, d)| doc(d)).collect(),
                );
                if let Some((_, d)) = &s.boundary {
                    out.insert("permission_boundary".into(), doc(d));
                }
                if let Some((_, d)) = &s.session {
                    out.insert("session_policy".into(), doc(d));
                }
                if !s.vpc_endpoint.is_empty() {
                    out.insert(
                        "vpc_endpoint_policies".into(),
                        s.vpc_endpoint.iter().map(|(_, d)| doc(d)).collect(),
                    );
                }
                let levels = |levels: &[Vec<NamedPolicy>]| -> Json {
                    levels
                        .iter()
                        .map(|level| level.iter().map(|(_, d)| doc(d)).collect::<Json>())
                        .collect()
                };
                if !s.scps.is_empty() {
                    out.insert("scps".into(), levels(&s.scps));
                }
                if !s.rcps.is_empty() {
                    out.insert("rcps".into(), levels(&s.rcps));
                }
            }
            Policies::Resource(PolicyKind::VpcEndpoint, _, d) => {
                out.insert("vpc_endpoint_policies".into(), Json::Array(vec![doc(d)]));
            }
            Policies::Resource(_, _, d) => {
                out.insert("resource_policy".into(), doc(d));
            }
        }
    }
}

/// A request that shows a property fails, in `perimeter simulate`'s request format.
#[derive(Debug, Clone)]
pub struct Witness {
    pub request: Request,
    /// The request file: principal, action, resource, context and the policies.
    pub file: Json,
}

/// The answer to a question.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The property holds for every request (the space walked had `requests` kinds).
    Holds { requests: u64 },
    /// It fails; the witness shows how.
    Fails(Witness),
    /// Beyond the prover: why.
    Unknown(String),
}

impl Outcome {
    /// `pass`, `fail` or `unknown`.
    pub fn result(&self) -> &'static str {
        match self {
            Outcome::Holds { .. } => "pass",
            Outcome::Fails(_) => "fail",
            Outcome::Unknown(_) => "unknown",
        }
    }
}

/// A witness the concrete evaluator does not decide as the prover claimed: a bug.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InternalError(pub String);

impl std::fmt::Display for InternalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "internal error in the prover: {}", self.0)
    }
}

/// Finds a request `accept` takes in the space the atoms span; the witness shows it with
/// the policies `shown`, and `holds` must accept it again when read back from its file,
/// policies included.
fn decide(
    atoms: &Atoms,
    shown: &Policies,
    accept: impl Fn(&Request) -> bool,
    holds: impl Fn(&Request, &Policies) -> bool,
) -> Result<Outcome, InternalError> {
    let space = match atoms.space() {
        Ok(s) => s,
        Err(why) => return Ok(Outcome::Unknown(why)),
    };
    match search(&space, &accept) {
        Err(why) => Ok(Outcome::Unknown(why)),
        Ok(Found::None { tried }) => Ok(Outcome::Holds { requests: tried }),
        Ok(Found::Request(req, context)) => {
            let mut file = serde_json::Map::new();
            file.insert("principal".into(), json!(req.principal));
            file.insert("action".into(), json!(req.action));
            file.insert("resource".into(), json!(req.resource));
            let mut ctx = serde_json::Map::new();
            for (k, v) in &context {
                ctx.insert(k.clone(), if v.len() == 1 { json!(v[0]) } else { json!(v) });
            }
            file.insert("context".into(), Json::Object(ctx));
            shown.witness_fields(&mut file);
            let file = Json::Object(file);
            let (r, p) = read_request(&file)
                .and_then(|r| Ok((r, read_policies(&file, shown)?)))
                .map_err(|e| {
                    InternalError(format!("the witness does not read back: {e}: {file}"))
                })?;
            if !holds(&r, &p) {
                return Err(InternalError(format!(
                    "the evaluator does not decide the witness as claimed: {file}"
                )));
            }
            Ok(Outcome::Fails(Witness { request: req, file }))
        }
    }
}

/// Reads the request of a witness file (principal, action, resource, context).
pub fn read_request(file: &Json) -> Result<Request, String> {
    let s = |k: &str| {
        file.get(k)
            .and_then(Json::as_str)
            .ok_or_else(|| format!("{k}: expected a string"))
    };
    let mut req = Request::new(s("principal")?, s("action")?, s("resource")?);
    if let Some(ctx) = file.get("context").and_then(Json::as_object) {
        for (k, v) in ctx {
            let vals: Vec<String> = match v {
                Json::String(x) => vec![x.clone()],
                Json::Array(xs) => xs
                    .iter()
                    .map(|x| x.as_str().map(str::to_string))
                    .collect::<Option<_>>()
                    .ok_or_else(|| format!("context.{k}: expected strings"))?,
                _ => return Err(format!("context.{k}: expected a string or strings")),
            };
            req.context.insert(k.to_ascii_lowercase(), vals);
        }
    }
    Ok(req)
}

/// Reads the policies of a witness file back (for the check of a witness).
fn read_policies(file: &Json, like: &Policies) -> Result<Policies, String> {
    let doc = |v: &Json| -> Result<PolicyDocument, String> {
        let value = crate::template::parse_value(&v.to_string()).map_err(|e| e.to_string())?;
        PolicyDocument::from_value(&value).map_err(|e| e.to_string())
    };
    let docs = |k: &str| -> Result<Vec<PolicyDocument>, String> {
        file.get(k)
            .and_then(Json::as_array)
            .map_or(Ok(Vec::new()), |xs| xs.iter().map(doc).collect())
    };
    Ok(match like {
        Policies::Set(_) => {
            let mut s = PolicySet::default();
            for (i, d) in docs("identity_policies")?.into_iter().enumerate() {
                s = s.identity(&format!("identity_policies[{i}]"), d);
            }
            if let Some(b) = file.get("permission_boundary") {
                s = s.boundary("permission_boundary", doc(b)?);
            }
            if let Some(e) = docs("vpc_endpoint_policies")?.into_iter().next() {
                s = s.vpc_endpoint("vpc_endpoint_policies[0]", e);
            }
            for (i, d) in docs("scps")?.into_iter().enumerate() {
                s = s.scp(&format!("scps[{i}]"), d);
            }
            Policies::Set(Box::new(s))
        }
        Policies::Resource(PolicyKind::VpcEndpoint, n, _) => Policies::Resource(
            PolicyKind::VpcEndpoint,
            n.clone(),
            docs("vpc_endpoint_policies")?
                .into_iter()
                .next()
                .ok_or("vpc_endpoint_policies: missing")?,
        ),
        Policies::Resource(kind, n, _) => Policies::Resource(
            *kind,
            n.clone(),
            doc(file
                .get("resource_policy")
                .ok_or("resource_policy: missing")?)?,
        ),
    })
}

/// Does `new` allow a request `old` does not? Holds when it allows nothing more.
pub fn no_new_access(
    old: &Policies,
    new: &Policies,
    b: &Bindings,
) -> Result<Outcome, InternalError> {
    let mut atoms = Atoms::default();
    for p in [old, new] {
        if let Err(why) = p.atoms(&mut atoms, b) {
            return Ok(Outcome::Unknown(why));
        }
    }
    decide(
        &atoms,
        new,
        |r| new.allows(r, b) && !old.allows(r, b),
        |r, shown| shown.allows(r, b) && !old.allows(r, b),
    )
}

/// Does the policy grant any of `actions` (patterns), on any of `resources` (ARN
/// patterns; all resources when empty)? Holds when it grants none.
pub fn access_not_granted(
    p: &Policies,
    actions: &[Action],
    resources: &[Arn],
    b: &Bindings,
) -> Result<Outcome, InternalError> {
    let mut atoms = Atoms::default();
    if let Err(why) = p.atoms(&mut atoms, b) {
        return Ok(Outcome::Unknown(why));
    }
    for a in actions {
        atoms.action_pattern(a.as_str());
    }
    for r in resources {
        atoms.resource_pattern(r.as_str());
    }
    let asked = |r: &Request| {
        actions.iter().any(|a| a.matches(&r.action))
            && (resources.is_empty() || resources.iter().any(|x| x.matches(&r.resource)))
    };
    decide(
        &atoms,
        p,
        |r| asked(r) && p.allows(r, b),
        |r, shown| asked(r) && shown.allows(r, b),
    )
}

/// Who counts as inside for [`no_public_access`].
#[derive(Debug, Clone, Default)]
pub struct Trusted {
    /// Accounts (12 digits).
    pub accounts: Vec<String>,
    /// Organization ids (`aws:PrincipalOrgID`).
    pub orgs: Vec<String>,
    /// VPC endpoint ids (`aws:SourceVpce`).
    pub vpces: Vec<String>,
}

/// The resource ARNs a resource policy of a CloudFormation type governs.
pub fn resource_shape(resource_type: &str) -> Option<&'static str> {
    Some(match resource_type {
        "AWS::S3::Bucket" => "arn:*:s3:::*",
        "AWS::KMS::Key" => "arn:*:kms:*:*:key/*",
        "AWS::SQS::Queue" => "arn:*:sqs:*:*:*",
        "AWS::SNS::Topic" => "arn:*:sns:*:*:*",
        "AWS::Lambda::Function" => "arn:*:lambda:*:*:function:*",
        "AWS::SecretsManager::Secret" => "arn:*:secretsmanager:*:*:secret:*",
        "AWS::IAM::Role" => "arn:*:iam::*:role/*",
        "AWS::EC2::VPCEndpoint" => "*",
        _ => return None,
    })
}

/// The CloudFormation types [`resource_shape`] knows.
pub const RESOURCE_TYPES: &[&str] = &[
    "AWS::S3::Bucket",
    "AWS::KMS::Key",
    "AWS::SQS::Queue",
    "AWS::SNS::Topic",
    "AWS::Lambda::Function",
    "AWS::SecretsManager::Secret",
    "AWS::IAM::Role",
    "AWS::EC2::VPCEndpoint",
];

const ORG_KEY: &str = "aws:principalorgid";
const ACCOUNT_KEY: &str = "aws:principalaccount";
const VPCE_KEY: &str = "aws:sourcevpce";

/// Does a resource (or endpoint) policy admit a principal outside the trusted accounts,
/// organizations and endpoints, on a resource of `shape` ([`resource_shape`])? Outside:
/// an ARN principal of an account not trusted, whose `aws:PrincipalAccount`,
/// `aws:PrincipalOrgID` and `aws:SourceVpce` (when present) are not trusted either.
pub fn no_public_access(
    p: &Policies,
    shape: &str,
    trusted: &Trusted,
    b: &Bindings,
) -> Result<Outcome, InternalError> {
    let mut atoms = Atoms::default();
    if let Err(why) = p.atoms(&mut atoms, b) {
        return Ok(Outcome::Unknown(why));
    }
    atoms.resource_pattern(shape);
    atoms.principal.extend(lang::Pattern::arn("arn:*:*:*:*:*"));
    atoms.principal_account("");
    for a in &trusted.accounts {
        atoms.principal_account(a);
    }
    // Only keys the policy tests need the trusted values as atoms: for any other key,
    // absence (which is outside) is as good as any value.
    let eq = ConditionOperator::new(Op::StringEquals);
    for (key, vals) in [
        (ACCOUNT_KEY, &trusted.accounts),
        (ORG_KEY, &trusted.orgs),
        (VPCE_KEY, &trusted.vpces),
    ] {
        if atoms.keys.contains_key(key)
            && let Err(why) = atoms.condition(eq, key, vals)
        {
            return Ok(Outcome::Unknown(why));
        }
    }
    let outside = |r: &Request| {
        let account = r.principal.split(':').nth(4).unwrap_or("");
        let untrusted = |key: &str, set: &[String]| {
            r.context
                .get(key)
                .is_none_or(|vs| vs.iter().all(|v| !set.contains(v)))
        };
        arn_like("arn:*:*:*:*:*", &r.principal)
            && !account.is_empty()
            && !trusted.accounts.iter().any(|a| a == account)
            && untrusted(ACCOUNT_KEY, &trusted.accounts)
            && untrusted(ORG_KEY, &trusted.orgs)
            && untrusted(VPCE_KEY, &trusted.vpces)
            && arn_like(shape, &r.resource)
    };
    decide(
        &atoms,
        p,
        |r| outside(r) && p.allows(r, b),
        |r, shown| outside(r) && shown.allows(r, b),
    )
}

/// The resource perimeter of an endpoint (or any) policy: does it allow a request on a
/// resource outside the trusted accounts? A resource is inside when its ARN's account is
/// trusted, or, for an ARN without an account (S3 buckets, AWS-owned resources such as
/// foundation models), when one of `named` (ARN patterns naming resources exactly)
/// matches it. Holds when every allowed request stays inside.
pub fn resource_perimeter(
    p: &Policies,
    accounts: &[String],
    named: &[String],
    b: &Bindings,
) -> Result<Outcome, InternalError> {
    let mut atoms = Atoms::default();
    if let Err(why) = p.atoms(&mut atoms, b) {
        return Ok(Outcome::Unknown(why));
    }
    for pattern in lang::Pattern::field(4, "")
        .into_iter()
        .chain(accounts.iter().flat_map(|a| lang::Pattern::field(4, a)))
    {
        atoms.resource.push(pattern);
    }
    for n in named {
        atoms.resource_pattern(n);
    }
    let outside = |r: &Request| {
        let account = r.resource.split(':').nth(4).unwrap_or("");
        if account.is_empty() {
            !named.iter().any(|n| arn_like(n, &r.resource))
        } else {
            !accounts.iter().any(|a| a == account)
        }
    };
    decide(
        &atoms,
        p,
        |r| outside(r) && p.allows(r, b),
        |r, shown| outside(r) && shown.allows(r, b),
    )
}

/// The ARN patterns of a policy that name AWS-owned or account-less resources exactly:
/// no account, and no wildcard in the resource part (a wildcard region is allowed).
pub fn named_exactly(p: &PolicyDocument, b: &Bindings) -> Vec<String> {
    let mut out = Vec::new();
    for s in &p.statements {
        let Some(super::Negatable::Is(rs)) = &s.resource else {
            continue;
        };
        for e in rs {
            let text = match e {
                super::ResourceEntry::Arn(a) => Some(a.as_str().to_string()),
                super::ResourceEntry::Expr(v) => b.resolve(v),
            };
            let Some(t) = text else { continue };
            let parts: Vec<&str> = t.splitn(6, ':').collect();
            if let [_, _, _, _, "", resource] = parts.as_slice()
                && !resource.contains(['*', '?'])
                && !out.contains(&t)
            {
                out.push(t);
            }
        }
    }
    out
}
