//! `perimeter init`.

use std::path::PathBuf;

use clap::ValueEnum;
use perimeter::blueprint::Solution;
use perimeter::init::{self, Options};

use super::output::outln;
use super::{EXIT_OK, fail};

/// The solutions `init` can start a project with.
#[derive(Clone, Copy, ValueEnum)]
pub enum SolutionArg {
    /// Private access to Amazon Bedrock over AWS PrivateLink.
    BedrockPrivateAccess,
}

impl From<SolutionArg> for Solution {
    fn from(s: SolutionArg) -> Solution {
        match s {
            SolutionArg::BedrockPrivateAccess => Solution::BedrockPrivateAccess,
        }
    }
}

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
    /// The solution the blueprint instantiates.
    #[arg(long, value_enum, default_value = "bedrock-private-access")]
    solution: SolutionArg,
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

pub fn run(a: &Args) -> i32 {
    let opts = Options {
        dir: a.dir.clone(),
        solution: a.solution.into(),
        name: a.name.clone(),
        account: a.account.clone(),
        region: a.region.clone(),
        action: a.action.clone(),
    };
    match init::init(&opts) {
        Err(e) => fail(&e.to_string()),
        Ok(files) => {
            let dir = a.dir.display();
            for f in &files {
                outln!("created {dir}/{f}");
            }
            outln!(
                "\nNext: edit the blueprint (account, region, models), then\n  perimeter synth    rewrite out/\n  perimeter check    prove the perimeter\n  git init && git add -A && git commit -m 'perimeter init'"
            );
            EXIT_OK
        }
    }
}
