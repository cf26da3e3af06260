//! Organizational-unit targets in blueprints: their validation (each error at its line
//! and field path), the one account-agnostic template synth writes for them, the
//! StackSet resource for the administrator account, and the plan of a deploy against a
//! StackSet as CloudFormation lists it.

use crate::common;

use perimeter::blueprint::{Blueprint, BlueprintError};
use perimeter::check::perimeters::Perimeter;
use perimeter::iam::prove::Outcome;
use perimeter::synth::{self, Kind};
use serde_json::Value;

const SHIPPED: &str = include_str!("../../blueprints/bedrock-org-baseline.yaml");

fn parse(text: &str) -> Result<Blueprint, Vec<BlueprintError>> {
    Blueprint::parse(
        "org".parse().unwrap(),
        "blueprints/org.yaml",
        text,
        &perimeter::solutions::builtin(),
    )
}

/// The errors of a blueprint, as `path: message` with their lines.
fn errors(text: &str) -> Vec<BlueprintError> {
    match parse(text) {
        Ok(_) => panic!("the blueprint was accepted"),
        Err(e) => e,
    }
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle} is not in the text"))
        + 1
}

fn artifacts(b: &Blueprint) -> Vec<synth::Artifact> {
    let mut out = Vec::new();
    synth::each_artifact(std::slice::from_ref(b), &common::all_targets(), |a| {
        out.push(a);
        Ok(())
    })
    .unwrap();
    out
}

fn json(a: &synth::Artifact) -> Value {
    serde_json::from_str(&a.body).unwrap()
}

#[test]
fn the_shipped_ou_target_makes_one_account_agnostic_template_and_its_stack_set() {
    let b = parse(SHIPPED).unwrap_or_else(|e| panic!("{e:?}"));
    let arts = artifacts(&b);
    let kinds: Vec<(&str, Kind)> = arts
        .iter()
        .map(|a| (a.entry.path.as_str(), a.entry.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            ("org/workloads.template.json", Kind::StackSet),
            (
                "org/workloads.stackset.template.json",
                Kind::StackSetResource
            ),
        ]
    );
    let t = json(&arts[0]);
    // The VPC's block comes from the pool, the subnets from the block it gets.
    let vpc = &t["Resources"]["Vpc"]["Properties"];
    assert_eq!(
        vpc["Ipv4IpamPoolId"],
        serde_json::json!({"Ref": "IpamPoolId"})
    );
    assert_eq!(vpc["Ipv4NetmaskLength"], 22);
    assert!(vpc.get("CidrBlock").is_none());
    assert_eq!(
        t["Resources"]["VpcPrivateSubnet2"]["Properties"]["CidrBlock"],
        serde_json::json!({"Fn::Select": [1, {"Fn::Cidr": [{"Fn::GetAtt": ["Vpc", "CidrBlock"]}, 2, 8]}]})
    );
    assert_eq!(
        t["Parameters"]["IpamPoolId"]["Default"],
        "ipam-pool-0a1b2c3d4e5f60718"
    );
    // No account and no Region literally: the same template in every account.
    assert!(!arts[0].body.contains("999999999999"));
    assert!(!arts[0].body.contains(perimeter::blueprint::NO_ACCOUNT));
    assert!(arts[0].assets.is_empty());

    // The StackSet resource: service-managed, the units less the sandbox, each Region's
    // pool, automatic deployment, the template inline and the same.
    let s = json(&arts[1]);
    let p = &s["Resources"]["StackSet"]["Properties"];
    assert_eq!(
        s["Resources"]["StackSet"]["Type"],
        "AWS::CloudFormation::StackSet"
    );
    assert_eq!(p["PermissionModel"], "SERVICE_MANAGED");
    assert_eq!(p["StackSetName"], "org-workloads");
    assert_eq!(
        p["AutoDeployment"],
        serde_json::json!({"Enabled": true, "RetainStacksOnAccountRemoval": true})
    );
    assert_eq!(
        p["OperationPreferences"],
        serde_json::json!({"FailureTolerancePercentage": 10, "MaxConcurrentPercentage": 25, "RegionConcurrencyType": "PARALLEL"})
    );
    let groups = p["StackInstancesGroup"].as_array().unwrap();
    assert_eq!(groups.len(), 4);
    assert_eq!(
        groups[0]["DeploymentTargets"],
        serde_json::json!({"OrganizationalUnitIds": ["ou-ab12-11111111", "ou-ab12-22222222"], "Accounts": ["333333333333"], "AccountFilterType": "DIFFERENCE"})
    );
    assert_eq!(groups[0]["Regions"], serde_json::json!(["us-east-1"]));
    assert!(groups[0].get("ParameterOverrides").is_none());
    assert_eq!(groups[2]["Regions"], serde_json::json!(["eu-west-1"]));
    assert_eq!(
        groups[2]["ParameterOverrides"],
        serde_json::json!([{"ParameterKey": "IpamPoolId", "ParameterValue": "ipam-pool-0c3d4e5f607182930"}])
    );
    let inner: Value = serde_json::from_str(p["TemplateBody"].as_str().unwrap()).unwrap();
    assert_eq!(inner, t);
    // Same input, same bytes.
    let again = artifacts(&parse(SHIPPED).unwrap());
    assert_eq!(again[0].body, arts[0].body);
    assert_eq!(again[1].body, arts[1].body);
}

#[test]
fn the_shipped_ou_templates_are_check_clean_and_committed() {
    let b = Blueprint::load(
        &common::root().join("blueprints/bedrock-org-baseline.yaml"),
        &perimeter::solutions::builtin(),
    )
    .unwrap();
    let reports =
        perimeter::project::check_blueprints(std::slice::from_ref(&b), &common::all_targets())
            .unwrap();
    assert_eq!(reports.len(), 2);
    for r in &reports {
        assert!(r.findings.is_empty(), "{}: {:?}", r.file, r.findings);
    }
    // The access simulation ran on the StackSet's template as on a stack's.
    assert!(!reports[0].access.is_empty());
    for a in artifacts(&b) {
        let committed = std::fs::read_to_string(common::root().join("out").join(&a.entry.path))
            .unwrap_or_default();
        assert_eq!(
            committed, a.body,
            "out/{} is stale: run perimeter synth",
            a.entry.path
        );
    }
}

#[test]
fn settings_that_cannot_be_the_same_in_every_account_are_errors_at_their_line() {
    // A literal VPC block, corporate access and an asset: each refused for the OU
    // target, at the setting's own line, saying why.
    let text = SHIPPED
        .replace(
            "    ipam:                          # instead of vpc_cidr: each account's own block\n      pool_id: ipam-pool-0a1b2c3d4e5f60718\n      netmask_length: 22\n",
            "    vpc_cidr: 10.0.0.0/16\n",
        )
        .replace(
            "  function:\n",
            "  function:\n    asset: functions/app\n",
        )
        .replace(
            "\norg_targets:",
            "\n  corporate_access:\n    cidr: 172.16.0.0/12\n\norg_targets:",
        );
    let errs = errors(&text);
    let at = |path: &str| {
        errs.iter()
            .find(|e| e.path == path)
            .unwrap_or_else(|| panic!("no error at {path}: {errs:?}"))
    };
    let cidr = at("settings.network.vpc_cidr");
    assert_eq!(
        cidr.pos.unwrap().line,
        line_of(&text, "vpc_cidr: 10.0.0.0/16")
    );
    assert!(cidr.message.contains("IPAM pool"), "{}", cidr.message);
    assert!(
        cidr.message
            .contains("organizational-unit target workloads")
    );
    let corp = at("settings.corporate_access");
    assert!(
        corp.message.contains("virtual interface"),
        "{}",
        corp.message
    );
    let asset = at("settings.function.asset");
    assert_eq!(
        asset.pos.unwrap().line,
        line_of(&text, "asset: functions/app")
    );
    assert!(
        asset.message.contains("bootstrap bucket"),
        "{}",
        asset.message
    );
    // The message names the file, line and column.
    assert!(
        cidr.to_string()
            .starts_with(&format!("blueprints/org.yaml:{}:", cidr.pos.unwrap().line))
    );
}

#[test]
fn target_fields_are_validated_with_their_paths() {
    let text = SHIPPED
        .replace("      - ou-ab12-22222222\n", "      - ou-ab12-22222222\n      - ou-nope\n")
        .replace(
            "    exclude_accounts:\n",
            "    accounts: [\"444444444444\"]\n    exclude_accounts:\n",
        )
        .replace(
            "      failure_tolerance_percentage: 10\n",
            "      failure_tolerance_percentage: 10\n      failure_tolerance_count: 1\n      region_order: [us-east-1, ap-south-1]\n",
        )
        .replace(
            "      - regions: [us-west-2]\n        parameters: {IpamPoolId: ipam-pool-0b2c3d4e5f6071829}\n",
            "      - regions: [us-west-2]\n        parameters: {PoolId: ipam-pool-0b2c3d4e5f6071829}\n",
        );
    // An id that is no unit's is a type error, reported alone at its line.
    let errs = errors(&text);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(errs[0].path, "org_targets[0].organizational_units[2]");
    assert_eq!(errs[0].pos.unwrap().line, line_of(&text, "ou-nope"));
    assert!(errs[0].message.contains("not an organizational unit id"));

    let text = text.replace("      - ou-nope\n", "");
    let errs = errors(&text);
    let paths: Vec<&str> = errs.iter().map(|e| e.path.as_str()).collect();
    for p in [
        "org_targets[0].exclude_accounts",
        "org_targets[0].operation_preferences.failure_tolerance_percentage",
        "org_targets[0].operation_preferences.region_order[1]",
        "org_targets[0].operation_preferences.region_order",
        "org_targets[0].parameter_overrides[0].parameters.PoolId",
    ] {
        assert!(paths.contains(&p), "no error at {p}: {errs:?}");
    }
    assert!(errs.iter().all(|e| e.pos.is_some()), "{errs:?}");
    let unknown = errs.iter().find(|e| e.path.ends_with("PoolId")).unwrap();
    assert!(
        unknown
            .message
            .contains("declares no parameter PoolId; it declares: IpamPoolId"),
        "{}",
        unknown.message
    );
}

#[test]
fn a_template_that_differs_by_region_is_refused() {
    // A US geography profile is not offered in eu-west-1: the model is refused there,
    // at the shared setting, naming the Region.
    let text = SHIPPED.replace(
        "      - global.anthropic.claude-haiku-5-5",
        "      - us.anthropic.claude-haiku-5-5",
    );
    let errs = errors(&text);
    assert!(
        errs.iter()
            .any(|e| e.path == "settings.bedrock.models[0]" && e.message.contains("eu-west-1")),
        "{errs:?}"
    );
}

#[test]
fn account_and_ou_targets_live_in_one_blueprint_with_distinct_names() {
    let text = format!(
        "{SHIPPED}targets:\n  - name: workloads\n    account: \"111111111111\"\n    region: us-east-1\n    stage: dev\n"
    );
    let errs = errors(&text);
    assert!(
        errs.iter()
            .any(|e| e.path == "targets[0].name" && e.message.contains("used twice")),
        "{errs:?}"
    );
}

/// An OU target is checked and proven as an account target is: with its solution's
/// claims (only the listed callers, only the listed models, only through the endpoint)
/// and the blueprint's scenarios. Inside its identity perimeter: the account the stack
/// is in (`${AWS::AccountId}`, the placeholder account at synth) and the organization
/// of the StackSet's administrator as `perimeter.context.json` records it (the units'
/// accounts are not known at synth).
#[test]
fn an_ou_target_is_proven_and_checked_with_its_claims_and_scenarios() {
    let dir = std::env::temp_dir().join(format!("perimeter-org-claims-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("blueprints")).unwrap();
    let wrong = "\nscenarios:\n  - name: the function invokes a model it is not given\n    principal: FunctionRole\n    action: bedrock:InvokeModel\n    resource: arn:${AWS::Partition}:bedrock:${AWS::Region}::foundation-model/amazon.titan-text-express-v1\n    expected: allow\n";
    let file = dir.join("blueprints/bedrock-org-baseline.yaml");
    std::fs::write(&file, format!("{SHIPPED}{wrong}")).unwrap();
    std::fs::write(
        dir.join("perimeter.context.json"),
        r#"{"accounts": {"999999999999": {"organization_id": "o-abcd123456", "regions": {}}}}"#,
    )
    .unwrap();
    let b = Blueprint::load(&file, &perimeter::solutions::builtin()).unwrap();

    let targets = perimeter::project::prove::prove_blueprints(
        std::slice::from_ref(&b),
        &common::all_targets(),
        &perimeter::check::perimeters::Inside::default(),
    )
    .unwrap();
    let stack_set = targets
        .iter()
        .find(|t| t.file.ends_with("workloads.template.json"))
        .expect("the StackSet's template");
    let at = |perimeter: Perimeter, resource: &str| {
        stack_set
            .proofs
            .iter()
            .filter(|p| p.perimeter == perimeter && p.resource == resource)
            .collect::<Vec<_>>()
    };
    assert_eq!(at(Perimeter::Claim, "BedrockRuntimeEndpoint").len(), 2);
    assert_eq!(at(Perimeter::Claim, "FunctionRole").len(), 2);
    let identity = at(Perimeter::Identity, "BedrockRuntimeEndpoint");
    assert_eq!(identity.len(), 1);
    assert!(
        identity[0]
            .claim
            .contains("outside accounts 000000000000 and organizations o-abcd123456"),
        "{}",
        identity[0].claim
    );
    for p in &stack_set.proofs {
        assert!(matches!(p.outcome, Outcome::Holds { .. }), "{p:?}");
    }

    let reports =
        perimeter::project::check_blueprints(std::slice::from_ref(&b), &common::all_targets())
            .unwrap();
    let r = reports
        .iter()
        .find(|r| r.file.ends_with("workloads.template.json"))
        .unwrap();
    let row = r
        .access
        .iter()
        .find(|a| a.scenario == "the function invokes a model it is not given")
        .expect("the blueprint's scenario ran on the OU template");
    assert!(!row.holds);
    let f = r
        .findings
        .iter()
        .find(|f| f.rule.id == "A701")
        .expect("the failed scenario is a finding");
    assert!(
        f.message.contains("expected allow, got implicit deny"),
        "{}",
        f.message
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
