//! Template inputs of `check` and `diff`: files, folders (the templates under them) and
//! `-` for standard input.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::io_error::IoError;
use crate::template::files;

use super::fail;

/// The label of standard input in reports.
pub const STDIN_LABEL: &str = "<stdin>";

/// One template text and where it came from.
pub struct Input {
    /// How reports name it: the path, or `<stdin>`.
    pub label: String,
    /// The path of a file (none for standard input).
    pub path: Option<PathBuf>,
    pub text: String,
}

pub fn is_stdin(p: &Path) -> bool {
    p.as_os_str() == "-"
}

pub fn read_file(path: &Path) -> Result<String, i32> {
    std::fs::read_to_string(path).map_err(|e| fail(&IoError::new("read", path, e).to_string()))
}

pub fn read_stdin() -> Result<String, i32> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| fail(&format!("cannot read standard input: {e}")))?;
    Ok(text)
}

/// The templates (and blueprints) under a folder, by path relative to it. Files of a
/// template extension that are neither (a manifest, a workflow) are left out.
pub fn folder(dir: &Path) -> Result<Vec<(String, Input)>, i32> {
    let mut out = Vec::new();
    for path in files::candidates(dir).map_err(|e| fail(&e.to_string()))? {
        let text = read_file(&path)?;
        if !files::is_template_text(&text) {
            continue;
        }
        let rel = path
            .strip_prefix(dir)
            .unwrap_or(&path)
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        out.push((
            rel,
            Input {
                // `check .` names files as `out/x.json`, not `./out/x.json`.
                label: path
                    .strip_prefix(".")
                    .unwrap_or(&path)
                    .display()
                    .to_string(),
                path: Some(path),
                text,
            },
        ));
    }
    Ok(out)
}

/// Every input a list of arguments names: a file as it is, a folder as the templates
/// under it (an error when there are none), `-` as standard input (once).
pub fn expand(args: &[PathBuf]) -> Result<Vec<Input>, i32> {
    let mut out = Vec::new();
    let mut stdin_used = false;
    for a in args {
        if is_stdin(a) {
            if stdin_used {
                return Err(fail("standard input (-) can be named only once"));
            }
            stdin_used = true;
            out.push(Input {
                label: STDIN_LABEL.into(),
                path: None,
                text: read_stdin()?,
            });
        } else if a.is_dir() {
            let found = folder(a)?;
            if found.is_empty() {
                return Err(fail(&format!(
                    "{}: no templates under this folder (files ending .json, .yaml, .yml or .template with a Resources section)",
                    a.display()
                )));
            }
            out.extend(found.into_iter().map(|(_, i)| i));
        } else {
            out.push(Input {
                label: a.display().to_string(),
                path: Some(a.clone()),
                text: read_file(a)?,
            });
        }
    }
    Ok(out)
}
