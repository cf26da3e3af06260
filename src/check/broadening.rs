//! Semantic broadening for `diff`: a change broadens permissions if and only if some
//! request is newly allowed. The policies of each owner (a role's identity policies
//! together, a role's trust policy, a resource policy, an endpoint policy) before and
//! after are compared by the prover (`no_new_access`), so renames, splits, merges and
//! reordering are not broadening, and a widened condition is, with the request it newly
//! allows as the witness. Where the prover does not reach (managed policies attached by
//! ARN, boundaries, Lambda permissions, users and groups and policies attached to no role
//! of the template, a policy behind `Fn::If` or
//! naming a value known only at deployment, or naming a principal of a form the prover
//! does not model: a CloudFront origin access identity, a canonical user, a federated
//! provider) the statement text is compared, and the change says so (`basis`).
//!
//! It lives in check, not diff, because it reads templates as check does (the policy
//! inventory, the physical ids a deployed stack would hold).

use std::collections::BTreeMap;

use super::Context;
use super::access::bindings;
use super::inventory::{PolicyUse, policies};
use crate::diff::{ChangeKind, IamChange, TemplateDiff};
use crate::iam::prove::{self, Outcome, Policies};
use crate::iam::{
    Bindings, Caller, Effect, PolicyDocument, PolicyKind, PolicySet, Principal, PrincipalKind,
};
use crate::template::{Intrinsic, Pseudo, Template, Value};

/// Compares two templates ([`crate::diff::diff`]) and decides each IAM change's
/// broadening by the requests it newly allows.
pub fn diff(old: &Template, new: &Template) -> TemplateDiff {
    let mut d = crate::diff::diff(old, new);
    decide(old, new, &mut d.iam);
    d
}

/// What the prover says of one owner's policies, before and after.
enum Verdict {
    /// Nothing newly allowed.
    Narrower,
    /// This request newly allowed (its witness file, as JSON text).
    Broader(String),
    /// Not decided: why.
    Unknown(String),
    /// A kind of grant the prover does not model.
    Unmodelled,
}

/// Sets `broadens`, `basis` and `witness` of each change from its owners' verdicts.
pub fn decide(old: &Template, new: &Template, changes: &mut [IamChange]) {
    if changes.is_empty() {
        return;
    }
    // Both templates' names resolve: the old one's where the new one dropped them.
    let mut both = new.clone();
    for (k, v) in &old.resources {
        both.resources.entry(k.clone()).or_insert_with(|| v.clone());
    }
    // The partition the stack is deployed in: the one the templates' own ARNs name (a
    // grant hard-coded to another partition's resources would grant nothing), decided
    // under each when they name several, and under `aws` when they name none (every
    // partition alike then: each ARN names it through AWS::Partition).
    let mut named = partitions_named(old);
    named.extend(partitions_named(new));
    if named.is_empty() {
        named.insert("aws");
    }
    // The deploying account (AWS::AccountId) is not known here: it is either one of the
    // accounts the templates name, or another, and the others are alike to both
    // templates as far as equality tells accounts apart (a pattern with digits beside
    // a wildcard, `arn:aws:iam::1234*:root`, could tell two of them apart: the prover
    // would need the account as a variable for that, which it does not have). So the
    // change is decided under each: AWS::AccountId bound to every account named, and
    // to one named by neither; the worst verdict stands. One fixed binding was
    // unsound: a trust condition turned from `${AWS::AccountId}` to the literal account
    // it was bound to proved "not broader".
    let accounts = accounts_to_decide(&[old, new]);
    let bound: Vec<Bindings> = named
        .iter()
        .flat_map(|p| accounts.iter().map(move |a| (p, a)))
        .map(|(p, account)| {
            let ctx = Context {
                partition: p.to_string(),
                account: account.clone(),
                ..Context::default()
            };
            bindings(&both, &ctx).bind(Pseudo::UrlSuffix.name(), url_suffix(p))
        })
        .collect();
    let roles: std::collections::BTreeSet<&str> = both
        .resources
        .iter()
        .filter(|(_, r)| r.resource_type.as_str() == "AWS::IAM::Role")
        .map(|(id, _)| id.as_str())
        .collect();
    let (before, after) = (owners(old), owners(new));
    let mut verdicts: BTreeMap<String, Verdict> = BTreeMap::new();
    for c in changes.iter() {
        for o in &c.owners {
            if !verdicts.contains_key(o) {
                // Users, groups and policies attached to no role of the template: the
                // prover compares a role's policies together only.
                let v = match o.strip_prefix("identity:") {
                    Some(id) if !roles.contains(id) => Verdict::Unmodelled,
                    _ => bound
                        .iter()
                        .map(|b| verdict(o, before.get(o), after.get(o), b))
                        .reduce(worse)
                        .expect("one partition at least"),
                };
                verdicts.insert(o.clone(), v);
            }
        }
    }
    // Per owner: the changes the text calls broadening carry the witness; when the text
    // calls none so (a widening hidden in an edit), every change of the owner does.
    let mut flagged_by_text: BTreeMap<&str, bool> = BTreeMap::new();
    for c in changes.iter() {
        for o in &c.owners {
            *flagged_by_text.entry(o.as_str()).or_default() |= c.broadens;
        }
    }
    let flagged_by_text: BTreeMap<String, bool> = flagged_by_text
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    for c in changes.iter_mut() {
        let text = c.broadens;
        let mut broadens = false;
        let mut basis = "proven".to_string();
        let mut witness = None;
        for o in &c.owners {
            match &verdicts[o] {
                Verdict::Narrower => {}
                Verdict::Broader(w) => {
                    let mine = text || !flagged_by_text[o] && c.kind == ChangeKind::Added;
                    if mine || !flagged_by_text[o] && c.kind == ChangeKind::Removed {
                        broadens = true;
                        witness.get_or_insert_with(|| w.clone());
                    }
                }
                Verdict::Unknown(why) => {
                    broadens |= text;
                    basis = format!("unknown: {why}");
                }
                Verdict::Unmodelled => {
                    broadens |= text;
                    if basis == "proven" {
                        basis = "syntactic".into();
                    }
                }
            }
        }
        c.broadens = broadens;
        c.basis = basis;
        c.witness = witness;
    }
}

/// The verdict of two partitions' together: broader in either is broader; else not
/// decided in either is not decided.
fn worse(a: Verdict, b: Verdict) -> Verdict {
    let rank = |v: &Verdict| match v {
        Verdict::Narrower => 0,
        Verdict::Unmodelled => 1,
        Verdict::Unknown(_) => 2,
        Verdict::Broader(_) => 3,
    };
    if rank(&b) > rank(&a) { b } else { a }
}

fn url_suffix(partition: &str) -> &'static str {
    crate::iam::PARTITIONS
        .iter()
        .find(|(p, _)| *p == partition)
        .map_or("amazonaws.com", |(_, s)| s)
}

/// The partitions a template's text names: in ARNs written with one (`arn:aws-cn:`), and
/// China's URL suffix (`.amazonaws.com.cn`).
fn partitions_named(t: &Template) -> std::collections::BTreeSet<&'static str> {
    let text = t.to_json();
    let mut out = std::collections::BTreeSet::new();
    for (i, _) in text.match_indices("arn:") {
        let rest = &text[i + 4..];
        let field = rest.split(':').next().unwrap_or("");
        if let Some((p, _)) = crate::iam::PARTITIONS.iter().find(|(p, _)| *p == field) {
            out.insert(*p);
        }
    }
    if text.contains(".amazonaws.com.cn") {
        out.insert("aws-cn");
    }
    out
}

/// One owner's policies: the prover's form of them, or why it has none.
type Owned = Result<(PolicyKind, Vec<(String, PolicyDocument)>), String>;

/// Every owner of a template with its policies (`identity:Role` gathers the role's
/// inline policies and the policies attached to it).
fn owners(t: &Template) -> BTreeMap<String, Owned> {
    let mut out: BTreeMap<String, Owned> = BTreeMap::new();
    for p in policies(t) {
        let keys: Vec<(String, PolicyKind)> = match p.usage {
            PolicyUse::Identity => p
                .roles
                .iter()
                .map(|r| (format!("identity:{r}"), PolicyKind::Identity))
                .collect(),
            PolicyUse::Trust => vec![(format!("trust:{}", p.resource), PolicyKind::Resource)],
            PolicyUse::Resource => {
                vec![(format!("resource:{}", p.resource), PolicyKind::Resource)]
            }
            PolicyUse::Endpoint => {
                vec![(format!("endpoint:{}", p.resource), PolicyKind::VpcEndpoint)]
            }
        };
        // An Fn::If in a statement list or a condition also stops the reader: say why.
        let doc = match &p.parsed {
            _ if conditional(p.doc) => Err(format!("{} is chosen by Fn::If", p.name)),
            Ok(d) => Ok(d.clone()),
            Err(e) => Err(format!("{}: {e}", p.name)),
        };
        for (key, kind) in keys {
            let entry = out.entry(key).or_insert_with(|| Ok((kind, Vec::new())));
            match (&doc, entry) {
                (Ok(d), Ok((_, docs))) => docs.push((p.name.clone(), d.clone())),
                (Err(why), entry @ Ok(_)) => *entry = Err(why.clone()),
                (_, Err(_)) => {}
            }
        }
    }
    out
}

/// Whether a policy document holds an `Fn::If` (its statements depend on a condition).
fn conditional(v: &Value) -> bool {
    super::inventory::has_if(v)
}

/// Why some value of the document cannot be resolved before deployment, if one cannot.
fn unresolved(docs: &[(String, PolicyDocument)], b: &Bindings) -> Option<String> {
    for (name, d) in docs {
        let v = crate::template::typed::ToValue::to_value(d);
        let mut bad = None;
        v.walk(&mut |x| {
            if bad.is_some() {
                return;
            }
            if let Value::Fn(i) = x
                && !matches!(&**i, Intrinsic::Split { .. })
                && b.resolve(x).is_none()
            {
                bad = Some(format!(
                    "{name} names {} which is known only at deployment",
                    crate::diff::display(x)
                ));
            }
        });
        if bad.is_some() {
            return bad;
        }
    }
    None
}

/// A Principal of the documents that AWS admits callers through but the prover reads as
/// naming no caller, if there is one: a CloudFront origin access identity
/// (`arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E...`), a canonical
/// user, a federated identity provider, an AWS id of no form `Caller::parse` knows. The
/// prover's callers are the IAM forms of a 12-digit account and service principals; a
/// grant to such a principal would read as granting nothing, and a new one as no
/// broadening (found on the pair corpus: a bucket policy for an origin access identity).
fn unmodelled(docs: &[(String, PolicyDocument)], b: &Bindings) -> Option<String> {
    for (name, d) in docs {
        for s in &d.statements {
            let Some(Principal::Ids(ids)) = s.principal.as_ref().map(|p| p.inner()) else {
                continue;
            };
            for (kind, values) in ids {
                // Values known only at deployment are `unresolved`'s to report.
                for id in values.iter().filter_map(|v| b.resolve(v)) {
                    let modelled = match kind {
                        PrincipalKind::Service => true,
                        PrincipalKind::Aws => {
                            id == "*"
                                || id.len() == 12 && id.bytes().all(|c| c.is_ascii_digit())
                                || id.starts_with("arn:")
                                    && Caller::parse(&id).is_some_and(|c| c.account().is_some())
                        }
                        PrincipalKind::Federated | PrincipalKind::CanonicalUser => false,
                    };
                    if !modelled {
                        return Some(format!(
                            "{name} names the principal {}: {id}, a caller the prover does not model",
                            kind.key()
                        ));
                    }
                }
            }
        }
    }
    None
}

fn verdict(owner: &str, before: Option<&Owned>, after: Option<&Owned>, b: &Bindings) -> Verdict {
    let kind = owner.split(':').next().unwrap_or("");
    if !matches!(kind, "identity" | "trust" | "resource" | "endpoint") {
        return Verdict::Unmodelled;
    }
    let (before, after) = match (before, after) {
        // Removed Denies may have stopped what other policies allow: the text decides.
        (Some(Ok(o)), None) if matches!(kind, "identity" | "resource") && denies(o).is_some() => {
            return Verdict::Unknown("the policies go with their Deny statements".into());
        }
        (Some(Err(why)), None) if matches!(kind, "identity" | "resource") => {
            return Verdict::Unknown(why.clone());
        }
        (_, None) => return Verdict::Narrower, // no policy left: it allows nothing
        (Some(Err(why)), _) | (_, Some(Err(why))) => return Verdict::Unknown(why.clone()),
        (None, Some(Ok(a))) => (None, a),
        (Some(Ok(o)), Some(Ok(a))) => (Some(o), a),
    };
    for (_, docs) in before.iter().copied().chain([after]) {
        if let Some(why) = unresolved(docs, b).or_else(|| unmodelled(docs, b)) {
            return Verdict::Unknown(why);
        }
    }
    let form = |(kind, docs): &(PolicyKind, Vec<(String, PolicyDocument)>)| -> Policies {
        match kind {
            PolicyKind::Identity => {
                let mut s = PolicySet::default();
                for (n, d) in docs {
                    s = s.identity(n, d.clone());
                }
                Policies::Set(Box::new(s))
            }
            // A resource holds one policy: several (two bucket policies) are merged.
            k => {
                let mut merged = docs[0].1.clone();
                for (_, d) in &docs[1..] {
                    merged.statements.extend(d.statements.iter().cloned());
                }
                Policies::Resource(*k, docs[0].0.clone(), merged)
            }
        }
    };
    let new = form(after);
    let mut outcome = match before {
        Some(o) => prove::no_new_access(&form(o), &new, b),
        // A new owner: anything it allows is new.
        None => prove::access_not_granted(&new, &["*".parse().expect("an action")], &[], b),
    };
    // A role's or a resource's Deny also stops what other policies allow (a resource
    // policy's grant, a role's): a request the old Denies stopped that the new ones do
    // not is newly allowed wherever another policy allows it. Each Deny read as an Allow
    // makes "denied" a question the prover answers.
    if matches!(kind, "identity" | "resource")
        && matches!(outcome, Ok(Outcome::Holds { .. }))
        && let Some(o) = before
        && let Some(old_denies) = denies(o)
    {
        let new_denies = denies(after).unwrap_or_else(|| {
            let mut none = o.clone();
            for (_, d) in &mut none.1 {
                d.statements.clear();
            }
            none
        });
        outcome = match prove::no_new_access(&form(&new_denies), &form(&old_denies), b) {
            // The request alone: the policies shown would be the Denies as Allows.
            Ok(Outcome::Fails(mut w)) => {
                if let Some(m) = w.file.as_object_mut() {
                    m.retain(|k, _| {
                        matches!(k.as_str(), "principal" | "action" | "resource" | "context")
                    });
                    m.insert(
                        "note".into(),
                        "the old policies explicitly denied this request; the new ones do not"
                            .into(),
                    );
                }
                Ok(Outcome::Fails(w))
            }
            other => other,
        };
    }
    match outcome {
        Ok(Outcome::Holds { .. }) => Verdict::Narrower,
        Ok(Outcome::Fails(w)) => Verdict::Broader(w.file.to_string()),
        Ok(Outcome::Unknown(why)) => Verdict::Unknown(why),
        Err(e) => Verdict::Unknown(e.to_string()),
    }
}

/// The policies' Deny statements as Allows (`None` when there are none): what they allow
/// is what the originals deny.
fn denies(
    (kind, docs): &(PolicyKind, Vec<(String, PolicyDocument)>),
) -> Option<(PolicyKind, Vec<(String, PolicyDocument)>)> {
    let mut any = false;
    let docs = docs
        .iter()
        .map(|(n, d)| {
            let mut d = d.clone();
            d.statements.retain(|s| s.effect == Effect::Deny);
            for s in &mut d.statements {
                s.effect = Effect::Allow;
            }
            any |= !d.statements.is_empty();
            (n.clone(), d)
        })
        .collect();
    any.then_some((*kind, docs))
}

/// The accounts AWS::AccountId is decided under: every 12-digit account the templates'
/// values name (maximal runs of 12 digits), sorted, then the first of a fixed sequence
/// (123456789012, then steps of 111111111111 modulo 10^12, all distinct) that no value
/// holds.
fn accounts_to_decide(templates: &[&Template]) -> Vec<String> {
    // Every maximal digit run of 12 digits or more: a candidate is held by a value
    // exactly when one of them holds it.
    let mut runs = std::collections::BTreeSet::new();
    let mut scan = |v: &Value| {
        strings(v, &mut |s: &str| {
            for run in s.split(|c: char| !c.is_ascii_digit()) {
                if run.len() >= 12 {
                    runs.insert(run.to_string());
                }
            }
        })
    };
    for t in templates {
        for r in t.resources.values() {
            r.properties.values().for_each(&mut scan);
            r.metadata.iter().for_each(&mut scan);
        }
        for p in t.parameters.values() {
            p.default.iter().for_each(&mut scan);
            p.allowed_values.iter().flatten().for_each(&mut scan);
        }
        t.mappings.values().for_each(&mut scan);
        t.conditions.values().for_each(&mut scan);
    }
    let unnamed = std::iter::successors(Some(123_456_789_012u64), |x| {
        Some((x + 111_111_111_111) % 1_000_000_000_000)
    })
    .map(|x| format!("{x:012}"))
    .find(|c| !runs.iter().any(|r| r.contains(c.as_str())))
    .expect("finitely many values, 10^12 distinct accounts");
    let mut accounts: Vec<String> = runs.into_iter().filter(|r| r.len() == 12).collect();
    accounts.push(unnamed);
    accounts
}

/// Calls `f` with every text of a value: its strings, map keys, numbers as written, and
/// the names and strings of its functions (a `Fn::Sub` template among them).
fn strings(v: &Value, f: &mut dyn FnMut(&str)) {
    match v {
        Value::String(s) => f(s),
        Value::Number(n) => f(&n.to_string()),
        Value::List(xs) => xs.iter().for_each(|x| strings(x, f)),
        Value::Map(m) => m.iter().for_each(|(k, x)| {
            f(k);
            strings(x, f)
        }),
        Value::Fn(g) => {
            match &**g {
                Intrinsic::Ref(s) | Intrinsic::Condition(s) => f(s),
                Intrinsic::GetAtt { resource, .. } => f(resource),
                Intrinsic::Sub { template, .. } => f(template),
                Intrinsic::Join { delimiter, .. } | Intrinsic::Split { delimiter, .. } => {
                    f(delimiter)
                }
                _ => {}
            }
            g.args().into_iter().for_each(|x| strings(x, f));
        }
        Value::Null | Value::Bool(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A template with one role whose inline policies are `docs` (JSON), plus `more`
    /// resources (YAML, indented as resources).
    fn role(docs: &[&str], more: &str) -> Template {
        let mut policies = String::new();
        for (i, d) in docs.iter().enumerate() {
            policies.push_str(&format!(
                "        - PolicyName: P{i}\n          PolicyDocument: {d}\n"
            ));
        }
        let text = format!(
            "Resources:\n  Role:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument: {{\"Version\": \"2012-10-17\", \"Statement\": [{{\"Effect\": \"Allow\", \"Principal\": {{\"Service\": \"lambda.amazonaws.com\"}}, \"Action\": \"sts:AssumeRole\"}}]}}\n      Policies:\n{policies}{more}"
        );
        Template::parse_any(&text).unwrap()
    }

    fn fixture(name: &str) -> String {
        std::fs::read_to_string(format!("tests/fixtures/prove/{name}.json"))
            .unwrap()
            .replace('\n', " ")
    }

    #[test]
    fn a_split_and_renamed_policy_is_no_broadening_and_says_it_is_proven() {
        let old = role(&[&fixture("old")], "");
        let new = role(&[&fixture("split")], "");
        let d = diff(&old, &new);
        assert!(!d.iam.is_empty());
        for c in &d.iam {
            assert!(!c.broadens, "{c:?}");
            assert_eq!(c.basis, "proven");
        }
        assert!(!d.broadens());
    }

    #[test]
    fn a_widened_condition_broadens_and_shows_the_request() {
        let old = role(&[&fixture("old")], "");
        let new = role(&[&fixture("widened")], "");
        let d = diff(&old, &new);
        let broad: Vec<&IamChange> = d.iam.iter().filter(|c| c.broadens).collect();
        assert!(!broad.is_empty(), "{:?}", d.iam);
        let w: serde_json::Value =
            serde_json::from_str(broad[0].witness.as_deref().unwrap()).unwrap();
        // Newly allowed: a read from outside any endpoint (no aws:SourceVpce).
        assert!(w["context"].get("aws:SourceVpce").is_none(), "{w}");
        assert!(
            w["action"]
                .as_str()
                .unwrap()
                .to_ascii_lowercase()
                .starts_with("s3:")
        );
        // The witness is a request the new policy allows and the old one does not.
        let req = prove::read_request(&w).unwrap();
        let b = Bindings::new();
        let doc = |t: &Template| {
            let p = policies(t)
                .into_iter()
                .find(|p| p.usage == PolicyUse::Identity)
                .unwrap();
            Policies::Set(Box::new(
                PolicySet::default().identity("p", p.parsed.unwrap()),
            ))
        };
        assert!(doc(&new).allows(&req, &b) && !doc(&old).allows(&req, &b));
    }

    #[test]
    fn a_removed_deny_broadens_though_it_grants_nothing_itself() {
        let allow = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}"#;
        let deny = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}}]}"#;
        let old = role(&[allow, deny], "");
        let new = role(&[allow], "");
        let d = diff(&old, &new);
        let removed = d
            .iam
            .iter()
            .find(|c| c.kind == ChangeKind::Removed && c.effect == "Deny")
            .unwrap();
        assert!(removed.broadens && removed.basis == "proven", "{removed:?}");
        // And the other way round it narrows.
        let d = diff(&new, &old);
        assert!(!d.broadens(), "{:?}", d.iam);
    }

    #[test]
    fn a_bucket_policy_whose_deny_is_removed_broadens() {
        let allow = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}"#;
        let bucket = |statements: &str| {
            format!(
                "  BucketPolicy:\n    Type: AWS::S3::BucketPolicy\n    Properties:\n      Bucket: reports\n      PolicyDocument: {{\"Version\": \"2012-10-17\", \"Statement\": [{statements}]}}\n"
            )
        };
        let deny = r#"{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::reports/*", "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}}"#;
        // The bucket's own grant is the same before and after: only the Deny goes, which
        // stopped the role's identity grant from outside the endpoint.
        let reader = r#"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*", "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}}}"#;
        let old = role(&[allow], &bucket(&format!("{deny}, {reader}")));
        let new = role(&[allow], &bucket(reader));
        let d = diff(&old, &new);
        assert!(d.broadens(), "{:?}", d.iam);
        let c = d.iam.iter().find(|c| c.broadens).unwrap();
        assert!(c.witness.as_deref().unwrap().contains("explicitly denied"));
    }

    #[test]
    fn a_grant_to_a_group_is_judged_from_the_text_and_says_so() {
        let group = |actions: &str| {
            Template::parse_any(&format!(
                "Resources:\n  G:\n    Type: AWS::IAM::Group\n  P:\n    Type: AWS::IAM::Policy\n    Properties:\n      PolicyName: p\n      Groups: [!Ref G]\n      PolicyDocument: {{\"Version\": \"2012-10-17\", \"Statement\": [{{\"Effect\": \"Allow\", \"Action\": {actions}, \"Resource\": \"*\"}}]}}\n"
            ))
            .unwrap()
        };
        let d = diff(
            &group("\"s3:GetObject\""),
            &group("[\"s3:GetObject\", \"iam:*\"]"),
        );
        let c = d.iam.iter().find(|c| c.kind == ChangeKind::Added).unwrap();
        assert!(c.broadens && c.basis == "syntactic", "{c:?}");
    }

    #[test]
    fn a_managed_policy_attached_is_judged_from_the_text_and_says_so() {
        let allow = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}"#;
        let old = role(&[allow], "");
        let new_text = format!(
            "{}      ManagedPolicyArns: [arn:aws:iam::aws:policy/AdministratorAccess]\n",
            ""
        );
        let mut new = role(&[allow], "");
        let extra = Template::parse_any(&format!(
            "Resources:\n  Role:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument: {{\"Version\": \"2012-10-17\", \"Statement\": []}}\n{new_text}"
        ))
        .unwrap();
        let arns = extra.resources.values().next().unwrap().properties["ManagedPolicyArns"].clone();
        new.resources
            .values_mut()
            .next()
            .unwrap()
            .properties
            .insert("ManagedPolicyArns".into(), arns);
        let d = diff(&old, &new);
        let c = d.iam.iter().find(|c| c.effect == "Attach").unwrap();
        assert!(c.broadens && c.basis == "syntactic", "{c:?}");
        assert!(c.witness.is_none());
    }

    /// A bucket policy added for a CloudFront origin access identity grants new access:
    /// the prover's callers are of 12-digit accounts, so it read the grant as granting
    /// nothing (no broadening, "proven"). Minimized from the pair corpus:
    /// awslabs/aws-cloudformation-templates f82a6f99ab,
    /// aws/services/S3/S3_Website_With_CloudFront_Distribution.yaml.
    #[test]
    fn a_bucket_policy_for_an_origin_access_identity_broadens_judged_from_the_text() {
        let old = "Resources:\n  Site:\n    Type: AWS::S3::Bucket\n  OAI:\n    Type: AWS::CloudFront::CloudFrontOriginAccessIdentity\n    Properties:\n      CloudFrontOriginAccessIdentityConfig:\n        Comment: c\n";
        let policy = |principal: &str| {
            format!(
                "{old}  BucketPolicy:\n    Type: AWS::S3::BucketPolicy\n    Properties:\n      Bucket: !Ref Site\n      PolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n            Principal: {principal}\n            Action: s3:GetObject\n            Resource: !Sub 'arn:aws:s3:::${{Site}}/*'\n"
            )
        };
        let parse = |t: &str| Template::parse_any(t).unwrap();
        for principal in [
            "{AWS: !Sub 'arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity ${OAI}'}",
            "{CanonicalUser: 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be}",
        ] {
            let d = diff(&parse(old), &parse(&policy(principal)));
            let c = d.iam.iter().find(|c| c.kind == ChangeKind::Added).unwrap();
            assert!(c.broadens, "{principal}: {c:?}");
            assert!(
                c.basis.starts_with("unknown: ") && c.basis.contains("does not model"),
                "{c:?}"
            );
        }
        // A principal of an account the prover does model is still proven.
        let d = diff(
            &parse(old),
            &parse(&policy("{AWS: 'arn:aws:iam::111122223333:root'}")),
        );
        let c = d.iam.iter().find(|c| c.kind == ChangeKind::Added).unwrap();
        assert!(c.broadens && c.basis == "proven", "{c:?}");
    }

    /// A trust policy's federated provider (an EKS cluster's OIDC provider) is no caller
    /// the prover reads: widening the subject it admits is judged from the text.
    #[test]
    fn a_federated_trust_widened_is_judged_from_the_text() {
        let trust = |sub: &str| {
            Template::parse_any(&format!(
                "Resources:\n  Role:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n            Principal: {{Federated: 'arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC'}}\n            Action: sts:AssumeRoleWithWebIdentity\n            Condition: {{StringLike: {{'oidc.eks.us-east-1.amazonaws.com/id/ABC:sub': '{sub}'}}}}\n"
            ))
            .unwrap()
        };
        let d = diff(
            &trust("system:serviceaccount:app:reader"),
            &trust("system:serviceaccount:*"),
        );
        let c = d.iam.iter().find(|c| c.kind == ChangeKind::Added).unwrap();
        assert!(c.broadens && c.basis.starts_with("unknown: "), "{c:?}");
    }

    /// A statement behind Fn::If in the statement list stops the policy reader; the
    /// unknown answer names the Fn::If, not the reader's complaint ("a statement must be
    /// a map"). As in widdix/aws-cf-templates' security/kms-key.yaml (pair corpus).
    #[test]
    fn a_statement_behind_fn_if_is_unknown_because_of_the_fn_if() {
        let key = |extra: &str| {
            Template::parse_any(&format!(
                "Conditions:\n  C: !Equals [a, b]\nResources:\n  Key:\n    Type: AWS::KMS::Key\n    Properties:\n      KeyPolicy:\n        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n            Principal: {{AWS: !Sub 'arn:aws:iam::${{AWS::AccountId}}:root'}}\n            Action: 'kms:*'\n            Resource: '*'\n          - !If\n            - C\n            - Effect: Allow\n              Principal: {{Service: {extra}}}\n              Action: kms:Decrypt\n              Resource: '*'\n            - !Ref AWS::NoValue\n"
            ))
            .unwrap()
        };
        let d = diff(
            &key("cloudtrail.amazonaws.com"),
            &key("[cloudtrail.amazonaws.com, s3.amazonaws.com]"),
        );
        let c = d.iam.iter().find(|c| c.kind == ChangeKind::Added).unwrap();
        assert!(c.broadens, "{c:?}");
        assert!(c.basis.ends_with("is chosen by Fn::If"), "{c:?}");
    }

    /// A role's policy in a template for China (its other grant names `aws-cn`): the
    /// bucket's ARN written `${AWS::Partition}` or `aws-cn` is one ARN there.
    fn cn(bucket_arn: &str) -> Template {
        role(
            &[&format!(
                r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": "s3:GetObject", "Resource": {bucket_arn}}}, {{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws-cn:sqs:cn-north-1:111122223333:q"}}]}}"#
            )],
            "",
        )
    }

    #[test]
    fn a_rename_to_the_partition_the_template_names_is_no_broadening() {
        let sub = r#"{"Fn::Sub": "arn:${AWS::Partition}:s3:::reports/*"}"#;
        let hard = r#""arn:aws-cn:s3:::reports/*""#;
        for (a, b) in [(sub, hard), (hard, sub)] {
            let d = diff(&cn(a), &cn(b));
            assert!(!d.iam.is_empty());
            // With AWS::Partition bound to `aws`, the two were two buckets.
            for c in &d.iam {
                assert!(!c.broadens, "{a} -> {b}: {c:?}");
                assert_eq!(c.basis, "proven");
            }
        }
    }

    #[test]
    fn a_grant_moved_from_another_partition_into_the_stacks_broadens() {
        // In China, a grant on `arn:aws:` (the commercial partition's bucket) grants
        // nothing; written `${AWS::Partition}` it grants China's bucket: newly allowed.
        // Where the stack is deployed in `aws` it is a rename; the templates name both
        // partitions, so both are decided and the change broadens.
        let old = cn(r#""arn:aws:s3:::reports/*""#);
        let new = cn(r#"{"Fn::Sub": "arn:${AWS::Partition}:s3:::reports/*"}"#);
        let d = diff(&old, &new);
        let broad: Vec<&IamChange> = d.iam.iter().filter(|c| c.broadens).collect();
        assert!(!broad.is_empty(), "{:?}", d.iam);
        let w: serde_json::Value =
            serde_json::from_str(broad[0].witness.as_deref().unwrap()).unwrap();
        let resource = w["resource"].as_str().unwrap();
        assert!(resource.starts_with("arn:aws-cn:s3:::reports/"), "{w}");
        // The same change in a template that names only `aws`: a rename.
        let only_aws = |r: &str| {
            role(
                &[&format!(
                    r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": "s3:GetObject", "Resource": {r}}}]}}"#
                )],
                "",
            )
        };
        let d = diff(
            &only_aws(r#""arn:aws:s3:::reports/*""#),
            &only_aws(r#"{"Fn::Sub": "arn:${AWS::Partition}:s3:::reports/*"}"#),
        );
        assert!(d.iam.iter().all(|c| !c.broadens), "{:?}", d.iam);
    }

    #[test]
    fn the_url_suffix_is_the_partitions() {
        // China's service principals end in .amazonaws.com.cn: a trust policy that
        // writes one with AWS::URLSuffix and the other literally names one service.
        let trust = |p: &str| {
            let text = format!(
                "Resources:\n  Role:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument: {{\"Version\": \"2012-10-17\", \"Statement\": [{{\"Effect\": \"Allow\", \"Principal\": {{\"Service\": {p}}}, \"Action\": \"sts:AssumeRole\"}}]}}\n"
            );
            Template::parse_any(&text).unwrap()
        };
        let d = diff(
            &trust(r#"{"Fn::Sub": "lambda.${AWS::URLSuffix}"}"#),
            &trust(r#""lambda.amazonaws.com.cn""#),
        );
        assert!(!d.iam.is_empty());
        assert!(d.iam.iter().all(|c| !c.broadens), "{:?}", d.iam);
        assert_eq!(
            partitions_named(&trust(r#""lambda.amazonaws.com.cn""#)).len(),
            1
        );
    }
}
