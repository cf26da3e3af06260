//! IAM rules of the data perimeter: no anonymous principals, grants of a service only
//! through the solution's endpoint for it, no wildcard grants, policies that parse.

use super::inventory::{Endpoint, Inventory, PolicyAt, PolicyUse, has_if, target, type_of};
use super::{Finding, rules};
use crate::iam::{Effect, Op, PolicyDocument, SetQualifier, Statement};
use crate::template::{Template, Value};

pub fn check(t: &Template, inv: &Inventory<'_>, out: &mut Vec<Finding>) {
    let eps = &inv.endpoints;
    // The services the template's endpoints serve depend on the endpoints alone: worked
    // out once, when an identity policy first asks (not once a statement).
    let mut served = None;
    for p in &inv.policies {
        let doc = match &p.parsed {
            Ok(d) => d,
            Err(e) => {
                // A policy built with Fn::If is judged per branch at deploy time.
                if !matches!(p.doc, Value::Fn(_)) && !has_if(p.doc) {
                    // The grammar's errors start with where in the document they are
                    // (`Statement[2].Resource[0]: ...`): the finding points there.
                    let inner = e.message().split_once(": ").map(|(at, _)| at).filter(|at| {
                        at.starts_with("Statement") && !matches!(p.doc, Value::String(_))
                    });
                    let path = match inner {
                        Some(at) => format!("{}.{at}", p.path),
                        None => p.path.clone(),
                    };
                    out.push(Finding::on(
                        rules::INVALID_POLICY,
                        p.resource,
                        &path,
                        format!("{}: {e}", p.name),
                    ));
                }
                continue;
            }
        };
        for (i, s) in doc.statements.iter().enumerate() {
            let at = statement_path(p, doc, i);
            let label = label(p, i, s);
            if matches!(p.usage, PolicyUse::Endpoint | PolicyUse::Resource) {
                anyone(s, p, &at, &label, out);
            }
            // In a resource policy `Resource: "*"` is the resource itself (a key policy
            // grants the account `kms:*` on "*" by default): only identity and endpoint
            // policies can grant every resource.
            if matches!(p.usage, PolicyUse::Identity | PolicyUse::Endpoint) {
                wildcard(s, p, &at, &label, out);
            }
            if p.usage == PolicyUse::Identity {
                let served = served.get_or_insert_with(|| served_prefixes(eps));
                outside_endpoint(t, eps, served, s, doc, p, &at, &label, out);
            }
        }
    }
}

/// The path of statement `i` (a lone statement may be written without a list).
pub(super) fn statement_path(p: &PolicyAt<'_>, doc: &PolicyDocument, i: usize) -> String {
    let single = doc.statements.len() == 1
        && p.doc
            .as_map()
            .and_then(|m| m.get("Statement"))
            .is_some_and(|s| s.as_list().is_none());
    if matches!(p.doc, Value::String(_)) {
        p.path.clone()
    } else if single {
        format!("{}.Statement", p.path)
    } else {
        format!("{}.Statement[{i}]", p.path)
    }
}

pub(super) fn label(p: &PolicyAt<'_>, i: usize, s: &Statement) -> String {
    match &s.sid {
        Some(sid) => format!("{}, statement {i} ({sid})", p.name),
        None => format!("{}, statement {i}", p.name),
    }
}

/// Condition keys that confine a statement to an organization, account or principal.
const CONFINING_KEYS: &[&str] = &[
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:sourceaccount",
    "aws:sourceorgid",
    "aws:sourceorgpaths",
];

/// Whether a condition with an operator that holds only on a match (not negated, not
/// IfExists, not ForAllValues) tests one of `keys` against values that are not `*`.
fn confined_by(s: &Statement, keys: &[&str]) -> bool {
    s.condition.iter().any(|(op, ks)| {
        let positive = !op.op.is_negated()
            && !op.if_exists
            && op.set != Some(SetQualifier::ForAllValues)
            && op.op != Op::Null;
        positive
            && ks.iter().any(|(k, vals)| {
                keys.contains(&k.to_ascii_lowercase().as_str())
                    && !vals.is_empty()
                    && vals.iter().all(|v| v.as_str() != Some("*"))
            })
    })
}

fn anyone(s: &Statement, p: &PolicyAt<'_>, at: &str, label: &str, out: &mut Vec<Finding>) {
    if s.effect != Effect::Allow {
        return;
    }
    let Some(pr) = &s.principal else { return };
    let everyone = pr.inner().is_anyone();
    let not_principal = pr.is_negated();
    if !(everyone || not_principal) || confined_by(s, CONFINING_KEYS) {
        return;
    }
    // An endpoint policy's `Principal: "*"` with named resources is how an endpoint is
    // scoped to what may be reached through it (a bucket, a table): the identity
    // policies decide who; only every resource through it would be open.
    if p.usage == PolicyUse::Endpoint && !not_principal && scoped(s) {
        return;
    }
    let what = if not_principal {
        "allows every principal but those under NotPrincipal"
    } else {
        "allows Principal \"*\" (anyone, in any account)"
    };
    out.push(Finding::on(
        rules::ANY_PRINCIPAL,
        p.resource,
        at,
        format!("{label} {what} with no condition on aws:PrincipalOrgID or aws:PrincipalAccount"),
    ));
}

/// Whether a statement names its resources: listed, none `"*"` nor every resource of a
/// service (`arn:aws:s3:::*`).
fn scoped(s: &Statement) -> bool {
    let Some(r) = &s.resource else { return false };
    !r.is_negated()
        && !r.inner().is_empty()
        && r.inner().iter().all(|e| match e {
            crate::iam::ResourceEntry::Arn(a) => {
                let text = a.as_str();
                text != "*" && !text.ends_with(":*") && !text.ends_with(":::*")
            }
            // A reference (`!Sub arn:...:${Bucket}/*`) names the template's resource.
            crate::iam::ResourceEntry::Expr(_) => true,
        })
}

/// `*` or `service:*` on every resource.
fn wildcard(s: &Statement, p: &PolicyAt<'_>, at: &str, label: &str, out: &mut Vec<Finding>) {
    if s.effect != Effect::Allow {
        return;
    }
    let every_resource = match &s.resource {
        None => p.usage == PolicyUse::Endpoint,
        Some(r) => r.is_negated() || r.inner().iter().any(|e| e.is_any()),
    };
    if !every_resource {
        return;
    }
    let actions: Vec<String> = if s.action.is_negated() {
        vec![format!(
            "NotAction [{}] (every other action)",
            s.action
                .inner()
                .iter()
                .map(|a| a.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )]
    } else {
        s.action
            .inner()
            .iter()
            .filter(|a| a.is_service_wildcard())
            .map(|a| format!("\"{a}\""))
            .collect()
    };
    if actions.is_empty() {
        return;
    }
    out.push(Finding::on(
        rules::ADMIN_WILDCARD,
        p.resource,
        at,
        format!("{label} allows {} on every resource", actions.join(", ")),
    ));
}

/// The actions of service `prefix` a statement allows, as written (`NotAction`: every
/// one it does not exclude).
fn grants_of(s: &Statement, prefix: &str) -> Option<String> {
    if s.effect != Effect::Allow {
        return None;
    }
    let acts = s.action.inner();
    if s.action.is_negated() {
        let excluded = acts
            .iter()
            .any(|a| a.as_str() == "*" || a.matches(&format!("{prefix}:*")) && a.service() != "*");
        return (!excluded).then(|| "every action but those under NotAction".to_string());
    }
    let hits: Vec<&str> = acts
        .iter()
        .filter(|a| a.as_str() == "*" || a.service().eq_ignore_ascii_case(prefix))
        .map(|a| a.as_str())
        .collect();
    (!hits.is_empty()).then(|| hits.join(", "))
}

/// The services whose grants I502 holds to the template's endpoints: Bedrock's always
/// (the built-in solution's perimeter: without an endpoint for it there is no private
/// path at all); any other service's when the template has an endpoint for it.
fn served_prefixes(eps: &[Endpoint<'_>]) -> std::collections::BTreeSet<String> {
    eps.iter()
        .filter_map(|e| e.service.as_deref().map(prefix_served))
        .chain(["bedrock".to_string()])
        .collect()
}

/// The IAM prefix of the service an endpoint serves: `bedrock-runtime` and
/// `bedrock-agent-runtime` are Bedrock's, `ecr.api` ECR's, `sagemaker.runtime`
/// SageMaker's.
pub(super) fn prefix_served(endpoint_service: &str) -> String {
    // Asked per statement and endpoint: each name is worked out once.
    static CACHE: std::sync::OnceLock<std::sync::Mutex<std::collections::HashMap<String, String>>> =
        std::sync::OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(hit) = cache.lock().expect("not poisoned").get(endpoint_service) {
        return hit.clone();
    }
    let found = served_by(endpoint_service);
    cache
        .lock()
        .expect("not poisoned")
        .insert(endpoint_service.to_string(), found.clone());
    found
}

fn served_by(endpoint_service: &str) -> String {
    crate::constructs::served_prefix(endpoint_service)
}

/// How a statement's source condition falls short; `None` when it names an endpoint (or
/// VPC) of this template that serves the service `prefix`.
fn perimeter_gap(
    t: &Template,
    eps: &[Endpoint<'_>],
    s: &Statement,
    negated: bool,
    prefix: &str,
) -> Option<String> {
    let serves = |e: &Endpoint<'_>| {
        e.service
            .as_deref()
            .is_some_and(|x| prefix_served(x) == prefix)
    };
    // A key used only by way of another service (kms:ViaService): that service calls KMS
    // for the caller, never through the caller's endpoint, and the caller reaches that
    // service under its own grant, which this rule holds to that service's endpoint. So
    // every service named must have an endpoint in the template; a key usable by way of
    // a service the perimeter does not hold is usable from anywhere.
    if !negated && prefix.eq_ignore_ascii_case("kms") {
        let held = |v: &Value| {
            let text = match v {
                Value::String(x) => Some(x.as_str()),
                other => match other.as_fn() {
                    Some(crate::template::Intrinsic::Sub { template, .. }) => {
                        Some(template.as_str())
                    }
                    _ => None,
                },
            };
            let service = text.and_then(|x| x.split('.').next());
            service.is_some_and(|svc| {
                !svc.contains(['*', '?', '$'])
                    && eps.iter().any(|e| {
                        e.service
                            .as_deref()
                            .is_some_and(|x| prefix_served(x).eq_ignore_ascii_case(svc))
                    })
            })
        };
        let via_service = s.condition.iter().any(|(op, keys)| {
            matches!(op.op, Op::StringEquals | Op::StringLike)
                && !op.if_exists
                && op.set.is_none()
                && keys.iter().any(|(k, vals)| {
                    k.eq_ignore_ascii_case("kms:ViaService")
                        && !vals.is_empty()
                        && vals.iter().all(held)
                })
        });
        if via_service {
            return None;
        }
    }
    let mut gaps = Vec::new();
    for (op, keys) in &s.condition {
        for (k, vals) in keys {
            let key = k.to_ascii_lowercase();
            if key != "aws:sourcevpce" && key != "aws:sourcevpc" {
                continue;
            }
            let string_op = matches!(
                op.op,
                Op::StringEquals | Op::StringLike | Op::StringEqualsIgnoreCase
            );
            let right_op = if negated {
                op.op.is_negated() && op.set.is_none()
            } else {
                string_op && !op.if_exists && op.set != Some(SetQualifier::ForAllValues)
            };
            if !right_op {
                gaps.push(if negated {
                    format!("its {op} {k} does not deny calls from elsewhere")
                } else if op.if_exists
                    || op.set == Some(SetQualifier::ForAllValues)
                    || op.op.is_negated()
                {
                    format!("{op} on {k} also holds when the request carries no {k}")
                } else {
                    format!("{op} is not an equality test on {k}")
                });
                continue;
            }
            let mut bad = Vec::new();
            for v in vals {
                let named = target(v).filter(|id| type_of(t, id).is_some());
                let ok = match (key.as_str(), named) {
                    ("aws:sourcevpce", Some(id)) => match eps.iter().find(|e| e.id == id) {
                        Some(e) if serves(e) => true,
                        Some(e) => {
                            bad.push(format!(
                                "{id} is the endpoint for {}",
                                e.service.as_deref().unwrap_or("another service")
                            ));
                            continue;
                        }
                        None => false,
                    },
                    ("aws:sourcevpc", Some(id)) => {
                        eps.iter().any(|e| e.vpc == Some(id) && serves(e))
                    }
                    _ => false,
                };
                if !ok {
                    bad.push(match (named, v) {
                        (Some(id), _) if key == "aws:sourcevpc" => {
                            format!("VPC {id} has no endpoint for {prefix} in this template")
                        }
                        (Some(id), _) => format!("{id} is not a VPC endpoint"),
                        (None, Value::String(s)) => {
                            format!("{s:?} is not an endpoint of this template")
                        }
                        (None, _) => "a value that names no resource of this template".into(),
                    });
                }
            }
            if bad.is_empty() {
                return None;
            }
            gaps.push(format!("{k}: {}", bad.join("; ")));
        }
    }
    Some(if gaps.is_empty() {
        "no condition on aws:sourceVpce or aws:sourceVpc: the grant holds wherever the credentials are used".into()
    } else {
        gaps.join("; ")
    })
}

/// I502: a grant of a service that has an endpoint in the template holds only through
/// it (a condition on aws:sourceVpce or aws:sourceVpc naming it, or a Deny of the same
/// actions from elsewhere).
#[allow(clippy::too_many_arguments)]
fn outside_endpoint(
    t: &Template,
    eps: &[Endpoint<'_>],
    served: &std::collections::BTreeSet<String>,
    s: &Statement,
    doc: &PolicyDocument,
    p: &PolicyAt<'_>,
    at: &str,
    label: &str,
    out: &mut Vec<Finding>,
) {
    if s.effect != Effect::Allow {
        return;
    }
    for prefix in served {
        let Some(actions) = grants_of(s, prefix) else {
            continue;
        };
        let Some(gap) = perimeter_gap(t, eps, s, false, prefix) else {
            continue;
        };
        // The other perimeter pattern: a Deny of the same actions unless through the
        // endpoint.
        let denied = |d: &Statement| {
            s.action.is_negated()
                || s.action
                    .inner()
                    .iter()
                    .filter(|a| a.service().eq_ignore_ascii_case(prefix) || a.as_str() == "*")
                    .all(|a| d.names_action(a.as_str()))
        };
        let guarded = doc.statements.iter().any(|d| {
            d.effect == Effect::Deny
                && denied(d)
                && perimeter_gap(t, eps, d, true, prefix).is_none()
        });
        if guarded {
            continue;
        }
        out.push(Finding::on(
            rules::GRANT_OUTSIDE_ENDPOINT,
            p.resource,
            at,
            format!("{label} grants {actions}; {gap}"),
        ));
    }
}
