//! The team's app as its users run it: the one grant's scenarios and the blueprint's own
//! run in check on every target and hold; the grant broken makes check fail with the
//! scenario that catches it; a bad scenario row or a missing setting is an error at its
//! line; out/ and the schema are what the blueprint and the program make.

use std::path::PathBuf;
use std::process::Command;

use dynamodb_private::{DynamoDbPrivate, Props};
use perimeter::blueprint::{Blueprint, BlueprintError};
use perimeter::check::{Context, check};
use perimeter::solution::Solutions;
use perimeter::template::Value;

const BLUEPRINT: &str = include_str!("../blueprints/dynamodb-private.yaml");
const APP: &str = env!("CARGO_BIN_EXE_dynamodb-private");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn solutions() -> Solutions {
    perimeter::solutions::builtin().with(DynamoDbPrivate)
}

fn parse(text: &str) -> Result<Blueprint, Vec<BlueprintError>> {
    Blueprint::parse(
        "dynamodb-private".parse().unwrap(),
        "blueprints/dynamodb-private.yaml",
        text,
        &solutions(),
    )
}

fn options() -> perimeter::synth::Options {
    perimeter::synth::Options {
        out_dir: root().join("out"),
        format: perimeter::template::Format::Json,
        targets: vec![],
        complete: false,
    }
}

#[test]
fn check_runs_the_grants_scenarios_and_the_blueprints_on_every_target() {
    let b = parse(BLUEPRINT).unwrap();
    let reports = perimeter::project::check_blueprints(&[b], &options()).unwrap();
    assert_eq!(reports.len(), 2);
    for r in &reports {
        assert!(r.findings.is_empty(), "{}: {:#?}", r.file, r.findings);
        assert!(r.access.iter().all(|a| a.holds), "{:#?}", r.access);
        let rows: Vec<(&str, &str, String)> = r
            .access
            .iter()
            .map(|a| (a.scenario.as_str(), a.via.as_str(), a.expected.to_string()))
            .collect();
        assert_eq!(
            rows,
            [
                // The blueprint's rows.
                (
                    "the function reads another team's table through the endpoint",
                    "DynamoDbEndpoint",
                    "deny".into()
                ),
                (
                    "the function deletes its table",
                    "DynamoDbEndpoint",
                    "deny".into()
                ),
                (
                    "a role of another account through the endpoint",
                    "DynamoDbEndpoint",
                    "deny".into()
                ),
                // The grant's: one read and one write, each through the endpoint,
                // without it, and by another role.
                (
                    "FunctionRole dynamodb:BatchGetItem through DynamoDbEndpoint",
                    "DynamoDbEndpoint",
                    "allow".into()
                ),
                (
                    "FunctionRole dynamodb:BatchGetItem without an endpoint",
                    "none",
                    "deny".into()
                ),
                (
                    "another role dynamodb:BatchGetItem through DynamoDbEndpoint",
                    "DynamoDbEndpoint",
                    "deny".into()
                ),
                (
                    "FunctionRole dynamodb:BatchWriteItem through DynamoDbEndpoint",
                    "DynamoDbEndpoint",
                    "allow".into()
                ),
                (
                    "FunctionRole dynamodb:BatchWriteItem without an endpoint",
                    "none",
                    "deny".into()
                ),
                (
                    "another role dynamodb:BatchWriteItem through DynamoDbEndpoint",
                    "DynamoDbEndpoint",
                    "deny".into()
                ),
            ]
        );
    }
}

/// The template of the blueprint's first target with the role's grant edited by `edit`,
/// checked with the scenarios and claims the grant declared.
fn check_with_broken_grant(edit: impl Fn(&mut Value)) -> perimeter::check::Report {
    check_with_broken_policy("FunctionRoleGrants", edit)
}

/// The same, with the policy document of `resource` edited.
fn check_with_broken_policy(resource: &str, edit: impl Fn(&mut Value)) -> perimeter::check::Report {
    let b = parse(BLUEPRINT).unwrap();
    let (target, resolved) = &b.resolved[0];
    let props = resolved.props_of::<Props>().unwrap();
    let stack = dynamodb_private::construct::build(props, resolved.target()).unwrap();
    let scenarios = perimeter::project::scenarios_of(stack.intent());
    let claims = perimeter::project::claims_of(stack.intent());
    let mut t = stack.into_template();
    let policy = t.resources.get_mut(resource).unwrap();
    edit(policy.properties.get_mut("PolicyDocument").unwrap());
    let ctx = Context {
        account: target.account.to_string(),
        region: target.region.to_string(),
        scenarios,
        claims,
        ..Context::default()
    };
    check(&t, &t.to_json(), &ctx)
}

/// The grant's one statement, to edit.
fn statement(doc: &mut Value) -> &mut std::collections::BTreeMap<String, Value> {
    let Value::Map(m) = doc else { panic!("a map") };
    let Some(Value::List(statements)) = m.get_mut("Statement") else {
        panic!("statements")
    };
    let Value::Map(s) = &mut statements[0] else {
        panic!("a statement")
    };
    s
}

#[test]
fn the_grant_without_its_endpoint_condition_fails_check() {
    let intact = check_with_broken_grant(|_| {});
    assert!(intact.access.iter().all(|a| a.holds));
    let r = check_with_broken_grant(|doc| {
        statement(doc).remove("Condition").unwrap();
    });
    let failed: Vec<&str> = r
        .access
        .iter()
        .filter(|a| !a.holds)
        .map(|a| a.scenario.as_str())
        .collect();
    assert_eq!(
        failed,
        [
            "FunctionRole dynamodb:BatchGetItem without an endpoint",
            "FunctionRole dynamodb:BatchWriteItem without an endpoint"
        ]
    );
    let finding = r
        .findings
        .iter()
        .find(|f| f.rule.id == "A701")
        .expect("an access-simulation finding");
    assert!(
        finding
            .message
            .starts_with("FunctionRole dynamodb:BatchGetItem without an endpoint")
            && finding.message.contains("expected deny, got allow"),
        "{}",
        finding.message
    );
}

/// The grant's claim, proven for every request: the endpoint admits to the table only
/// the granted role. Its policy edited to admit another role of the account instead is
/// refuted with that role as the witness (the identity and network perimeters still
/// hold: the role is of the account, and the grant still needs the endpoint).
#[test]
fn the_endpoint_admitting_another_role_fails_the_grants_claim() {
    let intact = check_with_broken_grant(|_| {});
    assert!(
        intact.findings.iter().all(|f| f.rule.id != "A703"),
        "{:#?}",
        intact.findings
    );
    let r = check_with_broken_policy("DynamoDbEndpoint", |doc| {
        let Value::Map(m) = doc else { panic!("a map") };
        let Some(Value::List(statements)) = m.get_mut("Statement") else {
            panic!("statements")
        };
        let Value::Map(s) = &mut statements[1] else {
            panic!("a statement")
        };
        s.insert(
            "Condition".into(),
            perimeter::template::parse_value(
                r#"{"StringEquals": {"aws:PrincipalArn": "arn:aws:iam::333333333333:role/Other"}}"#,
            )
            .unwrap(),
        );
    });
    let claim = r
        .findings
        .iter()
        .find(|f| f.rule.id == "A703" && f.message.starts_with("claim perimeter"))
        .unwrap_or_else(|| panic!("a proof finding: {:#?}", r.findings));
    assert_eq!(claim.resource.as_deref(), Some("DynamoDbEndpoint"));
    assert!(
        claim
            .message
            .contains("which admits only ${FunctionRole.Arn}")
            && claim.message.starts_with("claim perimeter: refuted"),
        "{}",
        claim.message
    );
    let witness = claim.witness.as_ref().expect("a witness");
    assert_eq!(
        witness["principal"], "arn:aws:iam::333333333333:role/Other",
        "{witness}"
    );
    assert!(
        r.findings
            .iter()
            .filter(|f| f.rule.id == "A703")
            .all(|f| f.message.starts_with("claim perimeter")),
        "{:#?}",
        r.findings
    );
}

/// The one error of `text`, at `needle`'s line.
fn error_at(text: &str, needle: &str) -> BlueprintError {
    let errors = parse(text).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let e = errors.into_iter().next().unwrap();
    let line = text.lines().position(|l| l.contains(needle)).unwrap() + 1;
    assert_eq!(e.pos.map(|p| p.line), Some(line), "{e}");
    e
}

#[test]
fn a_bad_scenario_row_is_an_error_at_its_line_and_field_path() {
    let text = BLUEPRINT.replace("action: dynamodb:DeleteTable", "action: dynamodb:Delete*");
    let e = error_at(&text, "dynamodb:Delete*");
    assert_eq!(e.path, "scenarios[1].action");
    assert!(e.message.contains("without wildcards"), "{e}");

    let text = BLUEPRINT.replace(
        "    expected: deny\n  - name: a role",
        "    expected: deny\n    context:\n      aws:NoSuchKey: x\n  - name: a role",
    );
    let e = error_at(&text, "aws:NoSuchKey");
    assert_eq!(e.path, "scenarios[1].context.aws:NoSuchKey");

    let text = BLUEPRINT.replace("expected: deny", "expected: maybe");
    let errors = parse(&text).unwrap_err();
    assert!(
        errors[0].path.starts_with("scenarios[0].expected"),
        "{errors:#?}"
    );
    assert!(
        errors[0]
            .to_string()
            .starts_with("blueprints/dynamodb-private.yaml:")
    );
}

#[test]
fn a_missing_prefix_list_is_an_error_naming_the_setting() {
    let text = BLUEPRINT.replace(
        "      dynamodb_prefix_list_id: pl-66a5400f   # DynamoDB in eu-central-1\n",
        "",
    );
    let errors = parse(&text).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].path, "settings.dynamodb_prefix_list_id");
    assert!(
        errors[0].message.contains("in eu-central-1 is required"),
        "{}",
        errors[0]
    );
}

#[test]
fn out_and_the_schema_are_what_the_blueprint_and_the_program_make() {
    let o = Command::new(APP)
        .args(["synth", "--check"])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    let schema = perimeter::blueprint::json_schema(&solutions());
    let committed = std::fs::read_to_string(root().join("schema/blueprint.schema.json")).unwrap();
    assert_eq!(
        schema, committed,
        "run `dynamodb-private schema > schema/blueprint.schema.json`"
    );
    // The prod table is kept and protected; the dev one goes with its stack.
    let prod =
        std::fs::read_to_string(root().join("out/dynamodb-private/prod.template.json")).unwrap();
    let dev =
        std::fs::read_to_string(root().join("out/dynamodb-private/dev.template.json")).unwrap();
    assert!(
        prod.contains(r#""DeletionProtectionEnabled": true"#)
            && prod.contains(r#""DeletionPolicy": "Retain""#)
    );
    assert!(
        dev.contains(r#""DeletionProtectionEnabled": false"#)
            && dev.contains(r#""DeletionPolicy": "Delete""#)
    );
}
