//! Commands and their exit codes:
//! 0 success (and, with `--check`, out/ is current; for diff, no change or no `--fail`;
//! for check, no error);
//! 1 `synth --check` found out/ stale, `diff --fail` found changes, or `check` found
//! errors (or warnings, with `--deny-warnings`);
//! 2 an error (bad blueprint or template, unknown target, I/O), with nothing written;
//! 3 `diff --fail-on` found changes of the named kinds.
//! `prove`: 0 the property holds, 1 it does not or is not decided, 2 bad input.

mod check;
mod config;
#[cfg(feature = "deploy")]
mod context;
#[cfg(feature = "deploy")]
mod deploy;
mod diff;
#[cfg(feature = "deploy")]
mod drift;
mod init;
mod inputs;
mod list;
mod output;
mod prove;
mod simulate;
mod synth;

use std::path::{Path, PathBuf};

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::app::App;
use crate::blueprint::{self, Blueprint};

pub const EXIT_OK: i32 = 0;
pub const EXIT_DIFFERENT: i32 = 1;
pub const EXIT_ERROR: i32 = 2;

#[derive(Parser)]
#[command(
    name = "perimeter",
    version,
    about = "Typed infrastructure-as-code for CloudFormation: synthesize, review, check."
)]
#[command(
    after_help = "Exit codes: 0 success; 1 synth --check found out/ stale, diff --fail found changes, check found errors (warnings with --deny-warnings), or a deploy target was refused, declined or failed; 2 error (nothing written, nothing deployed); 3 diff --fail-on found changes of the named kinds."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Json,
    Yaml,
}

// Each subcommand's arguments are built only when it runs (or its help is shown): the
// whole tree, hundreds of arguments with their help texts, was a quarter of the
// instructions of `perimeter --version`.
#[derive(Subcommand)]
#[command(defer = true)]
enum Command {
    /// Synthesize CloudFormation templates for every target of the blueprints.
    Synth(synth::Args),
    /// Show what a change does: resource impacts, replacements, IAM and network changes.
    Diff(diff::Args),
    /// Validate templates and prove the data perimeter: schema, references, quotas,
    /// perimeter rules and an access simulation.
    Check(check::Args),
    /// List blueprints and their targets.
    List(list::Args),
    /// Decide IAM requests as AWS would: request files, or one call of a template's role.
    Simulate(simulate::Args),
    /// Prove properties of IAM policies for every request (no new access, access not
    /// granted, no public access), or every data perimeter of a template or blueprint,
    /// with a witness request when one fails.
    Prove(prove::Args),
    /// Print the JSON Schema of blueprint files.
    Schema,
    /// Start a project: a blueprint, its schema, .gitignore, README, pre-commit and CI
    /// configuration, and the synthesized out/.
    Init(init::Args),
    /// Deploy targets to CloudFormation: checked, account verified, a change set with
    /// perimeter's diff beside it, approval, then execution followed to the end.
    #[cfg(feature = "deploy")]
    Deploy(deploy::Args),
    /// Create the asset bucket stack (perimeter-bootstrap) in each account and region the
    /// targets deploy to.
    #[cfg(feature = "deploy")]
    Bootstrap(deploy::BootstrapArgs),
    /// Remove a target's stack (asks first unless --yes; lists what is retained).
    #[cfg(feature = "deploy")]
    Destroy(deploy::DestroyArgs),
    /// Values a template cannot look up (prefix lists, zone ids, the organization id,
    /// endpoint services per zone), kept in perimeter.context.json: `context refresh`.
    #[cfg(feature = "deploy")]
    Context(context::Args),
    /// CloudFormation's drift detection for the targets' stacks and StackSets: each
    /// drifted resource, which property differs and whether it broadens access. Exit 0
    /// in sync, 1 drifted, 2 error.
    #[cfg(feature = "deploy")]
    Drift(drift::Args),
}

/// Where blueprints come from: named files, or every file in a folder.
#[derive(clap::Args)]
pub struct Sources {
    /// Blueprint files; default: every *.yaml in --blueprints.
    #[arg(value_name = "BLUEPRINT")]
    pub files: Vec<PathBuf>,
    /// The folder searched when no file is named.
    #[arg(long, value_name = "DIR", default_value = "blueprints")]
    pub blueprints: PathBuf,
}

impl Sources {
    /// Loads and validates every blueprint, printing every error found.
    pub fn load(&self, app: &App) -> Result<Vec<Blueprint>, i32> {
        let files = self.files()?;
        let mut loaded = Vec::new();
        let mut failed = false;
        for f in &files {
            match Blueprint::load(f, &app.solutions) {
                Ok(b) => loaded.push(b),
                Err(errors) => {
                    failed = true;
                    errors.iter().for_each(|e| eprintln!("error: {e}"));
                }
            }
        }
        if failed { Err(EXIT_ERROR) } else { Ok(loaded) }
    }

    /// The blueprint files: those named, or every one in the folder.
    pub fn files(&self) -> Result<Vec<PathBuf>, i32> {
        let files = if self.files.is_empty() {
            if !self.blueprints.exists() {
                return Err(fail(&format!(
                    "no {} folder in {}: start a project with `{} init`, or name blueprint files or --blueprints DIR",
                    self.blueprints.display(),
                    std::env::current_dir()
                        .map(|d| d.display().to_string())
                        .unwrap_or_else(|_| ".".into()),
                    crate::program::name()
                )));
            }
            blueprint::discover(&self.blueprints).map_err(|e| fail(&e.to_string()))?
        } else {
            self.files.clone()
        };
        if files.is_empty() {
            return Err(fail(&format!(
                "no blueprint files in {}",
                self.blueprints.display()
            )));
        }
        Ok(files)
    }

    /// Whether the blueprints loaded are all there are.
    pub fn complete(&self) -> bool {
        self.files.is_empty()
    }
}

pub fn fail(msg: &str) -> i32 {
    eprintln!("error: {msg}");
    EXIT_ERROR
}

pub fn display(p: &Path) -> String {
    p.display().to_string()
}

/// Parses `args` (the first is the program's name) and runs the command for `app`;
/// returns the exit code.
pub fn run<I, T>(app: &App, args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
    let program = app.program_name(args.first().map(|a| a.as_os_str()));
    crate::program::set_name(&program);
    // `--version` alone, as clap would print it, without building the command line.
    if let [_, flag] = args.as_slice()
        && (flag == "--version" || flag == "-V")
    {
        output::outln!("{program} {}", env!("CARGO_PKG_VERSION"));
        return EXIT_OK;
    }
    let name: &'static str = Box::leak(program.into_boxed_str());
    let matches = Cli::command()
        .name(name)
        .bin_name(name)
        .get_matches_from(args);
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    match cli.command {
        Command::Synth(a) => synth::run(&a, app),
        Command::Diff(a) => diff::run(&a, app),
        Command::Check(a) => check::run(&a, app),
        Command::List(a) => list::run(&a, app),
        Command::Simulate(a) => simulate::run(&a, app),
        Command::Prove(a) => prove::run(&a, app),
        Command::Schema => {
            output::out!("{}", blueprint::json_schema(&app.solutions));
            EXIT_OK
        }
        Command::Init(a) => init::run(&a, app),
        #[cfg(feature = "deploy")]
        Command::Deploy(a) => deploy::run(&a, app),
        #[cfg(feature = "deploy")]
        Command::Bootstrap(a) => deploy::bootstrap(&a, app),
        #[cfg(feature = "deploy")]
        Command::Destroy(a) => deploy::destroy(&a, app),
        #[cfg(feature = "deploy")]
        Command::Context(a) => context::run(&a, app),
        #[cfg(feature = "deploy")]
        Command::Drift(a) => drift::run(&a, app),
    }
}

impl From<Format> for crate::template::Format {
    fn from(f: Format) -> Self {
        match f {
            Format::Json => crate::template::Format::Json,
            Format::Yaml => crate::template::Format::Yaml,
        }
    }
}
