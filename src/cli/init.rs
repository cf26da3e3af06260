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
    /// The project folder (created when missing).
    #[arg(value_name = "DIR", default_value = ".")]
    dir: PathBuf,
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

pub fn run(a: &Args, app: &crate::app::App) -> i32 {
    let Some(solution) = a
        .solution
        .clone()
        .or_else(|| app.solutions.names().first().map(|s| s.to_string()))
    else {
        return fail("this program knows no solution to start a project with");
    };
    let opts = Options {
        dir: a.dir.clone(),
        solution,
        name: a.name.clone(),
        account: a.account.clone(),
        region: a.region.clone(),
        action: a.action.clone(),
    };
    match init::init(&opts, &app.solutions) {
        Err(e) => fail(&e.to_string()),
        Ok(files) => {
            let dir = a.dir.display();
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
