//! The program's own name in its hints and usage lines (a team's binary is not called
//! `perimeter`), and `diff --target`.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SHIPPED: &str = include_str!("../../blueprints/bedrock-private-access.yaml");

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn run(program: &Path, dir: &Path, args: &[&str]) -> Output {
    // The binary was just copied: while another test's thread forks, its child holds
    // the copy's write descriptor until it execs, and exec of the copy fails with
    // ETXTBSY (seen under `cargo test`, whose tests share a process). It passes.
    for _ in 0..50 {
        match Command::new(program)
            .args(args)
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .output()
        {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return other.unwrap(),
        }
    }
    panic!("{} stayed busy for a second", program.display())
}

/// A workspace with the shipped blueprint synthesized into out/, and the perimeter
/// binary copied into it as `my-app` (a team's program of another name).
fn workspace() -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    common::write_shipped(d.path(), SHIPPED);
    let app = d.path().join("bin").join("my-app");
    std::fs::create_dir_all(app.parent().unwrap()).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_perimeter"), &app).unwrap();
    let o = run(&app, d.path(), &["synth", "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    (d, app)
}

#[test]
fn hints_and_usage_name_the_program_it_was_run_as() {
    let (d, app) = workspace();
    let flipped = SHIPPED.replace(
        "endpoint_policy_effect: Allow",
        "endpoint_policy_effect: Deny",
    );
    std::fs::write(
        d.path().join("blueprints/bedrock-private-access.yaml"),
        flipped,
    )
    .unwrap();
    let o = run(&app, d.path(), &["synth", "--check"]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("review: my-app diff"), "{err}");
    assert!(err.contains("accept: my-app synth"), "{err}");
    assert!(!err.contains("perimeter"), "{err}");
    // clap's usage line and errors.
    let o = run(&app, d.path(), &["--help"]);
    assert!(
        text(&o.stdout).contains("Usage: my-app <COMMAND>"),
        "{}",
        text(&o.stdout)
    );
    let o = run(&app, d.path(), &["synth", "--no-such-flag"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("Usage: my-app synth"),
        "{}",
        text(&o.stderr)
    );
    // A hint from the library (check's rule selection) names it too.
    let o = run(&app, d.path(), &["check", "--ignore", "NOPE1"]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("`my-app check --rules` lists them"), "{err}");
    // The same binary under its own name says perimeter.
    let o = run(
        Path::new(env!("CARGO_BIN_EXE_perimeter")),
        d.path(),
        &["synth", "--check"],
    );
    assert!(
        text(&o.stderr).contains("review: perimeter diff"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn diff_target_compares_only_the_named_targets() {
    let (d, app) = workspace();
    // prod's template changes; dev's file is gone from out/.
    let flipped = SHIPPED.replace(
        "endpoint_policy_effect: Allow",
        "endpoint_policy_effect: Deny",
    );
    std::fs::write(
        d.path().join("blueprints/bedrock-private-access.yaml"),
        flipped,
    )
    .unwrap();
    std::fs::remove_file(
        d.path()
            .join("out/bedrock-private-access/dev.template.json"),
    )
    .unwrap();
    let o = run(
        &app,
        d.path(),
        &["diff", "--target", "prod", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let files: Vec<&str> = j["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["out/bedrock-private-access/prod.template.json"]);
    assert_eq!(j["summary"]["impacts"]["update"], 1);
    // Two targets; a template no named target makes is not shown as removed.
    let o = run(
        &app,
        d.path(),
        &[
            "diff", "--target", "prod", "--target", "dev", "--format", "json",
        ],
    );
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let files: Vec<&str> = j["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        [
            "out/bedrock-private-access/dev.template.json",
            "out/bedrock-private-access/prod.template.json"
        ]
    );
    assert_eq!(j["files"][0]["status"], "added", "{j}");
    // An unknown target is an error naming the known ones.
    let o = run(&app, d.path(), &["diff", "--target", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("no target named \"nope\"") && err.contains("prod-eu"),
        "{err}"
    );
    // Two template files take no target.
    let o = run(
        &app,
        d.path(),
        &["diff", "a.json", "b.json", "--target", "prod"],
    );
    assert_eq!(o.status.code(), Some(2));
}

/// `--version` (answered before the command line is built) says the program's name as
/// it was run and the version, as clap did; a subcommand's arguments, built only when it
/// runs, are all there in its help and parse as before.
#[test]
fn version_names_the_program_and_deferred_subcommands_keep_their_arguments() {
    let (d, app) = workspace();
    let version = env!("CARGO_PKG_VERSION");
    for flag in ["--version", "-V"] {
        let o = run(&app, d.path(), &[flag]);
        assert_eq!(o.status.code(), Some(0));
        assert_eq!(text(&o.stdout), format!("my-app {version}\n"));
        let o = run(
            Path::new(env!("CARGO_BIN_EXE_perimeter")),
            d.path(),
            &[flag],
        );
        assert_eq!(text(&o.stdout), format!("perimeter {version}\n"));
    }
    // Not alone, it goes through clap, which prints the same line.
    let o = run(&app, d.path(), &["--version", "synth"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(text(&o.stdout), format!("my-app {version}\n"));
    let o = run(&app, d.path(), &["synth", "--help"]);
    let help = text(&o.stdout);
    for arg in [
        "--out <DIR>",
        "--format <FORMAT>",
        "--target <NAME>",
        "--check",
        "--blueprints <DIR>",
    ] {
        assert!(help.contains(arg), "{arg} missing from: {help}");
    }
    let o = run(&app, d.path(), &["--help"]);
    let help = text(&o.stdout);
    for cmd in [
        "synth", "diff", "check", "prove", "simulate", "init", "schema",
    ] {
        assert!(
            help.contains(&format!("  {cmd} ")),
            "{cmd} missing from: {help}"
        );
    }
    let o = run(
        &app,
        d.path(),
        &["synth", "--check", "--format", "json", "--out", "out"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("out is up to date"),
        "{}",
        text(&o.stdout)
    );
}
