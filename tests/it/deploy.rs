//! `perimeter deploy`, `bootstrap`, `diff --deployed` and `destroy` against a real
//! CloudFormation API: moto's server (pinned in requirements-dev.txt, installed into
//! target/venv by scripts/venv), started by each test on 127.0.0.1 with a free port and
//! stopped by its process id. boto3 (installed with moto) reads back what was deployed.
#![cfg(feature = "deploy")]

use crate::common;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const MOTO: &str = "needs moto's server: scripts/venv installs it (scripts/test runs this)";
/// The account moto's credentials belong to.
const ACCOUNT: &str = "123456789012";

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

    /// A command with the environment that points the AWS SDKs at this server.
    fn command(&self, program: impl AsRef<std::ffi::OsStr>, dir: &Path) -> Command {
        let mut c = Command::new(program);
        c.current_dir(dir)
            .env("AWS_ENDPOINT_URL", &self.url)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env_remove("AWS_PROFILE")
            .env("AWS_CONFIG_FILE", "/nonexistent")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
            .env("NO_COLOR", "1");
        c
    }

    fn perimeter(&self, dir: &Path, args: &[&str]) -> Output {
        self.command(env!("CARGO_BIN_EXE_perimeter"), dir)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("perimeter runs")
    }

    /// Runs Python with boto3 against this server; the script's standard output.
    fn python(&self, script: &str) -> String {
        let py = common::root().join("target/venv/bin/python");
        let out = self
            .command(py, &common::root())
            .args([
                "-c",
                &format!("import boto3, json\nURL = {:?}\n{script}", self.url),
            ])
            .output()
            .expect("python runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn stacks(&self, region: &str) -> Vec<String> {
        let out = self.python(&format!(
            "cf = boto3.client('cloudformation', endpoint_url=URL, region_name={region:?})\nprint(json.dumps(sorted(s['StackName'] for s in cf.describe_stacks()['Stacks'] if s['StackStatus'] != 'DELETE_COMPLETE')))"
        ));
        serde_json::from_str(&out).expect("a JSON list")
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A project whose blueprint is the shipped one with the given targets.
fn project(targets: &str) -> (tempfile::TempDir, PathBuf) {
    let shipped =
        std::fs::read_to_string(common::root().join("blueprints/bedrock-private-access.yaml"))
            .expect("the shipped blueprint");
    // Targets in any geography: the global profile is offered in every commercial Region.
    let head = shipped[..shipped.find("\ntargets:").expect("a targets section")].replace(
        "      - us.anthropic.claude-haiku-5-5\n",
        "      - global.anthropic.claude-haiku-5-5\n",
    );
    let dir = tempfile::tempdir().expect("a temp dir");
    let blueprint = dir.path().join("blueprints/app.yaml");
    std::fs::create_dir_all(blueprint.parent().unwrap()).unwrap();
    std::fs::write(&blueprint, format!("{head}\ntargets:\n{targets}")).unwrap();
    (dir, blueprint)
}

fn target(name: &str, account: &str, region: &str) -> String {
    format!("  - name: {name}\n    account: \"{account}\"\n    region: {region}\n    stage: dev\n")
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
#[ignore = "needs moto's server: scripts/venv installs it (scripts/test runs this)"]
fn bootstrap_deploy_update_skip_diff_and_destroy() {
    let _ = MOTO;
    let moto = Moto::start();
    let (dir, blueprint) = project(&target("dev", ACCOUNT, "us-east-1"));
    let dir = dir.path();

    // Bootstrap: the asset bucket exists under its name. (moto's CloudFormation applies
    // neither a bucket's versioning nor a bucket policy; the bootstrap template's own
    // test holds those.)
    let o = moto.perimeter(dir, &["bootstrap"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(stdout(&o).contains("perimeter-bootstrap"), "{}", text(&o));
    let bucket = format!("perimeter-assets-{ACCOUNT}-us-east-1");
    moto.python(&format!(
        "boto3.client('s3', endpoint_url=URL).head_bucket(Bucket={bucket:?})"
    ));
    let resources = moto.python(
        "cf = boto3.client('cloudformation', endpoint_url=URL)\nprint(sorted(r.get('LogicalResourceId', '') for r in cf.describe_stack_resources(StackName='perimeter-bootstrap')['StackResources']))",
    );
    assert!(resources.contains("'AssetBucket'"), "{resources}");

    // Before the first deploy the stack shows as created.
    let o = moto.perimeter(dir, &["diff", "--deployed"]);
    assert!(
        stdout(&o).contains("app-dev") && stdout(&o).contains("to create"),
        "{}",
        text(&o)
    );

    // First deploy: the stack is created.
    let o = moto.perimeter(dir, &["deploy", "--yes"]);
    assert!(o.status.success(), "{}", text(&o));
    let out = stdout(&o);
    assert!(out.contains("CloudFormation's change set"), "{out}");
    assert!(out.contains("CREATE_COMPLETE"), "{out}");
    assert_eq!(moto.stacks("us-east-1"), ["app-dev", "perimeter-bootstrap"]);

    // Right after a deploy the deployed stack is the blueprint.
    let o = moto.perimeter(dir, &["diff", "--deployed", "--fail"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(stdout(&o).contains("no changes"), "{}", text(&o));

    // A changed setting: diff --deployed shows it, deploy updates it, and it reads back.
    let b = std::fs::read_to_string(&blueprint).unwrap();
    let changed = b.replacen("memory_mb: 256", "memory_mb: 384", 1);
    assert_ne!(b, changed, "the shipped blueprint sets memory_mb: 256");
    std::fs::write(&blueprint, changed).unwrap();
    let o = moto.perimeter(dir, &["diff", "--deployed"]);
    assert!(
        stdout(&o).contains("Properties.MemorySize: 256 → 384"),
        "{}",
        text(&o)
    );
    let o = moto.perimeter(dir, &["deploy", "--yes"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(stdout(&o).contains("UPDATE_COMPLETE"), "{}", text(&o));
    let memory = moto.python(
        "cf = boto3.client('cloudformation', endpoint_url=URL)\nfn = cf.describe_stack_resource(StackName='app-dev', LogicalResourceId='Function')['StackResourceDetail']['PhysicalResourceId']\nprint(boto3.client('lambda', endpoint_url=URL).get_function_configuration(FunctionName=fn)['MemorySize'])",
    );
    assert_eq!(memory, "384");

    // Unchanged: skipped, and no change set is made.
    let count_change_sets = "cf = boto3.client('cloudformation', endpoint_url=URL)\nprint(len(cf.list_change_sets(StackName='app-dev')['Summaries']))";
    let before = moto.python(count_change_sets);
    let o = moto.perimeter(dir, &["deploy", "--yes"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(stdout(&o).contains("no changes"), "{}", text(&o));
    assert!(
        !stdout(&o).contains("creating a change set"),
        "{}",
        text(&o)
    );
    assert_eq!(moto.python(count_change_sets), before);

    // Destroy: asks unless --yes; without a terminal and without --yes it declines.
    let o = moto.perimeter(dir, &["destroy", "--target", "dev"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(stdout(&o).contains("not approved"), "{}", text(&o));
    assert_eq!(moto.stacks("us-east-1"), ["app-dev", "perimeter-bootstrap"]);
    let o = moto.perimeter(dir, &["destroy", "--target", "dev", "--yes"]);
    assert!(stdout(&o).contains("nothing is retained"), "{}", text(&o));
    // moto deletes the VPC before its endpoints and answers DeleteStack with that
    // DependencyViolation (CloudFormation orders deletions by dependency); the stack is
    // gone all the same. The error is reported as it came, not hidden.
    assert!(
        o.status.success() || stdout(&o).contains("DependencyViolation"),
        "{}",
        text(&o)
    );
    assert_eq!(moto.stacks("us-east-1"), ["perimeter-bootstrap"]);
    let o = moto.perimeter(dir, &["destroy", "--target", "dev", "--yes"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        stdout(&o).contains("there is no stack app-dev"),
        "{}",
        text(&o)
    );
}

#[test]
#[ignore = "needs moto's server: scripts/venv installs it (scripts/test runs this)"]
fn a_target_in_another_account_is_refused_and_nothing_is_created() {
    let moto = Moto::start();
    let (dir, _) = project(&target("dev", "111111111111", "us-east-1"));
    let o = moto.perimeter(dir.path(), &["deploy", "--yes"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = stdout(&o);
    assert!(
        out.contains(
            "refused: the credentials are for account 123456789012, the target is in 111111111111"
        ),
        "{out}"
    );
    assert!(!out.contains("change set"), "{out}");
    assert!(moto.stacks("us-east-1").is_empty());
    // diff --deployed checks the account too: another account's same-named stack is
    // not what this target deploys to.
    let o = moto.perimeter(dir.path(), &["diff", "--deployed"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains(
            "the credentials are for account 123456789012, the target is in 111111111111"
        ),
        "{}",
        text(&o)
    );
}

#[test]
#[ignore = "needs moto's server: scripts/venv installs it (scripts/test runs this)"]
fn a_declined_creation_leaves_no_stack_and_no_change_set() {
    let moto = Moto::start();
    let (dir, _) = project(&target("dev", ACCOUNT, "us-east-1"));
    // Approval asked for any change, and no terminal to give it: declined.
    let o = moto.perimeter(dir.path(), &["deploy", "--require-approval", "any"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(stdout(&o).contains("not approved"), "{}", text(&o));
    // The change set created the stack (REVIEW_IN_PROGRESS); both are gone.
    assert!(moto.stacks("us-east-1").is_empty());
}

#[test]
#[ignore = "needs moto's server: scripts/venv installs it (scripts/test runs this)"]
fn a_template_check_refuses_is_not_deployed() {
    let moto = Moto::start();
    let (dir, blueprint) = project(&target("dev", ACCOUNT, "us-east-1"));
    // An expectation the access simulation refutes: an A701 error in the template's check.
    let b = std::fs::read_to_string(&blueprint).unwrap();
    let b = b.replacen(
        "\ntargets:",
        "\ncheck:\n  expect:\n    - name: invoking from outside the endpoint\n      via: no-endpoint\n      outcome: allow\ntargets:",
        1,
    );
    std::fs::write(&blueprint, b).unwrap();
    let o = moto.perimeter(dir.path(), &["deploy", "--yes"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        stdout(&o).contains("refused: check found 1 error"),
        "{}",
        text(&o)
    );
    assert!(stdout(&o).contains("A701"), "{}", text(&o));
    assert!(moto.stacks("us-east-1").is_empty());
}

#[test]
#[ignore = "needs moto's server: scripts/venv installs it (scripts/test runs this)"]
fn the_bootstrap_does_not_adopt_a_bucket_it_did_not_make() {
    let moto = Moto::start();
    let (dir, _) = project(&target("dev", ACCOUNT, "us-east-1"));
    // A bucket of the bootstrap's name, made by hand: not taken over, nothing created.
    moto.python(&format!(
        "boto3.client('s3', endpoint_url=URL).create_bucket(Bucket='perimeter-assets-{ACCOUNT}-us-east-1')"
    ));
    let o = moto.perimeter(dir.path(), &["bootstrap"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = stdout(&o);
    assert!(
        out.contains("refused: the bucket perimeter-assets-123456789012-us-east-1 exists but no perimeter-bootstrap stack made it"),
        "{out}"
    );
    assert!(out.contains("aws s3 rb"), "{out}");
    assert!(moto.stacks("us-east-1").is_empty());
}

#[test]
#[ignore = "needs moto's server: scripts/venv installs it (scripts/test runs this)"]
fn ten_targets_deploy_concurrently_and_each_is_reported() {
    let moto = Moto::start();
    let regions = [
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
        "eu-west-1",
        "eu-west-2",
        "eu-central-1",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-northeast-1",
    ];
    // Ten targets deployed at once, and ten more (other stacks, same regions) one at a
    // time: the two wall times are printed for the note.
    let targets: String = ["c", "s", "w"]
        .iter()
        .flat_map(|p| {
            regions
                .iter()
                .enumerate()
                .map(move |(i, r)| target(&format!("{p}{i}"), ACCOUNT, r))
        })
        .collect();
    let (dir, _) = project(&targets);
    let run = |prefix: &str, concurrency: &str| {
        let mut args = vec!["deploy", "--yes", "--concurrency", concurrency];
        let names: Vec<String> = (0..regions.len()).map(|i| format!("{prefix}{i}")).collect();
        for n in &names {
            args.extend(["--target", n.as_str()]);
        }
        let started = Instant::now();
        let o = moto.perimeter(dir.path(), &args);
        (o, started.elapsed())
    };
    // moto loads each service's models on first use: a warm-up deploy (not timed) takes
    // that cost off both runs.
    let warm = moto.perimeter(dir.path(), &["deploy", "--yes", "--target", "w0"]);
    assert!(warm.status.success(), "{}", text(&warm));
    let (o2, sequential) = run("s", "1");
    assert!(o2.status.success(), "{}", text(&o2));
    let (o, concurrent) = run("c", "10");
    assert!(o.status.success(), "{}", text(&o));
    for (prefix, o) in [("c", &o), ("s", &o2)] {
        let out = stdout(o);
        for (i, r) in regions.iter().enumerate() {
            assert!(
                out.lines()
                    .any(|l| l.trim_start().starts_with(&format!("{prefix}{i} "))
                        && l.contains(r)
                        && l.contains("CREATE_COMPLETE")),
                "{prefix}{i} in {r}: {out}"
            );
        }
    }
    for (i, r) in regions.iter().enumerate() {
        let mut expected = vec![format!("app-c{i}"), format!("app-s{i}")];
        if i == 0 {
            expected.push("app-w0".to_string());
        }
        assert_eq!(moto.stacks(r), expected);
    }
    eprintln!(
        "ten targets on moto: {:.2} s concurrently (--concurrency 10), {:.2} s one at a time",
        concurrent.as_secs_f64(),
        sequential.as_secs_f64()
    );
}

#[test]
#[ignore = "needs moto's server: scripts/venv installs it (scripts/test runs this)"]
fn function_code_from_a_folder_is_uploaded_once_and_named_by_its_hash() {
    let moto = Moto::start();
    let (dir, blueprint) = project(&target("dev", ACCOUNT, "us-east-1"));
    let root = dir.path();
    let b = std::fs::read_to_string(&blueprint).unwrap();
    std::fs::write(
        &blueprint,
        b.replacen(
            "    memory_mb: 256\n",
            "    memory_mb: 256\n    asset: ../code\n",
            1,
        ),
    )
    .unwrap();
    std::fs::create_dir_all(root.join("code")).unwrap();
    std::fs::write(
        root.join("code/index.py"),
        "def handler(event, context):\n    return {'ok': True}\n",
    )
    .unwrap();
    let cache = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        moto.command(env!("CARGO_BIN_EXE_perimeter"), root)
            .env("PERIMETER_CACHE", cache.path())
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };

    // Without the bootstrap bucket there is nowhere to put the code: refused, nothing made.
    let o = run(&["deploy", "--yes"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        stdout(&o).contains("run perimeter bootstrap first"),
        "{}",
        text(&o)
    );
    assert!(moto.stacks("us-east-1").is_empty());

    assert!(run(&["bootstrap"]).status.success());
    let o = run(&["deploy", "--yes"]);
    assert!(o.status.success(), "{}", text(&o));
    let out = stdout(&o);
    let key = out
        .split_whitespace()
        .find(|w| w.starts_with("assets/") && w.ends_with(".zip"))
        .unwrap_or_else(|| panic!("no asset uploaded: {out}"))
        .to_string();
    assert!(out.contains(&format!("uploaded asset {key}")), "{out}");
    let size = moto.python(&format!(
        "s3 = boto3.client('s3', endpoint_url=URL)\nprint(s3.head_object(Bucket='perimeter-assets-{ACCOUNT}-us-east-1', Key={key:?})['ContentLength'])"
    ));
    assert!(size.parse::<u64>().unwrap() > 0);
    // The deployed function's code is that object.
    let location = moto.python(
        "cf = boto3.client('cloudformation', endpoint_url=URL)\nt = cf.get_template(StackName='app-dev')['TemplateBody']\nt = t if isinstance(t, dict) else json.loads(t)\nprint(json.dumps(t['Resources']['Function']['Properties']['Code'], sort_keys=True))",
    );
    assert!(
        location.contains(&key)
            && location.contains("perimeter-assets-${AWS::AccountId}-${AWS::Region}"),
        "{location}"
    );

    // Unchanged: no change set, nothing uploaded.
    let o = run(&["deploy", "--yes"]);
    assert!(
        stdout(&o).contains("no changes") && !stdout(&o).contains("uploaded"),
        "{}",
        text(&o)
    );

    // Changed code: a new key, uploaded, and the stack updated to it.
    std::fs::write(
        root.join("code/index.py"),
        "def handler(event, context):\n    return {'ok': 2}\n",
    )
    .unwrap();
    let o = run(&["deploy", "--yes"]);
    assert!(o.status.success(), "{}", text(&o));
    let out = stdout(&o);
    assert!(
        out.contains("uploaded asset assets/") && !out.contains(&format!("uploaded asset {key}")),
        "{out}"
    );
    assert!(out.contains("UPDATE_COMPLETE"), "{out}");
}

#[test]
#[ignore = "needs moto's server: scripts/venv installs it (scripts/test runs this)"]
fn targets_in_two_accounts_deploy_through_roles_assumed_in_each() {
    let moto = Moto::start();
    let targets = format!(
        "{}    role_arn: arn:aws:iam::{ACCOUNT}:role/deployer\n{}    role_arn: arn:aws:iam::210987654321:role/deployer\n",
        target("home", ACCOUNT, "us-east-1"),
        target("other", "210987654321", "us-east-1"),
    );
    let (dir, _) = project(&targets);
    let o = moto.perimeter(dir.path(), &["deploy", "--yes"]);
    assert!(o.status.success(), "{}", text(&o));
    let out = stdout(&o);
    for (t, account) in [("home", ACCOUNT), ("other", "210987654321")] {
        assert!(
            out.lines().any(|l| l.trim_start().starts_with(t)
                && l.contains(account)
                && l.contains("CREATE_COMPLETE")),
            "{t}: {out}"
        );
    }
    // The other account's stack is in that account: not among the caller's own.
    assert_eq!(moto.stacks("us-east-1"), ["app-home"]);
}

// ---------------------------------------------------------------------------------
// Against a stub of the S3, CloudFormation and STS APIs (tests/it/common/stub.rs), for what
// moto does not model: bucket ownership, template URLs, throttling, paged events, the
// checksum of an object already there. These need no moto and run with cargo test.

use common::stub::{Request, Response, Stub};
use std::sync::Mutex;

const BUCKET: &str = "perimeter-assets-123456789012-us-east-1";

/// One target's AWS as the stub plays it: a bootstrap stack of the current version and
/// its bucket (owned by `owner`), no stack `app-dev` until a change set creates it,
/// then its creation, followed through paged events.
struct Aws {
    /// The account that owns the bootstrap bucket.
    owner: &'static str,
    /// What HeadObject says of an asset key: its SHA-256 checksum (base64), or 404.
    asset_checksum: Option<String>,
    /// The first read of each polling loop is throttled.
    throttle: bool,
    /// The status of a stack `app-dev` already there (its template has no resources):
    /// the change set updates it, and the update's cleanup fails to delete an old
    /// resource. `None`: no stack, the change set creates it.
    existing: Option<&'static str>,
    /// The `BootstrapVersion` output of the bootstrap stack.
    bootstrap_version: u32,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    created: bool,
    executed: bool,
    complete: bool,
    status_reads: u32,
    throttled: std::collections::BTreeSet<String>,
}

/// The stack's events, oldest first: one of an earlier operation (before the change
/// set), those of the creation, and the last two only once the stack is complete.
fn events(complete: bool) -> Vec<(&'static str, &'static str, &'static str, &'static str)> {
    let mut e = vec![
        (
            "e0",
            "app-dev",
            "AWS::CloudFormation::Stack",
            "2019-12-31T23:00:00Z",
        ),
        (
            "e1",
            "app-dev",
            "AWS::CloudFormation::Stack",
            "2020-01-01T00:00:01Z",
        ),
        (
            "e2",
            "Function",
            "AWS::Lambda::Function",
            "2020-01-01T00:00:02Z",
        ),
        ("e3", "Role", "AWS::IAM::Role", "2020-01-01T00:00:03Z"),
        ("e4", "Role", "AWS::IAM::Role", "2020-01-01T00:00:04Z"),
    ];
    if complete {
        e.push((
            "e5",
            "Function",
            "AWS::Lambda::Function",
            "2020-01-01T00:00:05Z",
        ));
        e.push((
            "e6",
            "app-dev",
            "AWS::CloudFormation::Stack",
            "2020-01-01T00:00:06Z",
        ));
    }
    e
}

/// The events of an update whose cleanup fails to delete the replaced resource.
fn update_events(complete: bool) -> Vec<(&'static str, &'static str, &'static str, &'static str)> {
    let mut e = vec![
        (
            "u1",
            "app-dev",
            "AWS::CloudFormation::Stack",
            "2020-01-01T00:00:01Z",
        ),
        (
            "u2",
            "Function",
            "AWS::Lambda::Function",
            "2020-01-01T00:00:02Z",
        ),
        (
            "u3",
            "app-dev",
            "AWS::CloudFormation::Stack",
            "2020-01-01T00:00:03Z",
        ),
        ("u4", "OldBucket", "AWS::S3::Bucket", "2020-01-01T00:00:04Z"),
    ];
    if complete {
        e.push((
            "u5",
            "app-dev",
            "AWS::CloudFormation::Stack",
            "2020-01-01T00:00:05Z",
        ));
    }
    e
}

fn event_status(id: &str) -> &'static str {
    match id {
        "u1" => "UPDATE_IN_PROGRESS",
        "u2" => "UPDATE_COMPLETE",
        "u3" => "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
        "u4" => "DELETE_FAILED",
        "u5" => "UPDATE_COMPLETE",
        "e0" => "REVIEW_IN_PROGRESS",
        "e1" | "e2" | "e3" => "CREATE_IN_PROGRESS",
        _ => "CREATE_COMPLETE",
    }
}

impl Aws {
    fn new(owner: &'static str) -> Aws {
        Aws {
            owner,
            asset_checksum: None,
            throttle: false,
            existing: None,
            bootstrap_version: 2,
            state: Mutex::new(State::default()),
        }
    }

    /// Throttles the first call of `action` when the scenario throttles.
    fn throttled_once(&self, action: &str) -> bool {
        self.throttle
            && self
                .state
                .lock()
                .unwrap()
                .throttled
                .insert(action.to_string())
    }

    fn answer(&self, r: &Request) -> Response {
        match r.action() {
            Some(a) => self.query(a, r),
            None => self.s3(r),
        }
    }

    fn s3(&self, r: &Request) -> Response {
        if r.header("x-amz-expected-bucket-owner")
            .is_some_and(|o| o != self.owner)
        {
            return Response::error(403, "AccessDenied", "Access Denied");
        }
        let path = r.path.trim_start_matches('/');
        let (bucket, key) = path.split_once('/').unwrap_or((path, ""));
        if bucket != BUCKET {
            return Response::empty(404);
        }
        match (r.method.as_str(), key) {
            ("HEAD", "") => Response::empty(200),
            ("HEAD", k) => match &self.asset_checksum {
                Some(c) if k.starts_with("assets/") => {
                    Response::empty(200).with_header("x-amz-checksum-sha256", c)
                }
                _ => Response::empty(404),
            },
            ("PUT", _) => Response::empty(200).with_header("etag", "\"stub\""),
            _ => Response::empty(405),
        }
    }

    fn query(&self, action: &str, r: &Request) -> Response {
        let stack = r.form.get("StackName").map(String::as_str).unwrap_or("");
        let stack_xml = |status: &str, outputs: &str| {
            format!(
                "<Stacks><member><StackName>{stack}</StackName><StackId>arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/{stack}/1</StackId><CreationTime>2020-01-01T00:00:00Z</CreationTime><StackStatus>{status}</StackStatus><Outputs>{outputs}</Outputs></member></Stacks>"
            )
        };
        let missing = || {
            Response::error(
                400,
                "ValidationError",
                &format!("Stack with id {stack} does not exist"),
            )
        };
        match action {
            "GetCallerIdentity" => Response::result(
                action,
                &format!(
                    "<Arn>arn:aws:iam::{ACCOUNT}:user/dev</Arn><UserId>AIDA</UserId><Account>{ACCOUNT}</Account>"
                ),
            ),
            "DescribeStacks" if stack == "perimeter-bootstrap" => Response::result(
                action,
                &stack_xml(
                    "UPDATE_COMPLETE",
                    &format!(
                        "<member><OutputKey>AssetBucket</OutputKey><OutputValue>{BUCKET}</OutputValue></member><member><OutputKey>BootstrapVersion</OutputKey><OutputValue>{}</OutputValue></member>",
                        self.bootstrap_version
                    ),
                ),
            ),
            "GetTemplate" => {
                Response::result(action, "<TemplateBody>{\"Resources\": {}}</TemplateBody>")
            }
            "AssumeRole" => Response::result(
                action,
                &format!(
                    "<Credentials><AccessKeyId>ASIA</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser><Arn>arn:aws:sts::{ACCOUNT}:assumed-role/deployer/s</Arn><AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser>"
                ),
            ),
            "DescribeStacks" => {
                let s = self.state.lock().unwrap();
                match (self.existing, s.created, s.executed) {
                    (None, false, _) => return missing(),
                    (None, true, false) => {
                        return Response::result(action, &stack_xml("REVIEW_IN_PROGRESS", ""));
                    }
                    (Some(status), _, false) => {
                        return Response::result(action, &stack_xml(status, ""));
                    }
                    _ => {}
                }
                drop(s);
                if self.throttled_once(action) {
                    return Response::error(400, "Throttling", "Rate exceeded");
                }
                let mut s = self.state.lock().unwrap();
                s.status_reads += 1;
                let update = self.existing.is_some();
                let status = match (s.status_reads < 3, update) {
                    (true, false) => "CREATE_IN_PROGRESS",
                    (true, true) => "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
                    (false, false) => "CREATE_COMPLETE",
                    (false, true) => "UPDATE_COMPLETE",
                };
                s.complete = !status.ends_with("_IN_PROGRESS");
                Response::result(action, &stack_xml(status, ""))
            }
            // An update finds the change set an earlier deploy left.
            "ListChangeSets" if self.existing.is_some() => Response::result(
                action,
                "<Summaries><member><ChangeSetName>perimeter-deploy</ChangeSetName><Status>CREATE_COMPLETE</Status></member></Summaries>",
            ),
            "ListChangeSets" => Response::result(action, "<Summaries/>"),
            "DeleteChangeSet" => Response::result(action, ""),
            "CreateChangeSet" => {
                self.state.lock().unwrap().created = true;
                Response::result(
                    action,
                    &format!(
                        "<Id>arn:aws:cloudformation:us-east-1:{ACCOUNT}:changeSet/perimeter-deploy/1</Id><StackId>arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/app-dev/1</StackId>"
                    ),
                )
            }
            "DescribeChangeSet" => {
                if self.throttled_once(action) {
                    return Response::error(400, "Throttling", "Rate exceeded");
                }
                // Two pages of changes.
                let (change, next) = match r.form.get("NextToken") {
                    None => ("Function", "<NextToken>page-2</NextToken>"),
                    Some(_) => ("Role", ""),
                };
                Response::result(
                    action,
                    &format!(
                        "<ChangeSetName>perimeter-deploy</ChangeSetName><ChangeSetId>arn:aws:cloudformation:us-east-1:{ACCOUNT}:changeSet/perimeter-deploy/1</ChangeSetId><StackName>app-dev</StackName><Status>CREATE_COMPLETE</Status><ExecutionStatus>AVAILABLE</ExecutionStatus><CreationTime>2020-01-01T00:00:00Z</CreationTime><Changes><member><Type>Resource</Type><ResourceChange><Action>Add</Action><LogicalResourceId>{change}</LogicalResourceId><ResourceType>AWS::Test::{change}</ResourceType></ResourceChange></member></Changes>{next}"
                    ),
                )
            }
            "ExecuteChangeSet" => {
                self.state.lock().unwrap().executed = true;
                Response::result(action, "")
            }
            "DescribeStackEvents" => {
                if self.throttled_once(action) {
                    return Response::error(400, "Throttling", "Rate exceeded");
                }
                let complete = self.state.lock().unwrap().complete;
                let mut all = if self.existing.is_some() {
                    update_events(complete)
                } else {
                    events(complete)
                };
                all.reverse();
                // Two events a page, newest first.
                let start: usize = r.form.get("NextToken").map_or(0, |t| t.parse().unwrap());
                let page: String = all
                    .iter()
                    .skip(start)
                    .take(2)
                    .map(|(id, logical, kind, at)| {
                        format!(
                            "<member><EventId>{id}</EventId><StackId>s</StackId><StackName>app-dev</StackName><LogicalResourceId>{logical}</LogicalResourceId><ResourceType>{kind}</ResourceType><Timestamp>{at}</Timestamp><ResourceStatus>{}</ResourceStatus></member>",
                            event_status(id)
                        )
                    })
                    .collect();
                let next = if start + 2 < all.len() {
                    format!("<NextToken>{}</NextToken>", start + 2)
                } else {
                    String::new()
                };
                Response::result(action, &format!("<StackEvents>{page}</StackEvents>{next}"))
            }
            other => Response::error(
                400,
                "InvalidAction",
                &format!("the stub does not answer {other}"),
            ),
        }
    }
}

/// A project whose target `dev` deploys to the stub's account, its function's code
/// from a folder (no packages: nothing is downloaded).
fn stub_project(extra_tags: usize) -> (tempfile::TempDir, tempfile::TempDir) {
    let (dir, blueprint) = project(&target("dev", ACCOUNT, "us-east-1"));
    let mut b = std::fs::read_to_string(&blueprint).unwrap();
    b = b.replacen(
        "    memory_mb: 256\n",
        "    memory_mb: 256\n    asset: ../code\n",
        1,
    );
    if extra_tags > 0 {
        // Tags on every resource that takes them: a template as large as a solution of
        // many more resources.
        let tags: String = (0..extra_tags)
            .map(|i| format!("  cost-allocation-{i}: {}\n", "x".repeat(200)))
            .collect();
        b = b.replacen("\ntargets:", &format!("\ntags:\n{tags}targets:"), 1);
    }
    std::fs::write(&blueprint, b).unwrap();
    std::fs::create_dir_all(dir.path().join("code")).unwrap();
    std::fs::write(
        dir.path().join("code/index.py"),
        "def handler(event, context):\n    return {'ok': True}\n",
    )
    .unwrap();
    (dir, tempfile::tempdir().unwrap())
}

/// Runs perimeter against the stub.
fn against(stub: &Stub, dir: &Path, cache: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_perimeter"))
        .current_dir(dir)
        .env("AWS_ENDPOINT_URL", &stub.url)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        // A throttled read reaches perimeter's wait loop at once, not after the SDK's
        // retries.
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("PERIMETER_CACHE", cache)
        .env("NO_COLOR", "1")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("perimeter runs")
}

fn s3_calls(stub: &Stub) -> Vec<Request> {
    stub.requests()
        .into_iter()
        .filter(|r| r.action().is_none())
        .collect()
}

fn sha256_base64(bytes: &[u8]) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::digest(bytes);
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in d.chunks(3) {
        let n = c
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= c.len() {
                A[(n >> (18 - 6 * i) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}

#[test]
fn an_asset_bucket_of_another_account_is_refused_and_nothing_is_uploaded_or_created() {
    let stub = Stub::start({
        let aws = Aws::new("999999999999");
        move |r| aws.answer(r)
    });
    let (dir, cache) = stub_project(0);
    let o = against(&stub, dir.path(), cache.path(), &["deploy", "--yes"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = stdout(&o);
    assert!(
        out.contains(&format!(
            "refused: the bucket {BUCKET} answers 403 Forbidden"
        )) && out.contains("belongs to another account"),
        "{out}"
    );
    let s3 = s3_calls(&stub);
    assert!(!s3.is_empty());
    for r in &s3 {
        assert_eq!(
            r.header("x-amz-expected-bucket-owner"),
            Some(ACCOUNT),
            "{} {}",
            r.method,
            r.path
        );
        assert_eq!(
            r.method, "HEAD",
            "only asked, never written: {} {}",
            r.method, r.path
        );
    }
    assert!(stub.calls("CreateChangeSet").is_empty());
}

#[test]
fn an_object_at_the_asset_key_is_trusted_only_when_its_checksum_is_the_built_zips() {
    // A torn (or planted) object at the key: its checksum is not the zip's.
    let torn = sha256_base64(b"PK\x03\x04 cut short");
    let stub = Stub::start({
        let mut aws = Aws::new(ACCOUNT);
        aws.asset_checksum = Some(torn.clone());
        move |r| aws.answer(r)
    });
    let (dir, cache) = stub_project(0);
    let o = against(
        &stub,
        dir.path(),
        cache.path(),
        &["deploy", "--yes", "--no-execute"],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(stdout(&o).contains("uploaded again"), "{}", text(&o));
    let puts: Vec<Request> = s3_calls(&stub)
        .into_iter()
        .filter(|r| r.method == "PUT")
        .collect();
    assert_eq!(puts.len(), 1, "{puts:?}");
    let put = &puts[0];
    assert!(
        put.path.starts_with(&format!("/{BUCKET}/assets/")),
        "{}",
        put.path
    );
    assert_eq!(put.header("x-amz-expected-bucket-owner"), Some(ACCOUNT));
    // The upload carries the checksum of exactly its bytes, and those are a whole zip.
    let zip = put.body.clone();
    assert!(
        perimeter::assets::zip::is_whole(&zip),
        "{} bytes",
        zip.len()
    );
    let good = sha256_base64(&zip);
    assert_eq!(put.header("x-amz-checksum-sha256"), Some(good.as_str()));
    drop(stub);

    // The same object with the zip's own checksum is trusted: nothing uploaded.
    let stub = Stub::start({
        let mut aws = Aws::new(ACCOUNT);
        aws.asset_checksum = Some(good);
        move |r| aws.answer(r)
    });
    let o = against(
        &stub,
        dir.path(),
        cache.path(),
        &["deploy", "--yes", "--no-execute"],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(stdout(&o).contains("is already in"), "{}", text(&o));
    assert!(s3_calls(&stub).iter().all(|r| r.method == "HEAD"));
}

#[test]
fn a_template_over_51200_bytes_reaches_create_change_set_as_a_template_url() {
    let stub = Stub::start({
        let aws = Aws::new(ACCOUNT);
        move |r| aws.answer(r)
    });
    let (dir, cache) = stub_project(20);
    let o = against(
        &stub,
        dir.path(),
        cache.path(),
        &["deploy", "--yes", "--no-execute"],
    );
    assert!(o.status.success(), "{}", text(&o));
    let create = stub.calls("CreateChangeSet");
    assert_eq!(create.len(), 1);
    let form = &create[0].form;
    assert!(
        !form.contains_key("TemplateBody"),
        "{:?}",
        form.keys().collect::<Vec<_>>()
    );
    let url = form.get("TemplateURL").expect("a TemplateURL");
    let key = url
        .strip_prefix(&format!("https://{BUCKET}.s3.us-east-1.amazonaws.com/"))
        .unwrap_or_else(|| panic!("{url}"));
    // The object uploaded at that key: the minified template, named by its sha256.
    let put = s3_calls(&stub)
        .into_iter()
        .find(|r| r.method == "PUT" && r.path == format!("/{BUCKET}/{key}"))
        .unwrap_or_else(|| panic!("no upload of {key}"));
    let body = String::from_utf8(put.body.clone()).unwrap();
    assert!(
        body.len() > 51_200 && body.len() < 1_000_000,
        "{}",
        body.len()
    );
    assert!(!body.contains("\n "), "minified");
    let t: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(t["Resources"]["Function"].is_object());
    use sha2::Digest;
    let hex: String = sha2::Sha256::digest(body.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(key, format!("templates/{hex}.json"));
    assert_eq!(
        put.header("x-amz-checksum-sha256"),
        Some(sha256_base64(body.as_bytes()).as_str())
    );
    assert_eq!(put.header("x-amz-expected-bucket-owner"), Some(ACCOUNT));
    // Both pages of the change set's changes are shown.
    let out = stdout(&o);
    assert!(
        out.contains("CloudFormation's change set (2 changes)"),
        "{out}"
    );
}

#[test]
fn throttling_in_the_wait_is_waited_out_and_every_page_of_events_is_read() {
    let stub = Stub::start({
        let mut aws = Aws::new(ACCOUNT);
        aws.throttle = true;
        move |r| aws.answer(r)
    });
    let (dir, cache) = stub_project(0);
    let o = against(&stub, dir.path(), cache.path(), &["deploy", "--yes"]);
    assert!(o.status.success(), "{}", text(&o));
    let out = stdout(&o);
    // Each polling loop was throttled once and went on.
    for action in ["DescribeChangeSet", "DescribeStackEvents"] {
        assert!(stub.calls(action).len() >= 2, "{action}");
    }
    // Every event of the creation, oldest first, from every page, once; the last ones
    // written after the final status too; none from before the change set.
    let shown: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("dev: "))
        .filter(|l| l.contains("_IN_PROGRESS") || l.contains("_COMPLETE"))
        .filter(|l| l.contains(" AWS::"))
        .collect();
    assert_eq!(
        shown,
        [
            "app-dev AWS::CloudFormation::Stack CREATE_IN_PROGRESS",
            "Function AWS::Lambda::Function CREATE_IN_PROGRESS",
            "Role AWS::IAM::Role CREATE_IN_PROGRESS",
            "Role AWS::IAM::Role CREATE_COMPLETE",
            "Function AWS::Lambda::Function CREATE_COMPLETE",
            "app-dev AWS::CloudFormation::Stack CREATE_COMPLETE",
        ],
        "{out}"
    );
    assert!(!out.contains("REVIEW_IN_PROGRESS"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.trim_start().starts_with("dev ") && l.contains("CREATE_COMPLETE")),
        "{out}"
    );
    // Each call that changes something carries an idempotency token.
    let create = &stub.calls("CreateChangeSet")[0];
    assert!(create.form.contains_key("ClientToken"), "{:?}", create.form);
    assert_eq!(
        create.form.get("ChangeSetName").map(String::as_str),
        Some("perimeter-deploy")
    );
    let execute = &stub.calls("ExecuteChangeSet")[0];
    assert!(
        execute.form.contains_key("ClientRequestToken"),
        "{:?}",
        execute.form
    );
}

#[test]
fn a_failed_update_s_cleanup_is_a_warning_and_the_deploy_stands() {
    let stub = Stub::start({
        let mut aws = Aws::new(ACCOUNT);
        aws.existing = Some("UPDATE_COMPLETE");
        move |r| aws.answer(r)
    });
    let (dir, cache) = stub_project(0);
    let o = against(&stub, dir.path(), cache.path(), &["deploy", "--yes"]);
    assert!(o.status.success(), "{}", text(&o));
    let out = stdout(&o);
    assert!(
        out.contains(
            "warning: the update stands, but cleaning up the old OldBucket (AWS::S3::Bucket) failed"
        ),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.trim_start().starts_with("dev ") && l.ends_with("UPDATE_COMPLETE")),
        "{out}"
    );
    // An update: the change set an earlier deploy left under perimeter's name is
    // replaced (deleted before the new one is made), not left beside it.
    let order: Vec<String> = stub
        .requests()
        .iter()
        .filter_map(|r| r.action().map(str::to_string))
        .filter(|a| a.contains("ChangeSet"))
        .collect();
    assert_eq!(
        order[..3],
        ["ListChangeSets", "DeleteChangeSet", "CreateChangeSet"],
        "{order:?}"
    );
    assert_eq!(
        stub.calls("DeleteChangeSet")[0]
            .form
            .get("ChangeSetName")
            .map(String::as_str),
        Some("perimeter-deploy")
    );
    let create = &stub.calls("CreateChangeSet")[0];
    assert_eq!(
        create.form.get("ChangeSetType").map(String::as_str),
        Some("UPDATE")
    );
}

#[test]
fn a_stack_in_a_failed_state_is_refused_with_the_command_that_recovers_it() {
    for (status, command) in [
        (
            "UPDATE_ROLLBACK_FAILED",
            "aws cloudformation continue-update-rollback --stack-name app-dev --region us-east-1",
        ),
        ("DELETE_FAILED", "perimeter destroy --target dev"),
        ("IMPORT_ROLLBACK_FAILED", "perimeter destroy --target dev"),
        ("ROLLBACK_COMPLETE", "perimeter destroy --target dev"),
    ] {
        let stub = Stub::start({
            let mut aws = Aws::new(ACCOUNT);
            aws.existing = Some(status);
            move |r| aws.answer(r)
        });
        let (dir, cache) = stub_project(0);
        let o = against(&stub, dir.path(), cache.path(), &["deploy", "--yes"]);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        let out = stdout(&o);
        assert!(
            out.contains(&format!("refused: stack app-dev is in {status}"))
                && out.contains(command),
            "{status}: {out}"
        );
        assert!(stub.calls("CreateChangeSet").is_empty(), "{status}");
        assert!(s3_calls(&stub).is_empty(), "{status}: nothing uploaded");
    }
}

#[test]
fn a_target_s_session_name_external_id_and_service_role_reach_sts_and_cloudformation() {
    let stub = Stub::start({
        let aws = Aws::new(ACCOUNT);
        move |r| aws.answer(r)
    });
    let (dir, cache) = stub_project(0);
    let blueprint = dir.path().join("blueprints/app.yaml");
    let b = std::fs::read_to_string(&blueprint).unwrap();
    std::fs::write(
        &blueprint,
        format!(
            "{b}    role_arn: arn:aws:iam::{ACCOUNT}:role/deployer\n    role_session_name: alice@example.com\n    external_id: team-42\n    cloudformation_role_arn: arn:aws:iam::{ACCOUNT}:role/cfn-exec\n"
        ),
    )
    .unwrap();
    let o = against(
        &stub,
        dir.path(),
        cache.path(),
        &["deploy", "--yes", "--no-execute"],
    );
    assert!(o.status.success(), "{}", text(&o));
    let assume = stub.calls("AssumeRole");
    assert!(!assume.is_empty());
    let f = &assume[0].form;
    assert_eq!(
        f.get("RoleArn").map(String::as_str),
        Some(&*format!("arn:aws:iam::{ACCOUNT}:role/deployer"))
    );
    assert_eq!(
        f.get("RoleSessionName").map(String::as_str),
        Some("alice@example.com")
    );
    assert_eq!(f.get("ExternalId").map(String::as_str), Some("team-42"));
    let create = &stub.calls("CreateChangeSet")[0];
    assert_eq!(
        create.form.get("RoleARN").map(String::as_str),
        Some(&*format!("arn:aws:iam::{ACCOUNT}:role/cfn-exec"))
    );
    // A template without transforms is not given CAPABILITY_AUTO_EXPAND.
    assert!(
        !create.form.values().any(|v| v == "CAPABILITY_AUTO_EXPAND"),
        "{:?}",
        create.form.keys().collect::<Vec<_>>()
    );
}

#[test]
fn a_bootstrap_older_than_deploy_needs_is_refused_saying_how_to_update_it() {
    let stub = Stub::start({
        let mut aws = Aws::new(ACCOUNT);
        aws.bootstrap_version = 1;
        move |r| aws.answer(r)
    });
    let (dir, cache) = stub_project(0);
    let o = against(&stub, dir.path(), cache.path(), &["deploy", "--yes"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = stdout(&o);
    assert!(
        out.contains("refused: the perimeter-bootstrap stack in 123456789012 us-east-1 is version 1, this perimeter needs version 2")
            && out.contains("run perimeter bootstrap to update it"),
        "{out}"
    );
    assert!(s3_calls(&stub).is_empty(), "nothing uploaded");
    assert!(stub.calls("CreateChangeSet").is_empty());
}
