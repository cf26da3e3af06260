//! Writes a template as block-style YAML with short-form tags (`!Ref`, `!GetAtt A.B`,
//! `!Sub`), in the order of [`super::doc`]. Strings are quoted whenever a YAML 1.1 or
//! 1.2 reader (cfn-lint uses PyYAML, a 1.1 reader) could take them for anything else.

use super::doc::Doc;
use super::model::Template;

/// The template as YAML.
pub fn to_yaml(t: &Template) -> String {
    let mut out = String::with_capacity(16 * 1024);
    if let Doc::Map(entries) = Doc::template(t) {
        for (k, v) in &entries {
            key(&mut out, k, 0);
            after_key(&mut out, v, 0);
        }
    }
    out
}

fn pad(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// Writes `key:`; the cursor then stands after the colon. YAML limits an implicit key to
/// 1024 characters, so a longer one is written as an explicit key (`? key`, then `:` on
/// the next line at the entry's column, `indent`).
fn key(out: &mut String, k: &str, indent: usize) {
    let start = out.len();
    scalar(out, k, 0, false);
    if out[start..].chars().count() > 1000 {
        out.insert_str(start, "? ");
        out.push('\n');
        pad(out, indent);
    }
    out.push(':');
}

fn is_scalar(d: &Doc) -> bool {
    matches!(d, Doc::Null | Doc::Bool(_) | Doc::Number(_) | Doc::Str(_))
        || matches!(d, Doc::List(l) if l.is_empty())
        || matches!(d, Doc::Map(m) if m.is_empty())
}

/// Writes a scalar (or `[]`/`{}`) where one fits on the current line.
fn inline(out: &mut String, d: &Doc, indent: usize) {
    match d {
        Doc::Null => out.push_str("null"),
        Doc::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Doc::Number(n) => out.push_str(&n.to_string()),
        Doc::Str(s) => scalar(out, s, indent, true),
        Doc::List(_) => out.push_str("[]"),
        Doc::Map(_) => out.push_str("{}"),
        Doc::Fn { .. } | Doc::Value(_) => {
            unreachable!("intrinsics and values are written by after_key/after_dash")
        }
    }
}

/// A tag's name, its argument, and the resource and attribute of a plain GetAtt.
type Tagged<'d, 'a> = (&'a str, &'d Doc<'a>, Option<(&'a str, &'a str)>);

/// A tag needs its own node: a tagged argument (`!Base64 !Sub`) is not valid YAML, so
/// the outer call is written in long form.
fn tag_form<'d, 'a>(d: &'d Doc<'a>) -> Option<Tagged<'d, 'a>> {
    match d {
        Doc::Fn {
            short, arg, dotted, ..
        } if !matches!(**arg, Doc::Fn { .. }) => Some((short, arg, *dotted)),
        _ => None,
    }
}

fn long_form<'a>(d: &Doc<'a>) -> Option<Doc<'a>> {
    match d {
        Doc::Fn { long, arg, .. } if matches!(**arg, Doc::Fn { .. }) => {
            Some(Doc::Map(vec![(long, clone_doc(arg))]))
        }
        _ => None,
    }
}

fn clone_doc<'a>(d: &Doc<'a>) -> Doc<'a> {
    match d {
        Doc::Null => Doc::Null,
        Doc::Bool(b) => Doc::Bool(*b),
        Doc::Number(n) => Doc::Number(n),
        Doc::Str(s) => Doc::Str(s.clone()),
        Doc::List(l) => Doc::List(l.iter().map(clone_doc).collect()),
        Doc::Map(m) => Doc::Map(m.iter().map(|(k, v)| (*k, clone_doc(v))).collect()),
        Doc::Fn {
            long,
            short,
            arg,
            dotted,
        } => Doc::Fn {
            long,
            short,
            arg: Box::new(clone_doc(arg)),
            dotted: *dotted,
        },
        Doc::Value(v) => Doc::Value(v),
    }
}

/// Writes the value of a mapping entry; the cursor stands right after `key:`.
/// Nested blocks go at `indent + 2`.
fn after_key(out: &mut String, d: &Doc, indent: usize) {
    if let Doc::Value(v) = d {
        return after_key(out, &Doc::value(v), indent);
    }
    if let Some(l) = long_form(d) {
        return after_key(out, &l, indent);
    }
    if let Some((tag, arg, dotted)) = tag_form(d) {
        out.push_str(" !");
        out.push_str(tag);
        return tagged_arg(out, arg, dotted, indent + 2);
    }
    if is_scalar(d) {
        out.push(' ');
        inline(out, d, indent + 2);
        out.push('\n');
        return;
    }
    out.push('\n');
    block(out, d, indent + 2);
}

/// The argument of a tag written just before; block content goes at `indent`.
fn tagged_arg(out: &mut String, arg: &Doc, dotted: Option<(&str, &str)>, indent: usize) {
    if let Some((resource, attribute)) = dotted {
        out.push(' ');
        scalar(out, &format!("{resource}.{attribute}"), indent, true);
        out.push('\n');
    } else if is_scalar(arg) {
        out.push(' ');
        inline(out, arg, indent);
        out.push('\n');
    } else {
        out.push('\n');
        block(out, arg, indent);
    }
}

/// Writes a list item's value; the cursor stands right after `- ` and the item's
/// content column is `col`.
fn after_dash(out: &mut String, d: &Doc, col: usize) {
    if let Doc::Value(v) = d {
        return after_dash(out, &Doc::value(v), col);
    }
    if let Some(l) = long_form(d) {
        return after_dash(out, &l, col);
    }
    if let Some((tag, arg, dotted)) = tag_form(d) {
        out.push('!');
        out.push_str(tag);
        return tagged_arg(out, arg, dotted, col);
    }
    match d {
        Doc::Map(entries) if !entries.is_empty() => {
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    pad(out, col);
                }
                key(out, k, col);
                after_key(out, v, col);
            }
        }
        Doc::List(items) if !items.is_empty() => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    pad(out, col);
                }
                out.push_str("- ");
                after_dash(out, item, col + 2);
            }
        }
        _ => {
            inline(out, d, col);
            out.push('\n');
        }
    }
}

/// Writes a non-empty map or list as a block at `indent`.
fn block(out: &mut String, d: &Doc, indent: usize) {
    match d {
        Doc::Value(v) => block(out, &Doc::value(v), indent),
        Doc::Map(entries) => {
            for (k, v) in entries {
                pad(out, indent);
                key(out, k, indent);
                after_key(out, v, indent);
            }
        }
        Doc::List(items) => {
            for item in items {
                pad(out, indent);
                out.push_str("- ");
                after_dash(out, item, indent + 2);
            }
        }
        other => {
            pad(out, indent);
            after_dash(out, other, indent);
        }
    }
}

/// Words YAML 1.1 or 1.2 readers resolve to something other than a string.
const RESERVED: &[&str] = &[
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false",
    "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL", "~", "<<",
    "=", ".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN",
];

fn plain_ok(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if RESERVED.contains(&s)
        || first.is_ascii_digit()
        || "-?:,[]{}#&*!|>'\"%@`+. \t".contains(first)
        || s.ends_with([' ', ':'])
        || s.contains(": ")
        || s.contains(" #")
    {
        return false;
    }
    s.chars()
        .all(|c| !c.is_control() && c != '\u{feff}' && !"{}[],".contains(c))
}

/// Writes a string scalar: plain, single-quoted, a literal block for multi-line text,
/// or double-quoted with escapes for control characters.
fn scalar(out: &mut String, s: &str, indent: usize, allow_block: bool) {
    if plain_ok(s) {
        out.push_str(s);
    } else if s.chars().any(|c| c.is_control() && c != '\n')
        || (s.contains('\n') && !allow_block)
        || s.trim_matches('\n').is_empty()
    {
        // Control characters, multi-line keys, and text of newlines only (which a
        // literal block cannot hold) are written double-quoted.
        out.push_str(&serde_json::to_string(s).unwrap_or_default());
    } else if s.contains('\n') {
        literal(out, s, indent);
    } else {
        out.push('\'');
        out.push_str(&s.replace('\'', "''"));
        out.push('\'');
    }
}

fn literal(out: &mut String, s: &str, indent: usize) {
    let body = s.trim_end_matches('\n');
    let trailing = s.len() - body.len();
    out.push('|');
    // An explicit indentation indicator when the first content line starts with a space.
    if body
        .lines()
        .find(|l| !l.is_empty())
        .is_some_and(|l| l.starts_with(' '))
    {
        out.push('2');
    }
    out.push_str(match trailing {
        0 => "-",
        1 => "",
        _ => "+",
    });
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            pad(out, indent);
            out.push_str(line);
        }
    }
    for _ in 1..trailing {
        out.push('\n');
    }
}
