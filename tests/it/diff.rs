//! Golden tests of `perimeter diff` on the changes a reviewer must not miss, and
//! property tests: a template against itself, or against itself with set-like lists
//! shuffled, is no change; diff never panics on templates it can parse.

use crate::common;

use perimeter::constructs::*;
use perimeter::diff::render::{self, Report};
use perimeter::diff::{ChangeKind, Impact, TemplateDiff, diff};
use perimeter::iam::Effect;
use perimeter::solutions::bedrock_private_access::*;
use perimeter::template::{Template, Value};

fn base() -> BedrockPrivateAccessProps {
    let cidr: Cidr = "10.0.0.0/16".parse().unwrap();
    BedrockPrivateAccessProps {
        name: "golden".into(),
        vpc_cidr: cidr,
        azs: Azs::Count(2),
        subnets: cidr.carve(2, 24).unwrap(),
        ipam: None,
        models: vec!["anthropic.claude-instant-v1".parse().unwrap()],
        sources: Default::default(),
        destinations: Default::default(),
        application_inference_profile: false,
        endpoint_policy_effect: Effect::Allow,
        list_foundation_models: false,
        corporate_access: None,
        function: FunctionSettings {
            runtime: "python3.12".into(),
            memory_mb: 256,
            timeout_seconds: 30,
            log_retention_days: 30,
            retain_logs: false,
            s3_code: None,
            asset: None,
        },
        flow_log_retention_days: None,
        database: Some(DatabaseProps {
            name_tag: "golden".into(),
            instance_class: "db.t4g.micro".into(),
            engine_version: None,
            allocated_storage_gb: 20,
            database_name: "products".into(),
            multi_az: false,
            backup_retention_days: 7,
            deletion_protection: true,
            schema: SchemaSql {
                schema:
                    "CREATE TABLE IF NOT EXISTS products (name text PRIMARY KEY, description text);"
                        .into(),
                seed: String::new(),
            },
            s3_prefix_list: "pl-63a5400a".parse().unwrap(),
            read_tables: vec!["products".into()],
        }),
    }
}

fn template(p: &BedrockPrivateAccessProps) -> Template {
    BedrockPrivateAccess::template(p).unwrap()
}

fn res<'a>(t: &'a mut Template, id: &str) -> &'a mut perimeter::template::Resource {
    t.resources.get_mut(id).unwrap()
}

/// Renders both views and checks them against the golden files.
fn golden(name: &str, d: &TemplateDiff) {
    let report = Report::single("out/golden.template.json", d.clone());
    insta::assert_snapshot!(format!("{name}.terminal"), render::terminal(&report, false));
    insta::assert_snapshot!(format!("{name}.markdown"), render::markdown(&report));
    let json: serde_json::Value = serde_json::from_str(&render::json(&report)).unwrap();
    assert_eq!(json["schema_version"], 1);
}

fn impact(d: &TemplateDiff, id: &str) -> Impact {
    d.resources
        .iter()
        .find(|r| r.logical_id == id)
        .unwrap_or_else(|| panic!("{id} not in diff"))
        .impact
}

#[test]
fn endpoint_policy_flipped_to_deny() {
    let d = diff(
        &template(&base()),
        &template(&BedrockPrivateAccessProps {
            endpoint_policy_effect: Effect::Deny,
            ..base()
        }),
    );
    assert_eq!(
        impact(&d, "BedrockRuntimeEndpoint"),
        Impact::Update,
        "a policy change is an update, not a replacement"
    );
    let iam: Vec<(ChangeKind, &str)> = d.iam.iter().map(|c| (c.kind, c.effect.as_str())).collect();
    assert_eq!(
        iam,
        [(ChangeKind::Removed, "Allow"), (ChangeKind::Added, "Deny")]
    );
    assert!(!d.broadens(), "Allow to Deny narrows");
    // And back: Deny to Allow broadens.
    let back = diff(
        &template(&BedrockPrivateAccessProps {
            endpoint_policy_effect: Effect::Deny,
            ..base()
        }),
        &template(&base()),
    );
    assert!(back.broadens());
    golden("endpoint_policy_deny", &d);
}

#[test]
fn ingress_from_anywhere_added() {
    let old = template(&base());
    let mut new = old.clone();
    let sg = res(&mut new, "EndpointSecurityGroup");
    sg.properties.insert(
        "SecurityGroupIngress".into(),
        Value::List(vec![Value::map([
            ("CidrIp", Value::from("0.0.0.0/0")),
            ("IpProtocol", Value::from("tcp")),
            ("FromPort", Value::from(443)),
            ("ToPort", Value::from(443)),
        ])]),
    );
    let d = diff(&old, &new);
    assert_eq!(d.security_groups.len(), 1);
    let r = &d.security_groups[0];
    assert!(r.broadens && r.anywhere && r.direction == "ingress" && r.ports == "443");
    assert!(d.broadens());
    golden("ingress_anywhere", &d);
}

#[test]
fn vpc_cidr_change_replaces_along_references() {
    let cidr: Cidr = "10.9.0.0/16".parse().unwrap();
    let d = diff(
        &template(&base()),
        &template(&BedrockPrivateAccessProps {
            vpc_cidr: cidr,
            subnets: cidr.carve(2, 24).unwrap(),
            ..base()
        }),
    );
    for id in [
        "Vpc",
        "VpcPrivateSubnet1",
        "VpcPrivateSubnet1RouteTable",
        "VpcPrivateSubnet1RouteTableAssociation",
        "WorkloadSecurityGroup",
        "EndpointSecurityGroup",
        "BedrockRuntimeEndpoint",
        "DatabaseSecurityGroup",
    ] {
        assert_eq!(impact(&d, id), Impact::Replace, "{id}");
    }
    let chain = &d
        .resources
        .iter()
        .find(|r| r.logical_id == "VpcPrivateSubnet1RouteTableAssociation")
        .unwrap()
        .reasons;
    assert!(
        chain
            .iter()
            .any(|r| r.contains("SubnetId refers to VpcPrivateSubnet1, which is replaced")),
        "{chain:?}"
    );
    assert_eq!(
        impact(&d, "Function"),
        Impact::Update,
        "the function moves to the new subnets in place"
    );
    golden("vpc_cidr", &d);
}

#[test]
fn model_added_to_the_policies() {
    let mut models = base().models;
    models.push("anthropic.claude-3-haiku-20240307-v1:0".parse().unwrap());
    let d = diff(
        &template(&base()),
        &template(&BedrockPrivateAccessProps { models, ..base() }),
    );
    assert!(d.broadens(), "a model added widens the Allow");
    let added: Vec<&str> = d
        .iam
        .iter()
        .filter(|c| c.kind == ChangeKind::Added)
        .map(|c| c.location.as_str())
        .collect();
    assert!(
        added.iter().any(|l| l.contains("endpoint policy"))
            && added.iter().any(|l| l.contains("FunctionBedrockAccess")),
        "{added:?}"
    );
    assert!(
        d.iam
            .iter()
            .filter(|c| c.kind == ChangeKind::Added)
            .all(|c| c.resources.len() == 2)
    );
    golden("model_added", &d);
}

#[test]
fn reordered_rules_and_statements_are_no_change() {
    let old = template(&BedrockPrivateAccessProps {
        corporate_access: Some(CorporateAccess {
            cidr: "172.16.0.0/12".parse().unwrap(),
            amazon_side_asn: None,
            vgw_amazon_side_asn: None,
            direct_connect_gateway_id: Some("5f1a0c4e-9d3b-4a57-8e2f-0b6c1d2e3f40".into()),
            virtual_interface: None,
            dns: false,
            principals: vec![],
        }),
        ..base()
    });
    let mut new = old.clone();
    let sg = res(&mut new, "EndpointSecurityGroup");
    let mut rules = sg.properties["SecurityGroupIngress"]
        .as_list()
        .unwrap()
        .to_vec();
    rules.push(Value::map([
        ("CidrIp", Value::from("10.0.0.0/8")),
        ("IpProtocol", Value::from("tcp")),
        ("FromPort", Value::from(443)),
        ("ToPort", Value::from("443")),
    ]));
    sg.properties
        .insert("SecurityGroupIngress".into(), Value::List(rules.clone()));
    let mut old2 = old.clone();
    rules.reverse();
    // Same rules, other order, a port written as a string: no change.
    rules[0] = Value::map([
        ("CidrIp", Value::from("10.0.0.0/8")),
        ("IpProtocol", Value::from("tcp")),
        ("FromPort", Value::from("443")),
        ("ToPort", Value::from(443)),
    ]);
    res(&mut old2, "EndpointSecurityGroup")
        .properties
        .insert("SecurityGroupIngress".into(), Value::List(rules));
    let d = diff(&old2, &new);
    assert!(d.is_empty(), "{d:#?}");
    // Subnets listed the other way round in an endpoint: also no change.
    let mut swapped = old.clone();
    if let Some(Value::List(l)) = res(&mut swapped, "BedrockRuntimeEndpoint")
        .properties
        .get_mut("SubnetIds")
    {
        l.reverse();
    }
    assert!(diff(&old, &swapped).is_empty());
    golden("reorder", &d);
}

#[test]
fn database_replaced_without_snapshot_is_flagged() {
    let old = template(&base());
    let mut new = old.clone();
    let db = res(&mut new, "Database");
    db.properties
        .insert("MasterUsername".into(), Value::from("admin2"));
    db.update_replace_policy = None;
    let d = diff(&old, &new);
    let r = d
        .resources
        .iter()
        .find(|r| r.logical_id == "Database")
        .unwrap();
    assert_eq!(r.impact, Impact::Replace);
    assert!(r.data_loss && d.destructive());
    // With the snapshot policy kept, the same replacement is not a data-loss risk.
    let mut kept = old.clone();
    res(&mut kept, "Database")
        .properties
        .insert("MasterUsername".into(), Value::from("admin2"));
    assert!(!diff(&old, &kept).destructive());
    // Removing a log group without Retain destroys its data.
    let mut gone = old.clone();
    gone.resources.remove("FunctionLogGroup");
    let g = diff(&old, &gone);
    assert!(
        g.resources
            .iter()
            .any(|r| r.logical_id == "FunctionLogGroup"
                && r.impact == Impact::Destroy
                && r.data_loss)
    );
    golden("database_replaced", &d);
}

#[test]
fn inline_code_edit_is_a_line_diff() {
    let old = template(&BedrockPrivateAccessProps {
        flow_log_retention_days: None,
        database: None,
        ..base()
    });
    let mut new = old.clone();
    let f = res(&mut new, "Function");
    let code = f.properties["Code"].as_map().unwrap()["ZipFile"]
        .as_str()
        .unwrap()
        .replace("maxTokens\": 512", "maxTokens\": 1024");
    f.properties
        .insert("Code".into(), Value::map([("ZipFile", Value::from(code))]));
    let d = diff(&old, &new);
    assert_eq!(impact(&d, "Function"), Impact::Update);
    let out = render::terminal(&Report::single("x", d.clone()), false);
    assert!(
        out.contains("-         inferenceConfig={\"maxTokens\": 512},")
            && out.contains("+         inferenceConfig={\"maxTokens\": 1024},"),
        "{out}"
    );
    golden("inline_code", &d);
}

#[test]
fn a_policy_held_as_a_json_string_diffs_by_line() {
    let doc = |action: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"*"}}]}}"#
        )
    };
    let t = |action: &str| {
        Template::parse_any(&format!("Resources:\n  P:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument: '{}'\n", doc(action))).unwrap()
    };
    let d = diff(&t("s3:GetObject"), &t("s3:*"));
    let out = render::terminal(&Report::single("x", d.clone()), false);
    let line = |sign: char, text: &str| {
        out.lines()
            .any(|l| l.trim_start().starts_with(sign) && l.contains(text))
    };
    assert!(
        line('-', "\"Action\": \"s3:GetObject\",") && line('+', "\"Action\": \"s3:*\","),
        "{out}"
    );
    assert!(
        d.broadens(),
        "a string policy is read for the IAM section too"
    );
}

#[test]
fn type_change_replaces_and_outputs_and_parameters_are_compared() {
    let old = Template::parse_any("Parameters:\n  P:\n    Type: String\nResources:\n  Q:\n    Type: AWS::SQS::Queue\nOutputs:\n  O:\n    Value: !Ref Q\n").unwrap();
    let new = Template::parse_any("Parameters:\n  P:\n    Type: String\n    Default: x\nResources:\n  Q:\n    Type: AWS::SNS::Topic\nOutputs:\n  O:\n    Value: !GetAtt Q.TopicName\n").unwrap();
    let d = diff(&old, &new);
    let q = &d.resources[0];
    assert_eq!(
        (q.impact, q.old_type.as_deref(), q.data_loss),
        (Impact::Replace, Some("AWS::SQS::Queue"), true)
    );
    let sections: Vec<(&str, &str)> = d
        .sections
        .iter()
        .map(|s| (s.section.as_str(), s.name.as_str()))
        .collect();
    assert_eq!(sections, [("Parameters", "P"), ("Outputs", "O")]);
}

// ---- property tests ----

mod props {
    use super::*;
    use common::arb::template;
    use perimeter::diff::cursor::Cursor;
    use perimeter::resources::facts;
    use proptest::prelude::*;

    /// Shuffles, with `seed`, every list the diff treats as a set.
    fn shuffle(v: &mut Value, at: Cursor, seed: &mut u64) {
        let mut next = || {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            *seed
        };
        match v {
            Value::List(items) => {
                if at.is_set() {
                    for i in (1..items.len()).rev() {
                        let j = (next() % (i as u64 + 1)) as usize;
                        items.swap(i, j);
                    }
                }
                for x in items.iter_mut() {
                    shuffle(x, at.item(), seed);
                }
            }
            Value::Map(m) => {
                let keys: Vec<String> = m.keys().cloned().collect();
                for k in &keys {
                    shuffle(m.get_mut(k).unwrap(), at.field(k), seed);
                }
            }
            _ => {}
        }
    }

    fn shuffled(t: &Template, mut seed: u64) -> Template {
        let mut t = t.clone();
        for r in t.resources.values_mut() {
            let f = facts::lookup(r.resource_type.as_str());
            let mut props = Value::Map(std::mem::take(&mut r.properties));
            shuffle(&mut props, Cursor::properties(f.as_deref()), &mut seed);
            if let Value::Map(m) = props {
                r.properties = m;
            }
        }
        t
    }

    /// The solution's templates and our own fixtures (AWS-doc style).
    fn real_templates() -> Vec<Template> {
        let mut out = vec![
            template_of(&base()),
            template_of(&BedrockPrivateAccessProps {
                list_foundation_models: true,
                corporate_access: Some(CorporateAccess {
                    cidr: "172.16.0.0/12".parse().unwrap(),
                    amazon_side_asn: None,
                    vgw_amazon_side_asn: None,
                    direct_connect_gateway_id: Some("5f1a0c4e-9d3b-4a57-8e2f-0b6c1d2e3f40".into()),
                    virtual_interface: None,
                    dns: false,
                    principals: vec![],
                }),
                ..base()
            }),
        ];
        out.extend(templates_in("tests/fixtures/templates"));
        out
    }

    /// The "good" fixtures of the pinned cfn-lint, fetched by scripts/fetch-cfn-lint-fixtures.
    fn cfn_lint_fixtures() -> Vec<Template> {
        let d = common::root().join("target/cfn-lint-fixtures/good");
        assert!(
            d.is_dir(),
            "{} is missing: run scripts/fetch-cfn-lint-fixtures",
            d.display()
        );
        templates_in("target/cfn-lint-fixtures/good")
    }

    fn templates_in(dir: &str) -> Vec<Template> {
        common::templates_under(&common::root().join(dir))
            .iter()
            .filter_map(|f| Template::parse_any(&std::fs::read_to_string(f).unwrap()).ok())
            .collect()
    }

    fn assert_shuffles_are_no_change(all: &[Template]) {
        for (i, t) in all.iter().enumerate() {
            for seed in [1u64, 7, 42, 1 << 40] {
                let d = diff(t, &shuffled(t, seed + i as u64));
                assert!(d.is_empty(), "template {i}, seed {seed}: {d:#?}");
            }
        }
    }

    fn template_of(p: &BedrockPrivateAccessProps) -> Template {
        super::template(p)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn a_template_against_itself_is_no_change(t in template()) {
            prop_assert!(diff(&t, &t).is_empty());
        }

        #[test]
        fn diff_of_random_templates_never_panics_and_is_symmetric_in_size(a in template(), b in template()) {
            let ab = diff(&a, &b);
            let ba = diff(&b, &a);
            prop_assert_eq!(ab.is_empty(), ba.is_empty());
            let _ = render::terminal(&Report::single("x", ab.clone()), true);
            let _ = render::markdown(&Report::single("x", ab));
        }

        #[test]
        fn shuffled_sets_of_random_templates_are_no_change(t in template(), seed in 1u64..u64::MAX) {
            prop_assert!(diff(&t, &shuffled(&t, seed)).is_empty());
        }
    }

    #[test]
    fn shuffled_sets_of_real_templates_are_no_change() {
        let all = real_templates();
        assert!(all.len() >= 8, "{}", all.len());
        assert_shuffles_are_no_change(&all);
    }

    #[test]
    #[ignore = "needs cfn-lint's fixture templates, fetched by scripts/fetch-cfn-lint-fixtures; scripts/test runs it"]
    fn shuffled_sets_of_cfn_lint_fixtures_are_no_change() {
        let all = cfn_lint_fixtures();
        assert!(all.len() > 80, "{}", all.len());
        assert_shuffles_are_no_change(&all);
    }

    fn assert_pairs_diff_without_panic(all: &[Template]) {
        for a in all {
            assert!(diff(a, a).is_empty());
            for b in all.iter().take(20) {
                let d = diff(a, b);
                let _ = render::terminal(&Report::single("x", d.clone()), false);
                let _ = render::json(&Report::single("x", d));
            }
        }
    }

    #[test]
    fn every_pair_of_real_templates_diffs_without_panic() {
        assert_pairs_diff_without_panic(&real_templates());
    }

    #[test]
    #[ignore = "needs cfn-lint's fixture templates, fetched by scripts/fetch-cfn-lint-fixtures; scripts/test runs it"]
    fn every_pair_of_cfn_lint_fixtures_diffs_without_panic() {
        let mut all = real_templates();
        all.extend(cfn_lint_fixtures());
        assert_pairs_diff_without_panic(&all);
    }
}

#[test]
fn every_policy_source_is_in_the_iam_section() {
    let old = Template::parse_any(
        r#"
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
  BucketPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: b
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - {Sid: TlsOnly, Effect: Deny, Principal: "*", Action: "s3:*", Resource: "arn:aws:s3:::b/*", Condition: {Bool: {aws:SecureTransport: "false"}}}
"#,
    )
    .unwrap();
    let new = Template::parse_any(
        r#"
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {Service: [lambda.amazonaws.com, ec2.amazonaws.com]}, Action: sts:AssumeRole}]
      ManagedPolicyArns: [arn:aws:iam::aws:policy/ReadOnlyAccess]
  BucketPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: b
      PolicyDocument:
        Version: "2012-10-17"
        Statement: []
  Invoke:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: f
      Principal: s3.amazonaws.com
      SourceArn: arn:aws:s3:::b
"#,
    )
    .unwrap();
    let d = diff(&old, &new);
    let row = |loc: &str, kind: ChangeKind| {
        d.iam
            .iter()
            .find(|c| c.location == loc && c.kind == kind)
            .unwrap_or_else(|| panic!("{loc} {kind:?} in {:#?}", d.iam))
    };
    let trust = row("Role trust policy", ChangeKind::Added);
    assert!(
        trust.broadens
            && trust
                .principals
                .contains(&"Service:ec2.amazonaws.com".to_string())
    );
    assert!(row("Role managed policies", ChangeKind::Added).broadens);
    let deny = row("BucketPolicy resource policy", ChangeKind::Removed);
    assert!(deny.broadens, "removing a Deny permits what it stopped");
    let perm = row("Invoke Lambda permission", ChangeKind::Added);
    assert!(perm.broadens && perm.conditions == ["SourceArn: arn:aws:s3:::b"]);
    // A reordered trust policy principal list is no change.
    let reordered = Template::parse_any(
        &new.to_yaml()
            .replace("- lambda.amazonaws.com\n", "- TEMP\n")
            .replace("- ec2.amazonaws.com\n", "- lambda.amazonaws.com\n")
            .replace("- TEMP\n", "- ec2.amazonaws.com\n"),
    )
    .unwrap();
    assert_ne!(reordered, new, "the principals really are in another order");
    assert!(diff(&new, &reordered).is_empty());
}

#[test]
fn an_orphan_reads_as_removed_in_every_view() {
    let old = Template::parse_any("Resources:\n  Logs:\n    Type: AWS::Logs::LogGroup\n    DeletionPolicy: Retain\n    Properties:\n      RetentionInDays: 7\n").unwrap();
    let d = diff(&old, &Template::default());
    assert_eq!(
        (d.resources[0].impact, d.resources[0].data_loss),
        (Impact::Orphan, false),
        "retained: no data lost"
    );
    let report = Report::single("x", d);
    let md = render::markdown(&report);
    assert!(
        md.contains("| - | `Logs` | AWS::Logs::LogGroup | **orphan** |")
            && md.contains("- Logs (orphan)"),
        "{md}"
    );
    assert!(render::terminal(&report, false).contains("[-] AWS::Logs::LogGroup Logs: orphan"));
}

// ---- IAM statements and security group rules behind Fn::If (issue 13) ----

fn yaml(text: &str) -> Template {
    Template::parse_any(text).unwrap()
}

/// Puts a statement into a role's properties, behind `Fn::If` at some level.
type Wrap = fn(&str) -> String;

/// A role whose one statement sits behind `Fn::If` at the level `wrap` puts it.
fn role_with(statement: &str, wrap: Wrap) -> Template {
    yaml(&format!(
        "Conditions:\n  IsProd: !Equals [!Ref AWS::AccountId, '222222222222']\nResources:\n  Role:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument: {{Statement: [{{Effect: Allow, Principal: {{Service: lambda.amazonaws.com}}, Action: 'sts:AssumeRole'}}]}}\n{}",
        wrap(statement)
    ))
}

const NARROW: &str = "{Effect: Allow, Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/*'}";
const WIDE: &str = "{Effect: Allow, Action: 's3:*', Resource: '*'}";

#[test]
fn fn_if_iam_statement_widened_in_a_branch_is_broadening_at_every_level() {
    let levels: [(&str, Wrap); 5] = [
        ("statement", |s| {
            format!(
                "      Policies:\n        - PolicyName: data\n          PolicyDocument:\n            Statement:\n              - !If [IsProd, {s}, !Ref AWS::NoValue]\n"
            )
        }),
        ("statement list", |s| {
            format!(
                "      Policies:\n        - PolicyName: data\n          PolicyDocument:\n            Statement: !If [IsProd, [{s}], []]\n"
            )
        }),
        ("policy document", |s| {
            format!(
                "      Policies:\n        - PolicyName: data\n          PolicyDocument: !If [IsProd, {{Statement: [{s}]}}, {{Statement: []}}]\n"
            )
        }),
        ("policy list element", |s| {
            format!(
                "      Policies:\n        - !If [IsProd, {{PolicyName: data, PolicyDocument: {{Statement: [{s}]}}}}, !Ref AWS::NoValue]\n"
            )
        }),
        ("whole property", |s| {
            format!(
                "      Policies: !If [IsProd, [{{PolicyName: data, PolicyDocument: {{Statement: [{s}]}}}}], []]\n"
            )
        }),
    ];
    for (level, wrap) in levels {
        let d = diff(&role_with(NARROW, wrap), &role_with(WIDE, wrap));
        assert!(d.broadens(), "{level}: {:#?}", d.iam);
        let added: Vec<_> = d
            .iam
            .iter()
            .filter(|c| c.kind == ChangeKind::Added)
            .collect();
        assert_eq!(added.len(), 1, "{level}: {:#?}", d.iam);
        assert_eq!(
            added[0].location, "Role inline policy data [if IsProd]",
            "{level}"
        );
        assert_eq!(added[0].actions, ["s3:*"], "{level}");
        assert!(added[0].broadens, "{level}");
        // The same statement, unchanged, is no IAM change.
        assert!(
            diff(&role_with(NARROW, wrap), &role_with(NARROW, wrap))
                .iam
                .is_empty()
        );
    }
}

#[test]
fn fn_if_whole_properties_and_the_else_branch_are_labelled() {
    let managed = |s: &str| {
        yaml(&format!(
            "Conditions:\n  IsProd: !Equals [a, b]\nResources:\n  Policy:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      Fn::If:\n        - IsProd\n        - PolicyDocument: {{Statement: [{NARROW}]}}\n        - PolicyDocument: {{Statement: [{s}]}}\n"
        ))
    };
    let d = diff(&managed(NARROW), &managed(WIDE));
    assert!(d.broadens());
    let added: Vec<_> = d
        .iam
        .iter()
        .filter(|c| c.kind == ChangeKind::Added)
        .collect();
    assert_eq!(added.len(), 1, "{:#?}", d.iam);
    assert_eq!(added[0].location, "Policy policy [unless IsProd]");
}

#[test]
fn fn_if_security_group_rule_widened_to_anywhere_is_broadening() {
    let group = |cidr: &str, wrap: bool| {
        let rule = format!("{{IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: {cidr}}}");
        let ingress = if wrap {
            format!("[!If [IsProd, {rule}, !Ref AWS::NoValue]]")
        } else {
            format!("!If [IsProd, [{rule}], []]")
        };
        yaml(&format!(
            "Conditions:\n  IsProd: !Equals [a, b]\nResources:\n  Web:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: web\n      SecurityGroupIngress: {ingress}\n"
        ))
    };
    for wrap in [true, false] {
        let d = diff(&group("10.0.0.0/8", wrap), &group("0.0.0.0/0", wrap));
        assert!(d.broadens(), "{:#?}", d.security_groups);
        let added: Vec<_> = d
            .security_groups
            .iter()
            .filter(|c| c.kind == ChangeKind::Added)
            .collect();
        assert_eq!(added.len(), 1);
        assert_eq!(added[0].group, "Web [if IsProd]");
        assert!(added[0].anywhere && added[0].broadens);
    }
}

#[test]
fn fn_if_broadening_fails_the_cli_with_fail_on_broadening() {
    let dir = tempfile::tempdir().unwrap();
    let wrap: Wrap = |s| {
        format!(
            "      Policies:\n        - PolicyName: data\n          PolicyDocument:\n            Statement:\n              - !If [IsProd, {s}, !Ref AWS::NoValue]\n"
        )
    };
    std::fs::write(
        dir.path().join("old.yaml"),
        role_with(NARROW, wrap).to_yaml(),
    )
    .unwrap();
    std::fs::write(dir.path().join("new.yaml"), role_with(WIDE, wrap).to_yaml()).unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_perimeter"))
        .args(["diff", "old.yaml", "new.yaml", "--fail-on", "broadening"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
}

// ---- one impact lattice, spread along references; leaf-wise certainty (issue 13) ----

fn verdict(old: &str, new: &str, id: &str) -> (Impact, Vec<String>) {
    let d = diff(&yaml(old), &yaml(new));
    let r = d
        .resources
        .iter()
        .find(|r| r.logical_id == id)
        .unwrap_or_else(|| panic!("{id} not in the diff: {:#?}", d.resources));
    (r.impact, r.reasons.clone())
}

#[test]
fn may_replace_spreads_along_references_like_replace() {
    let t = |cidr: &str| {
        format!(
            "Parameters:\n  A: {{Type: String}}\n  B: {{Type: String}}\nResources:\n  Vpc:\n    Type: AWS::EC2::VPC\n    Properties: {{CidrBlock: !Ref {cidr}}}\n  Subnet:\n    Type: AWS::EC2::Subnet\n    Properties: {{VpcId: !Ref Vpc, CidrBlock: 10.0.0.0/24}}\n  Group:\n    Type: AWS::EC2::SecurityGroup\n    Properties: {{GroupDescription: g, VpcId: !Ref Vpc}}\n"
        )
    };
    let (old, new) = (t("A"), t("B"));
    assert_eq!(verdict(&old, &new, "Vpc").0, Impact::MayReplace);
    for id in ["Subnet", "Group"] {
        let (impact, reasons) = verdict(&old, &new, id);
        assert_eq!(impact, Impact::MayReplace, "{id}");
        assert_eq!(
            reasons,
            ["VpcId refers to Vpc, which may be replaced (CidrBlock changes)"],
            "{id}"
        );
    }
}

#[test]
fn create_only_literal_change_beside_an_intrinsic_is_a_certain_replacement() {
    let t = |memory: u32| {
        format!(
            "Parameters:\n  Image: {{Type: String}}\nResources:\n  Task:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n      ContainerDefinitions:\n        - Name: app\n          Image: !Ref Image\n          Memory: {memory}\n"
        )
    };
    let (impact, reasons) = verdict(&t(512), &t(1024), "Task");
    assert_eq!(impact, Impact::Replace, "{reasons:?}");
    assert_eq!(reasons, ["ContainerDefinitions changes (create-only)"]);
    // Only the intrinsic differs: what it resolves to decides.
    let r = |image: &str| t(512).replace("!Ref Image", image);
    let (impact, _) = verdict(&r("!Ref Image"), &r("!Sub '${Image}:2'"), "Task");
    assert_eq!(impact, Impact::MayReplace);
}

#[test]
fn fn_sub_literal_text_change_of_a_create_only_name_is_a_certain_replacement() {
    let t = |name: &str| {
        format!(
            "Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n    Properties: {{QueueName: !Sub '${{AWS::StackName}}-{name}'}}\n"
        )
    };
    let (impact, reasons) = verdict(&t("queue"), &t("jobs"), "Queue");
    assert_eq!(impact, Impact::Replace, "{reasons:?}");
    // Other variables: it depends on the deployment.
    let (impact, _) = verdict(
        &t("queue"),
        &t("queue").replace("AWS::StackName", "AWS::Region"),
        "Queue",
    );
    assert_eq!(impact, Impact::MayReplace);
}

#[test]
fn create_only_property_added_or_removed_is_a_certain_replacement() {
    let without = "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n";
    let with = "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n    Properties: {BucketName: !Sub '${AWS::StackName}-data'}\n";
    for (old, new) in [(without, with), (with, without)] {
        let (impact, reasons) = verdict(old, new, "Bucket");
        assert_eq!(impact, Impact::Replace, "{reasons:?}");
        assert_eq!(reasons, ["BucketName changes (create-only)"]);
    }
}

#[test]
fn conditional_create_only_reads_may_replace_whether_edited_or_reached_by_reference() {
    let t = |bus_name: &str, rule_bus: &str| {
        format!(
            "Resources:\n  Bus:\n    Type: AWS::Events::EventBus\n    Properties: {{Name: {bus_name}}}\n  Rule:\n    Type: AWS::Events::Rule\n    Properties:\n      EventBusName: {rule_bus}\n      EventPattern: {{source: [app]}}\n"
        )
    };
    // Edited directly.
    let (direct, _) = verdict(&t("orders", "orders"), &t("orders", "billing"), "Rule");
    // Changed because the bus it names is replaced.
    let (by_reference, reasons) =
        verdict(&t("orders", "!Ref Bus"), &t("billing", "!Ref Bus"), "Rule");
    assert_eq!(direct, Impact::MayReplace);
    assert_eq!(by_reference, Impact::MayReplace);
    assert_eq!(
        reasons,
        ["EventBusName refers to Bus, which is replaced (Name changes)"]
    );
}

// ---- IAM statements compared by content across one holder's policies (issue 13) ----

#[test]
fn inline_policy_renamed_with_the_same_statements_is_no_broadening() {
    let role = |name: &str| {
        format!(
            "Resources:\n  Role:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument: {{Statement: [{{Effect: Allow, Principal: {{Service: lambda.amazonaws.com}}, Action: 'sts:AssumeRole'}}]}}\n      Policies:\n        - PolicyName: {name}\n          PolicyDocument: {{Statement: [{NARROW}]}}\n  Other:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument: {{Statement: [{{Effect: Allow, Principal: {{Service: lambda.amazonaws.com}}, Action: 'sts:AssumeRole'}}]}}\n"
        )
    };
    let d = diff(&yaml(&role("read")), &yaml(&role("read-data")));
    assert_eq!(d.iam.len(), 2, "{:#?}", d.iam);
    assert!(!d.broadens(), "{:#?}", d.iam);

    // Moved into an AWS::IAM::Policy attached to the same role: no broadening; attached
    // to another role: broadening.
    let moved = |to: &str| {
        format!(
            "Resources:\n  Role:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument: {{Statement: [{{Effect: Allow, Principal: {{Service: lambda.amazonaws.com}}, Action: 'sts:AssumeRole'}}]}}\n  Other:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument: {{Statement: [{{Effect: Allow, Principal: {{Service: lambda.amazonaws.com}}, Action: 'sts:AssumeRole'}}]}}\n  Read:\n    Type: AWS::IAM::Policy\n    Properties:\n      PolicyName: read\n      Roles: [!Ref {to}]\n      PolicyDocument: {{Statement: [{NARROW}]}}\n"
        )
    };
    let d = diff(&yaml(&role("read")), &yaml(&moved("Role")));
    assert!(!d.broadens(), "{:#?}", d.iam);
    let d = diff(&yaml(&role("read")), &yaml(&moved("Other")));
    assert!(d.broadens(), "{:#?}", d.iam);
}

#[test]
fn a_trust_condition_turned_from_the_own_account_to_a_literal_one_is_broadening() {
    // AWS::AccountId stands for an account neither template names: a literal account,
    // whichever it is (123456789012 once was the one AWS::AccountId was bound to), is
    // another account, so the trust now admits a caller it did not.
    let trust = |account: &str| {
        format!(
            "Resources:\n  Role:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument: {{Statement: [{{Effect: Allow, Principal: {{Service: vpc-flow-logs.amazonaws.com}}, Action: 'sts:AssumeRole', Condition: {{StringEquals: {{'aws:SourceAccount': {account}}}}}}}]}}\n"
        )
    };
    for literal in ["123456789012", "555555555555"] {
        let d = perimeter::check::broadening::diff(
            &yaml(&trust("!Ref AWS::AccountId")),
            &yaml(&trust(&format!("'{literal}'"))),
        );
        assert!(d.broadens(), "{literal}: {:#?}", d.iam);
        assert!(
            d.iam.iter().all(|c| c.basis == "proven"),
            "{literal}: {:#?}",
            d.iam
        );
    }
    // The same account on both sides: nothing new.
    let d = perimeter::check::broadening::diff(
        &yaml(&trust("!Ref AWS::AccountId")),
        &yaml(&trust("!Sub '${AWS::AccountId}'")),
    );
    assert!(!d.broadens(), "{:#?}", d.iam);
}

#[test]
fn json_names_may_replace_the_same_in_resources_and_summary() {
    let t = |p: &str| {
        format!(
            "Parameters:\n  {p}: {{Type: String}}\nResources:\n  Vpc:\n    Type: AWS::EC2::VPC\n    Properties: {{CidrBlock: !Ref {p}}}\n"
        )
    };
    let report = Report::single("t.yaml", diff(&yaml(&t("A")), &yaml(&t("B"))));
    let json: serde_json::Value = serde_json::from_str(&render::json(&report)).unwrap();
    assert_eq!(
        json["files"][0]["diff"]["resources"][0]["impact"],
        "may replace"
    );
    assert_eq!(json["summary"]["impacts"]["may replace"], 1);
}

// ---- Mappings and parameter defaults feeding properties (issue 13) ----

fn mapped(us: &str, eu: &str, key: &str) -> String {
    format!(
        "Parameters:\n  Env: {{Type: String, Default: prod}}\nMappings:\n  Net:\n    us-east-1: {{Cidr: {us}}}\n    eu-west-1: {{Cidr: {eu}}}\n    prod: {{Cidr: {us}}}\nResources:\n  Vpc:\n    Type: AWS::EC2::VPC\n    Properties:\n      CidrBlock: !FindInMap [Net, {key}, Cidr]\n      Tags: [{{Key: Name, Value: !FindInMap [Net, {key}, Cidr]}}]\n  Subnet:\n    Type: AWS::EC2::Subnet\n    Properties: {{VpcId: !Ref Vpc, CidrBlock: 10.0.0.0/24}}\n"
    )
}

#[test]
fn mapping_change_feeding_a_create_only_property_replaces_and_spreads() {
    // A literal key: certain.
    let (impact, reasons) = verdict(
        &mapped("10.0.0.0/16", "10.1.0.0/16", "prod"),
        &mapped("10.2.0.0/16", "10.1.0.0/16", "prod"),
        "Vpc",
    );
    assert_eq!(impact, Impact::Replace, "{reasons:?}");
    assert!(
        reasons.contains(
            &"CidrBlock changes through a mapping: 10.0.0.0/16 → 10.2.0.0/16".to_string()
        ),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("Tags changes through a mapping"))
    );
    let (impact, reasons) = verdict(
        &mapped("10.0.0.0/16", "10.1.0.0/16", "prod"),
        &mapped("10.2.0.0/16", "10.1.0.0/16", "prod"),
        "Subnet",
    );
    assert_eq!(impact, Impact::Replace);
    assert_eq!(
        reasons,
        ["VpcId refers to Vpc, which is replaced (CidrBlock changes through a mapping)"]
    );
}

#[test]
fn mapping_keyed_by_region_replaces_where_its_value_changes() {
    let region = "!Ref AWS::Region";
    // One region's value changes: replaced there only.
    let (impact, reasons) = verdict(
        &mapped("10.0.0.0/16", "10.1.0.0/16", region),
        &mapped("10.0.0.0/16", "10.9.0.0/16", region),
        "Vpc",
    );
    assert_eq!(impact, Impact::MayReplace);
    assert!(
        reasons.contains(
            &"CidrBlock changes through a mapping for eu-west-1: 10.1.0.0/16 → 10.9.0.0/16"
                .to_string()
        ),
        "{reasons:?}"
    );
    // Every key's value changes: replaced wherever it is deployed.
    let all = |c: &str| mapped(c, c, region).replace("prod: {Cidr: ", "# prod: {Cidr: ");
    let (impact, _) = verdict(&all("10.0.0.0/16"), &all("10.5.0.0/16"), "Vpc");
    assert_eq!(impact, Impact::Replace);
}

#[test]
fn parameter_default_change_feeding_a_create_only_property_may_replace() {
    let t = |default: &str| {
        format!(
            "Parameters:\n  QueueName: {{Type: String, Default: {default}}}\nResources:\n  Queue:\n    Type: AWS::SQS::Queue\n    Properties: {{QueueName: !Ref QueueName, DelaySeconds: 0}}\n"
        )
    };
    let (impact, reasons) = verdict(&t("jobs"), &t("work"), "Queue");
    assert_eq!(impact, Impact::MayReplace, "{reasons:?}");
    assert_eq!(
        reasons,
        [
            "QueueName changes through a parameter default (a deployment may pass another value): jobs → work"
        ]
    );
}

// ---- SAM types from the SAM specification; types no schema knows (issue 13) ----

fn fail_on(old: &str, new: &str, risk: &str) -> Option<i32> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("old.yaml"), old).unwrap();
    std::fs::write(dir.path().join("new.yaml"), new).unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_perimeter"))
        .args(["diff", "old.yaml", "new.yaml", "--fail-on", risk])
        .current_dir(dir.path())
        .output()
        .unwrap()
        .status
        .code()
}

#[test]
fn sam_function_or_table_renamed_is_a_replacement_and_a_table_loses_data() {
    let function = |name: &str| {
        format!(
            "Transform: AWS::Serverless-2016-10-31\nResources:\n  Api:\n    Type: AWS::Serverless::Function\n    Properties: {{FunctionName: {name}, Handler: app.handler, Runtime: python3.12, CodeUri: src/}}\n"
        )
    };
    let (impact, reasons) = verdict(&function("orders"), &function("orders-v2"), "Api");
    assert_eq!(impact, Impact::Replace);
    assert_eq!(reasons, ["FunctionName changes (create-only)"]);
    let (impact, _) = verdict(
        &function("orders"),
        &function("orders").replace("Runtime: python3.12", "Runtime: python3.13"),
        "Api",
    );
    assert_eq!(impact, Impact::Update);

    let table = |name: &str| {
        format!(
            "Transform: AWS::Serverless-2016-10-31\nResources:\n  Orders:\n    Type: AWS::Serverless::SimpleTable\n    Properties: {{TableName: {name}, PrimaryKey: {{Name: id, Type: String}}}}\n"
        )
    };
    let d = diff(&yaml(&table("orders")), &yaml(&table("orders-v2")));
    assert_eq!(d.resources[0].impact, Impact::Replace);
    assert!(d.resources[0].data_loss && d.destructive());
    assert_eq!(
        fail_on(&table("orders"), &table("orders-v2"), "destructive"),
        Some(3)
    );
    assert_eq!(
        fail_on(&table("orders"), &table("orders"), "destructive"),
        Some(0)
    );
}

#[test]
fn a_type_no_schema_knows_is_impact_unknown_counted_and_failed_on() {
    let t = |size: u32| {
        format!(
            "Resources:\n  Seed:\n    Type: Custom::DatabaseSeed\n    Properties: {{ServiceToken: arn:aws:lambda:us-east-1:111111111111:function:seed, Size: {size}}}\n  Cluster:\n    Type: MongoDB::Atlas::Cluster\n    Properties: {{Name: c, Size: {size}}}\n  Queue:\n    Type: AWS::SQS::Queue\n    Properties: {{QueueName: !GetAtt Seed.QueueName}}\n"
        )
    };
    let d = diff(&yaml(&t(1)), &yaml(&t(2)));
    for id in ["Seed", "Cluster"] {
        let r = d.resources.iter().find(|r| r.logical_id == id).unwrap();
        assert_eq!(r.impact, Impact::Unknown, "{id}");
        assert!(
            r.reasons[0].starts_with("no schema knows "),
            "{:?}",
            r.reasons
        );
    }
    // What refers to it through a create-only property may be replaced with it.
    let q = d
        .resources
        .iter()
        .find(|r| r.logical_id == "Queue")
        .unwrap();
    assert_eq!(q.impact, Impact::MayReplace);
    assert_eq!(
        q.reasons,
        [
            "QueueName refers to Seed, which may be replaced (no schema knows its type) (no schema knows Custom::DatabaseSeed: whether this change replaces it is unknown)"
        ]
    );
    let report = Report::single("t.yaml", d);
    // The queue holds messages: it may be lost with its replacement.
    assert_eq!(
        report.summary(),
        "2 of unknown impact, 1 to may replace; data-loss risk"
    );
    assert_eq!(fail_on(&t(1), &t(2), "unknown"), Some(3));
    assert_eq!(fail_on(&t(1), &t(1), "unknown"), Some(0));
}

#[test]
fn fn_join_user_data_diffs_line_by_line() {
    let t = |package: &str| {
        format!(
            "Parameters:\n  Bucket: {{Type: String}}\nResources:\n  Host:\n    Type: AWS::EC2::Instance\n    Properties:\n      ImageId: ami-12345678\n      UserData:\n        Fn::Base64:\n          Fn::Join:\n            - ''\n            - - \"#!/bin/bash\\n\"\n              - \"yum install -y {package}\\n\"\n              - \"aws s3 cp s3://\"\n              - !Ref Bucket\n              - \"/app.tar.gz /opt/app.tar.gz\\n\"\n              - \"systemctl start app\\n\"\n"
        )
    };
    let d = diff(&yaml(&t("httpd")), &yaml(&t("nginx")));
    let out = render::terminal(&Report::single("t.yaml", d.clone()), false);
    assert!(out.contains("\n        - yum install -y httpd\n"), "{out}");
    assert!(out.contains("\n        + yum install -y nginx\n"), "{out}");
    assert!(
        out.contains("aws s3 cp s3://${Bucket}/app.tar.gz /opt/app.tar.gz"),
        "{out}"
    );
    let md = render::markdown(&Report::single("t.yaml", d));
    assert!(
        md.contains("\n-     yum install -y httpd\n+     yum install -y nginx\n"),
        "{md}"
    );
}

#[test]
fn intrinsic_arguments_compare_as_values() {
    // Found on the corpus (aws-quickstart/quickstart-aws-vpc): an index written "0" then 0
    // is no change, as CloudFormation resolves both alike.
    let t = |i: &str| {
        format!(
            "Parameters:\n  Zones: {{Type: 'List<AWS::EC2::AvailabilityZone::Name>'}}\nResources:\n  Subnet:\n    Type: AWS::EC2::Subnet\n    Properties:\n      VpcId: vpc-1\n      CidrBlock: 10.0.0.0/24\n      AvailabilityZone: !Select [{i}, !Ref Zones]\n"
        )
    };
    assert!(diff(&yaml(&t("'0'")), &yaml(&t("0"))).is_empty());
    assert_eq!(verdict(&t("0"), &t("1"), "Subnet").0, Impact::MayReplace);
}

#[test]
fn a_statement_moved_behind_a_condition_is_narrower_not_broader() {
    // Found on the corpus (quickstart-linux-bastion, cfn-templates KMS key): a statement
    // that always applied, now only under a condition.
    let wrap_always: Wrap = |s| {
        format!(
            "      Policies:\n        - PolicyName: data\n          PolicyDocument:\n            Statement: [{s}]\n"
        )
    };
    let wrap_if: Wrap = |s| {
        format!(
            "      Policies:\n        - PolicyName: data\n          PolicyDocument:\n            Statement:\n              - !If [IsProd, {s}, !Ref AWS::NoValue]\n"
        )
    };
    let d = diff(&role_with(NARROW, wrap_always), &role_with(NARROW, wrap_if));
    assert_eq!(d.iam.len(), 2, "{:#?}", d.iam);
    assert!(!d.broadens(), "{:#?}", d.iam);
    // The other way round it applies in more deployments: broader.
    let d = diff(&role_with(NARROW, wrap_if), &role_with(NARROW, wrap_always));
    assert!(d.broadens(), "{:#?}", d.iam);
}

#[test]
fn a_boundary_removed_with_its_role_is_no_broadening() {
    // Found on the corpus (widdix/aws-cf-templates): a role deleted with its boundary.
    let role = "  Role:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: 'sts:AssumeRole'}]}\n      PermissionsBoundary: arn:aws:iam::111111111111:policy/boundary\n";
    let topic = "  Topic:\n    Type: AWS::SNS::Topic\n";
    let with = yaml(&format!("Resources:\n{role}{topic}"));
    let without = yaml(&format!("Resources:\n{topic}"));
    let d = diff(&with, &without);
    assert!(d.iam.iter().any(|c| c.effect == "Boundary"), "{:#?}", d.iam);
    assert!(!d.broadens(), "{:#?}", d.iam);
    // The role stays, its boundary goes: broader.
    let unbounded = yaml(&format!(
        "Resources:\n{}{topic}",
        role.replace(
            "      PermissionsBoundary: arn:aws:iam::111111111111:policy/boundary\n",
            ""
        )
    ));
    assert!(diff(&with, &unbounded).broadens());
}

#[test]
fn a_rule_moved_behind_a_condition_opens_nothing() {
    // Found on the corpus (quickstart-linux-bastion): SSH from the remote CIDR, now only
    // when that CIDR is given.
    let group = |ingress: &str| {
        yaml(&format!(
            "Conditions:\n  HasCidr: !Equals [a, b]\nResources:\n  Bastion:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: b\n      SecurityGroupIngress: {ingress}\n"
        ))
    };
    let rule = "{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 10.0.0.0/8}";
    let always = group(&format!("[{rule}]"));
    let behind = group(&format!("[!If [HasCidr, {rule}, !Ref AWS::NoValue]]"));
    let d = diff(&always, &behind);
    assert_eq!(d.security_groups.len(), 2);
    assert!(!d.broadens(), "{:#?}", d.security_groups);
    assert!(diff(&behind, &always).broadens());
}
