//! A blueprint's `scenarios:` for any solution (here the built-in one): run by check on
//! the targets they are for, failing when the template does not do what they say, and
//! refused with their location when they cannot be run.

use crate::common;

use perimeter::blueprint::{Blueprint, Name};
use perimeter::project::check_blueprints;

const SHIPPED: &str = include_str!("../../blueprints/bedrock-private-access.yaml");

const SCENARIOS: &str = r#"
scenarios:
  - name: a role of another account through the endpoint
    principal: arn:aws:iam::999999999999:role/Elsewhere
    action: bedrock:InvokeModel
    resource: arn:${AWS::Partition}:bedrock:${AWS::Region}::foundation-model/amazon.titan-text-express-v1
    expected: deny
  - name: the function writes its logs from anywhere
    principal: FunctionRole
    action: logs:PutLogEvents
    resource: ${FunctionLogGroup.Arn}
    via: no-endpoint
    expected: allow
    targets: [dev]
"#;

fn parse(text: &str) -> Result<Blueprint, Vec<perimeter::blueprint::BlueprintError>> {
    Blueprint::parse(
        "bp".parse::<Name>().unwrap(),
        "blueprints/bp.yaml",
        text,
        &perimeter::solutions::builtin(),
    )
}

/// A target's declared rows (name, holds) and its findings' messages.
type Rows = (String, Vec<(String, bool)>, Vec<String>);

fn rows(text: &str) -> Vec<Rows> {
    let b = parse(text).unwrap_or_else(|e| panic!("{e:#?}"));
    check_blueprints(&[b], &common::all_targets())
        .unwrap()
        .into_iter()
        .map(|r| {
            let rows = r
                .access
                .iter()
                .filter(|a| a.declared)
                .map(|a| (a.scenario.clone(), a.holds))
                .collect();
            let findings = r.findings.iter().map(|f| f.message.clone()).collect();
            (r.target.unwrap_or_default(), rows, findings)
        })
        .collect()
}

#[test]
fn rows_run_on_the_targets_they_are_for_and_hold() {
    let got = rows(&format!("{SHIPPED}{SCENARIOS}"));
    let outside = (
        "a role of another account through the endpoint".to_string(),
        true,
    );
    let logs = (
        "the function writes its logs from anywhere".to_string(),
        true,
    );
    assert_eq!(got[0].0, "dev");
    assert_eq!(got[0].1, [outside.clone(), logs]);
    assert_eq!(got[1].0, "prod");
    assert_eq!(got[1].1, [outside]);
    assert!(got.iter().all(|(_, _, f)| f.is_empty()), "{got:#?}");
}

#[test]
fn a_row_the_template_does_not_bear_out_is_a_finding() {
    let text =
        format!("{SHIPPED}{SCENARIOS}").replace("    expected: deny\n", "    expected: allow\n");
    let got = rows(&text);
    for (target, rows, findings) in &got {
        assert!(!rows[0].1, "{target}: {rows:#?}");
        assert!(
            findings.iter().any(|m| m.starts_with(
                "a role of another account through the endpoint: Elsewhere bedrock:InvokeModel"
            ) && m.contains("expected allow")),
            "{target}: {findings:#?}"
        );
    }
}

#[test]
fn a_row_that_cannot_be_run_is_refused_where_it_is_written() {
    let text = format!("{SHIPPED}{SCENARIOS}");
    let cases = [
        (
            "principal: FunctionRole",
            "principal: function-role",
            "scenarios[1].principal",
        ),
        ("targets: [dev]", "targets: [qa]", "scenarios[1].targets[0]"),
        (
            "action: logs:PutLogEvents",
            "action: logs:Put*",
            "scenarios[1].action",
        ),
        (
            "    via: no-endpoint\n",
            "    via: no-endpoint\n    endpoint: LogsEndpoint\n",
            "scenarios[1].endpoint",
        ),
        (
            "    expected: deny\n",
            "    expected: deny\n    context: {aws:Nonsense: x}\n",
            "scenarios[0].context.aws:Nonsense",
        ),
    ];
    for (from, to, path) in cases {
        let errors = parse(&text.replacen(from, to, 1)).unwrap_err();
        assert_eq!(errors.len(), 1, "{to}: {errors:#?}");
        assert_eq!(errors[0].path, path);
        let line = errors[0].pos.expect("located").line;
        let written = text.replacen(from, to, 1);
        let at = written.lines().nth(line - 1).unwrap();
        assert!(
            to.lines()
                .any(|l| at.contains(l.trim_start().split(':').next().unwrap())),
            "{path} at line {line}: {at:?}"
        );
    }
}

#[test]
fn the_schema_describes_the_rows() {
    let schema = perimeter::blueprint::json_schema(&perimeter::solutions::builtin());
    let v: serde_json::Value = serde_json::from_str(&schema).unwrap();
    let spec = &v["$defs"]["ScenarioSpec"];
    let required: Vec<&str> = spec["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    assert_eq!(required, ["principal", "action", "resource", "expected"]);
    assert_eq!(spec["additionalProperties"], false);
}
