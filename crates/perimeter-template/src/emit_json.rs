//! Writes a template as JSON: two-space indent, keys in the order of [`super::doc`],
//! a final newline. The same model always gives the same bytes.

use super::doc::Doc;
use super::model::Template;
use super::value::Value;

/// The template as pretty JSON.
pub fn to_json(t: &Template) -> String {
    // Templates run to 600-800 bytes a resource: room for them up front, so the text is
    // not copied as it grows (pages never written are never faulted in).
    let mut out = String::with_capacity(4096 + 1024 * t.resources.len());
    write(&mut out, &Doc::template(t), 0);
    out.push('\n');
    out
}

/// One value as pretty JSON, intrinsics in long form.
pub fn value_to_json(v: &Value) -> String {
    let mut out = String::new();
    write(&mut out, &Doc::value(v), 0);
    out
}

fn indent(out: &mut String, n: usize) {
    const SPACES: &str = "                                                                ";
    let mut n = n;
    while n > 0 {
        let k = n.min(SPACES.len());
        out.push_str(&SPACES[..k]);
        n -= k;
    }
}

fn string(out: &mut String, s: &str) {
    // Most strings need no escape: written as they are, the bytes serde_json would give.
    if !s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        out.push('"');
        out.push_str(s);
        out.push('"');
        return;
    }
    // serde_json's escaping of a str cannot fail.
    out.push_str(&serde_json::to_string(s).unwrap_or_default());
}

fn write(out: &mut String, d: &Doc, level: usize) {
    match d {
        Doc::Null => out.push_str("null"),
        Doc::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Doc::Number(n) => {
            use std::fmt::Write as _;
            // Writing into a String cannot fail.
            let _ = write!(out, "{n}");
        }
        Doc::Str(s) => string(out, s),
        Doc::List(items) if items.is_empty() => out.push_str("[]"),
        Doc::List(items) => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                indent(out, level + 2);
                write(out, item, level + 2);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            indent(out, level);
            out.push(']');
        }
        Doc::Map(entries) if entries.is_empty() => out.push_str("{}"),
        Doc::Map(entries) => {
            out.push_str("{\n");
            for (i, (k, v)) in entries.iter().enumerate() {
                indent(out, level + 2);
                string(out, k);
                out.push_str(": ");
                write(out, v, level + 2);
                out.push_str(if i + 1 < entries.len() { ",\n" } else { "\n" });
            }
            indent(out, level);
            out.push('}');
        }
        Doc::Fn { long, arg, .. } => {
            out.push_str("{\n");
            indent(out, level + 2);
            string(out, long);
            out.push_str(": ");
            write(out, arg, level + 2);
            out.push('\n');
            indent(out, level);
            out.push('}');
        }
    }
}
