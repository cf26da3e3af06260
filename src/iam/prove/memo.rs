//! Answers shared between questions that differ only in account ids: the targets of a
//! blueprint ask the same questions of policies that differ in their account (10,000
//! targets, a handful of shapes), and one template asks the same question of copies of
//! one policy. A question is asked in a canonical form: its policies with every value
//! resolved (a literal policy, no bindings), and every account id (a maximal run of
//! exactly 12 decimal digits) replaced by a placeholder in the order it first appears.
//! The answer to the canonical question is kept under its text, and renamed back to the
//! asker's accounts.
//!
//! Why this is sound. Let π be the renaming: a bijection on 12-digit strings, applied to
//! each maximal digit run of exactly 12 digits of a string (other runs are left alone),
//! so π keeps every non-digit character, every position and the length, and is a
//! bijection on strings. The canonical question is π of the asked one: its policies, its
//! trusted sets and its patterns. Claim: a request r is allowed (and outside) in the
//! asked question iff π(r) is in the canonical one; so both hold or fail together, and
//! π⁻¹ of a canonical witness is a witness of the asked question. Every test the
//! evaluator makes is invariant under renaming both sides with π, provided:
//!
//! - every glob pattern (`*`, `?`; StringLike, ArnLike, actions, resources) has each
//!   literal digit run guarded: next to a non-digit literal character or an end of the
//!   pattern on both sides, never next to a wildcard. Then in a match, each literal digit
//!   run of the pattern covers a whole maximal digit run of the string, which π renames
//!   exactly as it renames the pattern's; what a wildcard covers keeps its length and its
//!   non-digit characters (the only ones a wildcard of the evaluator excludes, `:` and
//!   `/`), so the same alignment matches π(pattern) against π(string), and π⁻¹ gives the
//!   converse. Exact equality is the pattern without wildcards. Without the guard it
//!   fails: `1234*` matches a 12-digit account starting 1234, not its placeholder. Case
//!   folding does not touch digits. This module refuses (answers without sharing) any
//!   question with a digit run next to `*` or `?` in any of its strings;
//! - no numeric, date, IP or binary operator compares a value (π changes what a digit
//!   string means as a number): refused when any condition uses one;
//! - the other tests the evaluator makes read account ids whole: the account field of
//!   an ARN (bounded by `:`, compared for equality, checked to be 12 digits, which π
//!   keeps), a caller's form, the action catalog (whose names hold no 12-digit run, so
//!   a renamed action is as unknown as the original); policy variables are refused by the
//!   prover itself ("unknown"), in both forms alike.
//!
//! Identifier tokens are renamed after the accounts ([`super::tokens`], with its own
//! argument): the made-up physical names of a template's resources (`vpce-0<id>`,
//! `role/<Id>`), so copies of one shape under other logical ids share one answer. When
//! they are renamed, the question's lists are sorted once renamed: every list is a set
//! to the question that reads it (trusted accounts, endpoints, ARN patterns), and a
//! copy's list names every copy's endpoint in an order that does not follow the copy.
//!
//! The Region is not abstracted: Region globs (`us-*`) tell Regions apart, so a question
//! is keyed on its Regions as written. The answer of the canonical question depends only
//! on its text, so the order targets are checked in (on several threads) changes nothing.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{Value as Json, json};

use super::par;
use super::tokens::Tokens;
use super::{Asked, InternalError, Outcome, Policies, Witness, read_request};
use crate::iam::{Bindings, Op, PolicyDocument, Request};
use crate::template::Value;
use crate::template::typed::ToValue;

/// Answers kept at most (then the store starts again): a blueprint's shapes are few.
const CAPACITY: usize = 4096;

type Answer = Result<Outcome, InternalError>;

/// The fields of a witness file that hold policies ([`Policies::witness_fields`]).
const POLICY_FIELDS: &[&str] = &[
    "identity_policies",
    "resource_policy",
    "permission_boundary",
    "session_policy",
    "vpc_endpoint_policies",
    "scps",
    "rcps",
];

/// A canonical question's answer, computed once: a question asked on two threads at
/// once is decided by the first; the other puts its question off when it may
/// ([`par::may_defer`]), else waits for the answer.
type Slot = Arc<Decided>;

/// A canonical question's answer, and whether a thread has started on it.
#[derive(Default)]
struct Decided {
    started: AtomicBool,
    answer: OnceLock<Answer>,
}

fn store() -> &'static Mutex<HashMap<String, Slot>> {
    static STORE: OnceLock<Mutex<HashMap<String, Slot>>> = OnceLock::new();
    STORE.get_or_init(Mutex::default)
}

/// A question's key, and what makes its canonical form when it is asked first.
pub(super) struct Canon<'a> {
    key: String,
    policies: Vec<&'a Policies>,
    lists: Vec<&'a [String]>,
    b: &'a Bindings,
    /// Account to placeholder, and the placeholders that are accounts on to the rest.
    forth: HashMap<String, String>,
    /// The inverse.
    back: HashMap<String, String>,
    /// Identifier tokens, renamed after the accounts ([`tokens`]).
    tokens: Option<Tokens>,
}

/// The canonical question: its policies, literal and renamed, and its string lists,
/// renamed.
pub(super) struct Canonical {
    pub policies: Vec<Policies>,
    pub lists: Vec<Vec<String>>,
}

/// The key of a question `name` of `policies` with string parameters `lists`
/// (accounts, ARN patterns, ids) and `actions` (never renamed); `None` when sharing is
/// not sound for it (see the module's doc) or a value is not known. Only the key is
/// made here: the canonical question is built when it is asked first.
pub(super) fn canon<'a>(
    name: &str,
    policies: &[&'a Policies],
    actions: &[&str],
    lists: &[&'a [String]],
    b: &'a Bindings,
) -> Option<Canon<'a>> {
    if actions.iter().any(|a| !runs(a).is_empty()) {
        return None;
    }
    let mut text = serde_json::to_string(&json!([name, actions, lists])).expect("JSON");
    for p in policies {
        text.push('\n');
        key_text(p, b, &mut text)?;
    }
    if !guarded(&text) {
        return None;
    }
    // The accounts in order of first appearance, and their placeholders.
    let mut accounts: Vec<&str> = Vec::new();
    for (start, end) in runs(&text) {
        let a = &text[start..end];
        if !accounts.contains(&a) {
            accounts.push(a);
        }
    }
    let placeholders: Vec<String> = (0..accounts.len())
        .map(|i| format!("{:012}", i + 1))
        .collect();
    // π: account i to placeholder i; a placeholder that is not an account goes to an
    // account that is not a placeholder, so π is a bijection.
    let mut forth: HashMap<String, String> = HashMap::new();
    for (a, p) in accounts.iter().zip(&placeholders) {
        forth.insert(a.to_string(), p.clone());
    }
    let free: Vec<&str> = accounts
        .iter()
        .copied()
        .filter(|a| !placeholders.iter().any(|p| p == a))
        .collect();
    let taken: Vec<&String> = placeholders
        .iter()
        .filter(|p| !accounts.contains(&p.as_str()))
        .collect();
    for (p, a) in taken.iter().zip(&free) {
        forth.insert(p.to_string(), a.to_string());
    }
    let back = forth.iter().map(|(k, v)| (v.clone(), k.clone())).collect();
    let key = rename(&text, &forth);
    // Tokens are numbered in order of first appearance in the policies, then in the
    // lists: the lists are sets (each question reads them as such), kept sorted once
    // renamed, so copies whose lists name every copy's token (every endpoint of a
    // template) read alike.
    let head = head_len(&key);
    let tokens = Tokens::of(&[&key[head..], &key[..head]], b, actions);
    let mut c = Canon {
        key: String::new(),
        tokens,
        policies: policies.to_vec(),
        lists: lists.to_vec(),
        b,
        forth,
        back,
    };
    c.key = match &c.tokens {
        Some(t) => {
            let head =
                serde_json::to_string(&json!([name, actions, c.canonical_lists()])).expect("JSON");
            head + &t.forth(&key[head_len(&key)..])
        }
        None => key,
    };
    Some(c)
}

/// Where the policies' text starts in a question's text.
fn head_len(text: &str) -> usize {
    text.find('\n').unwrap_or(text.len())
}

/// Appends the text of the policies with every value resolved (a literal form, which
/// needs no bindings); `None` when a value is not known, or a test is one the renaming
/// does not keep.
fn key_text(p: &Policies, b: &Bindings, out: &mut String) -> Option<()> {
    fn doc(out: &mut String, label: &str, d: &PolicyDocument, b: &Bindings) -> Option<()> {
        if !conditions_kept(d) {
            return None;
        }
        out.push_str(label);
        write_literal(&d.to_value(), b, out)?;
        out.push('\n');
        Some(())
    }
    match p {
        Policies::Resource(kind, _, d) => doc(out, &format!("{kind:?} "), d, b)?,
        Policies::Set(s) => {
            for (_, d) in &s.identity {
                doc(out, "identity ", d, b)?;
            }
            for (label, slot) in [
                ("resource ", &s.resource),
                ("boundary ", &s.boundary),
                ("session ", &s.session),
            ] {
                if let Some((_, d)) = slot {
                    doc(out, label, d, b)?;
                }
            }
            for (_, d) in &s.vpc_endpoint {
                doc(out, "endpoint ", d, b)?;
            }
            for (label, levels) in [("scp ", &s.scps), ("rcp ", &s.rcps)] {
                for level in levels {
                    out.push_str("level\n");
                    for (_, d) in level {
                        doc(out, label, d, b)?;
                    }
                }
            }
        }
    }
    Some(())
}

/// Writes a value with every intrinsic resolved, as [`resolved`] makes it: strings
/// quoted and escaped (an injective text that keeps every digit run and wildcard as it
/// is), lists and maps bracketed; `None` as for [`resolved`].
fn write_literal(v: &Value, b: &Bindings, out: &mut String) -> Option<()> {
    use std::fmt::Write;
    match v {
        Value::String(s) => write!(out, "{s:?}").expect("a string takes text"),
        Value::Fn(_) => write!(out, "{:?}", b.resolve(v)?).expect("a string takes text"),
        Value::Number(_) => return None,
        Value::Bool(x) => out.push_str(if *x { "true" } else { "false" }),
        Value::Null => out.push_str("null"),
        Value::List(xs) => {
            out.push('[');
            for x in xs {
                write_literal(x, b, out)?;
                out.push(',');
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push('{');
            for (k, x) in m {
                write!(out, "{k:?}:").expect("a string takes text");
                write_literal(x, b, out)?;
                out.push(',');
            }
            out.push('}');
        }
    }
    Some(())
}

/// A document as a value with every intrinsic resolved; `None` as for [`key_text`].
fn literal_value(d: &PolicyDocument, b: &Bindings) -> Option<Value> {
    if !conditions_kept(d) {
        return None;
    }
    resolved(&d.to_value(), b)
}

/// Whether every condition operator of the document is one the renaming keeps.
fn conditions_kept(d: &PolicyDocument) -> bool {
    d.statements
        .iter()
        .all(|s| s.condition.keys().all(|op| kept(op.op)))
}

impl Canon<'_> {
    /// The canonical question: each document resolved and renamed.
    fn canonical(&self) -> Option<Canonical> {
        let doc = |d: &PolicyDocument| -> Option<PolicyDocument> {
            let v = renamed(&literal_value(d, self.b)?, &|s| self.forth(s));
            PolicyDocument::from_value(&v).ok()
        };
        let docs = |xs: &[(String, PolicyDocument)]| -> Option<Vec<(String, PolicyDocument)>> {
            xs.iter().map(|(n, d)| Some((n.clone(), doc(d)?))).collect()
        };
        let mut policies = Vec::new();
        for p in &self.policies {
            policies.push(match p {
                Policies::Resource(kind, name, d) => {
                    Policies::Resource(*kind, name.clone(), doc(d)?)
                }
                Policies::Set(s) => {
                    let mut out = (**s).clone();
                    out.identity = docs(&s.identity)?;
                    out.vpc_endpoint = docs(&s.vpc_endpoint)?;
                    out.scps = s.scps.iter().map(|l| docs(l)).collect::<Option<_>>()?;
                    out.rcps = s.rcps.iter().map(|l| docs(l)).collect::<Option<_>>()?;
                    for slot in [&mut out.boundary, &mut out.session, &mut out.resource] {
                        if let Some((n, d)) = slot.take() {
                            *slot = Some((n, doc(&d)?));
                        }
                    }
                    Policies::Set(Box::new(out))
                }
            });
        }
        Some(Canonical {
            policies,
            lists: self.canonical_lists(),
        })
    }

    /// The answer of the canonical question (kept, or computed by `compute` from the
    /// canonical question, without bindings), renamed back.
    pub fn answer(&self, compute: impl FnOnce(&Canonical) -> Answer) -> Answer {
        let slot: Slot = {
            let mut s = store().lock().expect("the store");
            if s.len() >= CAPACITY && !s.contains_key(&self.key) {
                s.clear();
            }
            s.entry(self.key.clone()).or_default().clone()
        };
        // Outside the store's lock: other questions are decided meanwhile.
        if slot.answer.get().is_none()
            && slot.started.swap(true, Ordering::AcqRel)
            && par::may_defer()
            && slot.answer.get().is_none()
        {
            // Another thread is deciding it: this question is asked again later (what
            // is returned here is dropped).
            par::defer();
            return Err(InternalError("put off".into()));
        }
        let answer = slot
            .answer
            .get_or_init(|| {
                // Its own loops' items are never put off: the answer is kept.
                par::undeferred(|| match self.canonical() {
                    Some(c) => compute(&c),
                    None => Err(InternalError(
                        "a policy that read once does not read renamed".into(),
                    )),
                })
            })
            .clone();
        let r = |s: &str| self.back(s);
        match answer {
            Ok(Outcome::Holds { requests }) => Ok(Outcome::Holds { requests }),
            Ok(Outcome::Unknown(why)) => Ok(Outcome::Unknown(r(&why))),
            Ok(Outcome::Fails(w)) => {
                let mut file = renamed_json(&w.file, &r);
                let request = Request {
                    principal: r(&w.request.principal),
                    action: r(&w.request.action),
                    resource: r(&w.request.resource),
                    context: w
                        .request
                        .context
                        .iter()
                        .map(|(k, vs)| (r(k), vs.iter().map(|v| r(v)).collect()))
                        .collect(),
                    resource_account: w.request.resource_account.as_deref().map(r),
                    management_account: w.request.management_account.as_deref().map(r),
                };
                // The policies shown are the asker's own, as written (intrinsics and
                // all), as an answer without sharing shows them.
                if let (Some(map), Some(last)) = (file.as_object_mut(), self.policies.last()) {
                    for k in POLICY_FIELDS {
                        map.remove(*k);
                    }
                    Asked::new(last).shown(&request).witness_fields(map);
                }
                debug_assert_eq!(
                    read_request(&file).map(|x| (x.principal, x.action, x.resource)),
                    Ok((
                        request.principal.clone(),
                        request.action.clone(),
                        request.resource.clone()
                    ))
                );
                Ok(Outcome::Fails(Witness { request, file }))
            }
            Err(InternalError(e)) => Err(InternalError(r(&e))),
        }
    }
}

impl Canon<'_> {
    /// The question's lists renamed (and sorted, when tokens are renamed).
    fn canonical_lists(&self) -> Vec<Vec<String>> {
        self.lists
            .iter()
            .map(|l| {
                let mut out: Vec<String> = l.iter().map(|x| self.forth(x)).collect();
                if self.tokens.is_some() {
                    out.sort();
                }
                out
            })
            .collect()
    }

    /// A string of the asked question as the canonical question has it.
    fn forth(&self, s: &str) -> String {
        let s = rename(s, &self.forth);
        match &self.tokens {
            Some(t) => t.forth(&s),
            None => s,
        }
    }

    /// A string of the canonical question as the asker has it.
    fn back(&self, s: &str) -> String {
        match &self.tokens {
            Some(t) => rename(&t.back(s), &self.back),
            None => rename(s, &self.back),
        }
    }
}

/// Every string of a value (map keys too) renamed.
fn renamed(v: &Value, f: &dyn Fn(&str) -> String) -> Value {
    match v {
        Value::String(s) => Value::String(f(s)),
        Value::List(xs) => Value::List(xs.iter().map(|x| renamed(x, f)).collect()),
        Value::Map(m) => Value::Map(m.iter().map(|(k, x)| (f(k), renamed(x, f))).collect()),
        other => other.clone(),
    }
}

/// Every string of a JSON value (object keys too) renamed: string by string, so an
/// escape in the JSON text is never read as part of a run.
fn renamed_json(v: &Json, f: &dyn Fn(&str) -> String) -> Json {
    match v {
        Json::String(s) => Json::String(f(s)),
        Json::Array(xs) => Json::Array(xs.iter().map(|x| renamed_json(x, f)).collect()),
        Json::Object(m) => {
            Json::Object(m.iter().map(|(k, x)| (f(k), renamed_json(x, f))).collect())
        }
        other => other.clone(),
    }
}

/// Whether renaming digit runs keeps the operator's outcome (string, ARN, boolean and
/// null tests do; numbers, dates, IP ranges and binary values are read as numbers).
fn kept(op: Op) -> bool {
    matches!(
        op,
        Op::StringEquals
            | Op::StringNotEquals
            | Op::StringEqualsIgnoreCase
            | Op::StringNotEqualsIgnoreCase
            | Op::StringLike
            | Op::StringNotLike
            | Op::Bool
            | Op::ArnEquals
            | Op::ArnLike
            | Op::ArnNotEquals
            | Op::ArnNotLike
            | Op::Null
    )
}

/// A value with every intrinsic resolved; `None` when one is not known, or a number
/// appears (its text is not renamed as a string's is).
fn resolved(v: &Value, b: &Bindings) -> Option<Value> {
    Some(match v {
        Value::Fn(_) => Value::String(b.resolve(v)?),
        Value::Number(_) => return None,
        Value::List(xs) => Value::List(xs.iter().map(|x| resolved(x, b)).collect::<Option<_>>()?),
        Value::Map(m) => Value::Map(
            m.iter()
                .map(|(k, x)| Some((k.clone(), resolved(x, b)?)))
                .collect::<Option<_>>()?,
        ),
        other => other.clone(),
    })
}

/// The maximal digit runs of exactly 12 digits of `s`, as byte ranges.
fn runs(s: &str) -> Vec<(usize, usize)> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if i - start == 12 {
                out.push((start, i));
            }
        } else {
            i += 1;
        }
    }
    out
}

/// Whether no digit run of `s` (of any length) touches a wildcard `*` or `?`.
fn guarded(s: &str) -> bool {
    let bytes = s.as_bytes();
    let wild = |i: Option<&u8>| matches!(i, Some(b'*' | b'?'));
    (0..bytes.len()).all(|i| {
        !bytes[i].is_ascii_digit()
            || (i
                .checked_sub(1)
                .is_none_or(|j| bytes[j].is_ascii_digit() || !wild(bytes.get(j)))
                && (bytes.get(i + 1).is_some_and(u8::is_ascii_digit) || !wild(bytes.get(i + 1))))
    })
}

/// `s` with each maximal 12-digit run that `map` names replaced.
fn rename(s: &str, map: &HashMap<String, String>) -> String {
    if map.is_empty() {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for (start, end) in runs(s) {
        if let Some(to) = map.get(&s[start..end]) {
            out.push_str(&s[last..start]);
            out.push_str(to);
            last = end;
        }
    }
    out.push_str(&s[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_maximal_and_of_twelve_digits() {
        let s = "arn:aws:iam::123456789012:role/a 1234567890123 12345678901 000000000001";
        let got: Vec<&str> = runs(s).into_iter().map(|(a, b)| &s[a..b]).collect();
        assert_eq!(got, ["123456789012", "000000000001"]);
    }

    #[test]
    fn a_digit_next_to_a_wildcard_is_not_guarded() {
        assert!(guarded("arn:aws:s3:::bucket-123456789012/*"));
        assert!(guarded("arn:*:iam::123456789012:role/*"));
        assert!(!guarded("arn:aws:s3:::bucket-1234*"));
        assert!(!guarded("arn:aws:s3:::bucket-*1"));
        assert!(!guarded("a?7"));
    }

    #[test]
    fn renaming_swaps_whole_runs_only() {
        let map = HashMap::from([
            ("123456789012".to_string(), "000000000001".to_string()),
            ("000000000001".to_string(), "123456789012".to_string()),
        ]);
        assert_eq!(
            rename("a:123456789012:b:000000000001:1234567890123", &map),
            "a:000000000001:b:123456789012:1234567890123"
        );
    }

    fn endpoint(account: &str, extra: &str) -> Policies {
        let text = format!(
            r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow",
                "Principal": {{"AWS": "arn:aws:iam::{account}:root"}},
                "Action": "bedrock:InvokeModel", "Resource": "*"{extra}}}]}}"#
        );
        let v = crate::template::parse_value(&text).unwrap();
        Policies::Resource(
            crate::iam::PolicyKind::VpcEndpoint,
            "Endpoint".into(),
            PolicyDocument::from_value(&v).unwrap(),
        )
    }

    fn only_role(account: &str, p: &Policies) -> Answer {
        super::super::only_principals(
            p,
            &["bedrock:InvokeModel".parse().unwrap()],
            &[format!("arn:aws:iam::{account}:role/Invoker")],
            &[],
            &Bindings::new(),
        )
    }

    #[test]
    fn targets_that_differ_in_account_share_one_answer_renamed_to_their_own() {
        let (a, b) = ("210987654321", "345678901234");
        let (pa, pb) = (endpoint(a, ""), endpoint(b, ""));
        let arns = |x: &str| vec![format!("arn:aws:iam::{x}:role/Invoker")];
        let key = |x: &str, p: &Policies| {
            canon(
                "only-principals",
                &[p],
                &["bedrock:InvokeModel"],
                &[&[], &arns(x), &[]],
                &Bindings::new(),
            )
            .map(|c| c.key)
        };
        // One key: the second target's question is answered from the first's.
        assert_eq!(key(a, &pa), key(b, &pb));
        assert!(key(a, &pa).is_some_and(|k| !k.contains(a)));
        let on_a = only_role(a, &pa).unwrap();
        let on_b = only_role(b, &pb).unwrap();
        // Any other caller of the account is admitted: refuted, each with a caller of
        // its own account, never the other's.
        for (mine, other, o) in [(a, b, &on_a), (b, a, &on_b)] {
            let Outcome::Fails(w) = o else {
                panic!("{o:?}")
            };
            assert!(w.request.principal.contains(mine), "{}", w.file);
            let text = w.file.to_string();
            assert!(text.contains(mine) && !text.contains(other), "{text}");
            assert!(!text.contains("000000000001"), "{text}");
            // The renamed witness is one the concrete evaluator decides as claimed.
            let r = read_request(&w.file).unwrap();
            let p = super::super::read_policies(&w.file, &pa).unwrap();
            assert!(p.allows(&r, &Bindings::new()));
            assert_ne!(r.principal, format!("arn:aws:iam::{mine}:role/Invoker"));
        }
        // The same question computed without sharing: the same verdict.
        let direct = super::super::perimeter::principals_now(
            &pb,
            &["bedrock:InvokeModel".parse().unwrap()],
            &[],
            &arns(b),
            &[],
            &Bindings::new(),
        )
        .unwrap();
        assert_eq!(direct.result(), on_b.result());
    }

    #[test]
    fn no_sharing_where_renaming_could_change_a_match() {
        let a = "210987654321";
        let arns = [format!("arn:aws:iam::{a}:role/Invoker")];
        let none = Bindings::new();
        let key = |p: &Policies| {
            canon(
                "only-principals",
                &[p],
                &["bedrock:InvokeModel"],
                &[&[], &arns, &[]],
                &none,
            )
            .map(|c| c.key)
        };
        assert!(key(&endpoint(a, "")).is_some());
        // A digit run touching a wildcard: `2109*` tells this account from a placeholder.
        let glob = r#", "Condition": {"StringLike": {"aws:PrincipalAccount": "2109*"}}"#;
        assert!(key(&endpoint(a, glob)).is_none());
        // A number compared as a number.
        let num = r#", "Condition": {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}"#;
        assert!(key(&endpoint(a, num)).is_none());
        // An action naming a 12-digit run is never renamed: no sharing either.
        assert!(
            canon(
                "only-principals",
                &[&endpoint(a, "")],
                &["x:210987654321"],
                &[],
                &Bindings::new()
            )
            .is_none()
        );
    }
    /// A copy of an endpoint policy under other logical ids, as the 500-resource
    /// template repeats the prod template's: the policy names its role and secret by
    /// `Fn::GetAtt` and `Ref`, bound to made-up physical names derived from the ids.
    fn copy(id: &str) -> (Policies, Bindings) {
        let text = format!(
            r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow",
                "Principal": {{"AWS": {{"Fn::GetAtt": ["FunctionRole{id}", "Arn"]}}}},
                "Action": "secretsmanager:GetSecretValue",
                "Resource": {{"Ref": "AppSecret{id}"}}}}]}}"#
        );
        let v = crate::template::parse_value(&text).unwrap();
        let b = Bindings::new()
            .bind(&format!("FunctionRole{id}"), &format!("FunctionRole{id}"))
            .bind(
                &format!("FunctionRole{id}.Arn"),
                &format!("arn:aws:iam::123456789012:role/FunctionRole{id}"),
            )
            .bind(
                &format!("AppSecret{id}"),
                &format!(
                    "arn:aws:secretsmanager:us-east-1:123456789012:secret:AppSecret{id}-AbCdEf"
                ),
            );
        let p = Policies::Resource(
            crate::iam::PolicyKind::VpcEndpoint,
            format!("Endpoint{id}"),
            PolicyDocument::from_value(&v).unwrap(),
        );
        (p, b)
    }

    #[test]
    fn copies_under_other_logical_ids_share_one_answer_renamed_to_their_own() {
        let others = ["arn:aws:iam::123456789012:role/Other".to_string()];
        let action = ["secretsmanager:GetSecretValue".parse().unwrap()];
        let key = |p: &Policies, b: &Bindings| {
            canon(
                "only-principals",
                &[p],
                &["secretsmanager:GetSecretValue"],
                &[&[], &others, &[]],
                b,
            )
            .map(|c| c.key)
        };
        let (p3, b3) = copy("C3");
        let (p4, b4) = copy("C4");
        let (p12, b12) = copy("C12");
        // One key for copies whose ids have one shape; the key names neither copy.
        assert_eq!(key(&p3, &b3), key(&p4, &b4));
        let k = key(&p3, &b3).unwrap();
        assert!(
            !k.contains("FunctionRoleC3") && !k.contains("AppSecretC3"),
            "{k}"
        );
        // A longer number in the ids: the same shape, one key.
        assert_eq!(key(&p12, &b12), key(&p3, &b3));
        for (mine, other, p, b) in [
            ("C3", "C4", &p3, &b3),
            ("C4", "C3", &p4, &b4),
            ("C12", "C3", &p12, &b12),
        ] {
            let shared = super::super::only_principals(p, &action, &others, &[], b).unwrap();
            let Outcome::Fails(w) = &shared else {
                panic!("{shared:?}")
            };
            // The role the policy admits, which is not the listed one: the asker's own.
            let role = format!("FunctionRole{mine}");
            assert!(w.request.principal.contains(&role), "{}", w.file);
            let text = w.file.to_string();
            assert!(!text.contains(&format!("FunctionRole{other}")), "{text}");
            assert!(!text.to_ascii_lowercase().contains("zzzz"), "{text}");
            // The witness, renamed back, is one the evaluator decides as claimed (the
            // policy shown as the asker wrote it, bound as the asker binds it).
            let r = read_request(&w.file).unwrap();
            let read = super::super::read_policies(&w.file, p).unwrap();
            assert!(read.allows(&r, b), "{text}");
            // And the question decided without sharing gives the same verdict.
            let direct =
                super::super::perimeter::principals_now(p, &action, &[], &others, &[], b).unwrap();
            assert_eq!(direct.result(), shared.result());
        }
    }
}
