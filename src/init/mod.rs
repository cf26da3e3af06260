//! `perimeter init`: a new project in a folder: a blueprint with every setting explained,
//! the blueprint schema for editors, `.gitignore`, a README, a pre-commit configuration,
//! a GitHub Actions workflow (synth --check, check as SARIF for code scanning, the diff as
//! a pull-request comment) and the synthesized `out/`, so that the project's own CI
//! passes as generated.
//!
//! Nothing is written when a file it would create already exists, or when the starter
//! blueprint does not validate: a refused init leaves the folder as it was.

pub mod app;
mod files;

use std::path::{Path, PathBuf};

use crate::blueprint::{AccountId, Blueprint, BlueprintError, Name, Region};
use crate::io_error::IoError;
use crate::solution::Solutions;
use crate::synth::{self, SynthError};
use crate::template::Format;

/// What to create.
#[derive(Debug, Clone)]
pub struct Options {
    /// The project folder (created when missing).
    pub dir: PathBuf,
    /// The solution's name, one of those the program knows.
    pub solution: String,
    /// The blueprint's name (its file name); default: the solution's name.
    pub name: Option<String>,
    pub account: String,
    pub region: String,
    /// The GitHub Action the workflow installs perimeter with, `owner/repo@ref`.
    pub action: String,
}

/// Why init refused.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// A flag's value is invalid.
    #[error("{flag}: {message}")]
    Invalid { flag: &'static str, message: String },
    /// Files init would create are already there.
    #[error("{} already there: init writes only into a new project, and changed nothing", .0.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))]
    Exists(Vec<PathBuf>),
    /// The generated blueprint does not validate (a bug, or a flag it did not catch).
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Blueprint(Vec<BlueprintError>),
    #[error(transparent)]
    Synth(#[from] SynthError),
    #[error(transparent)]
    Io(#[from] IoError),
}

/// The files of a new project, relative to its folder, with their text.
pub fn plan(opts: &Options, solutions: &Solutions) -> Result<Vec<(String, String)>, InitError> {
    let invalid = |flag, message| InitError::Invalid { flag, message };
    let solution = solutions.get(&opts.solution).ok_or_else(|| {
        invalid(
            "--solution",
            format!(
                "unknown solution {:?}; this program knows: {}",
                opts.solution,
                solutions.names().join(", ")
            ),
        )
    })?;
    let account: AccountId = opts
        .account
        .parse()
        .map_err(|m: crate::error::Invalid| invalid("--account", m.into()))?;
    let region: Region = opts
        .region
        .parse()
        .map_err(|m: crate::error::Invalid| invalid("--region", m.into()))?;
    let name_text = opts.name.clone().unwrap_or_else(|| opts.solution.clone());
    let name: Name = name_text
        .parse()
        .map_err(|m: crate::error::Invalid| invalid("--name", m.into()))?;
    if !opts.action.contains('/') || !opts.action.contains('@') {
        return Err(invalid(
            "--action",
            format!("expected owner/repository@ref, found {:?}", opts.action),
        ));
    }
    let blueprint_file = format!("blueprints/{name}.yaml");
    let blueprint_text = solution
        .starter()
        .replace("{ACCOUNT}", account.as_str())
        .replace("{REGION}", region.as_str());
    // The starter must be a valid blueprint for these flags, or nothing is written.
    Blueprint::parse(name, &blueprint_file, &blueprint_text, solutions)
        .map_err(InitError::Blueprint)?;
    Ok(vec![
        (blueprint_file, blueprint_text),
        (
            "schema/blueprint.schema.json".into(),
            crate::blueprint::json_schema(solutions),
        ),
        (".gitignore".into(), files::gitignore()),
        (
            "README.md".into(),
            files::readme(&opts.solution, &opts.action),
        ),
        (
            ".pre-commit-config.yaml".into(),
            files::pre_commit(&opts.action),
        ),
        (
            ".github/workflows/perimeter.yml".into(),
            files::workflow(&opts.action),
        ),
    ])
}

/// Creates the project: its files, then `out/` synthesized from the blueprint. Returns
/// the paths written, relative to the folder.
pub fn init(opts: &Options, solutions: &Solutions) -> Result<Vec<String>, InitError> {
    let files = plan(opts, solutions)?;
    let taken: Vec<PathBuf> = files
        .iter()
        .map(|(rel, _)| opts.dir.join(rel))
        .chain([opts.dir.join("out")])
        .filter(|p| p.exists())
        .collect();
    if !taken.is_empty() {
        return Err(InitError::Exists(taken));
    }
    let mut made = Made::default();
    if let Err(e) = write_all(&opts.dir, &files, &mut made, solutions) {
        // A refused init leaves the folder as it was: its files go, then the folders it
        // made (only those, and only when empty).
        for rel in made.files.iter().rev() {
            let _ = std::fs::remove_file(opts.dir.join(rel));
        }
        let _ = std::fs::remove_dir_all(opts.dir.join("out"));
        for d in made.dirs.iter().rev() {
            let _ = std::fs::remove_dir(d);
        }
        return Err(e);
    }
    Ok(made.files)
}

/// What init has created so far, to undo on failure.
#[derive(Default)]
struct Made {
    files: Vec<String>,
    dirs: Vec<PathBuf>,
}

impl Made {
    /// Creates `dir` and its missing parents, remembering each one made.
    fn dir(&mut self, dir: &Path) -> Result<(), InitError> {
        let missing: Vec<&Path> = dir
            .ancestors()
            .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
            .collect();
        for d in missing.into_iter().rev() {
            std::fs::create_dir(d)
                .map_err(|e| InitError::Io(IoError::new("create folder", d, e)))?;
            self.dirs.push(d.to_path_buf());
        }
        Ok(())
    }
}

fn write_all(
    dir: &Path,
    files: &[(String, String)],
    made: &mut Made,
    solutions: &Solutions,
) -> Result<(), InitError> {
    made.dir(dir)?;
    for (rel, text) in files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            made.dir(parent)?;
        }
        std::fs::write(&path, text).map_err(|e| InitError::Io(IoError::new("write", &path, e)))?;
        made.files.push(rel.clone());
    }
    let blueprints: Vec<Blueprint> = files
        .iter()
        .filter(|(rel, _)| rel.starts_with("blueprints/"))
        .map(|(rel, _)| Blueprint::load(&dir.join(rel), solutions).map_err(InitError::Blueprint))
        .collect::<Result<_, _>>()?;
    let report = synth::synth(
        &blueprints,
        &synth::Options {
            out_dir: dir.join("out"),
            format: Format::Json,
            targets: vec![],
            complete: true,
        },
    )
    .map_err(InitError::Synth)?;
    made.files.extend(
        report
            .written
            .iter()
            .map(|w| format!("out/{}", w.entry.path))
            .chain([format!("out/{}", synth::MANIFEST_FILE)]),
    );
    Ok(())
}
