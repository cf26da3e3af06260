//! Library-level timings: blueprint loading, synthesis of the shipped blueprint and of a
//! 1,000-target blueprint, template parse/emit, diff and check, on the shipped templates
//! and on 500-resource templates made by scripts/gen_large_template.py. Whole-process
//! timings and peak memory are measured by scripts/bench.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use perimeter::blueprint::Blueprint;
use perimeter::solutions::bedrock_private_access::BedrockPrivateAccess;
use perimeter::template::{Format, Template};

/// The Bedrock solution's props of a resolved target.
fn bedrock(
    r: &std::sync::Arc<dyn perimeter::solution::Resolved>,
) -> &perimeter::solutions::bedrock_private_access::BedrockPrivateAccessProps {
    r.props_of().expect("a bedrock-private-access target")
}

const SHIPPED: &str = include_str!("../blueprints/bedrock-private-access.yaml");

/// The shipped blueprint with its targets replaced by `n` generated ones.
pub fn many_targets(n: usize) -> String {
    let head = &SHIPPED[..SHIPPED.find("targets:").unwrap()];
    let regions = [
        "us-east-1",
        "us-west-2",
        "eu-west-1",
        "eu-central-1",
        "ap-southeast-2",
    ];
    let mut s = format!("{head}targets:\n");
    for i in 0..n {
        s.push_str(&format!(
            "  - name: t{i:04}\n    account: \"{:012}\"\n    region: {}\n    stage: {}\n",
            100_000_000_000u64 + i as u64,
            regions[i % regions.len()],
            if i % 2 == 0 { "dev" } else { "prod" }
        ));
    }
    s
}

fn synth_all(text: &str) -> usize {
    let b = Blueprint::parse(
        "bench".parse().unwrap(),
        "blueprints/bench.yaml",
        text,
        &perimeter::solutions::builtin(),
    )
    .unwrap();
    b.resolved
        .iter()
        .map(|(_, p)| {
            BedrockPrivateAccess::template(bedrock(p))
                .unwrap()
                .to_json()
                .len()
        })
        .sum()
}

fn benches(c: &mut Criterion) {
    c.bench_function("blueprint: parse and validate the shipped blueprint", |b| {
        b.iter(|| {
            Blueprint::parse(
                "bedrock-private-access".parse().unwrap(),
                "blueprints/x.yaml",
                black_box(SHIPPED),
                &perimeter::solutions::builtin(),
            )
            .unwrap()
        })
    });
    c.bench_function(
        "synth: shipped blueprint, 3 targets, to JSON (no I/O)",
        |b| b.iter(|| synth_all(black_box(SHIPPED))),
    );
    let thousand = many_targets(1000);
    let mut g = c.benchmark_group("large");
    g.sample_size(10);
    g.bench_function("synth: 1,000 targets, to JSON (no I/O)", |b| {
        b.iter(|| synth_all(black_box(&thousand)))
    });
    g.finish();

    let b = Blueprint::parse(
        "x".parse().unwrap(),
        "blueprints/x.yaml",
        SHIPPED,
        &perimeter::solutions::builtin(),
    )
    .unwrap();
    let prod = BedrockPrivateAccess::template(bedrock(&b.resolved[1].1)).unwrap();
    let json = prod.to_json();
    let yaml = prod.to_yaml();
    c.bench_function("template: parse JSON (prod, 40 resources)", |b| {
        b.iter(|| Template::parse(black_box(&json), Format::Json).unwrap())
    });
    c.bench_function("template: parse YAML (prod, 40 resources)", |b| {
        b.iter(|| Template::parse(black_box(&yaml), Format::Yaml).unwrap())
    });
    c.bench_function("template: emit JSON (prod)", |b| {
        b.iter(|| black_box(&prod).to_json())
    });
    c.bench_function("template: emit YAML (prod)", |b| {
        b.iter(|| black_box(&prod).to_yaml())
    });

    // Diff: the VPC CIDR changed, which replaces along references.
    let cidr: perimeter::constructs::Cidr = "10.9.0.0/16".parse().unwrap();
    let moved = perimeter::solutions::bedrock_private_access::BedrockPrivateAccessProps {
        vpc_cidr: cidr,
        subnets: cidr.carve(2, 24).unwrap(),
        ..bedrock(&b.resolved[1].1).clone()
    };
    let moved = BedrockPrivateAccess::template(&moved).unwrap();
    c.bench_function(
        "diff: prod template, VPC CIDR changed (replacement chain)",
        |bch| bch.iter(|| perimeter::diff::diff(black_box(&prod), black_box(&moved))),
    );
}

/// Two 500-resource templates (the second with 10% of resources changed), written by
/// scripts/gen_large_template.py from the prod template.
fn large_pair(prod_json: &str) -> (String, String) {
    let dir = std::env::temp_dir().join(format!("perimeter-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("prod.json");
    std::fs::write(&src, prod_json).unwrap();
    let (old, new) = (dir.join("old500.json"), dir.join("new500.json"));
    let ok = std::process::Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/gen_large_template.py"
        ))
        .args([
            &src,
            std::path::Path::new("500"),
            &old,
            &new,
            std::path::Path::new("0.1"),
        ])
        .status()
        .unwrap()
        .success();
    assert!(ok, "gen_large_template.py failed");
    let pair = (
        std::fs::read_to_string(&old).unwrap(),
        std::fs::read_to_string(&new).unwrap(),
    );
    let _ = std::fs::remove_dir_all(&dir);
    pair
}

fn large(c: &mut Criterion) {
    let b = Blueprint::parse(
        "x".parse().unwrap(),
        "blueprints/x.yaml",
        SHIPPED,
        &perimeter::solutions::builtin(),
    )
    .unwrap();
    let prod = BedrockPrivateAccess::template(bedrock(&b.resolved[1].1)).unwrap();
    let (old_json, new_json) = large_pair(&prod.to_json());
    let old = Template::parse(&old_json, Format::Json).unwrap();
    let new = Template::parse(&new_json, Format::Json).unwrap();
    assert_eq!(old.resources.len(), 500);
    let old_yaml = old.to_yaml();
    let mut g = c.benchmark_group("500 resources");
    g.sample_size(20);
    g.bench_function("template: parse + emit JSON", |b| {
        b.iter(|| {
            Template::parse(black_box(&old_json), Format::Json)
                .unwrap()
                .to_json()
        })
    });
    g.bench_function("template: parse + emit YAML", |b| {
        b.iter(|| {
            Template::parse(black_box(&old_yaml), Format::Yaml)
                .unwrap()
                .to_yaml()
        })
    });
    g.bench_function("diff: 10% of resources changed (parsed)", |b| {
        b.iter(|| perimeter::diff::diff(black_box(&old), black_box(&new)))
    });
    g.bench_function("check: parse, check, locate findings", |b| {
        b.iter(|| {
            perimeter::check::check_text(
                "old500.json",
                black_box(&old_json),
                &perimeter::check::Context::default(),
            )
        })
    });
    g.finish();
}

criterion_group!(group, benches, large);
criterion_main!(group);
