//! IAM statement changes across every place a template holds a policy: role inline and
//! trust policies, AWS::IAM::Policy and ManagedPolicy, managed-policy attachments,
//! Lambda permissions, resource policies (bucket, queue, topic, key, secret) and VPC
//! endpoint policies. Statements are compared as sets: a reorder is no change.

use std::collections::{BTreeMap, BTreeSet};

use super::branches::{branches, elements, join, labelled, property_sets};
use super::canon::display;
use super::model::{ChangeKind, IamChange};
use crate::template::{Template, Value};

/// A statement reduced to comparable rows of text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Row {
    /// Whose permissions these are: a role, user or group (whichever policy holds the
    /// statement), a trust policy, a resource's policy. A statement moved between
    /// policies of one holder grants nothing new.
    holder: String,
    /// The `Fn::If` conditions that choose the statement (empty: always). A statement
    /// that always applied covers the same statement behind a condition.
    when: String,
    /// The logical ids of the identities it applies to; empty for resource policies.
    identities: Vec<String>,
    /// What kind of policy holds it (`identity`, `trust`, `resource`, `endpoint`,
    /// `managed`, `boundary`, `lambda`) and the resource holding it.
    owner: (&'static str, String),
    location: String,
    effect: String,
    principals: Vec<String>,
    actions: Vec<String>,
    resources: Vec<String>,
    conditions: Vec<String>,
}

fn items(v: Option<&Value>) -> Vec<&Value> {
    match v {
        None => vec![],
        Some(Value::List(l)) => l.iter().collect(),
        Some(x) => vec![x],
    }
}

fn texts(v: Option<&Value>, prefix: &str) -> Vec<String> {
    let mut out: Vec<String> = items(v)
        .into_iter()
        .map(|x| format!("{prefix}{}", display(x)))
        .collect();
    out.sort();
    out.dedup();
    out
}

fn principals(s: &std::collections::BTreeMap<String, Value>) -> Vec<String> {
    let (v, prefix) = match (s.get("Principal"), s.get("NotPrincipal")) {
        (Some(p), _) => (p, ""),
        (None, Some(p)) => (p, "NOT "),
        (None, None) => return vec![],
    };
    let mut out = match v {
        Value::Map(m) => m
            .iter()
            .flat_map(|(kind, ids)| {
                items(Some(ids))
                    .into_iter()
                    .map(move |id| format!("{prefix}{kind}:{}", display(id)))
            })
            .collect(),
        other => vec![format!("{prefix}{}", display(other))],
    };
    out.sort();
    out.dedup();
    out
}

fn conditions(v: Option<&Value>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(Value::Map(ops)) = v {
        for (op, keys) in ops {
            match keys {
                Value::Map(keys) => {
                    for (k, vals) in keys {
                        let mut vs: Vec<String> =
                            items(Some(vals)).into_iter().map(display).collect();
                        vs.sort();
                        out.push(format!("{op} {k}: {}", vs.join(", ")));
                    }
                }
                other => out.push(format!("{op}: {}", display(other))),
            }
        }
    }
    out.sort();
    out
}

/// The statements of a policy document, in each branch of any `Fn::If` around the
/// document, its statement list or a statement.
/// Where a policy's statements belong: whose they are, the conditions already around
/// them, the identities they apply to, and the location shown.
struct Place<'a> {
    holder: &'a str,
    when: &'a str,
    identities: &'a [String],
    location: &'a str,
    owner: (&'static str, &'a str),
}

impl<'a> Place<'a> {
    /// A policy that is its own holder (a trust policy, a resource's policy): it names
    /// no identity of the template.
    fn own(location: &'a str, when: &'a str, owner: (&'static str, &'a str)) -> Place<'a> {
        Place {
            holder: location,
            when,
            identities: &[],
            location,
            owner,
        }
    }
}

/// The statements of a policy document, in each branch of any `Fn::If` around the
/// document, its statement list or a statement.
fn statements(at: &Place, doc: &Value, out: &mut Vec<Row>) {
    for (label, doc) in branches(doc) {
        // A policy held as a JSON string is read as JSON.
        let parsed;
        let doc = match doc {
            Value::String(s) => match crate::template::parse_value(s) {
                Ok(v) => {
                    parsed = v;
                    &parsed
                }
                Err(_) => continue,
            },
            other => other,
        };
        let Some(m) = doc.as_map() else { continue };
        for (inner, st) in elements(m.get("Statement")) {
            let Some(s) = st.as_map() else { continue };
            let mut actions = texts(s.get("Action"), "");
            actions.extend(texts(s.get("NotAction"), "NOT "));
            let mut resources = texts(s.get("Resource"), "");
            resources.extend(texts(s.get("NotResource"), "NOT "));
            let when = join(at.when, &join(&label, &inner));
            out.push(Row {
                holder: at.holder.to_string(),
                location: labelled(at.location, &when),
                when,
                identities: at.identities.to_vec(),
                owner: (at.owner.0, at.owner.1.to_string()),
                effect: s.get("Effect").map(display).unwrap_or_default(),
                principals: principals(s),
                actions,
                resources,
                conditions: conditions(s.get("Condition")),
            });
        }
    }
}

fn rows(t: &Template) -> Vec<Row> {
    let mut out = Vec::new();
    for (id, r) in &t.resources {
        for (when, p) in property_sets(&r.properties) {
            resource_rows(id.as_str(), &when, r.resource_type.as_str(), p, &mut out);
        }
    }
    out
}

/// The logical id an identity list item names (`!Ref Role`), or its text.
fn identity(v: &Value) -> String {
    match v {
        Value::Fn(f) => match &**f {
            crate::template::Intrinsic::Ref(r) => r.clone(),
            _ => display(v),
        },
        other => display(other),
    }
}

/// The rows of one resource's properties (one branch of them, chosen by `when`, when
/// they are behind an `Fn::If`).
fn resource_rows(
    id: &str,
    when: &str,
    resource_type: &str,
    p: &BTreeMap<String, Value>,
    out: &mut Vec<Row>,
) {
    let me = [id.to_string()];
    let row =
        |location: &str, when: &str, holder: &str, identities: &[String], owner: &'static str| {
            Row {
                holder: holder.to_string(),
                when: when.to_string(),
                identities: identities.to_vec(),
                owner: (owner, id.to_string()),
                location: labelled(location, when),
                effect: String::new(),
                principals: vec![],
                actions: vec![],
                resources: vec![],
                conditions: vec![],
            }
        };
    match resource_type {
        "AWS::IAM::Role" | "AWS::IAM::User" | "AWS::IAM::Group" => {
            if let Some(doc) = p.get("AssumeRolePolicyDocument") {
                let trust = format!("{id} trust policy");
                statements(&Place::own(&trust, when, ("trust", id)), doc, out);
            }
            for (label, pol) in elements(p.get("Policies")) {
                if let Some(pm) = pol.as_map() {
                    let name = pm.get("PolicyName").map(display).unwrap_or_default();
                    if let Some(doc) = pm.get("PolicyDocument") {
                        let location = format!("{id} inline policy {name}");
                        let when = join(when, &label);
                        let at = Place {
                            holder: id,
                            when: &when,
                            identities: &me,
                            location: &location,
                            owner: ("identity", id),
                        };
                        statements(&at, doc, out);
                    }
                }
            }
            for (label, arn) in elements(p.get("ManagedPolicyArns")) {
                let mut r = row(
                    &format!("{id} managed policies"),
                    &join(when, &label),
                    id,
                    &me,
                    "managed",
                );
                r.effect = "Attach".into();
                r.actions = vec!["managed policy".into()];
                r.resources = vec![display(arn)];
                out.push(r);
            }
            for (label, b) in p
                .get("PermissionsBoundary")
                .map(branches)
                .unwrap_or_default()
            {
                let location = format!("{id} permissions boundary");
                let mut r = row(&location, &join(when, &label), &location, &me, "boundary");
                r.effect = "Boundary".into();
                r.resources = vec![display(b)];
                out.push(r);
            }
        }
        "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => {
            let mut to: Vec<String> = ["Roles", "Users", "Groups"]
                .iter()
                .flat_map(|k| texts(p.get(*k), ""))
                .collect();
            to.sort();
            let location = if to.is_empty() {
                format!("{id} policy")
            } else {
                format!("{id} policy (on {})", to.join(", "))
            };
            // The identities it is attached to hold its statements, as their inline
            // policies' (`!Ref Role` names the role `Role`).
            let mut identities: Vec<String> = ["Roles", "Users", "Groups"]
                .iter()
                .flat_map(|k| items(p.get(*k)))
                .map(identity)
                .collect();
            identities.sort();
            let holder = if identities.is_empty() {
                location.clone()
            } else {
                identities.join(", ")
            };
            if let Some(doc) = p.get("PolicyDocument") {
                let at = Place {
                    holder: &holder,
                    when,
                    identities: &identities,
                    location: &location,
                    owner: ("identity", id),
                };
                statements(&at, doc, out);
            }
        }
        "AWS::Lambda::Permission" => {
            let mut conds = Vec::new();
            for k in [
                "SourceArn",
                "SourceAccount",
                "PrincipalOrgID",
                "FunctionUrlAuthType",
            ] {
                if let Some(v) = p.get(k) {
                    conds.push(format!("{k}: {}", display(v)));
                }
            }
            let location = format!("{id} Lambda permission");
            let mut r = row(&location, when, &location, &[], "lambda");
            r.effect = "Allow".into();
            r.principals = texts(p.get("Principal"), "");
            r.actions = texts(p.get("Action"), "");
            r.resources = texts(p.get("FunctionName"), "");
            r.conditions = conds;
            out.push(r);
        }
        other => {
            let key = match other {
                "AWS::EC2::VPCEndpoint" => Some(("PolicyDocument", "endpoint policy", "endpoint")),
                "AWS::S3::BucketPolicy" | "AWS::SQS::QueuePolicy" | "AWS::SNS::TopicPolicy" => {
                    Some(("PolicyDocument", "resource policy", "resource"))
                }
                "AWS::KMS::Key" => Some(("KeyPolicy", "key policy", "resource")),
                "AWS::SecretsManager::ResourcePolicy" => {
                    Some(("ResourcePolicy", "resource policy", "resource"))
                }
                _ => None,
            };
            if let Some((k, what, owner)) = key
                && let Some(doc) = p.get(k)
            {
                let location = format!("{id} {what}");
                statements(&Place::own(&location, when, (owner, id)), doc, out);
            }
        }
    }
}

fn set(v: &[String]) -> BTreeSet<&str> {
    v.iter().map(String::as_str).collect()
}

/// Whether `new` grants nothing `old` did not: same holder (under the same `Fn::If`
/// conditions, or `old` unconditional) and effect, principals, actions and resources
/// within the old ones, and at least the old conditions.
fn covered(new: &Row, old: &Row) -> bool {
    new.holder == old.holder
        && (old.when.is_empty() || old.when == new.when)
        && new.effect == old.effect
        && set(&new.principals).is_subset(&set(&old.principals))
        && set(&new.actions).is_subset(&set(&old.actions))
        && set(&new.resources).is_subset(&set(&old.resources))
        && set(&old.conditions).is_subset(&set(&new.conditions))
}

pub fn diff_iam(old: &Template, new: &Template) -> Vec<IamChange> {
    let (a, b) = (rows(old), rows(new));
    let (in_a, in_b): (BTreeSet<&Row>, BTreeSet<&Row>) = (a.iter().collect(), b.iter().collect());
    let removed: Vec<&Row> = a.iter().filter(|r| !in_b.contains(r)).collect();
    let added: Vec<&Row> = b.iter().filter(|r| !in_a.contains(r)).collect();
    let mut out = Vec::new();
    let grant = |e: &str| e == "Allow" || e == "Attach";
    for r in &removed {
        // Removing a Deny, or a boundary, permits what it stopped, unless the identities
        // it held back are gone too.
        let stopping = r.effect == "Deny" || r.effect == "Boundary";
        let still_there = r.identities.is_empty()
            || r.identities
                .iter()
                .any(|i| new.resources.contains_key(i.as_str()));
        let broadens = stopping && still_there;
        out.push(change(ChangeKind::Removed, r, broadens));
    }
    for r in &added {
        let broadens = grant(&r.effect) && !removed.iter().any(|o| covered(r, o));
        out.push(change(ChangeKind::Added, r, broadens));
    }
    out.sort_by(|x, y| {
        (&x.location, x.kind == ChangeKind::Added).cmp(&(&y.location, y.kind == ChangeKind::Added))
    });
    out
}

fn change(kind: ChangeKind, r: &Row, broadens: bool) -> IamChange {
    IamChange {
        kind,
        location: r.location.clone(),
        effect: r.effect.clone(),
        principals: r.principals.clone(),
        actions: r.actions.clone(),
        resources: r.resources.clone(),
        conditions: r.conditions.clone(),
        broadens,
        basis: String::new(),
        witness: None,
        owners: if r.owner.0 == "identity" && !r.identities.is_empty() {
            r.identities
                .iter()
                .map(|i| format!("identity:{i}"))
                .collect()
        } else {
            vec![format!("{}:{}", r.owner.0, r.owner.1)]
        },
    }
}
