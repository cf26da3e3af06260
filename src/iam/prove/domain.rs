//! What the policies can tell apart in each dimension of a request (action, resource,
//! principal, each context key), and a finite set of values per dimension that holds one
//! value of every class the policies distinguish.
//!
//! Every test the evaluator makes on a request is one of: a pattern on the action, the
//! resource or the principal (globs, ARN fields, exact and case-folded strings, the
//! principal's account field and the role of a session), or a test on one context key
//! (present or not; each value by string pattern, number, date or IP range). Collecting
//! those tests ("atoms") from every statement and computing one value per realizable
//! combination of their outcomes gives the finite space the search walks.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use ipnet::IpNet;

use super::lang::{Fold, Pattern, regions};
use crate::iam::condition::epoch;
use crate::iam::policy::{Principal, PrincipalKind, ResourceEntry, Statement};
use crate::iam::{Bindings, ConditionOperator, Op, PolicyKind};

/// The key the evaluator derives from the principal (`Request::new` sets it).
pub const PRINCIPAL_ARN: &str = "aws:principalarn";

/// At most this many automaton states per dimension.
const STATE_LIMIT: usize = 200_000;
/// A multivalued key takes every non-empty subset of its values: at most this many.
const SUBSET_LIMIT: usize = 7;

/// The value family a condition operator compares in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Family {
    String,
    Number,
    Date,
    Ip,
}

/// The tests made on one context key.
#[derive(Debug, Default, Clone)]
pub struct KeyAtoms {
    /// The key as a policy spells it (for the witness).
    pub name: String,
    patterns: Vec<Pattern>,
    numbers: Vec<String>,
    dates: Vec<String>,
    ips: Vec<String>,
    families: BTreeSet<Family>,
    /// Compared with a set operator somewhere: requests may carry several values.
    pub multi: bool,
}

/// Every test the policies (and the question) make, by dimension.
#[derive(Debug, Default, Clone)]
pub struct Atoms {
    pub action: Vec<Pattern>,
    pub resource: Vec<Pattern>,
    pub principal: Vec<Pattern>,
    pub keys: BTreeMap<String, KeyAtoms>,
    /// Strings that make readable witnesses, by dimension.
    pub nice_action: Vec<String>,
    pub nice_resource: Vec<String>,
    pub nice_principal: Vec<String>,
    /// Whether a resource-based or endpoint policy is among the policies: then any caller
    /// may make the request; otherwise the policies are an identity's, and the caller is
    /// a principal they can be attached to (a user, a role's session, a federated user),
    /// never the account's root user, a service or an anonymous caller.
    pub any_caller: bool,
}

/// The finite space: candidate values per dimension.
#[derive(Debug, Clone)]
pub struct Space {
    pub action: Vec<String>,
    pub resource: Vec<String>,
    pub principal: Vec<String>,
    pub keys: Vec<KeySpace>,
}

/// One context key's candidate values.
#[derive(Debug, Clone)]
pub struct KeySpace {
    /// The key in lower case, as the evaluator looks it up.
    pub key: String,
    /// The key as a policy spells it.
    pub name: String,
    /// Candidate values; `None`: absent.
    pub values: Vec<Option<Vec<String>>>,
}

impl Space {
    /// How many requests the space holds.
    pub fn size(&self) -> f64 {
        let mut n = (self.action.len() * self.resource.len() * self.principal.len()) as f64;
        for k in &self.keys {
            n *= k.values.len() as f64;
        }
        n
    }
}

/// A readable stand-in for a glob's wildcards.
/// The forms of caller the evaluator distinguishes (`Caller::parse`), as globs.
/// Each with whether identity policies can be attached to callers of that form.
const CALLER_SHAPES: &[(&str, bool)] = &[
    ("arn:*:iam::*:root", false),
    ("arn:*:iam::*:user/*", true),
    ("arn:*:iam::*:role/*", true),
    ("arn:*:sts::*:assumed-role/*/*", true),
    ("arn:*:sts::*:federated-user/*", true),
    ("*.*", false),
];

/// The caller forms as patterns: ARN fields matched without crossing a colon, as
/// `Caller::parse` reads them.
fn caller_shapes() -> Vec<(Pattern, bool)> {
    CALLER_SHAPES
        .iter()
        .flat_map(|(p, attachable)| {
            let ps = if p.starts_with("arn:") {
                Pattern::arn(p)
            } else {
                // A service principal: a name with a dot and no colon.
                let any = super::lang::Elem::Star { colon: false };
                vec![Pattern(vec![
                    any,
                    super::lang::Elem::Ch('.', Fold::None),
                    any,
                ])]
            };
            ps.into_iter().map(move |p| (p, *attachable))
        })
        .collect()
}

/// Every account the policies name (an ARN's account field, or a bare account id), and
/// one they do not.
fn accounts_of<'a>(named: impl Iterator<Item = &'a String>) -> BTreeSet<String> {
    let is_account = |a: &str| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit());
    let mut accounts = BTreeSet::new();
    for id in named {
        let account = id.split(':').nth(4).unwrap_or(id);
        if is_account(account) {
            accounts.insert(account.to_string());
        }
    }
    let fresh = (0u64..)
        .map(|i| format!("{:012}", 111_122_223_333u64 + i * 111_111_111))
        .find(|a| !accounts.contains(a))
        .expect("an unnamed account");
    accounts.insert(fresh);
    accounts
}

/// A caller of every form in each of `accounts`, so that each class of principals has a
/// real caller to stand for it where one exists.
fn callers_of(accounts: &BTreeSet<String>) -> Vec<String> {
    let mut out = vec!["*".to_string(), "witness.amazonaws.com".to_string()];
    for a in accounts {
        out.extend([
            format!("arn:aws:iam::{a}:root"),
            format!("arn:aws:iam::{a}:user/witness"),
            format!("arn:aws:iam::{a}:role/witness"),
            format!("arn:aws:iam::{a}:role/aws-service-role/witness"),
            format!("arn:aws:sts::{a}:assumed-role/witness/witness"),
            format!("arn:aws:sts::{a}:assumed-role/AWSServiceRoleForWitness/witness"),
            format!("arn:aws:sts::{a}:federated-user/witness"),
        ]);
    }
    out
}

/// The principal candidates, each a caller the evaluator reads. A class whose stand-in
/// is no caller but lies within a caller's form may still hold real callers the search
/// would not try: the prover cannot say "proven" then, so it answers unknown.
fn valid_callers(
    candidates: Vec<String>,
    patterns: &[Pattern],
    any_caller: bool,
) -> Result<Vec<String>, String> {
    use crate::iam::Caller;
    let fits = |c: &str| match Caller::parse(c) {
        None => false,
        Some(Caller::Root { .. } | Caller::Service(_) | Caller::Anonymous) => any_caller,
        Some(_) => true,
    };
    let shapes = caller_shapes();
    let class = |s: &str| -> Vec<bool> { patterns.iter().map(|p| p.matches(s)).collect() };
    let mut out = Vec::new();
    for c in candidates {
        if fits(&c) {
            out.push(c);
            continue;
        }
        if Caller::parse(&c).is_some() {
            // A caller these policies cannot be attached to: not a request they decide.
            continue;
        }
        // Shapes are classes of their own, so the stand-in's shape is the class's.
        match shapes.iter().find(|(p, _)| p.matches(&c)) {
            // Outside every caller's form: no caller is in the class.
            None => continue,
            // Callers no identity policy is attached to.
            Some((_, false)) if !any_caller => continue,
            // Sessions stand in by their roles (below): a session's aws:PrincipalArn is
            // its role's ARN, and a policy names a session by its role or exactly.
            Some(_) if c.contains(":assumed-role/") => continue,
            Some(_) => {}
        }
        // A class that the policies hold to an empty account field (`aws:PrincipalAccount`
        // questions ask of it) has no caller with an account in it.
        let no_account = Pattern::field(4, "");
        if c.starts_with("arn:")
            && no_account
                .iter()
                .any(|p| p.matches(&c) && patterns.contains(p))
        {
            continue;
        }
        // The stand-in is no caller (an empty or lettered account, an empty name): a
        // caller of the same class, if a simple repair of its fields gives one.
        let want = class(&c);
        match repairs(&c)
            .into_iter()
            .find(|r| fits(r) && class(r) == want)
        {
            Some(r) => out.push(r),
            None => {
                return Err(format!(
                    "principals like {c:?} form a class with no caller the search can stand for it"
                ));
            }
        }
    }
    // A session of every role candidate: with a resource policy the session and its role
    // can be told apart; for an identity's own policies the role stands for its sessions.
    if any_caller {
        let sessions: Vec<String> = out
            .iter()
            .filter_map(|c| match Caller::parse(c) {
                Some(Caller::Session {
                    partition,
                    account,
                    role,
                    session: None,
                    ..
                }) => Some(format!(
                    "arn:{partition}:sts::{account}:assumed-role/{role}/witness"
                )),
                _ => None,
            })
            .collect();
        out.extend(sessions);
        out.sort();
        out.dedup();
    }
    Ok(out)
}

/// Variants of a would-be caller ARN with its partition, account and names filled in.
fn repairs(c: &str) -> Vec<String> {
    let fields: Vec<&str> = c.splitn(6, ':').collect();
    let [arn, partition, service, region, account, rest] = fields.as_slice() else {
        return Vec::new();
    };
    // The stand-in's own partition first: an empty one is what some classes need.
    let partitions = [partition.to_string(), "aws".into()];
    let digits = |a: &str| -> String {
        let d: String = a
            .chars()
            .map(|ch| if ch.is_ascii_digit() { ch } else { '1' })
            .collect();
        format!("{d:1<12}").chars().take(12).collect()
    };
    let accounts = [account.to_string(), digits(account), "111122223333".into()];
    let fill = |r: &str| -> Vec<String> {
        let mut v = vec![r.to_string()];
        let named: String = r
            .split('/')
            .map(|p| if p.is_empty() { "w" } else { p })
            .collect::<Vec<_>>()
            .join("/");
        v.push(named.clone());
        v.push(format!("{named}w"));
        v
    };
    let mut out = Vec::new();
    for p in &partitions {
        for a in &accounts {
            for r in fill(rest) {
                out.push(format!("{arn}:{p}:{service}:{region}:{a}:{r}"));
            }
        }
    }
    out
}

fn instance(p: &str) -> String {
    p.replace(['*', '?'], "x")
}

impl Atoms {
    /// Adds the tests one statement makes; `Err` names a construct the prover cannot
    /// decide.
    pub fn statement(
        &mut self,
        kind: PolicyKind,
        s: &Statement,
        b: &Bindings,
    ) -> Result<(), String> {
        self.any_caller |= matches!(kind, PolicyKind::Resource | PolicyKind::VpcEndpoint);
        for a in s.action.inner() {
            self.action.push(Pattern::glob(a.as_str(), Fold::Ascii));
            self.nice_action.push(instance(a.as_str()));
        }
        if let Some(r) = &s.resource {
            for e in r.inner() {
                let text = match e {
                    ResourceEntry::Arn(a) => Some(a.as_str().to_string()),
                    ResourceEntry::Expr(v) => b.resolve(v),
                };
                if let Some(t) = text {
                    self.resource_pattern(&t);
                }
            }
        }
        if !matches!(
            kind,
            PolicyKind::Identity | PolicyKind::PermissionsBoundary | PolicyKind::Scp
        ) && let Some(p) = &s.principal
            && let Principal::Ids(ids) = p.inner()
        {
            for (k, vals) in ids {
                for id in vals.iter().filter_map(|v| b.resolve(v)) {
                    self.principal_id(*k, &id);
                }
            }
        }
        for (op, keys) in &s.condition {
            for (key, vals) in keys {
                let values: Vec<String> = vals.iter().filter_map(|v| b.resolve(v)).collect();
                self.condition(*op, key, &values)?;
            }
        }
        Ok(())
    }

    /// A resource pattern (ArnLike semantics).
    pub fn resource_pattern(&mut self, t: &str) {
        self.resource.extend(Pattern::arn(t));
        self.nice_resource.push(instance(t));
    }

    /// An action pattern (a glob, compared without regard to ASCII case).
    pub fn action_pattern(&mut self, t: &str) {
        self.action.push(Pattern::glob(t, Fold::Ascii));
        self.nice_action.push(instance(t));
    }

    /// The principal's account field equals `account`.
    pub fn principal_account(&mut self, account: &str) {
        self.principal.extend(Pattern::field(4, account));
    }

    /// The tests `principal_matches` makes for one id of a Principal element.
    fn principal_id(&mut self, kind: PrincipalKind, id: &str) {
        self.principal.push(Pattern::literal(id, Fold::None));
        self.nice_principal.push(id.to_string());
        if kind != PrincipalKind::Aws || id == "*" {
            return;
        }
        // The principal's account field equals the id.
        self.principal.extend(Pattern::field(4, id));
        // `arn:aws:iam::ACCOUNT:root` names the account.
        if let Some(acct) = id
            .strip_prefix("arn:aws:iam::")
            .and_then(|r| r.strip_suffix(":root"))
        {
            self.principal.extend(Pattern::field(4, acct));
        }
        // A role names its sessions: arn:P:sts:R:A:assumed-role/NAME[/...].
        let parts: Vec<&str> = id.splitn(6, ':').collect();
        if let ["arn", partition, "iam", "", account, rest] = parts.as_slice()
            && let Some(name) = rest.strip_prefix("role/")
            && !name.contains('/')
            && !partition.contains(':')
        {
            // The first field of a session's ARN is not compared.
            let head = format!(":{partition}:sts:");
            let tail = format!(":{account}:assumed-role/{name}");
            let mut base = vec![super::lang::Elem::Star { colon: false }];
            base.extend(Pattern::literal(&head, Fold::None).0);
            base.push(super::lang::Elem::Star { colon: false });
            base.extend(Pattern::literal(&tail, Fold::None).0);
            let mut more = base.clone();
            more.push(super::lang::Elem::Ch('/', Fold::None));
            more.push(super::lang::Elem::Star { colon: true });
            self.principal.push(Pattern(base));
            self.principal.push(Pattern(more));
            self.nice_principal.push(format!(
                "arn:{partition}:sts::{account}:assumed-role/{name}/witness"
            ));
        }
    }

    /// The tests of one condition `op: {key: values}`.
    pub fn condition(
        &mut self,
        op: ConditionOperator,
        key: &str,
        values: &[String],
    ) -> Result<(), String> {
        let lower = key.to_ascii_lowercase();
        let family = match op.op {
            Op::Null => None,
            Op::NumericEquals
            | Op::NumericNotEquals
            | Op::NumericLessThan
            | Op::NumericLessThanEquals
            | Op::NumericGreaterThan
            | Op::NumericGreaterThanEquals => Some(Family::Number),
            Op::DateEquals
            | Op::DateNotEquals
            | Op::DateLessThan
            | Op::DateLessThanEquals
            | Op::DateGreaterThan
            | Op::DateGreaterThanEquals => Some(Family::Date),
            Op::IpAddress | Op::NotIpAddress => Some(Family::Ip),
            _ => Some(Family::String),
        };
        let mut patterns = Vec::new();
        for v in values {
            match op.op {
                Op::StringEquals | Op::StringNotEquals | Op::BinaryEquals => {
                    patterns.push(Pattern::literal(v, Fold::None))
                }
                Op::StringEqualsIgnoreCase | Op::StringNotEqualsIgnoreCase => {
                    if !v.is_ascii() {
                        return Err(format!(
                            "{op} on {key} compares a non-ASCII value ({v:?}) without regard to case: Unicode case folding is not modelled"
                        ));
                    }
                    patterns.push(Pattern::literal(v, Fold::Lower))
                }
                Op::StringLike | Op::StringNotLike => patterns.push(Pattern::glob(v, Fold::None)),
                Op::Bool => patterns.push(Pattern::literal(v, Fold::Ascii)),
                Op::ArnEquals | Op::ArnNotEquals | Op::ArnLike | Op::ArnNotLike => {
                    patterns.extend(Pattern::arn(v))
                }
                _ => {}
            }
        }
        if lower == PRINCIPAL_ARN {
            // Derived from the principal: one value, always present.
            if family != Some(Family::String) && family.is_some() {
                return Err(format!(
                    "{op} on {key}: only string and ARN comparisons of the principal's ARN are modelled"
                ));
            }
            self.nice_principal
                .extend(values.iter().map(|v| instance(v)));
            self.principal.extend(patterns);
            return Ok(());
        }
        let k = self.keys.entry(lower).or_insert_with(|| KeyAtoms {
            name: key.to_string(),
            ..KeyAtoms::default()
        });
        k.multi |= op.set.is_some();
        if let Some(f) = family {
            k.families.insert(f);
        }
        k.patterns.extend(patterns);
        match family {
            Some(Family::Number) => k.numbers.extend(values.iter().cloned()),
            Some(Family::Date) => k.dates.extend(values.iter().cloned()),
            Some(Family::Ip) => k.ips.extend(values.iter().cloned()),
            _ => {}
        }
        Ok(())
    }

    /// The candidate values of every dimension; `Err` when a dimension is beyond the
    /// prover (mixed value families on one key, too many states or subsets).
    pub fn space(&self) -> Result<Space, String> {
        let dim = |name: &str, ps: &[Pattern], nice: &[String]| -> Result<Vec<String>, String> {
            let r = regions(&unique(ps), nice, STATE_LIMIT).map_err(|e| {
                format!(
                    "the {name} patterns need more than {} automaton states",
                    e.0
                )
            })?;
            Ok(r.into_values().collect())
        };
        let mut nice_action = self.nice_action.clone();
        nice_action.extend(["s3:PutObject".to_string(), "ec2:RunInstances".into()]);
        let mut nice_resource = self.nice_resource.clone();
        nice_resource.extend([
            "arn:aws:s3:::witness-bucket/witness-key".to_string(),
            "arn:aws:sqs:us-east-1:444455556666:witness".into(),
        ]);
        // The evaluator compares the caller's account with the resource's (across
        // accounts both sides must allow), so both dimensions are split by every account
        // the policies name and by one they do not: then each pair of classes holds a
        // same-account pair and a cross-account pair where the accounts allow one.
        let accounts = accounts_of(self.nice_principal.iter().chain(&self.nice_resource));
        let mut resource_patterns = self.resource.clone();
        let mut nice_principal = self.nice_principal.clone();
        let mut principal_patterns = self.principal.clone();
        for a in &accounts {
            resource_patterns.extend(Pattern::field(4, a));
            principal_patterns.extend(Pattern::field(4, a));
            nice_resource.push(format!("arn:aws:sqs:us-east-1:{a}:witness"));
        }
        nice_principal.extend(callers_of(&accounts));
        // The evaluator tells callers apart by their form (root, user, role, session,
        // service-linked role, federated user, service, anonymous): each form is a class
        // of its own, so every form is searched in every class the policies make.
        principal_patterns.extend(caller_shapes().into_iter().map(|(p, _)| p));
        let mut keys = Vec::new();
        for (lower, k) in &self.keys {
            let values = k.values().map_err(|e| format!("{}: {e}", k.name))?;
            let mut cands: Vec<Option<Vec<String>>> = vec![None];
            if k.multi {
                if values.len() > SUBSET_LIMIT {
                    return Err(format!(
                        "{}: a multivalued key with {} classes of values ({} subsets) is beyond the search",
                        k.name,
                        values.len(),
                        (1u64 << values.len()) - 1
                    ));
                }
                for mask in 1u32..(1 << values.len()) {
                    cands.push(Some(
                        values
                            .iter()
                            .enumerate()
                            .filter(|(i, _)| mask & (1 << i) != 0)
                            .map(|(_, v)| v.clone())
                            .collect(),
                    ));
                }
            } else {
                cands.extend(values.into_iter().map(|v| Some(vec![v])));
            }
            keys.push(KeySpace {
                key: lower.clone(),
                name: k.name.clone(),
                values: cands,
            });
        }
        Ok(Space {
            action: dim("action", &self.action, &nice_action)?,
            resource: dim("resource", &resource_patterns, &nice_resource)?,
            principal: valid_callers(
                dim("principal", &principal_patterns, &nice_principal)?,
                &principal_patterns,
                self.any_caller,
            )?,
            keys,
        })
    }
}

impl KeyAtoms {
    /// One value of every class the key's tests distinguish.
    fn values(&self) -> Result<Vec<String>, String> {
        if self.families.len() > 1 {
            return Err(format!(
                "compared as {} at once: mixed value families on one key are not modelled",
                self.families
                    .iter()
                    .map(|f| format!("{f:?}").to_lowercase())
                    .collect::<Vec<_>>()
                    .join(" and ")
            ));
        }
        let nice: Vec<String> = self.patterns.iter().map(|p| instance(&text(p))).collect();
        match self.families.iter().next() {
            None => Ok(vec!["witness".into()]),
            Some(Family::String) => regions(&unique(&self.patterns), &nice, STATE_LIMIT)
                .map(|r| r.into_values().collect())
                .map_err(|e| format!("the patterns need more than {} automaton states", e.0)),
            Some(Family::Number) => numbers(&self.numbers),
            Some(Family::Date) => Ok(dates(&self.dates)),
            Some(Family::Ip) => Ok(ips(&self.ips)),
        }
    }
}

/// The patterns without repeats: a repeated pattern tells no values apart.
fn unique(ps: &[Pattern]) -> Vec<Pattern> {
    let set: BTreeSet<&Pattern> = ps.iter().collect();
    set.into_iter().cloned().collect()
}

/// A pattern written back as text (for readable values).
fn text(p: &Pattern) -> String {
    p.0.iter()
        .map(|e| match e {
            super::lang::Elem::Ch(c, _) => *c,
            super::lang::Elem::One { .. } => '?',
            super::lang::Elem::Star { .. } => '*',
        })
        .collect()
}

/// Numbers: each literal, a number strictly between neighbours (when one exists), one
/// below and one above all, and a value that is no number.
fn numbers(lits: &[String]) -> Result<Vec<String>, String> {
    let mut xs: Vec<f64> = lits
        .iter()
        .filter_map(|s| s.parse::<f64>().ok())
        .filter(|x| !x.is_nan())
        .collect();
    xs.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    xs.dedup();
    let mut out: Vec<f64> = Vec::new();
    if xs.is_empty() {
        out.push(0.0);
    }
    for (i, &x) in xs.iter().enumerate() {
        if i == 0 && x > f64::NEG_INFINITY {
            let below = x - (x.abs() + 1.0);
            if below >= x {
                return Err(format!("no number below {x} is representable"));
            }
            out.push(below);
        }
        out.push(x);
        if let Some(&next) = xs.get(i + 1) {
            // A number strictly between, when the two are not neighbouring floats.
            let mid = match (x.is_infinite(), next.is_infinite()) {
                (true, true) => 0.0,
                (false, true) => x + (x.abs() + 1.0),
                (true, false) => next - (next.abs() + 1.0),
                (false, false) => x / 2.0 + next / 2.0,
            };
            if mid > x && mid < next {
                out.push(mid);
            }
        } else if x < f64::INFINITY {
            let above = x + (x.abs() + 1.0);
            if above <= x {
                return Err(format!("no number above {x} is representable"));
            }
            out.push(above);
        }
    }
    let mut v: Vec<String> = out.iter().map(|x| x.to_string()).collect();
    for (s, x) in v.iter().zip(&out) {
        if s.parse::<f64>().ok() != Some(*x) {
            return Err(format!(
                "the number {x} does not survive being written as {s}"
            ));
        }
    }
    v.push("not-a-number".into());
    Ok(v)
}

/// Dates (whole seconds): each literal, one second before and after, and a non-date.
fn dates(lits: &[String]) -> Vec<String> {
    let mut set = BTreeSet::new();
    for e in lits.iter().filter_map(|s| epoch(s)) {
        set.extend([e.saturating_sub(1), e, e.saturating_add(1)]);
    }
    if set.is_empty() {
        set.insert(0);
    }
    let mut v: Vec<String> = set.iter().map(i64::to_string).collect();
    v.push("not-a-date".into());
    v
}

/// IP addresses: the first address of each range, the address after its last, the first
/// address of each family, and a non-address. Every stretch of addresses between range
/// boundaries starts at one of them.
fn ips(lits: &[String]) -> Vec<String> {
    let mut set: BTreeSet<IpAddr> = BTreeSet::from([
        IpAddr::from([0u8, 0, 0, 0]),
        IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 0]),
    ]);
    for l in lits {
        let net = match l.parse::<IpNet>() {
            Ok(n) => n,
            Err(_) => match l.parse::<IpAddr>() {
                Ok(a) => IpNet::from(a),
                Err(_) => continue,
            },
        };
        set.insert(net.network());
        match net.broadcast() {
            IpAddr::V4(a) => {
                if let Some(n) = u32::from(a).checked_add(1) {
                    set.insert(IpAddr::V4(n.into()));
                }
            }
            IpAddr::V6(a) => {
                if let Some(n) = u128::from(a).checked_add(1) {
                    set.insert(IpAddr::V6(n.into()));
                }
            }
        }
    }
    let mut v: Vec<String> = set.iter().map(IpAddr::to_string).collect();
    v.push("not-an-address".into());
    v
}
