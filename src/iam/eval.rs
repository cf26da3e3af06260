//! The policy evaluator, after AWS's documented evaluation logic (IAM User Guide, "Policy
//! evaluation logic" and the pages it links):
//!
//! 1. `sts:GetCallerIdentity` needs no permission: no policy can deny it.
//! 2. An explicit `Deny` in any policy that applies decides: denied.
//! 3. Resource control policies (for the services they cover, resources outside the
//!    management account), then service control policies (IAM callers outside the
//!    management account), each level from the root down: every level must allow.
//!    Service-linked roles are restricted by neither.
//! 4. Every VPC endpoint policy on the path must allow.
//! 5. Within one account, a resource-based policy that names the caller (user, role
//!    session, `*`) allows by itself; one that names the session's role allows where the
//!    boundary and session policy allow too; one that names the account delegates to the
//!    caller's own policies. Otherwise the identity policies must allow, and the
//!    permissions boundary and session policy, when present, too. Role trust policies
//!    and KMS key policies must always allow: without them, identity policies grant
//!    nothing.
//! 6. Across accounts, both sides must allow: the resource-based policy (naming the
//!    caller or its account) and the caller's own policies.
//! 7. Otherwise: implicit deny.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::fmt;

use super::caller::{Caller, Named as Naming};
use super::policy::{ResourceEntry, Statement};
use super::variables::substitute_variables;
use super::{Bindings, Effect, PolicyDocument, arn};

/// The request: who, what, on which resource, with which context keys.
#[derive(Debug, Clone)]
pub struct Request {
    /// The caller: an IAM user, role or assumed-role session ARN, an account root ARN, a
    /// federated user, a service principal (`lambda.amazonaws.com`) or `*` (anonymous).
    pub principal: String,
    pub action: String,
    pub resource: String,
    /// Context keys (lower case) with their values, beside those AWS derives from the
    /// principal (`aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:username`, ...), which
    /// these override.
    pub context: BTreeMap<String, Vec<String>>,
    /// The account owning the resource, where its ARN does not say (S3 buckets).
    pub resource_account: Option<String>,
    /// The organization's management account: SCPs and RCPs do not apply to it.
    pub management_account: Option<String>,
}

impl Request {
    pub fn new(principal: &str, action: &str, resource: &str) -> Self {
        Request {
            principal: principal.to_string(),
            action: action.to_string(),
            resource: resource.to_string(),
            context: BTreeMap::new(),
            resource_account: None,
            management_account: None,
        }
    }

    /// Adds a context key, e.g. `aws:sourceVpce`.
    pub fn with(mut self, key: &str, value: &str) -> Self {
        self.context
            .entry(key.to_ascii_lowercase())
            .or_default()
            .push(value.to_string());
        self
    }

    /// The account owning the resource.
    pub fn resource_account(mut self, account: &str) -> Self {
        self.resource_account = Some(account.to_string());
        self
    }

    /// The organization's management account.
    pub fn management_account(mut self, account: &str) -> Self {
        self.management_account = Some(account.to_string());
        self
    }
}

/// The three outcomes IAM distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    Allow,
    ExplicitDeny,
    ImplicitDeny,
}

impl Decision {
    /// `allow`, `explicit-deny` or `implicit-deny`.
    pub fn key(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::ExplicitDeny => "explicit-deny",
            Decision::ImplicitDeny => "implicit-deny",
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Decision::Allow => "allow",
            Decision::ExplicitDeny => "explicit deny",
            Decision::ImplicitDeny => "implicit deny",
        })
    }
}

/// Which kind of policy a statement came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PolicyKind {
    Identity,
    Resource,
    VpcEndpoint,
    PermissionsBoundary,
    Session,
    Scp,
    Rcp,
}

impl PolicyKind {
    /// The kind in words: `identity policy`, `SCP`, ...
    pub fn words(self) -> &'static str {
        match self {
            PolicyKind::Identity => "identity policy",
            PolicyKind::Resource => "resource-based policy",
            PolicyKind::VpcEndpoint => "VPC endpoint policy",
            PolicyKind::PermissionsBoundary => "permissions boundary",
            PolicyKind::Session => "session policy",
            PolicyKind::Scp => "SCP",
            PolicyKind::Rcp => "RCP",
        }
    }
}

/// A statement that decided.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Decider {
    pub kind: PolicyKind,
    pub policy: String,
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

impl fmt::Display for Decider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} statement {}", self.policy, self.index)?;
        if let Some(s) = &self.sid {
            write!(f, " ({s})")?;
        }
        Ok(())
    }
}

/// The answer: the decision, the statements that made it (none for an implicit deny),
/// why in one line, and each policy's part.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Verdict {
    pub decision: Decision,
    /// The first of `decisive`.
    pub decided_by: Option<Decider>,
    /// Every statement the decision rests on: the denying statements, or the allowing
    /// ones that were needed.
    pub decisive: Vec<Decider>,
    pub reason: String,
    /// Each policy's part, in words, in evaluation order.
    pub explanation: Vec<String>,
}

/// A named policy.
pub type NamedPolicy = (String, PolicyDocument);

/// The policies that apply to a request.
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    pub identity: Vec<NamedPolicy>,
    pub resource: Option<NamedPolicy>,
    /// Every endpoint the request passes through.
    pub vpc_endpoint: Vec<NamedPolicy>,
    pub boundary: Option<NamedPolicy>,
    pub session: Option<NamedPolicy>,
    /// SCP levels from the organization root down to the account; each must allow.
    pub scps: Vec<Vec<NamedPolicy>>,
    /// RCP levels, likewise.
    pub rcps: Vec<Vec<NamedPolicy>>,
}

impl PolicySet {
    pub fn identity(mut self, name: &str, p: PolicyDocument) -> Self {
        self.identity.push((name.to_string(), p));
        self
    }
    pub fn resource_policy(mut self, name: &str, p: PolicyDocument) -> Self {
        self.resource = Some((name.to_string(), p));
        self
    }
    pub fn vpc_endpoint(mut self, name: &str, p: PolicyDocument) -> Self {
        self.vpc_endpoint.push((name.to_string(), p));
        self
    }
    pub fn boundary(mut self, name: &str, p: PolicyDocument) -> Self {
        self.boundary = Some((name.to_string(), p));
        self
    }
    pub fn session(mut self, name: &str, p: PolicyDocument) -> Self {
        self.session = Some((name.to_string(), p));
        self
    }
    /// Adds an SCP level holding this one policy.
    pub fn scp(mut self, name: &str, p: PolicyDocument) -> Self {
        self.scps.push(vec![(name.to_string(), p)]);
        self
    }
    /// Adds an SCP level (the next one down); a level of no policy allows nothing.
    pub fn scp_level(mut self, level: Vec<NamedPolicy>) -> Self {
        self.scps.push(level);
        self
    }
    /// Adds an RCP level (the next one down).
    pub fn rcp_level(mut self, level: Vec<NamedPolicy>) -> Self {
        self.rcps.push(level);
        self
    }

    /// Evaluates a request; `bindings` resolve intrinsics inside the policies (a value
    /// they cannot resolve matches nothing).
    pub fn evaluate(&self, req: &Request, bindings: &Bindings) -> Verdict {
        Eval::new(req, bindings, self.boundary.is_some()).run(self)
    }

    /// [`PolicySet::evaluate`]'s decision, without writing the explanation (the
    /// prover's search asks for many requests' decisions and reads no explanation).
    /// The same evaluation: only the explanation's lines are left unwritten.
    pub fn decision(&self, req: &Request, bindings: &Bindings) -> Decision {
        let caller = Caller::parse(&req.principal);
        self.decision_as(req, caller.as_ref(), bindings)
    }

    /// [`PolicySet::decision`] with the principal read already: `caller` must be
    /// `Caller::parse(&req.principal)` (a search asks of a few principals many times).
    pub fn decision_as(
        &self,
        req: &Request,
        caller: Option<&Caller>,
        bindings: &Bindings,
    ) -> Decision {
        let mut e = Eval::parsed(req, caller, bindings, self.boundary.is_some());
        e.explain = false;
        e.run(self).decision
    }
}

/// The services whose resources RCPs govern (AWS Organizations User Guide, "Resource
/// control policies": list of AWS services that support RCPs).
pub(crate) const RCP_SERVICES: &[&str] = &[
    "s3",
    "sts",
    "sqs",
    "secretsmanager",
    "kms",
    "cognito-identity",
    "logs",
    "dynamodb",
    "ecr",
    "aoss",
];

/// One evaluation: the request, its caller and its full context.
struct Eval<'a> {
    req: &'a Request,
    b: &'a Bindings,
    caller: Cow<'a, Caller>,
    /// Whether the principal is one IAM can read (else it is treated as anonymous).
    known: bool,
    /// The full context, made when a condition or variable first reads it: many
    /// statements are decided by their action or resource before any condition is read.
    ctx: OnceCell<BTreeMap<String, Vec<String>>>,
    /// The request's resource in its six parts ([`arn::split`]), split on first use.
    resource: OnceCell<Option<[&'a str; 6]>>,
    has_boundary: bool,
    /// Whether the verdict's explanation is written ([`PolicySet::decision`] needs the
    /// decision only; every branch taken is the same either way).
    explain: bool,
}

/// How a statement matched: which statement, and how it names the caller.
#[derive(Clone)]
struct Hit {
    d: Decider,
    named: Naming,
}

impl<'a> Eval<'a> {
    fn new(req: &'a Request, b: &'a Bindings, has_boundary: bool) -> Self {
        let parsed = Caller::parse(&req.principal);
        let known = parsed.is_some();
        let caller = Cow::Owned(parsed.unwrap_or(Caller::Anonymous));
        Eval {
            req,
            b,
            caller,
            known,
            ctx: OnceCell::new(),
            resource: OnceCell::new(),
            has_boundary,
            explain: true,
        }
    }

    /// [`Eval::new`] with the principal read already: `parsed` is
    /// `Caller::parse(&req.principal)` (checked in debug builds).
    fn parsed(
        req: &'a Request,
        parsed: Option<&'a Caller>,
        b: &'a Bindings,
        has_boundary: bool,
    ) -> Self {
        debug_assert_eq!(Caller::parse(&req.principal).as_ref(), parsed);
        let known = parsed.is_some();
        let caller = parsed.map_or(Cow::Owned(Caller::Anonymous), Cow::Borrowed);
        Eval {
            req,
            b,
            caller,
            known,
            ctx: OnceCell::new(),
            resource: OnceCell::new(),
            has_boundary,
            explain: true,
        }
    }

    /// The request's context with the keys AWS derives from the caller and the
    /// resource (the request's own values override them).
    fn ctx(&self) -> &BTreeMap<String, Vec<String>> {
        self.ctx.get_or_init(|| {
            let mut ctx: BTreeMap<String, Vec<String>> = self
                .caller
                .context()
                .into_iter()
                .map(|(k, v)| (k.to_string(), vec![v]))
                .collect();
            if let Some(a) = resource_account(self.req, &self.caller) {
                ctx.insert("aws:resourceaccount".into(), vec![a]);
            }
            for (k, v) in &self.req.context {
                ctx.insert(k.to_ascii_lowercase(), v.clone());
            }
            ctx
        })
    }

    fn lookup(&self, key: &str) -> Option<Vec<String>> {
        self.ctx().get(key).cloned()
    }

    /// A condition key's values (keys are compared without ASCII case).
    fn values(&self, key: &str) -> Option<&[String]> {
        let ctx = self.ctx();
        if key.bytes().any(|b| b.is_ascii_uppercase()) {
            ctx.get(&key.to_ascii_lowercase())
        } else {
            ctx.get(key)
        }
        .map(Vec::as_slice)
    }

    /// Whether the resource pattern `raw` (policy variables replaced when `vars`)
    /// matches the request's resource. A pattern without `${` is read as written, as
    /// `substitute_variables` gives it back.
    fn resource_hit(&self, raw: &str, vars: bool) -> bool {
        let resource = self
            .resource
            .get_or_init(|| arn::split(&self.req.resource))
            .as_ref();
        if vars && raw.contains("${") {
            substitute_variables(raw, &|k| self.lookup(k))
                .is_some_and(|p| arn::arn_like_split(&p, resource))
        } else {
            arn::arn_like_split(raw, resource)
        }
    }

    /// How `s` matches the request, if it does.
    fn matches(&self, kind: PolicyKind, version: &str, s: &Statement) -> Option<Naming> {
        let action_hit = s.action.inner().iter().any(|a| a.matches(&self.req.action));
        if action_hit == s.action.is_negated() {
            return None;
        }
        let vars = version == "2012-10-17";
        let text = |raw: String| -> Option<String> {
            if vars {
                substitute_variables(&raw, &|k| self.lookup(k))
            } else {
                Some(raw)
            }
        };
        if let Some(r) = &s.resource {
            let hit = r.inner().iter().any(|e| match e {
                ResourceEntry::Arn(a) => self.resource_hit(a.as_str(), vars),
                ResourceEntry::Expr(v) => self
                    .b
                    .resolve(v)
                    .is_some_and(|raw| self.resource_hit(&raw, vars)),
            });
            if hit == r.is_negated() {
                return None;
            }
        }
        let named = match kind {
            // Identity policies, boundaries, session policies and SCPs have no
            // Principal: they apply to their holder.
            PolicyKind::Identity
            | PolicyKind::PermissionsBoundary
            | PolicyKind::Session
            | PolicyKind::Scp => Naming::Caller,
            PolicyKind::Resource | PolicyKind::VpcEndpoint | PolicyKind::Rcp => {
                let resolve = |v: &crate::template::Value| self.b.resolve(v);
                match &s.principal {
                    // Endpoint policies and RCPs without a Principal (which AWS requires)
                    // are read as its default, `*`; a resource policy's statement without
                    // one names no one.
                    None if kind != PolicyKind::Resource => Naming::Everyone,
                    None => return None,
                    Some(p) if !p.is_negated() => {
                        if !self.known && !matches!(p.inner(), super::Principal::Any) {
                            return None;
                        }
                        match self.caller.named_by(p.inner(), &resolve) {
                            Naming::No => return None,
                            n => n,
                        }
                    }
                    Some(p) => {
                        // A Deny with NotPrincipal denies every caller that has a
                        // permissions boundary, whatever it lists (IAM User Guide,
                        // "Permissions boundaries for IAM entities").
                        let boundary_trap = kind == PolicyKind::Resource
                            && s.effect == Effect::Deny
                            && self.has_boundary;
                        let excluded = if s.effect == Effect::Deny {
                            self.caller.excluded_by(p.inner(), &resolve)
                        } else {
                            // An Allow with NotPrincipal grants no one it names in any way.
                            self.caller.named_by(p.inner(), &resolve) != Naming::No
                        };
                        if !boundary_trap && excluded {
                            return None;
                        }
                        Naming::Everyone
                    }
                }
            }
        };
        let ok = s.condition.iter().all(|(op, keys)| {
            keys.iter().all(|(key, vals)| {
                let policy: Vec<String> = vals
                    .iter()
                    .filter_map(|v| self.b.resolve(v))
                    .filter_map(&text)
                    .collect();
                if policy.is_empty() && !vals.is_empty() {
                    // No value could be made concrete: a positive test fails closed, a
                    // negated one holds.
                    return op.op.is_negated() && op.evaluate(self.values(key), &[]);
                }
                op.evaluate(self.values(key), &policy)
            })
        });
        ok.then_some(named)
    }

    /// Every statement of a policy with this effect that matches.
    fn hits(&self, kind: PolicyKind, (name, doc): &NamedPolicy, effect: Effect) -> Vec<Hit> {
        doc.statements
            .iter()
            .enumerate()
            .filter(|(_, s)| s.effect == effect)
            .filter_map(|(i, s)| {
                self.matches(kind, &doc.version, s).map(|named| Hit {
                    d: Decider {
                        kind,
                        policy: name.clone(),
                        index: i,
                        sid: s.sid.clone(),
                    },
                    named,
                })
            })
            .collect()
    }

    /// The strongest allowing statement of a policy.
    fn allow(&self, kind: PolicyKind, p: &NamedPolicy) -> Option<Hit> {
        self.hits(kind, p, Effect::Allow)
            .into_iter()
            .max_by_key(|h| (h.named, std::cmp::Reverse(h.d.index)))
    }

    fn run(&self, set: &PolicySet) -> Verdict {
        let req = self.req;
        let caller: &Caller = &self.caller;
        let mut why = Why {
            on: self.explain,
            lines: Vec::new(),
        };
        if !self.known {
            why.say(|| {
                format!(
                    "the principal {:?} is no ARN IAM knows: evaluated as an anonymous caller",
                    req.principal
                )
            });
        }
        if req.action.eq_ignore_ascii_case("sts:GetCallerIdentity") && caller.is_iam() {
            why.say(|| {
                "sts:GetCallerIdentity needs no permission and no policy can deny it".into()
            });
            return verdict(
                Decision::Allow,
                vec![],
                "allowed: sts:GetCallerIdentity needs no permission".into(),
                why,
            );
        }
        let res_account = resource_account(req, caller);
        let mgmt = req.management_account.as_deref();
        let service = req
            .action
            .split(':')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        let scps_apply = caller.is_iam()
            && !caller.is_service_linked()
            && (mgmt.is_none() || caller.account() != mgmt);
        let rcps_apply = RCP_SERVICES.contains(&service.as_str())
            && !caller.is_service_linked()
            && (mgmt.is_none() || res_account.as_deref() != mgmt);
        let identity_side = caller.is_iam();

        // Every policy that applies, in the order the explanation tells them.
        let mut applicable: Vec<(PolicyKind, &NamedPolicy)> = Vec::new();
        if !set.rcps.is_empty() {
            if rcps_apply {
                for level in &set.rcps {
                    for p in level {
                        applicable.push((PolicyKind::Rcp, p));
                    }
                }
            } else {
                why.say(|| {
                    format!(
                        "RCPs: do not apply ({})",
                        if caller.is_service_linked() {
                            "a service-linked role is not restricted by RCPs".to_string()
                        } else if !RCP_SERVICES.contains(&service.as_str()) {
                            format!("RCPs do not cover {service}")
                        } else {
                            "the resource is in the management account".to_string()
                        }
                    )
                });
            }
        }
        if !set.scps.is_empty() {
            if scps_apply {
                for level in &set.scps {
                    for p in level {
                        applicable.push((PolicyKind::Scp, p));
                    }
                }
            } else {
                why.say(|| {
                    format!(
                        "SCPs: do not apply ({})",
                        if caller.is_service_linked() {
                            "a service-linked role is not restricted by SCPs"
                        } else if !caller.is_iam() {
                            "the caller is no IAM principal of a member account"
                        } else {
                            "the caller is in the management account"
                        }
                    )
                });
            }
        }
        for p in &set.vpc_endpoint {
            applicable.push((PolicyKind::VpcEndpoint, p));
        }
        for (kind, p) in [
            (PolicyKind::PermissionsBoundary, set.boundary.as_ref()),
            (PolicyKind::Session, set.session.as_ref()),
        ] {
            if let Some(p) = p {
                if identity_side {
                    applicable.push((kind, p));
                } else {
                    why.say(|| format!("{} {}: does not apply to this caller", kind.words(), p.0));
                }
            }
        }
        if let Some(p) = &set.resource {
            applicable.push((PolicyKind::Resource, p));
        }
        for p in &set.identity {
            if identity_side {
                applicable.push((PolicyKind::Identity, p));
            } else {
                why.say(|| format!("identity policy {}: does not apply to this caller", p.0));
            }
        }

        // 1. Explicit denies, everywhere.
        let denies: Vec<Decider> = applicable
            .iter()
            .flat_map(|(k, p)| self.hits(*k, p, Effect::Deny))
            .map(|h| h.d)
            .collect();
        if !denies.is_empty() {
            for d in &denies {
                why.say(|| {
                    format!(
                        "{} {}: statement {} denies explicitly",
                        d.kind.words(),
                        d.policy,
                        stmt_name(d)
                    )
                });
            }
            let reason = format!("explicitly denied by {}", denies[0]);
            return verdict(Decision::ExplicitDeny, denies, reason, why);
        }

        if let Some(why_not) = immutable(&req.action, &req.resource) {
            why.say(|| why_not.to_string());
            return verdict(Decision::ImplicitDeny, vec![], why_not.to_string(), why);
        }
        let mut decisive = Vec::new();
        // 2. and 3. Organization levels: each must allow.
        for (kind, levels, applies) in [
            (PolicyKind::Rcp, &set.rcps, rcps_apply),
            (PolicyKind::Scp, &set.scps, scps_apply),
        ] {
            if !applies {
                continue;
            }
            for (i, level) in levels.iter().enumerate() {
                let hit = level.iter().find_map(|p| self.allow(kind, p));
                let what = format!("{} level {}", kind.words(), i + 1);
                match hit {
                    Some(h) => {
                        why.say(|| {
                            format!(
                                "{what}: {} statement {} allows",
                                h.d.policy,
                                stmt_name(&h.d)
                            )
                        });
                        decisive.push(h.d);
                    }
                    None => {
                        why.say(|| {
                            if level.is_empty() {
                                format!("{what}: holds no policy, so it allows nothing")
                            } else {
                                format!("{what}: no statement allows the request")
                            }
                        });
                        return verdict(
                            Decision::ImplicitDeny,
                            vec![],
                            format!("no statement of {what} allows the request"),
                            why,
                        );
                    }
                }
            }
        }
        // 4. Endpoint policies.
        for p in &set.vpc_endpoint {
            match self.allow(PolicyKind::VpcEndpoint, p) {
                Some(h) => {
                    why.say(|| {
                        format!(
                            "VPC endpoint policy {}: statement {} allows",
                            p.0,
                            stmt_name(&h.d)
                        )
                    });
                    decisive.push(h.d);
                }
                None => {
                    why.say(|| {
                        format!(
                            "VPC endpoint policy {}: no statement allows the request",
                            p.0
                        )
                    });
                    return verdict(
                        Decision::ImplicitDeny,
                        vec![],
                        format!("the VPC endpoint policy {} does not allow the request", p.0),
                        why,
                    );
                }
            }
        }

        // 5. and 6. The caller's own policies and the resource's.
        let identity_allow = if identity_side {
            set.identity
                .iter()
                .find_map(|p| self.allow(PolicyKind::Identity, p))
        } else {
            None
        };
        let root_self =
            matches!(caller, Caller::Root { .. }) && res_account.as_deref() == caller.account();
        let boundary = identity_side
            .then(|| {
                set.boundary
                    .as_ref()
                    .map(|p| self.allow(PolicyKind::PermissionsBoundary, p))
            })
            .flatten();
        let session = identity_side
            .then(|| {
                set.session
                    .as_ref()
                    .map(|p| self.allow(PolicyKind::Session, p))
            })
            .flatten();
        let boundary_ok = boundary.as_ref().is_none_or(Option::is_some);
        let session_ok = session.as_ref().is_none_or(Option::is_some);
        let resource_allow = set
            .resource
            .as_ref()
            .and_then(|p| self.allow(PolicyKind::Resource, p));

        for (kind, p, r) in [
            (PolicyKind::PermissionsBoundary, &set.boundary, &boundary),
            (PolicyKind::Session, &set.session, &session),
        ] {
            if let (Some(p), Some(r)) = (p, r) {
                why.say(|| match r {
                    Some(h) => format!("{} {}: statement {} allows", kind.words(), p.0, stmt_name(&h.d)),
                    None => format!("{} {}: no statement allows the request (it limits what identity policies and role grants give)", kind.words(), p.0),
                });
            }
        }
        if let Some(p) = &set.resource {
            why.say(|| match &resource_allow {
                Some(h) => format!(
                    "resource-based policy {}: statement {} allows, naming {}",
                    p.0,
                    stmt_name(&h.d),
                    match h.named {
                        Naming::Caller => "the caller itself",
                        Naming::Everyone => "every principal (*)",
                        Naming::Role =>
                            "the caller's role (the boundary and session policy still apply)",
                        Naming::Account =>
                            "the caller's account (the caller's own policies must allow too)",
                        Naming::No => "no one",
                    }
                ),
                None => format!(
                    "resource-based policy {}: no statement allows the caller",
                    p.0
                ),
            });
        }
        if identity_side {
            if root_self && identity_allow.is_none() {
                why.say(|| "the account's root user holds every permission of its account".into());
            } else if !set.identity.is_empty() || identity_allow.is_some() {
                why.say(|| match &identity_allow {
                    Some(h) => format!(
                        "identity policy {}: statement {} allows",
                        h.d.policy,
                        stmt_name(&h.d)
                    ),
                    None => "identity policies: no statement allows the request".into(),
                });
            }
        }

        let identity_granted = identity_allow.is_some() || root_self;
        let own_ok = identity_granted && boundary_ok && session_ok;
        let own_deciders = || {
            let mut v: Vec<Decider> = identity_allow.iter().map(|h| h.d.clone()).collect();
            v.extend(boundary.iter().flatten().map(|h| h.d.clone()));
            v.extend(session.iter().flatten().map(|h| h.d.clone()));
            v
        };
        let required = resource_policy_required(&req.action, &req.resource);
        let same_account = caller.is_iam() && res_account.as_deref() == caller.account();

        let mut allow = |mut ds: Vec<Decider>, reason: String, why: Why| {
            decisive.append(&mut ds);
            verdict(Decision::Allow, std::mem::take(&mut decisive), reason, why)
        };
        if same_account {
            // A grant the boundary or session policy could be what stops.
            let granted_somewhere = identity_granted
                || resource_allow
                    .as_ref()
                    .is_some_and(|h| matches!(h.named, Naming::Role | Naming::Account));
            match &resource_allow {
                Some(h) if matches!(h.named, Naming::Caller | Naming::Everyone) => {
                    let r = format!("allowed by {}", h.d);
                    return allow(vec![h.d.clone()], r, why);
                }
                Some(h) if h.named == Naming::Role && boundary_ok && session_ok => {
                    let r = format!("allowed by {} (naming the caller's role)", h.d);
                    let mut ds = vec![h.d.clone()];
                    ds.extend(boundary.iter().flatten().map(|x| x.d.clone()));
                    ds.extend(session.iter().flatten().map(|x| x.d.clone()));
                    return allow(ds, r, why);
                }
                Some(h) if own_ok => {
                    let mut ds = own_deciders();
                    ds.push(h.d.clone());
                    let r = format!("allowed by {} and {}", h.d, describe_own(&identity_allow));
                    return allow(ds, r, why);
                }
                _ if own_ok && !required => {
                    let r = format!("allowed by {}", describe_own(&identity_allow));
                    return allow(own_deciders(), r, why);
                }
                _ => {}
            }
            let reason = if required && own_ok {
                why.say(|| {
                    format!(
                        "{} must itself allow the caller or its account; it does not",
                        what_required(&req.action)
                    )
                });
                format!("{} does not allow the request", what_required(&req.action))
            } else if granted_somewhere && !boundary_ok {
                "the permissions boundary does not allow the request".to_string()
            } else if granted_somewhere && !session_ok {
                "the session policy does not allow the request".to_string()
            } else {
                "no statement allows the request".to_string()
            };
            return verdict(Decision::ImplicitDeny, vec![], reason, why);
        }
        if !caller.is_iam() {
            // Anonymous callers and services: only the resource's policy can allow.
            return match &resource_allow {
                Some(h) if matches!(h.named, Naming::Caller | Naming::Everyone) => {
                    let r = format!("allowed by {}", h.d);
                    allow(vec![h.d.clone()], r, why)
                }
                _ => verdict(
                    Decision::ImplicitDeny,
                    vec![],
                    "no resource-based policy allows this caller".into(),
                    why,
                ),
            };
        }
        // Across accounts: both sides.
        why.say(|| format!(
            "the resource is in account {}, the caller in {}: both the resource-based policy and the caller's own policies must allow",
            res_account.as_deref().unwrap_or("?"),
            caller.account().unwrap_or("?")
        ));
        match (&resource_allow, own_ok) {
            (Some(h), true) => {
                let mut ds = own_deciders();
                ds.push(h.d.clone());
                let r = format!("allowed by {} and {}", h.d, describe_own(&identity_allow));
                allow(ds, r, why)
            }
            (None, _) => {
                let r = if set.resource.is_none() {
                    "across accounts a resource-based policy must allow; there is none".into()
                } else {
                    "across accounts the resource-based policy must allow the caller; it does not"
                        .into()
                };
                verdict(Decision::ImplicitDeny, vec![], r, why)
            }
            (Some(_), false) => {
                let r = if identity_granted && !boundary_ok {
                    "the permissions boundary does not allow the request"
                } else if identity_granted && !session_ok {
                    "the session policy does not allow the request"
                } else {
                    "across accounts the caller's identity policies must allow too; none does"
                };
                verdict(Decision::ImplicitDeny, vec![], r.into(), why)
            }
        }
    }
}

fn describe_own(identity: &Option<Hit>) -> String {
    match identity {
        Some(h) => h.d.to_string(),
        None => "the root user's own permissions".into(),
    }
}

/// The lines of a verdict's explanation, written only when it is asked for.
struct Why {
    on: bool,
    lines: Vec<String>,
}

impl Why {
    fn say(&mut self, line: impl FnOnce() -> String) {
        if self.on {
            self.lines.push(line());
        }
    }
}

fn verdict(decision: Decision, decisive: Vec<Decider>, reason: String, why: Why) -> Verdict {
    Verdict {
        decision,
        decided_by: decisive.first().cloned(),
        decisive,
        reason,
        explanation: why.lines,
    }
}

fn stmt_name(d: &Decider) -> String {
    match &d.sid {
        Some(s) => format!("{} ({s})", d.index),
        None => d.index.to_string(),
    }
}

/// The account owning the resource: as the request says, else from its ARN, else (for
/// ARNs without an account, such as S3's) the caller's.
fn resource_account(req: &Request, caller: &Caller) -> Option<String> {
    if let Some(a) = &req.resource_account {
        return Some(a.clone());
    }
    let a = req.resource.split(':').nth(4).unwrap_or("");
    if a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()) {
        return Some(a.to_string());
    }
    caller.account().map(str::to_string)
}

/// Requests the resource's own policy must allow, whatever identity policies say:
/// assuming a role (its trust policy) and using a KMS key (its key policy).
fn resource_policy_required(action: &str, resource: &str) -> bool {
    let parts: Vec<&str> = resource.splitn(6, ':').collect();
    match parts.as_slice() {
        [_, _, "kms", _, _, rest] => rest.starts_with("key/"),
        [_, _, "iam", _, _, rest] => {
            rest.starts_with("role/")
                && action
                    .split_once(':')
                    .is_some_and(|(s, a)| s.eq_ignore_ascii_case("sts") && is_trust_action(a))
        }
        _ => false,
    }
}

/// What AWS refuses whatever the policies say: changing AWS managed policies, roles
/// reserved for AWS (IAM Identity Center's `aws-reserved/` path) and AWS managed KMS
/// aliases (`alias/aws/`).
fn immutable(action: &str, resource: &str) -> Option<&'static str> {
    let (service, name) = action.split_once(':')?;
    let parts: Vec<&str> = resource.splitn(6, ':').collect();
    let [_, _, svc, _, account, rest] = parts.as_slice() else {
        return None;
    };
    let reads = ["Get", "List", "Generate", "Simulate"];
    let is_read = reads
        .iter()
        .any(|r| name.len() >= r.len() && name[..r.len()].eq_ignore_ascii_case(r));
    if service.eq_ignore_ascii_case("iam") && *svc == "iam" && !is_read {
        if *account == "aws" && rest.starts_with("policy/") {
            return Some("AWS managed policies cannot be changed");
        }
        if rest.starts_with("role/aws-reserved/") {
            return Some("roles reserved for AWS (path /aws-reserved/) cannot be changed");
        }
    }
    if service.eq_ignore_ascii_case("kms")
        && *svc == "kms"
        && rest.starts_with("alias/aws/")
        && ["CreateAlias", "DeleteAlias", "UpdateAlias"]
            .iter()
            .any(|a| a.eq_ignore_ascii_case(name))
    {
        return Some("AWS managed KMS aliases (alias/aws/) cannot be changed");
    }
    None
}

fn is_trust_action(a: &str) -> bool {
    [
        "AssumeRole",
        "AssumeRoleWithSAML",
        "AssumeRoleWithWebIdentity",
        "TagSession",
        "SetSourceIdentity",
        "SetContext",
    ]
    .iter()
    .any(|x| x.eq_ignore_ascii_case(a))
}

fn what_required(action: &str) -> &'static str {
    if action.to_ascii_lowercase().starts_with("kms:") {
        "the key policy"
    } else {
        "the role's trust policy"
    }
}

/// Whether a statement matches the request in every element (policy variables of
/// version 2012-10-17 replaced).
pub fn applies(kind: PolicyKind, s: &Statement, req: &Request, b: &Bindings) -> bool {
    Matcher::new(req, b).applies(kind, s)
}

/// [`applies`] for many statements and one request: the caller is read and the
/// context made once, not once a statement.
pub struct Matcher<'a>(Eval<'a>);

impl<'a> Matcher<'a> {
    pub fn new(req: &'a Request, b: &'a Bindings) -> Self {
        Matcher(Eval::new(req, b, false))
    }

    /// [`Matcher::new`] with the principal read already: `caller` must be
    /// `Caller::parse(&req.principal)`.
    pub fn with_caller(req: &'a Request, caller: Option<&'a Caller>, b: &'a Bindings) -> Self {
        Matcher(Eval::parsed(req, caller, b, false))
    }

    /// Whether `s` matches the request in every element, as [`applies`] says.
    pub fn applies(&self, kind: PolicyKind, s: &Statement) -> bool {
        self.0.matches(kind, "2012-10-17", s).is_some()
    }
}

/// Convenience: evaluates a request against one policy used as its only identity policy.
pub fn evaluate_identity(p: &PolicyDocument, req: &Request) -> Verdict {
    PolicySet::default()
        .identity("policy", p.clone())
        .evaluate(req, &Bindings::new())
}
