//! `perimeter context refresh`: the values a template cannot look up, asked of AWS per
//! target and written to `perimeter.context.json` for synth to read.

use crate::deploy::context::{self, Source};
use crate::solution::context::SERVICES;

use super::output::outln;
use super::{EXIT_ERROR, EXIT_OK, Sources, fail};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Look up, per target's account and Region, the service prefix lists (s3,
    /// dynamodb), the Availability Zones and their ids, the endpoint services each zone
    /// offers and the organization id, and write them to perimeter.context.json (commit
    /// it: synth reads it and never calls AWS).
    Refresh(RefreshArgs),
}

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
pub struct RefreshArgs {
    #[command(flatten)]
    sources: Sources,
    /// Only these targets (repeatable); default: every target.
    #[arg(long = "target", value_name = "NAME")]
    targets: Vec<String>,
    /// Endpoint services to record besides the usual ones (short names, repeatable:
    /// `--service ecr.api`).
    #[arg(long = "service", value_name = "NAME")]
    services: Vec<String>,
}

pub fn run(a: &Args, _app: &crate::app::App) -> i32 {
    let Command::Refresh(r) = &a.command;
    // The targets only: settings that say `lookup` need the file this writes.
    let files = match r.sources.files() {
        Ok(f) => f,
        Err(code) => return code,
    };
    let mut sources = Vec::new();
    for f in &files {
        match Source::read(f) {
            Ok(s) => sources.push(s),
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_ERROR;
            }
        }
    }
    let mut services: Vec<String> = SERVICES.iter().map(|s| s.to_string()).collect();
    services.extend(r.services.iter().cloned());
    services.sort();
    services.dedup();
    match context::refresh(&sources, &r.targets, &services) {
        Err(e) => fail(&e.to_string()),
        Ok(written) => {
            for w in &written {
                let places: Vec<String> = w
                    .looked_up
                    .iter()
                    .map(|(a, r)| format!("{a} {r}"))
                    .collect();
                outln!(
                    "{} {} ({})",
                    if w.changed { "wrote" } else { "unchanged" },
                    w.file.display(),
                    places.join(", ")
                );
            }
            EXIT_OK
        }
    }
}
