//! The workspace's manifests agree: every L1 feature of the perimeter-l1 crate is a
//! feature of perimeter of the same name that forwards to it (a team's crate names
//! perimeter's features only), and every crate is licensed and versioned alike.

use crate::common;

/// The lines between the markers scripts/distill_schemas.py writes its features between.
fn feature_block(manifest: &str) -> Vec<&str> {
    let start = manifest
        .find("# l1-features:start")
        .expect("the start marker");
    let end = manifest.find("# l1-features:end").expect("the end marker");
    manifest[start..end].lines().skip(1).collect()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(common::root().join(path)).unwrap()
}

#[test]
fn perimeter_forwards_every_l1_feature() {
    let l1 = read("crates/perimeter-l1/Cargo.toml");
    let root = read("Cargo.toml");
    let own: Vec<&str> = feature_block(&l1)
        .into_iter()
        .filter_map(|l| l.strip_suffix(" = []"))
        .collect();
    assert!(
        own.len() > 250 && own.contains(&"l1-s3") && own.contains(&"l1-ec2"),
        "{own:?}"
    );
    let mut want: Vec<String> = own
        .iter()
        .map(|f| format!("{f} = [\"perimeter-l1/{f}\"]"))
        .collect();
    want.push("full = [\"perimeter-l1/full\"]".into());
    assert_eq!(feature_block(&root), want);
    // The L1 crate's `full` is every one of its features.
    let full: Vec<&str> = feature_block(&l1)
        .into_iter()
        .skip_while(|l| !l.starts_with("full = ["))
        .skip(1)
        .filter_map(|l| l.trim().strip_prefix('"')?.strip_suffix("\","))
        .collect();
    assert_eq!(full, own);
}

#[test]
fn every_crate_is_licensed_and_versioned_alike() {
    let root = read("Cargo.toml");
    assert!(root.contains("[workspace.package]\nversion = \"0.1.0\"\n"));
    assert!(root.contains("license = \"Apache-2.0 OR MIT\""));
    for c in ["crates/perimeter-template", "crates/perimeter-l1"] {
        let m = read(&format!("{c}/Cargo.toml"));
        for field in [
            "version",
            "edition",
            "license",
            "repository",
            "rust-version",
        ] {
            assert!(
                m.contains(&format!("\n{field}.workspace = true\n")),
                "{c}: {field} is not the workspace's"
            );
        }
        // The license texts are packaged with each crate (links to the root's).
        for f in ["LICENSE-APACHE", "LICENSE-MIT"] {
            assert_eq!(read(&format!("{c}/{f}")), read(f), "{c}/{f}");
        }
    }
    // The root package names its path dependencies with their versions, as crates.io
    // requires of a published crate.
    for dep in ["perimeter-template", "perimeter-l1"] {
        assert!(
            root.contains(&format!(
                "{dep} = {{ version = \"0.1.0\", path = \"crates/{dep}\" }}"
            )),
            "{dep}"
        );
    }
    assert!(read("LICENSE-APACHE").contains("Apache License\n                        Version 2.0"));
    assert!(read("LICENSE-MIT").starts_with("Copyright (c) The perimeter contributors"));
}
