//! End-to-end tests of the `perimeter` binary: synth, --check, list, schema, and bad
//! blueprints (each must name the file, line, column and field, exit 2, and leave out/
//! exactly as it was).

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sha2::{Digest, Sha256};

const SHIPPED: &str = include_str!("../../blueprints/bedrock-private-access.yaml");

/// A scratch workspace with the shipped blueprint in blueprints/.
struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn new() -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        common::write_shipped(dir.path(), SHIPPED);
        Workspace { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_perimeter"))
            .args(args)
            .current_dir(self.path())
            .output()
            .unwrap()
    }

    fn write_blueprint(&self, name: &str, text: &str) {
        std::fs::write(self.path().join("blueprints").join(name), text).unwrap();
    }

    /// Every file under out/ (and any staging leftovers beside it) with its bytes.
    fn snapshot(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut out = BTreeMap::new();
        for entry in std::fs::read_dir(self.path()).unwrap() {
            let p = entry.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            if name == "blueprints" {
                continue;
            }
            if p.is_dir() {
                for f in common::templates_under(&p) {
                    out.insert(f.clone(), std::fs::read(&f).unwrap());
                }
                out.insert(p.clone(), vec![]);
            } else {
                out.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
        out
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_string()
}

#[test]
fn synth_writes_every_target_and_a_manifest_that_matches() {
    let ws = Workspace::new();
    let o = ws.run(&["synth"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let stdout = text(&o.stdout);
    for t in ["dev", "prod", "prod-eu"] {
        assert!(
            stdout.contains(&format!(
                "created out/bedrock-private-access/{t}.template.json"
            )),
            "{stdout}"
        );
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(ws.path().join("out/manifest.json")).unwrap())
            .unwrap();
    let artifacts = manifest["artifacts"].as_array().unwrap();
    assert_eq!(artifacts.len(), 3);
    for a in artifacts {
        let bytes = std::fs::read(ws.path().join("out").join(a["path"].as_str().unwrap())).unwrap();
        let hex: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(a["sha256"], hex);
        assert_eq!(a["account"].as_str().unwrap().len(), 12);
    }
    let eu = artifacts.iter().find(|a| a["target"] == "prod-eu").unwrap();
    assert_eq!(
        (
            eu["region"].as_str(),
            eu["account"].as_str(),
            eu["stage"].as_str()
        ),
        (Some("eu-west-1"), Some("222222222222"), Some("prod"))
    );
    // The prod-eu override carved its subnets from its own block, in three zones.
    let eu_t = perimeter::template::Template::parse_any(
        &std::fs::read_to_string(
            ws.path()
                .join("out/bedrock-private-access/prod-eu.template.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let subnets: Vec<_> = eu_t
        .resources
        .values()
        .filter(|r| r.resource_type.as_str() == "AWS::EC2::Subnet")
        .collect();
    assert_eq!(subnets.len(), 3);
    assert_eq!(subnets[0].properties["CidrBlock"], "10.1.0.0/24".into());
    // No staging folder is left behind.
    assert_eq!(
        std::fs::read_dir(ws.path()).unwrap().count(),
        2,
        "only blueprints/ and out/"
    );
}

#[test]
fn synth_is_byte_identical_across_runs_and_check_agrees() {
    let ws = Workspace::new();
    assert_eq!(ws.run(&["synth"]).status.code(), Some(0));
    let first = ws.snapshot();
    assert_eq!(ws.run(&["synth"]).status.code(), Some(0));
    assert_eq!(ws.snapshot(), first);
    let o = ws.run(&["synth", "--check"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    assert_eq!(ws.snapshot(), first, "--check writes nothing");
}

#[test]
fn check_lists_stale_missing_and_extra_files() {
    let ws = Workspace::new();
    assert_eq!(ws.run(&["synth"]).status.code(), Some(0));
    let out = ws.path().join("out");
    std::fs::write(out.join("bedrock-private-access/dev.template.json"), "{}\n").unwrap();
    std::fs::remove_file(out.join("bedrock-private-access/prod.template.json")).unwrap();
    std::fs::write(out.join("bedrock-private-access/old.template.json"), "{}\n").unwrap();
    let before = ws.snapshot();
    let o = ws.run(&["synth", "--check"]);
    assert_eq!(o.status.code(), Some(1));
    let stdout = text(&o.stdout);
    assert!(
        stdout.contains("stale: out/bedrock-private-access/dev.template.json"),
        "{stdout}"
    );
    assert!(
        stdout.contains("missing: out/bedrock-private-access/prod.template.json"),
        "{stdout}"
    );
    assert!(
        stdout.contains("extra: out/bedrock-private-access/old.template.json"),
        "{stdout}"
    );
    assert_eq!(ws.snapshot(), before);
    // A full synth repairs all three.
    let o = ws.run(&["synth"]);
    assert!(text(&o.stdout).contains("removed out/bedrock-private-access/old.template.json"));
    assert_eq!(ws.run(&["synth", "--check"]).status.code(), Some(0));
}

#[test]
fn synth_one_target_keeps_the_others_and_yaml_format_works() {
    let ws = Workspace::new();
    assert_eq!(ws.run(&["synth"]).status.code(), Some(0));
    let dev = std::fs::read(
        ws.path()
            .join("out/bedrock-private-access/dev.template.json"),
    )
    .unwrap();
    let o = ws.run(&["synth", "--target", "prod", "--format", "yaml"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let yaml = std::fs::read_to_string(
        ws.path()
            .join("out/bedrock-private-access/prod.template.yaml"),
    )
    .unwrap();
    assert!(
        yaml.contains("Type: AWS::RDS::DBInstance") && yaml.contains("!GetAtt FunctionRole.Arn")
    );
    assert_eq!(
        std::fs::read(
            ws.path()
                .join("out/bedrock-private-access/dev.template.json")
        )
        .unwrap(),
        dev
    );
    let manifest = std::fs::read_to_string(ws.path().join("out/manifest.json")).unwrap();
    assert!(manifest.contains("dev.template.json") && manifest.contains("prod.template.yaml"));
}

#[test]
fn unknown_target_is_an_error_and_writes_nothing() {
    let ws = Workspace::new();
    assert_eq!(ws.run(&["synth"]).status.code(), Some(0));
    let before = ws.snapshot();
    let o = ws.run(&["synth", "--target", "staging"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr)
            .contains("no target named \"staging\"; the targets are: dev, prod, prod-eu"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(ws.snapshot(), before);
}

/// Replaces `from` with `to` in the shipped blueprint, synthesizes, and checks the
/// error names the file, the line:column and the field, exits 2, and leaves out/ alone.
fn bad_blueprint(from: &str, to: &str, line: usize, field: &str, expected: &str) {
    let ws = Workspace::new();
    assert_eq!(ws.run(&["synth"]).status.code(), Some(0));
    let before = ws.snapshot();
    assert!(
        SHIPPED.contains(from),
        "{from:?} not in the shipped blueprint"
    );
    ws.write_blueprint(
        "bedrock-private-access.yaml",
        &SHIPPED.replacen(from, to, 1),
    );
    let o = ws.run(&["synth"]);
    let stderr = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    let location = format!("blueprints/bedrock-private-access.yaml:{line}:");
    assert!(
        stderr.contains(&location),
        "expected {location} in: {stderr}"
    );
    assert!(
        stderr.contains(field),
        "expected field {field} in: {stderr}"
    );
    assert!(
        stderr.contains(expected),
        "expected {expected:?} in: {stderr}"
    );
    assert_eq!(ws.snapshot(), before, "out/ changed");
    assert!(o.stdout.is_empty(), "nothing reported as written");
}

fn line_of(needle: &str) -> usize {
    SHIPPED.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn bad_blueprint_yaml_syntax_error() {
    // YAML forbids tabs in indentation.
    bad_blueprint(
        "    memory_mb: 256\n",
        "\tmemory_mb: 256\n",
        line_of("memory_mb: 256"),
        "",
        "found a tab character that violates indentation, while scanning",
    );
}

#[test]
fn bad_blueprint_unknown_key() {
    bad_blueprint(
        "    memory_mb: 256\n",
        "    memory_mb: 256\n    memroy_mb: 512\n",
        line_of("memory_mb: 256") + 1,
        "settings.function.memroy_mb",
        "unknown field `memroy_mb`",
    );
}

#[test]
fn bad_blueprint_invalid_cidr() {
    bad_blueprint(
        "vpc_cidr: 10.0.0.0/16",
        "vpc_cidr: 10.0.0.300/16",
        line_of("vpc_cidr: 10.0.0.0/16"),
        "settings.network.vpc_cidr",
        "is not an IPv4 CIDR block",
    );
}

#[test]
fn bad_blueprint_subnet_outside_the_vpc() {
    bad_blueprint(
        "    subnet_prefix_length: 24       # carves 10.0.0.0/24, 10.0.1.0/24\n",
        "    subnets: [10.0.0.0/24, 10.9.1.0/24]\n",
        line_of("subnet_prefix_length"),
        "settings.network.subnets[1]",
        "subnet 10.9.1.0/24 is outside the VPC block 10.0.0.0/16 (targets dev, prod)",
    );
}

#[test]
fn bad_blueprint_overlapping_subnets() {
    bad_blueprint(
        "    subnet_prefix_length: 24       # carves 10.0.0.0/24, 10.0.1.0/24\n",
        "    subnets: [10.0.0.0/23, 10.0.1.0/24]\n",
        line_of("subnet_prefix_length"),
        "settings.network.subnets[1]",
        "subnet 10.0.1.0/24 overlaps subnet 10.0.0.0/23",
    );
}

#[test]
fn bad_blueprint_single_availability_zone() {
    bad_blueprint(
        "availability_zones: 2 ",
        "availability_zones: 1 ",
        line_of("availability_zones: 2"),
        "settings.network.availability_zones",
        "at least 2 Availability Zones",
    );
}

#[test]
fn bad_blueprint_eleven_digit_account() {
    bad_blueprint(
        "account: \"222222222222\"\n    region: eu-west-1",
        "account: \"22222222222\"\n    region: eu-west-1",
        line_of("region: eu-west-1") - 1,
        "targets[2].account",
        "expected a 12-digit AWS account id, found \"22222222222\"",
    );
}

#[test]
fn bad_blueprint_unknown_region() {
    bad_blueprint(
        "region: eu-west-1",
        "region: eu-west-9",
        line_of("region: eu-west-1"),
        "targets[2].region",
        "unknown AWS region \"eu-west-9\"; did you mean eu-west-1",
    );
}

#[test]
fn bad_blueprint_empty_model_list() {
    bad_blueprint(
        "    models:\n      - us.anthropic.claude-haiku-5-5\n",
        "    models: []\n",
        line_of("models:"),
        "settings.bedrock.models",
        "at least one model is needed",
    );
}

#[test]
fn bad_override_points_at_the_target() {
    bad_blueprint(
        "        vpc_cidr: 10.1.0.0/16\n",
        "        vpc_cidr: 10.1.0.0/16\n        subnets: [10.1.0.0/24, 10.1.1.0/24]\n",
        line_of("vpc_cidr: 10.1.0.0/16") + 1,
        "targets[2].overrides.network.subnets",
        "2 subnets for 3 Availability Zones",
    );
}

#[test]
fn unquoted_account_is_refused_with_a_hint() {
    bad_blueprint(
        "account: \"111111111111\"",
        "account: 111111111111",
        line_of("account: \"111111111111\""),
        "targets[0].account",
        "must be a quoted string",
    );
}

#[test]
fn list_and_schema() {
    let ws = Workspace::new();
    let o = ws.run(&["list"]);
    assert_eq!(o.status.code(), Some(0));
    let s = text(&o.stdout);
    assert!(
        s.contains("bedrock-private-access (blueprints/bedrock-private-access.yaml)")
            && s.contains("prod-eu")
            && s.contains("eu-west-1"),
        "{s}"
    );
    let o = ws.run(&["schema"]);
    assert_eq!(o.status.code(), Some(0));
    let committed =
        std::fs::read_to_string(common::root().join("schema/blueprint.schema.json")).unwrap();
    assert_eq!(
        text(&o.stdout),
        committed,
        "schema/blueprint.schema.json is stale: run `perimeter schema > schema/blueprint.schema.json`"
    );
    let schema: serde_json::Value = serde_json::from_str(&committed).unwrap();
    assert!(
        schema["$defs"]["Target"]["properties"]["account"]
            .to_string()
            .contains("AccountId")
    );
    assert!(SHIPPED.starts_with("# yaml-language-server: $schema=../schema/blueprint.schema.json"));
}

#[test]
fn committed_out_is_current() {
    let o = Command::new(env!("CARGO_BIN_EXE_perimeter"))
        .args(["synth", "--check"])
        .current_dir(common::root())
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        text(&o.stdout),
        text(&o.stderr)
    );
}

#[test]
fn a_function_asset_is_named_by_its_inputs_and_listed_in_the_manifest_without_a_build() {
    let ws = Workspace::new();
    ws.write_blueprint(
        "bedrock-private-access.yaml",
        &SHIPPED.replacen(
            "    memory_mb: 256\n",
            "    memory_mb: 256\n    asset: ../code\n",
            1,
        ),
    );
    std::fs::create_dir_all(ws.path().join("code")).unwrap();
    std::fs::write(
        ws.path().join("code/index.py"),
        "def handler(event, context):\n    return 1\n",
    )
    .unwrap();
    std::fs::write(ws.path().join("code/requirements.txt"), "pg8000==1.31.6\n").unwrap();
    let cache = tempfile::tempdir().unwrap();
    let synth = || {
        Command::new(env!("CARGO_BIN_EXE_perimeter"))
            .arg("synth")
            .current_dir(ws.path())
            .env("PERIMETER_CACHE", cache.path())
            // Synth names assets without pip: a build would fail here.
            .env("PERIMETER_PYTHON", "/nonexistent/python")
            .output()
            .unwrap()
    };
    let key_of = || {
        perimeter::assets::Source::from_dir(
            "../code",
            &ws.path().join("code"),
            "python3.12",
            perimeter::assets::platform("x86_64"),
            "index.py",
        )
        .unwrap()
        .plan()
        .unwrap()
        .key
    };
    let o = synth();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(ws.path().join("out/manifest.json")).unwrap(),
    )
    .unwrap();
    let entry = &manifest["artifacts"][0];
    let asset = &entry["assets"][0];
    assert_eq!(asset["source"], "../code");
    assert_eq!(asset["key"], key_of().as_str());
    assert_eq!(asset["requirements"], serde_json::json!(["pg8000==1.31.6"]));
    // Nothing was built: deploy builds what it uploads.
    assert!(!cache.path().join("assets").exists());
    // The template names the bootstrap bucket of its own account and region, and the key.
    let path = ws.path().join("out").join(entry["path"].as_str().unwrap());
    let t: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let code = &t["Resources"]["Function"]["Properties"]["Code"];
    assert_eq!(code["S3Key"], key_of().as_str());
    assert_eq!(
        code["S3Bucket"]["Fn::Sub"],
        "perimeter-assets-${AWS::AccountId}-${AWS::Region}"
    );
    assert!(code.get("ZipFile").is_none());
    // Nothing changed: out is up to date. A changed handler: another key.
    let o = synth();
    assert!(
        text(&o.stdout).contains("out is up to date"),
        "{}",
        text(&o.stdout)
    );
    let first = key_of();
    std::fs::write(
        ws.path().join("code/index.py"),
        "def handler(event, context):\n    return 2\n",
    )
    .unwrap();
    assert_ne!(key_of(), first);
    let o = synth();
    assert!(text(&o.stdout).contains("updated"), "{}", text(&o.stdout));
    // An unpinned requirement, or a folder without the handler, is an error, and out/
    // is untouched.
    let before = ws.snapshot();
    std::fs::write(ws.path().join("code/requirements.txt"), "pg8000\n").unwrap();
    let o = synth();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr)
            .contains("asset ../code: requirements.txt line 1: \"pg8000\" is not pinned"),
        "{}",
        text(&o.stderr)
    );
    std::fs::remove_file(ws.path().join("code/index.py")).unwrap();
    let o = synth();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("holds no index.py"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(ws.snapshot(), before);
}

#[test]
fn deploy_settings_of_a_target_are_checked_where_they_are_written() {
    let ws = Workspace::new();
    let bad = SHIPPED.replacen(
        "    stage: dev\n",
        "    stage: dev\n    role_arn: arn:aws:iam::999999999999:role/deployer\n    stack_name: 9lives\n",
        1,
    );
    ws.write_blueprint("bedrock-private-access.yaml", &bad);
    let o = ws.run(&["list"]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("targets[0].stack_name") && err.contains("\"9lives\" is not a stack name"),
        "{err}"
    );
    let fixed = bad.replace("stack_name: 9lives", "stack_name: lives9");
    ws.write_blueprint("bedrock-private-access.yaml", &fixed);
    let o = ws.run(&["list"]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains(
            "targets[0].role_arn: the role is in account 999999999999, the target in 111111111111"
        ),
        "{err}"
    );
    assert!(err.contains("bedrock-private-access.yaml:"), "{err}");

    // A session name of characters STS refuses; an external id and a session name with
    // no role to assume them for; a service role in another account.
    let bad = SHIPPED.replacen(
        "    stage: dev\n",
        "    stage: dev\n    role_session_name: \"alice smith\"\n",
        1,
    );
    ws.write_blueprint("bedrock-private-access.yaml", &bad);
    let err = text(&ws.run(&["list"]).stderr);
    assert!(
        err.contains("targets[0].role_session_name")
            && err.contains("\"alice smith\" is not a role session name"),
        "{err}"
    );
    let bad = SHIPPED.replacen(
        "    stage: dev\n",
        "    stage: dev\n    external_id: team-42\n    cloudformation_role_arn: arn:aws:iam::999999999999:role/cfn\n",
        1,
    );
    ws.write_blueprint("bedrock-private-access.yaml", &bad);
    let o = ws.run(&["list"]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains(
            "targets[0].external_id: external_id applies to the role assumed: set role_arn too"
        ),
        "{err}"
    );
    assert!(
        err.contains("targets[0].cloudformation_role_arn: the service role is in account 999999999999, the target in 111111111111"),
        "{err}"
    );
}

#[test]
fn flow_logs_are_on_by_default_and_a_target_can_turn_them_off() {
    let ws = Workspace::new();
    let text = SHIPPED.replacen(
        "    stage: dev\n",
        "    stage: dev\n    overrides:\n      network: {flow_logs: false}\n",
        1,
    );
    ws.write_blueprint("bedrock-private-access.yaml", &text);
    let o = ws.run(&["synth"]);
    assert_eq!(o.status.code(), Some(0), "{}", text_of(&o));
    let read = |t: &str| {
        std::fs::read_to_string(
            ws.path()
                .join(format!("out/bedrock-private-access/{t}.template.json")),
        )
        .unwrap()
    };
    assert!(!read("dev").contains("AWS::EC2::FlowLog"));
    assert!(read("prod").contains("AWS::EC2::FlowLog"));
    // A retention CloudWatch Logs does not offer: located, nothing written.
    let before = ws.snapshot();
    ws.write_blueprint(
        "bedrock-private-access.yaml",
        &text.replace("{flow_logs: false}", "{flow_logs: {retention_days: 8}}"),
    );
    let o = ws.run(&["synth"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(
        err.contains("bedrock-private-access.yaml:")
            && err.contains("8 days is not a CloudWatch Logs retention"),
        "{err}"
    );
    assert_eq!(ws.snapshot(), before);
}

fn text_of(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn a_direct_connect_gateway_id_is_checked_where_it_is_written() {
    let ws = Workspace::new();
    let text = SHIPPED.replacen(
        "        vgw_amazon_side_asn: 64512",
        "        direct_connect_gateway_id: dxgw-123\n        vgw_amazon_side_asn: 64512",
        1,
    );
    assert_ne!(
        text, SHIPPED,
        "the shipped prod target sets vgw_amazon_side_asn: 64512"
    );
    ws.write_blueprint("bedrock-private-access.yaml", &text);
    let o = ws.run(&["list"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(
        err.contains("corporate_access.direct_connect_gateway_id: \"dxgw-123\" is not a Direct Connect gateway id"),
        "{err}"
    );
}

#[test]
fn bad_blueprint_missing_schema_file() {
    bad_blueprint(
        "schema: sql/products.sql",
        "schema: sql/product.sql",
        line_of("schema: sql/products.sql"),
        "targets[1].overrides.database.schema",
        "cannot read blueprints/sql/product.sql (relative to the blueprint's folder)",
    );
}

#[test]
fn bad_blueprint_database_without_its_s3_prefix_list() {
    bad_blueprint(
        "        s3_prefix_list_id: pl-63a5400a",
        "        # s3_prefix_list_id: pl-63a5400a",
        line_of("instance_class: db.t4g.small"),
        "targets[1].overrides.database.s3_prefix_list_id",
        "S3's prefix list id in us-east-1 is required",
    );
    bad_blueprint(
        "s3_prefix_list_id: pl-63a5400a",
        "s3_prefix_list_id: pl-63a540",
        line_of("s3_prefix_list_id: pl-63a5400a"),
        "targets[1].overrides.database.s3_prefix_list_id",
        "\"pl-63a540\" is not a prefix list id such as pl-63a5400a",
    );
}

#[test]
fn tags_of_the_blueprint_and_of_a_target_reach_every_resource_that_takes_tags() {
    let ws = Workspace::new();
    ws.write_blueprint(
        "bedrock-private-access.yaml",
        &SHIPPED
            .replacen(
                "description: Private Bedrock access for the product assistant\n",
                "description: Private Bedrock access for the product assistant\ntags:\n  stage: \"{stage}\"\n  owner: platform\n",
                1,
            )
            .replacen(
                "    stage: prod\n    overrides:",
                "    stage: prod\n    tags: {owner: ml-team}\n    overrides:",
                1,
            ),
    );
    let o = ws.run(&["synth"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let read = |target: &str| -> serde_json::Value {
        serde_json::from_str(
            &std::fs::read_to_string(
                ws.path()
                    .join(format!("out/bedrock-private-access/{target}.template.json")),
            )
            .unwrap(),
        )
        .unwrap()
    };
    let tag = |t: &serde_json::Value, id: &str, key: &str| -> Option<String> {
        match &t["Resources"][id]["Properties"]["Tags"] {
            serde_json::Value::Array(items) => items
                .iter()
                .find(|i| i["Key"] == key)
                .and_then(|i| i["Value"].as_str().map(str::to_string)),
            serde_json::Value::Object(m) => m.get(key).and_then(|v| v.as_str().map(str::to_string)),
            _ => None,
        }
    };
    let (dev, prod) = (read("dev"), read("prod"));
    for id in [
        "Vpc",
        "FunctionRole",
        "FunctionLogGroup",
        "BedrockRuntimeEndpoint",
    ] {
        assert_eq!(tag(&dev, id, "stage").as_deref(), Some("dev"), "{id}");
        assert_eq!(tag(&dev, id, "owner").as_deref(), Some("platform"), "{id}");
        assert_eq!(tag(&prod, id, "stage").as_deref(), Some("prod"), "{id}");
        assert_eq!(tag(&prod, id, "owner").as_deref(), Some("ml-team"), "{id}");
    }
    // A resource's own tag of the same key wins; types without Tags get none.
    assert_eq!(
        tag(&dev, "Vpc", "Name").as_deref(),
        Some("bedrock-private-access-dev-vpc")
    );
    assert!(dev["Resources"]["FunctionBedrockAccess"]["Properties"]["Tags"].is_null());
}

// ---- issue 21: refusals at the blueprint line ----

#[test]
fn bad_blueprint_new_direct_connect_gateway_with_nothing_on_it() {
    bad_blueprint(
        "        virtual_interface:         # a private virtual interface on the existing connection\n          connection_id: dxcon-fgs1a2b3\n          vlan: 101\n          customer_asn: 65001\n",
        "",
        line_of("cidr: 172.16.0.0/12"),
        "targets[1].overrides.corporate_access",
        "add direct_connect_gateway_id (an existing gateway) or virtual_interface: {connection_id: dxcon-..., vlan: N, customer_asn: N}",
    );
}

#[test]
fn bad_blueprint_asset_folder_outside_the_project() {
    bad_blueprint(
        "    log_retention_days: 30\n",
        "    log_retention_days: 30\n    asset: ../..\n",
        line_of("    log_retention_days: 30") + 1,
        "settings.function.asset",
        "\"../..\" leads outside the project",
    );
}

#[test]
fn bad_blueprint_model_at_its_end_of_life_or_outside_its_geography() {
    bad_blueprint(
        "      - us.anthropic.claude-haiku-5-5\n",
        "      - us.anthropic.claude-sonnet-4-20250514-v1:0\n",
        line_of("      - us.anthropic.claude-haiku-5-5"),
        "settings.bedrock.models[0]",
        "reached its end of life on 2026-10-14",
    );
    bad_blueprint(
        "          - eu.anthropic.claude-haiku-5-5\n",
        "          - us.anthropic.claude-haiku-5-5\n",
        line_of("          - eu.anthropic.claude-haiku-5-5"),
        "targets[2].overrides.bedrock.models[0]",
        "is not offered in eu-west-1",
    );
}
