//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub mod arb;
pub mod stub;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Writes the shipped blueprint (`text`: it, or an edit of it) into `dir/blueprints/`,
/// with the SQL files it names beside it.
pub fn write_shipped(dir: &Path, text: &str) {
    let blueprints = dir.join("blueprints");
    std::fs::create_dir_all(blueprints.join("sql")).unwrap();
    std::fs::write(blueprints.join("bedrock-private-access.yaml"), text).unwrap();
    for f in ["products.sql", "products-seed.sql"] {
        std::fs::copy(
            root().join("blueprints/sql").join(f),
            blueprints.join("sql").join(f),
        )
        .unwrap();
    }
}

/// A folder under target/lint/ whose templates `scripts/test` runs cfn-lint on.
pub fn lint_dir(name: &str) -> PathBuf {
    let d = root().join("target").join("lint").join(name);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Every template file below `dir`, sorted.
pub fn templates_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if matches!(
                p.extension().and_then(|x| x.to_str()),
                Some("yaml" | "yml" | "json" | "template")
            ) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Every entry under `dir`: files with their bytes, folders with none; empty when `dir`
/// is absent. Two equal trees mean nothing was written, removed or left behind.
pub fn tree(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    if !dir.exists() {
        return out;
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.insert(p.clone(), vec![]);
                stack.push(p);
            } else {
                out.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// Synth options for every target, JSON, files named under `out/` (nothing is written
/// by the callers: check and the property tests synthesize in memory).
pub fn all_targets() -> perimeter::synth::Options {
    perimeter::synth::Options {
        out_dir: "out".into(),
        format: perimeter::template::Format::Json,
        targets: vec![],
        complete: false,
    }
}
