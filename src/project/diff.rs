//! The blueprints, synthesized in memory, against their templates as they were: in
//! `out/`, in `out/` at a git revision, or (deploy) as deployed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use super::ProjectError;
use super::shapes::{self, Own, Shapes, Sharing};
use crate::blueprint::Blueprint;
use crate::diff::TemplateDiff;
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

impl OldTemplate {
    /// A file as it is now, labelled by its path.
    fn read(p: &Path) -> Result<OldTemplate, ProjectError> {
        Ok(OldTemplate {
            label: p.display().to_string(),
            text: std::fs::read_to_string(p).map_err(|e| IoError::new("read", p, e))?,
        })
    }
}

/// The templates under `out` (files named `*.template.*`) by path relative to it: as
/// they are, or as they were at git revision `rev`.
pub fn old_templates(
    out: &Path,
    rev: Option<&str>,
) -> Result<BTreeMap<String, OldTemplate>, ProjectError> {
    let mut found = BTreeMap::new();
    let Some(rev) = rev else {
        if out.is_dir() {
            for rel in synth::list_files(out)? {
                if is_template(&rel) {
                    let t = OldTemplate::read(&out.join(&rel))?;
                    found.insert(rel, t);
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

/// Whether a file of `out/` is a template (`*.template.*`), not the manifest.
fn is_template(p: &str) -> bool {
    p.contains(".template.")
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
    let shapes = Shapes::default();
    // Old templates are compared on every core, a batch at a time, in order.
    let mut batch: Vec<(Artifact, String, Option<OldTemplate>)> = Vec::new();
    let flush = |batch: &mut Vec<(Artifact, String, Option<OldTemplate>)>,
                 files: &mut Vec<FileDiff>| {
        let done: Vec<Result<_, ProjectError>> = synth::par_map(batch, |(art, path, old)| {
            let old = match old {
                Some(o) => Old::Text(o),
                None => Old::Missing,
            };
            compare(art, path, &old, Some(&shapes))
        });
        for d in done {
            files.extend(d?);
        }
        batch.clear();
        Ok::<(), ProjectError>(())
    };
    // The manifest's hashes are not needed: `map_artifacts` leaves them out.
    synth::map_artifacts(
        blueprints,
        opts,
        |art| art,
        |art| {
            if result.is_err() {
                return Ok(());
            }
            let (path, old_text) = old(&art);
            batch.push((art, path, old_text));
            if batch.len() >= synth::threads() * 16 {
                result = flush(&mut batch, &mut files);
            }
            Ok(())
        },
    )?;
    result?;
    flush(&mut batch, &mut files)?;
    Ok(files)
}

/// Where an artifact's old template is.
enum Old<'a> {
    /// There is none: the artifact is created.
    Missing,
    /// Read already (a git revision, a deployed stack).
    Text(&'a OldTemplate),
    /// A file of `out/`, read by the thread that compares it.
    File(PathBuf),
}

/// The diffs of (old, new) pairs kept by shape ([`super::shapes`]).
type PairShapes = Shapes<TemplateDiff>;

/// The artifact against its old template: `None` when they are the same. Bytes equal to
/// what synth writes are the same template (a template reads back as what was emitted),
/// so most files of a large `out/` are compared without being parsed. With `shapes`,
/// the diff of a pair of one shape as another target's pair is renamed from it.
fn compare(
    art: &Artifact,
    path: &str,
    old: &Old,
    shapes: Option<&PairShapes>,
) -> Result<Option<FileDiff>, ProjectError> {
    let read;
    let old = match old {
        Old::Missing => {
            return Ok(Some(FileDiff {
                path: path.to_string(),
                status: FileStatus::Added,
                diff: crate::check::broadening::diff(&Template::default(), &art.template),
            }));
        }
        Old::Text(o) => *o,
        Old::File(p) => {
            read = OldTemplate::read(p)?;
            &read
        }
    };
    if old.text.as_bytes() == art.body.as_bytes() {
        return Ok(None);
    }
    let diff = match shapes {
        Some(shapes) if art.entry.kind == synth::Kind::Stack => shared_diff(shapes, art, old)?,
        _ => crate::check::broadening::diff(&parse(old)?, &art.template),
    };
    Ok((!diff.is_empty()).then(|| FileDiff {
        path: path.to_string(),
        status: FileStatus::Modified,
        diff,
    }))
}

/// The diff of an artifact's pair: renamed from another target's pair of the same shape
/// when one was diffed, else diffed and kept for the others.
fn shared_diff(
    shapes: &PairShapes,
    art: &Artifact,
    old: &OldTemplate,
) -> Result<TemplateDiff, ProjectError> {
    let own = Own {
        account: art.entry.account.clone(),
        name: art.entry.target.clone(),
    };
    let c = shapes::canonical(&own, &[&old.text, &art.body], &[]);
    shapes.answer(
        own,
        c,
        || Ok(crate::check::broadening::diff(&parse(old)?, &art.template)),
        // A diff with IAM changes is not renamed onto another target: whether they
        // broaden depends on which accounts the templates name (AWS::AccountId is
        // decided under each, see check::broadening::decide), the target's own among
        // them, so each target's pair is decided on its own text.
        |r, x| if x.iam.is_empty() { r.diff(x) } else { None },
    )
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
    diff_targets_sharing(blueprints, out, rev, targets, Sharing::Shapes)
}

/// [`diff_targets_against_out`], with the diffs of pairs of one shape shared between
/// targets or not: the report is the same either way.
pub fn diff_targets_sharing(
    blueprints: &[Blueprint],
    out: &Path,
    rev: Option<&str>,
    targets: &[String],
    sharing: Sharing,
) -> Result<Report, ProjectError> {
    let shapes = Shapes::default();
    let shapes = (sharing == Sharing::Shapes).then_some(&shapes);
    // At a revision the old texts come from git, all at once; in `out/` as it is, each
    // file is read by the thread that compares it (memory stays flat).
    let texts = match rev {
        Some(_) => old_templates(out, rev)?,
        None => BTreeMap::new(),
    };
    let mut left: BTreeSet<String> = match rev {
        Some(_) => texts.keys().cloned().collect(),
        None if out.is_dir() => synth::list_files(out)?
            .into_iter()
            .filter(|p| is_template(p))
            .collect(),
        None => BTreeSet::new(),
    };
    let opts = Options {
        out_dir: out.to_path_buf(),
        format: Format::Json,
        targets: targets.to_vec(),
        complete: targets.is_empty(),
    };
    let mut files = Vec::new();
    let mut failed = None;
    let mut consumed = Vec::new();
    {
        let listed = &left;
        let work = |art: Artifact| {
            let path = format!("{}/{}", out.display(), art.entry.path);
            // A snapshot written as YAML is the same template.
            let yaml = art.entry.path.replace(".template.json", ".template.yaml");
            let rel = [&art.entry.path, &yaml]
                .into_iter()
                .find(|r| listed.contains(r.as_str()))
                .cloned();
            let old = match &rel {
                None => Old::Missing,
                Some(r) => match texts.get(r) {
                    Some(t) => Old::Text(t),
                    None => Old::File(out.join(r)),
                },
            };
            (rel, compare(&art, &path, &old, shapes))
        };
        synth::map_artifacts(blueprints, &opts, work, |(rel, d)| {
            if let Some(r) = rel {
                consumed.push(r);
            }
            match d {
                Ok(d) => files.extend(d),
                Err(e) => {
                    failed.get_or_insert(e);
                }
            }
            Ok(())
        })?;
    }
    if let Some(e) = failed {
        return Err(e);
    }
    for r in &consumed {
        left.remove(r);
    }
    for rel in left {
        if !targets.is_empty() {
            break;
        }
        let o = match texts.get(&rel) {
            Some(t) => t.clone(),
            None => OldTemplate::read(&out.join(&rel))?,
        };
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
