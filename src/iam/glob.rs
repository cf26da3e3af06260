//! IAM wildcard matching: `*` any run of characters, `?` one character.

/// Whether `text` matches `pattern`; `fold` compares ASCII case-insensitively (actions).
pub fn matches(pattern: &str, text: &str, fold: bool) -> bool {
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
}
