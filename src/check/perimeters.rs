//! The data perimeters of a template, decided for every request (not sampled) by the
//! prover (`iam::prove`), with a witness request where one fails:
//!
//! - identity: its resource and endpoint policies admit no principal outside the trusted
//!   accounts and organizations;
//! - resource: its endpoint policies allow no resource outside the trusted accounts, but
//!   AWS-owned or account-less resources they name exactly;
//! - network: the identity policies of its roles, users and groups grant a service that
//!   has an endpoint in the template only through that endpoint (or its VPC);
//!
//! and the claims a solution declares of its targets ([`Claim`]). Under the `private`
//! profile each refuted perimeter or claim is a finding (A703) carrying its witness.
//!
//! What is read: the policies the template holds. A principal attached a managed policy
//! by ARN, or put in a group the template does not make, holds policies that are not
//! read: its network perimeter and claims are undecided. A Deny in a resource policy is
//! not credited to the network perimeter of a role (which can only refute more, never
//! prove more).

use std::collections::BTreeMap;

use serde::Serialize;

use super::inventory::{Inventory, PolicyUse};
use super::{Context, Finding, access::bindings, rules};
use crate::iam::prove::{self, InternalError, Outcome, Policies, Trusted};
use crate::iam::{Action, Bindings, Effect, PolicyDocument, PolicyKind, PolicySet};
use crate::template::{Intrinsic, Template, Value};

/// What a solution claims of the templates it builds, proven by `check` (profile
/// `private`) and `perimeter prove`. Values are ARNs or ids where `${Id}` and
/// `${Id.Attr}` name what a template resource's Ref and GetAtt yield, and
/// `${AWS::Region}` and the other pseudo parameters the target's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Only these principals (role, user or account ARNs, or organization ids `o-...`)
    /// may call these actions through the endpoint (its logical id): its policy admits
    /// no one else.
    OnlyPrincipals {
        actions: Vec<String>,
        endpoint: String,
        principals: Vec<String>,
    },
    /// These actions reach only these resources (ARN patterns): through the endpoint
    /// (its policy) and by the template's roles (their identity policies).
    OnlyResources {
        actions: Vec<String>,
        endpoint: String,
        resources: Vec<String>,
    },
    /// The template's roles may call these actions only through the endpoint.
    OnlyThroughEndpoint {
        actions: Vec<String>,
        endpoint: String,
    },
    /// What a grant through an endpoint claims (an L2 grant's, `Stack::intent`): on
    /// these resources (ARN patterns), the role's policies allow these actions only
    /// through the endpoint, and the endpoint's policy admits to them only `principals`
    /// (the roles granted through it).
    Granted {
        role: String,
        actions: Vec<String>,
        resources: Vec<String>,
        endpoint: String,
        principals: Vec<String>,
    },
}

impl Claim {
    /// The claim in words.
    pub fn words(&self) -> String {
        match self {
            Claim::OnlyPrincipals {
                actions,
                endpoint,
                principals,
            } => format!(
                "only {} may call {} through {endpoint}",
                principals.join(", "),
                actions.join(", ")
            ),
            Claim::OnlyResources {
                actions,
                endpoint,
                resources,
            } => format!(
                "{} reach only {} (through {endpoint} and by the template's roles)",
                actions.join(", "),
                resources.join(", ")
            ),
            Claim::OnlyThroughEndpoint { actions, endpoint } => format!(
                "the template's roles may call {} only through {endpoint}",
                actions.join(", ")
            ),
            Claim::Granted {
                role,
                actions,
                resources,
                endpoint,
                principals,
            } => format!(
                "on {}, {role} is granted {} only through {endpoint}, which admits only {}",
                resources.join(", "),
                actions.join(", "),
                principals.join(", ")
            ),
        }
    }
}

/// Which perimeter a proof is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Perimeter {
    Identity,
    Resource,
    Network,
    /// A claim the target's solution declares.
    Claim,
}

impl std::fmt::Display for Perimeter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Perimeter::Identity => "identity",
            Perimeter::Resource => "resource",
            Perimeter::Network => "network",
            Perimeter::Claim => "claim",
        })
    }
}

/// One question decided: which perimeter, whose policy, the property in words, and
/// the answer.
#[derive(Debug, Clone)]
pub struct Proof {
    pub perimeter: Perimeter,
    /// The logical id of the resource holding the policy (a role: its policies together).
    pub resource: String,
    /// The policy's path from the resource (`Properties.PolicyDocument`); empty for a
    /// role's policies together.
    pub path: String,
    /// The property, in words.
    pub claim: String,
    pub outcome: Outcome,
}

impl Proof {
    /// The answer in words.
    pub fn explanation(&self) -> String {
        match &self.outcome {
            Outcome::Holds { requests } => format!(
                "proven: {} (every request; {requests} classes of request examined)",
                self.claim
            ),
            Outcome::Fails(w) => format!(
                "refuted: it is not so that {}: the witness is a request that shows it{}",
                self.claim,
                w.action_note().map_or(String::new(), |n| format!(" ({n})"))
            ),
            Outcome::Unknown(why) => format!("not decided: {}: {why}", self.claim),
        }
    }
}

/// Who is inside, beyond the context's account.
#[derive(Debug, Clone, Default)]
pub struct Inside {
    /// More trusted accounts (12 digits).
    pub accounts: Vec<String>,
    /// Trusted organizations (`aws:PrincipalOrgID`).
    pub orgs: Vec<String>,
}

impl Inside {
    /// What the context trusts: its account, and the accounts and organizations of the
    /// callers its blueprint admits (`corporate_principals`).
    pub fn of(ctx: &Context) -> Inside {
        let mut inside = Inside::default();
        for p in ctx.corporate_principals.iter().chain(&ctx.trusted) {
            if p.starts_with("o-") {
                inside.orgs.push(p.clone());
            } else if let Some(a) = p.split(':').nth(4).filter(|a| !a.is_empty()) {
                inside.accounts.push(a.to_string());
            }
        }
        inside
    }
}

/// A question to decide, on whichever thread takes it.
type Ask<'a> = Box<dyn Fn() -> Result<Outcome, InternalError> + Sync + 'a>;

/// A proof, its outcome known already or its question still to decide.
type Pending<'a> = (Proof, Option<Ask<'a>>);

/// A proof whose outcome `ask` decides.
fn asked<'a>(
    perimeter: Perimeter,
    resource: &str,
    path: &str,
    claim: String,
    ask: impl Fn() -> Result<Outcome, InternalError> + Sync + 'a,
) -> Pending<'a> {
    let proof = Proof {
        perimeter,
        resource: resource.to_string(),
        path: path.to_string(),
        claim,
        outcome: Outcome::Unknown(String::new()),
    };
    (proof, Some(Box::new(ask)))
}

/// A proof whose outcome is known without a question.
fn known<'a>(
    perimeter: Perimeter,
    resource: &str,
    path: &str,
    claim: String,
    outcome: Outcome,
) -> Pending<'a> {
    let proof = Proof {
        perimeter,
        resource: resource.to_string(),
        path: path.to_string(),
        claim,
        outcome,
    };
    (proof, None)
}

/// Decides every perimeter of the template and every claim of the context; the proofs
/// in a stable order (perimeter, resource, property). The questions are asked first and
/// decided together, on every core ([`prove::par_map`]); the first internal error in the
/// order they were asked is the one returned, as when they were decided one by one.
pub fn prove(
    t: &Template,
    ctx: &Context,
    inv: &Inventory<'_>,
    inside: &Inside,
) -> Result<Vec<Proof>, InternalError> {
    prove_bound(t, ctx, inv, inside, &bindings(t, ctx))
}

/// [`prove`] with the template's made-up values bound already ([`bindings`] of `t`
/// and `ctx`): check makes them once for the prover and the access simulation.
pub fn prove_bound(
    t: &Template,
    ctx: &Context,
    inv: &Inventory<'_>,
    inside: &Inside,
    b: &Bindings,
) -> Result<Vec<Proof>, InternalError> {
    let mut accounts = vec![ctx.account.clone()];
    for a in &inside.accounts {
        if !accounts.contains(a) {
            accounts.push(a.clone());
        }
    }
    let trusted = Trusted {
        accounts: accounts.clone(),
        orgs: inside.orgs.clone(),
        vpces: Vec::new(),
    };
    let mut inside_words = format!("accounts {}", accounts.join(", "));
    if !inside.orgs.is_empty() {
        inside_words.push_str(&format!(" and organizations {}", inside.orgs.join(", ")));
    }
    // The template's own buckets: named exactly, but not AWS's.
    let own_buckets: Vec<String> = t
        .resources
        .iter()
        .filter(|(_, r)| r.resource_type.as_str() == "AWS::S3::Bucket")
        .filter_map(|(id, _)| b.resolve(&reference(id.as_str())))
        .map(|name| format!("arn:{}:s3:::{name}", ctx.partition))
        .collect();
    let (b, trusted) = (&b, &trusted);
    let mut out: Vec<Pending<'_>> = Vec::new();
    // Identity and resource perimeters: resource and endpoint policies.
    for p in &inv.policies {
        let kind = match p.usage {
            PolicyUse::Resource => PolicyKind::Resource,
            PolicyUse::Endpoint => PolicyKind::VpcEndpoint,
            _ => continue,
        };
        let doc = match &p.parsed {
            Ok(doc) => doc,
            // I504 reports the error; the policy still admits what it admits.
            Err(e) => {
                out.push(known(
                    Perimeter::Identity,
                    p.resource,
                    &p.path,
                    format!("{} admits no principal outside {inside_words}", p.name),
                    Outcome::Unknown(format!("the policy does not read: {e}")),
                ));
                continue;
            }
        };
        let named = named_exactly(doc, b);
        // Only AWS's buckets, which AWS presigns requests to (a CloudFormation response):
        // a foundation model named exactly is AWS's too, but who invokes it matters (the
        // prompt goes to the caller's account).
        let aws_owned: Vec<String> = named
            .iter()
            .filter(|n| n.split(':').nth(2) == Some("s3"))
            .filter(|n| !own_buckets.iter().any(|o| n.starts_with(o.as_str())))
            .cloned()
            .collect();
        let policy = Policies::Resource(kind, p.name.clone(), doc.clone());
        let but = if aws_owned.is_empty() {
            String::new()
        } else {
            format!(
                " (but to AWS-owned buckets it names exactly: {})",
                aws_owned.join(", ")
            )
        };
        let identity = policy.clone();
        out.push(asked(
            Perimeter::Identity,
            p.resource,
            &p.path,
            format!("{} admits no principal outside {inside_words}{but}", p.name),
            move || prove::identity_perimeter(&identity, trusted, &aws_owned, b),
        ));
        if kind == PolicyKind::VpcEndpoint {
            let accounts = accounts.clone();
            out.push(asked(
                Perimeter::Resource,
                p.resource,
                &p.path,
                format!(
                    "{} allows no resource outside accounts {} but AWS-owned ones it names exactly",
                    p.name,
                    accounts.join(", ")
                ),
                move || prove::resource_perimeter(&policy, &accounts, &named, b),
            ));
        }
    }
    // Roles, users and groups; one with a policy that does not read (or that the
    // template does not hold) grants what it grants: undecided.
    let (roles, unread) = holders(t, inv);
    // Network perimeter: each service with an endpoint, each role that may grant it.
    // Per IAM prefix: its endpoints' ids, their VPCs' ids, their logical ids.
    type Served<'a> = (Vec<String>, Vec<String>, Vec<&'a str>);
    let mut served: BTreeMap<String, Served<'_>> = BTreeMap::new();
    for e in &inv.endpoints {
        let Some(service) = e.service.as_deref() else {
            continue;
        };
        let entry = served
            .entry(super::iam::prefix_served(service))
            .or_default();
        if let Some(v) = b.resolve(&reference(e.id)) {
            entry.0.push(v);
        }
        if let Some(v) = e.vpc.and_then(|vpc| b.resolve(&reference(vpc))) {
            entry.1.push(v);
        }
        entry.2.push(e.id);
    }
    for (prefix, (vpces, vpcs, ids)) in &served {
        let all: Vec<Action> = vec![format!("{prefix}:*").parse().expect("an action pattern")];
        for (role, docs) in &roles {
            if !may_grant(docs, prefix) && !unread.contains_key(role) {
                continue;
            }
            let claim = format!(
                "{role}'s policies grant {prefix}:* only through {}",
                ids.join(" or ")
            );
            match unread.get(role) {
                Some(why) => out.push(known(
                    Perimeter::Network,
                    role,
                    "",
                    claim,
                    Outcome::Unknown(why.clone()),
                )),
                None => {
                    let (set, all) = (identity_set(docs), all.clone());
                    let (vpces, vpcs) = (vpces.clone(), vpcs.clone());
                    out.push(asked(Perimeter::Network, role, "", claim, move || {
                        prove::only_through_endpoints(&set, &all, &vpces, &vpcs, b)
                    }));
                }
            }
        }
    }
    for c in &ctx.claims {
        claim(c, inv, &roles, &unread, b, &mut out);
    }
    let asks: Vec<&Ask<'_>> = out.iter().filter_map(|(_, a)| a.as_ref()).collect();
    let mut answers = prove::par_map(&asks, |ask| ask()).into_iter();
    let mut out: Vec<Proof> = out
        .into_iter()
        .map(|(mut proof, ask)| {
            if ask.is_some() {
                proof.outcome = answers.next().expect("an answer per question")?;
            }
            Ok(proof)
        })
        .collect::<Result<_, InternalError>>()?;
    out.sort_by(|x, y| {
        (x.perimeter, &x.resource, &x.path, &x.claim).cmp(&(
            y.perimeter,
            &y.resource,
            &y.path,
            &y.claim,
        ))
    });
    Ok(out)
}

/// The ARN patterns of a policy that name account-less resources exactly
/// ([`prove::named_exactly`]), and objects of S3 buckets it names exactly
/// (`arn:aws:s3:::bucket/*`: the bucket is what is owned).
fn named_exactly(doc: &PolicyDocument, b: &Bindings) -> Vec<String> {
    let mut out = prove::named_exactly(doc, b);
    for s in &doc.statements {
        let Some(crate::iam::Negatable::Is(rs)) = &s.resource else {
            continue;
        };
        for e in rs {
            let text = match e {
                crate::iam::ResourceEntry::Arn(a) => Some(a.as_str().to_string()),
                crate::iam::ResourceEntry::Expr(v) => b.resolve(v),
            };
            let Some(t) = text else { continue };
            let parts: Vec<&str> = t.splitn(6, ':').collect();
            if let ["arn", partition, "s3", "", "", rest] = parts.as_slice()
                && let Some((bucket, _)) = rest.split_once('/')
                && !bucket.is_empty()
                && !bucket.contains(['*', '?'])
                && !partition.contains(['*', '?'])
            {
                let objects = format!("arn:{partition}:s3:::{bucket}/*");
                if !out.contains(&objects) {
                    out.push(objects);
                }
            }
        }
    }
    out
}

/// `Ref id`.
fn reference(id: &str) -> Value {
    Value::Fn(Box::new(Intrinsic::Ref(id.to_string())))
}

/// A value written with `${...}` names, resolved.
fn resolve(b: &Bindings, text: &str) -> Option<String> {
    b.resolve(&Value::Fn(Box::new(Intrinsic::Sub {
        template: text.to_string(),
        variables: None,
    })))
}

/// The IAM principals of a template that identity policies grant to: roles, users and
/// groups (a group's policies are its members', in the template or joining later), by
/// logical id.
const PRINCIPAL_TYPES: &[&str] = &["AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"];

/// Each principal's identity policies (those that parse), by logical id, and the
/// principals some of whose policies are not read, with why.
type Holders<'a> = (
    BTreeMap<&'a str, Vec<(&'a str, &'a PolicyDocument)>>,
    BTreeMap<&'a str, String>,
);

/// Who holds each identity policy of the template: its own principal (an inline
/// policy), the roles, users and groups a policy resource names (`Roles`, `Users`,
/// `Groups`, `RoleName`, `UserName`, `GroupName`), those whose `ManagedPolicyArns` refer
/// to a managed policy of the template; a user also holds its groups' (`Groups`,
/// `AWS::IAM::UserToGroupAddition`). What a principal holds that the template does not
/// (a managed policy by ARN, a group by name) is not read: its perimeters are undecided.
fn holders<'a>(t: &'a Template, inv: &'a Inventory<'a>) -> Holders<'a> {
    use super::inventory::{items, target, text, type_of};
    let is_principal = |id: &str| type_of(t, id).is_some_and(|ty| PRINCIPAL_TYPES.contains(&ty));
    let mut docs: BTreeMap<&str, Vec<(&str, &PolicyDocument)>> = BTreeMap::new();
    let mut unread: BTreeMap<&str, String> = BTreeMap::new();
    // Each identity policy's holders.
    for p in &inv.policies {
        if p.usage != PolicyUse::Identity {
            continue;
        }
        let mut by: Vec<&str> = p.roles.clone();
        if let Some(r) = t.resources.get(p.resource) {
            if PRINCIPAL_TYPES.contains(&r.resource_type.as_str()) {
                by.push(p.resource);
            } else {
                for key in [
                    "Roles",
                    "Users",
                    "Groups",
                    "RoleName",
                    "UserName",
                    "GroupName",
                ] {
                    by.extend(
                        items(r.properties.get(key))
                            .into_iter()
                            .filter_map(target)
                            .filter(|id| is_principal(id)),
                    );
                }
                if r.resource_type.as_str() == "AWS::IAM::ManagedPolicy" {
                    by.extend(t.resources.iter().filter_map(|(id, x)| {
                        let attached = items(x.properties.get("ManagedPolicyArns"))
                            .into_iter()
                            .any(|v| target(v) == Some(p.resource));
                        (attached && is_principal(id.as_str())).then_some(id.as_str())
                    }));
                }
            }
        }
        by.sort_unstable();
        by.dedup();
        for h in by {
            match &p.parsed {
                Ok(doc) => docs.entry(h).or_default().push((p.name.as_str(), doc)),
                Err(e) => {
                    unread
                        .entry(h)
                        .or_insert_with(|| format!("{} does not read: {e}", p.name));
                }
            }
        }
    }
    // Managed policies the template does not hold.
    for (id, r) in &t.resources {
        if !PRINCIPAL_TYPES.contains(&r.resource_type.as_str()) {
            continue;
        }
        for v in items(r.properties.get("ManagedPolicyArns")) {
            let held = target(v).is_some_and(|m| type_of(t, m) == Some("AWS::IAM::ManagedPolicy"));
            if !held {
                let arn = text(v).unwrap_or_else(|| "a value".into());
                unread.entry(id.as_str()).or_insert_with(|| {
                    format!("it is attached {arn}, a managed policy the template does not hold")
                });
            }
        }
    }
    // A user's groups: in the template (their policies), or not (unknown policies).
    let mut groups: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
    for (id, r) in &t.resources {
        match r.resource_type.as_str() {
            "AWS::IAM::User" => groups
                .entry(id.as_str())
                .or_default()
                .extend(items(r.properties.get("Groups"))),
            "AWS::IAM::UserToGroupAddition" => {
                for u in items(r.properties.get("Users"))
                    .into_iter()
                    .filter_map(target)
                {
                    if type_of(t, u) == Some("AWS::IAM::User")
                        && let Some(g) = r.properties.get("GroupName")
                    {
                        groups.entry(u).or_default().push(g);
                    }
                }
            }
            _ => {}
        }
    }
    for (user, gs) in groups {
        for g in gs {
            match target(g).filter(|g| type_of(t, g) == Some("AWS::IAM::Group")) {
                Some(g) => {
                    let of_group = docs.get(g).cloned().unwrap_or_default();
                    docs.entry(user).or_default().extend(of_group);
                    if let Some(why) = unread.get(g).cloned() {
                        unread.entry(user).or_insert(why);
                    }
                }
                None => {
                    let name = text(g).unwrap_or_else(|| "a value".into());
                    unread.entry(user).or_insert_with(|| {
                        format!(
                            "it is in the group {name}, whose policies the template does not hold"
                        )
                    });
                }
            }
        }
    }
    // Every principal some policy of which is not read is asked about, as the others.
    for id in unread.keys() {
        docs.entry(id).or_default();
    }
    (docs, unread)
}

fn identity_set(docs: &[(&str, &PolicyDocument)]) -> Policies {
    let mut set = PolicySet::default();
    for (name, doc) in docs {
        set = set.identity(name, (*doc).clone());
    }
    Policies::Set(Box::new(set))
}

/// Whether any Allow of the policies may name an action of the service: a cheap,
/// sound filter (a policy that names none grants none).
fn may_grant(docs: &[(&str, &PolicyDocument)], prefix: &str) -> bool {
    docs.iter().any(|(_, d)| {
        d.statements.iter().any(|s| {
            s.effect == Effect::Allow
                && (s.action.is_negated()
                    || s.action.inner().iter().any(|a| {
                        let service = a.as_str().split(':').next().unwrap_or("");
                        service.contains(['*', '?']) || service.eq_ignore_ascii_case(prefix)
                    }))
        })
    })
}

/// Whether any Allow may name one of the actions (patterns).
fn may_grant_any(docs: &[(&str, &PolicyDocument)], actions: &[Action]) -> bool {
    actions.iter().any(|a| {
        let service = a.as_str().split(':').next().unwrap_or("");
        service.contains(['*', '?']) || may_grant(docs, service)
    })
}

fn claim<'a>(
    c: &Claim,
    inv: &Inventory<'_>,
    roles: &BTreeMap<&str, Vec<(&str, &PolicyDocument)>>,
    unread: &BTreeMap<&str, String>,
    b: &'a Bindings,
    out: &mut Vec<Pending<'a>>,
) {
    let (Claim::OnlyPrincipals {
        actions, endpoint, ..
    }
    | Claim::OnlyResources {
        actions, endpoint, ..
    }
    | Claim::OnlyThroughEndpoint { actions, endpoint }
    | Claim::Granted {
        actions, endpoint, ..
    }) = c;
    let words = c.words();
    let proof = |resource: &str, path: &str, outcome: Outcome| {
        known(Perimeter::Claim, resource, path, words.clone(), outcome)
    };
    let ask = |resource: &str,
               path: &str,
               ask: Box<dyn Fn() -> Result<Outcome, InternalError> + Sync + 'a>|
     -> Pending<'a> { asked(Perimeter::Claim, resource, path, words.clone(), ask) };
    let acts: Result<Vec<Action>, String> = actions
        .iter()
        .map(|a| a.parse::<Action>().map_err(|e| format!("{a:?}: {e}")))
        .collect();
    let acts = match acts {
        Ok(a) => a,
        Err(why) => {
            out.push(proof(
                endpoint,
                "",
                Outcome::Unknown(format!("the claim names no action: {why}")),
            ));
            return;
        }
    };
    if !inv.endpoints.iter().any(|e| e.id == endpoint) {
        out.push(proof(
            endpoint,
            "",
            Outcome::Unknown(format!("the template has no VPC endpoint {endpoint}")),
        ));
        return;
    }
    if let Some(Err(e)) = inv
        .policies
        .iter()
        .find(|p| p.usage == PolicyUse::Endpoint && p.resource == endpoint)
        .map(|p| &p.parsed)
    {
        out.push(proof(
            endpoint,
            "Properties.PolicyDocument",
            Outcome::Unknown(format!("the endpoint's policy does not read: {e}")),
        ));
        return;
    }
    // An endpoint without a policy has AWS's default one: anyone, anything.
    let doc = match inv.endpoint_policy(endpoint) {
        Some(d) => d.clone(),
        None => {
            let v = crate::template::parse_value(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#,
            )
            .expect("the default endpoint policy reads");
            PolicyDocument::from_value(&v).expect("the default endpoint policy reads")
        }
    };
    let at = "Properties.PolicyDocument";
    let ep = Policies::Resource(PolicyKind::VpcEndpoint, endpoint.clone(), doc);
    let resolved = |xs: &[String]| -> Result<Vec<String>, String> {
        xs.iter()
            .map(|x| resolve(b, x).ok_or_else(|| format!("{x} cannot be known before deployment")))
            .collect()
    };
    match c {
        Claim::OnlyPrincipals { principals, .. } => match resolved(principals) {
            Err(why) => out.push(proof(endpoint, at, Outcome::Unknown(why))),
            Ok(ps) => {
                let (orgs, arns): (Vec<String>, Vec<String>) =
                    ps.into_iter().partition(|p| p.starts_with("o-"));
                out.push(ask(
                    endpoint,
                    at,
                    Box::new(move || prove::only_principals(&ep, &acts, &arns, &orgs, b)),
                ));
            }
        },
        Claim::OnlyResources { resources, .. } => match resolved(resources) {
            Err(why) => out.push(proof(endpoint, at, Outcome::Unknown(why))),
            Ok(rs) => {
                let (a, r) = (acts.clone(), rs.clone());
                out.push(ask(
                    endpoint,
                    at,
                    Box::new(move || prove::only_resources(&ep, &a, &r, b)),
                ));
                for (role, docs) in roles {
                    if let Some(why) = unread.get(role) {
                        out.push(proof(role, "", Outcome::Unknown(why.clone())));
                    } else if may_grant_any(docs, &acts) {
                        let (set, a, r) = (identity_set(docs), acts.clone(), rs.clone());
                        out.push(ask(
                            role,
                            "",
                            Box::new(move || prove::only_resources(&set, &a, &r, b)),
                        ));
                    }
                }
            }
        },
        Claim::Granted {
            role,
            resources,
            principals,
            ..
        } => {
            let (rs, ps) = match (resolved(resources), resolved(principals)) {
                (Ok(rs), Ok(ps)) => (rs, ps),
                (Err(why), _) | (_, Err(why)) => {
                    out.push(proof(endpoint, at, Outcome::Unknown(why)));
                    return;
                }
            };
            let (orgs, arns): (Vec<String>, Vec<String>) =
                ps.into_iter().partition(|p| p.starts_with("o-"));
            let (a, r) = (acts.clone(), rs.clone());
            out.push(ask(
                endpoint,
                at,
                Box::new(move || prove::only_principals_on(&ep, &a, &r, &arns, &orgs, b)),
            ));
            let pending = match (b.resolve(&reference(endpoint)), roles.get(role.as_str())) {
                _ if unread.contains_key(role.as_str()) => {
                    proof(role, "", Outcome::Unknown(unread[role.as_str()].clone()))
                }
                (None, _) => proof(
                    role,
                    "",
                    Outcome::Unknown(format!("{endpoint}'s id cannot be known")),
                ),
                (_, None) => proof(
                    role,
                    "",
                    Outcome::Unknown(format!("the template has no role {role}")),
                ),
                (Some(vpce), Some(docs)) => {
                    let set = identity_set(docs);
                    ask(
                        role,
                        "",
                        Box::new(move || {
                            prove::only_through_endpoints_on(
                                &set,
                                &acts,
                                &rs,
                                std::slice::from_ref(&vpce),
                                &[],
                                b,
                            )
                        }),
                    )
                }
            };
            out.push(pending);
        }
        Claim::OnlyThroughEndpoint { .. } => {
            let Some(vpce) = b.resolve(&reference(endpoint)) else {
                out.push(proof(
                    endpoint,
                    "",
                    Outcome::Unknown(format!("{endpoint}'s id cannot be known")),
                ));
                return;
            };
            for (role, docs) in roles {
                if let Some(why) = unread.get(role) {
                    out.push(proof(role, "", Outcome::Unknown(why.clone())));
                } else if may_grant_any(docs, &acts) {
                    let (set, a, v) = (identity_set(docs), acts.clone(), vpce.clone());
                    out.push(ask(
                        role,
                        "",
                        Box::new(move || {
                            prove::only_through_endpoints(
                                &set,
                                &a,
                                std::slice::from_ref(&v),
                                &[],
                                b,
                            )
                        }),
                    ));
                }
            }
        }
    }
}

/// The perimeters and claims as findings (A703): each refuted one an error carrying its
/// witness. A question the prover cannot decide is no finding here (`perimeter prove`
/// shows it, and exits 1): check reports what is shown wrong, not what is unproven.
pub fn check(
    t: &Template,
    ctx: &Context,
    inv: &Inventory<'_>,
    b: &Bindings,
    out: &mut Vec<Finding>,
) {
    let proofs = match prove_bound(t, ctx, inv, &Inside::of(ctx), b) {
        Ok(p) => p,
        Err(e) => {
            out.push(Finding::new(
                rules::PERIMETER_REFUTED,
                None,
                String::new(),
                e.to_string(),
            ));
            return;
        }
    };
    for p in proofs {
        let f = Finding::on(
            rules::PERIMETER_REFUTED,
            &p.resource,
            &p.path,
            format!("{} perimeter: {}", p.perimeter, p.explanation()),
        );
        if let Outcome::Fails(w) = p.outcome {
            out.push(f.witness(w.file));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(name: &str) -> Template {
        let text =
            std::fs::read_to_string(format!("tests/fixtures/check/rules/{name}.yaml")).unwrap();
        Template::parse_any(&text).unwrap()
    }

    fn proofs(t: &Template, claims: Vec<Claim>) -> Vec<Proof> {
        let ctx = Context {
            claims,
            ..Context::default()
        };
        prove(t, &ctx, &Inventory::of(t), &Inside::default()).unwrap()
    }

    fn only<'a>(ps: &'a [Proof], perimeter: Perimeter, resource: &str) -> Vec<&'a Proof> {
        ps.iter()
            .filter(|p| p.perimeter == perimeter && p.resource == resource)
            .collect()
    }

    fn claims() -> Vec<Claim> {
        let actions = vec!["bedrock:InvokeModel".to_string()];
        let endpoint = "BedrockEndpoint".to_string();
        vec![
            Claim::OnlyPrincipals {
                actions: actions.clone(),
                endpoint: endpoint.clone(),
                principals: vec!["${Role.Arn}".into()],
            },
            Claim::OnlyResources {
                actions: actions.clone(),
                endpoint: endpoint.clone(),
                resources: vec![
                    "arn:${AWS::Partition}:bedrock:*::foundation-model/anthropic.claude-instant-v1"
                        .into(),
                ],
            },
            Claim::OnlyThroughEndpoint { actions, endpoint },
        ]
    }

    #[test]
    fn a_grant_that_also_holds_without_the_endpoint_refutes_the_network_perimeter_and_the_claim() {
        // StringEqualsIfExists on aws:SourceVpce holds for a call from no endpoint.
        let t = template("I502-grant-outside-endpoint.bad");
        let ps = proofs(&t, claims());
        let net = only(&ps, Perimeter::Network, "Role");
        assert_eq!(net.len(), 1);
        let Outcome::Fails(w) = &net[0].outcome else {
            panic!("{:?}", net[0])
        };
        assert!(
            !w.request.context.contains_key("aws:sourcevpce"),
            "{}",
            w.file
        );
        assert_eq!(w.request.action.to_ascii_lowercase(), "bedrock:invokemodel");
        // The claims: the endpoint admits only the role, on only the model (both hold);
        // the role's grant is not held to the endpoint (fails).
        let at_endpoint = only(&ps, Perimeter::Claim, "BedrockEndpoint");
        assert_eq!(at_endpoint.len(), 2);
        assert!(
            at_endpoint
                .iter()
                .all(|p| matches!(p.outcome, Outcome::Holds { .. })),
            "{at_endpoint:?}"
        );
        let of_role = only(&ps, Perimeter::Claim, "Role");
        assert_eq!(of_role.len(), 2, "{of_role:?}");
        let through: Vec<_> = of_role
            .iter()
            .filter(|p| p.claim.contains("only through"))
            .collect();
        assert!(matches!(through[0].outcome, Outcome::Fails(_)));
        let resources: Vec<_> = of_role
            .iter()
            .filter(|p| p.claim.contains("reach only"))
            .collect();
        assert!(matches!(resources[0].outcome, Outcome::Holds { .. }));
    }

    #[test]
    fn the_same_template_with_the_grant_held_to_the_endpoint_proves_everything() {
        let t = template("I502-grant-outside-endpoint.good");
        let ps = proofs(&t, claims());
        assert!(!ps.is_empty());
        for p in &ps {
            assert!(matches!(p.outcome, Outcome::Holds { .. }), "{p:?}");
        }
        assert!(ps.iter().any(|p| p.perimeter == Perimeter::Network));
    }

    /// The good template with one text replaced (and a parameter `Other` declared).
    fn edited(from: &str, to: &str) -> Template {
        let text = std::fs::read_to_string(
            "tests/fixtures/check/rules/I502-grant-outside-endpoint.good.yaml",
        )
        .unwrap();
        assert!(text.contains(from), "{from}");
        let text = text.replace(from, to).replace(
            "Resources:\n",
            "Parameters:\n  Other:\n    Type: String\nConditions:\n  Wide: !Equals [!Ref Other, wide]\nResources:\n",
        );
        Template::parse_any(&text).unwrap()
    }

    fn undecided_at(ps: &[Proof], perimeter: Perimeter, resource: &str, why: &str) {
        let at = only(ps, perimeter, resource);
        assert!(!at.is_empty(), "{ps:?}");
        for p in at {
            let Outcome::Unknown(w) = &p.outcome else {
                panic!("{perimeter} of {resource} decided: {p:?}")
            };
            assert!(w.contains(why), "{w}");
        }
    }

    #[test]
    fn a_principal_or_resource_known_only_at_deployment_is_not_proven() {
        // A parameter may name anyone: "no one outside" holds for no deployment in
        // general, and the endpoint's claims cannot be proven either.
        let t = edited("AWS: !GetAtt Role.Arn", "AWS: !Ref Other");
        let ps = proofs(&t, claims());
        undecided_at(
            &ps,
            Perimeter::Identity,
            "BedrockEndpoint",
            "Ref Other is known only at deployment",
        );
        undecided_at(
            &ps,
            Perimeter::Claim,
            "BedrockEndpoint",
            "known only at deployment",
        );
        // A condition's choice between the role and anyone.
        let t = edited(
            "AWS: !GetAtt Role.Arn",
            "AWS: !If [Wide, '*', !GetAtt Role.Arn]",
        );
        let ps = proofs(&t, claims());
        undecided_at(
            &ps,
            Perimeter::Identity,
            "BedrockEndpoint",
            "Fn::If is known only at deployment",
        );
        // A resource from a parameter: the resource perimeter is undecided.
        let t = edited(
            "Resource: !Sub arn:${AWS::Partition}:bedrock:*::foundation-model/anthropic.claude-instant-v1\n  Grant",
            "Resource: !Ref Other\n  Grant",
        );
        let ps = proofs(&t, vec![]);
        undecided_at(&ps, Perimeter::Resource, "BedrockEndpoint", "Ref Other");
        // A grant's endpoint from a parameter: the network perimeter is undecided.
        let t = edited(
            "aws:sourceVpce: !Ref BedrockEndpoint",
            "aws:sourceVpce: !Ref Other",
        );
        let ps = proofs(&t, vec![]);
        undecided_at(&ps, Perimeter::Network, "Role", "Ref Other");
    }

    #[test]
    fn a_policy_that_does_not_read_is_not_proven() {
        // A whole statement chosen by a condition does not read as a policy.
        let t = edited(
            "          - Effect: Allow\n            Principal:\n              AWS: !GetAtt Role.Arn",
            "          - !If\n            - Wide\n            - Effect: Allow\n              Principal: '*'\n              Action: '*'\n              Resource: '*'\n            - !Ref AWS::NoValue\n          - Effect: Allow\n            Principal:\n              AWS: !GetAtt Role.Arn",
        );
        let ps = proofs(&t, claims());
        undecided_at(&ps, Perimeter::Identity, "BedrockEndpoint", "does not read");
        undecided_at(&ps, Perimeter::Claim, "BedrockEndpoint", "does not read");
        let t = edited(
            "          - Effect: Allow\n            Action: bedrock:InvokeModel\n            Resource: !Sub arn:${AWS::Partition}:bedrock:*::foundation-model/anthropic.claude-instant-v1\n            Condition:",
            "          - !If\n            - Wide\n            - Effect: Allow\n              Action: '*'\n              Resource: '*'\n            - !Ref AWS::NoValue\n          - Effect: Allow\n            Action: bedrock:InvokeModel\n            Resource: !Sub arn:${AWS::Partition}:bedrock:*::foundation-model/anthropic.claude-instant-v1\n            Condition:",
        );
        let ps = proofs(&t, claims());
        undecided_at(&ps, Perimeter::Network, "Role", "does not read");
        undecided_at(&ps, Perimeter::Claim, "Role", "does not read");
    }

    /// The good template with users and a group beside its role: `Team` granted
    /// Bedrock by `team_condition` (the endpoint's or none), `Analyst` in it,
    /// `Contractor` attached a managed policy of the template granting Bedrock from
    /// anywhere, `Auditor` an AWS managed policy the template does not hold.
    fn with_users(team_condition: &str) -> Template {
        let users = format!(
            r#"  Team:
    Type: AWS::IAM::Group
  Analyst:
    Type: AWS::IAM::User
    Properties:
      Groups: [!Ref Team]
  TeamGrant:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: team
      Groups: [!Ref Team]
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Action: bedrock:InvokeModel
            Resource: '*'{team_condition}
  Invoke:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Action: bedrock:*
            Resource: '*'
  Contractor:
    Type: AWS::IAM::User
    Properties:
      ManagedPolicyArns: [!Ref Invoke]
  Auditor:
    Type: AWS::IAM::User
    Properties:
      ManagedPolicyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess']
  Grant:
"#
        );
        let text = std::fs::read_to_string(
            "tests/fixtures/check/rules/I502-grant-outside-endpoint.good.yaml",
        )
        .unwrap()
        .replace("  Grant:\n", &users);
        Template::parse_any(&text).unwrap()
    }

    fn refuted_without_the_endpoint(p: &Proof) {
        let Outcome::Fails(w) = &p.outcome else {
            panic!("{p:?}")
        };
        assert!(
            !w.request.context.contains_key("aws:sourcevpce"),
            "{}",
            w.file
        );
        assert!(
            w.request
                .action
                .to_ascii_lowercase()
                .starts_with("bedrock:")
        );
    }

    #[test]
    fn users_and_groups_are_held_to_the_endpoint_as_roles_are() {
        let held = "\n            Condition:\n              StringEquals:\n                aws:sourceVpce: !Ref BedrockEndpoint";
        let ps = proofs(&with_users(held), vec![]);
        for id in ["Role", "Team", "Analyst"] {
            let net = only(&ps, Perimeter::Network, id);
            assert_eq!(net.len(), 1, "{id}: {ps:?}");
            assert!(matches!(net[0].outcome, Outcome::Holds { .. }), "{net:?}");
        }
        // A managed policy of the template, attached by reference.
        let net = only(&ps, Perimeter::Network, "Contractor");
        assert_eq!(net.len(), 1, "{ps:?}");
        refuted_without_the_endpoint(net[0]);
        // A managed policy the template does not hold: undecided, never proven.
        undecided_at(&ps, Perimeter::Network, "Auditor", "ReadOnlyAccess");
        // The group's grant from anywhere: the group and its member are refuted.
        let ps = proofs(&with_users(""), vec![]);
        for id in ["Team", "Analyst"] {
            let net = only(&ps, Perimeter::Network, id);
            assert_eq!(net.len(), 1, "{id}: {ps:?}");
            refuted_without_the_endpoint(net[0]);
        }
        assert!(matches!(
            only(&ps, Perimeter::Network, "Role")[0].outcome,
            Outcome::Holds { .. }
        ));
    }

    #[test]
    fn a_claim_naming_another_caller_or_model_is_refuted() {
        let t = template("I502-grant-outside-endpoint.good");
        let wrong = vec![
            Claim::OnlyPrincipals {
                actions: vec!["bedrock:InvokeModel".into()],
                endpoint: "BedrockEndpoint".into(),
                principals: vec!["arn:aws:iam::123456789012:role/other".into()],
            },
            Claim::OnlyResources {
                actions: vec!["bedrock:InvokeModel".into()],
                endpoint: "BedrockEndpoint".into(),
                resources: vec!["arn:aws:bedrock:*::foundation-model/amazon.titan".into()],
            },
        ];
        let ps = proofs(&t, wrong);
        let claims = only(&ps, Perimeter::Claim, "BedrockEndpoint");
        assert_eq!(claims.len(), 2);
        for p in claims {
            let Outcome::Fails(w) = &p.outcome else {
                panic!("{p:?}")
            };
            if p.claim.starts_with("only ") {
                assert!(w.request.principal.contains("role/Role"), "{}", w.file);
            } else {
                assert!(w.request.resource.contains("anthropic.claude-instant-v1"));
            }
        }
    }

    #[test]
    fn a_claim_refuted_on_two_accounts_names_each_its_own_caller() {
        // Two targets of one shape in two accounts: the second is answered from the
        // first's canonical answer (the prover's memo), renamed to its own account.
        let t = template("I502-grant-outside-endpoint.good");
        let claims = vec![Claim::OnlyPrincipals {
            actions: vec!["bedrock:InvokeModel".into()],
            endpoint: "BedrockEndpoint".into(),
            principals: vec!["arn:aws:iam::123456789012:role/other".into()],
        }];
        let mut seen = Vec::new();
        for account in ["210987654321", "345678901234"] {
            let ctx = Context {
                claims: claims.clone(),
                account: account.into(),
                ..Context::default()
            };
            let ps = prove(&t, &ctx, &Inventory::of(&t), &Inside::default()).unwrap();
            let at = only(&ps, Perimeter::Claim, "BedrockEndpoint");
            let Outcome::Fails(w) = &at[0].outcome else {
                panic!("{at:?}")
            };
            assert_eq!(
                w.request.principal,
                format!("arn:aws:iam::{account}:role/Role"),
                "{}",
                w.file
            );
            seen.push(w.file.to_string());
        }
        assert!(!seen[1].contains("210987654321"), "{}", seen[1]);
        assert!(seen[1].contains("345678901234"), "{}", seen[1]);
    }
}
