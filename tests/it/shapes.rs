//! Check and diff shared between the targets of one template shape
//! (`perimeter::project::shapes`): the same reports as every target on its own, each
//! target's findings naming its own account, and the targets some rule could tell apart
//! by their account checked alone.

use crate::common;

use perimeter::blueprint::{Blueprint, Name};
use perimeter::project::shapes::{self, Own, Sharing};
use perimeter::project::{check_blueprints_sharing, diff_targets_sharing};

const SHIPPED: &str = include_str!("../../blueprints/bedrock-private-access.yaml");

/// A failed expectation on every target (a finding naming the target's account), one
/// more on two targets only.
const EXPECT: &str = "check:
  expect:
    - name: the wrong belief
      via: no-endpoint
      outcome: allow
    - name: titan for a few
      model: amazon.titan-text-express-v1
      outcome: allow
      targets: [t00003, t00010]
";

/// The shipped settings (with `extra` before the targets) and `n` targets as
/// scripts/bench makes them, then the targets of `more`.
fn many(n: usize, extra: &str, more: &str) -> String {
    let head = &SHIPPED[..SHIPPED.find("targets:").unwrap()];
    let regions = ["us-east-1", "us-west-2", "us-east-2"];
    let mut text = format!("{head}{extra}targets:\n");
    for i in 0..n {
        let stage = if i % 2 == 0 { "dev" } else { "prod" };
        text.push_str(&format!(
            "  - name: t{i:05}\n    account: \"{}\"\n    region: {}\n    stage: {stage}\n",
            100000000000u64 + i as u64,
            regions[i % 3]
        ));
    }
    text + more
}

fn blueprint(text: &str) -> Blueprint {
    Blueprint::parse(
        "huge".parse::<Name>().unwrap(),
        "blueprints/huge.yaml",
        text,
        &perimeter::solutions::builtin(),
    )
    .unwrap_or_else(|e| panic!("{e:?}"))
}

/// A target whose account is the organizational-unit stand-in (a constant some rule
/// compares with), and one trusting a corporate role of another account.
const ODD: &str = "  - name: t90000
    account: \"000000000000\"
    region: us-east-1
    stage: dev
  - name: t90001
    account: \"100000000007\"
    region: us-east-1
    stage: prod
    overrides:
      corporate_access:
        cidr: 172.16.0.0/12
        amazon_side_asn: 64512
        vgw_amazon_side_asn: 64512
        virtual_interface:
          connection_id: dxcon-fgs1a2b3
          vlan: 101
          customer_asn: 65001
        principals:
          - arn:aws:iam::222222222222:role/corporate-analysts
";

#[test]
fn a_shared_check_reports_what_every_target_on_its_own_does() {
    let b = blueprint(&many(24, EXPECT, ODD));
    let opts = common::all_targets();
    let shared =
        check_blueprints_sharing(std::slice::from_ref(&b), &opts, Sharing::Shapes).unwrap();
    let alone = check_blueprints_sharing(std::slice::from_ref(&b), &opts, Sharing::Off).unwrap();
    assert_eq!(shared.len(), 26);
    assert_eq!(
        serde_json::to_string(&shared).unwrap(),
        serde_json::to_string(&alone).unwrap()
    );
    // A finding on t00006 (the shape of t00000: us-east-1, dev) names its own account,
    // and its line is where it is in its own template.
    let file = |name: &str| {
        shared
            .iter()
            .find(|r| r.target.as_deref() == Some(name))
            .unwrap()
    };
    let (t0, t6) = (file("t00000"), file("t00006"));
    assert_eq!(t6.findings.len(), 1);
    let m = &t6.findings[0].message;
    assert!(m.starts_with("the wrong belief:"), "{m}");
    assert!(m.contains(":100000000006:inference-profile/"), "{m}");
    assert!(!m.contains("100000000000"), "{m}");
    assert_eq!(
        t0.findings[0]
            .message
            .replace("100000000000", "100000000006"),
        *m
    );
    assert!(t6.findings[0].line.is_some());
    assert_eq!(t6.findings[0].line, t0.findings[0].line);
    // The expectation of two targets only is theirs.
    assert_eq!(file("t00003").findings.len(), 2);
    assert_eq!(file("t00009").findings.len(), 1);
    // The stand-in account's target names its own account.
    let odd = file("t90000");
    assert!(odd.findings[0].message.contains(":000000000000:"));
}

#[test]
fn a_target_whose_account_some_rule_compares_with_a_constant_is_never_shared() {
    let text = r#"{"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}"#;
    let own = |account: &str| Own {
        account: account.into(),
        name: "t00000".into(),
    };
    assert!(shapes::key(&own("100000000000"), &[text], &[]).is_some());
    for account in shapes::CONSTANT_ACCOUNTS {
        assert_eq!(shapes::key(&own(account), &[text], &[]), None, "{account}");
    }
    assert!(shapes::CONSTANT_ACCOUNTS.contains(&perimeter::blueprint::NO_ACCOUNT));
}

#[test]
fn a_shared_diff_reports_what_every_pair_on_its_own_does() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let old = blueprint(&many(24, "", ODD));
    let opts = perimeter::synth::Options {
        out_dir: out.clone(),
        ..common::all_targets()
    };
    perimeter::synth::synth(std::slice::from_ref(&old), &opts).unwrap();
    // One shared setting changed: every template differs; and a grant added to the
    // stand-in account's target only.
    let text = many(24, "", ODD)
        .replace("memory_mb: 256", "memory_mb: 384")
        .replace(
            "    stage: dev\n  - name: t90001",
            "    stage: dev\n    overrides: {function: {timeout_seconds: 60}}\n  - name: t90001",
        );
    let new = blueprint(&text);
    let shared =
        diff_targets_sharing(std::slice::from_ref(&new), &out, None, &[], Sharing::Shapes).unwrap();
    let alone =
        diff_targets_sharing(std::slice::from_ref(&new), &out, None, &[], Sharing::Off).unwrap();
    assert_eq!(shared.files.len(), 26);
    assert_eq!(shared, alone);
    assert_eq!(
        perimeter::diff::render::json(&shared),
        perimeter::diff::render::json(&alone)
    );
    let t6 = &shared.files[6];
    assert!(
        t6.path.ends_with("huge/t00006.template.json"),
        "{}",
        t6.path
    );
    let memory: Vec<_> = t6.diff.resources[0]
        .changes
        .iter()
        .map(|c| (c.path.as_str(), c.new.clone()))
        .collect();
    assert!(
        memory.contains(&("Properties.MemorySize", Some(384.into()))),
        "{memory:?}"
    );
}
