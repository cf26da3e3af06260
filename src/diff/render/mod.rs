//! Rendering a diff report: a terminal view, Markdown for a pull-request comment, and
//! JSON for machines (docs/diff-json.md).

mod json;
mod markdown;
mod terminal;
mod text;

pub use json::json;
pub use markdown::{COMMENT_LIMIT, markdown, markdown_full, markdown_within};
pub use terminal::terminal;

use serde::Serialize;

use super::model::{Impact, TemplateDiff};

/// Whether a template file is new, gone, or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileStatus {
    Added,
    Removed,
    Modified,
}

/// The diff of one template file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileDiff {
    pub path: String,
    pub status: FileStatus,
    pub diff: TemplateDiff,
}

/// The diffs of every template compared; files without changes are left out.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    pub files: Vec<FileDiff>,
}

impl Report {
    /// A report of one pair of templates.
    pub fn single(path: &str, diff: TemplateDiff) -> Report {
        let files = if diff.is_empty() {
            vec![]
        } else {
            vec![FileDiff {
                path: path.into(),
                status: FileStatus::Modified,
                diff,
            }]
        };
        Report { files }
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn broadens(&self) -> bool {
        self.files.iter().any(|f| f.diff.broadens())
    }

    pub fn destructive(&self) -> bool {
        self.files.iter().any(|f| f.diff.destructive())
    }

    /// Whether a resource of a type no schema knows changes (impact unknown).
    pub fn unknown(&self) -> bool {
        self.files.iter().any(|f| f.diff.unknown())
    }

    /// Resources per impact over all files, in a fixed order.
    pub fn counts(&self) -> Vec<(Impact, usize)> {
        let mut total: Vec<(Impact, usize)> = Vec::new();
        for f in &self.files {
            for (i, n) in f.diff.counts() {
                match total.iter_mut().find(|(j, _)| *j == i) {
                    Some((_, m)) => *m += n,
                    None => total.push((i, n)),
                }
            }
        }
        total.sort();
        total
    }

    /// `5 to replace, 1 to update; broadens permissions; data-loss risk`.
    pub fn summary(&self) -> String {
        if self.is_empty() {
            return "no changes".into();
        }
        let mut parts: Vec<String> = self
            .counts()
            .iter()
            .map(|(i, n)| match i {
                Impact::Unknown => format!("{n} of unknown impact"),
                _ => format!("{n} to {}", i.label()),
            })
            .collect();
        let others: usize = self.files.iter().map(|f| f.diff.sections.len()).sum();
        if others > 0 {
            parts.push(format!(
                "{others} other change{}",
                if others == 1 { "" } else { "s" }
            ));
        }
        let mut s = parts.join(", ");
        if s.is_empty() {
            s = "security changes only".into();
        }
        if self.broadens() {
            s.push_str("; broadens permissions");
        }
        if self.destructive() {
            s.push_str("; data-loss risk");
        }
        s
    }
}

/// What the IAM table's broadening marks rest on: the request each proven broadening
/// newly allows, and the changes judged from the statement text only (and why).
pub fn iam_notes(d: &crate::diff::TemplateDiff) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in d.iam.iter().filter(|c| c.broadens) {
        let note = match (&c.witness, c.basis.as_str()) {
            (Some(w), _) => {
                let v: serde_json::Value = serde_json::from_str(w).unwrap_or_default();
                let s = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("?").to_string();
                let ctx = v
                    .get("context")
                    .and_then(|x| x.as_object())
                    .filter(|m| !m.is_empty())
                    .map(|m| {
                        let kv: Vec<String> = m.iter().map(|(k, x)| format!("{k}={x}")).collect();
                        format!(" with {}", kv.join(", "))
                    })
                    .unwrap_or_default();
                let how = if v.get("note").is_some() {
                    "no longer denied"
                } else {
                    "newly allowed"
                };
                format!(
                    "{how} ({}): {} calls {} on {}{ctx}",
                    c.location,
                    s("principal"),
                    s("action"),
                    s("resource")
                )
            }
            (None, "" | "proven") => continue,
            (None, basis) => format!(
                "{}: broadening judged from the statement text ({basis})",
                c.location
            ),
        };
        if !out.contains(&note) {
            out.push(note);
        }
    }
    out
}
