//! The data-service constructs (table, bucket, key, secret, queue, topic, parameter) and
//! their grants through endpoints: the secure defaults in the template, the three places
//! a grant writes, the scenarios it declares holding under check's IAM evaluator, and
//! grants that make no sense refused. The stack is written to target/lint/synth/ for
//! cfn-lint.

use crate::common;

use perimeter::check::{Context, Severity, check};
use perimeter::constructs::*;
use perimeter::template::{Template, Value};

/// Every data construct, each granted to the function's role through its endpoint.
fn stack(stage: &str) -> Stack {
    let mut stack = Stack::new("Every data construct behind endpoints");
    let cidr: Cidr = "10.60.0.0/16".parse().unwrap();
    let subnets = cidr.carve(2, 24).unwrap();
    let vpc = PrivateVpc::build(
        &mut stack,
        "Vpc",
        &PrivateVpcProps::new("data", cidr, subnets),
    )
    .unwrap();
    let group = |stack: &mut Stack, id: &str, description| {
        Group::build(
            stack,
            id,
            GroupProps {
                vpc_id: vpc.vpc.reference(),
                description,
                name_tag: id,
                ingress: vec![],
            },
        )
        .unwrap()
    };
    let app = group(&mut stack, "App", "The function");
    let endpoints = group(&mut stack, "Endpoints", "The interface endpoints");
    let function = VpcFunction::build(
        &mut stack,
        "Function",
        &VpcFunctionProps::inline_python("Uses every data service", "def handler(e, c): pass\n"),
        &vpc,
        &app,
    )
    .unwrap();
    let role = function.role.clone();
    let gateway = |stack: &mut Stack, id: &str, service, pl: &str| {
        let e = Endpoint::gateway(
            stack,
            id,
            GatewayEndpointProps {
                service,
                vpc: &vpc,
                prefix_list: pl.parse().unwrap(),
            },
        )
        .unwrap();
        e.admit(stack, &app).unwrap();
        e
    };
    let dynamodb = gateway(&mut stack, "DynamoDbEndpoint", "dynamodb", "pl-02cd2c6b");
    let s3 = gateway(&mut stack, "S3Endpoint", "s3", "pl-63a5400a");
    let interface = |stack: &mut Stack, id: &str, service| {
        Endpoint::interface(
            stack,
            id,
            InterfaceEndpointProps {
                service,
                vpc: &vpc,
                group: &endpoints,
                name_tag: service,
            },
        )
        .unwrap()
    };
    let kms = interface(&mut stack, "KmsEndpoint", "kms");
    let sm = interface(&mut stack, "SecretsManagerEndpoint", "secretsmanager");
    let sqs = interface(&mut stack, "SqsEndpoint", "sqs");
    let sns = interface(&mut stack, "SnsEndpoint", "sns");
    let ssm = interface(&mut stack, "SsmEndpoint", "ssm");
    kms.admit(&mut stack, &app).unwrap();

    let key = Key::build(&mut stack, "DataKey", KeyProps::new("the data", stage)).unwrap();
    let table = Table::build(
        &mut stack,
        "Orders",
        TableProps::new(Attribute::string("pk"), stage),
    )
    .unwrap();
    let bucket = Bucket::build(
        &mut stack,
        "Reports",
        BucketProps {
            encryption: BucketEncryption::Key(key.clone()),
            ..BucketProps::new(stage)
        },
    )
    .unwrap();
    let secret = Secret::build(&mut stack, "DbPassword", SecretProps::new("db", stage)).unwrap();
    let queue = Queue::build(&mut stack, "Jobs", QueueProps::new(stage)).unwrap();
    let topic = Topic::build(&mut stack, "Alerts", TopicProps::default()).unwrap();
    let parameter = Parameter::build(
        &mut stack,
        "LogLevel",
        ParameterProps {
            name: "/data/log_level".into(),
            value: "info".into(),
            list: false,
            description: "how much it logs".into(),
        },
    )
    .unwrap();
    for access in [
        table.grant_read_write(&role).through(&dynamodb),
        bucket.grant_read_write(&role).through(&s3),
        key.grant_encrypt_decrypt(&role).through(&kms),
        secret.grant_read(&role).through(&sm),
        queue.grant_consume(&role).through(&sqs),
        topic.grant_publish(&role).through(&sns),
        parameter.grant_read(&role).through(&ssm),
    ] {
        stack.grant(access).unwrap();
    }
    stack
}

fn statements<'a>(t: &'a Template, id: &str, path: &[&str]) -> &'a Vec<Value> {
    let mut v = t.resources[id].properties.get(path[0]).unwrap();
    for p in &path[1..] {
        v = v.as_map().unwrap().get(*p).unwrap();
    }
    match v.as_map().unwrap().get("Statement") {
        Some(Value::List(l)) => l,
        other => panic!("{id}: {other:?}"),
    }
}

fn sids(statements: &[Value]) -> Vec<&str> {
    statements
        .iter()
        .map(|s| s.as_map().unwrap()["Sid"].as_str().unwrap())
        .collect()
}

/// A value as compact JSON.
fn json(v: &Value) -> String {
    let pretty = perimeter::template::value_to_json(v);
    serde_json::from_str::<serde_json::Value>(&pretty)
        .unwrap()
        .to_string()
}

#[test]
fn each_construct_is_secure_by_default_and_kept_by_stage() {
    let prod = stack("prod").into_template();
    let dev = stack("dev").into_template();
    common::lint_dir("synth");
    std::fs::write(
        common::lint_dir("synth").join("data-constructs-prod.template.json"),
        prod.to_json(),
    )
    .unwrap();
    // The same input, the same bytes.
    assert_eq!(prod.to_json(), stack("prod").into_template().to_json());
    let r = |t: &Template, id: &str| json(&Value::Map(t.resources[id].properties.clone()));
    let orders = r(&prod, "Orders");
    assert!(
        orders.contains(r#""PointInTimeRecoveryEnabled":true"#),
        "{orders}"
    );
    assert!(
        orders.contains(r#""SSEEnabled":true"#)
            && orders.contains(r#""DeletionProtectionEnabled":true"#)
    );
    assert!(r(&dev, "Orders").contains(r#""DeletionProtectionEnabled":false"#));
    for id in ["Orders", "Reports", "DataKey", "DbPassword", "Jobs"] {
        let policy = |t: &Template| t.resources[id].deletion_policy.as_ref().map(json);
        assert_eq!(policy(&prod).as_deref(), Some(r#""Retain""#), "{id}");
        assert_eq!(policy(&dev).as_deref(), Some(r#""Delete""#), "{id}");
    }
    let reports = r(&prod, "Reports");
    for f in [
        "BlockPublicAcls",
        "BlockPublicPolicy",
        "IgnorePublicAcls",
        "RestrictPublicBuckets",
    ] {
        assert!(
            reports.contains(&format!(r#""{f}":true"#)),
            "{f}: {reports}"
        );
    }
    assert!(
        reports.contains(r#""SSEAlgorithm":"aws:kms""#) && reports.contains("BucketOwnerEnforced")
    );
    assert!(r(&prod, "DataKey").contains(r#""EnableKeyRotation":true"#));
    assert!(r(&prod, "Jobs").contains(r#""SqsManagedSseEnabled":true"#));
    assert!(r(&prod, "Alerts").contains("alias/aws/sns"));
    assert!(r(&prod, "DbPasswordPolicy").contains(r#""BlockPublicPolicy":true"#));
    // TLS only where the service answers plain HTTP.
    for policy in ["ReportsPolicy", "JobsPolicy", "AlertsPolicy"] {
        let s = statements(&prod, policy, &["PolicyDocument"]);
        assert_eq!(sids(s)[0], "DenyWithoutTls", "{policy}");
        assert!(json(&s[0]).contains(r#""aws:SecureTransport":"false""#));
    }
}

#[test]
fn a_grant_writes_the_role_the_endpoint_and_the_resource_policy() {
    let t = stack("dev").into_template();
    let identity = statements(&t, "FunctionRoleGrants", &["PolicyDocument"]);
    assert_eq!(
        sids(identity),
        [
            "OrdersReadWrite",
            "ReportsReadWrite",
            "ReportsReadWriteKey",
            "DataKeyEncryptDecrypt",
            "DbPasswordRead",
            "JobsConsume",
            "AlertsPublish",
            "LogLevelRead"
        ]
    );
    // The bucket's key, used by S3 for the role (KMS is called by S3, so by no endpoint
    // of ours): only by way of S3.
    let key_use = json(&identity[2]);
    assert!(
        key_use.contains(r#""kms:ViaService":{"Fn::Sub":"s3.${AWS::Region}.amazonaws.com"}"#)
            && key_use.contains(r#"["kms:Decrypt","kms:GenerateDataKey"]"#)
            && key_use.contains(r#""Resource":{"Fn::GetAtt":["DataKey","Arn"]}"#),
        "{key_use}"
    );
    // Each only through its endpoint.
    let grants = identity.iter().enumerate().filter(|(i, _)| *i != 2);
    for ((_, s), endpoint) in grants.zip([
        "DynamoDbEndpoint",
        "S3Endpoint",
        "KmsEndpoint",
        "SecretsManagerEndpoint",
        "SqsEndpoint",
        "SnsEndpoint",
        "SsmEndpoint",
    ]) {
        let text = json(s);
        assert!(
            text.contains(&format!(r#""aws:SourceVpce":{{"Ref":"{endpoint}"}}"#)),
            "{text}"
        );
        // The endpoint admits the role to the same statement, after its own-account
        // perimeter.
        let e = statements(&t, endpoint, &["PolicyDocument"]);
        assert_eq!(sids(e)[0], "DenyOtherAccounts");
        assert_eq!(e.len(), 2, "{endpoint}");
    }
    // Least privilege from the catalog: the table's item actions, not its administration.
    let orders = json(&identity[0]);
    assert!(orders.contains("dynamodb:PutItem") && orders.contains("dynamodb:Query"));
    assert!(!orders.contains("dynamodb:DeleteTable") && !orders.contains("dynamodb:DescribeTable"));
    // A gateway endpoint names the role by aws:PrincipalArn, an interface one by Principal.
    let gateway = json(&statements(&t, "DynamoDbEndpoint", &["PolicyDocument"])[1]);
    assert!(gateway.contains(r#""Principal":"*""#) && gateway.contains("aws:PrincipalArn"));
    let interface = json(&statements(&t, "KmsEndpoint", &["PolicyDocument"])[1]);
    assert!(interface.contains(r#""Principal":{"AWS":{"Fn::GetAtt":["FunctionRole","Arn"]}}"#));
    // The resource's own policy: the key policy names its key `*`, a bucket policy the
    // objects.
    // With a Deny for everyone else not through the endpoint (other principals of the
    // account, whose own policies may allow the data).
    let key = statements(&t, "DataKey", &["KeyPolicy"]);
    assert_eq!(
        sids(key),
        [
            "EnableIamPolicies",
            "DataKeyEncryptDecrypt",
            "DataKeyEncryptDecryptOnlyThroughEndpoint"
        ]
    );
    assert!(json(&key[1]).contains(r#""Resource":"*""#) && json(&key[1]).contains("kms:Decrypt"));
    let deny = json(&key[2]);
    assert!(
        deny.contains(r#""Effect":"Deny""#)
            && deny.contains(r#""StringNotEquals":{"aws:SourceVpc":{"Ref":"Vpc"}}"#)
            && deny.contains(
                r#""BoolIfExists":{"aws:PrincipalIsAWSService":"false","aws:ViaAWSService":"false"}"#
            ),
        "{deny}"
    );
    let bucket = statements(&t, "ReportsPolicy", &["PolicyDocument"]);
    assert_eq!(
        sids(bucket),
        [
            "DenyWithoutTls",
            "ReportsReadWrite",
            "ReportsReadWriteOnlyThroughEndpoint"
        ]
    );
    assert!(json(&bucket[1]).contains("aws:SourceVpce"));
    let deny = json(&bucket[2]);
    assert!(
        deny.contains(r#""Principal":"*""#)
            && deny.contains(r#""StringNotEquals":{"aws:SourceVpce":{"Ref":"S3Endpoint"}}"#)
            && deny.contains("s3:PutObject"),
        "{deny}"
    );
    for (holder, path, sid) in [
        ("DbPasswordPolicy", "ResourcePolicy", "DbPasswordRead"),
        ("JobsPolicy", "PolicyDocument", "JobsConsume"),
        ("AlertsPolicy", "PolicyDocument", "AlertsPublish"),
    ] {
        let s = sids(statements(&t, holder, &[path]));
        assert_eq!(
            s[s.len() - 2..],
            [sid.to_string(), format!("{sid}OnlyThroughEndpoint")],
            "{holder}"
        );
    }
    // A parameter's read names it: not GetParametersByPath, which on a parameter's ARN
    // reads every parameter below it, nor its past values.
    let ssm = json(&identity[7]);
    assert!(
        ssm.contains(r#""Action":["ssm:GetParameter","ssm:GetParameters"]"#),
        "{ssm}"
    );
}

/// The resource policies hold every principal of the account to the endpoint, not only
/// the granted role: another role whose own policies allow everything is refused
/// without the endpoint (it was allowed before: same account, no resource-policy
/// Allow needed), and a service acting for the caller (`aws:ViaAWSService`) is not.
#[test]
fn other_principals_of_the_account_are_held_to_the_endpoint_by_the_resource_policies() {
    let t = stack("dev").into_template();
    let row = |name: &str, action: &str, resource: &str, context: Vec<(String, String)>| {
        perimeter::check::Scenario {
            name: name.into(),
            caller: perimeter::check::ScenarioCaller::OtherRole,
            action: action.into(),
            resource: resource.into(),
            via: perimeter::check::Via::NoEndpoint,
            endpoint: None,
            context,
            expected: perimeter::check::Outcome::Deny,
        }
    };
    let via = || vec![("aws:ViaAWSService".to_string(), "true".to_string())];
    let ctx = Context {
        scenarios: vec![
            row(
                "bucket",
                "s3:GetObject",
                "${Reports.Arn}/perimeter-check/object",
                vec![],
            ),
            row("key", "kms:Decrypt", "${DataKey.Arn}", vec![]),
            row("queue", "sqs:ReceiveMessage", "${Jobs.Arn}", vec![]),
            row("topic", "sns:Publish", "${Alerts}", vec![]),
            row(
                "secret",
                "secretsmanager:GetSecretValue",
                "${DbPassword}",
                vec![],
            ),
            row("key via S3", "kms:Decrypt", "${DataKey.Arn}", via()),
        ],
        ..Context::default()
    };
    let r = check(&t, &t.to_json(), &ctx);
    let got: Vec<(&str, perimeter::iam::Decision)> = r
        .access
        .iter()
        .map(|a| (a.scenario.as_str(), a.decision))
        .collect();
    use perimeter::iam::Decision::{Allow, ExplicitDeny};
    assert_eq!(
        got,
        [
            ("bucket", ExplicitDeny),
            ("key", ExplicitDeny),
            ("queue", ExplicitDeny),
            ("topic", ExplicitDeny),
            ("secret", ExplicitDeny),
            ("key via S3", Allow),
        ],
        "{:#?}",
        r.access
    );
    for a in &r.access[..5] {
        assert!(a.reason.contains("OnlyThroughEndpoint"), "{}", a.reason);
    }
}

#[test]
fn the_grants_scenarios_hold_and_check_finds_nothing() {
    let s = stack("prod");
    let intent = s.intent().clone();
    // Per action a grant probes: through its endpoint, without it, another role.
    assert_eq!(intent.expected.len(), 3 * 13, "{:#?}", intent.expected);
    // Each action on a resource of the type it acts on: listing on the bucket, reading
    // on an object.
    let on = |action: &str| {
        let e = intent.expected.iter().find(|e| e.action == action).unwrap();
        e.resource.as_str()
    };
    assert_eq!(on("s3:ListBucket"), "${Reports.Arn}");
    assert_eq!(on("s3:GetObject"), "${Reports.Arn}/perimeter-check/object");
    assert_eq!(intent.claims.len(), 7);
    assert!(
        intent
            .claims
            .iter()
            .all(|c| c.role == "FunctionRole" && c.through.is_some())
    );
    let t = s.into_template();
    // And the grants' claims, proven for every request (a refuted one is an error).
    let claims = perimeter::project::claims_of(&intent);
    assert_eq!(claims.len(), 7);
    let ctx = Context {
        scenarios: perimeter::project::scenarios_of(&intent),
        claims,
        ..Context::default()
    };
    // Each proven, not only unrefuted: at the endpoint and for the role.
    let inv = perimeter::check::inventory::Inventory::of(&t);
    let inside = perimeter::check::perimeters::Inside::default();
    let proofs = perimeter::check::perimeters::prove(&t, &ctx, &inv, &inside).unwrap();
    let claims: Vec<_> = proofs
        .iter()
        .filter(|p| p.perimeter == perimeter::check::perimeters::Perimeter::Claim)
        .collect();
    assert_eq!(claims.len(), 14, "{claims:#?}");
    for p in claims {
        assert!(
            matches!(p.outcome, perimeter::iam::prove::Outcome::Holds { .. }),
            "{p:?}"
        );
    }
    let report = check(&t, &t.to_json(), &ctx);
    let errors: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(report.access.len(), intent.expected.len());
    let failing: Vec<_> = report.access.iter().filter(|r| !r.holds).collect();
    assert!(failing.is_empty(), "{failing:#?}");
    let allowed = report
        .access
        .iter()
        .filter(|r| r.decision == perimeter::iam::Decision::Allow)
        .count();
    assert_eq!(allowed, 13);
}

#[test]
fn grants_that_make_no_sense_are_refused() {
    let mut s = Stack::new("x");
    let trust = perimeter::iam::PolicyDocument::new(vec![]);
    let role = s
        .add("AppRole", perimeter::resources::iam::Role::new(trust))
        .unwrap();
    let cidr: Cidr = "10.0.0.0/16".parse().unwrap();
    let vpc = PrivateVpc::build(
        &mut s,
        "Vpc",
        &PrivateVpcProps::new("x", cidr, cidr.carve(2, 24).unwrap()),
    )
    .unwrap();
    let s3 = Endpoint::gateway(
        &mut s,
        "S3Endpoint",
        GatewayEndpointProps {
            service: "s3",
            vpc: &vpc,
            prefix_list: "pl-63a5400a".parse().unwrap(),
        },
    )
    .unwrap();
    let table = Table::build(&mut s, "T", TableProps::new(Attribute::string("pk"), "dev")).unwrap();
    let e = s.grant(table.grant_read(&role).through(&s3)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "grant TRead: the endpoint S3Endpoint serves s3, not dynamodb:BatchGetItem"
    );
    s.grant(table.grant_read(&role)).unwrap();
    let e = s.grant(table.grant_read(&role)).unwrap_err();
    assert!(
        e.to_string()
            .contains("TRead (a statement of AppRoleGrants.PolicyDocument)"),
        "{e}"
    );
    let e = Endpoint::gateway(
        &mut s,
        "SqsGateway",
        GatewayEndpointProps {
            service: "sqs",
            vpc: &vpc,
            prefix_list: "pl-63a5400a".parse().unwrap(),
        },
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("\"sqs\" has no gateway endpoint"),
        "{e}"
    );
    let t = TableProps {
        sort_key: Some(Attribute::number("pk")),
        ..TableProps::new(Attribute::string("pk"), "dev")
    };
    assert!(Table::build(&mut s, "T2", t).is_err());
}

#[test]
fn a_scenarios_context_reaches_the_request() {
    let s = stack("dev");
    let t = s.template().clone();
    let row = |context: Vec<(String, String)>| perimeter::check::Scenario {
        name: "the function reads its table".into(),
        caller: perimeter::check::ScenarioCaller::Role("FunctionRole".into()),
        action: "dynamodb:GetItem".into(),
        resource: "${Orders.Arn}".into(),
        via: perimeter::check::Via::Endpoint,
        endpoint: Some("DynamoDbEndpoint".into()),
        context,
        expected: perimeter::check::Outcome::Allow,
    };
    let ctx = Context {
        scenarios: vec![
            row(vec![]),
            // As if the caller were of another account: the endpoint's own-account
            // statement refuses it.
            row(vec![("aws:PrincipalAccount".into(), "999999999999".into())]),
        ],
        ..Context::default()
    };
    let r = check(&t, &t.to_json(), &ctx);
    let decisions: Vec<_> = r.access.iter().map(|a| a.decision).collect();
    assert_eq!(
        decisions,
        [
            perimeter::iam::Decision::Allow,
            perimeter::iam::Decision::ExplicitDeny
        ]
    );
    assert!(
        r.access[1].reason.contains("DynamoDbEndpoint"),
        "{}",
        r.access[1].reason
    );
}

#[test]
fn every_grant_resolves_its_actions_in_the_catalog() {
    // A catalog update that moves or retires a named action fails here, not in a
    // deployed policy.
    let mut s = Stack::new("grants");
    let trust = perimeter::iam::PolicyDocument::new(vec![]);
    let role = s
        .add("AppRole", perimeter::resources::iam::Role::new(trust))
        .unwrap();
    let table = Table::build(&mut s, "T", TableProps::new(Attribute::string("pk"), "dev")).unwrap();
    let bucket = Bucket::build(&mut s, "B", BucketProps::new("dev")).unwrap();
    let key = Key::build(&mut s, "K", KeyProps::new("k", "dev")).unwrap();
    let queue = Queue::build(&mut s, "Q", QueueProps::new("dev")).unwrap();
    let grants = [
        (
            table.grant_read(&role),
            "dynamodb:GetItem",
            "dynamodb:PutItem",
        ),
        (
            table.grant_write(&role),
            "dynamodb:PutItem",
            "dynamodb:GetItem",
        ),
        (bucket.grant_read(&role), "s3:GetObject", "s3:PutObject"),
        (bucket.grant_write(&role), "s3:PutObject", "s3:GetObject"),
        (key.grant_decrypt(&role), "kms:Decrypt", "kms:Encrypt"),
        (
            queue.grant_send(&role),
            "sqs:SendMessage",
            "sqs:ReceiveMessage",
        ),
        (
            queue.grant_consume(&role),
            "sqs:DeleteMessage",
            "sqs:SendMessage",
        ),
    ];
    for (access, has, lacks) in grants {
        let name = access.name.clone();
        s.grant(access).unwrap();
        let claim = s.intent().claims.last().unwrap();
        assert!(
            claim.actions.iter().any(|a| a == has),
            "{name}: {:?}",
            claim.actions
        );
        assert!(
            !claim.actions.iter().any(|a| a == lacks),
            "{name}: {:?}",
            claim.actions
        );
        assert_eq!(claim.through, None);
    }
    // Without an endpoint a grant declares only that its role is allowed.
    assert!(
        s.intent()
            .expected
            .iter()
            .all(|e| e.allowed && e.endpoint.is_none())
    );
}

#[test]
fn a_key_used_by_way_of_a_service_outside_the_perimeter_is_a_finding() {
    let t = stack("dev").into_template();
    let rules = |t: &Template| -> Vec<String> {
        check(t, &t.to_json(), &Context::default())
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| format!("{} {}", f.rule.id, f.resource.as_deref().unwrap_or("-")))
            .collect()
    };
    assert!(rules(&t).is_empty(), "{:?}", rules(&t));
    // By way of EC2, which no endpoint of the template serves: the key is usable from
    // anywhere EC2 is.
    let text = t.to_json().replace(
        "s3.${AWS::Region}.amazonaws.com",
        "ec2.${AWS::Region}.amazonaws.com",
    );
    let moved = Template::parse_any(&text).unwrap();
    assert_eq!(rules(&moved), ["I502 FunctionRoleGrants"]);
}
