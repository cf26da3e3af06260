//! Policy validation against the IAM catalog, after IAM Access Analyzer's policy checks
//! and Parliament: actions, resources and condition keys AWS does not know or that do not
//! go together, set operators on single-valued keys, what VPC endpoint policies must and
//! must not hold, and grants wider or more tangled than they look.

use std::collections::HashMap;

use super::iam::{label, statement_path};
use super::inventory::{EndpointKind, Inventory, PolicyAt, PolicyUse, type_of};
use super::{Finding, rules};
use crate::iam::catalog::{self, ActionRef, catalog, parts_fit, six_parts};
use crate::iam::{
    Effect, Negatable, Op, PolicyDocument, Principal, ResourceEntry, SetQualifier, Statement,
};
use crate::template::{Intrinsic, Template, Value};

pub fn check(t: &Template, inv: &Inventory<'_>, out: &mut Vec<Finding>) {
    let mut fits = Fits::default();
    for p in &inv.policies {
        let Ok(doc) = &p.parsed else { continue };
        let gateway = p.usage == PolicyUse::Endpoint
            && inv
                .endpoints
                .iter()
                .any(|e| e.id == p.resource && e.kind == EndpointKind::Gateway);
        let mut actions_of = Vec::with_capacity(doc.statements.len());
        for (i, s) in doc.statements.iter().enumerate() {
            let at = statement_path(p, doc, i);
            let label = label(p, i, s);
            let acts = actions(s, p, &at, &label, out);
            if p.usage != PolicyUse::Trust {
                resources(t, s, &acts, p, &at, &label, &mut fits, out);
            }
            keys(s, &acts, p, &at, &label, out);
            if p.usage == PolicyUse::Endpoint {
                endpoint(s, gateway, p, &at, &label, out);
            }
            if s.effect == Effect::Allow {
                pass_role(s, p, &at, &label, out);
                negated(s, p, &at, &label, out);
            }
            actions_of.push(acts);
        }
        statements(doc, &actions_of, p, out);
    }
}

/// The catalog's actions a statement's `Action` names; `None` for `*`, `NotAction` or a
/// pattern over services (every action, or too many to matter).
type Actions = Option<Vec<ActionRef<'static>>>;

/// I505, I506: every action names one AWS knows; every pattern matches one.
fn actions(
    s: &Statement,
    p: &PolicyAt<'_>,
    at: &str,
    label: &str,
    out: &mut Vec<Finding>,
) -> Actions {
    let c = catalog();
    let mut all = Vec::new();
    let mut every = s.action.is_negated();
    for a in s.action.inner() {
        let text = a.as_str();
        if text == "*" || a.service().contains(['*', '?']) {
            every = true;
            continue;
        }
        if c.service(a.service()).is_none() {
            out.push(Finding::on(
                rules::UNKNOWN_ACTION,
                p.resource,
                at,
                format!(
                    "{label}: {text}: AWS has no service with the prefix {:?}",
                    a.service()
                ),
            ));
            continue;
        }
        let found = c.expand(text);
        if found.is_empty() {
            let wild = text.contains(['*', '?']);
            let rule = if wild {
                rules::ACTION_MATCHES_NOTHING
            } else {
                rules::UNKNOWN_ACTION
            };
            let what = if wild {
                "matches no action of the service"
            } else {
                "is no action of the service"
            };
            out.push(Finding::on(
                rule,
                p.resource,
                at,
                format!("{label}: {text} {what}"),
            ));
        }
        all.extend(found);
    }
    (!every).then_some(all)
}

/// A resource entry as an ARN pattern: template values (`${Bucket}`, `!GetAtt T.Arn`)
/// stand for any text, so only what the policy itself spells is judged.
fn pattern(t: &Template, e: &ResourceEntry) -> Option<String> {
    match e {
        ResourceEntry::Arn(a) => Some(a.as_str().to_string()),
        ResourceEntry::Expr(v) => value_pattern(t, v),
    }
}

fn value_pattern(t: &Template, v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Fn(i) => match &**i {
            Intrinsic::Sub {
                template,
                variables,
            } => {
                let text = crate::template::sub::substitute(template, |name| {
                    match variables.as_ref().and_then(|m| m.get(name)) {
                        Some(v) => value_pattern(t, v),
                        None => Some(match name.split_once('.') {
                            // `${Bucket.Arn}`: the ARN format of the resource's type.
                            Some((id, "Arn")) => type_of(t, id)
                                .and_then(catalog::resource_type_of)
                                .map_or_else(|| "*".to_string(), |r| any_variable(&r.arn)),
                            _ => "*".to_string(),
                        }),
                    }
                })?;
                // Only an ARN (or `*`) is judged: a value that starts elsewhere is unknown.
                (text == "*" || text.starts_with("arn:")).then_some(text)
            }
            Intrinsic::GetAtt {
                resource,
                attribute: Value::String(a),
            } if a == "Arn" => {
                let format = catalog::resource_type_of(type_of(t, resource)?)?;
                Some(any_variable(&format.arn))
            }
            Intrinsic::Join {
                delimiter,
                values: Value::List(items),
            } => {
                let parts: Option<Vec<String>> = items
                    .iter()
                    .map(|x| value_pattern(t, x).or_else(|| Some("*".into())))
                    .collect();
                parts.map(|p| p.join(delimiter))
            }
            _ => None,
        },
        _ => None,
    }
}

/// An ARN format with every `${Variable}` as `*`.
fn any_variable(format: &str) -> String {
    let mut out = String::new();
    let mut rest = format;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        out.push('*');
        rest = rest[start..]
            .find('}')
            .map_or("", |end| &rest[start + end + 1..]);
    }
    out.push_str(rest);
    out
}

/// Whether an ARN pattern fits one of a set of ARN formats (sorted, each once), as asked
/// already: a template's policies repeat their statements (one role's policy in each
/// copy of a stack part, the same grant on many queues), and matching a pattern against
/// every format, part by part, cost I507 more than the rest of policy validation.
#[derive(Default)]
struct Fits(HashMap<Vec<&'static str>, HashMap<String, bool>>);

impl Fits {
    /// The answers known for a set of formats (looked up once a statement).
    fn of(&mut self, formats: &[&'static str]) -> &mut HashMap<String, bool> {
        if !self.0.contains_key(formats) {
            self.0.insert(formats.to_vec(), HashMap::new());
        }
        self.0.get_mut(formats).expect("inserted above")
    }
}

/// I507: every resource fits a resource type of one of the statement's actions.
#[allow(clippy::too_many_arguments)]
fn resources(
    t: &Template,
    s: &Statement,
    acts: &Actions,
    p: &PolicyAt<'_>,
    at: &str,
    label: &str,
    fits: &mut Fits,
    out: &mut Vec<Finding>,
) {
    let (Some(acts), Some(Negatable::Is(entries))) = (acts, &s.resource) else {
        return;
    };
    if acts.is_empty() {
        return;
    }
    // Each format once: the actions of a statement share most of theirs.
    let mut formats: Vec<&'static str> = acts
        .iter()
        .flat_map(|a| a.resource_types())
        .map(|r| r.arn.as_str())
        .collect();
    formats.sort_unstable();
    formats.dedup();
    let split: Vec<[&str; 6]> = formats.iter().filter_map(|f| six_parts(f)).collect();
    let known = fits.of(&formats);
    for e in entries {
        let Some(arn) = pattern(t, e) else { continue };
        if arn == "*" {
            continue;
        }
        let fit = match known.get(&arn) {
            Some(&fit) => fit,
            None => {
                let fit = six_parts(&arn).is_some_and(|a| split.iter().any(|f| parts_fit(f, &a)));
                known.insert(arn.clone(), fit);
                fit
            }
        };
        if fit {
            continue;
        }
        let star_only = formats.is_empty();
        let types: Vec<&str> = formats.iter().copied().take(4).collect();
        out.push(Finding::on(
            rules::RESOURCE_MISMATCH,
            p.resource,
            at,
            if star_only {
                format!(
                    "{label}: {arn} is named, but {} acts on no resource type (Resource \"*\" only)",
                    names(acts)
                )
            } else {
                format!(
                    "{label}: {arn} fits none of the resource types {} acts on ({})",
                    names(acts),
                    types.join(", ")
                )
            },
        ));
    }
}

fn names(acts: &[ActionRef<'_>]) -> String {
    let mut n: Vec<String> = acts.iter().map(|a| a.full_name()).collect();
    n.dedup();
    if n.len() > 3 {
        format!("{} and {} more", n[..3].join(", "), n.len() - 3)
    } else {
        n.join(", ")
    }
}

/// Keys of system-generated identifiers: an endpoint policy may not test them with
/// wildcards or numeric operators (VPC User Guide, "Control access to VPC endpoints using
/// endpoint policies", Considerations).
const SYSTEM_IDS: &[&str] = &[
    "aws:principalaccount",
    "aws:principalorgid",
    "aws:resourceaccount",
    "aws:resourceorgid",
    "aws:sourceaccount",
    "aws:sourceorgid",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:vpceaccount",
    "aws:vpceorgid",
    "aws:userid",
    "aws:ec2instancesourcevpc",
];

/// I508, I509, I510: keys the actions take, set operators on multi-valued keys only,
/// and an endpoint policy's limits.
fn keys(
    s: &Statement,
    acts: &Actions,
    p: &PolicyAt<'_>,
    at: &str,
    label: &str,
    out: &mut Vec<Finding>,
) {
    let c = catalog();
    for (op, ks) in &s.condition {
        for (k, vals) in ks {
            let ty = c.key_type(k);
            let global = c.global_key(k).is_some();
            match (acts, ty) {
                (_, None) => out.push(Finding::on(
                    rules::CONDITION_KEY_MISMATCH,
                    p.resource,
                    at,
                    format!("{label}: {k} is no condition key AWS defines"),
                )),
                (Some(acts), Some(_))
                    if !global && !acts.is_empty() && !acts.iter().any(|a| a.takes_key(k)) =>
                {
                    out.push(Finding::on(
                        rules::CONDITION_KEY_MISMATCH,
                        p.resource,
                        at,
                        format!(
                            "{label}: no action of the statement ({}) takes {k}: the condition never holds",
                            names(acts)
                        ),
                    ))
                }
                _ => {}
            }
            if let (Some(set), Some(ty)) = (op.set, ty)
                && !ty.is_multi_valued()
            {
                let set = match set {
                    SetQualifier::ForAnyValue => "ForAnyValue",
                    SetQualifier::ForAllValues => "ForAllValues",
                };
                out.push(Finding::on(
                    rules::SET_OPERATOR,
                    p.resource,
                    at,
                    format!(
                        "{label}: {op} on {k}, a single-valued key: {set} is for keys that carry several values{}",
                        if set == "ForAllValues" {
                            " (ForAllValues also holds when the request has no such key)"
                        } else {
                            ""
                        }
                    ),
                ));
            }
            if p.usage == PolicyUse::Endpoint
                && SYSTEM_IDS.contains(&k.to_ascii_lowercase().as_str())
            {
                let numeric = matches!(
                    op.op,
                    Op::NumericEquals
                        | Op::NumericNotEquals
                        | Op::NumericLessThan
                        | Op::NumericLessThanEquals
                        | Op::NumericGreaterThan
                        | Op::NumericGreaterThanEquals
                );
                let wild = vals
                    .iter()
                    .filter_map(Value::as_str)
                    .find(|v| v.contains(['*', '?']));
                let why = match (numeric, wild) {
                    (true, _) => Some(format!("the numeric operator {op}")),
                    (false, Some(v)) => Some(format!("the wildcard value {v:?}")),
                    _ => None,
                };
                if let Some(why) = why {
                    out.push(Finding::on(
                        rules::ENDPOINT_CONDITION,
                        p.resource,
                        at,
                        format!(
                            "{label}: {why} on {k}: endpoint policies take neither wildcards nor numeric operators on keys of system-generated identifiers"
                        ),
                    ));
                }
            }
        }
    }
}

/// I511, I512: an endpoint policy names its principals; a gateway endpoint's is `*`.
fn endpoint(
    s: &Statement,
    gateway: bool,
    p: &PolicyAt<'_>,
    at: &str,
    label: &str,
    out: &mut Vec<Finding>,
) {
    match &s.principal {
        None => out.push(Finding::on(
            rules::ENDPOINT_PRINCIPAL,
            p.resource,
            at,
            format!("{label} has no Principal: an endpoint policy must contain one"),
        )),
        Some(pr) if gateway && !(matches!(pr, Negatable::Is(Principal::Any)) || is_star(pr)) => {
            out.push(Finding::on(
                rules::GATEWAY_PRINCIPAL,
                p.resource,
                at,
                format!(
                    "{label} names principals in a gateway endpoint's policy, where only Principal \"*\" works (an account there means its root user only)"
                ),
            ))
        }
        _ => {}
    }
}

/// `{"AWS": "*"}` and nothing else.
fn is_star(pr: &Negatable<Principal>) -> bool {
    match pr {
        Negatable::Is(Principal::Ids(m)) => {
            m.len() == 1
                && m.values()
                    .all(|v| v.len() == 1 && v[0].as_str() == Some("*"))
        }
        _ => false,
    }
}

/// I513: iam:PassRole on every role.
fn pass_role(s: &Statement, p: &PolicyAt<'_>, at: &str, label: &str, out: &mut Vec<Finding>) {
    let passes = !s.action.is_negated()
        && s.action
            .inner()
            .iter()
            .any(|a| a.as_str() != "*" && a.matches("iam:PassRole"));
    let every = match &s.resource {
        Some(Negatable::Is(r)) => r.iter().any(|e| match e {
            ResourceEntry::Arn(a) => every_role(a.as_str()),
            ResourceEntry::Expr(_) => false,
        }),
        Some(Negatable::Not(_)) => true,
        None => false,
    };
    if passes && every {
        out.push(Finding::on(
            rules::PASS_ROLE_ANY,
            p.resource,
            at,
            format!("{label} allows iam:PassRole on every role: whoever holds it can hand any role, an administrator's too, to a service"),
        ));
    }
}

/// Whether an ARN pattern covers every role of an account (`*`, `arn:aws:iam::1:role/*`).
fn every_role(arn: &str) -> bool {
    arn == "*"
        || [
            "arn:aws:iam::123456789012:role/AnyRole",
            "arn:aws:iam::123456789012:role/a/path/AnyRole",
        ]
        .iter()
        .all(|r| {
            let (pattern, role) = (
                arn.splitn(6, ':').collect::<Vec<_>>(),
                r.splitn(6, ':').collect::<Vec<_>>(),
            );
            // The partition and account as the pattern has them: only the name varies.
            pattern.len() == 6
                && crate::iam::arn_like(
                    arn,
                    &format!("arn:{}:iam::{}:{}", pattern[1], pattern[4], role[5]),
                )
        })
}

/// I514: Allow with NotAction or NotResource.
fn negated(s: &Statement, p: &PolicyAt<'_>, at: &str, label: &str, out: &mut Vec<Finding>) {
    let what = match (
        s.action.is_negated(),
        s.resource.as_ref().is_some_and(|r| r.is_negated()),
    ) {
        (true, true) => "NotAction and NotResource",
        (true, false) => "NotAction",
        (false, true) => "NotResource",
        (false, false) => return,
    };
    out.push(Finding::on(
        rules::ALLOW_NEGATED,
        p.resource,
        at,
        format!("{label} allows with {what}: everything not listed, including what AWS adds later"),
    ));
}

/// The resources of a statement as text (`None`: NotResource, or a value that is not
/// literal text).
fn resource_texts(s: &Statement) -> Option<Vec<String>> {
    match &s.resource {
        Some(Negatable::Is(r)) => r
            .iter()
            .map(|e| match e {
                ResourceEntry::Arn(a) => Some(a.as_str().to_string()),
                // A template value: equal only to the same value.
                ResourceEntry::Expr(v) => Some(format!("{{{v:?}}}")),
            })
            .collect(),
        Some(Negatable::Not(_)) => None,
        None => Some(vec!["*".into()]),
    }
}

/// Whether resource `b` (a pattern) covers resource `a`.
fn covers(b: &str, a: &str) -> bool {
    b == a || b == "*" || (!b.starts_with('{') && !a.starts_with('{') && crate::iam::arn_like(b, a))
}

/// I515, I516: a statement the others make redundant; Allow statements that grant the
/// same call under different conditions (the weaker one decides).
fn statements(doc: &PolicyDocument, acts: &[Actions], p: &PolicyAt<'_>, out: &mut Vec<Finding>) {
    let n = doc.statements.len();
    for (i, (a, aa)) in doc.statements.iter().zip(acts).enumerate() {
        let (Some(aa), Some(ar)) = (aa, resource_texts(a)) else {
            continue;
        };
        for j in 0..n {
            if i == j {
                continue;
            }
            let b = &doc.statements[j];
            if a.effect != b.effect || a.principal != b.principal || b.action.is_negated() {
                continue;
            }
            let Some(br) = resource_texts(b) else {
                continue;
            };
            let actions_covered = !aa.is_empty()
                && aa.iter().all(|x| {
                    let name = x.full_name();
                    b.action.inner().iter().any(|y| y.matches(&name))
                });
            let resources_covered = ar.iter().all(|x| br.iter().any(|y| covers(y, x)));
            // Identical statements: the later one is the redundant one.
            let same = a == b
                || (a.condition == b.condition && a.sid != b.sid && {
                    let mut x = a.clone();
                    x.sid.clone_from(&b.sid);
                    &x == b
                });
            if actions_covered && resources_covered && a.condition == b.condition {
                if same && i < j {
                    continue;
                }
                let at = statement_path(p, doc, i);
                out.push(Finding::on(
                    rules::REDUNDANT_STATEMENT,
                    p.resource,
                    &at,
                    format!(
                        "{}: statement {j} already grants all of it under the same conditions",
                        label(p, i, a)
                    ),
                ));
                break;
            }
            if a.effect == Effect::Allow
                && i < j
                && a.condition != b.condition
                && (a.condition.is_empty() || b.condition.is_empty())
            {
                let shared: Vec<String> = aa
                    .iter()
                    .map(|x| x.full_name())
                    .filter(|name| b.action.inner().iter().any(|y| y.matches(name)))
                    .collect();
                let on = ar
                    .iter()
                    .find(|x| br.iter().any(|y| covers(y, x) || covers(x, y)));
                if let (false, Some(on)) = (shared.is_empty(), on) {
                    let (open, closed) = if a.condition.is_empty() {
                        (i, j)
                    } else {
                        (j, i)
                    };
                    let at = statement_path(p, doc, closed);
                    out.push(Finding::on(
                        rules::OVERLAPPING_ALLOW,
                        p.resource,
                        &at,
                        format!(
                            "{}: statement {open} allows {} on {on} with no condition, so this statement's conditions do not hold it back",
                            label(p, closed, &doc.statements[closed]),
                            shared.first().expect("not empty")
                        ),
                    ));
                }
            }
        }
    }
}
