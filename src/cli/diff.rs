//! `perimeter diff`: two templates, or the blueprints against out/ (as it is, or as it
//! was at a git revision).

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use crate::diff::render::{self, FileDiff, FileStatus, Report};
#[cfg(feature = "deploy")]
use crate::synth::Options;
#[cfg(feature = "deploy")]
use crate::template::Format as TemplateFormat;
use crate::template::Template;
use clap::ValueEnum;

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
    /// Only these blueprint targets (repeatable), against out/, a revision or the
    /// deployed stacks; default: every target.
    #[arg(long = "target", value_name = "NAME", conflicts_with = "templates")]
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
        let _ = crate::resources::facts::lookup(r.resource_type.as_str());
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
        let diff = crate::check::broadening::diff(&o.unwrap_or_default(), &n.unwrap_or_default());
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

/// The blueprints, synthesized in memory, against the stacks as deployed.
#[cfg(feature = "deploy")]
fn deployed(a: &Args, app: &crate::app::App) -> Result<Report, i32> {
    let sources = super::Sources {
        files: vec![],
        blueprints: a.blueprints.clone(),
    };
    let blueprints = sources.load(app)?;
    let mut live = crate::deploy::deployed_templates(&blueprints, &a.targets)
        .map_err(|e| fail(&e.to_string()))?;
    let opts = Options {
        out_dir: a.out.clone(),
        format: TemplateFormat::Json,
        targets: a.targets.clone(),
        complete: false,
    };
    let files = crate::project::diff_artifacts(&blueprints, &opts, |art| {
        // The StackSet resource's template is for a pipeline to deploy, not perimeter:
        // nothing deployed to compare it with, so it is left out (same on both sides).
        if art.entry.kind == crate::synth::Kind::StackSetResource {
            let same = crate::project::OldTemplate {
                label: String::new(),
                text: art.body.clone(),
            };
            return (String::new(), Some(same));
        }
        let b = blueprints
            .iter()
            .find(|b| b.name.as_str() == art.entry.blueprint);
        let stack = b
            .and_then(|b| {
                let stack = b
                    .spec
                    .targets
                    .iter()
                    .find(|t| t.name.as_str() == art.entry.target)
                    .map(|t| t.stack(&art.entry.blueprint));
                stack.or_else(|| {
                    b.org
                        .iter()
                        .find(|o| o.target.name.as_str() == art.entry.target)
                        .map(|o| format!("StackSet {}", o.target.stack_set(&art.entry.blueprint)))
                })
            })
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
            .map(|text| crate::project::OldTemplate {
                label: format!("the deployed template of {stack}"),
                text,
            });
        (path, old)
    })
    .map_err(|e| fail(&e.to_string()))?;
    Ok(Report { files })
}

fn report(a: &Args, app: &crate::app::App) -> Result<Report, i32> {
    #[cfg(feature = "deploy")]
    if a.deployed {
        return deployed(a, app);
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
            let old = crate::iam::prove::par::spawn_beside(s, || read_warm(&a.templates[0]));
            let new = read_warm(&a.templates[1]);
            let old = match old {
                Ok(h) => h.join().unwrap_or(Err(EXIT_ERROR)),
                // No thread to be had: this one reads it too.
                Err(_) => read_warm(&a.templates[0]),
            };
            (old, new)
        });
        let (old, new) = (old?, new?);
        let new_label = if inputs::is_stdin(n) {
            inputs::STDIN_LABEL.to_string()
        } else {
            n.display().to_string()
        };
        let report = Report::single(&new_label, crate::check::broadening::diff(&old, &new));
        // The process ends after printing: freeing two large trees node by node would
        // cost more than the diff itself.
        std::mem::forget((old, new));
        return Ok(report);
    }
    let sources = super::Sources {
        files: vec![],
        blueprints: a.blueprints.clone(),
    };
    let blueprints = sources.load(app)?;
    crate::project::diff_targets_against_out(&blueprints, &a.out, a.against.as_deref(), &a.targets)
        .map_err(|e| fail(&e.to_string()))
}

pub fn run(a: &Args, app: &crate::app::App) -> i32 {
    let report = match report(a, app) {
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
                return fail(&crate::io_error::IoError::new("write", path, e).to_string());
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
