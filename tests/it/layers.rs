//! Dependencies run one way, downward: each layer of the library uses only the layers
//! below it (ARCHITECTURE.md). Read from the source: a `crate::<module>` path in code (doc
//! comments and comments may point anywhere), in the root package and in the workspace's
//! crates (crates/), whose own manifests may depend only on the crates of lower layers.

use crate::common;

/// The layers, bottom up; each may use itself and those before it.
const LAYERS: &[&[&str]] = &[
    &["error", "io_error", "program"],
    &["template"],
    &["resources"],
    &["iam"],
    &["assets"],
    &["constructs"],
    &["diff"],
    &["check"],
    &["solution"],
    &["blueprint"],
    &["solutions"],
    &["synth"],
    &["project", "init"],
    &["deploy"],
    &["cli", "app"],
];

/// The workspace's crates under crates/ and the layer each holds; the root package
/// (`perimeter`) holds the layers above them.
const CRATES: &[(&str, &str)] = &[
    ("perimeter-template", "template"),
    ("perimeter-l1", "resources"),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `crate::<module>` paths in the code of `files` (under `src`) naming a layer above
/// the file's own, as `path:line: ...` lines. `crate_layer` is the crate's layer, or None
/// for the root package, whose files are in the layer their first folder names.
fn upward_paths(src: &std::path::Path, crate_layer: Option<&str>) -> Vec<String> {
    let mut files = Vec::new();
    sources(src, &mut files);
    let mut wrong = Vec::new();
    for f in files {
        let rel = f.strip_prefix(src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let own = crate_layer.unwrap_or_else(|| first.trim_end_matches(".rs"));
        let Some(own_layer) = layer_of(own) else {
            continue; // lib.rs, main.rs
        };
        let text = std::fs::read_to_string(&f).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            let mut rest = code;
            while let Some(i) = rest.find("crate::") {
                rest = &rest[i + "crate::".len()..];
                let module: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if let Some(l) = layer_of(&module)
                    && l > own_layer
                {
                    wrong.push(format!(
                        "{}:{}: {own} uses crate::{module}",
                        rel.display(),
                        n + 1
                    ));
                }
            }
        }
    }
    wrong
}

#[test]
fn every_layer_uses_only_the_layers_below_it() {
    let root = common::root();
    let mut wrong = upward_paths(&root.join("src"), None);
    for (name, layer) in CRATES {
        let src = root.join("crates").join(name).join("src");
        assert!(src.is_dir(), "{} is missing", src.display());
        wrong.extend(
            upward_paths(&src, Some(layer))
                .into_iter()
                .map(|w| format!("crates/{name}/src/{w}")),
        );
    }
    assert!(
        wrong.is_empty(),
        "upward dependencies:\n{}",
        wrong.join("\n")
    );
}

/// The names of the `perimeter*` packages a manifest depends on, in any dependency
/// table (normal, dev, build, per target).
fn perimeter_dependencies(manifest: &str) -> Vec<String> {
    let mut deps = Vec::new();
    let mut in_deps = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line.trim_end_matches(']').ends_with("dependencies");
            continue;
        }
        if in_deps && line.starts_with("perimeter") {
            let name: String = line
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
            deps.push(name);
        }
    }
    deps
}

#[test]
fn each_crate_depends_only_on_the_crates_of_lower_layers() {
    let root = common::root();
    // The root package holds every layer above the crates': it may depend on all of them.
    let workspace = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let members: Vec<String> = CRATES.iter().map(|(n, _)| format!("crates/{n}")).collect();
    for m in &members {
        assert!(
            workspace.contains(&format!("\"{m}\"")),
            "{m} is not a workspace member"
        );
    }
    let mut wrong = Vec::new();
    for (name, layer) in CRATES {
        let own = layer_of(layer).unwrap();
        let manifest =
            std::fs::read_to_string(root.join("crates").join(name).join("Cargo.toml")).unwrap();
        for dep in perimeter_dependencies(&manifest) {
            let below = CRATES
                .iter()
                .find(|(n, _)| *n == dep)
                .is_some_and(|(_, l)| layer_of(l).unwrap() < own);
            if !below {
                wrong.push(format!("{name} ({layer}) depends on {dep}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "crate dependencies not downward:\n{}",
        wrong.join("\n")
    );
    // And the direction the crates need: L1 is built on L0.
    let l1 = std::fs::read_to_string(root.join("crates/perimeter-l1/Cargo.toml")).unwrap();
    assert_eq!(perimeter_dependencies(&l1), ["perimeter-template"]);
}
