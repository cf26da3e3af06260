//! Dependencies run one way, downward: each layer of the library uses only the layers
//! below it (ARCHITECTURE.md). Read from the source: a `crate::<module>` path in code (doc
//! comments and comments may point anywhere).

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

#[test]
fn every_layer_uses_only_the_layers_below_it() {
    let src = common::root().join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut wrong = Vec::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let own = first.trim_end_matches(".rs");
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
    assert!(
        wrong.is_empty(),
        "upward dependencies:\n{}",
        wrong.join("\n")
    );
}
