//! What each fuzz target asserts, shared with the regression tests (tests/it/fuzz.rs),
//! which run every input kept under tests/fuzz/<target>/ through the same function.
#![allow(dead_code)]

use perimeter::blueprint::Blueprint;
use perimeter::check::check_text;
use perimeter::check::render::{self as check_render, Style};
use perimeter::check::{Context, Severity};
use perimeter::diff::{diff as diff_templates, render as diff_render};
use perimeter::project::check_blueprints;
use perimeter::solutions::bedrock_private_access::BedrockPrivateAccess;
use perimeter::synth::Options;
use perimeter::template::{Format, Template};

/// The Bedrock solution's props of a resolved target.
fn bedrock(
    r: &std::sync::Arc<dyn perimeter::solution::Resolved>,
) -> &perimeter::solutions::bedrock_private_access::BedrockPrivateAccessProps {
    r.props_of().expect("a bedrock-private-access target")
}

/// Template parsing, JSON and YAML (short-form tags included): never a panic, a hang or
/// unbounded memory; a template that parses is emitted in both formats and read back to
/// the same model, and emission is a fixed point.
pub fn parse_template(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for format in [Format::Json, Format::Yaml] {
        let Ok(t) = Template::parse(text, format) else {
            continue;
        };
        for out in [Format::Json, Format::Yaml] {
            let emitted = t.emit(out);
            let back = Template::parse(&emitted, out)
                .unwrap_or_else(|e| panic!("re-reading our own {out:?} failed: {e}\n{emitted}"));
            assert_eq!(
                back, t,
                "{out:?} round trip changed the template:\n{emitted}"
            );
            assert_eq!(
                back.emit(out),
                emitted,
                "{out:?} emission is not a fixed point"
            );
        }
    }
}

/// Blueprint parsing and validation: never a panic; a blueprint the validator accepts
/// synthesizes every target, deterministically, into templates that check finds no
/// error in.
pub fn blueprint(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(b) = Blueprint::parse(
        "fuzz".parse().unwrap(),
        "fuzz.yaml",
        text,
        &perimeter::solutions::builtin(),
    ) else {
        return;
    };
    for (target, props) in &b.resolved {
        let Ok(t) = BedrockPrivateAccess::template(bedrock(props)) else {
            continue;
        };
        let again = BedrockPrivateAccess::template(bedrock(props)).unwrap();
        assert_eq!(
            t.to_json(),
            again.to_json(),
            "{}: synth is not deterministic",
            target.name
        );
    }
    let opts = Options {
        out_dir: "out".into(),
        format: Format::Json,
        targets: vec![],
        complete: false,
    };
    if let Ok(reports) = check_blueprints(std::slice::from_ref(&b), &opts) {
        for r in &reports {
            let errors: Vec<_> = r
                .findings
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .collect();
            assert!(
                errors.is_empty(),
                "{}: an accepted blueprint fails check: {errors:#?}",
                r.file
            );
        }
    }
}

/// Diff of two parsed inputs: never a panic, every renderer included; a template's diff
/// with itself is empty.
pub fn diff(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Two documents, separated by a line holding only `---8<---`.
    let (a, b) = text.split_once("\n---8<---\n").unwrap_or((text, text));
    let (Ok(old), Ok(new)) = (Template::parse_any(a), Template::parse_any(b)) else {
        return;
    };
    assert!(
        diff_templates(&old, &old).is_empty(),
        "a template differs from itself"
    );
    let d = diff_templates(&old, &new);
    let report = diff_render::Report::single("template.json", d);
    let _ = diff_render::terminal(&report, false);
    let _ = diff_render::markdown(&report);
    let json = diff_render::json(&report);
    serde_json::from_str::<serde_json::Value>(&json).expect("diff JSON is JSON");
}

/// Check of a parsed input: never a panic; every finding is placed in the text and every
/// renderer writes (SARIF and JSON as valid JSON).
pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let report = check_text("fuzz.yaml", text, &Context::default());
    for f in &report.findings {
        assert!(f.line.is_some(), "finding without a position: {f:?}");
    }
    let reports = [report];
    let _ = check_render::to_terminal(&reports, Style { color: false }, true);
    serde_json::from_str::<serde_json::Value>(&check_render::to_json(&reports)).expect("JSON");
    serde_json::from_str::<serde_json::Value>(&check_render::to_sarif(&reports)).expect("SARIF");
}
