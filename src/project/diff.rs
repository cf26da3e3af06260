//! The blueprints, synthesized in memory, against their templates as they were: in
//! `out/`, in `out/` at a git revision, or (deploy) as deployed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::ProjectError;
use crate::blueprint::Blueprint;
use crate::diff::render::{FileDiff, FileStatus, Report};
use crate::io_error::IoError;
use crate::synth::{self, Artifact, Options};
use crate::template::{Format, Template};

/// An old template: where it was read from (a path, or `rev:path`) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OldTemplate {
    pub label: String,
    pub text: String,
}

/// The templates under `out` (files named `*.template.*`) by path relative to it: as
/// they are, or as they were at git revision `rev`.
pub fn old_templates(
    out: &Path,
    rev: Option<&str>,
) -> Result<BTreeMap<String, OldTemplate>, ProjectError> {
    let mut found = BTreeMap::new();
    let is_template = |p: &str| p.contains(".template.");
    let Some(rev) = rev else {
        if out.is_dir() {
            for rel in synth::list_files(out)? {
                if is_template(&rel) {
                    let p = out.join(&rel);
                    let text =
                        std::fs::read_to_string(&p).map_err(|e| IoError::new("read", &p, e))?;
                    found.insert(
                        rel,
                        OldTemplate {
                            label: p.display().to_string(),
                            text,
                        },
                    );
                }
            }
        }
        return Ok(found);
    };
    // git names paths from the repository root; an absolute folder is made relative to
    // the current one first.
    let out_dir: PathBuf = if out.is_absolute() {
        let cwd = std::env::current_dir()
            .map_err(|e| ProjectError::Invalid(format!("current folder: {e}")))?;
        out.strip_prefix(&cwd).map(Path::to_path_buf).map_err(|_| {
            ProjectError::Invalid(format!(
                "--against needs the out folder inside the current folder, found {}",
                out.display()
            ))
        })?
    } else {
        out.to_path_buf()
    };
    let dir = format!("./{}", out_dir.display());
    let names = git(&[
        "ls-tree",
        "-r",
        "--name-only",
        "--full-name",
        rev,
        "--",
        &dir,
    ])?;
    let prefix = git(&["rev-parse", "--show-prefix"])?;
    let base = format!(
        "{}{}/",
        prefix.trim(),
        out_dir.display().to_string().trim_end_matches('/')
    );
    for full in names.lines().filter(|l| is_template(l)) {
        let rel = full.strip_prefix(&base).unwrap_or(full).to_string();
        let text = git(&["show", &format!("{rev}:{full}")])?;
        found.insert(
            rel,
            OldTemplate {
                label: format!("{rev}:{full}"),
                text,
            },
        );
    }
    Ok(found)
}

fn git(args: &[&str]) -> Result<String, ProjectError> {
    let failed = |message: String| ProjectError::Git {
        args: args.join(" "),
        message,
    };
    let o = Command::new("git")
        .args(args)
        .output()
        .map_err(|e| failed(e.to_string()))?;
    if !o.status.success() {
        return Err(failed(
            String::from_utf8_lossy(&o.stderr).trim().to_string(),
        ));
    }
    Ok(String::from_utf8_lossy(&o.stdout).into_owned())
}

fn parse(old: &OldTemplate) -> Result<Template, ProjectError> {
    Template::parse_any(&old.text).map_err(|e| ProjectError::Template {
        label: old.label.clone(),
        message: e.to_string(),
    })
}

/// Each artifact of the blueprints against its old template: `old` gives the path to
/// show and the old template (`None`: it is created). Unchanged files are left out.
pub fn diff_artifacts(
    blueprints: &[Blueprint],
    opts: &Options,
    mut old: impl FnMut(&Artifact) -> (String, Option<OldTemplate>),
) -> Result<Vec<FileDiff>, ProjectError> {
    let mut files = Vec::new();
    let mut result = Ok(());
    // Old templates are read and compared on every core, a batch at a time, in order.
    let mut batch: Vec<(Artifact, String, Option<OldTemplate>)> = Vec::new();
    let flush = |batch: &mut Vec<(Artifact, String, Option<OldTemplate>)>,
                 files: &mut Vec<FileDiff>| {
        let done: Vec<Result<_, ProjectError>> = synth::par_map(batch, |(art, _, old_text)| {
            let (status, old_t) = match old_text {
                Some(o) => (FileStatus::Modified, parse(o)?),
                None => (FileStatus::Added, Template::default()),
            };
            Ok((
                status,
                crate::check::broadening::diff(&old_t, &art.template),
            ))
        });
        for ((_, path, _), d) in batch.drain(..).zip(done) {
            let (status, diff) = d?;
            if !diff.is_empty() || status == FileStatus::Added {
                files.push(FileDiff { path, status, diff });
            }
        }
        Ok::<(), ProjectError>(())
    };
    synth::each_artifact(blueprints, opts, |art| {
        if result.is_err() {
            return Ok(());
        }
        let (path, old_text) = old(&art);
        batch.push((art, path, old_text));
        if batch.len() >= synth::threads() * 16 {
            result = flush(&mut batch, &mut files);
        }
        Ok(())
    })?;
    result?;
    flush(&mut batch, &mut files)?;
    Ok(files)
}

/// The blueprints against `out` as it is, or as it was at git revision `rev`: changed,
/// added and removed templates, sorted by path.
///
/// ```no_run
/// let solutions = perimeter::solutions::builtin();
/// let b = perimeter::blueprint::Blueprint::load(
///     "blueprints/bedrock-private-access.yaml".as_ref(), &solutions).unwrap();
/// let report = perimeter::project::diff_against_out(&[b], "out".as_ref(), Some("origin/main")).unwrap();
/// print!("{}", perimeter::diff::render::markdown(&report));
/// ```
pub fn diff_against_out(
    blueprints: &[Blueprint],
    out: &Path,
    rev: Option<&str>,
) -> Result<Report, ProjectError> {
    diff_targets_against_out(blueprints, out, rev, &[])
}

/// [`diff_against_out`] for the named targets only (empty: every target). With targets
/// named, a template in `out` that none of them makes is left alone rather than shown
/// as removed: it is another target's.
pub fn diff_targets_against_out(
    blueprints: &[Blueprint],
    out: &Path,
    rev: Option<&str>,
    targets: &[String],
) -> Result<Report, ProjectError> {
    let mut old = old_templates(out, rev)?;
    let opts = Options {
        out_dir: out.to_path_buf(),
        format: Format::Json,
        targets: targets.to_vec(),
        complete: targets.is_empty(),
    };
    let mut files = diff_artifacts(blueprints, &opts, |art| {
        let path = format!("{}/{}", out.display(), art.entry.path);
        // A snapshot written as YAML is the same template.
        let yaml = art.entry.path.replace(".template.json", ".template.yaml");
        (
            path,
            old.remove(&art.entry.path).or_else(|| old.remove(&yaml)),
        )
    })?;
    for (rel, o) in old {
        if !targets.is_empty() {
            break;
        }
        let t = parse(&o)?;
        files.push(FileDiff {
            path: format!("{}/{rel}", out.display()),
            status: FileStatus::Removed,
            diff: crate::check::broadening::diff(&t, &Template::default()),
        });
    }
    files.sort_by(|x, y| x.path.cmp(&y.path));
    Ok(Report { files })
}
