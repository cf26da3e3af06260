//! `--format json`: one document for the run, `schema_version` 1.

use serde::Serialize;

use super::{FileReport, Summary, summary};

#[derive(Serialize)]
struct Doc<'a> {
    schema_version: u32,
    summary: Summary,
    files: &'a [FileReport],
}

/// The run as pretty JSON with a trailing newline.
pub fn to_json(files: &[FileReport]) -> String {
    let doc = Doc {
        schema_version: 1,
        summary: summary(files),
        files,
    };
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
