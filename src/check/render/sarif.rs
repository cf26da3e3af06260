//! `--format sarif`: SARIF 2.1.0, as GitHub code scanning and other UIs read it. Every
//! rule is described in the driver; suppressed findings are kept with their reason.

use serde_json::{Value, json};

use super::FileReport;
use crate::check::{Finding, Severity, rules};

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn result(f: &Finding, file: &str, suppressed: Option<&str>) -> Value {
    let index = rules::ALL
        .iter()
        .position(|r| r.id == f.rule.id)
        .unwrap_or(0);
    let mut region = serde_json::Map::new();
    if let (Some(l), Some(c)) = (f.line, f.column) {
        region.insert("startLine".into(), json!(l));
        region.insert("startColumn".into(), json!(c));
    }
    let mut physical = json!({"artifactLocation": {"uri": file}});
    if !region.is_empty() {
        physical["region"] = Value::Object(region);
    }
    let mut r = json!({
        "ruleId": f.rule.id,
        "ruleIndex": index,
        "level": level(f.severity),
        "message": {"text": format!("{} Fix: {}", f.message, f.fix)},
        "locations": [{
            "physicalLocation": physical,
            "logicalLocations": [{"fullyQualifiedName": f.path, "kind": "member"}],
        }],
    });
    if let Some(reason) = suppressed {
        r["suppressions"] = json!([{"kind": "external", "justification": reason}]);
    }
    r
}

/// The run as a SARIF 2.1.0 log.
pub fn to_sarif(files: &[FileReport]) -> String {
    let rules: Vec<Value> = rules::ALL
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.name,
                "shortDescription": {"text": r.summary},
                "help": {"text": r.fix},
                "defaultConfiguration": {"level": level(r.severity)},
            })
        })
        .collect();
    let mut results = Vec::new();
    for f in files {
        for x in &f.findings {
            results.push(result(x, &f.file, None));
        }
        for s in &f.suppressed {
            results.push(result(&s.finding, &f.file, Some(&s.reason)));
        }
    }
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "perimeter",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    });
    let mut s = serde_json::to_string_pretty(&log).unwrap_or_default();
    s.push('\n');
    s
}
