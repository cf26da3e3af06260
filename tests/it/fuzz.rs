//! Replays every input the fuzzers kept (tests/fuzz/<target>/, the inputs that found a
//! crash, a hang or a wrong answer, now fixed) through the same assertions the fuzz
//! targets make (fuzz/oracles.rs), and the project's own fixtures as a sanity check of
//! those assertions.

use crate::common;

#[path = "../../fuzz/oracles.rs"]
mod oracles;

use std::path::Path;

/// A fuzz target's assertions over one input.
type Oracle = fn(&[u8]);

fn replay(dir: &Path, oracle: Oracle) -> usize {
    let mut n = 0;
    if let Ok(entries) = std::fs::read_dir(dir) {
        let mut files: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
        files.sort();
        for f in files.iter().filter(|f| f.is_file()) {
            let data = std::fs::read(f).unwrap();
            let r = std::panic::catch_unwind(|| oracle(&data));
            assert!(r.is_ok(), "{} fails its fuzz oracle", f.display());
            n += 1;
        }
    }
    n
}

#[test]
fn kept_fuzz_inputs_pass_their_oracles() {
    let root = common::root().join("tests/fuzz");
    let targets: [(&str, Oracle); 4] = [
        ("parse_template", oracles::parse_template),
        ("blueprint", oracles::blueprint),
        ("diff", oracles::diff),
        ("check", oracles::check),
    ];
    for (name, oracle) in targets {
        replay(&root.join(name), oracle);
    }
}

#[test]
fn the_oracles_hold_on_the_project_fixtures() {
    let root = common::root();
    assert!(
        replay(
            &root.join("tests/fixtures/templates"),
            oracles::parse_template
        ) >= 8
    );
    assert!(replay(&root.join("tests/fixtures/check/rules"), oracles::check) >= 60);
    assert!(
        replay(
            &root.join("tests/fixtures/check/rules"),
            oracles::parse_template
        ) >= 60
    );
    assert!(replay(&root.join("blueprints"), oracles::blueprint) >= 1);
    let a =
        std::fs::read_to_string(root.join("out/bedrock-private-access/dev.template.json")).unwrap();
    let b = std::fs::read_to_string(root.join("out/bedrock-private-access/prod.template.json"))
        .unwrap();
    oracles::diff(format!("{a}\n---8<---\n{b}").as_bytes());
}
