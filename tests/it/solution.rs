//! The Bedrock private-access solution as synthesized: the content that matters, checked
//! resource by resource, and its access model simulated with the IAM evaluator the way
//! the reference architecture tests it by hand. Every variant is also written to
//! target/lint/synth/ for cfn-lint.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};

use perimeter::constructs::*;
use perimeter::iam::{Bindings, Decision, Effect, PolicyDocument, PolicyKind, PolicySet, Request};
use perimeter::solutions::bedrock_private_access::*;
use perimeter::template::{Intrinsic, Pseudo, Template, Value};

const ROLE_ARN: &str = "arn:aws:iam::111111111111:role/stack-FunctionRole-ABC";
const VPCE: &str = "vpce-0a1b2c3d4e5f60718";
const CONTROL_VPCE: &str = "vpce-0fedcba9876543210";
const MODEL: &str = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-instant-v1";

fn base() -> BedrockPrivateAccessProps {
    let cidr: Cidr = "10.0.0.0/16".parse().unwrap();
    BedrockPrivateAccessProps {
        name: "bedrock-test".into(),
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
        database: None,
    }
}

fn with_database(mut p: BedrockPrivateAccessProps) -> BedrockPrivateAccessProps {
    p.database = Some(DatabaseProps {
        name_tag: "bedrock-test".into(),
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
            seed: "INSERT INTO products VALUES ('Trail 2', 'A tent') ON CONFLICT DO NOTHING;"
                .into(),
        },
        s3_prefix_list: "pl-63a5400a".parse().unwrap(),
        read_tables: vec!["products".into()],
    });
    p
}

/// Builds, writes both formats for cfn-lint, and checks the emitted text parses back.
fn synth(name: &str, p: &BedrockPrivateAccessProps) -> Template {
    let t = BedrockPrivateAccess::template(p).unwrap();
    let dir = common::lint_dir("synth");
    std::fs::write(dir.join(format!("{name}.template.json")), t.to_json()).unwrap();
    std::fs::write(dir.join(format!("{name}.template.yaml")), t.to_yaml()).unwrap();
    assert_eq!(Template::parse_any(&t.to_yaml()).unwrap(), t);
    t
}

fn of_type<'a>(t: &'a Template, ty: &str) -> Vec<(&'a str, &'a BTreeMap<String, Value>)> {
    t.resources
        .iter()
        .filter(|(_, r)| r.resource_type.as_str() == ty)
        .map(|(id, r)| (id.as_str(), &r.properties))
        .collect()
}

fn prop<'a>(t: &'a Template, id: &str, name: &str) -> &'a Value {
    let r = t
        .resources
        .get(id)
        .unwrap_or_else(|| panic!("no resource {id}"));
    r.properties
        .get(name)
        .unwrap_or_else(|| panic!("{id} has no {name}"))
}

fn getatt(res: &str, att: &str) -> Value {
    Value::from(Intrinsic::GetAtt {
        resource: res.into(),
        attribute: att.into(),
    })
}

fn reference(id: &str) -> Value {
    Value::from(Intrinsic::Ref(id.into()))
}

#[test]
fn vpc_has_isolated_subnets_in_distinct_zones_and_no_internet_path() {
    let t = synth("minimal", &base());
    assert_eq!(of_type(&t, "AWS::EC2::VPC").len(), 1);
    assert_eq!(prop(&t, "Vpc", "EnableDnsSupport"), &Value::Bool(true));
    assert_eq!(prop(&t, "Vpc", "EnableDnsHostnames"), &Value::Bool(true));
    let subnets = of_type(&t, "AWS::EC2::Subnet");
    assert_eq!(subnets.len(), 2);
    let mut zones = BTreeSet::new();
    for (i, (id, p)) in subnets.iter().enumerate() {
        assert_eq!(
            p["CidrBlock"],
            Value::from(format!("10.0.{i}.0/24")),
            "{id}"
        );
        assert_eq!(p["MapPublicIpOnLaunch"], Value::Bool(false));
        zones.insert(perimeter::template::value_to_json(&p["AvailabilityZone"]));
    }
    assert_eq!(zones.len(), 2, "subnets in two different zones");
    // One route table per subnet, associated, and no route anywhere.
    assert_eq!(of_type(&t, "AWS::EC2::RouteTable").len(), 2);
    let assoc = of_type(&t, "AWS::EC2::SubnetRouteTableAssociation");
    assert_eq!(assoc.len(), 2);
    assert_eq!(assoc[0].1["SubnetId"], reference("VpcPrivateSubnet1"));
    assert_eq!(
        assoc[0].1["RouteTableId"],
        reference("VpcPrivateSubnet1RouteTable")
    );
    for forbidden in [
        "AWS::EC2::InternetGateway",
        "AWS::EC2::NatGateway",
        "AWS::EC2::EIP",
        "AWS::EC2::Route",
        "AWS::EC2::EgressOnlyInternetGateway",
    ] {
        assert!(
            of_type(&t, forbidden).is_empty(),
            "{forbidden} in a private solution"
        );
    }
}

#[test]
fn security_groups_admit_only_tls_from_the_workload() {
    let t = synth("minimal", &base());
    let ingress = of_type(&t, "AWS::EC2::SecurityGroupIngress");
    assert_eq!(ingress.len(), 1);
    let (id, rule) = ingress[0];
    assert_eq!(id, "EndpointIngressFromWorkloadTcp443");
    assert_eq!(rule["GroupId"], getatt("EndpointSecurityGroup", "GroupId"));
    assert_eq!(
        rule["SourceSecurityGroupId"],
        getatt("WorkloadSecurityGroup", "GroupId")
    );
    assert_eq!(
        (&rule["IpProtocol"], &rule["FromPort"], &rule["ToPort"]),
        (&Value::from("tcp"), &Value::from(443), &Value::from(443))
    );
    let egress = of_type(&t, "AWS::EC2::SecurityGroupEgress");
    assert_eq!(egress.len(), 1);
    assert_eq!(
        egress[0].1["DestinationSecurityGroupId"],
        getatt("EndpointSecurityGroup", "GroupId")
    );
    assert_eq!(
        prop(&t, "EndpointSecurityGroup", "GroupDescription"),
        &Value::from("Allow TLS for VPC Endpoint")
    );
    for (id, sg) in of_type(&t, "AWS::EC2::SecurityGroup") {
        assert!(
            !sg.contains_key("SecurityGroupIngress"),
            "{id} has inline ingress without corporate access"
        );
        // The only inline egress is the rule that matches nothing, replacing allow-all.
        let eg = sg["SecurityGroupEgress"].as_list().unwrap();
        assert_eq!(eg.len(), 1);
        assert_eq!(
            eg[0].as_map().unwrap()["CidrIp"],
            Value::from("255.255.255.255/32")
        );
    }
    let json = t.to_json();
    assert!(!json.contains("0.0.0.0/0") && !json.contains("::/0"));
}

#[test]
fn endpoint_is_private_in_both_subnets_with_a_least_privilege_policy() {
    let t = synth("minimal", &base());
    assert_eq!(
        prop(&t, "BedrockRuntimeEndpoint", "VpcEndpointType"),
        &Value::from("Interface")
    );
    assert_eq!(
        prop(&t, "BedrockRuntimeEndpoint", "PrivateDnsEnabled"),
        &Value::Bool(true)
    );
    assert_eq!(
        prop(&t, "BedrockRuntimeEndpoint", "SubnetIds"),
        &Value::List(vec![
            reference("VpcPrivateSubnet1"),
            reference("VpcPrivateSubnet2")
        ])
    );
    let service =
        perimeter::template::value_to_json(prop(&t, "BedrockRuntimeEndpoint", "ServiceName"));
    assert!(
        service.contains("com.amazonaws.${AWS::Region}.bedrock-runtime"),
        "{service}"
    );
    let policy =
        PolicyDocument::from_value(prop(&t, "BedrockRuntimeEndpoint", "PolicyDocument")).unwrap();
    assert_eq!(policy.statements.len(), 1);
    let s = &policy.statements[0];
    assert_eq!(s.effect, Effect::Allow);
    let actions: Vec<&str> = s.action.inner().iter().map(|a| a.as_str()).collect();
    assert_eq!(actions, ["bedrock:InvokeModel"]);
    let principal = format!("{:?}", s.principal);
    assert!(
        principal.contains("FunctionRole") && principal.contains("Arn"),
        "{principal}"
    );
    assert_eq!(s.resource.as_ref().unwrap().inner().len(), 1);
}

#[test]
fn the_role_reaches_bedrock_only_through_the_endpoints() {
    let t = synth("minimal", &base());
    let policy =
        PolicyDocument::from_value(prop(&t, "FunctionBedrockAccess", "PolicyDocument")).unwrap();
    let endpoints: BTreeSet<&str> = of_type(&t, "AWS::EC2::VPCEndpoint")
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let mut bedrock_statements = 0;
    for s in &policy.statements {
        if s.action.inner().iter().any(|a| a.service() == "bedrock") {
            bedrock_statements += 1;
            let (op, keys) = s
                .condition
                .iter()
                .next()
                .expect("every bedrock grant is conditioned");
            // aws:sourceVpce is single-valued: plain StringEquals (finding 7).
            assert_eq!(op.to_string(), "StringEquals");
            let vpce = &keys["aws:sourceVpce"];
            let target = match &vpce[0] {
                Value::Fn(i) => match &**i {
                    Intrinsic::Ref(id) => id.clone(),
                    other => panic!("{other:?}"),
                },
                other => panic!("{other:?}"),
            };
            assert!(
                endpoints.contains(target.as_str()),
                "aws:sourceVpce names {target}, not an endpoint of this template"
            );
        }
    }
    assert_eq!(
        bedrock_statements, 1,
        "InvokeModel only: the handler lists no models (finding 7)"
    );
    assert!(!endpoints.contains("BedrockEndpoint"));
    assert_eq!(
        prop(&t, "FunctionBedrockAccess", "Roles"),
        &Value::List(vec![reference("FunctionRole")])
    );
    // The execution role has the ENI permissions, on "*" as these actions require.
    let role_policies = prop(&t, "FunctionRole", "Policies").as_list().unwrap();
    let eni =
        PolicyDocument::from_value(&role_policies[0].as_map().unwrap()["PolicyDocument"]).unwrap();
    let actions: Vec<&str> = eni.statements[0]
        .action
        .inner()
        .iter()
        .map(|a| a.as_str())
        .collect();
    // What AWS's AWSLambdaVPCAccessExecutionRole grants (finding 7: DescribeSubnets).
    assert_eq!(
        actions,
        [
            "ec2:CreateNetworkInterface",
            "ec2:DescribeNetworkInterfaces",
            "ec2:DescribeSubnets",
            "ec2:DeleteNetworkInterface",
            "ec2:AssignPrivateIpAddresses",
            "ec2:UnassignPrivateIpAddresses",
        ]
    );
}

fn policies(t: &Template) -> PolicySet {
    let mut set = PolicySet::default();
    for p in prop(t, "FunctionRole", "Policies").as_list().unwrap() {
        let m = p.as_map().unwrap();
        set = set.identity(
            m["PolicyName"].as_str().unwrap(),
            PolicyDocument::from_value(&m["PolicyDocument"]).unwrap(),
        );
    }
    set.identity(
        "FunctionBedrockAccess",
        PolicyDocument::from_value(prop(t, "FunctionBedrockAccess", "PolicyDocument")).unwrap(),
    )
}

fn bindings() -> Bindings {
    Bindings::new()
        .bind(Pseudo::Partition.name(), "aws")
        .bind(Pseudo::Region.name(), "us-east-1")
        .bind("BedrockRuntimeEndpoint", VPCE)
        .bind("BedrockEndpoint", CONTROL_VPCE)
        .bind("FunctionRole.Arn", ROLE_ARN)
}

fn endpoint_policy(t: &Template, id: &str) -> PolicyDocument {
    PolicyDocument::from_value(prop(t, id, "PolicyDocument")).unwrap()
}

#[test]
fn access_simulation_matches_the_reference_architecture_tests() {
    let t = synth("minimal", &base());
    let through_endpoint = policies(&t).vpc_endpoint(
        "BedrockRuntimeEndpoint",
        endpoint_policy(&t, "BedrockRuntimeEndpoint"),
    );
    let b = bindings();
    let invoke = |model: &str| Request::new(ROLE_ARN, "bedrock:InvokeModel", model);

    // 1. The function's role, through the endpoint, on a listed model: allowed.
    let v = through_endpoint.evaluate(&invoke(MODEL).with("aws:sourceVpce", VPCE), &b);
    assert_eq!(v.decision, Decision::Allow, "{}", v.reason);
    // 2. The same call not through the endpoint (no aws:sourceVpce, no endpoint policy): denied.
    let v = policies(&t).evaluate(&invoke(MODEL), &b);
    assert_eq!(v.decision, Decision::ImplicitDeny, "{}", v.reason);
    // ...and through some other endpoint: denied too.
    assert_eq!(
        policies(&t)
            .evaluate(&invoke(MODEL).with("aws:sourceVpce", "vpce-other"), &b)
            .decision,
        Decision::ImplicitDeny
    );
    // 3. A model not on the list: denied (by the identity policy and the endpoint policy).
    let other = "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1";
    assert_eq!(
        through_endpoint
            .evaluate(&invoke(other).with("aws:sourceVpce", VPCE), &b)
            .decision,
        Decision::ImplicitDeny
    );
    // 4. The endpoint policy flipped to Deny: explicitly denied by the endpoint.
    let denied = synth(
        "deny",
        &BedrockPrivateAccessProps {
            endpoint_policy_effect: Effect::Deny,
            ..base()
        },
    );
    let set = policies(&denied).vpc_endpoint(
        "BedrockRuntimeEndpoint",
        endpoint_policy(&denied, "BedrockRuntimeEndpoint"),
    );
    let v = set.evaluate(&invoke(MODEL).with("aws:sourceVpce", VPCE), &b);
    assert_eq!(v.decision, Decision::ExplicitDeny);
    assert_eq!(v.decided_by.unwrap().kind, PolicyKind::VpcEndpoint);
    // ListFoundationModels is granted only when asked for, and then only through the
    // control-plane endpoint.
    let list = Request::new(ROLE_ARN, "bedrock:ListFoundationModels", "*");
    assert!(!t.resources.contains_key("BedrockEndpoint"));
    assert_eq!(
        policies(&t)
            .evaluate(&list.clone().with("aws:sourceVpce", CONTROL_VPCE), &b)
            .decision,
        Decision::ImplicitDeny
    );
    let t = synth(
        "list",
        &BedrockPrivateAccessProps {
            list_foundation_models: true,
            ..base()
        },
    );
    let control =
        policies(&t).vpc_endpoint("BedrockEndpoint", endpoint_policy(&t, "BedrockEndpoint"));
    assert_eq!(
        control
            .evaluate(&list.clone().with("aws:sourceVpce", CONTROL_VPCE), &b)
            .decision,
        Decision::Allow
    );
    assert_eq!(
        policies(&t).evaluate(&list, &b).decision,
        Decision::ImplicitDeny
    );
    // Another principal using the endpoint is refused by the endpoint policy.
    let stranger = Request::new(
        "arn:aws:iam::111111111111:role/other",
        "bedrock:InvokeModel",
        MODEL,
    )
    .with("aws:sourceVpce", VPCE);
    let allow_all = PolicySet::default().identity("admin", PolicyDocument::from_value(&perimeter::template::parse_value(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#).unwrap()).unwrap());
    let v = allow_all
        .vpc_endpoint(
            "BedrockRuntimeEndpoint",
            endpoint_policy(&t, "BedrockRuntimeEndpoint"),
        )
        .evaluate(&stranger, &b);
    assert_eq!(v.decision, Decision::ImplicitDeny);
}

#[test]
fn every_variant_is_schema_valid_acyclic_and_within_quotas() {
    let named = BedrockPrivateAccessProps {
        azs: Azs::Named(vec![
            "us-east-1a".into(),
            "us-east-1b".into(),
            "us-east-1c".into(),
        ]),
        subnets: "10.0.0.0/16".parse::<Cidr>().unwrap().carve(3, 20).unwrap(),
        ..base()
    };
    let corporate = BedrockPrivateAccessProps {
        corporate_access: Some(CorporateAccess {
            cidr: "172.16.0.0/12".parse().unwrap(),
            amazon_side_asn: Some(64512),
            vgw_amazon_side_asn: None,
            direct_connect_gateway_id: Some("5f1a0c4e-9d3b-4a57-8e2f-0b6c1d2e3f40".into()),
            virtual_interface: None,
            dns: false,
            principals: vec![],
        }),
        ..base()
    };
    let full = with_database(corporate.clone());
    let s3 = BedrockPrivateAccessProps {
        list_foundation_models: false,
        models: vec![
            "anthropic.claude-instant-v1".parse().unwrap(),
            "amazon.titan-text-express-v1".parse().unwrap(),
        ],
        function: FunctionSettings {
            s3_code: Some(("artifacts-bucket".into(), "handler.zip".into())),
            ..base().function
        },
        ..base()
    };
    for (name, p) in [
        ("minimal", base()),
        ("named-azs", named),
        ("corporate", corporate),
        ("full", full),
        ("s3-code", s3),
    ] {
        let t = synth(name, &p);
        // perimeter check: schema, references and cycles, quotas (warnings included),
        // and the perimeter rules: nothing to report.
        let report = perimeter::check::check(&t, &t.to_json(), &Default::default());
        assert!(report.findings.is_empty(), "{name}: {:#?}", report.findings);
    }
}

#[test]
fn database_is_private_encrypted_and_reached_from_the_workload_only() {
    let t = synth("database", &with_database(base()));
    assert_eq!(
        prop(&t, "Database", "PubliclyAccessible"),
        &Value::Bool(false)
    );
    assert_eq!(prop(&t, "Database", "StorageEncrypted"), &Value::Bool(true));
    assert_eq!(
        prop(&t, "Database", "ManageMasterUserPassword"),
        &Value::Bool(true)
    );
    assert!(
        !t.resources["Database"]
            .properties
            .contains_key("MasterUserPassword")
    );
    let db = &t.resources["Database"];
    assert_eq!(db.deletion_policy, Some(Value::from("Snapshot")));
    assert_eq!(db.update_replace_policy, Some(Value::from("Snapshot")));
    assert_eq!(
        prop(&t, "DatabaseSubnetGroup", "SubnetIds"),
        &Value::List(vec![
            reference("VpcPrivateSubnet1"),
            reference("VpcPrivateSubnet2")
        ])
    );
    let rule = &t.resources["DatabaseIngressFromWorkloadTcp5432"].properties;
    assert_eq!(
        rule["SourceSecurityGroupId"],
        getatt("WorkloadSecurityGroup", "GroupId")
    );
    assert_eq!(rule["FromPort"], Value::from(5432));
    // Finding 2: the application reads its own secret (a read-only user), through the
    // Secrets Manager endpoint only; the master secret is the schema step's alone.
    assert!(t.resources.contains_key("SecretsManagerEndpoint"));
    let p =
        PolicyDocument::from_value(prop(&t, "FunctionBedrockAccess", "PolicyDocument")).unwrap();
    let read = p
        .statements
        .iter()
        .find(|s| s.sid.as_deref() == Some("ReadOwnDatabaseSecretThroughEndpoint"))
        .unwrap();
    assert!(format!("{:?}", read.condition).contains("SecretsManagerEndpoint"));
    let app_json =
        perimeter::template::value_to_json(prop(&t, "FunctionBedrockAccess", "PolicyDocument"));
    assert!(!app_json.contains("MasterUserSecret"), "{app_json}");
    assert!(app_json.contains("DatabaseAppSecret"), "{app_json}");
    let env = prop(&t, "Function", "Environment").as_map().unwrap()["Variables"]
        .as_map()
        .unwrap();
    assert_eq!(env["DB_SECRET_ARN"], reference("DatabaseAppSecret"));
    let whole = t.to_json();
    // The master secret appears where the schema step reads it, and nowhere the
    // application could: its policy, its environment, its endpoint statement.
    let sm =
        perimeter::template::value_to_json(prop(&t, "SecretsManagerEndpoint", "PolicyDocument"));
    assert!(
        sm.contains("ApplicationReadsItsSecret") && sm.contains("SchemaStepReadsBothSecrets"),
        "{sm}"
    );
    let endpoint = endpoint_policy(&t, "SecretsManagerEndpoint");
    let app_stmt = endpoint
        .statements
        .iter()
        .find(|s| s.sid.as_deref() == Some("ApplicationReadsItsSecret"))
        .unwrap();
    assert!(!format!("{:?}", app_stmt.resource).contains("MasterUserSecret"));
    assert!(format!("{:?}", app_stmt.principal).contains("FunctionRole"));
    let secret = &t.resources["DatabaseAppSecret"].properties;
    let generated = perimeter::template::value_to_json(&secret["GenerateSecretString"]);
    assert!(
        generated.contains("app_reader")
            && generated.contains("\"GenerateStringKey\": \"password\""),
        "{generated}"
    );
    assert!(whole.contains("SchemaFunction"));
}

#[test]
fn the_schema_is_applied_by_the_function_whose_answer_leaves_through_s3_only() {
    let p = with_database(base());
    let stack = BedrockPrivateAccess::stack(&p).unwrap();
    let (t, assets) = stack.into_parts();
    // The code is the handler's files with the driver, named by their hash.
    let expected = perimeter::assets::Source::from_files(
        HANDLER_ASSET,
        HANDLER_FILES,
        "python3.12",
        perimeter::assets::platform("x86_64"),
        "index.py",
    )
    .plan()
    .unwrap();
    assert_eq!(assets.len(), 1);
    assert_eq!(assets[0].key, expected.key);
    assert!(
        assets[0]
            .requirements
            .iter()
            .any(|r| r.starts_with("pg8000=="))
    );
    // Both functions run the same files; the schema step another handler, another role.
    for f in ["Function", "SchemaFunction"] {
        let code = prop(&t, f, "Code").as_map().unwrap();
        assert_eq!(code["S3Key"], Value::from(expected.key.as_str()));
        assert!(!code.contains_key("ZipFile"));
    }
    assert_eq!(
        prop(&t, "SchemaFunction", "Handler"),
        &Value::from("schema.handler")
    );
    assert_eq!(
        prop(&t, "Function", "Handler"),
        &Value::from("index.handler")
    );
    assert_eq!(
        prop(&t, "SchemaFunction", "Role"),
        &getatt("SchemaFunctionRole", "Arn")
    );
    let env = prop(&t, "SchemaFunction", "Environment").as_map().unwrap()["Variables"]
        .as_map()
        .unwrap();
    assert_eq!(
        env["MASTER_SECRET_ARN"],
        getatt("Database", "MasterUserSecret.SecretArn")
    );
    assert_eq!(env["STACK_ID"], reference("AWS::StackId"));
    let d = p.database.as_ref().unwrap();
    assert_eq!(
        env["SCHEMA_SHA256"],
        Value::from(schema_digest(&d.schema.schema, &d.schema.seed, &d.read_tables).as_str())
    );
    // Only the schema step's policy names the master secret.
    let step =
        perimeter::template::value_to_json(prop(&t, "SchemaFunctionAccess", "PolicyDocument"));
    assert!(
        step.contains("MasterUserSecret") && step.contains("SecretsManagerEndpoint"),
        "{step}"
    );
    assert_eq!(
        prop(&t, "SchemaFunctionAccess", "Roles"),
        &Value::List(vec![reference("SchemaFunctionRole")])
    );
    assert_eq!(
        prop(&t, "Database", "CACertificateIdentifier"),
        &Value::from("rds-ca-rsa2048-g1")
    );
    // The custom resource: the function, the SQL, a bounded wait, after what it needs.
    let schema = &t.resources["DatabaseSchemaStep"];
    assert_eq!(schema.resource_type.as_str(), "Custom::DatabaseSchema");
    assert_eq!(
        schema.properties["ServiceToken"],
        getatt("SchemaFunction", "Arn")
    );
    assert_eq!(
        schema.properties["ReadTables"],
        Value::List(vec![Value::from("products")])
    );
    assert_eq!(
        schema.properties["Schema"],
        Value::from(p.database.as_ref().unwrap().schema.schema.as_str())
    );
    assert_eq!(schema.properties["ServiceTimeout"], Value::from(180));
    for needed in [
        "FunctionBedrockAccess",
        "SchemaFunctionAccess",
        "S3Endpoint",
        "WorkloadEgressToS3Tcp443",
        "WorkloadEgressToDatabaseTcp5432",
        "DatabaseIngressFromWorkloadTcp5432",
    ] {
        assert!(schema.depends_on.contains(needed), "{needed}");
    }
    // The S3 gateway endpoint: on the private route tables, writes to CloudFormation's
    // response bucket of the stack's Region only, named exactly (finding 3).
    assert_eq!(
        prop(&t, "S3Endpoint", "VpcEndpointType"),
        &Value::from("Gateway")
    );
    assert_eq!(
        prop(&t, "S3Endpoint", "RouteTableIds"),
        &Value::List(vec![
            reference("VpcPrivateSubnet1RouteTable"),
            reference("VpcPrivateSubnet2RouteTable")
        ])
    );
    let policy = PolicyDocument::from_value(prop(&t, "S3Endpoint", "PolicyDocument")).unwrap();
    assert_eq!(policy.statements.len(), 1);
    let json = perimeter::template::value_to_json(prop(&t, "S3Endpoint", "PolicyDocument"));
    assert!(json.contains("\"Action\": \"s3:PutObject\""), "{json}");
    assert!(!json.contains("response-*"), "{json}");
    // The bucket is the Region without its dashes: us-west-2 -> ...-uswest2.
    let resource = &prop(&t, "S3Endpoint", "PolicyDocument").as_map().unwrap()["Statement"]
        .as_list()
        .unwrap()[0]
        .as_map()
        .unwrap()["Resource"];
    let compact: String = perimeter::template::value_to_json(resource)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    assert_eq!(
        compact,
        r#"{"Fn::Sub":["arn:${AWS::Partition}:s3:::cloudformation-custom-resource-response-${Region}/*",{"Region":{"Fn::Join":["",{"Fn::Split":["-",{"Ref":"AWS::Region"}]}]}}]}"#
    );
    // The workload reaches S3 by its prefix list on 443, nothing wider.
    let egress = &t.resources["WorkloadEgressToS3Tcp443"].properties;
    assert_eq!(
        egress["DestinationPrefixListId"],
        Value::from("pl-63a5400a")
    );
    assert_eq!(egress["FromPort"], Value::from(443));
    assert!(!egress.contains_key("CidrIp"));
    synth("database-schema", &p);
}

#[test]
fn without_a_database_the_handler_stays_inline_and_there_is_no_s3_path() {
    let (t, assets) = BedrockPrivateAccess::stack(&base()).unwrap().into_parts();
    assert!(assets.is_empty());
    assert_eq!(
        prop(&t, "Function", "Code").as_map().unwrap()["ZipFile"],
        Value::from(HANDLER_SOURCE)
    );
    for id in [
        "S3Endpoint",
        "DatabaseSchemaStep",
        "WorkloadEgressToS3Tcp443",
    ] {
        assert!(!t.resources.contains_key(id), "{id}");
    }
}

#[test]
fn corporate_access_adds_a_gateway_and_tls_from_the_corporate_block_only() {
    let t = synth(
        "corporate",
        &BedrockPrivateAccessProps {
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
        },
    );
    let ingress = prop(&t, "EndpointSecurityGroup", "SecurityGroupIngress")
        .as_list()
        .unwrap();
    assert_eq!(ingress.len(), 1);
    let r = ingress[0].as_map().unwrap();
    assert_eq!(
        (&r["CidrIp"], &r["FromPort"], &r["ToPort"]),
        (
            &Value::from("172.16.0.0/12"),
            &Value::from(443),
            &Value::from(443)
        )
    );
    let prop_res = &t.resources["VpnGatewayRoutePropagation"];
    assert!(prop_res.depends_on.contains("VpnGatewayAttachment"));
    assert_eq!(
        prop_res.properties["RouteTableIds"]
            .as_list()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn outputs_are_exported() {
    let t = synth("minimal", &base());
    for o in [
        "VpcId",
        "PrivateSubnetIds",
        "BedrockRuntimeEndpointId",
        "FunctionName",
        "FunctionArn",
    ] {
        let out = t.outputs.get(o).unwrap_or_else(|| panic!("no output {o}"));
        assert!(
            perimeter::template::value_to_json(out.export_name.as_ref().unwrap())
                .contains(&format!("${{AWS::StackName}}-{o}"))
        );
    }
    assert_eq!(t.outputs["FunctionArn"].value, getatt("Function", "Arn"));
}

#[test]
fn logical_ids_are_stable_when_unrelated_parts_change() {
    let a = synth("minimal", &base());
    let b = synth("database", &with_database(base()));
    for id in [
        "Vpc",
        "VpcPrivateSubnet1",
        "VpcPrivateSubnet2RouteTable",
        "WorkloadSecurityGroup",
        "EndpointSecurityGroup",
        "BedrockRuntimeEndpoint",
        "EndpointIngressFromWorkloadTcp443",
        "FunctionLogGroup",
        "FunctionRole",
    ] {
        assert_eq!(
            a.resources.get(id),
            b.resources.get(id),
            "{id} changed when a database was added"
        );
    }
}

#[test]
fn synthesis_is_byte_deterministic() {
    let p = with_database(base());
    let first = BedrockPrivateAccess::template(&p).unwrap();
    for _ in 0..5 {
        let again = BedrockPrivateAccess::template(&p).unwrap();
        assert_eq!(again.to_json(), first.to_json());
        assert_eq!(again.to_yaml(), first.to_yaml());
    }
}

#[test]
fn bad_settings_are_construct_errors() {
    let err =
        |p: BedrockPrivateAccessProps| BedrockPrivateAccess::template(&p).unwrap_err().to_string();
    assert!(
        err(BedrockPrivateAccessProps {
            azs: Azs::Count(1),
            subnets: vec!["10.0.0.0/24".parse().unwrap()],
            ..base()
        })
        .contains("at least 2 Availability Zones")
    );
    assert!(
        err(BedrockPrivateAccessProps {
            subnets: vec![
                "10.0.0.0/24".parse().unwrap(),
                "10.0.0.0/25".parse().unwrap()
            ],
            ..base()
        })
        .contains("overlap")
    );
    assert!(
        err(BedrockPrivateAccessProps {
            subnets: vec![
                "10.0.0.0/24".parse().unwrap(),
                "10.9.0.0/24".parse().unwrap()
            ],
            vpc_cidr: "10.0.0.0/16".parse().unwrap(),
            ..base()
        })
        .contains("outside")
    );
    assert!(
        err(BedrockPrivateAccessProps {
            corporate_access: Some(CorporateAccess {
                cidr: "10.0.0.0/8".parse().unwrap(),
                amazon_side_asn: None,
                vgw_amazon_side_asn: None,
                direct_connect_gateway_id: Some("5f1a0c4e-9d3b-4a57-8e2f-0b6c1d2e3f40".into()),
                virtual_interface: None,
                dns: false,
                principals: vec![],
            }),
            ..base()
        })
        .contains("overlaps the VPC")
    );
    assert!(
        err(BedrockPrivateAccessProps {
            models: vec![],
            ..base()
        })
        .contains("at least one model")
    );
    let mut stack = Stack::new("x");
    stack
        .add("Vpc", perimeter::resources::ec2::Vpc::new())
        .unwrap();
    assert_eq!(
        stack
            .add("Vpc", perimeter::resources::ec2::Vpc::new())
            .unwrap_err(),
        ConstructError::DuplicateId("Vpc".into())
    );
    assert!(matches!(
        stack.add("not-an-id", perimeter::resources::ec2::Vpc::new()),
        Err(ConstructError::InvalidId(_))
    ));
}

#[test]
fn flow_logs_record_every_flow_through_a_role_that_writes_only_their_log_group() {
    let t = synth(
        "flow-logs",
        &BedrockPrivateAccessProps {
            flow_log_retention_days: Some(365),
            ..base()
        },
    );
    // The flow log: the VPC, every flow, to its own log group, delivered by its own role.
    assert_eq!(of_type(&t, "AWS::EC2::FlowLog").len(), 1);
    assert_eq!(prop(&t, "VpcFlowLogs", "ResourceId"), &reference("Vpc"));
    assert_eq!(prop(&t, "VpcFlowLogs", "ResourceType"), &Value::from("VPC"));
    assert_eq!(prop(&t, "VpcFlowLogs", "TrafficType"), &Value::from("ALL"));
    assert_eq!(
        prop(&t, "VpcFlowLogs", "LogDestinationType"),
        &Value::from("cloud-watch-logs")
    );
    assert_eq!(
        prop(&t, "VpcFlowLogs", "LogGroupName"),
        &reference("VpcFlowLogsLogGroup")
    );
    assert_eq!(
        prop(&t, "VpcFlowLogs", "DeliverLogsPermissionArn"),
        &getatt("VpcFlowLogsRole", "Arn")
    );
    assert_eq!(
        prop(&t, "VpcFlowLogsLogGroup", "RetentionInDays"),
        &Value::Number(365.into())
    );
    // Only the flow-logs service, for this account's flow logs, assumes the role.
    let trust = PolicyDocument::from_value(prop(&t, "VpcFlowLogsRole", "AssumeRolePolicyDocument"))
        .unwrap();
    let trust_text =
        perimeter::template::value_to_json(prop(&t, "VpcFlowLogsRole", "AssumeRolePolicyDocument"));
    assert_eq!(trust.statements.len(), 1);
    assert!(
        trust_text.contains("vpc-flow-logs.amazonaws.com"),
        "{trust_text}"
    );
    assert!(
        trust_text.contains("aws:SourceAccount") && trust_text.contains("aws:SourceArn"),
        "{trust_text}"
    );
    // Its one policy writes to that log group and nothing else.
    let policies = prop(&t, "VpcFlowLogsRole", "Policies").as_list().unwrap();
    assert_eq!(policies.len(), 1);
    let doc = PolicyDocument::from_value(&policies[0].as_map().unwrap()["PolicyDocument"]).unwrap();
    assert_eq!(doc.statements.len(), 1);
    let text = perimeter::template::value_to_json(&policies[0]);
    assert!(
        text.contains("VpcFlowLogsLogGroup") && !text.contains("\"*\""),
        "{text}"
    );
    // Off: none of it.
    let off = synth("flow-logs-off", &base());
    assert!(of_type(&off, "AWS::EC2::FlowLog").is_empty());
    assert!(
        !off.resources
            .keys()
            .any(|id| id.as_str().starts_with("VpcFlowLogs"))
    );
    // A retention CloudWatch Logs does not offer is refused.
    let bad = BedrockPrivateAccess::template(&BedrockPrivateAccessProps {
        flow_log_retention_days: Some(8),
        ..base()
    });
    assert!(
        bad.unwrap_err()
            .to_string()
            .contains("flow log retention 8 days")
    );
}

#[test]
fn corporate_callers_get_a_direct_connect_gateway_and_dns_for_the_endpoints_private_names() {
    let corporate = |existing: Option<&str>, dns: bool| BedrockPrivateAccessProps {
        corporate_access: Some(CorporateAccess {
            cidr: "172.16.0.0/12".parse().unwrap(),
            amazon_side_asn: Some(64512),
            vgw_amazon_side_asn: None,
            direct_connect_gateway_id: existing.map(str::to_string),
            virtual_interface: existing.is_none().then(|| VirtualInterfaceProps {
                connection_id: "dxcon-fgs1a2b3".into(),
                vlan: 101,
                customer_asn: 65001,
            }),
            dns,
            principals: vec![],
        }),
        ..base()
    };
    let t = synth("corporate-dns", &corporate(None, true));
    // A Direct Connect gateway, associated with the virtual private gateway, advertising
    // the VPC's block.
    assert_eq!(
        of_type(&t, "AWS::DirectConnect::DirectConnectGateway").len(),
        1
    );
    assert_eq!(
        prop(&t, "DirectConnectGatewayAssociation", "AssociatedGatewayId"),
        &reference("VpnGateway")
    );
    assert_eq!(
        prop(
            &t,
            "DirectConnectGatewayAssociation",
            "DirectConnectGatewayId"
        ),
        &getatt("DirectConnectGateway", "DirectConnectGatewayId")
    );
    assert_eq!(
        prop(
            &t,
            "DirectConnectGatewayAssociation",
            "AllowedPrefixesToDirectConnectGateway"
        ),
        &Value::List(vec![Value::from("10.0.0.0/16")])
    );
    // An inbound resolver on fixed addresses in each private subnet, DNS from the
    // corporate block only (UDP and TCP 53), and the addresses and names as outputs.
    let ips: Vec<String> = prop(&t, "ResolverInboundEndpoint", "IpAddresses")
        .as_list()
        .unwrap()
        .iter()
        .map(|a| a.as_map().unwrap()["Ip"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ips, ["10.0.0.10", "10.0.1.10"]);
    assert_eq!(
        prop(&t, "ResolverInboundEndpoint", "Direction"),
        &Value::from("INBOUND")
    );
    let ingress = prop(&t, "ResolverSecurityGroup", "SecurityGroupIngress")
        .as_list()
        .unwrap();
    let rules: BTreeSet<(String, String, String)> = ingress
        .iter()
        .map(|r| {
            let m = r.as_map().unwrap();
            let s = |k: &str| perimeter::template::value_to_json(&m[k]);
            (s("IpProtocol"), s("FromPort"), s("CidrIp"))
        })
        .collect();
    assert_eq!(
        rules,
        BTreeSet::from([
            ("\"tcp\"".into(), "53".into(), "\"172.16.0.0/12\"".into()),
            ("\"udp\"".into(), "53".into(), "\"172.16.0.0/12\"".into()),
        ])
    );
    assert_eq!(
        t.outputs["ResolverInboundAddresses"].value,
        Value::from("10.0.0.10,10.0.1.10")
    );
    assert!(t.outputs.contains_key("BedrockRuntimeDnsNames"));

    // An existing gateway is associated, not created; without DNS, no resolver.
    let id = "5f1a0c4e-9d3b-4a57-8e2f-0b6c1d2e3f40";
    let t = synth("corporate-existing-gateway", &corporate(Some(id), false));
    assert!(of_type(&t, "AWS::DirectConnect::DirectConnectGateway").is_empty());
    assert_eq!(
        prop(
            &t,
            "DirectConnectGatewayAssociation",
            "DirectConnectGatewayId"
        ),
        &Value::from(id)
    );
    assert!(of_type(&t, "AWS::Route53Resolver::ResolverEndpoint").is_empty());
    assert!(!t.outputs.contains_key("ResolverInboundAddresses"));
    assert_eq!(
        resolver_address("10.1.16.0/20".parse().unwrap()).to_string(),
        "10.1.16.10"
    );
}

#[test]
fn corporate_principals_are_admitted_by_the_endpoint_for_the_listed_models_only() {
    let roles = "arn:aws:iam::111111111111:role/corporate-analysts";
    let org = "o-a1b2c3d4e5";
    let t = synth(
        "corporate-principals",
        &BedrockPrivateAccessProps {
            corporate_access: Some(CorporateAccess {
                cidr: "172.16.0.0/12".parse().unwrap(),
                amazon_side_asn: None,
                vgw_amazon_side_asn: None,
                direct_connect_gateway_id: Some("5f1a0c4e-9d3b-4a57-8e2f-0b6c1d2e3f40".into()),
                virtual_interface: None,
                dns: false,
                principals: vec![roles.parse().unwrap(), org.parse().unwrap()],
            }),
            ..base()
        },
    );
    let policy = endpoint_policy(&t, "BedrockRuntimeEndpoint");
    let text =
        perimeter::template::value_to_json(prop(&t, "BedrockRuntimeEndpoint", "PolicyDocument"));
    assert_eq!(policy.statements.len(), 3, "{text}");
    // Every statement: invocation (only) on the listed model (only); the function's role
    // InvokeModel, the corporate callers streaming too (finding 7).
    for s in &policy.statements {
        assert!(s.names_action("bedrock:InvokeModel"), "{text}");
    }
    let statements = prop(&t, "BedrockRuntimeEndpoint", "PolicyDocument")
        .as_map()
        .unwrap()["Statement"]
        .as_list()
        .unwrap();
    for s in statements {
        let m = s.as_map().unwrap();
        let expected = if m["Sid"] == Value::from("InvokeListedModelsOnly") {
            Value::from("bedrock:InvokeModel")
        } else {
            Value::List(vec![
                Value::from("bedrock:InvokeModel"),
                Value::from("bedrock:InvokeModelWithResponseStream"),
            ])
        };
        assert_eq!(m["Action"], expected, "{text}");
        assert!(
            perimeter::template::value_to_json(&m["Resource"])
                .contains("foundation-model/anthropic.claude-instant-v1"),
            "{text}"
        );
    }
    assert!(text.contains(roles), "{text}");
    assert!(
        text.contains("aws:PrincipalOrgID") && text.contains(org),
        "{text}"
    );
    assert!("o-short".parse::<CorporatePrincipal>().is_err());
    assert!(
        "arn:aws:iam::111111111111:user/x"
            .parse::<CorporatePrincipal>()
            .is_err()
    );
}

#[test]
#[ignore = "downloads the handler's pinned packages from PyPI with pip (scripts/test runs this)"]
fn the_handler_asset_holds_the_driver_its_dependencies_and_the_rds_roots() {
    let src = perimeter::assets::Source::from_files(
        HANDLER_ASSET,
        HANDLER_FILES,
        "python3.12",
        perimeter::assets::platform("x86_64"),
        "index.py",
    );
    let planned = src.plan().unwrap();
    let (c1, c2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = perimeter::assets::build(&planned, c1.path(), &mut |_| {}).unwrap();
    let b = perimeter::assets::build(&planned, c2.path(), &mut |_| {}).unwrap();
    assert_eq!(a.sha256, b.sha256, "two cold builds differ");
    for f in [
        "index.py",
        "database.py",
        "rds-ca.pem",
        "pg8000/native.py",
        "scramp/core.py",
        "asn1crypto/x509.py",
        "dateutil/parser/_parser.py",
        "six.py",
    ] {
        assert!(a.files.iter().any(|x| x == f), "{f} missing: {:?}", a.files);
    }
    // The runtime's botocore needs python-dateutil below 3.
    assert!(
        a.files
            .iter()
            .any(|f| f == "python_dateutil-2.9.0.post0.dist-info/METADATA")
    );
    let top: std::collections::BTreeSet<&str> = a
        .files
        .iter()
        .map(|f| f.split('/').next().unwrap())
        .collect();
    eprintln!(
        "handler asset {}: zip sha256 {}, {} bytes, {} files; top level: {}",
        a.key,
        a.sha256,
        a.bytes,
        a.files.len(),
        top.into_iter().collect::<Vec<_>>().join(" ")
    );
}

// ---- issue 21: the findings of the security review, each on the template ----

#[test]
fn a_system_profile_admits_itself_and_its_model_in_every_destination_region_only() {
    let profile: ModelId = "us.anthropic.claude-haiku-5-5".parse().unwrap();
    let dest = vec![
        "us-east-1".to_string(),
        "us-east-2".to_string(),
        "us-west-2".to_string(),
    ];
    let p = BedrockPrivateAccessProps {
        models: vec![profile.clone()],
        destinations: BTreeMap::from([(profile, dest.clone())]),
        ..base()
    };
    let t = synth("profile", &p);
    let b = bindings().bind(Pseudo::AccountId.name(), "111111111111");
    let through = policies(&t).vpc_endpoint(
        "BedrockRuntimeEndpoint",
        endpoint_policy(&t, "BedrockRuntimeEndpoint"),
    );
    let call = |arn: &str| {
        through
            .evaluate(
                &Request::new(ROLE_ARN, "bedrock:InvokeModel", arn).with("aws:sourceVpce", VPCE),
                &b,
            )
            .decision
    };
    // The profile in the caller's Region and account, and its model in each destination.
    let profile_arn =
        "arn:aws:bedrock:us-east-1:111111111111:inference-profile/us.anthropic.claude-haiku-5-5";
    assert_eq!(call(profile_arn), Decision::Allow);
    for r in &dest {
        let model = format!("arn:aws:bedrock:{r}::foundation-model/anthropic.claude-haiku-5-5");
        assert_eq!(call(&model), Decision::Allow, "{model}");
    }
    // Nothing else: the model outside the destinations, another profile, another model.
    for denied in [
        "arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-haiku-5-5",
        "arn:aws:bedrock:us-east-1:111111111111:inference-profile/us.anthropic.claude-sonnet-4-6",
        "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-6",
    ] {
        assert_eq!(call(denied), Decision::ImplicitDeny, "{denied}");
    }
    let doc = endpoint_policy(&t, "BedrockRuntimeEndpoint");
    assert_eq!(
        doc.statements[0].resource.as_ref().unwrap().inner().len(),
        4
    );
}

#[test]
fn an_application_profile_is_created_and_called_with_what_it_copies() {
    let source: ModelId = "us.anthropic.claude-haiku-5-5".parse().unwrap();
    let p = BedrockPrivateAccessProps {
        models: vec![source.clone()],
        destinations: BTreeMap::from([(source, vec!["us-east-1".to_string()])]),
        application_inference_profile: true,
        ..base()
    };
    let t = synth("application-profile", &p);
    let r = &t.resources["ApplicationInferenceProfile"];
    assert_eq!(
        r.resource_type.as_str(),
        "AWS::Bedrock::ApplicationInferenceProfile"
    );
    let copy = perimeter::template::value_to_json(&r.properties["ModelSource"]);
    assert!(
        copy.contains("inference-profile/us.anthropic.claude-haiku-5-5"),
        "{copy}"
    );
    let env = prop(&t, "Function", "Environment").as_map().unwrap()["Variables"]
        .as_map()
        .unwrap();
    assert_eq!(
        env["MODEL_ID"],
        getatt("ApplicationInferenceProfile", "InferenceProfileArn")
    );
    let grant =
        perimeter::template::value_to_json(prop(&t, "FunctionBedrockAccess", "PolicyDocument"));
    assert!(
        grant.contains("InferenceProfileArn")
            && grant.contains("foundation-model/anthropic.claude-haiku-5-5"),
        "{grant}"
    );
    // An existing application profile without what it copies is refused.
    let arn: ModelId =
        "arn:aws:bedrock:us-east-1:111111111111:application-inference-profile/abc123def456"
            .parse()
            .unwrap();
    let bad = BedrockPrivateAccessProps {
        models: vec![arn],
        ..base()
    };
    assert!(BedrockPrivateAccess::template(&bad).is_err());
}

fn corporate(
    existing: Option<&str>,
    vif: Option<VirtualInterfaceProps>,
) -> BedrockPrivateAccessProps {
    BedrockPrivateAccessProps {
        corporate_access: Some(CorporateAccess {
            cidr: "172.16.0.0/12".parse().unwrap(),
            amazon_side_asn: Some(64512),
            vgw_amazon_side_asn: Some(65000),
            direct_connect_gateway_id: existing.map(str::to_string),
            virtual_interface: vif,
            dns: true,
            principals: vec![],
        }),
        ..with_database(base())
    }
}

#[test]
fn direct_connect_waits_for_the_attachment_and_carries_a_virtual_interface() {
    let vif = VirtualInterfaceProps {
        connection_id: "dxcon-fgs1a2b3".into(),
        vlan: 101,
        customer_asn: 65001,
    };
    let t = synth("direct-connect-vif", &corporate(None, Some(vif)));
    // The association waits for the VGW's attachment to the VPC (finding 4).
    assert!(
        t.resources["DirectConnectGatewayAssociation"]
            .depends_on
            .contains("VpnGatewayAttachment")
    );
    // The ASN is the Direct Connect gateway's; the VGW keeps its own.
    assert_eq!(
        prop(&t, "DirectConnectGateway", "AmazonSideAsn"),
        &Value::from("64512")
    );
    assert_eq!(prop(&t, "VpnGateway", "AmazonSideAsn"), &Value::from(65000));
    let vif = &t.resources["DirectConnectVirtualInterface"];
    assert_eq!(
        vif.resource_type.as_str(),
        "AWS::DirectConnect::PrivateVirtualInterface"
    );
    assert_eq!(
        vif.properties["ConnectionId"],
        Value::from("dxcon-fgs1a2b3")
    );
    assert_eq!(vif.properties["Vlan"], Value::from(101));
    assert_eq!(
        vif.properties["DirectConnectGatewayId"],
        getatt("DirectConnectGateway", "DirectConnectGatewayId")
    );
    // A new gateway with nothing on it is refused; an existing one takes no VIF.
    assert!(BedrockPrivateAccess::template(&corporate(None, None)).is_err());
    let existing = synth(
        "direct-connect-existing",
        &corporate(Some("5f1a0c4e-9d3b-4a57-8e2f-0b6c1d2e3f40"), None),
    );
    assert!(!existing.resources.contains_key("DirectConnectGateway"));
    assert!(
        !existing
            .resources
            .contains_key("DirectConnectVirtualInterface")
    );
}

#[test]
fn the_corporate_network_reaches_the_runtime_endpoint_only() {
    let t = synth(
        "group-per-endpoint",
        &corporate(Some("5f1a0c4e-9d3b-4a57-8e2f-0b6c1d2e3f40"), None),
    );
    let group_of =
        |endpoint: &str| prop(&t, endpoint, "SecurityGroupIds").as_list().unwrap()[0].clone();
    assert_eq!(
        group_of("BedrockRuntimeEndpoint"),
        getatt("EndpointSecurityGroup", "GroupId")
    );
    assert_eq!(
        group_of("SecretsManagerEndpoint"),
        getatt("ServiceEndpointSecurityGroup", "GroupId")
    );
    // Every rule admitting the corporate block, by group: runtime 443, resolver 53.
    let mut corporate_rules = Vec::new();
    for (id, sg) in of_type(&t, "AWS::EC2::SecurityGroup") {
        for r in sg
            .get("SecurityGroupIngress")
            .and_then(Value::as_list)
            .unwrap_or(&[])
        {
            let r = r.as_map().unwrap();
            if r.get("CidrIp") == Some(&Value::from("172.16.0.0/12")) {
                corporate_rules.push((id.to_string(), r["FromPort"].clone()));
            }
        }
    }
    corporate_rules.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        corporate_rules,
        vec![
            ("EndpointSecurityGroup".to_string(), Value::from(443)),
            ("ResolverSecurityGroup".to_string(), Value::from(53)),
            ("ResolverSecurityGroup".to_string(), Value::from(53)),
        ]
    );
    assert!(
        !prop(&t, "ServiceEndpointSecurityGroup", "GroupDescription")
            .as_str()
            .unwrap()
            .is_empty()
    );
    assert!(
        !t.resources["ServiceEndpointSecurityGroup"]
            .properties
            .contains_key("SecurityGroupIngress")
    );
}

#[test]
fn production_logs_are_kept_and_zone_ids_place_subnets() {
    let mut p = with_database(base());
    p.function.retain_logs = true;
    p.flow_log_retention_days = Some(365);
    p.azs = Azs::Ids(vec!["use1-az1".into(), "use1-az4".into()]);
    let t = synth("prod-logs-zone-ids", &p);
    for id in [
        "FunctionLogGroup",
        "SchemaFunctionLogGroup",
        "VpcFlowLogsLogGroup",
    ] {
        assert_eq!(
            t.resources[id].deletion_policy,
            Some(Value::from("Retain")),
            "{id}"
        );
        assert_eq!(
            t.resources[id].update_replace_policy,
            Some(Value::from("Retain")),
            "{id}"
        );
    }
    assert_eq!(
        prop(&t, "VpcPrivateSubnet1", "AvailabilityZoneId"),
        &Value::from("use1-az1")
    );
    assert_eq!(
        prop(&t, "VpcPrivateSubnet2", "AvailabilityZoneId"),
        &Value::from("use1-az4")
    );
    assert!(
        !t.resources["VpcPrivateSubnet1"]
            .properties
            .contains_key("AvailabilityZone")
    );
    let dev = synth("dev-logs", &base());
    assert_eq!(dev.resources["FunctionLogGroup"].deletion_policy, None);
}

/// The shipped prod template as committed in out/: what the review found, fixed.
#[test]
fn the_shipped_prod_template_holds_the_review_fixes() {
    let text = std::fs::read_to_string(
        common::root().join("out/bedrock-private-access/prod.template.json"),
    )
    .unwrap();
    let t = Template::parse(&text, perimeter::template::Format::Json).unwrap();
    assert_eq!(
        prop(&t, "Database", "EngineVersion"),
        &Value::from(perimeter::solutions::bedrock_private_access::settings::ENGINE_VERSION)
    );
    assert_eq!(
        t.resources["FunctionLogGroup"].deletion_policy,
        Some(Value::from("Retain"))
    );
    assert!(
        t.resources["DirectConnectGatewayAssociation"]
            .depends_on
            .contains("VpnGatewayAttachment")
    );
    assert!(t.resources.contains_key("DirectConnectVirtualInterface"));
    assert!(!t.resources.contains_key("BedrockEndpoint"));
    assert!(!text.contains("ForAnyValue"));
    assert!(!text.contains("claude-instant"));
    assert!(text.contains("inference-profile/us.anthropic.claude-haiku-5-5"));
    assert!(!text.contains("cloudformation-custom-resource-response-*"));
    assert_eq!(
        t.resources["DatabaseSchemaStep"].properties["ServiceToken"],
        getatt("SchemaFunction", "Arn")
    );
}

#[test]
fn a_legacy_model_is_a_warning_note_of_check_and_a_current_one_none() {
    use perimeter::solution::{Solution, TargetInfo};
    let target = TargetInfo {
        blueprint: "bedrock-private-access".into(),
        target: "dev".into(),
        account: "111111111111".into(),
        region: "us-east-1".into(),
        stage: "dev".into(),
        base: std::path::PathBuf::from("blueprints"),
    };
    let notes = |model: &str| {
        let props = BedrockPrivateAccessProps {
            models: vec![model.parse().unwrap()],
            ..base()
        };
        let mut ctx = perimeter::check::Context {
            today: "2026-12-06".into(),
            ..Default::default()
        };
        perimeter::solutions::bedrock_private_access::BedrockPrivateAccessSolution
            .check_context(&props, &target, &mut ctx);
        ctx.notes
    };
    let legacy = notes("us.anthropic.claude-sonnet-4-5-20250929-v1:0");
    assert_eq!(legacy.len(), 1, "{legacy:?}");
    assert!(
        legacy[0].starts_with("warning: inference profile us.anthropic.claude-sonnet-4-5-20250929-v1:0 is legacy: its end of life is 2027-04-08"),
        "{legacy:?}"
    );
    assert!(notes("us.anthropic.claude-haiku-5-5").is_empty());
}
