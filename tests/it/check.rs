//! `perimeter check`: every rule against a template that breaks it and one that does not
//! (tests/fixtures/check/rules, each file naming the findings it expects), quotas on
//! generated templates, the shipped blueprint clean with its access table, blueprint
//! expectations and suppressions, and the CLI's outputs and exit codes.

use crate::common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use perimeter::blueprint::{Blueprint, Name};
use perimeter::check::check_text;
use perimeter::check::{Context, Severity, check, rules};
use perimeter::iam::Decision;
use perimeter::project::check_blueprints;
use perimeter::template::{Format, Template};

/// The Bedrock solution's props of a resolved target.
fn bedrock(
    r: &std::sync::Arc<dyn perimeter::solution::Resolved>,
) -> &perimeter::solutions::bedrock_private_access::BedrockPrivateAccessProps {
    r.props_of().expect("a bedrock-private-access target")
}

const SHIPPED: &str = include_str!("../../blueprints/bedrock-private-access.yaml");

fn rules_dir() -> std::path::PathBuf {
    common::root().join("tests/fixtures/check/rules")
}

/// `# expect: RULE RESOURCE` lines (`-` for no resource, `none` for no finding).
fn expected(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# expect: "))
        .filter(|e| *e != "none")
        .map(|e| {
            let (r, res) = e.split_once(' ').expect("RULE RESOURCE");
            (r.to_string(), res.to_string())
        })
        .collect();
    out.sort();
    out
}

#[test]
fn each_rule_fixture_yields_exactly_its_expected_findings() {
    let files = common::templates_under(&rules_dir());
    assert!(files.len() >= 60, "{} fixtures", files.len());
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let want = expected(&text);
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        if name.ends_with(".good.yaml") {
            assert!(want.is_empty(), "{name}: a good fixture expects nothing");
        } else {
            assert!(!want.is_empty(), "{name}: a bad fixture expects findings");
            let rule = name.split('-').next().unwrap();
            assert!(
                want.iter().any(|(r, _)| r == rule),
                "{name} must break {rule}"
            );
        }
        // The file's path: a nested stack's child is found beside it.
        let report = check_text(&f.to_string_lossy(), &text, &Context::default());
        let mut got: Vec<(String, String)> = report
            .findings
            .iter()
            .map(|x| {
                (
                    x.rule.id.to_string(),
                    x.resource.clone().unwrap_or_else(|| "-".into()),
                )
            })
            .collect();
        got.sort();
        assert_eq!(got, want, "{name}: {:#?}", report.findings);
        for x in &report.findings {
            assert!(x.line.is_some(), "{name}: {x:?} has no position");
            assert!(!x.fix.is_empty() && !x.message.is_empty());
        }
    }
}

#[test]
fn every_rule_has_a_breaking_and_a_passing_template() {
    // Quotas and unused suppressions are exercised below on generated input.
    let generated = ["Q301", "Q302", "Q303", "Q304", "Q305", "C801"];
    let names: BTreeSet<String> = std::fs::read_dir(rules_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    for r in rules::ALL {
        if generated.contains(&r.id) {
            continue;
        }
        for kind in ["bad", "good"] {
            let file = format!("{}-{}.{kind}.yaml", r.id, r.name);
            assert!(names.contains(&file), "missing fixture {file}");
        }
    }
    // A check's variant (`S110-value-format.E1041.bad.yaml`) comes as a pair too, of a
    // rule that exists.
    for name in &names {
        let (stem, other) = match name.strip_suffix(".bad.yaml") {
            Some(stem) => (stem, format!("{stem}.good.yaml")),
            None => match name.strip_suffix(".good.yaml") {
                Some(stem) => (stem, format!("{stem}.bad.yaml")),
                None => panic!("{name}: a fixture is NAME.bad.yaml or NAME.good.yaml"),
            },
        };
        assert!(names.contains(&other), "{name} has no {other}");
        let rule = stem.split('.').next().unwrap();
        assert!(
            rules::ALL
                .iter()
                .any(|r| rule == format!("{}-{}", r.id, r.name)),
            "{name} names no rule"
        );
    }
}

#[test]
fn findings_name_the_place_in_the_file() {
    let text = std::fs::read_to_string(rules_dir().join("N403-open-ingress.bad.yaml")).unwrap();
    let r = check_text("t.yaml", &text, &Context::default());
    let f = &r.findings[0];
    assert_eq!(
        f.path,
        "Resources.Web.Properties.SecurityGroupIngress[0].CidrIp"
    );
    let line = text.lines().nth(f.line.unwrap() - 1).unwrap();
    assert!(line.contains("CidrIp: 0.0.0.0/0"), "{line}");
    assert!(f.message.contains("0.0.0.0/0"));
}

#[test]
fn an_attribute_cloudformation_does_not_define_is_a_finding_unless_a_transform_reads_it() {
    let text = "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n    Deletionpolicy: Retain\n";
    let r = check_text("t.yaml", text, &Context::default());
    let f: Vec<_> = r.findings.iter().filter(|f| f.rule.id == "S102").collect();
    assert_eq!(f.len(), 1, "{:#?}", r.findings);
    assert_eq!(f[0].path, "Resources.Topic.Deletionpolicy");
    assert_eq!(f[0].line, Some(4));
    assert!(
        f[0].message
            .starts_with("unknown resource attribute \"Deletionpolicy\"")
    );
    // The Count macro reads its own attribute.
    let counted = format!(
        "Transform: Count\n{}",
        text.replace("Deletionpolicy: Retain", "Count: 3")
    );
    let r = check_text("t.yaml", &counted, &Context::default());
    assert!(
        r.findings.iter().all(|f| f.rule.id != "S102"),
        "{:#?}",
        r.findings
    );
    // What the macro leaves unjudged is said once, as a note, not as a finding.
    assert_eq!(r.notes.len(), 1, "{:?}", r.notes);
    assert!(r.notes[0].starts_with("the template calls Count:"));
    // The SAM transform passes other resources' attributes through: CloudFormation
    // refuses them, so they are findings; SAM drops those of its own resources.
    let sam = format!(
        "Transform: AWS::Serverless-2016-10-31\n{text}  Fn:\n    Type: AWS::Serverless::Function\n    Description: dropped by SAM\n    Properties:\n      Runtime: python3.13\n      Handler: a.b\n      InlineCode: x\n"
    );
    let r = check_text("t.yaml", &sam, &Context::default());
    let f: Vec<&str> = r
        .findings
        .iter()
        .filter(|f| f.rule.id == "S102")
        .map(|f| f.path.as_str())
        .collect();
    assert_eq!(f, ["Resources.Topic.Deletionpolicy"], "{:#?}", r.findings);
    assert!(r.notes.is_empty());
}

/// A template of `n` topics (and parameters, outputs, mappings as asked).
fn sized(resources: usize, parameters: usize, outputs: usize, mappings: usize) -> Template {
    let mut doc =
        serde_json::json!({"Resources": {}, "Parameters": {}, "Outputs": {}, "Mappings": {}});
    for i in 0..resources {
        doc["Resources"][format!("Topic{i}")] = serde_json::json!({"Type": "AWS::SNS::Topic"});
    }
    for i in 0..parameters {
        doc["Parameters"][format!("P{i}")] = serde_json::json!({"Type": "String"});
    }
    for i in 0..outputs {
        doc["Outputs"][format!("O{i}")] = serde_json::json!({"Value": "x"});
    }
    for i in 0..mappings {
        doc["Mappings"][format!("M{i}")] = serde_json::json!({"A": {"B": "c"}});
    }
    Template::parse(&doc.to_string(), Format::Json).unwrap()
}

fn quota_findings(t: &Template, body: &str) -> Vec<(&'static str, Severity)> {
    check(t, body, &Context::default())
        .findings
        .iter()
        .map(|f| (f.rule.id, f.severity))
        .collect()
}

#[test]
fn quotas_are_errors_over_the_limit_and_warnings_from_80_percent() {
    let body = "{}";
    for (rule, make) in [
        ("Q301", (|n| sized(n, 0, 0, 0)) as fn(usize) -> Template),
        ("Q302", |n| sized(1, n, 0, 0)),
        ("Q303", |n| sized(1, 0, n, 0)),
        ("Q304", |n| sized(1, 0, 0, n)),
    ] {
        let limit = if rule == "Q301" { 500 } else { 200 };
        let near = limit * 4 / 5;
        assert!(quota_findings(&make(near - 1), body).is_empty(), "{rule}");
        assert_eq!(
            quota_findings(&make(near), body),
            vec![(rule, Severity::Warning)]
        );
        assert_eq!(
            quota_findings(&make(limit), body),
            vec![(rule, Severity::Warning)]
        );
        assert_eq!(
            quota_findings(&make(limit + 1), body),
            vec![(rule, Severity::Error)]
        );
    }
    let t = sized(1, 0, 0, 0);
    assert!(quota_findings(&t, &" ".repeat(51_200)).is_empty());
    assert_eq!(
        quota_findings(&t, &" ".repeat(51_201)),
        vec![("Q305", Severity::Warning)]
    );
    assert_eq!(
        quota_findings(&t, &" ".repeat(1_000_001)),
        vec![("Q305", Severity::Error)]
    );
}

fn blueprint(text: &str) -> Blueprint {
    Blueprint::parse(
        "bp".parse::<Name>().unwrap(),
        "blueprints/bp.yaml",
        text,
        &perimeter::solutions::builtin(),
    )
    .unwrap_or_else(|e| panic!("{e:?}"))
}

#[test]
fn the_shipped_blueprint_passes_with_no_findings_and_its_access_table_holds() {
    let b = blueprint(SHIPPED);
    let reports = check_blueprints(&[b], &common::all_targets()).unwrap();
    assert_eq!(reports.len(), 3);
    for r in &reports {
        assert!(r.findings.is_empty(), "{}: {:#?}", r.file, r.findings);
        assert!(r.suppressed.is_empty());
        // The corporate rows (prod only) have their own test.
        let rows: Vec<(&str, Decision, bool)> = r
            .access
            .iter()
            .filter(|a| !a.scenario.starts_with("corporate"))
            .map(|a| (a.scenario.as_str(), a.decision, a.holds))
            .collect();
        assert_eq!(
            rows,
            vec![
                ("listed model through the endpoint", Decision::Allow, true),
                (
                    "listed model without the endpoint",
                    Decision::ImplicitDeny,
                    true
                ),
                (
                    "listed model through another endpoint",
                    Decision::ImplicitDeny,
                    true
                ),
                (
                    "unlisted model through the endpoint",
                    Decision::ImplicitDeny,
                    true
                ),
                (
                    "endpoint policy flipped to Deny",
                    Decision::ExplicitDeny,
                    true
                ),
                (
                    "another role through the endpoint",
                    Decision::ImplicitDeny,
                    true
                ),
            ],
            "{}",
            r.file
        );
        assert_eq!(r.access[0].caller, "FunctionRole");
        assert_eq!(r.access[0].via, "BedrockRuntimeEndpoint");
    }
    // The prod-eu target's ARNs are in its own region.
    assert!(reports[2].access[0].resource.contains(":eu-west-1:"));
}

#[test]
fn a_deny_blueprint_expects_the_endpoint_to_refuse() {
    let text = SHIPPED.replace(
        "endpoint_policy_effect: Allow",
        "endpoint_policy_effect: Deny",
    );
    let reports = check_blueprints(&[blueprint(&text)], &common::all_targets()).unwrap();
    for r in &reports {
        assert!(r.findings.is_empty(), "{:#?}", r.findings);
        assert_eq!(r.access[0].decision, Decision::ExplicitDeny);
        assert!(r.access[0].holds);
    }
}

const EXPECTATIONS: &str = r#"
check:
  expect:
    - name: titan is not ours
      model: amazon.titan-text-express-v1
      outcome: deny
    - name: listing models from outside
      action: bedrock:ListFoundationModels
      via: no-endpoint
      outcome: deny
    - name: the wrong belief
      via: no-endpoint
      outcome: allow
      targets: [dev]
"#;

#[test]
fn declared_expectations_are_simulated_and_a_failed_one_is_an_error() {
    let text = format!("{SHIPPED}{EXPECTATIONS}");
    let reports = check_blueprints(&[blueprint(&text)], &common::all_targets()).unwrap();
    let dev = &reports[0];
    let declared: Vec<(&str, bool)> = dev
        .access
        .iter()
        .filter(|a| a.declared)
        .map(|a| (a.scenario.as_str(), a.holds))
        .collect();
    assert_eq!(
        declared,
        vec![
            ("titan is not ours", true),
            ("listing models from outside", true),
            ("the wrong belief", false),
        ]
    );
    assert_eq!(dev.findings.len(), 1);
    assert_eq!(dev.findings[0].rule.id, "A701");
    assert!(dev.findings[0].message.starts_with("the wrong belief:"));
    assert!(
        dev.findings[0]
            .message
            .contains("expected allow, got implicit deny")
    );
    // Only dev declared the wrong belief.
    assert!(reports[1].findings.is_empty());
}

#[test]
fn suppressions_accept_findings_with_their_reason_and_unused_ones_are_reported() {
    let text = format!(
        "{SHIPPED}{EXPECTATIONS}  suppress:
    - rule: access-simulation
      targets: [dev]
      reason: documents what happens without the endpoint (ticket NET-7)
    - rule: N401
      reason: no gateway is expected; kept to show an unused suppression
"
    );
    let reports = check_blueprints(&[blueprint(&text)], &common::all_targets()).unwrap();
    assert!(reports[0].findings.is_empty());
    assert_eq!(reports[0].suppressed.len(), 1);
    assert_eq!(
        reports[0].suppressed[0].reason,
        "documents what happens without the endpoint (ticket NET-7)"
    );
    // The blueprint itself gets the warning, pointing at the suppression.
    let last = reports.last().unwrap();
    assert_eq!(last.file, "blueprints/bp.yaml");
    assert_eq!(last.findings.len(), 1);
    assert_eq!(last.findings[0].rule.id, "C801");
    assert_eq!(last.findings[0].severity, Severity::Warning);
    assert_eq!(last.findings[0].path, "check.suppress[1]");
}

#[test]
fn bad_suppressions_and_expectations_are_blueprint_errors() {
    let text = format!(
        "{SHIPPED}check:
  suppress:
    - rule: N999
      reason: ' '
  expect:
    - action: bedrock:Invoke*
      model: not a model
      outcome: allow
      targets: [staging]
"
    );
    let errors = Blueprint::parse(
        "bp".parse().unwrap(),
        "blueprints/bp.yaml",
        &text,
        &perimeter::solutions::builtin(),
    )
    .unwrap_err();
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            "check.suppress[0].rule",
            "check.suppress[0].reason",
            "check.expect[0].action",
            "check.expect[0].model",
            "check.expect[0].targets[0]",
        ]
    );
    assert!(errors.iter().all(|e| e.pos.is_some()));
    assert!(errors[1].message.contains("needs a reason"));
}

fn perimeter(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_perimeter"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        o.status.code().unwrap(),
        String::from_utf8(o.stdout).unwrap(),
        String::from_utf8(o.stderr).unwrap(),
    )
}

#[test]
fn cli_exit_codes_and_formats() {
    let root = common::root();
    let fixture = |n: &str| format!("tests/fixtures/check/rules/{n}");
    // The shipped blueprints (three account targets, an OU target and its StackSet): clean.
    let (code, out, _) = perimeter(&root, &["check"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("checked 5 templates: 0 errors, 0 warnings, 0 suppressed"));
    assert!(out.contains("listed model through the endpoint"));
    // A broken template: exit 1, finding in rustc style with its place.
    let (code, out, _) = perimeter(
        &root,
        &[
            "check",
            "--color",
            "never",
            &fixture("N401-internet-path.bad.yaml"),
        ],
    );
    assert_eq!(code, 1);
    assert!(
        out.contains("error[N401 internet-path]: Gateway is an internet gateway"),
        "{out}"
    );
    assert!(
        out.contains("--> tests/fixtures/check/rules/N401-internet-path.bad.yaml:"),
        "{out}"
    );
    assert!(out.contains("= fix: Remove it"));
    // Warnings pass unless --deny-warnings.
    let warn = fixture("D603-log-retention.bad.yaml");
    assert_eq!(perimeter(&root, &["check", &warn]).0, 0);
    assert_eq!(perimeter(&root, &["check", "--deny-warnings", &warn]).0, 1);
    // JSON.
    let (_, out, _) = perimeter(
        &root,
        &[
            "check",
            "--format",
            "json",
            &fixture("R205-dependency-cycle.bad.yaml"),
        ],
    );
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["summary"]["errors"], 1);
    let f = &doc["files"][0]["findings"][0];
    assert_eq!(f["rule"], "R205");
    assert_eq!(f["message"], "dependency cycle: App -> Db -> App");
    assert_eq!(f["related"], serde_json::json!(["Db"]));
    // The access table in JSON (docs/check-json.md).
    let (_, out, _) = perimeter(&root, &["check", "--format", "json", "--target", "dev"]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let row = &doc["files"][0]["access"][4];
    assert_eq!(row["scenario"], "endpoint policy flipped to Deny");
    assert_eq!(row["expected"], "deny");
    assert_eq!(row["decision"], "explicit-deny");
    assert_eq!(row["holds"], true);
    assert_eq!(doc["files"][0]["deployment"], "111111111111 us-east-1");
    // SARIF 2.1.0 with rules and a located result.
    let (_, out, _) = perimeter(
        &root,
        &[
            "check",
            "--format",
            "sarif",
            &fixture("N402-public-subnet.bad.yaml"),
        ],
    );
    let log: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    assert_eq!(
        run["tool"]["driver"]["rules"].as_array().unwrap().len(),
        rules::ALL.len()
    );
    let res = &run["results"][0];
    assert_eq!(res["ruleId"], "N402");
    assert_eq!(res["level"], "error");
    let region = &res["locations"][0]["physicalLocation"]["region"];
    assert!(region["startLine"].as_u64().unwrap() > 1);
    let idx = res["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(run["tool"]["driver"]["rules"][idx]["id"], "N402");
    // A file that is not a template is a finding, not a crash.
    let (code, out, _) = perimeter(
        &root,
        &["check", "tests/fixtures/check/broken/json-syntax.json"],
    );
    assert_eq!(code, 1);
    assert!(out.contains("error[T001 template-syntax]"), "{out}");
    // Usage errors: exit 2.
    let (code, _, err) = perimeter(&root, &["check", "no/such/file.yaml"]);
    assert_eq!(code, 2);
    assert!(err.contains("no/such/file.yaml"));
    let (code, _, err) = perimeter(&root, &["check", "--target", "nope"]);
    assert_eq!(code, 2);
    assert!(err.contains("no target named \"nope\""), "{err}");
}

#[test]
fn a_bad_blueprint_stops_check_with_its_location() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("blueprints")).unwrap();
    let text = format!("{SHIPPED}check:\n  suppress:\n    - rule: N401\n      reason: ''\n");
    std::fs::write(dir.path().join("blueprints/bp.yaml"), &text).unwrap();
    let (code, _, err) = perimeter(dir.path(), &["check"]);
    assert_eq!(code, 2);
    let line = text.lines().count();
    assert!(
        err.contains(&format!("blueprints/bp.yaml:{line}:"))
            && err.contains("check.suppress[0].reason"),
        "{err}"
    );
    assert!(!dir.path().join("out").exists(), "check writes nothing");
}

#[test]
fn a_public_corporate_network_declared_in_the_blueprint_is_known() {
    // Some companies address their own network with public blocks; the blueprint says
    // which, so the endpoint may admit it. The same template on its own is a finding.
    let text = SHIPPED.replace("cidr: 172.16.0.0/12", "cidr: 198.51.100.0/24");
    let b = blueprint(&text);
    let reports = check_blueprints(std::slice::from_ref(&b), &common::all_targets()).unwrap();
    assert!(
        reports.iter().all(|r| r.findings.is_empty()),
        "{:#?}",
        reports[1].findings
    );
    let prod = perimeter::solutions::bedrock_private_access::BedrockPrivateAccess::template(
        bedrock(&b.resolved[1].1),
    )
    .unwrap();
    let alone = check(&prod, &prod.to_json(), &Context::default());
    let rules: Vec<&str> = alone.findings.iter().map(|f| f.rule.id).collect();
    // Alone, the corporate role's account is not the template's either: the endpoint's
    // identity perimeter is refuted (A703), with that role as the witness's caller.
    assert_eq!(rules, vec!["A703", "N404"]);
    let a703 = &alone.findings[0];
    assert!(a703.message.contains("identity perimeter"), "{a703:?}");
    assert!(
        a703.witness.as_ref().unwrap()["principal"]
            .as_str()
            .unwrap()
            .contains(":222222222222:"),
        "{a703:?}"
    );
    assert!(
        alone.findings[1]
            .message
            .contains("198.51.100.0/24 is not a private network")
    );
}

#[test]
fn booleans_written_as_strings_in_any_spelling_cloudformation_reads() {
    for spelling in ["true", "True", "TRUE", "false", "False", "FALSE"] {
        let text = format!(
            "Resources:\n  Vpc:\n    Type: AWS::EC2::VPC\n    Properties:\n      CidrBlock: 10.0.0.0/16\n      EnableDnsSupport: '{spelling}'\n"
        );
        let r = check_text("t.yaml", &text, &Context::default());
        assert!(
            r.findings.iter().all(|f| f.rule.id != "S104"),
            "{spelling}: {:#?}",
            r.findings
        );
    }
    let text = "Resources:\n  Vpc:\n    Type: AWS::EC2::VPC\n    Properties:\n      CidrBlock: 10.0.0.0/16\n      EnableDnsSupport: 'yes'\n";
    let r = check_text("t.yaml", text, &Context::default());
    assert!(
        r.findings.iter().any(|f| f.rule.id == "S104"),
        "{:#?}",
        r.findings
    );
}

#[test]
fn open_ingress_follows_a_parameter_default() {
    let text = "Parameters:\n  SSHLocation: {Type: String, Default: 0.0.0.0/0}\n  Office: {Type: String, Default: 10.1.0.0/16}\n  NoDefault: {Type: String}\nResources:\n  Bastion:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: ssh\n      SecurityGroupIngress:\n        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Ref SSHLocation}\n        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Ref Office}\n        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Ref NoDefault}\n";
    let r = check_text("t.yaml", text, &Context::default());
    let open: Vec<_> = r.findings.iter().filter(|f| f.rule.id == "N403").collect();
    assert_eq!(open.len(), 1, "{:#?}", r.findings);
    assert_eq!(
        open[0].path,
        "Resources.Bastion.Properties.SecurityGroupIngress[0].CidrIp"
    );
    assert!(
        open[0].message.ends_with(
            "(the default of parameter SSHLocation; a deployment may pass another value)"
        ),
        "{}",
        open[0].message
    );
}

// ---- rules a team can tune (issue 14) ----

/// A web tier: an internet gateway, SSH from anywhere, and a wildcard grant.
const WEB: &str = "Resources:\n  Gateway:\n    Type: AWS::EC2::InternetGateway\n  Web:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: web\n      SecurityGroupIngress:\n        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}\n  Admin:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument: {Statement: [{Effect: Allow, Action: '*', Resource: '*'}]}\n";

fn rule_ids(dir: &Path, args: &[&str]) -> (i32, Vec<String>, String) {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    let (code, out, err) = perimeter(dir, &all);
    if code == 2 {
        return (code, vec![], err);
    }
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let mut ids: Vec<String> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["findings"].as_array().unwrap().iter())
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    (code, ids, err)
}

#[test]
fn profiles_only_and_ignore_choose_the_rules() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("web.yaml"), WEB).unwrap();
    let (_, all, _) = rule_ids(dir.path(), &["web.yaml"]);
    // `*` grants Bedrock too, outside any endpoint: I502.
    assert_eq!(all, ["I502", "I503", "N401", "N403"]);
    let (_, baseline, _) = rule_ids(dir.path(), &["web.yaml", "--profile", "baseline"]);
    assert_eq!(baseline, ["I503"]);
    let (_, network, _) = rule_ids(dir.path(), &["web.yaml", "--only", "network"]);
    assert_eq!(network, ["N401", "N403"]);
    let (code, ignored, _) = rule_ids(
        dir.path(),
        &[
            "web.yaml",
            "--ignore",
            "I502,I503,internet-path",
            "--ignore",
            "N403",
        ],
    );
    assert_eq!((code, ignored), (0, vec![]));
    // A project's .perimeter.yaml sets the defaults; flags add to or override them.
    std::fs::write(
        dir.path().join(".perimeter.yaml"),
        "check:\n  profile: baseline\n",
    )
    .unwrap();
    let (_, from_config, _) = rule_ids(dir.path(), &["web.yaml"]);
    assert_eq!(from_config, ["I503"]);
    let (_, overridden, _) = rule_ids(dir.path(), &["web.yaml", "--profile", "private"]);
    assert_eq!(overridden, ["I502", "I503", "N401", "N403"]);
    // Mistakes name the place.
    std::fs::write(
        dir.path().join(".perimeter.yaml"),
        "check:\n  profiel: baseline\n",
    )
    .unwrap();
    let (code, _, err) = rule_ids(dir.path(), &["web.yaml"]);
    assert_eq!(code, 2);
    assert!(
        err.contains(".perimeter.yaml:2:3: check: unknown field `profiel`"),
        "{err}"
    );
    std::fs::remove_file(dir.path().join(".perimeter.yaml")).unwrap();
    for (args, expected) in [
        (
            vec!["web.yaml", "--profile", "open"],
            "unknown profile \"open\"",
        ),
        (
            vec!["web.yaml", "--only", "firewall"],
            "unknown family \"firewall\"",
        ),
        (
            vec!["web.yaml", "--ignore", "X999"],
            "unknown rule \"X999\"",
        ),
    ] {
        let (code, _, err) = rule_ids(dir.path(), &args);
        assert_eq!(code, 2, "{args:?}");
        assert!(err.contains(expected), "{args:?}: {err}");
    }
}

#[test]
fn a_template_suppresses_findings_in_its_metadata_with_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "Metadata:\n  perimeter:\n    suppress:\n      - {{rule: internet-path, resources: [Gateway], reason: the public web tier}}\n      - {{rule: D603, reason: nothing here keeps logs}}\n      - {{rule: N999, reason: typo}}\n{}",
        WEB.replace(
            "    Type: AWS::EC2::SecurityGroup\n",
            "    Type: AWS::EC2::SecurityGroup\n    Metadata:\n      perimeter: {suppress: [{rule: N403, reason: a bastion reached from anywhere}]}\n",
        )
        .replace(
            "  Admin:\n    Type: AWS::IAM::ManagedPolicy\n",
            "  Admin:\n    Type: AWS::IAM::ManagedPolicy\n    Metadata: {cfn-lint: {config: {ignore_checks: [E3012, W3011]}}}\n",
        )
    );
    std::fs::write(dir.path().join("web.yaml"), text).unwrap();
    let (code, out, _) = perimeter(dir.path(), &["check", "web.yaml", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let file = &doc["files"][0];
    let suppressed: Vec<(String, String)> = file["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["finding"]["rule"].as_str().unwrap().into(),
                s["reason"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        suppressed,
        [
            ("N401".to_string(), "the public web tier".to_string()),
            (
                "N403".to_string(),
                "a bastion reached from anywhere".to_string()
            )
        ]
    );
    // The grant outside the Bedrock endpoint stands too.
    // The wildcard grant stands (cfn-lint's E3012 is another rule); the unused and the
    // unknown suppression are warnings at their place.
    let findings: Vec<(String, String)> = file["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().into(),
                f["path"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        findings,
        [
            (
                "I502".to_string(),
                "Resources.Admin.Properties.PolicyDocument.Statement[0]".to_string()
            ),
            (
                "I503".to_string(),
                "Resources.Admin.Properties.PolicyDocument.Statement[0]".to_string()
            ),
            (
                "C801".to_string(),
                "Metadata.perimeter.suppress[1]".to_string()
            ),
            (
                "C801".to_string(),
                "Metadata.perimeter.suppress[2]".to_string()
            ),
        ],
        "{out}"
    );
    assert_eq!(code, 1);
    // SARIF keeps suppressed findings with their justification.
    let (_, sarif, _) = perimeter(dir.path(), &["check", "web.yaml", "--format", "sarif"]);
    assert!(
        sarif.contains("\"justification\": \"the public web tier\""),
        "{sarif}"
    );
    // cfn-lint's ignore_checks suppress the rules that correspond.
    let typed = "Resources:\n  Vpc:\n    Type: AWS::EC2::VPC\n    Metadata: {cfn-lint: {config: {ignore_checks: [E3012]}}}\n    Properties: {CidrBlock: 10.0.0.0/16, EnableDnsSupport: 'yes'}\n";
    std::fs::write(dir.path().join("typed.yaml"), typed).unwrap();
    let (code, ids, _) = rule_ids(dir.path(), &["typed.yaml"]);
    assert_eq!((code, ids), (0, vec![]));
}

#[test]
fn deprecated_runtimes_in_functions_and_sam_globals_by_their_lifecycle() {
    let ctx = Context {
        today: "2026-11-25".into(),
        ..Context::default()
    };
    let text = "Transform: AWS::Serverless-2016-10-31\nGlobals:\n  Function: {Runtime: nodejs12.x}\nResources:\n  Old:\n    Type: AWS::Serverless::Function\n    Properties: {Handler: index.handler, CodeUri: src/}\n  Net:\n    Type: AWS::Serverless::Function\n    Properties: {Handler: a::b::c, CodeUri: src/, Runtime: dotnet8}\n  Fresh:\n    Type: AWS::Serverless::Function\n    Properties: {Handler: index.handler, CodeUri: src/, Runtime: python3.14}\n";
    let r = check_text("t.yaml", text, &ctx);
    let found: Vec<(&str, &str, Severity, &str)> = r
        .findings
        .iter()
        .filter(|f| f.rule.id == "S108")
        .map(|f| {
            (
                f.resource.as_deref().unwrap(),
                f.path.as_str(),
                f.severity,
                f.message.as_str(),
            )
        })
        .collect();
    assert_eq!(found.len(), 2, "{:#?}", r.findings);
    // Creation and updates of nodejs12.x are blocked: an error, at the Globals line.
    assert_eq!(
        (found[0].0, found[0].1, found[0].2),
        ("Old", "Globals.Function.Runtime", Severity::Error)
    );
    assert!(
        found[0]
            .3
            .starts_with("runtime nodejs12.x was deprecated on "),
        "{}",
        found[0].3
    );
    assert_eq!(
        r.findings
            .iter()
            .find(|f| f.rule.id == "S108")
            .unwrap()
            .line,
        Some(3)
    );
    // dotnet8 is deprecated, still creatable: a warning saying when that ends.
    assert_eq!((found[1].0, found[1].2), ("Net", Severity::Warning));
    assert_eq!(
        found[1].3,
        "runtime dotnet8 was deprecated on 2026-11-10; creation is blocked from 2026-12-10, updates from 2027-01-11: move to dotnet9"
    );
}

#[test]
fn an_endpoint_policy_scoped_to_named_resources_may_admit_any_principal() {
    let policy = |resource: &str| {
        format!(
            "Resources:\n  Vpc:\n    Type: AWS::EC2::VPC\n    Properties: {{CidrBlock: 10.0.0.0/16}}\n  Bucket:\n    Type: AWS::S3::Bucket\n  S3:\n    Type: AWS::EC2::VPCEndpoint\n    Properties:\n      VpcId: !Ref Vpc\n      ServiceName: !Sub com.amazonaws.${{AWS::Region}}.s3\n      VpcEndpointType: Gateway\n      PolicyDocument:\n        Statement:\n          - {{Effect: Allow, Principal: '*', Action: ['s3:GetObject'], Resource: {resource}}}\n"
        )
    };
    let i501 = |resource: &str| {
        check_text("t.yaml", &policy(resource), &Context::default())
            .findings
            .iter()
            .filter(|f| f.rule.id == "I501")
            .count()
    };
    assert_eq!(i501("!Sub '${Bucket.Arn}/*'"), 0);
    assert_eq!(i501("['arn:aws:s3:::reports/*']"), 0);
    assert_eq!(i501("'*'"), 1);
    assert_eq!(i501("'arn:aws:s3:::*'"), 1);
}

#[test]
fn sam_templates_are_checked_against_the_sam_specification() {
    // A misspelled SAM property, a missing required one, a reference to nothing; names
    // SAM generates (<Function>Role) are known.
    let text = "Transform: AWS::Serverless-2016-10-31\nResources:\n  Api:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: index.handler\n      Runtime: python3.12\n      CodeUri: src/\n      MemmorySize: 256\n      Environment:\n        Variables:\n          TABLE: !Ref OrdersTabel\n          ROLE: !GetAtt ApiRole.Arn\n          ORDERS: !Ref Orders\n  Orders:\n    Type: AWS::Serverless::SimpleTable\n  Layer:\n    Type: AWS::Serverless::LayerVersion\n    Properties: {LayerName: x}\n";
    let r = check_text("t.yaml", text, &Context::default());
    let found: Vec<(&str, &str)> = r
        .findings
        .iter()
        .map(|f| (f.rule.id, f.path.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (
                "R201",
                "Resources.Api.Properties.Environment.Variables.TABLE"
            ),
            ("S102", "Resources.Api.Properties.MemmorySize"),
            ("S103", "Resources.Layer.Properties"),
        ],
        "{:#?}",
        r.findings
    );
    // Another macro may make anything: references are not judged.
    let macro_text = text.replace(
        "AWS::Serverless-2016-10-31",
        "[AWS::Serverless-2016-10-31, MyMacro]",
    );
    let r = check_text("t.yaml", &macro_text, &Context::default());
    assert!(
        r.findings.iter().all(|f| f.rule.id != "R201"),
        "{:#?}",
        r.findings
    );
}

#[test]
fn corporate_callers_are_simulated_listed_ones_admitted_on_listed_models_only() {
    let reports = check_blueprints(&[blueprint(SHIPPED)], &common::all_targets()).unwrap();
    let prod = reports
        .iter()
        .find(|r| r.target.as_deref() == Some("prod"))
        .unwrap();
    let row = |prefix: &str| {
        prod.access
            .iter()
            .find(|r| r.scenario.starts_with(prefix))
            .unwrap_or_else(|| panic!("no row {prefix}: {:#?}", prod.access))
    };
    let listed = row("corporate corporate-analysts: listed model");
    assert_eq!(listed.decision, Decision::Allow);
    assert!(listed.holds);
    let unlisted = row("corporate corporate-analysts: unlisted model");
    assert_ne!(unlisted.decision, Decision::Allow);
    assert!(unlisted.holds);
    let stranger = row("corporate caller not listed");
    assert_ne!(stranger.decision, Decision::Allow);
    assert!(stranger.holds);
    // An organization instead: its members are admitted, through the endpoint only.
    let org = SHIPPED.replace(
        "- arn:aws:iam::222222222222:role/corporate-analysts",
        "- o-a1b2c3d4e5",
    );
    assert_ne!(org, SHIPPED);
    let reports = check_blueprints(&[blueprint(&org)], &common::all_targets()).unwrap();
    let prod = reports
        .iter()
        .find(|r| r.target.as_deref() == Some("prod"))
        .unwrap();
    assert!(prod.findings.is_empty(), "{:#?}", prod.findings);
    let member = prod
        .access
        .iter()
        .find(|r| {
            r.scenario
                .starts_with("a role of organization o-a1b2c3d4e5: listed model")
        })
        .unwrap();
    assert_eq!(member.decision, Decision::Allow);
    assert!(prod.access.iter().all(|r| r.holds), "{:#?}", prod.access);
    // Anything but a role ARN or an organization id is refused where it is written.
    let bad = SHIPPED.replace(
        "- arn:aws:iam::222222222222:role/corporate-analysts",
        "- corporate-analysts",
    );
    let e = Blueprint::parse(
        "bp".parse::<Name>().unwrap(),
        "blueprints/bp.yaml",
        &bad,
        &perimeter::solutions::builtin(),
    )
    .unwrap_err();
    assert!(
        format!("{e:?}").contains("corporate_access.principals[0]"),
        "{e:?}"
    );
}

#[test]
fn the_readmes_rule_table_is_the_rule_list() {
    let readme = std::fs::read_to_string(common::root().join("README.md")).unwrap();
    let start = readme
        .find("<!-- rules:start")
        .expect("the README marks its rule table");
    let body = &readme[readme[start..].find('\n').unwrap() + start + 1..];
    let table = &body[..body.find("<!-- rules:end -->").unwrap()];
    assert_eq!(
        table,
        rules::markdown_table(),
        "the README's rule table is stale: put the output of `perimeter check --rules --format markdown` between its markers"
    );
    assert_eq!(table.lines().count(), rules::ALL.len() + 2);
}

const ANY_SERVICE: &str = r#"
check:
  expect:
    - name: the function writes its own logs
      action: logs:PutLogEvents
      resource: ${FunctionLogGroup.Arn}
      via: no-endpoint
      outcome: allow
      targets: [prod]
    - name: not into the flow logs
      action: logs:PutLogEvents
      resource: ${VpcFlowLogsLogGroup.Arn}
      via: no-endpoint
      outcome: deny
      targets: [prod]
    - name: no bucket of anyone's
      action: s3:GetObject
      resource: arn:${AWS::Partition}:s3:::reports/2026.csv
      via: no-endpoint
      outcome: deny
      targets: [prod]
    - name: the master user's secret is not the function's
      action: secretsmanager:GetSecretValue
      resource: ${Database.MasterUserSecret.SecretArn}
      outcome: deny
      targets: [prod]
    - name: IAM authentication to the database
      action: rds-db:connect
      resource: arn:${AWS::Partition}:rds-db:${AWS::Region}:${AWS::AccountId}:dbuser:${Database.DbiResourceId}/app
      via: no-endpoint
      outcome: deny
      targets: [prod]
"#;

#[test]
fn expectations_name_any_service_and_resource_and_an_unknowable_one_is_an_error() {
    let text = format!("{SHIPPED}{ANY_SERVICE}");
    let reports = check_blueprints(&[blueprint(&text)], &common::all_targets()).unwrap();
    let prod = reports
        .iter()
        .find(|r| r.target.as_deref() == Some("prod"))
        .unwrap();
    let declared: Vec<(&str, &str, bool)> = prod
        .access
        .iter()
        .filter(|a| a.declared)
        .map(|a| (a.scenario.as_str(), a.resource.as_str(), a.holds))
        .collect();
    assert_eq!(declared.len(), 5, "{declared:?}");
    // The log group's ARN is bound as the stack will make it, in prod's account.
    assert_eq!(declared[0].0, "the function writes its own logs");
    assert!(
        declared[0].1.starts_with("arn:aws:logs:"),
        "{}",
        declared[0].1
    );
    assert!(declared[0].1.contains(":log-group:"), "{}", declared[0].1);
    // The master user's secret (RDS names it at deployment, in the stack's account and
    // Region, which is all its ARN pattern needs) is the schema function's, not this one's.
    assert!(
        declared[0].2 && declared[1].2 && declared[2].2 && declared[3].2,
        "{declared:?}"
    );
    assert!(declared[3].1.contains(":secret:rds!db-"), "{declared:?}");
    // The database's resource id is RDS's own, made at deployment: no verdict, an error.
    assert!(!declared[4].2);
    let undecided: Vec<_> = prod
        .findings
        .iter()
        .filter(|f| f.rule.id == "A702")
        .collect();
    assert_eq!(undecided.len(), 1, "{:#?}", prod.findings);
    assert!(undecided[0].message.contains("cannot decide"));
    assert_eq!(prod.findings.len(), 1, "{:#?}", prod.findings);
    // The other targets are not asked.
    let dev = reports
        .iter()
        .find(|r| r.target.as_deref() == Some("dev"))
        .unwrap();
    assert!(dev.access.iter().all(|a| !a.declared));
}
