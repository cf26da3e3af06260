//! String languages of the policy language's patterns (globs, exact strings, ARN
//! patterns matched field by field, case-folded strings) and the one operation the prover
//! needs from them: for a set of patterns, one string for every combination of "matches"
//! and "does not match" that some string realizes.
//!
//! The combinations are found by walking the product of the patterns' automata over an
//! alphabet made of every character the patterns name plus one character none of them
//! names (two unnamed characters are indistinguishable to every pattern), so the walk
//! meets every combination any string can produce: the answer is complete, not sampled.

use std::collections::{BTreeMap, BTreeSet, HashMap};

/// How a literal character compares with a request's character.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fold {
    /// Exactly.
    None,
    /// `eq_ignore_ascii_case` (actions, `Bool`).
    Ascii,
    /// `to_lowercase` equality (`StringEqualsIgnoreCase`); literals are ASCII, and the one
    /// non-ASCII character whose lowercase is ASCII, the Kelvin sign, folds to `k`.
    Lower,
}

/// One element of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Elem {
    Ch(char, Fold),
    /// `?`: one character; `colon: false` excludes `:` (inside an ARN field).
    One {
        colon: bool,
    },
    /// `*`: any run of characters; `colon: false` excludes `:`.
    Star {
        colon: bool,
    },
    /// One ASCII digit (an account id's).
    Digit,
    /// One character other than this one (a name without a `/`).
    OneNot(char),
    /// Any run of characters without this one.
    StarNot(char),
}

const KELVIN: char = '\u{212A}';

impl Elem {
    fn accepts(self, c: char) -> bool {
        match self {
            Elem::Ch(l, Fold::None) => l == c,
            Elem::Ch(l, Fold::Ascii) => l.eq_ignore_ascii_case(&c),
            Elem::Ch(l, Fold::Lower) => {
                l.eq_ignore_ascii_case(&c) || (c == KELVIN && l.eq_ignore_ascii_case(&'k'))
            }
            Elem::One { colon } | Elem::Star { colon } => colon || c != ':',
            Elem::Digit => c.is_ascii_digit(),
            Elem::OneNot(x) | Elem::StarNot(x) => c != x,
        }
    }

    /// Whether the element repeats (`*` and its kinds).
    fn is_star(self) -> bool {
        matches!(self, Elem::Star { .. } | Elem::StarNot(_))
    }
}

/// A regular language given as a sequence of elements.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pattern(pub Vec<Elem>);

impl Pattern {
    /// An IAM glob (`*`, `?`) compared with `fold`.
    pub fn glob(p: &str, fold: Fold) -> Pattern {
        Pattern(
            p.chars()
                .map(|c| match c {
                    '*' => Elem::Star { colon: true },
                    '?' => Elem::One { colon: true },
                    c => Elem::Ch(c, fold),
                })
                .collect(),
        )
    }

    /// Exactly this string (a `*` in it is a star character), compared with `fold`.
    pub fn literal(s: &str, fold: Fold) -> Pattern {
        Pattern(s.chars().map(|c| Elem::Ch(c, fold)).collect())
    }

    /// The strings `arn_like(p, _)` accepts, as a union of patterns (empty when none):
    /// six colon-separated fields, the first five matched without crossing a colon.
    pub fn arn(p: &str) -> Vec<Pattern> {
        if p == "*" {
            return vec![Pattern(vec![Elem::Star { colon: true }])];
        }
        let parts: Vec<&str> = p.splitn(6, ':').collect();
        if parts.len() != 6 {
            return Vec::new();
        }
        let mut out = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            let colon = i == 5;
            for c in part.chars() {
                out.push(match c {
                    '*' => Elem::Star { colon },
                    '?' => Elem::One { colon },
                    c => Elem::Ch(c, Fold::None),
                });
            }
            if i < 5 {
                out.push(Elem::Ch(':', Fold::None));
            }
        }
        vec![Pattern(out)]
    }

    /// The strings whose colon-separated field `n` is `value`, as
    /// `split(':').nth(n).unwrap_or("")` reads it: a string of fewer fields has an empty
    /// field `n`.
    pub fn field(n: usize, value: &str) -> Vec<Pattern> {
        if value.contains(':') {
            return Vec::new();
        }
        let mut out = Vec::new();
        if value.is_empty() {
            let mut short = vec![Elem::Star { colon: false }];
            for _ in 0..n {
                out.push(Pattern(short.clone()));
                short.push(Elem::Ch(':', Fold::None));
                short.push(Elem::Star { colon: false });
            }
        }
        let mut head = Vec::new();
        for _ in 0..n {
            head.push(Elem::Star { colon: false });
            head.push(Elem::Ch(':', Fold::None));
        }
        head.extend(value.chars().map(|c| Elem::Ch(c, Fold::None)));
        let mut more = head.clone();
        more.push(Elem::Ch(':', Fold::None));
        more.push(Elem::Star { colon: true });
        out.extend([Pattern(head), Pattern(more)]);
        out
    }

    /// Whether the pattern accepts a string (the automaton, run directly).
    pub fn matches(&self, s: &str) -> bool {
        let mut set = self.start();
        for c in s.chars() {
            set = self.step(&set, c);
        }
        set.contains(&self.0.len())
    }

    fn close(&self, mut set: BTreeSet<usize>) -> BTreeSet<usize> {
        let mut todo: Vec<usize> = set.iter().copied().collect();
        while let Some(i) = todo.pop() {
            if self.0.get(i).is_some_and(|e| e.is_star()) && set.insert(i + 1) {
                todo.push(i + 1);
            }
        }
        set
    }

    fn start(&self) -> BTreeSet<usize> {
        self.close(BTreeSet::from([0]))
    }

    fn step(&self, set: &BTreeSet<usize>, c: char) -> BTreeSet<usize> {
        let mut next = BTreeSet::new();
        for &i in set {
            match self.0.get(i) {
                Some(e) if e.is_star() && e.accepts(c) => {
                    next.insert(i);
                }
                Some(e) if e.accepts(c) => {
                    next.insert(i + 1);
                }
                _ => {}
            }
        }
        self.close(next)
    }

    fn chars(&self, out: &mut BTreeSet<char>) {
        for e in &self.0 {
            if let Elem::Ch(c, fold) = *e {
                out.insert(c);
                if fold != Fold::None {
                    out.insert(c.to_ascii_lowercase());
                    out.insert(c.to_ascii_uppercase());
                }
                if fold == Fold::Lower && c.eq_ignore_ascii_case(&'k') {
                    out.insert(KELVIN);
                }
            }
            if let Elem::OneNot(c) | Elem::StarNot(c) = *e {
                out.insert(c);
            }
        }
    }

    fn has_digit(&self) -> bool {
        self.0.contains(&Elem::Digit)
    }
}

/// Why the walk gave up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooLarge(pub usize);

/// A pattern compiled for the walk: its position sets are bit sets of `words` words.
struct Compiled<'a> {
    elems: &'a [Elem],
    words: usize,
}

impl Compiled<'_> {
    fn has(set: &[u64], i: usize) -> bool {
        set[i / 64] & (1 << (i % 64)) != 0
    }
    fn put(set: &mut [u64], i: usize) {
        set[i / 64] |= 1 << (i % 64);
    }
    /// The first position at or after `from` in the set.
    fn next(set: &[u64], from: usize) -> Option<usize> {
        let mut w = from / 64;
        let mut bits = *set.get(w)? & (!0u64 << (from % 64));
        loop {
            if bits != 0 {
                return Some(w * 64 + bits.trailing_zeros() as usize);
            }
            w += 1;
            bits = *set.get(w)?;
        }
    }
    /// Adds the positions a star lets the walk skip to (in increasing order, so a run
    /// of stars is crossed in one pass).
    fn close(&self, set: &mut [u64]) {
        let mut from = 0;
        while let Some(i) = Self::next(set, from) {
            if self.elems.get(i).is_some_and(|e| e.is_star()) {
                Self::put(set, i + 1);
            }
            from = i + 1;
        }
    }
    fn start(&self, out: &mut [u64]) {
        Self::put(out, 0);
        self.close(out);
    }
    fn step(&self, set: &[u64], c: char, out: &mut [u64]) {
        let mut from = 0;
        while let Some(i) = Self::next(set, from) {
            if let Some(e) = self.elems.get(i)
                && e.accepts(c)
            {
                Self::put(out, if e.is_star() { i } else { i + 1 });
            }
            from = i + 1;
        }
        self.close(out);
    }
    fn accepts(&self, set: &[u64]) -> bool {
        Self::has(set, self.elems.len())
    }
}

/// For `patterns`, one string per realizable vector of matches (`true` where the string
/// matches that pattern), the shortest such string; `preferred` strings are used instead
/// where they realize the same vector (readable witnesses). Gives up after `limit`
/// automaton states.
pub fn regions(
    patterns: &[Pattern],
    preferred: &[String],
    limit: usize,
) -> Result<BTreeMap<Vec<bool>, String>, TooLarge> {
    regions_within(patterns, None, preferred, limit)
}

/// [`regions`] among the strings `within` accepts (a caller's shape): only vectors some
/// string of `within` realizes, each with such a string.
pub fn regions_within(
    patterns: &[Pattern],
    within: Option<&Pattern>,
    preferred: &[String],
    limit: usize,
) -> Result<BTreeMap<Vec<bool>, String>, TooLarge> {
    let mut alphabet = BTreeSet::from([':']);
    for p in patterns.iter().chain(within) {
        p.chars(&mut alphabet);
    }
    // One character no pattern names stands for all of them (a letter or beyond ASCII,
    // never a digit, which a shape may tell apart)...
    let fresh = ('a'..='z')
        .chain('\u{100}'..)
        .find(|c| !alphabet.contains(c) && *c != KELVIN)
        .expect("an unnamed character");
    alphabet.insert(fresh);
    // ...and one digit no pattern names stands for the other digits.
    if patterns.iter().chain(within).any(Pattern::has_digit)
        && let Some(d) = ('0'..='9').find(|c| !alphabet.contains(c))
    {
        alphabet.insert(d);
    }
    let alphabet: Vec<char> = alphabet.into_iter().collect();
    let all: Vec<&Pattern> = patterns.iter().chain(within).collect();
    let n = patterns.len();
    let compiled: Vec<Compiled<'_>> = all
        .iter()
        .map(|p| Compiled {
            elems: &p.0,
            words: (p.0.len() + 1).div_ceil(64),
        })
        .collect();
    let width: usize = compiled.iter().map(|c| c.words).sum();
    // A state: every pattern's position set, side by side.
    let mut ranges = Vec::with_capacity(compiled.len());
    let mut at = 0;
    for c in &compiled {
        ranges.push((at, at + c.words));
        at += c.words;
    }
    let accept = |state: &[u64]| -> Vec<bool> {
        compiled
            .iter()
            .zip(&ranges)
            .take(n)
            .map(|(c, &(a, b))| c.accepts(&state[a..b]))
            .collect()
    };
    // The shape's own part of a state: dead (no position) or accepting.
    let shape = within.map(|_| ranges[n]);
    let dead = |state: &[u64]| shape.is_some_and(|(a, b)| state[a..b].iter().all(|w| *w == 0));
    let inside = |state: &[u64]| shape.is_none_or(|(a, b)| compiled[n].accepts(&state[a..b]));
    let mut start = vec![0u64; width];
    for (c, &(a, b)) in compiled.iter().zip(&ranges) {
        c.start(&mut start[a..b]);
    }
    // Breadth first; each state remembers its parent and the character that led to it.
    let mut states: Vec<(Vec<u64>, usize, char)> = vec![(start.clone(), usize::MAX, '\0')];
    let mut seen: HashMap<Vec<u64>, usize> = HashMap::from([(start, 0)]);
    let mut first: BTreeMap<Vec<bool>, usize> = BTreeMap::new();
    let mut next = vec![0u64; width];
    let mut at = 0;
    while at < states.len() {
        if inside(&states[at].0) {
            first.entry(accept(&states[at].0)).or_insert(at);
        }
        if dead(&states[at].0) {
            at += 1;
            continue;
        }
        for &c in &alphabet {
            next.iter_mut().for_each(|w| *w = 0);
            {
                let state = &states[at].0;
                for (p, &(a, b)) in compiled.iter().zip(&ranges) {
                    p.step(&state[a..b], c, &mut next[a..b]);
                }
            }
            if !seen.contains_key(&next) {
                if states.len() >= limit {
                    return Err(TooLarge(limit));
                }
                seen.insert(next.clone(), states.len());
                states.push((next.clone(), at, c));
            }
        }
        at += 1;
    }
    let text = |mut i: usize| -> String {
        let mut cs = Vec::new();
        while states[i].1 != usize::MAX {
            cs.push(states[i].2);
            i = states[i].1;
        }
        cs.into_iter().rev().collect()
    };
    let mut out: BTreeMap<Vec<bool>, String> =
        first.into_iter().map(|(v, i)| (v, text(i))).collect();
    let mut taken = BTreeSet::new();
    for p in preferred {
        if within.is_some_and(|w| !w.matches(p)) {
            continue;
        }
        let v: Vec<bool> = patterns.iter().map(|x| x.matches(p)).collect();
        if !taken.contains(&v)
            && let Some(slot) = out.get_mut(&v)
        {
            *slot = p.clone();
            taken.insert(v);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_combination_of_two_globs_is_found() {
        let ps = [
            Pattern::glob("a*", Fold::None),
            Pattern::glob("*b", Fold::None),
        ];
        let r = regions(&ps, &[], 1000).unwrap();
        assert_eq!(r.len(), 4);
        assert_eq!(r[&vec![true, true]], "ab");
        for (v, s) in &r {
            assert_eq!(&ps.iter().map(|p| p.matches(s)).collect::<Vec<_>>(), v);
        }
    }

    #[test]
    fn impossible_combinations_are_absent() {
        // Everything `s3:GetObject` matches, `s3:Get*` matches too.
        let ps = [
            Pattern::glob("s3:GetObject", Fold::Ascii),
            Pattern::glob("s3:Get*", Fold::Ascii),
        ];
        let r = regions(&ps, &[], 1000).unwrap();
        assert!(!r.contains_key(&vec![true, false]));
        assert_eq!(r.len(), 3);
    }

    #[test]
    fn arn_fields_do_not_cross_colons() {
        let p = &Pattern::arn("arn:aws:s3:::b*")[0];
        assert!(p.matches("arn:aws:s3:::bucket/key:with:colons"));
        assert!(!p.matches("arn:aws:s3::1:bucket"));
        let acct = &Pattern::arn("arn:aws:iam::*:role/x")[0];
        assert!(!acct.matches("arn:aws:iam::1:2:role/x"));
        assert!(Pattern::arn("arn:aws:s3").is_empty());
    }

    #[test]
    fn an_absent_field_reads_as_empty() {
        let empty = Pattern::field(4, "");
        let any = |s: &str| empty.iter().any(|p| p.matches(s));
        for s in ["", "a:b", "arn:aws:s3:::bucket", "a:b:c:d:", "a:b:c:d::e"] {
            assert_eq!(any(s), s.split(':').nth(4).unwrap_or("").is_empty(), "{s}");
        }
        assert!(!any("arn:aws:iam::1:role/x"));
        let one = Pattern::field(4, "1");
        assert!(one.iter().any(|p| p.matches("arn:aws:iam::1:role/x")));
        assert!(one.iter().any(|p| p.matches("a:b:c:d:1")));
        assert!(!one.iter().any(|p| p.matches("a:b:c:d:12")));
    }

    #[test]
    fn kelvin_sign_folds_to_k() {
        let p = Pattern::literal("k", Fold::Lower);
        assert!(p.matches("\u{212A}"));
        assert!(!Pattern::literal("k", Fold::Ascii).matches("\u{212A}"));
    }

    #[test]
    fn preferred_strings_replace_shortest_ones() {
        let ps = [Pattern::glob("arn:*", Fold::None)];
        let r = regions(&ps, &["arn:aws:iam::1:role/r".into()], 1000).unwrap();
        assert_eq!(r[&vec![true]], "arn:aws:iam::1:role/r");
    }
}
