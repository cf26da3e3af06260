//! The team's app as its users run it: the blueprint's overrides reach the nested
//! settings field by field, a bad override is an error at its line and column, the
//! templates in out/ are what the blueprint makes, check runs the solution's scenarios
//! (and they can fail), the schema covers both solutions, and diff shows a change.

use std::path::{Path, PathBuf};
use std::process::Command;

use perimeter::blueprint::Blueprint;
use perimeter::solution::Solutions;
use private_secrets::{PrivateSecrets, Props};

const BLUEPRINT: &str = include_str!("../blueprints/private-secrets.yaml");
const APP: &str = env!("CARGO_BIN_EXE_private-secrets");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn solutions() -> Solutions {
    perimeter::solutions::builtin().with(PrivateSecrets)
}

fn parse(text: &str) -> Result<Blueprint, Vec<perimeter::blueprint::BlueprintError>> {
    Blueprint::parse(
        "private-secrets".parse().unwrap(),
        "blueprints/private-secrets.yaml",
        text,
        &solutions(),
    )
}

fn props(b: &Blueprint, target: usize) -> &Props {
    b.resolved[target].1.props_of::<Props>().unwrap()
}

fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(APP)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

#[test]
fn overrides_change_only_the_nested_fields_they_name() {
    let b = parse(BLUEPRINT).unwrap();
    let (dev, prod) = (props(&b, 0), props(&b, 1));
    // prod's overrides: network.vpc_cidr, .availability_zones, parameters.values.log_level,
    // function.memory_mb.
    assert_eq!(prod.subnets.len(), 3);
    assert_eq!(prod.vpc_cidr.to_string(), "10.30.0.0/16");
    assert_eq!(prod.memory_mb, 512);
    assert_eq!(prod.parameters["log_level"], "warn");
    // What they leave alone stays the shared value, at every depth.
    assert_eq!(prod.parameters["batch_size"], "50");
    assert_eq!(prod.timeout_seconds, 20);
    assert_eq!(prod.secret_length, 32);
    assert_eq!(prod.parameter_path, "/orders");
    assert_eq!(dev.memory_mb, 256);
    assert_eq!(dev.subnets.len(), 2);
    assert_eq!(dev.parameters["log_level"], "info");
    assert_eq!(dev.s3_prefix_list.as_str(), "pl-6ea54007");
    assert_eq!(prod.s3_prefix_list.as_str(), "pl-68a54001");
}

/// The error for `text` (the blueprint with one edit) at `needle`'s line.
fn error_at(text: &str, needle: &str) -> perimeter::blueprint::BlueprintError {
    let errors = parse(text).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let e = errors.into_iter().next().unwrap();
    let line = text.lines().position(|l| l.contains(needle)).unwrap() + 1;
    assert_eq!(e.pos.map(|p| p.line), Some(line), "{e}");
    e
}

#[test]
fn a_bad_override_is_an_error_at_its_line_column_and_field_path() {
    // A value of the wrong type, in a nested settings struct.
    let text = BLUEPRINT.replace("        memory_mb: 512", "        memory_mb: lots");
    let e = error_at(&text, "memory_mb: lots");
    assert_eq!(e.path, "targets[1].overrides.function.memory_mb");
    assert_eq!(e.pos.unwrap().column, 20);
    assert!(e.message.contains("expected u32"), "{e}");
    // A value the solution's checks refuse.
    let text = BLUEPRINT.replace("        memory_mb: 512", "        memory_mb: 64");
    let e = error_at(&text, "memory_mb: 64");
    assert_eq!(e.path, "targets[1].overrides.function.memory_mb");
    assert!(
        e.message.contains("64 MB: Lambda takes 128 to 10240"),
        "{e}"
    );
    // An unknown key two levels down.
    let text = BLUEPRINT.replace(
        "          log_level: warn",
        "          log_level: warn\n        valuez: 1",
    );
    let e = error_at(&text, "valuez: 1");
    assert_eq!(e.path, "targets[1].overrides.parameters.valuez");
    assert!(e.message.contains("unknown field `valuez`"), "{e}");
    // A shared setting wrong for every target is one error naming them.
    let text = BLUEPRINT.replace("    length: 32", "    length: 4");
    let e = error_at(&text, "length: 4");
    assert_eq!(e.path, "settings.secret.length");
    assert!(e.message.ends_with("(targets dev, prod)"), "{e}");
}

#[test]
fn out_is_what_the_blueprint_makes_and_synth_is_deterministic() {
    let o = run(&root(), &["synth", "--check"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    let b = parse(BLUEPRINT).unwrap();
    for (_, r) in &b.resolved {
        let a = r.build().unwrap().into_template().to_json();
        let again = r.build().unwrap().into_template().to_json();
        assert_eq!(a, again);
    }
    let prod =
        std::fs::read_to_string(root().join("out/private-secrets/prod.template.json")).unwrap();
    // The target's tags reach every resource that takes tags.
    assert!(prod.contains("\"cost-center\""));
    // Only the function, only what it reads, at each endpoint.
    let t = perimeter::template::Template::parse_any(&prod).unwrap();
    let policy = perimeter::template::value_to_json(
        &t.resources["SecretsManagerEndpoint"].properties["PolicyDocument"],
    );
    assert!(
        policy.contains("secretsmanager:GetSecretValue") && policy.contains("\"FunctionRole\""),
        "{policy}"
    );
    assert!(!policy.contains("\"*\""), "{policy}");
    let egress = &t.resources["AppEgressToS3Tcp443"].properties;
    assert_eq!(
        egress["DestinationPrefixListId"].as_str(),
        Some("pl-68a54001")
    );
}

#[test]
fn check_runs_the_solutions_scenarios_and_they_can_fail() {
    let b = parse(BLUEPRINT).unwrap();
    let opts = perimeter::synth::Options {
        out_dir: "out".into(),
        format: perimeter::template::Format::Json,
        targets: vec![],
        complete: true,
    };
    let reports = perimeter::project::check_blueprints(std::slice::from_ref(&b), &opts).unwrap();
    assert_eq!(reports.len(), 2);
    for r in &reports {
        assert!(r.findings.is_empty(), "{}: {:#?}", r.file, r.findings);
        assert_eq!(r.access.len(), 7);
        assert!(r.access.iter().all(|a| a.holds));
        let allowed: Vec<&str> = r
            .access
            .iter()
            .filter(|a| a.decision == perimeter::iam::Decision::Allow)
            .map(|a| a.scenario.as_str())
            .collect();
        assert_eq!(
            allowed,
            [
                "its secret through the endpoint",
                "its parameters through the endpoint",
                "its bucket through the S3 endpoint"
            ]
        );
    }
    // Without the endpoint condition on the role's grant, the secret is readable from
    // anywhere: the scenario fails and check says so.
    let (target, r) = &b.resolved[0];
    let mut t = r.build().unwrap().into_template();
    let doc = t
        .resources
        .get_mut("FunctionAccess")
        .unwrap()
        .properties
        .get_mut("PolicyDocument")
        .unwrap();
    let json = perimeter::template::value_to_json(doc).replace("\"Condition\"", "\"Unused\"");
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    for s in v["Statement"].as_array_mut().unwrap() {
        s.as_object_mut().unwrap().remove("Unused");
    }
    *doc = perimeter::template::Template::parse_any(
        &serde_json::json!({"Resources": {"X": {"Type": "AWS::IAM::Policy", "Properties": {"PolicyDocument": v}}}}).to_string(),
    )
    .unwrap()
    .resources["X"]
        .properties["PolicyDocument"]
        .clone();
    let mut ctx = perimeter::check::Context {
        account: target.account.to_string(),
        region: target.region.to_string(),
        ..Default::default()
    };
    r.check_context(&mut ctx);
    let report = perimeter::check::check(&t, &t.to_json(), &ctx);
    let failed: Vec<&str> = report
        .access
        .iter()
        .filter(|a| !a.holds)
        .map(|a| a.scenario.as_str())
        .collect();
    assert_eq!(failed, ["its secret without the endpoint"]);
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.message.starts_with("its secret without the endpoint"))
    );
}

#[test]
fn the_schema_covers_both_solutions_and_is_the_committed_one() {
    let schema = perimeter::blueprint::json_schema(&solutions());
    let committed = std::fs::read_to_string(root().join("schema/blueprint.schema.json")).unwrap();
    assert_eq!(
        schema, committed,
        "run `private-secrets schema > schema/blueprint.schema.json`"
    );
    let v: serde_json::Value = serde_json::from_str(&schema).unwrap();
    let names: Vec<&str> = v["allOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["if"]["properties"]["solution"]["const"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["bedrock-private-access", "private-secrets"]);
    // Overrides are the partial settings: nothing required at any depth.
    assert!(schema.contains("\"PartialNetwork\""));
}

#[test]
fn diff_shows_what_a_blueprint_edit_does() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("blueprints")).unwrap();
    let copy = |rel: &str| {
        let from = root().join(rel);
        let to = dir.path().join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, to).unwrap();
    };
    for rel in [
        "out/manifest.json",
        "out/private-secrets/dev.template.json",
        "out/private-secrets/prod.template.json",
    ] {
        copy(rel);
    }
    std::fs::write(
        dir.path().join("blueprints/private-secrets.yaml"),
        BLUEPRINT.replace("        memory_mb: 512", "        memory_mb: 1024"),
    )
    .unwrap();
    let o = run(dir.path(), &["diff"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        out.contains("out/private-secrets/prod.template.json"),
        "{out}"
    );
    assert!(
        out.contains("MemorySize: 512 → 1024") || out.contains("MemorySize"),
        "{out}"
    );
    assert!(!out.contains("dev.template.json"), "{out}");
}

#[test]
fn init_starts_a_project_of_this_solution_that_passes_its_own_checks() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("svc");
    let o = run(
        dir.path(),
        &[
            "init",
            "svc",
            "--solution",
            "private-secrets",
            "--account",
            "555555555555",
            "--region",
            "us-east-1",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(project.join("blueprints/private-secrets.yaml")).unwrap();
    assert!(text.contains("solution: private-secrets") && text.contains("\"555555555555\""));
    assert!(
        project
            .join("out/private-secrets/dev.template.json")
            .is_file()
    );
    let o = run(&project, &["check", "--deny-warnings"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
}
