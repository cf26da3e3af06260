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
    let compiled = cache
        .entry(pattern.to_string())
        .or_insert_with(|| Compiled {
            rust: translate(pattern),
            ascii: None,
            unicode: None,
        });
    let rust = compiled.rust.clone()?;
    // Python's `$` (no MULTILINE) matches at the end and before a final newline.
    let shorter = text.strip_suffix('\n');
    if text.is_ascii() {
        // On ASCII text a pattern's Unicode classes (\w, \d, [^...]) match exactly what
        // their ASCII forms match, and compile to automata many times smaller: the
        // schemas' `[\w+=,.@-]{1,64}` in Unicode cost most of check's time.
        let ascii = compiled.ascii.get_or_insert_with(|| {
            regex::bytes::RegexBuilder::new(&rust)
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
        .get_or_insert_with(|| Regex::new(&rust).ok())
        .as_ref()?;
    Some(re.is_match(text) || shorter.is_some_and(|s| re.is_match(s)))
}

/// A pattern in Rust's syntax (`None`: no verdict), compiled when first needed: for
/// ASCII text without Unicode classes, and with them for other text.
struct Compiled {
    rust: Option<String>,
    ascii: Option<Option<regex::bytes::Regex>>,
    unicode: Option<Option<Regex>>,
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
