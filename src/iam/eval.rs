//! The policy evaluator: given identity policies and, where they apply, a resource-based
//! policy, a VPC endpoint policy, a permissions boundary and SCPs, it answers whether a
//! request is allowed, following AWS's documented evaluation logic:
//!
//! 1. An explicit `Deny` in any applicable policy decides: denied.
//! 2. SCPs, a VPC endpoint policy and a permissions boundary are filters: each present
//!    one must allow the request, else it is implicitly denied.
//! 3. Then an `Allow` in an identity policy, or in a resource-based policy for a
//!    principal of the same account, allows it (across accounts both must allow).
//! 4. Otherwise: implicit deny.

use std::collections::BTreeMap;
use std::fmt;

use super::policy::{Principal, PrincipalKind, ResourceEntry, Statement};
use super::{Bindings, Effect, PolicyDocument, arn};

/// The request: who, what, on which resource, with which context keys.
#[derive(Debug, Clone)]
pub struct Request {
    /// The principal's ARN (a role ARN, or an assumed-role session ARN).
    pub principal: String,
    pub action: String,
    pub resource: String,
    /// Context keys (compared without regard to case) with their values.
    pub context: BTreeMap<String, Vec<String>>,
}

impl Request {
    pub fn new(principal: &str, action: &str, resource: &str) -> Self {
        let mut context = BTreeMap::new();
        context.insert("aws:principalarn".to_string(), vec![principal.to_string()]);
        Request {
            principal: principal.to_string(),
            action: action.to_string(),
            resource: resource.to_string(),
            context,
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

    fn principal_account(&self) -> &str {
        self.principal.split(':').nth(4).unwrap_or("")
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum PolicyKind {
    Identity,
    Resource,
    VpcEndpoint,
    PermissionsBoundary,
    Scp,
}

/// The statement that decided.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Decider {
    pub kind: PolicyKind,
    pub policy: String,
    pub index: usize,
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

/// The answer: the decision, the statement that made it (none for an implicit deny),
/// and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Verdict {
    pub decision: Decision,
    pub decided_by: Option<Decider>,
    pub reason: String,
}

/// The policies that apply to a request.
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    pub identity: Vec<(String, PolicyDocument)>,
    pub resource: Option<(String, PolicyDocument)>,
    pub vpc_endpoint: Option<(String, PolicyDocument)>,
    pub boundary: Option<(String, PolicyDocument)>,
    pub scps: Vec<(String, PolicyDocument)>,
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
        self.vpc_endpoint = Some((name.to_string(), p));
        self
    }
    pub fn boundary(mut self, name: &str, p: PolicyDocument) -> Self {
        self.boundary = Some((name.to_string(), p));
        self
    }
    pub fn scp(mut self, name: &str, p: PolicyDocument) -> Self {
        self.scps.push((name.to_string(), p));
        self
    }

    /// Evaluates a request; `bindings` resolve intrinsics inside the policies.
    pub fn evaluate(&self, req: &Request, bindings: &Bindings) -> Verdict {
        let all: Vec<(PolicyKind, &(String, PolicyDocument))> = self
            .scps
            .iter()
            .map(|p| (PolicyKind::Scp, p))
            .chain(
                self.vpc_endpoint
                    .iter()
                    .map(|p| (PolicyKind::VpcEndpoint, p)),
            )
            .chain(
                self.boundary
                    .iter()
                    .map(|p| (PolicyKind::PermissionsBoundary, p)),
            )
            .chain(self.resource.iter().map(|p| (PolicyKind::Resource, p)))
            .chain(self.identity.iter().map(|p| (PolicyKind::Identity, p)))
            .collect();
        for (kind, (name, doc)) in &all {
            if let Some(d) = find(*kind, name, doc, Effect::Deny, req, bindings) {
                return Verdict {
                    decision: Decision::ExplicitDeny,
                    reason: format!("explicitly denied by {d}"),
                    decided_by: Some(d),
                };
            }
        }
        let implicit = |reason: String| Verdict {
            decision: Decision::ImplicitDeny,
            decided_by: None,
            reason,
        };
        if !self.scps.is_empty()
            && !self
                .scps
                .iter()
                .all(|(n, d)| find(PolicyKind::Scp, n, d, Effect::Allow, req, bindings).is_some())
        {
            return implicit("no statement in a service control policy allows the request".into());
        }
        if let Some((n, d)) = &self.vpc_endpoint
            && find(PolicyKind::VpcEndpoint, n, d, Effect::Allow, req, bindings).is_none()
        {
            return implicit(format!(
                "the VPC endpoint policy {n} does not allow the request"
            ));
        }
        let resource_allow = self
            .resource
            .as_ref()
            .and_then(|(n, d)| find(PolicyKind::Resource, n, d, Effect::Allow, req, bindings));
        let identity_allow = self
            .identity
            .iter()
            .find_map(|(n, d)| find(PolicyKind::Identity, n, d, Effect::Allow, req, bindings));
        let boundary_ok = self.boundary.as_ref().is_none_or(|(n, d)| {
            find(
                PolicyKind::PermissionsBoundary,
                n,
                d,
                Effect::Allow,
                req,
                bindings,
            )
            .is_some()
        });
        let resource_account = arn_account(&req.resource);
        let cross_account =
            !resource_account.is_empty() && resource_account != req.principal_account();
        let allowed_by = if cross_account && self.resource.is_some() {
            // Across accounts both sides must allow.
            resource_allow.and(identity_allow.clone().filter(|_| boundary_ok))
        } else {
            identity_allow
                .clone()
                .filter(|_| boundary_ok)
                .or(resource_allow)
        };
        match allowed_by {
            Some(d) => Verdict {
                decision: Decision::Allow,
                reason: format!("allowed by {d}"),
                decided_by: Some(d),
            },
            None if identity_allow.is_some() && !boundary_ok => {
                implicit("the permissions boundary does not allow the request".into())
            }
            None => implicit("no statement allows the request".into()),
        }
    }
}

fn arn_account(a: &str) -> &str {
    a.split(':').nth(4).unwrap_or("")
}

fn find(
    kind: PolicyKind,
    name: &str,
    doc: &PolicyDocument,
    effect: Effect,
    req: &Request,
    b: &Bindings,
) -> Option<Decider> {
    doc.statements.iter().enumerate().find_map(|(i, s)| {
        (s.effect == effect && applies(kind, s, req, b)).then(|| Decider {
            kind,
            policy: name.to_string(),
            index: i,
            sid: s.sid.clone(),
        })
    })
}

/// Whether a statement matches the request in every element.
pub fn applies(kind: PolicyKind, s: &Statement, req: &Request, b: &Bindings) -> bool {
    let action_hit = s.action.inner().iter().any(|a| a.matches(&req.action));
    if action_hit == s.action.is_negated() {
        return false;
    }
    if let Some(r) = &s.resource {
        let hit = r.inner().iter().any(|e| match e {
            ResourceEntry::Arn(a) => a.matches(&req.resource),
            ResourceEntry::Expr(v) => b
                .resolve(v)
                .is_some_and(|x| arn::arn_like(&x, &req.resource)),
        });
        if hit == r.is_negated() {
            return false;
        }
    }
    // Identity policies and SCPs have no Principal element: they apply to their holder.
    if !matches!(
        kind,
        PolicyKind::Identity | PolicyKind::PermissionsBoundary | PolicyKind::Scp
    ) {
        match &s.principal {
            None => return false,
            Some(p) => {
                if principal_matches(p.inner(), req, b) == p.is_negated() {
                    return false;
                }
            }
        }
    }
    s.condition.iter().all(|(op, keys)| {
        keys.iter().all(|(key, vals)| {
            let policy: Vec<String> = vals.iter().filter_map(|v| b.resolve(v)).collect();
            if policy.len() != vals.len() {
                // An unresolvable value matches nothing: an Allow fails closed.
                return op.op.is_negated()
                    && op.evaluate(
                        req.context
                            .get(&key.to_ascii_lowercase())
                            .map(Vec::as_slice),
                        &policy,
                    );
            }
            op.evaluate(
                req.context
                    .get(&key.to_ascii_lowercase())
                    .map(Vec::as_slice),
                &policy,
            )
        })
    })
}

fn principal_matches(p: &Principal, req: &Request, b: &Bindings) -> bool {
    let ids = match p {
        Principal::Any => return true,
        Principal::Ids(ids) => ids,
    };
    let account = req.principal_account();
    let role_arn = session_to_role(&req.principal);
    ids.iter().any(|(kind, vals)| {
        vals.iter()
            .filter_map(|v| b.resolve(v))
            .any(|id| match kind {
                PrincipalKind::Aws => {
                    id == "*"
                        || id == req.principal
                        || role_arn.as_deref() == Some(id.as_str())
                        || id == account
                        || id == format!("arn:aws:iam::{account}:root")
                }
                _ => id == req.principal,
            })
    })
}

/// `arn:aws:sts::1:assumed-role/Name/session` is a session of `arn:aws:iam::1:role/Name`.
fn session_to_role(p: &str) -> Option<String> {
    let parts: Vec<&str> = p.splitn(6, ':').collect();
    let [_, partition, "sts", _, account, rest] = parts.as_slice() else {
        return None;
    };
    let name = rest.strip_prefix("assumed-role/")?.split('/').next()?;
    Some(format!("arn:{partition}:iam::{account}:role/{name}"))
}

/// Convenience: evaluates a request against one policy used as its only identity policy.
pub fn evaluate_identity(p: &PolicyDocument, req: &Request) -> Verdict {
    PolicySet::default()
        .identity("policy", p.clone())
        .evaluate(req, &Bindings::new())
}
