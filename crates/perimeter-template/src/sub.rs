//! The parts of an `Fn::Sub` string: literal text, `${!Literal}` escapes and `${Name}` /
//! `${Name.Attr}` variables. One reading for check (references), the IAM resolver and
//! diff (the reference graph, and whether two strings certainly differ).

/// One part of an `Fn::Sub` string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubPart<'a> {
    /// Literal text.
    Text(&'a str),
    /// `${!X}`, which writes `${X}`: holds `X`.
    Escaped(&'a str),
    /// `${Name}` or `${Name.Attr}`, trimmed.
    Var(&'a str),
}

/// The parts of an `Fn::Sub` string, in order. An unterminated `${` is literal text.
///
/// ```
/// use perimeter_template::sub::{SubPart, sub_parts};
/// assert_eq!(
///     sub_parts("arn:${AWS::Partition}:s3:::${!x}"),
///     [SubPart::Text("arn:"), SubPart::Var("AWS::Partition"), SubPart::Text(":s3:::"), SubPart::Escaped("x")]
/// );
/// ```
pub fn sub_parts(template: &str) -> Vec<SubPart<'_>> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        if start > 0 {
            out.push(SubPart::Text(&rest[..start]));
        }
        let inner = &after[..end];
        match inner.strip_prefix('!') {
            Some(lit) => out.push(SubPart::Escaped(lit)),
            None if !inner.trim().is_empty() => out.push(SubPart::Var(inner.trim())),
            None => out.push(SubPart::Text(&rest[start..start + 3 + end])),
        }
        rest = &after[end + 1..];
    }
    if !rest.is_empty() {
        out.push(SubPart::Text(rest));
    }
    out
}

/// The variables of an `Fn::Sub` string (`${Name}`, `${Name.Attr}`), in order.
pub fn sub_vars(template: &str) -> impl Iterator<Item = &str> {
    sub_parts(template).into_iter().filter_map(|p| match p {
        SubPart::Var(v) => Some(v),
        _ => None,
    })
}

/// The text of an `Fn::Sub` string with each variable's value from `var` (escapes written
/// out as `${X}`); `None` when a variable has none.
///
/// ```
/// use perimeter_template::sub::substitute;
/// let v = substitute("${A}-${!B}", |name| (name == "A").then(|| "x".to_string()));
/// assert_eq!(v.as_deref(), Some("x-${B}"));
/// ```
pub fn substitute(template: &str, var: impl FnMut(&str) -> Option<String>) -> Option<String> {
    substitute_parts(&sub_parts(template), template.len(), var)
}

/// [`substitute`] on a string's parts already read (for one string substituted many
/// times); `len` is the string's length, the text's likely size.
pub fn substitute_parts(
    parts: &[SubPart<'_>],
    len: usize,
    mut var: impl FnMut(&str) -> Option<String>,
) -> Option<String> {
    let mut out = String::with_capacity(len);
    for &part in parts {
        match part {
            SubPart::Text(t) => out.push_str(t),
            SubPart::Escaped(e) => {
                out.push_str("${");
                out.push_str(e);
                out.push('}');
            }
            SubPart::Var(name) => out.push_str(&var(name)?),
        }
    }
    Some(out)
}
