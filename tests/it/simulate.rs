//! `perimeter simulate` on AWS's documented evaluation examples and adversarial cases
//! (tests/fixtures/simulate/<topic>/*.json: each file a request with the decision it
//! expects and the page it comes from), in-process and through the command line; its
//! errors; and the template mode.

use std::path::{Path, PathBuf};
use std::process::Command;

use perimeter::iam::simulate::Simulation;

use crate::common;

fn cases() -> Vec<PathBuf> {
    let dir = common::root().join("tests/fixtures/simulate");
    let mut out = Vec::new();
    for topic in std::fs::read_dir(&dir).unwrap() {
        let topic = topic.unwrap().path();
        if !topic.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&topic).unwrap() {
            let f = f.unwrap().path();
            if f.extension().is_some_and(|x| x == "json") {
                out.push(f);
            }
        }
    }
    out.sort();
    out
}

fn rel(p: &Path) -> String {
    p.strip_prefix(common::root())
        .unwrap()
        .display()
        .to_string()
}

#[test]
fn every_case_is_decided_as_its_page_says() {
    let files = cases();
    assert!(files.len() >= 300, "only {} cases", files.len());
    let mut wrong = Vec::new();
    for f in &files {
        let s = Simulation::load(f).unwrap_or_else(|e| panic!("{e}"));
        let text = std::fs::read_to_string(f).unwrap();
        assert!(text.contains("\"source\""), "{}: no source", rel(f));
        let expect = s.expect.unwrap_or_else(|| panic!("{}: no expect", rel(f)));
        let v = s.evaluate();
        if v.decision != expect {
            wrong.push(format!(
                "{}: expected {expect}, got {} ({})\n    {}",
                rel(f),
                v.decision,
                v.reason,
                v.explanation.join("\n    ")
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} cases wrong:\n{}",
        wrong.len(),
        files.len(),
        wrong.join("\n")
    );
}

#[test]
fn the_command_line_decides_every_case_the_same() {
    let files = cases();
    let o = Command::new(env!("CARGO_BIN_EXE_perimeter"))
        .arg("simulate")
        .args(&files)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let results = out["results"].as_array().unwrap();
    assert_eq!(results.len(), files.len());
    for (f, r) in files.iter().zip(results) {
        assert_eq!(r["file"], f.display().to_string());
        let expect: serde_json::Value =
            serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(f).unwrap())
                .unwrap()["expect"]
                .clone();
        assert_eq!(r["decision"], expect, "{}", rel(f));
        assert!(!r["explanation"].as_array().unwrap().is_empty());
        if r["decision"] == "explicit-deny" {
            let d = &r["decisive"][0];
            assert!(d["kind"].is_string() && d["policy"].is_string() && d["index"].is_u64());
            assert!(d.get("sid").is_none_or(serde_json::Value::is_string), "{d}");
        }
        if r["decision"] == "implicit-deny" {
            assert_eq!(r["decisive"], serde_json::json!([]));
        }
    }
}

fn run(args: &[&str], dir: &Path) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_perimeter"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        o.status.code().unwrap(),
        String::from_utf8_lossy(&o.stdout).into(),
        String::from_utf8_lossy(&o.stderr).into(),
    )
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("perimeter-simulate-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn the_decisive_statement_is_named_with_kind_index_and_sid() {
    let d = temp("decisive");
    std::fs::write(
        d.join("r.json"),
        r#"{"principal": "arn:aws:iam::111122223333:user/ana", "action": "s3:DeleteBucket",
            "resource": "arn:aws:s3:::b",
            "identity_policies": [{"Version": "2012-10-17", "Statement": [
              {"Effect": "Allow", "Action": "*", "Resource": "*"},
              {"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:Delete*", "Resource": "*"}]}]}"#,
    )
    .unwrap();
    let (code, out, err) = run(&["simulate", "r.json", "--format", "json"], &d);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["results"][0]["decisive"],
        serde_json::json!([{"kind": "identity", "policy": "identity_policies[0]", "index": 1, "sid": "NoDelete"}])
    );
    assert_eq!(v["results"][0]["decision"], "explicit-deny");
    let (code, out, _) = run(&["simulate", "r.json"], &d);
    assert_eq!(code, 0);
    assert!(out.starts_with("r.json: explicit-deny\n"), "{out}");
    assert!(
        out.contains("decided by the identity policy identity_policies[0] statement 1 (NoDelete)"),
        "{out}"
    );
}

#[test]
fn a_malformed_file_is_an_error_naming_file_and_field() {
    let d = temp("errors");
    let good = r#"{"principal": "arn:aws:iam::111122223333:user/ana", "action": "s3:GetObject", "resource": "*"}"#;
    std::fs::write(d.join("good.json"), good).unwrap();
    let cases = [
        (
            r#"{"principal": "arn:aws:iam::111122223333:user/ana", "action": "s3:GetObject"}"#,
            "missing field `resource`",
        ),
        (
            r#"{"principal": "arn:aws:iam::111122223333:user/ana", "action": "s3:GetObject", "resource": "*", "identity_policies": [{"Statement": [{"Effect": "Allw", "Action": "*"}]}]}"#,
            "identity_policies[0].Statement[0].Effect",
        ),
        (
            r#"{"principal": "arn:aws:iam::111122223333:user/ana", "action": "s3:GetObject", "resource": "*", "scps": [[{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringEqualz": {"a": "b"}}}}]]}"#,
            "scps[0][0].Statement[0].Condition",
        ),
        (
            r#"{"principal": "arn:aws:iam::111122223333:user/ana", "action": "s3:GetObject", "resource": "*", "context": {"k": {"x": 1}}}"#,
            "context.k",
        ),
        (
            r#"{"principal": "nobody", "action": "s3:GetObject", "resource": "*"}"#,
            "principal:",
        ),
        (
            r#"{"principal": "*", "action": "s3:GetObject", "resource": "*", "extra": 1}"#,
            "unknown field `extra`",
        ),
        (
            r#"{"principal": "*", "action": "s3:GetObject", "resource": "*",,}"#,
            "line 1 column",
        ),
    ];
    for (i, (text, want)) in cases.iter().enumerate() {
        let name = format!("bad{i}.json");
        std::fs::write(d.join(&name), text).unwrap();
        let (code, out, err) = run(&["simulate", "good.json", &name], &d);
        assert_eq!(code, 2, "{name}: {err}");
        assert!(out.is_empty(), "partial output for {name}: {out}");
        assert!(err.contains(&name) && err.contains(want), "{name}: {err}");
    }
}

const TEMPLATE: &str = r#"
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  ExternalTopic:
    Type: String
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.0.0.0/16}
  S3Endpoint:
    Type: AWS::EC2::VPCEndpoint
    Properties:
      VpcId: !Ref Vpc
      ServiceName: !Sub com.amazonaws.${AWS::Region}.s3
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: "*"
            Action: s3:GetObject
            Resource: !Sub ${Data.Arn}/*
  Data:
    Type: AWS::S3::Bucket
  DataPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Data
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Deny
            Principal: "*"
            Action: s3:*
            Resource: [!GetAtt Data.Arn, !Sub "${Data.Arn}/*"]
            Condition:
              StringNotEquals:
                aws:SourceVpce: !Ref S3Endpoint
  AppRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
      ManagedPolicyArns: [!Ref Extra]
      Policies:
        - PolicyName: read
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: [s3:GetObject, s3:PutObject]
                Resource: !Sub ${Data.Arn}/*
  Extra:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: sqs:SendMessage
            Resource: !GetAtt Queue.Arn
          - Effect: Allow
            Action: sns:Publish
            Resource: !Ref ExternalTopic
  Queue:
    Type: AWS::SQS::Queue
  QueuePolicy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref Queue]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: sns.amazonaws.com}
            Action: sqs:SendMessage
            Resource: !GetAtt Queue.Arn
"#;

#[test]
fn a_template_role_is_simulated_with_the_template_policies() {
    let d = temp("template");
    std::fs::write(d.join("t.yaml"), TEMPLATE).unwrap();
    let sim = |extra: &[&str]| {
        let mut a = vec![
            "simulate",
            "--template",
            "t.yaml",
            "--principal",
            "AppRole",
            "--format",
            "json",
        ];
        a.extend_from_slice(extra);
        run(&a, &d)
    };
    let decision = |out: &str| {
        let v: serde_json::Value = serde_json::from_str(out).unwrap();
        v["results"][0]["decision"].as_str().unwrap().to_string()
    };
    // Through the endpoint: identity, endpoint and bucket policies all agree.
    let (code, out, err) = sim(&[
        "--action",
        "s3:GetObject",
        "--resource",
        "${Data.Arn}/k",
        "--via",
        "S3Endpoint",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(decision(&out), "allow", "{out}");
    // Without it, the bucket policy's deny decides.
    let (_, out, _) = sim(&["--action", "s3:GetObject", "--resource", "${Data.Arn}/k"]);
    assert_eq!(decision(&out), "explicit-deny", "{out}");
    assert!(out.contains("DataPolicy"), "{out}");
    // The endpoint policy does not allow PutObject.
    let (_, out, _) = sim(&[
        "--action",
        "s3:PutObject",
        "--resource",
        "${Data.Arn}/k",
        "--via",
        "S3Endpoint",
    ]);
    assert_eq!(decision(&out), "implicit-deny", "{out}");
    // A queue's ARN is bound as SQS writes it (the IAM catalog's ARN format): the
    // managed policy's grant applies to it, and not to another queue.
    let (code, out, _) = sim(&["--action", "sqs:SendMessage", "--resource", "${Queue.Arn}"]);
    assert_eq!((code, decision(&out)), (0, "allow".to_string()), "{out}");
    let (_, out, _) = sim(&[
        "--action",
        "sqs:SendMessage",
        "--resource",
        "arn:aws:sqs:us-east-1:123456789012:another",
    ]);
    assert_eq!(decision(&out), "implicit-deny", "{out}");
    // A topic given as a parameter has no value before deployment: its grant cannot be
    // decided, and the simulation says so instead of not matching.
    let (code, out, err) = sim(&[
        "--action",
        "sns:Publish",
        "--resource",
        "arn:aws:sns:us-east-1:123456789012:t",
    ]);
    assert_eq!(code, 2, "{out}");
    assert!(
        err.contains("cannot decide") && err.contains("ExternalTopic"),
        "{err}"
    );
    // Unknown logical ids are errors.
    let (code, _, err) = sim(&[
        "--action",
        "s3:GetObject",
        "--resource",
        "*",
        "--via",
        "Nope",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("--via Nope"), "{err}");
    let (code, _, err) = run(
        &[
            "simulate",
            "--template",
            "t.yaml",
            "--principal",
            "Data",
            "--action",
            "s3:GetObject",
            "--resource",
            "*",
        ],
        &d,
    );
    assert_eq!(code, 2);
    assert!(err.contains("--principal Data"), "{err}");
}
