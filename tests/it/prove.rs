//! `perimeter prove` as a user runs it: exit codes, the JSON answer, witnesses that the
//! evaluator decides as claimed, and bad input.

use std::process::Command;

use perimeter::iam::prove::read_request;
use perimeter::iam::{Bindings, Decision, PolicyDocument, PolicySet};

const FIX: &str = "tests/fixtures/prove";
const PROD: &str = "out/bedrock-private-access/prod.template.json";
/// The shipped prod template as it stood before the reference architecture's security
/// review (issue 21): its S3 gateway endpoint admitted PutObject on
/// `cloudformation-custom-resource-response-*/*`.
const PROD_BEFORE: &str = "tests/fixtures/prove/prod-before-review.template.json";

fn prove(args: &[&str]) -> (i32, serde_json::Value, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_perimeter"))
        .arg("prove")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(o.stdout).unwrap();
    let json = serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Null);
    (
        o.status.code().unwrap(),
        json,
        String::from_utf8(o.stderr).unwrap(),
    )
}

fn fixture(name: &str) -> String {
    format!("{FIX}/{name}")
}

fn doc(path: &str) -> PolicyDocument {
    let text = std::fs::read_to_string(path).unwrap();
    PolicyDocument::from_value(&perimeter::template::parse_value(&text).unwrap()).unwrap()
}

fn decision(policy: &str, w: &serde_json::Value) -> Decision {
    PolicySet::default()
        .identity("p", doc(policy))
        .evaluate(&read_request(w).unwrap(), &Bindings::new())
        .decision
}

#[test]
fn splitting_and_renaming_statements_is_no_new_access() {
    for (a, b) in [("old.json", "split.json"), ("split.json", "old.json")] {
        let (code, out, err) = prove(&["no-new-access", &fixture(a), &fixture(b)]);
        assert_eq!(code, 0, "{a} -> {b}: {out} {err}");
        assert_eq!(out["result"], "pass");
        assert!(out["witness"].is_null());
    }
    // A split that lists the bucket only on the bucket itself narrows: going back widens,
    // and the witness is the combination the split dropped.
    let (code, _, _) = prove(&[
        "no-new-access",
        &fixture("old.json"),
        &fixture("narrowed.json"),
    ]);
    assert_eq!(code, 0);
    let (code, out, _) = prove(&[
        "no-new-access",
        &fixture("narrowed.json"),
        &fixture("old.json"),
    ]);
    assert_eq!(code, 1);
    let w = &out["witness"];
    assert!(
        w["action"]
            .as_str()
            .unwrap()
            .eq_ignore_ascii_case("s3:ListBucket")
    );
    assert!(
        w["resource"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:s3:::reports/")
    );
    assert_eq!(decision(&fixture("old.json"), w), Decision::Allow);
    assert_ne!(decision(&fixture("narrowed.json"), w), Decision::Allow);
}

#[test]
fn a_widened_condition_is_new_access_with_a_witness() {
    let (code, out, _) = prove(&[
        "no-new-access",
        &fixture("old.json"),
        &fixture("widened.json"),
    ]);
    assert_eq!(code, 1);
    assert_eq!(out["result"], "fail");
    let w = &out["witness"];
    // The request without the endpoint key: IfExists lets it through.
    assert!(w["context"].get("aws:SourceVpce").is_none(), "{w}");
    assert_eq!(decision(&fixture("widened.json"), w), Decision::Allow);
    assert_ne!(decision(&fixture("old.json"), w), Decision::Allow);
    // The witness carries the policy it was decided under, as written.
    let widened: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("widened.json")).unwrap()).unwrap();
    assert_eq!(w["identity_policies"][0], widened);
}

#[test]
fn access_not_granted_names_the_granted_request() {
    let (code, out, _) = prove(&[
        "access-not-granted",
        &fixture("old.json"),
        "--action",
        "s3:PutObject",
        "s3:DeleteObject",
    ]);
    assert_eq!((code, &out["result"]), (0, &serde_json::json!("pass")));
    let (code, out, _) = prove(&[
        "access-not-granted",
        &fixture("old.json"),
        "--action",
        "s3:List*",
        "--resource",
        "arn:aws:s3:::reports",
    ]);
    assert_eq!(code, 1);
    let w = &out["witness"];
    assert_eq!(w["resource"], "arn:aws:s3:::reports");
    assert!(
        w["action"]
            .as_str()
            .unwrap()
            .eq_ignore_ascii_case("s3:ListBucket")
    );
    assert_eq!(w["context"]["aws:SourceVpce"], "vpce-0a1b2c3d");
    assert_eq!(decision(&fixture("old.json"), w), Decision::Allow);
}

/// The prod template before the review: its S3 gateway endpoint admitted any principal
/// writing to any bucket named `cloudformation-custom-resource-response-*`, in any
/// account (issue 22).
#[test]
fn the_prod_s3_endpoint_before_the_review_admits_principals_of_any_account() {
    let (code, out, _) = prove(&[
        "no-public-access",
        &format!("{PROD_BEFORE}#S3Endpoint"),
        "--resource-type",
        "AWS::EC2::VPCEndpoint",
        "--account",
        "123456789012",
    ]);
    assert_eq!(code, 1, "{out}");
    let w = &out["witness"];
    assert_eq!(w["action"], "s3:PutObject");
    assert!(
        w["resource"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:s3:::cloudformation-custom-resource-response-")
    );
    let principal = w["principal"].as_str().unwrap();
    assert_ne!(principal.split(':').nth(4), Some("123456789012"));
    assert!(w["vpc_endpoint_policies"][0]["Statement"].is_array());
}

#[test]
fn the_prod_runtime_endpoint_admits_only_the_listed_principals() {
    // Its policy names the function's role and the corporate analysts' role: trusting
    // their accounts leaves no one outside.
    let (code, out, _) = prove(&[
        "no-public-access",
        &format!("{PROD}#BedrockRuntimeEndpoint"),
        "--resource-type",
        "AWS::EC2::VPCEndpoint",
        "--account",
        "123456789012",
    ]);
    assert_eq!(code, 1);
    let outsider = out["witness"]["principal"].as_str().unwrap().to_string();
    let account = outsider.split(':').nth(4).unwrap().to_string();
    assert_ne!(account, "123456789012");
    let (code, out, err) = prove(&[
        "no-public-access",
        &format!("{PROD}#BedrockRuntimeEndpoint"),
        "--resource-type",
        "AWS::EC2::VPCEndpoint",
        "--account",
        "123456789012",
        "--account",
        &account,
    ]);
    assert_eq!(code, 0, "{out} {err}");
}

#[test]
fn constructs_beyond_the_prover_are_unknown_not_guessed() {
    let (code, out, _) = prove(&[
        "access-not-granted",
        &fixture("mixed.json"),
        "--action",
        "*",
    ]);
    assert_eq!(code, 1);
    assert_eq!(out["result"], "unknown");
    assert!(
        out["explanation"]
            .as_str()
            .unwrap()
            .contains("mixed value families")
    );
}

#[test]
fn bad_input_exits_2_naming_the_file_and_the_field() {
    let (code, out, err) = prove(&[
        "no-new-access",
        &fixture("old.json"),
        &fixture("bad-action.json"),
    ]);
    assert_eq!(code, 2);
    assert!(out.is_null());
    assert!(
        err.contains("bad-action.json") && err.contains("Statement[0].Action[0]"),
        "{err}"
    );
    let (code, _, err) = prove(&[
        "no-public-access",
        &fixture("old.json"),
        "--resource-type",
        "AWS::Nope",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("--resource-type"), "{err}");
    let (code, _, err) = prove(&[
        "access-not-granted",
        &format!("{PROD}#Nothing"),
        "--action",
        "*",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("no resource \"Nothing\""), "{err}");
}

#[test]
fn the_prod_template_before_the_review_refutes_the_s3_endpoint_only_where_it_leaks() {
    let o = Command::new(env!("CARGO_BIN_EXE_perimeter"))
        .args(["prove", "perimeters", PROD_BEFORE, "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let out: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(out["result"], "fail");
    let find = |perimeter: &str, id: &str| {
        out["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["perimeter"] == perimeter && c["resource"] == id)
            .unwrap_or_else(|| panic!("no {perimeter} check of {id}: {out}"))
            .clone()
    };
    // Writing to a response bucket of another name, in any account.
    let s3 = find("resource", "S3Endpoint");
    assert_eq!(s3["result"], "fail");
    assert!(
        s3["witness"]["resource"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:s3:::cloudformation-custom-resource-response-")
    );
    // The runtime endpoint names its models exactly; the secrets endpoint its account.
    assert_eq!(find("resource", "BedrockRuntimeEndpoint")["result"], "pass");
    assert_eq!(find("resource", "SecretsManagerEndpoint")["result"], "pass");
    assert_eq!(find("identity", "SecretsManagerEndpoint")["result"], "pass");
}

/// After the review the S3 gateway endpoint names the Region's own response bucket
/// exactly: every perimeter of the shipped prod template holds, once the account of the
/// corporate role the blueprint lists is trusted, and fails without it.
#[test]
fn the_shipped_prod_template_holds_every_perimeter() {
    let run = |extra: &[&str]| {
        let mut args = vec!["prove", "perimeters", PROD, "--format", "json"];
        args.extend(extra);
        let o = Command::new(env!("CARGO_BIN_EXE_perimeter"))
            .args(&args)
            .output()
            .unwrap();
        let out: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        (o.status.code(), out)
    };
    let (code, out) = run(&["--account", "222222222222"]);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(out["result"], "pass");
    let (code, out) = run(&[]);
    assert_eq!(code, Some(1));
    let failed: Vec<_> = out["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["result"] != "pass")
        .map(|c| (c["perimeter"].clone(), c["resource"].clone()))
        .collect();
    assert_eq!(
        failed,
        vec![("identity".into(), "BedrockRuntimeEndpoint".into())],
        "{out}"
    );
}

#[test]
fn a_batch_answers_each_line_as_the_single_command_does() {
    // The oracle's mode: one JSON array of arguments per line, one JSON answer per line.
    let dir = std::env::temp_dir().join(format!("perimeter-prove-batch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let policy = dir.join("p.json");
    std::fs::write(
        &policy,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#,
    )
    .unwrap();
    let p = policy.to_str().unwrap();
    let lines = [
        serde_json::json!(["access-not-granted", p, "--action", "s3:PutObject"]),
        serde_json::json!(["access-not-granted", p, "--action", "s3:Get*"]),
        serde_json::json!(["access-not-granted", p]),
    ];
    let batch = dir.join("q.jsonl");
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&batch, text).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_perimeter"))
        .args(["prove", "batch", batch.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let answers: Vec<serde_json::Value> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers.len(), 3);
    assert_eq!(answers[0]["result"], "pass");
    assert_eq!(answers[1]["result"], "fail");
    assert!(
        answers[1]["witness"]["action"]
            .as_str()
            .unwrap()
            .eq_ignore_ascii_case("s3:GetObject")
    );
    // A line that is no question (--action missing) is an error answer, not the end.
    assert_eq!(answers[2]["result"], "error");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `perimeter prove BLUEPRINT`: each target's three perimeters and its solution's claims
/// (only the listed callers, only the listed models, only through the endpoint), each
/// proven; the callers the blueprint lists are trusted as check trusts them.
#[test]
fn the_shipped_blueprint_proves_every_perimeter_and_claim_of_its_prod_targets() {
    let o = Command::new(env!("CARGO_BIN_EXE_perimeter"))
        .args([
            "prove",
            "blueprints/bedrock-private-access.yaml",
            "--target",
            "prod",
            "--target",
            "prod-eu",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let out: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert_eq!(out["result"], "pass");
    let checks = out["checks"].as_array().unwrap();
    let of = |target: &str, perimeter: &str| -> Vec<String> {
        checks
            .iter()
            .filter(|c| c["target"] == target && c["perimeter"] == perimeter)
            .map(|c| c["resource"].as_str().unwrap().to_string())
            .collect()
    };
    // prod has a database: its S3 gateway endpoint (responses to CloudFormation).
    assert!(of("prod", "identity").contains(&"S3Endpoint".to_string()));
    assert!(of("prod", "network").contains(&"SchemaFunctionRole".to_string()));
    for target in ["prod", "prod-eu"] {
        assert!(of(target, "resource").contains(&"BedrockRuntimeEndpoint".to_string()));
        assert!(of(target, "network").contains(&"FunctionRole".to_string()));
        // Principals and resources at the endpoint; resources and the endpoint for the
        // function's role.
        let claims = of(target, "claim");
        assert_eq!(
            claims
                .iter()
                .filter(|r| *r == "BedrockRuntimeEndpoint")
                .count(),
            2,
            "{claims:?}"
        );
        assert_eq!(
            claims.iter().filter(|r| *r == "FunctionRole").count(),
            2,
            "{claims:?}"
        );
    }
    assert!(checks.iter().all(|c| c["result"] == "pass"));
}

/// `perimeter prove TEMPLATE` on the prod template before its review: the S3 gateway
/// endpoint's resource perimeter is refuted by a write to a response bucket of another
/// name, and the witness is decided as claimed by the evaluator.
#[test]
fn prove_template_refutes_the_prod_template_before_the_review_with_a_witness() {
    let o = Command::new(env!("CARGO_BIN_EXE_perimeter"))
        .args(["prove", PROD_BEFORE, "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let out: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(out["result"], "fail");
    let s3 = out["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["perimeter"] == "resource" && c["resource"] == "S3Endpoint")
        .unwrap();
    assert_eq!(s3["result"], "fail");
    let w = &s3["witness"];
    let resource = w["resource"].as_str().unwrap();
    assert!(resource.starts_with("arn:aws:s3:::cloudformation-custom-resource-response-"));
    let req = read_request(w).unwrap();
    let d = PolicyDocument::from_value(
        &perimeter::template::parse_value(&w["vpc_endpoint_policies"][0].to_string()).unwrap(),
    )
    .unwrap();
    let mut b = Bindings::new();
    b = b.bind("AWS::Partition", "aws");
    let allowed = d
        .statements
        .iter()
        .any(|s| perimeter::iam::applies(perimeter::iam::PolicyKind::VpcEndpoint, s, &req, &b));
    assert!(allowed, "{w}");
    // A blueprint target flag on a template is bad input.
    let o = Command::new(env!("CARGO_BIN_EXE_perimeter"))
        .args(["prove", PROD_BEFORE, "--target", "prod"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

/// `prove no-public-access` counts a service principal as `check`'s identity perimeter
/// does (one function): outside unless the statement pins the account it acts for. The
/// pinned policy is the IAM User Guide's example, "The confused deputy problem",
/// "Cross-service confused deputy prevention"
/// (https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html): `aws:SourceArn`
/// and `aws:SourceAccount` together, here for SNS delivering to an SQS queue.
#[test]
fn no_public_access_counts_a_service_outside_unless_its_source_is_pinned() {
    let queue = |f: &str| {
        prove(&[
            "no-public-access",
            &fixture(f),
            "--resource-type",
            "AWS::SQS::Queue",
            "--account",
            "111122223333",
        ])
    };
    // Unpinned: SNS delivers for any account's topic (the confused deputy).
    let (code, out, err) = queue("queue-for-sns.json");
    assert_eq!(code, 1, "{out} {err}");
    assert_eq!(out["result"], "fail");
    let w = &out["witness"];
    assert_eq!(w["principal"], "sns.amazonaws.com", "{w}");
    assert_eq!(w["action"], "sqs:SendMessage", "{w}");
    assert!(
        w["context"]
            .get("aws:SourceAccount")
            .is_none_or(|a| a != "111122223333"),
        "{w}"
    );
    // Pinned to the account, by AWS's example and by a topic's ARN alone: proven.
    for f in [
        "queue-for-sns-source-account.json",
        "queue-for-sns-source-arn.json",
    ] {
        let (code, out, err) = queue(f);
        assert_eq!(code, 0, "{f}: {out} {err}");
        assert_eq!(out["result"], "pass", "{f}");
    }
    // Pinned to an account that is not trusted: outside again.
    let (code, out, _) = prove(&[
        "no-public-access",
        &fixture("queue-for-sns-source-account.json"),
        "--resource-type",
        "AWS::SQS::Queue",
        "--account",
        "444455556666",
    ]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(out["witness"]["principal"], "sns.amazonaws.com");
}
