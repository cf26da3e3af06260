//! Policy variables: `${aws:username}`, `${aws:PrincipalTag/team}`, defaults
//! (`${aws:username, 'nobody'}`) and the escapes `${*}`, `${?}`, `${$}`, replaced by the
//! request's values in `Resource` and condition values (policy version 2012-10-17 only).

/// A literal `*` from `${*}`: matched as the character, not as a wildcard.
pub const LITERAL_STAR: char = '\u{E000}';
/// A literal `?` from `${?}`.
pub const LITERAL_QUESTION: char = '\u{E001}';

/// Replaces the variables of `text` with values from `lookup` (a key, compared without
/// case, to its values). `None` when a variable has no single value and no default: the
/// element it is in then matches nothing.
///
/// ```
/// use perimeter::iam::substitute_variables;
/// let look = |k: &str| (k == "aws:username").then(|| vec!["ana".to_string()]);
/// assert_eq!(substitute_variables("home/${aws:username}/*", &look).as_deref(), Some("home/ana/*"));
/// assert_eq!(substitute_variables("${aws:userid, 'none'}", &look).as_deref(), Some("none"));
/// assert_eq!(substitute_variables("${aws:userid}", &look), None);
/// ```
pub fn substitute_variables(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<Vec<String>>,
) -> Option<String> {
    if !text.contains("${") {
        return Some(text.to_string());
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let Some(end) = after.find('}') else {
            // No closing brace: the text stays as it is.
            out.push_str(&rest[i..]);
            return Some(out);
        };
        let inner = &after[..end];
        match inner {
            "*" => out.push(LITERAL_STAR),
            "?" => out.push(LITERAL_QUESTION),
            "$" => out.push('$'),
            _ => {
                let (key, default) = match inner.split_once(',') {
                    Some((k, d)) => {
                        let d = d.trim();
                        let d = d
                            .strip_prefix('\'')
                            .and_then(|d| d.strip_suffix('\''))
                            .unwrap_or(d);
                        (k.trim(), Some(d))
                    }
                    None => (inner.trim(), None),
                };
                match lookup(&key.to_ascii_lowercase()) {
                    Some(v) if v.len() == 1 => out.push_str(&v[0]),
                    _ => out.push_str(default?),
                }
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// The text with the literal markers turned back into `*` and `?`, for comparisons
/// without wildcards.
pub fn plain(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains([LITERAL_STAR, LITERAL_QUESTION]) {
        text.replace(LITERAL_STAR, "*")
            .replace(LITERAL_QUESTION, "?")
            .into()
    } else {
        text.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_defaults() {
        let none = |_: &str| None;
        assert_eq!(
            substitute_variables("a${*}b${?}c${$}", &none).as_deref(),
            Some("a\u{E000}b\u{E001}c$")
        );
        assert_eq!(
            substitute_variables("${aws:PrincipalTag/team, 'ops'}", &none).as_deref(),
            Some("ops")
        );
        // A multi-valued key is no single value: the default, or no match.
        let many = |_: &str| Some(vec!["a".to_string(), "b".to_string()]);
        assert_eq!(substitute_variables("${aws:TagKeys}", &many), None);
        assert_eq!(plain("x\u{E000}"), "x*");
    }
}
