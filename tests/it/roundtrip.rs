//! Parse, emit, parse gives the same model, for templates of many shapes: our own
//! (written the way AWS documents them) and the "good" fixtures that ship in the pinned
//! cfn-lint source distribution (fetched by scripts/fetch-cfn-lint-fixtures, not
//! committed). The re-emitted templates are written to target/lint/roundtrip/, where
//! scripts/test checks that cfn-lint finds nothing in them it did not find in the originals.

use crate::common;

use std::fmt::Write as _;
use std::path::Path;

use perimeter::template::{Format, Template};

/// Fixtures that cannot round-trip, and why. Each must still fail to parse, so the
/// list cannot go stale.
const EXCLUDED: &[(&str, &str)] = &[(
    "custom/is-defined.yaml",
    "has a top-level section named \"Parameter\", which CloudFormation rejects; it is a fixture for cfn-lint custom rules",
)];

fn round_trip(path: &Path) -> Result<Template, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let t = Template::parse_any(&text).map_err(|e| e.to_string())?;
    for format in [Format::Json, Format::Yaml] {
        let emitted = t.emit(format);
        let again = Template::parse(&emitted, format)
            .map_err(|e| format!("re-parsing our {format:?}: {e}\n{emitted}"))?;
        if again != t {
            return Err(format!("{format:?} round trip changed the model"));
        }
        // Emission is a fixed point: what we write, we write again byte for byte.
        if again.emit(format) != emitted {
            return Err(format!("{format:?} emission is not stable"));
        }
    }
    Ok(t)
}

fn write_reemitted(dir: &Path, name: &str, t: &Template, index: &mut String, original: &Path) {
    let json = dir.join(format!("{name}.json"));
    let yaml = dir.join(format!("{name}.yaml"));
    std::fs::write(&json, t.to_json()).unwrap();
    std::fs::write(&yaml, t.to_yaml()).unwrap();
    writeln!(
        index,
        "{}\t{}\t{}",
        original.display(),
        json.display(),
        yaml.display()
    )
    .unwrap();
}

#[test]
fn own_templates_round_trip() {
    let dir = common::root().join("tests/fixtures/templates");
    let files = common::templates_under(&dir);
    assert!(
        files.len() >= 8,
        "expected our fixture templates in {}",
        dir.display()
    );
    let out = common::lint_dir("roundtrip-own");
    let mut index = String::new();
    for f in &files {
        let t = round_trip(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let name = f.file_stem().unwrap().to_str().unwrap();
        write_reemitted(&out, name, &t, &mut index, f);
    }
    std::fs::write(out.join("index.tsv"), index).unwrap();
}

#[test]
#[ignore = "needs cfn-lint's fixture templates, fetched by scripts/fetch-cfn-lint-fixtures; scripts/test runs it"]
fn cfn_lint_fixtures_round_trip() {
    let dir = common::root().join("target/cfn-lint-fixtures/good");
    assert!(
        dir.is_dir(),
        "{} is missing: run scripts/fetch-cfn-lint-fixtures (scripts/test does) to extract the pinned cfn-lint's fixture templates",
        dir.display()
    );
    let out = common::lint_dir("roundtrip-cfn-lint");
    let mut index = String::new();
    let mut passed = 0;
    let mut failures = Vec::new();
    for f in common::templates_under(&dir) {
        let rel = f
            .strip_prefix(&dir)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let excluded = EXCLUDED.iter().find(|(p, _)| *p == rel);
        match (round_trip(&f), excluded) {
            (Ok(t), None) => {
                passed += 1;
                write_reemitted(&out, &rel.replace(['/', '.'], "_"), &t, &mut index, &f);
            }
            (Err(e), None) => failures.push(format!("{rel}: {e}")),
            (Ok(_), Some((_, why))) => failures.push(format!(
                "{rel} is excluded ({why}) but now round-trips: remove it from EXCLUDED"
            )),
            (Err(_), Some(_)) => {}
        }
    }
    std::fs::write(out.join("index.tsv"), index).unwrap();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        passed >= 80,
        "only {passed} cfn-lint fixtures round-tripped"
    );
}

#[test]
fn equivalent_spellings_are_one_model() {
    // GetAtt as "A.B" and as [A, B]; DependsOn as a string and as a list; short and long form.
    let yaml = "Resources:\n  A:\n    Type: AWS::SNS::Topic\n    DependsOn: B\n    Properties:\n      DisplayName: !GetAtt B.TopicName\n  B:\n    Type: AWS::SNS::Topic\n";
    let json = r#"{"Resources": {"B": {"Type": "AWS::SNS::Topic"}, "A": {"Type": "AWS::SNS::Topic", "DependsOn": ["B"], "Properties": {"DisplayName": {"Fn::GetAtt": ["B", "TopicName"]}}}}}"#;
    let long_yaml = "Resources:\n  A:\n    Type: AWS::SNS::Topic\n    DependsOn: [B]\n    Properties:\n      DisplayName:\n        Fn::GetAtt: B.TopicName\n  B:\n    Type: AWS::SNS::Topic\n";
    let a = Template::parse_any(yaml).unwrap();
    assert_eq!(a, Template::parse_any(json).unwrap());
    assert_eq!(a, Template::parse_any(long_yaml).unwrap());
}

#[test]
fn emission_order_is_documented_order() {
    let t = Template::parse_any(
        "Outputs:\n  O:\n    Value: x\nResources:\n  Z:\n    Properties:\n      B: 1\n      A: 2\n    Type: AWS::SNS::Topic\n  A:\n    Type: AWS::SNS::Topic\nDescription: d\nAWSTemplateFormatVersion: '2010-09-09'\n",
    )
    .unwrap();
    let y = t.to_yaml();
    let pos = |s: &str| y.find(s).unwrap_or_else(|| panic!("{s} missing in\n{y}"));
    assert!(pos("AWSTemplateFormatVersion") < pos("Description"));
    assert!(pos("Description") < pos("Resources"));
    assert!(pos("Resources") < pos("Outputs"));
    assert!(pos("  A:") < pos("  Z:"), "resources sorted by logical id");
    assert!(
        pos("Type: AWS::SNS::Topic\n    Properties") > 0,
        "Type before Properties"
    );
    assert!(
        pos("      A: 2") < pos("      B: 1"),
        "properties sorted by name"
    );
}

#[test]
fn yaml_strings_that_look_like_other_types_stay_strings() {
    let tricky = [
        "yes",
        "no",
        "on",
        "true",
        "null",
        "~",
        "012345678901",
        "1e3",
        "10.0.0.0/16",
        "!Ref x",
        "a: b",
        "a #b",
        "'q'",
        " lead",
        "trail ",
        "",
        "\n",
        "a\n",
        "line1\nline2",
        "\ttab",
        "*",
        "-1",
        "arn:aws:iam::123456789012:root",
        "2010-09-09",
        "- x",
        "{x}",
        "@x",
        "%x",
        "0x1F",
        "1_000",
        "12:30",
    ];
    let mut t = Template::default();
    let mut r = perimeter::template::Resource::new("AWS::SNS::Topic".parse().unwrap());
    for (i, s) in tricky.iter().enumerate() {
        r.properties.insert(format!("P{i:02}"), (*s).into());
    }
    t.resources.insert("T".parse().unwrap(), r);
    let y = t.to_yaml();
    assert_eq!(Template::parse(&y, Format::Yaml).unwrap(), t, "{y}");
}

// ---- what CloudFormation (and cfn-lint's PyYAML) read, and a strict reader refused ----

fn prop<'t>(t: &'t Template, id: &str, name: &str) -> &'t perimeter::template::Value {
    &t.resources[id].properties[name]
}

#[test]
fn yaml_quoted_scalar_continued_at_the_parent_keys_indentation() {
    let text = "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n    Properties:\n      DisplayName: \"a long name\n    continued at the key's indentation\"\n      TopicName: 'single\n    quoted'\n";
    let t = Template::parse_any(text).unwrap();
    assert_eq!(
        prop(&t, "Topic", "DisplayName").as_str(),
        Some("a long name continued at the key's indentation")
    );
    assert_eq!(
        prop(&t, "Topic", "TopicName").as_str(),
        Some("single quoted")
    );
}

#[test]
fn yaml_flow_sequence_closed_at_the_keys_column() {
    let text = "Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n    Properties:\n      Tags: [\n        {Key: team, Value: data},\n    ]\n    DependsOn: [\n    Topic]\n  Topic:\n    Type: AWS::SNS::Topic\n";
    let t = Template::parse_any(text).unwrap();
    let tags = prop(&t, "Queue", "Tags");
    assert_eq!(
        perimeter::diff::display(tags),
        "[{\"Key\":\"team\",\"Value\":\"data\"}]"
    );
    assert_eq!(t.resources["Queue"].depends_on.len(), 1);
    // A real indentation error is still one, at its place.
    let bad = "Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n   Properties: {}\n";
    let e = Template::parse_any(bad).unwrap_err();
    assert_eq!(e.pos.map(|p| p.line), Some(4), "{e}");
}

#[test]
fn a_template_that_starts_with_a_brace_but_is_yaml() {
    let t = Template::parse_any("{Resources: {Topic: {Type: AWS::SNS::Topic}}}\n").unwrap();
    assert_eq!(t.resources.len(), 1);
    // Broken JSON is reported as JSON.
    let e = Template::parse_any("{\"Resources\": {\"Topic\": }}").unwrap_err();
    assert!(e.to_string().contains("line 1"), "{e}");
}

#[test]
fn fn_foreach_is_expanded_for_diff_and_check() {
    let text = r#"Transform: AWS::LanguageExtensions
Parameters:
  Queues: {Type: CommaDelimitedList, Default: "orders,billing-eu"}
  Env: {Type: String}
Mappings:
  Buckets:
    prod: {Names: [logs, data]}
    dev: {Names: [logs, scratch]}
Resources:
  Fn::ForEach::Queues:
    - Name
    - !Ref Queues
    - Queue&{Name}:
        Type: AWS::SQS::Queue
        Properties:
          QueueName: !Sub "${AWS::StackName}-${Name}"
          Tags: [{Key: name, Value: !Ref Name}]
  Fn::ForEach::Buckets:
    - Bucket
    - !FindInMap [Buckets, !Ref Env, Names]
    - Fn::ForEach::Regions:
        - Region
        - [east, west]
        - ${Bucket}${Region}:
            Type: AWS::S3::Bucket
            Properties: {BucketName: !Sub "${Bucket}-${Region}"}
Outputs:
  Fn::ForEach::Out:
    - Name
    - [orders]
    - Queue${Name}Url: {Value: !Ref {"Fn::Sub": "Queue${Name}"}}
"#;
    let t = Template::parse_any(text).unwrap();
    let ids: Vec<&str> = t.resources.keys().map(|k| k.as_str()).collect();
    // `&{}` keeps alphanumerics only; a mapping key known only at deploy time takes every
    // key's list; loops nest.
    assert_eq!(
        ids,
        [
            "Queuebillingeu",
            "Queueorders",
            "dataeast",
            "datawest",
            "logseast",
            "logswest",
            "scratcheast",
            "scratchwest"
        ]
    );
    assert_eq!(
        perimeter::diff::display(prop(&t, "Queueorders", "QueueName")),
        "${AWS::StackName}-orders"
    );
    assert_eq!(
        perimeter::diff::display(prop(&t, "Queuebillingeu", "Tags")),
        "[{\"Key\":\"name\",\"Value\":\"billing-eu\"}]"
    );
    assert_eq!(
        prop(&t, "datawest", "BucketName").as_str(),
        Some("data-west")
    );
    assert_eq!(t.outputs.len(), 1);
    assert_eq!(
        perimeter::diff::display(&t.outputs["QueueordersUrl"].value),
        "${Queueorders}"
    );

    // A collection known only at deploy time is an error that says so.
    let e = Template::parse_any("Parameters:\n  L: {Type: CommaDelimitedList}\nResources:\n  Fn::ForEach::X:\n    - N\n    - !Ref L\n    - T${N}: {Type: AWS::SNS::Topic}\n").unwrap_err();
    assert!(e.to_string().contains("the collection is the parameter L, which has no default: it is known only at deploy time"), "{e}");
}

#[test]
fn yaml_leading_zero_reads_as_cloudformation_reads_it() {
    // CloudFormation reads YAML 1.1 integers: `000400` is octal, deployed as 256 (a
    // cfn-init file mode written unquoted gets the wrong permissions); found on the diff
    // corpus (quickstart-linux-bastion), where quoting was removed.
    let t = Template::parse_any(
        "Resources:\n  T:\n    Type: AWS::SNS::Topic\n    Properties:\n      DisplayName: '000550'\n      TopicName: 000550\n      Account: 012345678901\n      Zero: 0\n",
    )
    .unwrap();
    let p = |n: &str| perimeter::diff::display(prop(&t, "T", n));
    assert_eq!(p("DisplayName"), "000550");
    assert_eq!(p("TopicName"), "360");
    assert!(prop(&t, "T", "TopicName").as_str().is_none());
    assert_eq!(prop(&t, "T", "Account").as_str(), Some("012345678901"));
    assert_eq!(p("Zero"), "0");
}

#[test]
fn yaml_bare_pair_with_a_flow_value_inside_a_flow_sequence() {
    // Found on the diff corpus (aws-samples/serverless-patterns): `!Sub [text, Var: value]`
    // whose value is itself a flow collection.
    let text = "Resources:\n  Fn:\n    Type: AWS::SNS::Topic\n    Properties:\n      TopicName: !Sub [\n          \"hook-${ID}\",\n          ID: !Select [2, !Split [\"/\", !Ref AWS::StackId]],\n        ]\n";
    let t = Template::parse_any(text).unwrap();
    assert_eq!(
        perimeter::diff::to_json(prop(&t, "Fn", "TopicName")).to_string(),
        r#"{"Fn::Sub":["hook-${ID}",{"ID":{"Fn::Select":[2,{"Fn::Split":["/",{"Ref":"AWS::StackId"}]}]}}]}"#
    );
}
