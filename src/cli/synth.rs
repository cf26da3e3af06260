//! `perimeter synth`.

use std::path::PathBuf;

use perimeter::synth::{self, Options};

use super::{EXIT_DIFFERENT, EXIT_OK, Format, Sources, display, fail};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    sources: Sources,
    /// The output folder.
    #[arg(long, value_name = "DIR", default_value = "out")]
    out: PathBuf,
    /// Template format.
    #[arg(long, value_enum, default_value = "json")]
    format: Format,
    /// Only this target (repeatable).
    #[arg(long = "target", value_name = "NAME")]
    targets: Vec<String>,
    /// Synthesize in memory and compare with the out folder: exit 1 listing stale,
    /// missing and extra files. Writes nothing.
    #[arg(long)]
    check: bool,
}

pub fn run(a: &Args) -> i32 {
    let blueprints = match a.sources.load() {
        Ok(b) => b,
        Err(code) => return code,
    };
    let opts = Options {
        out_dir: a.out.clone(),
        format: a.format.into(),
        targets: a.targets.clone(),
        complete: a.sources.complete(),
    };
    let out = display(&a.out);
    if a.check {
        return match synth::check(&blueprints, &opts) {
            Err(e) => fail(&e.to_string()),
            Ok(r) if r.is_clean() => {
                println!("{out} is up to date");
                EXIT_OK
            }
            Ok(r) => {
                for (kind, files) in [
                    ("stale", &r.stale),
                    ("missing", &r.missing),
                    ("extra", &r.extra),
                ] {
                    for f in files {
                        println!("{kind}: {out}/{f}");
                    }
                }
                eprintln!(
                    "{out} does not match the blueprints: run `perimeter synth` and commit {out}/"
                );
                EXIT_DIFFERENT
            }
        };
    }
    match synth::synth(&blueprints, &opts) {
        Err(e) => fail(&e.to_string()),
        Ok(r) => {
            for e in &r.written {
                println!(
                    "wrote {out}/{} ({} {}, sha256 {})",
                    e.path,
                    e.account,
                    e.region,
                    &e.sha256[..12]
                );
            }
            for p in &r.removed {
                println!("removed {out}/{p}");
            }
            EXIT_OK
        }
    }
}
