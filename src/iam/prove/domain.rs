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

use super::lang::{Elem, Fold, Pattern, regions, regions_within};
use crate::iam::condition::epoch;
use crate::iam::policy::{Principal, PrincipalKind, ResourceEntry, Statement};
use crate::iam::{Bindings, Caller, ConditionOperator, Op, PolicyKind};

/// The key the evaluator derives from the principal.
pub const PRINCIPAL_ARN: &str = "aws:principalarn";
/// The caller's account, derived from the principal.
const PRINCIPAL_ACCOUNT: &str = "aws:principalaccount";
/// A user's name, derived from the principal.
const USERNAME: &str = "aws:username";
/// Keys the evaluator derives from the caller's form alone (`Caller::context`): the
/// search tries every form, so they need no values of their own.
const BY_FORM: &[&str] = &["aws:principaltype", "aws:principalisawsservice"];

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
    /// Service principals a Principal element names.
    pub services: Vec<String>,
    /// Role sessions a Principal element names exactly.
    pub sessions: Vec<String>,
    /// Whether the concrete evaluator (not a lone resource policy's statements) decides:
    /// then what it decides beside the statements splits the space too.
    pub evaluated: bool,
    /// Whether SCPs, RCPs are among the policies.
    pub scps: bool,
    pub rcps: bool,
}

/// The finite space: candidate values per dimension.
#[derive(Debug, Clone)]
pub struct Space {
    /// One action of every class: those the IAM catalog knows first (see `actions`).
    pub action: Vec<String>,
    /// How many of `action` the catalog knows (the others are invented names).
    pub known_actions: usize,
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

/// The forms of IAM caller (`Caller::parse`), each by the ARN policies see as its
/// `aws:PrincipalArn`: a role's sessions are searched through their role's ARN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Form {
    Root,
    User,
    Role,
    Federated,
}

const FORMS: [Form; 4] = [Form::Root, Form::User, Form::Role, Form::Federated];

impl Form {
    /// Every ARN of this form in `partition` (as AWS writes them: no region, a 12-digit
    /// account, a non-empty name): the callers' shape the walk stays within.
    fn shape(self, partition: &str) -> Pattern {
        let service = if self == Form::Federated {
            "sts"
        } else {
            "iam"
        };
        let mut e = Pattern::literal(&format!("arn:{partition}:{service}::"), Fold::None).0;
        e.extend(std::iter::repeat_n(Elem::Digit, 12));
        let lit = |s: &str| Pattern::literal(s, Fold::None).0;
        match self {
            Form::Root => e.extend(lit(":root")),
            Form::User => {
                // A path, then a name: the last character is no `/`.
                e.extend(lit(":user/"));
                e.extend([Elem::Star { colon: true }, Elem::OneNot('/')]);
            }
            Form::Role => {
                // A session's ARN drops the role's path: the name alone.
                e.extend(lit(":role/"));
                e.extend([Elem::OneNot('/'), Elem::StarNot('/')]);
            }
            Form::Federated => {
                e.extend(lit(":federated-user/"));
                e.push(Elem::Star { colon: true });
            }
        }
        Pattern(e)
    }
}

/// A session of the role whose ARN is `role` (`arn:P:iam::A:role/NAME`).
fn session_of(role: &str, session: &str) -> Option<String> {
    let (head, name) = role.split_once(":role/")?;
    let head = head.replacen(":iam:", ":sts:", 1);
    Some(format!("{head}:assumed-role/{name}/{session}"))
}

/// `[*:]{n}` then the elements, then `:*`: field `n` of an ARN is what `elems` accept.
fn in_field(n: usize, elems: Vec<Elem>) -> Pattern {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(Elem::Star { colon: false });
        out.push(Elem::Ch(':', Fold::None));
    }
    out.extend(elems);
    out.push(Elem::Ch(':', Fold::None));
    out.push(Elem::Star { colon: true });
    Pattern(out)
}

/// The elements of a policy value compared by a string operator with one field of an
/// ARN or a name (wildcards of `Like` operators kept within it: they never reach a
/// `stop` character); `None` when the value can never equal such a field.
fn value_elems(op: Op, v: &str, stop: char) -> Option<Vec<Elem>> {
    let (glob, fold) = match op {
        Op::StringLike | Op::StringNotLike => (true, Fold::None),
        Op::StringEqualsIgnoreCase | Op::StringNotEqualsIgnoreCase => (false, Fold::Lower),
        Op::Bool => (false, Fold::Ascii),
        Op::ArnEquals | Op::ArnNotEquals | Op::ArnLike | Op::ArnNotLike => {
            // ArnLike on a value without six fields: only `*` matches it.
            return (v == "*").then(|| vec![Elem::StarNot(stop)]);
        }
        _ => (false, Fold::None),
    };
    let mut out = Vec::new();
    for c in v.chars() {
        out.push(match c {
            '*' if glob => Elem::StarNot(stop),
            '?' if glob => Elem::OneNot(stop),
            c if c == stop => return None,
            c => Elem::Ch(c, fold),
        });
    }
    Some(out)
}

fn instance(p: &str) -> String {
    p.replace(['*', '?'], "x")
}

impl Atoms {
    /// One caller of every class of callers the principal patterns make, of every form
    /// the question admits: the walk of each form stays within its shape, so every class
    /// holds a real caller and every caller lies in a class searched. Roles stand for
    /// their sessions (a session's `aws:PrincipalArn` is its role's ARN): a session of
    /// each, and each session a Principal names exactly, are tried.
    fn callers(&self, patterns: &[Pattern]) -> Result<Vec<String>, String> {
        let patterns = unique(patterns);
        let mut nice = self.nice_principal.clone();
        nice.extend(
            [
                "arn:aws:iam::111122223333:role/witness",
                "arn:aws:iam::111122223333:user/witness",
                "arn:aws:iam::111122223333:root",
                "arn:aws:sts::111122223333:federated-user/witness",
            ]
            .map(String::from),
        );
        let mut out = Vec::new();
        if self.any_caller {
            out.push("*".to_string());
            // A named service the evaluator cannot read as one names no caller.
            out.extend(
                self.services
                    .iter()
                    .filter(|s| matches!(Caller::parse(s), Some(Caller::Service(_))))
                    .cloned(),
            );
            let fresh = (0..)
                .map(|i| format!("witness{i}.amazonaws.com"))
                .find(|s| !self.services.iter().any(|x| x.eq_ignore_ascii_case(s)))
                .expect("an unnamed service");
            out.push(fresh);
        }
        // A form's ARNs in partition P are `arn:P:` then the same rest in every
        // partition: a partition after whose prefix every pattern is where it is after
        // an earlier one's realizes the same classes (most patterns name `aws` or no
        // partition at all), and adds no caller. Not walked. (The same partitions for
        // every form: found once.)
        let mut after_prefix: Vec<Vec<BTreeSet<usize>>> = Vec::new();
        let mut partitions: Vec<&str> = Vec::new();
        for (partition, _) in crate::iam::PARTITIONS {
            let at: Vec<BTreeSet<usize>> = patterns
                .iter()
                .map(|p| p.after(&format!("arn:{partition}:")))
                .collect();
            if !after_prefix.contains(&at) {
                after_prefix.push(at);
                partitions.push(partition);
            }
        }
        let mut seen = BTreeSet::new();
        for form in FORMS {
            if form == Form::Root && !self.any_caller {
                // No identity policy is attached to an account's root user.
                continue;
            }
            for partition in &partitions {
                let shape = form.shape(partition);
                let r =
                    regions_within(&patterns, Some(&shape), &nice, STATE_LIMIT).map_err(|e| {
                        format!(
                            "the principal patterns need more than {} automaton states",
                            e.0
                        )
                    })?;
                for (v, arn) in r.iter() {
                    let arn = arn.clone();
                    // Partitions no pattern tells apart give the same classes.
                    if !seen.insert((form, v.clone())) {
                        continue;
                    }
                    if form != Form::Role {
                        out.push(arn);
                        continue;
                    }
                    if self.any_caller {
                        out.push(arn.clone());
                    }
                    let named: Vec<&String> = self
                        .sessions
                        .iter()
                        .filter(|s| {
                            Caller::parse(s)
                                .and_then(|c| c.principal_arn())
                                .is_some_and(|r| r == arn)
                        })
                        .collect();
                    let fresh = (0..)
                        .map(|i| {
                            if i == 0 {
                                "witness".to_string()
                            } else {
                                format!("witness{i}")
                            }
                        })
                        .filter_map(|n| session_of(&arn, &n))
                        .find(|s| !named.contains(&s))
                        .expect("an unnamed session");
                    out.push(fresh);
                    out.extend(named.into_iter().cloned());
                }
            }
        }
        for c in &out {
            debug_assert!(Caller::parse(c).is_some(), "{c} is no caller");
        }
        Ok(out)
    }

    /// Adds the tests one statement makes; `Err` names a construct the prover cannot
    /// decide.
    pub fn statement(
        &mut self,
        kind: PolicyKind,
        version: &str,
        s: &Statement,
        b: &Bindings,
    ) -> Result<(), String> {
        self.any_caller |= matches!(kind, PolicyKind::Resource | PolicyKind::VpcEndpoint);
        // Policy variables (version 2012-10-17) take their values from the request: a
        // pattern that moves with the request is beyond the classes computed here.
        let variable = |t: &str| {
            if version == "2012-10-17" && t.contains("${") {
                Err(format!(
                    "{t:?} holds a policy variable: patterns made of request values are not modelled"
                ))
            } else {
                Ok(())
            }
        };
        for a in s.action.inner() {
            self.action.push(Pattern::glob(a.as_str(), Fold::Ascii));
            self.nice_action.push(instance(a.as_str()));
        }
        // A value known only at deployment (a parameter, an import, a condition's
        // choice) could be anything: no answer holds for every deployment.
        let known = |v: &crate::template::Value| {
            b.resolve(v).ok_or_else(|| {
                let what = match v {
                    crate::template::Value::Fn(i) => match &**i {
                        crate::template::Intrinsic::Ref(r) => format!("Ref {r}"),
                        i => format!("an Fn::{}", i.short_tag()),
                    },
                    _ => "a value that is no string".to_string(),
                };
                format!("{what} is known only at deployment")
            })
        };
        if let Some(r) = &s.resource {
            for e in r.inner() {
                let t = match e {
                    ResourceEntry::Arn(a) => a.as_str().to_string(),
                    ResourceEntry::Expr(v) => known(v)?,
                };
                variable(&t)?;
                self.resource_pattern(&t);
            }
        }
        if !matches!(
            kind,
            PolicyKind::Identity | PolicyKind::PermissionsBoundary | PolicyKind::Scp
        ) && let Some(p) = &s.principal
            && let Principal::Ids(ids) = p.inner()
        {
            for (k, vals) in ids {
                for v in vals {
                    let id = known(v)?;
                    // An Allow to a principal no caller of the domain can be (a federated
                    // provider, a canonical user, CloudFront's origin access identity) admits
                    // someone the search never tries: no answer holds for it.
                    if s.effect == crate::iam::Effect::Allow && !modelled(*k, &id) {
                        return Err(format!(
                            "the {} principal {id:?} is not modelled: no caller the prover tries is it",
                            k.key()
                        ));
                    }
                    self.principal_id(*k, &id);
                }
            }
        }
        for (op, keys) in &s.condition {
            for (key, vals) in keys {
                let values = vals
                    .iter()
                    .map(known)
                    .collect::<Result<Vec<String>, String>>()?;
                for v in &values {
                    variable(v)?;
                }
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

    /// The tests `Caller::named_by` makes for one id of a Principal element, on the
    /// caller's ARN (a role's, for its sessions).
    fn principal_id(&mut self, kind: PrincipalKind, id: &str) {
        self.nice_principal.push(id.to_string());
        match kind {
            PrincipalKind::Service => {
                self.services.push(id.to_string());
                return;
            }
            // No caller the evaluator reads is named so.
            PrincipalKind::Federated | PrincipalKind::CanonicalUser => return,
            PrincipalKind::Aws if id == "*" => return,
            PrincipalKind::Aws => {}
        }
        // The caller itself (a user, federated user, root user or role).
        self.principal.push(Pattern::literal(id, Fold::None));
        // A bare account id names its account, in any partition.
        self.principal.extend(Pattern::field(4, id));
        let parts: Vec<&str> = id.splitn(6, ':').collect();
        if let ["arn", partition, "iam", "", account, rest] = parts.as_slice()
            && !partition.is_empty()
        {
            if *rest == "root" {
                // `arn:P:iam::A:root` names account A of partition P.
                self.principal
                    .extend(Pattern::arn(&format!("arn:{partition}:*:*:{account}:*")));
            } else if let Some(path) = rest.strip_prefix("role/") {
                // A role ARN (with any path) names the sessions of the role of its name.
                let name = path.rsplit('/').next().unwrap_or(path);
                if !name.is_empty() {
                    self.principal.push(Pattern::literal(
                        &format!("arn:{partition}:iam::{account}:role/{name}"),
                        Fold::None,
                    ));
                }
            }
        }
        // A session named exactly: its role's class, and the session itself, are tried.
        if let Some(Caller::Session {
            partition,
            account,
            role,
            session: Some(_),
            ..
        }) = Caller::parse(id)
        {
            let role = format!("arn:{partition}:iam::{account}:role/{role}");
            self.principal.push(Pattern::literal(&role, Fold::None));
            self.nice_principal.push(role);
            self.sessions.push(id.to_string());
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
        let derived = [PRINCIPAL_ARN, PRINCIPAL_ACCOUNT, USERNAME].contains(&lower.as_str());
        if derived && family != Some(Family::String) && family.is_some() {
            return Err(format!(
                "{op} on {key}: only string and ARN comparisons of a key derived from the caller are modelled"
            ));
        }
        match lower.as_str() {
            PRINCIPAL_ARN => {
                // Derived from the caller: one value, present for every IAM caller.
                self.nice_principal
                    .extend(values.iter().map(|v| instance(v)));
                self.principal.extend(patterns);
                return Ok(());
            }
            PRINCIPAL_ACCOUNT => {
                // The account field of the caller's ARN.
                for v in values {
                    if let Some(e) = value_elems(op.op, v, ':') {
                        self.principal.push(in_field(4, e));
                    }
                }
                return Ok(());
            }
            USERNAME => {
                // A user's name: its ARN's last segment.
                for v in values {
                    if let Some(e) = value_elems(op.op, v, '/') {
                        let mut p = vec![Elem::Star { colon: true }, Elem::Ch('/', Fold::None)];
                        p.extend(e);
                        self.principal.push(Pattern(p));
                    }
                }
                return Ok(());
            }
            "aws:principalservicename" => {
                return Err(format!(
                    "{op} on {key}: service principals' names in conditions are not modelled"
                ));
            }
            k if BY_FORM.contains(&k) => return Ok(()),
            _ => {}
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
            Ok(r.values().cloned().collect())
        };
        let mut nice_action = self.nice_action.clone();
        nice_action.extend(["s3:PutObject".to_string(), "ec2:RunInstances".into()]);
        let mut nice_resource = self.nice_resource.clone();
        nice_resource.extend([
            "arn:aws:s3:::witness-bucket/witness-key".to_string(),
            "arn:aws:sqs:us-east-1:444455556666:witness".into(),
        ]);
        let mut action_patterns = self.action.clone();
        let mut resource_patterns = self.resource.clone();
        let mut principal_patterns = self.principal.clone();
        if self.evaluated {
            // What the evaluator decides beside the statements: sts:GetCallerIdentity
            // needs no permission; AWS managed policies, reserved roles and AWS managed
            // KMS aliases cannot be changed (only reads of IAM are allowed on them).
            let fold = |a: &str| Pattern::glob(a, Fold::Ascii);
            action_patterns.push(fold("sts:GetCallerIdentity"));
            for a in [
                "iam:*",
                "iam:Get*",
                "iam:List*",
                "iam:Generate*",
                "iam:Simulate*",
                "kms:CreateAlias",
                "kms:DeleteAlias",
                "kms:UpdateAlias",
            ] {
                action_patterns.push(fold(a));
            }
            let field = |svc: &str, account: Option<&str>, rest: &str| {
                let mut e = vec![Elem::Star { colon: false }, Elem::Ch(':', Fold::None)];
                e.push(Elem::Star { colon: false });
                e.extend(Pattern::literal(&format!(":{svc}:"), Fold::None).0);
                e.push(Elem::Star { colon: false });
                e.push(Elem::Ch(':', Fold::None));
                match account {
                    Some(a) => e.extend(Pattern::literal(a, Fold::None).0),
                    None => e.push(Elem::Star { colon: false }),
                }
                e.extend(Pattern::literal(&format!(":{rest}"), Fold::None).0);
                e.push(Elem::Star { colon: true });
                Pattern(e)
            };
            resource_patterns.push(field("iam", Some("aws"), "policy/"));
            resource_patterns.push(field("iam", None, "role/aws-reserved/"));
            resource_patterns.push(field("kms", None, "alias/aws/"));
            // RCPs cover some services; SCPs and RCPs spare service-linked roles.
            if self.rcps {
                for svc in crate::iam::eval::RCP_SERVICES {
                    action_patterns.push(fold(&format!("{svc}:*")));
                }
            }
            if self.rcps || self.scps {
                principal_patterns.extend(Pattern::arn("arn:*:iam::*:role/AWSServiceRoleFor*"));
            }
        }
        let principal = self.callers(&principal_patterns)?;
        let action =
            super::actions::candidates(&unique(&action_patterns), &nice_action, STATE_LIMIT)
                .map_err(|e| {
                    format!(
                        "the action patterns need more than {} automaton states",
                        e.0
                    )
                })?;
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
            known_actions: action
                .iter()
                .take_while(|a| super::actions::known(a))
                .count(),
            action,
            resource: dim("resource", &resource_patterns, &nice_resource)?,
            principal,
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
                .map(|r| r.values().cloned().collect())
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
            Elem::Ch(c, _) => *c,
            Elem::Digit => '0',
            Elem::One { .. } | Elem::OneNot(_) => '?',
            Elem::Star { .. } | Elem::StarNot(_) => '*',
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

/// Whether a principal element names callers of the prover's domain: a service, anyone,
/// an account (its id, or an IAM or STS ARN in a 12-digit account: a root, user, role or
/// session).
fn modelled(kind: PrincipalKind, id: &str) -> bool {
    let account = |a: &str| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit());
    match kind {
        PrincipalKind::Service => true,
        PrincipalKind::Federated | PrincipalKind::CanonicalUser => false,
        PrincipalKind::Aws => {
            id == "*"
                || account(id)
                || matches!(id.splitn(6, ':').collect::<Vec<_>>().as_slice(),
                    ["arn", p, "iam" | "sts", "", a, _] if !p.is_empty() && account(a))
        }
    }
}
