//! IAM wildcard matching: `*` any run of characters, `?` one character.

/// Whether `text` matches `pattern`; `fold` compares ASCII case-insensitively (actions).
pub fn matches(pattern: &str, text: &str, fold: bool) -> bool {
    // An ASCII pattern without a wildcard (most parts of an ARN) matches exactly the
    // strings equal to it, ASCII case aside when folding: a text that is not ASCII
    // cannot be, as no non-ASCII character equals an ASCII one.
    if pattern.is_ascii() && !pattern.bytes().any(|b| b == b'*' || b == b'?') {
        return if fold {
            pattern.eq_ignore_ascii_case(text)
        } else {
            pattern == text
        };
    }
    // ASCII text (nearly every action, ARN and value) is matched as bytes, without
    // collecting characters: the prover's search calls this millions of times.
    if pattern.is_ascii() && text.is_ascii() {
        let eq = |a: u8, b: u8| {
            if fold {
                a.eq_ignore_ascii_case(&b)
            } else {
                a == b
            }
        };
        return run(pattern.as_bytes(), text.as_bytes(), b'*', b'?', eq);
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let eq = |a: char, b: char| {
        // `${*}` and `${?}` stand for the characters themselves.
        let a = match a {
            super::variables::LITERAL_STAR => '*',
            super::variables::LITERAL_QUESTION => '?',
            a => a,
        };
        if fold {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    run(&p, &t, '*', '?', eq)
}

/// The matcher, over bytes or characters.
fn run<T: Copy + PartialEq>(p: &[T], t: &[T], any: T, one: T, eq: impl Fn(T, T) -> bool) -> bool {
    // Iterative matcher with one backtrack point: linear in practice, no recursion.
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == one || (p[pi] != any && eq(p[pi], t[ti]))) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == any {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == any)
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn wildcards() {
        assert!(matches("bedrock:*", "bedrock:InvokeModel", false));
        assert!(matches("bedrock:Invoke*", "bedrock:invokemodel", true));
        assert!(!matches("bedrock:Invoke*", "bedrock:invokemodel", false));
        assert!(matches("s3:Get?bject", "s3:GetObject", false));
        assert!(!matches("s3:Get?bject", "s3:GetObjectAcl", false));
        assert!(matches("*", "", false));
        assert!(matches("a*b*c", "aXXbYYc", false));
        assert!(!matches("a*b*c", "aXXbYY", false));
    }

    #[test]
    fn a_pattern_without_wildcards_is_the_string_itself() {
        assert!(matches("s3:GetObject", "s3:GetObject", false));
        assert!(!matches("s3:GetObject", "s3:getobject", false));
        assert!(matches("s3:GetObject", "s3:getobject", true));
        assert!(!matches("s3:GetObject", "s3:GetObjectAcl", true));
        assert!(!matches("abc", "ab", false));
        assert!(matches("", "", false));
        assert!(!matches("", "a", false));
        // Text beyond ASCII never equals an ASCII pattern, folded or not; the Kelvin sign
        // is no `k` to ASCII folding.
        assert!(!matches("k", "\u{212A}", true));
        assert!(!matches("caf", "caf\u{e9}", true));
        // A pattern beyond ASCII is matched by characters, as before.
        assert!(matches("caf\u{e9}", "caf\u{e9}", false));
        assert!(matches("caf?", "caf\u{e9}", false));
    }
}
