//! Check results for people (terminal), machines (JSON) and code-scanning UIs (SARIF).

mod json;
mod sarif;
mod terminal;

use serde::Serialize;

use super::suppress::Suppressed;
use super::{AccessRow, Finding, Severity};

pub use json::to_json;
pub use sarif::to_sarif;
pub use terminal::{Style, to_terminal};

/// What check found in one template.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FileReport {
    /// The template file (for a blueprint target: where synth writes it).
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blueprint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// `account region` of the target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment: Option<String>,
    pub findings: Vec<Finding>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suppressed: Vec<Suppressed>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub access: Vec<AccessRow>,
    /// What the check could not judge, said once per file (a macro's effect).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Totals over a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub templates: usize,
    pub errors: usize,
    pub warnings: usize,
    pub suppressed: usize,
}

/// Totals over the reports.
pub fn summary(files: &[FileReport]) -> Summary {
    let count = |s| {
        files
            .iter()
            .flat_map(|f| &f.findings)
            .filter(|f| f.severity == s)
            .count()
    };
    Summary {
        templates: files.len(),
        errors: count(Severity::Error),
        warnings: count(Severity::Warning),
        suppressed: files.iter().map(|f| f.suppressed.len()).sum(),
    }
}
