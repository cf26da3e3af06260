//! Writes a template as JSON: two-space indent, keys in the order of [`super::doc`],
//! a final newline. The same model always gives the same bytes.

use super::doc::Doc;
use super::intrinsic::LongArg;
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
    value(&mut out, v, 0);
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
        Doc::Number(n) => number(out, n),
        Doc::Str(s) => string(out, s),
        Doc::List(items) => list(out, items.iter(), level, write),
        Doc::Map(entries) => map(out, entries.iter().map(|(k, v)| (*k, v)), level, write),
        Doc::Fn { long, arg, .. } => call(out, long, &**arg, level, write),
        Doc::Value(v) => value(out, v, level),
    }
}

// A template's values are written from the model itself, in the order Doc::value would
// give them (a map's keys in byte order, an intrinsic in long form): no tree of the
// whole template is built to be written once and dropped.
fn value(out: &mut String, v: &Value, level: usize) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => number(out, n),
        Value::String(s) => string(out, s),
        Value::List(items) => list(out, items.iter(), level, value),
        Value::Map(m) => map(out, m.iter().map(|(k, v)| (k.as_str(), v)), level, value),
        Value::Fn(i) => call(out, i.name(), &i.long_arg(), level, long),
    }
}

fn long(out: &mut String, a: &LongArg, level: usize) {
    match a {
        LongArg::Value(v) => value(out, v, level),
        LongArg::Str(s) => string(out, s),
        LongArg::Values(v) => list(out, v.iter(), level, value),
        LongArg::Map(m) => map(out, m.iter().map(|(k, v)| (k.as_str(), v)), level, value),
        LongArg::Entry(k, v) => map(out, std::iter::once((*k, *v)), level, value),
        LongArg::List(parts) => list(out, parts.iter(), level, long),
    }
}

fn number(out: &mut String, n: &serde_json::Number) {
    use std::fmt::Write as _;
    // Writing into a String cannot fail.
    let _ = write!(out, "{n}");
}

fn list<T>(
    out: &mut String,
    items: impl ExactSizeIterator<Item = T>,
    level: usize,
    item: impl Fn(&mut String, T, usize),
) {
    let n = items.len();
    if n == 0 {
        return out.push_str("[]");
    }
    out.push_str("[\n");
    for (i, x) in items.enumerate() {
        indent(out, level + 2);
        item(out, x, level + 2);
        out.push_str(if i + 1 < n { ",\n" } else { "\n" });
    }
    indent(out, level);
    out.push(']');
}

fn map<'k, T>(
    out: &mut String,
    entries: impl ExactSizeIterator<Item = (&'k str, T)>,
    level: usize,
    value: impl Fn(&mut String, T, usize),
) {
    let n = entries.len();
    if n == 0 {
        return out.push_str("{}");
    }
    out.push_str("{\n");
    for (i, (k, v)) in entries.enumerate() {
        indent(out, level + 2);
        string(out, k);
        out.push_str(": ");
        value(out, v, level + 2);
        out.push_str(if i + 1 < n { ",\n" } else { "\n" });
    }
    indent(out, level);
    out.push('}');
}

/// `{"Fn::Name": argument}` on three lines.
fn call<T: ?Sized>(
    out: &mut String,
    name: &str,
    arg: &T,
    level: usize,
    write: impl Fn(&mut String, &T, usize),
) {
    out.push_str("{\n");
    indent(out, level + 2);
    string(out, name);
    out.push_str(": ");
    write(out, arg, level + 2);
    out.push('\n');
    indent(out, level);
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The skeleton of `Doc::template` with every value expanded into a `Doc` tree: what
    /// the writer wrote before it wrote values straight from the model.
    fn expanded(d: Doc) -> Doc {
        match d {
            Doc::Value(v) => Doc::value(v),
            Doc::List(items) => Doc::List(items.into_iter().map(expanded).collect()),
            Doc::Map(entries) => {
                Doc::Map(entries.into_iter().map(|(k, v)| (k, expanded(v))).collect())
            }
            other => other,
        }
    }

    fn templates(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                templates(&p, out);
            } else if p
                .extension()
                .is_some_and(|x| x == "json" || x == "yaml" || x == "yml")
            {
                out.push(p);
            }
        }
    }

    #[test]
    fn values_written_from_the_model_match_the_expanded_tree_byte_for_byte() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut files = Vec::new();
        for dir in ["tests/fixtures", "out", "examples", "target/corpus/ci"] {
            templates(&root.join(dir), &mut files);
        }
        let (mut compared, mut snapshots) = (0, 0);
        for f in &files {
            let Ok(text) = std::fs::read_to_string(f) else {
                continue;
            };
            let Ok(t) = Template::parse_any(&text) else {
                continue;
            };
            let mut old = String::new();
            write(&mut old, &expanded(Doc::template(&t)), 0);
            old.push('\n');
            assert_eq!(to_json(&t), old, "{}", f.display());
            // The shipped snapshots were written by the writers before this one: read
            // back and written again, the same bytes.
            if f.starts_with(root.join("out")) && f.extension().is_some_and(|x| x == "json") {
                assert_eq!(to_json(&t), text, "{}", f.display());
                snapshots += 1;
            }
            for v in t.resources.values().flat_map(|r| r.properties.values()) {
                let mut one = String::new();
                write(&mut one, &Doc::value(v), 0);
                assert_eq!(value_to_json(v), one, "{}", f.display());
            }
            compared += 1;
        }
        // The fixtures and the shipped templates at least (the CI corpus when fetched).
        assert!(compared > 100, "only {compared} templates compared");
        assert!(
            snapshots >= 3,
            "only {snapshots} snapshots of out/ compared"
        );
    }
}
