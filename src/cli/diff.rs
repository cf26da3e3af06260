//! `perimeter diff`: two templates, or the blueprints against out/ (as it is, or as it
//! was at a git revision).

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::Command;

use clap::ValueEnum;
use perimeter::diff::render::{self, FileDiff, FileStatus, Report};
use perimeter::synth::{self, Options};
use perimeter::template::{Format as TemplateFormat, Template};

use super::output::out;
use super::{EXIT_DIFFERENT, EXIT_ERROR, EXIT_OK, fail, inputs};

/// A distinct exit code for changes named by `--fail-on`.
pub const EXIT_RISK: i32 = 3;

#[derive(Clone, Copy, ValueEnum)]
pub enum Output {
    Terminal,
    Markdown,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

impl Color {
    /// Whether to color stdout: `auto` colors a terminal unless NO_COLOR is set.
    pub fn enabled(self) -> bool {
        match self {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => {
                std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
pub enum Risk {
    /// An IAM grant added or widened, a Deny removed, a security group rule added.
    Broadening,
    /// A stateful resource replaced or destroyed without Retain/Snapshot.
    Destructive,
    /// A resource of a type no schema knows changes (custom resources, third-party
    /// types, modules): its impact is unknown.
    Unknown,
}

#[derive(clap::Args)]
pub struct Args {
    /// Two templates to compare, OLD then NEW (JSON or YAML, from any tool; `-` reads one
    /// of them from standard input), or two folders (their templates paired by relative
    /// path). Without them: the blueprints, synthesized in memory, against the out folder.
    #[arg(value_name = "TEMPLATE", num_args = 0..=2)]
    templates: Vec<PathBuf>,
    /// Compare against the out folder as it is at this git revision (e.g. origin/main).
    #[arg(long, value_name = "REV", conflicts_with = "templates")]
    against: Option<String>,
    /// Compare against the stacks as they are deployed (CloudFormation GetTemplate, with
    /// each target's credentials); a stack that does not exist shows as created.
    #[cfg(feature = "deploy")]
    #[arg(long, conflicts_with_all = ["templates", "against"])]
    deployed: bool,
    /// With --deployed: only these targets (repeatable).
    #[cfg(feature = "deploy")]
    #[arg(long = "target", value_name = "NAME", requires = "deployed")]
    targets: Vec<String>,
    /// The blueprint folder.
    #[arg(long, value_name = "DIR", default_value = "blueprints")]
    blueprints: PathBuf,
    /// The out folder.
    #[arg(long, value_name = "DIR", default_value = "out")]
    out: PathBuf,
    #[arg(long, value_enum, default_value = "terminal")]
    format: Output,
    #[arg(long, value_enum, default_value = "auto")]
    color: Color,
    /// Exit 1 when there are changes.
    #[arg(long)]
    fail: bool,
    /// Write the report to this file instead of standard output; Markdown is then not
    /// cut to fit a pull-request comment.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Exit 3 when changes are of these kinds (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "RISKS")]
    fail_on: Vec<Risk>,
}

fn parse(label: &str, text: &str) -> Result<Template, i32> {
    Template::parse_any(text).map_err(|e| fail(&format!("{label}: {e}")))
}

/// Reads a template (a file, or standard input for `-`) and loads the schema facts of
/// its resource types.
fn read_warm(path: &Path) -> Result<Template, i32> {
    let (label, text) = if inputs::is_stdin(path) {
        (inputs::STDIN_LABEL.to_string(), inputs::read_stdin()?)
    } else {
        (path.display().to_string(), inputs::read_file(path)?)
    };
    let t = parse(&label, &text)?;
    warm(&t);
    Ok(t)
}

fn warm(t: &Template) {
    for r in t.resources.values() {
        let _ = perimeter::resources::facts::lookup(r.resource_type.as_str());
    }
}

/// Two folders: their templates paired by path relative to each folder.
fn folders(old_dir: &Path, new_dir: &Path) -> Result<Report, i32> {
    let old: BTreeMap<String, inputs::Input> = inputs::folder(old_dir)?.into_iter().collect();
    let new: BTreeMap<String, inputs::Input> = inputs::folder(new_dir)?.into_iter().collect();
    let mut rels: Vec<&String> = old.keys().chain(new.keys()).collect();
    rels.sort();
    rels.dedup();
    let mut files = Vec::new();
    for rel in rels {
        let side = |m: &BTreeMap<String, inputs::Input>| -> Result<Option<Template>, i32> {
            m.get(rel).map(|i| parse(&i.label, &i.text)).transpose()
        };
        let (o, n) = (side(&old)?, side(&new)?);
        let status = match (&o, &n) {
            (None, _) => FileStatus::Added,
            (_, None) => FileStatus::Removed,
            _ => FileStatus::Modified,
        };
        let path = match status {
            FileStatus::Removed => old_dir.join(rel),
            _ => new_dir.join(rel),
        };
        let diff = perimeter::diff::diff(&o.unwrap_or_default(), &n.unwrap_or_default());
        if !diff.is_empty() || status != FileStatus::Modified {
            files.push(FileDiff {
                path: path.display().to_string(),
                status,
                diff,
            });
        }
    }
    Ok(Report { files })
}

/// The old templates: files under `out/`, now or at a revision, by path relative to it.
fn old_templates(a: &Args) -> Result<BTreeMap<String, (String, String)>, i32> {
    let mut out = BTreeMap::new();
    let is_template = |p: &str| p.contains(".template.");
    match &a.against {
        None => {
            if a.out.is_dir() {
                for rel in synth::list_files(&a.out).map_err(|e| fail(&e.to_string()))? {
                    if is_template(&rel) {
                        let p = a.out.join(&rel);
                        let text = inputs::read_file(&p)?;
                        out.insert(rel, (p.display().to_string(), text));
                    }
                }
            }
        }
        Some(rev) => {
            // git names paths from the repository root; an absolute --out is made
            // relative to the current folder first.
            let out_dir = match a.out.is_absolute() {
                false => a.out.clone(),
                true => {
                    let cwd = std::env::current_dir()
                        .map_err(|e| fail(&format!("current folder: {e}")))?;
                    a.out
                        .strip_prefix(&cwd)
                        .map(Path::to_path_buf)
                        .map_err(|_| {
                            fail(&format!(
                                "--against needs --out inside the current folder, found {}",
                                a.out.display()
                            ))
                        })?
                }
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
                out.insert(rel, (format!("{rev}:{full}"), text));
            }
        }
    }
    Ok(out)
}

fn git(args: &[&str]) -> Result<String, i32> {
    let o = Command::new("git")
        .args(args)
        .output()
        .map_err(|e| fail(&format!("git: {e}")))?;
    if !o.status.success() {
        return Err(fail(&format!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&o.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&o.stdout).into_owned())
}

/// The blueprints, synthesized in memory, against the stacks as deployed.
#[cfg(feature = "deploy")]
fn deployed(a: &Args) -> Result<Report, i32> {
    let sources = super::Sources {
        files: vec![],
        blueprints: a.blueprints.clone(),
    };
    let blueprints = sources.load()?;
    let mut live = perimeter::deploy::deployed_templates(&blueprints, &a.targets)
        .map_err(|e| fail(&e.to_string()))?;
    let opts = Options {
        out_dir: a.out.clone(),
        format: TemplateFormat::Json,
        targets: a.targets.clone(),
        complete: false,
    };
    let files = against(&blueprints, &opts, |art| {
        let b = blueprints
            .iter()
            .find(|b| b.name.as_str() == art.entry.blueprint);
        let stack = b
            .and_then(|b| {
                b.spec
                    .targets
                    .iter()
                    .find(|t| t.name.as_str() == art.entry.target)
            })
            .map(|t| t.stack(&art.entry.blueprint))
            .unwrap_or_default();
        let path = format!(
            "{stack} ({} {}, target {})",
            art.entry.account, art.entry.region, art.entry.target
        );
        let key = (art.entry.blueprint.clone(), art.entry.target.clone());
        let old = live
            .remove(&key)
            .flatten()
            .filter(|t| !t.is_empty())
            .map(|t| (format!("the deployed template of {stack}"), t));
        (path, old)
    })?;
    Ok(Report { files })
}

/// Each artifact of the blueprints against its old template: `old` gives the path to
/// show and the old template's label and text (`None`: it is created).
fn against(
    blueprints: &[perimeter::blueprint::Blueprint],
    opts: &Options,
    mut old: impl FnMut(&synth::Artifact) -> (String, Option<(String, String)>),
) -> Result<Vec<FileDiff>, i32> {
    let mut files = Vec::new();
    let mut result = Ok(());
    synth::each_artifact(blueprints, opts, |art| {
        let (path, old_text) = old(&art);
        let (status, old_t) = match old_text {
            Some((label, text)) => match Template::parse_any(&text) {
                Ok(t) => (FileStatus::Modified, t),
                Err(e) => {
                    result = Err(fail(&format!("{label}: {e}")));
                    return Ok(());
                }
            },
            None => (FileStatus::Added, Template::default()),
        };
        let diff = perimeter::diff::diff(&old_t, &art.template);
        if !diff.is_empty() || status == FileStatus::Added {
            files.push(FileDiff { path, status, diff });
        }
        Ok(())
    })
    .map_err(|e| fail(&e.to_string()))?;
    result?;
    Ok(files)
}

fn report(a: &Args) -> Result<Report, i32> {
    #[cfg(feature = "deploy")]
    if a.deployed {
        return deployed(a);
    }
    if !a.templates.is_empty() {
        if a.templates.len() != 2 {
            return Err(fail(
                "diff takes two templates (or two folders), OLD and NEW, or none",
            ));
        }
        let (o, n) = (&a.templates[0], &a.templates[1]);
        if inputs::is_stdin(o) && inputs::is_stdin(n) {
            return Err(fail("only one of OLD and NEW can be standard input (-)"));
        }
        match (o.is_dir(), n.is_dir()) {
            (true, true) => return folders(o, n),
            (false, false) => {}
            _ => {
                return Err(fail(&format!(
                    "{} is a folder and {} is not: compare two folders or two templates",
                    if o.is_dir() { o } else { n }.display(),
                    if o.is_dir() { n } else { o }.display()
                )));
            }
        }
        // Two independent files: read and parse them on both cores, each thread also
        // loading the schema facts its resource types need.
        let (old, new) = std::thread::scope(|s| {
            let old = s.spawn(|| read_warm(&a.templates[0]));
            let new = read_warm(&a.templates[1]);
            (old.join().unwrap_or(Err(EXIT_ERROR)), new)
        });
        let (old, new) = (old?, new?);
        let new_label = if inputs::is_stdin(n) {
            inputs::STDIN_LABEL.to_string()
        } else {
            n.display().to_string()
        };
        let report = Report::single(&new_label, perimeter::diff::diff(&old, &new));
        // The process ends after printing: freeing two large trees node by node would
        // cost more than the diff itself.
        std::mem::forget((old, new));
        return Ok(report);
    }
    let sources = super::Sources {
        files: vec![],
        blueprints: a.blueprints.clone(),
    };
    let blueprints = sources.load()?;
    let mut old = old_templates(a)?;
    let opts = Options {
        out_dir: a.out.clone(),
        format: TemplateFormat::Json,
        targets: vec![],
        complete: true,
    };
    let mut files = against(&blueprints, &opts, |art| {
        let path = format!("{}/{}", a.out.display(), art.entry.path);
        // A snapshot written as YAML is the same template.
        let yaml = art.entry.path.replace(".template.json", ".template.yaml");
        (
            path,
            old.remove(&art.entry.path).or_else(|| old.remove(&yaml)),
        )
    })?;
    for (rel, (label, text)) in old {
        let t = parse(&label, &text)?;
        files.push(FileDiff {
            path: format!("{}/{rel}", a.out.display()),
            status: FileStatus::Removed,
            diff: perimeter::diff::diff(&t, &Template::default()),
        });
    }
    files.sort_by(|x, y| x.path.cmp(&y.path));
    Ok(Report { files })
}

pub fn run(a: &Args) -> i32 {
    let report = match report(a) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let color = a.color.enabled() && a.output.is_none();
    let text = match a.format {
        Output::Terminal => render::terminal(&report, color),
        Output::Markdown if a.output.is_some() => render::markdown_full(&report),
        Output::Markdown => render::markdown(&report),
        Output::Json => render::json(&report),
    };
    match &a.output {
        None => out!("{text}"),
        Some(path) => {
            if let Err(e) = std::fs::write(path, text) {
                return fail(&perimeter::io_error::IoError::new("write", path, e).to_string());
            }
        }
    }
    let risky = (a.fail_on.contains(&Risk::Broadening) && report.broadens())
        || (a.fail_on.contains(&Risk::Destructive) && report.destructive())
        || (a.fail_on.contains(&Risk::Unknown) && report.unknown());
    if risky {
        EXIT_RISK
    } else if a.fail && !report.is_empty() {
        EXIT_DIFFERENT
    } else {
        EXIT_OK
    }
}
