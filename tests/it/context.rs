//! `perimeter context refresh` and `perimeter.context.json`: synth reads the file and
//! never calls AWS (a missing value is an error naming the command to run); refresh
//! writes what moto's server serves (started on 127.0.0.1 with a free port, stopped by
//! its process id); AWS errors said in one sentence each, against the local stub.
#![cfg(feature = "deploy")]

use crate::common;

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::stub::{Response, Stub};

const SHIPPED: &str = include_str!("../../blueprints/bedrock-private-access.yaml");
/// The account moto's credentials belong to.
const ACCOUNT: &str = "123456789012";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The shipped blueprint with every target in moto's account and the database's S3
/// prefix list looked up.
fn project() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let b = SHIPPED
        .replace("111111111111", ACCOUNT)
        .replace("222222222222", ACCOUNT)
        .replace(
            "s3_prefix_list_id: pl-63a5400a",
            "s3_prefix_list_id: lookup",
        );
    assert!(b.contains("s3_prefix_list_id: lookup"));
    common::write_shipped(d.path(), &b);
    d
}

/// The shipped blueprint with every target in moto's account, nothing looked up.
fn plain_project() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    common::write_shipped(
        d.path(),
        &SHIPPED
            .replace("111111111111", ACCOUNT)
            .replace("222222222222", ACCOUNT),
    );
    d
}

/// perimeter with no way to AWS: no credentials, and every endpoint a closed port.
fn offline(dir: &Path, args: &[&str]) -> Output {
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    Command::new(env!("CARGO_BIN_EXE_perimeter"))
        .current_dir(dir)
        .args(args)
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{closed}"))
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

const CONTEXT: &str = r#"{
  "accounts": {
    "123456789012": {
      "organization_id": "o-a1b2c3d4e5",
      "regions": {
        "eu-west-1": {
          "prefix_lists": {
            "dynamodb": "pl-6fa54006",
            "s3": "pl-6da54004"
          },
          "availability_zones": [],
          "endpoint_services": {}
        },
        "us-east-1": {
          "prefix_lists": {
            "dynamodb": "pl-02cd2c6b",
            "s3": "pl-63a5400a"
          },
          "availability_zones": [
            {
              "name": "us-east-1a",
              "id": "use1-az6"
            },
            {
              "name": "us-east-1b",
              "id": "use1-az1"
            },
            {
              "name": "us-east-1c",
              "id": "use1-az2"
            }
          ],
          "endpoint_services": {
            "bedrock-runtime": {
              "types": [
                "Interface"
              ],
              "zones": [
                "us-east-1a",
                "us-east-1c"
              ]
            }
          }
        }
      }
    }
  }
}
"#;

#[test]
fn synth_reads_the_context_file_and_without_it_names_the_command_to_run() {
    let d = project();
    let o = offline(d.path(), &["synth"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stdout));
    let err = text(&o.stderr);
    assert!(
        err.contains("targets[1].overrides.database.s3_prefix_list_id")
            && err.contains("perimeter.context.json, which is not there")
            && err.contains("`perimeter context refresh --target prod`"),
        "{err}"
    );
    assert!(!d.path().join("out").exists(), "nothing written");
    // With the file: synth works with no credentials and no endpoint, and the prod
    // function's security group admits S3's list from the file.
    std::fs::write(d.path().join("perimeter.context.json"), CONTEXT).unwrap();
    let o = offline(d.path(), &["synth"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let prod = std::fs::read_to_string(
        d.path()
            .join("out/bedrock-private-access/prod.template.json"),
    )
    .unwrap();
    assert!(
        prod.contains("\"DestinationPrefixListId\": \"pl-63a5400a\""),
        "the looked-up list reaches the template"
    );
    // The same as the id written by hand: byte for byte.
    let by_hand = plain_project();
    assert_eq!(
        offline(by_hand.path(), &["synth", "--quiet"]).status.code(),
        Some(0)
    );
    assert_eq!(
        prod,
        std::fs::read_to_string(
            by_hand
                .path()
                .join("out/bedrock-private-access/prod.template.json")
        )
        .unwrap()
    );
    // A file without the target's Region names the command too.
    std::fs::write(
        d.path().join("perimeter.context.json"),
        CONTEXT
            .replace("\"us-east-1", "\"us-west-2")
            .replace("use1-", "usw2-"),
    )
    .unwrap();
    let o = offline(d.path(), &["synth", "--check"]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("has nothing for account 123456789012 in us-east-1: run `perimeter context refresh --target prod`"),
        "{err}"
    );
}

/// The shipped blueprint's dev target alone, its zones looked up.
fn zones_project(count: u32) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let head = SHIPPED.split("\n  - name: prod\n").next().unwrap();
    let b = head.replace("111111111111", ACCOUNT).replace(
        "    availability_zones: 2 ",
        &format!("    availability_zone_ids: lookup\n    availability_zones: {count} "),
    );
    assert!(b.contains("availability_zone_ids: lookup"), "{b}");
    common::write_shipped(d.path(), &b);
    std::fs::write(d.path().join("perimeter.context.json"), CONTEXT).unwrap();
    d
}

#[test]
fn zone_ids_are_looked_up_among_the_zones_that_offer_the_endpoints() {
    // bedrock-runtime is offered in us-east-1a (use1-az6) and us-east-1c (use1-az2) only.
    let d = zones_project(2);
    let o = offline(d.path(), &["synth"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let t: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            d.path()
                .join("out/bedrock-private-access/dev.template.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let mut zones: Vec<String> = t["Resources"]
        .as_object()
        .unwrap()
        .values()
        .filter(|r| r["Type"] == "AWS::EC2::Subnet")
        .map(|r| {
            r["Properties"]["AvailabilityZoneId"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    zones.sort();
    assert_eq!(zones, ["use1-az2", "use1-az6"]);
    // Three zones: only two offer the endpoint.
    let d = zones_project(3);
    let o = offline(d.path(), &["synth"]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("settings.network.availability_zone_ids: 3 zones are needed, and 2 of account 123456789012 in us-east-1 offer bedrock-runtime"),
        "{err}"
    );
    assert_eq!(
        err.lines().count(),
        1,
        "one error, not its consequences: {err}"
    );
}

#[test]
fn refresh_without_credentials_says_what_is_missing_once_in_one_sentence() {
    let d = project();
    let o = offline(d.path(), &["context", "refresh", "--target", "prod"]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("no AWS credentials were found"), "{err}");
    assert!(
        err.contains("AWS_PROFILE")
            && err.contains("role_arn")
            && err.contains("AWS_ACCESS_KEY_ID"),
        "{err}"
    );
    assert_eq!(err.matches("no AWS credentials").count(), 1, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!err.contains("ProviderChain") && err.len() < 500, "{err}");
    assert!(!d.path().join("perimeter.context.json").exists());
    // deploy's reads say the same.
    let plain = plain_project();
    let o = offline(plain.path(), &["diff", "--deployed", "--target", "dev"]);
    let err = text(&o.stderr);
    assert!(err.contains("no AWS credentials were found"), "{err}");
    assert!(!err.contains("ProviderChain") && err.len() < 600, "{err}");
}

/// perimeter against the stub, with credentials.
fn against(stub: &Stub, dir: &Path, args: &[&str], token: bool) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_perimeter"));
    c.current_dir(dir)
        .args(args)
        .env("AWS_ENDPOINT_URL", &stub.url)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_MAX_ATTEMPTS")
        .env_remove("AWS_RETRY_MODE")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    if token {
        c.env("AWS_SESSION_TOKEN", "old");
    } else {
        c.env_remove("AWS_SESSION_TOKEN");
    }
    c.output().unwrap()
}

fn identity() -> Response {
    Response::result(
        "GetCallerIdentity",
        &format!(
            "<Arn>arn:aws:iam::{ACCOUNT}:user/t</Arn><UserId>AID</UserId><Account>{ACCOUNT}</Account>"
        ),
    )
}

#[test]
fn expired_tokens_throttling_and_a_silent_endpoint_are_said_in_words() {
    let d = project();
    // An expired session token.
    let stub = Stub::start(|_| {
        Response::error(
            403,
            "ExpiredToken",
            "The security token included in the request is expired",
        )
    });
    let o = against(
        &stub,
        d.path(),
        &["context", "refresh", "--target", "prod"],
        true,
    );
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("the AWS credentials have expired") && err.contains("aws sso login"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    // EC2 throttles every call: retried with backoff (7 attempts), then said.
    let stub = Stub::start(|r| {
        if r.action() == Some("GetCallerIdentity") {
            identity()
        } else {
            Response {
                status: 503,
                headers: vec![("content-type".into(), "text/xml".into())],
                body: "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>x</RequestID></Response>".into(),
            }
        }
    });
    let o = against(
        &stub,
        d.path(),
        &["context", "refresh", "--target", "prod"],
        false,
    );
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("the prefix lists of account 123456789012 in us-east-1: AWS throttled the calls (RequestLimitExceeded) and still did after retries with backoff"),
        "{err}"
    );
    assert_eq!(stub.calls("DescribeManagedPrefixLists").len(), 7);
    // Credentials AWS does not know.
    let stub = Stub::start(|_| {
        Response::error(
            403,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        )
    });
    let plain = plain_project();
    let o = against(
        &stub,
        plain.path(),
        &["diff", "--deployed", "--target", "dev"],
        false,
    );
    let err = text(&o.stderr);
    assert!(
        err.contains("AWS does not accept these credentials (InvalidClientTokenId)"),
        "{err}"
    );
    // An endpoint that does not answer.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let o = Command::new(env!("CARGO_BIN_EXE_perimeter"))
        .current_dir(d.path())
        .args(["context", "refresh", "--target", "prod"])
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{closed}"))
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .output()
        .unwrap();
    let err = text(&o.stderr);
    assert!(
        err.contains("cannot reach the AWS endpoint (AWS_ENDPOINT_URL=http://127.0.0.1:"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!d.path().join("perimeter.context.json").exists());
}

struct Moto {
    child: Child,
    url: String,
}

impl Moto {
    fn start() -> Moto {
        let bin = common::root().join("target/venv/bin/moto_server");
        assert!(
            bin.exists(),
            "{} is missing: run scripts/venv",
            bin.display()
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto_server did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }

    fn command(&self, program: impl AsRef<std::ffi::OsStr>, dir: &Path) -> Command {
        let mut c = Command::new(program);
        c.current_dir(dir)
            .env("AWS_ENDPOINT_URL", &self.url)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env_remove("AWS_PROFILE")
            .env("AWS_CONFIG_FILE", "/nonexistent")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
            .env("NO_COLOR", "1");
        c
    }

    /// Runs Python with boto3 against this server; the script's standard output.
    fn python(&self, script: &str) -> String {
        let o = self
            .command(
                common::root().join("target/venv/bin/python"),
                Path::new("."),
            )
            .args(["-c", script])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o.stderr));
        text(&o.stdout)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
#[ignore = "needs moto's server: scripts/venv installs it (scripts/test runs this)"]
fn refresh_writes_what_moto_serves_and_synth_then_needs_no_network() {
    let moto = Moto::start();
    let d = project();
    let org = moto.python(
        "import boto3; print(boto3.client('organizations').create_organization(FeatureSet='ALL')['Organization']['Id'])",
    );
    let o = moto
        .command(env!("CARGO_BIN_EXE_perimeter"), d.path())
        .args(["context", "refresh"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains(
            "wrote perimeter.context.json (123456789012 eu-west-1, 123456789012 us-east-1)"
        ),
        "{}",
        text(&o.stdout)
    );
    let file = std::fs::read_to_string(d.path().join("perimeter.context.json")).unwrap();
    let ctx: serde_json::Value = serde_json::from_str(&file).unwrap();
    let account = &ctx["accounts"][ACCOUNT];
    assert_eq!(account["organization_id"], org.trim());
    // What boto3 reads from the same server, region by region.
    let expected = moto.python(
        r#"
import boto3, json
out = {}
for region in ["eu-west-1", "us-east-1"]:
    ec2 = boto3.client("ec2", region_name=region)
    pls = ec2.describe_managed_prefix_lists()["PrefixLists"]
    lists = {p["PrefixListName"].rsplit(".", 1)[1]: p["PrefixListId"] for p in pls
             if p["PrefixListName"] in (f"com.amazonaws.{region}.s3", f"com.amazonaws.{region}.dynamodb")}
    zones = sorted([{"name": z["ZoneName"], "id": z["ZoneId"]} for z in ec2.describe_availability_zones()["AvailabilityZones"]], key=lambda z: z["name"])
    svc = {}
    for d in ec2.describe_vpc_endpoint_services()["ServiceDetails"]:
        if d["ServiceName"] == f"com.amazonaws.{region}.bedrock-runtime":
            svc = {"types": sorted({t["ServiceType"] for t in d["ServiceType"]}), "zones": sorted(d["AvailabilityZones"])}
    out[region] = {"prefix_lists": lists, "availability_zones": zones, "bedrock-runtime": svc}
print(json.dumps(out))
"#,
    );
    let expected: serde_json::Value = serde_json::from_str(&expected).unwrap();
    for region in ["eu-west-1", "us-east-1"] {
        let got = &account["regions"][region];
        let want = &expected[region];
        assert_eq!(got["prefix_lists"], want["prefix_lists"], "{region}");
        assert_eq!(
            got["prefix_lists"].as_object().unwrap().len(),
            2,
            "{region}"
        );
        assert_eq!(
            got["availability_zones"], want["availability_zones"],
            "{region}"
        );
        assert!(got["availability_zones"].as_array().unwrap().len() >= 2);
        assert_eq!(
            got["endpoint_services"]["bedrock-runtime"], want["bedrock-runtime"],
            "{region}"
        );
    }
    // Again: the same bytes, and it says so.
    let o = moto
        .command(env!("CARGO_BIN_EXE_perimeter"), d.path())
        .args(["context", "refresh"])
        .output()
        .unwrap();
    assert!(
        text(&o.stdout).starts_with("unchanged perimeter.context.json"),
        "{}",
        text(&o.stdout)
    );
    assert_eq!(
        std::fs::read_to_string(d.path().join("perimeter.context.json")).unwrap(),
        file
    );
    // Synth with moto gone and no credentials: the prod template holds moto's S3 list,
    // and the zones looked up are the first two zone ids moto serves (every zone offers
    // bedrock-runtime and secretsmanager there).
    drop(moto);
    let blueprint = d.path().join("blueprints/bedrock-private-access.yaml");
    let b = std::fs::read_to_string(&blueprint).unwrap().replacen(
        "    availability_zones: 2 ",
        "    availability_zone_ids: lookup\n    availability_zones: 2 ",
        1,
    );
    std::fs::write(&blueprint, b).unwrap();
    let o = offline(d.path(), &["synth"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let prod = std::fs::read_to_string(
        d.path()
            .join("out/bedrock-private-access/prod.template.json"),
    )
    .unwrap();
    let s3 = account["regions"]["us-east-1"]["prefix_lists"]["s3"]
        .as_str()
        .unwrap();
    assert!(
        prod.contains(&format!("\"DestinationPrefixListId\": \"{s3}\"")),
        "{s3}"
    );
    let t: serde_json::Value = serde_json::from_str(&prod).unwrap();
    let mut zones: Vec<&str> = t["Resources"]
        .as_object()
        .unwrap()
        .values()
        .filter(|r| r["Type"] == "AWS::EC2::Subnet")
        .map(|r| r["Properties"]["AvailabilityZoneId"].as_str().unwrap())
        .collect();
    zones.sort();
    let mut served: Vec<&str> = expected["us-east-1"]["availability_zones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|z| z["id"].as_str().unwrap())
        .collect();
    served.sort();
    assert_eq!(zones, served[..2]);
    // An unknown target is refused before anything is asked.
    let o = offline(d.path(), &["context", "refresh", "--target", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("no target named \"nope\""));
}
