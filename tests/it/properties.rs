//! Properties over generated input (proptest): emit then parse gives the same template;
//! synth is deterministic; any blueprint the validator accepts synthesizes templates that
//! pass check. (diff(a, a) is empty and shuffled sets are no change: tests/it/diff.rs.)

use crate::common;

use common::arb::template;
use perimeter::blueprint::Blueprint;
use perimeter::check::Severity;
use perimeter::project::check_blueprints;
use perimeter::solutions::bedrock_private_access::BedrockPrivateAccess;
use perimeter::template::{Format, Template};
use proptest::prelude::*;
use serde_json::json;

/// The Bedrock solution's props of a resolved target.
fn bedrock(
    r: &std::sync::Arc<dyn perimeter::solution::Resolved>,
) -> &perimeter::solutions::bedrock_private_access::BedrockPrivateAccessProps {
    r.props_of().expect("a bedrock-private-access target")
}

/// A blueprint as the validator sees it: mostly valid, sometimes not (a corporate block
/// that overlaps the VPC, 10.200.0.0/16), so both paths are taken; public corporate
/// blocks, databases, Deny policies and several regions included.
fn blueprint_text() -> impl Strategy<Value = String> {
    let models = prop::sample::subsequence(
        vec![
            "global.anthropic.claude-haiku-5-5",
            "global.anthropic.claude-sonnet-4-6",
            "global.anthropic.claude-opus-4-7",
            "global.anthropic.claude-sonnet-5",
        ],
        1..=3,
    );
    let network = (
        0u8..=255,
        2u32..=4,
        prop::sample::select(vec![20u8, 24, 26, 28]),
    );
    let function = (
        prop::sample::select(vec!["python3.12", "python3.13", "python3.14"]),
        128u32..=10240,
        1u32..=900,
        prop::sample::select(vec![1u32, 7, 30, 365, 3653]),
    );
    let corporate = prop::option::of((
        prop::sample::select(vec![
            "172.16.0.0/12",
            "192.168.0.0/16",
            "10.200.0.0/16",
            "198.51.100.0/24",
        ]),
        prop::option::of(64512u32..=65534),
    ));
    let database = prop::option::of((any::<bool>(), 20u32..=100));
    let targets = prop::collection::vec(
        (
            prop::sample::select(vec![
                "us-east-1",
                "us-west-2",
                "eu-west-1",
                "ap-southeast-2",
                "eu-central-1",
            ]),
            any::<bool>(),
        ),
        1..=3,
    );
    (
        models,
        any::<bool>(),
        any::<bool>(),
        network,
        function,
        corporate,
        database,
        targets,
    )
        .prop_map(
            |(
                models,
                deny,
                list,
                (octet, zones, sub_len),
                (runtime, mem, timeout, retention),
                corp,
                db,
                targets,
            )| {
                let mut settings = json!({
                    "network": {
                        "vpc_cidr": format!("10.{octet}.0.0/16"),
                        "availability_zones": zones,
                        "subnet_prefix_length": sub_len,
                    },
                    "bedrock": {
                        "models": models,
                        "endpoint_policy_effect": if deny { "Deny" } else { "Allow" },
                        "list_foundation_models": list,
                    },
                    "function": {
                        "runtime": runtime,
                        "memory_mb": mem,
                        "timeout_seconds": timeout,
                        "log_retention_days": retention,
                    },
                });
                if let Some((cidr, asn)) = corp {
                    // A new Direct Connect gateway needs a virtual interface.
                    settings["corporate_access"] = json!({"cidr": cidr, "virtual_interface": {
                        "connection_id": "dxcon-fgs1a2b3", "vlan": 101, "customer_asn": 65001}});
                    if let Some(a) = asn {
                        settings["corporate_access"]["amazon_side_asn"] = json!(a);
                    }
                }
                if let Some((multi_az, storage)) = db {
                    settings["database"] =
                        json!({"multi_az": multi_az, "allocated_storage_gb": storage});
                }
                let targets: Vec<serde_json::Value> = targets
                    .iter()
                    .enumerate()
                    .map(|(i, (region, prod))| {
                        json!({
                            "name": format!("t{i}"),
                            "account": format!("{:012}", 100_000_000_000u64 + i as u64),
                            "region": region,
                            "stage": if *prod { "prod" } else { "dev" },
                        })
                    })
                    .collect();
                let doc = json!({
                    "solution": "bedrock-private-access",
                    "settings": settings,
                    "targets": targets,
                });
                serde_yaml::to_string(&doc).unwrap()
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn emit_then_parse_gives_the_same_template(t in template()) {
        for format in [Format::Json, Format::Yaml] {
            let text = t.emit(format);
            let back = Template::parse(&text, format).unwrap();
            prop_assert_eq!(&back, &t, "{:?}:\n{}", format, text);
            prop_assert_eq!(back.emit(format), text);
        }
    }
}

proptest! {
    // Each case runs check, the prover included, on every target (seconds in a debug
    // build): 16 cases keep CI within its budget; PROPTEST_CASES=N asks for more.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(16),
        ..ProptestConfig::default()
    })]

    #[test]
    fn accepted_blueprints_synthesize_deterministically_into_templates_that_pass_check(text in blueprint_text()) {
        let Ok(b) = Blueprint::parse("gen".parse().unwrap(), "gen.yaml", &text, &perimeter::solutions::builtin()) else {
            return Ok(());
        };
        for (target, props) in &b.resolved {
            let Ok(t) = BedrockPrivateAccess::template(bedrock(props)) else { continue };
            let again = BedrockPrivateAccess::template(bedrock(props)).unwrap();
            prop_assert_eq!(t.to_json(), again.to_json(), "{}", target.name);
            prop_assert_eq!(t.to_yaml(), again.to_yaml(), "{}", target.name);
        }
        let reports = check_blueprints(std::slice::from_ref(&b), &common::all_targets()).unwrap();
        for r in &reports {
            let errors: Vec<_> = r.findings.iter().filter(|f| f.severity == Severity::Error).collect();
            prop_assert!(errors.is_empty(), "{}: {:#?}\n{}", r.file, errors, text);
            prop_assert!(r.access.iter().all(|a| a.holds));
        }
    }
}

/// The generator must reach the interesting side: most blueprints it makes are accepted.
#[test]
fn the_blueprint_generator_mostly_makes_valid_blueprints() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = blueprint_text();
    let mut accepted = 0;
    for _ in 0..100 {
        let text = strategy.new_tree(&mut runner).unwrap().current();
        if Blueprint::parse(
            "gen".parse().unwrap(),
            "gen.yaml",
            &text,
            &perimeter::solutions::builtin(),
        )
        .is_ok()
        {
            accepted += 1;
        }
    }
    assert!(accepted >= 50, "{accepted} of 100 accepted");
}
