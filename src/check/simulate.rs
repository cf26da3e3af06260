//! `perimeter simulate --template`: one request of a template's role, with the policies
//! the template gives it (its inline and attached policies, its boundary), the endpoint
//! it goes through and the resource's own policy (bucket, queue, topic, key, secret or
//! trust policy), every Ref and GetAtt bound as the access simulation binds them. Where
//! a value cannot be known before deployment, the answer is "cannot decide", never a
//! silent non-match.

use super::Context;
use super::access::bindings;
use super::inventory::{Inventory, PolicyUse, items, target};
use crate::iam::{
    Arn, Bindings, Decision, Effect, Negatable, PolicyDocument, PolicySet, Principal, Request,
    ResourceEntry, Verdict,
};
use crate::template::{Intrinsic, Template, Value, value_to_json};

/// What to simulate: a role of the template making one call.
#[derive(Debug, Clone, Default)]
pub struct TemplateRequest {
    /// The role's logical id.
    pub principal: String,
    pub action: String,
    /// The resource's ARN; `${Id}` and `${Id.Attr}` name what a template resource's Ref
    /// and GetAtt resolve to.
    pub resource: String,
    /// Context keys and values (a key given twice has two values).
    pub context: Vec<(String, String)>,
    /// The VPC endpoint the call goes through, by logical id.
    pub via: Option<String>,
}

/// Why a template request cannot be simulated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateSimError {
    /// The request names something the template does not hold.
    #[error("{0}")]
    Invalid(String),
    /// A value the decision depends on is not known before deployment.
    #[error("cannot decide: {0}")]
    CannotDecide(String),
}

/// Simulates the request against the template; `ctx` gives the partition, account and
/// region the template is deployed to.
pub fn simulate_template(
    t: &Template,
    ctx: &Context,
    q: &TemplateRequest,
) -> Result<Verdict, TemplateSimError> {
    use TemplateSimError::{CannotDecide, Invalid};
    let b = bindings(t, ctx);
    let inv = Inventory::of(t);
    let role = t
        .resources
        .get(q.principal.as_str())
        .filter(|r| r.resource_type.as_str() == "AWS::IAM::Role")
        .ok_or_else(|| {
            Invalid(format!(
                "--principal {}: the template has no AWS::IAM::Role of that logical id",
                q.principal
            ))
        })?;
    let resource = concrete(&b, &q.resource).ok_or_else(|| {
        CannotDecide(format!(
            "--resource {}: a reference in it has no known value",
            q.resource
        ))
    })?;
    let principal = format!(
        "arn:{}:sts::{}:assumed-role/{}/perimeter-simulate",
        ctx.partition, ctx.account, q.principal
    );
    let mut req = Request::new(&principal, &q.action, &resource);
    for (k, v) in &q.context {
        req = req.with(k, v);
    }
    let mut set = PolicySet::default();
    let mut unknown: Vec<String> = Vec::new();
    let mut unbound: Vec<Unbound> = Vec::new();

    // The role's own policies: inline, AWS::IAM::Policy/ManagedPolicy naming it, and
    // the managed policies it lists.
    for p in inv
        .policies
        .iter()
        .filter(|p| p.usage == PolicyUse::Identity && p.roles.contains(&q.principal.as_str()))
    {
        set.identity.push((
            p.name.clone(),
            ready(&b, &p.name, &q.action, &p.parsed, &mut unbound)?,
        ));
    }
    for v in items(role.properties.get("ManagedPolicyArns")) {
        match managed(t, &inv, v) {
            Some((name, doc)) => {
                if !set.identity.iter().any(|(n, _)| *n == name) {
                    set.identity.push((
                        name.clone(),
                        ready(&b, &name, &q.action, doc, &mut unbound)?,
                    ));
                }
            }
            None => unknown.push(format!(
                "the managed policy {} is not in the template",
                b.resolve(v).unwrap_or_else(|| value_to_json(v))
            )),
        }
    }
    let mut unknown_boundary = None;
    if let Some(v) = role.properties.get("PermissionsBoundary") {
        match managed(t, &inv, v) {
            Some((name, doc)) => {
                set.boundary = Some((
                    name.clone(),
                    ready(&b, &name, &q.action, doc, &mut unbound)?,
                ))
            }
            None => {
                unknown_boundary = Some(format!(
                    "the permissions boundary {} is not in the template",
                    b.resolve(v).unwrap_or_else(|| value_to_json(v))
                ))
            }
        }
    }

    // The endpoint.
    if let Some(id) = &q.via {
        let e = inv.endpoints.iter().find(|e| e.id == id).ok_or_else(|| {
            Invalid(format!(
                "--via {id}: the template has no AWS::EC2::VPCEndpoint of that logical id"
            ))
        })?;
        let vpce = b
            .resolve(&Value::Fn(Box::new(Intrinsic::Ref(id.clone()))))
            .ok_or_else(|| CannotDecide(format!("the id of the endpoint {id} is not known")))?;
        req = req.with("aws:SourceVpce", &vpce);
        if let Some(vpc) = e
            .vpc
            .and_then(|v| b.resolve(&Value::Fn(Box::new(Intrinsic::Ref(v.to_string())))))
        {
            req = req.with("aws:SourceVpc", &vpc);
        }
        if let Some(p) = inv
            .policies
            .iter()
            .find(|p| p.usage == PolicyUse::Endpoint && p.resource == id)
        {
            set.vpc_endpoint.push((
                p.name.clone(),
                ready(&b, &p.name, &q.action, &p.parsed, &mut unbound)?,
            ));
        }
    }

    // The resource's own policy.
    for p in inv
        .policies
        .iter()
        .filter(|p| matches!(p.usage, PolicyUse::Resource | PolicyUse::Trust))
    {
        let targets = policy_targets(t, p.resource, p.usage);
        let wanted = resource.split(':').nth(2).unwrap_or("");
        for target_id in targets {
            // A resource of another service cannot be the one asked about.
            if service_of(t, &target_id).is_some_and(|svc| svc != wanted) {
                continue;
            }
            let arn = resource_arn(t, &b, &target_id).ok_or_else(|| {
                CannotDecide(format!(
                    "the ARN of {target_id} (which {} governs) is not known, so whether it is the resource cannot be told",
                    p.name
                ))
            })?;
            let hit = resource == arn
                || (arn.starts_with("arn:")
                    && arn.contains(":s3:::")
                    && resource.starts_with(&format!("{arn}/")));
            let fits =
                p.usage != PolicyUse::Trust || q.action.to_ascii_lowercase().starts_with("sts:");
            if hit && fits {
                set.resource = Some((
                    p.name.clone(),
                    ready(&b, &p.name, &q.action, &p.parsed, &mut unbound)?,
                ));
            }
        }
    }

    let v = set.evaluate(&req, &Bindings::new());
    // A statement with an unbound value could have allowed (or denied) the request:
    // where that would change the answer, there is no answer.
    if let Some(u) = unbound.iter().find(|u| {
        u.covers_action
            && match u.effect {
                Effect::Allow => v.decision != Decision::Allow,
                Effect::Deny => v.decision != Decision::ExplicitDeny,
            }
    }) {
        return Err(CannotDecide(u.what.clone()));
    }
    // Policies the template does not hold can only add permissions (managed policies)
    // or take them away (a boundary): say so where that could change the answer.
    if v.decision == Decision::ImplicitDeny && !unknown.is_empty() {
        return Err(CannotDecide(format!(
            "{} (its statements could allow the request)",
            unknown.join("; ")
        )));
    }
    if v.decision == Decision::Allow
        && let Some(u) = unknown_boundary
    {
        return Err(CannotDecide(format!("{u} (it could refuse the request)")));
    }
    Ok(v)
}

/// `${Id}`/`${Id.Attr}` in a resource made concrete; a plain ARN as it is.
fn concrete(b: &Bindings, s: &str) -> Option<String> {
    if !s.contains("${") {
        return Some(s.to_string());
    }
    b.resolve(&Value::Fn(Box::new(Intrinsic::Sub {
        template: s.to_string(),
        variables: None,
    })))
}

/// A managed policy of the template that `v` (a Ref) names: its name and document.
fn managed<'a>(
    t: &Template,
    inv: &'a Inventory<'_>,
    v: &Value,
) -> Option<(String, &'a Result<PolicyDocument, crate::error::Invalid>)> {
    let id = target(v)?;
    if t.resources.get(id)?.resource_type.as_str() != "AWS::IAM::ManagedPolicy" {
        return None;
    }
    inv.policies
        .iter()
        .find(|p| p.resource == id)
        .map(|p| (p.name.clone(), &p.parsed))
}

/// The logical ids of the resources a resource-based policy is on.
fn policy_targets(t: &Template, holder: &str, usage: PolicyUse) -> Vec<String> {
    if usage == PolicyUse::Trust {
        return vec![holder.to_string()];
    }
    let Some(r) = t.resources.get(holder) else {
        return vec![];
    };
    let key = match r.resource_type.as_str() {
        "AWS::S3::BucketPolicy" => "Bucket",
        "AWS::SQS::QueuePolicy" => "Queues",
        "AWS::SNS::TopicPolicy" => "Topics",
        "AWS::SecretsManager::ResourcePolicy" => "SecretId",
        _ => return vec![holder.to_string()],
    };
    items(r.properties.get(key))
        .into_iter()
        .filter_map(target)
        .filter(|id| t.resources.contains_key(*id))
        .map(str::to_string)
        .collect()
}

/// The service in the ARN of a template resource, from its type.
fn service_of(t: &Template, id: &str) -> Option<&'static str> {
    Some(match t.resources.get(id)?.resource_type.as_str() {
        "AWS::S3::Bucket" => "s3",
        "AWS::SQS::Queue" => "sqs",
        "AWS::SNS::Topic" => "sns",
        "AWS::KMS::Key" => "kms",
        "AWS::SecretsManager::Secret" => "secretsmanager",
        "AWS::IAM::Role" => "iam",
        _ => return None,
    })
}

/// The ARN of a template resource, as bound.
fn resource_arn(t: &Template, b: &Bindings, id: &str) -> Option<String> {
    let ty = t.resources.get(id)?.resource_type.as_str();
    let reference = |attr: Option<&str>| {
        let v = match attr {
            Some(a) => Value::Fn(Box::new(Intrinsic::GetAtt {
                resource: id.to_string(),
                attribute: Value::String(a.to_string()),
            })),
            None => Value::Fn(Box::new(Intrinsic::Ref(id.to_string()))),
        };
        b.resolve(&v).filter(|s| s.starts_with("arn:"))
    };
    match ty {
        // Ref of a secret and of a topic is its ARN.
        "AWS::SecretsManager::Secret" | "AWS::SNS::Topic" => reference(None),
        _ => reference(Some("Arn")),
    }
}

/// A value of a policy that has no known value before deployment.
#[derive(Debug, Clone)]
struct Unbound {
    effect: Effect,
    /// Whether the statement's Action/NotAction covers the request's action.
    covers_action: bool,
    what: String,
}

/// A policy of the template with every intrinsic replaced by its bound value; values
/// without one stay (the evaluator matches nothing with them) and are listed.
fn ready(
    b: &Bindings,
    name: &str,
    action: &str,
    parsed: &Result<PolicyDocument, crate::error::Invalid>,
    unbound: &mut Vec<Unbound>,
) -> Result<PolicyDocument, TemplateSimError> {
    let doc = parsed
        .as_ref()
        .map_err(|e| TemplateSimError::Invalid(format!("{name}: {e}")))?;
    let mut out = doc.clone();
    for (i, s) in out.statements.iter_mut().enumerate() {
        let covers_action =
            s.action.inner().iter().any(|a| a.matches(action)) != s.action.is_negated();
        let mut missing = |path: String, v: &Value| {
            unbound.push(Unbound {
                effect: s.effect,
                covers_action,
                what: format!(
                    "{name} Statement[{i}].{path}: {} has no known value before deployment",
                    value_to_json(v)
                ),
            })
        };
        if let Some(r) = &mut s.resource {
            let (Negatable::Is(list) | Negatable::Not(list)) = r;
            for (j, e) in list.iter_mut().enumerate() {
                if let ResourceEntry::Expr(v) = e {
                    match b.resolve(v) {
                        Some(text) => {
                            let arn: Arn = text.parse().map_err(|err| {
                                TemplateSimError::Invalid(format!(
                                    "{name} Statement[{i}].Resource[{j}]: {err}"
                                ))
                            })?;
                            *e = ResourceEntry::Arn(arn);
                        }
                        None => missing(format!("Resource[{j}]"), v),
                    }
                }
            }
        }
        if let Some(p) = &mut s.principal {
            let (Negatable::Is(pr) | Negatable::Not(pr)) = p;
            if let Principal::Ids(ids) = pr {
                for (kind, vals) in ids.iter_mut() {
                    for v in vals.iter_mut() {
                        match b.resolve(v) {
                            Some(text) => *v = Value::String(text),
                            None => missing(format!("Principal.{}", kind.key()), v),
                        }
                    }
                }
            }
        }
        for (op, keys) in s.condition.iter_mut() {
            for (key, vals) in keys.iter_mut() {
                for v in vals.iter_mut() {
                    match b.resolve(v) {
                        Some(text) => *v = Value::String(text),
                        None => missing(format!("Condition.{op}.{key}"), v),
                    }
                }
            }
        }
    }
    Ok(out)
}

/// Reads `KEY=VALUE` pairs as the command line gives them.
pub fn parse_context(pairs: &[String]) -> Result<Vec<(String, String)>, String> {
    pairs
        .iter()
        .map(|p| {
            p.split_once('=')
                .filter(|(k, _)| !k.is_empty())
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| format!("--context {p:?}: expected KEY=VALUE"))
        })
        .collect()
}
