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
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

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
    #[cfg(test)]
    pub fn matches(&self, s: &str) -> bool {
        let mut set = self.start();
        for c in s.chars() {
            set = self.step(&set, c);
        }
        set.contains(&self.0.len())
    }

    /// The positions the pattern is at after reading `prefix`: two prefixes that leave
    /// it at the same positions are followed by the same matches.
    pub fn after(&self, prefix: &str) -> BTreeSet<usize> {
        prefix
            .chars()
            .fold(self.start(), |set, c| self.step(&set, c))
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

    /// Whether no string matches both: a character that no element of one and the
    /// element of the other in the same place both accept, counted from the start (or
    /// the end) before either pattern's first (or last) star; or numbers of colons no
    /// string of both can have. `false` says nothing.
    fn disjoint(&self, other: &Pattern) -> bool {
        fn clash(x: Elem, y: Elem) -> bool {
            let none = |l: char, fold: Fold, e: Elem| {
                let kelvin = fold == Fold::Lower && l.eq_ignore_ascii_case(&'k');
                match fold {
                    Fold::None => !e.accepts(l),
                    Fold::Ascii | Fold::Lower => {
                        !(e.accepts(l.to_ascii_lowercase())
                            || e.accepts(l.to_ascii_uppercase())
                            || (kelvin && e.accepts(KELVIN)))
                    }
                }
            };
            match (x, y) {
                (Elem::Ch(l, f), e) | (e, Elem::Ch(l, f)) => none(l, f, e),
                // One, Digit and OneNot always share a digit.
                _ => false,
            }
        }
        let fixed = |e: &&Elem| !e.is_star();
        let ahead = (self.0.iter().take_while(fixed)).zip(other.0.iter().take_while(fixed));
        let behind =
            (self.0.iter().rev().take_while(fixed)).zip(other.0.iter().rev().take_while(fixed));
        if ahead.chain(behind).any(|(x, y)| clash(*x, *y)) {
            return true;
        }
        let (a, b) = (self.colons(), other.colons());
        a.0 > b.1 || b.0 > a.1
    }

    /// The fewest and the most colons of a string the pattern accepts (`usize::MAX`: no
    /// bound).
    fn colons(&self) -> (usize, usize) {
        let (mut least, mut most) = (0usize, 0usize);
        for e in &self.0 {
            match *e {
                Elem::Ch(':', _) => {
                    least += 1;
                    most = most.saturating_add(1);
                }
                Elem::One { colon: true } => most = most.saturating_add(1),
                Elem::OneNot(x) if x != ':' => most = most.saturating_add(1),
                Elem::Star { colon: true } => most = usize::MAX,
                Elem::StarNot(x) if x != ':' => most = usize::MAX,
                Elem::Ch(..)
                | Elem::Digit
                | Elem::One { colon: false }
                | Elem::OneNot(_)
                | Elem::Star { colon: false }
                | Elem::StarNot(_) => {}
            }
        }
        (least, most)
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

/// A pattern compiled for the walk: a DFA built lazily over the pattern's own classes of
/// characters (characters its elements treat alike), each state a set of positions (bit
/// sets of `words` words). Kept from walk to walk on each thread ([`with_dfas`]): the
/// questions of one template ask of the same patterns again and again, and a state once
/// made is never made again.
#[derive(Clone)]
struct Dfa {
    elems: Vec<Elem>,
    /// The pattern's distinct elements: a character's class is which of them accept it.
    distinct: Vec<Elem>,
    /// Each class's signature over `distinct`, and a character of it.
    classes: Vec<(Vec<bool>, char)>,
    /// The class of each character asked of before: every walk asks for its alphabet's.
    by_char: HashMap<char, usize, Fx>,
    words: usize,
    /// Positions from here on are all `*` (colon included).
    tail: usize,
    /// Each DFA state's position set.
    sets: Vec<Vec<u64>>,
    index: HashMap<Vec<u64>, u32, Fx>,
    /// `trans[state * classes.len() + class]`; `UNSET` until first needed.
    trans: Vec<u32>,
    accepting: Vec<bool>,
    /// States with no position: nothing more can match.
    empty: Vec<bool>,
    /// States at a run of `*` (colon included) ending the pattern: every continuation
    /// matches.
    full: Vec<bool>,
    /// The state with no position, once made.
    dead: u32,
    /// `after[i]`: the state of the positions from `i` on that a star lets the walk skip
    /// to (position `i` closed), once made: where a state of one position `i - 1` goes
    /// on a character its element accepts. Most states of a walk are such (a literal's
    /// characters one by one), and their steps are found here without a set made and
    /// looked up.
    after: Vec<u32>,
}

const UNSET: u32 = u32::MAX;

impl Dfa {
    fn new(elems: &[Elem]) -> Self {
        let words = (elems.len() + 1).div_ceil(64);
        let distinct: Vec<Elem> = elems
            .iter()
            .copied()
            .collect::<BTreeSet<Elem>>()
            .into_iter()
            .collect();
        let tail = elems
            .iter()
            .rposition(|e| *e != Elem::Star { colon: true })
            .map_or(0, |i| i + 1);
        let mut d = Dfa {
            elems: elems.to_vec(),
            distinct,
            classes: Vec::new(),
            by_char: HashMap::default(),
            words,
            tail,
            sets: Vec::new(),
            index: HashMap::default(),
            trans: Vec::new(),
            accepting: Vec::new(),
            empty: Vec::new(),
            full: Vec::new(),
            dead: UNSET,
            after: vec![UNSET; elems.len() + 1],
        };
        // The classes a walk meets, known before the first state is made (so the table
        // is rarely laid out again): the characters the pattern names, `:`, and one
        // letter and one digit it does not name.
        let mut named = BTreeSet::from([':']);
        Pattern(elems.to_vec()).chars(&mut named);
        let letter = ('a'..='z').find(|c| !named.contains(c));
        let digit = ('0'..='9').find(|c| !named.contains(c));
        for c in named.iter().copied().chain(letter).chain(digit) {
            d.class_of(c);
        }
        let mut start = vec![0u64; words];
        Self::put(&mut start, 0);
        d.close(&mut start);
        d.intern(start);
        d
    }
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
    /// The pattern's class of `c`: two characters of one class lead from every state to
    /// the same state. A class not met before widens the table.
    fn class_of(&mut self, c: char) -> usize {
        if let Some(&k) = self.by_char.get(&c) {
            return k;
        }
        let sig: Vec<bool> = self.distinct.iter().map(|e| e.accepts(c)).collect();
        if let Some(k) = self.classes.iter().position(|(s, _)| *s == sig) {
            self.by_char.insert(c, k);
            return k;
        }
        let old = self.classes.len();
        self.by_char.insert(c, old);
        self.classes.push((sig, c));
        if !self.sets.is_empty() {
            let mut trans = Vec::with_capacity(self.sets.len() * (old + 1));
            for row in self.trans.chunks(old) {
                trans.extend_from_slice(row);
                trans.push(UNSET);
            }
            self.trans = trans;
        }
        old
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
    fn intern(&mut self, set: Vec<u64>) -> u32 {
        if let Some(&i) = self.index.get(&set) {
            return i;
        }
        let i = self.sets.len() as u32;
        self.accepting.push(Self::has(&set, self.elems.len()));
        self.empty.push(set.iter().all(|w| *w == 0));
        self.full
            .push(self.tail < self.elems.len() && Self::next(&set, self.tail).is_some());
        self.index.insert(set.clone(), i);
        self.sets.push(set);
        self.trans
            .extend(std::iter::repeat_n(UNSET, self.classes.len()));
        i
    }
    /// The state after reading a character of the pattern's class `class` in state `s`.
    #[inline]
    fn step(&mut self, s: u32, class: usize) -> u32 {
        let t = self.trans[s as usize * self.classes.len() + class];
        if t != UNSET {
            return t;
        }
        self.step_new(s, class)
    }
    #[cold]
    fn step_new(&mut self, s: u32, class: usize) -> u32 {
        let c = self.classes[class].1;
        let stride = self.classes.len();
        // A state of one position, no star at it: the next position's state (closed) if
        // its element accepts `c`, else the dead state; each made once, then found here.
        let set = &self.sets[s as usize];
        let one = (set.iter().map(|w| w.count_ones()).sum::<u32>() == 1)
            .then(|| Self::next(set, 0).expect("one position"))
            .filter(|&i| !self.elems.get(i).is_some_and(|e| e.is_star()))
            .map(|i| (i, self.elems.get(i).is_some_and(|e| e.accepts(c))));
        let known = match one {
            Some((i, true)) => self.after[i + 1],
            Some((_, false)) => self.dead,
            None => UNSET,
        };
        if known != UNSET {
            self.trans[s as usize * stride + class] = known;
            return known;
        }
        let mut out = vec![0u64; self.words];
        {
            let set = &self.sets[s as usize];
            let mut from = 0;
            while let Some(i) = Self::next(set, from) {
                if let Some(e) = self.elems.get(i)
                    && e.accepts(c)
                {
                    Self::put(&mut out, if e.is_star() { i } else { i + 1 });
                }
                from = i + 1;
            }
        }
        self.close(&mut out);
        let t = self.intern(out);
        self.trans[s as usize * stride + class] = t;
        match one {
            Some((i, true)) => self.after[i + 1] = t,
            Some((_, false)) => self.dead = t,
            None => {}
        }
        t
    }
}

/// At most this many patterns' automata are kept (a thread's, and the process's
/// copies); then they start again.
const KEPT_DFAS: usize = 4096;

thread_local! {
    static DFAS: std::cell::RefCell<HashMap<Pattern, Dfa, Fx>> =
        std::cell::RefCell::new(HashMap::default());
}

/// Copies of the automata, filled in furthest, for threads that have not made them: a
/// thread that decides questions of a template ([`super::par`]) starts with none of its
/// own. An automaton is a function of its pattern, filled in lazily, so any copy serves.
fn shared_dfas() -> &'static Mutex<HashMap<Pattern, Dfa, Fx>> {
    static DFAS: OnceLock<Mutex<HashMap<Pattern, Dfa, Fx>>> = OnceLock::new();
    DFAS.get_or_init(Mutex::default)
}

/// Runs `f` with the automata of `patterns` (in order): the thread's own made before, or
/// a copy of the process's, or new; keeps them on the thread for its next walk, and
/// gives the process a copy of those the walk filled in further than its own.
fn with_dfas<T>(patterns: &[&Pattern], f: impl FnOnce(&mut [Dfa]) -> T) -> T {
    let mut own: Vec<Option<Dfa>> =
        DFAS.with_borrow_mut(|kept| patterns.iter().map(|p| kept.remove(*p)).collect());
    if own.iter().any(Option::is_none) {
        let shared = shared_dfas().lock().expect("the automata");
        for (d, p) in own.iter_mut().zip(patterns) {
            if d.is_none() {
                *d = shared.get(*p).cloned();
            }
        }
    }
    let mut dfas: Vec<Dfa> = own
        .into_iter()
        .zip(patterns)
        .map(|(d, p)| d.unwrap_or_else(|| Dfa::new(&p.0)))
        .collect();
    let before: Vec<usize> = dfas.iter().map(|d| d.sets.len()).collect();
    let out = f(&mut dfas);
    if dfas.iter().zip(&before).any(|(d, &n)| d.sets.len() > n) {
        let mut shared = shared_dfas().lock().expect("the automata");
        if shared.len() + dfas.len() > KEPT_DFAS {
            shared.clear();
        }
        for ((d, &n), p) in dfas.iter().zip(&before).zip(patterns) {
            let further = shared.get(*p).is_none_or(|k| k.sets.len() < d.sets.len());
            if d.sets.len() > n && further {
                shared.insert((*p).clone(), d.clone());
            }
        }
    }
    DFAS.with_borrow_mut(|kept| {
        if kept.len() + dfas.len() > KEPT_DFAS {
            kept.clear();
        }
        for (p, d) in patterns.iter().zip(dfas) {
            kept.insert((*p).clone(), d);
        }
    });
    out
}

/// FxHash (rustc's hasher): the walk hashes short vectors of small integers millions
/// of times, where SipHash's resistance to chosen keys buys nothing and cost a quarter
/// of the prover's instructions.
#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(b));
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_u32(&mut self, x: u32) {
        self.write_u64(u64::from(x));
    }
    fn write_usize(&mut self, x: usize) {
        self.write_u64(x as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// The builder of [`FxHasher`]s.
pub type Fx = std::hash::BuildHasherDefault<FxHasher>;

/// What the walk answers: one string per realizable vector of matches.
pub type Regions = BTreeMap<Vec<bool>, String>;

type CacheKey = (Vec<Pattern>, Option<Pattern>, Vec<String>, usize);
/// A walk's answer, made once: a walk asked on two threads at once is made by the
/// first, the other waiting for it.
type Walk = Arc<OnceLock<Result<Arc<Regions>, TooLarge>>>;
type Cache = Mutex<HashMap<CacheKey, Walk, Fx>>;

/// Walks already made in this process: the same policy is asked several questions (its
/// identity, resource and network perimeters, the claims), each over the same patterns.
fn cache() -> &'static Cache {
    static C: OnceLock<Cache> = OnceLock::new();
    C.get_or_init(Mutex::default)
}

/// For `patterns`, one string per realizable vector of matches (`true` where the string
/// matches that pattern), the shortest such string; `preferred` strings are used instead
/// where they realize the same vector (readable witnesses). Gives up after `limit`
/// automaton states.
pub fn regions(
    patterns: &[Pattern],
    preferred: &[String],
    limit: usize,
) -> Result<Arc<Regions>, TooLarge> {
    regions_within(patterns, None, preferred, limit)
}

/// [`regions`] among the strings `within` accepts (a caller's shape): only vectors some
/// string of `within` realizes, each with such a string. Answers from the process's
/// cache when the same walk was made before.
pub fn regions_within(
    patterns: &[Pattern],
    within: Option<&Pattern>,
    preferred: &[String],
    limit: usize,
) -> Result<Arc<Regions>, TooLarge> {
    if let Some(w) = within {
        // A pattern no string of the shape matches is false in every vector: the walk is
        // made without it (smaller, and shared with questions that differ only in such
        // patterns: a role's ARN among the patterns of a federated user's walk), and
        // each vector given its place back; the same `false`s inserted keep the
        // vectors' order. A preferred string outside the shape is never chosen.
        let live: Vec<bool> = patterns.iter().map(|p| !p.disjoint(w)).collect();
        // (Many preferred strings, the catalog's actions, are kept as they are.)
        let few = preferred.len() <= FEW_PREFERRED;
        let inside: Vec<bool> = (preferred.iter())
            .map(|s| !few || !Pattern::literal(s, Fold::None).disjoint(w))
            .collect();
        if live.contains(&false) || inside.contains(&false) {
            let kept: Vec<Pattern> = (patterns.iter().zip(&live))
                .filter(|(_, l)| **l)
                .map(|(p, _)| p.clone())
                .collect();
            let inside: Vec<String> = (preferred.iter().zip(&inside))
                .filter(|(_, i)| **i)
                .map(|(s, _)| s.clone())
                .collect();
            let walked = regions_within_all(&kept, within, &inside, limit)?;
            if kept.len() == patterns.len() {
                return Ok(walked);
            }
            let widen = |v: &Vec<bool>| -> Vec<bool> {
                let mut v = v.iter();
                (live.iter())
                    .map(|l| *l && *v.next().expect("a kept pattern's place"))
                    .collect()
            };
            return Ok(Arc::new(
                walked.iter().map(|(v, s)| (widen(v), s.clone())).collect(),
            ));
        }
    }
    regions_within_all(patterns, within, preferred, limit)
}

/// [`regions_within`] with every pattern and preferred string as given.
fn regions_within_all(
    patterns: &[Pattern],
    within: Option<&Pattern>,
    preferred: &[String],
    limit: usize,
) -> Result<Arc<Regions>, TooLarge> {
    let key = (
        patterns.to_vec(),
        within.cloned(),
        preferred.to_vec(),
        limit,
    );
    let slot = cache()
        .lock()
        .expect("the cache")
        .entry(key)
        .or_default()
        .clone();
    slot.get_or_init(|| walk(patterns, within, preferred, limit).map(Arc::new))
        .clone()
}

/// One string per realizable vector of `patterns` (within `within`): the product's
/// walk, made once for the patterns whatever strings are preferred, and the preferred
/// strings read off it.
fn walk(
    patterns: &[Pattern],
    within: Option<&Pattern>,
    preferred: &[String],
    limit: usize,
) -> Result<Regions, TooLarge> {
    let product = product_of(patterns, within, limit)?;
    Ok(choose(&product, preferred))
}

type ProductKey = (Vec<Pattern>, Option<Pattern>, usize);
type ProductSlot = Arc<OnceLock<Result<Arc<Product>, TooLarge>>>;

/// At most this many products are kept, and at most this many of their moves in all
/// (then they start again): a product keeps a move for each state and character class,
/// and a walk may reach its limit of states.
const KEPT_PRODUCTS: usize = 1024;
const KEPT_MOVES: usize = 16 << 20;

/// The product of `patterns` (and `within`), made once a process: questions of one
/// policy walk the same patterns with different preferred strings (the policy's own
/// names, or with the catalog's actions), which change only which string stands for a
/// vector, not the walk.
fn product_of(
    patterns: &[Pattern],
    within: Option<&Pattern>,
    limit: usize,
) -> Result<Arc<Product>, TooLarge> {
    static PRODUCTS: OnceLock<Mutex<HashMap<ProductKey, ProductSlot, Fx>>> = OnceLock::new();
    // The moves the kept products hold (counted when each is made).
    static MOVES: AtomicUsize = AtomicUsize::new(0);
    let slot = {
        let mut kept = PRODUCTS
            .get_or_init(Mutex::default)
            .lock()
            .expect("the products");
        let key = (patterns.to_vec(), within.cloned(), limit);
        let full = kept.len() >= KEPT_PRODUCTS || MOVES.load(Ordering::Relaxed) > KEPT_MOVES;
        if full && !kept.contains_key(&key) {
            kept.clear();
            MOVES.store(0, Ordering::Relaxed);
        }
        kept.entry(key).or_default().clone()
    };
    slot.get_or_init(|| {
        let made = make_product(patterns, within, limit)?;
        MOVES.fetch_add(made.walked.moves.len(), Ordering::Relaxed);
        Ok(Arc::new(made))
    })
    .clone()
}

/// The walk of a product, and how a character is walked.
struct Product {
    walked: Walked,
    /// Each character's class (see [`Product::class`]).
    class_of: HashMap<char, usize, Fx>,
    /// The character that stands for those no pattern names.
    fresh: char,
    /// The digit that stands for the digits no pattern names, when a pattern has digits.
    other_digit: Option<char>,
}

impl Product {
    /// The class of the alphabet a character is walked as: its own, or the class of
    /// the character that stands for it.
    fn class(&self, c: char) -> usize {
        self.class_of.get(&c).copied().unwrap_or_else(|| {
            let stand = match self.other_digit {
                Some(d) if c.is_ascii_digit() => d,
                _ => self.fresh,
            };
            self.class_of[&stand]
        })
    }
}

fn make_product(
    patterns: &[Pattern],
    within: Option<&Pattern>,
    limit: usize,
) -> Result<Product, TooLarge> {
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
    let mut other_digit = None;
    if patterns.iter().chain(within).any(Pattern::has_digit)
        && let Some(d) = ('0'..='9').find(|c| !alphabet.contains(c))
    {
        alphabet.insert(d);
        other_digit = Some(d);
    }
    // Characters every element of every pattern treats alike (a letter and its other
    // case, to patterns that fold case) lead to the same states: one of each class is
    // walked, the lower-case one where the class has it.
    let all: Vec<&Pattern> = patterns.iter().chain(within).collect();
    let elems: BTreeSet<Elem> = all.iter().flat_map(|p| p.0.iter().copied()).collect();
    let mut by_sig: BTreeMap<Vec<bool>, char> = BTreeMap::new();
    let mut sig_of: Vec<(char, Vec<bool>)> = Vec::new();
    for &c in &alphabet {
        let sig: Vec<bool> = elems.iter().map(|e| e.accepts(c)).collect();
        sig_of.push((c, sig.clone()));
        by_sig
            .entry(sig)
            .and_modify(|r| {
                if r.is_ascii_uppercase() && c.is_ascii_lowercase() {
                    *r = c;
                }
            })
            .or_insert(c);
    }
    let mut alphabet: Vec<char> = by_sig.values().copied().collect();
    alphabet.sort_unstable();
    // Every character of the alphabet's class; any other character is one no pattern
    // names, walked as `fresh`, or an unnamed digit, walked as the digit standing for them.
    let class_of: HashMap<char, usize, Fx> = sig_of
        .iter()
        .map(|(c, sig)| {
            let rep = by_sig[sig];
            (*c, alphabet.binary_search(&rep).expect("a class"))
        })
        .collect();
    let n = patterns.len();
    let walked = with_dfas(&all, |dfas| {
        // Each walk class as each pattern's own class.
        let own: Vec<Vec<usize>> = dfas
            .iter_mut()
            .map(|d| alphabet.iter().map(|&c| d.class_of(c)).collect())
            .collect();
        product(dfas, &own, n, within.is_some(), &alphabet, limit)
    })?;
    Ok(Product {
        walked,
        class_of,
        fresh,
        other_digit,
    })
}

/// Product states in one arena, found again by their contents: the walk meets each
/// state many times and keeps the first.
struct StateTable {
    arena: Vec<u32>,
    /// Where state `i` starts in `arena` (state `i` ends where `i + 1` starts).
    starts: Vec<usize>,
    /// Open addressing: a state's index plus one, 0 for a free slot.
    slots: Vec<u32>,
}

impl StateTable {
    fn new() -> Self {
        StateTable {
            arena: Vec::new(),
            starts: vec![0],
            slots: vec![0; 1024],
        }
    }
    fn len(&self) -> usize {
        self.starts.len() - 1
    }
    fn get(&self, i: usize) -> &[u32] {
        &self.arena[self.starts[i]..self.starts[i + 1]]
    }
    fn hash(state: &[u32]) -> u64 {
        use std::hash::Hasher;
        let mut h = FxHasher::default();
        for &x in state {
            h.write_u32(x);
        }
        h.write_usize(state.len());
        h.finish()
    }
    /// The slot where `state` is, or the free slot where it would go.
    fn slot(&self, state: &[u32]) -> usize {
        let mask = self.slots.len() - 1;
        let mut i = Self::hash(state) as usize & mask;
        loop {
            match self.slots[i] {
                0 => return i,
                k if self.get(k as usize - 1) == state => return i,
                _ => i = (i + 1) & mask,
            }
        }
    }
    /// Adds `state` unless it is there: its index, and whether it was added.
    fn insert(&mut self, state: &[u32]) -> (usize, bool) {
        let i = self.slot(state);
        if self.slots[i] != 0 {
            return (self.slots[i] as usize - 1, false);
        }
        self.arena.extend_from_slice(state);
        self.starts.push(self.arena.len());
        self.slots[i] = self.len() as u32;
        if self.len() * 2 > self.slots.len() {
            let mut slots = vec![0u32; self.slots.len() * 2];
            let mask = slots.len() - 1;
            for k in 1..=self.len() {
                let mut j = Self::hash(self.get(k - 1)) as usize & mask;
                while slots[j] != 0 {
                    j = (j + 1) & mask;
                }
                slots[j] = k as u32;
            }
            self.slots = slots;
        }
        (self.len() - 1, true)
    }
}

/// The successors of a state the walk compares a step with before it asks the table.
const MET: usize = 4;

/// Up to this many preferred strings are each tested against the shape before a walk.
const FEW_PREFERRED: usize = 64;

/// A pattern matched for good, in a product state.
const FULL: u32 = u32::MAX;

/// Whether each of the first `n` patterns accepts in a product state.
fn accepts(state: &[u32], dfas: &[Dfa], n: usize, out: &mut Vec<bool>) {
    out.clear();
    out.resize(n, false);
    for pair in state.chunks(2) {
        let k = pair[0] as usize;
        if k < n {
            out[k] = pair[1] == FULL || dfas[k].accepting[pair[1] as usize];
        }
    }
}

/// The breadth-first walk of the patterns' product: the first state (in the walk's
/// order) of every realizable vector of matches, and each state's parent and the
/// character that led to it.
///
/// A state lists the patterns still undecided with their DFA states, then those that
/// match whatever follows: a pattern that can no longer match is left out, so the walk
/// steps only the few patterns alive past a literal prefix. Pairs (pattern, DFA state)
/// in pattern order; `FULL` marks a pattern matched for good. Pattern `n`, when `shape`,
/// is the shape the strings must stay within.
struct Walked {
    /// The first state met with each vector of `vectors`.
    firsts: Vec<usize>,
    parents: Vec<(usize, char)>,
    /// `moves[state * classes + class]`, the state a character of `class` leads to
    /// (`UNSET` from a state outside the shape for good, which the walk does not go on
    /// from); each state's vector of matches (an index into `vectors`), `NONE` outside
    /// the shape.
    moves: Vec<u32>,
    classes: usize,
    vector_of: Vec<u32>,
    vectors: Vec<Vec<bool>>,
}

/// A state outside the shape has no vector.
const NONE: u32 = u32::MAX;

fn product(
    dfas: &mut [Dfa],
    own: &[Vec<usize>],
    n: usize,
    shape: bool,
    alphabet: &[char],
    limit: usize,
) -> Result<Walked, TooLarge> {
    // The shape's own part of a state: gone (dead) or accepting.
    let shape_state = |state: &[u32]| -> Option<u32> {
        state.chunks(2).find(|p| p[0] as usize == n).map(|p| p[1])
    };
    let mut start: Vec<u32> = Vec::new();
    for (k, d) in dfas.iter().enumerate() {
        if !d.empty[0] {
            start.extend([k as u32, if d.full[0] { FULL } else { 0 }]);
        }
    }
    let mut states = StateTable::new();
    states.insert(&start);
    let mut parents: Vec<(usize, char)> = vec![(usize::MAX, '\0')];
    // Each vector met, its index in `vectors` and the first state that has it.
    let mut ids: HashMap<Vec<bool>, u32, Fx> = HashMap::default();
    let mut vectors: Vec<Vec<bool>> = Vec::new();
    let mut firsts: Vec<usize> = Vec::new();
    let mut vector_of: Vec<u32> = Vec::new();
    let mut state: Vec<u32> = Vec::new();
    let mut next: Vec<u32> = Vec::new();
    let mut vector: Vec<bool> = Vec::new();
    let mut moves: Vec<u32> = Vec::new();
    let mut seen: Vec<u32> = Vec::new();
    let mut met: Vec<(usize, usize, usize)> = Vec::new();
    let mut at = 0;
    while at < parents.len() {
        state.clear();
        state.extend_from_slice(states.get(at));
        let shaped = shape_state(&state);
        let inside = !shape || shaped.is_some_and(|s| s == FULL || dfas[n].accepting[s as usize]);
        if inside {
            accepts(&state, dfas, n, &mut vector);
            let id = match ids.get(&vector) {
                Some(&id) => id,
                None => {
                    let id = vectors.len() as u32;
                    ids.insert(vector.clone(), id);
                    vectors.push(vector.clone());
                    firsts.push(at);
                    id
                }
            };
            vector_of.push(id);
        } else {
            vector_of.push(NONE);
        }
        moves.resize(moves.len() + alphabet.len(), UNSET);
        if !shape || shaped.is_some() {
            // Most characters lead from a state to one of a few states: each state met
            // from this one is kept here (where it starts in `seen`, its index), and a
            // character that leads to one of them is not looked up in the table.
            seen.clear();
            met.clear();
            for (class, &c) in alphabet.iter().enumerate() {
                next.clear();
                for pair in state.chunks(2) {
                    let (k, s) = (pair[0], pair[1]);
                    if s == FULL {
                        next.extend([k, FULL]);
                        continue;
                    }
                    let d = &mut dfas[k as usize];
                    let t = d.step(s, own[k as usize][class]);
                    if d.full[t as usize] {
                        next.extend([k, FULL]);
                    } else if !d.empty[t as usize] {
                        next.extend([k, t]);
                    }
                }
                // (The first few only: a state with many successors asks the table.)
                let known = (met.iter().take(MET))
                    .find(|&&(from, to, _)| seen[from..to] == next[..])
                    .map(|&(_, _, i)| i);
                let to = match known {
                    Some(i) => i,
                    None => {
                        let (to, added) = states.insert(&next);
                        if added {
                            if parents.len() >= limit {
                                return Err(TooLarge(limit));
                            }
                            parents.push((at, c));
                        }
                        if met.len() < MET {
                            met.push((seen.len(), seen.len() + next.len(), to));
                            seen.extend_from_slice(&next);
                        }
                        to
                    }
                };
                moves[at * alphabet.len() + class] = to as u32;
            }
        }
        at += 1;
    }
    Ok(Walked {
        firsts,
        parents,
        moves,
        classes: alphabet.len(),
        vector_of,
        vectors,
    })
}

/// One string per realizable vector: the walk's shortest, or the first `preferred`
/// string that realizes the same vector (its vector read off the product's moves).
fn choose(product: &Product, preferred: &[String]) -> Regions {
    let w = &product.walked;
    let text = |mut i: usize| -> String {
        let mut cs = Vec::new();
        while w.parents[i].0 != usize::MAX {
            cs.push(w.parents[i].1);
            i = w.parents[i].0;
        }
        cs.into_iter().rev().collect()
    };
    let mut out: Regions = (w.vectors.iter().zip(&w.firsts))
        .map(|(v, &i)| (v.clone(), text(i)))
        .collect();
    // Whether each vector has its preferred string yet.
    let mut taken = vec![false; w.vectors.len()];
    let mut left = w.vectors.len();
    for p in preferred {
        // Every class has its preferred string: the rest (the catalog's actions after
        // the policies' own) can change nothing.
        if left == 0 {
            break;
        }
        // The product's moves: a string that leaves the shape for good is no string of
        // it.
        let mut s = 0usize;
        for c in p.chars() {
            match w.moves[s * w.classes + product.class(c)] {
                UNSET => {
                    s = usize::MAX;
                    break;
                }
                t => s = t as usize,
            }
        }
        let Some(&id) = w.vector_of.get(s) else {
            continue;
        };
        if id != NONE && !taken[id as usize] {
            taken[id as usize] = true;
            left -= 1;
            out.insert(w.vectors[id as usize].clone(), p.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_walk_serves_every_list_of_preferred_strings() {
        let ps: Vec<Pattern> = ["arn:aws:s3:::a*", "arn:aws:s3:::b*", "arn:aws:s3:::*x"]
            .iter()
            .map(|g| Pattern::glob(g, Fold::None))
            .collect();
        let strings = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        // The same patterns asked with other preferred strings (a limit of their own
        // keeps these walks apart from other tests' in the process's caches).
        let limit = 100_003;
        let plain = regions(&ps, &[], limit).unwrap();
        let first = regions(&ps, &strings(&["arn:aws:s3:::apple"]), limit).unwrap();
        let second = regions(
            &ps,
            &strings(&[
                "arn:aws:s3:::zzz",
                "arn:aws:s3:::avocado",
                "arn:aws:s3:::box",
            ]),
            limit,
        )
        .unwrap();
        let keys = |r: &Regions| r.keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(&plain), keys(&first));
        assert_eq!(keys(&plain), keys(&second));
        let a = vec![true, false, false];
        let b_x = vec![false, true, true];
        let none = vec![false, false, false];
        assert_eq!(first[&a], "arn:aws:s3:::apple");
        assert_eq!(second[&a], "arn:aws:s3:::avocado");
        assert_eq!(second[&b_x], "arn:aws:s3:::box");
        assert_eq!(second[&none], "arn:aws:s3:::zzz");
        // Vectors no preferred string realizes keep the walk's own shortest string.
        assert_eq!(first[&b_x], plain[&b_x]);
        for (r, v) in [(&plain, &a), (&first, &b_x), (&second, &none)] {
            let got: Vec<bool> = ps.iter().map(|p| p.matches(&r[v])).collect();
            assert_eq!(&got, v, "{}", r[v]);
        }
    }

    #[test]
    fn patterns_outside_the_shape_are_left_out_of_the_walk_and_change_nothing() {
        let mut ps: Vec<Pattern> = [
            "arn:aws:iam::123456789012:role/App",
            "arn:aws:iam::123456789012:role/*",
            "arn:aws:iam::*:user/*",
            "arn:aws-cn:iam::*",
            "arn:aws:sts::123456789012:federated-user/Bob",
            "*:root",
            "arn:aws:iam::???456789012:root",
            "ARN:*",
        ]
        .iter()
        .flat_map(|g| Pattern::arn(g))
        .collect();
        ps.extend(Pattern::field(4, "123456789012"));
        ps.extend(Pattern::field(4, ""));
        ps.push(Pattern::glob("arn:AWS:iam::*", Fold::Ascii));
        ps.push(Pattern::glob(
            "arn:aws:iam::123456789012:role/app",
            Fold::Lower,
        ));
        let digits = || std::iter::repeat_n(Elem::Digit, 12);
        let shape = |partition: &str, rest: &[Elem]| {
            let mut p = Pattern::literal(&format!("arn:{partition}:iam::"), Fold::None).0;
            p.extend(digits());
            p.push(Elem::Ch(':', Fold::None));
            p.extend_from_slice(rest);
            Pattern(p)
        };
        let lit = |s: &str| Pattern::literal(s, Fold::None).0;
        let mut role = lit("role/");
        role.extend([Elem::OneNot('/'), Elem::StarNot('/')]);
        let shapes = [
            shape("aws", &lit("root")),
            shape("aws-cn", &lit("root")),
            shape("aws", &role),
        ];
        let preferred: Vec<String> = [
            "arn:aws:iam::123456789012:role/App",
            "arn:aws:iam::111122223333:root",
            "arn:aws:iam::111122223333:user/witness",
        ]
        .map(String::from)
        .to_vec();
        let mut pruned = 0;
        for w in &shapes {
            for p in &ps {
                // Disjoint: no string of the walk of the two matches both.
                if p.disjoint(w) {
                    pruned += 1;
                    let r = regions_within_all(std::slice::from_ref(p), Some(w), &[], 10_000);
                    assert!(!r.unwrap().contains_key(&vec![true]), "{p:?} {w:?}");
                }
            }
            let all = regions_within_all(&ps, Some(w), &preferred, 100_000).unwrap();
            let some = regions_within(&ps, Some(w), &preferred, 100_000).unwrap();
            assert_eq!(
                all.keys().collect::<Vec<_>>(),
                some.keys().collect::<Vec<_>>()
            );
            for (v, s) in some.iter() {
                assert!(w.matches(s), "{s}");
                let got: Vec<bool> = ps.iter().map(|p| p.matches(s)).collect();
                assert_eq!(&got, v, "{s}");
            }
        }
        assert!(pruned > 10, "{pruned}");
    }

    #[test]
    fn the_automata_accept_what_the_patterns_match() {
        // Each pattern's DFA (its one-position states stepped by the shortcut, the others
        // by their sets) against the pattern run directly, on every string of up to five
        // characters over an alphabet of the patterns' own characters and others; the
        // same DFA kept from string to string, as walks keep it.
        let mut ps: Vec<Pattern> = ["ab*c", "a?c", "*", "abc", "a*b*", "ab", "*ab?"]
            .iter()
            .map(|g| Pattern::glob(g, Fold::None))
            .collect();
        ps.extend(Pattern::arn("a:b:*:?:c:d*"));
        ps.extend(Pattern::field(2, "ab"));
        ps.push(Pattern::glob("AB*", Fold::Ascii));
        ps.push(Pattern::glob("k?", Fold::Lower));
        let alphabet = ['a', 'b', 'c', 'A', ':', 'k', KELVIN, 'z', '1'];
        let mut strings = vec![String::new()];
        for _ in 0..5 {
            let longer: Vec<String> = (strings.iter())
                .filter(|s| s.chars().count() == strings.last().unwrap().chars().count())
                .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
                .collect();
            strings.extend(longer);
        }
        assert!(strings.len() > 60_000, "{}", strings.len());
        for p in &ps {
            let mut d = Dfa::new(&p.0);
            for s in &strings {
                let mut at = 0;
                for c in s.chars() {
                    let k = d.class_of(c);
                    at = d.step(at, k);
                }
                assert_eq!(d.accepting[at as usize], p.matches(s), "{p:?} {s:?}");
            }
        }
    }

    #[test]
    fn every_combination_of_two_globs_is_found() {
        let ps = [
            Pattern::glob("a*", Fold::None),
            Pattern::glob("*b", Fold::None),
        ];
        let r = regions(&ps, &[], 1000).unwrap();
        assert_eq!(r.len(), 4);
        assert_eq!(r[&vec![true, true]], "ab");
        for (v, s) in r.iter() {
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
