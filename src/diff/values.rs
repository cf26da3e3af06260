//! Value-by-value comparison, down to nested paths: maps key by key, set-like lists as
//! multisets, ordered lists aligned with a sequence diff so one insertion does not
//! shift every later element into a change.

use similar::{Algorithm, DiffOp, capture_diff_slices};

use std::collections::BTreeMap;

use super::canon::{canon, same, yields_scalar};
use super::cursor::Cursor;
use super::model::{Change, ChangeKind};
use crate::template::Value;

fn push(
    out: &mut Vec<Change>,
    path: String,
    kind: ChangeKind,
    old: Option<&Value>,
    new: Option<&Value>,
) {
    out.push(Change {
        path,
        kind,
        old: old.cloned(),
        new: new.cloned(),
    });
}

fn key_path(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Appends the changes from `old` to `new` at `path`.
pub fn diff_value(path: &str, old: &Value, new: &Value, at: Cursor, out: &mut Vec<Change>) {
    if same(old, new, at) {
        return;
    }
    match (old, new) {
        (Value::Map(a), Value::Map(b)) => diff_map(path, a, b, at, out),
        (Value::List(a), Value::List(b)) => diff_list(path, a, b, at, out),
        // A lone scalar where a set is due is a set of one.
        (Value::List(a), b) if at.is_set() && yields_scalar(b) => {
            diff_list(path, a, std::slice::from_ref(b), at, out)
        }
        (a, Value::List(b)) if at.is_set() && yields_scalar(a) => {
            diff_list(path, std::slice::from_ref(a), b, at, out)
        }
        _ => push(
            out,
            path.to_string(),
            ChangeKind::Modified,
            Some(old),
            Some(new),
        ),
    }
}

/// Appends the changes between two maps, key by key.
pub fn diff_map(
    path: &str,
    a: &BTreeMap<String, Value>,
    b: &BTreeMap<String, Value>,
    at: Cursor,
    out: &mut Vec<Change>,
) {
    for (k, va) in a {
        match b.get(k) {
            Some(vb) => diff_value(&key_path(path, k), va, vb, at.field(k), out),
            None => push(out, key_path(path, k), ChangeKind::Removed, Some(va), None),
        }
    }
    for (k, vb) in b {
        if !a.contains_key(k) {
            push(out, key_path(path, k), ChangeKind::Added, None, Some(vb));
        }
    }
}

fn diff_list(path: &str, a: &[Value], b: &[Value], at: Cursor, out: &mut Vec<Change>) {
    let item = at.item();
    let at_index = |i: usize| format!("{path}[{i}]");
    if at.is_set() {
        // Multiset difference: each element of one side pairs with an equal one of the other.
        let mut free_a: Vec<bool> = vec![true; a.len()];
        let mut free_b: Vec<bool> = vec![true; b.len()];
        for (i, x) in a.iter().enumerate() {
            if let Some(j) = (0..b.len()).find(|&j| free_b[j] && same(x, &b[j], item)) {
                free_a[i] = false;
                free_b[j] = false;
            }
        }
        // Elements that differ but share an identity (a statement's Sid, a tag's Key) are
        // one element changed: compare them field by field.
        for i in 0..a.len() {
            let Some(id) = free_a[i].then(|| identity(&a[i])).flatten() else {
                continue;
            };
            if let Some(j) = (0..b.len()).find(|&j| free_b[j] && identity(&b[j]) == Some(id)) {
                free_a[i] = false;
                free_b[j] = false;
                diff_value(&at_index(j), &a[i], &b[j], item, out);
            }
        }
        for i in (0..a.len()).filter(|&i| free_a[i]) {
            push(out, at_index(i), ChangeKind::Removed, Some(&a[i]), None);
        }
        for j in (0..b.len()).filter(|&j| free_b[j]) {
            push(out, at_index(j), ChangeKind::Added, None, Some(&b[j]));
        }
        return;
    }
    // Runs of elements only one side has.
    let removed = |out: &mut Vec<Change>, from: usize, len: usize| {
        for (i, x) in a.iter().enumerate().skip(from).take(len) {
            push(
                out,
                format!("{path}[{i}]"),
                ChangeKind::Removed,
                Some(x),
                None,
            );
        }
    };
    let added = |out: &mut Vec<Change>, from: usize, len: usize| {
        for (j, x) in b.iter().enumerate().skip(from).take(len) {
            push(
                out,
                format!("{path}[{j}]"),
                ChangeKind::Added,
                None,
                Some(x),
            );
        }
    };
    // Ordered lists align on canonical forms, so one insertion shifts nothing.
    let ca: Vec<String> = a.iter().map(|x| canon(x, item)).collect();
    let cb: Vec<String> = b.iter().map(|x| canon(x, item)).collect();
    for op in capture_diff_slices(Algorithm::Myers, &ca, &cb) {
        match op {
            DiffOp::Equal { .. } => {}
            DiffOp::Delete {
                old_index, old_len, ..
            } => removed(out, old_index, old_len),
            DiffOp::Insert {
                new_index, new_len, ..
            } => added(out, new_index, new_len),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                // Replaced elements pair up in order and compare field by field.
                let paired = old_len.min(new_len);
                for k in 0..paired {
                    diff_value(
                        &at_index(new_index + k),
                        &a[old_index + k],
                        &b[new_index + k],
                        item,
                        out,
                    );
                }
                removed(out, old_index + paired, old_len - paired);
                added(out, new_index + paired, new_len - paired);
            }
        }
    }
}

/// The key that names an element of a set-like list, when it has one.
fn identity(v: &Value) -> Option<(&'static str, &str)> {
    let m = v.as_map()?;
    ["Sid", "Key", "PolicyName", "Name"]
        .into_iter()
        .find_map(|k| m.get(k).and_then(Value::as_str).map(|s| (k, s)))
}
