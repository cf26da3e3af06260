//! `perimeter init --app NAME`: the crate it writes builds, synthesizes, and passes its
//! own CI steps (fmt, clippy, its tests, synth --check, check) as generated. Ignored by
//! default (it builds the crate and perimeter without the AWS SDK, minutes on two
//! cores); scripts/test runs it. The build shares perimeter's own target folder, as the
//! example crates do (the same dependencies and profile: compiled once for all). Offline: the crate depends on
//! `perimeter = "VERSION"` as a team's does, and its `[patch.crates-io]` section (from
//! `--perimeter-path`) takes it from this checkout; the rest comes from cargo's cache.

use crate::common;

use std::path::Path;
use std::process::{Command, Output};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn target_dir() -> std::path::PathBuf {
    common::root().join("target")
}

/// A command in the generated crate's environment: its builds in perimeter's target/,
/// offline.
fn command(program: &str, dir: &Path) -> Command {
    let mut c = Command::new(program);
    c.current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir())
        .env("CARGO_NET_OFFLINE", "true");
    c
}

fn perimeter(dir: &Path, args: &[&str]) -> Output {
    command(env!("CARGO_BIN_EXE_perimeter"), dir)
        .args(args)
        .output()
        .unwrap()
}

/// The `run:` steps of the generated CI workflow, in order.
fn ci_steps(app: &Path) -> Vec<(String, String)> {
    let wf: serde_yaml::Value = serde_yaml::from_str(
        &std::fs::read_to_string(app.join(".github/workflows/ci.yml")).unwrap(),
    )
    .unwrap();
    wf["jobs"]["app"]["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|s| {
            Some((
                s["name"].as_str().unwrap_or_default().to_string(),
                s["run"].as_str()?.to_string(),
            ))
        })
        .collect()
}

#[test]
#[ignore = "builds the generated crate (minutes): scripts/test runs it"]
fn init_app_builds_synthesizes_and_passes_its_own_ci() {
    let d = tempfile::tempdir().unwrap();
    let root = common::root();
    let o = perimeter(
        d.path(),
        &[
            "init",
            "--app",
            "ledger-sync",
            "--perimeter-path",
            root.to_str().unwrap(),
            "--account",
            "123456789012",
            "--region",
            "eu-central-1",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let app = d.path().join("ledger-sync");
    // It names perimeter as a team's crate does, by its published name and version.
    let manifest = std::fs::read_to_string(app.join("Cargo.toml")).unwrap();
    assert!(
        manifest.contains(&format!(
            "perimeter = {{ version = \"{}\", default-features = false }}",
            env!("CARGO_PKG_VERSION")
        )),
        "{manifest}"
    );
    assert!(manifest.contains("[patch.crates-io]\nperimeter = { path = "));
    for f in [
        "Cargo.toml",
        "src/main.rs",
        "src/ledger_sync/settings.rs",
        "src/ledger_sync/construct.rs",
        "src/ledger_sync/scenarios.rs",
        "blueprints/ledger-sync.yaml",
        "tests/app.rs",
        ".github/workflows/ci.yml",
        "schema/blueprint.schema.json",
        "out/manifest.json",
    ] {
        assert!(app.join(f).is_file(), "{f} was not written");
    }
    // The template is the solution's: a private VPC, the secret, the endpoint whose
    // policy admits only the function's role, and the role's grant through it.
    let t: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(app.join("out/ledger-sync/dev.template.json")).unwrap(),
    )
    .unwrap();
    let r = &t["Resources"];
    assert_eq!(r["AppSecret"]["Type"], "AWS::SecretsManager::Secret");
    assert!(
        r["SecretsManagerEndpoint"]["Properties"]["ServiceName"]
            .to_string()
            .contains("secretsmanager")
    );
    let endpoint_policy = r["SecretsManagerEndpoint"]["Properties"]["PolicyDocument"].to_string();
    assert!(
        endpoint_policy.contains("FunctionRole")
            && endpoint_policy.contains("secretsmanager:GetSecretValue")
    );
    let grant = r["FunctionAccess"]["Properties"]["PolicyDocument"]["Statement"][0].to_string();
    assert!(
        grant.contains("aws:sourceVpce") && grant.contains("SecretsManagerEndpoint"),
        "{grant}"
    );
    // scripts/test runs cfn-lint on it.
    std::fs::copy(
        app.join("out/ledger-sync/dev.template.json"),
        common::lint_dir("init").join("app-ledger-sync-dev.template.json"),
    )
    .unwrap();
    // The schema knows the app's solution.
    let schema = std::fs::read_to_string(app.join("schema/blueprint.schema.json")).unwrap();
    assert!(schema.contains("\"ledger-sync\""));
    // Its dependencies at the versions perimeter's lock file pins (offline, cargo would
    // take the newest in its cache): the builds share perimeter's target folder, and reuse
    // what perimeter's own build compiled only at the same versions.
    std::fs::copy(root.join("Cargo.lock"), app.join("Cargo.lock")).unwrap();
    // Its CI, step by step, as written.
    let steps = ci_steps(&app);
    let names: Vec<&str> = steps.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "Format",
            "Lint",
            "Tests",
            "out/ is what the blueprints make",
            "Check"
        ]
    );
    for (name, run) in &steps {
        let o = command("sh", &app).args(["-c", run]).output().unwrap();
        assert!(
            o.status.success(),
            "step {name:?} ({run}) failed:\n{}\n{}",
            text(&o.stdout),
            text(&o.stderr)
        );
    }
    // The app names itself in its hints: a stale out/ points at `ledger-sync diff`.
    std::fs::write(
        app.join("blueprints/ledger-sync.yaml"),
        std::fs::read_to_string(app.join("blueprints/ledger-sync.yaml"))
            .unwrap()
            .replace("memory_mb: 256", "memory_mb: 512"),
    )
    .unwrap();
    let o = command("cargo", &app)
        .args(["run", "--quiet", "--", "synth", "--check"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("review: ledger-sync diff"),
        "{}",
        text(&o.stderr)
    );
    // A second init into the same folder changes nothing.
    let o = perimeter(d.path(), &["init", "--app", "ledger-sync", "--no-build"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("already there"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn init_app_refuses_a_bad_name_and_writes_nothing() {
    let d = tempfile::tempdir().unwrap();
    let o = perimeter(d.path(), &["init", "--app", "Ledger_Sync", "--no-build"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("not a crate name"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 0);
    let o = perimeter(d.path(), &["init", "--app", "x", "--solution", "y"]);
    assert_eq!(o.status.code(), Some(2));
}
