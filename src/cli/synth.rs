//! `perimeter synth`.

use std::path::PathBuf;

use crate::synth::{self, Change, Options};

use super::output::outln;
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
    /// missing and extra files, with what each change does. Writes nothing.
    #[arg(long)]
    check: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
}

pub fn run(a: &Args, app: &crate::app::App) -> i32 {
    let blueprints = match a.sources.load(app) {
        Ok(b) => b,
        Err(code) => return code,
    };
    let opts = Options {
        out_dir: a.out.clone(),
        format: a.format.into(),
        targets: a.targets.clone(),
        complete: a.sources.complete(),
    };
    if a.check {
        check(a, &blueprints, &opts)
    } else {
        write(a, &blueprints, &opts)
    }
}

fn check(a: &Args, blueprints: &[crate::blueprint::Blueprint], opts: &Options) -> i32 {
    let out = display(&a.out);
    let r = match synth::check(blueprints, opts) {
        Err(e) => return fail(&e.to_string()),
        Ok(r) => r,
    };
    if r.is_clean() {
        if !a.quiet {
            outln!("{out} is up to date");
        }
        return EXIT_OK;
    }
    if !a.quiet {
        for s in &r.stale {
            outln!("stale: {out}/{}: {}", s.path, s.summary);
        }
        for f in &r.missing {
            outln!("missing: {out}/{f}: not synthesized yet");
        }
        for f in &r.extra {
            outln!("extra: {out}/{f}: no blueprint target makes it");
        }
    }
    // The way forward, as cargo-insta points to `cargo insta review`.
    let p = crate::program::name();
    let review = format!("{p} diff");
    let accept = format!("{p} synth");
    eprintln!(
        "{out} does not match the blueprints.\n  review: {review:<24}(what each change does, resource by resource)\n  accept: {accept:<24}(then commit {out}/)"
    );
    EXIT_DIFFERENT
}

fn write(a: &Args, blueprints: &[crate::blueprint::Blueprint], opts: &Options) -> i32 {
    let out = display(&a.out);
    let r = match synth::synth(blueprints, opts) {
        Err(e) => return fail(&e.to_string()),
        Ok(r) => r,
    };
    if a.quiet {
        return EXIT_OK;
    }
    let parent = a
        .out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(|p| format!("{}/", p.display()))
        .unwrap_or_default();
    for leftover in &r.reaped {
        outln!("cleaned {parent}{leftover}: left by a synth that was stopped mid-way");
    }
    for w in r.written.iter().filter(|w| w.change != Change::Unchanged) {
        let e = &w.entry;
        outln!(
            "{} {out}/{} ({} {}, sha256 {})",
            w.change.label(),
            e.path,
            e.account,
            e.region,
            &e.sha256[..12]
        );
    }
    for p in &r.removed {
        outln!("removed {out}/{p}");
    }
    if r.manifest != Change::Unchanged {
        outln!("{} {out}/{}", r.manifest.label(), synth::MANIFEST_FILE);
    }
    let unchanged = r.unchanged();
    let files = if unchanged == 1 { "file" } else { "files" };
    if r.changed() == 0 {
        outln!("{out} is up to date ({unchanged} {files} unchanged)");
    } else {
        outln!("{unchanged} {files} unchanged");
    }
    EXIT_OK
}
