//! Bad templates give errors with line and column, and never a panic.

use perimeter::template::{Format, Template};

fn err(text: &str, format: Format) -> String {
    match Template::parse(text, format) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn invalid_json_names_line_and_column() {
    let e = err(
        "{\n  \"Resources\": {\n    \"A\": [1,]\n  }\n}\n",
        Format::Json,
    );
    assert!(e.starts_with("line 3, column 13:"), "{e}");
    let e = err(
        "{\"Resources\": {\"A\": {\"Type\": \"AWS::SNS::Topic\"}, \"A\": {}}}",
        Format::Json,
    );
    assert!(
        e.contains("duplicate key \"A\"") && e.contains("line 1, column 50"),
        "{e}"
    );
    assert!(err("{\"a\": \"unterminated}", Format::Json).contains("unterminated string"));
    assert!(err("", Format::Json).contains("line 1, column 1"));
}

#[test]
fn invalid_yaml_names_line_and_column() {
    let e = err(
        "Resources:\n  A:\n    Type: [AWS::SNS::Topic\n",
        Format::Yaml,
    );
    assert!(e.starts_with("line 4, column 1: invalid YAML"), "{e}");
    let e = err(
        "Resources:\n  A:\n    Type: AWS::SNS::Topic\n  A:\n    Type: AWS::SNS::Topic\n",
        Format::Yaml,
    );
    assert!(
        e.contains("line 4, column 3") && e.contains("duplicate key"),
        "{e}"
    );
}

#[test]
fn unknown_function_is_named_with_its_place() {
    let e = err(
        "Resources:\n  A:\n    Type: AWS::SNS::Topic\n    Properties:\n      DisplayName:\n        Fn::Concat: [a, b]\n",
        Format::Yaml,
    );
    assert!(
        e.contains("line 6, column 9")
            && e.contains("Resources.A.Properties.DisplayName")
            && e.contains("unknown function \"Fn::Concat\""),
        "{e}"
    );
    let e = err(
        "Resources:\n  A:\n    Type: AWS::SNS::Topic\n    Properties:\n      DisplayName: !Concat [a, b]\n",
        Format::Yaml,
    );
    assert!(e.contains("unknown short-form tag !Concat"), "{e}");
}

#[test]
fn wrong_arity_is_explained() {
    let e = err(
        "Resources:\n  A:\n    Type: AWS::SNS::Topic\n    Properties:\n      DisplayName: !Select [0]\n",
        Format::Yaml,
    );
    assert!(
        e.contains("line 5, column 28")
            && e.contains("Fn::Select takes [index, list], found 1 argument"),
        "{e}"
    );
    let e = err(
        r#"{"Resources": {"A": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": {"Fn::If": ["C", "a"]}}}}}"#,
        Format::Json,
    );
    assert!(
        e.contains("Fn::If takes [condition, value if true, value if false], found 2 arguments"),
        "{e}"
    );
    let e = err(
        "Resources:\n  A:\n    Type: AWS::SNS::Topic\n    Properties:\n      DisplayName: !Join a\n",
        Format::Yaml,
    );
    assert!(e.contains("Fn::Join takes a list"), "{e}");
}

#[test]
fn get_att_without_a_dot() {
    let e = err(
        "Resources:\n  A:\n    Type: AWS::SNS::Topic\n    Properties:\n      DisplayName: !GetAtt B\n",
        Format::Yaml,
    );
    assert!(
        e.contains("line 5, column 28") && e.contains("!GetAtt needs Resource.Attribute"),
        "{e}"
    );
}

#[test]
fn structural_errors() {
    assert!(
        err(
            "Resources:\n  a-b:\n    Type: AWS::SNS::Topic\n",
            Format::Yaml
        )
        .contains("logical id \"a-b\"")
    );
    assert!(err("Resources:\n  A:\n    Properties: {}\n", Format::Yaml).contains("needs a Type"));
    assert!(err("Resources:\n  A:\n    Type: SNS\n", Format::Yaml).contains("Org::Service::Type"));
    // An attribute CloudFormation does not define is read and kept (a macro or the SAM
    // transform may consume it); check reports it when no transform is declared.
    let t = Template::parse(
        "Resources:\n  A:\n    Type: AWS::SNS::Topic\n    Deletionpolicy: Retain\n",
        Format::Yaml,
    )
    .unwrap();
    assert!(t.resources["A"].other.contains_key("Deletionpolicy"));
    assert!(t.to_yaml().contains("    Deletionpolicy: Retain\n"));
    assert!(
        err("Resource:\n  A:\n    Type: AWS::SNS::Topic\n", Format::Yaml)
            .contains("unknown top-level section \"Resource\"")
    );
    assert!(
        err("Parameters:\n  P:\n    Type: Strin\n", Format::Yaml)
            .contains("unknown parameter type \"Strin\"")
    );
    assert!(err("Outputs:\n  O:\n    Description: x\n", Format::Yaml).contains("needs a Value"));
    assert!(err("a: 1\n---\nb: 2\n", Format::Yaml).contains("one YAML document"));
}

#[test]
fn alias_bombs_and_deep_nesting_fail_cleanly() {
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 0..8 {
        let prev = if i == 0 {
            "a".to_string()
        } else {
            format!("b{}", i - 1)
        };
        bomb.push_str(&format!("b{i}: &b{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
    }
    assert!(err(&bomb, Format::Yaml).contains("more than 1000000 nodes"));
    // Run where the test harness runs: a 2 MiB thread stack.
    let big = std::thread::Builder::new().stack_size(2 << 20).spawn(|| {
        let allowed = format!(
            "{{\"Resources\": {{\"A\": {{\"Type\": \"AWS::SNS::Topic\", \"Properties\": {{\"X\": {}1{}}}}}}}}}",
            "[".repeat(120),
            "]".repeat(120)
        );
        let t = Template::parse(&allowed, Format::Json).unwrap();
        assert_eq!(Template::parse(&t.to_yaml(), Format::Yaml).unwrap(), t);
        assert!(Template::parse(&format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000)), Format::Json).is_err());
    });
    big.unwrap().join().unwrap();
    let deep = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(err(&deep, Format::Json).contains("nesting deeper than"));
    let e = err(
        &format!("a: {}1{}", "[".repeat(10_000), "]".repeat(10_000)),
        Format::Yaml,
    );
    assert!(
        e.contains("nesting deeper than") || e.contains("recursion limit exceeded"),
        "{e}"
    );
    let e = err(
        &format!(
            "a:\n{}",
            (0..200)
                .map(|i| format!("{}- \n", "  ".repeat(i)))
                .collect::<String>()
        ),
        Format::Yaml,
    );
    assert!(
        e.contains("nesting deeper than") || e.contains("recursion limit exceeded"),
        "{e}"
    );
}

#[test]
fn garbage_never_panics() {
    // A cheap deterministic fuzz: every prefix and a byte-flipped copy of a real template.
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/templates/mappings-conditions.yaml"
    ))
    .unwrap();
    let json = Template::parse_any(&text).unwrap().to_json();
    for source in [&text, &json] {
        let bytes = source.as_bytes();
        for cut in (0..bytes.len()).step_by(7) {
            if let Ok(s) = std::str::from_utf8(&bytes[..cut]) {
                let _ = Template::parse_any(s);
            }
        }
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..300 {
            let mut b = bytes.to_vec();
            for _ in 0..4 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let i = (state as usize) % b.len();
                b[i] = b"{}[]:,-!&*\"' \n#|>0aZ"[(state >> 32) as usize % 20];
            }
            if let Ok(s) = String::from_utf8(b) {
                let _ = Template::parse_any(&s);
            }
        }
    }
}
