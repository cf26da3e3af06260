//! Work shared between the targets of a blueprint that have one template shape: 10,000
//! targets of one blueprint make a handful of templates that differ only in the target's
//! own account id and name. Check of a target, and diff of its (old, new) pair, is done
//! once per shape and renamed back to each other target's account and name.
//!
//! A target's texts (its template, its check context written out; for diff the old and
//! the new template) are put in a canonical form: every maximal run of exactly 12 decimal
//! digits equal to the target's account is replaced by 12 [`ACCOUNT_MARK`]s, then every
//! occurrence of the target's name by as many [`NAME_MARK`]s as it has bytes. The key of
//! a shape is those canonical texts and the name's skeleton (its digits as `#`): two
//! targets share only when their keys are byte-identical.
//!
//! Why this is sound. Let A and B be two targets with the same key C, and ρ the renaming
//! of A's account to B's (on maximal 12-digit runs) and A's name to B's (on
//! occurrences): ρ(s) = unmark_B(mark_A(s)).
//!
//! - ρ maps A's texts onto B's exactly. Marking is invertible when the marks occur in
//!   no text (checked: a text holding a mark is refused): unmarking puts back what was
//!   marked, and only that. So A's texts are unmark_A(C) and B's are unmark_B(C), and
//!   ρ takes one to the other. ρ is injective on these texts: after marking, C holds
//!   neither A's nor B's values (checked, not assumed: [`key`] refuses a text whose
//!   canonical form still holds a 12-digit run, so no other account is in it, or the
//!   name's skeleton, so no other target of the same skeleton is named in it).
//! - ρ keeps every length and every position: accounts are 12 digits both, names of one
//!   skeleton have one length, and differ only in digits. A finding's line and column
//!   on A's text are the same on B's.
//! - Check (and diff) give ρ-renamed answers on ρ-renamed input, provided no rule reads
//!   an account or a name other than by equality with another value of the same texts.
//!   What reads them otherwise, and how each is kept out:
//!   - constant tables of accounts: the organizational-unit stand-in
//!     ([`crate::blueprint::NO_ACCOUNT`]) and the all-zero UUID the schemas' patterns
//!     exclude (`(?!00000000-0000-0000-0000-000000000000)`), whose last group is a
//!     12-digit run. A target whose account is in [`CONSTANT_ACCOUNTS`] is checked
//!     alone. A test holds that every 12-digit run of check's data files is in it; a
//!     search of check's, diff's and the IAM layer's code found 12-digit literals only
//!     in examples of doc comments and tests.
//!   - the evaluator's and the prover's globs (`*`, `?`): a wildcard next to a digit
//!     matches some accounts and not others (`1234*`). Refused: a `*` or `?` next to a
//!     digit, a mark, `{` or `}` (a `${AWS::AccountId}*` resolves to a digit run next
//!     to a wildcard), and in `Fn::Join`, an element or delimiter beginning or ending
//!     with one of those (the join puts it next to a resolved account), as in the
//!     prover's memo (src/iam/prove/memo.rs);
//!   - numbers: an account read as a number compares differently. Refused: an account
//!     or name outside a JSON string (a bare number), numeric, date, address and
//!     binary condition operators, parameters' `AllowedPattern`, `MinValue` and
//!     `MaxValue`, and `Fn::Split` (its delimiter could cut the digits);
//!   - order: maps are ordered by their keys, so no key may hold a mark (refused); the
//!     findings are sorted again after renaming, by check's own order.
//! - The account enters check's rules in ARNs (bounded by `:`, compared for equality,
//!   checked to be 12 digits, which ρ keeps), in the bindings of `AWS::AccountId`, and
//!   in the identity perimeter's list of trusted accounts (equality).
//!
//! What is tested and not proven: a target's name is read by the schemas' patterns,
//! enums and lengths (tags, descriptions, names built from it). The skeleton keeps the
//! length and every character but the digits; a pattern telling two names apart would
//! have to constrain which digit stands where in a name-bearing value (no pattern of the
//! pinned schemas for the values synth puts names in does: tags, descriptions). Rule
//! messages are assumed not to hold a target's name by coincidence: a result holding B's
//! account or name before renaming is refused, and the target checked alone. Strings
//! sorted against one another where a renamed digit meets a literal digit at the same
//! place could sort otherwise; the byte-identical comparisons of scripts/bench's 10,000
//! targets (with and without findings) test the whole.
//!
//! Where a condition fails, the target is checked (or diffed) on its own.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex};

use crate::check::{AccessRow, Finding, Report};
use crate::diff::{Change, IamChange, ResourceChange, RuleChange, SectionChange, TemplateDiff};
use crate::template::Value;

/// What stands for the target's account in the canonical form (a control character:
/// never raw in an emitted template, and checked absent).
pub const ACCOUNT_MARK: char = '\u{1}';
/// What stands for each byte of the target's name in the canonical form.
pub const NAME_MARK: char = '\u{2}';

/// Accounts that some part of check compares with a constant: a target with one of
/// these is checked alone (see the module's doc).
pub const CONSTANT_ACCOUNTS: &[&str] = &[
    // The organizational-unit stand-in, and the last group of the all-zero UUID the
    // schemas' patterns exclude.
    crate::blueprint::NO_ACCOUNT,
    // The default context's account (check::Context::default) and the first account
    // diff binds AWS::AccountId to when no template names it (check::broadening).
    "123456789012",
    // The accounts the prover's witnesses are made of (iam::prove::domain): a target
    // with one of them would see a foreign caller's account renamed as its own.
    "111122223333",
    "444455556666",
];

/// Whether to share work between the targets of one shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sharing {
    /// Once per shape, renamed to each target (the default).
    Shapes,
    /// Every target on its own.
    Off,
}

/// A target's own values, which the canonical form abstracts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Own {
    pub account: String,
    pub name: String,
}

/// A target's texts in canonical form: the key of its shape once [`Canonical::admitted`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canonical {
    key: String,
    skel: String,
    /// Where each text is in the key, and whether it is a template (JSON).
    texts: Vec<(std::ops::Range<usize>, bool)>,
}

impl Canonical {
    /// The key: the name's skeleton and the canonical texts.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Whether the conditions of the module's doc that the canonical texts decide hold.
    /// They depend on the key alone, so a shape kept under a key was admitted for every
    /// target that has that key.
    pub fn admitted(&self) -> bool {
        self.texts.iter().all(|(range, json)| {
            let c = &self.key[range.clone()];
            guarded(c)
                && !has_run12(c)
                && !has_skeleton(c, &self.skel)
                && if *json {
                    json_ok(c)
                } else {
                    !unshared_word(c.as_bytes())
                }
        })
    }
}

/// A target's texts in canonical form (`json` are templates as emitted, `other` any
/// further text, such as the check context written out), or `None` when the target's
/// own values refuse sharing: an account that is not 12 digits or is in
/// [`CONSTANT_ACCOUNTS`], a mark in a text.
pub fn canonical(own: &Own, json: &[&str], other: &[&str]) -> Option<Canonical> {
    let a = own.account.as_bytes();
    if a.len() != 12
        || !a.iter().all(u8::is_ascii_digit)
        || CONSTANT_ACCOUNTS.contains(&own.account.as_str())
        || own.name.is_empty()
        || has_mark(&own.name)
    {
        return None;
    }
    let skel = skeleton(&own.name);
    let mut key = skel.clone();
    let mut texts = Vec::new();
    for (i, text) in json.iter().chain(other).enumerate() {
        if has_mark(text) {
            return None;
        }
        key.push('\0');
        let from = key.len();
        key.push_str(&mark(text, own));
        texts.push((from..key.len(), i < json.len()));
    }
    Some(Canonical { key, skel, texts })
}

/// The key of a target's shape ([`canonical`], [`Canonical::admitted`]), or `None` when
/// a condition of the module's doc fails.
pub fn key(own: &Own, json: &[&str], other: &[&str]) -> Option<String> {
    canonical(own, json, other)
        .filter(Canonical::admitted)
        .map(|c| c.key)
}

/// Whether the text holds a mark: a byte-wise test without an early exit, which the
/// compiler runs on many bytes at once (a char search decodes every character).
fn has_mark(text: &str) -> bool {
    let (a, n) = (ACCOUNT_MARK as u8, NAME_MARK as u8);
    text.bytes()
        .fold(false, |found, b| found | (b == a) | (b == n))
}

/// The name with each ASCII digit as `#`: names of one skeleton have one length and
/// differ only in digits.
fn skeleton(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .collect()
}

/// The text with the account's maximal 12-digit runs and then the name's occurrences
/// replaced by marks. Most templates name neither (`${AWS::AccountId}`): both are looked
/// for first, with the standard library's substring search.
fn mark(text: &str, own: &Own) -> String {
    let mut out = if text.contains(own.account.as_str()) {
        let mut out = String::with_capacity(text.len());
        let b = text.as_bytes();
        let mut last = 0;
        let mut i = 0;
        while i < b.len() {
            if b[i].is_ascii_digit() {
                let start = i;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                if i - start == 12 && text[start..i] == own.account {
                    out.push_str(&text[last..start]);
                    out.extend(std::iter::repeat_n(ACCOUNT_MARK, 12));
                    last = i;
                }
            } else {
                i += 1;
            }
        }
        out.push_str(&text[last..]);
        out
    } else {
        text.to_string()
    };
    if out.contains(own.name.as_str()) {
        let marks: String = std::iter::repeat_n(NAME_MARK, own.name.len()).collect();
        out = out.replace(own.name.as_str(), &marks);
    }
    out
}

/// The canonical text with the target's own values put back.
fn unmark(c: &str, own: &Own) -> Option<String> {
    let mut out = String::with_capacity(c.len());
    let mut chars = c.char_indices().peekable();
    while let Some((_, ch)) = chars.next() {
        if ch != ACCOUNT_MARK && ch != NAME_MARK {
            out.push(ch);
            continue;
        }
        let mut n = 1;
        while chars.next_if(|&(_, c)| c == ch).is_some() {
            n += 1;
        }
        if ch == ACCOUNT_MARK {
            // Two accounts side by side would have been one 24-digit run, never marked.
            if n != 12 {
                return None;
            }
            out.push_str(&own.account);
        } else {
            if n % own.name.len() != 0 {
                return None;
            }
            for _ in 0..n / own.name.len() {
                out.push_str(&own.name);
            }
        }
    }
    Some(out)
}

/// Whether the text holds a maximal run of exactly 12 digits.
fn has_run12(text: &str) -> bool {
    let mut run = 0;
    for &b in text.as_bytes() {
        if b.is_ascii_digit() {
            run += 1;
        } else if std::mem::take(&mut run) == 12 {
            return true;
        }
    }
    run == 12
}

/// Whether the text holds a string of the name's skeleton (another target's name).
fn has_skeleton(text: &str, skel: &str) -> bool {
    let (t, s) = (text.as_bytes(), skel.as_bytes());
    let fits = |w: &[u8]| {
        w.iter().zip(s).all(|(c, k)| {
            if *k == b'#' {
                c.is_ascii_digit()
            } else {
                c == k
            }
        })
    };
    // Windows are tried only where the skeleton's first literal byte is.
    match s.iter().position(|&k| k != b'#') {
        None => t.windows(s.len()).any(fits),
        Some(k) => t
            .iter()
            .enumerate()
            .any(|(i, &c)| c == s[k] && i >= k && t.get(i - k..i - k + s.len()).is_some_and(fits)),
    }
}

/// The operators and fields that read a value as a number, a date, an address or
/// bytes, or cut it: refused (see the module's doc). In a template they are keys.
const UNSHARED_WORDS: &[&str] = &[
    "Numeric",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateGreaterThan",
    "IpAddress",
    "BinaryEquals",
    "AllowedPattern",
    "MinValue",
    "MaxValue",
    "Fn::Split",
];

fn unshared_word(text: &[u8]) -> bool {
    UNSHARED_WORDS
        .iter()
        .any(|w| text.windows(w.len()).any(|x| x == w.as_bytes()))
}

/// No wildcard next to a digit, a mark or a substitution's brace.
fn guarded(c: &str) -> bool {
    let b = c.as_bytes();
    let risky = |x: u8| x.is_ascii_digit() || x == 1 || x == 2 || x == b'{' || x == b'}';
    b.iter().enumerate().all(|(i, &x)| {
        !(x == b'*' || x == b'?')
            || !(i > 0 && risky(b[i - 1]) || b.get(i + 1).is_some_and(|&n| risky(n)))
    })
}

/// Reads the canonical JSON text: every mark inside a string that is not an object's
/// key, no key holding a word of [`UNSHARED_WORDS`], and in `Fn::Join`, no literal part (the delimiter, an element, a `Fn::Sub`
/// template) beginning or ending with a wildcard, digit or mark, nor any string there
/// with a wildcard at an end.
fn json_ok(c: &str) -> bool {
    let b = c.as_bytes();
    let start = b.iter().position(|x| !x.is_ascii_whitespace());
    if start.map(|i| b[i]) != Some(b'{') {
        return false;
    }
    let wild = |x: u8| x == b'*' || x == b'?';
    let edge = |x: u8| wild(x) || x.is_ascii_digit() || x == 1 || x == 2;
    let ends = |s: &[u8], f: &dyn Fn(u8) -> bool| {
        s.first().is_some_and(|&x| f(x)) || s.last().is_some_and(|&x| f(x))
    };
    // Container depth, and the depth at which a `Fn::Join`'s argument list opened.
    let mut depth = 0usize;
    let mut join: Option<usize> = None;
    let mut after_join_key = false;
    let mut after_sub_key = false;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                let s = i + 1;
                i = s;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                let Some(body) = b.get(s..i) else {
                    return false;
                };
                i += 1;
                let mut j = i;
                while j < b.len() && b[j].is_ascii_whitespace() {
                    j += 1;
                }
                let is_key = b.get(j) == Some(&b':');
                if is_key {
                    if body.iter().any(|&x| x == 1 || x == 2) || unshared_word(body) {
                        return false;
                    }
                    after_join_key = body == b"Fn::Join";
                    after_sub_key = body == b"Fn::Sub";
                    continue;
                }
                if let Some(d) = join {
                    // The delimiter and the elements are joined as written; a
                    // substitution's template is too; deeper strings (a `Ref`'s name)
                    // are not, but a wildcard at their end could meet an account.
                    let literal = depth <= d + 2 || after_sub_key;
                    if ends(body, &wild) || literal && ends(body, &edge) {
                        return false;
                    }
                }
                after_sub_key = false;
                continue;
            }
            b'{' | b'[' => {
                if after_join_key && b[i] == b'[' && join.is_none() {
                    join = Some(depth);
                }
                after_join_key = false;
                depth += 1;
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if join == Some(depth) {
                    join = None;
                }
            }
            1 | 2 => return false,
            _ => {}
        }
        i += 1;
    }
    true
}

/// A renaming from one target of a shape to another: ρ of the module's doc.
#[derive(Debug, Clone)]
pub struct Renaming<'a> {
    pub from: &'a Own,
    pub to: &'a Own,
}

impl Renaming<'_> {
    /// The string renamed, or `None` when it holds a mark or the other target's values
    /// (the renaming would not be injective).
    pub fn str(&self, s: &str) -> Option<String> {
        if has_mark(s) || s.contains(self.to.name.as_str()) || has_account(s, &self.to.account) {
            return None;
        }
        let m = mark(s, self.from);
        if m.len() == s.len() && m == s {
            return Some(m);
        }
        unmark(&m, self.to)
    }

    fn strings(&self, v: &[String]) -> Option<Vec<String>> {
        v.iter().map(|s| self.str(s)).collect()
    }

    fn opt(&self, s: &Option<String>) -> Option<Option<String>> {
        match s {
            None => Some(None),
            Some(s) => self.str(s).map(Some),
        }
    }

    fn json(&self, v: &serde_json::Value) -> Option<serde_json::Value> {
        use serde_json::Value as J;
        Some(match v {
            J::String(s) => J::String(self.str(s)?),
            J::Array(a) => J::Array(a.iter().map(|x| self.json(x)).collect::<Option<_>>()?),
            J::Object(o) => J::Object(
                o.iter()
                    .map(|(k, x)| Some((self.str(k)?, self.json(x)?)))
                    .collect::<Option<_>>()?,
            ),
            // A number that is an account would be read as one: refused.
            J::Number(n) if self.str(&n.to_string())? != n.to_string() => return None,
            other => other.clone(),
        })
    }

    fn value(&self, v: &Value) -> Option<Value> {
        Some(match v {
            Value::String(s) => Value::String(self.str(s)?),
            Value::List(l) => Value::List(l.iter().map(|x| self.value(x)).collect::<Option<_>>()?),
            Value::Map(m) => Value::Map(
                m.iter()
                    .map(|(k, x)| Some((self.str(k)?, self.value(x)?)))
                    .collect::<Option<_>>()?,
            ),
            // Functions are kept only when they hold nothing to rename.
            other => {
                let text = format!("{other:?}");
                if self.str(&text)? != text {
                    return None;
                }
                other.clone()
            }
        })
    }

    /// A check report renamed, its findings in check's order again.
    pub fn report(&self, r: &Report) -> Option<Report> {
        let mut findings = r
            .findings
            .iter()
            .map(|f| self.finding(f))
            .collect::<Option<Vec<_>>>()?;
        crate::check::sort(&mut findings);
        let access = r
            .access
            .iter()
            .map(|a| self.access(a))
            .collect::<Option<_>>()?;
        Some(Report { findings, access })
    }

    fn finding(&self, f: &Finding) -> Option<Finding> {
        // Every field named: a field added to Finding must be renamed here too.
        let Finding {
            rule,
            severity,
            resource,
            path,
            message,
            fix,
            related,
            line,
            column,
            witness,
        } = f;
        Some(Finding {
            rule,
            severity: *severity,
            resource: self.opt(resource)?,
            path: self.str(path)?,
            message: self.str(message)?,
            fix: self.str(fix)?,
            related: self.strings(related)?,
            line: *line,
            column: *column,
            witness: match witness {
                None => None,
                Some(w) => Some(self.json(w)?),
            },
        })
    }

    fn access(&self, a: &AccessRow) -> Option<AccessRow> {
        let AccessRow {
            scenario,
            caller,
            action,
            resource,
            via,
            expected,
            decision,
            reason,
            holds,
            declared,
            undecided,
        } = a;
        Some(AccessRow {
            scenario: self.str(scenario)?,
            caller: self.str(caller)?,
            action: self.str(action)?,
            resource: self.str(resource)?,
            via: self.str(via)?,
            expected: *expected,
            decision: *decision,
            reason: self.str(reason)?,
            holds: *holds,
            declared: *declared,
            undecided: self.opt(undecided)?,
        })
    }

    /// A template diff renamed.
    pub fn diff(&self, d: &TemplateDiff) -> Option<TemplateDiff> {
        let TemplateDiff {
            resources,
            sections,
            iam,
            security_groups,
        } = d;
        Some(TemplateDiff {
            resources: resources
                .iter()
                .map(|r| self.resource(r))
                .collect::<Option<_>>()?,
            sections: sections
                .iter()
                .map(|s| self.section(s))
                .collect::<Option<_>>()?,
            iam: iam.iter().map(|c| self.iam(c)).collect::<Option<_>>()?,
            security_groups: security_groups
                .iter()
                .map(|r| self.rule(r))
                .collect::<Option<_>>()?,
        })
    }

    fn change(&self, c: &Change) -> Option<Change> {
        let Change {
            path,
            kind,
            old,
            new,
        } = c;
        let v = |x: &Option<Value>| match x {
            None => Some(None),
            Some(x) => self.value(x).map(Some),
        };
        Some(Change {
            path: self.str(path)?,
            kind: *kind,
            old: v(old)?,
            new: v(new)?,
        })
    }

    fn resource(&self, r: &ResourceChange) -> Option<ResourceChange> {
        let ResourceChange {
            logical_id,
            resource_type,
            old_type,
            impact,
            reasons,
            data_loss,
            changes,
        } = r;
        Some(ResourceChange {
            logical_id: self.str(logical_id)?,
            resource_type: self.str(resource_type)?,
            old_type: self.opt(old_type)?,
            impact: *impact,
            reasons: self.strings(reasons)?,
            data_loss: *data_loss,
            changes: changes
                .iter()
                .map(|c| self.change(c))
                .collect::<Option<_>>()?,
        })
    }

    fn section(&self, s: &SectionChange) -> Option<SectionChange> {
        let SectionChange {
            section,
            name,
            kind,
            changes,
        } = s;
        Some(SectionChange {
            section: self.str(section)?,
            name: self.str(name)?,
            kind: *kind,
            changes: changes
                .iter()
                .map(|c| self.change(c))
                .collect::<Option<_>>()?,
        })
    }

    fn iam(&self, c: &IamChange) -> Option<IamChange> {
        let IamChange {
            kind,
            location,
            effect,
            principals,
            actions,
            resources,
            conditions,
            broadens,
            basis,
            witness,
            owners,
        } = c;
        Some(IamChange {
            kind: *kind,
            location: self.str(location)?,
            effect: self.str(effect)?,
            principals: self.strings(principals)?,
            actions: self.strings(actions)?,
            resources: self.strings(resources)?,
            conditions: self.strings(conditions)?,
            broadens: *broadens,
            basis: self.str(basis)?,
            witness: self.opt(witness)?,
            owners: self.strings(owners)?,
        })
    }

    fn rule(&self, r: &RuleChange) -> Option<RuleChange> {
        let RuleChange {
            kind,
            group,
            direction,
            protocol,
            ports,
            peer,
            description,
            broadens,
            anywhere,
        } = r;
        Some(RuleChange {
            kind: *kind,
            group: self.str(group)?,
            direction: self.str(direction)?,
            protocol: self.str(protocol)?,
            ports: self.str(ports)?,
            peer: self.str(peer)?,
            description: self.str(description)?,
            broadens: *broadens,
            anywhere: *anywhere,
        })
    }
}

/// Whether the account is a maximal 12-digit run of the text.
fn has_account(text: &str, account: &str) -> bool {
    text.match_indices(account).any(|(i, _)| {
        let b = text.as_bytes();
        let before = i.checked_sub(1).map(|j| b[j]);
        let after = b.get(i + account.len()).copied();
        !before.is_some_and(|x| x.is_ascii_digit()) && !after.is_some_and(|x| x.is_ascii_digit())
    })
}

/// Shapes at most kept (then the store starts again): a blueprint's shapes are few, and
/// memory stays flat however many targets.
const CAPACITY: usize = 256;

/// A hash of keys (texts of tens of kilobytes) eight bytes a step: the keys are a
/// project's own templates, so no one chooses them to collide.
#[derive(Default)]
struct Fast(u64);

impl Hasher for Fast {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes(c.try_into().unwrap_or_default());
            self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The answer of each shape, with the target it was computed for: shared by the
/// threads of one run.
pub struct Shapes<T> {
    found: Mutex<Kept<T>>,
}

/// Each shape's key, and its answer with the target it was computed for.
type Kept<T> = HashMap<String, Arc<(Own, T)>, BuildHasherDefault<Fast>>;

impl<T> Default for Shapes<T> {
    fn default() -> Self {
        Shapes {
            found: Mutex::default(),
        }
    }
}

impl<T: Clone> Shapes<T> {
    /// The answer for a target: renamed from the answer kept for its shape when there
    /// is one and `rename` can (see [`Renaming`]), else `compute`d, and kept for the
    /// shape's other targets when the shape is admitted. `None` for `c`: the target
    /// shares nothing.
    pub fn answer<E>(
        &self,
        own: Own,
        c: Option<Canonical>,
        compute: impl FnOnce() -> Result<T, E>,
        rename: impl Fn(&Renaming, &T) -> Option<T>,
    ) -> Result<T, E> {
        let Some(c) = c else {
            return compute();
        };
        let kept = self
            .found
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(c.key())
            .cloned();
        if let Some(kept) = kept {
            let (from, answer) = &*kept;
            if let Some(renamed) = rename(&Renaming { from, to: &own }, answer) {
                return Ok(renamed);
            }
        } else if c.admitted() {
            let answer = compute()?;
            let mut found = self.found.lock().unwrap_or_else(|e| e.into_inner());
            if found.len() >= CAPACITY {
                found.clear();
            }
            found
                .entry(c.key)
                .or_insert_with(|| Arc::new((own, answer.clone())));
            return Ok(answer);
        }
        compute()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own(account: &str, name: &str) -> Own {
        Own {
            account: account.into(),
            name: name.into(),
        }
    }

    #[test]
    fn two_targets_of_one_shape_have_one_key_and_rename_onto_each_other() {
        let (a, b) = (own("100000000000", "t00000"), own("100000000006", "t00006"));
        let ta = r#"{"A": "arn:aws:iam::100000000000:root", "D": "huge-t00000-vpc"}"#;
        let tb = r#"{"A": "arn:aws:iam::100000000006:root", "D": "huge-t00006-vpc"}"#;
        let (ka, kb) = (key(&a, &[ta], &[]).unwrap(), key(&b, &[tb], &[]).unwrap());
        assert_eq!(ka, kb);
        let r = Renaming { from: &a, to: &b };
        assert_eq!(r.str(ta).unwrap(), tb);
        // A 13-digit run holding the account is not the account.
        assert_eq!(
            r.str("1000000000001 and 100000000000").unwrap(),
            "1000000000001 and 100000000006"
        );
    }

    #[test]
    fn a_condition_failing_refuses_sharing() {
        let a = own("100000000000", "t00000");
        let refused = [
            // Another account in the text.
            r#"{"A": "arn:aws:iam::999999999999:root"}"#,
            // Another target of the same skeleton named.
            r#"{"A": "huge-t00003"}"#,
            // A wildcard next to the account, a digit or a substitution.
            r#"{"A": "arn:aws:iam::100000000000*"}"#,
            r#"{"A": "${AWS::AccountId}*"}"#,
            r#"{"A": "x1*"}"#,
            // The account as a number, or as a key.
            r#"{"A": 100000000000}"#,
            r#"{"100000000000": "x"}"#,
            // A join putting a wildcard next to the resolved account.
            r#"{"A": {"Fn::Join": ["", ["arn:aws:iam::", {"Ref": "AWS::AccountId"}, "*"]]}}"#,
            // Numeric reading.
            r#"{"Condition": {"NumericLessThan": {"x": "1"}}}"#,
            // A mark in the text.
            "{\"A\": \"\u{1}\"}",
            // Not JSON.
            "A: x",
        ];
        for t in refused {
            assert_eq!(key(&a, &[t], &[]), None, "{t}");
        }
        let fine = r#"{"A": {"Fn::Join": [",", [{"Ref": "S1"}, "x"]]}, "R": "*", "T": "t00000-x"}"#;
        // A substitution's template inside a join is joined as written.
        let sub = r#"{"A": {"Fn::Join": ["", [{"Fn::Sub": "x1"}, {"Ref": "AWS::AccountId"}]]}}"#;
        assert_eq!(key(&a, &[sub], &[]), None);
        assert!(key(&a, &[fine], &[]).is_some());
        // An account some rule compares with a constant is checked alone.
        assert_eq!(key(&own("000000000000", "t00000"), &[fine], &[]), None);
        // Names of other skeletons (another length, other letters) never share a key.
        let k = |name: &str| key(&own("100000000000", name), &[r#"{"A": "x"}"#], &[]);
        assert_ne!(k("t00000"), k("t0000"));
        assert_ne!(k("a1"), k("b1"));
        assert_eq!(k("a1"), k("a2"));
    }

    #[test]
    fn a_renaming_refuses_a_result_holding_the_other_targets_values() {
        let (a, b) = (own("100000000000", "t00000"), own("100000000006", "t00006"));
        let r = Renaming { from: &a, to: &b };
        assert_eq!(r.str("in t00006"), None);
        assert_eq!(r.str("arn:aws:iam::100000000006:root"), None);
        assert_eq!(
            r.str("arn:aws:iam::100000000000:root in t00000").unwrap(),
            "arn:aws:iam::100000000006:root in t00006"
        );
    }

    #[test]
    fn a_shape_is_computed_once_and_only_an_admitted_one_is_kept() {
        let shapes: Shapes<String> = Shapes::default();
        let computed = std::cell::Cell::new(0);
        let ask = |o: &Own, text: &str| {
            let c = canonical(o, &[text], &[]);
            shapes
                .answer(
                    o.clone(),
                    c,
                    || {
                        computed.set(computed.get() + 1);
                        Ok::<_, ()>(format!("finding on {} in {}", o.account, o.name))
                    },
                    |r, x| r.str(x),
                )
                .unwrap()
        };
        let (a, b) = (own("100000000000", "t00000"), own("100000000006", "t00006"));
        let body = |o: &Own| format!(r#"{{"D": "huge-{}-vpc"}}"#, o.name);
        assert_eq!(ask(&a, &body(&a)), "finding on 100000000000 in t00000");
        assert_eq!(ask(&b, &body(&b)), "finding on 100000000006 in t00006");
        assert_eq!(computed.get(), 1);
        // A wildcard next to a digit: not admitted, so computed for each target.
        let wild = |o: &Own| format!(r#"{{"D": "huge-{}-vpc", "R": "x1*"}}"#, o.name);
        assert_eq!(ask(&a, &wild(&a)), "finding on 100000000000 in t00000");
        assert_eq!(ask(&b, &wild(&b)), "finding on 100000000006 in t00006");
        assert_eq!(computed.get(), 3);
    }

    #[test]
    fn every_twelve_digit_run_of_checks_data_is_a_constant_account() {
        // The data files check reads: a 12-digit run in one is a constant some rule may
        // compare an account with.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut found = std::collections::BTreeSet::new();
        for dir in ["data", "crates/perimeter-l1/data"] {
            for e in std::fs::read_dir(root.join(dir)).unwrap() {
                let p = e.unwrap().path();
                let Ok(text) = std::fs::read_to_string(&p) else {
                    continue;
                };
                for run in text.as_bytes().split(|b| !b.is_ascii_digit()) {
                    if run.len() == 12 {
                        found.insert(String::from_utf8(run.to_vec()).unwrap());
                    }
                }
            }
        }
        assert!(!found.is_empty(), "the schemas' all-zero UUID is found");
        for run in &found {
            assert!(CONSTANT_ACCOUNTS.contains(&run.as_str()), "{run}");
        }
    }
}
