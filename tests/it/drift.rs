//! `perimeter drift` against recorded CloudFormation answers (moto has no drift
//! detection): a stack whose role and security group were widened by hand and whose log
//! retention was shortened, and a StackSet with a drifted instance.
#![cfg(feature = "deploy")]

use crate::common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::stub::{Request, Response, Stub};

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn caller(account: &str) -> Response {
    Response::result(
        "GetCallerIdentity",
        &format!(
            "<Arn>arn:aws:iam::{account}:user/ops</Arn><UserId>AIDA</UserId><Account>{account}</Account>"
        ),
    )
}

fn drift(
    resource: &str,
    kind: &str,
    expected: &str,
    actual: &str,
    diffs: &[(&str, &str, &str, &str)],
) -> String {
    let diffs: String = diffs
        .iter()
        .map(|(path, e, a, t)| {
            format!(
                "<member><PropertyPath>{}</PropertyPath><ExpectedValue>{}</ExpectedValue><ActualValue>{}</ActualValue><DifferenceType>{t}</DifferenceType></member>",
                escape(path),
                escape(e),
                escape(a)
            )
        })
        .collect();
    format!(
        "<member><StackId>arn:aws:cloudformation:us-east-1:111111111111:stack/bedrock-private-access-dev/1</StackId><LogicalResourceId>{resource}</LogicalResourceId><PhysicalResourceId>{resource}-1</PhysicalResourceId><ResourceType>{kind}</ResourceType><ExpectedProperties>{}</ExpectedProperties><ActualProperties>{}</ActualProperties><PropertyDifferences>{diffs}</PropertyDifferences><StackResourceDriftStatus>MODIFIED</StackResourceDriftStatus><Timestamp>2026-12-06T08:00:00Z</Timestamp></member>",
        escape(expected),
        escape(actual)
    )
}

fn stack_api(r: &Request) -> Response {
    let action = r.action().unwrap_or_default();
    match action {
        "GetCallerIdentity" => caller("111111111111"),
        "DetectStackDrift" => {
            Response::result(action, "<StackDriftDetectionId>d-1</StackDriftDetectionId>")
        }
        "DescribeStackDriftDetectionStatus" => Response::result(
            action,
            "<StackId>arn:aws:cloudformation:us-east-1:111111111111:stack/bedrock-private-access-dev/1</StackId><StackDriftDetectionId>d-1</StackDriftDetectionId><StackDriftStatus>DRIFTED</StackDriftStatus><DetectionStatus>DETECTION_COMPLETE</DetectionStatus><DriftedStackResourceCount>3</DriftedStackResourceCount><Timestamp>2026-12-06T08:00:00Z</Timestamp>",
        ),
        "DescribeStackResourceDrifts" => {
            let role_expected = r#"{"AssumeRolePolicyDocument":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]},"Policies":[{"PolicyName":"Logging","PolicyDocument":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"arn:aws:logs:us-east-1:111111111111:log-group:fn"}]}}]}"#;
            let role_actual = r#"{"AssumeRolePolicyDocument":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]},"Policies":[{"PolicyName":"Logging","PolicyDocument":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}}]}"#;
            let sg_expected =
                r#"{"GroupDescription":"Allow TLS for VPC Endpoint","VpcId":"vpc-1"}"#;
            let sg_actual = r#"{"GroupDescription":"Allow TLS for VPC Endpoint","VpcId":"vpc-1","SecurityGroupIngress":[{"CidrIp":"0.0.0.0/0","IpProtocol":"tcp","FromPort":443,"ToPort":443}]}"#;
            let members = [
                drift("FunctionRole", "AWS::IAM::Role", role_expected, role_actual, &[
                    ("/Policies/0/PolicyDocument/Statement/0/Action", "[\"logs:CreateLogStream\",\"logs:PutLogEvents\"]", "\"*\"", "NOT_EQUAL"),
                    ("/Policies/0/PolicyDocument/Statement/0/Resource", "\"arn:aws:logs:us-east-1:111111111111:log-group:fn\"", "\"*\"", "NOT_EQUAL"),
                ]),
                drift("EndpointSecurityGroup", "AWS::EC2::SecurityGroup", sg_expected, sg_actual, &[
                    ("/SecurityGroupIngress/0", "", "{\"CidrIp\":\"0.0.0.0/0\",\"IpProtocol\":\"tcp\",\"FromPort\":443,\"ToPort\":443}", "ADD"),
                ]),
                drift("FunctionLogGroup", "AWS::Logs::LogGroup", r#"{"RetentionInDays":30}"#, r#"{"RetentionInDays":7}"#, &[
                    ("/RetentionInDays", "30", "7", "NOT_EQUAL"),
                ]),
            ]
            .concat();
            Response::result(
                action,
                &format!("<StackResourceDrifts>{members}</StackResourceDrifts>"),
            )
        }
        other => Response::error(
            400,
            "Unexpected",
            &format!("the stub does not answer {other}"),
        ),
    }
}

fn stack_set_api(r: &Request) -> Response {
    let action = r.action().unwrap_or_default();
    match action {
        "GetCallerIdentity" => caller("999999999999"),
        "DescribeStackSet" => Response::result(
            action,
            "<StackSet><StackSetName>bedrock-org-baseline-workloads</StackSetName><Status>ACTIVE</Status><TemplateBody>{}</TemplateBody></StackSet>",
        ),
        "ListStackInstances" if r.form.contains_key("NextToken") => {
            Response::result(action, "<Summaries/>")
        }
        "ListStackInstances" => Response::result(
            action,
            "<Summaries><member><Account>100000000001</Account><Region>us-east-1</Region><Status>CURRENT</Status><DriftStatus>IN_SYNC</DriftStatus></member><member><Account>100000000002</Account><Region>eu-west-1</Region><Status>CURRENT</Status><DriftStatus>DRIFTED</DriftStatus></member></Summaries>",
        ),
        "DetectStackSetDrift" => Response::result(action, "<OperationId>op-drift</OperationId>"),
        "DescribeStackSetOperation" => Response::result(
            action,
            "<StackSetOperation><OperationId>op-drift</OperationId><Action>DETECT_DRIFT</Action><Status>SUCCEEDED</Status></StackSetOperation>",
        ),
        other => Response::error(
            400,
            "Unexpected",
            &format!("the stub does not answer {other}"),
        ),
    }
}

fn against(stub: &Stub, dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_perimeter"))
        .current_dir(dir)
        .env("AWS_ENDPOINT_URL", &stub.url)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("NO_COLOR", "1")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("perimeter runs")
}

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let text =
        std::fs::read_to_string(common::root().join("blueprints/bedrock-private-access.yaml"))
            .unwrap();
    common::write_shipped(dir.path(), &text);
    std::fs::copy(
        common::root().join("blueprints/bedrock-org-baseline.yaml"),
        dir.path().join("blueprints/bedrock-org-baseline.yaml"),
    )
    .unwrap();
    dir
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn a_drifted_stack_shows_each_property_and_whether_it_broadens_access() {
    let stub = Stub::start(stack_api);
    let dir = project();
    let o = against(&stub, dir.path(), &["drift", "--target", "dev"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("dev: stack bedrock-private-access-dev (111111111111 us-east-1): DRIFTED"),
        "{out}"
    );
    assert!(
        out.contains("MODIFIED FunctionRole (AWS::IAM::Role): BROADENS ACCESS"),
        "{out}"
    );
    assert!(out.contains("NOT_EQUAL /Policies/0/PolicyDocument/Statement/0/Action: [\"logs:CreateLogStream\",\"logs:PutLogEvents\"] → \"*\""), "{out}");
    assert!(
        out.contains("MODIFIED EndpointSecurityGroup (AWS::EC2::SecurityGroup): BROADENS ACCESS"),
        "{out}"
    );
    assert!(out.contains("0.0.0.0/0"), "{out}");
    assert!(
        out.contains("MODIFIED FunctionLogGroup (AWS::Logs::LogGroup): does not broaden access"),
        "{out}"
    );
    assert!(
        out.contains("1 of 1 target(s) drifted; 2 drifted resource(s) broaden access"),
        "{out}"
    );
    assert_eq!(
        stub.calls("DetectStackDrift")[0].form["StackName"],
        "bedrock-private-access-dev"
    );
}

#[test]
fn a_stack_set_lists_its_drifted_instances() {
    let stub = Stub::start(stack_set_api);
    let dir = project();
    let o = against(&stub, dir.path(), &["drift", "--target", "workloads"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains(
            "workloads: StackSet bedrock-org-baseline-workloads (999999999999 us-east-1): DRIFTED"
        ),
        "{out}"
    );
    assert!(
        out.contains("instance 100000000002 eu-west-1: DRIFTED"),
        "{out}"
    );
    assert!(!out.contains("100000000001"), "{out}");
}

#[test]
fn an_unknown_target_is_an_error() {
    let stub = Stub::start(stack_api);
    let dir = project();
    let o = against(&stub, dir.path(), &["drift", "--target", "nope"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no target named \"nope\""));
    assert!(stub.requests().is_empty());
}
