//! JSON for machines; the shape is documented in docs/diff-json.md.

use serde::Serialize;

use super::Report;
use crate::diff::model::Impact;

/// Bumped when a field changes meaning or goes away; adding fields does not bump it.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Summary {
    changes: bool,
    broadens_permissions: bool,
    destructive: bool,
    impacts: std::collections::BTreeMap<&'static str, usize>,
}

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    summary: Summary,
    files: &'a [super::FileDiff],
}

pub fn json(report: &Report) -> String {
    let impacts = report
        .counts()
        .into_iter()
        .map(|(i, n): (Impact, usize)| (i.label(), n))
        .collect();
    let doc = Document {
        schema_version: SCHEMA_VERSION,
        summary: Summary {
            changes: !report.is_empty(),
            broadens_permissions: report.broadens(),
            destructive: report.destructive(),
            impacts,
        },
        files: &report.files,
    };
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
