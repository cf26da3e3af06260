//! Synth: every target of every blueprint into `out/<blueprint>/<target>.template.json`
//! plus `out/manifest.json`, atomically. Templates are written into a staging folder as
//! they are made (memory stays flat however many targets), and the staging folder
//! replaces `out/` only when all succeeded: on any error `out/` is as it was.

mod manifest;
mod par;
mod stack_set;
mod staging;

use std::collections::BTreeMap;
use std::path::PathBuf;

use sha2::{Digest, Sha256};

pub use manifest::{AssetEntry, Entry, Kind, MANIFEST_FILE, Manifest};
pub use par::{par_map, threads};
pub use stack_set::{InstanceGroup, instance_groups, operation_preferences, stack_set_resource};
pub use staging::{Change, LEFTOVER_PATTERNS, list_files};

use crate::blueprint::Blueprint;
use crate::check::{Severity, quotas};
use crate::constructs::ConstructError;
use crate::diff::render::Report as DiffReport;
use crate::io_error::IoError;
use crate::template::{Format, Template};

/// What to synthesize and where.
#[derive(Debug, Clone)]
pub struct Options {
    pub out_dir: PathBuf,
    pub format: Format,
    /// Only these targets (empty: all).
    pub targets: Vec<String>,
    /// The blueprints given are all there are: files in `out/` that no blueprint makes
    /// are removed (or reported, with check).
    pub complete: bool,
}

/// Why synth stopped.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// A target could not be built.
    #[error("{blueprint}, target {target}: {source}")]
    Build {
        blueprint: String,
        target: String,
        #[source]
        source: ConstructError,
    },
    /// A target's template is one CloudFormation would refuse (its quotas).
    #[error("{blueprint}, target {target}: {}", .problems.join("; "))]
    OverQuota {
        blueprint: String,
        target: String,
        problems: Vec<String>,
    },
    /// A `--target` names no target.
    #[error("no target named {name:?}; the targets are: {}", .known.join(", "))]
    UnknownTarget { name: String, known: Vec<String> },
    #[error(transparent)]
    Io(#[from] IoError),
    #[error("{0}")]
    Manifest(String),
}

/// One synthesized template.
#[derive(Debug, Clone, PartialEq)]
pub struct Artifact {
    pub entry: Entry,
    /// The template as written into the file.
    pub body: String,
    /// The template the body was emitted from, for callers that compare it (diff).
    pub template: Template,
    /// The assets the template names, by key; deploy builds and uploads them.
    pub assets: Vec<crate::assets::Planned>,
    /// What the stack's grants mean (scenarios and claims), for check.
    pub intent: crate::constructs::Intent,
}

/// Builds each selected target's template in memory, handing each to `sink` in file
/// order.
pub fn each_artifact(
    blueprints: &[Blueprint],
    opts: &Options,
    sink: impl FnMut(Artifact) -> Result<(), SynthError>,
) -> Result<(), SynthError> {
    let hashed = |mut a: Artifact| {
        a.entry.sha256 = hex(&Sha256::digest(a.body.as_bytes()));
        a
    };
    map_in(blueprints, opts, hashed, sink, SERIAL_BELOW)
}

/// Fewer targets than this are built on the calling thread by [`each_artifact`], whose
/// work per target is only the build: a thread's start (its stack, its allocator heap
/// faulted in: about 70 page faults, and the cgroup files read for the core count) cost
/// a synth of the shipped blueprint's three targets 0.3-0.5 ms of CPU, about what the
/// second core saved of its wall time. check and diff, whose work per target is many
/// times the build, keep every core.
const SERIAL_BELOW: usize = 4;

/// Builds each selected target's template and runs `work` on it, on every core, a chunk
/// of targets at a time (memory stays flat however many targets); `sink` gets the
/// results one by one in file order, so output is the same on any machine. The first
/// error in file order is the one returned. The entries' `sha256` is left empty (check
/// and diff do not need it); [`each_artifact`] fills it in.
pub fn map_artifacts<R: Send>(
    blueprints: &[Blueprint],
    opts: &Options,
    work: impl Fn(Artifact) -> R + Sync,
    sink: impl FnMut(R) -> Result<(), SynthError>,
) -> Result<(), SynthError> {
    map_in(blueprints, opts, work, sink, 0)
}

/// [`map_artifacts`], on the calling thread alone when a blueprint has fewer than
/// `serial_below` targets to build.
fn map_in<R: Send>(
    blueprints: &[Blueprint],
    opts: &Options,
    work: impl Fn(Artifact) -> R + Sync,
    mut sink: impl FnMut(R) -> Result<(), SynthError>,
    serial_below: usize,
) -> Result<(), SynthError> {
    for wanted in &opts.targets {
        if !blueprints.iter().any(|b| {
            b.spec.targets.iter().any(|t| t.name.as_str() == wanted)
                || b.org.iter().any(|o| o.target.name.as_str() == wanted)
        }) {
            let known = blueprints
                .iter()
                .flat_map(|b| {
                    b.spec
                        .targets
                        .iter()
                        .map(|t| t.name.to_string())
                        .chain(b.org.iter().map(|o| o.target.name.to_string()))
                })
                .collect();
            return Err(SynthError::UnknownTarget {
                name: wanted.clone(),
                known,
            });
        }
    }
    for b in blueprints {
        let jobs: Vec<usize> = (0..b.resolved.len())
            .filter(|&i| {
                let name = b.resolved[i].0.name.as_str();
                opts.targets.is_empty() || opts.targets.iter().any(|t| t == name)
            })
            .collect();
        let one = |&i: &usize| artifact(b, i, opts).map(&work);
        if jobs.len() < serial_below {
            for r in jobs.iter().map(one) {
                sink(r?)?;
            }
        } else {
            for chunk in jobs.chunks(threads() * 16) {
                for r in par_map(chunk, one) {
                    sink(r?)?;
                }
            }
        }
        // An organizational unit's StackSet: one template for every account, built once.
        for o in &b.org {
            let t = &o.target;
            if !opts.targets.is_empty() && !opts.targets.iter().any(|n| n == t.name.as_str()) {
                continue;
            }
            // Built and tagged when the blueprint was read ([`OrgBuilt`]).
            let template = o.built.template.clone();
            let intent = o.built.intent.clone();
            let body = match opts.format {
                Format::Json => o.built.json.clone(),
                _ => template.emit(opts.format),
            };
            let mut found = Vec::new();
            quotas::check(&template, &body, &mut found);
            let over: Vec<String> = found
                .into_iter()
                .filter(|f| f.severity == Severity::Error)
                .map(|f| f.message)
                .collect();
            if !over.is_empty() {
                return Err(SynthError::OverQuota {
                    blueprint: b.file.clone(),
                    target: t.name.to_string(),
                    problems: over,
                });
            }
            let entry = |path: String, body: &str, kind: Kind| Entry {
                blueprint: b.name.to_string(),
                target: t.name.to_string(),
                account: t.administrator.account.to_string(),
                region: t.administrator.region.to_string(),
                stage: t.stage.to_string(),
                path,
                sha256: hex(&Sha256::digest(body.as_bytes())),
                kind,
                assets: Vec::new(),
            };
            let ext = opts.format.extension();
            let management = t
                .management_template
                .then(|| stack_set::stack_set_resource(b.name.as_str(), &b.spec, t, &o.built.json));
            sink(work(Artifact {
                entry: entry(
                    format!("{}/{}.template.{ext}", b.name, t.name),
                    &body,
                    Kind::StackSet,
                ),
                body,
                template,
                // None: a StackSet's template names no asset (refused when read).
                assets: Vec::new(),
                intent,
            }))?;
            if let Some(m) = management {
                let m = m.map_err(|e| SynthError::Build {
                    blueprint: b.file.clone(),
                    target: t.name.to_string(),
                    source: ConstructError::Invalid(e),
                })?;
                let body = m.emit(opts.format);
                sink(work(Artifact {
                    entry: entry(
                        format!("{}/{}.stackset.template.{ext}", b.name, t.name),
                        &body,
                        Kind::StackSetResource,
                    ),
                    body,
                    template: m,
                    assets: Vec::new(),
                    intent: Default::default(),
                }))?;
            }
        }
    }
    Ok(())
}

/// One target's template, emitted and within CloudFormation's quotas.
fn artifact(b: &Blueprint, i: usize, opts: &Options) -> Result<Artifact, SynthError> {
    let (target, props) = &b.resolved[i];
    let build_err = |source: ConstructError| SynthError::Build {
        blueprint: b.file.clone(),
        target: target.name.to_string(),
        source,
    };
    let mut stack = props.build().map_err(build_err)?;
    for (k, v) in target.all_tags(&b.spec) {
        stack.tag(&k, &v);
    }
    let intent = stack.intent().clone();
    let (template, assets) = stack.into_parts();
    let body = template.emit(opts.format);
    // A template CloudFormation would refuse is not written.
    let mut found = Vec::new();
    quotas::check(&template, &body, &mut found);
    let over: Vec<String> = found
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.message)
        .collect();
    if !over.is_empty() {
        return Err(SynthError::OverQuota {
            blueprint: b.file.clone(),
            target: target.name.to_string(),
            problems: over,
        });
    }
    let path = format!(
        "{}/{}.template.{}",
        b.name,
        target.name,
        opts.format.extension()
    );
    let entry = Entry {
        blueprint: b.name.to_string(),
        target: target.name.to_string(),
        account: target.account.to_string(),
        region: target.region.to_string(),
        stage: target.stage.to_string(),
        path,
        sha256: String::new(),
        kind: Kind::Stack,
        assets: assets
            .iter()
            .map(|a| AssetEntry {
                source: a.source.label.clone(),
                key: a.key.clone(),
                requirements: a.requirements.clone(),
            })
            .collect(),
    };
    Ok(Artifact {
        entry,
        body,
        template,
        assets,
        intent,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One file a synth run wrote, and what that did to `out/`.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub entry: Entry,
    pub change: Change,
}

/// What a synth run did to `out/`.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Every template of the selected targets, created, updated or unchanged.
    pub written: Vec<Written>,
    /// What happened to the manifest.
    pub manifest: Change,
    /// Files of `out/` that no target makes any more, removed.
    pub removed: Vec<String>,
    /// Folders that synths killed mid-way had left beside `out/`, cleaned up first.
    pub reaped: Vec<String>,
}

impl Report {
    /// Files created or updated (the manifest included) and removed: nothing means `out/`
    /// was already current.
    pub fn changed(&self) -> usize {
        self.written
            .iter()
            .filter(|w| w.change != Change::Unchanged)
            .count()
            + usize::from(self.manifest != Change::Unchanged)
            + self.removed.len()
    }

    /// Files written whose bytes were already there, the manifest included.
    pub fn unchanged(&self) -> usize {
        self.written
            .iter()
            .filter(|w| w.change == Change::Unchanged)
            .count()
            + usize::from(self.manifest == Change::Unchanged)
    }
}

/// The manifest entries of `out/` that this run does not touch.
fn kept_entries(blueprints: &[Blueprint], opts: &Options, existing: &Manifest) -> Vec<Entry> {
    if opts.complete && opts.targets.is_empty() {
        return vec![];
    }
    let in_scope = |e: &Entry| {
        blueprints.iter().any(|b| b.name.as_str() == e.blueprint)
            && (opts.targets.is_empty() || opts.targets.contains(&e.target))
    };
    let known = |e: &Entry| {
        !opts.complete
            || blueprints.iter().any(|b| {
                b.name.as_str() == e.blueprint
                    && (b.spec.targets.iter().any(|t| t.name.as_str() == e.target)
                        || b.org.iter().any(|o| o.target.name.as_str() == e.target))
            })
    };
    existing
        .artifacts
        .iter()
        .filter(|e| !in_scope(e) && known(e))
        .cloned()
        .collect()
}

/// Synthesizes into `opts.out_dir`, atomically. Folders left beside it by synths that
/// were killed mid-way are removed first.
pub fn synth(blueprints: &[Blueprint], opts: &Options) -> Result<Report, SynthError> {
    let reaped = staging::reap(&opts.out_dir)?;
    let existing = Manifest::read(&opts.out_dir)?;
    let stage = staging::Staging::new(&opts.out_dir);
    let mut written = Vec::new();
    each_artifact(blueprints, opts, |a| {
        let change = stage.write_or_link(&a.entry.path, a.body.as_bytes())?;
        written.push(Written {
            entry: a.entry,
            change,
        });
        Ok(())
    })?;
    let kept = kept_entries(blueprints, opts, &existing);
    for e in &kept {
        stage.carry_over(&e.path)?;
    }
    let mut artifacts: Vec<Entry> = kept
        .into_iter()
        .chain(written.iter().map(|w| w.entry.clone()))
        .collect();
    artifacts.sort_by(|a, b| a.path.cmp(&b.path));
    let manifest = Manifest { artifacts };
    let manifest_change = stage.write_or_link(MANIFEST_FILE, manifest.to_json().as_bytes())?;
    let before = staging::list_files(&opts.out_dir)?;
    let after: std::collections::HashSet<&str> = manifest
        .artifacts
        .iter()
        .map(|e| e.path.as_str())
        .chain([MANIFEST_FILE])
        .collect();
    let removed: Vec<String> = before
        .into_iter()
        .filter(|p| !after.contains(p.as_str()))
        .collect();
    stage.commit(!removed.is_empty())?;
    Ok(Report {
        written,
        manifest: manifest_change,
        removed,
        reaped,
    })
}

/// A file of `out/` whose bytes differ from what the blueprints make now.
#[derive(Debug, Clone, PartialEq)]
pub struct Stale {
    /// Relative to the out folder.
    pub path: String,
    /// What the change does, as `perimeter diff` summarizes it (`2 to update; broadens
    /// permissions`), or why there is none to give.
    pub summary: String,
}

/// What `synth --check` found: files that differ, are missing or should not be there.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckReport {
    pub stale: Vec<Stale>,
    pub missing: Vec<String>,
    pub extra: Vec<String>,
}

impl CheckReport {
    pub fn is_clean(&self) -> bool {
        self.stale.is_empty() && self.missing.is_empty() && self.extra.is_empty()
    }
}

/// The one-line summary of how a committed template differs from the new one.
fn stale_summary(old_text: &[u8], new: &Template) -> String {
    let Ok(old_text) = std::str::from_utf8(old_text) else {
        return "not UTF-8 text".into();
    };
    match Template::parse_any(old_text) {
        Err(e) => format!("the committed file does not parse ({e})"),
        Ok(old) => {
            let d = crate::check::broadening::diff(&old, new);
            if d.is_empty() {
                "same template, other bytes (formatting)".into()
            } else {
                DiffReport::single("", d).summary()
            }
        }
    }
}

/// Synthesizes in memory and compares with `out/`; writes nothing.
pub fn check(blueprints: &[Blueprint], opts: &Options) -> Result<CheckReport, SynthError> {
    let existing = Manifest::read(&opts.out_dir)?;
    let mut report = CheckReport::default();
    let mut expected: BTreeMap<String, ()> = BTreeMap::new();
    let mut entries = Vec::new();
    each_artifact(blueprints, opts, |a| {
        let path = opts.out_dir.join(&a.entry.path);
        match staging::same_bytes(&path, a.body.as_bytes()).and_then(|same| {
            if same {
                Ok(None)
            } else {
                std::fs::read(&path).map(Some)
            }
        }) {
            Ok(None) => {}
            Ok(Some(bytes)) => report.stale.push(Stale {
                path: a.entry.path.clone(),
                summary: stale_summary(&bytes, &a.template),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                report.missing.push(a.entry.path.clone())
            }
            Err(e) => return Err(SynthError::Io(IoError::new("read", path, e))),
        }
        expected.insert(a.entry.path.clone(), ());
        entries.push(a.entry);
        Ok(())
    })?;
    let kept = kept_entries(blueprints, opts, &existing);
    for e in &kept {
        expected.insert(e.path.clone(), ());
    }
    let mut artifacts: Vec<Entry> = kept.into_iter().chain(entries).collect();
    artifacts.sort_by(|a, b| a.path.cmp(&b.path));
    let manifest = Manifest { artifacts }.to_json();
    match std::fs::read(opts.out_dir.join(MANIFEST_FILE)) {
        Ok(b) if b == manifest.as_bytes() => {}
        Ok(_) => report.stale.push(Stale {
            path: MANIFEST_FILE.into(),
            summary: "targets, accounts, regions or hashes differ".into(),
        }),
        Err(_) => report.missing.push(MANIFEST_FILE.into()),
    }
    expected.insert(MANIFEST_FILE.into(), ());
    if opts.complete && opts.targets.is_empty() {
        report.extra = staging::list_files(&opts.out_dir)?
            .into_iter()
            .filter(|p| !expected.contains_key(p))
            .collect();
    }
    Ok(report)
}
