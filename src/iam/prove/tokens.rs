//! Identifier tokens, renamed for the memo ([`super::memo`]): the physical names a
//! template's resources are given where their values are not known (`vpce-0<id>` for an
//! endpoint's Ref, `role/<Id>` in a role's ARN, `<id>-bucket`, ...), which differ between
//! copies of one shape under other logical ids (the 500-resource template repeats the
//! prod template's resources as `FunctionRoleC0`, `FunctionRoleC1`, ...), so questions
//! that differ only in them are answered once.
//!
//! A run is a maximal run of ASCII letters and digits of a string. A token is a run that
//! holds a letter and a digit and whose lower case, leading zeros aside, is the lower
//! case of a name the question's bindings bind (a logical id), except the words listed
//! below. The renaming φ maps each token's run to a placeholder of the same shape (its
//! letters and its runs of digits in the same order, each run of digits one digit long,
//! each letter in the case the run has its letter in that place), and each placeholder
//! met in the question to a token, so φ is a bijection on runs; π applies φ to every run
//! of a string and keeps every other character, in order. So π is a bijection on strings
//! that keeps every character that is no ASCII letter or digit, in order, and commutes
//! with ASCII case folding. (`FunctionRoleC3` and `FunctionRoleC13` both become
//! `ZzzzzzzzZzzzA0`.) Where a `?` is written anywhere in the question, which counts
//! characters, the shape keeps every digit instead: then π also keeps the length, and at
//! every position whether it holds a digit, a lower-case or an upper-case letter.
//!
//! Why this is sound. As for accounts (see the memo), the claim is that a request r is
//! allowed (and outside) in the asked question iff π(r) is in the canonical one, so
//! the answers agree and π⁻¹ of a canonical witness is a witness. The evaluator's tests
//! on strings, and why each is invariant under π on both sides:
//!
//! - A pattern (a glob, an ARN pattern matched field by field, an exact or
//!   case-folded string) matching a string: take a match and a run ρ of the string. Its
//!   characters are met by the pattern's literal letters and digits and by wildcards;
//!   the literals that meet it are part of one literal run L of the pattern. If no
//!   wildcard meets ρ, L is bounded by non-alphanumeric literals or the pattern's ends
//!   exactly where ρ is (a letter or digit literal never meets another character, ASCII
//!   folding aside), so L = ρ up to case and φ(L) meets φ(ρ). If a wildcard meets ρ or
//!   touches L, L is a literal run next to a wildcard, which is refused when it is part
//!   of (a substring of, case aside) any token or placeholder: so ρ, holding L, is
//!   neither, and φ fixes ρ and L. What wildcards meet keeps its non-alphanumeric
//!   characters (the only ones a wildcard excludes: `:` and `/`); a `*` meets a string of
//!   any length, and where a `?` is written the length is kept too. So the same
//!   alignment matches π(pattern) against π(string), and π⁻¹ gives the converse. The
//!   evaluator tests no other length or digit place of a run that is a token: an
//!   account is a whole field of twelve digits, and a token holds a letter. (The
//!   prover's own shapes of callers count characters only as "at least one", `[^/]`
//!   before a star, and "not `/` at the end", which π keeps; `Elem::Digit` only in an
//!   account's field. A pattern the prover made that counted characters of a name, a
//!   fixed-width id, would need the length kept, as a `?` has it.) Unicode case
//!   folding (`StringEqualsIgnoreCase`, where the Kelvin sign folds to `k`) is refused;
//!   numbers, dates, IP ranges and binary values are refused by the memo already.
//! - Equality of strings: π is a bijection. Splitting on `:` or `/` and reading a field
//!   (an ARN's account, a caller's form, a session's role): π keeps those characters and
//!   renames within fields only.
//! - The evaluator's and prover's own words (partitions, `iam`, `role`, `assumed-role`,
//!   `amazonaws.com`, the policy grammar, `AWSServiceRoleFor*`, the derived keys ...):
//!   [`WORDS`] lists their runs; none is a token or placeholder, so π fixes them, and the
//!   runs of the prover's own globs next to a wildcard are refused as parts of one.
//! - The IAM catalog (which actions are known, which act on no resource): no token or
//!   placeholder is a run of the catalog's text, so π fixes every known action's name
//!   and maps an unknown one to an unknown one.
//! - Accounts are renamed first (12-digit runs) and tokens after, each a bijection whose
//!   conditions are checked on its own input; the composition is one.

use std::collections::{BTreeMap, HashMap};

use crate::iam::Bindings;

/// Runs of the evaluator's and the prover's own strings, lower case: partitions and
/// their URL suffixes, the forms of callers, the policy grammar and its operators, the
/// keys derived from the caller, the words the evaluator tests for (managed policies,
/// reserved roles, KMS aliases, service-linked roles), and the witnesses' made-up names.
/// A token or placeholder is never one of them.
const WORDS: &[&str] = &[
    "arn",
    "aws",
    "cn",
    "us",
    "gov",
    "iso",
    "b",
    "e",
    "f",
    "eusc",
    "amazonaws",
    "com",
    "eu",
    "c2s",
    "ic",
    "sc2s",
    "sgov",
    "cloud",
    "adc",
    "uk",
    "csp",
    "hci",
    "iam",
    "sts",
    "root",
    "user",
    "role",
    "roles",
    "federated",
    "assumed",
    "service",
    "services",
    "reserved",
    "policy",
    "alias",
    "key",
    "kms",
    "version",
    "statement",
    "sid",
    "effect",
    "allow",
    "deny",
    "principal",
    "notprincipal",
    "action",
    "notaction",
    "resource",
    "notresource",
    "condition",
    "canonicaluser",
    "2012",
    "10",
    "17",
    "2008",
    "true",
    "false",
    "null",
    "forallvalues",
    "foranyvalue",
    "ifexists",
    "stringequals",
    "stringnotequals",
    "stringequalsignorecase",
    "stringnotequalsignorecase",
    "stringlike",
    "stringnotlike",
    "arnequals",
    "arnnotequals",
    "arnlike",
    "arnnotlike",
    "bool",
    "binaryequals",
    "numericequals",
    "numericnotequals",
    "numericlessthan",
    "numericlessthanequals",
    "numericgreaterthan",
    "numericgreaterthanequals",
    "dateequals",
    "datenotequals",
    "datelessthan",
    "datelessthanequals",
    "dategreaterthan",
    "dategreaterthanequals",
    "ipaddress",
    "notipaddress",
    "principalarn",
    "principalaccount",
    "principalorgid",
    "principaltype",
    "principalisawsservice",
    "principalservicename",
    "username",
    "userid",
    "sourcevpce",
    "sourcevpc",
    "sourceaccount",
    "sourcearn",
    "sourceorgid",
    "viaawsservice",
    "viaservice",
    "resourceaccount",
    "awsservicerolefor",
    "awsservice",
    "account",
    "anonymous",
    "assumedrole",
    "federateduser",
    "witness",
    "x",
    "s3",
    "ec2",
    "sqs",
    "sns",
    "lambda",
    "secretsmanager",
    "dynamodb",
    "bedrock",
    "getcalleridentity",
    "createalias",
    "deletealias",
    "updatealias",
    "truststhecallersaccount",
];

/// Runs of the prover's own globs that stand next to a wildcard (`iam:Get*`,
/// `role/AWSServiceRoleFor*`): no token or placeholder holds one.
const GLOB_RUNS: &[&str] = &["get", "list", "generate", "simulate", "awsservicerolefor"];

/// The runs of a string, as byte ranges.
fn runs(s: &str) -> Vec<(usize, usize)> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_alphanumeric() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
                i += 1;
            }
            out.push((start, i));
        } else {
            i += 1;
        }
    }
    out
}

/// Whether a run holds a letter and a digit, as every token and placeholder does.
fn holds_letter_and_digit(run: &str) -> bool {
    let b = run.as_bytes();
    b.iter().any(u8::is_ascii_digit) && b.iter().any(u8::is_ascii_alphabetic)
}

/// The catalog's runs that hold a letter and a digit, as every token and placeholder
/// does, in lower case and sorted (found by build.rs).
const CATALOG_RUNS: &[&str] = include!(concat!(env!("OUT_DIR"), "/catalog_mixed_runs.rs"));

/// Whether a run (lower case) may be a token or a placeholder.
fn allowed(lower: &str, next_to_wildcards: &[String]) -> bool {
    // Runs are short: a plain scan finds a part sooner than a searcher is set up.
    let holds = |part: &str| {
        let (l, p) = (lower.as_bytes(), part.as_bytes());
        p.is_empty() || l.windows(p.len()).any(|w| w == p)
    };
    !WORDS.contains(&lower)
        && CATALOG_RUNS.binary_search(&lower).is_err()
        && !GLOB_RUNS.iter().any(|g| holds(g))
        && !next_to_wildcards.iter().any(|g| holds(g))
}

/// A run's shape: `a` for a letter, `0` for a digit; with `collapse`, one `0` for each
/// run of digits (`functionrolec3` and `functionrolec13` have one shape).
fn shape(lower: &str, collapse: bool) -> String {
    let mut out = String::with_capacity(lower.len());
    for c in lower.chars() {
        if !c.is_ascii_digit() {
            out.push('a');
        } else if !collapse || !out.ends_with('0') {
            out.push('0');
        }
    }
    out
}

/// The placeholder of the `i`-th token of a shape: `z` in each letter's place and `0`
/// in each digit's, `i` written in the last letters (base 26, from `a`).
fn placeholder(shape: &str, mut i: usize) -> Option<String> {
    let mut out: Vec<u8> = shape
        .bytes()
        .map(|b| if b == b'0' { b'0' } else { b'z' })
        .collect();
    for c in out.iter_mut().rev() {
        if *c != b'0' {
            *c = b'a' + (i % 26) as u8;
            i /= 26;
            if i == 0 {
                break;
            }
        }
    }
    (i == 0).then(|| String::from_utf8(out).expect("ASCII"))
}

/// Runs to runs, lower case.
type Renaming = HashMap<String, String, super::lang::Fx>;

/// The renaming of a question's tokens (lower case, both ways).
#[derive(Debug, Clone, Default)]
pub(super) struct Tokens {
    forth: Renaming,
    back: Renaming,
}

impl Tokens {
    /// The tokens of `text` (a question's text, accounts renamed) and their renaming;
    /// `None` when there are none, or the renaming would not be sound (see the module's
    /// doc): then only accounts are renamed. `fixed` strings (the question's actions,
    /// used as they are) must hold no token.
    pub fn of(texts: &[&str], b: &Bindings, fixed: &[&str]) -> Option<Tokens> {
        // Escapes would make runs of the text that are no runs of its strings; folding
        // beyond ASCII is not one φ commutes with.
        if texts
            .iter()
            .any(|t| t.contains('\\') || t.contains("IgnoreCase"))
        {
            return None;
        }
        // One pass over each text's runs: those that hold a letter and a digit, lower
        // case, in order of first appearance (a question's text holds thousands of runs,
        // few of them mixed, and fewer distinct), and those next to a wildcard.
        let mut mixed: Vec<String> = Vec::new();
        let mut next_to_wildcards: Vec<String> = Vec::new();
        for t in texts {
            let bytes = t.as_bytes();
            let wild = |i: usize| matches!(bytes.get(i), Some(b'*' | b'?'));
            for (s, e) in runs(t) {
                let run = &t[s..e];
                if (s > 0 && wild(s - 1)) || wild(e) {
                    next_to_wildcards.push(run.to_ascii_lowercase());
                }
                if holds_letter_and_digit(run) && !mixed.iter().any(|m| m.eq_ignore_ascii_case(run))
                {
                    mixed.push(run.to_ascii_lowercase());
                }
            }
        }
        // Those that name a logical id (a name the bindings bind, pseudo parameters
        // aside), leading zeros aside, ASCII case aside (they are lower case already):
        // the bindings' ids in lower case are made once for every question of them.
        let ids = b.ids_lower();
        let mut tokens = mixed;
        tokens.retain(|t| ids.contains(t.trim_start_matches('0')));
        if tokens.is_empty() {
            return None;
        }
        // Each run next to a wildcard once (the same few runs recur all over a text).
        next_to_wildcards.sort_unstable();
        next_to_wildcards.dedup();
        tokens.retain(|t| allowed(t, &next_to_wildcards));
        if tokens.is_empty() {
            return None;
        }
        // Placeholders by shape, in order of first appearance. A `?` counts characters:
        // where one is written anywhere, a placeholder keeps its token's length.
        let collapse = !texts.iter().chain(fixed).any(|t| t.contains('?'));
        let mut by_shape: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for t in &tokens {
            by_shape
                .entry(shape(t, collapse))
                .or_default()
                .push(t.clone());
        }
        let mut forth = Renaming::default();
        for (sh, ts) in &by_shape {
            let ps: Vec<String> = (0..ts.len())
                .map(|i| placeholder(sh, i))
                .collect::<Option<_>>()?;
            if !ps.iter().all(|p| allowed(p, &next_to_wildcards)) {
                return None;
            }
            for (t, p) in ts.iter().zip(&ps) {
                forth.insert(t.clone(), p.clone());
            }
            // A placeholder that is no token goes to a token that is no placeholder.
            let free = ts.iter().filter(|t| !ps.contains(t));
            let taken = ps.iter().filter(|p| !ts.contains(p));
            for (p, t) in taken.zip(free) {
                forth.insert(p.clone(), t.clone());
            }
        }
        let renamed = |s: &str| rename(s, &forth);
        if fixed.iter().any(|a| renamed(a) != *a) {
            return None;
        }
        let back = forth.iter().map(|(k, v)| (v.clone(), k.clone())).collect();
        Some(Tokens { forth, back })
    }

    /// `s` with its tokens (and placeholders met) renamed to the canonical question's.
    pub fn forth(&self, s: &str) -> String {
        rename(s, &self.forth)
    }

    /// `s` renamed back to the asker's.
    pub fn back(&self, s: &str) -> String {
        rename(s, &self.back)
    }
}

/// `s` with each run whose lower case `map` names replaced, each letter in the case of
/// the run's letter in its place (a run and its image have as many letters).
fn rename(s: &str, map: &Renaming) -> String {
    if map.is_empty() {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for (start, end) in runs(s) {
        let run = &s[start..end];
        // Every token and placeholder holds a letter and a digit: other runs are kept
        // without a look-up.
        if !holds_letter_and_digit(run) {
            continue;
        }
        if let Some(to) = map.get(&run.to_ascii_lowercase()) {
            out.push_str(&s[last..start]);
            let mut upper = run
                .bytes()
                .filter(u8::is_ascii_alphabetic)
                .map(|a| a.is_ascii_uppercase());
            out.extend(to.chars().map(|b| {
                if b.is_ascii_alphabetic() && upper.next() == Some(true) {
                    b.to_ascii_uppercase()
                } else {
                    b
                }
            }));
            debug_assert!(upper.next().is_none(), "{run} and {to}: as many letters");
            last = end;
        }
    }
    out.push_str(&s[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bindings(ids: &[&str]) -> Bindings {
        ids.iter().fold(Bindings::new(), |b, id| {
            b.bind(id, "x").bind(&format!("{id}.Arn"), "x")
        })
    }

    #[test]
    fn copies_under_other_ids_get_one_text() {
        let b12 = bindings(&["FunctionRoleC12", "EndpointC12"]);
        let t3 = "role/FunctionRoleC3 vpce-0endpointc3 s3:GetObject";
        let t4 = "role/FunctionRoleC4 vpce-0endpointc4 s3:GetObject";
        let k3 = Tokens::of(&[t3], &bindings(&["FunctionRoleC3", "EndpointC3"]), &[]).unwrap();
        let k4 = Tokens::of(&[t4], &bindings(&["FunctionRoleC4", "EndpointC4"]), &[]).unwrap();
        assert_eq!(k3.forth(t3), k4.forth(t4));
        // Case kept, shape kept, the catalog's words untouched.
        assert_eq!(
            k3.forth(t3),
            "role/ZzzzzzzzZzzzA0 vpce-0zzzzzzzza0 s3:GetObject"
        );
        // Back to each asker's own.
        assert_eq!(k4.back(&k3.forth(t3)), t4);
        // A longer number is the same shape: one digit for each run of digits.
        let t12 = "role/FunctionRoleC12 vpce-0endpointc12 s3:GetObject";
        let k12 = Tokens::of(&[t12], &b12, &[]).unwrap();
        assert_eq!(k12.forth(t12), k3.forth(t3));
        assert_eq!(k12.back(&k3.forth(t3)), t12);
        // Unless a `?` is written, which counts characters: then every length is its own
        // shape (`role/FunctionRoleC?` matches the one and not the other).
        let q3 = format!("{t3} role/Other?");
        let q12 = format!("{t12} role/Other?");
        let k3 = Tokens::of(&[&q3], &bindings(&["FunctionRoleC3", "EndpointC3"]), &[]).unwrap();
        let k12 = Tokens::of(&[&q12], &b12, &[]).unwrap();
        assert_ne!(k12.forth(&q12), k3.forth(&q3));
        assert_eq!(k12.forth(&q12).len(), q12.len());
        assert_eq!(k12.back(&k12.forth(&q12)), q12);
    }

    #[test]
    fn a_placeholder_met_in_the_question_goes_to_a_token() {
        let b = bindings(&["FunctionRoleC3"]);
        let t = "role/FunctionRoleC3 role/zzzzzzzzzzzza0";
        let k = Tokens::of(&[t], &b, &[]).unwrap();
        let f = k.forth(t);
        assert_eq!(f, "role/ZzzzzzzzZzzzA0 role/functionrolec3");
        assert_eq!(k.back(&f), t);
    }

    #[test]
    fn no_token_where_a_wildcard_could_tell_it_from_its_placeholder() {
        let b = bindings(&["FunctionRoleC3"]);
        // `Function*` matches the token and not its placeholder.
        assert!(Tokens::of(&["role/FunctionRoleC3 role/Function*"], &b, &[]).is_none());
        // A run next to a wildcard that is no part of a token changes nothing.
        assert!(Tokens::of(&["role/FunctionRoleC3 bucket/*"], &b, &[]).is_some());
        // Words of the evaluator and the catalog, runs without a digit: never tokens.
        assert!(Tokens::of(&["role/Role"], &bindings(&["Role"]), &[]).is_none());
        assert!(Tokens::of(&["s3:GetObject"], &bindings(&["S3"]), &[]).is_none());
        // A word of the catalog only (a service prefix, an action's name).
        assert!(Tokens::of(&["route53:x"], &bindings(&["Route53"]), &[]).is_none());
        assert!(
            Tokens::of(
                &["x:AssignIpv6Addresses"],
                &bindings(&["AssignIpv6Addresses"]),
                &[]
            )
            .is_none()
        );
        assert!(
            Tokens::of(
                &["x:AssignIpv7Addresses"],
                &bindings(&["AssignIpv7Addresses"]),
                &[]
            )
            .is_some()
        );
        // Case folding beyond ASCII, escapes, an action that holds a token: no renaming.
        let t = "role/FunctionRoleC3 StringEqualsIgnoreCase";
        assert!(Tokens::of(&[t], &b, &[]).is_none());
        assert!(Tokens::of(&["role/FunctionRoleC3 \\t"], &b, &[]).is_none());
        assert!(Tokens::of(&["role/FunctionRoleC3"], &b, &["x:FunctionRoleC3"]).is_none());
    }

    #[test]
    fn the_catalogs_mixed_runs_are_every_one_a_scan_finds() {
        let text = crate::iam::catalog::text();
        let mut want: Vec<String> = text
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|r| r.bytes().any(|b| b.is_ascii_digit()))
            .filter(|r| r.bytes().any(|b| b.is_ascii_alphabetic()))
            .map(str::to_ascii_lowercase)
            .collect();
        want.sort();
        want.dedup();
        assert!(want.len() > 100, "{}", want.len());
        assert_eq!(CATALOG_RUNS, want);
        assert!(!allowed("ec2", &[]) && !allowed("route53", &[]) && allowed("route54", &[]));
    }

    #[test]
    fn renaming_is_a_bijection_on_runs() {
        // Without a `?`: each run keeps its letters' cases in order, and its digits'
        // runs (one digit each); every other character is kept in order.
        let b = bindings(&["AbC1", "Zz9", "Qq10X2"]);
        let t = "AbC1:abc1/ABC1-Zz9 zz0 aaa0 q QQ10x2 qq7x3 zz0z0";
        let k = Tokens::of(&[t], &b, &[]).unwrap();
        let f = k.forth(t);
        assert_eq!(k.back(&f), t);
        let kinds = |s: &str| -> Vec<char> {
            let mut out: Vec<char> = Vec::new();
            for c in s.chars() {
                let k = match c {
                    c if c.is_ascii_digit() => '0',
                    c if c.is_ascii_uppercase() => 'A',
                    c if c.is_ascii_lowercase() => 'a',
                    c => c,
                };
                if k != '0' || out.last() != Some(&'0') {
                    out.push(k);
                }
            }
            out
        };
        assert_eq!(kinds(&f), kinds(t), "{f}");
        assert_ne!(f, t);
        // With a `?`: the length too, and every character's kind in its place.
        let t = "AbC1:abc1/ABC1-Zz9 zz0 aaa0 q QQ10x2 qq7x3 zz0z0 x?";
        let k = Tokens::of(&[t], &b, &[]).unwrap();
        let f = k.forth(t);
        assert_eq!(k.back(&f), t);
        assert_eq!(f.len(), t.len());
        for (a, b) in t.chars().zip(f.chars()) {
            assert_eq!(a.is_ascii_digit(), b.is_ascii_digit());
            assert_eq!(a.is_ascii_uppercase(), b.is_ascii_uppercase());
            assert_eq!(a.is_ascii_lowercase(), b.is_ascii_lowercase());
            if !a.is_ascii_alphanumeric() {
                assert_eq!(a, b);
            }
        }
    }
}
