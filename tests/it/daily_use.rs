//! The papercuts of daily use: a reader that closes standard output early, a synth killed
//! mid-way, what synth reports, `synth --check` pointing the way forward, I/O errors that
//! say the cause, and `check`/`diff` on folders and standard input.

use crate::common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const SHIPPED: &str = include_str!("../../blueprints/bedrock-private-access.yaml");
const BIN: &str = env!("CARGO_BIN_EXE_perimeter");

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A folder with the shipped blueprint, synthesized into out/.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    common::write_shipped(dir.path(), SHIPPED);
    let o = run(dir.path(), &["synth", "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    dir
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn run_with_stdin(dir: &Path, args: &[&str], input: &str) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn edit_blueprint(dir: &Path, from: &str, to: &str) {
    let p = dir.join("blueprints/bedrock-private-access.yaml");
    let s = std::fs::read_to_string(&p).unwrap();
    assert!(s.contains(from), "{from:?} not in the blueprint");
    std::fs::write(&p, s.replacen(from, to, 1)).unwrap();
}

// ---- a closed standard output ----

#[test]
fn a_reader_that_closes_early_ends_every_command_quietly_with_exit_0() {
    let dir = project();
    std::fs::write(
        dir.path().join("old.yaml"),
        "Resources:\n  T: {Type: AWS::SNS::Topic}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("new.yaml"),
        "Resources:\n  Q: {Type: AWS::SQS::Queue}\n",
    )
    .unwrap();
    edit_blueprint(dir.path(), "memory_mb: 256", "memory_mb: 384");
    let commands: &[&[&str]] = &[
        &["check", "--rules"],
        &["check"],
        &["check", "--format", "json"],
        &["check", "--format", "sarif"],
        &["check", "out"],
        &["diff"],
        &["diff", "--format", "markdown"],
        &["diff", "--format", "json"],
        &["diff", "old.yaml", "new.yaml"],
        &["synth", "--check"],
        &["list"],
        &["list", "--json"],
        &["schema"],
        &["--help"],
        &["synth"],
        &["init", "fresh"],
    ];
    for args in commands {
        // A pipe whose reader is gone before the command starts: its first write fails
        // with a broken pipe, every time.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let o = Command::new(BIN)
            .args(*args)
            .current_dir(dir.path())
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = text(&o.stderr);
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe"),
            "{args:?}: {err}"
        );
        assert_eq!(o.status.code(), Some(0), "{args:?}: {err}");
    }
}

// ---- a synth killed mid-way ----

/// A blueprint of many targets, so that a synth lasts long enough to be killed in the
/// middle (about two seconds in a debug build).
fn many_targets(n: usize, memory: u32) -> String {
    let mut s = format!(
        "solution: bedrock-private-access\nsettings:\n  bedrock:\n    models: [anthropic.claude-instant-v1]\n  function:\n    memory_mb: {memory}\ntargets:\n"
    );
    for i in 0..n {
        s.push_str(&format!(
            "  - name: t{i}\n    account: \"111111111111\"\n    region: us-east-1\n    stage: dev\n"
        ));
    }
    s
}

fn leftovers(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".out."))
        .collect();
    v.sort();
    v
}

#[test]
fn a_synth_killed_mid_way_leaves_out_unchanged_and_the_next_run_cleans_up() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("blueprints")).unwrap();
    let bp = dir.path().join("blueprints/many.yaml");
    std::fs::write(&bp, many_targets(1500, 256)).unwrap();
    let o = run(dir.path(), &["synth", "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = dir.path().join("out");
    let before = common::tree(&out);

    // Every template changes; kill the synth once its staging folder holds some of them.
    std::fs::write(&bp, many_targets(1500, 512)).unwrap();
    let mut child = Command::new(BIN)
        .args(["synth"])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let staging = dir.path().join(format!(".out.staging-{}", child.id()));
    let started = Instant::now();
    while !staging.join("many/t100.template.json").exists() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the synth never reached its 100th template"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the synth ended before it was killed"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL: no clean-up of its own can run
    child.wait().unwrap();
    assert!(
        staging.is_dir(),
        "the killed synth's staging folder is left behind"
    );
    assert!(
        common::tree(&out) == before,
        "out/ changed although the synth was killed"
    );

    // The next synth removes it, says so, and completes.
    let o = run(dir.path(), &["synth"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let stdout = text(&o.stdout);
    assert!(
        stdout.starts_with(&format!(
            "cleaned .out.staging-{}: left by a synth that was stopped mid-way\n",
            child.id()
        )),
        "{}",
        &stdout[..stdout.len().min(300)]
    );
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());
    assert!(
        std::fs::read_to_string(dir.path().join("out/many/t1499.template.json"))
            .unwrap()
            .contains("\"MemorySize\": 512")
    );
    let o = run(dir.path(), &["synth", "--check"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
}

#[test]
fn a_previous_out_left_between_the_two_renames_is_restored() {
    let dir = project();
    let out = dir.path().join("out");
    let before = common::tree(&out);
    // A synth killed after moving out/ aside and before moving its staging folder in;
    // 99999999 is above any Linux pid_max, so that process is surely gone.
    let old = dir.path().join(".out.old-99999999");
    std::fs::rename(&out, &old).unwrap();
    std::fs::create_dir(dir.path().join(".out.staging-99999999")).unwrap();
    // Only one target is synthesized: the others must come from the restored out/.
    let o = run(dir.path(), &["synth", "--target", "dev"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let stdout = text(&o.stdout);
    assert!(
        stdout.contains(
            "cleaned .out.old-99999999 (restored as out): left by a synth that was stopped mid-way"
        ) && stdout.contains("cleaned .out.staging-99999999:"),
        "{stdout}"
    );
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());
    let after: BTreeMap<PathBuf, Vec<u8>> = common::tree(&out);
    assert_eq!(after, before);
}

#[test]
fn a_running_synths_folders_are_not_touched() {
    let dir = project();
    // Our own test process is alive: a folder named with its pid belongs to a running
    // synth as far as perimeter can tell.
    let live = dir
        .path()
        .join(format!(".out.staging-{}", std::process::id()));
    std::fs::create_dir(&live).unwrap();
    let o = run(dir.path(), &["synth"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(live.is_dir());
    assert!(!text(&o.stdout).contains("cleaned"), "{}", text(&o.stdout));
}

// ---- what synth reports ----

#[test]
fn synth_reports_created_updated_removed_and_unchanged_files() {
    let dir = tempfile::tempdir().unwrap();
    common::write_shipped(dir.path(), SHIPPED);
    let o = run(dir.path(), &["synth"]);
    let lines: Vec<String> = text(&o.stdout).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 5, "{lines:?}");
    assert!(lines[0].starts_with(
        "created out/bedrock-private-access/dev.template.json (111111111111 us-east-1, sha256 "
    ));
    assert!(lines[2].starts_with(
        "created out/bedrock-private-access/prod-eu.template.json (222222222222 eu-west-1, sha256 "
    ));
    assert_eq!(lines[3], "created out/manifest.json");
    assert_eq!(lines[4], "0 files unchanged");

    let o = run(dir.path(), &["synth"]);
    assert_eq!(text(&o.stdout), "out is up to date (4 files unchanged)\n");

    edit_blueprint(dir.path(), "memory_mb: 256", "memory_mb: 384");
    let o = run(dir.path(), &["synth"]);
    let stdout = text(&o.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    // prod sets its own memory: dev and prod-eu change.
    assert!(
        lines[0].starts_with("updated out/bedrock-private-access/dev.template.json ("),
        "{stdout}"
    );
    assert!(
        lines[1].starts_with("updated out/bedrock-private-access/prod-eu.template.json ("),
        "{stdout}"
    );
    assert_eq!(
        lines[2..],
        ["updated out/manifest.json", "1 file unchanged"],
        "{stdout}"
    );

    // prod-eu removed from the blueprint.
    let p = dir.path().join("blueprints/bedrock-private-access.yaml");
    let s = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, &s[..s.find("  - name: prod-eu").unwrap()]).unwrap();
    let o = run(dir.path(), &["synth"]);
    assert_eq!(
        text(&o.stdout),
        "removed out/bedrock-private-access/prod-eu.template.json\nupdated out/manifest.json\n2 files unchanged\n"
    );

    edit_blueprint(dir.path(), "memory_mb: 384", "memory_mb: 448");
    let o = run(dir.path(), &["synth", "--quiet"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(text(&o.stdout), "");
    assert!(
        std::fs::read_to_string(
            dir.path()
                .join("out/bedrock-private-access/dev.template.json")
        )
        .unwrap()
        .contains("\"MemorySize\": 448")
    );
}

#[cfg(unix)]
#[test]
fn a_synth_that_changes_nothing_leaves_out_in_place_and_one_that_must_remove_a_file_does_not() {
    use std::os::unix::fs::MetadataExt;
    let dir = project();
    let out = dir.path().join("out");
    let ino = |p: &Path| std::fs::metadata(p).unwrap().ino();
    let (folder, file) = (
        ino(&out),
        ino(&out.join("bedrock-private-access/prod.template.json")),
    );
    let before = common::tree(&out);
    let o = run(dir.path(), &["synth"]);
    assert_eq!(text(&o.stdout), "out is up to date (4 files unchanged)\n");
    // Nothing was staged and renamed: the same folder and files, no folder beside them.
    assert_eq!(ino(&out), folder);
    assert_eq!(
        ino(&out.join("bedrock-private-access/prod.template.json")),
        file
    );
    assert_eq!(common::tree(&out), before);
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());

    // Every template unchanged, but out/ holds a file no target makes: it goes.
    std::fs::write(out.join("bedrock-private-access/old.template.json"), "{}").unwrap();
    let o = run(dir.path(), &["synth"]);
    assert_eq!(
        text(&o.stdout),
        "removed out/bedrock-private-access/old.template.json\n4 files unchanged\n"
    );
    assert_eq!(common::tree(&out), before);
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());
    // The unchanged files were carried over as links, not rewritten.
    assert_eq!(
        ino(&out.join("bedrock-private-access/prod.template.json")),
        file
    );
}

#[test]
fn synth_check_summarizes_each_stale_file_and_says_how_to_review_and_accept() {
    let dir = project();
    edit_blueprint(dir.path(), "vpc_cidr: 10.0.0.0/16", "vpc_cidr: 10.2.0.0/16");
    std::fs::write(
        dir.path()
            .join("out/bedrock-private-access/old.template.json"),
        "{}",
    )
    .unwrap();
    std::fs::remove_file(
        dir.path()
            .join("out/bedrock-private-access/prod.template.json"),
    )
    .unwrap();
    let before = common::tree(dir.path());
    let o = run(dir.path(), &["synth", "--check"]);
    assert_eq!(o.status.code(), Some(1));
    let stdout = text(&o.stdout);
    // The VPC's block is create-only: the VPC and everything whose create-only
    // properties refer to it are replaced.
    let dev = stdout
        .lines()
        .find(|l| l.starts_with("stale: out/bedrock-private-access/dev.template.json: "))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(dev.contains(" to replace"), "{dev}");
    assert!(
        stdout.contains("stale: out/manifest.json: targets, accounts, regions or hashes differ"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "missing: out/bedrock-private-access/prod.template.json: not synthesized yet"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "extra: out/bedrock-private-access/old.template.json: no blueprint target makes it"
        ),
        "{stdout}"
    );
    let err = text(&o.stderr);
    assert!(
        err.contains("review: perimeter diff") && err.contains("accept: perimeter synth"),
        "{err}"
    );
    assert_eq!(
        common::tree(dir.path()),
        before,
        "synth --check wrote something"
    );

    // Bytes that differ with the same template are said to be formatting.
    let dir = project();
    let p = dir
        .path()
        .join("out/bedrock-private-access/dev.template.json");
    let t = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, t.replace("\n  ", "\n    ")).unwrap();
    let o = run(dir.path(), &["synth", "--check"]);
    assert!(
        text(&o.stdout).contains("stale: out/bedrock-private-access/dev.template.json: same template, other bytes (formatting)"),
        "{}",
        text(&o.stdout)
    );
}

// ---- I/O errors that name the operation and the cause ----

/// Runs a shell script in a private mount namespace (mounts vanish with it).
fn in_mount_namespace(dir: &Path, script: &str) -> Output {
    Command::new("unshare")
        .args(["--mount", "sh", "-c", script])
        .env("PERIMETER", BIN)
        .current_dir(dir)
        .output()
        .unwrap()
}

#[test]
#[ignore = "needs root for a read-only mount in a private mount namespace (unshare --mount); scripts/test runs it"]
fn read_only_out_mount_and_read_only_file_system_say_the_cause_and_change_nothing() {
    let dir = project();
    let read_only_out =
        "mount --bind out out && mount -o remount,bind,ro out && exec \"$PERIMETER\" synth";
    // Nothing to change: out/ is left as it is, and a read-only mount is no obstacle.
    let before = common::tree(dir.path());
    let o = in_mount_namespace(dir.path(), read_only_out);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "out is up to date (4 files unchanged)\n");
    assert_eq!(common::tree(dir.path()), before);
    // out/ is a read-only mount point and a template changes: synth cannot replace it.
    edit_blueprint(dir.path(), "memory_mb: 256", "memory_mb: 384");
    let before = common::tree(dir.path());
    let o = in_mount_namespace(dir.path(), read_only_out);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(
        err.starts_with("error: cannot replace out: Device or resource busy (os error 16) (the folder is a mount point or in use: synth replaces the out folder as a whole, so mount the folder above it, or give --out a folder inside the mount)"),
        "{err}"
    );
    assert_eq!(common::tree(dir.path()), before);

    // The folder above out/ is on a read-only file system.
    std::fs::create_dir(dir.path().join("ro")).unwrap();
    let o = in_mount_namespace(
        dir.path(),
        "mount -t tmpfs -o ro tmpfs ro && exec \"$PERIMETER\" synth --out ro/out",
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(
        err.starts_with("error: cannot create folder ro/.out.staging-")
            && err.contains("Read-only file system (os error 30) (the file system is mounted read-only: give --out a folder on a writable one)"),
        "{err}"
    );
}

#[test]
fn a_file_where_a_folder_is_due_says_so() {
    let dir = project();
    std::fs::write(dir.path().join("plain"), "a file").unwrap();
    let o = run(dir.path(), &["synth", "--out", "plain/out"]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.starts_with("error: cannot ")
            && err.contains("(a part of the path is a file, not a folder)"),
        "{err}"
    );
}

// ---- check and diff on folders and standard input ----

#[test]
fn check_takes_folders_recursively_and_standard_input() {
    let dir = project();
    // The shipped prod target admits its corporate callers' account, which a template
    // file alone does not declare: trusted as the blueprint trusts it.
    let o = run(
        dir.path(),
        &[
            "check",
            "out",
            "--trust",
            "222222222222",
            "--format",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let files: Vec<&str> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    // The templates under out/, not its manifest.
    assert_eq!(
        files,
        [
            "out/bedrock-private-access/dev.template.json",
            "out/bedrock-private-access/prod-eu.template.json",
            "out/bedrock-private-access/prod.template.json"
        ]
    );

    let open = "Resources:\n  Web:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: web\n      SecurityGroupIngress:\n        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}\n";
    let o = run_with_stdin(dir.path(), &["check", "-"], open);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let stdout = text(&o.stdout);
    assert!(
        stdout.contains("error[N403 open-ingress]") && stdout.contains("--> <stdin>:7:"),
        "{stdout}"
    );

    // Hidden folders, dependencies, virtual environments and build caches are not the
    // project's templates.
    let topic = "Resources:\n  T: {Type: AWS::SNS::Topic}\n";
    for (folder, marker) in [
        ("scan/.hidden", None),
        ("scan/node_modules/pkg", None),
        ("scan/venv", Some("pyvenv.cfg")),
        ("scan/target", Some("CACHEDIR.TAG")),
        ("scan/stacks/network", None),
    ] {
        let d = dir.path().join(folder);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("t.yaml"), topic).unwrap();
        if let Some(m) = marker {
            std::fs::write(d.join(m), "").unwrap();
        }
    }
    let o = run(dir.path(), &["check", "scan", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["files"].as_array().unwrap().len(), 1, "{report}");
    assert_eq!(report["files"][0]["file"], "scan/stacks/network/t.yaml");

    std::fs::create_dir(dir.path().join("empty")).unwrap();
    std::fs::write(dir.path().join("empty/notes.json"), "{\"a\": 1}").unwrap();
    let o = run(dir.path(), &["check", "empty"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("empty: no templates under this folder"),
        "{}",
        text(&o.stderr)
    );
    let o = run_with_stdin(dir.path(), &["check", "-", "-"], open);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn diff_takes_two_folders_and_standard_input() {
    let dir = project();
    let old = dir.path().join("out");
    // The new side: dev changed, prod-eu gone, a new template added.
    let new = dir.path().join("next");
    std::fs::create_dir_all(new.join("bedrock-private-access")).unwrap();
    for t in ["dev", "prod"] {
        std::fs::copy(
            old.join(format!("bedrock-private-access/{t}.template.json")),
            new.join(format!("bedrock-private-access/{t}.template.json")),
        )
        .unwrap();
    }
    let dev = new.join("bedrock-private-access/dev.template.json");
    let t = std::fs::read_to_string(&dev).unwrap();
    std::fs::write(
        &dev,
        t.replace("\"MemorySize\": 256", "\"MemorySize\": 1024"),
    )
    .unwrap();
    std::fs::write(
        new.join("extra.yaml"),
        "Resources:\n  T: {Type: AWS::SNS::Topic}\n",
    )
    .unwrap();
    let o = run(dir.path(), &["diff", "out", "next", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let files: Vec<(String, String)> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        files,
        [
            (
                "next/bedrock-private-access/dev.template.json".to_string(),
                "modified".to_string()
            ),
            (
                "out/bedrock-private-access/prod-eu.template.json".to_string(),
                "removed".to_string()
            ),
            ("next/extra.yaml".to_string(), "added".to_string()),
        ]
    );

    // One side from standard input.
    let o = run_with_stdin(
        dir.path(),
        &["diff", "out/bedrock-private-access/dev.template.json", "-"],
        &std::fs::read_to_string(&dev).unwrap(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let stdout = text(&o.stdout);
    assert!(
        stdout.contains("<stdin>") && stdout.contains("MemorySize"),
        "{stdout}"
    );

    let o = run(dir.path(), &["diff", "out", "out/manifest.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("out is a folder and out/manifest.json is not"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn diff_output_file_holds_the_whole_report() {
    let dir = project();
    edit_blueprint(dir.path(), "memory_mb: 256", "memory_mb: 384");
    let o = run(
        dir.path(),
        &["diff", "--format", "markdown", "--output", "full.md"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "");
    let full = std::fs::read_to_string(dir.path().join("full.md")).unwrap();
    assert!(full.contains("+   Properties.MemorySize: 384"), "{full}");
}

// ---- a pull-request comment within GitHub's limit ----

fn topics(n: usize, display: &str) -> perimeter::template::Template {
    let mut yaml = String::from("Resources:\n");
    for i in 0..n {
        yaml.push_str(&format!(
            "  Topic{i:05}:\n    Type: AWS::SNS::Topic\n    Properties:\n      DisplayName: \"{display}\"\n"
        ));
    }
    perimeter::template::Template::parse_any(&yaml).unwrap()
}

#[test]
fn markdown_fits_a_pull_request_comment_and_says_what_it_left_out() {
    use perimeter::diff::render::{COMMENT_LIMIT, Report, markdown, markdown_full};
    let count = |s: &str| s.chars().count();

    // Few resources with long changed values: the details go, the tables stay whole.
    let long_old = "ä".repeat(3_000);
    let long_new = "ö".repeat(3_000);
    let r = Report::single(
        "t.yaml",
        perimeter::diff::diff(&topics(40, &long_old), &topics(40, &long_new)),
    );
    let full = markdown_full(&r);
    assert!(count(&full) > COMMENT_LIMIT, "{}", count(&full));
    let cut = markdown(&r);
    assert!(count(&cut) <= COMMENT_LIMIT, "{}", count(&cut));
    assert!(
        cut.starts_with("### perimeter diff: 40 to update"),
        "{}",
        &cut[..200]
    );
    for i in 0..40 {
        assert!(cut.contains(&format!("`Topic{i:05}`")), "Topic{i:05} lost");
    }
    assert!(!cut.contains("<details>"));
    assert!(
        cut.contains("> **Cut to fit a comment**: ")
            && cut.contains(" characters left out (the property details). `perimeter diff --format markdown --output FILE` writes the whole report."),
        "{}",
        &cut[cut.len() - 400..]
    );

    // So many resources that even the tables are too long: whole lines are kept.
    let r = Report::single(
        "t.yaml",
        perimeter::diff::diff(
            &perimeter::template::Template::default(),
            &topics(3_000, "x"),
        ),
    );
    let cut = markdown(&r);
    assert!(count(&cut) <= COMMENT_LIMIT, "{}", count(&cut));
    assert!(cut.starts_with("### perimeter diff: 3000 to create"));
    assert!(cut.contains("`Topic00000`") && !cut.contains("`Topic02999`"));
    let before_note = cut.rsplit_once("\n\n> **Cut to fit a comment**").unwrap().0;
    assert!(
        before_note
            .lines()
            .all(|l| l.is_empty() || l.starts_with('|') || l.starts_with('#'))
    );
    assert!(cut.contains("(the property details and the end of the tables)"));

    // A short report is not touched.
    let r = Report::single(
        "t.yaml",
        perimeter::diff::diff(&topics(1, "a"), &topics(1, "b")),
    );
    assert_eq!(markdown(&r), markdown_full(&r));
}
