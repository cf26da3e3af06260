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
//! The model: an action is any `prefix:Name` (the actions AWS may add included), each
//! class of them searched with an action the IAM catalog knows when it holds one, and
//! those first (see [`actions`]).
//! The principal is a caller of every form the evaluator reads (`Caller`): the account's
//! root user, an IAM user, a role and its sessions, a federated user, a service, an
//! anonymous caller (identity policies: only users, role sessions and federated users,
//! to whom they can be attached), in every partition, each class of callers the
//! policies tell apart searched with a real caller of it (the walk stays within each
//! form's ARN shape, so no class is empty). Keys derived from the caller
//! (`aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:username`, `aws:PrincipalType`,
//! `aws:PrincipalIsAWSService`) take the caller's values; every other key is free:
//! absent, or one value, or (for a key some policy compares with `ForAnyValue:`/
//! `ForAllValues:`) any set of values. Identity policies alone are asked as the
//! caller's side of a request: the resource's side is taken to trust the caller's
//! account, so a grant on another account's resource counts (see `Asked`).
//! Beyond the model ("unknown"): policy variables, a resource policy together with
//! identity policies, mixed value families on one key, conditions on
//! `aws:PrincipalServiceName`, and spaces past the search's limits.

mod actions;
mod domain;
mod lang;
mod memo;
pub(crate) mod par;
mod perimeter;
#[cfg(test)]
mod perimeter_tests;
mod search;
#[cfg(test)]
mod tests;
mod tokens;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Value as Json, json};

use self::domain::Atoms;
pub use self::par::par_map;
pub use self::perimeter::{
    identity_perimeter, only_principals, only_principals_on, only_resources,
    only_through_endpoints, only_through_endpoints_on,
};
use self::search::{Found, search};
use super::{
    Action, Arn, Bindings, Caller, Decision, Effect, Matcher, NamedPolicy, PolicyDocument,
    PolicyKind, PolicySet, Request,
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
            Policies::Set(s) => s.decision(req, b) == Decision::Allow,
            Policies::Resource(kind, _, doc) => {
                let m = Matcher::new(req, b);
                let any = |e: Effect| {
                    doc.statements
                        .iter()
                        .any(|s| s.effect == e && m.applies(*kind, s))
                };
                any(Effect::Allow) && !any(Effect::Deny)
            }
        }
    }

    /// [`Policies::allows`] with the principal read already: `caller` must be
    /// `Caller::parse(&req.principal)` (the search asks of a few principals many times).
    fn allows_as(&self, req: &Request, caller: Option<&Caller>, b: &Bindings) -> bool {
        match self {
            Policies::Set(s) => s.decision_as(req, caller, b) == Decision::Allow,
            Policies::Resource(kind, _, doc) => {
                let m = Matcher::with_caller(req, caller, b);
                let any = |e: Effect| {
                    doc.statements
                        .iter()
                        .any(|s| s.effect == e && m.applies(*kind, s))
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
        self.atoms_asked(atoms, b, None)
    }

    /// [`Policies::atoms`] for a question about requests of the `asked` actions only: a
    /// statement whose every action is of another service than every asked action never
    /// applies to such a request, so its tests tell apart no requests that matter and
    /// are left out of the space (most of a role's statements, for a question about one
    /// service). It is still read, so a construct beyond the prover in it leaves the
    /// answer "unknown" as before.
    fn atoms_asked(
        &self,
        atoms: &mut Atoms,
        b: &Bindings,
        asked: Option<&[Action]>,
    ) -> Result<(), String> {
        if let Policies::Set(s) = self {
            if s.resource.is_some() {
                return Err(
                    "a resource-based policy together with identity policies (the cross-account rule) is not modelled"
                        .into(),
                );
            }
            atoms.evaluated = true;
            atoms.scps |= !s.scps.is_empty();
            atoms.rcps |= !s.rcps.is_empty();
        }
        for (kind, doc) in self.docs() {
            for s in &doc.statements {
                let never = asked.is_some_and(|asked| {
                    !s.action.is_negated()
                        && s.action
                            .inner()
                            .iter()
                            .all(|a| asked.iter().all(|q| other_services(a.as_str(), q.as_str())))
                });
                if never {
                    let mut scratch = Atoms::default();
                    scratch.statement(kind, &doc.version, s, b)?;
                    atoms.any_caller |= scratch.any_caller;
                } else {
                    atoms.statement(kind, &doc.version, s, b)?;
                }
            }
        }
        Ok(())
    }

    /// Every statement with its kind, its conditions dropped, and the context keys its
    /// conditions read (lower case): only the keys of statements that apply to a request
    /// but for their conditions can change the decision on it.
    fn guards(&self) -> Vec<(PolicyKind, super::Statement, Vec<String>)> {
        let mut out = Vec::new();
        for (kind, doc) in self.docs() {
            for s in &doc.statements {
                let keys = s
                    .condition
                    .values()
                    .flat_map(|keys| keys.keys().map(|k| k.to_ascii_lowercase()))
                    .collect();
                let mut bare = s.clone();
                bare.condition = Default::default();
                out.push((kind, bare, keys));
            }
        }
        out
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
                if let Some((_, d)) = &s.resource {
                    out.insert("resource_policy".into(), doc(d));
                }
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

/// Whether two action patterns name different services outright: each starts with a
/// service prefix and `:` with no wildcard before it, and the prefixes differ (ASCII
/// case aside). Then no action matches both: a string starting with both prefixes would
/// have its first `:` at two places.
fn other_services(a: &str, b: &str) -> bool {
    fn service(p: &str) -> Option<&str> {
        p.split_once(':')
            .map(|(s, _)| s)
            .filter(|s| !s.contains(['*', '?']))
    }
    match (service(a), service(b)) {
        (Some(x), Some(y)) => !x.eq_ignore_ascii_case(y),
        _ => false,
    }
}

/// A request that shows a property fails, in `perimeter simulate`'s request format.
#[derive(Debug, Clone)]
pub struct Witness {
    pub request: Request,
    /// The request file: principal, action, resource, context and the policies.
    pub file: Json,
}

impl Witness {
    /// Whether the witness's action is a name the IAM catalog does not know: it stands
    /// for actions AWS may add under the patterns it matches, and no known action would
    /// have done (the search tries those first).
    pub fn invented_action(&self) -> bool {
        actions::invented(&self.request.action)
    }

    /// What to say of the witness's action when the catalog does not know it.
    pub fn action_note(&self) -> Option<String> {
        self.invented_action().then(|| {
            format!(
                "the witness's action {} is not in the IAM catalog ({}): it stands for actions AWS may add that the policies' patterns cover; no action the catalog knows fails",
                self.request.action,
                crate::iam::catalog::catalog().source()
            )
        })
    }
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

/// The name of the resource-based policy an identity question assumes.
const TRUSTING: &str = "resource_policy";

/// Policies as a question asks them. Identity policies alone are asked as the caller's
/// side of the request: the resource's side (its resource-based policy, a KMS key
/// policy, a role's trust policy) is taken to trust the caller's account, as a same-account
/// resource without a policy does and a key policy delegating to IAM does. So a grant on a
/// resource of another account counts: it is access once that account trusts the caller's.
/// The witness shows that resource policy.
struct Asked<'a> {
    p: &'a Policies,
    trusting: RefCell<BTreeMap<String, Policies>>,
    /// Each principal asked of, read once.
    callers: RefCell<HashMap<String, Option<Caller>>>,
}

impl<'a> Asked<'a> {
    fn new(p: &'a Policies) -> Self {
        Asked {
            p,
            trusting: RefCell::default(),
            callers: RefCell::default(),
        }
    }

    /// The account whose trust the request is asked under, if any.
    fn trust_account(&self, r: &Request) -> Option<String> {
        match self.p {
            Policies::Set(s) if s.resource.is_none() => {
                Caller::parse(&r.principal).and_then(|c| c.account().map(str::to_string))
            }
            _ => None,
        }
    }

    /// Whether the policies allow `r`, as asked ([`Asked::trust_account`] and
    /// [`Policies::allows`], the principal read once for every request of it).
    fn allows(&self, r: &Request, b: &Bindings) -> bool {
        let mut callers = self.callers.borrow_mut();
        if !callers.contains_key(&r.principal) {
            callers.insert(r.principal.clone(), Caller::parse(&r.principal));
        }
        let caller = callers[&r.principal].as_ref();
        let account = match self.p {
            Policies::Set(s) if s.resource.is_none() => caller.and_then(Caller::account),
            _ => None,
        };
        let (Policies::Set(s), Some(a)) = (self.p, account) else {
            return self.p.allows_as(r, caller, b);
        };
        let mut cache = self.trusting.borrow_mut();
        if !cache.contains_key(a) {
            cache.insert(a.to_string(), trusting(s, a));
        }
        cache[a].allows_as(r, caller, b)
    }

    /// The policies the witness of `r` shows.
    fn shown(&self, r: &Request) -> Policies {
        match (self.p, self.trust_account(r)) {
            (Policies::Set(s), Some(a)) => trusting(s, &a),
            _ => self.p.clone(),
        }
    }
}

/// The set with a resource-based policy trusting `account`.
fn trusting(s: &PolicySet, account: &str) -> Policies {
    let text = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "TrustsTheCallersAccount",
            "Effect": "Allow",
            "Principal": {"AWS": account},
            "Action": "*",
            "Resource": "*",
        }],
    });
    let value = crate::template::parse_value(&text.to_string()).expect("JSON reads");
    let doc = PolicyDocument::from_value(&value).expect("a valid policy");
    Policies::Set(Box::new(s.clone().resource_policy(TRUSTING, doc)))
}

/// Finds a request `accept` takes in the space the atoms span, among the requests of
/// `policies`' statements (context keys are tried only where a statement that could
/// apply reads them, and `keys` always); the witness shows the policies `shown` gives,
/// and `holds` must accept it again when read back from its file, policies included.
fn decide(
    atoms: &Atoms,
    policies: &[&Policies],
    keys: &[&str],
    b: &Bindings,
    accept: impl Fn(&Request) -> bool,
    shown: &Asked<'_>,
    holds: impl Fn(&Request, &Policies) -> bool,
) -> Result<Outcome, InternalError> {
    let space = match atoms.space() {
        Ok(s) => s,
        Err(why) => return Ok(Outcome::Unknown(why)),
    };
    let guards: Vec<_> = policies.iter().flat_map(|p| p.guards()).collect();
    let callers: HashMap<&str, Option<Caller>> = space
        .principal
        .iter()
        .map(|p| (p.as_str(), Caller::parse(p)))
        .collect();
    let relevant = |req: &Request| -> Vec<bool> {
        let mut hit: BTreeSet<&str> = keys.iter().copied().collect();
        let owned;
        let caller = match callers.get(req.principal.as_str()) {
            Some(c) => c.as_ref(),
            None => {
                owned = Caller::parse(&req.principal);
                owned.as_ref()
            }
        };
        let m = Matcher::with_caller(req, caller, b);
        for (kind, s, ks) in &guards {
            if ks.iter().any(|k| !hit.contains(k.as_str())) && m.applies(*kind, s) {
                hit.extend(ks.iter().map(String::as_str));
            }
        }
        space
            .keys
            .iter()
            .map(|k| hit.contains(k.key.as_str()))
            .collect()
    };
    match search(&space, relevant, &accept) {
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
            let policies = shown.shown(&req);
            policies.witness_fields(&mut file);
            let file = Json::Object(file);
            let (r, p) = read_request(&file)
                .and_then(|r| Ok((r, read_policies(&file, &policies)?)))
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
            if let Some(r) = file.get("resource_policy") {
                s = s.resource_policy("resource_policy", doc(r)?);
            }
            if let Some(b) = file.get("permission_boundary") {
                s = s.boundary("permission_boundary", doc(b)?);
            }
            if let Some(p) = file.get("session_policy") {
                s = s.session("session_policy", doc(p)?);
            }
            for (i, e) in docs("vpc_endpoint_policies")?.into_iter().enumerate() {
                s = s.vpc_endpoint(&format!("vpc_endpoint_policies[{i}]"), e);
            }
            let levels = |k: &str| -> Result<Vec<Vec<NamedPolicy>>, String> {
                let Some(levels) = file.get(k).and_then(Json::as_array) else {
                    return Ok(Vec::new());
                };
                levels
                    .iter()
                    .enumerate()
                    .map(|(i, level)| {
                        level
                            .as_array()
                            .ok_or(format!("{k}[{i}]: expected a list of policies"))?
                            .iter()
                            .enumerate()
                            .map(|(j, d)| Ok((format!("{k}[{i}][{j}]"), doc(d)?)))
                            .collect()
                    })
                    .collect()
            };
            for level in levels("scps")? {
                s = s.scp_level(level);
            }
            for level in levels("rcps")? {
                s = s.rcp_level(level);
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
    match memo::canon("no-new-access", &[old, new], &[], &[], b) {
        Some(c) => {
            c.answer(|c| no_new_access_now(&c.policies[0], &c.policies[1], &Bindings::new()))
        }
        None => no_new_access_now(old, new, b),
    }
}

fn no_new_access_now(
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
    let (o, n) = (Asked::new(old), Asked::new(new));
    decide(
        &atoms,
        &[old, new],
        &[],
        b,
        |r| n.allows(r, b) && !o.allows(r, b),
        &n,
        |r, shown| shown.allows(r, b) && !o.allows(r, b),
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
    let acts: Vec<&str> = actions.iter().map(Action::as_str).collect();
    let rs: Vec<String> = resources.iter().map(|r| r.as_str().to_string()).collect();
    let Some(c) = memo::canon("access-not-granted", &[p], &acts, &[&rs], b) else {
        return access_not_granted_now(p, actions, resources, b);
    };
    c.answer(|c| {
        let rs: Result<Vec<Arn>, _> = c.lists[0].iter().map(|r| r.parse::<Arn>()).collect();
        match rs {
            Ok(rs) => access_not_granted_now(&c.policies[0], actions, &rs, &Bindings::new()),
            Err(e) => Err(InternalError(format!(
                "a renamed resource does not read: {e}"
            ))),
        }
    })
}

fn access_not_granted_now(
    p: &Policies,
    actions: &[Action],
    resources: &[Arn],
    b: &Bindings,
) -> Result<Outcome, InternalError> {
    let mut atoms = Atoms::default();
    if let Err(why) = p.atoms_asked(&mut atoms, b, Some(actions)) {
        return Ok(Outcome::Unknown(why));
    }
    for a in actions {
        atoms.action_pattern(a.as_str());
    }
    for r in resources {
        atoms.resource_pattern(r.as_str());
    }
    // sts:GetCallerIdentity needs no permission: every caller may call it, whatever
    // the policy says, so the policy grants nothing there.
    let asked = |r: &Request| {
        actions.iter().any(|a| a.matches(&r.action))
            && !r.action.eq_ignore_ascii_case("sts:GetCallerIdentity")
            && (resources.is_empty() || resources.iter().any(|x| x.matches(&r.resource)))
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

const ACCOUNT_KEY: &str = "aws:principalaccount";

/// Does a resource (or endpoint) policy admit a principal outside the trusted accounts,
/// organizations and endpoints, on a resource of `shape` ([`resource_shape`])? Outside,
/// as `check`'s identity perimeter counts it (one function, [`identity_perimeter`]'s):
/// an IAM caller of an account not trusted whose `aws:PrincipalAccount` and
/// `aws:PrincipalOrgID` are not trusted either, or an anonymous caller, or an AWS
/// service acting for an account not trusted (its `aws:SourceAccount`, `aws:SourceArn`
/// and `aws:SourceOrgID` not pinning it to a trusted one: the confused deputy); none
/// of them through a trusted endpoint (`aws:SourceVpce`).
pub fn no_public_access(
    p: &Policies,
    shape: &str,
    trusted: &Trusted,
    b: &Bindings,
) -> Result<Outcome, InternalError> {
    perimeter::admits_outside(p, trusted, shape, &[], b)
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
    let Some(c) = memo::canon("resource-perimeter", &[p], &[], &[accounts, named], b) else {
        return resource_perimeter_now(p, accounts, named, b);
    };
    c.answer(|c| resource_perimeter_now(&c.policies[0], &c.lists[0], &c.lists[1], &Bindings::new()))
}

fn resource_perimeter_now(
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
    // An action the catalog knows to act on no resource type is authorized on `*`
    // only: no request of it names a resource, of another account or any.
    // The walk asks of few actions many times: each looked up once.
    let known: RefCell<BTreeMap<String, bool>> = RefCell::default();
    let names_a_resource = |action: &str| {
        if let Some(&k) = known.borrow().get(action) {
            return k;
        }
        let k = action.split_once(':').is_none_or(|(service, name)| {
            crate::iam::catalog::catalog()
                .service(service)
                .and_then(|s| s.action(name))
                .is_none_or(|a| a.resource_types().next().is_some())
        });
        known.borrow_mut().insert(action.to_string(), k);
        k
    };
    let named_patterns = crate::iam::ArnPatterns::new(named.iter().map(String::as_str));
    let outside = |r: &Request| {
        let account = r.resource.split(':').nth(4).unwrap_or("");
        if !names_a_resource(&r.action) {
            false
        } else if account.is_empty() {
            !named_patterns.any_matches(&r.resource)
        } else {
            !accounts.iter().any(|a| a == account)
        }
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
