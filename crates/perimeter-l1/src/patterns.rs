//! The schemas' `pattern`s, read as cfn-lint reads them (Python's `regex` module, with
//! `search`), by Rust's `regex` crate: a pattern whose meaning the two engines could read
//! differently, or that Rust's cannot compile (lookaround, backreferences), gives no
//! verdict, never a finding.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use regex::Regex;

/// Whether `text` matches `pattern` somewhere (a search, as cfn-lint's), or `None` when
/// the pattern cannot be read here the way Python reads it.
///
/// ```
/// use perimeter_l1::patterns::search;
/// assert_eq!(search("^[a-z]+$", "abc"), Some(true));
/// assert_eq!(search("^[a-z]+$", "ab'c"), Some(false));
/// // Python's `$` also matches before a final newline (a YAML block scalar's).
/// assert_eq!(search("^[a-z]+$", "abc\n"), Some(true));
/// // Lookahead: Rust's engine has none, so no verdict.
/// assert_eq!(search("^(?!aws)[a-z]+$", "abc"), None);
/// ```
pub fn search(pattern: &str, text: &str) -> Option<bool> {
    static CACHE: OnceLock<Mutex<HashMap<String, Compiled>>> = OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    // Looked up by the borrowed pattern: the key is copied only the first time.
    if !cache.contains_key(pattern) {
        cache.insert(
            pattern.to_string(),
            Compiled {
                rust: translate(pattern),
                simple: None,
                ascii: None,
                unicode: None,
                answers: HashMap::new(),
            },
        );
    }
    let compiled = cache.get_mut(pattern).expect("inserted above");
    // A template repeats its values (one tag, name or description on many resources):
    // each text is matched once a pattern.
    if let Some(&found) = compiled.answers.get(text) {
        return found;
    }
    let found = search_compiled(compiled, text);
    if text.len() <= MAX_REMEMBERED_TEXT && compiled.answers.len() < MAX_REMEMBERED {
        compiled.answers.insert(text.to_string(), found);
    }
    found
}

/// The longest text whose answer is kept, and how many answers a pattern keeps: bounds
/// on the memory of a process that checks many templates.
const MAX_REMEMBERED_TEXT: usize = 1024;
const MAX_REMEMBERED: usize = 4096;

fn search_compiled(compiled: &mut Compiled, text: &str) -> Option<bool> {
    let rust = compiled.rust.clone()?;
    // Python's `$` (no MULTILINE) matches at the end and before a final newline.
    let shorter = text.strip_suffix('\n');
    if text.is_ascii()
        && let Some(simple) = compiled
            .simple
            .get_or_insert_with(|| simple::Simple::parse(&rust))
        && let Some(found) = simple.is_match(text.as_bytes())
    {
        // The shorter text is never too long where the whole was not.
        let again = || shorter.is_some_and(|s| simple.is_match(s.as_bytes()) == Some(true));
        return Some(found || again());
    }
    regex_search(compiled, &rust, text, shorter)
}

/// What the regex crate answers, without the matcher of simple patterns (for tests that
/// hold the two equal).
#[doc(hidden)]
pub fn search_by_regex(pattern: &str, text: &str) -> Option<bool> {
    static CACHE: OnceLock<Mutex<HashMap<String, Compiled>>> = OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let compiled = cache
        .entry(pattern.to_string())
        .or_insert_with(|| Compiled {
            rust: translate(pattern),
            simple: None,
            ascii: None,
            unicode: None,
            answers: HashMap::new(),
        });
    let rust = compiled.rust.clone()?;
    regex_search(compiled, &rust, text, text.strip_suffix('\n'))
}

/// Whether `pattern` is one the matcher of simple patterns reads (for tests).
#[doc(hidden)]
pub fn is_simple(pattern: &str) -> bool {
    translate(pattern).is_some_and(|r| simple::Simple::parse(&r).is_some())
}

fn regex_search(
    compiled: &mut Compiled,
    rust: &str,
    text: &str,
    shorter: Option<&str>,
) -> Option<bool> {
    if text.is_ascii() {
        // On ASCII text a pattern's Unicode classes (\w, \d, [^...]) match exactly what
        // their ASCII forms match, and compile to automata many times smaller: the
        // schemas' `[\w+=,.@-]{1,64}` in Unicode cost most of check's time.
        let ascii = compiled.ascii.get_or_insert_with(|| {
            regex::bytes::RegexBuilder::new(rust)
                .unicode(false)
                .build()
                .ok()
        });
        if let Some(re) = ascii {
            return Some(
                re.is_match(text.as_bytes()) || shorter.is_some_and(|s| re.is_match(s.as_bytes())),
            );
        }
    }
    let re = compiled
        .unicode
        .get_or_insert_with(|| Regex::new(rust).ok())
        .as_ref()?;
    Some(re.is_match(text) || shorter.is_some_and(|s| re.is_match(s)))
}

/// A pattern in Rust's syntax (`None`: no verdict), compiled when first needed: for
/// ASCII text without Unicode classes, and with them for other text.
struct Compiled {
    rust: Option<String>,
    simple: Option<Option<simple::Simple>>,
    ascii: Option<Option<regex::bytes::Regex>>,
    unicode: Option<Option<Regex>>,
    /// Texts already matched, and the answer (see [`search`]).
    answers: HashMap<String, Option<bool>>,
}

/// The pattern in Rust's syntax, or `None` where the engines differ: `\Z` is Rust's `\z`;
/// inside a class Rust reads `[` as a nested class and `&&`, `~~` as set operations,
/// where Python reads them as the characters (escaped here); `--` is a set difference in
/// Rust and part of a range in Python (no verdict).
fn translate(pattern: &str) -> Option<String> {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    let mut class_start = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let next = chars.next()?;
                if next == 'Z' {
                    out.push_str("\\z");
                } else {
                    out.push('\\');
                    out.push(next);
                }
                class_start = false;
                continue;
            }
            // Python reads these as the characters inside a class; so does Rust, escaped.
            '[' | '&' | '~' if in_class => {
                out.push('\\');
                out.push(c);
                class_start = false;
                continue;
            }
            '[' => {
                in_class = true;
                class_start = true;
                out.push(c);
                // `[^` and a leading `]` are part of the class's opening.
                if chars.peek() == Some(&'^') {
                    out.push(chars.next()?);
                }
                if chars.peek() == Some(&']') {
                    chars.next();
                    out.push_str("\\]");
                }
                continue;
            }
            ']' if in_class => in_class = false,
            // `--` is a set difference in Rust and a range in Python: no verdict.
            '-' if in_class && !class_start && chars.peek() == Some(&'-') => return None,
            _ => {}
        }
        class_start = false;
        out.push(c);
    }
    Some(out)
}

/// Patterns of single-character atoms (literals, `[...]` classes, `.`, `\w`-style
/// escapes), groups and alternation, with greedy quantifiers and the `^` and `$` anchors:
/// nearly all of the schemas' patterns, matched on ASCII text without an automaton
/// compiled first (the regex crate's build of `^[\w \-_,\/]{1,100}$` and three others
/// cost a synth of the shipped blueprint 1.2 M instructions, more than the rest of a
/// target's validation). The matcher carries the set of text positions a match can
/// have reached, node by node: exact for regular patterns, one pass over the text per
/// atom. It reads the pattern as the regex crate reads the translated one, and declines
/// (`None`: the regex crate answers) whatever it is not sure of: lookaround, flags,
/// backreferences, lazy or possessive quantifiers, `{,n}`, counts over 1,000, `\b`-style
/// escapes, nested or set-operation classes; and text over 1,024 characters for a
/// pattern with groups.
mod simple {
    /// A node of a pattern, for ASCII text.
    enum Node {
        /// One character of a set, `min` to `max` times.
        Atom { set: u128, min: usize, max: usize },
        /// One of the alternatives, `min` to `max` times.
        Group {
            alternatives: Vec<Vec<Node>>,
            min: usize,
            max: usize,
        },
        /// `^`: the start of the text.
        Start,
        /// `$`: the end of the text.
        End,
    }

    /// A simple pattern, parsed.
    pub(super) struct Simple {
        alternatives: Vec<Vec<Node>>,
        groups: bool,
    }

    const ASCII: u128 = u128::MAX;
    const MANY: usize = usize::MAX / 2;

    fn bit(c: char) -> u128 {
        if c.is_ascii() { 1u128 << (c as u32) } else { 0 }
    }

    fn range(lo: char, hi: char) -> u128 {
        (lo as u32..=(hi as u32).min(127)).fold(0, |s, c| s | 1u128 << c)
    }

    fn word() -> u128 {
        range('0', '9') | range('A', 'Z') | range('a', 'z') | bit('_')
    }

    fn space() -> u128 {
        range('\t', '\r') | bit(' ')
    }

    /// An escape after the backslash at `cs[i]`: its set, the index after it, and the
    /// character when it is one (a range's end).
    fn escape(cs: &[char], i: usize) -> Option<(u128, usize, Option<char>)> {
        let d = *cs.get(i)?;
        let class = |set: u128| Some((set, i + 1, None));
        let hex = |n: usize| {
            let digits: String = cs.get(i + 1..i + 1 + n)?.iter().collect();
            if !digits.chars().all(|c| c.is_ascii_hexdigit()) {
                return None;
            }
            let c = char::from_u32(u32::from_str_radix(&digits, 16).ok()?)?;
            Some((bit(c), i + 1 + n, Some(c)))
        };
        let one = |c: char| Some((bit(c), i + 1, Some(c)));
        match d {
            'w' => class(word()),
            'W' => class(ASCII & !word()),
            'd' => class(range('0', '9')),
            'D' => class(ASCII & !range('0', '9')),
            's' => class(space()),
            'S' => class(ASCII & !space()),
            'n' => one('\n'),
            't' => one('\t'),
            'r' => one('\r'),
            'f' => one('\x0c'),
            'v' => one('\x0b'),
            'x' => hex(2),
            'u' => hex(4),
            // `\<` and `\>` are word boundaries to the regex crate.
            '<' | '>' => None,
            c if c.is_ascii_punctuation() => one(c),
            _ => None,
        }
    }

    /// A class whose `[` is at `cs[i - 1]`: its set and the index after its `]`.
    fn class(cs: &[char], mut i: usize) -> Option<(u128, usize)> {
        let negated = cs.get(i) == Some(&'^');
        if negated {
            i += 1;
        }
        if cs.get(i) == Some(&']') {
            return None;
        }
        let mut set = 0u128;
        let mut after_range = false;
        loop {
            let c = *cs.get(i)?;
            let (item, next, single) = match c {
                ']' => break,
                '[' => return None,
                '-' if cs.get(i + 1) == Some(&'-') => return None,
                '-' if after_range && cs.get(i + 1) != Some(&']') => return None,
                '\\' => escape(cs, i + 1)?,
                c => (bit(c), i + 1, Some(c)),
            };
            after_range = false;
            if cs.get(next) == Some(&'-') && cs.get(next + 1).is_some_and(|c| *c != ']') {
                let lo = single?;
                let (_, after, hi) = match cs[next + 1] {
                    '\\' => escape(cs, next + 2)?,
                    '[' => return None,
                    c => (bit(c), next + 2, Some(c)),
                };
                let hi = hi?;
                if lo > hi {
                    return None;
                }
                set |= if lo.is_ascii() { range(lo, hi) } else { 0 };
                i = after;
                after_range = true;
            } else {
                set |= item;
                i = next;
            }
        }
        Some((if negated { ASCII & !set } else { set }, i + 1))
    }

    /// The quantifier at `cs[i]`, if any: least, most, and the index after it.
    fn quantifier(cs: &[char], i: usize) -> Option<(usize, usize, usize)> {
        let (min, max, next) = match cs.get(i) {
            Some('?') => (0, 1, i + 1),
            Some('*') => (0, MANY, i + 1),
            Some('+') => (1, MANY, i + 1),
            Some('{') => {
                let close = i + cs[i..].iter().position(|c| *c == '}')?;
                let inside: String = cs[i + 1..close].iter().collect();
                let number = |s: &str| {
                    (!s.is_empty() && s.chars().all(|c| c.is_ascii_digit()))
                        .then(|| s.parse::<usize>().ok())
                        .flatten()
                        .filter(|n| *n <= 1000)
                };
                let (min, max) = match inside.split_once(',') {
                    None => (number(&inside)?, number(&inside)?),
                    Some((lo, "")) => (number(lo)?, MANY),
                    Some((lo, hi)) => (number(lo)?, number(hi)?),
                };
                if min > max {
                    return None;
                }
                (min, max, close + 1)
            }
            _ => return Some((1, 1, i)),
        };
        // Lazy and possessive forms, and a quantifier quantified: the regex crate's.
        if matches!(cs.get(next), Some('?' | '+' | '*' | '{')) {
            return None;
        }
        Some((min, max, next))
    }

    /// Alternatives from `cs[i]` to the `)` closing the group (`depth > 0`) or the end:
    /// them and the index of the `)` (or the end).
    fn alternatives(
        cs: &[char],
        mut i: usize,
        depth: usize,
        groups: &mut bool,
    ) -> Option<(Vec<Vec<Node>>, usize)> {
        if depth > 16 {
            return None;
        }
        let mut all = vec![Vec::new()];
        while i < cs.len() {
            let node = match cs[i] {
                ')' if depth > 0 => return Some((all, i)),
                '|' => {
                    all.push(Vec::new());
                    i += 1;
                    continue;
                }
                '^' | '$' => {
                    let node = if cs[i] == '^' { Node::Start } else { Node::End };
                    i += 1;
                    if matches!(cs.get(i), Some('?' | '*' | '+' | '{')) {
                        return None;
                    }
                    node
                }
                '(' => {
                    let mut inner = i + 1;
                    if cs.get(inner) == Some(&'?') {
                        // `(?:` only: lookaround, flags and names are the regex crate's.
                        if cs.get(inner + 1) != Some(&':') {
                            return None;
                        }
                        inner += 2;
                    }
                    let (alternatives, close) = alternatives(cs, inner, depth + 1, groups)?;
                    if cs.get(close) != Some(&')') {
                        return None;
                    }
                    let (min, max, next) = quantifier(cs, close + 1)?;
                    *groups = true;
                    i = next;
                    Node::Group {
                        alternatives,
                        min,
                        max,
                    }
                }
                c => {
                    let (set, next) = match c {
                        '.' => (ASCII & !bit('\n'), i + 1),
                        '[' => class(cs, i + 1)?,
                        '\\' => {
                            let (set, next, _) = escape(cs, i + 1)?;
                            (set, next)
                        }
                        '*' | '+' | '?' | '{' | '}' | ']' | ')' => return None,
                        c => (bit(c), i + 1),
                    };
                    let (min, max, after) = quantifier(cs, next)?;
                    i = after;
                    Node::Atom { set, min, max }
                }
            };
            all.last_mut()?.push(node);
        }
        (depth == 0).then_some((all, i))
    }

    /// The positions a match of one of `alternatives` can end at, from those in `from`.
    fn any_of(alternatives: &[Vec<Node>], from: &[bool], text: &[u8]) -> Vec<bool> {
        let mut out = vec![false; from.len()];
        for nodes in alternatives {
            let mut reach = from.to_vec();
            for node in nodes {
                reach = step(node, reach, text);
            }
            for (o, r) in out.iter_mut().zip(reach) {
                *o |= r;
            }
        }
        out
    }

    /// The positions a match of `node` can end at, from those in `reach`.
    fn step(node: &Node, mut reach: Vec<bool>, text: &[u8]) -> Vec<bool> {
        let n = text.len();
        match node {
            Node::Start => {
                reach[1..].fill(false);
                reach
            }
            Node::End => {
                reach[..n].fill(false);
                reach
            }
            Node::Atom { set, min, max } => {
                // run[s]: how many characters from s on the set matches.
                let mut run = vec![0usize; n + 1];
                for s in (0..n).rev() {
                    if text[s] < 128 && (set >> text[s]) & 1 == 1 {
                        run[s] = run[s + 1] + 1;
                    }
                }
                let mut diff = vec![0i32; n + 2];
                for s in 0..=n {
                    if reach[s] && run[s] >= *min {
                        diff[s + min] += 1;
                        diff[s + run[s].min(*max) + 1] -= 1;
                    }
                }
                let mut open = 0;
                for (r, d) in reach.iter_mut().zip(&diff) {
                    open += d;
                    *r = open > 0;
                }
                reach
            }
            Node::Group {
                alternatives,
                min,
                max,
            } => {
                for _ in 0..*min {
                    reach = any_of(alternatives, &reach, text);
                }
                // Once more at a time until `max`, or until a pass reaches no position
                // the earlier ones had not (none after it can: the step is monotone).
                let mut all = reach.clone();
                let mut times = *min;
                while times < *max {
                    reach = any_of(alternatives, &reach, text);
                    if reach.iter().zip(&all).all(|(r, a)| !r || *a) {
                        break;
                    }
                    for (a, r) in all.iter_mut().zip(&reach) {
                        *a |= r;
                    }
                    times += 1;
                }
                all
            }
        }
    }

    impl Simple {
        /// The pattern (in the regex crate's syntax), if it is a simple one.
        pub(super) fn parse(pattern: &str) -> Option<Simple> {
            let cs: Vec<char> = pattern.chars().collect();
            let mut groups = false;
            let (alternatives, _) = alternatives(&cs, 0, 0, &mut groups)?;
            Some(Simple {
                alternatives,
                groups,
            })
        }

        /// Whether the pattern matches somewhere in `text` (ASCII); `None` for a text
        /// too long for a pattern with groups (a repeated group is a pass over the text
        /// per repetition).
        pub(super) fn is_match(&self, text: &[u8]) -> Option<bool> {
            if self.groups && text.len() > 1024 {
                return None;
            }
            // A search: a match may start anywhere.
            let from = vec![true; text.len() + 1];
            Some(any_of(&self.alternatives, &from, text).contains(&true))
        }
    }
}
