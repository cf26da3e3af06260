//! `perimeter init`.

use std::path::PathBuf;

use crate::init::{self, Options};

use super::output::outln;
use super::{EXIT_OK, fail};

/// The GitHub Action of this release: the project's repository at this version's tag.
fn default_action() -> String {
    let repo = env!("CARGO_PKG_REPOSITORY").trim_start_matches("https://github.com/");
    format!("{repo}@v{}", env!("CARGO_PKG_VERSION"))
}

#[derive(clap::Args)]
pub struct Args {
    /// The project folder (created when missing); default: the current one, or with
    /// --app the app's name.
    #[arg(value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Instead of a project for this program's solutions: a crate of your own with a
    /// solution of its own (settings, construct, scenarios), its main.rs, a blueprint,
    /// tests and CI, built and synthesized once.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["solution", "name", "action"])]
    app: Option<String>,
    /// With --app: take perimeter from the checkout in DIR instead of crates.io (the
    /// dependency stays `perimeter = "VERSION"`; a [patch.crates-io] section points it at
    /// DIR).
    #[arg(long, value_name = "DIR", requires = "app")]
    perimeter_path: Option<PathBuf>,
    /// With --app: write the files only (no build, no out/ or schema yet).
    #[arg(long, requires = "app")]
    no_build: bool,
    /// The solution the blueprint instantiates (`list --solutions` names them); default:
    /// the program's first.
    #[arg(long, value_name = "NAME")]
    solution: Option<String>,
    /// The blueprint's name (its file name). Default: the solution's name.
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// The first target's AWS account.
    #[arg(long, value_name = "ID", default_value = "111111111111")]
    account: String,
    /// The first target's region.
    #[arg(long, value_name = "REGION", default_value = "us-east-1")]
    region: String,
    /// The GitHub Action the CI workflow installs perimeter with (owner/repo@ref).
    #[arg(long, value_name = "ACTION", default_value_t = default_action())]
    action: String,
}

/// `init --app NAME`.
fn run_app(a: &Args, name: &str) -> i32 {
    let dir = a.dir.clone().unwrap_or_else(|| PathBuf::from(name));
    let dependency = match &a.perimeter_path {
        None => init::app::Dependency::this_release(),
        Some(p) => match std::fs::canonicalize(p) {
            Ok(abs) if abs.join("Cargo.toml").is_file() => init::app::Dependency::Path(abs),
            _ => {
                return fail(&format!(
                    "--perimeter-path: {} is not a perimeter checkout (no Cargo.toml there)",
                    p.display()
                ));
            }
        },
    };
    let opts = init::app::AppOptions {
        dir: dir.clone(),
        name: name.to_string(),
        account: a.account.clone(),
        region: a.region.clone(),
        dependency,
        build: !a.no_build,
    };
    if opts.build {
        eprintln!(
            "building the app and synthesizing its blueprint (cargo run; the first build takes minutes)"
        );
    }
    match init::app::init_app(&opts) {
        Err(e) => fail(&e.to_string()),
        Ok(files) => {
            for f in &files {
                outln!("created {}/{f}", dir.display());
            }
            outln!(
                "\nNext: cd {}, edit src/{}/ and the blueprint, then\n  cargo run -- synth    rewrite out/\n  cargo run -- check    prove the perimeter and the scenarios\n  cargo test\n  git init && git add -A && git commit -m '{name}'",
                dir.display(),
                name.replace('-', "_")
            );
            EXIT_OK
        }
    }
}

pub fn run(a: &Args, app: &crate::app::App) -> i32 {
    if let Some(name) = &a.app {
        return run_app(a, name);
    }
    let Some(solution) = a
        .solution
        .clone()
        .or_else(|| app.solutions.names().first().map(|s| s.to_string()))
    else {
        return fail("this program knows no solution to start a project with");
    };
    let dir = a.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let opts = Options {
        dir: dir.clone(),
        solution,
        name: a.name.clone(),
        account: a.account.clone(),
        region: a.region.clone(),
        action: a.action.clone(),
    };
    match init::init(&opts, &app.solutions) {
        Err(e) => fail(&e.to_string()),
        Ok(files) => {
            let dir = dir.display();
            for f in &files {
                outln!("created {dir}/{f}");
            }
            let p = crate::program::name();
            outln!(
                "\nNext: edit the blueprint (account, region, models), then\n  {p} synth    rewrite out/\n  {p} check    prove the perimeter\n  git init && git add -A && git commit -m '{p} init'"
            );
            EXIT_OK
        }
    }
}
