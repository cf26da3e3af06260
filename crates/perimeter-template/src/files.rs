//! Finding the templates under a folder, as `perimeter check DIR` and `perimeter diff
//! OLD_DIR NEW_DIR` read them.

use std::path::{Path, PathBuf};

use crate::io_error::IoError;

/// The extensions a template (or blueprint) file may have.
const EXTENSIONS: [&str; 4] = ["json", "yaml", "yml", "template"];

/// Whether a text is a template or a blueprint rather than some other JSON or YAML file
/// (a manifest, a package.json, a CI workflow). Every template has a `Resources` section
/// (or at least a format version), and every blueprint a `solution:`; a template that
/// does not parse still counts, so that check reports why.
///
/// ```
/// use perimeter_template::files::is_template_text;
/// assert!(is_template_text("Resources:\n  A: {Type: AWS::SNS::Topic}\n"));
/// assert!(is_template_text("{\"Resources\": {}}"));
/// assert!(!is_template_text("{\"artifacts\": []}"));
/// ```
pub fn is_template_text(text: &str) -> bool {
    let keys = ["Resources", "AWSTemplateFormatVersion"];
    if super::Format::detect(text) == super::Format::Json {
        return keys.iter().any(|k| text.contains(&format!("\"{k}\"")));
    }
    text.lines().any(|line| {
        let line = line.trim_start_matches('\u{feff}');
        keys.iter().chain(&["solution"]).any(|k| {
            [
                line.strip_prefix(k),
                line.strip_prefix(&format!("\"{k}\"")),
                line.strip_prefix(&format!("'{k}'")),
            ]
            .into_iter()
            .flatten()
            .any(|rest| rest.trim_start().starts_with(':'))
        })
    })
}

/// Whether a folder holds dependencies or build output rather than a project's own
/// files: `node_modules`, a Python virtual environment (`pyvenv.cfg`), or a cache marked
/// by the standard `CACHEDIR.TAG` (cargo's `target/`).
fn is_tool_folder(dir: &Path) -> bool {
    dir.file_name().is_some_and(|n| n == "node_modules")
        || dir.join("pyvenv.cfg").exists()
        || dir.join("CACHEDIR.TAG").exists()
}

/// The files under `dir`, recursively, that have a template extension, sorted by path.
/// Hidden files and folders (`.git`, `.github`, a synth's staging folder) and tool
/// folders (dependencies, virtual environments, build caches) are skipped. The caller
/// reads each and keeps those that [`is_template_text`].
pub fn candidates(dir: &Path) -> Result<Vec<PathBuf>, IoError> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).map_err(IoError::with("list", &d))? {
            let entry = entry.map_err(IoError::with("list", &d))?;
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let p = entry.path();
            if p.is_dir() {
                if !is_tool_folder(&p) {
                    stack.push(p);
                }
            } else if p
                .extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| EXTENSIONS.contains(&x))
            {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}
