//! Text helpers shared by the renderers.

use std::borrow::Cow;

use similar::{ChangeTag, TextDiff};

use crate::diff::canon::{compact, display};
use crate::diff::model::{ChangeKind, Impact, ResourceChange};
use crate::template::{Intrinsic, Value};

/// The text a value reads as: strings as they are, intrinsics in `${}` form, other
/// values as compact JSON.
pub fn show(v: &Value) -> String {
    match v {
        Value::Map(_) | Value::List(_) => compact(v),
        _ => display(v),
    }
}

/// The text an `Fn::Join` builds, its intrinsic parts in `${}` form, when it joins a
/// literal list (user data, scripts and documents are often written this way).
fn join_text(delimiter: &str, values: &Value) -> Option<String> {
    let Value::List(parts) = values else {
        return None;
    };
    Some(
        parts
            .iter()
            .map(display)
            .collect::<Vec<_>>()
            .join(delimiter),
    )
}

/// The multi-line text inside a value, if it has one: a long string, an Fn::Sub body, an
/// Fn::Join of lines (either inside Fn::Base64), or a JSON document held in a string (a
/// policy), pretty-printed so it diffs by line.
fn multiline(v: &Value) -> Option<Cow<'_, str>> {
    let text: Cow<'_, str> = match v {
        Value::String(s) => Cow::Borrowed(s.as_str()),
        Value::Fn(f) => {
            let f = match &**f {
                Intrinsic::Base64(Value::Fn(inner)) => &**inner,
                other => other,
            };
            match f {
                Intrinsic::Sub { template, .. } => Cow::Borrowed(template.as_str()),
                Intrinsic::Join { delimiter, values } => Cow::Owned(join_text(delimiter, values)?),
                _ => return None,
            }
        }
        _ => return None,
    };
    if text.trim_start().starts_with('{')
        && let Ok(json) = serde_json::from_str::<serde_json::Value>(&text)
    {
        return serde_json::to_string_pretty(&json).ok().map(Cow::Owned);
    }
    text.contains('\n').then_some(text)
}

/// A line-by-line diff of two long strings, `-`/`+`/` ` prefixed, two lines of context.
pub fn line_diff(old: &Value, new: &Value) -> Option<Vec<String>> {
    let (a, b) = (multiline(old)?, multiline(new)?);
    let d = TextDiff::from_lines(a.as_ref(), b.as_ref());
    let mut out = Vec::new();
    for group in d.grouped_ops(2) {
        if !out.is_empty() {
            out.push("…".to_string());
        }
        for op in group {
            for c in d.iter_changes(&op) {
                let sign = match c.tag() {
                    ChangeTag::Delete => '-',
                    ChangeTag::Insert => '+',
                    ChangeTag::Equal => ' ',
                };
                out.push(format!("{sign} {}", c.value().trim_end_matches('\n')));
            }
        }
    }
    Some(out)
}

/// The lines of a value shown whole (an added or removed property).
pub fn value_lines(v: &Value) -> Vec<String> {
    match multiline(v) {
        Some(s) => s.lines().map(str::to_string).collect(),
        None => vec![show(v)],
    }
}

pub fn sign(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Added => "+",
        ChangeKind::Removed => "-",
        ChangeKind::Modified => "~",
    }
}

/// How a resource change reads as a line: created, removed (destroyed or orphaned), or changed.
pub fn resource_kind(r: &ResourceChange) -> ChangeKind {
    match r.impact {
        Impact::Create => ChangeKind::Added,
        Impact::Destroy | Impact::Orphan => ChangeKind::Removed,
        _ => ChangeKind::Modified,
    }
}
