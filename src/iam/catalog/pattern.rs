//! Matching against the reference's patterns: condition key names with variable parts
//! (`aws:ResourceTag/${TagKey}`) and ARN formats (`arn:${Partition}:s3:::${BucketName}`).

/// A piece of a reference pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Char(char),
    /// `${Name}`: any run of characters; without `/` when `no_slash`.
    Var {
        no_slash: bool,
    },
}

fn parts(pattern: &str) -> Vec<Part> {
    let mut out = Vec::new();
    let mut rest = pattern;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("${")
            && let Some(end) = after.find('}')
        {
            // S3 bucket names hold no `/`: `arn:aws:s3:::bucket/*` names objects, not the
            // bucket (as Parliament rules). Other names may (role paths, log groups).
            out.push(Part::Var {
                no_slash: &after[..end] == "BucketName",
            });
            rest = &after[end + 1..];
            continue;
        }
        let c = rest.chars().next().expect("not empty");
        out.push(Part::Char(c));
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Whether a condition key (as a policy writes it) is the reference's `pattern`; names
/// compare without regard to case, a variable part is any non-empty run.
///
/// ```
/// use perimeter::iam::catalog::key_matches;
/// assert!(key_matches("aws:ResourceTag/${TagKey}", "aws:resourcetag/team"));
/// assert!(!key_matches("aws:ResourceTag/${TagKey}", "aws:ResourceTag/"));
/// assert!(key_matches("aws:SourceVpce", "AWS:SOURCEVPCE"));
/// ```
pub fn key_matches(pattern: &str, key: &str) -> bool {
    let Some(var) = pattern.find("${") else {
        return pattern.eq_ignore_ascii_case(key);
    };
    // The literal head first: most keys differ there.
    if !key
        .get(..var)
        .is_some_and(|head| head.eq_ignore_ascii_case(&pattern[..var]))
    {
        return false;
    }
    let p = parts(pattern);
    let k: Vec<char> = key.chars().collect();
    // m[i][j]: p[i..] matches k[j..].
    let (n, l) = (p.len(), k.len());
    let mut m = vec![vec![false; l + 1]; n + 1];
    m[n][l] = true;
    for i in (0..n).rev() {
        for j in (0..=l).rev() {
            m[i][j] = match p[i] {
                Part::Char(c) => j < l && c.eq_ignore_ascii_case(&k[j]) && m[i + 1][j + 1],
                // One character, then either more of the variable or the rest.
                Part::Var { .. } => j < l && (m[i][j + 1] || m[i + 1][j + 1]),
            };
        }
    }
    m[0][0]
}

/// A piece of a policy's ARN pattern.
#[cfg(test)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Glob {
    Char(char),
    /// `?`
    One,
    /// `*`
    Any,
}

/// Whether a resource as a policy writes it (an ARN, or a pattern with `*` and `?`) can
/// name a resource of the reference's ARN `format`: some ARN fits both, part by part.
/// Variable parts of
/// the format (`${Region}`, `${TableName}`) are any run of characters, possibly empty (a
/// lenient reading, as Parliament's: a finding must be a real mismatch), except that a
/// bucket name holds no `/`.
///
/// ```
/// use perimeter::iam::catalog::arn_fits;
/// let table = "arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}";
/// assert!(arn_fits(table, "arn:aws:dynamodb:eu-west-1:111122223333:table/Orders"));
/// assert!(arn_fits(table, "arn:aws:dynamodb:*:*:table/*"));
/// assert!(!arn_fits(table, "arn:aws:s3:::Orders"));
/// let bucket = "arn:${Partition}:s3:::${BucketName}";
/// assert!(!arn_fits(bucket, "arn:aws:s3:::reports/*"));
/// assert!(arn_fits(bucket, "arn:aws:s3:::reports*"));
/// ```
pub fn arn_fits(format: &str, arn: &str) -> bool {
    if arn == "*" {
        return true;
    }
    match (six_parts(format), six_parts(arn)) {
        (Some(f), Some(a)) => parts_fit(&f, &a),
        _ => false,
    }
}

/// [`arn_fits`] on ARNs split once with [`six_parts`]: for one resource against many
/// formats.
pub fn parts_fit(f: &[&str; 6], a: &[&str; 6]) -> bool {
    // Part by part, as IAM matches ARNs: a `*` in the account does not reach into the
    // resource. Literal parts first (the service, mostly): the cheapest test and the one
    // that rejects most formats, before any part is matched as a pattern.
    let plain = |i: usize| !f[i].contains("${") && !a[i].contains(['*', '?']);
    if (0..6).any(|i| plain(i) && f[i] != a[i]) {
        return false;
    }
    (0..6).all(|i| plain(i) || part_fits(f[i], a[i]))
}

/// An ARN's six `:`-separated parts, the last holding any further `:`.
pub fn six_parts(arn: &str) -> Option<[&str; 6]> {
    let mut it = arn.splitn(6, ':');
    let mut out = [""; 6];
    for slot in &mut out {
        *slot = it.next()?;
    }
    Some(out)
}

/// [`arn_fits`] on one part of the ARN.
fn part_fits(format: &str, arn: &str) -> bool {
    if !format.contains("${") && !arn.contains(['*', '?']) {
        return format == arn;
    }
    // A part that is one variable (`${Partition}`, `${Region}`, `${Account}`) takes any
    // run, a bucket name any run without `/`.
    if let Some(name) = format
        .strip_prefix("${")
        .and_then(|r| r.strip_suffix('}'))
        .filter(|n| !n.contains(['{', '}', '$']))
    {
        return name != "BucketName" || !arn.contains('/');
    }
    part_nfa(format, arn)
}

/// [`part_fits`] in one pass over the policy's pattern: the set of places the format
/// can be at, as bits, stepped by each character, `?` and `*` of the pattern.
fn part_nfa(format: &str, arn: &str) -> bool {
    let f = parts(format);
    let n = f.len();
    let words = (n + 1).div_ceil(64);
    let mut states = vec![0u64; words];
    let mut next = vec![0u64; words];
    let has = |s: &[u64], i: usize| s[i / 64] >> (i % 64) & 1 == 1;
    let set = |s: &mut [u64], i: usize| s[i / 64] |= 1 << (i % 64);
    // A variable may stop (match nothing more): the places after it are reached too.
    let close = |s: &mut [u64]| {
        for (i, p) in f.iter().enumerate() {
            if has(s, i) && matches!(p, Part::Var { .. }) {
                set(s, i + 1);
            }
        }
    };
    set(&mut states, 0);
    close(&mut states);
    for c in arn.chars() {
        next.iter_mut().for_each(|w| *w = 0);
        match c {
            // A star produces whatever the format does from the first place on.
            '*' => {
                let Some(first) = (0..=n).find(|&i| has(&states, i)) else {
                    return false;
                };
                (first..=n).for_each(|i| set(&mut next, i));
            }
            c => {
                for i in (0..n).filter(|&i| has(&states, i)) {
                    match f[i] {
                        Part::Char(d) if c == '?' || c == d => set(&mut next, i + 1),
                        Part::Var { no_slash } if c == '?' || !(no_slash && c == '/') => {
                            set(&mut next, i)
                        }
                        _ => {}
                    }
                }
                close(&mut next);
            }
        }
        std::mem::swap(&mut states, &mut next);
        if states.iter().all(|w| *w == 0) {
            return false;
        }
    }
    has(&states, n)
}

/// [`part_fits`] as the product of both automata, the reference for [`part_nfa`].
#[cfg(test)]
fn part_dp(format: &str, arn: &str) -> bool {
    let f = parts(format);
    let a: Vec<Glob> = arn
        .chars()
        .map(|c| match c {
            '*' => Glob::Any,
            '?' => Glob::One,
            c => Glob::Char(c),
        })
        .collect();
    let (n, l) = (f.len(), a.len());
    // m[i][j]: some string fits both f[i..] and a[j..].
    let mut m = vec![vec![false; l + 1]; n + 1];
    for i in (0..=n).rev() {
        for j in (0..=l).rev() {
            m[i][j] = match (f.get(i), a.get(j)) {
                (None, None) => true,
                // A `*` may stop (match nothing more) ...
                (_, Some(Glob::Any)) if m[i][j + 1] => true,
                // ... and a variable may stop.
                (Some(Part::Var { .. }), _) if m[i + 1][j] => true,
                (None, Some(_)) => false,
                (Some(Part::Char(_)), None) | (Some(Part::Var { .. }), None) => false,
                (Some(Part::Char(c)), Some(g)) => match g {
                    Glob::Char(d) => c == d && m[i + 1][j + 1],
                    Glob::One => m[i + 1][j + 1],
                    // The star produces the format's character and goes on.
                    Glob::Any => m[i + 1][j],
                },
                (Some(Part::Var { no_slash }), Some(g)) => match g {
                    Glob::Char(d) => !(*no_slash && *d == '/') && m[i][j + 1],
                    Glob::One => m[i][j + 1],
                    // Both go on producing: as if one stopped; covered above.
                    Glob::Any => false,
                },
            };
        }
    }
    m[0][0]
}

#[cfg(test)]
mod tests {
    use super::{arn_fits, key_matches, part_dp, part_nfa, six_parts};

    /// The one-pass matcher decides as the product automaton on every small pair: formats
    /// of `a`, `/`, `${X}` and `${BucketName}`, patterns of `a`, `b`, `/`, `*` and `?`.
    #[test]
    fn one_pass_agrees_with_the_product_on_small_pairs() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |m: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % m
        };
        let (mut yes, mut total) = (0, 0);
        for _ in 0..20_000 {
            let format: String = (0..next(6))
                .map(|_| ["a", "/", "${X}", "${BucketName}", "b"][next(5) as usize])
                .collect();
            let arn: String = (0..next(7))
                .map(|_| ["a", "b", "/", "*", "?"][next(5) as usize])
                .collect();
            let fast = part_nfa(&format, &arn);
            assert_eq!(fast, part_dp(&format, &arn), "{format:?} against {arn:?}");
            yes += usize::from(fast);
            total += 1;
        }
        assert!(yes > total / 10 && yes < total * 9 / 10, "{yes} of {total}");
    }

    #[test]
    fn keys() {
        assert!(key_matches(
            "s3:ExistingObjectTag/${key}",
            "s3:existingobjecttag/Class"
        ));
        assert!(!key_matches(
            "s3:ExistingObjectTag/${key}",
            "s3:ExistingObjectTags"
        ));
        assert!(!key_matches("aws:SourceVpce", "aws:SourceVpc"));
        assert!(key_matches(
            "codebuild:environment.environmentVariables/${name}.value",
            "codebuild:environment.environmentVariables/TOKEN.value"
        ));
        assert!(!key_matches(
            "codebuild:environment.environmentVariables/${name}.value",
            "codebuild:environment.environmentVariables/TOKEN.type"
        ));
    }

    #[test]
    fn arns() {
        let object = "arn:${Partition}:s3:::${BucketName}/${ObjectName}";
        let bucket = "arn:${Partition}:s3:::${BucketName}";
        assert!(arn_fits(object, "arn:aws:s3:::b/a/deep/key.txt"));
        assert!(arn_fits(object, "arn:aws:s3:::b/*"));
        assert!(arn_fits(object, "arn:aws:s3:::*"));
        assert!(arn_fits(object, "*"));
        assert!(!arn_fits(object, "arn:aws:s3:::b"));
        assert!(arn_fits(bucket, "arn:aws:s3:::b"));
        assert!(arn_fits(bucket, "arn:aws:s3:::*"));
        assert!(!arn_fits(bucket, "arn:aws:s3:::b/k"));
        // A region in a format with none (S3 ARNs have an empty region).
        assert!(!arn_fits(bucket, "arn:aws:s3:us-east-1::b"));
        let role = "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}";
        assert!(arn_fits(
            role,
            "arn:aws:iam::111122223333:role/path/to/Role"
        ));
        assert!(!arn_fits(role, "arn:aws:iam::111122223333:user/Bob"));
        assert!(arn_fits(role, "arn:aws:iam::*:r?le/*"));
        assert!(!arn_fits(role, "arn:aws:iam::*:r?le"));
        let group = "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}";
        assert!(arn_fits(
            group,
            "arn:aws:logs:eu-west-1:1:log-group:/aws/lambda/f:*"
        ));
    }

    /// The shortcuts decide as the automata do: every format of the catalog against
    /// ARNs made from formats (variables as values, as `*`, as `?`, with a `/`).
    #[test]
    fn shortcuts_agree_with_the_automata() {
        let c = crate::iam::catalog::catalog();
        let formats: Vec<String> = c
            .prefixes()
            .filter_map(|p| c.service(p))
            .flat_map(|s| s.resource_types().iter().map(|r| r.arn.clone()))
            .collect();
        let fills = ["x", "*", "?", "a/b", "", "111122223333", "us-east-1", "aws"];
        let mut arns = vec!["*".to_string(), "arn:aws:s3:::b".to_string()];
        for (i, f) in formats.iter().enumerate().step_by(23) {
            let mut a = String::new();
            let mut rest = f.as_str();
            let mut n = i;
            while let Some(start) = rest.find("${") {
                a.push_str(&rest[..start]);
                a.push_str(fills[n % fills.len()]);
                n += 3;
                rest = rest[start..]
                    .find('}')
                    .map_or("", |e| &rest[start + e + 1..]);
            }
            a.push_str(rest);
            arns.push(a);
        }
        let slow = |f: &str, a: &str| {
            a == "*"
                || matches!((six_parts(f), six_parts(a)), (Some(f), Some(a))
                    if (0..6).all(|i| part_dp(f[i], a[i])))
        };
        let (mut fits, mut checked) = (0, 0);
        for f in &formats {
            for a in &arns {
                let fast = arn_fits(f, a);
                assert_eq!(fast, slow(f, a), "{f} against {a}");
                fits += usize::from(fast);
                checked += 1;
            }
        }
        // Not vacuous: some fit and most do not.
        assert!(
            fits > formats.len() && fits < checked / 2,
            "{fits} of {checked}"
        );
    }
}
