//! `perimeter deploy`, `bootstrap`, `diff --deployed` and `destroy` against a real
//! CloudFormation API: moto's server (pinned in requirements-dev.txt, installed into
//! target/venv by scripts/venv), started by each test on 127.0.0.1 with a free port and
//! stopped by its process id. boto3 (installed with moto) reads back what was deployed.
#![cfg(feature = "deploy")]

mod common;

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
fn a_resource_the_api_rejects_fails_the_target_with_its_reason() {
    let moto = Moto::start();
    let (dir, _) = project(&target("dev", ACCOUNT, "us-east-1"));
    // The asset bucket's name is taken: creating the bootstrap stack fails.
    moto.python(&format!(
        "boto3.client('s3', endpoint_url=URL).create_bucket(Bucket='perimeter-assets-{ACCOUNT}-us-east-1')"
    ));
    let o = moto.perimeter(dir.path(), &["bootstrap"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = stdout(&o);
    assert!(out.contains("FAILED"), "{out}");
    assert!(out.contains("BucketAlreadyExists"), "{out}");
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
