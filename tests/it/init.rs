//! `perimeter init`: a new project whose own CI steps pass as generated, refusals that
//! change nothing, and the pointer to init outside a project.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn perimeter(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_perimeter"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn git(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@localhost"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "git {args:?}: {}", text(&o.stderr));
}

/// The `run:` steps of the generated workflow, in order, with their `if:`.
fn workflow_steps(project: &Path) -> Vec<(String, String, String)> {
    let wf: serde_yaml::Value = serde_yaml::from_str(
        &std::fs::read_to_string(project.join(".github/workflows/perimeter.yml")).unwrap(),
    )
    .unwrap();
    let steps = wf["jobs"]["perimeter"]["steps"].as_sequence().unwrap();
    steps
        .iter()
        .filter_map(|s| {
            Some((
                s["name"].as_str().unwrap_or_default().to_string(),
                s["run"].as_str()?.to_string(),
                s["if"].as_str().unwrap_or_default().to_string(),
            ))
        })
        .collect()
}

/// Runs the workflow's steps as a pull request would, with our binary on the PATH; the
/// comment step (GitHub's API) is the one not run.
fn run_pull_request_steps(project: &Path) {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_perimeter"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let steps = workflow_steps(project);
    let names: Vec<&str> = steps.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "out/ is what the blueprints make",
            "Check",
            "Diff against the base branch",
            "Comment on the pull request"
        ]
    );
    for (name, run, _) in steps.iter().filter(|(_, run, _)| !run.contains("gh pr")) {
        let o = Command::new("bash")
            .args(["-euo", "pipefail", "-c", run])
            .env("PATH", &path)
            .env("GITHUB_BASE_REF", "main")
            .env("GITHUB_EVENT_NAME", "pull_request")
            .current_dir(project)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "step {name:?} ({run}) failed: {}{}",
            text(&o.stdout),
            text(&o.stderr)
        );
    }
}

#[test]
fn init_makes_a_project_whose_ci_steps_pass_as_generated() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("infra");
    let o = perimeter(
        tmp.path(),
        &[
            "init",
            "infra",
            "--account",
            "210987654321",
            "--region",
            "eu-west-1",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    for f in [
        "blueprints/bedrock-private-access.yaml",
        "schema/blueprint.schema.json",
        ".gitignore",
        "README.md",
        ".pre-commit-config.yaml",
        ".github/workflows/perimeter.yml",
        "out/bedrock-private-access/dev.template.json",
        "out/manifest.json",
    ] {
        assert!(project.join(f).is_file(), "{f} missing");
        assert!(
            text(&o.stdout).contains(&format!("created infra/{f}")),
            "{}",
            text(&o.stdout)
        );
    }
    // The blueprint points editors at its schema, which is the one perimeter prints, and
    // carries the flags' account and region.
    let bp =
        std::fs::read_to_string(project.join("blueprints/bedrock-private-access.yaml")).unwrap();
    assert!(bp.starts_with("# yaml-language-server: $schema=../schema/blueprint.schema.json\n"));
    assert!(bp.contains("account: \"210987654321\"") && bp.contains("region: eu-west-1"));
    let schema = perimeter(tmp.path(), &["schema"]);
    assert_eq!(
        std::fs::read(project.join("schema/blueprint.schema.json")).unwrap(),
        schema.stdout
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(project.join("out/manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["artifacts"][0]["account"], "210987654321");
    assert_eq!(manifest["artifacts"][0]["region"], "eu-west-1");
    // scripts/test runs cfn-lint on what init synthesized.
    std::fs::copy(
        project.join("out/bedrock-private-access/dev.template.json"),
        common::lint_dir("init").join("eu-west-1-dev.template.json"),
    )
    .unwrap();

    // The pull request's base: the project as generated.
    git(&project, &["init", "--quiet", "--initial-branch=main"]);
    git(&project, &["add", "-A"]);
    git(&project, &["commit", "--quiet", "-m", "perimeter init"]);
    git(
        &project,
        &["update-ref", "refs/remotes/origin/main", "HEAD"],
    );
    run_pull_request_steps(&project);
    let sarif: serde_json::Value =
        serde_json::from_slice(&std::fs::read(project.join("perimeter.sarif")).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["tool"]["driver"]["name"], "perimeter");
    assert_eq!(
        sarif["runs"][0]["results"].as_array().map(Vec::len),
        Some(0)
    );
    let comment = std::fs::read_to_string(project.join("comment.md")).unwrap();
    assert!(
        comment.starts_with("### perimeter diff: no changes"),
        "{comment}"
    );

    // A pull request that widens the function's memory: the steps still pass, and the
    // comment shows the change.
    let edited = bp.replace("memory_mb: 256 ", "memory_mb: 512 ");
    assert_ne!(edited, bp);
    std::fs::write(
        project.join("blueprints/bedrock-private-access.yaml"),
        edited,
    )
    .unwrap();
    let o = perimeter(&project, &["synth", "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    git(&project, &["checkout", "--quiet", "-b", "bigger-function"]);
    git(&project, &["commit", "--quiet", "-am", "512 MB"]);
    run_pull_request_steps(&project);
    let comment = std::fs::read_to_string(project.join("comment.md")).unwrap();
    assert!(
        comment.starts_with("### perimeter diff: 1 to update"),
        "{comment}"
    );
    assert!(
        comment.contains("| `Function` | AWS::Lambda::Function | **update**"),
        "{comment}"
    );
    assert!(
        comment.contains("+   Properties.MemorySize: 512"),
        "{comment}"
    );
    // The CI outputs are ignored, so they are never committed by accident.
    let o = Command::new("git")
        .args(["status", "--porcelain"])
        .current_dir(&project)
        .output()
        .unwrap();
    assert_eq!(text(&o.stdout), "");
}

#[test]
fn generated_gitignore_covers_an_interrupted_synths_folders() {
    let tmp = tempfile::tempdir().unwrap();
    let o = perimeter(tmp.path(), &["init", "p"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let project = tmp.path().join("p");
    git(&project, &["init", "--quiet"]);
    for leftover in [".out.staging-4242", ".out.old-4242", ".snapshots.staging-7"] {
        std::fs::create_dir_all(project.join(leftover)).unwrap();
        std::fs::write(project.join(leftover).join("manifest.json"), "{}").unwrap();
    }
    let o = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=all"])
        .current_dir(&project)
        .output()
        .unwrap();
    let status = text(&o.stdout);
    assert!(
        !status.contains("staging") && !status.contains(".old-"),
        "{status}"
    );
    assert!(status.contains("out/manifest.json"), "{status}");
    // This repository's own .gitignore has the same patterns, and does not ignore the
    // manifest: it is committed.
    let own = std::fs::read_to_string(common::root().join(".gitignore")).unwrap();
    for p in perimeter::synth::LEFTOVER_PATTERNS {
        assert!(own.lines().any(|l| l == p), "{p} not in .gitignore");
    }
    assert!(
        !own.lines()
            .any(|l| !l.starts_with('#') && l.contains("manifest")),
        "{own}"
    );
}

#[test]
fn init_refuses_an_existing_project_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("blueprints")).unwrap();
    std::fs::write(
        tmp.path().join("blueprints/bedrock-private-access.yaml"),
        "mine",
    )
    .unwrap();
    std::fs::write(tmp.path().join("README.md"), "my readme").unwrap();
    let before = common::tree(tmp.path());
    let o = perimeter(tmp.path(), &["init"]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("./blueprints/bedrock-private-access.yaml")
            && err.contains("./README.md")
            && err.contains("changed nothing"),
        "{err}"
    );
    assert_eq!(common::tree(tmp.path()), before);
}

#[test]
fn init_rejects_bad_flags_and_creates_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    for (args, expected) in [
        (
            vec!["init", "new", "--account", "12345"],
            "--account: expected a 12-digit AWS account id",
        ),
        (vec!["init", "new", "--region", "mars-1"], "--region: "),
        (vec!["init", "new", "--name", "Bad Name"], "--name: "),
        (
            vec!["init", "new", "--action", "nowhere"],
            "--action: expected owner/repository@ref",
        ),
    ] {
        let o = perimeter(tmp.path(), &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            text(&o.stderr).contains(expected),
            "{args:?}: {}",
            text(&o.stderr)
        );
        assert!(
            !tmp.path().join("new").exists(),
            "{args:?} created the folder"
        );
    }
}

#[test]
fn outside_a_project_every_command_points_to_init() {
    let tmp = tempfile::tempdir().unwrap();
    for args in [
        vec!["synth"],
        vec!["synth", "--check"],
        vec!["diff"],
        vec!["check"],
        vec!["list"],
    ] {
        let o = perimeter(tmp.path(), &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = text(&o.stderr);
        assert!(
            err.starts_with("error: no blueprints folder in ")
                && err.contains("start a project with `perimeter init`"),
            "{args:?}: {err}"
        );
    }
}

/// Every `${{ inputs.NAME }}` the action uses is one of its declared inputs.
fn inputs_used(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("inputs.") {
        let tail = &rest[i + "inputs.".len()..];
        let name: String = tail
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        out.push(name);
        rest = tail;
    }
    out
}

#[test]
fn the_github_action_and_the_pre_commit_hooks_are_well_formed() {
    let source = std::fs::read_to_string(common::root().join("action.yml")).unwrap();
    let action: serde_yaml::Value = serde_yaml::from_str(&source).unwrap();
    assert_eq!(action["runs"]["using"], "composite");
    let declared = action["inputs"].as_mapping().unwrap();
    for name in inputs_used(&source) {
        assert!(
            declared.contains_key(serde_yaml::Value::String(name.clone())),
            "inputs.{name} is not declared"
        );
    }
    let steps = action["runs"]["steps"].as_sequence().unwrap();
    let mut commands = String::new();
    for s in steps {
        if let Some(run) = s["run"].as_str() {
            assert_eq!(s["shell"], "bash", "a composite run step needs a shell");
            let o = Command::new("bash")
                .args(["-n", "-c", run])
                .output()
                .unwrap();
            assert!(o.status.success(), "{run}: {}", text(&o.stderr));
            commands.push_str(run);
        }
    }
    // The install step is a script of the action's own (the released archive, verified;
    // a build from source as the fallback).
    assert!(commands.contains("scripts/action-install"), "{commands}");
    commands
        .push_str(&std::fs::read_to_string(common::root().join("scripts/action-install")).unwrap());
    for needed in [
        "perimeter synth --check",
        "perimeter check --format sarif",
        "perimeter diff \"${args[@]}\"",
        "sha256",
        "cargo install --locked",
        "gh pr comment",
    ] {
        assert!(
            commands.contains(needed),
            "the action does not run {needed:?}"
        );
    }

    let hooks: serde_yaml::Value = serde_yaml::from_str(
        &std::fs::read_to_string(common::root().join(".pre-commit-hooks.yaml")).unwrap(),
    )
    .unwrap();
    let ids: Vec<&str> = hooks
        .as_sequence()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "perimeter-synth-check",
            "perimeter-check",
            "perimeter-check-templates"
        ]
    );
    // Each hook's entry is a command the binary accepts.
    let tmp = tempfile::tempdir().unwrap();
    for h in hooks.as_sequence().unwrap() {
        let entry: Vec<&str> = h["entry"].as_str().unwrap().split(' ').collect();
        assert_eq!(entry[0], "perimeter");
        let mut args = entry[1..].to_vec();
        args.push("--help");
        let o = perimeter(tmp.path(), &args);
        assert_eq!(o.status.code(), Some(0), "{entry:?}: {}", text(&o.stderr));
    }
}
