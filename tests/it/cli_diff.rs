//! End-to-end tests of `perimeter diff`: two files, blueprints against out/, against a
//! git revision; formats and exit codes.

use crate::common;

use std::path::Path;
use std::process::{Command, Output};

const SHIPPED: &str = include_str!("../../blueprints/bedrock-private-access.yaml");

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_perimeter"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A workspace with the shipped blueprint synthesized into out/.
fn workspace() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    common::write_shipped(d.path(), SHIPPED);
    assert_eq!(run(d.path(), &["synth"]).status.code(), Some(0));
    d
}

fn pair(d: &Path, old: &str, new: &str) {
    std::fs::write(d.join("old.yaml"), old).unwrap();
    std::fs::write(d.join("new.yaml"), new).unwrap();
}

const OLD: &str = "Resources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: web\n      VpcId: vpc-1\n";
const OPENED: &str = "Resources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: web\n      VpcId: vpc-1\n      SecurityGroupIngress:\n        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}\n";

#[test]
fn exit_codes_follow_the_documented_contract() {
    let d = tempfile::tempdir().unwrap();
    pair(d.path(), OLD, OLD);
    assert_eq!(
        run(d.path(), &["diff", "old.yaml", "new.yaml", "--fail"])
            .status
            .code(),
        Some(0),
        "no change"
    );
    pair(d.path(), OLD, OPENED);
    let o = run(d.path(), &["diff", "old.yaml", "new.yaml"]);
    assert_eq!(o.status.code(), Some(0), "changes without --fail");
    assert!(text(&o.stdout).contains("⚠ anywhere"));
    assert_eq!(
        run(d.path(), &["diff", "old.yaml", "new.yaml", "--fail"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        run(
            d.path(),
            &["diff", "old.yaml", "new.yaml", "--fail-on", "broadening"]
        )
        .status
        .code(),
        Some(3)
    );
    assert_eq!(
        run(
            d.path(),
            &["diff", "old.yaml", "new.yaml", "--fail-on", "destructive"]
        )
        .status
        .code(),
        Some(0)
    );
    assert_eq!(
        run(
            d.path(),
            &[
                "diff",
                "old.yaml",
                "new.yaml",
                "--fail",
                "--fail-on",
                "broadening,destructive"
            ]
        )
        .status
        .code(),
        Some(3)
    );
    // A template that does not parse is an error, with its place.
    std::fs::write(d.path().join("new.yaml"), "Resources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      X: !GetAtt Nope\n").unwrap();
    let o = run(d.path(), &["diff", "old.yaml", "new.yaml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("new.yaml: line 5, column 18: Resources.Sg.Properties.X: !GetAtt needs Resource.Attribute"), "{}", text(&o.stderr));
}

#[test]
fn formats_json_markdown_and_color() {
    let d = tempfile::tempdir().unwrap();
    pair(d.path(), OLD, OPENED);
    let o = run(
        d.path(),
        &["diff", "old.yaml", "new.yaml", "--format", "json"],
    );
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["schema_version"], 1);
    assert_eq!(j["summary"]["broadens_permissions"], true);
    assert_eq!(j["summary"]["impacts"]["update"], 1);
    let rule = &j["files"][0]["diff"]["security_groups"][0];
    assert_eq!(
        (
            rule["kind"].as_str(),
            rule["ports"].as_str(),
            rule["anywhere"].as_bool()
        ),
        (Some("added"), Some("22"), Some(true))
    );
    let md = text(
        &run(
            d.path(),
            &["diff", "old.yaml", "new.yaml", "--format", "markdown"],
        )
        .stdout,
    );
    assert!(
        md.starts_with("### perimeter diff: 1 to update ⚠️ **broadens permissions**"),
        "{md}"
    );
    assert!(
        md.contains("| + ⚠️ anywhere | `Sg` | ingress | tcp | 22 | `0.0.0.0/0` |"),
        "{md}"
    );
    let colored = text(
        &run(
            d.path(),
            &["diff", "old.yaml", "new.yaml", "--color", "always"],
        )
        .stdout,
    );
    assert!(colored.contains("\x1b[33m"));
    let plain = text(&run(d.path(), &["diff", "old.yaml", "new.yaml"]).stdout);
    assert!(
        !plain.contains('\x1b'),
        "not a terminal: no color by default"
    );
}

#[test]
fn blueprints_against_out() {
    let d = workspace();
    let o = run(d.path(), &["diff", "--fail"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    assert_eq!(text(&o.stdout), "no changes\n");
    // Flip the endpoint policy: dev, prod and prod-eu all change; nothing is replaced.
    let flipped = SHIPPED.replace(
        "endpoint_policy_effect: Allow",
        "endpoint_policy_effect: Deny",
    );
    std::fs::write(
        d.path().join("blueprints/bedrock-private-access.yaml"),
        flipped,
    )
    .unwrap();
    let o = run(d.path(), &["diff", "--format", "json", "--fail"]);
    assert_eq!(o.status.code(), Some(1));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["files"].as_array().unwrap().len(), 3);
    assert_eq!(j["summary"]["impacts"]["update"], 3);
    assert_eq!(j["summary"]["broadens_permissions"], false);
    // A new target is a new template; a removed one is a removed template.
    let more = SHIPPED.replace("  - name: dev\n", "  - name: qa\n    account: \"333333333333\"\n    region: us-west-2\n    stage: qa\n\n  - name: dev\n");
    std::fs::write(
        d.path().join("blueprints/bedrock-private-access.yaml"),
        more,
    )
    .unwrap();
    std::fs::remove_file(
        d.path()
            .join("out/bedrock-private-access/prod.template.json"),
    )
    .unwrap();
    let out = text(&run(d.path(), &["diff"]).stdout);
    assert!(
        out.contains("out/bedrock-private-access/qa.template.json (new template)"),
        "{out}"
    );
    assert!(
        out.contains("out/bedrock-private-access/prod.template.json (new template)"),
        "{out}"
    );
    std::fs::write(
        d.path()
            .join("out/bedrock-private-access/gone.template.json"),
        std::fs::read(
            d.path()
                .join("out/bedrock-private-access/dev.template.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let out = text(&run(d.path(), &["diff"]).stdout);
    assert!(
        out.contains("out/bedrock-private-access/gone.template.json (template removed)")
            && out.contains("data-loss risk"),
        "{out}"
    );
}

#[test]
fn against_a_git_revision() {
    let d = workspace();
    let git = |args: &[&str]| {
        let o = Command::new("git")
            .args(args)
            .current_dir(d.path())
            .output()
            .unwrap();
        assert!(o.status.success(), "git {args:?}: {}", text(&o.stderr));
    };
    git(&["init", "-q", "-b", "main"]);
    git(&[
        "-c",
        "user.email=t@example.com",
        "-c",
        "user.name=t",
        "add",
        ".",
    ]);
    git(&[
        "-c",
        "user.email=t@example.com",
        "-c",
        "user.name=t",
        "commit",
        "-q",
        "-m",
        "base",
    ]);
    // The pull request: a second model. out/ in the working tree is not even updated.
    let changed = SHIPPED.replace(
        "      - us.anthropic.claude-haiku-5-5\n",
        "      - us.anthropic.claude-haiku-5-5\n      - us.anthropic.claude-sonnet-4-6\n",
    );
    std::fs::write(
        d.path().join("blueprints/bedrock-private-access.yaml"),
        changed,
    )
    .unwrap();
    let o = run(
        d.path(),
        &[
            "diff",
            "--against",
            "HEAD",
            "--format",
            "markdown",
            "--fail-on",
            "broadening",
        ],
    );
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
    let md = text(&o.stdout);
    assert!(
        md.contains("broadens permissions") && md.contains("claude-sonnet-4-6"),
        "{md}"
    );
    // An absolute --out inside the folder works the same.
    let abs = d.path().join("out");
    let o = run(
        d.path(),
        &[
            "diff",
            "--against",
            "HEAD",
            "--out",
            abs.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        j["summary"]["broadens_permissions"],
        true,
        "{}",
        text(&o.stderr)
    );
    assert_eq!(
        run(d.path(), &["diff", "--against", "no-such-rev"])
            .status
            .code(),
        Some(2)
    );
}
