//! Schema facts for every resource type, the typed L1 structs, and the raw escape hatch.

use perimeter::resources::ec2::{SecurityGroup, Vpc, security_group};
use perimeter::resources::{Handle, RawResource, ResourceProps, facts};
use perimeter::template::typed::{List, Str, ToValue, fns};
use perimeter::template::{Pseudo, Value, value_to_json};

#[test]
fn every_distilled_type_loads() {
    let names = facts::type_names();
    assert!(names.len() > 1500, "{}", names.len());
    for n in &names {
        let f = facts::lookup(n).unwrap();
        assert_eq!(&f.type_name, n);
        for p in f.create_only.iter().chain(&f.required) {
            let top = p.split('.').next().unwrap();
            assert!(f.props.contains_key(top), "{n}: {p} is not a property");
        }
    }
    assert!(facts::lookup("AWS::Nope::Nothing").is_none());
}

#[test]
fn facts_know_replacement_attributes_and_sets() {
    let endpoint = facts::lookup("AWS::EC2::VPCEndpoint").unwrap();
    for p in ["ServiceName", "VpcId", "VpcEndpointType"] {
        assert!(endpoint.create_only.iter().any(|c| c == p), "{p}");
    }
    assert!(
        !endpoint.create_only.iter().any(|c| c == "PolicyDocument"),
        "a policy change is an update"
    );
    assert!(
        endpoint.property("SubnetIds").unwrap().u,
        "subnet ids are a set"
    );
    let db = facts::lookup("AWS::RDS::DBInstance").unwrap();
    assert!(db.has_attribute("Endpoint.Address") && db.has_attribute("MasterUserSecret.SecretArn"));
    assert!(db.conditional_create_only.iter().any(|c| c == "Engine"));
    let sg = facts::lookup("AWS::EC2::SecurityGroup").unwrap();
    assert!(
        sg.property("SecurityGroupIngress").unwrap().u,
        "inline rules are a set"
    );
    assert_eq!(sg.required, ["GroupDescription"]);
    let lambda = facts::lookup("AWS::Lambda::Function").unwrap();
    let runtime = lambda.property("Runtime").unwrap();
    assert!(runtime.types().any(|t| t == "string"));
}

#[test]
fn l1_structs_emit_schema_names_and_only_what_is_set() {
    let sg = SecurityGroup::new("web")
        .vpc_id(Str::reference("Vpc"))
        .security_group_ingress(vec![
            security_group::Ingress::new("tcp")
                .from_port(443)
                .to_port(443)
                .cidr_ip("10.0.0.0/8"),
        ]);
    let v = sg.to_value();
    let m = v.as_map().unwrap();
    assert_eq!(
        m.keys().collect::<Vec<_>>(),
        ["GroupDescription", "SecurityGroupIngress", "VpcId"]
    );
    let rule = m["SecurityGroupIngress"].as_list().unwrap()[0]
        .as_map()
        .unwrap();
    assert_eq!(rule["FromPort"], Value::from(443));
    assert_eq!(SecurityGroup::TYPE, "AWS::EC2::SecurityGroup");
    // Attributes are typed: a list attribute is a List, usable where lists go.
    let vpc: Handle<Vpc> = Handle::new("Vpc".parse().unwrap());
    let blocks: List<Str> = vpc.ipv6_cidr_blocks();
    let first = fns::select(0, blocks);
    assert!(value_to_json(&first.to_value()).contains("Ipv6CidrBlocks"));
    let az: Str = fns::select(0, fns::get_azs(Pseudo::Region.into()));
    assert!(value_to_json(&az.to_value()).contains("AWS::Region"));
}

#[test]
fn raw_resources_are_checked_against_the_facts() {
    assert!(
        RawResource::new("AWS::Nope::Nothing")
            .unwrap_err()
            .contains("no CloudFormation schema")
    );
    let ok = RawResource::new("AWS::SQS::Queue")
        .unwrap()
        .set("VisibilityTimeout", 60.into())
        .set("FifoQueue", true.into());
    assert_eq!(ok.validate(), Vec::<String>::new());
    let problems = |r: RawResource| r.validate().join("\n");
    let p = problems(
        RawResource::new("AWS::SQS::Queue")
            .unwrap()
            .set("VisibilityTimout", 60.into()),
    );
    assert!(p.contains("VisibilityTimout: unknown property"), "{p}");
    let p = problems(
        RawResource::new("AWS::EC2::SecurityGroup")
            .unwrap()
            .set("VpcId", "vpc-1".into()),
    );
    assert!(
        p.contains("GroupDescription: required property is missing"),
        "{p}"
    );
    let p = problems(
        RawResource::new("AWS::SQS::Queue")
            .unwrap()
            .set("VisibilityTimeout", Value::List(vec![])),
    );
    assert!(p.contains("VisibilityTimeout: expected integer"), "{p}");
    let p = problems(
        RawResource::new("AWS::EC2::VPCEndpoint")
            .unwrap()
            .set("VpcId", "v".into())
            .set("VpcEndpointType", "Private".into()),
    );
    assert!(p.contains("\"Private\" is not one of"), "{p}");
    let p = problems(
        RawResource::new("AWS::SQS::Queue")
            .unwrap()
            .set("Arn", "x".into()),
    );
    assert!(p.contains("read-only"), "{p}");
    // Nested objects are checked too; intrinsics are left to deploy time.
    let p = problems(
        RawResource::new("AWS::EC2::SecurityGroup")
            .unwrap()
            .set("GroupDescription", "x".into())
            .set(
                "SecurityGroupIngress",
                Value::List(vec![Value::map([
                    ("IpProtocol", Value::from("tcp")),
                    ("FromPrt", Value::from(1)),
                ])]),
            ),
    );
    assert!(
        p.contains("SecurityGroupIngress[0].FromPrt: unknown property"),
        "{p}"
    );
    let with_fn = RawResource::new("AWS::SQS::Queue")
        .unwrap()
        .set("VisibilityTimeout", fns::sub("${X}").to_value());
    assert!(with_fn.validate().is_empty());
    let h: Handle<perimeter::resources::Raw> = Handle::new("Q".parse().unwrap());
    assert!(h.attribute("AWS::SQS::Queue", "Arn").is_ok());
    assert!(
        h.attribute("AWS::SQS::Queue", "Nope")
            .unwrap_err()
            .contains("no attribute")
    );
}

// The L1 crate's pattern reader and property groups, tested here rather than in the
// crate: its own test harness would compile the whole generated crate a second time.

fn search(pattern: &str, text: &str) -> Option<bool> {
    perimeter::resources::patterns::search(pattern, text)
}

/// The schemas' own patterns (the facts' `g`).
fn schema_patterns() -> Vec<String> {
    fn walk(v: &serde_json::Value, out: &mut std::collections::BTreeSet<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    if let (true, Some(p)) = (k == "g", v.as_str()) {
                        out.insert(p.to_string());
                    }
                    walk(v, out);
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/crates/perimeter-l1/data/schema-facts.jsonl"
    );
    let mut out = std::collections::BTreeSet::new();
    for line in std::fs::read_to_string(path).unwrap().lines() {
        if let Some((_, json)) = line.split_once('\t')
            && !line.starts_with('#')
        {
            walk(&serde_json::from_str(json).unwrap(), &mut out);
        }
    }
    out.into_iter().collect()
}

#[test]
fn simple_patterns_match_as_the_regex_crate_does() {
    let patterns = schema_patterns();
    let simple: Vec<&String> = patterns
        .iter()
        .filter(|p| perimeter::resources::patterns::is_simple(p))
        .collect();
    // Most of the schemas' patterns skip the regex crate's compile.
    assert!(
        patterns.len() > 2000 && simple.len() > 1800,
        "{} of {}",
        simple.len(),
        patterns.len()
    );
    let fixed = [
        "",
        "a",
        "abc",
        "ABC-123",
        "a b",
        "x\n",
        "\n",
        "!@#$%^&*()",
        "65001",
        "ipv4",
        "123456789012",
        "us-east-1",
        "sg-0123456789abcdef0",
        "dxcon-fgs1a2b3",
        "arn:aws:iam::123456789012:role/x",
        "bedrock-private-access-prod-vif",
        "It's",
        "arn:aws:s3:::bucket/key.txt",
        "2026-12-06T10:00:00Z",
        "a/b/c",
        "ab_cd.ef@gh",
    ];
    // Strings of the pattern's own characters and a few others, from a fixed generator.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |n: usize| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize % n
    };
    let (mut compared, mut matched) = (0, 0);
    for p in &simple {
        let mut alphabet: Vec<char> = p.chars().filter(char::is_ascii).collect();
        alphabet.extend("aZ09-_ :/.\n\t".chars());
        let mut probes: Vec<String> = fixed.iter().map(|s| s.to_string()).collect();
        for _ in 0..24 {
            let len = next(30);
            probes.push((0..len).map(|_| alphabet[next(alphabet.len())]).collect());
        }
        for t in &probes {
            let found = search(p, t);
            assert_eq!(
                found,
                perimeter::resources::patterns::search_by_regex(p, t),
                "pattern {p:?} on {t:?}"
            );
            compared += 1;
            matched += usize::from(found == Some(true));
        }
    }
    eprintln!(
        "{} patterns, {compared} compared, {matched} matched",
        simple.len()
    );
    assert!(
        compared > 60_000 && matched > 10_000,
        "{compared} {matched}"
    );
    // Some answer each way, and the forms the matcher declines.
    assert_eq!(search("^[\\w \\-_,\\/]{1,100}$", "bedrock-vif"), Some(true));
    assert_eq!(search("^[\\w \\-_,\\/]{1,100}$", "It's"), Some(false));
    assert_eq!(search("^[1-9][0-9]*$", "65001"), Some(true));
    assert_eq!(search("^[1-9][0-9]*$", "06500"), Some(false));
    assert_eq!(search("^[a-z]{2,3}$", "abc\n"), Some(true));
    assert_eq!(search("[0-9]{3}", "ab1234"), Some(true));
    let ipv = "^(ipv4)|(ipv6)$";
    assert_eq!(search(ipv, "ipv4x"), Some(true));
    assert_eq!(search(ipv, "xipv6"), Some(true));
    assert_eq!(search(ipv, "xipv4"), Some(false));
    let dx = "^((arn:aws[a-z-]*:directconnect:[a-z0-9-]+:[0-9]{12}:(dxcon/dxcon|dxlag/dxlag))|dx(con|lag))-[a-z0-9A-Z]{8,21}$";
    assert!(perimeter::resources::patterns::is_simple(dx));
    assert_eq!(search(dx, "dxcon-fgs1a2b3"), Some(true));
    assert_eq!(search(dx, "dxlag-fgs1a2b3"), Some(true));
    assert_eq!(search(dx, "dxcon-fgs1"), Some(false));
    assert_eq!(
        search(
            dx,
            "arn:aws:directconnect:us-east-1:123456789012:dxcon/dxcon-fgs1a2b3"
        ),
        Some(true)
    );
    assert_eq!(search("^(ab)*$", "ababab"), Some(true));
    assert_eq!(search("^(ab)*$", "ababa"), Some(false));
    assert_eq!(search("^(a|ab)(c|bcd)(d*)$", "abcd"), Some(true));
    assert_eq!(search("^(?:a{2}){2,3}$", "aaaaaa"), Some(true));
    assert_eq!(search("^(?:a{2}){2,3}$", "aaaaaaaa"), Some(false));
    for declined in [
        "^(?=a)",
        "^(?i)a$",
        "(a)\\1",
        "^a*?$",
        "^a{,3}$",
        "^\\bword$",
        "^[[a]]$",
        "^a{2000}$",
    ] {
        assert!(
            !perimeter::resources::patterns::is_simple(declined),
            "{declined}"
        );
    }
}

#[test]
fn python_only_syntax_gives_no_verdict() {
    assert_eq!(search("[a--z]", "b"), None);
    assert_eq!(search("(a)\\1", "aa"), None);
}

#[test]
fn end_of_text_and_classes() {
    assert_eq!(search("^a\\Z", "a"), Some(true));
    assert_eq!(search("^a\\Z", "ab"), Some(false));
    assert_eq!(search("^[]a]+$", "]a"), Some(true));
    assert_eq!(search("^[^]a]+$", "b"), Some(true));
    assert_eq!(search("^[^]a]+$", "a"), Some(false));
    assert_eq!(search("^[\\w-]+$", "a-b"), Some(true));
    // A search, not a whole match, as cfn-lint's re.search.
    assert_eq!(search("[0-9]", "a1"), Some(true));
    // A `[` inside a class is the character, as Python reads it.
    assert_eq!(search("^[a-z[]+$", "a["), Some(true));
    assert_eq!(search("^[a&&b]+$", "a&"), Some(true));
    let sg = "^([a-z,A-Z,0-9,. _\\-:/()#,@[\\]+=&;\\{\\}!$*])*$";
    assert_eq!(search(sg, "web (443)"), Some(true));
    assert_eq!(search(sg, "it's"), Some(false));
    // Unicode classes on text that is not ASCII, ASCII ones otherwise.
    assert_eq!(search("^\\w+$", "caf\u{e9}"), Some(true));
    assert_eq!(search("^\\w+$", "cafe"), Some(true));
    assert_eq!(search("^[^a]$", "\u{e9}"), Some(true));
    assert_eq!(search("^[\\u0020-\\uFFFF]+$", "a b"), Some(true));
}

/// The exclusive and dependent-property problems of one resource's properties.
fn exclusive_problems(ty: &str, props_yaml: &str) -> Vec<String> {
    use perimeter::resources::{ProblemKind, property_problems};
    let text = format!("Resources:\n  R:\n    Type: {ty}\n    Properties:\n{props_yaml}");
    let t = perimeter::template::Template::parse_any(&text).unwrap();
    let f = facts::lookup(ty).unwrap();
    let r = t.resources.values().next().unwrap();
    property_problems(&f, &r.properties)
        .into_iter()
        .filter(|p| p.kind == ProblemKind::Exclusive)
        .map(|p| p.message)
        .collect()
}

#[test]
fn a_types_own_dependencies_hold_and_an_empty_value_is_unset() {
    let egress = "      GroupDescription: g\n      SecurityGroupEgress: [{IpProtocol: '-1', CidrIp: 10.0.0.0/8}]\n";
    let p = exclusive_problems("AWS::EC2::SecurityGroup", egress);
    assert_eq!(p, ["SecurityGroupEgress requires VpcId"]);
    assert!(
        exclusive_problems(
            "AWS::EC2::SecurityGroup",
            &format!("{egress}      VpcId: vpc-12345678\n")
        )
        .is_empty()
    );
    // A VpcId left empty (YAML null) is no VpcId.
    let p = exclusive_problems(
        "AWS::EC2::SecurityGroup",
        &format!("{egress}      VpcId:\n"),
    );
    assert_eq!(p, ["SecurityGroupEgress requires VpcId"]);
}

#[test]
fn a_condition_with_a_value_either_way_leaves_the_property_present() {
    // Both ports come from a condition, but neither branch removes them: the rule
    // still needs one source (cfn-lint E3014).
    let ingress = "      GroupDescription: g\n      VpcId: vpc-12345678\n      SecurityGroupIngress:\n        - IpProtocol: tcp\n          FromPort: !If [C, 6379, 11211]\n          ToPort: !If [C, 6379, 11211]\n";
    let p = exclusive_problems("AWS::EC2::SecurityGroup", ingress);
    assert_eq!(p.len(), 1, "{p:?}");
    let gone = ingress.replace("11211]", "!Ref AWS::NoValue]");
    assert!(exclusive_problems("AWS::EC2::SecurityGroup", &gone).is_empty());
}
